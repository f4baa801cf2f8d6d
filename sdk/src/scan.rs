//! Collects what a plugin run produced: findings, which checks were
//! evaluated, which were not (and why), which were evaluated on only part
//! of their inputs, files that could not be read and paths not examined.
//!
//! In a plugin (wasm) the results are handed to the host as the run goes
//! ([`Scan::checkpoint`], and automatically every few findings), so what was
//! found before a trap, a timeout or a hostile file that kills the plugin
//! still reaches the report. Natively (unit tests) everything stays here.

use std::collections::{BTreeMap, HashSet};
use std::hash::{Hash, Hasher};

use crate::{
    Check, Diagnostic, Finding, IncompleteCheck, Location, NotChecked, PartialOutput, RunOutput,
    SkipReason, SkippedPath,
};

/// Findings are handed over in batches of at most this many, so one batch
/// stays far below what the host copies out of a plugin in one call.
const BATCH: usize = 256;

/// The outcome of a run, built up as the plugin works. Recording a finding
/// also marks its check as evaluated; a check that is marked evaluated is
/// never reported as not checked, and one marked incomplete never as
/// passed.
#[derive(Debug)]
pub struct Scan {
    catalogue: Vec<Check>,
    findings: Vec<Finding>,
    evaluated: Vec<String>,
    not_checked: BTreeMap<String, String>,
    incomplete: BTreeMap<String, String>,
    diagnostics: Vec<Diagnostic>,
    skipped: Vec<SkippedPath>,
    /// How much of each list the host already has.
    sent: Sent,
    /// Findings already compared with the ones before them, and what those
    /// said: an exact repeat (one object rendered alike twice, the same
    /// line reached by two routes) tells the reader nothing and is dropped.
    settled: usize,
    said: HashSet<u64>,
}

#[derive(Debug, Default)]
struct Sent {
    findings: usize,
    diagnostics: usize,
    skipped: usize,
    incomplete: Vec<String>,
}

impl Scan {
    pub fn new(catalogue: Vec<Check>) -> Self {
        Self {
            catalogue,
            findings: Vec::new(),
            evaluated: Vec::new(),
            not_checked: BTreeMap::new(),
            incomplete: BTreeMap::new(),
            diagnostics: Vec::new(),
            skipped: Vec::new(),
            sent: Sent::default(),
            settled: 0,
            said: HashSet::new(),
        }
    }

    /// Drop the findings recorded since the last call that repeat an
    /// earlier one exactly (check, message, location, evidence). Every
    /// finding before the next one is complete: callers finish a finding
    /// before they record another or reach a checkpoint.
    fn settle(&mut self) {
        let mut i = self.settled;
        while i < self.findings.len() {
            let f = &self.findings[i];
            let mut h = std::collections::hash_map::DefaultHasher::new();
            (&f.check_id, &f.message, &f.evidence).hash(&mut h);
            if let Some(l) = &f.location {
                (&l.root, &l.path, l.line, &l.member).hash(&mut h);
            }
            if self.said.insert(h.finish()) {
                i += 1;
            } else {
                self.findings.remove(i);
            }
        }
        self.settled = self.findings.len();
    }

    fn check(&self, check_id: &str) -> &Check {
        self.catalogue
            .iter()
            .find(|c| c.id == check_id)
            .unwrap_or_else(|| panic!("check {check_id} is not in the plugin's catalogue"))
    }

    /// Record that `check_id` was evaluated (whether or not it found anything).
    /// Each check of `group` is evaluated when there were `inputs` to
    /// judge; otherwise it is not applicable (reported as not checked, never
    /// passed), with `reason` saying what was absent.
    pub fn evaluated_if(&mut self, inputs: usize, group: &[&str], reason: &str) {
        let reason = if reason.starts_with("not applicable") {
            reason.to_string()
        } else {
            format!("not applicable: {reason}")
        };
        for check in group {
            if inputs > 0 {
                self.evaluated(check);
            } else {
                self.not_checked(check, reason.as_str());
            }
        }
    }

