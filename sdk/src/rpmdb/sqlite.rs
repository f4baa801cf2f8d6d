//! Reads the rows of one rowid table from a SQLite database file: the
//! `Packages` table rpm ≥ 4.16 writes (`hnum INTEGER PRIMARY KEY, blob
//! BLOB`). It implements exactly what that needs of the documented file
//! format (<https://www.sqlite.org/fileformat2.html>): the database header,
//! table b-tree pages (interior and leaf), overflow chains, the record
//! format, and committed frames of the write-ahead log. Indexes, free pages
//! and every other table are never touched.

use std::collections::{HashMap, HashSet};

use super::{Error, MAX_BLOB, MAX_PACKAGES, Source, be32, err};

const LEAF_TABLE: u8 = 0x0d;
const INTERIOR_TABLE: u8 = 0x05;
/// A b-tree deeper than this is corrupt (SQLite's own limit is 20).
const MAX_DEPTH: usize = 40;

struct Db<'a, S: Source> {
    src: &'a mut S,
    page_size: usize,
    /// Usable bytes per page (page size less the reserved tail).
    usable: usize,
    pages: u32,
    /// Page number → page content, from the write-ahead log.
    wal: HashMap<u32, Vec<u8>>,
}

pub fn packages<S: Source, W: Source>(
    src: &mut S,
    wal: Option<&mut W>,
    out: &mut Vec<Vec<u8>>,
) -> Result<(), Error> {
    let mut header = [0u8; 100];
    if src.size()? < 100 {
        return err("SQLite: truncated database header");
    }
    src.read_at(0, &mut header)?;
    let raw = u16::from_be_bytes([header[16], header[17]]) as usize;
    let page_size = if raw == 1 { 65536 } else { raw };
    if !(512..=65536).contains(&page_size) || !page_size.is_power_of_two() {
        return err(format!("SQLite: invalid page size {raw}"));
    }
    let usable = page_size - header[20] as usize;
    if usable < 480 {
        return err(format!(
            "SQLite: {} reserved bytes per page leave too little",
            header[20]
        ));
    }
    if be32(&header, 56) > Some(1) {
        return err("SQLite: only UTF-8 databases are read (rpm writes UTF-8)");
    }
    let pages = (src.size()? / page_size as u64).min(u32::MAX as u64) as u32;
    let mut db = Db {
        src,
        page_size,
        usable,
        pages,
        wal: HashMap::new(),
    };
    if let Some(w) = wal {
        db.apply_wal(w)?;
    }
    let root = db.table_root("Packages")?;
    db.rows(root, &mut |record| {
        if out.len() >= MAX_PACKAGES {
            return err(format!("SQLite: more than {MAX_PACKAGES} packages"));
        }
        let blob = record_blob(&record)?;
        out.push(blob);
        Ok(())
    })
}

