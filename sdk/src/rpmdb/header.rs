//! The RPM header blob every database format stores per package: a count
//! of index entries, the size of the data store, the entries (tag, type,
//! offset, count; 16 bytes each, big-endian) and the data store. Only the
//! identifying tags are read.

use super::{Error, MAX_BLOB, be32, err};

const TAG_NAME: u32 = 1000;
const TAG_VERSION: u32 = 1001;
const TAG_RELEASE: u32 = 1002;
const TAG_EPOCH: u32 = 1003;
const TAG_ARCH: u32 = 1022;

const TYPE_INT32: u32 = 4;
const TYPE_STRING: u32 = 6;
const TYPE_STRING_ARRAY: u32 = 8;
const TYPE_I18NSTRING: u32 = 9;

/// rpm refuses headers with more entries than this (`headerVerifyInfo`).
const MAX_ENTRIES: usize = 0xffff;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Package {
    pub name: String,
    pub epoch: Option<u32>,
    pub version: String,
    pub release: String,
    pub arch: Option<String>,
}

impl Package {
    /// `[epoch:]version-release`, as `rpm -q --qf` prints it.
    pub fn evr(&self) -> String {
        match self.epoch {
            Some(e) => format!("{e}:{}-{}", self.version, self.release),
            None => format!("{}-{}", self.version, self.release),
        }
    }
}

struct Entry {
    tag: u32,
    kind: u32,
    offset: usize,
}

pub fn parse(blob: &[u8]) -> Result<Package, Error> {
    let (Some(il), Some(dl)) = (be32(blob, 0), be32(blob, 4)) else {
        return err("shorter than the 8-byte header preamble");
    };
    let (il, dl) = (il as usize, dl as usize);
    if il == 0 || il > MAX_ENTRIES || dl > MAX_BLOB {
        return err(format!("implausible header: {il} entries, {dl} data bytes"));
    }
    let store_at = 8 + il * 16;
    let Some(store) = blob.get(store_at..store_at + dl) else {
        return err(format!(
            "header says {il} entries and {dl} data bytes but the blob has {} bytes",
            blob.len()
        ));
    };
    let entries: Vec<Entry> = (0..il)
        .map(|i| {
            let at = 8 + i * 16;
            Entry {
                tag: be32(blob, at).unwrap_or(0),
                kind: be32(blob, at + 4).unwrap_or(0),
                offset: be32(blob, at + 8).unwrap_or(u32::MAX) as usize,
            }
        })
        .collect();
    let find = |tag: u32| entries.iter().find(|e| e.tag == tag);
    let string = |tag: u32| -> Result<Option<String>, Error> {
        let Some(e) = find(tag) else { return Ok(None) };
        if !matches!(e.kind, TYPE_STRING | TYPE_STRING_ARRAY | TYPE_I18NSTRING) {
            return err(format!("tag {tag} has type {}, not a string", e.kind));
        }
        let Some(rest) = store.get(e.offset..) else {
            return err(format!("tag {tag} points outside the data store"));
        };
        let Some(end) = rest.iter().position(|b| *b == 0) else {
            return err(format!("tag {tag}: string is not terminated"));
        };
        Ok(Some(String::from_utf8_lossy(&rest[..end]).into_owned()))
    };
    let name = string(TAG_NAME)?.ok_or_else(|| Error("no package name (tag 1000)".into()))?;
    let version = string(TAG_VERSION)?.ok_or_else(|| Error(format!("{name}: no version")))?;
    let release = string(TAG_RELEASE)?.ok_or_else(|| Error(format!("{name}: no release")))?;
    let epoch = match find(TAG_EPOCH) {
        Some(e) if e.kind == TYPE_INT32 => Some(
            be32(store, e.offset)
                .ok_or_else(|| Error(format!("{name}: epoch outside the data store")))?,
        ),
        Some(e) => return err(format!("{name}: epoch has type {}, not int32", e.kind)),
        None => None,
    };
    Ok(Package {
        name,
        epoch,
        version,
        release,
        arch: string(TAG_ARCH)?,
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A header blob as rpm lays it out, for tests of the readers.
    pub(crate) fn blob(name: &str, version: &str, epoch: Option<u32>) -> Vec<u8> {
        let mut store = Vec::new();
        let mut index = Vec::new();
        let mut put = |tag: u32, kind: u32, bytes: &[u8], store: &mut Vec<u8>| {
            if kind == TYPE_INT32 {
                while !store.len().is_multiple_of(4) {
                    store.push(0);
                }
            }
            index.extend_from_slice(&tag.to_be_bytes());
            index.extend_from_slice(&kind.to_be_bytes());
            index.extend_from_slice(&(store.len() as u32).to_be_bytes());
            index.extend_from_slice(&1u32.to_be_bytes());
            store.extend_from_slice(bytes);
        };
        put(
            TAG_NAME,
            TYPE_STRING,
            format!("{name}\0").as_bytes(),
            &mut store,
        );
        put(
            TAG_VERSION,
            TYPE_STRING,
            format!("{version}\0").as_bytes(),
            &mut store,
        );
        put(TAG_RELEASE, TYPE_STRING, b"1.el9\0", &mut store);
        if let Some(e) = epoch {
            put(TAG_EPOCH, TYPE_INT32, &e.to_be_bytes(), &mut store);
        }
        let mut out = ((index.len() / 16) as u32).to_be_bytes().to_vec();
        out.extend_from_slice(&(store.len() as u32).to_be_bytes());
        out.extend(index);
        out.extend(store);
        out
    }

    #[test]
    fn reads_name_epoch_version_release() {
        let p = parse(&blob("docker-ce", "24.0.7", Some(3))).unwrap();
        assert_eq!(p.evr(), "3:24.0.7-1.el9");
        assert_eq!(parse(&blob("gcc", "11", None)).unwrap().evr(), "11-1.el9");
    }

    #[test]
    fn malformed_headers_are_errors_not_panics() {
        let good = blob("gcc", "11", Some(1));
        for cut in 0..good.len() {
            assert!(parse(&good[..cut]).is_err(), "cut at {cut}");
        }
        let mut bad_offset = good.clone();
        bad_offset[8 + 8..8 + 12].copy_from_slice(&u32::MAX.to_be_bytes());
        assert!(parse(&bad_offset).unwrap_err().0.contains("outside"));
        let mut huge = good;
        huge[0..4].copy_from_slice(&u32::MAX.to_be_bytes());
        assert!(parse(&huge).unwrap_err().0.contains("implausible"));
    }
}
