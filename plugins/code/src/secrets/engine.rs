//! The matching engine. One Aho-Corasick pass over the text finds every
//! keyword of every rule (and the words of generic assignments); a rule's
//! regular expression then runs only in a window around its keywords, so
//! the cost of a file grows with its length and the keywords in it, not
//! with the number of rules, and a 5 MB single-line file costs one pass.

use std::sync::OnceLock;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use regex_automata::meta::Regex;
use regex_automata::{Input, util::captures::Captures};

use super::Kind;
use super::rules::{self, Rule};
use crate::checks;

/// A hit before it is placed on a line: byte offsets of the secret in the
/// text, and what the evidence may show.
#[derive(Debug, Clone)]
pub struct Raw {
    pub check: &'static str,
    pub what: &'static str,
    pub start: usize,
    pub end: usize,
    /// Lower wins when two hits cover the same characters.
    pub priority: usize,
    /// The name the secret was assigned to, when there is one.
    pub key: Option<String>,
    /// The characters the evidence shows, and the secret's length.
    pub shown: String,
    pub len: usize,
    /// Where it was found, when not plainly in the text ("base64 in
    /// Kubernetes Secret data key `password`").
    pub context: Option<String>,
}

/// The priority of generic assignments: any provider rule wins over them.
pub const GENERIC_PRIORITY: usize = 100;

/// Words that start the generic assignment parser.
const GENERIC_WORDS: &[&str] = &[
    "pass",
    "pwd",
    "secret",
    "token",
    "key",
    "credential",
    "auth",
];

enum Target {
    Rule(usize),
    Generic,
}

pub struct Engine {
    rules: Vec<Rule>,
    regexes: Vec<Regex>,
    keywords: AhoCorasick,
    /// What each keyword starts (one keyword may serve several rules).
    targets: Vec<Vec<Target>>,
}

/// The engine, built once per process.
pub fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(Engine::new)
}

impl Engine {
    fn new() -> Self {
        let rules = rules::all();
        let regexes = rules
            .iter()
            .map(|r| Regex::new(r.pattern).unwrap_or_else(|e| panic!("rule {}: {e}", r.check)))
            .collect();
        let mut words: Vec<String> = Vec::new();
        let mut targets: Vec<Vec<Target>> = Vec::new();
        let all = rules
            .iter()
            .enumerate()
            .flat_map(|(i, r)| {
                r.keywords
                    .iter()
                    .map(move |k| (k.to_ascii_lowercase(), Target::Rule(i)))
            })
            .chain(
                GENERIC_WORDS
                    .iter()
                    .map(|w| (w.to_string(), Target::Generic)),
            );
        for (word, target) in all {
            match words.iter().position(|w| *w == word) {
                Some(at) => targets[at].push(target),
                None => {
                    words.push(word);
                    targets.push(vec![target]);
                }
            }
        }
        let keywords = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            // Non-overlapping, longest first: `sk-ant-` rather than `sk-`,
            // `PRIVATE KEY` rather than `KEY`, and the fast prefilter.
            .match_kind(MatchKind::LeftmostLongest)
            .build(&words)
            .expect("keywords build");
        Self {
            rules,
            regexes,
            keywords,
            targets,
        }
    }

    /// Every hit in `text`. `providers_only` leaves generic assignments
    /// out (for text put together from string literals).
    pub fn find(&self, text: &str, kind: Kind, providers_only: bool) -> Vec<Raw> {
        let bytes = text.as_bytes();
        let mut windows: Vec<Vec<(usize, usize)>> = vec![Vec::new(); self.rules.len()];
        let mut generic: Vec<(usize, usize)> = Vec::new();
        for m in self.keywords.find_iter(text) {
            for target in &self.targets[m.pattern().as_usize()] {
                match *target {
                    Target::Rule(i) => {
                        let rule = &self.rules[i];
                        let from = m.start().saturating_sub(rule.back);
                        let to = (m.end() + rule.span).min(bytes.len());
                        let w = &mut windows[i];
                        match w.last_mut() {
                            Some(last) if from <= last.1 => last.1 = last.1.max(to),
                            _ => w.push((from, to)),
                        }
                    }
                    Target::Generic if !providers_only => generic.push((m.start(), m.end())),
                    Target::Generic => {}
                }
            }
        }
        let mut out = Vec::new();
        for (i, spans) in windows.iter().enumerate() {
            if spans.is_empty() {
                continue;
            }
            let rule = &self.rules[i];
            let re = &self.regexes[i];
            let mut caps = re.create_captures();
            for &(from, to) in spans {
                let mut at = from;
                while at < to {
                    let input = Input::new(bytes).span(at..to);
                    re.search_captures(&input, &mut caps);
                    let Some(whole) = caps.get_match() else { break };
                    at = whole.end().max(at + 1);
                    if let Some(raw) = self.accept(rule, i, text, &caps) {
                        out.push(raw);
                    }
                }
            }
        }
        if !providers_only {
            generic_assignments(text, kind, &generic, &mut out);
        }
        out
    }

