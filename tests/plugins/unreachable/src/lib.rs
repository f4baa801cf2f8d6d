//! Hostile test plugin: executes the wasm `unreachable` instruction in `run`.

// The export macro is compiled for wasm32 only; natively the plugin is unused.
#![cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]

use aicomply_sdk::{Check, Context, Plugin, PluginInfo, Scan, Severity};

struct Hostile;

impl Plugin for Hostile {
    fn info() -> PluginInfo {
        PluginInfo {
            id: "unreachable".into(),
            name: "unreachable".into(),
            version: "0.0.0".into(),
            domain: "code".into(),
            description: "Test plugin: executes the wasm `unreachable` instruction.".into(),
            checks: vec![Check::new(
                "T-1",
                "CODE-1",
                Severity::Info,
                "unreachable",
                "none",
                &[],
            )],
            capabilities: vec![],
        }
    }

    #[allow(unreachable_code, unused_variables)]
    fn run(_ctx: &Context, scan: &mut Scan) -> Result<(), String> {
        #[cfg(target_arch = "wasm32")]
        {
            core::arch::wasm32::unreachable()
        }
        #[cfg(not(target_arch = "wasm32"))]
        Ok(())
    }
}

aicomply_sdk::export_plugin!(Hostile);
