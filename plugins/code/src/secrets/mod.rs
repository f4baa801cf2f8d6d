//! Secrets in text files (CODE-1; in notebooks, CODE-2).
//!
//! * [`decode`]: bytes to text (UTF-8 with or without BOM, UTF-16, Latin-1
//!   and stray non-UTF-8 bytes), binaries recognised and left alone.
//! * [`rules`]: the provider rules (AWS, GCP, Azure, GitHub, GitLab, Slack,
//!   Stripe, OpenAI, Anthropic, Hugging Face, Cohere, Replicate, W&B,
//!   private keys, JWTs, database URLs).
//! * [`engine`]: one keyword pass for all rules, regexes only around the
//!   keywords, and the generic `password=` / `api_key:` / `token:` parser
//!   with an entropy floor and stop words.
//! * [`structured`]: Kubernetes `Secret` data, `.netrc`, Dockerfile `ENV`,
//!   string literals concatenated in code.
//!
//! For other scanners of this plugin (notebooks): [`find_in_text`] takes
//! any decoded text and returns [`Hit`]s with the check id, a 1-based
//! line and column in that text and redacted evidence; nothing it returns
//! holds the secret.

pub use aicomply_sdk::base64;
pub mod decode;
pub mod engine;
pub mod rules;
pub mod structured;

use std::io::Read;
use std::path::Path;

use aicomply_sdk::fs::{ReadError, open_regular};
use aicomply_sdk::{Location, Scan, SkipReason};

use crate::checks;
use engine::Raw;

/// Largest file searched for secrets (a 5 MB minified bundle is well
/// within it). Larger text files are listed as not examined.
pub const MAX_FILE: u64 = 16 << 20;
/// Hits kept per file: past it, the file is a dump of credentials and the
/// report says how many more there were.
pub const MAX_HITS_PER_FILE: usize = 200;

/// What kind of file the text came from: it decides whether unquoted
/// values count (configs yes, source code no) and which readers run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `.env`, `.env.local`, `.env.production` (not `.env.example`).
    Env,
    /// Source code: only quoted values are assignments.
    Code,
    /// YAML, TOML, INI, properties, shell: unquoted values count.
    Config,
    Dockerfile,
    Netrc,
    /// JSON: values are quoted anyway. (Notebooks are read by
    /// [`crate::notebooks`], which decodes their strings first.)
    Json,
    /// Anything else (`.txt`, no extension).
    Other,
}

impl Kind {
    pub fn of(rel: &str) -> Kind {
        let name = rel.rsplit('/').next().unwrap_or(rel);
        let lower = name.to_ascii_lowercase();
        let ext = lower.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
        if lower == ".env"
            || (lower.starts_with(".env.")
                && !["example", "sample", "template", "dist", "defaults", "tpl"].contains(&ext))
            || ext == "env"
        {
            return Kind::Env;
        }
        if matches!(lower.as_str(), ".netrc" | "_netrc" | "netrc") || ext == "netrc" {
            return Kind::Netrc;
        }
        if lower == "dockerfile"
            || lower.starts_with("dockerfile.")
            || ext == "dockerfile"
            || lower == "containerfile"
        {
            return Kind::Dockerfile;
        }
        match ext {
            "json" | "ipynb" | "jsonc" | "json5" => Kind::Json,
            "yaml" | "yml" | "toml" | "ini" | "cfg" | "conf" | "properties" | "sh" | "bash"
            | "zsh" | "ps1" | "bat" | "cmd" | "tf" | "tfvars" | "hcl" | "config" | "cnf"
            | "pgpass" | "example" | "sample" | "template" | "dist" => Kind::Config,
            "py" | "pyi" | "js" | "mjs" | "cjs" | "jsx" | "ts" | "tsx" | "go" | "java" | "kt"
            | "kts" | "scala" | "rb" | "php" | "rs" | "cs" | "c" | "h" | "cc" | "cpp" | "hpp"
            | "swift" | "m" | "mm" | "lua" | "pl" | "r" | "jl" | "dart" | "groovy" | "vue"
            | "svelte" | "md" | "rst" | "html" | "htm" | "xml" | "sql" | "ex" | "exs" | "erl"
            | "hs" | "ml" | "fs" | "vb" | "sol" | "zig" | "nim" | "cr" | "clj" => Kind::Code,
            _ => Kind::Other,
        }
    }
}

