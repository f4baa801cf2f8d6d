//! nginx configuration: a small tokenizer and block parser, `include`
//! expansion (globs, paths relative to the configuration prefix, absolute
//! `/etc/nginx/...` paths mapped onto the folder the main file is in,
//! `sites-enabled` links), and the inheritance rules the checks need.
//!
//! Which files are configuration, and against what they resolve (the
//! assembly is in `lib.rs`, `nginx_configs`):
//! - A *main file* has an `http` or `events` block (nginx.conf). Its folder
//!   is the prefix: every relative `include` in it and in what it reaches
//!   resolves there, never against the including file's folder (as nginx
//!   does). What it reaches through includes (globs in sorted order, dot
//!   files excluded like glob(3)) is the active configuration.
//! - A file in a main file's configuration tree that it does not reach is
//!   inactive and says nothing, like nginx: templates (`conf.d/templates/`),
//!   unused snippets, unlinked `sites-available/`. The tree is the folders
//!   the includes point into (and below them) plus the prefix folder and
//!   below, stopping at another configuration's folder (its own nginx.conf,
//!   an image root's `etc/nginx`, a conf.d / sites-enabled / http.d the
//!   main file does not include). `*.example`, `*.sample`, `*.dist`,
//!   `*.default`, `*.disabled` copies are never configuration.
//! - Any other file with a `server` block (no main file in the tree, or one
//!   in another folder: `conf.d/default.conf` for the official image, whose
//!   nginx.conf includes `/etc/nginx/conf.d/*.conf`) is judged on its own.
//!   Its relative includes try, per include, the nearest of the folder
//!   above holding an nginx.conf, the folder holding its conf.d /
//!   sites-enabled / http.d / templates, the `etc/nginx` of an image root;
//!   then the farther ones, the tree root and its own folder. An include
//!   found under none is reported and leaves the checks it could affect
//!   incomplete.
//!
//! Why hand-written: nginx's grammar is tiny (words, quoted strings, `;`,
//! `{ }`, `#` comments at the start of a token) and what matters is nginx's
//! own semantics (which directives inherit, that `add_header` at one level
//! replaces all inherited ones, that only enabled sites count), which no
//! crate implements; the parsers on crates.io (e.g. nginx-config) are
//! unmaintained and reject configs nginx itself accepts.

use std::collections::{BTreeMap, BTreeSet};

use aicomply_sdk::{Location, Scan, Severity};

use crate::checks::*;
use crate::source::Source;

/// One directive, with where it is written.
#[derive(Debug, Clone)]
pub struct Directive {
    pub name: String,
    pub args: Vec<String>,
    pub file: String,
    pub line: u32,
    pub block: Option<Vec<Directive>>,
}

impl Directive {
    fn loc(&self) -> Location {
        Location::target(self.file.clone()).line(self.line)
    }
    fn text(&self) -> String {
        let mut s = self.name.clone();
        for a in &self.args {
            s.push(' ');
            s.push_str(a);
        }
        aicomply_sdk::text::truncate(&s, 160)
    }
}

#[derive(Debug, PartialEq)]
enum Tok {
    Word(String, u32),
    Open(u32),
    Close(u32),
    Semi(u32),
}

/// Split nginx text into tokens. Quotes group (and may span lines), a
/// backslash escapes the next character, `#` starts a comment only where a
/// token could start, `${` inside a word is a variable, not a block.
fn tokenize(text: &str) -> Result<Vec<Tok>, String> {
    let mut out = Vec::new();
    let chars: Vec<char> = text.chars().collect();
    let (mut i, mut line) = (0usize, 1u32);
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\n' => {
                line += 1;
                i += 1;
            }
            c if c.is_whitespace() => i += 1,
            '#' => {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
            }
            '{' => {
                out.push(Tok::Open(line));
                i += 1;
            }
            '}' => {
                out.push(Tok::Close(line));
                i += 1;
            }
            ';' => {
                out.push(Tok::Semi(line));
                i += 1;
            }
            '"' | '\'' => {
                let start = line;
                let mut s = String::new();
                i += 1;
                loop {
                    let Some(&ch) = chars.get(i) else {
                        return Err(format!("unterminated quoted string from line {start}"));
                    };
                    i += 1;
                    if ch == '\\' {
                        if let Some(&n) = chars.get(i) {
                            if n == '\n' {
                                line += 1;
                            }
                            if n != c && n != '\\' {
                                s.push('\\');
                            }
                            s.push(n);
                            i += 1;
                        }
                        continue;
                    }
                    if ch == c {
                        break;
                    }
                    if ch == '\n' {
                        line += 1;
                    }
                    s.push(ch);
                }
                out.push(Tok::Word(s, start));
            }
            _ => {
                let mut s = String::new();
                let mut in_var = false;
                while i < chars.len() {
                    let ch = chars[i];
                    if in_var && ch == '}' {
                        s.push(ch);
                        in_var = false;
                        i += 1;
                        continue;
                    }
                    if ch.is_whitespace() || ch == ';' || ch == '}' || ch == '"' || ch == '\'' {
                        break;
                    }
                    if ch == '{' {
                        if !s.ends_with('$') {
                            break;
                        }
                        in_var = true;
                    }
                    if ch == '\\' && i + 1 < chars.len() {
                        s.push(ch);
                        s.push(chars[i + 1]);
                        i += 2;
                        continue;
                    }
                    s.push(ch);
                    i += 1;
                }
                out.push(Tok::Word(s, line));
            }
        }
    }
    Ok(out)
}

