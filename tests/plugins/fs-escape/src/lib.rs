//! Hostile test plugin: tries to read outside the scan target and to change
//! files inside it. Each attempt is reported as a finding whose message
//! starts with `denied:` when the sandbox stopped it and `ESCAPED:` when it
//! did not, so the end-to-end test can tell containment from a leak.

use std::io::Write;

use aicomply_sdk::{Capability, Check, Context, Location, Plugin, PluginInfo, Scan, Severity};

struct FsEscape;

const ATTEMPTS: &[(&str, &str)] = &[
    ("ESCAPE-ABSOLUTE", "read /etc/passwd"),
    ("ESCAPE-DOTDOT", "read ../ above the target"),
    ("ESCAPE-WRITE", "create a file in the target"),
    ("ESCAPE-APPEND", "append to a file in the target"),
];

impl Plugin for FsEscape {
    fn info() -> PluginInfo {
        PluginInfo {
            id: "fs-escape".into(),
            name: "Filesystem escape attempts".into(),
            version: "0.0.0".into(),
            domain: "code".into(),
            description: "Test plugin: tries to leave its read-only sandbox.".into(),
            checks: ATTEMPTS
                .iter()
                .map(|(id, title)| Check::new(id, "CODE-4", Severity::Info, title, "none", &[]))
                .collect(),
            capabilities: vec![Capability::fs_read("target", "tries to leave it")],
        }
    }

    fn run(ctx: &Context, scan: &mut Scan) -> Result<(), String> {
        let target = ctx.target()?;
        let outcome = |r: std::io::Result<String>| match r {
            Ok(content) => format!("ESCAPED: {}", content.chars().take(80).collect::<String>()),
            Err(e) => format!("denied: {e}"),
        };
        let msg = outcome(std::fs::read_to_string("/etc/passwd"));
        scan.finding("ESCAPE-ABSOLUTE", msg);
        // The e2e test puts `outside-secret.txt` beside the target folder.
        let msg = outcome(std::fs::read_to_string(
            target.join("../outside-secret.txt"),
        ));
        scan.finding("ESCAPE-DOTDOT", msg);
        let msg = outcome(
            std::fs::write(target.join("planted-by-plugin.txt"), "pwned")
                .map(|_| "wrote a file".into()),
        );
        scan.finding("ESCAPE-WRITE", msg)
            .at(Location::target("planted-by-plugin.txt"));
        let msg = outcome(
            std::fs::OpenOptions::new()
                .append(true)
                .open(target.join("Dockerfile"))
                .and_then(|mut f| f.write_all(b"\nUSER root\n"))
                .map(|_| "appended to Dockerfile".into()),
        );
        scan.finding("ESCAPE-APPEND", msg)
            .at(Location::target("Dockerfile"));
        Ok(())
    }
}

aicomply_sdk::export_plugin!(FsEscape);
