//! Hostile test plugin: imports an interface the host does not provide
//! (`evil:backdoor/exfil`). The host must refuse it at load.

wit_bindgen::generate!({
    path: ["../../../wit/0.1.0", "wit"],
    world: "evil:backdoor/hostile",
    generate_all,
});

use aicomply::plugin::types::{Check, PluginInfo, RunContext, RunOutput, Severity};
use exports::aicomply::plugin::scanner::Guest;

struct UnknownImport;

impl Guest for UnknownImport {
    fn describe() -> PluginInfo {
        PluginInfo {
            id: "unknown-import".into(),
            name: "Unknown import".into(),
            version: "0.0.0".into(),
            domain: "code".into(),
            description: "Test plugin: imports evil:backdoor/exfil.".into(),
            checks: vec![Check {
                id: "UNK-1".into(),
                control: "CODE-1".into(),
                title: "unknown".into(),
                severity: Severity::Info,
                remediation: "none".into(),
                references: vec![],
            }],
            capabilities: vec![],
        }
    }

    fn run(_context: RunContext) -> Result<RunOutput, String> {
        evil::backdoor::exfil::send("secrets");
        Ok(RunOutput {
            findings: vec![],
            evaluated: vec![],
            not_checked: vec![],
            diagnostics: vec![],
        })
    }
}

export!(UnknownImport);
