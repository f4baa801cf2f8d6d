//! The code plugin's model scanner, as the built component inside the real
//! host, on the generated corpus (tests/fixtures/models, see generate.py).

use std::collections::BTreeMap;

use crate::support::*;

#[test]
fn corpus_verdicts_through_the_sandboxed_plugin() {
    let corpus = fixture("models");
    let expected: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(corpus.join("expected.json")).unwrap())
            .unwrap();
    let (run, report) = run_json(&corpus, &[]);
    assert_eq!(code(&run), 1, "{}", stderr(&run));
    assert_eq!(plugin(&report, "code")["status"], "ok");

    let mut by_file: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
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
            .push((f["check_id"].as_str().unwrap().to_string(), text));
    }
    let mut wrong = Vec::new();
    for (rel, exp) in expected.as_object().unwrap() {
        let found = by_file.get(rel.as_str()).cloned().unwrap_or_default();
        match exp["verdict"].as_str().unwrap() {
            "malicious" => {
                let (check, callable) = (
                    exp["check"].as_str().unwrap(),
                    exp["callable"].as_str().unwrap(),
                );
                if !found
                    .iter()
                    .any(|(c, t)| c == check && t.contains(callable))
                {
                    wrong.push(format!("{rel}: no {check} naming {callable}: {found:?}"));
                }
            }
            "benign" => {
                if found.iter().any(|(c, _)| c != "CODE-MODEL-PICKLE-FORMAT") {
                    wrong.push(format!("{rel}: benign file flagged: {found:?}"));
                }
            }
            _ => {
                let check = exp["check"].as_str().unwrap();
                if !found.iter().any(|(c, _)| c == check) {
                    wrong.push(format!("{rel}: not reported {check}: {found:?}"));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    assert_eq!(control_status(&report, "CODE-4"), "failed");
}
