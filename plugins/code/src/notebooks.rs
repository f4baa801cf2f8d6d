//! Jupyter notebooks (CODE-2): the `.ipynb` JSON is parsed (with the line
//! where each value starts, [`aicomply_sdk::yaml::json`]) and its strings
//! are decoded before anything is matched, so escaped quotes and `\n` do
//! not hide a secret or a call the way they do from raw-text scanners.
//!
//! * Secrets: in cell sources, in every kind of output (stream text,
//!   `text/plain`, `application/json` at any depth, HTML, error tracebacks
//!   with their ANSI colour codes removed) and in metadata (papermill
//!   parameters, cell metadata), each decoded string handed to
//!   [`secrets_in`] / [`secrets_in_code`] (the plugin's secrets engine).
//! * Dangerous calls: code cells are Python with IPython syntax. Magics are
//!   taken out line by line (`!cmd`, `%pip ...`, `x = !cmd`, `%%bash`
//!   cells, `obj?`), keeping the line numbers, and the rest is parsed with
//!   the same parser and rules as `.py` files ([`crate::python`]), one
//!   analyzer per notebook so that an import in one cell resolves a call
//!   in a later one. The shell lines are judged as shell: a download piped
//!   into an interpreter (`!curl ... | sh`), and `pip`/`conda` installs of
//!   unpinned packages.
//!
//! Every finding names the cell (1-based, in file order) and points at the
//! line of the raw `.ipynb` file where the string holding it starts.

use aicomply_sdk::yaml::{Node, Value, json};
use aicomply_sdk::{Check, Location, Scan, Severity};

use crate::python::{self, Analyzer, Kind};

pub const SECRET_SOURCE: &str = "CODE-NB-SECRET-SOURCE";
pub const SECRET_OUTPUT: &str = "CODE-NB-SECRET-OUTPUT";
pub const SECRET_METADATA: &str = "CODE-NB-SECRET-METADATA";
pub const UNSAFE_DESERIALIZATION: &str = "CODE-NB-UNSAFE-DESERIALIZATION";
pub const TORCH_LOAD: &str = "CODE-NB-TORCH-LOAD-UNSAFE";
pub const YAML_LOAD: &str = "CODE-NB-YAML-UNSAFE-LOAD";
pub const SHELL: &str = "CODE-NB-SHELL-INJECTION";
pub const TLS_VERIFY: &str = "CODE-NB-TLS-VERIFY-DISABLED";
pub const TRUST_REMOTE_CODE: &str = "CODE-NB-TRUST-REMOTE-CODE";
pub const DEBUG_EXPOSED: &str = "CODE-NB-DEBUG-EXPOSED";
pub const EVAL: &str = "CODE-NB-EVAL";
pub const REMOTE_SCRIPT: &str = "CODE-NB-REMOTE-SCRIPT";
pub const UNPINNED_INSTALL: &str = "CODE-NB-UNPINNED-INSTALL";

/// Checks judged on the decoded strings (any notebook).
pub const SECRET_CHECKS: &[&str] = &[SECRET_SOURCE, SECRET_OUTPUT, SECRET_METADATA];
/// Checks judged on the Python of code cells: incomplete when a cell does
/// not parse.
pub const CODE_CHECKS: &[&str] = &[
    UNSAFE_DESERIALIZATION,
    TORCH_LOAD,
    YAML_LOAD,
    SHELL,
    TLS_VERIFY,
    TRUST_REMOTE_CODE,
    DEBUG_EXPOSED,
    EVAL,
];
/// Checks judged on the shell lines of code cells.
pub const SHELL_CHECKS: &[&str] = &[REMOTE_SCRIPT, UNPINNED_INSTALL];

/// Every notebook check.
pub fn checks() -> Vec<&'static str> {
    SECRET_CHECKS
        .iter()
        .chain(CODE_CHECKS)
        .chain(SHELL_CHECKS)
        .copied()
        .collect()
}

/// The notebook check of a kind of Python issue.
pub fn check_of(kind: Kind) -> &'static str {
    match kind {
        Kind::UnsafeDeserialization => UNSAFE_DESERIALIZATION,
        Kind::TorchLoad => TORCH_LOAD,
        Kind::YamlLoad => YAML_LOAD,
        Kind::Shell => SHELL,
        Kind::TlsVerify => TLS_VERIFY,
        Kind::TrustRemoteCode => TRUST_REMOTE_CODE,
        Kind::DebugExposed => DEBUG_EXPOSED,
        Kind::Eval => EVAL,
    }
}

const NBFORMAT: &str = "https://nbformat.readthedocs.io/en/latest/format_description.html";
const NBDEFENSE: &str = "https://nbdefense.ai/";
const PAPERMILL: &str = "https://papermill.readthedocs.io/en/latest/usage-parameterize.html";
const PIP_PINNING: &str = "https://pip.pypa.io/en/stable/topics/repeatable-installs/";
const REMOTE_SCRIPTS: &str = "https://www.seancassidy.me/dont-pipe-to-your-shell.html";

