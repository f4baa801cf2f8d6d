//! Hostile test plugin: returns one finding with a 100 MB message.

// The export macro is compiled for wasm32 only; natively the plugin is unused.
#![cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]

use aicomply_sdk::{Check, Context, Plugin, PluginInfo, Scan, Severity};

struct HugeMessage;

impl Plugin for HugeMessage {
    fn info() -> PluginInfo {
        PluginInfo {
            id: "huge-message".into(),
            name: "A 100 MB message".into(),
            version: "0.0.0".into(),
            domain: "code".into(),
            description: "Test plugin: one enormous string.".into(),
            checks: vec![Check::new(
                "HUGE-1",
                "CODE-1",
                Severity::Low,
                "huge",
                "none",
                &[],
            )],
            capabilities: vec![],
        }
    }

    fn run(_ctx: &Context, scan: &mut Scan) -> Result<(), String> {
        scan.finding("HUGE-1", "A".repeat(100 * 1000 * 1000));
        Ok(())
    }
}

aicomply_sdk::export_plugin!(HugeMessage);
