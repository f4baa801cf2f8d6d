//! The report model: every plugin, check, control and finding of a run,
//! with a status per check and per control. Renderers read only this.
//!
//! Status rules:
//! - a check *failed* if a finding at `low` or above names it (also one
//!   its plugin emitted before failing); else it is *error* if its plugin
//!   failed; else *incomplete* if the plugin could examine only part of its
//!   inputs; *passed* if the plugin evaluated it and found nothing at `low`
//!   or above; otherwise it is *not checked*, with the plugin's reason.
//! - a control *failed* if any of its checks failed; else *error* if any
//!   errored; else *incomplete* if any is; else *passed* if at least one was
//!   evaluated (the report shows how many of how many); else *not checked*.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::baseline;
use crate::collect::Dropped;
use crate::model::{Capability, Diagnostic, Location, Severity, SkipReason, Skipped};
use crate::policy::Denied;
use crate::run::PluginOutcome;

/// Version of the JSON report format. Additive changes bump the minor;
/// anything that could break a consumer bumps the major.
pub const SCHEMA_VERSION: &str = "1.3.0";

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Failed,
    Error,
    NotChecked,
    Passed,
    /// Failing findings exist, and every one is covered by a waiver.
    Waived,
    /// Evaluated on only part of its inputs: never read as passed (1.2.0).
    Incomplete,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Failed => "failed",
            Status::Error => "error",
            Status::NotChecked => "not_checked",
            Status::Passed => "passed",
            Status::Waived => "waived",
            Status::Incomplete => "incomplete",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Report {
    pub schema_version: String,
    pub tool: Tool,
    pub run: RunInfo,
    pub summary: Summary,
    pub domains: Vec<DomainResult>,
    pub controls: Vec<ControlResult>,
    pub plugins: Vec<PluginResult>,
    pub findings: Vec<Finding>,
    /// Set with `--baseline`: what changed since a previous run.
    #[serde(default)]
    pub baseline: Option<Baseline>,
    /// The policy's waivers, each with its state and what it matched.
    #[serde(default)]
    pub waivers: Vec<WaiverResult>,
    /// Inline `aicomply:ignore` comments found at findings; one without a
    /// reason is listed but not applied.
    #[serde(default)]
    pub suppressions: Vec<SuppressionResult>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SuppressionResult {
    #[serde(flatten)]
    pub suppression: Suppression,
    pub applied: bool,
    /// Why it was not applied, when it was not (1.2.0).
    #[serde(default)]
    pub note: Option<String>,
}

/// Which inline suppressions the operator honours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SuppressionMode {
    /// None: every finding stays open.
    Off,
    /// Every one that names its check and gives a reason.
    All,
    /// Only those of findings below this severity.
    Below(Severity),
}

