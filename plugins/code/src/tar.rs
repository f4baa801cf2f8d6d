//! Tar archives: PyTorch's oldest checkpoint format (a tar holding
//! `sys_info`, `pickle`, `storages` and `tensors`) and tarballs of models.
//! Hand-written for the same reason as the zip reader: a scanner must see
//! every member exactly as the loader does, and the loader here is
//! CPython's `tarfile` (torch.load, `tarfile.extractall`), whose reading
//! this module follows rule for rule:
//!
//! - a member with data is a regular file (`0`, NUL, contiguous `7`) or of a
//!   type tarfile does not know, which it also reads as a regular file;
//!   directories, links and devices carry no data, whatever their size field
//!   says, so the next header follows at once (a reader that skipped their
//!   "data" would miss the members hidden there);
//! - GNU long names and links (`L`, `K`) and pax records (`x`, `X`, and
//!   `path`, `linkpath`, `size` in them) rename or resize the next member;
//! - sizes may be base-256; header checksums may be signed or unsigned;
//! - a V7 directory is a NUL-typed member whose name ends in `/`.
//!
//! Old GNU sparse members (type `S`) come with their map, so they can be
//! reassembled; pax sparse formats (`GNU.sparse.*` records) are listed as
//! such, and reported as not scanned.

use std::io::{Read, Seek, SeekFrom};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// Data a loader reads as the member's content.
    File,
    /// A symbolic (`hard == false`) or hard link to `target`.
    Link { target: String, hard: bool },
    /// A GNU sparse file (old GNU format): the stored bytes are the data
    /// chunks, at these (offset, length) places of a file of `real` bytes
    /// whose other bytes are zero.
    Sparse { map: Vec<(u64, u64)>, real: u64 },
    /// A sparse file in a pax format, which is not reassembled.
    SparseUnread,
}

#[derive(Debug, Clone)]
pub struct Member {
    pub name: String,
    pub kind: Kind,
    pub offset: u64,
    pub size: u64,
}

pub fn sniff(head: &[u8]) -> bool {
    head.len() >= 263 && &head[257..262] == b"ustar"
}

/// A number field: octal text up to the first NUL, or base-256 when the
/// first byte is 0x80 (positive) or 0xff (negative, refused).
fn number(field: &[u8]) -> Option<u64> {
    match field.first() {
        Some(0x80) => field[1..]
            .iter()
            .try_fold(0u64, |n, &b| n.checked_mul(256)?.checked_add(b as u64)),
        Some(0xff) => None,
        _ => {
            let text: String = field
                .iter()
                .take_while(|&&b| b != 0)
                .map(|&b| b as char)
                .collect();
            let text = text.trim_matches(|c: char| c == ' ' || c.is_ascii_whitespace());
            if text.is_empty() {
                Some(0)
            } else {
                u64::from_str_radix(text, 8).ok()
            }
        }
    }
}

/// A string field, up to its first NUL (tarfile decodes UTF-8 with
/// surrogate escapes; undecodable bytes show as U+FFFD here).
fn text(field: &[u8]) -> String {
    let end = field.iter().position(|&b| b == 0).unwrap_or(field.len());
    String::from_utf8_lossy(&field[..end]).into_owned()
}

/// tarfile accepts the unsigned sum and the signed one (old tar programs).
fn checksum_ok(header: &[u8; 512]) -> bool {
    let Some(stored) = number(&header[148..156]) else {
        return false;
    };
    let field = 148..156;
    let unsigned: u64 = header
        .iter()
        .enumerate()
        .map(|(i, &b)| if field.contains(&i) { 32 } else { b as u64 })
        .sum();
    let signed: i64 = header
        .iter()
        .enumerate()
        .map(|(i, &b)| {
            if field.contains(&i) {
                32
            } else {
                b as i8 as i64
            }
        })
        .sum();
    stored == unsigned || i64::try_from(stored).is_ok_and(|s| s == signed)
}

