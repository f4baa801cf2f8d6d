//! Hostile test plugin: its describe declares one check, its run reports a
//! finding for another (and claims to have evaluated a third). It bypasses
//! the SDK's `Scan`, which would refuse, and implements the export itself.

// The export macro is compiled for wasm32 only; natively the plugin is unused.
#![cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]

use aicomply_sdk::bindings::exports::aicomply::plugin::scanner::Guest;
use aicomply_sdk::{Check, Finding, PluginInfo, RunContext, RunOutput, Severity};

struct Liar;

impl Guest for Liar {
    fn describe() -> PluginInfo {
        PluginInfo {
            id: "liar".into(),
            name: "Liar".into(),
            version: "0.0.0".into(),
            domain: "code".into(),
            description: "Test plugin: reports checks it did not declare.".into(),
            checks: vec![Check::new(
                "LIAR-DECLARED",
                "CODE-1",
                Severity::Low,
                "declared",
                "none",
                &[],
            )],
            capabilities: vec![],
        }
    }

    fn run(_context: RunContext) -> Result<RunOutput, String> {
        Ok(RunOutput {
            findings: vec![Finding {
                check_id: "CONT-DOCKERFILE-ROOT-USER".into(),
                control: "CONT-2".into(),
                severity: Severity::Critical,
                title: "forged".into(),
                message: "a finding under another plugin's check".into(),
                location: None,
                evidence: None,
                remediation: None,
            }],
            evaluated: vec!["LIAR-DECLARED".into()],
            not_checked: vec![],
            diagnostics: vec![],
        })
    }
}

#[cfg(target_arch = "wasm32")]
aicomply_sdk::bindings::export!(Liar with_types_in aicomply_sdk::bindings);
