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
                    uri(&l.path),
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
    // What was not examined, and why each plugin failed, as the tool's own
    // notifications: code-scanning services show them beside the results.
    let mut notifications = Vec::new();
    for p in &report.plugins {
        if let Some(e) = &p.error {
            notifications.push(json!({
                "level": "error",
                "message": { "text": format!("plugin {} failed: {e}", p.id) },
                "descriptor": { "id": "aicomply/plugin-error" },
            }));
        }
        for c in p
            .checks
            .iter()
            .filter(|c| c.status == crate::report::Status::Incomplete)
        {
            notifications.push(json!({
                "level": "warning",
                "message": { "text": format!("check {} is incomplete: {}", c.id, c.reason.as_deref().unwrap_or("")) },
                "descriptor": { "id": "aicomply/incomplete" },
                "associatedRule": { "id": c.id },
            }));
        }
        for n in p
            .not_examined
            .iter()
            .filter(|n| n.reason != crate::model::SkipReason::Excluded)
        {
            notifications.push(json!({
                "level": "warning",
                "message": { "text": format!("{} did not examine this path ({}): {}", p.id, n.reason.text(), n.detail) },
                "descriptor": { "id": "aicomply/not-examined" },
                "locations": [{ "physicalLocation": { "artifactLocation": { "uri": uri(&n.location.path), "uriBaseId": if n.location.root == "target" { "SRCROOT".to_string() } else { n.location.root.to_uppercase() } } } }],
            }));
        }
    }
    // Every network probe, made or refused: a notification each, and the
    // full records (what each probe found) in the invocation's properties.
    let mut probes = Vec::new();
    for p in &report.plugins {
        for r in &p.probes {
            let outcome = match r.outcome {
                crate::probe::ProbeOutcome::Ok => "made",
                crate::probe::ProbeOutcome::Refused => "refused",
                crate::probe::ProbeOutcome::Failed => "failed",
            };
            let kind = match r.kind {
                crate::probe::ProbeKind::Tls => "TLS",
                crate::probe::ProbeKind::Http => "HTTP",
            };
            let mut text = format!("{} {kind} probe of {} {outcome}", p.id, r.endpoint);
            if let Some(a) = &r.address {
                text.push_str(&format!(" ({a})"));
            }
            if let (Some(f), Some(m)) = (r.failure, &r.message) {
                text.push_str(&format!(": {}: {m}", f.as_str()));
            }
            notifications.push(json!({
                "level": if r.outcome == crate::probe::ProbeOutcome::Ok { "note" } else { "warning" },
                "message": { "text": text },
                "descriptor": { "id": "aicomply/probe" },
                "properties": { "plugin": p.id, "kind": r.kind, "endpoint": r.endpoint, "outcome": r.outcome, "failure": r.failure, "address": r.address },
            }));
            let mut record = serde_json::to_value(r).unwrap_or_default();
            if let Some(o) = record.as_object_mut() {
                o.insert("plugin".into(), json!(p.id));
            }
            probes.push(record);
        }
        if p.probes_over_limit > 0 {
            notifications.push(json!({
                "level": "warning",
                "message": { "text": format!("{} asked for {} more probes past --max-probes; refused and counted", p.id, p.probes_over_limit) },
                "descriptor": { "id": "aicomply/probe" },
            }));
        }
    }
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
                "toolExecutionNotifications": notifications,
                "properties": {
                    "probes": probes,
                    "endpointsGranted": report.plugins.iter()
                        .filter(|p| !p.endpoints_granted.is_empty())
                        .map(|p| json!({ "plugin": p.id, "endpoints": p.endpoints_granted }))
                        .collect::<Vec<_>>(),
                },
            }],
            "results": results,
        }],
    })
}

/// A relative path as a URI reference: every byte but unreserved ones and
/// `/` percent-encoded, so odd file names (spaces, `<`, control characters)
/// stay valid SARIF.
fn uri(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
