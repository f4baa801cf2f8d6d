//! Hostile test plugin: returns a million findings.

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

    fn run(_ctx: &Context, scan: &mut Scan) -> Result<(), String> {
        for i in 0..1_000_000u32 {
            scan.finding("FLOOD-1", format!("{i}"));
        }
        Ok(())
    }
}

aicomply_sdk::export_plugin!(FindingFlood);