    fn accept(&self, rule: &Rule, index: usize, text: &str, caps: &Captures) -> Option<Raw> {
        let span = caps.get_group(rule.group)?;
        let (start, mut end) = (span.start, span.end);
        if !text.is_char_boundary(start) || !text.is_char_boundary(end) {
            return None;
        }
        if let Some(validate) = rule.validate {
            end = validate(text, start, end)?;
        }
        let secret = &text[start..end];
        if rule.min_entropy > 0.0 && rules::entropy(secret) < rule.min_entropy {
            return None;
        }
        if rule.check != checks::SECRET_PRIVATE_KEY
            && rule.check != checks::SECRET_DB_URL
            && rules::looks_like_placeholder(secret)
        {
            return None;
        }
        if rules::is_documented_example(secret) {
            return None;
        }
        let key = (rule.check == checks::SECRET_DB_URL)
            .then(|| {
                caps.get_group(1)
                    .map(|u| format!("user {}", &text[u.start..u.end]))
            })
            .flatten();
        let shown = if rule.check == checks::SECRET_PRIVATE_KEY {
            secret.lines().next().unwrap_or("").trim().to_string()
        } else {
            prefix(secret, rule.show)
        };
        Some(Raw {
            check: rule.check,
            what: rule.what,
            start,
            end,
            priority: index,
            key,
            shown,
            len: secret.chars().count(),
            context: None,
        })
    }
}

/// At most `show` characters of `secret`, and never more than a quarter.
pub fn prefix(secret: &str, show: usize) -> String {
    let n = secret.chars().count();
    secret.chars().take(show.min(n / 4)).collect()
}

fn ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.')
}

/// `password = "..."`, `api_key: ...`, `"token": "..."`, `DB_PASS=...`:
/// parsed from each keyword outwards, not matched with a pattern, so a
/// hit costs a few bytes of looking.
fn generic_assignments(text: &str, kind: Kind, words: &[(usize, usize)], out: &mut Vec<Raw>) {
    let b = text.as_bytes();
    let mut last_key_end = 0;
    for &(ks, ke) in words {
        let mut l = ks;
        while l > 0 && ks - l < 64 && ident(b[l - 1]) {
            l -= 1;
        }
        let mut r = ke;
        while r < b.len() && r - ke < 64 && ident(b[r]) {
            r += 1;
        }
        if r <= last_key_end {
            continue;
        }
        last_key_end = r;
        // The operator first: most keywords (`keys()`, `monkey`) have none.
        let Some((vs, ve, quoted)) = assigned_value(b, l, r, kind) else {
            continue;
        };
        // `"Password:"` is a label in a string, not an assignment: the
        // colon is inside the quotes.
        if l > 0
            && matches!(b[l - 1], b'"' | b'\'' | b'`')
            && b.get(r) == Some(&b':')
            && b.get(r + 1) == Some(&b[l - 1])
        {
            continue;
        }
        let key = text[l..r].trim_matches(|c| c == '-' || c == '.');
        if !secret_key(key) {
            continue;
        }
        if !text.is_char_boundary(vs) || !text.is_char_boundary(ve) {
            continue;
        }
        let value = &text[vs..ve];
        let (min_len, floor) = match kind {
            Kind::Env => (6, 2.3),
            _ if quoted => (8, 2.8),
            _ => (8, 3.0),
        };
        // An unquoted `name(...)` is an expression (HCL's `file(var.x)`,
        // a call in a config language), not a literal.
        let call = !quoted
            && value.find('(').is_some_and(|i| {
                i > 0
                    && value[..i]
                        .bytes()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.'))
            });
        if call || !plausible_value(value, min_len, floor) || key.eq_ignore_ascii_case(value) {
            continue;
        }
        let check = if kind == Kind::Env {
            checks::SECRET_ENV_FILE
        } else {
            checks::SECRET_GENERIC
        };
        let n = value.chars().count();
        out.push(Raw {
            check,
            what: if kind == Kind::Env {
                "secret in a .env file"
            } else {
                "hard-coded secret"
            },
            start: vs,
            end: ve,
            priority: GENERIC_PRIORITY,
            key: Some(key.to_string()),
            shown: prefix(value, if n >= 12 { 2 } else { 0 }),
            len: n,
            context: None,
        });
    }
}