/// A secret found in a text, located and redacted.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    /// The check it is reported under (`CODE-SECRET-...`).
    pub check: &'static str,
    /// What was found ("GitHub token").
    pub what: &'static str,
    /// 1-based line and column (in characters) in the text.
    pub line: u32,
    pub column: u32,
    /// The name it was assigned to, when there is one.
    pub key: Option<String>,
    /// Redacted: a non-secret prefix and the length, never the secret.
    pub evidence: String,
    /// Where it was, when not plainly in the text.
    pub context: Option<String>,
}

/// Secrets in any decoded text (a notebook cell, an output, a string read
/// from a structured file). Lines and columns are 1-based, in `text`.
/// Generic assignments accept unquoted values (`password=...`), as in a
/// config file.
pub fn find_in_text(text: &str) -> Vec<Hit> {
    locate(text, find_raw(text, Kind::Other, false))
}

/// Secrets in the text of the file at `rel` (its name selects the readers).
pub fn find_in_file(rel: &str, text: &str) -> Vec<Hit> {
    let kind = Kind::of(rel);
    let mut raw = find_raw(text, kind, false);
    structured::netrc(text, kind == Kind::Netrc, &mut raw);
    if kind == Kind::Dockerfile {
        structured::dockerfile(text, &mut raw);
    }
    if matches!(kind, Kind::Config | Kind::Json | Kind::Other) {
        structured::kubernetes_secrets(rel, text, &mut raw);
    }
    if matches!(kind, Kind::Code | Kind::Json | Kind::Other) {
        structured::concatenations(text, &mut raw);
    }
    locate(text, dedupe(raw))
}

/// Hits of the engine, without duplicates.
pub(crate) fn find_raw(text: &str, kind: Kind, providers_only: bool) -> Vec<Raw> {
    dedupe(engine::engine().find(text, kind, providers_only))
}

/// Where hits cover the same characters, the one of the most specific
/// rule stays.
fn dedupe(mut raw: Vec<Raw>) -> Vec<Raw> {
    raw.sort_by_key(|a| (a.start, a.priority));
    let mut out: Vec<Raw> = Vec::with_capacity(raw.len());
    for r in raw {
        if let Some(prev) = out
            .iter_mut()
            .rev()
            .take(8)
            .find(|p| r.start < p.end.max(p.start + 1) && p.start < r.end.max(r.start + 1))
        {
            if r.priority < prev.priority {
                *prev = r;
            }
            continue;
        }
        out.push(r);
    }
    out
}

/// Lines and columns for hits, in one pass over the text.
fn locate(text: &str, mut raw: Vec<Raw>) -> Vec<Hit> {
    raw.sort_by_key(|r| r.start);
    let b = text.as_bytes();
    let (mut line, mut line_start, mut pos) = (1u32, 0usize, 0usize);
    let mut out = Vec::with_capacity(raw.len());
    for r in raw {
        let start = r.start.min(b.len());
        while pos < start {
            if b[pos] == b'\n' {
                line += 1;
                line_start = pos + 1;
            }
            pos += 1;
        }
        let column = text
            .get(line_start..start)
            .map_or(1, |s| s.chars().count() as u32 + 1);
        let redacted = format!("{}…({} chars)", r.shown, r.len);
        let evidence = match &r.key {
            Some(k) => format!("{k} = {redacted}"),
            None => redacted,
        };
        out.push(Hit {
            check: r.check,
            what: r.what,
            line,
            column,
            key: r.key,
            evidence,
            context: r.context,
        });
    }
    out
}

/// What a secrets search of the target counted.
#[derive(Debug, Default)]
pub struct Stats {
    /// Text files searched.
    pub texts: usize,
    /// Binary files recognised and left alone.
    pub binaries: usize,
}

/// What [`scan_file`] made of a file, for the analysers that read the
/// same text after it (Python, pipelines, dependencies).
#[derive(Debug)]
pub enum Outcome {
    /// A text file, searched and handed to the caller's `then`.
    Text,
    /// A binary file, recognised from its first bytes and left alone.
    Binary,
    /// Not read: why (the secret checks are already marked incomplete).
    Unread(String),
}

