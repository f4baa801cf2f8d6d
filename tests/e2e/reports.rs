//! Report formats: the JSON report validates against reports/report.schema.json,
//! and every format renders a 10,000-finding run.

use crate::support::*;

fn schema() -> jsonschema::Validator {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../reports/report.schema.json");
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    jsonschema::validator_for(&schema).expect("the schema itself is valid")
}

fn assert_valid(report: &serde_json::Value) {
    let errors: Vec<String> = schema()
        .iter_errors(report)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .take(10)
        .collect();
    assert!(
        errors.is_empty(),
        "report.json does not match its schema:\n{}",
        errors.join("\n")
    );
}

#[test]
fn json_reports_match_the_schema() {
    for name in ["example-ai-service", "hardened", "tricky", "models"] {
        let dir = tempfile::tempdir().unwrap();
        let target = fixture(name);
        let run = aicomply(&[
            "run",
            "-q",
            "--target",
            target.to_str().unwrap(),
            "--out",
            dir.path().to_str().unwrap(),
            "--format",
            "json",
            "--fail-on",
            "none",
        ]);
        assert_eq!(code(&run), 0, "{name}: {}", stderr(&run));
        assert_valid(&read_json(&dir.path().join("report.json")));
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
    let run = aicomply(&[
        "run",
        "-q",
        "--target",
        target.to_str().unwrap(),
        "--plugins",
        plugins.to_str().unwrap(),
        "--policy",
        policy.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--format",
        "html,md,json,sarif,junit",
    ]);
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
    let html = std::fs::metadata(out.join("report.html")).unwrap().len();
    assert!(
        html < 16 << 20,
        "the HTML report is {html} bytes for 10,000 findings"
    );
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(md.contains("finding 9999"));
}
