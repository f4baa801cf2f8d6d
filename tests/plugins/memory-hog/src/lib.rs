//! Hostile test plugin: allocates memory until something stops it.

// The export macro is compiled for wasm32 only; natively the plugin is unused.
#![cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]

use aicomply_sdk::{Check, Context, Plugin, PluginInfo, Scan, Severity};

struct MemoryHog;

impl Plugin for MemoryHog {
    fn info() -> PluginInfo {
        PluginInfo {
            id: "memory-hog".into(),
            name: "Unbounded memory growth".into(),
            version: "0.0.0".into(),
            domain: "code".into(),
            description: "Test plugin: grows memory forever.".into(),
            checks: vec![Check::new(
                "HOG-1",
                "CODE-1",
                Severity::Info,
                "memory",
                "none",
                &[],
            )],
            capabilities: vec![],
        }
    }

    fn run(_ctx: &Context, scan: &mut Scan) -> Result<(), String> {
        let mut hoard: Vec<Vec<u8>> = Vec::new();
        loop {
            hoard.push(vec![1u8; 1 << 20]);
            if hoard.len() == usize::MAX {
                break;
            }
        }
        scan.finding("HOG-1", format!("held {} MiB", hoard.len()));
        Ok(())
    }
}

aicomply_sdk::export_plugin!(MemoryHog);
