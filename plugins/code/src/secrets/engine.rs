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

/// Splits a key into lower-case words: `dbPassword`, `DB_PASSWORD`,
/// `db-password` and `db.password` are all `db`, `password`.
fn words(key: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let chars: Vec<char> = key.chars().collect();
    let mut cur = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_ascii_alphanumeric() {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            continue;
        }
        if let Some(&prev) = i.checked_sub(1).and_then(|j| chars.get(j)) {
            let next = chars.get(i + 1).copied().unwrap_or(' ');
            let boundary = (prev.is_ascii_lowercase() && c.is_ascii_uppercase())
                || (prev.is_ascii_uppercase()
                    && c.is_ascii_uppercase()
                    && next.is_ascii_lowercase())
                || (prev.is_ascii_alphabetic() && c.is_ascii_digit());
            if boundary && !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
        }
        cur.push(c.to_ascii_lowercase());
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Words that may follow the secret word in a key (`DB_PASSWORD_PROD`).
const SUFFIXES: &[&str] = &[
    "prod",
    "production",
    "dev",
    "development",
    "staging",
    "stage",
    "test",
    "live",
    "local",
    "base",
    "value",
    "str",
    "string",
    "b64",
    "base64",
    "encoded",
    "raw",
    "primary",
    "secondary",
    "old",
    "new",
    "v1",
    "v2",
    "v3",
    "plain",
    "plaintext",
    "cleartext",
];

/// Words that make a key something other than a secret.
const NOT_SECRET: &[&str] = &[
    "hash",
    "hashed",
    "hasher",
    "digest",
    "sha",
    "sha1",
    "sha256",
    "sha512",
    "md5",
    "checksum",
    "crc",
    "uuid",
    "guid",
    "fingerprint",
    "public",
    "publishable",
    "pub",
    "pubkey",
    "file",
    "filename",
    "path",
    "dir",
    "url",
    "uri",
    "endpoint",
    "name",
    "names",
    "len",
    "length",
    "str",
    "size",
    "count",
    "max",
    "min",
    "num",
    "limit",
    "type",
    "field",
    "fields",
    "label",
    "prompt",
    "placeholder",
    "hint",
    "regex",
    "pattern",
    "policy",
    "rotation",
    "expiry",
    "expires",
    "expire",
    "expiration",
    "expired",
    "ttl",
    "timeout",
    "lifetime",
    "age",
    "validator",
    "validation",
    "required",
    "enabled",
    "enable",
    "disabled",
    "reset",
    "forgot",
    "header",
    "param",
    "prefix",
    "suffix",
    "format",
    "env",
    "var",
    "ref",
    "arn",
    "location",
    "id",
    "ids",
    "index",
    "idx",
    "pad",
    "eos",
    "bos",
    "unk",
    "sep",
    "cls",
    "mask",
    "special",
    "eot",
    "start",
    "end",
    "stop",
    "image",
    "audio",
    "video",
    "vision",
    "next",
    "page",
    "continuation",
    "cancellation",
    "usage",
    "input",
    "output",
    "prompt",
    "completion",
    "budget",
    "cost",
    "rate",
    "per",
    "bucket",
    "strength",
    "policy",
    "style",
    "class",
    "color",
    "icon",
    "mode",
    "method",
    "algorithm",
    "alg",
    "kind",
    "scheme",
    "version",
    "store",
    "manager",
    "provider",
    "source",
    "mount",
    "volume",
    "selector",
    "template",
    "generator",
    "generated",
    "set",
    "get",
    "is",
    "has",
    "use",
    "show",
    "sample",
    "example",
    "dummy",
    "mock",
    "fake",
    "spec",
    "secretref",
    "secretname",
    "keyref",
    "valuefrom",
    "keyboard",
    "keys",
    "tokens",
    "keyword",
    "keywords",
    "keypair",
    "keyspace",
    "keystore",
    "keychain",
    "keyring",
    "passthrough",
    "bypass",
    "compass",
    "nopasswd",
    "nopassword",
];

/// Words before `key` that make it a credential (`api_key`, not `key`).
const KEY_PREFIXES: &[&str] = &[
    "api",
    "access",
    "secret",
    "private",
    "auth",
    "client",
    "master",
    "signing",
    "encryption",
    "app",
    "account",
    "license",
    "admin",
    "session",
    "shared",
    "storage",
    "subscription",
    "consumer",
    "webhook",
    "service",
    "x",
    "openai",
    "anthropic",
    "cohere",
    "stripe",
    "deploy",
    "ssh",
    "jwt",
    "hmac",
    "aes",
    "crypt",
    "cipher",
    "decryption",
    "sendgrid",
    "twilio",
    "mailgun",
];

/// Whether the name a value is assigned to says it is a secret.
pub fn secret_key(key: &str) -> bool {
    if key.len() > 64 || key.is_empty() {
        return false;
    }
    let w = words(key);
    if w.iter().any(|x| NOT_SECRET.contains(&x.as_str())) {
        return false;
    }
    // The secret word is the last word, or followed only by suffixes.
    let Some(last) = w
        .iter()
        .rposition(|x| !SUFFIXES.contains(&x.as_str()) && x.parse::<u32>().is_err())
    else {
        return false;
    };
    let word = w[last].as_str();
    let before = last.checked_sub(1).map(|i| w[i].as_str());
    match word {
        "password" | "passwd" | "pwd" | "pass" | "passphrase" | "secret" | "token" | "apikey"
        | "credential" | "credentials" | "pw" => true,
        "key" => before.is_some_and(|b| KEY_PREFIXES.contains(&b)),
        "auth" => w.len() == 1,
        _ => [
            "password",
            "passwd",
            "secret",
            "token",
            "apikey",
            "secretkey",
            "accesskey",
            "privatekey",
            "authkey",
            "passphrase",
        ]
        .iter()
        .any(|s| word.ends_with(s)),
    }
}

/// Values that stand for a secret rather than being one: references to
/// variables and templates, placeholders, stop words.
pub fn placeholder_value(v: &str) -> bool {
    let v = v.trim();
    if v.is_empty() {
        return true;
    }
    let first = v.as_bytes()[0];
    if matches!(
        first,
        b'$' | b'%' | b'{' | b'<' | b'[' | b'(' | b'!' | b'&' | b'*' | b'@' | b'#'
    ) {
        return true;
    }
    const TEMPLATES: &[&str] = &[
        "${",
        "{{",
        "}}",
        "$(",
        "%(",
        "#{",
        "<%",
        "%>",
        "{%",
        "%s",
        "%d",
        "os.environ",
        "getenv",
        "process.env",
    ];
    if TEMPLATES.iter().any(|t| v.contains(t)) {
        return true;
    }
    let lower = v.to_ascii_lowercase();
    const WHOLE: &[&str] = &[
        "password",
        "passwd",
        "pass",
        "pwd",
        "secret",
        "token",
        "key",
        "apikey",
        "api_key",
        "user",
        "username",
        "changeme",
        "default",
        "string",
        "str",
        "bool",
        "true",
        "false",
        "yes",
        "no",
        "on",
        "off",
        "required",
        "optional",
        "empty",
        "blank",
        "hidden",
        "masked",
        "env",
        "environment",
        "bearer",
        "basic",
        "localhost",
        "test",
        "testing",
        "demo",
        "mypassword",
        "mysecret",
        "secretpassword",
        "password123",
        "pass123",
        "admin123",
        "secret123",
        "qwerty",
        "letmein",
        "abc123",
        "123456",
        "12345678",
        "123456789",
        "s3cr3t",
        "p4ssw0rd",
        "p@ssw0rd",
        "p@ssword",
        "passw0rd",
        "unset",
        "unknown",
        "tbd",
        "n/a",
        "nil",
        "redacted",
        "string_value",
        "keep",
        "override",
        "inherit",
        "auto",
        "generate",
        "random",
        "sensitive",
    ];
    if WHOLE.contains(&lower.as_str()) {
        return true;
    }
    if rules::STOP_WORDS.iter().any(|w| lower.contains(w)) {
        return true;
    }
    let b = v.as_bytes();
    b.iter().all(|&c| c == b[0]) || sequences_and_words(v)
}

/// Words that make up made-up credentials (`admin1234`, `THEPASSWORD`,
/// `minio123`), with [`sequences_and_words`].
const FILLER_WORDS: &[&str] = &[
    "password",
    "passwd",
    "secret",
    "admin",
    "minio",
    "minioadmin",
    "root",
    "user",
    "test",
    "demo",
    "guest",
    "token",
    "apikey",
    "api",
    "key",
    "pass",
    "the",
    "my",
    "qwerty",
    "hello",
    "world",
    "foo",
    "bar",
    "baz",
    "default",
    "local",
    "dev",
];

/// Whether at least three quarters of a value (after a provider-style
/// prefix such as `sk-`) is runs of consecutive characters (`abc`, `123`,
/// `XYZ`, `987`) and filler words: `sk-1234567890`, `abc123def456`,
/// `abc123XYZ987`, `admin1234`. A random secret is almost never so.
fn sequences_and_words(v: &str) -> bool {
    let body = match v.find(['-', '_']) {
        Some(i) if i <= 4 => &v[i + 1..],
        _ => v,
    };
    let lower: Vec<u8> = body.bytes().map(|c| c.to_ascii_lowercase()).collect();
    if lower.len() < 4 || !lower.iter().all(u8::is_ascii_alphanumeric) {
        return false;
    }
    let mut covered = vec![false; lower.len()];
    // Runs of three or more consecutive characters, up or down.
    let mut start = 0;
    for i in 1..=lower.len() {
        let step = |a: u8, b: u8| {
            (a.is_ascii_digit() == b.is_ascii_digit())
                && (b == a.wrapping_add(1) || a == b.wrapping_add(1))
        };
        let continues = i < lower.len()
            && step(lower[i - 1], lower[i])
            && (i - start < 2
                || (lower[i] as i16 - lower[i - 1] as i16)
                    == (lower[i - 1] as i16 - lower[i - 2] as i16));
        if !continues {
            if i - start >= 3 {
                covered[start..i].iter_mut().for_each(|c| *c = true);
            }
            start = i;
        }
    }
    for w in FILLER_WORDS {
        let w = w.as_bytes();
        let mut i = 0;
        while i + w.len() <= lower.len() {
            if &lower[i..i + w.len()] == w {
                covered[i..i + w.len()].iter_mut().for_each(|c| *c = true);
                i += w.len();
            } else {
                i += 1;
            }
        }
    }
    covered.iter().filter(|&&c| c).count() * 4 >= lower.len() * 3
}

/// A value that is base64 of a placeholder (`cGFzc3dvcmQ=`, "password").
fn base64_of_placeholder(v: &str) -> bool {
    if v.len() < 8 || !v.len().is_multiple_of(4) {
        return false;
    }
    let Some(decoded) = super::base64::decode(v.as_bytes(), false) else {
        return false;
    };
    match std::str::from_utf8(&decoded) {
        Ok(d) if d.bytes().all(|c| c.is_ascii_graphic()) => {
            placeholder_value(d) || identifier_like(d) || d.len() < 6
        }
        _ => false,
    }
}

/// Whether an assigned value can be a secret: not a placeholder, long and
/// varied enough, not a reference, path, number, UUID or identifier.
pub fn plausible_value(v: &str, min_len: usize, floor: f64) -> bool {
    let n = v.chars().count();
    if n < min_len || n > 256 || placeholder_value(v) || rules::is_documented_example(v) {
        return false;
    }
    if v.chars().any(char::is_whitespace)
        || v.bytes()
            .all(|b| b.is_ascii_digit() || b == b'.' || b == b'-')
    {
        return false;
    }
    if is_uuid(v) {
        return false;
    }
    let lower = v.to_ascii_lowercase();
    if lower.starts_with('/')
        || lower.starts_with("./")
        || lower.starts_with("../")
        || lower.starts_with("~/")
        || lower.contains("://")
        || lower.starts_with("file:")
        || lower.starts_with("arn:")
        || lower.starts_with("vault:")
        || lower.starts_with("projects/")
        || [
            ".pem", ".key", ".json", ".txt", ".crt", ".p12", ".yaml", ".yml", ".env", ".pfx",
            ".jks",
        ]
        .iter()
        .any(|e| lower.ends_with(e))
    {
        return false;
    }
    if identifier_like(v) || base64_of_placeholder(v) {
        return false;
    }
    rules::entropy(v) >= floor
}

fn is_uuid(v: &str) -> bool {
    let b = v.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, &c)| match i {
            8 | 13 | 18 | 23 => c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// `settings.SECRET_KEY`, `DB_PASSWORD`, `my-secret-name`, `get_token`:
/// names, not values.
fn identifier_like(v: &str) -> bool {
    let parts_ok = |sep: char, part: &dyn Fn(&str) -> bool| {
        let parts: Vec<&str> = v.split(sep).collect();
        parts.len() >= 2 && parts.iter().all(|p| !p.is_empty() && part(p))
    };
    let ident = |p: &str| {
        p.as_bytes()[0].is_ascii_alphabetic() || p.as_bytes()[0] == b'_'
    } && p.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_');
    let lower_word = |p: &str| p.bytes().all(|c| c.is_ascii_lowercase());
    let upper_word = |p: &str| {
        p.bytes()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
    };
    // A part of a kebab or snake name: a lower-case word, or a short
    // token such as `s3`, `v1`, `k8s`.
    let name_part = |p: &str| {
        lower_word(p)
            || (p.len() <= 3
                && p.bytes()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()))
    };
    // `pkg.module:Attr` and `._internal.api_token:ApiToken`: an import path.
    let import_path = v.split_once(':').is_some_and(|(module, attr)| {
        let module = module.trim_start_matches('.');
        !module.is_empty()
            && module.split('.').all(|p| !p.is_empty() && ident(p))
            && !attr.is_empty()
            && ident(attr)
    });
    import_path
        || parts_ok('.', &ident)
        || parts_ok('_', &name_part)
        || parts_ok('-', &name_part)
        || parts_ok('_', &upper_word)
        || words_only(v)
}

/// Letters only (any script), written as one word or as words joined in
/// camelCase, PascalCase, kebab or snake case: `credentials`, `délicieux`,
/// `vllmApiKey`, `EasyNegative`, `servingEngineSpec-apikey`. Generated
/// secrets of this length nearly always hold a digit or a symbol, and a
/// run of random letters splits into short, oddly cased pieces.
fn words_only(v: &str) -> bool {
    let n = v.chars().count();
    if n > 40
        || !v
            .chars()
            .all(|c| c.is_alphabetic() || matches!(c, '-' | '_' | '.'))
    {
        return false;
    }
    let mut words: Vec<String> = Vec::new();
    for part in v.split(['-', '_', '.']) {
        let mut cur = String::new();
        let chars: Vec<char> = part.chars().collect();
        for (i, &c) in chars.iter().enumerate() {
            let prev_lower = i > 0 && chars[i - 1].is_lowercase();
            let next_lower = chars.get(i + 1).is_some_and(|c| c.is_lowercase());
            let prev_upper = i > 0 && chars[i - 1].is_uppercase();
            if c.is_uppercase() && (prev_lower || (prev_upper && next_lower)) && !cur.is_empty() {
                words.push(std::mem::take(&mut cur));
            }
            cur.push(c);
        }
        if !cur.is_empty() {
            words.push(cur);
        }
    }
    if words.is_empty() {
        return false;
    }
    let letters: usize = words.iter().map(|w| w.chars().count()).sum();
    // Each word is Capitalised, lower or UPPER, and words are not tiny.
    words.iter().all(|w| {
        let mut c = w.chars();
        let first = c.next().unwrap();
        let rest: Vec<char> = c.collect();
        rest.iter().all(|c| c.is_lowercase())
            || (first.is_uppercase() && rest.iter().all(|c| c.is_uppercase()))
    }) && words.iter().all(|w| w.chars().count() >= 2)
        && letters >= words.len() * 3
}

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