/// The notebook checks (control CODE-2).
pub fn catalogue() -> Vec<Check> {
    let mut out = vec![
        Check::new(
            SECRET_SOURCE,
            "CODE-2",
            Severity::Critical,
            "Secret in a notebook cell's source",
            "Revoke the credential now (it is in the repository's history), then read it at run time from the environment or a secret store (os.environ, getpass, a vault client) instead of the cell.",
            &[NBFORMAT, NBDEFENSE],
        ),
        Check::new(
            SECRET_OUTPUT,
            "CODE-2",
            Severity::Critical,
            "Secret in a notebook cell's saved output",
            "Revoke the credential, clear the outputs before committing (nbstripout as a pre-commit hook, or `jupyter nbconvert --clear-output`), and stop printing credentials.",
            &[NBFORMAT, "https://github.com/kynan/nbstripout"],
        ),
        Check::new(
            SECRET_METADATA,
            "CODE-2",
            Severity::Critical,
            "Secret in notebook metadata (papermill parameters, cell metadata)",
            "Revoke the credential, and pass secrets to papermill runs through the environment rather than -p parameters (which papermill records in the notebook's metadata).",
            &[PAPERMILL, NBFORMAT],
        ),
        Check::new(
            REMOTE_SCRIPT,
            "CODE-2",
            Severity::High,
            "Notebook pipes a downloaded script into an interpreter",
            "Download the script, check its digest against the publisher's, review it and run the local copy; better, install the tool from a package manager with a pinned version.",
            &[REMOTE_SCRIPTS],
        ),
        Check::new(
            UNPINNED_INSTALL,
            "CODE-2",
            Severity::Low,
            "Notebook installs packages without pinned versions",
            "Pin every package installed from a notebook (`%pip install torch==2.3.1`), or install from a pinned requirements file with hashes (`%pip install -r requirements.txt --require-hashes`).",
            &[PIP_PINNING],
        ),
    ];
    for kind in [
        Kind::UnsafeDeserialization,
        Kind::TorchLoad,
        Kind::YamlLoad,
        Kind::Shell,
        Kind::TlsVerify,
        Kind::TrustRemoteCode,
        Kind::DebugExposed,
        Kind::Eval,
    ] {
        let (title, remediation, refs) = python::describe(kind);
        let severity = if kind == Kind::Eval {
            Severity::Medium
        } else {
            Severity::High
        };
        out.push(Check::new(
            check_of(kind),
            "CODE-2",
            severity,
            &format!("Notebook: {}", lower_first(title)),
            remediation,
            refs,
        ));
    }
    out
}

fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) if !s.starts_with("YAML") && !s.starts_with("TLS") => {
            f.to_lowercase().collect::<String>() + c.as_str()
        }
        Some(f) => f.to_string() + c.as_str(),
        None => String::new(),
    }
}

/// A secret found in a decoded string: where in that string, and how the
/// report shows it (redacted).
#[derive(Debug, Clone, PartialEq)]
pub struct SecretHit {
    /// What it is ("GitHub token").
    pub what: String,
    /// 1-based line and column (characters) in the decoded string.
    pub line: u32,
    pub column: u32,
    /// Redacted evidence; never the secret.
    pub evidence: String,
}

/// Secrets in a decoded string of a notebook (an output, a metadata value):
/// the plugin's secrets engine, generic assignments with unquoted values
/// included.
pub fn secrets_in(text: &str) -> Vec<SecretHit> {
    convert(crate::secrets::find_in_text(text))
}

/// Secrets in a code cell's source: the engine's rules for source code
/// (only quoted values are assignments; literals concatenated).
pub fn secrets_in_code(text: &str) -> Vec<SecretHit> {
    convert(crate::secrets::find_in_file("cell.py", text))
}

fn convert(hits: Vec<crate::secrets::Hit>) -> Vec<SecretHit> {
    hits.into_iter()
        .map(|h| SecretHit {
            what: h.what.to_string(),
            line: h.line,
            column: h.column,
            evidence: h.evidence,
        })
        .collect()
}

/// How strings are searched for secrets: for code cells, for everything
/// else. Tests pass their own.
pub struct SecretFinder<'a> {
    pub code: &'a dyn Fn(&str) -> Vec<SecretHit>,
    pub text: &'a dyn Fn(&str) -> Vec<SecretHit>,
}

impl Default for SecretFinder<'static> {
    fn default() -> Self {
        SecretFinder {
            code: &secrets_in_code,
            text: &secrets_in,
        }
    }
}

/// Largest notebook read (outputs with images make them large).
pub const MAX_FILE: u64 = 32 << 20;

/// Read the file at `path` (the target's `relative`) and scan it when it is
/// a notebook; one that cannot be read makes every notebook check
/// incomplete. Returns whether it was a notebook. The entry point for the
/// plugin's walk.
pub fn scan_path(path: &std::path::Path, relative: &str, scan: &mut Scan) -> bool {
    if !is_notebook(relative) {
        return false;
    }
    match aicomply_sdk::fs::read_bytes(path, MAX_FILE) {
        Ok(bytes) => scan_file(relative, &aicomply_sdk::text::decode(&bytes), scan),
        Err(e) => {
            scan.skipped(Location::target(relative), e.skip_reason(), e.to_string());
            for check in checks() {
                scan.incomplete(check, format!("{relative} not scanned ({e})"));
            }
            true
        }
    }
}

