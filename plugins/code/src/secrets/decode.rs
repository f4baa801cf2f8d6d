//! File bytes to text, keeping line numbers: UTF-8 (with or without a
//! byte-order mark), UTF-16 (either byte order, with a mark or recognised
//! by its zero bytes), and anything else byte by byte, where bytes that are
//! not UTF-8 are read as Latin-1. Every decoding keeps each line break, so a
//! line in the text is the same line in the raw file.

use std::borrow::Cow;

/// How much of the start of a file decides whether it is text.
const SNIFF: usize = 8 << 10;

/// The file as text, or `None` for a binary file.
pub fn decode(bytes: &[u8]) -> Option<Cow<'_, str>> {
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return Some(utf8_or_latin1(rest));
    }
    if let Some(rest) = bytes.strip_prefix(b"\xFF\xFE") {
        return Some(Cow::Owned(utf16(rest, false)));
    }
    if let Some(rest) = bytes.strip_prefix(b"\xFE\xFF") {
        return Some(Cow::Owned(utf16(rest, true)));
    }
    let head = &bytes[..bytes.len().min(SNIFF)];
    if let Some(big_endian) = utf16_without_mark(head) {
        return Some(Cow::Owned(utf16(bytes, big_endian)));
    }
    if is_binary(head) {
        return None;
    }
    Some(utf8_or_latin1(bytes))
}

/// Whether the first bytes look like a binary file: a zero byte (no text
/// encoding but UTF-16/32 has one, and those were tried first), or many
/// control characters.
pub fn is_binary(head: &[u8]) -> bool {
    if head.contains(&0) {
        return true;
    }
    let control = head
        .iter()
        .filter(|&&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0c | 0x1b))
        .count();
    control * 10 > head.len().max(1)
}

/// UTF-16 without a byte-order mark: ASCII text has a zero in every other
/// byte. Returns whether it is big-endian.
fn utf16_without_mark(head: &[u8]) -> Option<bool> {
    if head.len() < 8 {
        return None;
    }
    let pairs = head.len() / 2;
    let (mut even, mut odd) = (0, 0);
    for pair in head.chunks_exact(2) {
        even += usize::from(pair[0] == 0);
        odd += usize::from(pair[1] == 0);
    }
    // Mostly ASCII text: most high bytes zero, (almost) no low byte zero.
    if odd * 10 >= pairs * 7 && even * 50 <= pairs {
        Some(false)
    } else if even * 10 >= pairs * 7 && odd * 50 <= pairs {
        Some(true)
    } else {
        None
    }
}

fn utf16(bytes: &[u8], big_endian: bool) -> String {
    let units = bytes.chunks_exact(2).map(|p| {
        if big_endian {
            u16::from_be_bytes([p[0], p[1]])
        } else {
            u16::from_le_bytes([p[0], p[1]])
        }
    });
    char::decode_utf16(units)
        .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
        .collect()
}

/// UTF-8 where it is valid; each byte that is not, as the Latin-1
/// character of that value (so a Latin-1 or Windows-1252 file reads as
/// itself, and a UTF-8 file with one stray byte loses nothing else).
pub fn utf8_or_latin1(bytes: &[u8]) -> Cow<'_, str> {
    if let Ok(s) = std::str::from_utf8(bytes) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(bytes.len() + bytes.len() / 8);
    for chunk in bytes.utf8_chunks() {
        out.push_str(chunk.valid());
        out.extend(chunk.invalid().iter().map(|&b| b as char));
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn le(s: &str) -> Vec<u8> {
        s.encode_utf16().flat_map(|u| u.to_le_bytes()).collect()
    }

    #[test]
    fn every_encoding_reads_as_the_same_text() {
        let text = "a = 1\r\npassword = \"x\"\n";
        assert_eq!(decode(text.as_bytes()).unwrap(), text);
        let mut bom = b"\xEF\xBB\xBF".to_vec();
        bom.extend_from_slice(text.as_bytes());
        assert_eq!(decode(&bom).unwrap(), text);
        let mut u16le = vec![0xFF, 0xFE];
        u16le.extend(le(text));
        assert_eq!(decode(&u16le).unwrap(), text);
        assert_eq!(decode(&le(text)).unwrap(), text, "UTF-16LE without a mark");
        let be: Vec<u8> = text.encode_utf16().flat_map(|u| u.to_be_bytes()).collect();
        assert_eq!(decode(&be).unwrap(), text, "UTF-16BE without a mark");
        assert_eq!(decode(b"caf\xe9 = 1\n").unwrap(), "café = 1\n");
    }

    #[test]
    fn binary_files_are_not_text() {
        assert!(decode(b"\x80\x04\x95\x00\x00\x00pickle").is_none());
        assert!(decode(b"PK\x03\x04\x14\x00\x00\x00").is_none());
        assert!(decode(&[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]).is_none());
    }
}
