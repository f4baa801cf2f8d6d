//! GGUF (llama.cpp) validation: header, key/value metadata and tensor
//! descriptors must be well formed and stay inside the file. GGUF carries
//! no code; a malformed file is reported as invalid, never as clean.

use std::io::Read;

use crate::input::Input;

pub const MAGIC: &[u8] = b"GGUF";

/// Strings longer than this in metadata are implausible.
const MAX_STRING: u64 = 64 << 20;

pub fn validate<R: Read>(reader: R, file_len: u64) -> Result<(u64, u64), String> {
    let mut r = Input::new(reader);
    let e = |err: crate::input::ReadError| err.to_string();
    if r.array::<4>().map_err(e)? != *b"GGUF" {
        return Err("no GGUF magic".into());
    }
    let version = u32::from_le_bytes(r.array::<4>().map_err(e)?);
    if !(1..=3).contains(&version) {
        return Err(format!("unknown GGUF version {version}"));
    }
    let tensors = u64::from_le_bytes(r.array::<8>().map_err(e)?);
    let kvs = u64::from_le_bytes(r.array::<8>().map_err(e)?);
    // Each key/value takes at least 12 bytes and each tensor 24.
    if kvs.saturating_mul(12) > file_len || tensors.saturating_mul(24) > file_len {
        return Err(format!(
            "{kvs} metadata entries and {tensors} tensors cannot fit in {file_len} bytes"
        ));
    }
    let string = |r: &mut Input<R>| -> Result<(), String> {
        let n = u64::from_le_bytes(r.array::<8>().map_err(e)?);
        if n > MAX_STRING || n > file_len {
            return Err(format!("string of {n} bytes"));
        }
        r.skip(n).map_err(e)
    };
    fn value<R: Read>(
        r: &mut Input<R>,
        ty: u32,
        depth: u32,
        string: &dyn Fn(&mut Input<R>) -> Result<(), String>,
        file_len: u64,
    ) -> Result<(), String> {
        let e = |err: crate::input::ReadError| err.to_string();
        let fixed = match ty {
            0 | 1 | 7 => 1,
            2 | 3 => 2,
            4..=6 => 4,
            10..=12 => 8,
            8 => return string(r),
            9 => {
                if depth > 4 {
                    return Err("arrays nested too deep".into());
                }
                let inner = u32::from_le_bytes(r.array::<4>().map_err(e)?);
                let n = u64::from_le_bytes(r.array::<8>().map_err(e)?);
                if n > file_len {
                    return Err(format!("array of {n} items"));
                }
                for _ in 0..n {
                    value(r, inner, depth + 1, string, file_len)?;
                }
                return Ok(());
            }
            other => return Err(format!("unknown metadata type {other}")),
        };
        r.skip(fixed).map_err(e)
    }
    for _ in 0..kvs {
        string(&mut r)?;
        let ty = u32::from_le_bytes(r.array::<4>().map_err(e)?);
        value(&mut r, ty, 0, &string, file_len)?;
    }
    for _ in 0..tensors {
        string(&mut r)?;
        let dims = u32::from_le_bytes(r.array::<4>().map_err(e)?);
        if dims > 8 {
            return Err(format!("tensor with {dims} dimensions"));
        }
        r.skip(8 * dims as u64).map_err(e)?;
        r.skip(4 + 8).map_err(e)?;
    }
    if r.offset() > file_len {
        return Err("descriptors run past the end of the file".into());
    }
    Ok((tensors, kvs))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One key whose value is an array of arrays ..., `levels` deep.
    fn nested_arrays(levels: usize) -> Vec<u8> {
        let mut b = b"GGUF".to_vec();
        b.extend(3u32.to_le_bytes());
        b.extend(0u64.to_le_bytes());
        b.extend(1u64.to_le_bytes());
        b.extend(1u64.to_le_bytes());
        b.push(b'k');
        b.extend(9u32.to_le_bytes());
        for _ in 1..levels {
            b.extend(9u32.to_le_bytes());
            b.extend(1u64.to_le_bytes());
        }
        // The innermost: one u8.
        b.extend(0u32.to_le_bytes());
        b.extend(1u64.to_le_bytes());
        b.push(0);
        b
    }

    #[test]
    fn arrays_nest_only_as_deep_as_the_limit() {
        let check = |b: Vec<u8>| {
            std::thread::Builder::new()
                .stack_size(256 << 10)
                .spawn(move || validate(&b[..], b.len() as u64).map(|_| ()))
                .unwrap()
                .join()
                .expect("validation did not panic")
        };
        assert_eq!(check(nested_arrays(5)), Ok(()));
        assert_eq!(
            check(nested_arrays(100_000)),
            Err("arrays nested too deep".to_string())
        );
    }
}