pub fn is_notebook(relative: &str) -> bool {
    relative.to_ascii_lowercase().ends_with(".ipynb")
}

/// Scan one notebook; `text` is the decoded file. Returns whether it was a
/// notebook (and so counts for [`finish`]).
pub fn scan_file(relative: &str, text: &str, scan: &mut Scan) -> bool {
    scan_file_with(relative, text, scan, &SecretFinder::default())
}

/// [`scan_file`] with another secrets search.
pub fn scan_file_with(relative: &str, text: &str, scan: &mut Scan, secrets: &SecretFinder) -> bool {
    if !is_notebook(relative) {
        return false;
    }
    let root = match json::parse(text) {
        Ok(Some(root)) => root,
        Ok(None) => return unread(scan, relative, "not a notebook (the JSON is not an object)"),
        Err(e) => return unread(scan, relative, &format!("not read as JSON: {e}")),
    };
    let cells: Vec<&Node> = match root.get("cells") {
        Some(c) => c.items().iter().collect(),
        // nbformat 3: worksheets[].cells
        None => match root.get("worksheets") {
            Some(w) => w
                .items()
                .iter()
                .flat_map(|ws| ws.get("cells").map(Node::items).unwrap_or(&[]))
                .collect(),
            None => return unread(scan, relative, "not a notebook (no `cells`)"),
        },
    };
    let mut nb = Notebook {
        relative,
        scan,
        secrets,
        analyzer: Analyzer::new(),
        python: kernel_is_python(&root),
    };
    for (i, cell) in cells.iter().enumerate() {
        nb.cell(i + 1, cell);
    }
    if let Some(meta) = root.get("metadata") {
        nb.metadata(meta, "metadata", None);
    }
    true
}

/// After the walk: every notebook check evaluated when `notebooks` were
/// seen, not checked when there were none.
pub fn finish(scan: &mut Scan, notebooks: usize) {
    for check in checks() {
        if notebooks > 0 {
            scan.evaluated(check);
        } else {
            scan.not_checked(check, "no notebooks in the target");
        }
    }
}

fn unread(scan: &mut Scan, relative: &str, why: &str) -> bool {
    scan.diagnostic(
        Location::target(relative),
        format!("{why}; the notebook checks are incomplete"),
    );
    for check in checks() {
        scan.incomplete(check, format!("{relative} could not be read as a notebook"));
    }
    true
}

/// Whether the notebook's kernel runs Python (an unnamed one is taken to).
fn kernel_is_python(root: &Node) -> bool {
    let meta = root.get("metadata");
    let lang = meta
        .and_then(|m| m.path(&["kernelspec", "language"]))
        .or_else(|| meta.and_then(|m| m.path(&["language_info", "name"])))
        .and_then(Node::as_str);
    match lang {
        Some(l) => l.to_ascii_lowercase().contains("python"),
        None => meta
            .and_then(|m| m.path(&["kernelspec", "name"]))
            .and_then(Node::as_str)
            .is_none_or(|n| n.to_ascii_lowercase().contains("python")),
    }
}

/// Text decoded from one or more JSON strings, remembering the raw-file
/// line each piece came from.
#[derive(Debug, Default)]
pub struct Decoded {
    pub text: String,
    /// (byte offset in `text`, raw line) where each piece starts.
    segments: Vec<(usize, u32)>,
}

impl Decoded {
    pub fn push(&mut self, s: &str, raw_line: u32) {
        self.segments.push((self.text.len(), raw_line));
        self.text.push_str(s);
    }

    /// From a string or a list of strings (how nbformat stores multi-line
    /// text), with `map` applied to each piece.
    fn from_node(node: &Node, join: &str, map: impl Fn(&str) -> String) -> Self {
        let mut d = Decoded::default();
        match &node.value {
            Value::Scalar(s, _) => d.push(&map(s), node.line),
            Value::Seq(items) => {
                for (i, item) in items.iter().enumerate() {
                    if let Some(s) = item.as_str() {
                        if i > 0 && !join.is_empty() {
                            d.push(join, item.line);
                        }
                        d.push(&map(s), item.line);
                    }
                }
            }
            Value::Map(_) => {}
        }
        d
    }

    /// The raw line of the byte at `offset`.
    pub fn raw_line_at(&self, offset: usize) -> u32 {
        let i = self.segments.partition_point(|&(start, _)| start <= offset);
        self.segments
            .get(i.saturating_sub(1))
            .map_or(1, |&(_, line)| line)
    }

    /// Byte offset where 1-based `line` (and character `column`) of the
    /// text starts.
    fn offset_of(&self, line: u32, column: u32) -> usize {
        let mut start = 0;
        for _ in 1..line {
            match self.text[start..].find('\n') {
                Some(i) => start += i + 1,
                None => break,
            }
        }
        let col = self.text[start..]
            .char_indices()
            .nth(column.saturating_sub(1) as usize)
            .map_or(0, |(i, _)| i);
        start + col
    }

    /// The raw line of a 1-based line and column of the text.
    pub fn raw_line(&self, line: u32, column: u32) -> u32 {
        self.raw_line_at(self.offset_of(line, column))
    }
}

struct Notebook<'a, 'b> {
    relative: &'a str,
    scan: &'a mut Scan,
    secrets: &'a SecretFinder<'b>,
    analyzer: Analyzer,
    python: bool,
}