/// The fields of a pax extended header: `LEN key=value\n` records.
fn pax_records(data: &[u8]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = data;
    while !rest.is_empty() {
        let Some(space) = rest.iter().position(|&b| b == b' ') else {
            break;
        };
        let Some(len) = std::str::from_utf8(&rest[..space])
            .ok()
            .and_then(|s| s.parse::<usize>().ok())
        else {
            break;
        };
        if len <= space + 1 || len > rest.len() {
            break;
        }
        let record = &rest[space + 1..len];
        let record = record.strip_suffix(b"\n").unwrap_or(record);
        if let Some(eq) = record.iter().position(|&b| b == b'=') {
            out.push((
                String::from_utf8_lossy(&record[..eq]).into_owned(),
                String::from_utf8_lossy(&record[eq + 1..]).into_owned(),
            ));
        }
        rest = &rest[len..];
    }
    out
}

/// What an extended header (GNU long name or pax) says of the next member.
#[derive(Default)]
struct Pending {
    name: Option<String>,
    link: Option<String>,
    size: Option<u64>,
    sparse: bool,
}

/// Largest GNU long name or pax header read (tarfile has no limit; real
/// ones are a few hundred bytes).
const MAX_EXTENDED: u64 = 1 << 20;

/// Every member of a tar archive as tarfile reads it: files, links and
/// sparse files (directories, devices and FIFOs carry nothing to scan).
pub fn members<R: Read + Seek>(r: &mut R, len: u64, max: usize) -> Result<Vec<Member>, String> {
    if len < 512 {
        return Err(format!("{len} bytes is shorter than one tar header"));
    }
    let mut out = Vec::new();
    let mut pos = 0u64;
    let mut header = [0u8; 512];
    let mut pending = Pending::default();
    let mut headers = 0usize;
    while pos + 512 <= len {
        r.seek(SeekFrom::Start(pos)).map_err(|e| e.to_string())?;
        r.read_exact(&mut header).map_err(|e| e.to_string())?;
        if header.iter().all(|&b| b == 0) {
            break;
        }
        headers += 1;
        if headers > max.saturating_mul(4).max(64) {
            return Err(format!(
                "more than {} headers",
                max.saturating_mul(4).max(64)
            ));
        }
        if !checksum_ok(&header) {
            return Err(format!("bad header checksum at offset {pos}"));
        }
        let mut size =
            number(&header[124..136]).ok_or_else(|| format!("bad size field at offset {pos}"))?;
        let kind = header[156];
        let data = pos + 512;
        let past_end = |size: u64| data.checked_add(size).is_none_or(|end| end > len);
        match kind {
            b'L' | b'K' | b'x' | b'X' | b'g' => {
                if past_end(size) {
                    return Err(format!("extended header at offset {pos} runs past the end"));
                }
                if size > MAX_EXTENDED {
                    return Err(format!("extended header at offset {pos} is {size} bytes"));
                }
                let mut buf = vec![0u8; size as usize];
                r.read_exact(&mut buf).map_err(|e| e.to_string())?;
                match kind {
                    b'L' => pending.name = Some(text(&buf)),
                    b'K' => pending.link = Some(text(&buf)),
                    // Global records (`g`) apply to every later member;
                    // tarfile keeps them too, but only for what it reads
                    // from them here: path, linkpath, size make no sense
                    // globally, and sparse maps are per member.
                    b'g' => {}
                    _ => {
                        for (key, value) in pax_records(&buf) {
                            match key.as_str() {
                                "path" => pending.name = Some(value),
                                "linkpath" => pending.link = Some(value),
                                "size" => pending.size = value.parse().ok(),
                                k if k.starts_with("GNU.sparse.") => pending.sparse = true,
                                _ => {}
                            }
                        }
                    }
                }
                pos = data + size.div_ceil(512) * 512;
                continue;
            }
            _ => {}
        }
        let taken = std::mem::take(&mut pending);
        let mut name = text(&header[..100]);
        let prefix = text(&header[345..500]);
        if !prefix.is_empty() && kind != b'S' {
            name = format!("{prefix}/{name}");
        }
        let name = taken.name.unwrap_or(name);
        if let Some(s) = taken.size {
            size = s;
        }
        // What tarfile skips over as data: regular files and unknown types.
        let (entry, has_data) = match kind {
            b'0' | b'7' => (Some(Kind::File), true),
            0 if name.ends_with('/') => (None, false),
            0 => (Some(Kind::File), true),
            b'S' => (
                Some(Kind::Sparse {
                    map: Vec::new(),
                    real: 0,
                }),
                true,
            ),
            b'1' | b'2' => (
                Some(Kind::Link {
                    target: taken.link.unwrap_or_else(|| text(&header[157..257])),
                    hard: kind == b'1',
                }),
                false,
            ),
            b'3' | b'4' | b'5' | b'6' => (None, false),
            _ => (Some(Kind::File), true),
        };
        let entry = match entry {
            Some(Kind::File) if taken.sparse => Some(Kind::SparseUnread),
            e => e,
        };
        // An old GNU sparse header: four map entries, then extension
        // headers of 21 more each while the "is extended" byte is set; the
        // data follows the last of them.
        let (entry, data) = match entry {
            Some(Kind::Sparse { .. }) => {
                let real = number(&header[483..495])
                    .ok_or_else(|| format!("bad sparse size at offset {pos}"))?;
                let mut map = sparse_entries(&header[386..482], 4, pos)?;
                let mut extended = header[482] != 0;
                let mut data = data;
                while extended {
                    if data + 512 > len {
                        return Err(format!("sparse map at offset {pos} runs past the end"));
                    }
                    let mut more = [0u8; 512];
                    r.read_exact(&mut more).map_err(|e| e.to_string())?;
                    map.extend(sparse_entries(&more[..504], 21, data)?);
                    if map.len() > 1 << 16 {
                        return Err(format!("sparse map at offset {pos} has over 65536 chunks"));
                    }
                    extended = more[504] != 0;
                    data += 512;
                }
                (Some(Kind::Sparse { map, real }), data)
            }
            e => (e, data),
        };
        if has_data && past_end(size) {
            return Err(format!("member {name:?} runs past the end of the archive"));
        }
        if let Some(kind) = entry {
            if out.len() >= max {
                return Err(format!("more than {max} members"));
            }
            out.push(Member {
                name,
                kind,
                offset: data,
                size: if has_data { size } else { 0 },
            });
        }
        pos = if has_data {
            data + size.div_ceil(512) * 512
        } else {
            data
        };
    }
    Ok(out)
}

