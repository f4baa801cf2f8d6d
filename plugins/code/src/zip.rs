//! A zip reader for scanning, not for extracting.
//!
//! Hand-written for security reasons: general-purpose readers reject or
//! silently repair exactly the archives an attacker uses to make a scanner
//! and a loader disagree. PyTorch's reader ignores CRCs and finds the
//! archive behind leading junk; it also keeps one of two members with the
//! same name. This reader sees every central-directory entry, tolerates what
//! PyTorch tolerates, and reports each irregularity instead of hiding it:
//! bad CRCs, leading data (a possible polyglot), duplicate names, zip-slip
//! names, local headers that disagree with the central directory, and
//! compression ratios beyond a limit.

use std::io::{self, Read, Seek, SeekFrom};

/// An entry of the central directory.
#[derive(Debug, Clone)]
pub struct Entry {
    pub name: String,
    pub method: u16,
    pub flags: u16,
    pub crc: u32,
    pub compressed: u64,
    pub size: u64,
    /// Offset of the local header, already corrected for leading data.
    pub local_offset: u64,
}

impl Entry {
    pub fn encrypted(&self) -> bool {
        self.flags & 1 != 0
    }

    pub fn is_dir(&self) -> bool {
        self.name.ends_with('/')
    }

    /// Why the name is unsafe to extract, if it is.
    pub fn slip(&self) -> Option<&'static str> {
        slip(&self.name)
    }
}

/// Why a member name (of a zip or a tar) is unsafe to extract, if it is.
pub fn slip(n: &str) -> Option<&'static str> {
    if n.starts_with('/') || n.starts_with('\\') {
        Some("an absolute path")
    } else if n.len() > 1 && n.as_bytes()[1] == b':' {
        Some("a drive-letter path")
    } else if n.split(['/', '\\']).any(|c| c == "..") {
        Some("a path that climbs out with ..")
    } else {
        None
    }
}

#[derive(Debug)]
pub struct Archive {
    pub entries: Vec<Entry>,
    /// Bytes before the archive proper (0 for a normal zip).
    pub leading: u64,
    pub comment_len: u16,
}

fn u16le(b: &[u8]) -> u16 {
    u16::from_le_bytes([b[0], b[1]])
}
fn u32le(b: &[u8]) -> u32 {
    u32::from_le_bytes([b[0], b[1], b[2], b[3]])
}
fn u64le(b: &[u8]) -> u64 {
    u64::from_le_bytes(b[..8].try_into().expect("8 bytes"))
}

const EOCD: [u8; 4] = *b"PK\x05\x06";

/// Is there an end-of-central-directory record near the end of the file?
pub fn has_end_record<R: Read + Seek>(r: &mut R, len: u64) -> io::Result<bool> {
    Ok(find_eocd(r, len)?.is_some())
}

fn find_eocd<R: Read + Seek>(r: &mut R, len: u64) -> io::Result<Option<(u64, Vec<u8>)>> {
    if len < 22 {
        return Ok(None);
    }
    let window = len.min(22 + 65_535);
    r.seek(SeekFrom::Start(len - window))?;
    let mut tail = Vec::with_capacity(window as usize);
    r.take(window).read_to_end(&mut tail)?;
    if tail.len() < 22 {
        return Ok(None);
    }
    for i in (0..=tail.len() - 22).rev() {
        if tail[i..i + 4] == EOCD {
            let comment = u16le(&tail[i + 20..]) as usize;
            // The record must end exactly where its comment says.
            if i + 22 + comment == tail.len() {
                let pos = len - window + i as u64;
                return Ok(Some((pos, tail[i..i + 22].to_vec())));
            }
        }
    }
    Ok(None)
}