/// The value assigned to the key at `l..r`: its byte range and whether it
/// was quoted.
fn assigned_value(b: &[u8], l: usize, r: usize, kind: Kind) -> Option<(usize, usize, bool)> {
    let at = |i: usize| b.get(i).copied().unwrap_or(b'\n');
    let mut p = r;
    // A closing quote of a quoted key, escaped in JSON-in-JSON.
    if at(p) == b'\\' && matches!(at(p + 1), b'"' | b'\'') {
        p += 2;
    } else if matches!(at(p), b'"' | b'\'' | b'`') {
        p += 1;
    }
    let _ = l;
    while matches!(at(p), b' ' | b'\t') {
        p += 1;
    }
    // The operator.
    match (at(p), at(p + 1)) {
        (b'=', b'=' | b'~') | (b'!', _) | (b'<', _) | (b'>', _) => return None,
        (b':', b'=') | (b'=', b'>') | (b'?', b'=') => p += 2,
        (b':', b':') => return None,
        (b'=', _) | (b':', _) => p += 1,
        _ => return None,
    }
    while matches!(at(p), b' ' | b'\t') {
        p += 1;
    }
    // `password: str = "..."` (a type annotation).
    if kind == Kind::Code && at(p).is_ascii_alphabetic() {
        let mut q = p;
        while at(q).is_ascii_alphanumeric() || matches!(at(q), b'_' | b'[' | b']' | b'.') {
            q += 1;
        }
        while matches!(at(q), b' ' | b'\t') {
            q += 1;
        }
        if at(q) == b'=' && at(q + 1) != b'=' {
            p = q + 1;
            while matches!(at(p), b' ' | b'\t') {
                p += 1;
            }
        }
    }
    // String prefixes: b"", r"", f"" (an f-string is a template: skipped below).
    let mut s = p;
    while s < p + 2
        && matches!(at(s), b'b' | b'r' | b'u' | b'B' | b'R' | b'U')
        && matches!(
            at(s + 1),
            b'"' | b'\'' | b'b' | b'r' | b'u' | b'B' | b'R' | b'U'
        )
    {
        s += 1;
    }
    let escaped = at(s) == b'\\' && matches!(at(s + 1), b'"' | b'\'');
    let quote = if escaped { at(s + 1) } else { at(s) };
    if matches!(quote, b'"' | b'\'' | b'`') && (escaped || s == p || matches!(at(s), b'"' | b'\''))
    {
        let vs = s + if escaped { 2 } else { 1 };
        let mut e = vs;
        while e < b.len() && e - vs <= 300 {
            let c = b[e];
            if c == b'\n' {
                return None;
            }
            if escaped {
                if c == b'\\' && at(e + 1) == quote {
                    return Some((vs, e, true));
                }
            } else if c == b'\\' {
                e += 2;
                continue;
            } else if c == quote {
                return Some((vs, e, true));
            }
            e += 1;
        }
        return None;
    }
    let unquoted = matches!(
        kind,
        Kind::Env | Kind::Config | Kind::Dockerfile | Kind::Other
    );
    if !unquoted {
        return None;
    }
    let vs = p;
    let mut e = vs;
    while e < b.len() && e - vs <= 256 {
        match b[e] {
            b' ' | b'\t' | b'\r' | b'\n' | b'"' | b'\'' | b',' | b';' | b'`' | b'\\' => break,
            b'}' | b']' if kind == Kind::Config => break,
            _ => e += 1,
        }
    }
    (e > vs).then_some((vs, e, false))
}

pub use aicomply_sdk::secret_values::{placeholder_value, plausible_value, secret_key};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_that_name_secrets() {
        for k in [
            "password",
            "DB_PASSWORD",
            "dbPassword",
            "api_key",
            "apiKey",
            "API-KEY",
            "client_secret",
            "SECRET_KEY_BASE",
            "auth_token",
            "accessToken",
            "spring.datasource.password",
            "passwd",
            "MYSQL_ROOT_PASSWORD",
            "githubToken",
            "secret",
            "token",
            "OPENAI_API_KEY",
            "auth",
        ] {
            assert!(secret_key(k), "{k}");
        }
        for k in [
            "password_hash",
            "token_count",
            "max_tokens",
            "pad_token",
            "eos_token",
            "tokenizer",
            "key",
            "primary_key",
            "keyboard",
            "password_field",
            "secretName",
            "token_url",
            "PASSWORD_MIN_LENGTH",
            "public_key",
            "monkey",
            "bypass",
            "api_key_id",
            "secret_ref",
        ] {
            assert!(!secret_key(k), "{k}");
        }
    }

    #[test]
    fn values_that_are_not_secrets() {
        for v in [
            "${DB_PASSWORD}",
            "<your-key>",
            "changeme",
            "{{ .Values.password }}",
            "os.environ",
            "settings.SECRET_KEY",
            "DB_PASSWORD",
            "my-secret-name",
            "xxxxxxxxxxxx",
            "/run/secrets/db",
            "123e4567-e89b-12d3-a456-426614174000",
            "12345678",
            "your-api-key-here",
            "required",
        ] {
            assert!(!plausible_value(v, 8, 2.8), "{v}");
        }
        for v in [
            "Sup3rS3cretP4ss",
            "hunter2horse!",
            "9f8e7d6c5b4a39281706",
            "Zx9$kQ2!mW7p",
        ] {
            assert!(plausible_value(v, 8, 2.8), "{v}");
        }
    }
}