impl Notebook<'_, '_> {
    fn cell(&mut self, n: usize, cell: &Node) {
        let kind = cell
            .get("cell_type")
            .and_then(Node::as_str)
            .unwrap_or("code");
        let source = cell
            .get("source")
            .or_else(|| cell.get("input"))
            .map(|s| Decoded::from_node(s, "", |x| x.to_string()))
            .unwrap_or_default();
        let place = format!("cell {n} ({kind})");
        let finder = if kind == "code" {
            self.secrets.code
        } else {
            self.secrets.text
        };
        self.secrets(SECRET_SOURCE, &source, finder, &format!("{place} source"));
        if kind == "code" && self.python {
            self.code(n, cell.line, &source);
        }
        for (j, output) in cell
            .get("outputs")
            .map(Node::items)
            .unwrap_or(&[])
            .iter()
            .enumerate()
        {
            self.output(&format!("cell {n} output {}", j + 1), output);
        }
        if let Some(meta) = cell.get("metadata") {
            self.metadata(meta, &format!("cell {n} metadata"), None);
        }
    }

    fn output(&mut self, place: &str, output: &Node) {
        let text = self.secrets.text;
        for (key, value) in output.entries() {
            let Some(key) = key.as_str() else { continue };
            match key {
                "text" => {
                    let d = Decoded::from_node(value, "", strip_ansi);
                    self.secrets(SECRET_OUTPUT, &d, text, &format!("{place} text"));
                }
                "traceback" => {
                    let d = Decoded::from_node(value, "\n", strip_ansi);
                    self.secrets(SECRET_OUTPUT, &d, text, &format!("{place} traceback"));
                }
                "ename" | "evalue" => {
                    let d = Decoded::from_node(value, "", strip_ansi);
                    self.secrets(SECRET_OUTPUT, &d, text, &format!("{place} {key}"));
                }
                "data" => {
                    for (mime, v) in value.entries() {
                        let Some(mime) = mime.as_str() else { continue };
                        self.data(place, mime, v);
                    }
                }
                // nbformat 3 keeps the data at the top level of the output.
                "html" | "latex" | "json" | "javascript" | "svg" | "markdown" => {
                    self.data(place, key, value)
                }
                "metadata" => self.metadata(value, &format!("{place} metadata"), None),
                _ => {}
            }
        }
    }

    fn data(&mut self, place: &str, mime: &str, v: &Node) {
        let text = self.secrets.text;
        // Images other than SVG are base64 pixels.
        if (mime.starts_with("image/") && mime != "image/svg+xml") || matches!(mime, "png" | "jpeg")
        {
            return;
        }
        if matches!(v.value, Value::Map(_))
            || mime.ends_with("json") && !matches!(v.value, Value::Scalar(..))
        {
            self.metadata_as(SECRET_OUTPUT, v, &format!("{place} {mime}"), None);
            return;
        }
        let html = mime.contains("html") || mime.contains("svg") || mime.contains("xml");
        let d = Decoded::from_node(v, "", |s| {
            if html {
                unescape_html(s)
            } else {
                strip_ansi(s)
            }
        });
        self.secrets(SECRET_OUTPUT, &d, text, &format!("{place} {mime}"));
    }

    fn metadata(&mut self, node: &Node, path: &str, key: Option<&str>) {
        self.metadata_as(SECRET_METADATA, node, path, key);
    }

    /// Every string under `node`, each searched with its key beside it
    /// (`api_key = "..."`), so generic assignments are recognised.
    fn metadata_as(&mut self, check: &'static str, node: &Node, path: &str, key: Option<&str>) {
        let text = self.secrets.text;
        // Iterative: metadata can nest as deep as JSON allows.
        let mut stack: Vec<(&Node, String, Option<String>)> =
            vec![(node, path.to_string(), key.map(str::to_string))];
        while let Some((node, path, key)) = stack.pop() {
            match &node.value {
                Value::Scalar(s, plain) => {
                    // Numbers and booleans (plain scalars) hold no secrets.
                    if *plain {
                        continue;
                    }
                    let mut d = Decoded::default();
                    match &key {
                        Some(k) => d.push(&format!("{k} = \"{s}\""), node.line),
                        None => d.push(s, node.line),
                    }
                    self.secrets(check, &d, text, &path);
                }
                Value::Seq(items) => {
                    for (i, item) in items.iter().enumerate().rev() {
                        stack.push((item, format!("{path}[{i}]"), key.clone()));
                    }
                }
                Value::Map(entries) => {
                    for (k, v) in entries.iter().rev() {
                        let k = k.as_str().unwrap_or("?");
                        stack.push((v, format!("{path}.{k}"), Some(k.to_string())));
                    }
                }
            }
        }
    }

    fn secrets(
        &mut self,
        check: &str,
        d: &Decoded,
        finder: &dyn Fn(&str) -> Vec<SecretHit>,
        place: &str,
    ) {
        if d.text.trim().is_empty() {
            return;
        }
        for hit in finder(&d.text) {
            let raw = d.raw_line(hit.line, hit.column);
            self.scan
                .finding(
                    check,
                    format!(
                        "{} in {place} (line {} of the decoded text)",
                        hit.what, hit.line
                    ),
                )
                .at(Location::target(self.relative).line(raw))
                .evidence(hit.evidence);
        }
    }

