//! Renderers: JSON straight from the report model, HTML and Markdown from
//! minijinja templates (embedded from `reports/`, overridable per file with
//! `--templates DIR`).
//!
//! Templates get the report and nothing else: the environment has no
//! loader, so `include`/`import` cannot read files, and no function reaches
//! the filesystem, the environment or the network. A shared template cannot
//! exfiltrate what the CI job can see.
//!
//! Custom templates (`--templates`) are code from outside the binary, so
//! they are also bounded: each renders in a child process of aicomply with
//! an address-space and CPU limit, a wall-clock limit, a fuel limit on the
//! template engine and a cap on its output (see [`template_sandbox`]); they
//! are tried on a sample report before the scan starts, so a broken or
//! runaway one fails in seconds, not after the scan.

mod junit;
mod sarif;
pub mod template_sandbox;

use std::path::{Path, PathBuf};

use minijinja::{AutoEscape, Environment, Value};

use crate::report::Report;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Html,
    Md,
    Json,
    /// SARIF 2.1.0, for code-scanning services.
    Sarif,
    /// JUnit XML, one test case per control.
    Junit,
}

impl Format {
    pub fn file_name(self) -> &'static str {
        match self {
            Format::Html => "report.html",
            Format::Md => "report.md",
            Format::Json => "report.json",
            Format::Sarif => "report.sarif",
            Format::Junit => "report.junit.xml",
        }
    }

    fn template(self) -> Option<&'static str> {
        match self {
            Format::Html => Some("report.html.j2"),
            Format::Md => Some("report.md.j2"),
            Format::Json | Format::Sarif | Format::Junit => None,
        }
    }
}

const EMBEDDED: &[(&str, &str)] = &[
    (
        "report.html.j2",
        include_str!("../../../reports/report.html.j2"),
    ),
    (
        "report.md.j2",
        include_str!("../../../reports/report.md.j2"),
    ),
];

/// GitHub refuses comments over 65,536 characters; stay under it with room
/// for a bot's own text.
pub const MARKDOWN_LIMIT: usize = 60_000;

/// Largest custom template file read.
const MAX_TEMPLATE_BYTES: u64 = 1 << 20;

/// The template environment: autoescaped HTML, strict undefined values,
/// the `md` filter, no loader. Shared by the in-process renderer of the
/// built-in templates and the sandboxed one of custom templates.
pub fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_auto_escape_callback(|name| {
        if name.ends_with(".html.j2") {
            AutoEscape::Html
        } else {
            AutoEscape::None
        }
    });
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
    env.add_filter("md", markdown_escape);
    env
}

pub struct Renderer {
    env: Environment<'static>,
    /// Custom templates by name, rendered only in the template sandbox.
    custom: std::collections::BTreeMap<&'static str, String>,
}

impl Renderer {
    /// Load the embedded templates, replacing any that `dir` provides. A
    /// custom template is parsed, then rendered once on a sample report in
    /// the template sandbox, so that a broken, looping or memory-hungry one
    /// is refused now, naming the file.
    pub fn new(dir: Option<&Path>) -> anyhow::Result<Self> {
        let mut env = environment();
        let mut custom = std::collections::BTreeMap::new();
        for (name, source) in EMBEDDED {
            match dir
                .map(|d| d.join(name))
                .filter(|p| p.symlink_metadata().is_ok())
            {
                Some(path) => {
                    let text = crate::safe_fs::read_regular_text(&path, MAX_TEMPLATE_BYTES)
                        .map_err(|e| anyhow::anyhow!("template: {e}"))?;
                    // Parse errors name the file and line at once.
                    environment()
                        .add_template_owned(name.to_string(), text.clone())
                        .map_err(|e| anyhow::anyhow!(template_error(&e)))?;
                    custom.insert(*name, text);
                }
                None => env
                    .add_template(name, source)
                    .map_err(|e| anyhow::anyhow!(template_error(&e)))?,
            }
        }
        let renderer = Self { env, custom };
        if !renderer.custom.is_empty() {
            let sample = Report::sample();
            for format in [Format::Html, Format::Md] {
                if renderer
                    .custom
                    .contains_key(format.template().expect("templated"))
                {
                    renderer.render(format, &sample).map_err(|e| {
                        anyhow::anyhow!("{e} (tried on a sample report before the scan)")
                    })?;
                }
            }
        }
        Ok(renderer)
    }

