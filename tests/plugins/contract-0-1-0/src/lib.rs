//! A plugin built against the frozen contract 0.1.0 (`wit/0.1.0`), without
//! the SDK, as a third party's plugin from before 0.1.1 is. A host that
//! speaks a later 0.1.x must still load and run it: it imports
//! `aicomply:plugin/host@0.1.0` and exports `scanner@0.1.0`.

wit_bindgen::generate!({
    path: "../../../wit/0.1.0",
    world: "plugin",
});

use aicomply::plugin::host::{LogLevel, log};
use aicomply::plugin::types::{
    Capability, Check, Finding, Location, PluginInfo, RunContext, RunOutput, Severity,
};
use exports::aicomply::plugin::scanner::Guest;

struct Contract010;

impl Guest for Contract010 {
    fn describe() -> PluginInfo {
        PluginInfo {
            id: "contract-0-1-0".into(),
            name: "Built against contract 0.1.0".into(),
            version: "1.0.0".into(),
            domain: "code".into(),
            description: "Test plugin: the 0.1.0 contract, no SDK.".into(),
            checks: vec![Check {
                id: "OLD-CONTRACT-1".into(),
                control: "CODE-1".into(),
                title: "Reads the target through the 0.1.0 contract".into(),
                severity: Severity::Low,
                remediation: "none".into(),
                references: vec![],
            }],
            capabilities: vec![Capability {
                kind: "fs-read".into(),
                scope: "target".into(),
                reason: "counts the target's entries".into(),
            }],
        }
    }

    fn run(context: RunContext) -> Result<RunOutput, String> {
        let target = context
            .roots
            .iter()
            .find(|r| r.name == "target")
            .ok_or("no target")?;
        let entries = std::fs::read_dir(&target.guest_path)
            .map_err(|e| e.to_string())?
            .count();
        log(LogLevel::Info, &format!("{entries} entries in the target"));
        Ok(RunOutput {
            findings: vec![Finding {
                check_id: "OLD-CONTRACT-1".into(),
                control: "CODE-1".into(),
                severity: Severity::Low,
                title: "Reads the target through the 0.1.0 contract".into(),
                message: format!("the target has {entries} entries"),
                location: Some(Location {
                    root: "target".into(),
                    path: ".".into(),
                    line: None,
                    member: None,
                }),
                evidence: None,
                remediation: None,
            }],
            evaluated: vec!["OLD-CONTRACT-1".into()],
            not_checked: vec![],
            diagnostics: vec![],
        })
    }
}

export!(Contract010);