/// Parse a file into directives.
pub fn parse(text: &str, file: &str) -> Result<Vec<Directive>, String> {
    let toks = tokenize(text)?;
    let mut stack: Vec<(Directive, Vec<Directive>)> = Vec::new();
    let mut top: Vec<Directive> = Vec::new();
    let mut words: Vec<(String, u32)> = Vec::new();
    for t in toks {
        match t {
            Tok::Word(w, l) => words.push((w, l)),
            Tok::Semi(l) => {
                if words.is_empty() {
                    continue;
                }
                let d = make(&mut words, file, l)?;
                match stack.last_mut() {
                    Some((_, children)) => children.push(d),
                    None => top.push(d),
                }
            }
            Tok::Open(l) => {
                if words.is_empty() {
                    return Err(format!("line {l}: a block without a directive name"));
                }
                let d = make(&mut words, file, l)?;
                stack.push((d, Vec::new()));
                if stack.len() > 64 {
                    return Err("blocks nested deeper than 64 levels".into());
                }
            }
            Tok::Close(l) => {
                if !words.is_empty() {
                    return Err(format!("line {l}: directive without \";\" before \"}}\""));
                }
                let Some((mut d, children)) = stack.pop() else {
                    return Err(format!("line {l}: unexpected \"}}\""));
                };
                d.block = Some(children);
                match stack.last_mut() {
                    Some((_, c)) => c.push(d),
                    None => top.push(d),
                }
            }
        }
    }
    if !words.is_empty() {
        return Err(format!(
            "line {}: directive without \";\" at the end of the file",
            words[0].1
        ));
    }
    if let Some((d, _)) = stack.last() {
        return Err(format!(
            "line {}: block \"{}\" is not closed",
            d.line, d.name
        ));
    }
    Ok(top)
}

fn make(words: &mut Vec<(String, u32)>, file: &str, _end: u32) -> Result<Directive, String> {
    let mut it = words.drain(..);
    let (name, line) = it.next().expect("non-empty");
    Ok(Directive {
        name,
        args: it.map(|(w, _)| w).collect(),
        file: file.to_string(),
        line,
        block: None,
    })
}

/// Whether parsed directives look like nginx configuration (and not
/// another format that happens to tokenize).
pub fn looks_like_nginx(dirs: &[Directive], path_says_nginx: bool) -> bool {
    const BLOCKS: &[&str] = &["http", "server", "events", "location", "upstream", "stream"];
    const KNOWN: &[&str] = &[
        "ssl_protocols",
        "ssl_ciphers",
        "proxy_pass",
        "listen",
        "server_name",
        "limit_req_zone",
        "worker_processes",
        "include",
        "add_header",
        "ssl_certificate",
        "map",
        "upstream",
        "root",
        "error_log",
        "access_log",
    ];
    dirs.iter()
        .any(|d| d.block.is_some() && BLOCKS.contains(&d.name.as_str()))
        || (path_says_nginx && dirs.iter().any(|d| KNOWN.contains(&d.name.as_str())))
}

/// Files `include` never needs to find to judge the checks: they set no
/// TLS, header, rate-limit or auth directives.
const HARMLESS_INCLUDES: &[&str] = &[
    "mime.types",
    "fastcgi_params",
    "fastcgi.conf",
    "proxy_params",
    "uwsgi_params",
    "scgi_params",
    "koi-utf",
    "koi-win",
    "win-utf",
];

/// Where nginx installations keep their configuration: an absolute include
/// under one of these is looked for under the folder the main file is in.
const PREFIXES: &[&str] = &[
    "/etc/nginx/",
    "/usr/local/nginx/conf/",
    "/usr/local/etc/nginx/",
    "/opt/homebrew/etc/nginx/",
    "/opt/nginx/conf/",
    "/usr/local/openresty/nginx/conf/",
    "/etc/openresty/",
];

/// An include that could not be resolved: the directives it would have
/// added are unknown.
#[derive(Debug, Clone)]
pub struct Unresolved {
    pub file: String,
    pub line: u32,
    pub pattern: String,
}

