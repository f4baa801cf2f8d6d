//! The main job: scan a target, write reports, exit with the right code.

use sha2::{Digest, Sha256};

use crate::support::*;

const SECRET: &str = "hf_qZtLmNpXvBwRcYdKfGhJsAeUiOkPlMnBvCxZa";

#[test]
fn example_target_exact_findings_statuses_and_reports() {
    let out_dir = tempfile::tempdir().unwrap();
    let out = out_dir.path().to_str().unwrap();
    let target = fixture("example-ai-service");
    let run = aicomply_run(&target, out, &["--fail-on", "high"]);
    assert_eq!(code(&run), 1, "{}", stderr(&run));

    let report = read_json(&out_dir.path().join("report.json"));
    assert_eq!(report["schema_version"], "1.3.0");
    let mut all = example_findings();
    all.extend(example_code_findings());
    all.extend(example_host_findings());
    all.extend(crate::network::example_network_findings());
    all.extend(crate::access::example_access_findings());
    all.sort();
    assert_eq!(finding_keys(&report), all);
    let call = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["check_id"] == "CODE-PICKLE-DANGEROUS-CALL")
        .unwrap();
    assert_eq!(call["location"]["member"], "model/data.pkl");
    assert_eq!(call["evidence"], "REDUCE os.system @ 21");
    assert_eq!(control_status(&report, "CONT-1"), "failed");
    assert_eq!(control_status(&report, "CONT-2"), "failed");
    assert_eq!(control_status(&report, "CODE-3"), "failed");
    assert_eq!(control_status(&report, "CODE-4"), "failed");
    assert_eq!(control_status(&report, "CONT-3"), "failed");
    for control in [
        "NET-1", "NET-2", "NET-3", "NET-4", "IAM-1", "IAM-2", "HOST-4",
    ] {
        assert_eq!(control_status(&report, control), "failed", "{control}");
    }
    let container = plugin(&report, "container");
    assert_eq!(container["status"], "ok");
    assert_eq!(container["source"], "embedded:container");
    assert_eq!(container["capabilities_granted"][0]["scope"], "target");

    // minijinja escapes '/' in HTML as &#x2f;.
    let html = std::fs::read_to_string(out_dir.path().join("report.html"))
        .unwrap()
        .replace("&#x2f;", "/");
    // The Markdown writes plugin text's `_` as an entity (it renders as `_`).
    let md = std::fs::read_to_string(out_dir.path().join("report.md"))
        .unwrap()
        .replace("&#95;", "_");
    for (check, path, line) in example_findings()
        .into_iter()
        .chain(example_host_findings())
    {
        assert!(html.contains(&check), "HTML lacks {check}");
        assert!(md.contains(&check), "Markdown lacks {check}");
        // File-level findings have no line.
        let loc = if line == 0 {
            path
        } else {
            format!("{path}:{line}")
        };
        assert!(
            html.contains(&loc) && md.contains(&loc),
            "a report lacks {loc}"
        );
    }
    assert!(!html.contains("<script"), "the HTML report runs no scripts");
    assert!(
        !html.contains("<link") && !html.contains("src=\"http"),
        "HTML must not load resources"
    );
    // Secrets are redacted in every format.
    let json = std::fs::read_to_string(out_dir.path().join("report.json")).unwrap();
    for text in [&json, &html, &md] {
        assert!(
            !text.contains(SECRET),
            "a report contains the unredacted token"
        );
    }
    assert!(json.contains("hf_q…[redacted, 40 chars]"));

    // The terminal summary names counts and where the reports went.
    let err = stderr(&run);
    assert!(
        err.contains("Findings: 87 findings (critical 8, high 24, medium 24, low 30, info 1)"),
        "{err}"
    );
    assert!(
        err.contains("report.html") && err.contains("exit 1"),
        "{err}"
    );
}

