//! Hostile test plugin: recurses without bound.

// The export macro is compiled for wasm32 only; natively the plugin is unused.
#![cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]

use aicomply_sdk::{Check, Context, Plugin, PluginInfo, Scan, Severity};

struct DeepRecursion;

#[allow(unconditional_recursion)]
fn descend(depth: u64) -> u64 {
    // black_box keeps the call from becoming a loop.
    let frame = std::hint::black_box([depth; 16]);
    descend(depth + 1) + frame[3]
}

impl Plugin for DeepRecursion {
    fn info() -> PluginInfo {
        PluginInfo {
            id: "deep-recursion".into(),
            name: "Unbounded recursion".into(),
            version: "0.0.0".into(),
            domain: "code".into(),
            description: "Test plugin: recurses forever.".into(),
            checks: vec![Check::new(
                "DEEP-1",
                "CODE-1",
                Severity::Info,
                "recursion",
                "none",
                &[],
            )],
            capabilities: vec![],
        }
    }

    fn run(_ctx: &Context, scan: &mut Scan) -> Result<(), String> {
        let d = descend(std::hint::black_box(0));
        scan.finding("DEEP-1", format!("reached {d}"));
        Ok(())
    }
}

aicomply_sdk::export_plugin!(DeepRecursion);