/// Expands includes; remembers what it read and what it could not.
pub struct Expander<'a> {
    pub src: &'a dyn Source,
    /// The configuration prefix relative includes resolve against: the
    /// main file's folder; for a file judged on its own, the candidates in
    /// order (each include takes the first that names a file).
    pub conf_dirs: Vec<String>,
    /// The folders the includes point into (the part before any glob):
    /// with the prefix itself, the configuration tree of a main file.
    pub dirs: BTreeSet<String>,
    pub read: BTreeSet<String>,
    pub unresolved: Vec<Unresolved>,
    pub errors: Vec<(String, String)>,
    /// Enabled through a link (`sites-enabled/x` → `sites-available/x`).
    pub via_links: BTreeMap<String, String>,
}

fn join(dir: &str, rel: &str) -> String {
    let mut parts: Vec<&str> = if dir.is_empty() {
        Vec::new()
    } else {
        dir.split('/').collect()
    };
    for p in rel.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    parts.join("/")
}

fn parent(rel: &str) -> &str {
    rel.rsplit_once('/').map_or("", |(d, _)| d)
}

fn has_glob(s: &str) -> bool {
    s.contains(['*', '?', '['])
}

impl<'a> Expander<'a> {
    pub fn new(src: &'a dyn Source, conf_dir: &str) -> Self {
        Self::with_prefixes(src, vec![conf_dir.to_string()])
    }

    pub fn with_prefixes(src: &'a dyn Source, conf_dirs: Vec<String>) -> Self {
        Self {
            src,
            conf_dirs,
            dirs: BTreeSet::new(),
            read: BTreeSet::new(),
            unresolved: Vec::new(),
            errors: Vec::new(),
            via_links: BTreeMap::new(),
        }
    }

    /// Candidate patterns (relative to the target root) for an include.
    fn candidates(&self, pattern: &str) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(abs) = pattern.strip_prefix('/') {
            out.push(join("", abs));
            for dir in &self.conf_dirs {
                for p in PREFIXES {
                    if let Some(rest) = pattern.strip_prefix(p) {
                        out.push(join(dir, rest));
                    }
                }
                if let Some(rest) = pattern.strip_prefix("/etc/nginx") {
                    out.push(join(dir, rest));
                }
            }
        } else {
            // nginx resolves a relative path against its prefix (the main
            // file's folder), never against the including file's folder.
            for dir in &self.conf_dirs {
                out.push(join(dir, pattern));
            }
        }
        let mut seen = BTreeSet::new();
        out.retain(|c| seen.insert(c.clone()));
        out
    }

    /// A path (maybe a link) to a file in the target, resolved.
    pub fn resolve_file(&mut self, rel: &str) -> Option<String> {
        if self.src.is_file(rel) {
            return Some(rel.to_string());
        }
        let text = self.src.link_text(rel)?;
        let mut target = aicomply_sdk::fs::resolve_link(parent(rel), &text);
        if !target.as_deref().is_some_and(|t| self.src.is_file(t)) && text.starts_with('/') {
            target = self
                .candidates(&text)
                .into_iter()
                .find(|c| self.src.is_file(c));
        }
        let target = target.filter(|t| self.src.is_file(t))?;
        self.via_links.insert(target.clone(), rel.to_string());
        Some(target)
    }

    /// The files an include names, in nginx's (sorted) order.
    fn resolve(&mut self, pattern: &str) -> Vec<String> {
        for cand in self.candidates(pattern) {
            let fixed: Vec<&str> = cand.split('/').take_while(|p| !has_glob(p)).collect();
            let n = fixed.len().min(cand.split('/').count().saturating_sub(1));
            self.dirs.insert(fixed[..n].join("/"));
            let found = if has_glob(&cand) {
                let (dir, name) = cand.rsplit_once('/').unwrap_or(("", cand.as_str()));
                if has_glob(dir) {
                    let Ok(p) = glob::Pattern::new(&cand) else {
                        continue;
                    };
                    let opts = glob::MatchOptions {
                        require_literal_separator: true,
                        ..Default::default()
                    };
                    self.src
                        .files()
                        .into_iter()
                        .filter(|f| p.matches_with(f, opts))
                        .collect()
                } else {
                    let Ok(p) = glob::Pattern::new(name) else {
                        continue;
                    };
                    let mut names = self.src.list(dir);
                    names.sort();
                    let mut v = Vec::new();
                    for n in names
                        .into_iter()
                        .filter(|n| p.matches(n) && !n.starts_with('.'))
                    {
                        if let Some(f) = self.resolve_file(&join(dir, &n)) {
                            v.push(f);
                        }
                    }
                    v
                }
            } else {
                self.resolve_file(&cand).into_iter().collect::<Vec<_>>()
            };
            if !found.is_empty() {
                return found;
            }
        }
        Vec::new()
    }

    /// Replace every `include` in `dirs` (recursively) by what it names.
    pub fn expand(&mut self, dirs: Vec<Directive>, stack: &mut Vec<String>) -> Vec<Directive> {
        let mut out = Vec::new();
        for mut d in dirs {
            if d.name == "include" && d.block.is_none() {
                let Some(pattern) = d.args.first().cloned() else {
                    continue;
                };
                let files = self.resolve(&pattern);
                if files.is_empty() {
                    let base = pattern.rsplit('/').next().unwrap_or(&pattern);
                    if !has_glob(&pattern) && !HARMLESS_INCLUDES.contains(&base) {
                        self.unresolved.push(Unresolved {
                            file: d.file.clone(),
                            line: d.line,
                            pattern: pattern.clone(),
                        });
                        // Keep a marker: levels with it have unknown settings.
                        d.name = "#unresolved-include".into();
                        out.push(d);
                    }
                    continue;
                }
                for f in files {
                    if stack.contains(&f) || stack.len() > 16 {
                        self.errors.push((
                            d.file.clone(),
                            format!("line {}: include of {f} loops", d.line),
                        ));
                        continue;
                    }
                    let text = match self.src.read(&f) {
                        Ok(t) => t,
                        Err(e) => {
                            self.errors.push((f.clone(), e));
                            d.name = "#unresolved-include".into();
                            out.push(d.clone());
                            continue;
                        }
                    };
                    self.read.insert(f.clone());
                    match parse(&text, &f) {
                        Ok(parsed) => {
                            stack.push(f.clone());
                            out.extend(self.expand(parsed, stack));
                            stack.pop();
                        }
                        Err(e) => {
                            self.errors.push((f.clone(), e));
                            d.name = "#unresolved-include".into();
                            out.push(d.clone());
                        }
                    }
                }
                continue;
            }
            if let Some(block) = d.block.take() {
                d.block = Some(self.expand(block, stack));
            }
            out.push(d);
        }
        out
    }
}

