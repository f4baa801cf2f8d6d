//! The hostile-plugin suite: each attack is a component built from
//! tests/plugins, run by the real binary next to the container plugin. Each
//! test asserts that the attack was contained *and* that the well-behaved
//! plugin in the same run still reported all its findings.

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

use serde_json::Value;

use crate::support::*;

/// A scan of a private copy of the example target with extra plugins.
struct Scan {
    dir: tempfile::TempDir,
    output: Output,
    report: Value,
}

impl Scan {
    fn target(&self) -> PathBuf {
        self.dir.path().join("target")
    }

    fn code(&self) -> i32 {
        code(&self.output)
    }

    fn stderr(&self) -> String {
        stderr(&self.output)
    }

    fn plugin(&self, id: &str) -> &Value {
        plugin(&self.report, id)
    }

    fn error(&self, id: &str) -> String {
        let p = self.plugin(id);
        assert_eq!(p["status"], "error", "{id} should have failed: {p:#}");
        p["error"].as_str().unwrap().to_string()
    }

    /// The container plugin reported exactly its usual findings.
    fn container_still_reports(&self) {
        assert_eq!(self.plugin("container")["status"], "ok");
        let container: Vec<_> = finding_keys(&self.report)
            .into_iter()
            .filter(|(c, _, _)| c.starts_with("CONT-"))
            .collect();
        assert_eq!(
            container,
            example_findings(),
            "the container plugin's findings changed"
        );
    }