    pub fn evaluated(&mut self, check_id: &str) {
        self.check(check_id);
        if !self.evaluated.iter().any(|c| c == check_id) {
            self.evaluated.push(check_id.to_string());
        }
        self.not_checked.remove(check_id);
    }

    /// Record that `check_id` could not be evaluated, unless it already was
    /// (or was evaluated in part). The first reason given is kept.
    pub fn not_checked(&mut self, check_id: &str, reason: impl Into<String>) {
        self.check(check_id);
        if !self.is_evaluated(check_id) && !self.incomplete.contains_key(check_id) {
            self.not_checked
                .entry(check_id.to_string())
                .or_insert_with(|| reason.into());
        }
    }

    /// Record that `check_id` could look at only part of its inputs (a file
    /// it needed was unreadable, too large, a FIFO, ...). Unless it fails,
    /// the report shows it as incomplete, never passed. The first reason is
    /// kept.
    pub fn incomplete(&mut self, check_id: &str, reason: impl Into<String>) {
        self.check(check_id);
        self.not_checked.remove(check_id);
        self.incomplete
            .entry(check_id.to_string())
            .or_insert_with(|| reason.into());
    }

    pub fn is_evaluated(&self, check_id: &str) -> bool {
        self.evaluated.iter().any(|c| c == check_id)
    }