/// Map entries of an old GNU sparse header: (offset, length) pairs of
/// 12-byte numbers, up to the first empty one.
fn sparse_entries(field: &[u8], count: usize, at: u64) -> Result<Vec<(u64, u64)>, String> {
    let mut out = Vec::new();
    for i in 0..count {
        let entry = &field[i * 24..i * 24 + 24];
        if entry[0] == 0 {
            break;
        }
        let offset =
            number(&entry[..12]).ok_or_else(|| format!("bad sparse map at offset {at}"))?;
        let length =
            number(&entry[12..]).ok_or_else(|| format!("bad sparse map at offset {at}"))?;
        out.push((offset, length));
    }
    Ok(out)
}

/// The content of an old GNU sparse member: its stored chunks placed at
/// their offsets, zeros between them, as tarfile writes it out. `stored`
/// is the member's data; a map that does not fit it is an error.
pub fn reassemble(map: &[(u64, u64)], real: u64, stored: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = vec![0u8; usize::try_from(real).map_err(|_| "too large".to_string())?];
    let mut at = 0usize;
    for &(offset, length) in map {
        let (offset, length) = (offset as usize, length as usize);
        let end = offset
            .checked_add(length)
            .filter(|&e| e <= out.len())
            .ok_or_else(|| format!("sparse chunk at {offset} runs past the file's {real} bytes"))?;
        let chunk = stored
            .get(at..at + length)
            .ok_or_else(|| "sparse map names more data than the member stores".to_string())?;
        out[offset..end].copy_from_slice(chunk);
        at += length;
    }
    Ok(out)
}

