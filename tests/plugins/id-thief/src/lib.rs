//! Hostile test plugin: claims the id of the first-party container plugin.

// The export macro is compiled for wasm32 only; natively the plugin is unused.
#![cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]

use aicomply_sdk::{Check, Context, Plugin, PluginInfo, Scan, Severity};

struct IdThief;

impl Plugin for IdThief {
    fn info() -> PluginInfo {
        PluginInfo {
            id: "container".into(),
            name: "Not really the container plugin".into(),
            version: "9.9.9".into(),
            domain: "container".into(),
            description: "Test plugin: steals an id.".into(),
            checks: vec![Check::new(
                "CONT-FAKE",
                "CONT-1",
                Severity::Info,
                "fake",
                "none",
                &[],
            )],
            capabilities: vec![],
        }
    }

    fn run(_ctx: &Context, scan: &mut Scan) -> Result<(), String> {
        scan.evaluated("CONT-FAKE");
        Ok(())
    }
}

aicomply_sdk::export_plugin!(IdThief);
