//! NumPy `.npy` headers, read without NumPy: magic, version, header length
//! and the Python dict literal that describes the array. An object dtype
//! means the array is a pickle, which follows the header.

/// What the header says.
#[derive(Debug, PartialEq)]
pub struct Header {
    /// Bytes from the start of the file to the array data.
    pub data_offset: u64,
    /// The array holds Python objects (a pickle follows).
    pub object: bool,
}

pub const MAGIC: &[u8] = b"\x93NUMPY";

pub fn parse(head: &[u8]) -> Result<Header, String> {
    if !head.starts_with(MAGIC) || head.len() < 10 {
        return Err("not an .npy file".into());
    }
    let major = head[6];
    let (len, start) = match major {
        1 => (u16::from_le_bytes([head[8], head[9]]) as usize, 10),
        2 | 3 => {
            if head.len() < 12 {
                return Err("truncated header".into());
            }
            (
                u32::from_le_bytes([head[8], head[9], head[10], head[11]]) as usize,
                12,
            )
        }
        v => return Err(format!("unknown .npy version {v}")),
    };
    let end = start + len;
    if end > head.len() {
        return Err(format!("header of {len} bytes runs past the data read"));
    }
    let text = std::str::from_utf8(&head[start..end]).map_err(|_| "header is not text")?;
    let text = text.trim_end();
    if !(text.starts_with('{') && text.ends_with('}')) {
        return Err("header is not a dict literal".into());
    }
    for key in ["'descr'", "'fortran_order'", "'shape'"] {
        if !text.contains(key) {
            return Err(format!("header has no {key}"));
        }
    }
    let descr = &text[text.find("'descr'").expect("checked") + 7..];
    let descr = descr
        .trim_start()
        .strip_prefix(':')
        .ok_or("descr has no value")?
        .trim_start();
    let object = if descr.starts_with('\'') || descr.starts_with('"') {
        let q = descr.chars().next().expect("nonempty");
        let body = &descr[1..];
        let close = body.find(q).ok_or("unterminated descr")?;
        body[..close]
            .trim_start_matches(['<', '>', '|', '='])
            .starts_with('O')
    } else if descr.starts_with('[') {
        // Structured dtype: any object field makes it a pickle.
        descr.contains("'O'") || descr.contains("'|O'") || descr.contains("\"O\"")
    } else {
        return Err("descr is neither a string nor a field list".into());
    };
    Ok(Header {
        data_offset: end as u64,
        object,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn npy(dict: &str) -> Vec<u8> {
        let mut v = MAGIC.to_vec();
        v.extend([1, 0]);
        v.extend((dict.len() as u16).to_le_bytes());
        v.extend(dict.as_bytes());
        v
    }

    #[test]
    fn headers() {
        let h = parse(&npy(
            "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }",
        ))
        .unwrap();
        assert!(!h.object);
        assert!(
            parse(&npy(
                "{'descr': '|O', 'fortran_order': False, 'shape': (2,), }"
            ))
            .unwrap()
            .object
        );
        assert!(
            parse(&npy(
                "{'descr': [('a', '<i4'), ('b', '|O')], 'fortran_order': False, 'shape': (2,), }"
            ))
            .unwrap()
            .object
        );
        assert!(parse(&npy("{'descr': <f4 x}")).is_err());
    }
}