/// Settings that flow from http to server to location.
#[derive(Clone, Default)]
struct Inherited<'a> {
    protocols: Option<&'a Directive>,
    ciphers: Option<&'a Directive>,
    limit_req: Vec<&'a Directive>,
    auth: Option<&'a Directive>,
    /// An `if` that refuses with 401/403, `deny all`, `internal`.
    guarded: Option<&'a Directive>,
    headers: Vec<&'a Directive>,
    unknown: Option<&'a Directive>,
}

impl<'a> Inherited<'a> {
    fn apply(&self, block: &'a [Directive]) -> Self {
        let mut next = self.clone();
        let (mut limits, mut headers) = (Vec::new(), Vec::new());
        for d in block {
            match d.name.as_str() {
                "ssl_protocols" => next.protocols = Some(d),
                "ssl_ciphers" => next.ciphers = Some(d),
                "limit_req" => limits.push(d),
                "add_header" => headers.push(d),
                "auth_request" | "auth_basic" | "auth_jwt" | "auth_oidc" => {
                    if d.args.first().is_some_and(|a| a == "off") {
                        if next.auth.is_some_and(|a| a.name == d.name) {
                            next.auth = None;
                        }
                    } else {
                        next.auth = Some(d);
                    }
                }
                "deny" if d.args.first().is_some_and(|a| a == "all") => next.guarded = Some(d),
                "internal" => next.guarded = Some(d),
                "if" if d.block.as_ref().is_some_and(|b| refuses(b)) => next.guarded = Some(d),
                "#unresolved-include" => next.unknown = Some(d),
                _ => {}
            }
        }
        if !limits.is_empty() {
            next.limit_req = limits;
        }
        if !headers.is_empty() {
            next.headers = headers;
        }
        next
    }

    fn header(&self, name: &str) -> Option<&'a Directive> {
        self.headers
            .iter()
            .find(|d| d.args.first().is_some_and(|a| a.eq_ignore_ascii_case(name)))
            .copied()
    }
}

fn refuses(block: &[Directive]) -> bool {
    block
        .iter()
        .any(|d| d.name == "return" && d.args.first().is_some_and(|c| c == "401" || c == "403"))
}

/// A redirect to https: `return 301 https://...`, `rewrite ^ https://...`.
fn redirects_to_https(d: &Directive) -> bool {
    let target = match d.name.as_str() {
        "return" => d.args.get(1).or(d.args.first()),
        "rewrite" => d.args.get(1),
        _ => None,
    };
    target.is_some_and(|t| t.starts_with("https://"))
}

fn block_redirects(block: &[Directive]) -> bool {
    block.iter().any(|d| {
        redirects_to_https(d)
            || (d.name == "if"
                && d.args.join(" ").contains("$scheme")
                && d.block
                    .as_ref()
                    .is_some_and(|b| b.iter().any(redirects_to_https)))
    })
}

const PROXY: &[&str] = &["proxy_pass", "grpc_pass", "uwsgi_pass"];

