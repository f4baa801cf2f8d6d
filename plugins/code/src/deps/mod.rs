//! CODE-1 for Python dependencies: `requirements*.txt` (with `-r`/`-c`
//! followed, environment markers, continuation lines, per-requirement
//! `--hash`), `pyproject.toml` (PEP 621, PEP 735 groups, Poetry, uv),
//! lock files (`poetry.lock`, `uv.lock`, `pdm.lock`, `pylock.toml`,
//! `Pipfile.lock`) and `pip.conf`: unpinned requirements, missing hashes,
//! plain-HTTP, extra and trusted indexes, VCS references to mutable refs,
//! direct URLs without a hash, and known-vulnerable pinned versions (see
//! [`advisories`]).
//!
//! Collect with [`Deps::scan_file`], judge with [`Deps::finish`].

pub mod advisories;
pub mod pep440;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use aicomply_sdk::{Check, Location, Scan, Severity};

use advisories::Database;
use pep440::{Version, normalize_name};

pub const UNPINNED: &str = "CODE-DEPS-UNPINNED";
pub const NO_HASHES: &str = "CODE-DEPS-NO-HASHES";
pub const INSECURE_INDEX: &str = "CODE-DEPS-INSECURE-INDEX";
pub const EXTRA_INDEX: &str = "CODE-DEPS-EXTRA-INDEX";
pub const TRUSTED_HOST: &str = "CODE-DEPS-TRUSTED-HOST";
pub const VCS_MUTABLE: &str = "CODE-DEPS-VCS-MUTABLE-REF";
pub const URL_NO_HASH: &str = "CODE-DEPS-URL-WITHOUT-HASH";
pub const KNOWN_VULNERABLE: &str = "CODE-DEPS-KNOWN-VULNERABLE";
pub const ADVISORY_DATABASE: &str = "CODE-DEPS-ADVISORY-DATABASE";

pub const DEPS_CHECKS: &[&str] = &[
    UNPINNED,
    NO_HASHES,
    INSECURE_INDEX,
    EXTRA_INDEX,
    TRUSTED_HOST,
    VCS_MUTABLE,
    URL_NO_HASH,
    KNOWN_VULNERABLE,
    ADVISORY_DATABASE,
];

const PIP_REQS: &str = "https://pip.pypa.io/en/stable/reference/requirements-file-format/";
const PIP_HASHES: &str = "https://pip.pypa.io/en/stable/topics/secure-installs/";

pub fn catalogue() -> Vec<Check> {
    vec![
        Check::new(
            UNPINNED,
            "CODE-1",
            Severity::Medium,
            "Dependency not pinned to an exact version",
            "Pin every requirement with `==` (or install from a lock file: pip-compile --generate-hashes, uv lock, poetry lock), so each build installs the versions that were reviewed and scanned.",
            &[PIP_REQS, "https://pip-tools.readthedocs.io/"],
        ),
        Check::new(
            NO_HASHES,
            "CODE-1",
            Severity::Low,
            "Requirements installed without hash checking",
            "Add `--hash=sha256:...` to every requirement (pip-compile --generate-hashes or uv pip compile --generate-hashes) so pip refuses a file that differs from the reviewed one.",
            &[PIP_HASHES],
        ),
        Check::new(
            INSECURE_INDEX,
            "CODE-1",
            Severity::High,
            "Packages fetched over plain HTTP",
            "Use https:// for every index, find-links and direct URL; over http anyone on the path can replace the packages.",
            &[PIP_REQS],
        ),
        Check::new(
            EXTRA_INDEX,
            "CODE-1",
            Severity::Medium,
            "Extra package index allows dependency confusion",
            "pip picks the highest version across --index-url and every --extra-index-url, so a public package can shadow an internal one. Serve everything from one index (a proxy that mirrors PyPI), or use uv's default first-index strategy.",
            &[
                "https://pip.pypa.io/en/stable/cli/pip_install/#cmdoption-extra-index-url",
                "https://docs.astral.sh/uv/configuration/indexes/#searching-across-multiple-indexes",
            ],
        ),
        Check::new(
            TRUSTED_HOST,
            "CODE-1",
            Severity::High,
            "Package index TLS verification disabled (trusted host)",
            "Remove --trusted-host / verify_ssl = false / allow-insecure-host and give the index a valid certificate (or add its CA with --cert).",
            &["https://pip.pypa.io/en/stable/cli/pip/#cmdoption-trusted-host"],
        ),
        Check::new(
            VCS_MUTABLE,
            "CODE-1",
            Severity::Medium,
            "VCS dependency on a branch or tag instead of a commit",
            "Reference a full commit hash (git+https://...@<40-hex sha>, Poetry rev = / uv rev = a commit): branches and tags move.",
            &["https://pip.pypa.io/en/stable/topics/vcs-support/"],
        ),
        Check::new(
            URL_NO_HASH,
            "CODE-1",
            Severity::Medium,
            "Direct URL dependency without a hash",
            "Add #sha256=<digest> to the URL (or --hash=) so the downloaded archive is verified.",
            &[PIP_HASHES],
        ),
        Check::new(
            KNOWN_VULNERABLE,
            "CODE-1",
            Severity::High,
            "Pinned dependency version has a known vulnerability",
            "Upgrade to a fixed version (the finding names the advisory and the first fixed release) and re-lock; check the advisory for whether the vulnerable code path is used.",
            &["https://osv.dev/", "https://github.com/advisories"],
        ),
        Check::new(
            ADVISORY_DATABASE,
            "CODE-1",
            Severity::Info,
            "Vulnerability database used for pinned versions",
            "For a complete check, grant an OSV database: download osv.dev's PyPI export (all.zip), unpack it and pass --root osv=DIR --grant code=fs-read:osv.",
            &["https://google.github.io/osv.dev/data/#data-dumps"],
        ),
    ]
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Requirements,
    Pyproject,
    PoetryLock,
    UvLock,
    PdmLock,
    Pylock,
    PipfileLock,
    Pipfile,
    PipConf,
}