/// Whether extracting a link member makes a link that points outside the
/// extraction folder (tarfile's `data` filter refuses these; older Pythons
/// and `extractall` without a filter write them, and a later member written
/// through the link lands anywhere). A symbolic link's target is relative to
/// the member's folder, a hard link's to the archive's root.
pub fn link_escapes(name: &str, target: &str, hard: bool) -> Option<&'static str> {
    if target.starts_with('/') || target.starts_with('\\') {
        return Some("an absolute path");
    }
    if target.len() > 1 && target.as_bytes()[1] == b':' {
        return Some("a drive-letter path");
    }
    let mut depth: i64 = 0;
    let base = if hard {
        ""
    } else {
        name.rsplit_once('/').map_or("", |(dir, _)| dir)
    };
    for part in base.split('/').chain(target.split(['/', '\\'])) {
        match part {
            "" | "." => {}
            ".." => {
                depth -= 1;
                if depth < 0 {
                    return Some("outside the extraction folder");
                }
            }
            _ => depth += 1,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    /// One ustar header (and its data, padded) with a correct checksum.
    pub(crate) fn entry(name: &str, kind: u8, data: &[u8], link: &str) -> Vec<u8> {
        entry_sized(name, kind, data, link, data.len() as u64)
    }

    fn entry_sized(name: &str, kind: u8, data: &[u8], link: &str, size: u64) -> Vec<u8> {
        let mut h = [0u8; 512];
        h[..name.len()].copy_from_slice(name.as_bytes());
        h[100..107].copy_from_slice(b"0000644");
        h[124..135].copy_from_slice(format!("{size:011o}").as_bytes());
        h[156] = kind;
        h[157..157 + link.len()].copy_from_slice(link.as_bytes());
        h[257..263].copy_from_slice(b"ustar\0");
        h[263..265].copy_from_slice(b"00");
        h[148..156].copy_from_slice(b"        ");
        let sum: u32 = h.iter().map(|&b| b as u32).sum();
        h[148..155].copy_from_slice(format!("{sum:06o}\0").as_bytes());
        let mut out = h.to_vec();
        out.extend_from_slice(data);
        out.resize(out.len().div_ceil(512) * 512, 0);
        out
    }

    fn read(parts: &[Vec<u8>]) -> Result<Vec<Member>, String> {
        let mut bytes = parts.concat();
        bytes.extend_from_slice(&[0u8; 1024]);
        let len = bytes.len() as u64;
        members(&mut Cursor::new(bytes), len, 100)
    }

    fn names(m: &[Member]) -> Vec<(&str, &Kind)> {
        m.iter().map(|m| (m.name.as_str(), &m.kind)).collect()
    }

    #[test]
    fn contiguous_and_unknown_types_are_files_as_tarfile_reads_them() {
        let m = read(&[
            entry("a.pkl", b'0', b"x", ""),
            entry("b.pkl", b'7', b"y", ""),
            entry("c.pkl", b'Z', b"z", ""),
            entry("d.pkl", 0, b"w", ""),
        ])
        .unwrap();
        assert_eq!(
            names(&m),
            [
                ("a.pkl", &Kind::File),
                ("b.pkl", &Kind::File),
                ("c.pkl", &Kind::File),
                ("d.pkl", &Kind::File)
            ]
        );
    }

    #[test]
    fn a_directory_with_a_size_hides_nothing_from_this_reader() {
        // tarfile reads the next header right after a directory's, so the
        // "data" of a directory claiming 1024 bytes is two more headers.
        let hidden = [entry("evil.pkl", b'0', b"payload", "")].concat();
        let mut dir = entry_sized("d/", b'5', &[], "", hidden.len() as u64);
        dir.extend_from_slice(&hidden);
        let m = read(&[dir, entry("ok.pkl", b'0', b"x", "")]).unwrap();
        assert_eq!(
            names(&m),
            [("evil.pkl", &Kind::File), ("ok.pkl", &Kind::File)]
        );
    }

    #[test]
    fn long_names_and_pax_records_rename_and_resize_the_next_member() {
        let long = format!("{}/../../etc/cron.d/x", "a".repeat(120));
        let m = read(&[
            entry("././@LongLink", b'L', format!("{long}\0").as_bytes(), ""),
            entry("short", b'0', b"x", ""),
        ])
        .unwrap();
        assert_eq!(m[0].name, long);
        // A pax record counts its own length, digits included.
        let rec = |k: &str, v: &str| {
            let body = format!(" {k}={v}\n");
            let mut n = body.len() + 1;
            while n.to_string().len() + body.len() != n {
                n = n.to_string().len() + body.len();
            }
            format!("{n}{body}")
        };
        let pax = format!("{}{}", rec("path", "../escape.pkl"), rec("size", "3"));
        let m = read(&[
            entry("PaxHeader", b'x', pax.as_bytes(), ""),
            entry_sized("name.pkl", b'0', b"abc", "", 1),
        ])
        .unwrap();
        assert_eq!((m[0].name.as_str(), m[0].size), ("../escape.pkl", 3));
        let sparse = read(&[
            entry(
                "PaxHeader",
                b'x',
                rec("GNU.sparse.major", "1").as_bytes(),
                "",
            ),
            entry("s.pkl", b'0', b"map", ""),
        ])
        .unwrap();
        assert_eq!(sparse[0].kind, Kind::SparseUnread);
    }

    #[test]
    fn links_sparse_files_and_odd_names_are_listed() {
        let m = read(&[
            entry("l", b'2', &[], "/etc/passwd"),
            entry("h", b'1', &[], "../../x"),
            entry("s", b'S', b"stored", ""),
            entry("fifo", b'6', &[], ""),
            entry("n\u{fffd}ame", b'0', b"x", ""),
        ])
        .unwrap();
        assert_eq!(
            m[0].kind,
            Kind::Link {
                target: "/etc/passwd".into(),
                hard: false
            }
        );
        assert!(matches!(&m[1].kind, Kind::Link { hard: true, .. }));
        assert!(matches!(m[2].kind, Kind::Sparse { .. }));
        assert_eq!(m.len(), 4, "the FIFO carries nothing");
    }

    #[test]
    fn links_that_leave_the_folder_are_told_apart() {
        assert!(link_escapes("a/l", "/etc/passwd", false).is_some());
        assert!(link_escapes("a/l", "../../x", false).is_some());
        assert!(link_escapes("a/b/l", "../x", false).is_none());
        assert!(link_escapes("a/h", "../x", true).is_some());
        assert!(link_escapes("a/h", "a/x", true).is_none());
    }

    #[test]
    fn sparse_members_are_reassembled_as_tarfile_writes_them() {
        let m = [(2, 3), (8, 2)];
        assert_eq!(
            reassemble(&m, 12, b"abcde").unwrap(),
            b"\0\0abc\0\0\0de\0\0"
        );
        assert!(reassemble(&m, 9, b"abcde").is_err());
        assert!(reassemble(&m, 12, b"abc").is_err());
    }

    #[test]
    fn base256_sizes_and_signed_checksums_read() {
        let mut e = entry("big", b'0', b"abcd", "");
        e[124..136].copy_from_slice(&[0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4]);
        // Recompute the checksum the signed way (0x80 counts as -128).
        e[148..156].copy_from_slice(b"        ");
        let signed: i64 = e[..512].iter().map(|&b| b as i8 as i64).sum();
        e[148..155].copy_from_slice(format!("{signed:06o}\0").as_bytes());
        let m = read(&[e]).unwrap();
        assert_eq!((m[0].name.as_str(), m[0].size), ("big", 4));
    }

    #[test]
    fn damage_is_an_error_not_a_silent_stop() {
        assert!(read(&[entry_sized("a", b'0', b"x", "", 1 << 30)]).is_err());
        let mut bad = entry("a", b'0', b"x", "");
        bad[0] = b'b';
        assert!(read(&[bad]).is_err());
        assert!(members(&mut Cursor::new(vec![0u8; 100]), 100, 10).is_err());
    }
}
