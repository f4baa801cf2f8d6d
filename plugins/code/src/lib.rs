//! aicomply's first-party plugin for the code domain. One module per
//! concern: [`secrets`] in every text file, [`python`] code, CI/CD
//! [`pipelines`] and [`deps`] (dependencies) for CODE-1; [`notebooks`] for
//! CODE-2; and model files ([`scanner`]): pickle (and everything built on
//! it), PyTorch, joblib, NumPy, Keras, TensorFlow SavedModel, ONNX,
//! safetensors and GGUF, recognised by content, never by extension alone
//! (CODE-3, CODE-4).
//!
//! Everything here is plain Rust: it compiles natively for tests and to
//! `wasm32-wasip2` as a plugin.

pub mod checks;
pub mod compress;
pub mod deps;
pub mod gguf;
pub mod input;
pub mod keras;
pub mod notebooks;
pub mod numpy;
pub mod pickle;
pub mod pipelines;
pub mod protobuf;
pub mod python;
pub mod safetensors;
pub mod scanner;
pub mod secrets;
pub mod tar;
pub mod zip;

use std::path::Path;

use aicomply_sdk::fs::{self, WalkOptions};
use aicomply_sdk::{Capability, Context, Plugin, PluginInfo, Scan, SkipReason};

pub struct CodePlugin;

impl Plugin for CodePlugin {
    fn info() -> PluginInfo {
        PluginInfo {
            id: "code".into(),
            name: "Code and models".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            domain: "code".into(),
            description: "Secrets in text files, unsafe Python, CI pipelines that do not scan or can be subverted, and dependencies that are unpinned, from unsafe indexes or known to be vulnerable (CODE-1); notebooks' code, outputs and metadata (CODE-2); model files: formats that run code when loaded, and what that code does (CODE-3, CODE-4)."
                .into(),
            checks: checks::catalogue(),
            capabilities: vec![
                Capability::fs_read("target", "reads source, notebooks, pipelines, dependency files and model files"),
                Capability::fs_read(OSV_ROOT, "an OSV advisory database (osv.dev's PyPI export) for known-vulnerable dependencies; optional"),
            ],
        }
    }

    fn run(ctx: &Context, scan: &mut Scan) -> Result<(), String> {
        let mut config = scanner::Config::default();
        // `suspicious = "fail"`: imports outside the allow-list fail CODE-4.
        config.suspicious_fails = ctx.config("suspicious") == Some("fail");
        scan_tree_with(
            ctx.target()?,
            &WalkOptions::for_run(ctx),
            &config,
            ctx.root(OSV_ROOT),
            scan,
        );
        Ok(())
    }
}

aicomply_sdk::export_plugin!(CodePlugin);

/// Largest pipeline or dependency file read (they are small; a larger
/// one is not what it claims to be, and is listed instead).
const MAX_MANIFEST: usize = 4 << 20;

/// Where an operator's OSV advisory database is mounted, if granted.
const OSV_ROOT: &str = "osv";

/// Scan every file under `root` for secrets and model files.
pub fn scan_tree(root: &Path, options: &WalkOptions, config: &scanner::Config, scan: &mut Scan) {
    scan_tree_with(root, options, config, None, scan)
}