fn vendored(relative: &str) -> bool {
    let p = format!("/{relative}");
    [
        "/node_modules/",
        "/site-packages/",
        "/.venv/",
        "/venv/",
        "/.tox/",
        "/dist-packages/",
    ]
    .iter()
    .any(|v| p.contains(v))
}

fn classify(relative: &str) -> Option<Kind> {
    if vendored(relative) {
        return None;
    }
    let name = relative.rsplit('/').next().unwrap_or(relative);
    let lower = name.to_ascii_lowercase();
    let dir = &relative[..relative.len() - name.len()];
    Some(match lower.as_str() {
        "pyproject.toml" => Kind::Pyproject,
        "poetry.lock" => Kind::PoetryLock,
        "uv.lock" => Kind::UvLock,
        "pdm.lock" => Kind::PdmLock,
        "pipfile.lock" => Kind::PipfileLock,
        "pipfile" => Kind::Pipfile,
        "pip.conf" | "pip.ini" => Kind::PipConf,
        _ if lower == "pylock.toml"
            || (lower.starts_with("pylock.") && lower.ends_with(".toml")) =>
        {
            Kind::Pylock
        }
        _ if (lower.ends_with(".txt") || lower.ends_with(".pip"))
            && (lower.contains("requirement") || lower.contains("constraint")) =>
        {
            Kind::Requirements
        }
        _ if lower.ends_with(".txt") && dir.to_ascii_lowercase().ends_with("requirements/") => {
            Kind::Requirements
        }
        _ => return None,
    })
}

/// Whether [`Deps::scan_file`] reads this file.
pub fn wants(relative: &str) -> bool {
    classify(relative).is_some()
}

/// The checks a path the walk did not examine mattered to.
pub fn gap_checks(relative: &str) -> Vec<&'static str> {
    if wants(relative) {
        DEPS_CHECKS.to_vec()
    } else {
        Vec::new()
    }
}

/// An exact version pinned somewhere, for the vulnerability check.
#[derive(Debug, Clone)]
struct Pin {
    package: String,
    version: String,
    path: String,
    line: u32,
}

/// One requirement line.
#[derive(Debug, Clone, Default)]
struct Req {
    name: Option<String>,
    /// The exact version, if pinned with `==`/`===` (no wildcard).
    pinned: Option<String>,
    specifier: String,
    url: Option<String>,
    hashes: bool,
    editable: bool,
    line: u32,
}

#[derive(Debug, Default)]
struct ReqFile {
    reqs: Vec<Req>,
    includes: Vec<(bool /* constraint */, String, u32)>,
    require_hashes: bool,
}

#[derive(Default)]
pub struct Deps {
    requirements: BTreeMap<String, ReqFile>,
    pins: Vec<Pin>,
    files: usize,
    /// Folders with a lock file (pyproject pinning is the lock's job there).
    locked_dirs: BTreeSet<String>,
    /// pyproject dependencies without any version, judged at the end.
    pyproject_unpinned: Vec<(String, String, u32)>,
    pyproject_vcs: Vec<(String, String, u32, String)>,
    osv: Option<(PathBuf, String)>,
}

fn dir_of(relative: &str) -> String {
    match relative.rfind('/') {
        Some(i) => relative[..=i].to_string(),
        None => String::new(),
    }
}

fn find_line(text: &str, needle: &str) -> u32 {
    text.lines()
        .position(|l| l.contains(needle))
        .map(|i| i as u32 + 1)
        .unwrap_or(1)
}

fn is_full_sha(r: &str) -> bool {
    (r.len() == 40 || r.len() == 64) && r.bytes().all(|b| b.is_ascii_hexdigit())
}

/// A VCS URL's ref (`git+https://host/x.git@ref#egg=`), if it is not a commit.
fn mutable_vcs_ref(url: &str) -> Option<String> {
    let lower = url.to_ascii_lowercase();
    if !["git+", "hg+", "svn+", "bzr+"]
        .iter()
        .any(|p| lower.starts_with(p))
    {
        return None;
    }
    let no_frag = url.split('#').next().unwrap_or(url);
    // The ref follows the last `@` after the host part.
    let after_scheme = no_frag.split_once("://").map(|(_, r)| r).unwrap_or(no_frag);
    let path = after_scheme.split_once('/').map(|(_, p)| p).unwrap_or("");
    match path.rsplit_once('@') {
        Some((_, r)) if is_full_sha(r) => None,
        Some((_, r)) => Some(format!("`{r}`")),
        None => Some("the default branch".to_string()),
    }
}

