//! Hostile plugins in the same run as the container plugin: the attack is
//! contained, and the well-behaved plugin still reports.

use std::time::Duration;

use crate::support::*;

/// A writable copy of the example target with a secret file beside it.
fn staged_target(dir: &std::path::Path) -> std::path::PathBuf {
    let target = dir.join("target");
    copy_tree(&fixture("example-ai-service"), &target);
    std::fs::write(
        dir.join("outside-secret.txt"),
        "TOP-SECRET-OUTSIDE-THE-TARGET",
    )
    .unwrap();
    target
}

fn container_still_reports(report: &serde_json::Value) {
    assert_eq!(plugin(report, "container")["status"], "ok");
    let container: Vec<_> = finding_keys(report)
        .into_iter()
        .filter(|(c, _, _)| c.starts_with("CONT-"))
        .collect();
    assert_eq!(container, example_findings());
}

#[test]
fn filesystem_escapes_and_writes_are_denied() {
    let dir = tempfile::tempdir().unwrap();
    let target = staged_target(dir.path());
    let dockerfile_before = std::fs::read(target.join("Dockerfile")).unwrap();
    let plugins = plugin_dir(dir.path(), &[aicomply_test_plugins::FS_ESCAPE]);
    let out = dir.path().join("out");
    let run = aicomply(&[
        "run",
        "--target",
        target.to_str().unwrap(),
        "--plugins",
        plugins.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--fail-on",
        "none",
    ]);
    assert_eq!(code(&run), 0, "{}", stderr(&run));
    let report = read_json(&out.join("report.json"));

    let attempts: Vec<_> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["plugin"] == "fs-escape")
        .map(|f| {
            (
                f["check_id"].as_str().unwrap().to_string(),
                f["message"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(attempts.len(), 4, "{attempts:?}");
    for (check, message) in &attempts {
        assert!(
            message.starts_with("denied:"),
            "{check} was not contained: {message}"
        );
    }
    let text = std::fs::read_to_string(out.join("report.json")).unwrap();
    assert!(
        !text.contains("TOP-SECRET") && !text.contains("root:x:0:0"),
        "content leaked into the report"
    );
    assert!(
        !target.join("planted-by-plugin.txt").exists(),
        "the plugin created a file in the target"
    );
    assert_eq!(
        std::fs::read(target.join("Dockerfile")).unwrap(),
        dockerfile_before,
        "the plugin changed a file"
    );
    container_still_reports(&report);
}

#[test]
fn infinite_loop_is_stopped_by_the_deadline() {
    let dir = tempfile::tempdir().unwrap();
    let plugins = plugin_dir(dir.path(), &[aicomply_test_plugins::SPIN_FOREVER]);
    let out = dir.path().join("out");
    let target = fixture("example-ai-service");
    let run = aicomply_within(
        &[
            "run",
            "--target",
            target.to_str().unwrap(),
            "--plugins",
            plugins.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--plugin-timeout",
            "2",
        ],
        Duration::from_secs(120),
    );
    assert_eq!(code(&run), 3, "{}", stderr(&run));
    let report = read_json(&out.join("report.json"));
    let spin = plugin(&report, "spin-forever");
    assert_eq!(spin["status"], "error");
    let error = spin["error"].as_str().unwrap();
    assert!(
        error.contains("timed out") && error.contains("2 s"),
        "{error}"
    );
    assert_eq!(spin["checks"][0]["status"], "error");
    assert_eq!(control_status(&report, "CODE-1"), "error");
    assert_eq!(report["summary"]["incomplete"], true);
    container_still_reports(&report);
    assert!(stderr(&run).contains("INCOMPLETE"), "{}", stderr(&run));
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
    let run = aicomply(&[
        "run",
        "--target",
        target.to_str().unwrap(),
        "--plugins",
        plugins.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
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
    container_still_reports(&report);
}
