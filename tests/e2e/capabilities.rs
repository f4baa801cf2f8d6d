//! Capabilities are declared by the plugin and granted by the operator;
//! the lock pins what was reviewed.

use crate::support::*;

fn wants_root_scan(extra: &[&str]) -> serde_json::Value {
    let dir = tempfile::tempdir().unwrap();
    let plugins = plugin_dir(dir.path(), &[aicomply_test_plugins::WANTS_ROOT]);
    let out = dir.path().join("out");
    let target = fixture("hardened");
    let plugins_arg = ["--plugins", plugins.to_str().unwrap()];
    let run = aicomply_run(&target, &out, &[&plugins_arg[..], extra].concat());
    assert_eq!(code(&run), 0, "{}", stderr(&run));
    read_json(&out.join("report.json"))
}

fn check<'a>(report: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    plugin(report, "wants-root")["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap()
}

#[test]
fn an_ungranted_root_means_not_checked_with_the_reason() {
    let report = wants_root_scan(&[]);
    let read = check(&report, "ROOT-READ");
    assert_eq!(read["status"], "not_checked");
    assert_eq!(read["reason"], "the root host-etc was not granted");
    assert_eq!(check(&report, "ROOT-META")["status"], "not_checked");
    let p = plugin(&report, "wants-root");
    assert_eq!(p["capabilities_requested"].as_array().unwrap().len(), 2);
    assert_eq!(p["capabilities_granted"].as_array().unwrap().len(), 0);
    let denied = p["capabilities_denied"].as_array().unwrap();
    assert_eq!(denied.len(), 2);
    let reason = denied[0]["reason"].as_str().unwrap();
    assert!(
        reason.contains("--grant wants-root=fs-read:host-etc"),
        "{reason}"
    );
    // HOST-1 itself is decided by the host plugin's checks, not by these.
}

#[test]
fn granted_roots_are_mounted_read_only_with_metadata() {
    let dir = tempfile::tempdir().unwrap();
    let etc = dir.path().join("etc");
    std::fs::create_dir(&etc).unwrap();
    std::fs::write(etc.join("os-release"), "PRETTY_NAME=\"Test OS\"\n").unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(
            etc.join("os-release"),
            std::fs::Permissions::from_mode(0o640),
        )
        .unwrap();
    }
    let root = format!("host-etc={}", etc.display());
    let report = wants_root_scan(&[
        "--root",
        &root,
        "--grant",
        "wants-root=fs-read:host-etc",
        "--grant",
        "wants-root=file-meta:host-etc",
    ]);
    let mut findings: Vec<_> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["plugin"] == "wants-root")
        .map(|f| f["message"].as_str().unwrap().to_string())
        .collect();
    findings.sort();
    assert_eq!(
        findings,
        vec![
            "PRETTY_NAME=\"Test OS\"".to_string(),
            "mode 640".to_string()
        ]
    );
    assert_eq!(
        plugin(&report, "wants-root")["capabilities_denied"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
    assert_eq!(control_status(&report, "HOST-1"), "passed");
}

#[test]
fn a_grant_in_the_policy_file_works_like_the_flag() {
    let dir = tempfile::tempdir().unwrap();
    let etc = dir.path().join("etc");
    std::fs::create_dir(&etc).unwrap();
    std::fs::write(etc.join("os-release"), "ID=test\n").unwrap();
    let policy = dir.path().join("aicomply.toml");
    std::fs::write(&policy, "version = 1\n[roots]\nhost-etc = \"etc\"\n[plugins.wants-root]\ngrant = [\"fs-read:host-etc\"]\n").unwrap();
    let report = wants_root_scan(&["--policy", policy.to_str().unwrap()]);
    assert_eq!(check(&report, "ROOT-READ")["status"], "passed");
    assert_eq!(check(&report, "ROOT-META")["status"], "not_checked");
}

#[test]
fn locked_run_refuses_a_changed_plugin_and_runs_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let plugins = plugin_dir(dir.path(), &[aicomply_test_plugins::SNOOP]);
    let lock = dir.path().join("aicomply.lock");
    let p = plugins.to_str().unwrap();
    let l = lock.to_str().unwrap();
    let run = aicomply(&["plugins", "lock", "--plugins", p, "--lock", l]);
    assert_eq!(code(&run), 0, "{}", stderr(&run));
    let text = std::fs::read_to_string(&lock).unwrap();
    assert!(
        text.contains("version = 1")
            && text.contains("id = \"snoop\"")
            && text.contains("id = \"container\"")
    );
    assert!(
        text.contains("wit = \"0.1.3\"") && text.contains("granted = [\"fs-read:target\"]"),
        "{text}"
    );

    let target = fixture("example-ai-service");
    let out = dir.path().join("out");
    let args = [
        "run",
        "--target",
        target.to_str().unwrap(),
        "--plugins",
        p,
        "--out",
        out.to_str().unwrap(),
        "--locked",
        "--lock",
        l,
        "--fail-on",
        "none",
    ];
    let run = aicomply(&args);
    assert_eq!(
        code(&run),
        0,
        "the matching lock is accepted: {}",
        stderr(&run)
    );

    // Change one byte of the plugin.
    let component = plugins.join("test_plugin_snoop.wasm");
    let mut bytes = std::fs::read(&component).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0x01;
    std::fs::write(&component, bytes).unwrap();
    std::fs::remove_dir_all(&out).unwrap();
    let run = aicomply(&args);
    assert_eq!(code(&run), 2, "{}", stderr(&run));
    let err = stderr(&run);
    assert!(
        err.contains("plugin snoop (test_plugin_snoop.wasm) changed"),
        "{err}"
    );
    assert!(err.contains("no plugin was run"), "{err}");
    assert!(!out.exists(), "no report: nothing ran");
}