    /// Render the template `name` with `context`: in the template sandbox
    /// for a custom one, in process for a built-in one.
    fn template(&self, name: &'static str, context: &serde_json::Value) -> Result<String, String> {
        if let Some(source) = self.custom.get(name) {
            return template_sandbox::render(name, source, context);
        }
        let template = self
            .env
            .get_template(name)
            .map_err(|e| template_error(&e))?;
        template
            .render(Value::from_serialize(context))
            .map_err(|e| template_error(&e))
    }

    pub fn render(&self, format: Format, report: &Report) -> Result<String, String> {
        match (format, format.template()) {
            (Format::Sarif, _) => pretty(&sarif::render(report)),
            (Format::Junit, _) => Ok(junit::render(report)),
            (_, None) => pretty(report),
            (_, Some(name)) => {
                let mut context = inert(report)?;
                group_findings(&mut context);
                context["brief_findings"] = serde_json::Value::Array(Vec::new());
                context["omitted_findings"] = 0.into();
                let text = self.template(name, &context)?;
                if format != Format::Md || text.len() <= MARKDOWN_LIMIT {
                    return Ok(text);
                }
                self.markdown_within_limit(name, context)
            }
        }
    }

    /// Too long for a pull-request comment: keep as many findings in full
    /// as fit, list the rest one line each (so every finding still shows
    /// its check and location), and only when even that is too long, count
    /// the ones left out. The order is the report's (most severe first).
    fn markdown_within_limit(
        &self,
        name: &'static str,
        context: serde_json::Value,
    ) -> Result<String, String> {
        let findings = context["findings"].as_array().cloned().unwrap_or_default();
        let all = findings.len();
        let render = |full: usize, brief: usize| {
            let mut cut = context.clone();
            cut["findings"] = findings[..full].to_vec().into();
            cut["brief_findings"] = findings[full..full + brief].to_vec().into();
            cut["omitted_findings"] = (all - full - brief).into();
            self.template(name, &cut)
        };
        let fits = |text: &String| text.len() <= MARKDOWN_LIMIT;
        // The largest n for which `attempt(n)` fits, by bisection over
        // 0..=hi; None when even n = 0 does not fit.
        let largest = |hi: usize, attempt: &dyn Fn(usize) -> Result<String, String>| {
            let first = attempt(0)?;
            if !fits(&first) {
                return Ok::<_, String>(None);
            }
            let (mut lo, mut hi, mut best) = (0, hi, first);
            while lo < hi {
                let mid = lo + (hi - lo).div_ceil(2);
                let text = attempt(mid)?;
                if fits(&text) {
                    (lo, best) = (mid, text);
                } else {
                    hi = mid - 1;
                }
            }
            Ok(Some(best))
        };
        if let Some(text) = largest(all, &|full| render(full, all - full))? {
            return Ok(text);
        }
        match largest(all, &|brief| render(0, brief))? {
            Some(text) => Ok(text),
            None => render(0, 0),
        }
    }

    /// Render and write each requested output; one failing output does not
    /// stop the others. Returns where each went (a path, or `stdout`) or
    /// the error.
    pub fn write_all(
        &self,
        report: &Report,
        outputs: &[OutputSpec],
        out_dir: &Path,
    ) -> Vec<(Format, Result<String, String>)> {
        let needs_dir = outputs.iter().any(|o| o.dest == Dest::Default);
        let dir = if needs_dir {
            Some(crate::safe_fs::OutputDir::open(out_dir))
        } else {
            None
        };
        outputs
            .iter()
            .map(|o| {
                let result = self
                    .render(o.format, report)
                    .and_then(|text| match &o.dest {
                        Dest::Stdout => {
                            use std::io::Write;
                            let mut out = std::io::stdout().lock();
                            out.write_all(text.as_bytes())
                                .and_then(|()| out.flush())
                                .map_err(|e| format!("cannot write to stdout: {e}"))?;
                            Ok("stdout".to_string())
                        }
                        Dest::File(path) => write_file(path, &text),
                        Dest::Default => match &dir {
                            Some(Ok(dir)) => dir
                                .write(o.format.file_name(), text.as_bytes())
                                .map(|p| p.display().to_string()),
                            Some(Err(e)) => Err(e.clone()),
                            None => unreachable!("opened when a default destination is asked for"),
                        },
                    });
                (o.format, result)
            })
            .collect()
    }
}

