//! Test plugin built against a plugin contract the host does not speak
//! (`aicomply:plugin/scanner@0.2.0`).

wit_bindgen::generate!({ path: "wit", world: "plugin" });

struct Future;

impl exports::aicomply::plugin::scanner::Guest for Future {
    fn describe() -> String {
        "from the future".into()
    }
}

export!(Future);
