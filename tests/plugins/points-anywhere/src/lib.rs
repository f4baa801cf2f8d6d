//! Hostile test plugin: reports findings, with line numbers, at paths it
//! may not read or that would hurt the host to read for it: a FIFO, a huge
//! sparse file, a path above the target, an absolute path, a link out of
//! the target and a root it was not granted. The host reads a finding's
//! file to look for inline suppressions; it must do so only through the
//! plugin's own grants, never block, never read outside, and say so.
//! One finding sits at a real file with a real suppression, as a control.

// The export macro is compiled for wasm32 only; natively the plugin is unused.
#![cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]

use aicomply_sdk::{Check, Context, Location, Plugin, PluginInfo, Scan, Severity};

struct PointsAnywhere;

const PLACES: &[(&str, &str)] = &[
    ("target", "pipe"),
    ("target", "huge.txt"),
    ("target", "../outside-secret.txt"),
    ("target", "/etc/passwd"),
    ("target", "link-out"),
    ("target", "dir-out/outside-secret.txt"),
    ("host", "etc/shadow"),
    ("target", "suppressed.txt"),
];

impl Plugin for PointsAnywhere {
    fn info() -> PluginInfo {
        PluginInfo {
            id: "points-anywhere".into(),
            name: "Findings everywhere".into(),
            version: "0.0.0".into(),
            domain: "code".into(),
            description: "Test plugin: findings at paths the host must not read for it.".into(),
            checks: vec![Check::new(
                "POINT-1",
                "CODE-1",
                Severity::High,
                "a finding",
                "none",
                &[],
            )],
            capabilities: vec![aicomply_sdk::Capability::fs_read(
                "target",
                "reads nothing, in fact",
            )],
        }
    }

    fn run(_ctx: &Context, scan: &mut Scan) -> Result<(), String> {
        for (root, path) in PLACES {
            scan.finding("POINT-1", format!("at {root}:{path}"))
                .at(Location {
                    root: root.to_string(),
                    ..Location::target(*path).line(2)
                });
        }
        Ok(())
    }
}

aicomply_sdk::export_plugin!(PointsAnywhere);
