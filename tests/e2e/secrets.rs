//! The code plugin's secrets scan through the real host, on the generated
//! fixtures (tests/fixtures/secrets-planted/generate.py): every planted
//! secret at its path and line and nothing else, nothing on the look-alike
//! traps, redacted evidence in every report, links that loop or leave the
//! target neither followed out nor looped on, and the example target's
//! CODE-1 and CODE-2 findings.

use std::collections::BTreeSet;
use std::time::Duration;

use crate::support::*;

fn secret_findings(report: &serde_json::Value) -> BTreeSet<(String, String, u64)> {
    finding_keys(report)
        .into_iter()
        .filter(|(c, _, _)| c.starts_with("CODE-SECRET-") || c.starts_with("CODE-NB-SECRET-"))
        .collect()
}

/// Markers that appear only inside a full secret, never in redacted
/// evidence.
fn assert_redacted(text: &str, what: &str) {
    for marker in [
        "T3BlbkFJ",
        "PRIVATE KEY-----\\n",
        "PRIVATE KEY-----\n",
        "AccountKey=",
        "sk-ant-api03-",
    ] {
        assert!(!text.contains(marker), "{what} holds a secret ({marker:?})");
    }
}

#[test]
fn planted_secrets_are_found_at_their_lines_and_links_do_not_leave_or_loop() {
    let work = tempfile::tempdir().unwrap();
    let target = work.path().join("target");
    copy_tree(&fixture("secrets-planted"), &target);
    // A link cycle and a link out of the target, to a folder holding a secret.
    let outside = work.path().join("outside");
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(outside.join("creds.env"), "DB_PASSWORD=Zq8xLm2pR7vTk3Wn\n").unwrap();
    std::os::unix::fs::symlink(".", target.join("config/loop")).unwrap();
    std::os::unix::fs::symlink(&outside, target.join("outside")).unwrap();
    std::os::unix::fs::symlink("../outside/creds.env", target.join("escape.env")).unwrap();

    let out = work.path().join("out");
    let run = aicomply_within(
        &[
            "run",
            "--target",
            target.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--format",
            "json,md,html,sarif",
            "--fail-on",
            "none",
            "--cache-dir",
            cache_dir().to_str().unwrap(),
        ],
        Duration::from_secs(300),
    );
    assert_eq!(code(&run), 0, "{}", stderr(&run));
    let report = read_json(&out.join("report.json"));
    assert_eq!(plugin(&report, "code")["status"], "ok");

    let expected: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(fixture("secrets-planted").join("expected.json")).unwrap(),
    )
    .unwrap();
    let want: BTreeSet<(String, String, u64)> = expected["planted"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["check"].as_str().unwrap().to_string(),
                e["path"].as_str().unwrap().to_string(),
                e["line"].as_u64().unwrap(),
            )
        })
        .collect();
    let got = secret_findings(&report);
    let missed: Vec<_> = want.difference(&got).collect();
    let extra: Vec<_> = got.difference(&want).collect();
    assert!(
        missed.is_empty() && extra.is_empty(),
        "missed {missed:#?}\nextra {extra:#?}"
    );
    assert!(want.len() >= 30, "{} planted", want.len());

    // Evidence: a prefix and the length, in every format.
    for f in report["findings"].as_array().unwrap() {
        let check = f["check_id"].as_str().unwrap();
        if check.starts_with("CODE-SECRET-") || check.starts_with("CODE-NB-SECRET-") {
            let e = f["evidence"].as_str().unwrap();
            assert!(e.contains("chars)"), "{e}");
        }
    }
    for name in ["report.json", "report.md", "report.html", "report.sarif"] {
        let path = out.join(name);
        if path.exists() {
            assert_redacted(&std::fs::read_to_string(&path).unwrap(), name);
        }
    }
    assert_eq!(control_status(&report, "CODE-2"), "failed");
    let code1 = report["controls"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "CODE-1")
        .unwrap();
    assert_eq!(code1["status"], "failed", "{code1:#}");
}

#[test]
fn look_alikes_are_not_reported() {
    let (run, report) = run_json(&fixture("secrets-traps"), &["--fail-on", "none"]);
    assert_eq!(code(&run), 0, "{}", stderr(&run));
    assert_eq!(plugin(&report, "code")["status"], "ok");
    let got = secret_findings(&report);
    assert!(got.is_empty(), "{got:#?}");
}

#[test]
fn a_text_file_over_the_limit_is_listed_and_leaves_the_checks_incomplete() {
    let work = tempfile::tempdir().unwrap();
    let target = work.path().join("target");
    std::fs::create_dir_all(&target).unwrap();
    std::fs::write(target.join("app.py"), "print('hello')\n").unwrap();
    let line = "x = 1  # filler filler filler filler filler filler filler filler\n";
    std::fs::write(
        target.join("huge.log"),
        line.repeat((17 << 20) / line.len()),
    )
    .unwrap();
    let (run, report) = run_json(&target, &["--fail-on", "none"]);
    assert_eq!(code(&run), 0, "{}", stderr(&run));
    let code = plugin(&report, "code");
    assert!(
        code["not_examined"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["location"]["path"] == "huge.log" && n["reason"] == "too_large"),
        "{code:#}"
    );
    assert_eq!(control_status(&report, "CODE-1"), "incomplete");
}

#[test]
fn the_example_target_shows_code_1_and_code_2_findings() {
    let (_, report) = run_json(&fixture("example-ai-service"), &["--fail-on", "none"]);
    let got = secret_findings(&report);
    for want in [
        ("CODE-SECRET-HUGGINGFACE-TOKEN", "Dockerfile", 13),
        ("CODE-SECRET-WANDB-KEY", "Dockerfile", 14),
        ("CODE-NB-SECRET-SOURCE", "notebooks/reranker-eval.ipynb", 28),
    ] {
        assert!(
            got.contains(&(want.0.to_string(), want.1.to_string(), want.2)),
            "{want:?} not in {got:#?}"
        );
    }
    assert_eq!(control_status(&report, "CODE-1"), "failed");
    assert_eq!(control_status(&report, "CODE-2"), "failed");
}
