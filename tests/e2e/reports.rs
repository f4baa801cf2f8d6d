//! Report formats: the JSON report validates against reports/report.schema.json,
//! SARIF against the official SARIF 2.1.0 schema, and every format renders a
//! 10,000-finding run.

use crate::support::*;

fn validator(relative: &str) -> jsonschema::Validator {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(relative);
    // The official SARIF schema's `run.language` pattern has a stray `]`,
    // a literal in ECMAScript's legacy syntax but an error in the strict
    // syntax this validator checks patterns with. Escaping it keeps the
    // meaning; the file itself stays as published.
    let text = std::fs::read_to_string(path)
        .unwrap()
        .replace(r"-[a-zA-Z]{2}]?$", r"-[a-zA-Z]{2}\\]?$");
    let schema: serde_json::Value = serde_json::from_str(&text).unwrap();
    jsonschema::validator_for(&schema).expect("the schema itself is valid")
}

fn assert_matches(schema: &str, what: &str, document: &serde_json::Value) {
    let errors: Vec<String> = validator(schema)
        .iter_errors(document)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .take(10)
        .collect();
    assert!(
        errors.is_empty(),
        "{what} does not match {schema}:\n{}",
        errors.join("\n")
    );
}

fn assert_valid(report: &serde_json::Value) {
    assert_matches("../reports/report.schema.json", "report.json", report);
}

/// The official OASIS schema, which GitHub code scanning validates against.
fn assert_valid_sarif(sarif: &serde_json::Value) {
    assert_matches(
        "../tests/fixtures/schemas/sarif-schema-2.1.0.json",
        "report.sarif",
        sarif,
    );
}

/// The validators are real: a report missing a required field fails.
#[test]
fn schemas_reject_what_they_should() {
    let sarif = serde_json::json!({"version": "2.1.0", "runs": [{"results": []}]});
    let errors = validator("../tests/fixtures/schemas/sarif-schema-2.1.0.json")
        .iter_errors(&sarif)
        .count();
    assert!(errors > 0, "a run without a tool is not SARIF");
    let report = serde_json::json!({"schema_version": "1.0.0"});
    assert!(!validator("../reports/report.schema.json").is_valid(&report));
}

#[test]
fn json_reports_match_the_schema() {
    for name in [
        "example-ai-service",
        "hardened",
        "tricky",
        "models",
        "rpm-host",
    ] {
        let dir = tempfile::tempdir().unwrap();
        let target = fixture(name);
        let run = aicomply_run(
            &target,
            dir.path(),
            &["-q", "--format", "json,sarif", "--fail-on", "none"],
        );
        assert_eq!(code(&run), 0, "{name}: {}", stderr(&run));
        assert_valid(&read_json(&dir.path().join("report.json")));
        assert_valid_sarif(&read_json(&dir.path().join("report.sarif")));
    }
}

#[test]
fn ten_thousand_findings_render_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let plugins = plugin_dir(dir.path(), &[aicomply_test_plugins::FINDING_FLOOD]);
    let policy = dir.path().join("aicomply.toml");
    std::fs::write(
        &policy,
        "version = 1\n[plugins.finding-flood]\nconfig = { count = \"10000\" }\n",
    )
    .unwrap();
    let out = dir.path().join("out");
    let target = fixture("hardened");
    let run = aicomply_run(
        &target,
        &out,
        &[
            "-q",
            "--plugins",
            plugins.to_str().unwrap(),
            "--policy",
            policy.to_str().unwrap(),
            "--format",
            "html,md,json,sarif,junit",
        ],
    );
    assert_eq!(code(&run), 1, "{}", stderr(&run));
    let report = read_json(&out.join("report.json"));
    assert_eq!(
        report["summary"]["findings"], 10_001,
        "10,000 flood findings and the hardened target's info finding"
    );
    assert_valid(&report);
    let sarif = read_json(&out.join("report.sarif"));
    assert_eq!(
        sarif["runs"][0]["results"].as_array().unwrap().len(),
        10_001
    );
    assert_valid_sarif(&sarif);
    let html = std::fs::metadata(out.join("report.html")).unwrap().len();
    assert!(
        html < 8 << 20,
        "the HTML report is {html} bytes for 10,000 findings"
    );
    // The Markdown stays under GitHub's comment limit: the check that
    // repeats on 500 files is listed 20 times and the rest summarised.
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(md.len() <= 60_000, "{} bytes", md.len());
    assert!(
        md.contains("9980 more findings (10000 on 500 file(s))"),
        "{}",
        &md[md.len().saturating_sub(3000)..]
    );
    assert!(md.contains("FLOOD-1"));
}

