//! Kubernetes manifests written as JSON (what `kubectl get -o json` prints
//! and what many generators write), read into the same tree as YAML ones so
//! that the same checks judge them and findings point at lines.
//!
//! serde_json decides whether the text is JSON (and refuses nesting deeper
//! than 128 levels); a second pass over the now known-valid text records
//! the line where each value starts, which serde_json does not keep. That
//! pass is iterative; serde_json recurses, but no deeper than its limit.

use super::{Error, Node, Value};

/// The document, when `text` is a JSON object; `Ok(None)` for other JSON
/// values; `Err` when it is not JSON, or nests past serde_json's limit.
pub fn parse(text: &str) -> Result<Option<Node>, Error> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    // (serde_json's tree is dropped before the one with lines is built.)
    if !serde_json::from_str::<serde_json::Value>(text)?.is_object() {
        return Ok(None);
    }
    Ok(Some(tree(text)))
}

enum Frame {
    Seq(Node),
    Map(Node, Option<Node>),
}

/// The tree of a valid JSON text, with lines.
fn tree(text: &str) -> Node {
    let bytes = text.as_bytes();
    let mut stack: Vec<Frame> = Vec::new();
    let mut root = None;
    let (mut i, mut line) = (0, 1u32);
    while i < bytes.len() {
        let node = match bytes[i] {
            b'\n' => {
                line += 1;
                i += 1;
                continue;
            }
            b'{' | b'[' => {
                let value = if bytes[i] == b'{' {
                    Value::Map(Vec::new())
                } else {
                    Value::Seq(Vec::new())
                };
                let node = Node {
                    line,
                    value,
                    origin: 0,
                };
                stack.push(if bytes[i] == b'{' {
                    Frame::Map(node, None)
                } else {
                    Frame::Seq(node)
                });
                i += 1;
                continue;
            }
            b'}' | b']' => {
                i += 1;
                match stack.pop() {
                    Some(Frame::Seq(n)) | Some(Frame::Map(n, _)) => n,
                    None => continue,
                }
            }
            b'"' => {
                // A string holds no raw line break; `\"` does not end it.
                let mut end = i + 1;
                while end < bytes.len() && bytes[end] != b'"' {
                    end += if bytes[end] == b'\\' { 2 } else { 1 };
                }
                let end = end.min(bytes.len() - 1);
                let s: String = serde_json::from_str(&text[i..=end]).unwrap_or_default();
                i = end + 1;
                Node {
                    line,
                    origin: 0,
                    value: Value::Scalar(s, false),
                }
            }
            b if b.is_ascii_whitespace() || b == b',' || b == b':' => {
                i += 1;
                continue;
            }
            // A number, true, false or null: unquoted, as in YAML.
            _ => {
                let start = i;
                while i < bytes.len()
                    && !matches!(bytes[i], b',' | b'}' | b']' | b':')
                    && !bytes[i].is_ascii_whitespace()
                {
                    i += 1;
                }
                Node {
                    line,
                    origin: 0,
                    value: Value::Scalar(text[start..i].to_string(), true),
                }
            }
        };
        match stack.last_mut() {
            None => root = Some(node),
            Some(Frame::Seq(Node {
                value: Value::Seq(items),
                ..
            })) => items.push(node),
            Some(Frame::Map(
                Node {
                    value: Value::Map(entries),
                    ..
                },
                key,
            )) => match key.take() {
                None => *key = Some(node),
                Some(k) => entries.push((k, node)),
            },
            Some(_) => unreachable!("frames hold the collection they are named for"),
        }
    }
    root.unwrap_or(Node {
        line: 1,
        origin: 0,
        value: Value::Map(Vec::new()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_lines_and_escapes() {
        let doc = parse("{\n  \"a\": [1, true, \"x\\\"y\\u0041\"],\n  \"b\": {\"c\": null}\n}\n")
            .unwrap()
            .unwrap();
        let a = doc.get("a").unwrap();
        assert_eq!(a.line, 2);
        assert_eq!(a.items()[0].as_i64(), Some(1));
        assert_eq!(a.items()[1].as_bool(), Some(true));
        assert_eq!(a.items()[2].as_str(), Some("x\"yA"));
        assert_eq!(doc.path(&["b", "c"]).unwrap().line, 3);
        // Quoted, "true" is a string, as Kubernetes' decoder reads it.
        let doc = parse("{\"p\": \"true\"}").unwrap().unwrap();
        assert_eq!(doc.get("p").unwrap().as_bool(), None);
        assert_eq!(parse("[1, 2]"), Ok(None));
        assert!(matches!(parse("{\"a\": }"), Err(Error::Syntax(_))));
        // Escaped names are the same names to the API server.
        let doc = parse("{\"\\u0061piVersion\": \"v1\", \"kind\": \"Pod\"}")
            .unwrap()
            .unwrap();
        assert_eq!(doc.get("apiVersion").and_then(Node::as_str), Some("v1"));
    }

    #[test]
    fn deep_nesting_is_refused_by_the_json_reader() {
        let deep = "[".repeat(100_000) + &"]".repeat(100_000);
        let err = std::thread::Builder::new()
            .stack_size(256 << 10)
            .spawn(move || parse(&format!("{{\"a\": {deep}}}")))
            .unwrap()
            .join()
            .unwrap()
            .unwrap_err();
        match err {
            Error::Limit(e) => assert!(e.contains("nested deeper than 128"), "{e}"),
            other => panic!("{other:?}"),
        }
    }
}