    /// Record a finding of `check_id`, with control, severity and title from
    /// the catalogue. Returns the finding so a location, evidence or a more
    /// specific remediation can be added.
    pub fn finding(&mut self, check_id: &str, message: impl Into<String>) -> &mut Finding {
        self.settle();
        // The findings before this one are complete: hand a full batch over.
        if self.findings.len() - self.sent.findings >= BATCH {
            self.checkpoint();
        }
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

    /// Record a path that was not examined, and why. It is listed in the
    /// report and counted on the operator's console; mark the checks it
    /// mattered to with [`Scan::incomplete`] (the walk's
    /// [`crate::fs::Walk::report_gaps`] does both).
    pub fn skipped(&mut self, location: Location, reason: SkipReason, detail: impl Into<String>) {
        self.skipped.push(SkippedPath {
            location,
            reason,
            detail: detail.into(),
        });
    }

    pub fn findings(&self) -> &[Finding] {
        &self.findings
    }

    pub fn diagnostics(&self) -> &[Diagnostic] {
        &self.diagnostics
    }

    pub fn skipped_paths(&self) -> &[SkippedPath] {
        &self.skipped
    }

    /// Checks marked incomplete, with the reason.
    pub fn incomplete_checks(&self) -> &BTreeMap<String, String> {
        &self.incomplete
    }

    /// Hand everything recorded since the last checkpoint to the host, so it
    /// survives a failure later in the run. Call it after each file (it costs
    /// nothing when there is nothing new). Natively it does nothing.
    pub fn checkpoint(&mut self) {
        self.settle();
        #[cfg(target_arch = "wasm32")]
        while let Some(batch) = self.next_batch() {
            crate::bindings::aicomply::plugin::host::emit(&batch);
        }
    }

    /// The next batch of what the host does not have yet, marked as sent.
    #[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
    fn next_batch(&mut self) -> Option<PartialOutput> {
        let take = |all: usize, sent: &mut usize| {
            let from = *sent;
            *sent = all.min(from + BATCH);
            from..*sent
        };
        let findings = self.findings[take(self.findings.len(), &mut self.sent.findings)].to_vec();
        let diagnostics =
            self.diagnostics[take(self.diagnostics.len(), &mut self.sent.diagnostics)].to_vec();
        let skipped = self.skipped[take(self.skipped.len(), &mut self.sent.skipped)].to_vec();
        let mut incomplete = Vec::new();
        for (check_id, reason) in &self.incomplete {
            if !self.sent.incomplete.contains(check_id) {
                self.sent.incomplete.push(check_id.clone());
                incomplete.push(IncompleteCheck {
                    check_id: check_id.clone(),
                    reason: reason.clone(),
                });
            }
        }
        let empty = findings.is_empty()
            && diagnostics.is_empty()
            && skipped.is_empty()
            && incomplete.is_empty();
        (!empty).then_some(PartialOutput {
            findings,
            diagnostics,
            skipped,
            incomplete,
        })
    }

    /// The run's output. In a plugin, everything not yet handed over is
    /// emitted first, so the returned lists hold only what the host does
    /// not have (nothing, for findings and diagnostics).
    pub fn into_output(mut self) -> RunOutput {
        self.checkpoint();
        let (findings, diagnostics) = if cfg!(target_arch = "wasm32") {
            (Vec::new(), Vec::new())
        } else {
            (self.findings, self.diagnostics)
        };
        RunOutput {
            findings,
            evaluated: self.evaluated,
            not_checked: self
                .not_checked
                .into_iter()
                .map(|(check_id, reason)| NotChecked { check_id, reason })
                .collect(),
            diagnostics,
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
    fn exact_repeats_of_a_finding_are_dropped() {
        let mut scan = Scan::new(catalogue());
        for line in [3, 3, 4, 3] {
            scan.finding("A-1", "found")
                .at(Location::target("x").line(line));
        }
        scan.finding("A-1", "found elsewhere")
            .at(Location::target("x").line(3));
        scan.finding("A-1", "found")
            .at(Location::target("x").line(3))
            .evidence("e");
        let lines: Vec<_> = scan
            .into_output()
            .findings
            .iter()
            .map(|f| {
                (
                    f.message.clone(),
                    f.location.as_ref().unwrap().line.unwrap(),
                )
            })
            .collect();
        assert_eq!(
            lines,
            [
                ("found".to_string(), 3),
                ("found".to_string(), 4),
                ("found elsewhere".to_string(), 3),
                ("found".to_string(), 3)
            ]
        );
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
    fn incomplete_wins_over_not_checked_in_either_order() {
        let mut scan = Scan::new(catalogue());
        scan.not_checked("A-1", "no Dockerfiles");
        scan.incomplete("A-1", "Dockerfile unreadable");
        scan.incomplete("B-1", "first");
        scan.not_checked("B-1", "no files");
        scan.incomplete("B-1", "second");
        assert_eq!(scan.incomplete_checks()["A-1"], "Dockerfile unreadable");
        assert_eq!(scan.incomplete_checks()["B-1"], "first");
        assert!(scan.into_output().not_checked.is_empty());
    }

    #[test]
    fn batches_hand_over_each_item_once() {
        let mut scan = Scan::new(catalogue());
        for i in 0..(BATCH * 2 + 3) {
            scan.finding("A-1", format!("f{i}"));
        }
        scan.skipped(Location::target("p"), SkipReason::SpecialFile, "a FIFO");
        scan.incomplete("B-1", "p not examined");
        let mut seen = Vec::new();
        let mut skipped = 0;
        let mut incomplete = 0;
        while let Some(b) = scan.next_batch() {
            assert!(b.findings.len() <= BATCH);
            seen.extend(b.findings.into_iter().map(|f| f.message));
            skipped += b.skipped.len();
            incomplete += b.incomplete.len();
        }
        assert_eq!(seen.len(), BATCH * 2 + 3);
        assert_eq!(seen.first().unwrap(), "f0");
        assert_eq!((skipped, incomplete), (1, 1));
        assert!(scan.next_batch().is_none(), "nothing is sent twice");
        scan.finding("A-1", "late");
        assert_eq!(scan.next_batch().unwrap().findings[0].message, "late");
    }

    #[test]
    #[should_panic(expected = "not in the plugin's catalogue")]
    fn undeclared_check_is_a_bug() {
        Scan::new(catalogue()).finding("NOPE", "x");
    }
}