#[test]
fn baseline_marks_new_unchanged_and_fixed_and_can_gate_on_new_only() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("target");
    copy_tree(&fixture("tricky"), &target);
    let t = target.to_str().unwrap();
    let first = dir.path().join("first");
    let run = aicomply_run(t, &first, &["-q", "--format", "json", "--fail-on", "none"]);
    assert_eq!(code(&run), 0, "{}", stderr(&run));

    // Fix the compose file, add a line above the Dockerfile finding (it
    // moves but stays the same finding), and introduce a new problem.
    std::fs::write(
        target.join("docker-compose.yml"),
        "services:\n  worker:\n    image: registry.example.com/worker:2.0.1@sha256:cc\n",
    )
    .unwrap();
    let dockerfile = std::fs::read_to_string(target.join("Dockerfile")).unwrap();
    std::fs::write(
        target.join("Dockerfile"),
        dockerfile.replacen(
            "FROM base AS final\r\n",
            "FROM base AS final\r\nLABEL team=ml\r\n",
            1,
        ),
    )
    .unwrap();
    std::fs::write(
        target.join("etc/ssh/sshd_config.d/50-new.conf"),
        "PermitEmptyPasswords yes\n",
    )
    .unwrap();

    let second = dir.path().join("second");
    let baseline = first.join("report.json");
    let args = [
        "run",
        "-q",
        "--target",
        t,
        "--out",
        second.to_str().unwrap(),
        "--format",
        "json,html,md",
        "--baseline",
        baseline.to_str().unwrap(),
    ];
    let run = aicomply(&args);
    assert_eq!(code(&run), 1, "{}", stderr(&run));
    let report = read_json(&second.join("report.json"));
    assert_valid(&report);
    let b = &report["baseline"];
    assert_eq!(
        (b["new"].as_u64(), b["fixed"].as_array().unwrap().len()),
        (Some(1), 1),
        "{b:#}"
    );
    assert_eq!(b["fixed"][0]["check_id"], "CONT-COMPOSE-PRIVILEGED");
    let change = |check: &str| {
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["check_id"] == check)
            .unwrap()["change"]
            .clone()
    };
    assert_eq!(change("HOST-SSH-EMPTY-PASSWORDS"), "new");
    assert_eq!(
        change("CONT-DOCKERFILE-CURL-PIPE-SHELL"),
        "unchanged",
        "a finding that moved lines is the same finding"
    );
    let md = std::fs::read_to_string(second.join("report.md")).unwrap();
    assert!(md.contains("1 new") && md.contains("1 fixed"), "{md}");

    // Gate on new findings only: the new one is critical, so `critical` fails, ...
    let mut gated = args.to_vec();
    gated.extend(["--fail-on", "critical", "--fail-on-new"]);
    assert_eq!(code(&aicomply(&gated)), 1);
    // ... and once it is in the baseline, the old findings alone pass.
    let third = dir.path().join("third");
    let rebased = second.join("report.json");
    let run = aicomply_run(
        t,
        &third,
        &[
            "-q",
            "--format",
            "json",
            "--baseline",
            rebased.to_str().unwrap(),
            "--fail-on",
            "low",
            "--fail-on-new",
        ],
    );
    assert_eq!(code(&run), 0, "{}", stderr(&run));
}