fn url_has_hash(url: &str) -> bool {
    url.split_once('#').is_some_and(|(_, f)| {
        f.split('&').any(|p| {
            p.starts_with("sha256=") || p.starts_with("sha384=") || p.starts_with("sha512=")
        })
    })
}

/// `name[extras] (spec) ; marker` or `name @ url` (PEP 508), without options.
fn parse_requirement(s: &str, line: u32) -> Req {
    let mut req = Req {
        line,
        ..Req::default()
    };
    let s = s.split(';').next().unwrap_or(s).trim();
    let lower = s.to_ascii_lowercase();
    let archive =
        (lower.ends_with(".whl") || lower.ends_with(".tar.gz") || lower.ends_with(".zip"))
            && !s.contains('@');
    if [
        "git+", "hg+", "svn+", "bzr+", "http://", "https://", "file:", "./", "../", "/",
    ]
    .iter()
    .any(|p| lower.starts_with(p))
        || archive
    {
        req.url = Some(s.to_string());
        req.name = s
            .split("#egg=")
            .nth(1)
            .map(|e| e.split('&').next().unwrap_or(e).to_string());
        return req;
    }
    let end = s
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
        .unwrap_or(s.len());
    if end == 0 {
        return req;
    }
    req.name = Some(s[..end].to_string());
    let mut rest = s[end..].trim();
    if rest.starts_with('[') {
        rest = rest.split_once(']').map(|(_, r)| r.trim()).unwrap_or("");
    }
    if let Some(url) = rest.strip_prefix('@') {
        req.url = Some(url.trim().to_string());
        return req;
    }
    let spec = rest.trim_start_matches('(').trim_end_matches(')').trim();
    req.specifier = spec.to_string();
    let clauses: Vec<&str> = spec
        .split(',')
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect();
    for c in &clauses {
        let v = c.strip_prefix("===").or_else(|| c.strip_prefix("=="));
        if let Some(v) = v {
            let v = v.trim();
            if !v.contains('*') {
                req.pinned = Some(v.to_string());
            }
        }
    }
    req
}

/// Options of a requirements line that matter here.
fn option<'a>(tokens: &'a [&'a str], i: usize, names: &[&str]) -> Option<(&'a str, usize)> {
    let t = tokens[i];
    for n in names {
        if t == *n {
            return tokens.get(i + 1).map(|v| (*v, 2));
        }
        if let Some(v) = t.strip_prefix(n).and_then(|r| r.strip_prefix('=')) {
            return Some((v, 1));
        }
        // `-rfile` short form
        if n.len() == 2 && !n.starts_with("--") && t.len() > 2 && t.starts_with(n) {
            return Some((&t[2..], 1));
        }
    }
    None
}

impl Deps {
    pub fn new() -> Self {
        Self::default()
    }

    /// Use an OSV database mounted at `path` (the granted root `name`) in
    /// addition to the curated set.
    pub fn set_osv_root(&mut self, path: impl Into<PathBuf>, name: &str) {
        self.osv = Some((path.into(), name.to_string()));
    }

    /// Read one dependency file (see [`wants`]). Per-file findings are
    /// recorded now; returns whether the file was one.
    pub fn scan_file(&mut self, relative: &str, text: &str, scan: &mut Scan) -> bool {
        let Some(kind) = classify(relative) else {
            return false;
        };
        self.files += 1;
        match kind {
            Kind::Requirements => {
                let file = self.requirements_file(relative, text, scan);
                self.requirements.insert(relative.to_string(), file);
            }
            Kind::PipConf => pip_conf(relative, text, scan),
            Kind::PipfileLock => self.pipfile_lock(relative, text, scan),
            _ => {
                if matches!(
                    kind,
                    Kind::PoetryLock | Kind::UvLock | Kind::PdmLock | Kind::Pylock
                ) {
                    self.locked_dirs.insert(dir_of(relative));
                }
                match text.parse::<toml::Table>() {
                    Ok(table) => match kind {
                        Kind::Pyproject => self.pyproject(relative, text, &table, scan),
                        Kind::Pipfile => pipfile(relative, text, &table, scan),
                        _ => self.lock(relative, text, &table, kind, scan),
                    },
                    Err(e) => {
                        let reason = format!("{relative} could not be parsed: {}", e.message());
                        scan.diagnostic(Location::target(relative), reason.clone());
                        for c in DEPS_CHECKS {
                            scan.incomplete(c, reason.clone());
                        }
                    }
                }
            }
        }
        true
    }