/// Read the central directory.
pub fn open<R: Read + Seek>(r: &mut R, len: u64, max_entries: usize) -> Result<Archive, String> {
    let (eocd_pos, eocd) = find_eocd(r, len)
        .map_err(|e| e.to_string())?
        .ok_or("no end-of-central-directory record")?;
    let mut count = u16le(&eocd[10..]) as u64;
    let mut cd_size = u32le(&eocd[12..]) as u64;
    let mut cd_offset = u32le(&eocd[16..]) as u64;
    let comment_len = u16le(&eocd[20..]);
    let mut cd_end = eocd_pos;
    // Zip64: the locator sits right before the end record. It is honoured
    // whenever present, as Python's zipfile does, not only when the classic
    // record's fields are saturated: torch.save writes zip64 records for
    // small archives too, and then the directory ends at the zip64 record.
    let saturated = count == 0xffff || cd_size == 0xffff_ffff || cd_offset == 0xffff_ffff;
    if eocd_pos >= 20 {
        let mut loc = [0u8; 20];
        r.seek(SeekFrom::Start(eocd_pos - 20))
            .map_err(|e| e.to_string())?;
        r.read_exact(&mut loc).map_err(|e| e.to_string())?;
        if &loc[..4] == b"PK\x06\x07" {
            let z64_pos = u64le(&loc[8..]);
            let mut rec = [0u8; 56];
            let read = z64_pos
                .checked_add(56)
                .filter(|&end| end <= eocd_pos)
                .ok_or_else(|| "zip64 locator points past the end record".to_string())
                .and_then(|_| {
                    r.seek(SeekFrom::Start(z64_pos))
                        .map_err(|e| e.to_string())?;
                    r.read_exact(&mut rec)
                        .map_err(|e| format!("zip64 end record: {e}"))
                });
            let valid = read.is_ok() && &rec[..4] == b"PK\x06\x06";
            if valid {
                count = u64le(&rec[32..]);
                cd_size = u64le(&rec[40..]);
                cd_offset = u64le(&rec[48..]);
                cd_end = z64_pos;
            } else if saturated {
                read?;
                return Err("zip64 locator points to no zip64 end record".into());
            }
            // Otherwise four bytes that happen to read "PK\x06\x07" in
            // front of a classic record: the classic values stand.
        }
    }
    if cd_size > cd_end {
        return Err("central directory larger than the file".into());
    }
    // Where the directory really is, versus where it says it is: the
    // difference is data in front of the archive.
    let cd_start = cd_end - cd_size;
    let leading = cd_start
        .checked_sub(cd_offset)
        .ok_or("central directory offset beyond its position")?;
    if count as usize > max_entries {
        return Err(format!(
            "{count} members, more than the limit of {max_entries}"
        ));
    }
    let mut cd = vec![0u8; cd_size as usize];
    r.seek(SeekFrom::Start(cd_start))
        .map_err(|e| e.to_string())?;
    r.read_exact(&mut cd)
        .map_err(|e| format!("central directory: {e}"))?;
    let mut entries = Vec::new();
    let mut p = 0usize;
    while p + 46 <= cd.len() && entries.len() < max_entries {
        if cd[p..p + 4] != *b"PK\x01\x02" {
            return Err(format!(
                "bad central directory entry at {}",
                cd_start + p as u64
            ));
        }
        let h = &cd[p..];
        let flags = u16le(&h[8..]);
        let method = u16le(&h[10..]);
        let crc = u32le(&h[16..]);
        let mut compressed = u32le(&h[20..]) as u64;
        let mut size = u32le(&h[24..]) as u64;
        let name_len = u16le(&h[28..]) as usize;
        let extra_len = u16le(&h[30..]) as usize;
        let comment = u16le(&h[32..]) as usize;
        let mut local = u32le(&h[42..]) as u64;
        let end = p + 46 + name_len + extra_len + comment;
        if end > cd.len() {
            return Err("central directory entry runs past the directory".into());
        }
        let name = String::from_utf8_lossy(&cd[p + 46..p + 46 + name_len]).into_owned();
        // Zip64 extra field: sizes and offset that did not fit.
        let mut extra = &cd[p + 46 + name_len..p + 46 + name_len + extra_len];
        while extra.len() >= 4 {
            let id = u16le(extra);
            let n = (u16le(&extra[2..]) as usize).min(extra.len() - 4);
            if id == 1 {
                let mut f = &extra[4..4 + n];
                for slot in [&mut size, &mut compressed, &mut local] {
                    if *slot == 0xffff_ffff && f.len() >= 8 {
                        *slot = u64le(f);
                        f = &f[8..];
                    }
                }
            }
            extra = &extra[4 + n..];
        }
        entries.push(Entry {
            name,
            method,
            flags,
            crc,
            compressed,
            size,
            local_offset: local + leading,
        });
        p = end;
    }
    Ok(Archive {
        entries,
        leading,
        comment_len,
    })
}

/// Where an entry's data starts, and whether its local header agrees with
/// the central directory.
pub fn data_start<R: Read + Seek>(r: &mut R, e: &Entry) -> Result<(u64, Option<String>), String> {
    let mut h = [0u8; 30];
    r.seek(SeekFrom::Start(e.local_offset))
        .map_err(|err| err.to_string())?;
    r.read_exact(&mut h)
        .map_err(|err| format!("local header of {}: {err}", e.name))?;
    if h[..4] != *b"PK\x03\x04" {
        return Err(format!(
            "no local header for {} at offset {}",
            e.name, e.local_offset
        ));
    }
    let name_len = u16le(&h[26..]) as u64;
    let extra_len = u16le(&h[28..]) as u64;
    let mut name = vec![0u8; name_len as usize];
    r.read_exact(&mut name).map_err(|err| err.to_string())?;
    let local_name = String::from_utf8_lossy(&name);
    let mismatch = (local_name != e.name).then(|| format!("local header names it {local_name:?}"));
    Ok((e.local_offset + 30 + name_len + extra_len, mismatch))
}

/// A reader over a member's decompressed bytes that computes the CRC as it
/// goes and stops past `limit` bytes.
pub struct MemberReader {
    inner: Box<dyn Read>,
    hasher: crc32fast::Hasher,
    read: u64,
    limit: u64,
}

impl MemberReader {
    pub fn new(inner: Box<dyn Read>, limit: u64) -> Self {
        Self {
            inner,
            hasher: crc32fast::Hasher::new(),
            read: 0,
            limit,
        }
    }

    pub fn crc(&self) -> u32 {
        self.hasher.clone().finalize()
    }

    pub fn bytes_read(&self) -> u64 {
        self.read
    }
}

impl Read for MemberReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.read >= self.limit {
            return Ok(0);
        }
        let max = ((self.limit - self.read) as usize).min(buf.len());
        let n = self.inner.read(&mut buf[..max])?;
        self.hasher.update(&buf[..n]);
        self.read += n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slip_names() {
        let e = |n: &str| Entry {
            name: n.into(),
            method: 0,
            flags: 0,
            crc: 0,
            compressed: 0,
            size: 0,
            local_offset: 0,
        };
        assert!(e("../x").slip().is_some());
        assert!(e("a/../../x").slip().is_some());
        assert!(e("/etc/x").slip().is_some());
        assert!(e("C:\\x").slip().is_some());
        assert!(e("a/b..c/d").slip().is_none());
    }
}