/// Locations that are not the API: health checks, metrics, ACME, static files.
fn not_api(uri: &str) -> bool {
    let u = uri
        .trim_start_matches(['=', '~', '*', '^', ' '])
        .to_ascii_lowercase();
    let first = u
        .trim_matches(|c: char| !c.is_ascii_alphanumeric() && c != '.')
        .split(['/', '$', '(', '|'])
        .next()
        .unwrap_or("")
        .to_string();
    [
        "health",
        "healthz",
        "healthcheck",
        "ready",
        "readyz",
        "live",
        "livez",
        "ping",
        "status",
        "nginx_status",
        "metrics",
        "static",
        "assets",
        "favicon.ico",
        "robots.txt",
        ".well-known",
        "oauth2",
    ]
    .contains(&first.as_str())
}

/// What the checks of one configuration found.
#[derive(Default)]
pub struct Outcome {
    pub proxy_locations: usize,
    pub tls_servers: usize,
    pub servers: usize,
}

struct Judge<'s, 'a> {
    scan: &'s mut Scan,
    seen: BTreeSet<(&'static str, String, u32)>,
    zones: BTreeSet<String>,
    via_links: &'a BTreeMap<String, String>,
    app: &'a AppSignals,
    out: Outcome,
}

/// What the application code in the target does itself: where it checks
/// credentials (FastAPI `APIKeyHeader`, `OAuth2PasswordBearer`, ...) and
/// limits rates (slowapi, flask-limiter). A proxy without its own check in
/// front of such an app is reported as info, not as a failure.
#[derive(Debug, Default, Clone)]
pub struct AppSignals {
    pub auth: Option<String>,
    pub rate: Option<String>,
}

impl AppSignals {
    const AUTH: &'static [&'static str] = &[
        "APIKeyHeader(",
        "APIKeyQuery(",
        "HTTPBearer(",
        "HTTPBasic(",
        "OAuth2PasswordBearer(",
        "OAuth2AuthorizationCodeBearer(",
        "OpenIdConnect(",
        "verify_api_key",
        "check_api_key",
        "validate_api_key",
        "@login_required",
        "@jwt_required",
    ];
    const RATE: &'static [&'static str] = &[
        "from slowapi",
        "import slowapi",
        "fastapi_limiter",
        "flask_limiter",
        "RateLimiter(",
        "@limiter.limit",
    ];

    /// Note what a Python file shows.
    pub fn observe(&mut self, path: &str, text: &str) {
        if self.auth.is_none()
            && let Some(m) = Self::AUTH.iter().find(|m| text.contains(*m))
        {
            self.auth = Some(format!("{} in {path}", m.trim_end_matches('(')));
        }
        if self.rate.is_none()
            && let Some(m) = Self::RATE.iter().find(|m| text.contains(*m))
        {
            self.rate = Some(format!("{} in {path}", m.trim_end_matches('(')));
        }
    }
}

impl Judge<'_, '_> {
    fn once(&mut self, check: &'static str, d: &Directive) -> bool {
        self.seen.insert((check, d.file.clone(), d.line))
    }
    fn where_(&self, d: &Directive) -> String {
        match self.via_links.get(&d.file) {
            Some(link) => format!(" (enabled through {link})"),
            None => String::new(),
        }
    }
}

/// Judge one expanded configuration: `top` is the main file's directives
/// (or a standalone file's, read as if inside `http {}`).
pub fn judge(
    top: &[Directive],
    standalone: bool,
    via_links: &BTreeMap<String, String>,
    app: &AppSignals,
    scan: &mut Scan,
) -> Outcome {
    let mut zones = BTreeSet::new();
    collect_zones(top, &mut zones);
    let mut j = Judge {
        scan,
        seen: BTreeSet::new(),
        zones,
        via_links,
        app,
        out: Outcome::default(),
    };
    let root = Inherited::default();
    if standalone {
        let http = root.apply(top);
        for s in top.iter().filter(|d| d.name == "server") {
            server(&mut j, s, &http);
        }
    }
    for h in top.iter().filter(|d| d.name == "http") {
        let block = h.block.as_deref().unwrap_or(&[]);
        let http = root.apply(block);
        for s in block.iter().filter(|d| d.name == "server") {
            server(&mut j, s, &http);
        }
    }
    j.out
}

fn collect_zones(dirs: &[Directive], zones: &mut BTreeSet<String>) {
    for d in dirs {
        if d.name == "limit_req_zone" {
            for a in &d.args {
                if let Some(z) = a.strip_prefix("zone=") {
                    zones.insert(z.split(':').next().unwrap_or("").to_string());
                }
            }
        }
        if let Some(b) = &d.block {
            collect_zones(b, zones);
        }
    }
}

struct Listen {
    ssl: bool,
    internal: bool,
}