#[test]
fn hardened_target_passes_with_exit_0() {
    let out_dir = tempfile::tempdir().unwrap();
    let target = fixture("hardened");
    let run = aicomply_run(&target, out_dir.path(), &[]);
    assert_eq!(code(&run), 0, "{}", stderr(&run));
    let report = read_json(&out_dir.path().join("report.json"));
    // The same service hardened, with its host: nothing at low or above
    // (an SSH port restricted to an admin range is reported as info).
    let keys = finding_keys(&report);
    assert_eq!(
        keys,
        vec![(
            "HOST-FIREWALL-OPEN-PORT".to_string(),
            "etc/ufw/user.rules".to_string(),
            4
        )]
    );
    assert_eq!(report["findings"][0]["severity"], "info");
    for control in [
        "HOST-1", "HOST-2", "HOST-3", "HOST-4", "HOST-5", "CONT-1", "CONT-2", "CONT-3", "CODE-1",
    ] {
        assert_eq!(control_status(&report, control), "passed", "{control}");
    }
}

#[test]
fn fail_on_threshold_decides_exit_code() {
    let target = fixture("example-ai-service");
    let t = target.to_str().unwrap();
    let out_dir = tempfile::tempdir().unwrap();
    let o = out_dir.path().to_str().unwrap();
    let ungated = aicomply(&["run", "--target", t, "--out", o, "--fail-on", "none"]);
    assert_eq!(code(&ungated), 0);
    // Not "PASS" above failing controls: nothing gated the run.
    let err = stderr(&ungated);
    assert!(
        err.contains("Result: NOT GATED: --fail-on none: nothing gates this run (87 findings, 18 control(s) failed) (exit 0)"),
        "{err}"
    );
    assert_eq!(
        code(&aicomply(&[
            "run",
            "-q",
            "--target",
            t,
            "--out",
            o,
            "--fail-on",
            "critical",
            "--format",
            "json"
        ])),
        1
    );
}

#[test]
fn progress_lines_only_with_verbose_when_not_on_a_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let target = fixture("hardened");
    let out = dir.path().join("out");
    let plain = stderr(&aicomply_run(&target, &out, &[]));
    assert!(
        !plain.contains("loaded ") && !plain.contains('\r'),
        "no progress in a log: {plain}"
    );
    assert!(plain.contains("Result: PASS"), "{plain}");
    let verbose = stderr(&aicomply_run(&target, &out, &["-v"]));
    assert!(
        verbose.contains("loaded   embedded:host") && verbose.contains("done     code"),
        "{verbose}"
    );
    let quiet = stderr(&aicomply_run(&target, &out, &["-q"]));
    assert!(quiet.is_empty(), "{quiet}");
}

/// On a terminal (a real pseudo-terminal from `script`), one live line
/// shows plugins done and the files the plugins report examining, and is
/// cleared before the summary.
#[test]
fn progress_on_a_terminal_shows_plugins_and_files() {
    let dir = tempfile::tempdir().unwrap();
    let target = fixture("example-ai-service");
    let command = format!(
        "{} run --target {} --out {} --fail-on none",
        BIN,
        target.display(),
        dir.path().join("out").display()
    );
    let run = std::process::Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .env("AICOMPLY_CACHE_DIR", cache_dir())
        .env("NO_COLOR", "1")
        .output()
        .expect("run script(1)");
    let screen = String::from_utf8_lossy(&run.stdout);
    assert!(run.status.success(), "{screen}");
    let live: Vec<&str> = screen
        .split("\r\x1b[2K")
        .filter(|l| l.contains("plugins done"))
        .collect();
    // At least the first report of a plugin's files is drawn (later ones
    // are paced), e.g. "container: 1 of 8 files".
    assert!(
        live.iter().any(|l| {
            let what = l.rsplit(" · ").next().unwrap_or("");
            what.contains(": ") && what.ends_with(" files")
        }),
        "{screen:?}"
    );
    let last = live.last().unwrap();
    assert!(last.starts_with("aicomply 5 of 5 plugins done"), "{last:?}");
    let files: u64 = last
        .split(" · ")
        .find_map(|p| p.strip_suffix(" files examined"))
        .and_then(|n| n.parse().ok())
        .expect("a file count");
    assert!(files > 40, "{last:?}");
    assert!(
        screen.contains("Result: "),
        "the summary follows: {screen:?}"
    );
}

