//! safetensors validation, following the format's specification: an 8-byte
//! little-endian header length, a JSON object header, and a byte buffer
//! that the tensors' offsets must tile exactly.

/// Headers larger than this are refused (the reference loader's limit).
pub const MAX_HEADER: u64 = 100 << 20;

fn dtype_size(dtype: &str) -> Option<u64> {
    Some(match dtype {
        "BOOL" | "U8" | "I8" | "F8_E5M2" | "F8_E4M3" | "F8_E8M0" => 1,
        "I16" | "U16" | "F16" | "BF16" => 2,
        "I32" | "U32" | "F32" => 4,
        "I64" | "U64" | "F64" | "C64" => 8,
        _ => return None,
    })
}

/// Does the file start like safetensors (a plausible header length, then `{`)?
pub fn sniff(head: &[u8], file_len: u64) -> bool {
    head.len() >= 9 && head[8] == b'{' && {
        let n = u64::from_le_bytes(head[..8].try_into().expect("8 bytes"));
        n >= 2 && n <= file_len.saturating_sub(8)
    }
}

/// Validate a header (the JSON bytes) against the data size that follows it.
/// Returns the number of tensors.
pub fn validate(header_len: u64, file_len: u64, header: &[u8]) -> Result<usize, String> {
    if header_len > MAX_HEADER {
        return Err(format!(
            "header of {header_len} bytes is over the {MAX_HEADER}-byte limit"
        ));
    }
    if 8 + header_len > file_len {
        return Err(format!(
            "header length {header_len} goes past the end of the {file_len}-byte file"
        ));
    }
    let data_len = file_len - 8 - header_len;
    let value: serde_json::Value =
        serde_json::from_slice(header).map_err(|e| format!("header is not JSON: {e}"))?;
    let obj = value.as_object().ok_or("header is not a JSON object")?;
    let mut spans = Vec::new();
    for (name, info) in obj {
        if name == "__metadata__" {
            let meta = info.as_object().ok_or("__metadata__ is not an object")?;
            if let Some((k, _)) = meta.iter().find(|(_, v)| !v.is_string()) {
                return Err(format!("__metadata__ value {k:?} is not a string"));
            }
            continue;
        }
        let t = info
            .as_object()
            .ok_or_else(|| format!("tensor {name:?} is not an object"))?;
        let dtype = t
            .get("dtype")
            .and_then(|d| d.as_str())
            .ok_or_else(|| format!("tensor {name:?} has no dtype"))?;
        let size = dtype_size(dtype)
            .ok_or_else(|| format!("tensor {name:?} has unknown dtype {dtype:?}"))?;
        let shape = t
            .get("shape")
            .and_then(|s| s.as_array())
            .ok_or_else(|| format!("tensor {name:?} has no shape"))?;
        let mut elements: u64 = 1;
        for d in shape {
            let d = d
                .as_u64()
                .ok_or_else(|| format!("tensor {name:?} has a non-integer dimension"))?;
            elements = elements
                .checked_mul(d)
                .ok_or_else(|| format!("tensor {name:?} shape overflows"))?;
        }
        let offsets = t
            .get("data_offsets")
            .and_then(|o| o.as_array())
            .ok_or_else(|| format!("tensor {name:?} has no data_offsets"))?;
        let (begin, end) = match offsets.as_slice() {
            [b, e] => (
                b.as_u64().ok_or("offset is not an integer")?,
                e.as_u64().ok_or("offset is not an integer")?,
            ),
            _ => return Err(format!("tensor {name:?} data_offsets is not [begin, end]")),
        };
        if end < begin {
            return Err(format!("tensor {name:?} ends before it begins"));
        }
        let expected = elements
            .checked_mul(size)
            .ok_or_else(|| format!("tensor {name:?} size overflows"))?;
        if end - begin != expected {
            return Err(format!(
                "tensor {name:?} spans {} bytes, but {dtype} × {shape:?} needs {expected}",
                end - begin,
                shape = shape
                    .iter()
                    .map(|d| d.as_u64().unwrap_or(0))
                    .collect::<Vec<_>>()
            ));
        }
        spans.push((begin, end, name.clone()));
    }
    spans.sort();
    let mut cursor = 0u64;
    for (begin, end, name) in &spans {
        if *begin < cursor {
            return Err(format!("tensor {name:?} overlaps the previous tensor"));
        }
        if *begin > cursor {
            return Err(format!(
                "{} bytes before tensor {name:?} belong to no tensor",
                begin - cursor
            ));
        }
        cursor = *end;
    }
    if cursor != data_len {
        return Err(format!(
            "tensors cover {cursor} bytes of a {data_len}-byte buffer"
        ));
    }
    Ok(spans.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_and_invalid_headers() {
        let h =
            br#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"__metadata__":{"k":"v"}}"#;
        assert_eq!(validate(h.len() as u64, 8 + h.len() as u64 + 8, h), Ok(1));
        assert!(
            validate(h.len() as u64, 8 + h.len() as u64 + 9, h)
                .unwrap_err()
                .contains("cover")
        );
        assert!(validate(1 << 40, 100, h).is_err());
        let h = br#"{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#;
        assert!(
            validate(h.len() as u64, 8 + h.len() as u64 + 8, h)
                .unwrap_err()
                .contains("needs 12")
        );
    }
}
