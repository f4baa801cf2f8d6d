//! Reads the data items of a Berkeley DB hash database, the format of rpm's
//! `Packages` file before rpm 4.16. Layout from Berkeley DB's `db_page.h`:
//! page 0 is the hash metadata page; bucket `b` lives on page
//! `b + spares[ceil(log2(b + 1))]`, continued through `next_pgno`; each
//! bucket page holds key/data pairs, and a data item is either stored
//! inline (`H_KEYDATA`) or on a chain of overflow pages (`H_OFFPAGE`).
//! Integers are in the byte order of the machine that wrote the file, which
//! the metadata magic tells.

use std::collections::HashSet;

use super::{Error, MAX_BLOB, MAX_PACKAGES, Source, err};

pub const HASH_MAGIC: u32 = 0x0006_1561;
pub const BTREE_MAGIC: u32 = 0x0005_3162;

const P_HASH_UNSORTED: u8 = 2;
const P_OVERFLOW: u8 = 7;
const P_HASHMETA: u8 = 8;
const P_HASH: u8 = 13;
const H_KEYDATA: u8 = 1;
const H_OFFPAGE: u8 = 3;
/// The page header: lsn, pgno, prev, next, entries, hf_offset, level, type.
const PAGE_HEADER: usize = 26;
/// Checksummed databases keep a `PG_CHKSUM` (2 unused bytes and a 4-byte
/// checksum) between the page header and the item index.
const CHECKSUM_BYTES: usize = 6;
const DBMETA_CHKSUM: u8 = 0x01;

struct Db<'a, S: Source> {
    src: &'a mut S,
    big_endian: bool,
    page_size: usize,
    last_page: u32,
    /// Where a page's item index starts (after the header and checksum).
    overhead: usize,
}

pub fn packages<S: Source>(src: &mut S, out: &mut Vec<Vec<u8>>) -> Result<(), Error> {
    let mut meta = [0u8; 512];
    if src.size()? < 512 {
        return err("Berkeley DB: truncated metadata page");
    }
    src.read_at(0, &mut meta)?;
    let magic = &meta[12..16];
    let big_endian = if u32::from_le_bytes(magic.try_into().unwrap()) == HASH_MAGIC {
        false
    } else if u32::from_be_bytes(magic.try_into().unwrap()) == HASH_MAGIC {
        true
    } else {
        return err("Berkeley DB: a btree database; rpm's Packages file is a hash database");
    };
    let word = |at: usize| read32(&meta, at, big_endian).unwrap_or(0);
    let page_size = word(20) as usize;
    if !(512..=65536).contains(&page_size) || !page_size.is_power_of_two() {
        return err(format!("Berkeley DB: invalid page size {page_size}"));
    }
    if meta[24] != 0 {
        return err("Berkeley DB: the database is encrypted");
    }
    if meta[25] != P_HASHMETA {
        return err(format!(
            "Berkeley DB: page 0 has type {}, not hash metadata",
            meta[25]
        ));
    }
    let overhead = PAGE_HEADER
        + if meta[26] & DBMETA_CHKSUM != 0 {
            CHECKSUM_BYTES
        } else {
            0
        };
    let file_pages = src.size()? / page_size as u64;
    let last_page = word(32).min(file_pages.saturating_sub(1).min(u32::MAX as u64) as u32);
    let max_bucket = word(72);
    // Every bucket has a page of its own, so a count past the file's pages
    // is corrupt (and would otherwise be a four-billion-step loop).
    if max_bucket > last_page {
        return err(format!(
            "Berkeley DB: {} buckets in a file of {} pages",
            max_bucket as u64 + 1,
            last_page as u64 + 1
        ));
    }
    let spares: Vec<u32> = (0..32).map(|i| word(96 + 4 * i)).collect();
    let mut db = Db {
        src,
        big_endian,
        page_size,
        last_page,
        overhead,
    };
    let mut seen = HashSet::new();
    for bucket in 0..=max_bucket {
        let log2 = (u32::BITS - bucket.leading_zeros()) as usize; // ceil(log2(bucket + 1))
        let mut page = bucket.checked_add(*spares.get(log2).unwrap_or(&0));
        while let Some(n) = page.filter(|n| *n != 0) {
            if !seen.insert(n) {
                return err(format!("Berkeley DB: page {n} is reached twice (a cycle)"));
            }
            page = db.bucket_page(n, out)?;
            if out.len() > MAX_PACKAGES {
                return err(format!("Berkeley DB: more than {MAX_PACKAGES} packages"));
            }
        }
    }
    Ok(())
}

