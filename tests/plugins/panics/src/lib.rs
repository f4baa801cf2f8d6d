//! Hostile test plugin: panics in `run`.

// The export macro is compiled for wasm32 only; natively the plugin is unused.
#![cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]

use aicomply_sdk::{Check, Context, Plugin, PluginInfo, Scan, Severity};

struct Hostile;

impl Plugin for Hostile {
    fn info() -> PluginInfo {
        PluginInfo {
            id: "panics".into(),
            name: "panics".into(),
            version: "0.0.0".into(),
            domain: "code".into(),
            description: "Test plugin: panics.".into(),
            checks: vec![Check::new(
                "T-1",
                "CODE-1",
                Severity::Info,
                "panics",
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
            panic!("boom: the plugin panicked on purpose")
        }
        #[cfg(not(target_arch = "wasm32"))]
        Ok(())
    }
}

aicomply_sdk::export_plugin!(Hostile);
