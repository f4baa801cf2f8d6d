//! Readers for file shapes where a secret is not plain text: Kubernetes
//! `Secret` data (base64), `.netrc` entries, Dockerfile `ENV key value`
//! (the form without `=`), and secrets split across concatenated string
//! literals (`"sk-proj-" + "..."`, Python's implicit `"ab" "cd"`).
//!
//! JSON and YAML at any depth need no reader: keys and values are matched
//! in the raw text, so nesting costs nothing and never hits a parser limit.

use aicomply_sdk::kubernetes::{self, Manifest};

use super::engine::{self, Raw};
use super::{Kind, base64};
use crate::checks;

/// Priority of a whole-value Kubernetes Secret hit: provider hits inside
/// the decoded value win, generic hits on the same line lose.
const K8S_PRIORITY: usize = 60;

/// Byte offset of the start of each line.
pub fn line_starts(text: &str) -> Vec<usize> {
    let mut v = vec![0];
    v.extend(memchr_iter(text.as_bytes()).map(|i| i + 1));
    v
}

fn memchr_iter(b: &[u8]) -> impl Iterator<Item = usize> + '_ {
    b.iter()
        .enumerate()
        .filter(|(_, c)| **c == b'\n')
        .map(|(i, _)| i)
}

/// Where on 1-based `line` the text `needle` is, as a byte range; the
/// start of the line when it is not there (a value folded over lines).
fn place_on_line(text: &str, starts: &[usize], line: u32, needle: &str) -> (usize, usize) {
    let i = (line as usize).saturating_sub(1).min(starts.len() - 1);
    let from = starts[i];
    let to = starts.get(i + 1).copied().unwrap_or(text.len());
    match (!needle.is_empty())
        .then(|| text[from..to].find(needle))
        .flatten()
    {
        Some(at) => (from + at, from + at + needle.len()),
        None => (from, from),
    }
}

/// Kubernetes `Secret` objects: every `data` value is base64 decoded and
/// searched; a value that is itself a plausible secret (not a placeholder,
/// not a certificate, not a user name) is reported as committed.
pub fn kubernetes_secrets(rel: &str, text: &str, out: &mut Vec<Raw>) {
    if !(text.contains("Secret") && text.contains("kind")) {
        return;
    }
    let Manifest::Objects(objects) = kubernetes::read(rel, text) else {
        return;
    };
    let mut starts = None;
    for obj in objects.iter().filter(|o| kubernetes::kind(o) == "Secret") {
        let name = kubernetes::name(obj).to_string();
        for (field, encoded) in [("data", true), ("stringData", false)] {
            let Some(map) = obj.get(field) else { continue };
            for (k, v) in map.entries() {
                let (Some(key), Some(value)) = (k.as_str(), v.as_str()) else {
                    continue;
                };
                let decoded = if encoded {
                    match base64::decode(value.trim().as_bytes(), false)
                        .and_then(|b| String::from_utf8(b).ok())
                    {
                        Some(d) => d,
                        None => continue,
                    }
                } else {
                    value.to_string()
                };
                let starts = starts.get_or_insert_with(|| line_starts(text));
                let line = v.line.max(k.line);
                let (vs, ve) =
                    place_on_line(text, starts, line, value.lines().next().unwrap_or(""));
                let context = format!(
                    "{}Kubernetes Secret {name}, {field} key `{key}`",
                    if encoded { "base64 in " } else { "" }
                );
                // A value of many lines is a configuration file (rclone,
                // an .env, a kubeconfig): judged by what it assigns, like
                // any file, not as one secret.
                let config_file = decoded.trim().contains('\n');
                // A stringData file is in the manifest as it is: the scan
                // of the manifest's own lines reads it already.
                if config_file && !encoded {
                    continue;
                }
                let inner = super::find_raw(&decoded, Kind::Other, false);
                let mut any = false;
                for hit in inner {
                    if !config_file
                        && (hit.check == checks::SECRET_GENERIC
                            || hit.check == checks::SECRET_ENV_FILE)
                    {
                        continue;
                    }
                    any = true;
                    out.push(Raw {
                        start: vs,
                        end: ve.max(vs + 1).min(text.len()),
                        context: Some(context.clone()),
                        ..hit
                    });
                }
                if any
                    || config_file
                    || !secret_data_key(key)
                    || decoded.trim_start().starts_with("-----BEGIN CERTIFICATE")
                {
                    continue;
                }
                let d = decoded.trim();
                if engine::placeholder_value(d)
                    || d.len() < 4
                    || super::rules::is_documented_example(d)
                {
                    continue;
                }
                let n = d.chars().count();
                out.push(Raw {
                    check: checks::SECRET_K8S,
                    what: "secret value in a Kubernetes Secret manifest",
                    start: vs,
                    end: ve.max(vs + 1).min(text.len()),
                    priority: K8S_PRIORITY,
                    key: Some(key.to_string()),
                    shown: engine::prefix(d, if n >= 12 { 2 } else { 0 }),
                    len: n,
                    context: Some(context),
                });
            }
        }
    }
}