#[test]
fn usage_errors_exit_2_with_a_clear_message() {
    let run = aicomply(&["run", "--target", "/definitely/not/here"]);
    assert_eq!(code(&run), 2);
    assert!(
        stderr(&run).contains("/definitely/not/here"),
        "{}",
        stderr(&run)
    );
    assert_eq!(code(&aicomply(&["run"])), 2, "missing --target");
    assert_eq!(
        code(&aicomply(&["run", "--target", ".", "--fail-on", "severe"])),
        2
    );
}

#[test]
fn plugins_list_shows_sha256_of_embedded_and_directory_plugins() {
    let dir = tempfile::tempdir().unwrap();
    let plugins = plugin_dir(dir.path(), &[aicomply_test_plugins::FS_ESCAPE]);
    let run = aicomply(&["plugins", "list", "--plugins", plugins.to_str().unwrap()]);
    assert_eq!(code(&run), 0, "{}", stderr(&run));
    let stdout = String::from_utf8(run.stdout).unwrap();
    for p in aicomply::plugin::EMBEDDED {
        let sha = aicomply::plugin::hex(&Sha256::digest(p.wasm));
        let line = stdout
            .lines()
            .find(|l| l.starts_with(p.name))
            .unwrap_or_else(|| panic!("{stdout}"));
        assert!(line.contains(&format!("sha256:{sha}")), "{line}");
        assert!(line.contains("fs-read:target"), "{line}");
    }
    let sha = aicomply::plugin::hex(&Sha256::digest(
        std::fs::read(aicomply_test_plugins::FS_ESCAPE).unwrap(),
    ));
    let line = stdout
        .lines()
        .find(|l| l.starts_with("fs-escape"))
        .unwrap_or_else(|| panic!("{stdout}"));
    assert!(line.contains(&format!("sha256:{sha}")), "{line}");
}

#[test]
fn custom_templates_replace_builtin_ones_and_errors_name_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let templates = dir.path().join("templates");
    std::fs::create_dir_all(&templates).unwrap();
    std::fs::write(
        templates.join("report.md.j2"),
        "custom {{ summary.findings }} findings for {{ run.target }}\n",
    )
    .unwrap();
    let target = fixture("example-ai-service");
    let out = dir.path().join("out");
    let run = aicomply_run(
        &target,
        &out,
        &[
            "-q",
            "--templates",
            templates.to_str().unwrap(),
            "--fail-on",
            "none",
        ],
    );
    assert_eq!(code(&run), 0, "{}", stderr(&run));
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(md.starts_with("custom 87 findings for "), "{md}");
    // The built-in HTML template is still used.
    assert!(
        std::fs::read_to_string(out.join("report.html"))
            .unwrap()
            .contains("<!DOCTYPE html>")
    );

    std::fs::write(templates.join("report.md.j2"), "fine\n{% for x in %}\n").unwrap();
    let run = aicomply_run(
        &target,
        &out,
        &["-q", "--templates", templates.to_str().unwrap()],
    );
    assert_eq!(code(&run), 2);
    let err = stderr(&run);
    assert!(
        err.contains("report.md.j2") && err.contains("line 2"),
        "{err}"
    );
}

