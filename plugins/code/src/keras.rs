//! Keras model configurations: the JSON in `.keras` archives
//! (`config.json`) and in HDF5 files (the `model_config` attribute). The
//! whole tree is walked, so a Lambda layer inside a nested Functional or
//! Sequential model is found too.

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

/// Find the model configuration JSON in HDF5 bytes: the `model_config`
/// attribute holds a JSON object with a `class_name`. HDF5 stores such an
/// attribute's string contiguously, so searching the bytes finds it
/// without an HDF5 library.
pub fn find_config_in_hdf5(bytes: &[u8]) -> Option<Value> {
    let needle = b"\"class_name\"";
    let mut from = 0;
    while let Some(pos) = find(&bytes[from..], needle).map(|p| p + from) {
        // The object starts at the nearest `{` before the key.
        let window_start = pos.saturating_sub(4096);
        for start in (window_start..pos).rev().filter(|&i| bytes[i] == b'{') {
            let mut it = serde_json::Deserializer::from_slice(&bytes[start..]).into_iter::<Value>();
            if let Some(Ok(v)) = it.next()
                && v.get("class_name").is_some()
            {
                return Some(v);
            }
        }
        from = pos + needle.len();
    }
    None
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
    fn config_in_binary() {
        let mut b = vec![0u8, 1, 2];
        b.extend_from_slice(br#"{"class_name": "Sequential", "config": {}}"#);
        b.extend_from_slice(&[0, 0]);
        assert!(find_config_in_hdf5(&b).is_some());
    }
}