    fn requirements_file(&mut self, path: &str, text: &str, scan: &mut Scan) -> ReqFile {
        let mut file = ReqFile::default();
        let lines: Vec<&str> = text.lines().collect();
        let mut i = 0;
        while i < lines.len() {
            let start = i as u32 + 1;
            let mut logical = String::new();
            loop {
                let l = lines[i].trim_end_matches('\r');
                i += 1;
                if let Some(c) = l.strip_suffix('\\') {
                    logical.push_str(c);
                    logical.push(' ');
                    if i < lines.len() {
                        continue;
                    }
                } else {
                    logical.push_str(l);
                }
                break;
            }
            // pip: a comment starts at `#` at line start or after whitespace.
            let content = match logical
                .char_indices()
                .find(|(j, c)| *c == '#' && (*j == 0 || logical[..*j].ends_with([' ', '\t'])))
            {
                Some((j, _)) => &logical[..j],
                None => logical.as_str(),
            };
            let content = content.trim();
            if content.is_empty() {
                continue;
            }
            let tokens: Vec<&str> = content.split_whitespace().collect();
            let mut req_text = Vec::new();
            let mut req_hashes = false;
            let mut editable = false;
            let mut j = 0;
            while j < tokens.len() {
                if let Some((v, n)) = option(&tokens, j, &["-r", "--requirement"]) {
                    file.includes.push((false, v.to_string(), start));
                    j += n;
                } else if let Some((v, n)) = option(&tokens, j, &["-c", "--constraint"]) {
                    file.includes.push((true, v.to_string(), start));
                    j += n;
                } else if let Some((v, n)) = option(&tokens, j, &["-i", "--index-url"]) {
                    index_url(path, start, v, false, scan);
                    j += n;
                } else if let Some((v, n)) = option(&tokens, j, &["--extra-index-url"]) {
                    index_url(path, start, v, true, scan);
                    j += n;
                } else if let Some((v, n)) = option(&tokens, j, &["-f", "--find-links"]) {
                    if v.to_ascii_lowercase().starts_with("http://") {
                        scan.finding(INSECURE_INDEX, format!("--find-links {v} is plain HTTP"))
                            .at(Location::target(path).line(start));
                    }
                    j += n;
                } else if let Some((v, n)) = option(&tokens, j, &["--trusted-host"]) {
                    scan.finding(
                        TRUSTED_HOST,
                        format!(
                            "--trusted-host {v}: pip does not verify TLS for it (and accepts http)"
                        ),
                    )
                    .at(Location::target(path).line(start));
                    j += n;
                } else if tokens[j].starts_with("--hash") {
                    req_hashes = true;
                    j += if tokens[j].contains('=') { 1 } else { 2 };
                } else if tokens[j] == "--require-hashes" {
                    file.require_hashes = true;
                    j += 1;
                } else if let Some((v, n)) = option(&tokens, j, &["-e", "--editable"]) {
                    editable = true;
                    req_text.push(v);
                    j += n;
                } else if tokens[j].starts_with('-') {
                    // Options that take a value, so it is not a requirement.
                    let takes = [
                        "--no-binary",
                        "--only-binary",
                        "--global-option",
                        "--config-settings",
                        "--platform",
                        "--python-version",
                        "--implementation",
                        "--abi",
                        "--use-feature",
                    ];
                    j += if takes.contains(&tokens[j]) { 2 } else { 1 };
                } else {
                    req_text.push(tokens[j]);
                    j += 1;
                }
            }
            if req_text.is_empty() {
                continue;
            }
            let mut req = parse_requirement(&req_text.join(" "), start);
            req.hashes = req_hashes;
            req.editable = editable;
            if let Some(url) = &req.url {
                if url.to_ascii_lowercase().starts_with("http://")
                    || url.to_ascii_lowercase().starts_with("git+http://")
                {
                    scan.finding(INSECURE_INDEX, format!("{url} is fetched over plain HTTP"))
                        .at(Location::target(path).line(start));
                }
                if let Some(r) = mutable_vcs_ref(url) {
                    scan.finding(VCS_MUTABLE, format!("{url} follows {r}, which can move"))
                        .at(Location::target(path).line(start));
                } else if (url.starts_with("http://") || url.starts_with("https://"))
                    && !url_has_hash(url)
                    && !req.hashes
                {
                    scan.finding(
                        URL_NO_HASH,
                        format!("{url} is downloaded without a hash to verify it"),
                    )
                    .at(Location::target(path).line(start));
                }
            }
            if let (Some(name), Some(version)) = (&req.name, &req.pinned) {
                self.pins.push(Pin {
                    package: name.clone(),
                    version: version.clone(),
                    path: path.to_string(),
                    line: start,
                });
            }
            file.reqs.push(req);
        }
        file
    }

