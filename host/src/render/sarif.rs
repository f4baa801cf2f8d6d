//! SARIF 2.1.0 for code-scanning services (GitHub and others): one rule
//! per check with `security-severity`, help and control tags, stable rule
//! ids, a physical location on every result (file-level findings point at
//! the file's first line), partial fingerprints and a run category.

use serde_json::{Value, json};

use crate::model::Severity;
use crate::report::Report;

pub const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// GitHub reads `security-severity` as critical ≥ 9.0, high ≥ 7.0,
/// medium ≥ 4.0, low > 0.
fn security_severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
        Severity::Info => "0.0",
    }
}

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

pub fn render(report: &Report) -> Value {
    let mut rules = Vec::new();
    let mut index = std::collections::BTreeMap::new();
    for p in &report.plugins {
        for c in &p.checks {
            if index.contains_key(&c.id) {
                continue;
            }
            index.insert(c.id.clone(), rules.len());
            let control = crate::baseline::control(&c.control)
                .map_or(c.control.clone(), |k| format!("{} {}", k.id, k.title));
            let mut rule = json!({
                "id": c.id,
                "name": c.id.to_lowercase().replace('-', "_"),
                "shortDescription": { "text": c.title },
                "fullDescription": { "text": format!("{} (baseline control {control}).", c.title) },
                "help": {
                    "text": c.remediation,
                    "markdown": format!("**{}**\n\n{}\n\nControl: {control}\n\n{}", c.title, c.remediation,
                        c.references.iter().map(|r| format!("- {r}")).collect::<Vec<_>>().join("\n")),
                },
                "defaultConfiguration": { "level": level(c.severity) },
                "properties": {
                    "tags": ["security", c.control, p.domain],
                    "security-severity": security_severity(c.severity),
                    "precision": "high",
                },
            });
            if let Some(uri) = c.references.first() {
                rule["helpUri"] = json!(uri);
            }
            rules.push(rule);
        }
    }
    let results: Vec<Value> = report
        .findings
        .iter()
        .map(|f| {
            let (uri, base, line, member) = match &f.location {
                Some(l) => (
                    l.path.clone(),
                    if l.root == "target" {
                        "SRCROOT".to_string()
                    } else {
                        l.root.to_uppercase()
                    },
                    l.line.unwrap_or(1),
                    l.member.clone(),
                ),
                // A finding about the target as a whole points at its root.
                None => (".".to_string(), "SRCROOT".to_string(), 1, None),
            };
            let mut message = f.message.clone();
            if let Some(m) = &member {
                message = format!("{message} (in {m})");
            }
            let mut result = json!({
                "ruleId": f.check_id,
                "level": level(f.severity),
                "message": { "text": message },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": { "uri": uri, "uriBaseId": base },
                        "region": { "startLine": line.max(1) },
                    },
                }],
                "partialFingerprints": { "aicomplyFinding/v1": f.fingerprint() },
                "properties": {
                    "severity": f.severity.as_str(),
                    "control": f.control,
                    "plugin": f.plugin,
                    "security-severity": security_severity(f.severity),
                },
            });
            if let Some(i) = index.get(&f.check_id) {
                result["ruleIndex"] = json!(i);
            }
            if let Some(w) = &f.waiver {
                result["suppressions"] = json!([{
                    "kind": "external",
                    "status": "accepted",
                    "justification": format!("{} (owner {}, until {})", w.justification, w.owner, w.expires),
                }]);
            }
            if let Some(sup) = &f.suppression {
                result["suppressions"] = json!([{
                    "kind": "inSource",
                    "status": "accepted",
                    "justification": sup.reason,
                }]);
            }
            if let Some(m) = member {
                result["locations"][0]["logicalLocations"] =
                    json!([{ "name": m, "kind": "member" }]);
            }
            result
        })
        .collect();
    json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "aicomply",
                "version": report.tool.version,
                "semanticVersion": report.tool.version,
                "informationUri": "https://github.com/aicomply/aicomply",
                "rules": rules,
            }},
            "automationDetails": { "id": format!("aicomply/{}/", report.run.target) },
            "invocations": [{
                "executionSuccessful": !report.summary.incomplete,
                "startTimeUtc": report.run.started_at,
                "endTimeUtc": report.run.finished_at,
            }],
            "results": results,
        }],
    })
}