/// `FORMAT:FILE`: the file's folder is opened like the output directory
/// and the file written the same way (never through a link).
fn write_file(path: &Path, text: &str) -> Result<String, String> {
    let parent = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| format!("{} does not name a file", path.display()))?;
    crate::safe_fs::OutputDir::open(parent)?.write(name, text.as_bytes())?;
    Ok(path.display().to_string())
}

/// Where one output goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dest {
    /// `report.<ext>` in the output directory.
    Default,
    Stdout,
    File(PathBuf),
}

/// A `--format` value: `json`, `sarif:-` (standard output) or
/// `md:comment.md` (a file of its own).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputSpec {
    pub format: Format,
    pub dest: Dest,
}

impl std::str::FromStr for OutputSpec {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        use clap::ValueEnum;
        let (name, dest) = match s.split_once(':') {
            None => (s, Dest::Default),
            Some((n, "-")) => (n, Dest::Stdout),
            Some((n, "")) => {
                return Err(format!(
                    "{n}: an empty destination (use {n}:- for standard output)"
                ));
            }
            Some((n, path)) => (n, Dest::File(PathBuf::from(path))),
        };
        let format = Format::from_str(name, true).map_err(|_| {
            format!(
                "unknown format {name:?} (html, md, json, sarif, junit; add :- for stdout or :FILE)"
            )
        })?;
        Ok(OutputSpec { format, dest })
    }
}

/// At most one output may go to standard output.
pub fn check_outputs(outputs: &[OutputSpec]) -> Result<(), String> {
    if outputs.iter().filter(|o| o.dest == Dest::Stdout).count() > 1 {
        return Err("only one --format can go to standard output (:-)".into());
    }
    Ok(())
}