#[test]
fn second_run_loads_compiled_components_from_the_cache() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let target = fixture("hardened");
    let out = dir.path().join("out");
    let args = [
        "run",
        "--verbose",
        "--target",
        target.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--cache-dir",
        cache.to_str().unwrap(),
    ];
    let first = stderr(&aicomply(&args));
    assert!(first.contains("embedded:container (compiled)"), "{first}");
    let entries = std::fs::read_dir(&cache).unwrap().count();
    assert_eq!(
        entries,
        aicomply::plugin::EMBEDDED.len(),
        "one cache entry per plugin"
    );
    let second = stderr(&aicomply(&args));
    assert!(second.contains("loaded   embedded:container\n"), "{second}");
}

#[test]
fn example_host_snapshot_is_checked_by_the_host_plugin() {
    let (run, report) = run_json(&fixture("example-ai-service"), &[]);
    assert_eq!(code(&run), 1, "{}", stderr(&run));
    let host = plugin(&report, "host");
    assert_eq!(host["status"], "ok");
    // The optional live-host root was requested but not granted.
    assert_eq!(
        host["capabilities_denied"][0]["capability"]["scope"],
        "host"
    );
    let keys: Vec<_> = finding_keys(&report)
        .into_iter()
        .filter(|(c, _, _)| c.starts_with("HOST-"))
        .collect();
    assert_eq!(keys.len(), 21, "{keys:#?}");
    assert!(keys.contains(&(
        "HOST-SSH-PASSWORD-AUTH".into(),
        "etc/ssh/sshd_config.d/50-cloud.conf".into(),
        1
    )));
    assert!(keys.contains(&(
        "HOST-SYSCTL-HARDENING".into(),
        "etc/sysctl.d/99-tuning.conf".into(),
        2
    )));
    for control in ["HOST-1", "HOST-2", "HOST-3", "HOST-4", "HOST-5"] {
        assert_eq!(control_status(&report, control), "failed", "{control}");
    }
    // The container plugin reads the same package database: docker-ce 24.
    let runtime = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["check_id"] == "CONT-RUNTIME-OUTDATED")
        .expect("runtime finding");
    assert!(
        runtime["message"]
            .as_str()
            .unwrap()
            .starts_with("docker-ce 5:24.0.7"),
        "{runtime}"
    );
}

/// An RPM-family host: both plugins read rpm's SQLite package database
/// inside the sandbox, and every package finding points at it.
#[test]
fn rpm_host_snapshot_is_read_by_both_plugins() {
    let (run, report) = run_json(&fixture("rpm-host"), &[]);
    assert_eq!(code(&run), 1, "{}", stderr(&run));
    for id in ["host", "container"] {
        let p = plugin(&report, id);
        assert_eq!(p["status"], "ok", "{id}");
        assert_eq!(p["diagnostics"], serde_json::json!([]), "{id}");
    }
    let db = "var/lib/rpm/rpmdb.sqlite";
    let keys: Vec<(String, String, u64)> = finding_keys(&report)
        .into_iter()
        .filter(|(c, _, _)| c.starts_with("HOST-") || c.starts_with("CONT-RUNTIME"))
        .collect();
    let want: Vec<(String, String, u64)> = [
        ("CONT-RUNTIME-OUTDATED", db, 0),
        ("CONT-RUNTIME-OUTDATED", db, 0),
        ("HOST-AUDIT-RULES", db, 0),
        ("HOST-AUTO-UPDATES", "etc/dnf/automatic.conf", 4),
        ("HOST-BACKUP-JOB", "etc", 0),
        ("HOST-DEV-TOOLS", db, 0),
        ("HOST-ENDPOINT-AGENT", db, 0),
        ("HOST-FIREWALL-MISSING", db, 0),
        ("HOST-UNNEEDED-SERVICE", db, 0),
    ]
    .iter()
    .map(|(c, p, l)| (c.to_string(), p.to_string(), *l))
    .collect();
    assert_eq!(keys, want);
    let messages: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["message"].as_str().unwrap())
        .collect();
    assert!(
        messages.contains(&"package telnet-server 0.17-85.el9 is installed"),
        "{messages:#?}"
    );
    assert!(
        messages
            .iter()
            .any(|m| m.starts_with("docker-ce 3:24.0.7-1.el9 ")),
        "{messages:#?}"
    );
}

