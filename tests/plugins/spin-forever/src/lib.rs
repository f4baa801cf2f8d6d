//! Hostile test plugin: never returns from `run`. The host's deadline must
//! stop it and report it as errored.

// The export macro is compiled for wasm32 only; natively the plugin is unused.
#![cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]

use aicomply_sdk::{Check, Context, Plugin, PluginInfo, Scan, Severity};

struct SpinForever;

impl Plugin for SpinForever {
    fn info() -> PluginInfo {
        PluginInfo {
            id: "spin-forever".into(),
            name: "Infinite loop".into(),
            version: "0.0.0".into(),
            domain: "code".into(),
            description: "Test plugin: loops forever.".into(),
            checks: vec![Check::new(
                "SPIN-1",
                "CODE-1",
                Severity::Low,
                "never finishes",
                "none",
                &[],
            )],
            capabilities: vec![],
        }
    }

    fn run(_ctx: &Context, _scan: &mut Scan) -> Result<(), String> {
        let mut n: u64 = 0;
        loop {
            // black_box keeps the optimiser from proving the loop useless.
            n = std::hint::black_box(n.wrapping_add(1));
        }
    }
}

aicomply_sdk::export_plugin!(SpinForever);