fn read32(b: &[u8], at: usize, big_endian: bool) -> Option<u32> {
    let w: [u8; 4] = b.get(at..at + 4)?.try_into().ok()?;
    Some(if big_endian {
        u32::from_be_bytes(w)
    } else {
        u32::from_le_bytes(w)
    })
}

impl<S: Source> Db<'_, S> {
    fn read16(&self, b: &[u8], at: usize) -> Option<usize> {
        let w: [u8; 2] = b.get(at..at + 2)?.try_into().ok()?;
        Some(if self.big_endian {
            u16::from_be_bytes(w)
        } else {
            u16::from_le_bytes(w)
        } as usize)
    }

    fn page(&mut self, n: u32) -> Result<Vec<u8>, Error> {
        if n > self.last_page {
            return err(format!(
                "Berkeley DB: page {n} is past the last page {}",
                self.last_page
            ));
        }
        let mut buf = vec![0u8; self.page_size];
        self.src
            .read_at(n as u64 * self.page_size as u64, &mut buf)?;
        Ok(buf)
    }

    /// Collect the data items of one bucket page; returns the next page of
    /// the bucket, if any.
    fn bucket_page(&mut self, n: u32, out: &mut Vec<Vec<u8>>) -> Result<Option<u32>, Error> {
        let page = self.page(n)?;
        let kind = page[25];
        if kind != P_HASH && kind != P_HASH_UNSORTED {
            return err(format!(
                "Berkeley DB: bucket page {n} has type {kind}, not a hash page"
            ));
        }
        let entries = self.read16(&page, 20).unwrap_or(0);
        let offsets: Vec<usize> = (0..entries)
            .map(|i| {
                self.read16(&page, self.overhead + 2 * i)
                    .unwrap_or(usize::MAX)
            })
            .collect();
        // Items are pairs, key then data; items are packed from the end of
        // the page downwards, so an item ends where the previous one starts.
        for i in (1..entries).step_by(2) {
            let (start, end) = (offsets[i], offsets[i - 1]);
            if start >= end || end > self.page_size || start < self.overhead + 2 * entries {
                return err(format!(
                    "Berkeley DB: page {n}: item {i} is outside the page"
                ));
            }
            let item = &page[start..end];
            match item[0] {
                H_KEYDATA => out.push(item[1..].to_vec()),
                H_OFFPAGE => {
                    let first = read32(item, 4, self.big_endian);
                    let total = read32(item, 8, self.big_endian);
                    let (Some(first), Some(total)) = (first, total) else {
                        return err(format!(
                            "Berkeley DB: page {n}: truncated overflow reference"
                        ));
                    };
                    out.push(self.overflow(first, total as usize)?);
                }
                t => {
                    return err(format!(
                        "Berkeley DB: page {n}: item type {t} is not a package header"
                    ));
                }
            }
        }
        let next = read32(&page, 16, self.big_endian).unwrap_or(0);
        Ok((next != 0).then_some(next))
    }

    /// An item stored on a chain of overflow pages.
    fn overflow(&mut self, mut n: u32, total: usize) -> Result<Vec<u8>, Error> {
        if total > MAX_BLOB {
            return err(format!(
                "Berkeley DB: a {total}-byte item is larger than any rpm header"
            ));
        }
        // Grown as pages arrive: a claimed length is not trusted to allocate.
        let mut out = Vec::with_capacity(total.min(1 << 20));
        let mut seen = HashSet::new();
        while out.len() < total {
            if n == 0 || !seen.insert(n) {
                return err(format!(
                    "Berkeley DB: overflow chain ends early or loops at page {n}"
                ));
            }
            let page = self.page(n)?;
            if page[25] != P_OVERFLOW {
                return err(format!(
                    "Berkeley DB: page {n} has type {}, not overflow",
                    page[25]
                ));
            }
            let len = self.read16(&page, 22).unwrap_or(0);
            let Some(data) = page.get(self.overhead..self.overhead + len) else {
                return err(format!("Berkeley DB: overflow page {n} claims {len} bytes"));
            };
            out.extend_from_slice(&data[..len.min(total - out.len())]);
            n = read32(&page, 16, self.big_endian).unwrap_or(0);
        }
        Ok(out)
    }
}