    /// A code cell: magics out, Python analysed, shell lines judged.
    fn code(&mut self, n: usize, cell_line: u32, source: &Decoded) {
        let lines: Vec<&str> = source.text.split('\n').collect();
        let first = lines.first().map(|l| l.trim()).unwrap_or("");
        let mut python_lines: Vec<String> = Vec::with_capacity(lines.len());
        let mut shell: Vec<(usize, String)> = Vec::new();
        if let Some(magic) = first.strip_prefix("%%") {
            let mut words = magic.split_whitespace();
            let name = words.next().unwrap_or("");
            let arg = words.next().unwrap_or("");
            let is_shell = matches!(name, "bash" | "sh" | "system" | "!" | "zsh")
                || (name == "script"
                    && matches!(
                        arg.rsplit('/').next().unwrap_or(""),
                        "bash" | "sh" | "zsh" | "dash"
                    ));
            if is_shell {
                join_shell(&lines[1..], 1, &mut shell);
                self.judge_shell(n, source, &shell);
                return;
            }
            if !matches!(name, "capture" | "time" | "timeit" | "prun" | "debug") {
                // %%writefile, %%html, %%javascript, %%sql, %%R, ...: not
                // Python run here.
                return;
            }
            python_lines.push(String::new());
            transform(&lines[1..], 1, &mut python_lines, &mut shell);
        } else {
            transform(&lines, 0, &mut python_lines, &mut shell);
        }
        self.judge_shell(n, source, &shell);
        let code = python_lines.join("\n");
        if code.trim().is_empty() {
            return;
        }
        let path = format!("{}#cell{n}", self.relative);
        match self.analyzer.analyze(&code, &path) {
            Ok(issues) => {
                // Shell run from Python with a constant command
                // (`os.system("curl ... | sh")`, `get_ipython().system(...)`).
                let escapes: Vec<(usize, String)> = self
                    .analyzer
                    .take_shell_commands()
                    .into_iter()
                    .map(|(line, cmd)| (line as usize - 1, cmd))
                    .collect();
                self.judge_shell(n, source, &escapes);
                for issue in issues {
                    let raw = source.raw_line(issue.line, 1);
                    let context = format!("cell {n}, line {}", issue.line);
                    python::report(
                        self.scan,
                        check_of(issue.kind),
                        &issue,
                        Location::target(self.relative).line(raw),
                        Some(&context),
                    );
                }
            }
            Err(failure) => {
                let raw = if failure.line > 0 {
                    source.raw_line(failure.line, 1)
                } else {
                    cell_line
                };
                python::unparsed(
                    self.scan,
                    self.relative,
                    &failure,
                    CODE_CHECKS,
                    Some((&format!("cell {n}"), raw)),
                );
            }
        }
    }

    fn judge_shell(&mut self, n: usize, source: &Decoded, shell: &[(usize, String)]) {
        for (line, command) in shell {
            let raw = source.raw_line(*line as u32 + 1, 1);
            let at = || Location::target(self.relative).line(raw);
            let evidence = aicomply_sdk::text::truncate(command.trim(), 160);
            for issue in judge_shell(command) {
                let (check, message) = match issue {
                    ShellIssue::RemoteScript(m) => (REMOTE_SCRIPT, m),
                    ShellIssue::Unpinned(m) => (UNPINNED_INSTALL, m),
                };
                self.scan
                    .finding(check, format!("cell {n}, line {}: {message}", line + 1))
                    .at(at())
                    .evidence(evidence.clone());
            }
        }
    }
}

/// Lines of a `%%bash` cell as shell commands (continuation lines joined),
/// with their 0-based line in the cell.
fn join_shell(lines: &[&str], offset: usize, out: &mut Vec<(usize, String)>) {
    let mut current: Option<(usize, String)> = None;
    for (i, line) in lines.iter().enumerate() {
        let (start, mut text) = current.take().unwrap_or((i + offset, String::new()));
        let part = line.trim_end();
        if let Some(p) = part.strip_suffix('\\') {
            text.push_str(p);
            text.push(' ');
            current = Some((start, text));
        } else {
            text.push_str(part);
            out.push((start, text));
        }
    }
    if let Some(c) = current {
        out.push(c);
    }
}

