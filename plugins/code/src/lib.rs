//! aicomply's first-party plugin for the code domain, starting with model
//! files: pickle (and everything built on it), PyTorch, joblib, NumPy,
//! Keras, TensorFlow SavedModel, ONNX, safetensors and GGUF, recognised by
//! content, never by extension alone (CODE-3, CODE-4).
//!
//! Everything here is plain Rust: it compiles natively for tests and to
//! `wasm32-wasip2` as a plugin.

pub mod checks;
pub mod compress;
pub mod gguf;
pub mod input;
pub mod keras;
pub mod numpy;
pub mod pickle;
pub mod protobuf;
pub mod safetensors;
pub mod scanner;
pub mod tar;
pub mod zip;

use std::path::Path;

use aicomply_sdk::fs::{self, WalkOptions};
use aicomply_sdk::{Capability, Context, Plugin, PluginInfo, Scan};

pub struct CodePlugin;

impl Plugin for CodePlugin {
    fn info() -> PluginInfo {
        PluginInfo {
            id: "code".into(),
            name: "Code and models".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            domain: "code".into(),
            description: "Model files: formats that run code when loaded, and what that code does (CODE-3, CODE-4)."
                .into(),
            checks: checks::catalogue(),
            capabilities: vec![Capability::fs_read("target", "reads model files")],
        }
    }

    fn run(ctx: &Context, scan: &mut Scan) -> Result<(), String> {
        let mut config = scanner::Config::default();
        // `suspicious = "fail"`: imports outside the allow-list fail CODE-4.
        config.suspicious_fails = ctx.config("suspicious") == Some("fail");
        scan_tree(ctx.target()?, &WalkOptions::for_run(ctx), &config, scan);
        Ok(())
    }
}

aicomply_sdk::export_plugin!(CodePlugin);

/// Scan every file under `root` for model files.
pub fn scan_tree(root: &Path, options: &WalkOptions, config: &scanner::Config, scan: &mut Scan) {
    let walk = fs::walk(root, options);
    // Models are recognised by content, so any path not examined could
    // have been one: every model check is incomplete without it.
    walk.report_gaps(scan, "target", |_| checks::MODEL_CHECKS.to_vec());
    let progress = aicomply_sdk::Progress::new(u32::try_from(walk.files.len()).ok());
    let mut models = 0;
    for entry in &walk.files {
        let mut scanner = scanner::Scanner::new(scan, config);
        scanner.scan_file(entry.path.clone(), &entry.relative);
        models += scanner.models;
        progress.file_done();
        // What this file gave is the host's now, whatever the next one does.
        scan.checkpoint();
    }
    progress.finish();
    for check in checks::MODEL_CHECKS {
        if models > 0 {
            scan.evaluated(check);
        } else {
            scan.not_checked(check, "no model files in the target");
        }
    }
}

#[cfg(test)]
mod corpus {
    //! The generated corpus (tests/fixtures/models): every malicious file is
    //! flagged naming its callable, no benign file is flagged, every invalid
    //! file is reported invalid.
    use super::*;

    const FLAGS: &[&str] = &[
        checks::PICKLE_CALL,
        checks::PICKLE_IMPORT,
        checks::PICKLE_UNRESOLVED,
        checks::KERAS_LAMBDA,
        checks::TF_OPS,
        checks::EXTERNAL_DATA,
        checks::ARCHIVE_UNSAFE,
    ];

    #[test]
    fn a_model_too_large_to_read_is_reported_not_skipped() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/models");
        let config = scanner::Config {
            max_in_memory: 16,
            ..scanner::Config::default()
        };
        let mut scan = Scan::new(checks::catalogue());
        assert!(
            scanner::Scanner::new(&mut scan, &config)
                .scan_file(dir.join("benign/onnx_local_data.onnx"), "m.onnx")
        );
        assert_eq!(scan.findings()[0].check_id, checks::MODEL_INCOMPLETE);
    }

    #[test]
    fn corpus_verdicts() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/models");
        let expected: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("expected.json")).unwrap())
                .unwrap();
        let config = scanner::Config::default();
        let mut failures = Vec::new();
        let mut counts = std::collections::BTreeMap::new();
        for (rel, exp) in expected.as_object().unwrap() {
            let verdict = exp["verdict"].as_str().unwrap();
            *counts.entry(verdict.to_string()).or_insert(0) += 1;
            let mut scan = Scan::new(checks::catalogue());
            let found = scanner::Scanner::new(&mut scan, &config).scan_file(dir.join(rel), rel);
            let findings = scan.findings();
            let show = || {
                findings
                    .iter()
                    .map(|f| format!("{} {:?} {}", f.check_id, f.severity, f.message))
                    .collect::<Vec<_>>()
                    .join("\n    ")
            };
            if !found {
                failures.push(format!("{rel}: not recognised as a model file"));
                continue;
            }
            match verdict {
                "malicious" => {
                    let callable = exp["callable"].as_str().unwrap();
                    let check = exp["check"].as_str().unwrap();
                    let hit = findings.iter().any(|f| {
                        f.check_id == check
                            && (f.message.contains(callable)
                                || f.evidence.as_deref().is_some_and(|e| e.contains(callable)))
                    });
                    if !hit {
                        failures.push(format!(
                            "{rel}: expected {check} naming {callable}, got:\n    {}",
                            show()
                        ));
                    }
                }
                "benign" => {
                    if findings.iter().any(|f| f.check_id != checks::PICKLE_FORMAT)
                        || !scan.diagnostics().is_empty()
                    {
                        failures.push(format!(
                            "{rel}: benign but flagged:\n    {}\n    {:?}",
                            show(),
                            scan.diagnostics()
                        ));
                    }
                }
                "invalid" => {
                    let check = exp["check"].as_str().unwrap();
                    if !findings.iter().any(|f| f.check_id == check) {
                        failures.push(format!("{rel}: expected {check}, got:\n    {}", show()));
                    }
                    if findings
                        .iter()
                        .any(|f| FLAGS.contains(&f.check_id.as_str()) && f.check_id != check)
                    {
                        failures.push(format!(
                            "{rel}: invalid file flagged as malicious:\n    {}",
                            show()
                        ));
                    }
                }
                other => panic!("unknown verdict {other}"),
            }
        }
        assert!(
            counts["malicious"] >= 40 && counts["benign"] >= 10 && counts["invalid"] >= 8,
            "{counts:?}"
        );
        assert!(
            failures.is_empty(),
            "{} of {} corpus files wrong:\n{}",
            failures.len(),
            expected.as_object().unwrap().len(),
            failures.join("\n")
        );
    }
}
