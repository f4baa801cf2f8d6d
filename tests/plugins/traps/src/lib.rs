//! Hostile test plugin: reads memory out of bounds (a wasm trap) in `run`.

// The export macro is compiled for wasm32 only; natively the plugin is unused.
#![cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]

use aicomply_sdk::{Check, Context, Plugin, PluginInfo, Scan, Severity};

struct Hostile;

impl Plugin for Hostile {
    fn info() -> PluginInfo {
        PluginInfo {
            id: "traps".into(),
            name: "traps".into(),
            version: "0.0.0".into(),
            domain: "code".into(),
            description: "Test plugin: reads memory out of bounds (a wasm trap).".into(),
            checks: vec![Check::new(
                "T-1",
                "CODE-1",
                Severity::Info,
                "traps",
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
            let addr = std::hint::black_box(0xFFFF_FFF0usize);
            let v = unsafe { core::ptr::read_volatile(addr as *const u64) };
            scan.finding("T-1", format!("read {v}"));
            Ok(())
        }
        #[cfg(not(target_arch = "wasm32"))]
        Ok(())
    }
}

aicomply_sdk::export_plugin!(Hostile);