/// [`scan_tree`], with an OSV database at `osv` (the granted root).
pub fn scan_tree_with(
    root: &Path,
    options: &WalkOptions,
    config: &scanner::Config,
    osv: Option<&Path>,
    scan: &mut Scan,
) {
    let walk = fs::walk(root, options);
    // Models are recognised by content, so any path not examined could
    // have been one: every model check is incomplete without it. So could
    // a text file with a secret, unless the path is a FIFO or device, or
    // a link out of the target (what it points to is not in the tree).
    // The other analysers know their files by name.
    walk.report_gaps(scan, "target", |skip| {
        let mut affected = checks::MODEL_CHECKS.to_vec();
        if !matches!(skip.reason, SkipReason::Symlink | SkipReason::SpecialFile) {
            affected.extend_from_slice(checks::SECRET_CHECKS);
        }
        let relative = skip.relative.as_str();
        affected.extend(pipelines::gap_checks(relative));
        affected.extend(deps::gap_checks(relative));
        if skip.could_be_anything() || python::may_be_python(relative) {
            affected.extend_from_slice(python::CHECKS);
        }
        if skip.could_be_anything() || notebooks::is_notebook(relative) {
            affected.extend(notebooks::checks());
        }
        affected
    });
    let mut texts = secrets::Stats::default();
    let mut pipes = pipelines::Pipelines::new();
    let mut dependencies = deps::Deps::new();
    if let Some(osv) = osv {
        dependencies.set_osv_root(osv, OSV_ROOT);
    }
    let (mut python_files, mut notebook_files, mut models) = (0, 0, 0);
    let progress = aicomply_sdk::Progress::new(u32::try_from(walk.files.len()).ok());
    for entry in &walk.files {
        let relative = entry.relative.as_str();
        let mut scanner = scanner::Scanner::new(scan, config);
        scanner.scan_file(entry.path.clone(), relative);
        models += scanner.models;
        if notebooks::is_notebook(relative) {
            // The notebook reader decodes the JSON strings and searches
            // them for secrets itself, finding what the raw text hides.
            notebook_files += usize::from(notebooks::scan_path(&entry.path, relative, scan));
        } else {
            let read = secrets::scan_file(scan, &entry.path, relative, &mut texts, |scan, text| {
                python_files += usize::from(python::scan_file(relative, text, scan));
                let manifest = pipelines::wants(relative) || deps::wants(relative);
                if manifest && text.len() > MAX_MANIFEST {
                    unread_manifest(
                        scan,
                        relative,
                        &format!("over the {MAX_MANIFEST}-byte limit"),
                    );
                } else if manifest {
                    pipes.scan_file(relative, text, scan);
                    dependencies.scan_file(relative, text, scan);
                }
            });
            if let secrets::Outcome::Unread(why) = read {
                if pipelines::wants(relative) || deps::wants(relative) {
                    unread_manifest(scan, relative, &why);
                }
                if python::may_be_python(relative) {
                    for check in python::CHECKS {
                        scan.incomplete(check, format!("{relative} not analysed ({why})"));
                    }
                }
            }
        }
        progress.file_done();
        // What this file gave is the host's now, whatever the next one does.
        scan.checkpoint();
    }
    progress.finish();
    // GitLab includes and local actions are read by path when referenced.
    // A reference that climbs out of the target is refused here; a link
    // out of it is refused by the sandbox (the target is the only root).
    let mut read = |relative: &str| -> Result<String, String> {
        let inside = fs::resolve_link("", relative)
            .filter(|r| !relative.starts_with('/') && !r.is_empty())
            .ok_or_else(|| "not a path inside the target".to_string())?;
        fs::read_text(&root.join(inside), MAX_MANIFEST as u64).map_err(|e| e.to_string())
    };
    pipes.finish(scan, &mut read);
    dependencies.finish(scan, &mut read);
    python::finish(scan, python_files);
    notebooks::finish(scan, notebook_files);
    for check in checks::SECRET_CHECKS {
        if texts.texts > 0 {
            scan.evaluated(check);
        } else {
            scan.not_checked(check, "no text files in the target");
        }
    }
    for check in checks::MODEL_CHECKS {
        if models > 0 {
            scan.evaluated(check);
        } else {
            scan.not_checked(check, "no model files in the target");
        }
    }
}

/// A pipeline or dependency file that could not be read: listed, and the
/// checks that needed it incomplete.
fn unread_manifest(scan: &mut Scan, relative: &str, why: &str) {
    scan.diagnostic(
        aicomply_sdk::Location::target(relative),
        format!("not read: {why}"),
    );
    for check in pipelines::gap_checks(relative)
        .into_iter()
        .chain(deps::gap_checks(relative))
    {
        scan.incomplete(check, format!("{relative} not read ({why})"));
    }
}