fn listens(block: &[Directive]) -> Vec<(Listen, Option<&Directive>)> {
    let ssl_on = block
        .iter()
        .any(|d| d.name == "ssl" && d.args.first().is_some_and(|a| a == "on"));
    let v: Vec<_> = block
        .iter()
        .filter(|d| d.name == "listen")
        .map(|d| {
            let addr = d.args.first().map(String::as_str).unwrap_or("");
            let internal = addr.starts_with("127.")
                || addr.starts_with("localhost")
                || addr.starts_with("[::1]")
                || addr.starts_with("unix:");
            let ssl = ssl_on || d.args.iter().any(|a| a == "ssl" || a == "quic");
            (Listen { ssl, internal }, Some(d))
        })
        .collect();
    if v.is_empty() {
        vec![(
            Listen {
                ssl: ssl_on,
                internal: false,
            },
            None,
        )]
    } else {
        v
    }
}

fn version_rank(v: &str) -> Option<u8> {
    Some(match v {
        "SSLv2" => 0,
        "SSLv3" => 1,
        "TLSv1" => 2,
        "TLSv1.1" => 3,
        "TLSv1.2" => 4,
        "TLSv1.3" => 5,
        _ => return None,
    })
}

/// Judge a protocol list (nginx / HAProxy spelling): `None` when only TLS
/// 1.3 is allowed, else the severity and what is wrong.
pub fn judge_versions(versions: &[&str]) -> Option<(Severity, String)> {
    let old: Vec<&str> = versions
        .iter()
        .copied()
        .filter(|v| version_rank(v).is_some_and(|r| r < 4))
        .collect();
    if !old.is_empty() {
        return Some((
            Severity::High,
            format!("allows {}, which are deprecated (RFC 8996)", old.join(", ")),
        ));
    }
    if versions.contains(&"TLSv1.2") {
        return Some((
            Severity::Low,
            "allows TLS 1.2 besides 1.3; the baseline asks for TLS 1.3 only".into(),
        ));
    }
    None
}

const WEAK_CIPHERS: &[&str] = &[
    "RC4",
    "DES",
    "3DES",
    "MD5",
    "NULL",
    "EXPORT",
    "EXP",
    "ANULL",
    "ENULL",
    "ADH",
    "AECDH",
    "LOW",
    "IDEA",
    "SEED",
    "RC2",
    "DES-CBC3-SHA",
];

/// The weak parts of an OpenSSL cipher string (negated ones excluded).
pub fn weak_ciphers(spec: &str) -> Vec<String> {
    spec.split([':', ',', ' '])
        .filter(|t| !t.is_empty() && !t.starts_with(['!', '-']))
        .map(|t| t.trim_start_matches('+'))
        .filter(|t| {
            let up = t.to_ascii_uppercase();
            up == "ALL"
                || up
                    .split(['-', '+', '_'])
                    .any(|part| WEAK_CIPHERS.contains(&part))
                || up.contains("3DES")
                || up.starts_with("EXP")
        })
        .map(str::to_string)
        .collect()
}

