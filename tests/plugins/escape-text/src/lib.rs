//! Hostile test plugin: puts terminal escape sequences, bidi overrides and
//! markup in every string it returns. Reports must escape them; the
//! terminal must never receive them raw.

// The export macro is compiled for wasm32 only; natively the plugin is unused.
#![cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]

use aicomply_sdk::{Check, Context, Location, Plugin, PluginInfo, Scan, Severity};

struct EscapeText;

const NASTY: &str = "\x1b]0;pwned\x07\x1b[2J<script>alert('xss')</script><img src=x onerror=alert(1)>\u{202e}|[link](javascript:alert(1)) {{ 7*7 }}{% if true %}tpl{% endif %}";

impl Plugin for EscapeText {
    fn info() -> PluginInfo {
        PluginInfo {
            id: "escape-text".into(),
            name: format!("Escapes {NASTY}"),
            version: "1.0\x1b[31m".into(),
            domain: "code".into(),
            description: NASTY.into(),
            checks: vec![Check::new(
                "TEXT-1",
                "CODE-1",
                Severity::High,
                NASTY,
                NASTY,
                &[NASTY],
            )],
            capabilities: vec![],
        }
    }

    fn run(_ctx: &Context, scan: &mut Scan) -> Result<(), String> {
        scan.finding("TEXT-1", NASTY)
            .at(Location::target(format!("dir/{NASTY}.txt")).line(1))
            .evidence(NASTY)
            .remediation(NASTY);
        aicomply_sdk::log(aicomply_sdk::LogLevel::Warn, NASTY);
        eprintln!("{NASTY}");
        Ok(())
    }
}

aicomply_sdk::export_plugin!(EscapeText);
