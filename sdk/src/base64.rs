//! Base64 decoding (standard and URL-safe alphabets, padding optional,
//! whitespace ignored), for Kubernetes `Secret` data, JWT headers and
//! values that may encode a placeholder.

/// Decode `input`; `None` when it is not base64.
pub fn decode(input: &[u8], url_safe: bool) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(input.len() * 3 / 4);
    let mut acc: u32 = 0;
    let mut bits = 0;
    let mut padding = false;
    for &c in input {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' if !url_safe => 62,
            b'/' if !url_safe => 63,
            b'-' if url_safe => 62,
            b'_' if url_safe => 63,
            b'=' => {
                padding = true;
                continue;
            }
            b' ' | b'\n' | b'\r' | b'\t' => continue,
            _ => return None,
        };
        if padding {
            return None;
        }
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    // Six leftover bits cannot come from whole bytes.
    (bits != 6).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::decode;

    #[test]
    fn decodes_with_and_without_padding() {
        assert_eq!(decode(b"aHVudGVyMg==", false).unwrap(), b"hunter2");
        assert_eq!(decode(b"aHVudGVyMg", false).unwrap(), b"hunter2");
        assert_eq!(
            decode(b"eyJhbGciOiJIUzI1NiJ9", true).unwrap(),
            br#"{"alg":"HS256"}"#
        );
        assert!(decode(b"not base64!", false).is_none());
    }
}
