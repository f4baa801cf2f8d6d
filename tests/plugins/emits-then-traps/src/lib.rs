//! Hostile test plugin: hands three findings over, then panics, as a
//! plugin does that meets a hostile file halfway through a tree. What it
//! handed over must reach the report beside its error.

// The export macro is compiled for wasm32 only; natively the plugin is unused.
#![cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]

use aicomply_sdk::{Check, Context, Location, Plugin, PluginInfo, Scan, Severity};

struct EmitsThenTraps;

impl Plugin for EmitsThenTraps {
    fn info() -> PluginInfo {
        PluginInfo {
            id: "emits-then-traps".into(),
            name: "Fails halfway".into(),
            version: "0.0.0".into(),
            domain: "code".into(),
            description: "Test plugin: findings, then a trap.".into(),
            checks: vec![
                Check::new(
                    "HALF-1",
                    "CODE-1",
                    Severity::Medium,
                    "found before the trap",
                    "none",
                    &[],
                ),
                Check::new(
                    "HALF-2",
                    "CODE-2",
                    Severity::Medium,
                    "never reached",
                    "none",
                    &[],
                ),
            ],
            capabilities: vec![],
        }
    }

    fn run(_ctx: &Context, scan: &mut Scan) -> Result<(), String> {
        for i in 1..=3 {
            scan.finding("HALF-1", format!("file {i} of the tree"))
                .at(Location::target(format!("data/file-{i}.txt")));
            scan.checkpoint();
        }
        panic!("a hostile file halfway through the tree");
    }
}

aicomply_sdk::export_plugin!(EmitsThenTraps);