#[test]
fn reports_render_again_from_a_saved_run() {
    let dir = tempfile::tempdir().unwrap();
    let target = fixture("tricky");
    let first = dir.path().join("first");
    let run = aicomply_run(
        &target,
        &first,
        &["-q", "--format", "json,md", "--fail-on", "none"],
    );
    assert_eq!(code(&run), 0, "{}", stderr(&run));
    let again = dir.path().join("again");
    let run = aicomply(&[
        "report",
        "--from",
        first.join("report.json").to_str().unwrap(),
        "--out",
        again.to_str().unwrap(),
        "--format",
        "md,sarif,junit,json",
    ]);
    assert_eq!(code(&run), 0, "{}", stderr(&run));
    assert_eq!(
        std::fs::read_to_string(first.join("report.md")).unwrap(),
        std::fs::read_to_string(again.join("report.md")).unwrap()
    );
    assert_eq!(
        read_json(&first.join("report.json")),
        read_json(&again.join("report.json"))
    );
    assert_valid_sarif(&read_json(&again.join("report.sarif")));
    // A report saved by a 1.0.0 aicomply (no files_examined) still renders.
    let mut old = read_json(&first.join("report.json"));
    old["schema_version"] = "1.0.0".into();
    for p in old["plugins"].as_array_mut().unwrap() {
        p.as_object_mut().unwrap().remove("files_examined");
    }
    std::fs::write(dir.path().join("v1.0.json"), old.to_string()).unwrap();
    let from_old = dir.path().join("from-old");
    let run = aicomply(&[
        "report",
        "--from",
        dir.path().join("v1.0.json").to_str().unwrap(),
        "--out",
        from_old.to_str().unwrap(),
        "--format",
        "html,json",
    ]);
    assert_eq!(code(&run), 0, "{}", stderr(&run));
    let html = std::fs::read_to_string(from_old.join("report.html")).unwrap();
    assert!(
        html.contains("not reported"),
        "files examined shown as unknown"
    );
    // A file that is not a report, or of another major version, is refused by name.
    std::fs::write(
        dir.path().join("v2.json"),
        "{\"schema_version\": \"2.0.0\"}",
    )
    .unwrap();
    let run = aicomply(&[
        "report",
        "--from",
        dir.path().join("v2.json").to_str().unwrap(),
        "--out",
        again.to_str().unwrap(),
    ]);
    assert_eq!(code(&run), 2);
    assert!(
        stderr(&run).contains("v2.json") && stderr(&run).contains("2.0.0"),
        "{}",
        stderr(&run)
    );
}