    fn pyproject(&mut self, path: &str, text: &str, t: &toml::Table, scan: &mut Scan) {
        let mut deps: Vec<String> = Vec::new();
        let strings = |v: Option<&toml::Value>| -> Vec<String> {
            v.and_then(|v| v.as_array())
                .map(|a| {
                    a.iter()
                        .filter_map(|x| x.as_str().map(String::from))
                        .collect()
                })
                .unwrap_or_default()
        };
        let project = t.get("project");
        deps.extend(strings(project.and_then(|p| p.get("dependencies"))));
        if let Some(opt) = project
            .and_then(|p| p.get("optional-dependencies"))
            .and_then(|o| o.as_table())
        {
            for v in opt.values() {
                deps.extend(strings(Some(v)));
            }
        }
        if let Some(groups) = t.get("dependency-groups").and_then(|g| g.as_table()) {
            for v in groups.values() {
                deps.extend(strings(Some(v)));
            }
        }
        let tool = t.get("tool");
        let uv = tool.and_then(|x| x.get("uv"));
        deps.extend(strings(uv.and_then(|u| u.get("dev-dependencies"))));
        for d in &deps {
            let line = find_line(text, &format!("\"{d}")).max(find_line(text, &format!("'{d}")));
            let req = parse_requirement(d, line);
            let Some(name) = req.name.clone() else {
                continue;
            };
            if let Some(url) = &req.url {
                if let Some(r) = mutable_vcs_ref(url) {
                    self.pyproject_vcs.push((
                        path.to_string(),
                        format!("{name} @ {url} follows {r}, which can move"),
                        line,
                        name.clone(),
                    ));
                }
                if url.starts_with("http://") {
                    scan.finding(
                        INSECURE_INDEX,
                        format!("{name} is fetched over plain HTTP ({url})"),
                    )
                    .at(Location::target(path).line(line));
                }
                continue;
            }
            if req.specifier.trim().is_empty() {
                self.pyproject_unpinned
                    .push((path.to_string(), name.clone(), line));
            }
            if let Some(v) = &req.pinned {
                self.pins.push(Pin {
                    package: name,
                    version: v.clone(),
                    path: path.to_string(),
                    line,
                });
            }
        }
        // Poetry: [tool.poetry.dependencies] and groups.
        let poetry = tool.and_then(|x| x.get("poetry"));
        let mut tables: Vec<&toml::Table> = Vec::new();
        for key in ["dependencies", "dev-dependencies"] {
            if let Some(d) = poetry.and_then(|p| p.get(key)).and_then(|d| d.as_table()) {
                tables.push(d);
            }
        }
        if let Some(groups) = poetry
            .and_then(|p| p.get("group"))
            .and_then(|g| g.as_table())
        {
            for g in groups.values() {
                if let Some(d) = g.get("dependencies").and_then(|d| d.as_table()) {
                    tables.push(d);
                }
            }
        }
        for table in tables {
            for (name, spec) in table {
                if name == "python" {
                    continue;
                }
                let line =
                    find_line(text, &format!("{name} ")).max(find_line(text, &format!("{name}=")));
                let version = match spec {
                    toml::Value::String(s) => Some(s.clone()),
                    toml::Value::Table(t) => {
                        if let Some(git) = t.get("git").and_then(|g| g.as_str()) {
                            let rev = t.get("rev").and_then(|r| r.as_str());
                            let branch = t.get("branch").or(t.get("tag")).and_then(|b| b.as_str());
                            if !rev.is_some_and(is_full_sha) {
                                let what = branch
                                    .or(rev)
                                    .map(|b| format!("`{b}`"))
                                    .unwrap_or_else(|| "the default branch".into());
                                self.pyproject_vcs.push((
                                    path.to_string(),
                                    format!("{name} = git {git} follows {what}, which can move"),
                                    line,
                                    name.clone(),
                                ));
                            }
                            None
                        } else if t.get("path").is_some() || t.get("url").is_some() {
                            None
                        } else {
                            t.get("version")
                                .and_then(|v| v.as_str())
                                .map(String::from)
                                .or(Some(String::new()))
                        }
                    }
                    _ => None,
                };
                let Some(version) = version else { continue };
                let v = version.trim();
                if v.is_empty() || v == "*" {
                    self.pyproject_unpinned
                        .push((path.to_string(), name.clone(), line));
                } else if let Some(exact) = v
                    .strip_prefix("==")
                    .or_else(|| (Version::parse(v).is_some()).then_some(v))
                {
                    // Poetry reads a bare version as ==.
                    self.pins.push(Pin {
                        package: name.clone(),
                        version: exact.trim().to_string(),
                        path: path.to_string(),
                        line,
                    });
                }
            }
        }
        // Sources and indexes.
        let mut sources: Vec<(&str, String)> = Vec::new();
        for (key, label) in [("source", "tool.poetry.source")] {
            for s in poetry
                .and_then(|p| p.get(key))
                .and_then(|s| s.as_array())
                .into_iter()
                .flatten()
            {
                if let Some(u) = s.get("url").and_then(|u| u.as_str()) {
                    sources.push((label, u.to_string()));
                }
            }
        }
        for s in uv
            .and_then(|u| u.get("index"))
            .and_then(|s| s.as_array())
            .into_iter()
            .flatten()
        {
            if let Some(u) = s.get("url").and_then(|u| u.as_str()) {
                sources.push(("tool.uv.index", u.to_string()));
            }
        }
        for key in ["index-url", "extra-index-url", "find-links"] {
            match uv.and_then(|u| u.get(key)) {
                Some(toml::Value::String(s)) => sources.push(("tool.uv", s.clone())),
                Some(toml::Value::Array(a)) => sources.extend(
                    a.iter()
                        .filter_map(|x| x.as_str().map(|s| ("tool.uv", s.to_string()))),
                ),
                _ => {}
            }
        }
        for s in tool
            .and_then(|x| x.get("pdm"))
            .and_then(|p| p.get("source"))
            .and_then(|s| s.as_array())
            .into_iter()
            .flatten()
        {
            if let Some(u) = s.get("url").and_then(|u| u.as_str()) {
                sources.push(("tool.pdm.source", u.to_string()));
            }
            if s.get("verify_ssl").and_then(|v| v.as_bool()) == Some(false) {
                scan.finding(TRUSTED_HOST, "a [[tool.pdm.source]] has verify_ssl = false")
                    .at(Location::target(path).line(find_line(text, "verify_ssl")));
            }
        }
        for (label, url) in sources {
            if url.to_ascii_lowercase().starts_with("http://") {
                scan.finding(INSECURE_INDEX, format!("{label} index {url} is plain HTTP"))
                    .at(Location::target(path).line(find_line(text, &url)));
            }
        }
        if uv
            .and_then(|u| u.get("index-strategy"))
            .and_then(|s| s.as_str())
            == Some("unsafe-best-match")
        {
            scan.finding(EXTRA_INDEX, "uv index-strategy = \"unsafe-best-match\" picks the highest version across all indexes")
                .at(Location::target(path).line(find_line(text, "index-strategy")));
        }
        if let Some(hosts) = uv.and_then(|u| u.get("allow-insecure-host")) {
            scan.finding(
                TRUSTED_HOST,
                format!(
                    "uv allow-insecure-host = {}",
                    hosts
                        .as_array()
                        .map(|a| a
                            .iter()
                            .filter_map(|x| x.as_str())
                            .collect::<Vec<_>>()
                            .join(", "))
                        .or(hosts.as_str().map(String::from))
                        .unwrap_or_default()
                ),
            )
            .at(Location::target(path).line(find_line(text, "allow-insecure-host")));
        }
        // uv sources with git.
        if let Some(src) = uv.and_then(|u| u.get("sources")).and_then(|s| s.as_table()) {
            for (name, s) in src {
                if let Some(git) = s.get("git").and_then(|g| g.as_str()) {
                    let rev = s.get("rev").and_then(|r| r.as_str());
                    if !rev.is_some_and(is_full_sha) {
                        let what = s
                            .get("branch")
                            .or(s.get("tag"))
                            .or(s.get("rev"))
                            .and_then(|b| b.as_str())
                            .map(|b| format!("`{b}`"))
                            .unwrap_or_else(|| "the default branch".into());
                        let line = find_line(text, git);
                        self.pyproject_vcs.push((
                            path.to_string(),
                            format!("{name} = git {git} follows {what}, which can move"),
                            line,
                            name.clone(),
                        ));
                    }
                }
            }
        }
    }

