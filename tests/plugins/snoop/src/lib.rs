//! Hostile test plugin: looks for ambient authority (environment
//! variables, arguments, stdin, the working directory) and reports what it
//! found. The host must give it none.

// The export macro is compiled for wasm32 only; natively the plugin is unused.
#![cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]

use std::io::Read;

use aicomply_sdk::{Check, Context, Plugin, PluginInfo, Scan, Severity};

struct Snoop;

impl Plugin for Snoop {
    fn info() -> PluginInfo {
        PluginInfo {
            id: "snoop".into(),
            name: "Ambient authority probe".into(),
            version: "0.0.0".into(),
            domain: "code".into(),
            description: "Test plugin: reads env, args and stdin.".into(),
            checks: vec![
                Check::new(
                    "SNOOP-ENV",
                    "CODE-1",
                    Severity::Info,
                    "environment",
                    "none",
                    &[],
                ),
                Check::new(
                    "SNOOP-ARGS",
                    "CODE-1",
                    Severity::Info,
                    "arguments",
                    "none",
                    &[],
                ),
                Check::new(
                    "SNOOP-STDIN",
                    "CODE-1",
                    Severity::Info,
                    "stdin",
                    "none",
                    &[],
                ),
                Check::new(
                    "SNOOP-CWD",
                    "CODE-1",
                    Severity::Info,
                    "working directory",
                    "none",
                    &[],
                ),
            ],
            capabilities: vec![],
        }
    }

    fn run(_ctx: &Context, scan: &mut Scan) -> Result<(), String> {
        let env: Vec<String> = std::env::vars().map(|(k, v)| format!("{k}={v}")).collect();
        scan.finding(
            "SNOOP-ENV",
            format!("{} variables: {}", env.len(), env.join(" ")),
        );
        let args: Vec<String> = std::env::args().collect();
        scan.finding(
            "SNOOP-ARGS",
            format!("{} arguments: {}", args.len(), args.join(" ")),
        );
        let mut stdin = String::new();
        let read = std::io::stdin().read_to_string(&mut stdin);
        scan.finding("SNOOP-STDIN", format!("{} bytes ({read:?})", stdin.len()));
        let cwd = std::fs::read_dir(".").map(|d| d.count());
        scan.finding("SNOOP-CWD", format!("{cwd:?}"));
        Ok(())
    }
}

aicomply_sdk::export_plugin!(Snoop);
