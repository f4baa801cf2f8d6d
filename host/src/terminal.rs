//! What a person sees on the terminal: plugin text made inert, colours only
//! on a terminal and never with NO_COLOR, and the end-of-run summary.

use std::io::IsTerminal;

use crate::model::Severity;
use crate::report::{PluginStatus, Report};

/// Make text safe to print: control characters (escape sequences could
/// rewrite the screen, set the window title or hide lines) and Unicode
/// bidirectional overrides (which can disguise text) are shown escaped.
pub fn sanitize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if is_unsafe(c) {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    out
}

/// A character that must not reach a terminal (or a report) raw: control
/// characters other than newline and tab, and bidirectional overrides.
pub fn is_unsafe(c: char) -> bool {
    let bidi =
        matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}');
    (c.is_control() && c != '\n' && c != '\t') || bidi
}

#[derive(Clone, Copy)]
pub struct Style {
    colour: bool,
}

impl Style {
    /// Colour on stderr when it is a terminal and NO_COLOR is unset.
    pub fn detect() -> Self {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Self {
            colour: std::io::stderr().is_terminal() && !no_color,
        }
    }

    pub fn plain() -> Self {
        Self { colour: false }
    }

    fn paint(&self, code: &str, text: &str) -> String {
        if self.colour {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    pub fn bold(&self, t: &str) -> String {
        self.paint("1", t)
    }
    pub fn red(&self, t: &str) -> String {
        self.paint("31", t)
    }
    pub fn green(&self, t: &str) -> String {
        self.paint("32", t)
    }
    pub fn yellow(&self, t: &str) -> String {
        self.paint("33", t)
    }
    pub fn dim(&self, t: &str) -> String {
        self.paint("2", t)
    }

    pub fn severity(&self, s: Severity) -> String {
        match s {
            Severity::Critical | Severity::High => self.red(s.as_str()),
            Severity::Medium => self.yellow(s.as_str()),
            Severity::Low | Severity::Info => s.as_str().to_string(),
        }
    }
}

/// The end-of-run summary: counts by severity and domain, plugin status.
pub fn summary(report: &Report, style: Style) -> String {
    let mut out = String::new();
    let s = &report.summary;
    let sev: Vec<String> = Severity::ALL_DESCENDING
        .iter()
        .map(|sv| format!("{} {}", style.severity(*sv), s.by_severity.get(*sv)))
        .collect();
    out.push_str(&format!(
        "{} {} findings ({})\n",
        style.bold("Findings:"),
        s.findings,
        sev.join(", ")
    ));
    out.push_str(&format!(
        "{} {} passed, {} failed, {} incomplete, {} not checked, {} error\n",
        style.bold("Controls:"),
        style.green(&s.controls.passed.to_string()),
        style.red(&s.controls.failed.to_string()),
        style.yellow(&s.controls.incomplete.to_string()),
        s.controls.not_checked,
        s.controls.error
    ));
    for d in &report.domains {
        out.push_str(&format!(
            "  {:<10} {:>5} findings   controls: {} passed, {} failed, {} incomplete, {} not checked, {} error\n",
            d.id,
            d.findings,
            d.controls.passed,
            d.controls.failed,
            d.controls.incomplete,
            d.controls.not_checked,
            d.controls.error
        ));
    }
    for c in report
        .controls
        .iter()
        .filter(|c| c.status == crate::report::Status::Incomplete)
    {
        out.push_str(&format!(
            "  {} {}: {}\n",
            style.yellow("incomplete"),
            c.id,
            sanitize(c.reason.as_deref().unwrap_or(""))
        ));
    }
    // Checks that saw only part of their inputs, failed or not: the
    // reason names the first file that was missing.
    let partial: Vec<_> = report
        .plugins
        .iter()
        .flat_map(|p| p.checks.iter().map(move |c| (p, c)))
        .filter_map(|(p, c)| c.incomplete.as_ref().map(|why| (p, c, why)))
        .collect();
    if !partial.is_empty() {
        out.push_str(&format!(
            "{} {} check(s) saw only part of their inputs\n",
            style.bold("Incomplete:"),
            partial.len()
        ));
        // One line per input that was not read or evaluated (many checks
        // share one: a template that was not rendered), with the checks it
        // left incomplete.
        let mut by_reason: Vec<(&str, Vec<String>)> = Vec::new();
        for (p, c, why) in &partial {
            let who = format!("{}/{}", p.id, c.id);
            match by_reason.iter_mut().find(|(r, _)| r == why) {
                Some((_, checks)) => checks.push(who),
                None => by_reason.push((why.as_str(), vec![who])),
            }
        }
        for (why, checks) in by_reason.iter().take(5) {
            let named = match checks.as_slice() {
                [one] => one.clone(),
                [first, rest @ ..] => format!("{first} and {} more", rest.len()),
                [] => String::new(),
            };
            out.push_str(&format!("  {}: {}\n", sanitize(&named), sanitize(why)));
        }
        if by_reason.len() > 5 {
            out.push_str(&format!(
                "  … {} more inputs not read or not evaluated are listed in the report\n",
                by_reason.len() - 5
            ));
        }
    }
    out.push_str(&not_examined(report, style));
    let dropped = s.findings_dropped;
    if dropped > 0 {
        out.push_str(&format!(
            "{} {dropped} more findings were counted past --max-findings and not kept; the report lists how many per check\n",
            style.bold("Not kept:")
        ));
    }
    if s.probes > 0 {
        let made = s.probes - s.probes_refused;
        out.push_str(&format!(
            "{} {} network probe(s) asked for: {made} made ({} failed), {} refused (not granted, address refused or over --max-probes); each is listed in the report\n",
            style.bold("Probes:"),
            s.probes,
            s.probes_failed,
            s.probes_refused
        ));
    }
    let applied = report.suppressions.iter().filter(|s| s.applied).count();
    let refused = report.suppressions.len() - applied;
    if !report.suppressions.is_empty() {
        let serious = report
            .findings
            .iter()
            .filter(|f| f.suppression.is_some() && f.severity >= Severity::High)
            .count();
        out.push_str(&format!(
            "{} {applied} inline suppression(s) applied ({serious} of high or critical findings), {refused} not applied; all are listed in the report\n",
            style.bold("Suppressed:")
        ));
    }
    out.push_str(&format!("{}\n", style.bold("Plugins:")));
    for p in &report.plugins {
        let n = report.findings.iter().filter(|f| f.plugin == p.id).count();
        match p.status {
            PluginStatus::Ok => out.push_str(&format!(
                "  {} {} {}  {} findings  {:.1} s\n",
                style.green("ok   "),
                sanitize(&p.id),
                sanitize(&p.version),
                n,
                p.duration_ms as f64 / 1000.0
            )),
            PluginStatus::Error => out.push_str(&format!(
                "  {} {}  {}\n",
                style.red("error"),
                sanitize(&p.id),
                sanitize(p.error.as_deref().unwrap_or(""))
            )),
        }
    }
    out
}

/// Paths not examined: counted by reason, and the first few named.
fn not_examined(report: &Report, style: Style) -> String {
    let counts = &report.summary.not_examined;
    let unlisted: usize = report.plugins.iter().map(|p| p.dropped.skipped).sum();
    let total: usize = counts.values().sum::<usize>() + unlisted;
    if total == 0 {
        return String::new();
    }
    let mut parts: Vec<String> = crate::model::SkipReason::ALL
        .iter()
        .filter_map(|r| counts.get(r).map(|n| format!("{n} {}", r.text())))
        .collect();
    if unlisted > 0 {
        parts.push(format!("{unlisted} more not listed"));
    }
    let mut out = format!(
        "{} {total} path(s) ({})\n",
        style.bold("Not examined:"),
        parts.join(", ")
    );
    let mut shown = 0;
    for p in &report.plugins {
        for s in p
            .not_examined
            .iter()
            .filter(|s| s.reason != crate::model::SkipReason::Excluded)
        {
            if shown == 10 {
                out.push_str("  … the rest are listed in the report\n");
                return out;
            }
            shown += 1;
            out.push_str(&format!(
                "  {}: {} ({}: {})\n",
                sanitize(&p.id),
                sanitize(&s.location.path),
                s.reason.text(),
                sanitize(&s.detail)
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanitize_escapes_terminal_sequences_and_bidi() {
        assert_eq!(sanitize("a\x1b[31mred\x07"), "a\\u{1b}[31mred\\u{7}");
        assert_eq!(sanitize("x\u{202e}y\nz"), "x\\u{202e}y\nz");
    }
}