#[test]
fn tricky_fixture_exercises_every_parsing_rule() {
    let (run, report) = run_json(&fixture("tricky"), &[]);
    assert_eq!(code(&run), 1, "{}", stderr(&run));
    let expected: Vec<(String, String, u64)> = [
        // Merge key from an anchor: `privileged: true` under `<<: *common`,
        // at the line that uses it.
        ("CONT-COMPOSE-PRIVILEGED", "docker-compose.yml", 6),
        // dockerd flags in the systemd drop-in override daemon.json.
        (
            "CONT-DAEMON-ICC",
            "etc/systemd/system/docker.service.d/override.conf",
            3,
        ),
        (
            "CONT-DAEMON-TCP-NO-TLS",
            "etc/systemd/system/docker.service.d/override.conf",
            3,
        ),
        // BOM, CRLF, `# escape=`, heredoc: the pipe inside the heredoc counts,
        // its "USER root" text does not; the final stage inherits USER app
        // and the HEALTHCHECK from its parent stage.
        ("CONT-DOCKERFILE-CURL-PIPE-SHELL", "Dockerfile", 10),
        // Anchored securityContext merged, then `privileged: true` on top.
        ("CONT-K8S-PRIVILEGED", "k8s/workers.yaml", 33),
        ("HOST-BACKUP-JOB", "etc", 0),
        // Relative Include glob, CRLF, `key=value`, first value wins.
        (
            "HOST-SSH-PASSWORD-AUTH",
            "etc/ssh/sshd_config.d/99-late.conf",
            2,
        ),
        (
            "HOST-SSH-ROOT-LOGIN",
            "etc/ssh/sshd_config.d/00-first.conf",
            2,
        ),
        // /etc/sysctl.d overrides the same name in /usr/lib; sysctl.conf is last.
        ("HOST-SYSCTL-HARDENING", "etc/sysctl.conf", 2),
        ("HOST-SYSCTL-HARDENING", "etc/sysctl.d/50-default.conf", 2),
        // No serviceAccountName and no automount setting on pod or account.
        ("IAM-K8S-DEFAULT-SERVICE-ACCOUNT", "k8s/workers.yaml", 15),
        ("IAM-K8S-TOKEN-AUTOMOUNT", "k8s/workers.yaml", 15),
    ]
    .iter()
    .map(|(c, p, l)| (c.to_string(), p.to_string(), *l))
    .collect();
    assert_eq!(finding_keys(&report), expected);
    let diagnostics = plugin(&report, "container")["diagnostics"]
        .as_array()
        .unwrap();
    assert!(
        diagnostics[0]["message"]
            .as_str()
            .unwrap()
            .contains("icc is set both in daemon.json and as a dockerd flag")
    );
}