/// IPython syntax out of a cell, line for line: each magic becomes `pass`
/// at its indentation (or `name = None` for `name = !cmd`), so the Python
/// keeps its line numbers; shell commands are collected with their
/// 0-based line in the cell.
fn transform(
    lines: &[&str],
    offset: usize,
    python: &mut Vec<String>,
    shell: &mut Vec<(usize, String)>,
) {
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i].trim_end_matches('\r');
        let stripped = line.trim_start();
        let indent = &line[..line.len() - stripped.len()];
        let cell_line = i + offset;
        // `!cmd`, `!!cmd`, `%system cmd`, `%sx cmd`: shell (continuations
        // joined), `%pip` / `%conda` / `%mamba`: installs.
        let shell_cmd = if let Some(rest) = stripped.strip_prefix('!') {
            Some(rest.trim_start_matches('!').to_string())
        } else if let Some(rest) = stripped.strip_prefix('%') {
            let name = rest.split_whitespace().next().unwrap_or("");
            match name {
                "pip" | "conda" | "mamba" | "micromamba" | "uv" => Some(rest.to_string()),
                "system" | "sx" | "sh" => Some(rest[name.len()..].trim_start().to_string()),
                // Other line magics run no Python this analysis follows.
                _ => Some(String::new()),
            }
        } else {
            None
        };
        if let Some(mut cmd) = shell_cmd {
            let mut consumed = 1;
            while cmd.trim_end().ends_with('\\') && i + consumed < lines.len() {
                let t = cmd.trim_end();
                cmd = format!("{} {}", &t[..t.len() - 1], lines[i + consumed].trim());
                consumed += 1;
            }
            if !cmd.trim().is_empty() {
                shell.push((cell_line, cmd));
            }
            for k in 0..consumed {
                python.push(if k == 0 {
                    format!("{indent}pass")
                } else {
                    String::new()
                });
            }
            i += consumed;
            continue;
        }
        // `files = !ls` / `out = %sx cmd`
        if let Some((lhs, rhs)) = shell_assignment(stripped) {
            if !rhs.trim().is_empty() {
                shell.push((cell_line, rhs.to_string()));
            }
            python.push(format!("{indent}{lhs} = None"));
            i += 1;
            continue;
        }
        // Help: `obj?`, `obj??`, `?obj`.
        if stripped.starts_with('?')
            || (stripped.ends_with('?') && !stripped.contains(['#', '"', '\'', '(']))
        {
            python.push(format!("{indent}pass"));
            i += 1;
            continue;
        }
        python.push(line.to_string());
        i += 1;
    }
}

/// `name = !cmd` / `a, b = %sx cmd`: the names and the command.
fn shell_assignment(line: &str) -> Option<(&str, &str)> {
    let (lhs, rhs) = line.split_once('=')?;
    let names_ok = !lhs.trim().is_empty()
        && lhs.trim().split(',').all(|n| {
            let n = n.trim();
            !n.is_empty()
                && n.chars()
                    .next()
                    .is_some_and(|c| c.is_alphabetic() || c == '_')
                && n.chars()
                    .all(|c| c.is_alphanumeric() || c == '_' || c == '.')
        });
    if !names_ok || rhs.starts_with('=') {
        return None;
    }
    let rhs = rhs.trim_start();
    if let Some(cmd) = rhs.strip_prefix('!') {
        return Some((lhs.trim(), cmd));
    }
    for magic in ["%sx ", "%system ", "%sh "] {
        if let Some(cmd) = rhs.strip_prefix(magic) {
            return Some((lhs.trim(), cmd));
        }
    }
    None
}

#[derive(Debug, Clone, PartialEq)]
pub enum ShellIssue {
    RemoteScript(String),
    Unpinned(String),
}

const DOWNLOADERS: &[&str] = &["curl", "wget", "fetch", "aria2c", "http", "https"];
const INTERPRETERS: &[&str] = &[
    "sh", "bash", "zsh", "dash", "ksh", "fish", "python", "python2", "python3", "perl", "ruby",
    "node", "php", "pwsh", "source", ".", "eval",
];

/// What is wrong with one shell command line.
pub fn judge_shell(command: &str) -> Vec<ShellIssue> {
    let mut out = Vec::new();
    let pipelines = split_commands(command);
    for pipeline in &pipelines {
        // A download earlier in a pipeline, an interpreter later.
        let mut downloaded: Option<String> = None;
        for stage in pipeline {
            let words = command_words(stage);
            let Some(name) = words.first() else { continue };
            if let Some(d) = &downloaded
                && INTERPRETERS.contains(&name.as_str())
                && !reads_file_argument(&words)
            {
                out.push(ShellIssue::RemoteScript(format!(
                        "the output of `{d}` is piped into `{name}`: whatever the server sends runs in the kernel's environment"
                    )));
                break;
            }
            if DOWNLOADERS.contains(&name.as_str()) {
                downloaded = Some(name.clone());
            }
        }
        for stage in pipeline {
            let words = command_words(stage);
            if let Some(m) = unpinned_install(&words) {
                out.push(ShellIssue::Unpinned(m));
            }
        }
    }
    // `bash <(curl ...)`, `sh -c "$(curl ...)"`, `eval "$(wget -qO- ...)"`.
    let flat = command.replace(['"', '\''], " ");
    for d in ["curl", "wget"] {
        for open in ["$(", "<(", "`"] {
            let pat = format!("{open}{d} ");
            if let Some(at) = flat.find(&pat) {
                let before: Vec<String> = command_words(&flat[..at]);
                if let Some(interp) = before.iter().find(|w| INTERPRETERS.contains(&w.as_str()))
                    && !out.iter().any(|i| matches!(i, ShellIssue::RemoteScript(_)))
                {
                    out.push(ShellIssue::RemoteScript(format!(
                            "`{interp}` runs what `{d}` downloads: whatever the server sends runs in the kernel's environment"
                        )));
                }
            }
        }
    }
    out
}

