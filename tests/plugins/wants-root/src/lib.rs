//! Test plugin: needs a root other than the target (`host-etc`) and unix
//! metadata. Without the grants its checks must be reported as not checked,
//! with the reason; with them it reads the root.

// The export macro is compiled for wasm32 only; natively the plugin is unused.
#![cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]

use aicomply_sdk::{Capability, Check, Context, Location, Plugin, PluginInfo, Scan, Severity};

struct WantsRoot;

impl Plugin for WantsRoot {
    fn info() -> PluginInfo {
        PluginInfo {
            id: "wants-root".into(),
            name: "Needs the host's /etc".into(),
            version: "0.0.0".into(),
            domain: "host".into(),
            description: "Test plugin: reads a named root.".into(),
            checks: vec![
                Check::new(
                    "ROOT-READ",
                    "HOST-1",
                    Severity::Info,
                    "reads host-etc/os-release",
                    "none",
                    &[],
                ),
                Check::new(
                    "ROOT-META",
                    "HOST-1",
                    Severity::Info,
                    "mode of host-etc/os-release",
                    "none",
                    &[],
                ),
            ],
            capabilities: vec![
                Capability::fs_read("host-etc", "reads os-release"),
                Capability::file_meta("host-etc", "checks its permissions"),
            ],
        }
    }

    fn run(ctx: &Context, scan: &mut Scan) -> Result<(), String> {
        match ctx.root("host-etc") {
            None => scan.not_checked("ROOT-READ", "the root host-etc was not granted"),
            Some(root) => {
                let text =
                    std::fs::read_to_string(root.join("os-release")).map_err(|e| e.to_string())?;
                let first = text.lines().next().unwrap_or("").to_string();
                scan.finding("ROOT-READ", first).at(Location {
                    root: "host-etc".into(),
                    ..Location::target("os-release")
                });
            }
        }
        if ctx.granted("file-meta", "host-etc") {
            let meta = ctx.file_meta("host-etc", "os-release")?;
            scan.finding("ROOT-META", format!("mode {:o}", meta.mode & 0o777));
        } else {
            scan.not_checked("ROOT-META", "file-meta on host-etc was not granted");
        }
        Ok(())
    }
}

aicomply_sdk::export_plugin!(WantsRoot);
