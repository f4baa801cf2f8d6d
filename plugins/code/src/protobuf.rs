//! Just enough protobuf to read what matters in TensorFlow SavedModels
//! (operation names) and ONNX models (external data locations), without
//! their schemas or libraries. Hand-written: the wire format is small, and
//! a walker with depth and size limits is easy to keep safe.

/// One field of a message.
pub enum Field<'a> {
    Varint(u64),
    Bytes(&'a [u8]),
    Fixed,
}

/// Iterate over the fields of a message; `Err` on malformed input.
pub fn fields(mut buf: &[u8]) -> impl Iterator<Item = Result<(u32, Field<'_>), String>> {
    std::iter::from_fn(move || {
        if buf.is_empty() {
            return None;
        }
        let r = (|| {
            let key = varint(&mut buf)?;
            let num = (key >> 3) as u32;
            let field = match key & 7 {
                0 => Field::Varint(varint(&mut buf)?),
                1 => {
                    take(&mut buf, 8)?;
                    Field::Fixed
                }
                2 => {
                    let n = varint(&mut buf)?;
                    Field::Bytes(take(&mut buf, n)?)
                }
                5 => {
                    take(&mut buf, 4)?;
                    Field::Fixed
                }
                w => return Err(format!("unsupported wire type {w}")),
            };
            Ok((num, field))
        })();
        if r.is_err() {
            buf = &[];
        }
        Some(r)
    })
}

fn varint(buf: &mut &[u8]) -> Result<u64, String> {
    let mut v = 0u64;
    for i in 0..10 {
        let (&b, rest) = buf.split_first().ok_or("truncated varint")?;
        *buf = rest;
        v |= ((b & 0x7f) as u64) << (7 * i);
        if b & 0x80 == 0 {
            return Ok(v);
        }
    }
    Err("varint too long".into())
}

fn take<'a>(buf: &mut &'a [u8], n: u64) -> Result<&'a [u8], String> {
    if n > buf.len() as u64 {
        return Err("field runs past the message".into());
    }
    let (head, rest) = buf.split_at(n as usize);
    *buf = rest;
    Ok(head)
}

/// Submessages of field `num`.
fn sub(msg: &[u8], num: u32) -> Result<Vec<&[u8]>, String> {
    let mut out = Vec::new();
    for f in fields(msg) {
        if let (n, Field::Bytes(b)) = f?
            && n == num
        {
            out.push(b);
        }
    }
    Ok(out)
}

fn string_field(msg: &[u8], num: u32) -> Result<Option<String>, String> {
    Ok(sub(msg, num)?
        .first()
        .map(|b| String::from_utf8_lossy(b).into_owned()))
}

/// Operation names of a SavedModel: every node of every meta graph and
/// every function in its library.
pub fn saved_model_ops(pb: &[u8]) -> Result<Vec<String>, String> {
    let mut ops = Vec::new();
    let mut any_graph = false;
    for meta in sub(pb, 2)? {
        for graph in sub(meta, 2)? {
            any_graph = true;
            for node in sub(graph, 1)? {
                if let Some(op) = string_field(node, 2)? {
                    ops.push(op);
                }
            }
            for library in sub(graph, 2)? {
                for function in sub(library, 1)? {
                    for node in sub(function, 3)? {
                        if let Some(op) = string_field(node, 2)? {
                            ops.push(op);
                        }
                    }
                }
            }
        }
    }
    if !any_graph {
        return Err("no meta graph with a graph definition".into());
    }
    Ok(ops)
}

/// External data locations of an ONNX model's tensors, including those in
/// subgraphs of node attributes.
pub fn onnx_external_locations(model: &[u8]) -> Result<Vec<String>, String> {
    let mut has_graph = false;
    let mut out = Vec::new();
    for f in fields(model) {
        if let (7, Field::Bytes(graph)) = f? {
            has_graph = true;
            graph_locations(graph, 0, &mut out)?;
        }
    }
    if !has_graph {
        return Err("no graph".into());
    }
    Ok(out)
}

fn graph_locations(graph: &[u8], depth: u32, out: &mut Vec<String>) -> Result<(), String> {
    if depth > 16 {
        return Err("subgraphs nested too deep".into());
    }
    // initializer (5) and sparse_initializer (15, values/indices are tensors).
    let mut tensors = sub(graph, 5)?;
    for sparse in sub(graph, 15)? {
        tensors.extend(sub(sparse, 1)?);
        tensors.extend(sub(sparse, 2)?);
    }
    for tensor in tensors {
        for entry in sub(tensor, 13)? {
            if string_field(entry, 1)?.as_deref() == Some("location")
                && let Some(v) = string_field(entry, 2)?
            {
                out.push(v);
            }
        }
    }
    for node in sub(graph, 1)? {
        for attr in sub(node, 5)? {
            for g in sub(attr, 6)?.into_iter().chain(sub(attr, 11)?) {
                graph_locations(g, depth + 1, out)?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Field `num` holding `body` (wire type 2).
    fn field(num: u32, body: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        for mut v in [u64::from(num) << 3 | 2, body.len() as u64] {
            while v >= 0x80 {
                out.push(v as u8 | 0x80);
                v >>= 7;
            }
            out.push(v as u8);
        }
        out.extend(body);
        out
    }

    /// A model whose graph holds a node whose attribute holds a graph ...,
    /// `levels` deep, the last with a tensor stored at `../x`.
    fn nested_model(levels: usize) -> Vec<u8> {
        let entry = [field(1, b"location"), field(2, b"../x")].concat();
        let mut graph = field(5, &field(13, &entry));
        for _ in 0..levels {
            graph = field(1, &field(5, &field(6, &graph)));
        }
        field(7, &graph)
    }

    fn on_small_stack(model: Vec<u8>) -> Result<Vec<String>, String> {
        std::thread::Builder::new()
            .stack_size(256 << 10)
            .spawn(move || onnx_external_locations(&model))
            .unwrap()
            .join()
            .expect("the walk did not panic")
    }

    #[test]
    fn subgraphs_nest_only_as_deep_as_the_limit() {
        assert_eq!(
            on_small_stack(nested_model(16)),
            Ok(vec!["../x".to_string()])
        );
        // Each level is a recursion; past 16 the model is invalid.
        assert_eq!(
            on_small_stack(nested_model(10_000)),
            Err("subgraphs nested too deep".to_string())
        );
    }
}