impl<S: Source> Db<'_, S> {
    fn page(&mut self, n: u32) -> Result<Vec<u8>, Error> {
        if let Some(p) = self.wal.get(&n) {
            return Ok(p.clone());
        }
        if n == 0 || n > self.pages {
            return err(format!(
                "SQLite: page {n} is outside the database ({} pages)",
                self.pages
            ));
        }
        let mut buf = vec![0u8; self.page_size];
        self.src
            .read_at((n as u64 - 1) * self.page_size as u64, &mut buf)?;
        Ok(buf)
    }

    /// The root page of a table, from the schema table on page 1.
    fn table_root(&mut self, name: &str) -> Result<u32, Error> {
        let mut root = None;
        self.rows(1, &mut |record| {
            let cols = columns(&record)?;
            let text = |i: usize| match cols.get(i) {
                Some(Value::Text(t)) => Some(String::from_utf8_lossy(t).into_owned()),
                _ => None,
            };
            if text(0).as_deref() == Some("table")
                && text(1).as_deref() == Some(name)
                && let Some(Value::Int(r)) = cols.get(3)
            {
                root = u32::try_from(*r).ok();
            }
            Ok(())
        })?;
        root.ok_or_else(|| Error(format!("SQLite: no table named {name}")))
    }

    /// Visit the payload of every row of the table b-tree rooted at `root`.
    fn rows(
        &mut self,
        root: u32,
        visit: &mut dyn FnMut(Vec<u8>) -> Result<(), Error>,
    ) -> Result<(), Error> {
        let mut seen = HashSet::new();
        let mut stack = vec![(root, 0usize)];
        while let Some((n, depth)) = stack.pop() {
            if !seen.insert(n) {
                return err(format!("SQLite: page {n} is reached twice (a cycle)"));
            }
            if depth > MAX_DEPTH {
                return err("SQLite: b-tree too deep");
            }
            let page = self.page(n)?;
            let at = if n == 1 { 100 } else { 0 };
            let kind = page[at];
            let cells = u16::from_be_bytes([page[at + 3], page[at + 4]]) as usize;
            let (ptrs, interior) = match kind {
                LEAF_TABLE => (at + 8, false),
                INTERIOR_TABLE => (at + 12, true),
                k => {
                    return err(format!(
                        "SQLite: page {n} has type {k:#04x}, not a table b-tree page"
                    ));
                }
            };
            let mut children = Vec::new();
            for i in 0..cells {
                let Some(p) = page.get(ptrs + 2 * i..ptrs + 2 * i + 2) else {
                    return err(format!(
                        "SQLite: page {n}: cell pointer {i} outside the page"
                    ));
                };
                let cell = u16::from_be_bytes([p[0], p[1]]) as usize;
                if cell >= self.usable {
                    return err(format!(
                        "SQLite: page {n}: cell {i} starts outside the page"
                    ));
                }
                if interior {
                    let child = be32(&page, cell)
                        .ok_or_else(|| Error(format!("SQLite: page {n}: truncated cell")))?;
                    children.push(child);
                } else {
                    let payload = self.payload(&page, cell, n)?;
                    visit(payload)?;
                }
            }
            if interior {
                children.push(be32(&page, at + 8).unwrap_or(0));
                // Reversed, so rows come out in rowid order.
                stack.extend(children.into_iter().rev().map(|c| (c, depth + 1)));
            }
        }
        Ok(())
    }

    /// The full payload of the leaf cell at `cell`, following its overflow
    /// chain if it spills.
    fn payload(&mut self, page: &[u8], cell: usize, n: u32) -> Result<Vec<u8>, Error> {
        let bad = || Error(format!("SQLite: page {n}: malformed cell at {cell}"));
        let (size, a) = varint(page.get(cell..).ok_or_else(bad)?).ok_or_else(bad)?;
        let (_rowid, b) = varint(page.get(cell + a..).ok_or_else(bad)?).ok_or_else(bad)?;
        let size = usize::try_from(size).map_err(|_| bad())?;
        if size > MAX_BLOB {
            return err(format!(
                "SQLite: page {n}: a {size}-byte row is larger than any rpm header"
            ));
        }
        let start = cell + a + b;
        // How much of the payload is stored on the page itself (file
        // format, "Cell Payload Overflow Pages").
        let u = self.usable;
        let max_local = u - 35;
        let min_local = (u - 12) * 32 / 255 - 23;
        let local = if size <= max_local {
            size
        } else {
            let k = min_local + (size - min_local) % (u - 4);
            if k <= max_local { k } else { min_local }
        };
        let mut out = page.get(start..start + local).ok_or_else(bad)?.to_vec();
        if local == size {
            return Ok(out);
        }
        let mut next = be32(page, start + local).ok_or_else(bad)?;
        let mut seen = HashSet::new();
        while out.len() < size {
            if next == 0 || !seen.insert(next) {
                return err(format!(
                    "SQLite: page {n}: overflow chain ends early or loops"
                ));
            }
            let o = self.page(next)?;
            let take = (size - out.len()).min(u - 4);
            out.extend_from_slice(&o[4..4 + take]);
            next = be32(&o, 0).unwrap_or(0);
        }
        Ok(out)
    }

    /// Overlay the committed frames of a write-ahead log: frames count only
    /// up to the last commit whose salts and running checksum are intact,
    /// exactly the frames SQLite itself would read.
    fn apply_wal<W: Source>(&mut self, w: &mut W) -> Result<(), Error> {
        let len = w.size()?;
        if len < 32 {
            return Ok(()); // empty or absent log: nothing uncommitted
        }
        let mut h = [0u8; 32];
        w.read_at(0, &mut h)?;
        let big_endian = match be32(&h, 0) {
            Some(0x377f0682) => false,
            Some(0x377f0683) => true,
            _ => return err("SQLite write-ahead log: bad magic"),
        };
        if be32(&h, 8) != Some(self.page_size as u32) {
            return err("SQLite write-ahead log: page size differs from the database");
        }
        let mut sum = checksum(big_endian, &h[..24], (0, 0));
        if (be32(&h, 24), be32(&h, 28)) != (Some(sum.0), Some(sum.1)) {
            return Ok(()); // a header that does not verify means no valid frames
        }
        let salts = (be32(&h, 16), be32(&h, 20));
        let frame = 24 + self.page_size as u64;
        let (mut pending, mut committed_pages) = (Vec::new(), None);
        let mut off = 32u64;
        while off + frame <= len {
            let mut f = vec![0u8; frame as usize];
            w.read_at(off, &mut f)?;
            if (be32(&f, 8), be32(&f, 12)) != salts {
                break;
            }
            sum = checksum(big_endian, &f[..8], sum);
            sum = checksum(big_endian, &f[24..], sum);
            if (be32(&f, 16), be32(&f, 20)) != (Some(sum.0), Some(sum.1)) {
                break;
            }
            let page_no = be32(&f, 0).unwrap_or(0);
            pending.push((page_no, f[24..].to_vec()));
            let db_pages = be32(&f, 4).unwrap_or(0);
            if db_pages != 0 {
                for (p, data) in pending.drain(..) {
                    self.wal.insert(p, data);
                }
                committed_pages = Some(db_pages);
            }
            off += frame;
        }
        if let Some(p) = committed_pages {
            self.pages = p;
            self.wal.retain(|n, _| *n <= p);
        }
        Ok(())
    }
}