/// Every `PREFIX*.json` of a fixture folder, parsed (the model corpus
/// writes one file per generator script).
#[cfg(test)]
pub(crate) fn corpus_json(dir: &std::path::Path, prefix: &str) -> Vec<serde_json::Value> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.starts_with(prefix) && name.ends_with(".json") {
            out.push(serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap());
        }
    }
    out
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

    /// expected.json and every other expected-*.json of the corpus
    /// (generate.py, bypasses.py, frameworks.py, legacy_pandas.py), merged.
    fn corpus_expectations(dir: &Path) -> serde_json::Map<String, serde_json::Value> {
        let mut all = serde_json::Map::new();
        for v in corpus_json(dir, "expected") {
            all.extend(v.as_object().unwrap().clone());
        }
        all
    }

    fn severity_name(s: aicomply_sdk::Severity) -> &'static str {
        use aicomply_sdk::Severity::*;
        match s {
            Info => "info",
            Low => "low",
            Medium => "medium",
            High => "high",
            Critical => "critical",
        }
    }

    /// Each container that expands past the in-memory limit is reported as
    /// not scanned, at the limit, without holding what it expands to.
    #[test]
    fn expansion_past_the_limit_is_reported_not_scanned() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/models/limits");
        let config = scanner::Config {
            max_in_memory: 1 << 20,
            ..scanner::Config::default()
        };
        for (name, why) in [
            (
                "zeros_8mib_in.pt.gz",
                "expands beyond the 1048576-byte limit",
            ),
            (
                "zeros_8mib_in.tar.xz",
                "expands beyond the 1048576-byte limit",
            ),
            ("zeros_8mib.7z", "does not fit in the 1048576-byte limit"),
        ] {
            let mut scan = Scan::new(checks::catalogue());
            assert!(scanner::Scanner::new(&mut scan, &config).scan_file(dir.join(name), name));
            let findings = scan.findings();
            assert!(
                findings
                    .iter()
                    .any(|f| f.check_id == checks::MODEL_INCOMPLETE && f.message.contains(why)),
                "{name}: {findings:?}"
            );
        }
        // Within the default limits the same files are read to the end:
        // eight MiB of zeros named like a pickle is no pickle, and the
        // checkpoint's zeros are only tensor data.
        for (name, want) in [
            ("zeros_8mib_in.pt.gz", None),
            ("zeros_8mib_in.tar.xz", Some(checks::MODEL_INVALID)),
            ("zeros_8mib.7z", Some(checks::MODEL_UNRECOGNISED)),
        ] {
            let mut scan = Scan::new(checks::catalogue());
            scanner::Scanner::new(&mut scan, &scanner::Config::default())
                .scan_file(dir.join(name), name);
            let ids: Vec<&str> = scan
                .findings()
                .iter()
                .map(|f| f.check_id.as_str())
                .collect();
            match want {
                Some(check) => assert!(ids.contains(&check), "{name}: {ids:?}"),
                None => assert!(
                    ids.iter().all(|c| *c == checks::PICKLE_FORMAT),
                    "{name}: {ids:?}"
                ),
            }
            assert!(!ids.contains(&checks::MODEL_INCOMPLETE), "{name}: {ids:?}");
        }
    }

    /// A compressed file whose content no reader accepts is reported when
    /// its inner name says model, and passed over when it does not.
    #[test]
    fn compressed_content_nothing_reads_is_reported_by_its_inner_name() {
        use std::io::Write;
        let dir = std::env::temp_dir().join(format!("aicomply-gz-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(&[7u8; 4096]).unwrap();
        let bytes = gz.finish().unwrap();
        for (name, reported) in [("weights.pkl.gz", true), ("notes.txt.gz", false)] {
            std::fs::write(dir.join(name), &bytes).unwrap();
            let mut scan = Scan::new(checks::catalogue());
            let config = scanner::Config::default();
            let found = scanner::Scanner::new(&mut scan, &config).scan_file(dir.join(name), name);
            let hit = scan
                .findings()
                .iter()
                .any(|f| f.check_id == checks::MODEL_UNRECOGNISED);
            assert_eq!(
                (found, hit),
                (reported, reported),
                "{name}: {:?}",
                scan.findings()
            );
        }
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn corpus_verdicts() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/models");
        let expected = corpus_expectations(&dir);
        let config = scanner::Config::default();
        let mut failures = Vec::new();
        let mut counts = std::collections::BTreeMap::new();
        for (rel, exp) in &expected {
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
                // A review file (a whole model of the saver's own classes)
                // is judged like a malicious one: the check, its severity.
                "malicious" | "review" => {
                    let callable = exp["callable"].as_str().unwrap();
                    let check = exp["check"].as_str().unwrap();
                    let severity = exp["severity"].as_str();
                    let advisory = exp["advisory"].as_str();
                    let hit = findings.iter().any(|f| {
                        let evidence = f.evidence.as_deref().unwrap_or("");
                        f.check_id == check
                            && (f.message.contains(callable) || evidence.contains(callable))
                            && severity.is_none_or(|s| severity_name(f.severity) == s)
                            && advisory
                                .is_none_or(|a| f.message.contains(a) && evidence.contains(a))
                    });
                    if !hit {
                        failures.push(format!(
                            "{rel}: expected {check} naming {callable} ({severity:?}, {advisory:?}), got:\n    {}",
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
            expected.len(),
            failures.join("\n")
        );
    }
}

#[cfg(test)]
mod secrets_corpus {
    //! The secrets fixtures (tests/fixtures/secrets-*, see
    //! secrets-planted/generate.py): every planted secret is found at its
    //! path and line and nothing else; nothing on the traps.
    use super::*;

    fn findings(tree: &str) -> Vec<(String, String, u32)> {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../tests/fixtures")
            .join(tree);
        let mut scan = Scan::new(checks::catalogue());
        scan_tree(
            &dir,
            &WalkOptions::default(),
            &scanner::Config::default(),
            &mut scan,
        );
        let secret = |f: &&aicomply_sdk::Finding| {
            f.check_id.starts_with("CODE-SECRET-") || f.check_id.starts_with("CODE-NB-SECRET-")
        };
        for f in scan.findings().iter().filter(secret) {
            let e = f.evidence.as_deref().unwrap_or("");
            assert!(e.contains("chars)"), "evidence not redacted: {e}");
        }
        let mut v: Vec<_> = scan
            .findings()
            .iter()
            .filter(secret)
            .map(|f| {
                let l = f.location.as_ref().unwrap();
                (f.check_id.clone(), l.path.clone(), l.line.unwrap_or(0))
            })
            .collect();
        v.sort();
        v
    }

    #[test]
    fn every_planted_secret_is_found_where_it_is_and_nothing_else() {
        let dir =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/secrets-planted");
        let expected: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("expected.json")).unwrap())
                .unwrap();
        let mut want: Vec<(String, String, u32)> = expected["planted"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e["check"].as_str().unwrap().to_string(),
                    e["path"].as_str().unwrap().to_string(),
                    e["line"].as_u64().unwrap() as u32,
                )
            })
            .collect();
        want.sort();
        let got = findings("secrets-planted");
        let missed: Vec<_> = want.iter().filter(|w| !got.contains(w)).collect();
        let extra: Vec<_> = got.iter().filter(|g| !want.contains(g)).collect();
        assert!(
            missed.is_empty() && extra.is_empty(),
            "missed {missed:#?}\nextra {extra:#?}"
        );
    }

    #[test]
    fn nothing_is_reported_on_the_look_alikes() {
        let got = findings("secrets-traps");
        assert!(got.is_empty(), "{got:#?}");
    }
}