#[test]
fn waivers_mark_findings_and_expire() {
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("aicomply.toml");
    let waiver = |check: &str, path: &str, expires: &str| {
        format!(
            "[[waiver]]\ncheck = \"{check}\"\n{path}justification = \"accepted for {check}\"\nowner = \"ml-platform\"\nexpires = \"{expires}\"\n\n"
        )
    };
    let mut text = String::from("version = 1\n\n");
    text += &waiver(
        "CONT-COMPOSE-PRIVILEGED",
        "path = \"docker-compose.yml\"\n",
        "2099-12-31",
    );
    text += &waiver("CONT-DAEMON-ICC", "path = \"etc/**\"\n", "2099-12-31");
    text += &waiver(
        "CONT-K8S-PRIVILEGED",
        "path = \"k8s/*.yaml\"\n",
        "2099-12-31",
    );
    text += &waiver("HOST-BACKUP-JOB", "", "2020-01-01");
    text += &waiver(
        "CONT-K8S-HOST-USERS",
        "path = \"nowhere/*\"\n",
        "2099-12-31",
    );
    std::fs::write(&policy, text).unwrap();
    let out = dir.path().join("out");
    let target = fixture("tricky");
    let run = aicomply_run(
        &target,
        &out,
        &[
            "-q",
            "--policy",
            policy.to_str().unwrap(),
            "--format",
            "json,sarif,md,junit",
        ],
    );
    assert_eq!(code(&run), 1, "unwaived findings remain: {}", stderr(&run));
    let report = read_json(&out.join("report.json"));
    assert_valid(&report);
    // Waived findings stay in the report, marked; the control they fail is waived.
    let waived: Vec<_> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| !f["waiver"].is_null())
        .map(|f| f["check_id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        waived,
        vec![
            "CONT-COMPOSE-PRIVILEGED",
            "CONT-K8S-PRIVILEGED",
            "CONT-DAEMON-ICC"
        ]
    );
    // The tricky target's 10 and its two access findings.
    assert_eq!(report["summary"]["findings"], 12);
    assert_eq!(control_status(&report, "CONT-2"), "waived");
    // The expired waiver no longer applies, and says so; the unused one is listed.
    let state = |check: &str| {
        report["waivers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|w| w["check"] == check)
            .unwrap()
            .clone()
    };
    assert_eq!(
        (
            state("HOST-BACKUP-JOB")["state"].as_str(),
            state("HOST-BACKUP-JOB")["matched"].as_u64()
        ),
        (Some("expired"), Some(1))
    );
    assert_eq!(control_status(&report, "HOST-5"), "failed");
    assert_eq!(state("CONT-K8S-HOST-USERS")["matched"], 0);
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(
        md.contains("(matches nothing)") && md.contains("(no longer applies)"),
        "{md}"
    );
    // SARIF carries them as accepted suppressions.
    let sarif = read_json(&out.join("report.sarif"));
    let suppressed = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["suppressions"][0]["status"] == "accepted")
        .count();
    assert_eq!(suppressed, 3);
    assert_valid_sarif(&sarif);

    // A waiver without an owner, or with a non-date expiry, is a configuration error.
    std::fs::write(&policy, "version = 1\n[[waiver]]\ncheck = \"X\"\njustification = \"j\"\nowner = \"\"\nexpires = \"2099-01-01\"\n").unwrap();
    let run = aicomply_run(&target, &out, &["-q", "--policy", policy.to_str().unwrap()]);
    assert_eq!(code(&run), 2);
    assert!(stderr(&run).contains("waiver for X"), "{}", stderr(&run));
    std::fs::write(&policy, "version = 1\n[[waiver]]\ncheck = \"X\"\njustification = \"j\"\nowner = \"o\"\nexpires = \"next year\"\n").unwrap();
    let run = aicomply_run(&target, &out, &["-q", "--policy", policy.to_str().unwrap()]);
    assert_eq!(code(&run), 2);
    assert!(stderr(&run).contains("not a date"), "{}", stderr(&run));
}