/// `python script.py` in a pipeline reads its program from the file, not
/// from the pipe.
fn reads_file_argument(words: &[String]) -> bool {
    let name = words[0].as_str();
    if matches!(name, "source" | "." | "eval") {
        return false;
    }
    words[1..]
        .iter()
        .any(|w| !w.starts_with('-') && w != "-" && w != "/dev/stdin")
        && !words[1..].iter().any(|w| w == "-s" || w == "-")
}

/// Commands of a line: `;`, `&&`, `||`, `&` separate them, `|` joins the
/// stages of one pipeline. Quotes are respected.
fn split_commands(line: &str) -> Vec<Vec<String>> {
    let mut pipelines: Vec<Vec<String>> = vec![Vec::new()];
    let mut current = String::new();
    let mut quote: Option<char> = None;
    let chars: Vec<char> = line.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if let Some(q) = quote {
            current.push(c);
            if c == q {
                quote = None;
            } else if c == '\\' && q == '"' && i + 1 < chars.len() {
                current.push(chars[i + 1]);
                i += 1;
            }
            i += 1;
            continue;
        }
        match c {
            '\'' | '"' => {
                quote = Some(c);
                current.push(c);
            }
            '#' if current.is_empty() || current.ends_with(' ') => break,
            '|' if chars.get(i + 1) == Some(&'|') => {
                pipelines
                    .last_mut()
                    .expect("one")
                    .push(std::mem::take(&mut current));
                pipelines.push(Vec::new());
                i += 1;
            }
            '|' => pipelines
                .last_mut()
                .expect("one")
                .push(std::mem::take(&mut current)),
            ';' | '&' => {
                if c == '&' && chars.get(i + 1) == Some(&'&') {
                    i += 1;
                }
                pipelines
                    .last_mut()
                    .expect("one")
                    .push(std::mem::take(&mut current));
                pipelines.push(Vec::new());
            }
            _ => current.push(c),
        }
        i += 1;
    }
    pipelines.last_mut().expect("one").push(current);
    pipelines
        .into_iter()
        .map(|p| {
            p.into_iter()
                .filter(|s| !s.trim().is_empty())
                .collect::<Vec<_>>()
        })
        .filter(|p| !p.is_empty())
        .collect()
}

/// The words of a simple command, unquoted, with what only wraps the real
/// command taken off (`sudo -E`, `env A=1`, `A=1`, `time`, `nohup`), and
/// the program's path reduced to its name.
fn command_words(command: &str) -> Vec<String> {
    let mut words: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut quote: Option<char> = None;
    let mut any = false;
    for c in command.chars() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => current.push(c),
            None if c == '\'' || c == '"' => {
                quote = Some(c);
                any = true;
            }
            None if c.is_whitespace() => {
                if !current.is_empty() || any {
                    words.push(std::mem::take(&mut current));
                }
                any = false;
            }
            None => current.push(c),
        }
    }
    if !current.is_empty() || any {
        words.push(current);
    }
    let mut i = 0;
    while i < words.len() {
        let w = words[i].as_str();
        if matches!(
            w,
            "sudo" | "env" | "time" | "nohup" | "exec" | "command" | "nice"
        ) {
            i += 1;
            while i < words.len() && words[i].starts_with('-') {
                // `sudo -u user`
                if matches!(words[i].as_str(), "-u" | "-g" | "-n") && w != "env" {
                    i += 1;
                }
                i += 1;
            }
            continue;
        }
        if w.contains('=')
            && !w.starts_with('-')
            && w.split('=').next().is_some_and(|k| {
                !k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            })
        {
            i += 1;
            continue;
        }
        break;
    }
    let mut words = words.split_off(i.min(words.len()));
    if let Some(first) = words.first_mut()
        && let Some(name) = first.rsplit('/').next()
    {
        *first = name.to_string();
    }
    words
}

/// pip options that take a value.
const PIP_VALUE_OPTIONS: &[&str] = &[
    "-r",
    "--requirement",
    "-c",
    "--constraint",
    "-e",
    "--editable",
    "-i",
    "--index-url",
    "--extra-index-url",
    "-f",
    "--find-links",
    "-t",
    "--target",
    "--prefix",
    "--root",
    "--trusted-host",
    "--upgrade-strategy",
    "--platform",
    "--python-version",
    "--implementation",
    "--abi",
    "--progress-bar",
    "--log",
    "--cache-dir",
    "--src",
    "--no-binary",
    "--only-binary",
    "-C",
    "--config-settings",
    "--global-option",
    "--install-option",
    "--root-user-action",
    "--report",
    "--python",
    "-p",
    "--proxy",
    "--cert",
    "--client-cert",
    "--timeout",
    "--retries",
    "--exists-action",
    "--log-file",
    "--index",
    "--default-index",
    "--group",
];
/// conda options that take a value.
const CONDA_VALUE_OPTIONS: &[&str] = &[
    "-c",
    "--channel",
    "-n",
    "--name",
    "-p",
    "--prefix",
    "--file",
    "--repodata-fn",
    "--subdir",
    "--platform",
];