#[test]
fn kustomize_overlays_are_judged_as_rendered_with_findings_where_they_were_introduced() {
    let (run, report) = run_json(&fixture("kustomize"), &[]);
    assert_eq!(code(&run), 1, "{}", stderr(&run));
    let expected: Vec<(String, String, u64)> = [
        // What the debug overlay's patches set: at the patch lines.
        (
            "CONT-K8S-HOST-NAMESPACE",
            "overlays/debug/privileged.yaml",
            8,
        ),
        // What the base lacks, as the debug overlay renders it (the prod
        // overlay pins the image by digest and adds the limits).
        ("CONT-K8S-IMAGE-UNPINNED", "base/deployment.yaml", 27),
        (
            "CONT-K8S-PRIVILEGE-ESCALATION",
            "overlays/debug/privileged.yaml",
            13,
        ),
        ("CONT-K8S-PRIVILEGE-ESCALATION", "standalone/job.yaml", 23),
        ("CONT-K8S-PRIVILEGED", "overlays/debug/privileged.yaml", 12),
        ("CONT-K8S-PRIVILEGED", "standalone/job.yaml", 22),
        // Removed by the inline JSON 6902 patch: the container is the base's.
        ("CONT-K8S-READONLY-ROOTFS", "base/deployment.yaml", 26),
        ("CONT-K8S-RESOURCE-LIMITS", "base/deployment.yaml", 26),
    ]
    .iter()
    .map(|(c, p, l)| (c.to_string(), p.to_string(), *l))
    .collect();
    assert_eq!(finding_keys(&report), expected);
    // Each rendered finding names the overlay and the namespace it set.
    for f in report["findings"].as_array().unwrap() {
        let message = f["message"].as_str().unwrap();
        if !f["location"]["path"]
            .as_str()
            .unwrap()
            .starts_with("standalone/")
        {
            assert!(
                message.starts_with(
                    "Deployment/llm in namespace debug (as overlays/debug/kustomization.yaml renders it)"
                ),
                "{message}"
            );
        }
    }
    // Everything was rendered: no Kubernetes check is incomplete.
    assert_eq!(control_status(&report, "CONT-2"), "failed");
    for p in report["plugins"].as_array().unwrap() {
        assert!(
            p["diagnostics"].as_array().is_none_or(|d| d.is_empty()),
            "{}: {}",
            p["id"],
            p["diagnostics"]
        );
    }
}

#[test]
fn helm_charts_are_judged_as_rendered_with_their_default_values() {
    let (run, report) = run_json(&fixture("helm"), &[]);
    // One template was not evaluated: the run is incomplete, not failed.
    assert_eq!(code(&run), 3, "{}", stderr(&run));
    let expected: Vec<(String, String, u64)> = [
        // `hostNetwork: true` under `if .Values.hostNetwork`, on by default.
        (
            "CONT-K8S-HOST-NAMESPACE",
            "llm/templates/deployment.yaml",
            21,
        ),
        // The image from repository and tag values: `latest`.
        (
            "CONT-K8S-IMAGE-UNPINNED",
            "llm/templates/deployment.yaml",
            29,
        ),
    ]
    .iter()
    .map(|(c, p, l)| (c.to_string(), p.to_string(), *l))
    .collect();
    // No finding for the limits and security context the values give
    // through toYaml, nor for the privileged block debug.enabled leaves out.
    assert_eq!(finding_keys(&report), expected);
    let f = &report["findings"][0];
    assert!(
        f["message"].as_str().unwrap().starts_with(
            "Deployment/release-name-llm (as llm/Chart.yaml renders it) sets hostNetwork"
        ),
        "{f}"
    );
    // The template that reads a chart file is not evaluated, and says so
    // with its line; the checks it could have failed are incomplete.
    let diagnostics = plugin(&report, "container")["diagnostics"]
        .as_array()
        .unwrap();
    assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
    assert_eq!(
        diagnostics[0]["location"]["path"],
        "llm/templates/configmap.yaml"
    );
    assert_eq!(diagnostics[0]["location"]["line"], 7);
    assert!(
        diagnostics[0]["message"]
            .as_str()
            .unwrap()
            .contains(".Files")
    );
    assert_eq!(control_status(&report, "IAM-1"), "incomplete");
    // The console names the input once, with the checks it left incomplete.
    let console = stderr(&run);
    let lines: Vec<&str> = console
        .lines()
        .filter(|l| l.contains("llm/templates/configmap.yaml: Helm template not evaluated"))
        .filter(|l| !l.contains(" incomplete "))
        .collect();
    assert_eq!(lines.len(), 1, "{console}");
    assert!(lines[0].contains(" more: "), "{console}");
}

