//! What a plugin hands over, checked and bounded as it arrives.
//!
//! Findings, diagnostics, paths not examined and incomplete checks are
//! streamed during a run (`host.emit`, contract 0.1.2) and returned at its
//! end; both go through here. So what arrived before a plugin trapped, hung
//! or ran out of memory is kept beside its error; an item that speaks of an
//! undeclared check (a lie) loses the plugin's whole result; and past the
//! limits the rest is counted, never silently dropped and never a reason
//! to lose what was kept. Past the finding cap, a more severe finding
//! displaces the least severe one kept: a tree with thousands of info
//! observations before one critical finding still reports the critical one.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};

use crate::model::{
    Diagnostic, NotChecked, PluginDescription, PluginOutput, RawFinding, Severity, Skipped,
};
use crate::plugin::validate::{Checker, OutputLimits};

/// Diagnostics and skipped paths kept per plugin, each; past it they are
/// counted.
const MAX_LISTED: usize = 10_000;

/// What was counted but not kept.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Dropped {
    /// Findings not kept, per check: how many, and the most severe.
    pub findings: BTreeMap<String, DroppedFindings>,
    pub diagnostics: usize,
    pub skipped: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DroppedFindings {
    pub count: usize,
    pub max_severity: Severity,
}

impl Dropped {
    pub fn is_empty(&self) -> bool {
        self.findings.is_empty() && self.diagnostics == 0 && self.skipped == 0
    }

    pub fn findings_total(&self) -> usize {
        self.findings.values().map(|d| d.count).sum()
    }
}

/// One batch, streamed or returned.
#[derive(Debug, Default)]
pub struct Batch {
    pub findings: Vec<RawFinding>,
    pub diagnostics: Vec<Diagnostic>,
    pub skipped: Vec<Skipped>,
    pub incomplete: Vec<NotChecked>,
}

/// Everything kept so far.
#[derive(Debug, Default)]
pub struct Collected {
    /// Everything but the findings, which are in `kept` until [`Collector::take`].
    pub output: PluginOutput,
    pub dropped: Dropped,
    /// Set when an item broke the plugin's own description or a limit on
    /// strings: the plugin's whole result is refused.
    pub lie: Option<String>,
    bytes: usize,
    /// Findings kept, by severity (index = `Severity as usize`), each with
    /// its arrival number so that the report keeps the plugin's order.
    kept: [Vec<(u64, RawFinding)>; 5],
    arrived: u64,
}

impl Collected {
    fn kept_findings(&self) -> usize {
        self.kept.iter().map(Vec::len).sum()
    }

    fn count_dropped(&mut self, f: &RawFinding) {
        let d = self
            .dropped
            .findings
            .entry(f.check_id.clone())
            .or_insert(DroppedFindings {
                count: 0,
                max_severity: f.severity,
            });
        d.count += 1;
        d.max_severity = d.max_severity.max(f.severity);
    }

    /// Keep `f` if it fits, or if less severe findings can make room for
    /// it (the latest of the least severe go first); otherwise count it.
    fn keep_finding(&mut self, f: RawFinding, limits: &OutputLimits) {
        let size = finding_bytes(&f);
        let fits = |c: &Collected| {
            c.kept_findings() < limits.max_findings && c.bytes + size <= limits.max_kept_bytes
        };
        while !fits(self) {
            let Some(lowest) = (0..f.severity as usize).find(|&i| !self.kept[i].is_empty()) else {
                break;
            };
            let (_, evicted) = self.kept[lowest].pop().expect("not empty");
            self.bytes -= finding_bytes(&evicted);
            self.count_dropped(&evicted);
        }
        if !fits(self) {
            self.count_dropped(&f);
            return;
        }
        self.bytes += size;
        self.arrived += 1;
        let n = self.arrived;
        self.kept[f.severity as usize].push((n, f));
    }
}