/// The write-ahead log's running checksum over 32-bit words.
fn checksum(big_endian: bool, data: &[u8], (mut s0, mut s1): (u32, u32)) -> (u32, u32) {
    let word = |b: &[u8]| {
        let b: [u8; 4] = b.try_into().unwrap_or([0; 4]);
        if big_endian {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        }
    };
    for pair in data.chunks_exact(8) {
        s0 = s0.wrapping_add(word(&pair[..4])).wrapping_add(s1);
        s1 = s1.wrapping_add(word(&pair[4..])).wrapping_add(s0);
    }
    (s0, s1)
}

/// SQLite's variable-length integer: up to 9 bytes, big-endian groups of
/// seven bits, the ninth byte contributing all eight.
fn varint(b: &[u8]) -> Option<(u64, usize)> {
    let mut v = 0u64;
    for i in 0..9 {
        let c = *b.get(i)?;
        if i == 8 {
            return Some(((v << 8) | c as u64, 9));
        }
        v = (v << 7) | (c & 0x7f) as u64;
        if c & 0x80 == 0 {
            return Some((v, i + 1));
        }
    }
    None
}

#[derive(Debug)]
enum Value<'a> {
    Null,
    Int(i64),
    Other,
    Text(&'a [u8]),
    Blob(&'a [u8]),
}

/// The columns of a record (file format, "Record Format").
fn columns(rec: &[u8]) -> Result<Vec<Value<'_>>, Error> {
    let bad = |what: &str| Error(format!("SQLite: malformed record ({what})"));
    let (header_len, mut at) = varint(rec).ok_or_else(|| bad("header size"))?;
    let header_len = usize::try_from(header_len).map_err(|_| bad("header size"))?;
    if header_len > rec.len() {
        return Err(bad("header longer than the record"));
    }
    let mut body = header_len;
    let mut out = Vec::new();
    while at < header_len {
        let (t, n) = varint(&rec[at..header_len]).ok_or_else(|| bad("serial type"))?;
        at += n;
        let size = match t {
            0 | 8 | 9 => 0,
            1..=4 => t as usize,
            5 => 6,
            6 | 7 => 8,
            10 | 11 => return Err(bad("reserved serial type")),
            t => ((t - 12) / 2) as usize,
        };
        let v = rec
            .get(body..body.checked_add(size).ok_or_else(|| bad("size"))?)
            .ok_or_else(|| bad("value past the end"))?;
        body += size;
        out.push(match t {
            0 => Value::Null,
            8 => Value::Int(0),
            9 => Value::Int(1),
            1..=6 => {
                let mut x = if v[0] & 0x80 != 0 { -1i64 } else { 0 };
                for b in v {
                    x = (x << 8) | *b as i64;
                }
                Value::Int(x)
            }
            7 => Value::Other,
            t if t % 2 == 0 => Value::Blob(v),
            _ => Value::Text(v),
        });
    }
    Ok(out)
}

/// The header blob of a `Packages` row: its one BLOB column (the INTEGER
/// PRIMARY KEY `hnum` is the rowid and is stored as NULL).
fn record_blob(rec: &[u8]) -> Result<Vec<u8>, Error> {
    let cols = columns(rec)?;
    cols.iter()
        .find_map(|c| match c {
            Value::Blob(b) => Some(b.to_vec()),
            _ => None,
        })
        .ok_or_else(|| {
            let kinds: Vec<&str> = cols
                .iter()
                .map(|c| match c {
                    Value::Null => "null",
                    Value::Int(_) => "integer",
                    Value::Other => "real",
                    Value::Text(_) => "text",
                    Value::Blob(_) => "blob",
                })
                .collect();
            Error(format!(
                "SQLite: a Packages row has no blob column ({})",
                kinds.join(", ")
            ))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints() {
        assert_eq!(varint(&[0x05]), Some((5, 1)));
        assert_eq!(varint(&[0x81, 0x00]), Some((128, 2)));
        assert_eq!(varint(&[0xff; 9]), Some((u64::MAX, 9)));
        assert_eq!(varint(&[0x81]), None);
    }

    #[test]
    fn records() {
        // header: 3 bytes (size, NULL, blob of 2 bytes = type 16)
        let rec = [3u8, 0, 16, 0xaa, 0xbb];
        assert_eq!(record_blob(&rec).unwrap(), vec![0xaa, 0xbb]);
        assert!(record_blob(&[3u8, 0, 16, 0xaa]).is_err());
        assert!(record_blob(&[2u8, 1, 7]).unwrap_err().0.contains("integer"));
    }
}