    fn lock(&mut self, path: &str, text: &str, t: &toml::Table, kind: Kind, scan: &mut Scan) {
        let key = if kind == Kind::Pylock {
            "packages"
        } else {
            "package"
        };
        for p in t.get(key).and_then(|p| p.as_array()).into_iter().flatten() {
            let (Some(name), Some(version)) = (
                p.get("name").and_then(|n| n.as_str()),
                p.get("version").and_then(|v| v.as_str()),
            ) else {
                continue;
            };
            let line = find_line(text, &format!("name = \"{name}\""));
            self.pins.push(Pin {
                package: name.to_string(),
                version: version.to_string(),
                path: path.to_string(),
                line,
            });
            // uv: source = { registry = "http://..." }
            if let Some(reg) = p
                .get("source")
                .and_then(|s| s.get("registry"))
                .and_then(|r| r.as_str())
                && reg.starts_with("http://")
            {
                scan.finding(
                    INSECURE_INDEX,
                    format!("{name} {version} is locked from the plain-HTTP index {reg}"),
                )
                .at(Location::target(path).line(line));
            }
        }
    }

    fn pipfile_lock(&mut self, path: &str, text: &str, scan: &mut Scan) {
        let v: serde_json::Value = match serde_json::from_str(text) {
            Ok(v) => v,
            Err(e) => {
                let reason = format!("{path} could not be parsed: {e}");
                scan.diagnostic(Location::target(path), reason.clone());
                for c in DEPS_CHECKS {
                    scan.incomplete(c, reason.clone());
                }
                return;
            }
        };
        self.locked_dirs.insert(dir_of(path));
        for s in v["_meta"]["sources"].as_array().into_iter().flatten() {
            let url = s["url"].as_str().unwrap_or("");
            if url.starts_with("http://") {
                scan.finding(INSECURE_INDEX, format!("source {url} is plain HTTP"))
                    .at(Location::target(path).line(find_line(text, url)));
            }
            if s["verify_ssl"].as_bool() == Some(false) {
                scan.finding(TRUSTED_HOST, format!("source {url} has verify_ssl: false"))
                    .at(Location::target(path).line(find_line(text, url)));
            }
        }
        let mut unhashed = Vec::new();
        for section in ["default", "develop"] {
            for (name, p) in v[section].as_object().into_iter().flatten() {
                let line = find_line(text, &format!("\"{name}\""));
                if let Some(version) = p["version"].as_str().and_then(|s| s.strip_prefix("==")) {
                    self.pins.push(Pin {
                        package: name.clone(),
                        version: version.to_string(),
                        path: path.to_string(),
                        line,
                    });
                }
                if p.get("git").is_none()
                    && p.get("path").is_none()
                    && p["hashes"].as_array().is_none_or(|h| h.is_empty())
                {
                    unhashed.push(name.clone());
                }
            }
        }
        if !unhashed.is_empty() {
            scan.finding(
                NO_HASHES,
                format!(
                    "{} locked package(s) without hashes: {}",
                    unhashed.len(),
                    unhashed.join(", ")
                ),
            )
            .at(Location::target(path));
        }
    }

