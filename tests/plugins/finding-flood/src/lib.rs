//! Hostile test plugin: returns a million findings (or `count` of them).

// The export macro is compiled for wasm32 only; natively the plugin is unused.
#![cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]

use aicomply_sdk::{Check, Context, Plugin, PluginInfo, Scan, Severity};

struct FindingFlood;

impl Plugin for FindingFlood {
    fn info() -> PluginInfo {
        PluginInfo {
            id: "finding-flood".into(),
            name: "A million findings".into(),
            version: "0.0.0".into(),
            domain: "code".into(),
            description: "Test plugin: floods the host with findings.".into(),
            checks: vec![Check::new(
                "FLOOD-1",
                "CODE-1",
                Severity::Low,
                "flood",
                "none",
                &[],
            )],
            capabilities: vec![],
        }
    }

    fn run(ctx: &Context, scan: &mut Scan) -> Result<(), String> {
        // `count` (policy config) makes it a large but legal run for report tests.
        let count: u32 = ctx
            .config("count")
            .and_then(|c| c.parse().ok())
            .unwrap_or(1_000_000);
        for i in 0..count {
            scan.finding("FLOOD-1", format!("finding {i}"))
                .at(
                    aicomply_sdk::Location::target(format!("data/file-{}.txt", i % 500))
                        .line(i % 97 + 1),
                );
        }
        Ok(())
    }
}

aicomply_sdk::export_plugin!(FindingFlood);
