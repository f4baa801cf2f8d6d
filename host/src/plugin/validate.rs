//! The host does not take a plugin's word for anything: its description
//! must name real controls and unique checks, and its output may only speak
//! of checks it declared, within the size limits.

use std::collections::HashSet;

use crate::baseline;
use crate::model::{
    Diagnostic, Location, NotChecked, PluginDescription, PluginOutput, RawFinding, Skipped,
};

/// Limits on what a plugin may return.
#[derive(Debug, Clone)]
pub struct OutputLimits {
    /// Findings kept per plugin; past it they are counted, not kept.
    pub max_findings: usize,
    /// Longest string (message, evidence, path, ...) accepted, in bytes.
    pub max_string_bytes: usize,
    /// Bytes of findings, diagnostics and skipped paths kept per plugin;
    /// past it the rest is counted, not kept.
    pub max_kept_bytes: usize,
}

impl Default for OutputLimits {
    fn default() -> Self {
        Self {
            max_findings: 10_000,
            max_string_bytes: 16 << 10,
            max_kept_bytes: 64 << 20,
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

/// Checks one item of a plugin's output against its description and the
/// limits. An item that fails is a lie or an overflow: the caller drops the
/// plugin's whole result.
pub struct Checker<'a> {
    pub description: &'a PluginDescription,
    pub limits: &'a OutputLimits,
}

impl Checker<'_> {
    fn string(&self, what: &str, s: &str) -> Result<(), String> {
        if s.len() > self.limits.max_string_bytes {
            Err(format!(
                "returned a {what} of {} bytes; the limit is {} bytes",
                s.len(),
                self.limits.max_string_bytes
            ))
        } else {
            Ok(())
        }
    }

    pub fn declared(&self, id: &str, what: &str) -> Result<(), String> {
        if self.description.check(id).is_none() {
            Err(format!(
                "{what} check {id:?}, which its describe does not declare"
            ))
        } else {
            Ok(())
        }
    }

    fn location(&self, l: &Location) -> Result<(), String> {
        self.string("path", &l.path)?;
        self.string("root name", &l.root)?;
        if let Some(m) = &l.member {
            self.string("archive member", m)?;
        }
        Ok(())
    }

    pub fn finding(&self, f: &RawFinding) -> Result<(), String> {
        self.declared(&f.check_id, "reported a finding for")?;
        let check = self.description.check(&f.check_id).expect("declared");
        if f.control != check.control {
            return Err(format!(
                "reported a finding of {} under control {}, but describe declares it under {}",
                f.check_id, f.control, check.control
            ));
        }
        for (what, s) in [("title", &f.title), ("message", &f.message)] {
            self.string(what, s)?;
        }
        for (what, s) in [("evidence", &f.evidence), ("remediation", &f.remediation)] {
            if let Some(s) = s {
                self.string(what, s)?;
            }
        }
        if let Some(l) = &f.location {
            self.location(l)?;
        }
        Ok(())
    }

    pub fn diagnostic(&self, d: &Diagnostic) -> Result<(), String> {
        self.string("diagnostic", &d.message)?;
        self.location(&d.location)
    }

    pub fn skipped(&self, s: &Skipped) -> Result<(), String> {
        self.string("skipped-path detail", &s.detail)?;
        self.location(&s.location)
    }

    pub fn reason(&self, n: &NotChecked, what: &str) -> Result<(), String> {
        self.declared(&n.check_id, what)?;
        self.string("reason", &n.reason)
    }
}

/// Check a whole output (every item; counts are the collector's concern).
pub fn output(
    d: &PluginDescription,
    o: &PluginOutput,
    limits: &OutputLimits,
) -> Result<(), String> {
    let c = Checker {
        description: d,
        limits,
    };
    o.findings.iter().try_for_each(|f| c.finding(f))?;
    for id in &o.evaluated {
        c.declared(id, "marked as evaluated")?;
    }
    for n in &o.not_checked {
        c.reason(n, "marked as not checked")?;
    }
    for n in &o.incomplete {
        c.reason(n, "marked as incomplete")?;
    }
    o.diagnostics.iter().try_for_each(|d| c.diagnostic(d))?;
    o.skipped.iter().try_for_each(|s| c.skipped(s))
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
