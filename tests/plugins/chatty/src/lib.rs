//! Hostile test plugin: floods stderr and the host log. The host keeps only
//! what its caps allow and reports the plugin as failed, naming the limit.

// The export macro is compiled for wasm32 only; natively the plugin is unused.
#![cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]

use aicomply_sdk::{Check, Context, LogLevel, Plugin, PluginInfo, Scan, Severity};

struct Chatty;

impl Plugin for Chatty {
    fn info() -> PluginInfo {
        PluginInfo {
            id: "chatty".into(),
            name: "Output flood".into(),
            version: "0.0.0".into(),
            domain: "code".into(),
            description: "Test plugin: writes too much.".into(),
            checks: vec![Check::new(
                "CHATTY-1",
                "CODE-1",
                Severity::Info,
                "chatty",
                "none",
                &[],
            )],
            capabilities: vec![],
        }
    }

    fn run(ctx: &Context, scan: &mut Scan) -> Result<(), String> {
        match ctx.config("flood") {
            Some("log") => {
                for i in 0..100_000 {
                    aicomply_sdk::log(LogLevel::Info, &format!("line {i} {}", "x".repeat(10_000)));
                }
            }
            _ => {
                let line = "y".repeat(1023);
                for _ in 0..10_000 {
                    // A closed pipe (the cap) is the host's business, not ours.
                    let _ = std::io::Write::write_all(&mut std::io::stderr(), line.as_bytes());
                }
            }
        }
        scan.evaluated("CHATTY-1");
        Ok(())
    }
}

aicomply_sdk::export_plugin!(Chatty);
