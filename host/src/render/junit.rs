//! JUnit XML for CI dashboards: one test case per baseline control
//! (failed → failure, error → error, not checked → skipped with the reason).

use crate::report::{Report, Status};

fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Characters XML 1.0 cannot carry at all.
            c if (c as u32) < 0x20 && !matches!(c, '\n' | '\t' | '\r') => {
                out.push_str(&format!("\\u{{{:x}}}", c as u32))
            }
            c => out.push(c),
        }
    }
    out
}

pub fn render(report: &Report) -> String {
    let c = &report.summary.controls;
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str(&format!(
        "<testsuites name=\"aicomply\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" time=\"{:.3}\">\n",
        report.controls.len(), c.failed, c.error + c.incomplete, c.not_checked, report.run.duration_ms as f64 / 1000.0
    ));
    for d in &report.domains {
        let controls: Vec<_> = report
            .controls
            .iter()
            .filter(|k| k.domain == d.id)
            .collect();
        out.push_str(&format!(
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" timestamp=\"{}\">\n",
            xml(&d.title), controls.len(), d.controls.failed, d.controls.error + d.controls.incomplete, d.controls.not_checked, xml(&report.run.started_at)
        ));
        for k in controls {
            out.push_str(&format!(
                "    <testcase classname=\"{}\" name=\"{} {}\">\n",
                xml(&d.id),
                xml(&k.id),
                xml(&k.title)
            ));
            match k.status {
                Status::Failed => {
                    let lines: Vec<String> = report
                        .findings
                        .iter()
                        .filter(|f| f.control == k.id)
                        .map(|f| {
                            let loc = f
                                .location
                                .as_ref()
                                .map_or(String::new(), |l| format!(" at {l}"));
                            format!("[{}] {}: {}{loc}", f.severity, f.check_id, f.message)
                        })
                        .collect();
                    out.push_str(&format!(
                        "      <failure message=\"{} finding(s)\" type=\"failed\">{}</failure>\n",
                        k.findings,
                        xml(&lines.join("\n"))
                    ));
                }
                Status::Error => out.push_str(&format!(
                    "      <error message=\"{}\" type=\"error\"/>\n",
                    xml(k.reason.as_deref().unwrap_or("a plugin failed"))
                )),
                Status::NotChecked => out.push_str(&format!(
                    "      <skipped message=\"not checked: {}\"/>\n",
                    xml(k.reason.as_deref().unwrap_or(""))
                )),
                // Not a pass, and not a finding: an error of the scan.
                Status::Incomplete => out.push_str(&format!(
                    "      <error message=\"incomplete: {}\" type=\"incomplete\"/>\n",
                    xml(k.reason.as_deref().unwrap_or("inputs were not examined"))
                )),
                Status::Waived => out.push_str("      <skipped message=\"waived: every failing finding is covered by a waiver\"/>\n"),
                Status::Passed => {}
            }
            out.push_str("    </testcase>\n");
        }
        // The network probes of this domain's plugins, as the suite's output.
        let probes: Vec<String> = report
            .plugins
            .iter()
            .filter(|p| p.domain == d.id)
            .flat_map(|p| p.probes.iter().map(move |r| (p, r)))
            .map(|(p, r)| {
                let mut line = format!(
                    "probe {} {} {}: {}",
                    p.id,
                    r.kind.as_str(),
                    r.endpoint,
                    r.outcome.as_str()
                );
                if let Some(a) = &r.address {
                    line.push_str(&format!(" at {a}"));
                }
                if let (Some(f), Some(m)) = (r.failure, &r.message) {
                    line.push_str(&format!(" ({}: {m})", f.as_str()));
                }
                line
            })
            .collect();
        if !probes.is_empty() {
            out.push_str(&format!(
                "    <system-out>{}</system-out>\n",
                xml(&probes.join("\n"))
            ));
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}