pub struct Collector {
    description: PluginDescription,
    limits: OutputLimits,
    state: Mutex<Collected>,
}

impl Collector {
    pub fn new(description: PluginDescription, limits: OutputLimits) -> Arc<Self> {
        Arc::new(Self {
            description,
            limits,
            state: Mutex::new(Collected::default()),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Collected> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Take a batch: check every item, keep what fits, count the rest.
    pub fn add(&self, batch: Batch) {
        let checker = Checker {
            description: &self.description,
            limits: &self.limits,
        };
        let mut s = self.lock();
        if s.lie.is_some() {
            return;
        }
        let verdict = (|| {
            batch.findings.iter().try_for_each(|f| checker.finding(f))?;
            batch
                .diagnostics
                .iter()
                .try_for_each(|d| checker.diagnostic(d))?;
            batch.skipped.iter().try_for_each(|k| checker.skipped(k))?;
            batch
                .incomplete
                .iter()
                .try_for_each(|n| checker.reason(n, "marked as incomplete"))
        })();
        if let Err(lie) = verdict {
            s.lie = Some(lie);
            return;
        }
        for f in batch.findings {
            s.keep_finding(f, &self.limits);
        }
        for d in batch.diagnostics {
            let size = d.message.len() + d.location.path.len();
            if s.output.diagnostics.len() >= MAX_LISTED
                || s.bytes + size > self.limits.max_kept_bytes
            {
                s.dropped.diagnostics += 1;
                continue;
            }
            s.bytes += size;
            s.output.diagnostics.push(d);
        }
        for k in batch.skipped {
            let size = k.detail.len() + k.location.path.len();
            if s.output.skipped.len() >= MAX_LISTED || s.bytes + size > self.limits.max_kept_bytes {
                s.dropped.skipped += 1;
                continue;
            }
            s.bytes += size;
            s.output.skipped.push(k);
        }
        for n in batch.incomplete {
            if !s.output.incomplete.iter().any(|i| i.check_id == n.check_id) {
                s.output.incomplete.push(n);
            }
        }
    }

    /// Take `run`'s own output: its items like a batch, and the checks it
    /// evaluated or could not.
    pub fn finish(&self, returned: PluginOutput) {
        let checker = Checker {
            description: &self.description,
            limits: &self.limits,
        };
        let verdict = (|| {
            for id in &returned.evaluated {
                checker.declared(id, "marked as evaluated")?;
            }
            returned
                .not_checked
                .iter()
                .try_for_each(|n| checker.reason(n, "marked as not checked"))
        })();
        if let Err(lie) = verdict {
            let mut s = self.lock();
            if s.lie.is_none() {
                s.lie = Some(lie);
            }
            return;
        }
        self.add(Batch {
            findings: returned.findings,
            diagnostics: returned.diagnostics,
            skipped: returned.skipped,
            incomplete: returned.incomplete,
        });
        let mut s = self.lock();
        s.output.evaluated = returned.evaluated;
        s.output.not_checked = returned.not_checked;
    }

    /// What was kept, findings in the order they arrived, leaving the
    /// collector empty.
    pub fn take(&self) -> Collected {
        let mut c = std::mem::take(&mut *self.lock());
        let mut findings: Vec<(u64, RawFinding)> =
            c.kept.iter_mut().flat_map(std::mem::take).collect();
        findings.sort_unstable_by_key(|(n, _)| *n);
        c.output.findings = findings.into_iter().map(|(_, f)| f).collect();
        c
    }
}

fn finding_bytes(f: &RawFinding) -> usize {
    let opt = |s: &Option<String>| s.as_ref().map_or(0, String::len);
    f.check_id.len()
        + f.title.len()
        + f.message.len()
        + opt(&f.evidence)
        + opt(&f.remediation)
        + f.location
            .as_ref()
            .map_or(0, |l| l.path.len() + l.root.len() + opt(&l.member))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Check, Location, SkipReason};

    fn collector(max_findings: usize) -> Arc<Collector> {
        Collector::new(
            PluginDescription {
                id: "p".into(),
                name: "P".into(),
                version: "1".into(),
                domain: "code".into(),
                description: String::new(),
                checks: vec![Check {
                    id: "C-1".into(),
                    control: "CODE-4".into(),
                    title: "t".into(),
                    severity: Severity::High,
                    remediation: String::new(),
                    references: vec![],
                }],
                capabilities: vec![],
            },
            OutputLimits {
                max_findings,
                ..OutputLimits::default()
            },
        )
    }

    fn finding(check: &str) -> RawFinding {
        RawFinding {
            check_id: check.into(),
            control: "CODE-4".into(),
            severity: Severity::High,
            title: "t".into(),
            message: "m".into(),
            location: Some(Location {
                root: "target".into(),
                path: "a".into(),
                line: None,
                member: None,
            }),
            evidence: None,
            remediation: None,
        }
    }

    #[test]
    fn past_the_limit_findings_are_counted_not_kept() {
        let c = collector(3);
        c.add(Batch {
            findings: (0..5).map(|_| finding("C-1")).collect(),
            ..Batch::default()
        });
        c.finish(PluginOutput {
            findings: vec![finding("C-1")],
            evaluated: vec!["C-1".into()],
            ..PluginOutput::default()
        });
        let got = c.take();
        assert_eq!(got.output.findings.len(), 3);
        assert_eq!(got.dropped.findings["C-1"].count, 3);
        assert_eq!(got.dropped.findings["C-1"].max_severity, Severity::High);
        assert!(got.lie.is_none());
    }

    #[test]
    fn past_the_limit_a_more_severe_finding_displaces_the_least_severe() {
        let c = collector(3);
        let at = |severity, path: &str| {
            let mut f = finding("C-1");
            f.severity = severity;
            f.location.as_mut().unwrap().path = path.into();
            f
        };
        c.add(Batch {
            findings: vec![
                at(Severity::Info, "i1"),
                at(Severity::Medium, "m1"),
                at(Severity::Info, "i2"),
                // Full: each of these displaces the latest least severe.
                at(Severity::Critical, "c1"),
                at(Severity::Critical, "c2"),
                // Nothing less severe than high is left but m1.
                at(Severity::High, "h1"),
                at(Severity::Info, "i3"),
            ],
            ..Batch::default()
        });
        let got = c.take();
        let paths: Vec<_> = got
            .output
            .findings
            .iter()
            .map(|f| f.location.as_ref().unwrap().path.as_str())
            .collect();
        assert_eq!(paths, ["c1", "c2", "h1"]);
        assert_eq!(got.dropped.findings["C-1"].count, 4);
        assert_eq!(got.dropped.findings["C-1"].max_severity, Severity::Medium);
    }

    #[test]
    fn a_lie_in_any_batch_refuses_the_whole_result() {
        let c = collector(10);
        c.add(Batch {
            findings: vec![finding("C-1")],
            skipped: vec![Skipped {
                location: finding("C-1").location.unwrap(),
                reason: SkipReason::SpecialFile,
                detail: "FIFO".into(),
            }],
            ..Batch::default()
        });
        c.add(Batch {
            findings: vec![finding("NOT-DECLARED")],
            ..Batch::default()
        });
        let got = c.take();
        assert!(got.lie.unwrap().contains("does not declare"));
    }

    #[test]
    fn incomplete_checks_are_kept_once() {
        let c = collector(10);
        for reason in ["first", "second"] {
            c.add(Batch {
                incomplete: vec![NotChecked {
                    check_id: "C-1".into(),
                    reason: reason.into(),
                }],
                ..Batch::default()
            });
        }
        let got = c.take();
        assert_eq!(got.output.incomplete.len(), 1);
        assert_eq!(got.output.incomplete[0].reason, "first");
    }
}