impl std::str::FromStr for SuppressionMode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "off" | "none" => Ok(SuppressionMode::Off),
            "all" | "on" => Ok(SuppressionMode::All),
            other => {
                let sev = other.strip_prefix("below-").ok_or_else(|| {
                    format!("{other:?}: expected off, all or below-SEVERITY (e.g. below-high)")
                })?;
                Severity::ALL_DESCENDING
                    .into_iter()
                    .find(|s| s.as_str() == sev)
                    .map(SuppressionMode::Below)
                    .ok_or_else(|| {
                        format!("{sev:?} is not a severity (info, low, medium, high, critical)")
                    })
            }
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WaiverResult {
    #[serde(flatten)]
    pub waiver: crate::policy::Waiver,
    pub state: WaiverState,
    /// Findings it covers (for an expired waiver: would have covered).
    pub matched: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WaiverState {
    Active,
    Expired,
}

/// The comparison with a previous run's report.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Baseline {
    /// The previous report, as the operator named it.
    pub source: String,
    pub new: usize,
    pub unchanged: usize,
    /// Findings of the previous run that are gone.
    pub fixed: Vec<Finding>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    New,
    Unchanged,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Tool {
    pub name: String,
    pub version: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunInfo {
    /// The target as the operator named it.
    pub target: String,
    pub started_at: String,
    pub finished_at: String,
    pub duration_ms: u64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Counts {
    pub passed: usize,
    pub failed: usize,
    pub not_checked: usize,
    pub error: usize,
    #[serde(default)]
    pub waived: usize,
    #[serde(default)]
    pub incomplete: usize,
}

impl Counts {
    fn add(&mut self, s: Status) {
        match s {
            Status::Passed => self.passed += 1,
            Status::Failed => self.failed += 1,
            Status::NotChecked => self.not_checked += 1,
            Status::Error => self.error += 1,
            Status::Waived => self.waived += 1,
            Status::Incomplete => self.incomplete += 1,
        }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Summary {
    pub findings: usize,
    /// Findings per severity, most severe first.
    pub by_severity: SeverityCounts,
    pub controls: Counts,
    pub plugins_ok: usize,
    pub plugins_error: usize,
    /// True when a plugin errored: the results do not cover everything.
    pub incomplete: bool,
    /// Findings covered by a waiver (still counted in `findings`).
    #[serde(default)]
    pub waived: usize,
    /// Paths the plugins did not examine, per reason (1.2.0).
    #[serde(default)]
    pub not_examined: BTreeMap<SkipReason, usize>,
    /// Findings counted past `--max-findings` and not kept (1.2.0).
    #[serde(default)]
    pub findings_dropped: usize,
    /// Findings suppressed inline (1.2.0).
    #[serde(default)]
    pub suppressed: usize,
    /// Checks that saw only part of their inputs, failed or not (1.2.0).
    #[serde(default)]
    pub checks_incomplete: usize,
    /// Network probes the plugins asked for, made or refused (1.3.0);
    /// those past a plugin's limit after the first refusal are counted too.
    #[serde(default)]
    pub probes: usize,
    /// Probes the host refused: not granted, address refused, over the limit (1.3.0).
    #[serde(default)]
    pub probes_refused: usize,
    /// Probes made that failed: resolution, connection, timeout, protocol (1.3.0).
    #[serde(default)]
    pub probes_failed: usize,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SeverityCounts {
    pub critical: usize,
    pub high: usize,
    pub medium: usize,
    pub low: usize,
    pub info: usize,
}

impl SeverityCounts {
    pub fn get(&self, s: Severity) -> usize {
        match s {
            Severity::Critical => self.critical,
            Severity::High => self.high,
            Severity::Medium => self.medium,
            Severity::Low => self.low,
            Severity::Info => self.info,
        }
    }

    fn add(&mut self, s: Severity) {
        *match s {
            Severity::Critical => &mut self.critical,
            Severity::High => &mut self.high,
            Severity::Medium => &mut self.medium,
            Severity::Low => &mut self.low,
            Severity::Info => &mut self.info,
        } += 1;
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DomainResult {
    pub id: String,
    pub title: String,
    pub controls: Counts,
    pub findings: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ControlResult {
    pub id: String,
    pub domain: String,
    pub title: String,
    pub status: Status,
    pub checks_total: usize,
    pub checks_evaluated: usize,
    pub findings: usize,
    pub reason: Option<String>,
    /// In a merged fleet report: this control's status on each host.
    #[serde(default)]
    pub hosts: BTreeMap<String, Status>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PluginResult {
    /// In a merged fleet report: the host this plugin ran on.
    #[serde(default)]
    pub host: Option<String>,
    pub id: String,
    pub name: String,
    pub version: String,
    pub domain: String,
    pub description: String,
    /// `embedded:<name>` or the file path.
    pub source: String,
    pub sha256: Option<String>,
    /// The plugin contract version the component was built against.
    pub wit_version: Option<String>,
    pub capabilities_requested: Vec<Capability>,
    pub capabilities_granted: Vec<Capability>,
    /// Requested but not in effect, with what would grant each.
    pub capabilities_denied: Vec<Denied>,
    pub status: PluginStatus,
    pub error: Option<String>,
    pub duration_ms: u64,
    /// Files the plugin said it examined (`host.progress`); absent when it
    /// did not say (plugins built against contract 0.1.0). Since 1.1.0.
    #[serde(default)]
    pub files_examined: Option<u32>,
    pub checks: Vec<CheckResult>,
    pub diagnostics: Vec<Diagnostic>,
    /// Paths this plugin did not examine, with the reason (1.2.0).
    #[serde(default)]
    pub not_examined: Vec<Skipped>,
    /// What this plugin handed over past the limits: counted, not kept (1.2.0).
    #[serde(default)]
    pub dropped: Dropped,
    /// The endpoints this plugin could probe (`net-probe` in effect), as
    /// granted (1.3.0).
    #[serde(default)]
    pub endpoints_granted: Vec<String>,
    /// Every probe this plugin asked for, made or refused, with what it
    /// found: the evidence of its network checks (1.3.0).
    #[serde(default)]
    pub probes: Vec<crate::probe::ProbeRecord>,
    /// Probes asked for past `--max-probes` after the first refusal: counted, not listed (1.3.0).
    #[serde(default)]
    pub probes_over_limit: usize,
    pub log: Vec<String>,
    pub stderr: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PluginStatus {
    Ok,
    Error,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CheckResult {
    pub id: String,
    pub control: String,
    pub title: String,
    pub severity: Severity,
    pub status: Status,
    pub findings: usize,
    pub reason: Option<String>,
    pub remediation: String,
    pub references: Vec<String>,
    /// Why the check saw only part of its inputs, if it did (1.2.0); kept
    /// when it failed too, and what it falls back to when waived.
    #[serde(default)]
    pub incomplete: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Finding {
    pub plugin: String,
    pub check_id: String,
    pub control: String,
    pub domain: String,
    pub severity: Severity,
    pub title: String,
    pub message: String,
    pub location: Option<Location>,
    pub evidence: Option<String>,
    pub remediation: String,
    pub references: Vec<String>,
    /// Set with `--baseline`: new since the previous run, or unchanged.
    #[serde(default)]
    pub change: Option<Change>,
    /// The waiver that covers this finding, if one does.
    #[serde(default)]
    pub waiver: Option<crate::policy::Waiver>,
    /// In a merged fleet report: the host it was found on.
    #[serde(default)]
    pub host: Option<String>,
    /// An `aicomply:ignore` comment at the finding's line (or the line above).
    #[serde(default)]
    pub suppression: Option<Suppression>,
}

/// An inline suppression: `aicomply:ignore CHECK-ID reason` in a comment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Suppression {
    pub check: String,
    pub reason: String,
    pub path: String,
    pub line: u32,
}

impl Finding {
    /// Waived by the policy or suppressed inline: shown, but not failing.
    pub fn accepted(&self) -> bool {
        self.waiver.is_some() || self.suppression.is_some()
    }

    /// Identifies a finding across runs: check, root, file, archive member
    /// and evidence (or message). Lines are left out, so a finding that moves
    /// in its file keeps its identity.
    pub fn fingerprint(&self) -> String {
        use sha2::{Digest, Sha256};
        let loc = self.location.as_ref();
        let mut h = Sha256::new();
        for part in [
            self.check_id.as_str(),
            loc.map_or("", |l| l.root.as_str()),
            loc.map_or("", |l| l.path.as_str()),
            loc.and_then(|l| l.member.as_deref()).unwrap_or(""),
            self.evidence.as_deref().unwrap_or(&self.message),
        ] {
            h.update(part.as_bytes());
            h.update([0]);
        }
        crate::plugin::hex(&h.finalize()[..16])
    }
}

impl Report {
    /// Read a saved report.json, refusing an incompatible major version.
    pub fn read(path: &std::path::Path) -> anyhow::Result<Report> {
        // A fleet of reports can be large; a FIFO or device is refused.
        let text =
            crate::safe_fs::read_regular_text(path, 1 << 30).map_err(|e| anyhow::anyhow!(e))?;
        let value: serde_json::Value = serde_json::from_str(&text)
            .map_err(|e| anyhow::anyhow!("{} is not JSON: {e}", path.display()))?;
        let version = value
            .get("schema_version")
            .and_then(|v| v.as_str())
            .unwrap_or("");
        if version.split('.').next() != SCHEMA_VERSION.split('.').next() {
            anyhow::bail!(
                "{} has report schema {version:?}; this aicomply reads {}.x",
                path.display(),
                SCHEMA_VERSION.split('.').next().unwrap_or("")
            );
        }
        serde_json::from_value(value)
            .map_err(|e| anyhow::anyhow!("{} is not an aicomply report: {e}", path.display()))
    }

    pub fn build(
        target: String,
        started: std::time::SystemTime,
        outcomes: Vec<PluginOutcome>,
    ) -> Report {
        let finished = std::time::SystemTime::now();
        let mut plugins = Vec::new();
        let mut findings = Vec::new();

        for o in outcomes {
            let (plugin, mut fs) = plugin_result(o);
            plugins.push(plugin);
            findings.append(&mut fs);
        }
        plugins.sort_by(|a, b| a.id.cmp(&b.id));
        findings.sort_by(|a, b| {
            b.severity
                .cmp(&a.severity)
                .then_with(|| a.control.cmp(&b.control))
                .then_with(|| a.check_id.cmp(&b.check_id))
                .then_with(|| a.location.cmp(&b.location))
        });

        let run = RunInfo {
            target,
            started_at: humantime::format_rfc3339_seconds(started).to_string(),
            finished_at: humantime::format_rfc3339_seconds(finished).to_string(),
            duration_ms: finished
                .duration_since(started)
                .unwrap_or_default()
                .as_millis() as u64,
        };
        Report::assemble(run, plugins, findings)
    }

    /// A report of this tool and schema version from its run, plugins and
    /// findings, with the summary, domains and controls worked out.
    fn assemble(run: RunInfo, plugins: Vec<PluginResult>, findings: Vec<Finding>) -> Report {
        let mut report = Report {
            schema_version: SCHEMA_VERSION.into(),
            tool: Tool {
                name: "aicomply".into(),
                version: env!("CARGO_PKG_VERSION").into(),
            },
            run,
            summary: Summary::default(),
            domains: Vec::new(),
            controls: Vec::new(),
            plugins,
            findings,
            baseline: None,
            waivers: Vec::new(),
            suppressions: Vec::new(),
        };
        report.summarize();
        report
    }

    /// Control statuses, domain counts and the summary, from the plugins'
    /// check statuses and the findings.
    fn summarize(&mut self) {
        let controls = control_results(&self.plugins, &self.findings);
        let domains = baseline::DOMAINS
            .iter()
            .map(|(id, title)| {
                let mut counts = Counts::default();
                controls
                    .iter()
                    .filter(|c| c.domain == *id)
                    .for_each(|c| counts.add(c.status));
                DomainResult {
                    id: id.to_string(),
                    title: title.to_string(),
                    controls: counts,
                    findings: self.findings.iter().filter(|f| f.domain == *id).count(),
                }
            })
            .collect();
        let mut by_severity = SeverityCounts::default();
        self.findings
            .iter()
            .for_each(|f| by_severity.add(f.severity));
        let mut control_counts = Counts::default();
        controls.iter().for_each(|c| control_counts.add(c.status));
        let plugins_error = self
            .plugins
            .iter()
            .filter(|p| p.status == PluginStatus::Error)
            .count();
        let mut not_examined = BTreeMap::new();
        for s in self.plugins.iter().flat_map(|p| &p.not_examined) {
            *not_examined.entry(s.reason).or_insert(0) += 1;
        }
        self.summary = Summary {
            findings: self.findings.len(),
            by_severity,
            controls: control_counts,
            plugins_ok: self.plugins.len() - plugins_error,
            plugins_error,
            incomplete: plugins_error > 0,
            waived: self.findings.iter().filter(|f| f.accepted()).count(),
            not_examined,
            findings_dropped: self
                .plugins
                .iter()
                .map(|p| p.dropped.findings_total())
                .sum(),
            suppressed: self
                .findings
                .iter()
                .filter(|f| f.suppression.is_some())
                .count(),
            checks_incomplete: self
                .plugins
                .iter()
                .flat_map(|p| &p.checks)
                .filter(|c| c.incomplete.is_some())
                .count(),
            probes: self
                .plugins
                .iter()
                .map(|p| p.probes.len() + p.probes_over_limit)
                .sum(),
            probes_refused: self
                .plugins
                .iter()
                .map(|p| {
                    p.probes_over_limit
                        + p.probes
                            .iter()
                            .filter(|r| r.outcome == crate::probe::ProbeOutcome::Refused)
                            .count()
                })
                .sum(),
            probes_failed: self
                .plugins
                .iter()
                .flat_map(|p| &p.probes)
                .filter(|r| r.outcome == crate::probe::ProbeOutcome::Failed)
                .count(),
        };
        self.controls = controls;
        self.domains = domains;
    }

    /// Apply the operator's waivers: a finding covered by a waiver that has
    /// not expired is marked waived (and still shown); a check whose failing
    /// findings are all waived is *waived*, not failed. Every waiver is
    /// listed with what it matched; an expired one no longer applies.
    pub fn apply_waivers(&mut self, waivers: &[crate::policy::Waiver], today: &str) {
        let mut results: Vec<WaiverResult> = waivers
            .iter()
            .map(|w| WaiverResult {
                waiver: w.clone(),
                state: if w.expires.as_str() < today {
                    WaiverState::Expired
                } else {
                    WaiverState::Active
                },
                matched: 0,
            })
            .collect();
        for f in &mut self.findings {
            let path = f.location.as_ref().map(|l| l.path.as_str());
            for r in results
                .iter_mut()
                .filter(|r| r.waiver.covers(&f.check_id, path))
            {
                r.matched += 1;
                if r.state == WaiverState::Active && f.waiver.is_none() {
                    f.waiver = Some(r.waiver.clone());
                }
            }
        }
        self.waivers = results;
        self.settle();
    }

    /// A check whose failing findings are all waived or suppressed is
    /// *waived*; then the controls and counts follow.
    fn settle(&mut self) {
        for p in &mut self.plugins {
            for c in p.checks.iter_mut().filter(|c| c.status == Status::Failed) {
                let open = self.findings.iter().any(|f| {
                    f.plugin == p.id
                        && f.check_id == c.id
                        && f.severity >= Severity::Low
                        && !f.accepted()
                });
                // Counted findings were not kept, so nothing waived them.
                let dropped = p
                    .dropped
                    .findings
                    .get(&c.id)
                    .is_some_and(|d| d.max_severity >= Severity::Low);
                if !open && !dropped {
                    match &c.incomplete {
                        Some(why) => {
                            c.status = Status::Incomplete;
                            c.reason = Some(format!(
                                "its failing findings are waived or suppressed, but {why}"
                            ));
                        }
                        None => {
                            c.status = Status::Waived;
                            c.reason = Some("every failing finding is waived or suppressed".into());
                        }
                    }
                }
            }
        }
        self.summarize();
    }

    /// Honour `aicomply:ignore CHECK-ID reason` comments in the scanned
    /// files, on a finding's line or the line above it, as far as `mode`
    /// lets the scanned files decide. A suppression must name the check and
    /// give a reason; one without a reason, or one `mode` does not honour,
    /// is listed and not applied.
    ///
    /// The files are read through `roots` and only through a root the
    /// finding's plugin was granted `fs-read` on: a plugin cannot make the
    /// host read, for it, what it could not read itself. A lookup that is
    /// refused is a diagnostic of that plugin.
    pub fn apply_suppressions(&mut self, roots: &mut crate::safe_fs::Roots, mode: SuppressionMode) {
        if mode == SuppressionMode::Off {
            self.suppressions = Vec::new();
            self.settle();
            return;
        }
        let grants: BTreeMap<String, Vec<String>> = self
            .plugins
            .iter()
            .map(|p| {
                let roots = p
                    .capabilities_granted
                    .iter()
                    .filter(|c| c.kind == "fs-read")
                    .map(|c| c.scope.clone())
                    .collect();
                (p.id.clone(), roots)
            })
            .collect();
        // (root, path) -> the file's lines, or why it was not read.
        let mut files: BTreeMap<(String, String), Result<Vec<String>, String>> = BTreeMap::new();
        let mut found: Vec<SuppressionResult> = Vec::new();
        let mut refused: Vec<(String, Diagnostic)> = Vec::new();
        let mut ungranted: BTreeMap<(String, String), usize> = BTreeMap::new();
        for f in &mut self.findings {
            let Some(loc) = &f.location else { continue };
            let (Some(line), None) = (loc.line, &loc.member) else {
                continue;
            };
            let key = (loc.root.clone(), loc.path.clone());
            if !files.contains_key(&key) {
                let granted = grants.get(&f.plugin).is_some_and(|r| r.contains(&loc.root));
                if !granted {
                    // Said once per plugin and root, not once per file.
                    let n = ungranted
                        .entry((f.plugin.clone(), loc.root.clone()))
                        .or_insert(0);
                    *n += 1;
                    files.insert(key, Err(String::new()));
                    continue;
                }
                let lines = roots.read(&loc.root, &loc.path).map(|b| {
                    String::from_utf8_lossy(&b)
                        .lines()
                        .map(String::from)
                        .collect()
                });
                if let Err(why) = &lines {
                    refused.push((
                        f.plugin.clone(),
                        Diagnostic {
                            location: loc.clone(),
                            message: format!(
                                "inline suppressions at this finding were not looked up: {why}"
                            ),
                        },
                    ));
                }
                files.insert(key.clone(), lines);
            }
            let Ok(lines) = &files[&key] else { continue };
            for n in [line, line.saturating_sub(1)] {
                let Some(text) = n.checked_sub(1).and_then(|i| lines.get(i as usize)) else {
                    continue;
                };
                let Some(pos) = text.find("aicomply:ignore") else {
                    continue;
                };
                let mut words = text[pos + "aicomply:ignore".len()..]
                    .trim()
                    .splitn(2, char::is_whitespace);
                let check = words.next().unwrap_or("").to_string();
                if check != f.check_id {
                    continue;
                }
                // A reason, without the closing marks of block comments.
                let reason = words
                    .next()
                    .unwrap_or("")
                    .trim()
                    .trim_end_matches(['-', '>', '*', '/'])
                    .trim()
                    .to_string();
                let s = Suppression {
                    check,
                    reason: reason.clone(),
                    path: loc.path.clone(),
                    line: n,
                };
                let note = if reason.is_empty() {
                    Some("a suppression needs a reason".to_string())
                } else {
                    match mode {
                        SuppressionMode::Below(t) if f.severity >= t => Some(format!(
                            "a {} finding; inline suppressions apply only below {t} (--inline-suppressions)",
                            f.severity
                        )),
                        _ => None,
                    }
                };
                let applied = note.is_none();
                if applied && f.suppression.is_none() {
                    f.suppression = Some(s.clone());
                }
                if !found.iter().any(|r| r.suppression == s) {
                    found.push(SuppressionResult {
                        suppression: s,
                        applied,
                        note,
                    });
                }
                break;
            }
        }
        for ((plugin, root), n) in ungranted {
            refused.push((
                plugin,
                Diagnostic {
                    location: Location {
                        root: root.clone(),
                        path: ".".into(),
                        line: None,
                        member: None,
                    },
                    message: format!(
                        "{n} file(s) with findings are in the root {root:?}, which this plugin was not granted fs-read on; the host did not read them for inline suppressions"
                    ),
                },
            ));
        }
        for (plugin, d) in refused {
            if let Some(p) = self.plugins.iter_mut().find(|p| p.id == plugin) {
                p.diagnostics.push(d);
            }
        }
        self.suppressions = found;
        self.settle();
    }

    /// Mark each finding new or unchanged against a previous run, and list
    /// the previous findings that are gone (by fingerprint, so a finding
    /// that moved lines is the same finding).
    pub fn compare(&mut self, previous: &Report, source: String) {
        let before: std::collections::BTreeSet<String> =
            previous.findings.iter().map(Finding::fingerprint).collect();
        let now: std::collections::BTreeSet<String> =
            self.findings.iter().map(Finding::fingerprint).collect();
        let (mut new, mut unchanged) = (0, 0);
        for f in &mut self.findings {
            if before.contains(&f.fingerprint()) {
                f.change = Some(Change::Unchanged);
                unchanged += 1;
            } else {
                f.change = Some(Change::New);
                new += 1;
            }
        }
        let fixed = previous
            .findings
            .iter()
            .filter(|f| !now.contains(&f.fingerprint()))
            .cloned()
            .collect();
        self.baseline = Some(Baseline {
            source,
            new,
            unchanged,
            fixed,
        });
    }

    /// Combine runs from many hosts into one report: every finding and
    /// plugin is labelled with its host, each control's status is kept per
    /// host, and the fleet status of a control is its worst host status.
    pub fn merge(runs: Vec<(String, Report)>) -> Report {
        let mut plugins = Vec::new();
        let mut findings = Vec::new();
        let mut per_host: Vec<(String, Vec<ControlResult>)> = Vec::new();
        let (mut started, mut finished) = (String::new(), String::new());
        for (host, r) in runs {
            if started.is_empty() || r.run.started_at < started {
                started = r.run.started_at.clone();
            }
            if r.run.finished_at > finished {
                finished = r.run.finished_at.clone();
            }
            plugins.extend(r.plugins.into_iter().map(|mut p| {
                p.host = Some(host.clone());
                p
            }));
            findings.extend(r.findings.into_iter().map(|mut f| {
                f.host = Some(host.clone());
                f
            }));
            per_host.push((host, r.controls));
        }
        findings.sort_by(|a, b| {
            b.severity
                .cmp(&a.severity)
                .then_with(|| a.control.cmp(&b.control))
                .then_with(|| a.host.cmp(&b.host))
        });
        let hosts = per_host.len();
        let run = RunInfo {
            target: format!("fleet of {hosts} hosts"),
            started_at: started,
            finished_at: finished,
            duration_ms: 0,
        };
        let mut report = Report::assemble(run, plugins, findings);
        for c in &mut report.controls {
            for (host, controls) in &per_host {
                if let Some(hc) = controls.iter().find(|h| h.id == c.id) {
                    c.hosts.insert(host.clone(), hc.status);
                }
            }
        }
        report
    }

    /// A small report with one finding of each severity, a waiver, a
    /// suppression and a path not examined: what custom templates are tried
    /// on before a scan, so a broken one fails before any plugin runs.
    pub fn sample() -> Report {
        let location = |path: &str, line| Location {
            root: "target".into(),
            path: path.into(),
            line,
            member: None,
        };
        let findings = Severity::ALL_DESCENDING
            .iter()
            .map(|&severity| Finding {
                plugin: "sample".into(),
                check_id: format!("SAMPLE-{}", severity.as_str().to_uppercase()),
                control: "CODE-4".into(),
                domain: "code".into(),
                severity,
                title: format!("A {severity} sample finding"),
                message: "What was found".into(),
                location: Some(location("models/model.pkl", Some(3))),
                evidence: Some("evidence".into()),
                remediation: "What to do".into(),
                references: vec!["https://example.org/advisory".into()],
                change: Some(Change::New),
                waiver: None,
                host: None,
                suppression: None,
            })
            .collect();
        let plugin = PluginResult {
            host: None,
            id: "sample".into(),
            name: "Sample".into(),
            version: "1.0.0".into(),
            domain: "code".into(),
            description: "A sample plugin".into(),
            source: "embedded:sample".into(),
            sha256: Some("0".repeat(64)),
            wit_version: Some("0.1.3".into()),
            capabilities_requested: Vec::new(),
            capabilities_granted: Vec::new(),
            capabilities_denied: Vec::new(),
            status: PluginStatus::Ok,
            error: None,
            duration_ms: 1,
            files_examined: Some(1),
            checks: Vec::new(),
            diagnostics: vec![Diagnostic {
                location: location("config.yaml", None),
                message: "not parsed".into(),
            }],
            not_examined: vec![Skipped {
                location: location("pipe", None),
                reason: SkipReason::SpecialFile,
                detail: "a FIFO".into(),
            }],
            dropped: Dropped::default(),
            endpoints_granted: vec!["https://api.example.org:443/".into()],
            probes: crate::probe::sample_records(),
            probes_over_limit: 0,
            log: vec!["info: sample".into()],
            stderr: String::new(),
        };
        let now = humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string();
        let run = RunInfo {
            target: "sample".into(),
            started_at: now.clone(),
            finished_at: now,
            duration_ms: 1,
        };
        let mut report = Report::assemble(run, vec![plugin], findings);
        report.suppressions = vec![SuppressionResult {
            suppression: Suppression {
                check: "SAMPLE-LOW".into(),
                reason: "accepted".into(),
                path: "models/model.pkl".into(),
                line: 2,
            },
            applied: true,
            note: None,
        }];
        report
    }

    /// The highest severity among the findings, if any.
    pub fn max_severity(&self) -> Option<Severity> {
        self.findings.iter().map(|f| f.severity).max()
    }
}

fn plugin_result(o: PluginOutcome) -> (PluginResult, Vec<Finding>) {
    let source = o.source.to_string();
    let d = o.description.clone();
    let id = d
        .as_ref()
        .map_or_else(|| o.source.fallback_id(), |d| d.id.clone());
    let requested = d
        .as_ref()
        .map(|d| d.capabilities.clone())
        .unwrap_or_default();

    let mut findings = Vec::new();
    let mut checks = Vec::new();
    let out = &o.output;
    let status = if o.error.is_some() {
        PluginStatus::Error
    } else {
        PluginStatus::Ok
    };
    if let Some(d) = &d {
        for check in &d.checks {
            let mine: Vec<_> = out
                .findings
                .iter()
                .filter(|f| f.check_id == check.id)
                .collect();
            let dropped = o.dropped.findings.get(&check.id);
            let count = mine.len() + dropped.map_or(0, |d| d.count);
            // Findings count even when their plugin failed later: they
            // were found, and the error beside them says what was not.
            let failing = mine.iter().any(|f| f.severity >= Severity::Low)
                || dropped.is_some_and(|d| d.max_severity >= Severity::Low);
            let incomplete = out
                .incomplete
                .iter()
                .find(|n| n.check_id == check.id)
                .map(|n| n.reason.clone());
            let (status, reason) = if failing {
                (Status::Failed, None)
            } else if let Some(e) = &o.error {
                (Status::Error, Some(e.clone()))
            } else if let Some(why) = &incomplete {
                (Status::Incomplete, Some(why.clone()))
            } else if out.evaluated.contains(&check.id) || !mine.is_empty() {
                (Status::Passed, None)
            } else {
                let reason = out
                    .not_checked
                    .iter()
                    .find(|n| n.check_id == check.id)
                    .map_or(
                        "the plugin did not report evaluating this check".into(),
                        |n| n.reason.clone(),
                    );
                (Status::NotChecked, Some(reason))
            };
            checks.push(CheckResult {
                id: check.id.clone(),
                control: check.control.clone(),
                title: check.title.clone(),
                severity: check.severity,
                status,
                findings: count,
                reason,
                remediation: check.remediation.clone(),
                references: check.references.clone(),
                incomplete,
            });
        }
        for f in &out.findings {
            let check = d
                .check(&f.check_id)
                .expect("validated: findings name declared checks");
            findings.push(Finding {
                plugin: d.id.clone(),
                check_id: f.check_id.clone(),
                control: f.control.clone(),
                domain: baseline::control(&f.control)
                    .map_or(d.domain.clone(), |c| c.domain.to_string()),
                severity: f.severity,
                title: f.title.clone(),
                message: f.message.clone(),
                location: f.location.clone(),
                evidence: f.evidence.clone(),
                remediation: f
                    .remediation
                    .clone()
                    .unwrap_or_else(|| check.remediation.clone()),
                references: check.references.clone(),
                change: None,
                waiver: None,
                host: None,
                suppression: None,
            });
        }
    }

    let plugin = PluginResult {
        host: None,
        id,
        name: d
            .as_ref()
            .map_or_else(|| o.source.fallback_id(), |d| d.name.clone()),
        version: d.as_ref().map_or_else(String::new, |d| d.version.clone()),
        domain: d.as_ref().map_or_else(String::new, |d| d.domain.clone()),
        description: d
            .as_ref()
            .map_or_else(String::new, |d| d.description.clone()),
        source,
        sha256: o.sha256,
        wit_version: o.wit,
        capabilities_requested: requested,
        capabilities_granted: o.granted,
        capabilities_denied: o.denied,
        status,
        error: o.error,
        duration_ms: o.duration.as_millis() as u64,
        files_examined: o.transcript.files_examined,
        checks,
        diagnostics: o.output.diagnostics,
        not_examined: o.output.skipped,
        dropped: o.dropped,
        endpoints_granted: o.endpoints,
        probes: o.probes.records,
        probes_over_limit: o.probes.over_limit,
        log: o.transcript.log,
        stderr: o.transcript.stderr,
    };
    (plugin, findings)
}

fn control_results(plugins: &[PluginResult], findings: &[Finding]) -> Vec<ControlResult> {
    baseline::CONTROLS
        .iter()
        .map(|control| {
            let checks: Vec<&CheckResult> = plugins
                .iter()
                .flat_map(|p| &p.checks)
                .filter(|c| c.control == control.id)
                .collect();
            let evaluated = checks
                .iter()
                .filter(|c| {
                    matches!(
                        c.status,
                        Status::Passed | Status::Failed | Status::Waived | Status::Incomplete
                    )
                })
                .count();
            let status = if checks.iter().any(|c| c.status == Status::Failed) {
                Status::Failed
            } else if checks.iter().any(|c| c.status == Status::Error) {
                Status::Error
            } else if checks.iter().any(|c| c.status == Status::Incomplete) {
                Status::Incomplete
            } else if checks.iter().any(|c| c.status == Status::Waived) {
                Status::Waived
            } else if evaluated > 0 {
                Status::Passed
            } else {
                Status::NotChecked
            };
            let reason = match status {
                Status::NotChecked if checks.is_empty() => {
                    Some("no loaded plugin checks this control".to_string())
                }
                Status::NotChecked => Some(format!(
                    "none of its {} checks could be evaluated",
                    checks.len()
                )),
                Status::Error => Some(
                    "a plugin that checks this control failed; see the plugin's error".to_string(),
                ),
                Status::Incomplete => Some(
                    checks
                        .iter()
                        .find(|c| c.status == Status::Incomplete)
                        .and_then(|c| c.reason.clone())
                        .map_or("some of its inputs were not examined".into(), |r| {
                            format!("some of its inputs were not examined: {r}")
                        }),
                ),
                _ => None,
            };
            ControlResult {
                id: control.id.into(),
                domain: control.domain.into(),
                title: control.title.into(),
                status,
                checks_total: checks.len(),
                checks_evaluated: evaluated,
                findings: findings.iter().filter(|f| f.control == control.id).count(),
                reason,
                hosts: BTreeMap::new(),
            }
        })
        .collect()
}