#[test]
fn locked_run_refuses_a_plugin_missing_from_the_lock_or_asking_for_more() {
    let dir = tempfile::tempdir().unwrap();
    let plugins = plugin_dir(dir.path(), &[]);
    let lock = dir.path().join("aicomply.lock");
    let p = plugins.to_str().unwrap();
    let l = lock.to_str().unwrap();
    let run = aicomply(&["plugins", "lock", "--plugins", p, "--lock", l]);
    assert_eq!(code(&run), 0, "{}", stderr(&run));
    std::fs::copy(
        aicomply_test_plugins::WANTS_ROOT,
        plugins.join("wants-root.wasm"),
    )
    .unwrap();
    let target = fixture("hardened");
    let out = dir.path().join("out");
    let locked_run = [
        "run",
        "--target",
        target.to_str().unwrap(),
        "--plugins",
        p,
        "--locked",
        "--lock",
        l,
        "--out",
        out.to_str().unwrap(),
    ];
    let run = aicomply(&locked_run);
    assert_eq!(code(&run), 2);
    assert!(
        stderr(&run).contains("wants-root.wasm (SHA-256"),
        "{}",
        stderr(&run)
    );

    // The same bytes locked with fewer capabilities: the request grew.
    let run = aicomply(&["plugins", "lock", "--plugins", p, "--lock", l]);
    assert_eq!(code(&run), 0);
    let mut parsed: toml::Table = std::fs::read_to_string(&lock).unwrap().parse().unwrap();
    for entry in parsed["plugin"].as_array_mut().unwrap() {
        if entry["id"].as_str() == Some("wants-root") {
            entry["requested"] = toml::Value::Array(vec!["fs-read:host-etc".into()]);
        }
    }
    std::fs::write(&lock, toml::to_string(&parsed).unwrap()).unwrap();
    let run = aicomply(&locked_run);
    assert_eq!(code(&run), 2);
    let err = stderr(&run);
    assert!(
        err.contains(
            "wants-root now requests capabilities the lock does not have: file-meta:host-etc"
        ),
        "{err}"
    );
}