    fn messages(&self, plugin: &str) -> Vec<(String, String)> {
        self.report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["plugin"] == plugin)
            .map(|f| {
                (
                    f["check_id"].as_str().unwrap().to_string(),
                    f["message"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    }
}

fn stage(dir: &Path) -> PathBuf {
    let target = dir.join("target");
    copy_tree(&fixture("example-ai-service"), &target);
    std::fs::write(
        dir.join("outside-secret.txt"),
        "TOP-SECRET-OUTSIDE-THE-TARGET",
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::symlink;
        symlink("../outside-secret.txt", target.join("link-out")).unwrap();
        symlink(dir.join("outside-secret.txt"), target.join("link-abs")).unwrap();
        symlink("..", target.join("dir-out")).unwrap();
        symlink("loop-b", target.join("loop-a")).unwrap();
        symlink("loop-a", target.join("loop-b")).unwrap();
    }
    target
}

fn scan(components: &[&str], extra: &[&str]) -> Scan {
    let dir = tempfile::tempdir().unwrap();
    let target = stage(dir.path());
    let plugins = plugin_dir(dir.path(), components);
    let out = dir.path().join("out");
    let mut args = vec![
        "run",
        "--target",
        target.to_str().unwrap(),
        "--plugins",
        plugins.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--fail-on",
        "none",
    ];
    args.extend_from_slice(extra);
    let output = aicomply_within(&args, Duration::from_secs(180));
    let report = read_json(&out.join("report.json"));
    Scan {
        dir,
        output,
        report,
    }
}

#[test]
fn filesystem_escapes_and_writes_are_denied() {
    let s = scan(&[aicomply_test_plugins::FS_ESCAPE], &[]);
    let before = std::fs::read(fixture("example-ai-service").join("Dockerfile")).unwrap();
    assert_eq!(s.code(), 0, "{}", s.stderr());
    let attempts = s.messages("fs-escape");
    assert_eq!(attempts.len(), 18, "{attempts:?}");
    for (check, message) in &attempts {
        assert!(
            message.starts_with("denied:"),
            "{check} was not contained: {message}"
        );
    }
    let text = std::fs::read_to_string(s.dir.path().join("out/report.json")).unwrap();
    assert!(
        !text.contains("TOP-SECRET") && !text.contains("root:x:0:0"),
        "content leaked into the report"
    );
    let t = s.target();
    for planted in [
        "planted-by-plugin.txt",
        "planted-dir",
        "planted-link",
        "Dockerfile.moved",
    ] {
        assert!(!t.join(planted).exists(), "the plugin created {planted}");
    }
    assert_eq!(
        std::fs::read(t.join("Dockerfile")).unwrap(),
        before,
        "the plugin changed the Dockerfile"
    );
    assert!(t.join("README.md").exists(), "the plugin deleted a file");
    s.container_still_reports();
}

#[test]
fn no_environment_arguments_stdin_or_working_directory() {
    let s = scan(&[aicomply_test_plugins::SNOOP], &[]);
    assert_eq!(s.code(), 0, "{}", s.stderr());
    let m: std::collections::BTreeMap<_, _> = s.messages("snoop").into_iter().collect();
    assert_eq!(m["SNOOP-ENV"], "0 variables: ");
    assert_eq!(m["SNOOP-ARGS"], "0 arguments: ");
    assert!(
        m["SNOOP-STDIN"].starts_with("0 bytes"),
        "{}",
        m["SNOOP-STDIN"]
    );
    assert!(
        m["SNOOP-CWD"].starts_with("Err"),
        "the working directory is readable: {}",
        m["SNOOP-CWD"]
    );
    s.container_still_reports();
}

#[test]
fn network_access_is_refused_at_load_and_nothing_connects() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("aicomply.toml");
    std::fs::write(
        &policy,
        format!("version = 1\n[plugins.net-escape]\nconfig = {{ port = \"{port}\" }}\n"),
    )
    .unwrap();
    let s = scan(
        &[aicomply_test_plugins::NET_ESCAPE],
        &["--policy", policy.to_str().unwrap()],
    );
    assert_eq!(s.code(), 3, "{}", s.stderr());
    let error = s.error("test_plugin_net_escape");
    assert!(
        error.contains("wasi:sockets/tcp") && error.contains("no network access"),
        "{error}"
    );
    assert!(
        listener.accept().is_err(),
        "the plugin connected to the loopback listener"
    );
    s.container_still_reports();
}

#[test]
fn an_infinite_loop_is_stopped_by_the_deadline() {
    let s = scan(
        &[aicomply_test_plugins::SPIN_FOREVER],
        &["--plugin-timeout", "2"],
    );
    assert_eq!(s.code(), 3, "{}", s.stderr());
    let error = s.error("spin-forever");
    assert!(
        error.contains("timed out") && error.contains("2 s"),
        "{error}"
    );
    assert_eq!(s.plugin("spin-forever")["checks"][0]["status"], "error");
    // The code plugin's own findings fail CODE-1 on this target: the
    // control stays failed, and the timed-out check makes the run incomplete.
    assert_eq!(control_status(&s.report, "CODE-1"), "failed");
    assert_eq!(s.report["summary"]["incomplete"], true);
    assert!(s.stderr().contains("INCOMPLETE"), "{}", s.stderr());
    s.container_still_reports();
}

#[test]
fn unbounded_memory_growth_hits_the_memory_limit() {
    let s = scan(
        &[aicomply_test_plugins::MEMORY_HOG],
        &["--plugin-memory", "64"],
    );
    assert_eq!(s.code(), 3, "{}", s.stderr());
    let error = s.error("memory-hog");
    assert!(
        error.contains("exceeded the memory limit of 64 MiB"),
        "{error}"
    );
    s.container_still_reports();
}

#[test]
fn deep_recursion_traps() {
    let s = scan(&[aicomply_test_plugins::DEEP_RECURSION], &[]);
    assert_eq!(s.code(), 3, "{}", s.stderr());
    let error = s.error("deep-recursion");
    // Rust keeps its stack in linear memory: overflowing it is an
    // out-of-bounds access; engines with native stacks report a stack overflow.
    assert!(
        error.contains("out of bounds") || error.contains("stack overflow"),
        "{error}"
    );
    s.container_still_reports();
}

/// Past --max-findings the rest are counted, not kept, and the plugin's
/// result is not lost: a million findings keep the first 10,000, count
/// the other 990,000 in the report and say so on the console.
#[test]
fn a_million_findings_are_kept_to_the_limit_and_counted() {
    let s = scan(&[aicomply_test_plugins::FINDING_FLOOD], &[]);
    assert_eq!(s.code(), 0, "{}", s.stderr());
    let p = s.plugin("finding-flood");
    assert_eq!(p["status"], "ok", "{p:#}");
    assert_eq!(s.messages("finding-flood").len(), 10_000);
    assert_eq!(p["dropped"]["findings"]["FLOOD-1"]["count"], 990_000);
    assert_eq!(s.report["summary"]["findings_dropped"], 990_000);
    let check = &p["checks"][0];
    assert_eq!(
        (check["status"].as_str(), check["findings"].as_u64()),
        (Some("failed"), Some(1_000_000))
    );
    assert!(
        s.stderr()
            .contains("990000 more findings were counted past --max-findings"),
        "{}",
        s.stderr()
    );
    s.container_still_reports();
}

#[test]
fn a_100_mb_message_is_refused() {
    let s = scan(&[aicomply_test_plugins::HUGE_MESSAGE], &[]);
    assert_eq!(s.code(), 3, "{}", s.stderr());
    let error = s.error("huge-message");
    assert!(
        error.contains("more data than the host copies out"),
        "{error}"
    );
    assert!(
        std::fs::metadata(s.dir.path().join("out/report.json"))
            .unwrap()
            .len()
            < 1 << 20
    );
    s.container_still_reports();
}

#[test]
fn traps_panics_and_unreachable_are_plugin_errors() {
    let s = scan(
        &[
            aicomply_test_plugins::PANICS,
            aicomply_test_plugins::UNREACHABLE,
            aicomply_test_plugins::TRAPS,
        ],
        &[],
    );
    assert_eq!(s.code(), 3, "{}", s.stderr());
    assert!(s.error("panics").contains("aborted"));
    assert!(
        s.plugin("panics")["stderr"]
            .as_str()
            .unwrap()
            .contains("boom: the plugin panicked on purpose")
    );
    assert!(s.error("unreachable").contains("aborted"));
    assert!(s.error("traps").contains("out of bounds memory access"));
    s.container_still_reports();
}

#[test]
fn escape_sequences_and_markup_are_neutralised_everywhere() {
    let s = scan(&[aicomply_test_plugins::ESCAPE_TEXT], &[]);
    assert_eq!(s.code(), 0, "{}", s.stderr());
    assert!(
        !s.stderr().contains('\x1b'),
        "raw escape on the terminal: {:?}",
        s.stderr()
    );
    assert!(
        s.stderr().contains("\\u{1b}"),
        "the escape should be shown escaped"
    );
    let out = s.dir.path().join("out");
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    for (name, text) in [("HTML", &html), ("Markdown", &md)] {
        assert!(
            !text.contains('\x1b') && !text.contains('\u{202e}'),
            "{name} has raw control characters"
        );
        assert!(
            !text.contains("<script>alert") && !text.contains("<img src=x"),
            "{name} has live markup"
        );
    }
    assert!(
        !md.contains("[link](javascript:"),
        "the Markdown has a live link"
    );
    assert!(
        html.contains("&lt;script&gt;alert"),
        "the HTML shows the text escaped"
    );
    // Template syntax in plugin text is text, never evaluated.
    assert!(
        html.contains("{{ 7*7 }}{% if true %}tpl{% endif %}"),
        "HTML evaluated plugin text"
    );
    assert!(
        md.contains("{{ 7&#42;7 }}{% if true %}tpl{% endif %}"),
        "Markdown evaluated plugin text"
    );
    // JSON keeps the exact text, escaped by JSON itself.
    let json = std::fs::read_to_string(out.join("report.json")).unwrap();
    assert!(json.contains("\\u001b]0;pwned") && !json.contains('\x1b'));
    s.container_still_reports();
}

#[test]
fn a_plugin_importing_an_unknown_interface_is_refused() {
    let s = scan(&[aicomply_test_plugins::UNKNOWN_IMPORT], &[]);
    assert_eq!(s.code(), 3, "{}", s.stderr());
    let error = s.error("test_plugin_unknown_import");
    assert!(
        error.contains("outside the aicomply host world: evil:backdoor/exfil"),
        "{error}"
    );
    s.container_still_reports();
}

#[test]
fn a_plugin_built_for_another_contract_version_is_refused_naming_both() {
    let s = scan(&[aicomply_test_plugins::FUTURE_CONTRACT], &[]);
    assert_eq!(s.code(), 3, "{}", s.stderr());
    let error = s.error("test_plugin_future_contract");
    assert!(
        error.contains("aicomply:plugin@0.2.0") && error.contains("aicomply:plugin@0.1.3"),
        "{error}"
    );
    s.container_still_reports();
}

#[test]
fn a_plugin_claiming_another_plugins_id_is_refused() {
    let s = scan(&[aicomply_test_plugins::ID_THIEF], &[]);
    assert_eq!(s.code(), 3, "{}", s.stderr());
    let error = s.error("test_plugin_id_thief");
    assert!(
        error.contains("\"container\" is already used by embedded:container"),
        "{error}"
    );
    assert_eq!(s.plugin("container")["version"], "0.1.0");
    s.container_still_reports();
}

#[test]
fn a_plugin_whose_describe_lies_loses_its_result() {
    let s = scan(&[aicomply_test_plugins::LIAR], &[]);
    assert_eq!(s.code(), 3, "{}", s.stderr());
    let error = s.error("liar");
    assert!(
        error.contains("CONT-DOCKERFILE-ROOT-USER") && error.contains("does not declare"),
        "{error}"
    );
    assert!(
        s.messages("liar").is_empty(),
        "the forged finding reached the report"
    );
    s.container_still_reports();
}

#[test]
fn files_that_are_not_components_are_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let plugins = plugin_dir(dir.path(), &[]);
    std::fs::write(plugins.join("notes.wasm"), "this is text").unwrap();
    std::fs::write(plugins.join("core.wasm"), b"\0asm\x01\0\0\0").unwrap();
    std::fs::write(plugins.join("truncated.wasm"), b"\0asm\x0d\0\x01\0\x01\x05").unwrap();
    let out = dir.path().join("out");
    let target = fixture("example-ai-service");
    let run = aicomply_run(&target, &out, &["--plugins", plugins.to_str().unwrap()]);
    assert_eq!(code(&run), 3, "{}", stderr(&run));
    let report = read_json(&out.join("report.json"));
    assert!(
        plugin(&report, "notes")["error"]
            .as_str()
            .unwrap()
            .contains("not a WebAssembly file")
    );
    assert!(
        plugin(&report, "core")["error"]
            .as_str()
            .unwrap()
            .contains("core WebAssembly module")
    );
    assert!(
        plugin(&report, "truncated")["error"]
            .as_str()
            .unwrap()
            .contains("not a valid component")
    );
    assert!(
        plugin(&report, "core")["source"]
            .as_str()
            .unwrap()
            .ends_with("core.wasm")
    );
    assert_eq!(plugin(&report, "container")["status"], "ok");
}

#[test]
fn output_and_log_floods_are_capped_and_reported() {
    let s = scan(&[aicomply_test_plugins::CHATTY], &[]);
    assert_eq!(s.code(), 3, "{}", s.stderr());
    let error = s.error("chatty");
    assert!(error.contains("more than 64 KiB to stderr"), "{error}");
    assert!(s.plugin("chatty")["stderr"].as_str().unwrap().len() <= 64 << 10);
    s.container_still_reports();

    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("aicomply.toml");
    std::fs::write(
        &policy,
        "version = 1\n[limits]\nlog-lines = 50\n[plugins.chatty]\nconfig = { flood = \"log\" }\n",
    )
    .unwrap();
    let s = scan(
        &[aicomply_test_plugins::CHATTY],
        &["--policy", policy.to_str().unwrap()],
    );
    assert_eq!(s.code(), 3, "{}", s.stderr());
    let error = s.error("chatty");
    assert!(error.contains("logged more than 50 lines"), "{error}");
    let log = s.plugin("chatty")["log"].as_array().unwrap();
    assert_eq!(log.len(), 50);
    assert!(
        log.iter().all(|l| l.as_str().unwrap().len() < 4200),
        "log lines are truncated"
    );
}

/// Contract 0.1.x only grows: a plugin built against the frozen 0.1.0
/// folder, without the SDK, loads and runs on this host; the SDK plugins
/// (0.1.1) also say how many files they examined.
#[test]
fn a_plugin_built_against_contract_0_1_0_still_runs() {
    let s = scan(&[aicomply_test_plugins::CONTRACT_0_1_0], &["-v"]);
    assert_eq!(s.code(), 0, "{}", s.stderr());
    let old = s.plugin("contract-0-1-0");
    assert_eq!(old["status"], "ok", "{old:#}");
    assert_eq!(old["wit_version"], "0.1.0");
    assert_eq!(old["files_examined"], Value::Null, "0.1.0 has no progress");
    assert_eq!(
        old["log"][0].as_str().unwrap(),
        "info: 18 entries in the target"
    );
    assert_eq!(
        s.messages("contract-0-1-0"),
        vec![(
            "OLD-CONTRACT-1".to_string(),
            "the target has 18 entries".to_string()
        )]
    );
    for id in ["container", "code", "host"] {
        let p = s.plugin(id);
        assert_eq!(p["wit_version"], "0.1.3", "{id}");
        let files = p["files_examined"].as_u64().unwrap_or(0);
        assert!(files > 5, "{id} examined {files} files");
        assert!(
            s.stderr()
                .contains(&format!("done     {id} ({files} files)")),
            "{}",
            s.stderr()
        );
    }
    s.container_still_reports();
}