fn server(j: &mut Judge, s: &Directive, http: &Inherited) {
    let block = s.block.as_deref().unwrap_or(&[]);
    let inh = http.apply(block);
    j.out.servers += 1;
    let ls = listens(block);
    let tls = ls.iter().any(|(l, _)| l.ssl);
    let plain: Vec<_> = ls.iter().filter(|(l, _)| !l.ssl && !l.internal).collect();
    let all_internal = ls.iter().all(|(l, _)| l.internal);
    let refuses_all = block.iter().any(|d| {
        d.name == "return"
            && d.args
                .first()
                .is_some_and(|c| c == "444" || c.starts_with('4') || c.starts_with('5'))
    });
    let redirects = block_redirects(block);
    let via = j.where_(s);

    // The proxying locations, with their inherited settings.
    let mut locs = Vec::new();
    locations(block, &inh, &mut locs);

    if tls && !all_internal {
        j.out.tls_servers += 1;
        // Protocols.
        match inh.protocols {
            Some(d) => {
                let versions: Vec<&str> = d.args.iter().map(String::as_str).collect();
                if let Some((sev, why)) = judge_versions(&versions)
                    && j.once(NGINX_TLS_PROTOCOL, d)
                {
                    let via = j.where_(d);
                    j.scan
                        .finding(NGINX_TLS_PROTOCOL, format!("`{}` {why}{via}", d.text()))
                        .at(d.loc())
                        .evidence(d.text())
                        .severity(sev);
                }
            }
            None => match inh.unknown {
                Some(u) => j.scan.incomplete(
                    NGINX_TLS_PROTOCOL,
                    format!(
                        "{}:{}: include {} was not found in the target; ssl_protocols may be set there",
                        u.file,
                        u.line,
                        u.args.first().map(String::as_str).unwrap_or("")
                    ),
                ),
                None => {
                    if j.once(NGINX_TLS_PROTOCOL, s) {
                        j.scan
                            .finding(
                                NGINX_TLS_PROTOCOL,
                                format!("TLS server without ssl_protocols{via}: nginx's default allows TLS 1.2 (1.23.4 and later) or TLSv1, TLSv1.1 and TLSv1.2 (earlier releases)"),
                            )
                            .at(s.loc());
                    }
                }
            },
        }
        // Ciphers matter only when something below TLS 1.3 is allowed.
        let below_13 = inh
            .protocols
            .is_none_or(|d| d.args.iter().any(|a| a != "TLSv1.3"));
        if below_13 && let Some(d) = inh.ciphers {
            let weak = weak_ciphers(&d.args.join(":"));
            if !weak.is_empty() && j.once(NGINX_WEAK_CIPHERS, d) {
                let via = j.where_(d);
                j.scan
                    .finding(
                        NGINX_WEAK_CIPHERS,
                        format!("ssl_ciphers enables weak suites: {}{via}", weak.join(", ")),
                    )
                    .at(d.loc())
                    .evidence(d.text());
            }
        }
        // HSTS at server level, and locations whose own add_header drops it.
        if !refuses_all && !redirects {
            match inh.header("Strict-Transport-Security") {
                Some(h) if hsts_ok(h) => {
                    for (l, linh) in &locs {
                        if linh.header("Strict-Transport-Security").is_none()
                            && j.once(NGINX_HSTS, l)
                        {
                            let via = j.where_(l);
                            j.scan
                                .finding(
                                    NGINX_HSTS,
                                    format!("location {} has add_header of its own, which replaces the server's: Strict-Transport-Security is not sent there{via}", l.args.join(" ")),
                                )
                                .at(l.loc());
                        }
                    }
                }
                Some(h) => {
                    if j.once(NGINX_HSTS, h) {
                        j.scan
                            .finding(
                                NGINX_HSTS,
                                "Strict-Transport-Security with max-age=0 turns HSTS off",
                            )
                            .at(h.loc())
                            .evidence(h.text());
                    }
                }
                None => {
                    if inh.unknown.is_none() && j.once(NGINX_HSTS, s) {
                        j.scan
                            .finding(
                                NGINX_HSTS,
                                format!(
                                    "TLS server{} sends no Strict-Transport-Security header{via}",
                                    server_names(block)
                                ),
                            )
                            .at(s.loc());
                    } else if inh.unknown.is_some() {
                        j.scan.incomplete(
                            NGINX_HSTS,
                            "an include was not found in the target; add_header may be set there",
                        );
                    }
                }
            }
        }
    }

    // Plain HTTP that serves the API instead of redirecting.
    if !plain.is_empty() && !redirects && !refuses_all {
        let served: Vec<_> = locs
            .iter()
            .filter(|(l, _)| {
                !l.block
                    .as_deref()
                    .is_some_and(|b| b.iter().any(redirects_to_https))
            })
            .collect();
        if !served.is_empty() {
            let anchor = plain[0].1.unwrap_or(s);
            if j.once(NGINX_PLAINTEXT, anchor) {
                let via = j.where_(anchor);
                j.scan
                    .finding(
                        NGINX_PLAINTEXT,
                        format!(
                            "server{} listens without TLS and proxies {} to the API instead of redirecting to https{via}",
                            server_names(block),
                            served[0].0.args.join(" ")
                        ),
                    )
                    .at(anchor.loc())
                    .evidence(anchor.text());
            }
        }
    }

    // CORS at server level and in each location.
    cors(j, &inh);
    for (_, linh) in &locs {
        cors(j, linh);
    }

    // Rate limits and authentication, per proxying location of a server
    // that serves (not one that only redirects).
    if redirects || refuses_all || all_internal {
        return;
    }
    for (l, linh) in &locs {
        if l.block
            .as_deref()
            .is_some_and(|b| b.iter().any(redirects_to_https))
        {
            continue;
        }
        let uri = l.args.last().map(String::as_str).unwrap_or("");
        if not_api(uri) {
            continue;
        }
        let target = l
            .block
            .as_deref()
            .unwrap_or(&[])
            .iter()
            .find(|d| PROXY.contains(&d.name.as_str()))
            .and_then(|d| d.args.first())
            .cloned()
            .unwrap_or_default();
        if target.contains("oauth2-proxy") || target.contains("oauth2_proxy") {
            continue;
        }
        if linh.guarded.is_some_and(|g| g.name == "internal") {
            continue;
        }
        j.out.proxy_locations += 1;
        let via = j.where_(l);
        // Routes that do not look like model serving are judged one step
        // lower: the upstream may be an ordinary web backend with its own
        // sessions.
        let inference = looks_like_inference(uri, &target);
        let (mut rate_sev, mut auth_sev) = if inference {
            (Severity::Medium, Severity::High)
        } else {
            (Severity::Low, Severity::Medium)
        };
        let mut rate_note = String::new();
        let mut auth_note = String::new();
        if let Some(a) = &j.app.auth {
            auth_sev = Severity::Info;
            auth_note = format!(
                "; the application checks credentials itself ({a}): make sure every route depends on it"
            );
        }
        if let Some(r) = &j.app.rate {
            rate_sev = Severity::Info;
            rate_note = format!("; the application limits rates itself ({r})");
        }
        if linh.limit_req.is_empty() {
            if linh.unknown.is_some() {
                j.scan.incomplete(
                    NGINX_RATE_LIMIT,
                    "an include was not found in the target; limit_req may be set there",
                );
            } else if j.once(NGINX_RATE_LIMIT, l) {
                j.scan
                    .finding(
                        NGINX_RATE_LIMIT,
                        format!("location {} proxies to {target} with no limit_req here or inherited from server/http{via}{rate_note}", l.args.join(" ")),
                    )
                    .at(l.loc())
                    .severity(rate_sev);
            }
        } else {
            for d in &linh.limit_req {
                let zone = d
                    .args
                    .iter()
                    .find_map(|a| a.strip_prefix("zone="))
                    .unwrap_or("");
                if !j.zones.contains(zone) && j.once(NGINX_RATE_LIMIT, d) {
                    j.scan
                        .finding(
                            NGINX_RATE_LIMIT,
                            format!("limit_req uses zone {zone:?}, which no limit_req_zone defines (nginx refuses to start; no limit applies)"),
                        )
                        .at(d.loc())
                        .evidence(d.text());
                }
            }
        }
        if linh.auth.is_none() && linh.guarded.is_none() {
            if linh.unknown.is_some() {
                j.scan.incomplete(
                    NGINX_NO_AUTH,
                    "an include was not found in the target; auth_request may be set there",
                );
            } else if j.once(NGINX_NO_AUTH, l) {
                j.scan
                    .finding(
                        NGINX_NO_AUTH,
                        format!("location {} proxies to {target} without auth_request, auth_basic, auth_jwt or a refusing check (unless the upstream checks credentials itself, anyone reaching nginx can call it){via}{auth_note}", l.args.join(" ")),
                    )
                    .at(l.loc())
                    .severity(auth_sev);
            }
        }
    }
}

