//! Tar archives, for PyTorch's oldest checkpoint format (a tar holding
//! `sys_info`, `pickle`, `storages` and `tensors`). Hand-written for the
//! same reason as the zip reader: a scanner must see every member, and the
//! format is 512-byte headers and data, nothing more.

use std::io::{Read, Seek, SeekFrom};

#[derive(Debug, Clone)]
pub struct Member {
    pub name: String,
    pub offset: u64,
    pub size: u64,
}

pub fn sniff(head: &[u8]) -> bool {
    head.len() >= 263 && &head[257..262] == b"ustar"
}

fn octal(field: &[u8]) -> Option<u64> {
    let s: String = field
        .iter()
        .take_while(|&&b| b != 0)
        .map(|&b| b as char)
        .collect();
    let s = s.trim();
    if s.is_empty() {
        return Some(0);
    }
    u64::from_str_radix(s, 8).ok()
}

/// The regular-file members of a tar archive.
pub fn members<R: Read + Seek>(r: &mut R, len: u64, max: usize) -> Result<Vec<Member>, String> {
    if len < 512 {
        return Err(format!("{len} bytes is shorter than one tar header"));
    }
    let mut out = Vec::new();
    let mut pos = 0u64;
    let mut header = [0u8; 512];
    while pos + 512 <= len {
        r.seek(SeekFrom::Start(pos)).map_err(|e| e.to_string())?;
        r.read_exact(&mut header).map_err(|e| e.to_string())?;
        if header.iter().all(|&b| b == 0) {
            break;
        }
        let sum: u64 = header
            .iter()
            .enumerate()
            .map(|(i, &b)| {
                if (148..156).contains(&i) {
                    32
                } else {
                    b as u64
                }
            })
            .sum();
        if octal(&header[148..156]) != Some(sum) {
            return Err(format!("bad header checksum at offset {pos}"));
        }
        let size =
            octal(&header[124..136]).ok_or_else(|| format!("bad size field at offset {pos}"))?;
        let name: String = header[..100]
            .iter()
            .take_while(|&&b| b != 0)
            .map(|&b| b as char)
            .collect();
        let prefix: String = header[345..500]
            .iter()
            .take_while(|&&b| b != 0)
            .map(|&b| b as char)
            .collect();
        let name = if prefix.is_empty() {
            name
        } else {
            format!("{prefix}/{name}")
        };
        let kind = header[156];
        if pos + 512 + size > len {
            return Err(format!("member {name:?} runs past the end of the archive"));
        }
        if kind == b'0' || kind == 0 {
            if out.len() >= max {
                return Err(format!("more than {max} members"));
            }
            out.push(Member {
                name,
                offset: pos + 512,
                size,
            });
        }
        pos += 512 + size.div_ceil(512) * 512;
    }
    Ok(out)
}
