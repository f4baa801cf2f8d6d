//! Reads rpm's ndb package database (`Packages.db`, SUSE). Layout from
//! rpm's `lib/backend/ndb/rpmpkg.c`, all little-endian: a 32-byte header
//! (`RpmP`, version 0, generation, number of slot pages) at the start of
//! the slot pages; 16-byte slots (`Slot`, package index, block offset,
//! block count; offset 0 = free); each blob at `offset × 16`: a head
//! (`BlbS`, package index, timestamp, length), the header blob, padding and
//! a tail (Adler-32 of head, blob and padding; length; `BlbE`).

use super::{Error, MAX_BLOB, MAX_PACKAGES, Source, err, le32};

const PAGE: usize = 4096;
const SLOT: usize = 16;
const BLOCK: u64 = 16;
const HEAD: usize = 16;
const TAIL: usize = 12;
const MAGIC: &[u8; 4] = b"RpmP";
const SLOT_MAGIC: &[u8; 4] = b"Slot";
const HEAD_MAGIC: &[u8; 4] = b"BlbS";
const TAIL_MAGIC: &[u8; 4] = b"BlbE";

pub fn packages<S: Source>(src: &mut S, out: &mut Vec<Vec<u8>>) -> Result<(), Error> {
    let size = src.size()?;
    let mut header = [0u8; 32];
    src.read_at(0, &mut header)?;
    if &header[..4] != MAGIC || le32(&header, 4) != Some(0) {
        return err("ndb: not a version 0 package database");
    }
    let slot_pages = le32(&header, 12).unwrap_or(0) as u64;
    // 256 slots a page: enough pages for MAX_PACKAGES, and no more, so a
    // damaged count cannot make the reader allocate the whole file.
    let max_pages = (MAX_PACKAGES / (PAGE / SLOT) + 1) as u64;
    if slot_pages == 0 || slot_pages > max_pages || slot_pages * PAGE as u64 > size {
        return err(format!(
            "ndb: {slot_pages} slot pages do not fit in {size} bytes"
        ));
    }
    let mut slots = vec![0u8; slot_pages as usize * PAGE];
    src.read_at(0, &mut slots)?;
    let first_block = slot_pages * PAGE as u64 / BLOCK;
    for (i, slot) in slots.chunks_exact(SLOT).enumerate().skip(32 / SLOT) {
        if &slot[..4] != SLOT_MAGIC {
            return err(format!("ndb: slot {i} is damaged"));
        }
        let (index, offset, blocks) = (
            le32(slot, 4).unwrap_or(0),
            le32(slot, 8).unwrap_or(0),
            le32(slot, 12).unwrap_or(0),
        );
        if offset == 0 {
            continue; // a free slot
        }
        let (offset, blocks) = (offset as u64, blocks as u64);
        if index == 0 || offset < first_block || (offset + blocks) * BLOCK > size {
            return err(format!("ndb: slot {i} points outside the database"));
        }
        if out.len() >= MAX_PACKAGES {
            return err(format!("ndb: more than {MAX_PACKAGES} packages"));
        }
        out.push(blob(src, index, offset * BLOCK, blocks * BLOCK)?);
    }
    Ok(())
}

fn blob<S: Source>(src: &mut S, index: u32, at: u64, span: u64) -> Result<Vec<u8>, Error> {
    let mut head = [0u8; HEAD];
    src.read_at(at, &mut head)?;
    let len = le32(&head, 12).unwrap_or(0) as usize;
    if &head[..4] != HEAD_MAGIC || le32(&head, 4) != Some(index) {
        return err(format!("ndb: package {index}: bad blob head"));
    }
    let padded = (HEAD + len + TAIL).div_ceil(BLOCK as usize) * BLOCK as usize;
    if len > MAX_BLOB || padded as u64 != span {
        return err(format!(
            "ndb: package {index}: blob length {len} does not match its {span}-byte slot"
        ));
    }
    let mut rest = vec![0u8; padded - HEAD];
    src.read_at(at + HEAD as u64, &mut rest)?;
    let tail = &rest[rest.len() - TAIL..];
    if &tail[8..] != TAIL_MAGIC || le32(tail, 4) != Some(len as u32) {
        return err(format!("ndb: package {index}: bad blob tail"));
    }
    let body = &rest[..rest.len() - TAIL];
    if le32(tail, 0) != Some(adler32(&[&head, body])) {
        return err(format!("ndb: package {index}: checksum mismatch"));
    }
    Ok(body[..len].to_vec())
}

/// Adler-32 (RFC 1950), as rpm computes it over a blob.
fn adler32(parts: &[&[u8]]) -> u32 {
    let (mut a, mut b) = (1u32, 0u32);
    for part in parts {
        for chunk in part.chunks(5552) {
            for x in chunk {
                a += *x as u32;
                b += a;
            }
            a %= 65521;
            b %= 65521;
        }
    }
    (b << 16) | a
}

#[cfg(test)]
mod tests {
    #[test]
    fn adler32_matches_rfc_1950() {
        // "Wikipedia" → 0x11E60398, the RFC's worked example.
        assert_eq!(super::adler32(&[b"Wiki", b"pedia"]), 0x11E6_0398);
    }
}