    /// Whole-tree judgements. `read` returns a target file's text by its
    /// relative path; it is asked for `-r`/`-c` files not scanned already.
    pub fn finish(mut self, scan: &mut Scan, read: &mut dyn FnMut(&str) -> Result<String, String>) {
        // Follow includes to files the walk did not route here.
        for _ in 0..8 {
            let missing: Vec<String> = self
                .requirements
                .iter()
                .flat_map(|(p, f)| f.includes.iter().map(move |(_, inc, _)| resolve(p, inc)))
                .filter(|p| !self.requirements.contains_key(p) && !p.contains("://"))
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect();
            if missing.is_empty() {
                break;
            }
            for p in missing {
                let file = match read(&p) {
                    Ok(text) => self.requirements_file(&p, &text, scan),
                    Err(e) => {
                        let reason = format!(
                            "{p}, referenced by a requirements file, could not be read: {e}"
                        );
                        scan.diagnostic(Location::target(p.clone()), reason.clone());
                        for c in [UNPINNED, NO_HASHES, KNOWN_VULNERABLE] {
                            scan.incomplete(c, reason.clone());
                        }
                        ReqFile::default()
                    }
                };
                self.files += 1;
                self.requirements.insert(p, file);
            }
        }
        if self.files == 0 {
            for c in DEPS_CHECKS {
                scan.not_checked(c, "no Python dependency files (requirements*.txt, pyproject.toml, lock files) in the target");
            }
            return;
        }
        for c in DEPS_CHECKS {
            if *c != KNOWN_VULNERABLE && *c != ADVISORY_DATABASE {
                scan.evaluated(c);
            }
        }
        // Which files are constraints of others.
        let constraint_files: BTreeSet<String> = self
            .requirements
            .iter()
            .flat_map(|(p, f)| {
                f.includes
                    .iter()
                    .filter(|i| i.0)
                    .map(move |(_, inc, _)| resolve(p, inc))
            })
            .collect();
        for (path, file) in &self.requirements {
            if constraint_files.contains(path) {
                continue;
            }
            // Versions pinned by the constraints this file applies.
            let mut constrained = BTreeSet::new();
            let mut stack: Vec<String> = vec![path.clone()];
            let mut seen = BTreeSet::new();
            let mut hash_mode = file.require_hashes || file.reqs.iter().any(|r| r.hashes);
            while let Some(p) = stack.pop() {
                if !seen.insert(p.clone()) {
                    continue;
                }
                if let Some(f) = self.requirements.get(&p) {
                    for (is_c, inc, _) in &f.includes {
                        let r = resolve(&p, inc);
                        if *is_c && let Some(cf) = self.requirements.get(&r) {
                            for req in &cf.reqs {
                                if let (Some(n), Some(_)) = (&req.name, &req.pinned) {
                                    constrained.insert(normalize_name(n));
                                }
                            }
                        }
                        stack.push(r);
                    }
                    if p != *path && (f.require_hashes || f.reqs.iter().any(|r| r.hashes)) {
                        hash_mode = true;
                    }
                }
            }
            let mut unhashed = 0;
            for req in &file.reqs {
                if req.url.is_some() || req.editable {
                    continue;
                }
                let Some(name) = &req.name else { continue };
                if req.pinned.is_none() && !constrained.contains(&normalize_name(name)) {
                    let spec = if req.specifier.is_empty() {
                        "any version".to_string()
                    } else {
                        format!("`{}`", req.specifier)
                    };
                    scan.finding(UNPINNED, format!("{name} is not pinned ({spec})"))
                        .at(Location::target(path.clone()).line(req.line));
                }
                if !req.hashes {
                    unhashed += 1;
                }
            }
            if unhashed > 0 && !hash_mode {
                scan.finding(
                    NO_HASHES,
                    format!("{unhashed} requirement(s) of this file are installed without --hash"),
                )
                .at(Location::target(path.clone()));
            }
        }
        for (path, name, line) in &self.pyproject_unpinned {
            if !self.locked_dirs.contains(&dir_of(path)) {
                scan.finding(UNPINNED, format!("{name} has no version constraint, and no lock file (uv.lock, poetry.lock, pdm.lock, pylock.toml) is next to this pyproject.toml"))
                    .at(Location::target(path.clone()).line(*line));
            }
        }
        for (path, message, line, _) in &self.pyproject_vcs {
            if !self.locked_dirs.contains(&dir_of(path)) {
                scan.finding(VCS_MUTABLE, message.clone())
                    .at(Location::target(path.clone()).line(*line));
            }
        }
        self.vulnerabilities(scan);
    }

