//! What plugins describe and report, as host-side types. The sandbox
//! converts the WIT values into these; nothing past the sandbox sees the
//! generated bindings.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub const ALL_DESCENDING: [Severity; 5] = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Info,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A check in a plugin's catalogue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Check {
    pub id: String,
    pub control: String,
    pub title: String,
    pub severity: Severity,
    pub remediation: String,
    pub references: Vec<String>,
}

/// A capability a plugin requests or is granted: `kind` on a root named
/// `scope` (e.g. `fs-read` on `target`), with the plugin's reason.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Capability {
    pub kind: String,
    pub scope: String,
    pub reason: String,
}

impl Capability {
    /// `kind:scope`, the form used in policies, locks and flags.
    pub fn key(&self) -> String {
        format!("{}:{}", self.kind, self.scope)
    }
}

impl std::fmt::Display for Capability {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.kind, self.scope)
    }
}

/// A plugin's self-description (`describe`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PluginDescription {
    pub id: String,
    pub name: String,
    pub version: String,
    pub domain: String,
    pub description: String,
    pub checks: Vec<Check>,
    pub capabilities: Vec<Capability>,
}

impl PluginDescription {
    pub fn check(&self, id: &str) -> Option<&Check> {
        self.checks.iter().find(|c| c.id == id)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Location {
    pub root: String,
    pub path: String,
    pub line: Option<u32>,
    pub member: Option<String>,
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.path)?;
        if let Some(m) = &self.member {
            write!(f, "!{m}")?;
        }
        if let Some(l) = self.line {
            write!(f, ":{l}")?;
        }
        Ok(())
    }
}

/// A finding as the plugin returned it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RawFinding {
    pub check_id: String,
    pub control: String,
    pub severity: Severity,
    pub title: String,
    pub message: String,
    pub location: Option<Location>,
    pub evidence: Option<String>,
    pub remediation: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NotChecked {
    pub check_id: String,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Diagnostic {
    pub location: Location,
    pub message: String,
}

/// Why a path was not examined (contract 0.1.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SkipReason {
    Excluded,
    Unreadable,
    TooLarge,
    SpecialFile,
    Symlink,
    BadName,
    DepthLimit,
    FileLimit,
    ParseLimit,
}

impl SkipReason {
    pub const ALL: [SkipReason; 9] = [
        SkipReason::Unreadable,
        SkipReason::TooLarge,
        SkipReason::SpecialFile,
        SkipReason::Symlink,
        SkipReason::BadName,
        SkipReason::DepthLimit,
        SkipReason::FileLimit,
        SkipReason::ParseLimit,
        SkipReason::Excluded,
    ];

    /// A few words, as the console and the reports say it.
    pub fn text(self) -> &'static str {
        match self {
            SkipReason::Excluded => "excluded",
            SkipReason::Unreadable => "unreadable",
            SkipReason::TooLarge => "over a size limit",
            SkipReason::SpecialFile => "not a regular file",
            SkipReason::Symlink => "symbolic link not followed",
            SkipReason::BadName => "name not valid UTF-8",
            SkipReason::DepthLimit => "beyond the depth limit",
            SkipReason::FileLimit => "beyond the file-count limit",
            SkipReason::ParseLimit => "stopped by a parser limit",
        }
    }
}

/// A path a plugin did not examine, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Skipped {
    pub location: Location,
    pub reason: SkipReason,
    pub detail: String,
}

/// What a plugin handed over: streamed with `host.emit` and returned by
/// `run`, merged.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PluginOutput {
    pub findings: Vec<RawFinding>,
    pub evaluated: Vec<String>,
    pub not_checked: Vec<NotChecked>,
    pub diagnostics: Vec<Diagnostic>,
    /// Paths not examined (0.1.2).
    pub skipped: Vec<Skipped>,
    /// Checks evaluated on only part of their inputs (0.1.2).
    pub incomplete: Vec<NotChecked>,
}