/// Whether a location (its URI and upstream) looks like a model-serving
/// API: OpenAI-style `/v1/`, KServe/Triton `/v2/`, `generate`, `predict`,
/// `embeddings`, or an upstream named like a model server.
fn looks_like_inference(uri: &str, target: &str) -> bool {
    const WORDS: &[&str] = &[
        "v1",
        "v2",
        "completions",
        "chat",
        "generate",
        "generate_stream",
        "predict",
        "predictions",
        "infer",
        "embeddings",
        "models",
        "invocations",
    ];
    crate::kubernetes::is_inference_text(target)
        || crate::kubernetes::is_inference_text(uri)
        || uri
            .to_ascii_lowercase()
            .split(|c: char| !c.is_ascii_alphanumeric() && c != '_')
            .any(|w| WORDS.contains(&w))
}

fn server_names(block: &[Directive]) -> String {
    block
        .iter()
        .find(|d| d.name == "server_name")
        .map(|d| format!(" {}", d.args.join(" ")))
        .unwrap_or_default()
}

fn hsts_ok(h: &Directive) -> bool {
    let v = h
        .args
        .get(1)
        .map(|s| s.to_ascii_lowercase())
        .unwrap_or_default();
    !v.replace(' ', "").contains("max-age=0")
}

fn cors(j: &mut Judge, inh: &Inherited) {
    let (Some(origin), Some(cred)) = (
        inh.header("Access-Control-Allow-Origin"),
        inh.header("Access-Control-Allow-Credentials"),
    ) else {
        return;
    };
    let o = origin.args.get(1).map(String::as_str).unwrap_or("");
    let c = cred
        .args
        .get(1)
        .map(|s| s.eq_ignore_ascii_case("true"))
        .unwrap_or(false);
    if c && (o == "*" || o == "$http_origin") && j.once(CORS_WILDCARD, origin) {
        let what = if o == "*" {
            "`*` (browsers refuse it with credentials, so this usually ends up reflecting the origin)"
        } else {
            "whatever Origin the request sends"
        };
        j.scan
            .finding(
                CORS_WILDCARD,
                format!("Access-Control-Allow-Origin is {what}, with Access-Control-Allow-Credentials: true"),
            )
            .at(origin.loc())
            .evidence(origin.text());
    }
}

/// Every proxying location (nested ones too), with what it inherits.
fn locations<'a>(
    block: &'a [Directive],
    inh: &Inherited<'a>,
    out: &mut Vec<(&'a Directive, Inherited<'a>)>,
) {
    for d in block.iter().filter(|d| d.name == "location") {
        let b = d.block.as_deref().unwrap_or(&[]);
        let linh = inh.apply(b);
        if b.iter().any(|x| PROXY.contains(&x.name.as_str())) {
            out.push((d, linh.clone()));
        }
        locations(b, &linh, out);
    }
}