    fn vulnerabilities(&self, scan: &mut Scan) {
        let pins: Vec<(&Pin, Version)> = self
            .pins
            .iter()
            .filter_map(|p| Version::parse(&p.version).map(|v| (p, v)))
            .collect();
        if pins.is_empty() {
            scan.not_checked(
                KNOWN_VULNERABLE,
                "no exact versions are pinned, so none can be compared with advisories",
            );
            scan.not_checked(ADVISORY_DATABASE, "no exact versions are pinned");
            return;
        }
        let mut db = Database::curated();
        let mut osv_error = None;
        if let Some((root, name)) = &self.osv {
            let wanted: BTreeSet<String> = pins
                .iter()
                .map(|(p, _)| normalize_name(&p.package))
                .collect();
            if let Err(e) = db.load_osv(root, name, &wanted) {
                osv_error = Some(e);
            }
        }
        let mut reported = BTreeSet::new();
        for (pin, version) in &pins {
            let found = db.matching(&pin.package, version);
            if found.is_empty()
                || !reported.insert((
                    pin.path.clone(),
                    normalize_name(&pin.package),
                    version.to_string(),
                ))
            {
                continue;
            }
            let list: Vec<String> = found
                .iter()
                .map(|a| {
                    let aliases = if a.aliases.is_empty() {
                        String::new()
                    } else {
                        format!(" ({})", a.aliases.join(", "))
                    };
                    let fixed = a
                        .fixed(version)
                        .map(|f| format!(", fixed in {f}"))
                        .unwrap_or_else(|| ", no fixed version".into());
                    format!("{}{aliases}: {}{fixed}", a.id, a.summary)
                })
                .collect();
            scan.finding(
                KNOWN_VULNERABLE,
                format!(
                    "{} {} is affected by {} advisor{}: {}",
                    pin.package,
                    pin.version,
                    found.len(),
                    if found.len() == 1 { "y" } else { "ies" },
                    list.join("; ")
                ),
            )
            .at(Location::target(pin.path.clone()).line(pin.line))
            .evidence(format!("checked against {}", db.sources.join(" and ")));
        }
        scan.evaluated(KNOWN_VULNERABLE);
        let mut message = format!(
            "{} pinned version(s) checked against {}",
            pins.len(),
            db.sources.join(" and ")
        );
        if let Some(e) = &osv_error {
            message.push_str(&format!("; {e}"));
            scan.incomplete(KNOWN_VULNERABLE, e.clone());
        } else if self.osv.is_none() {
            message.push_str(
                "; no OSV database was granted, so only the curated set's packages were checked",
            );
        }
        let first = &pins[0].0;
        scan.finding(ADVISORY_DATABASE, message)
            .at(Location::target(first.path.clone()));
    }
}

/// An include path, relative to the including file's folder.
fn resolve(from: &str, include: &str) -> String {
    let dir = dir_of(from);
    let mut parts: Vec<&str> = dir.split('/').filter(|p| !p.is_empty()).collect();
    for p in include.split('/') {
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

fn index_url(path: &str, line: u32, url: &str, extra: bool, scan: &mut Scan) {
    if url.to_ascii_lowercase().starts_with("http://") {
        scan.finding(INSECURE_INDEX, format!("index {url} is plain HTTP"))
            .at(Location::target(path).line(line));
    }
    if extra {
        scan.finding(
            EXTRA_INDEX,
            format!("--extra-index-url {url}: pip installs the highest version found on any index"),
        )
        .at(Location::target(path).line(line));
    }
}

/// pip.conf / pip.ini: `index-url`, `extra-index-url`, `trusted-host`.
fn pip_conf(path: &str, text: &str, scan: &mut Scan) {
    let mut key = String::new();
    for (i, raw) in text.lines().enumerate() {
        let line = i as u32 + 1;
        let l = raw.trim();
        if l.starts_with('#') || l.starts_with(';') || l.starts_with('[') || l.is_empty() {
            continue;
        }
        let value =
            if let Some((k, v)) = l.split_once('=').filter(|_| !raw.starts_with([' ', '\t'])) {
                key = k.trim().to_ascii_lowercase();
                v.trim()
            } else {
                l // continuation of a multi-value key
            };
        for v in value.split_whitespace() {
            match key.as_str() {
                "index-url" | "index_url" => index_url(path, line, v, false, scan),
                "extra-index-url" | "extra_index_url" => index_url(path, line, v, true, scan),
                "trusted-host" | "trusted_host" => {
                    scan.finding(
                        TRUSTED_HOST,
                        format!("trusted-host {v}: pip does not verify TLS for it"),
                    )
                    .at(Location::target(path).line(line));
                }
                "find-links" | "find_links" if v.starts_with("http://") => {
                    scan.finding(INSECURE_INDEX, format!("find-links {v} is plain HTTP"))
                        .at(Location::target(path).line(line));
                }
                _ => {}
            }
        }
    }
}

/// Pipfile: `[[source]]` with http or verify_ssl = false.
fn pipfile(path: &str, text: &str, t: &toml::Table, scan: &mut Scan) {
    for s in t
        .get("source")
        .and_then(|s| s.as_array())
        .into_iter()
        .flatten()
    {
        let url = s.get("url").and_then(|u| u.as_str()).unwrap_or("");
        let line = find_line(text, url);
        if url.starts_with("http://") {
            scan.finding(INSECURE_INDEX, format!("source {url} is plain HTTP"))
                .at(Location::target(path).line(line));
        }
        if s.get("verify_ssl").and_then(|v| v.as_bool()) == Some(false) {
            scan.finding(TRUSTED_HOST, format!("source {url} has verify_ssl = false"))
                .at(Location::target(path).line(line));
        }
    }
}

#[cfg(test)]
mod tests;
