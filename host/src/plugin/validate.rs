//! The host does not take a plugin's word for anything: its description
//! must name real controls and unique checks, and its output may only speak
//! of checks it declared, within the size limits.

use std::collections::HashSet;

use crate::baseline;
use crate::model::{PluginDescription, PluginOutput};

/// Limits on what a plugin may return.
#[derive(Debug, Clone)]
pub struct OutputLimits {
    pub max_findings: usize,
    /// Longest string (message, evidence, path, ...) accepted, in bytes.
    pub max_string_bytes: usize,
}

impl Default for OutputLimits {
    fn default() -> Self {
        Self {
            max_findings: 10_000,
            max_string_bytes: 16 << 10,
        }
    }
}

fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.')
}

pub fn description(d: &PluginDescription) -> Result<(), String> {
    if !valid_id(&d.id) {
        return Err(format!(
            "describe: plugin id {:?} must be 1-64 characters of a-z, 0-9, '-', '_', '.'",
            d.id
        ));
    }
    if !baseline::is_domain(&d.domain) {
        return Err(format!(
            "describe: unknown domain {:?} (expected one of: {})",
            d.domain,
            baseline::DOMAINS
                .iter()
                .map(|(id, _)| *id)
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    if d.checks.is_empty() {
        return Err("describe: the plugin declares no checks".into());
    }
    let mut seen = HashSet::new();
    for c in &d.checks {
        if !valid_id(&c.id) {
            return Err(format!(
                "describe: check id {:?} is empty or has characters other than a-z, 0-9, '-', '_', '.'",
                c.id
            ));
        }
        if !seen.insert(c.id.as_str()) {
            return Err(format!("describe: check id {} is declared twice", c.id));
        }
        if baseline::control(&c.control).is_none() {
            return Err(format!(
                "describe: check {} names unknown control {:?}",
                c.id, c.control
            ));
        }
    }
    Ok(())
}

pub fn output(
    d: &PluginDescription,
    o: &PluginOutput,
    limits: &OutputLimits,
) -> Result<(), String> {
    if o.findings.len() > limits.max_findings {
        return Err(format!(
            "returned {} findings; the limit is {} (--max-findings)",
            o.findings.len(),
            limits.max_findings
        ));
    }
    let long = |what: &str, s: &str| -> Result<(), String> {
        if s.len() > limits.max_string_bytes {
            Err(format!(
                "returned a {what} of {} bytes; the limit is {} bytes",
                s.len(),
                limits.max_string_bytes
            ))
        } else {
            Ok(())
        }
    };
    let declared = |id: &str, what: &str| -> Result<(), String> {
        if d.check(id).is_none() {
            Err(format!(
                "{what} check {id:?}, which its describe does not declare"
            ))
        } else {
            Ok(())
        }
    };
    for f in &o.findings {
        declared(&f.check_id, "reported a finding for")?;
        let check = d.check(&f.check_id).expect("declared");
        if f.control != check.control {
            return Err(format!(
                "reported a finding of {} under control {}, but describe declares it under {}",
                f.check_id, f.control, check.control
            ));
        }
        for (what, s) in [("title", &f.title), ("message", &f.message)] {
            long(what, s)?;
        }
        for (what, s) in [("evidence", &f.evidence), ("remediation", &f.remediation)] {
            if let Some(s) = s {
                long(what, s)?;
            }
        }
        if let Some(l) = &f.location {
            long("path", &l.path)?;
            long("root name", &l.root)?;
        }
    }
    for id in &o.evaluated {
        declared(id, "marked as evaluated")?;
    }
    for n in &o.not_checked {
        declared(&n.check_id, "marked as not checked")?;
        long("reason", &n.reason)?;
    }
    if o.diagnostics.len() > limits.max_findings {
        return Err(format!(
            "returned {} diagnostics; the limit is {}",
            o.diagnostics.len(),
            limits.max_findings
        ));
    }
    for diag in &o.diagnostics {
        long("diagnostic", &diag.message)?;
        long("path", &diag.location.path)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Check, RawFinding, Severity};

    fn desc() -> PluginDescription {
        PluginDescription {
            id: "p".into(),
            name: "P".into(),
            version: "1".into(),
            domain: "container".into(),
            description: String::new(),
            checks: vec![Check {
                id: "C-1".into(),
                control: "CONT-1".into(),
                title: "t".into(),
                severity: Severity::Low,
                remediation: String::new(),
                references: vec![],
            }],
            capabilities: vec![],
        }
    }

    fn finding(id: &str, control: &str) -> RawFinding {
        RawFinding {
            check_id: id.into(),
            control: control.into(),
            severity: Severity::Low,
            title: "t".into(),
            message: "m".into(),
            location: None,
            evidence: None,
            remediation: None,
        }
    }

    #[test]
    fn descriptions_must_use_known_controls_and_unique_ids() {
        assert!(description(&desc()).is_ok());
        let mut d = desc();
        d.checks[0].control = "CONT-9".into();
        assert!(description(&d).unwrap_err().contains("unknown control"));
        let mut d = desc();
        d.checks.push(d.checks[0].clone());
        assert!(description(&d).unwrap_err().contains("declared twice"));
        let mut d = desc();
        d.id = String::new();
        assert!(description(&d).is_err());
    }

    #[test]
    fn output_may_only_name_declared_checks_and_controls() {
        let limits = OutputLimits::default();
        let ok = PluginOutput {
            findings: vec![finding("C-1", "CONT-1")],
            ..Default::default()
        };
        assert!(output(&desc(), &ok, &limits).is_ok());
        let lie = PluginOutput {
            findings: vec![finding("C-2", "CONT-1")],
            ..Default::default()
        };
        assert!(
            output(&desc(), &lie, &limits)
                .unwrap_err()
                .contains("does not declare")
        );
        let moved = PluginOutput {
            findings: vec![finding("C-1", "CODE-4")],
            ..Default::default()
        };
        assert!(
            output(&desc(), &moved, &limits)
                .unwrap_err()
                .contains("under control")
        );
        let mut big = finding("C-1", "CONT-1");
        big.message = "x".repeat(limits.max_string_bytes + 1);
        let big = PluginOutput {
            findings: vec![big],
            ..Default::default()
        };
        assert!(
            output(&desc(), &big, &limits)
                .unwrap_err()
                .contains("message")
        );
    }
}
