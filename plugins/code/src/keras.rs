//! Keras model configurations: the JSON in `.keras` archives
//! (`config.json`) and in HDF5 files (the `model_config` attribute). The
//! whole tree is walked, so a Lambda layer inside a nested Functional or
//! Sequential model is found too.

use std::cell::Cell;

use serde_json::Value;

/// What in a model configuration carries code.
#[derive(Debug, PartialEq)]
pub struct CodeLayer {
    /// `Lambda`, or the foreign module a class comes from.
    pub what: String,
    /// The layer's name, for the report.
    pub layer: String,
}

/// Modules whose layers Keras itself provides.
fn keras_module(m: &str) -> bool {
    ["keras", "tf_keras", "tensorflow", "tensorflow.keras"]
        .iter()
        .any(|k| m == *k || m.starts_with(&format!("{k}.")))
}

pub fn code_layers(config: &Value) -> Vec<CodeLayer> {
    let mut out = Vec::new();
    walk(config, 0, &mut out);
    out
}

fn walk(v: &Value, depth: usize, out: &mut Vec<CodeLayer>) {
    if depth > 256 {
        return;
    }
    match v {
        Value::Object(map) => {
            let name = map
                .get("config")
                .and_then(|c| c.get("name"))
                .and_then(Value::as_str)
                .unwrap_or("?")
                .to_string();
            if let Some(class) = map.get("class_name").and_then(Value::as_str) {
                if class == "Lambda" {
                    out.push(CodeLayer {
                        what: "Lambda".into(),
                        layer: name.clone(),
                    });
                } else if class == "__lambda__" {
                    out.push(CodeLayer {
                        what: "Lambda".into(),
                        layer: "a serialized lambda function".into(),
                    });
                }
                if let Some(module) = map.get("module").and_then(Value::as_str)
                    && !keras_module(module)
                    && !module.is_empty()
                {
                    out.push(CodeLayer {
                        what: module.to_string(),
                        layer: format!("{name} ({class})"),
                    });
                }
            }
            for child in map.values() {
                walk(child, depth + 1, out);
            }
        }
        Value::Array(items) => items.iter().for_each(|i| walk(i, depth + 1, out)),
        _ => {}
    }
}

/// JSON parsed per file while searching, across all attempts. Every
/// `"class_name"` key is tried with each `{` before it, and a file can put
/// such a key every few bytes after `{`s that open objects running to its
/// end; each start is parsed once, and this bounds what those parses read
/// (twice the 64 MiB searched: a real config is found by the first parse
/// that reaches it).
pub const SEARCH_BUDGET: u64 = 128 << 20;

/// Find the model configuration JSON in HDF5 bytes: the `model_config`
/// attribute holds a JSON object with a `class_name`. HDF5 stores such an
/// attribute's string contiguously, so searching the bytes finds it
/// without an HDF5 library. `Err` when the search used up its budget.
pub fn find_config_in_hdf5(bytes: &[u8]) -> Result<Option<Value>, String> {
    find_config_within(bytes, SEARCH_BUDGET)
}

fn find_config_within(bytes: &[u8], budget: u64) -> Result<Option<Value>, String> {
    let needle = b"\"class_name\"";
    let left = Cell::new(budget);
    let mut from = 0;
    // Every `{` before this was tried for an earlier key, and failed.
    let mut tried_below = 0;
    while let Some(pos) = find(&bytes[from..], needle).map(|p| p + from) {
        // The object starts at the nearest `{` before the key.
        let window_start = pos.saturating_sub(4096).max(tried_below);
        for start in (window_start..pos).rev().filter(|&i| bytes[i] == b'{') {
            let reader = Budgeted {
                bytes: &bytes[start..],
                left: &left,
            };
            let mut it = serde_json::Deserializer::from_reader(reader).into_iter::<Value>();
            if let Some(Ok(v)) = it.next()
                && v.get("class_name").is_some()
            {
                return Ok(Some(v));
            }
            if left.get() == 0 {
                return Err(format!(
                    "the search for a model_config stopped after parsing {budget} bytes as JSON"
                ));
            }
        }
        tried_below = pos;
        from = pos + needle.len();
    }
    Ok(None)
}