/// The report as templates see it: every string with control characters
/// and bidirectional overrides shown escaped, so no template (built-in or
/// custom) can pass a terminal escape sequence from a plugin into a file
/// someone will `cat`. The JSON report keeps the exact text (JSON escapes it).
fn inert(report: &Report) -> Result<serde_json::Value, String> {
    fn walk(v: &mut serde_json::Value) {
        match v {
            serde_json::Value::String(s) if s.chars().any(crate::terminal::is_unsafe) => {
                *s = crate::terminal::sanitize(s);
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(walk),
            serde_json::Value::Object(map) => map.values_mut().for_each(walk),
            _ => {}
        }
    }
    let mut value = serde_json::to_value(report).map_err(|e| e.to_string())?;
    walk(&mut value);
    Ok(value)
}

/// Findings of one check shown one by one before the rest are grouped.
pub const GROUP_AFTER: usize = 20;

/// Group the findings that repeat one check on many files, for templates:
/// each finding gets `nth`, its place among its check's findings (1-based;
/// of a host's, in a fleet report), and `finding_groups` lists every check
/// with more than [`GROUP_AFTER`]: its id, control, title, how many
/// findings and files, and the indices (into `findings`) of those past the
/// first [`GROUP_AFTER`], which the templates show folded.
fn group_findings(context: &mut serde_json::Value) {
    use std::collections::BTreeMap;
    let Some(findings) = context["findings"].as_array_mut() else {
        return;
    };
    let mut seen: BTreeMap<(String, String), Vec<usize>> = BTreeMap::new();
    for (i, f) in findings.iter_mut().enumerate() {
        let key = (
            f["check_id"].as_str().unwrap_or("").to_string(),
            f["host"].as_str().unwrap_or("").to_string(),
        );
        let indices = seen.entry(key).or_default();
        indices.push(i);
        f["nth"] = indices.len().into();
    }
    let mut groups = Vec::new();
    for ((check, host), indices) in seen {
        if indices.len() <= GROUP_AFTER {
            continue;
        }
        let first = &findings[indices[0]];
        let files: std::collections::BTreeSet<&str> = indices
            .iter()
            .filter_map(|&i| findings[i]["location"]["path"].as_str())
            .collect();
        let hidden: Vec<usize> = indices[GROUP_AFTER..].to_vec();
        let mut sample: Vec<&str> = Vec::new();
        for path in hidden
            .iter()
            .filter_map(|&i| findings[i]["location"]["path"].as_str())
        {
            if sample.len() == 10 {
                break;
            }
            if !sample.contains(&path) {
                sample.push(path);
            }
        }
        groups.push(serde_json::json!({
            "check_id": check,
            "host": if host.is_empty() { serde_json::Value::Null } else { host.into() },
            "control": first["control"],
            "title": first["title"],
            "count": indices.len(),
            "files": files.len(),
            "hidden": hidden,
            "sample_paths": sample,
        }));
    }
    context["finding_groups"] = groups.into();
}

fn pretty(v: &impl serde::Serialize) -> Result<String, String> {
    serde_json::to_string_pretty(v)
        .map(|s| s + "\n")
        .map_err(|e| e.to_string())
}

/// A template error with the template name, line and minijinja's message.
pub fn template_error(e: &minijinja::Error) -> String {
    let mut msg = format!("template {}", e.name().unwrap_or("?"));
    if let Some(line) = e.line() {
        msg.push_str(&format!(", line {line}"));
    }
    msg.push_str(&format!(": {}", e.kind()));
    if let Some(detail) = e.detail() {
        msg.push_str(&format!(": {detail}"));
    }
    msg
}

/// Make plugin text inert in Markdown (and the HTML GitHub allows in it):
/// markup characters become entities, line breaks become spaces.
fn markdown_escape(value: String) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '|' => out.push_str("&#124;"),
            '[' => out.push_str("&#91;"),
            ']' => out.push_str("&#93;"),
            '*' => out.push_str("&#42;"),
            '_' => out.push_str("&#95;"),
            '`' => out.push_str("&#96;"),
            '\\' => out.push_str("&#92;"),
            '\r' | '\n' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_escape_neutralises_markup() {
        assert_eq!(
            markdown_escape("<script>|[x](y)\n`a`".into()),
            "&lt;script&gt;&#124;&#91;x&#93;(y) &#96;a&#96;"
        );
    }

    #[test]
    fn markdown_past_the_comment_limit_keeps_the_most_severe_and_says_so() {
        let mut report = Report::sample();
        let one = report.findings[0].clone();
        // 400 checks of 10 findings each: nothing to group, far too long.
        report.findings = (0..4000)
            .map(|i| {
                let mut f = one.clone();
                f.check_id = format!("MANY-{}", i / 10);
                f.message = format!("finding {i} with a message long enough to count");
                f
            })
            .collect();
        let md = Renderer::new(None)
            .unwrap()
            .render(Format::Md, &report)
            .unwrap();
        assert!(md.len() <= MARKDOWN_LIMIT, "{} bytes", md.len());
        assert!(md.contains("more findings are not shown here"));
        assert!(!md.contains("Checks with many findings"));
    }

    #[test]
    fn findings_past_twenty_of_one_check_are_grouped() {
        let mut report = Report::sample();
        let one = report.findings[0].clone();
        report.findings = (0..25)
            .map(|i| {
                let mut f = one.clone();
                if let Some(l) = &mut f.location {
                    l.path = format!("models/m{}.pkl", i % 3);
                }
                f
            })
            .collect();
        let r = Renderer::new(None).unwrap();
        let md = r.render(Format::Md, &report).unwrap();
        assert!(md.contains("5 more findings (25 on 3 file(s))"), "{md}");
        let html = r.render(Format::Html, &report).unwrap();
        assert_eq!(
            html.matches("class=\"finding ").count(),
            25,
            "all in the page"
        );
        assert!(html.contains("5 more findings of <code>SAMPLE-CRITICAL</code>"));
    }

    #[test]
    fn template_errors_name_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("report.md.j2"), "line one\n{{ broken(\n").unwrap();
        let err = Renderer::new(Some(dir.path())).err().unwrap().to_string();
        assert!(
            err.contains("report.md.j2") && err.contains("line 2"),
            "{err}"
        );
    }
}
