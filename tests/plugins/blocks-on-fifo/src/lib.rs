//! Hostile test plugin: hands one finding over, then opens `/target/pipe`
//! the plain way, without looking at what it is first. When that is a FIFO
//! no one writes to, the open blocks inside a host call, where the epoch
//! deadline cannot interrupt it: the host must abandon the call at its
//! deadline and keep the finding.

// The export macro is compiled for wasm32 only; natively the plugin is unused.
#![cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]

use std::io::Read;

use aicomply_sdk::{Check, Context, Location, Plugin, PluginInfo, Scan, Severity};

struct BlocksOnFifo;

impl Plugin for BlocksOnFifo {
    fn info() -> PluginInfo {
        PluginInfo {
            id: "blocks-on-fifo".into(),
            name: "Opens a FIFO".into(),
            version: "0.0.0".into(),
            domain: "code".into(),
            description: "Test plugin: blocks in a host call.".into(),
            checks: vec![Check::new(
                "FIFO-1",
                "CODE-1",
                Severity::High,
                "found before blocking",
                "none",
                &[],
            )],
            capabilities: vec![aicomply_sdk::Capability::fs_read(
                "target",
                "opens /target/pipe",
            )],
        }
    }

    fn run(ctx: &Context, scan: &mut Scan) -> Result<(), String> {
        scan.finding("FIFO-1", "handed over before the blocking open")
            .at(Location::target("Dockerfile").line(1));
        scan.checkpoint();
        let mut text = String::new();
        std::fs::File::open(ctx.target()?.join("pipe"))
            .and_then(|mut f| f.read_to_string(&mut text))
            .map_err(|e| e.to_string())?;
        scan.finding("FIFO-1", "read the pipe (never reached)");
        Ok(())
    }
}

aicomply_sdk::export_plugin!(BlocksOnFifo);