/// Reads `bytes` until the shared budget is spent, then ends.
struct Budgeted<'a> {
    bytes: &'a [u8],
    left: &'a Cell<u64>,
}

impl std::io::Read for Budgeted<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = buf
            .len()
            .min(self.bytes.len())
            .min(self.left.get() as usize);
        buf[..n].copy_from_slice(&self.bytes[..n]);
        self.bytes = &self.bytes[n..];
        self.left.set(self.left.get() - n as u64);
        Ok(n)
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_nested_lambdas_and_foreign_modules() {
        let cfg: Value = serde_json::from_str(r#"{"class_name":"Sequential","module":"keras","config":{"layers":[
            {"class_name":"Dense","module":"keras.layers","config":{"name":"d"}},
            {"class_name":"Functional","config":{"layers":[{"class_name":"Lambda","config":{"name":"l"}}]}},
            {"class_name":"X","module":"evil.mod","config":{"name":"x"}}]}}"#).unwrap();
        let found = code_layers(&cfg);
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].what, "Lambda");
        assert_eq!(found[1].what, "evil.mod");
    }

    #[test]
    fn configs_nested_to_the_json_limit_stay_within_a_small_stack() {
        // Lambda inside Sequential inside ...: three JSON levels each, 42
        // of them (126 levels, within serde_json's 128).
        let nest = |levels: usize| {
            let mut text = String::new();
            for _ in 0..levels {
                text.push_str(r#"{"class_name":"Lambda","config":{"name":"l","layers":["#);
            }
            text.push_str(&"]}}".repeat(levels));
            text
        };
        // Half the wasm stack: unoptimised, serde_json takes some 2 KiB a
        // level (optimised, under 512 bytes), so its 128 levels alone fill
        // most of the quarter the other small-stack tests use.
        let walk = |text: String| {
            std::thread::Builder::new()
                .stack_size(512 << 10)
                .spawn(move || {
                    let found = find_config_in_hdf5(text.as_bytes());
                    found.map(|c| c.map(|c| code_layers(&c).len()))
                })
                .unwrap()
                .join()
                .expect("the search did not panic")
        };
        assert_eq!(walk(nest(42)), Ok(Some(42)));
        // Deeper, serde_json refuses every start but those of the innermost
        // 42 levels, and the first of them is the config found.
        assert_eq!(walk(nest(10_000)), Ok(Some(42)));
    }

    #[test]
    fn config_in_binary() {
        let mut b = vec![0u8, 1, 2];
        b.extend_from_slice(br#"{"class_name": "Sequential", "config": {}}"#);
        b.extend_from_slice(&[0, 0]);
        assert!(find_config_in_hdf5(&b).unwrap().is_some());
    }

    /// `{` then a `"class_name"` key every few bytes, in an object that
    /// runs to the end of the data and never closes.
    fn unclosed(tail_pairs: usize) -> Vec<u8> {
        let mut b = b"\x00\x01{".to_vec();
        for _ in 0..250 {
            b.extend_from_slice(br#""class_name":0,"#);
        }
        for _ in 0..tail_pairs {
            b.extend_from_slice(br#""k":0,"#);
        }
        b
    }

    #[test]
    fn each_start_is_parsed_once() {
        // Parsing from the `{` again for each key read the 6 MB tail 250
        // times over.
        let b = unclosed(1_000_000);
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || tx.send(find_config_in_hdf5(&b)));
        let found = rx
            .recv_timeout(std::time::Duration::from_secs(20))
            .expect("searched within 20 s");
        assert_eq!(found, Ok(None));
    }

    #[test]
    fn the_search_has_a_budget() {
        let b = unclosed(200_000);
        let err = find_config_within(&b, 100_000).unwrap_err();
        assert!(err.contains("100000 bytes"), "{err}");
        // A config found within it is returned.
        let mut b = vec![0u8; 1000];
        b.extend_from_slice(br#"{"class_name": "Sequential", "config": {}}"#);
        assert!(find_config_within(&b, 1000).unwrap().is_some());
    }
}