#[test]
fn merge_combines_hosts_into_one_fleet_report() {
    let dir = tempfile::tempdir().unwrap();
    for (host, fixture_name) in [
        ("gpu-01", "example-ai-service"),
        ("gpu-02", "hardened"),
        ("gpu-03", "tricky"),
    ] {
        let target = fixture(fixture_name);
        let out = dir.path().join("hosts").join(host);
        let run = aicomply_run(
            &target,
            &out,
            &["-q", "--format", "json", "--fail-on", "none"],
        );
        assert_eq!(code(&run), 0, "{}", stderr(&run));
    }
    let a = dir.path().join("hosts/gpu-01/report.json");
    let b = dir.path().join("hosts/gpu-02/report.json");
    let c = dir.path().join("hosts/gpu-03/report.json");
    let out = dir.path().join("fleet");
    let run = aicomply(&[
        "merge",
        a.to_str().unwrap(),
        b.to_str().unwrap(),
        c.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--format",
        "json,md,html",
    ]);
    assert_eq!(code(&run), 0, "{}", stderr(&run));
    let fleet = read_json(&out.join("report.json"));
    assert_valid(&fleet);
    let one = read_json(&a);
    let two = read_json(&b);
    let three = read_json(&c);
    let count = |r: &serde_json::Value| r["findings"].as_array().unwrap().len();
    assert_eq!(count(&fleet), count(&one) + count(&two) + count(&three));
    let host4 = fleet["controls"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "HOST-4")
        .unwrap();
    assert_eq!(
        host4["status"], "failed",
        "the fleet status is the worst host's"
    );
    assert_eq!(host4["hosts"]["gpu-01"], "failed");
    assert_eq!(host4["hosts"]["gpu-02"], "passed");
    assert_eq!(host4["hosts"].as_object().unwrap().len(), 3, "three hosts");
    assert!(
        fleet["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| ["gpu-01", "gpu-02", "gpu-03"].contains(&f["host"].as_str().unwrap()))
    );
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(
        md.contains("| Control | Title | Status | gpu-01 | gpu-02 | gpu-03 |"),
        "{}",
        &md[..md.len().min(1500)]
    );
    // Two reports with the same label are refused.
    let run = aicomply(&[
        "merge",
        a.to_str().unwrap(),
        a.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code(&run), 2);
    assert!(stderr(&run).contains("gpu-01"), "{}", stderr(&run));
}

#[test]
fn inline_suppressions_need_a_reason_and_are_listed() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("target");
    copy_tree(&fixture("tricky"), &target);
    // On the line above a finding, with a reason: applied.
    std::fs::write(
        target.join("etc/ssh/sshd_config.d/00-first.conf"),
        "# aicomply:ignore HOST-SSH-ROOT-LOGIN the break-glass console logs in as root\r\npermitrootlogin=yes\r\n",
    )
    .unwrap();
    // On the finding's own line (the alias that brings `privileged: true`),
    // without a reason: listed, not applied.
    let compose = std::fs::read_to_string(target.join("docker-compose.yml")).unwrap();
    std::fs::write(
        target.join("docker-compose.yml"),
        compose.replace(
            "    <<: *common",
            "    <<: *common  # aicomply:ignore CONT-COMPOSE-PRIVILEGED",
        ),
    )
    .unwrap();
    let out = dir.path().join("out");
    let run = aicomply_run(&target, &out, &["-q", "--format", "json,md,sarif"]);
    assert_eq!(code(&run), 1, "{}", stderr(&run));
    let report = read_json(&out.join("report.json"));
    assert_valid(&report);
    let finding = |check: &str| {
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["check_id"] == check)
            .unwrap()
            .clone()
    };
    assert_eq!(
        finding("HOST-SSH-ROOT-LOGIN")["suppression"]["reason"],
        "the break-glass console logs in as root"
    );
    assert!(finding("CONT-COMPOSE-PRIVILEGED")["suppression"].is_null());
    let listed = report["suppressions"].as_array().unwrap();
    assert_eq!(listed.len(), 2);
    assert!(
        listed
            .iter()
            .any(|s| s["check"] == "CONT-COMPOSE-PRIVILEGED" && s["applied"] == false)
    );
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(
        md.contains("**not applied** (a suppression needs a reason)"),
        "{md}"
    );
    let sarif = read_json(&out.join("report.sarif"));
    assert!(
        sarif["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["suppressions"][0]["kind"] == "inSource")
    );
}

#[test]
fn formats_go_to_stdout_and_files_in_one_run() {
    let dir = tempfile::tempdir().unwrap();
    let target = fixture("tricky");
    let out = dir.path().join("out");
    let comment = dir.path().join("pr/comment.md");
    let formats = format!("sarif:-,json,md:{}", comment.display());
    let run = aicomply_run(
        &target,
        &out,
        &["-q", "--format", &formats, "--fail-on", "none"],
    );
    assert_eq!(code(&run), 0, "{}", stderr(&run));
    let sarif: serde_json::Value =
        serde_json::from_slice(&run.stdout).expect("stdout is exactly the SARIF document");
    assert_eq!(sarif["version"], "2.1.0");
    assert_valid_sarif(&sarif);
    assert!(
        out.join("report.json").exists() && comment.exists() && !out.join("report.md").exists()
    );
    let run = aicomply_run(&target, &out, &["-q", "--format", "json:-,md:-"]);
    assert_eq!(code(&run), 2);
    assert!(stderr(&run).contains("only one --format can go to standard output"));
}