/// Data keys that do not hold secrets (a user name, a host, a CA
/// certificate).
fn secret_data_key(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    const NOT: &[&str] = &[
        "username",
        "user",
        "host",
        "hostname",
        "port",
        "database",
        "db",
        "dbname",
        "name",
        "namespace",
        "url",
        "endpoint",
        "region",
        "email",
        "ca.crt",
        "tls.crt",
        "ca-bundle.crt",
        "ca.pem",
        "cert.pem",
        "config",
        "type",
        // An access key id names the key (AWS says it is not secret); a
        // real AKIA id is still found by its provider rule above.
        "accesskey",
        "access_key",
        "access_key_id",
        "aws_access_key_id",
        "access-key-id",
    ];
    // The last word decides: `POSTGRES_DB`, `mysql-user`, `REDIS_PORT`
    // name no secret; `DB_PASSWORD` does.
    let last = k.rsplit(['_', '-', '.']).next().unwrap_or(&k);
    !NOT.contains(&k.as_str()) && !k.ends_with(".crt") && !NOT.contains(&last)
}

/// `.netrc` entries (`machine HOST login USER password SECRET`, over one
/// line or many), also inside other files (a heredoc writing ~/.netrc).
pub fn netrc(text: &str, netrc_file: bool, out: &mut Vec<Raw>) {
    if !text.contains("password") || !(netrc_file || text.contains("machine ")) {
        return;
    }
    let b = text.as_bytes();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < b.len() {
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        let s = i;
        while i < b.len() && !b[i].is_ascii_whitespace() {
            i += 1;
        }
        if i > s {
            tokens.push((s, i));
        }
    }
    // Outside a .netrc file an entry must read as one: `machine HOST`
    // (or `default`) followed only by netrc keywords and their values, so
    // that "machine" in prose or code does not start an entry.
    const KEYWORDS: &[&str] = &["login", "password", "account", "port", "protocol", "macdef"];
    let word = |w: usize| text[tokens[w].0..tokens[w].1].trim_matches(|c| c == '"' || c == '\'');
    let mut seen_machine = netrc_file;
    let mut expect = usize::MAX; // where the next keyword of an entry may be
    let mut machine = String::new();
    for w in 0..tokens.len() {
        let tok = word(w);
        if tok == "machine" || tok == "default" {
            seen_machine = true;
            expect = w + if tok == "machine" { 2 } else { 1 };
            if tok == "machine" && w + 1 < tokens.len() {
                machine = word(w + 1).to_string();
            }
            continue;
        }
        let in_entry = w == expect && KEYWORDS.contains(&tok);
        if in_entry {
            expect = w + 2;
        }
        if tok != "password" || !seen_machine || (!netrc_file && !in_entry) {
            continue;
        }
        let Some(&(mut vs, mut ve)) = tokens.get(w + 1) else {
            continue;
        };
        // `echo "machine h login u password SECRET" >> ~/.netrc`
        while vs < ve && matches!(text.as_bytes()[vs], b'"' | b'\'') {
            vs += 1;
        }
        while ve > vs && matches!(text.as_bytes()[ve - 1], b'"' | b'\'') {
            ve -= 1;
        }
        let value = &text[vs..ve];
        if engine::placeholder_value(value) || value.len() < 4 {
            continue;
        }
        let n = value.chars().count();
        out.push(Raw {
            check: checks::SECRET_NETRC,
            what: "password in a .netrc entry",
            start: vs,
            end: ve,
            priority: 40,
            key: Some(format!("machine {machine}")),
            shown: engine::prefix(value, if n >= 12 { 2 } else { 0 }),
            len: n,
            context: None,
        });
    }
}

