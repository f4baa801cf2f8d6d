//! Collects what a plugin run produced: findings, which checks were
//! evaluated, which were not (and why), and files that could not be read.

use std::collections::BTreeMap;

use crate::{Check, Diagnostic, Finding, Location, NotChecked, RunOutput};

/// The outcome of a run, built up as the plugin works. Recording a finding
/// also marks its check as evaluated; a check that is marked evaluated is
/// never reported as not checked.
#[derive(Debug)]
pub struct Scan {
    catalogue: Vec<Check>,
    findings: Vec<Finding>,
    evaluated: Vec<String>,
    not_checked: BTreeMap<String, String>,
    diagnostics: Vec<Diagnostic>,
}

impl Scan {
    pub fn new(catalogue: Vec<Check>) -> Self {
        Self {
            catalogue,
            findings: Vec::new(),
            evaluated: Vec::new(),
            not_checked: BTreeMap::new(),
            diagnostics: Vec::new(),
        }
    }

    fn check(&self, check_id: &str) -> &Check {
        self.catalogue
            .iter()
            .find(|c| c.id == check_id)
            .unwrap_or_else(|| panic!("check {check_id} is not in the plugin's catalogue"))
    }

    /// Record that `check_id` was evaluated (whether or not it found anything).
    pub fn evaluated(&mut self, check_id: &str) {
        self.check(check_id);
        if !self.evaluated.iter().any(|c| c == check_id) {
            self.evaluated.push(check_id.to_string());
        }
        self.not_checked.remove(check_id);
    }

    /// Record that `check_id` could not be evaluated, unless it already was.
    /// The first reason given is kept.
    pub fn not_checked(&mut self, check_id: &str, reason: impl Into<String>) {
        self.check(check_id);
        if !self.is_evaluated(check_id) {
            self.not_checked
                .entry(check_id.to_string())
                .or_insert_with(|| reason.into());
        }
    }

    pub fn is_evaluated(&self, check_id: &str) -> bool {
        self.evaluated.iter().any(|c| c == check_id)
    }

    /// Record a finding of `check_id`, with control, severity and title from
    /// the catalogue. Returns the finding so a location, evidence or a more
    /// specific remediation can be added.
    pub fn finding(&mut self, check_id: &str, message: impl Into<String>) -> &mut Finding {
        let check = self.check(check_id);
        let finding = Finding {
            check_id: check.id.clone(),
            control: check.control.clone(),
            severity: check.severity,
            title: check.title.clone(),
            message: message.into(),
            location: None,
            evidence: None,
            remediation: None,
        };
        self.evaluated(check_id);
        self.findings.push(finding);
        self.findings.last_mut().expect("just pushed")
    }

    /// Record a file that could not be read or parsed.
    pub fn diagnostic(&mut self, location: Location, message: impl Into<String>) {
        self.diagnostics.push(Diagnostic {
            location,
            message: message.into(),
        });
    }

    pub fn findings(&self) -> &[Finding] {
        &self.findings
    }

    pub fn diagnostics(&self) -> &[Diagnostic] {
        &self.diagnostics
    }

    pub fn into_output(self) -> RunOutput {
        RunOutput {
            findings: self.findings,
            evaluated: self.evaluated,
            not_checked: self
                .not_checked
                .into_iter()
                .map(|(check_id, reason)| NotChecked { check_id, reason })
                .collect(),
            diagnostics: self.diagnostics,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Severity;

    fn catalogue() -> Vec<Check> {
        vec![
            Check::new("A-1", "CONT-1", Severity::High, "a", "fix a", &[]),
            Check::new("B-1", "CONT-2", Severity::Low, "b", "fix b", &[]),
        ]
    }

    #[test]
    fn finding_takes_catalogue_fields_and_marks_evaluated() {
        let mut scan = Scan::new(catalogue());
        scan.not_checked("A-1", "no file yet");
        scan.finding("A-1", "found")
            .at(Location::target("x").line(3));
        let out = scan.into_output();
        assert_eq!(out.evaluated, vec!["A-1"]);
        assert!(out.not_checked.is_empty());
        let f = &out.findings[0];
        assert_eq!((f.control.as_str(), f.severity), ("CONT-1", Severity::High));
        assert_eq!(f.location.as_ref().unwrap().line, Some(3));
    }

    #[test]
    fn not_checked_does_not_override_evaluated() {
        let mut scan = Scan::new(catalogue());
        scan.evaluated("B-1");
        scan.not_checked("B-1", "ignored");
        scan.not_checked("A-1", "first");
        scan.not_checked("A-1", "second");
        let out = scan.into_output();
        assert_eq!(out.not_checked.len(), 1);
        assert_eq!(out.not_checked[0].reason, "first");
    }

    #[test]
    #[should_panic(expected = "not in the plugin's catalogue")]
    fn undeclared_check_is_a_bug() {
        Scan::new(catalogue()).finding("NOPE", "x");
    }
}