#[test]
fn sarif_and_junit_come_from_the_same_report() {
    let dir = tempfile::tempdir().unwrap();
    let target = fixture("example-ai-service");
    let run = |out: &std::path::Path| {
        let r = aicomply_run(
            &target,
            out,
            &["-q", "--format", "json,sarif,junit", "--fail-on", "none"],
        );
        assert_eq!(code(&r), 0, "{}", stderr(&r));
    };
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    run(&a);
    run(&b);
    let report = read_json(&a.join("report.json"));
    let sarif = read_json(&a.join("report.sarif"));
    assert_eq!(sarif["version"], "2.1.0");
    let run0 = &sarif["runs"][0];
    let rules = run0["tool"]["driver"]["rules"].as_array().unwrap();
    let results = run0["results"].as_array().unwrap();
    assert_eq!(results.len(), report["findings"].as_array().unwrap().len());
    for r in results {
        let rule = &rules[r["ruleIndex"].as_u64().unwrap() as usize];
        assert_eq!(rule["id"], r["ruleId"]);
        assert!(
            rule["properties"]["security-severity"]
                .as_str()
                .unwrap()
                .parse::<f64>()
                .is_ok()
        );
        assert!(
            rule["properties"]["tags"]
                .as_array()
                .unwrap()
                .iter()
                .any(|t| t.as_str().unwrap().contains('-')),
            "a control tag"
        );
        let loc = &r["locations"][0]["physicalLocation"];
        assert!(!loc["artifactLocation"]["uri"].as_str().unwrap().is_empty());
        assert!(
            loc["region"]["startLine"].as_u64().unwrap() >= 1,
            "every result has a line"
        );
        assert!(
            r["partialFingerprints"]["aicomplyFinding/v1"]
                .as_str()
                .unwrap()
                .len()
                == 32
        );
    }
    assert!(
        run0["automationDetails"]["id"]
            .as_str()
            .unwrap()
            .starts_with("aicomply/")
    );
    // Fingerprints are stable from run to run.
    let again = read_json(&b.join("report.sarif"));
    let prints = |s: &serde_json::Value| -> Vec<String> {
        s["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                r["partialFingerprints"]["aicomplyFinding/v1"]
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect()
    };
    assert_eq!(prints(&sarif), prints(&again));

    let junit = std::fs::read_to_string(a.join("report.junit.xml")).unwrap();
    assert!(junit.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"));
    assert_eq!(
        junit.matches("<testcase ").count(),
        18,
        "one test case per control"
    );
    let failed = report["summary"]["controls"]["failed"].as_u64().unwrap() as usize;
    let skipped = report["summary"]["controls"]["not_checked"]
        .as_u64()
        .unwrap() as usize;
    assert_eq!(junit.matches("<failure ").count(), failed);
    assert_eq!(junit.matches("<skipped ").count(), skipped);
    assert_eq!(
        junit.matches("<testcase ").count(),
        junit.matches("</testcase>").count()
    );
}

#[test]
fn our_own_deployment_examples_pass_our_checks() {
    let dir = tempfile::tempdir().unwrap();
    let deploy = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy");
    let target = dir.path().join("target");
    std::fs::create_dir_all(target.join(".github/workflows")).unwrap();
    std::fs::copy(
        deploy.join("kubernetes-cronjob.yaml"),
        target.join("kubernetes-cronjob.yaml"),
    )
    .unwrap();
    std::fs::copy(
        deploy.join("github-actions.yml"),
        target.join(".github/workflows/aicomply.yml"),
    )
    .unwrap();
    let (run, report) = run_json(&target, &["-q"]);
    // The workflow is the repository's secret scanning and SCA (aicomply
    // with the OSV export); static analysis is another tool's job, and this
    // repository has none.
    assert_eq!(code(&run), 1, "{}", stderr(&run));
    assert_eq!(
        finding_keys(&report),
        vec![(
            "CODE-CI-SAST-MISSING".to_string(),
            ".github/workflows".to_string(),
            0
        )]
    );
    let container = plugin(&report, "container");
    let evaluated = container["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["status"] == "passed")
        .count();
    assert!(
        evaluated >= 11,
        "the Kubernetes and CI checks ran: {evaluated}"
    );
}