/// Dockerfile `ENV NAME value` and `ARG`-less forms without `=` (the
/// `NAME=value` forms are generic assignments), continuation lines joined.
pub fn dockerfile(text: &str, out: &mut Vec<Raw>) {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        let t = line.trim_start();
        let lead = line.len() - t.len();
        let Some(rest) = t.strip_prefix("ENV ").or_else(|| t.strip_prefix("env ")) else {
            continue;
        };
        let rest_at = start + lead + 4;
        let rest_trim = rest.trim_start();
        let at = rest_at + (rest.len() - rest_trim.len());
        let name_len = rest_trim
            .find(|c: char| c.is_whitespace() || c == '=')
            .unwrap_or(rest_trim.len());
        let name = &rest_trim[..name_len];
        if rest_trim[name_len..].starts_with('=') || !engine::secret_key(name) {
            continue;
        }
        let value_part = rest_trim[name_len..].trim_start();
        let vs = at + (rest_trim.len() - value_part.len());
        let value = value_part.trim_end().trim_end_matches('\\').trim_end();
        let value = value.trim_matches(|c| c == '"' || c == '\'');
        if !engine::plausible_value(value, 8, 2.8) {
            continue;
        }
        let vs = text[vs..].find(value).map_or(vs, |i| vs + i);
        let n = value.chars().count();
        out.push(Raw {
            check: checks::SECRET_GENERIC,
            what: "hard-coded secret",
            start: vs,
            end: vs + value.len(),
            priority: engine::GENERIC_PRIORITY,
            key: Some(name.to_string()),
            shown: engine::prefix(value, if n >= 12 { 2 } else { 0 }),
            len: n,
            context: Some("Dockerfile ENV".into()),
        });
    }
}

/// String literals that are joined (`+`, `.`, `..`, `&`, `||`, or nothing
/// but white space and line continuations between them), put together and
/// searched with the provider rules. A hit is reported at the first
/// literal's position.
pub fn concatenations(text: &str, out: &mut Vec<Raw>) {
    let b = text.as_bytes();
    let mut literals: Vec<(usize, usize)> = Vec::new(); // content ranges
    let mut i = 0;
    while i < b.len() {
        let q = b[i];
        if q == b'"' || q == b'\'' {
            let s = i + 1;
            let mut e = s;
            let mut ok = false;
            while e < b.len() && e - s < 2048 {
                match b[e] {
                    b'\\' => e += 2,
                    b'\n' => break,
                    c if c == q => {
                        ok = true;
                        break;
                    }
                    _ => e += 1,
                }
            }
            if ok && e <= b.len() {
                literals.push((s, e));
                i = e + 1;
                continue;
            }
            i = s;
            continue;
        }
        i += 1;
    }
    let joiner = |gap: &[u8]| {
        gap.len() <= 64
            && gap.iter().all(|c| {
                matches!(
                    c,
                    b' ' | b'\t' | b'\r' | b'\n' | b'+' | b'.' | b'&' | b'|' | b'\\' | b'(' | b')'
                )
            })
    };
    let mut g = 0;
    while g < literals.len() {
        let mut h = g;
        while h + 1 < literals.len() && joiner(&b[literals[h].1 + 1..literals[h + 1].0 - 1]) {
            h += 1;
        }
        if h > g {
            let group = &literals[g..=h];
            let mut joined = String::new();
            let mut map = Vec::new(); // (offset in joined, offset in text)
            for &(s, e) in group {
                if !text.is_char_boundary(s) || !text.is_char_boundary(e) {
                    continue;
                }
                map.push((joined.len(), s));
                joined.push_str(&text[s..e]);
            }
            // Only a secret no single piece holds: otherwise the plain search has it.
            for hit in super::find_raw(&joined, Kind::Code, true) {
                let to_text = |o: usize| {
                    let &(j, t) = map
                        .iter()
                        .rev()
                        .find(|(j, _)| *j <= o)
                        .unwrap_or(&(0, group[0].0));
                    t + (o - j)
                };
                let (s, e) = (to_text(hit.start), to_text(hit.end.saturating_sub(1)) + 1);
                let one_piece = group.iter().any(|&(ls, le)| s >= ls && e <= le);
                if one_piece {
                    continue;
                }
                out.push(Raw {
                    start: s,
                    end: e,
                    context: Some(format!("split over {} string literals", group.len())),
                    ..hit
                });
            }
        }
        g = h + 1;
    }
}