/// Read one file of the target (at most [`MAX_FILE`] bytes, one read) and
/// report the secrets in it. A text file over the limit is listed as not
/// examined and makes the secret checks incomplete; a file that cannot be
/// opened makes them incomplete (the model scan lists it). `then` gets
/// the decoded text, so other analysers do not read the file again.
pub fn scan_file(
    scan: &mut Scan,
    path: &Path,
    rel: &str,
    stats: &mut Stats,
    then: impl FnOnce(&mut Scan, &str),
) -> Outcome {
    let bytes = match read(path) {
        Ok(Some(b)) => b,
        Ok(None) => {
            stats.binaries += 1;
            return Outcome::Binary;
        }
        Err(ReadError::TooLarge { size, limit }) => {
            scan.skipped(
                Location::target(rel),
                SkipReason::TooLarge,
                format!("a text file of {size} bytes; files over {limit} bytes are not searched for secrets"),
            );
            for check in checks::SECRET_CHECKS {
                scan.incomplete(
                    check,
                    format!("{rel} not searched for secrets (over the {limit}-byte limit)"),
                );
            }
            return Outcome::Unread(format!("over the {limit}-byte limit"));
        }
        Err(e) => {
            for check in checks::SECRET_CHECKS {
                scan.incomplete(check, format!("{rel} not searched for secrets ({e})"));
            }
            return Outcome::Unread(e.to_string());
        }
    };
    let Some(text) = decode::decode(&bytes) else {
        stats.binaries += 1;
        return Outcome::Binary;
    };
    stats.texts += 1;
    let hits = find_in_file(rel, &text);
    report(scan, rel, &hits);
    then(scan, &text);
    Outcome::Text
}

/// Record `hits` of the file `rel` on `scan` (at most
/// [`MAX_HITS_PER_FILE`]; the rest are counted in one more finding).
pub fn report(scan: &mut Scan, rel: &str, hits: &[Hit]) {
    for h in hits.iter().take(MAX_HITS_PER_FILE) {
        let mut message = format!("{} at line {}, column {}", h.what, h.line, h.column);
        if let Some(k) = &h.key {
            message.push_str(&format!(", assigned to `{k}`"));
        }
        if let Some(c) = &h.context {
            message.push_str(&format!(" ({c})"));
        }
        scan.finding(h.check, message)
            .at(Location::target(rel).line(h.line))
            .evidence(h.evidence.clone());
    }
    if hits.len() > MAX_HITS_PER_FILE {
        let first = &hits[MAX_HITS_PER_FILE];
        scan.finding(
            first.check,
            format!(
                "{} more secrets in this file not listed one by one (from line {})",
                hits.len() - MAX_HITS_PER_FILE,
                first.line
            ),
        )
        .at(Location::target(rel).line(first.line));
    }
}

/// The file's bytes; `None` for a binary file (known from its first
/// bytes, so a large model is not read for this).
fn read(path: &Path) -> Result<Option<Vec<u8>>, ReadError> {
    let (file, len) = open_regular(path)?;
    let mut head = Vec::with_capacity(len.min(8 << 10) as usize);
    let mut file = file;
    (&mut file)
        .take(8 << 10)
        .read_to_end(&mut head)
        .map_err(ReadError::Io)?;
    if decode::decode(&head).is_none() {
        return Ok(None);
    }
    if len > MAX_FILE {
        return Err(ReadError::TooLarge {
            size: len,
            limit: MAX_FILE,
        });
    }
    let mut bytes = head;
    bytes.reserve(len as usize - bytes.len().min(len as usize));
    file.take(MAX_FILE + 1 - bytes.len() as u64)
        .read_to_end(&mut bytes)
        .map_err(ReadError::Io)?;
    if bytes.len() as u64 > MAX_FILE {
        return Err(ReadError::TooLarge {
            size: bytes.len() as u64,
            limit: MAX_FILE,
        });
    }
    Ok(Some(bytes))
}

#[cfg(test)]
mod tests;
