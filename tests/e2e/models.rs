//! The code plugin's model scanner, as the built component inside the real
//! host, on the generated corpus (tests/fixtures/models, see generate.py).

use std::collections::BTreeMap;

use crate::support::*;

#[test]
fn corpus_verdicts_through_the_sandboxed_plugin() {
    let corpus = fixture("models");
    // expected.json and the other expected-*.json (bypasses.py, frameworks.py).
    let mut expected = serde_json::Map::new();
    for entry in std::fs::read_dir(&corpus).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.starts_with("expected") && name.ends_with(".json") {
            let v: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
            expected.extend(v.as_object().unwrap().clone());
        }
    }
    let (run, report) = run_json(&corpus, &[]);
    assert_eq!(code(&run), 1, "{}", stderr(&run));
    assert_eq!(plugin(&report, "code")["status"], "ok");

    let mut by_file: BTreeMap<String, Vec<(String, String, String)>> = BTreeMap::new();
    for f in report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["plugin"] == "code")
    {
        let text = format!(
            "{} {}",
            f["message"].as_str().unwrap(),
            f["evidence"].as_str().unwrap_or("")
        );
        by_file
            .entry(f["location"]["path"].as_str().unwrap().to_string())
            .or_default()
            .push((
                f["check_id"].as_str().unwrap().to_string(),
                f["severity"].as_str().unwrap().to_string(),
                text,
            ));
    }
    let mut wrong = Vec::new();
    for (rel, exp) in &expected {
        let found = by_file.get(rel.as_str()).cloned().unwrap_or_default();
        match exp["verdict"].as_str().unwrap() {
            "malicious" | "review" => {
                let (check, callable) = (
                    exp["check"].as_str().unwrap(),
                    exp["callable"].as_str().unwrap(),
                );
                let severity = exp["severity"].as_str();
                if !found.iter().any(|(c, s, t)| {
                    c == check && t.contains(callable) && severity.is_none_or(|want| s == want)
                }) {
                    wrong.push(format!("{rel}: no {check} naming {callable}: {found:?}"));
                }
            }
            "benign" => {
                if found
                    .iter()
                    .any(|(c, _, _)| c != "CODE-MODEL-PICKLE-FORMAT")
                {
                    wrong.push(format!("{rel}: benign file flagged: {found:?}"));
                }
            }
            _ => {
                let check = exp["check"].as_str().unwrap();
                if !found.iter().any(|(c, _, _)| c == check) {
                    wrong.push(format!("{rel}: not reported {check}: {found:?}"));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    assert_eq!(control_status(&report, "CODE-4"), "failed");
}