/// `pip install` / `conda install` of packages without an exact version:
/// the message, or `None`.
fn unpinned_install(words: &[String]) -> Option<String> {
    let name = words.first()?.as_str();
    // Where the arguments after `install` start, and which tool it is.
    let (tool, rest): (&str, &[String]) = match name {
        "pip" | "pip3" | "pip3.8" | "pip3.9" | "pip3.10" | "pip3.11" | "pip3.12" | "pip3.13" => {
            ("pip", &words[1..])
        }
        "python" | "python3" | "py" if words.get(1).map(String::as_str) == Some("-m") => {
            match words.get(2).map(String::as_str) {
                Some("pip") => ("pip", &words[3..]),
                _ => return None,
            }
        }
        "uv" if words.get(1).map(String::as_str) == Some("pip") => ("pip", &words[2..]),
        "conda" | "mamba" | "micromamba" => ("conda", &words[1..]),
        _ => return None,
    };
    let mut args = rest.iter().skip_while(|w| w.starts_with('-'));
    if args.next().map(String::as_str) != Some("install") {
        return None;
    }
    let args: Vec<&String> = args.collect();
    let value_options = if tool == "pip" {
        PIP_VALUE_OPTIONS
    } else {
        CONDA_VALUE_OPTIONS
    };
    let mut unpinned = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let a = args[i].as_str();
        if a.starts_with('-') {
            if value_options.contains(&a) {
                i += 1;
            }
            i += 1;
            continue;
        }
        // `name @ url`
        if args.get(i + 1).map(|s| s.as_str()) == Some("@") {
            if let Some(url) = args.get(i + 2)
                && !url_pinned(url)
            {
                unpinned.push(format!("{a} @ {url}"));
            }
            i += 3;
            continue;
        }
        if !spec_pinned(a, tool) {
            unpinned.push(a.to_string());
        }
        i += 1;
    }
    if unpinned.is_empty() {
        return None;
    }
    let shown: Vec<String> = unpinned.iter().take(8).map(|s| format!("`{s}`")).collect();
    Some(format!(
        "`{tool} install` of {} without an exact version ({}{}): each run may install a different release, or a malicious one published later",
        if unpinned.len() == 1 {
            "a package".to_string()
        } else {
            format!("{} packages", unpinned.len())
        },
        shown.join(", "),
        if unpinned.len() > 8 { ", …" } else { "" }
    ))
}

/// Whether a requirement pins one release (or is not judged: local files,
/// variables).
fn spec_pinned(spec: &str, tool: &str) -> bool {
    // Variables and templates: unknown, not reported.
    if spec.contains('$')
        || spec.contains('{')
        || spec.contains('<') && spec.contains('>') && !spec.contains("<=") && !spec.contains(">=")
    {
        return true;
    }
    if spec.contains("://") || spec.starts_with("git+") {
        return url_pinned(spec);
    }
    if let Some((_, url)) = spec.split_once('@') {
        return url_pinned(url.trim());
    }
    // Local paths and archives.
    let lower = spec.to_ascii_lowercase();
    if spec.starts_with(['.', '/', '~'])
        || [".whl", ".tar.gz", ".zip", ".tgz"]
            .iter()
            .any(|e| lower.ends_with(e))
    {
        return true;
    }
    let spec = spec.split(';').next().unwrap_or(spec).trim();
    if let Some((_, version)) = spec.split_once("==") {
        let version = version.trim_start_matches('=');
        return !version.is_empty() && !version.contains(['*', ',', '>', '<', '!', '~']);
    }
    if tool == "conda" {
        // conda: `numpy=1.26.4` (a full version; `numpy=1.26` is a series).
        if let Some((_, version)) = spec.split_once('=') {
            return version.matches('.').count() >= 2 && !version.contains('*');
        }
    }
    false
}

/// A URL requirement is pinned when it names an immutable archive or a
/// full commit.
fn url_pinned(url: &str) -> bool {
    if url.contains("#sha256=") || url.contains("#sha512=") {
        return true;
    }
    let lower = url.to_ascii_lowercase();
    if [".whl", ".tar.gz", ".zip", ".tgz"]
        .iter()
        .any(|e| lower.split('#').next().unwrap_or("").ends_with(e))
    {
        return true;
    }
    // git+https://host/repo.git@<40 hex>
    let path = url.split('#').next().unwrap_or(url);
    path.rsplit_once('@')
        .is_some_and(|(_, r)| r.len() == 40 && r.chars().all(|c| c.is_ascii_hexdigit()))
}

/// A terminal's colour and cursor codes out of saved output.
pub fn strip_ansi(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\u{1b}' {
            out.push(c);
            continue;
        }
        match chars.peek() {
            Some('[') => {
                chars.next();
                // Parameters and intermediates, then one final byte.
                for c in chars.by_ref() {
                    if ('@'..='~').contains(&c) {
                        break;
                    }
                }
            }
            Some(']') => {
                chars.next();
                // OSC: up to BEL or ESC \.
                while let Some(c) = chars.next() {
                    if c == '\u{7}' {
                        break;
                    }
                    if c == '\u{1b}' && chars.peek() == Some(&'\\') {
                        chars.next();
                        break;
                    }
                }
            }
            _ => {
                chars.next();
            }
        }
    }
    out
}

/// The entities HTML output uses for quotes and brackets.
fn unescape_html(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    s.replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&nbsp;", " ")
        .replace("&amp;", "&")
}

#[cfg(test)]
#[path = "notebooks_tests.rs"]
mod tests;
