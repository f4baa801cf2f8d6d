//! A Dockerfile reader with BuildKit's semantics, and the Dockerfile rules.
//!
//! Hand-written because no maintained Rust crate parses Dockerfiles. What it
//! follows from the Dockerfile reference:
//! - a UTF-8 byte-order mark and CRLF line ends are accepted;
//! - parser directives (`# escape=\``) only at the very top;
//! - comment lines (`#` as first non-blank) are dropped, also between
//!   continuation lines, and so are empty continuation lines;
//! - a line ending in the escape character continues the instruction;
//! - heredocs (`<<EOF`, `<<-EOF`, `<<"EOF"`) on RUN, COPY and ADD: the body
//!   lines up to the terminator belong to the instruction, not the parser;
//! - instruction keywords are case-insensitive;
//! - `$VAR`, `${VAR}`, `${VAR:-default}` in FROM are expanded from the ARGs
//!   declared before the first FROM, and in USER from the stage's ARG/ENV.

use std::collections::HashMap;

use aicomply_sdk::text::{redact, truncate};
use aicomply_sdk::{Location, Scan, Severity};

use crate::builds::LocalImages;
use crate::checks;

/// One instruction, with continuation lines joined.
#[derive(Debug, Clone, PartialEq)]
pub struct Instruction {
    /// Upper-cased keyword, e.g. `FROM`.
    pub keyword: String,
    /// Everything after the keyword, continuation lines joined by a space.
    pub args: String,
    /// 1-based line of the keyword.
    pub line: u32,
    /// Heredoc bodies that follow the instruction.
    pub heredocs: Vec<String>,
}

/// Split a Dockerfile into instructions.
pub fn parse(text: &str) -> Vec<Instruction> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let lines: Vec<&str> = text
        .split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .collect();
    let mut escape = '\\';
    let mut i = 0;

    // Parser directives: `# key=value` lines before anything else.
    while i < lines.len() {
        let Some(rest) = lines[i].trim().strip_prefix('#') else {
            break;
        };
        let Some((key, value)) = rest.split_once('=') else {
            break;
        };
        let key = key.trim().to_ascii_lowercase();
        if key.is_empty() || key.contains(char::is_whitespace) {
            break;
        }
        if key == "escape"
            && let Some(c) = value.trim().chars().next()
        {
            escape = c;
        }
        i += 1;
    }

    let mut out = Vec::new();
    while i < lines.len() {
        let trimmed = lines[i].trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            i += 1;
            continue;
        }
        let start = i;
        let mut logical = String::new();
        loop {
            let line = lines[i].trim_end();
            let (body, continues) = match line.strip_suffix(escape) {
                Some(body) => (body, true),
                None => (line, false),
            };
            if !logical.is_empty() {
                logical.push(' ');
            }
            logical.push_str(body.trim());
            i += 1;
            if !continues {
                break;
            }
            // Skip comment and empty lines inside a continuation.
            while i < lines.len() && {
                let t = lines[i].trim();
                t.is_empty() || t.starts_with('#')
            } {
                i += 1;
            }
            if i >= lines.len() {
                break;
            }
        }
        let (keyword, args) = match logical.split_once(char::is_whitespace) {
            Some((k, a)) => (k.to_ascii_uppercase(), a.trim().to_string()),
            None => (logical.to_ascii_uppercase(), String::new()),
        };
        let mut heredocs = Vec::new();
        if matches!(keyword.as_str(), "RUN" | "COPY" | "ADD") {
            for (terminator, strip_tabs) in heredoc_terminators(&args) {
                let mut body = String::new();
                while i < lines.len() {
                    let raw = lines[i];
                    i += 1;
                    let candidate = if strip_tabs {
                        raw.trim_start_matches('\t')
                    } else {
                        raw
                    };
                    if candidate == terminator {
                        break;
                    }
                    body.push_str(candidate);
                    body.push('\n');
                }
                heredocs.push(body);
            }
        }
        out.push(Instruction {
            keyword,
            args,
            line: start as u32 + 1,
            heredocs,
        });
    }
    out
}

/// The terminators of the heredocs an instruction opens, in order, with
/// whether `<<-` asks for leading tabs to be stripped.
fn heredoc_terminators(args: &str) -> Vec<(String, bool)> {
    let mut out = Vec::new();
    let mut rest = args;
    while let Some(pos) = rest.find("<<") {
        let mut after = &rest[pos + 2..];
        let strip = after.starts_with('-');
        if strip {
            after = &after[1..];
        }
        let quote = after.chars().next().filter(|c| *c == '"' || *c == '\'');
        if let Some(q) = quote {
            after = &after[1..];
            let end = after.find(q).unwrap_or(after.len());
            let word = &after[..end];
            if !word.is_empty() {
                out.push((word.to_string(), strip));
            }
            rest = &after[end..];
        } else {
            let end = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            let word = &after[..end];
            if !word.is_empty()
                && word
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            {
                out.push((word.to_string(), strip));
            }
            rest = &after[end..];
        }
    }
    out
}

/// A build stage: its FROM and the instructions after it.
#[derive(Debug, Clone)]
pub struct Stage {
    pub from: Instruction,
    /// The base image after ARG expansion (`None` if a variable is unset).
    pub image: Option<String>,
    /// `AS name`, lower-cased (stage names are case-insensitive).
    pub name: Option<String>,
    /// The earlier stage it is built FROM: the last one before it of that
    /// name. Found once here; looking it up by name for every stage took
    /// time quadratic in the number of stages.
    pub parent: Option<usize>,
    pub body: Vec<Instruction>,
}

/// Group instructions into stages, expanding the global ARGs in FROM.
pub fn stages(instructions: &[Instruction]) -> Vec<Stage> {
    let mut global_args = HashMap::new();
    let mut stages: Vec<Stage> = Vec::new();
    // Stage name → the last stage of that name so far.
    let mut named: HashMap<String, usize> = HashMap::new();
    for ins in instructions {
        match (ins.keyword.as_str(), stages.last_mut()) {
            ("FROM", _) => {
                let words: Vec<&str> = ins
                    .args
                    .split_whitespace()
                    .filter(|w| !w.starts_with("--"))
                    .collect();
                let image = words.first().and_then(|w| expand(w, &global_args));
                let name = match words.as_slice() {
                    [_, as_kw, name, ..] if as_kw.eq_ignore_ascii_case("as") => {
                        Some(name.to_ascii_lowercase())
                    }
                    _ => None,
                };
                let parent = image
                    .as_deref()
                    .and_then(|i| named.get(&i.to_ascii_lowercase()).copied());
                if let Some(n) = &name {
                    named.insert(n.clone(), stages.len());
                }
                stages.push(Stage {
                    from: ins.clone(),
                    image,
                    name,
                    parent,
                    body: Vec::new(),
                });
            }
            ("ARG", None) => {
                for (k, v) in key_values(&ins.args, true) {
                    // An ARG's default may use the ARGs above it.
                    let v = v.unwrap_or_default();
                    let v = expand(&v, &global_args).unwrap_or(v);
                    global_args.insert(k, v);
                }
            }
            (_, Some(stage)) => stage.body.push(ins.clone()),
            (_, None) => {}
        }
    }
    stages
}

/// Expand `$VAR`, `${VAR}` and `${VAR:-default}`; `None` if a variable has
/// no value (so the caller knows it cannot judge the result).
pub fn expand(word: &str, vars: &HashMap<String, String>) -> Option<String> {
    let mut out = String::new();
    let mut chars = word.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '$' {
            out.push(c);
            continue;
        }
        let (name, default) = if chars.peek() == Some(&'{') {
            chars.next();
            let inner: String = chars.by_ref().take_while(|c| *c != '}').collect();
            match inner.split_once(":-") {
                Some((n, d)) => (n.to_string(), Some(d.to_string())),
                None => (inner, None),
            }
        } else {
            let mut name = String::new();
            while let Some(&c) = chars.peek() {
                if c.is_ascii_alphanumeric() || c == '_' {
                    name.push(c);
                    chars.next();
                } else {
                    break;
                }
            }
            (name, None)
        };
        match vars
            .get(&name)
            .filter(|v| !v.is_empty())
            .cloned()
            .or(default)
        {
            Some(v) => out.push_str(&v),
            None => return None,
        }
    }
    Some(out)
}

/// Parse `KEY=VALUE` pairs (quotes removed) of ENV, LABEL or ARG. The
/// legacy `ENV KEY value with spaces` form is one pair. For ARG
/// (`arg = true`) a bare `NAME` is a pair without value.
pub fn key_values(args: &str, arg: bool) -> Vec<(String, Option<String>)> {
    let words = shell_words(args);
    if words.is_empty() {
        return Vec::new();
    }
    if !arg && !words[0].contains('=') {
        // ENV key value (legacy form): the rest of the line is the value.
        let value = args.trim()[words[0].len()..].trim();
        return vec![(words[0].clone(), Some(unquote(value)))];
    }
    words
        .into_iter()
        .map(|w| match w.split_once('=') {
            Some((k, v)) => (k.to_string(), Some(v.to_string())),
            None => (w, None),
        })
        .collect()
}

/// Split on unquoted whitespace, removing quotes and backslash escapes.
fn shell_words(s: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut quote: Option<char> = None;
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some('"'), '\\') => cur.extend(chars.next()),
            (Some(_), c) => cur.push(c),
            (None, '"' | '\'') => {
                quote = Some(c);
                in_word = true;
            }
            (None, '\\') => {
                cur.extend(chars.next());
                in_word = true;
            }
            (None, c) if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            (None, c) => {
                cur.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        words.push(cur);
    }
    words
}

fn unquote(s: &str) -> String {
    shell_words(s).join(" ")
}

/// Split an image reference into (name, tag, digest).
pub fn image_parts(image: &str) -> (&str, Option<&str>, Option<&str>) {
    let (rest, digest) = match image.split_once('@') {
        Some((r, d)) => (r, Some(d)),
        None => (image, None),
    };
    // A ':' after the last '/' is a tag; one before it is a registry port.
    let last_slash = rest.rfind('/').map_or(0, |p| p + 1);
    match rest[last_slash..].find(':') {
        Some(p) => (
            &rest[..last_slash + p],
            Some(&rest[last_slash + p + 1..]),
            digest,
        ),
        None => (rest, None, digest),
    }
}

/// Check one Dockerfile and record findings on `scan`.
/// An image reference that still holds a variable, a command
/// substitution, a template or a `ko://` build path: what it names is not
/// known until it is rendered, so neither its tag nor its digest can be
/// judged.
pub fn unevaluated_image(image: &str) -> bool {
    image.contains('$') || image.contains("{{") || image.starts_with("ko://")
}

/// Record an image that could not be judged: a diagnostic naming it, and
/// the check incomplete (never passed for it).
pub fn not_evaluated(scan: &mut Scan, path: &str, line: u32, image: &str, check: &str) {
    scan.diagnostic(
        Location::target(path).line(line),
        format!("image {image} is not evaluated (a variable, template or ko:// path): its tag and digest are unknown"),
    );
    scan.incomplete(check, format!("{path}:{line}: image {image} not evaluated"));
}

/// Whether a text reads as a Dockerfile: its first instruction is FROM,
/// or ARG before a FROM.
pub fn looks_like_dockerfile(text: &str) -> bool {
    let instructions = parse(text);
    let first = instructions.iter().position(|i| i.keyword != "ARG");
    first.is_some_and(|i| instructions[i].keyword == "FROM")
}

/// What [`check`] judged of one Dockerfile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Judged {
    /// Not a buildable Dockerfile.
    Nothing,
    /// An artifact image: build-time checks only.
    Artifact,
    /// An image that runs: every check.
    Runnable,
}

/// Why the final stage is an artifact image, never run, if it is one: no
/// ENTRYPOINT or CMD in it or in the stages it is built from, and a chain
/// that starts FROM scratch (a registry base image would lend it its own
/// CMD). Such an image is only a carrier of files (`COPY --from` it).
pub fn artifact_image(stages: &[Stage]) -> Option<String> {
    let mut idx = stages.len().checked_sub(1)?;
    loop {
        let stage = &stages[idx];
        if stage
            .body
            .iter()
            .any(|i| i.keyword == "CMD" || i.keyword == "ENTRYPOINT")
        {
            return None;
        }
        match stage.parent {
            Some(parent) => idx = parent,
            None if stage
                .image
                .as_deref()
                .is_some_and(|i| i.eq_ignore_ascii_case("scratch")) =>
            {
                return Some(format!(
                    "the final stage is FROM scratch (line {}) with no ENTRYPOINT or CMD",
                    stage.from.line
                ));
            }
            None => return None,
        }
    }
}

pub fn check(path: &str, text: &str, local: &LocalImages, scan: &mut Scan) -> Judged {
    let instructions = parse(text);
    let stages = stages(&instructions);
    let at = |line: u32| Location::target(path).line(line);
    if stages.is_empty() {
        scan.diagnostic(
            Location::target(path),
            "no FROM instruction: not a buildable Dockerfile",
        );
        return Judged::Nothing;
    }
    check_base_images(path, &stages, local, scan);
    let artifact = artifact_image(&stages);
    match &artifact {
        Some(why) => scan.diagnostic(
            at(stages[stages.len() - 1].from.line),
            format!("{why}: an artifact image that is only copied from, never run; the run-time checks (root user, health check, exposed ports) do not apply to it"),
        ),
        None => {
            check_final_user(path, &stages, local, scan);
            check_healthcheck(path, &stages, local, scan);
        }
    }
    for ins in stages.iter().flat_map(|s| &s.body) {
        match ins.keyword.as_str() {
            "ENV" | "ARG" => {
                for (key, value) in key_values(&ins.args, ins.keyword == "ARG") {
                    let Some(value) = value else { continue };
                    if let Some(why) = secret_reason(&key, &value) {
                        scan.finding(
                            checks::SECRET_IN_ENV,
                            format!("{} {key} holds {why}; it is stored in the image metadata and history", ins.keyword),
                        )
                        .at(at(ins.line))
                        .evidence(format!("{} {key}={}", ins.keyword, redact(&value)));
                    }
                }
            }
            "RUN" => {
                let mut script = ins.args.clone();
                for body in &ins.heredocs {
                    script.push('\n');
                    script.push_str(body);
                }
                run_rules(path, ins.line, &script, scan);
            }
            "EXPOSE"
                if artifact.is_none()
                    && ins
                        .args
                        .split_whitespace()
                        .any(|p| p == "22" || p == "22/tcp") =>
            {
                scan.finding(checks::SSHD_IN_IMAGE, "the image exposes port 22 (SSH)")
                    .at(at(ins.line))
                    .evidence(format!("EXPOSE {}", ins.args));
            }
            "ADD" => {
                let has_checksum = ins
                    .args
                    .split_whitespace()
                    .any(|w| w.starts_with("--checksum="));
                let words: Vec<&str> = ins
                    .args
                    .split_whitespace()
                    .filter(|w| !w.starts_with("--"))
                    .collect();
                let sources = words.len().saturating_sub(1);
                for src in &words[..sources] {
                    if src.starts_with("http://")
                        || src.starts_with("https://")
                        || src.starts_with("git@")
                    {
                        let f = scan
                            .finding(checks::ADD_URL, format!("ADD fetches {src} at build time"))
                            .at(at(ins.line))
                            .evidence(truncate(&format!("ADD {}", ins.args), 200));
                        if has_checksum {
                            f.severity(Severity::Low);
                            f.message =
                                format!("ADD fetches {src} at build time (verified by --checksum)");
                        }
                    }
                }
            }
            _ => {}
        }
    }
    if artifact.is_some() {
        Judged::Artifact
    } else {
        Judged::Runnable
    }
}

/// Rules over a RUN command (its heredoc bodies included).
fn run_rules(path: &str, line: u32, script: &str, scan: &mut Scan) {
    let at = || Location::target(path).line(line);
    // `curl ... | sh`: a pipe whose left side downloads and right side is a shell.
    for command in script.split(['\n', ';', '&']) {
        let parts: Vec<&str> = command.split('|').collect();
        for pair in parts.windows(2) {
            let fetch = pair[0].contains("curl ") || pair[0].contains("wget ");
            let shell = pair[1]
                .trim_start()
                .trim_start_matches("sudo ")
                .trim_start();
            let runs = [
                "sh", "bash", "zsh", "dash", "ash", "python", "python3", "perl",
            ]
            .iter()
            .any(|s| {
                shell == *s
                    || shell.starts_with(&format!("{s} "))
                    || shell.starts_with(&format!("/bin/{s}"))
            });
            if fetch && runs {
                scan.finding(
                    checks::CURL_PIPE_SHELL,
                    "a downloaded script is piped straight into an interpreter",
                )
                .at(at())
                .evidence(truncate(command.trim(), 200));
            }
        }
    }
    if ["openssh-server", "dropbear"]
        .iter()
        .any(|p| script.split_whitespace().any(|w| w == *p))
    {
        scan.finding(
            checks::SSHD_IN_IMAGE,
            "an SSH server is installed in the image",
        )
        .at(at())
        .evidence(truncate(script.lines().next().unwrap_or(""), 200));
    }
    for command in script.split(['\n', ';', '&']) {
        let words: Vec<&str> = command.split_whitespace().collect();
        if let Some(i) = words.iter().position(|w| *w == "chmod") {
            let mode = words[i + 1..].iter().find(|w| !w.starts_with('-'));
            if let Some(mode) = mode {
                let octal_world = mode.len() >= 3
                    && mode.chars().all(|c| c.is_ascii_digit())
                    && matches!(mode.chars().last(), Some('2' | '3' | '6' | '7'));
                if octal_world || mode.contains("o+w") || mode.contains("a+w") || *mode == "+w" {
                    scan.finding(
                        checks::WORLD_WRITABLE,
                        format!("chmod {mode} makes files writable by every user of the container"),
                    )
                    .at(at())
                    .evidence(truncate(command.trim(), 200));
                }
            }
        }
    }
}

/// A HEALTHCHECK in the final stage or a stage it is built from.
fn check_healthcheck(path: &str, stages: &[Stage], local: &LocalImages, scan: &mut Scan) {
    let last = stages.len() - 1;
    let mut idx = last;
    loop {
        let stage = &stages[idx];
        if let Some(h) = stage.body.iter().rev().find(|i| i.keyword == "HEALTHCHECK") {
            if h.args.trim().eq_ignore_ascii_case("none") {
                scan.finding(
                    checks::NO_HEALTHCHECK,
                    "HEALTHCHECK NONE switches health checking off",
                )
                .at(Location::target(path).line(h.line));
            }
            return;
        }
        match stage.parent {
            Some(parent) => idx = parent,
            None => {
                if inherits_from_local(path, stage, local, "health check", scan) {
                    return;
                }
                break;
            }
        }
    }
    let from = &stages[last].from;
    scan.finding(
        checks::NO_HEALTHCHECK,
        "the final stage has no HEALTHCHECK (unless its base image defines one)",
    )
    .at(Location::target(path).line(from.line))
    .evidence(format!("FROM {}", from.args));
}

fn check_base_images(path: &str, stages: &[Stage], local: &LocalImages, scan: &mut Scan) {
    for stage in stages {
        let loc = Location::target(path).line(stage.from.line);
        let Some(image) = stage.image.as_ref().filter(|i| !unevaluated_image(i)) else {
            scan.diagnostic(loc, format!("FROM {}: the image name uses a build argument without a default (or a template); base image checks skipped", stage.from.args));
            for check in [checks::BASE_LATEST, checks::BASE_UNPINNED] {
                scan.incomplete(
                    check,
                    format!(
                        "{path}:{}: FROM {} not evaluated",
                        stage.from.line, stage.from.args
                    ),
                );
            }
            continue;
        };
        let lower = image.to_ascii_lowercase();
        if lower == "scratch" || stage.parent.is_some() {
            continue;
        }
        // Built by this repository (a Makefile, script or CI step): a local
        // image, whose own Dockerfile is where its base is judged.
        if let Some(at) = local.built_at(image) {
            scan.diagnostic(
                loc,
                format!("FROM {}: an image this repository builds ({at}), not one pulled from a registry; its base is judged in its own Dockerfile", stage.from.args),
            );
            continue;
        }
        let (name, tag, digest) = image_parts(image);
        if digest.is_some() {
            continue;
        }
        match tag {
            None | Some("latest") => {
                let what = if tag.is_none() {
                    "has no tag, so it means :latest"
                } else {
                    "uses the :latest tag"
                };
                scan.finding(checks::BASE_LATEST, format!("base image {name} {what}"))
                    .at(loc)
                    .evidence(format!("FROM {}", stage.from.args));
            }
            Some(_) => {
                scan.finding(
                    checks::BASE_UNPINNED,
                    format!("base image {image} is not pinned by digest"),
                )
                .at(loc)
                .evidence(format!("FROM {}", stage.from.args));
            }
        }
    }
}

/// The user the final stage runs as: its last USER, else the USER it
/// inherits from the earlier stage it is built FROM.
fn check_final_user(path: &str, stages: &[Stage], local: &LocalImages, scan: &mut Scan) {
    let last = stages.len() - 1;
    let mut idx = last;
    loop {
        let stage = &stages[idx];
        if let Some(user) = stage.body.iter().rev().find(|i| i.keyword == "USER") {
            let vars = stage_vars(stage);
            let loc = Location::target(path).line(user.line);
            match expand(user.args.trim(), &vars) {
                None => scan.diagnostic(loc, format!("USER {}: the user is a variable without a value; the root-user check could not decide", user.args)),
                Some(u) if is_root(&u) => {
                    let via = if idx == last { String::new() } else { format!(" (inherited by the final stage from stage {})", stage.name.as_deref().unwrap_or("?")) };
                    scan.finding(checks::ROOT_USER, format!("the final stage runs as {u}{via}"))
                        .at(loc)
                        .evidence(format!("USER {}", user.args));
                }
                Some(_) => {}
            }
            return;
        }
        match stage.parent {
            Some(parent) => idx = parent,
            None if stage.image.as_deref().is_some_and(nonroot_base) => return,
            None if inherits_from_local(path, stage, local, "user", scan) => return,
            None => {
                let from = &stages[last].from;
                scan.finding(checks::ROOT_USER, "the final stage never sets USER, so the container runs as root unless the base image changed it")
                    .at(Location::target(path).line(from.line))
                    .evidence(format!("FROM {}", from.args));
                return;
            }
        }
    }
}

/// Whether the chain's first stage is built FROM an image this repository
/// builds: then what the final stage inherits (its user, its health check)
/// comes from that image, whose own Dockerfile is judged for it. Noted.
fn inherits_from_local(
    path: &str,
    root: &Stage,
    local: &LocalImages,
    what: &str,
    scan: &mut Scan,
) -> bool {
    let Some(at) = root.image.as_deref().and_then(|i| local.built_at(i)) else {
        return false;
    };
    scan.diagnostic(
        Location::target(path).line(root.from.line),
        format!(
            "the {what} is inherited from {}, an image this repository builds ({at}): judged in that image's Dockerfile",
            root.from.args
        ),
    );
    true
}

fn stage_vars(stage: &Stage) -> HashMap<String, String> {
    let mut vars = HashMap::new();
    for ins in &stage.body {
        if ins.keyword == "ARG" || ins.keyword == "ENV" {
            for (k, v) in key_values(&ins.args, ins.keyword == "ARG") {
                vars.insert(k, v.unwrap_or_default());
            }
        }
    }
    vars
}

/// Base images that run as a non-root user by their own definition:
/// distroless `:nonroot` and `:debug-nonroot` tags, and Chainguard's images
/// (user 65532 in every image, `-dev` variants included).
fn nonroot_base(image: &str) -> bool {
    let (name, tag, _) = image_parts(image);
    let name = name.to_ascii_lowercase();
    (name.starts_with("gcr.io/distroless/") && tag.is_some_and(|t| t.contains("nonroot")))
        || name.starts_with("cgr.dev/chainguard/")
}

fn is_root(user: &str) -> bool {
    let name = user.split(':').next().unwrap_or("").trim();
    name.eq_ignore_ascii_case("root") || name == "0"
}

/// Why a name/value pair looks like a secret, if it does: a credential
/// of a published format, or a name that says secret with a value that
/// can be one (judged as the code plugin judges assignments: not a
/// placeholder, a reference, a boolean, a path or a made-up value).
pub fn secret_reason(key: &str, value: &str) -> Option<&'static str> {
    use aicomply_sdk::secret_values::{plausible_value, secret_key};
    let value = value.trim();
    if value.is_empty() || value.starts_with('$') {
        return None;
    }
    if let Some(kind) = known_token(value) {
        return Some(kind);
    }
    (secret_key(key) && plausible_value(value, 6, 2.5))
        .then_some("a secret value (its name says so, and the value is no placeholder)")
}

/// Recognise credentials by their published formats.
fn known_token(value: &str) -> Option<&'static str> {
    let alnum = |s: &str, n: usize| {
        s.len() >= n
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    };
    if let Some(rest) = value.strip_prefix("hf_")
        && rest.len() >= 30
        && rest.chars().all(|c| c.is_ascii_alphanumeric())
    {
        return Some("a Hugging Face access token");
    }
    if value.starts_with("sk-ant-") && alnum(&value[7..], 20) {
        return Some("an Anthropic API key");
    }
    if let Some(rest) = value.strip_prefix("sk-")
        && alnum(rest, 20)
    {
        return Some("an OpenAI-style API key");
    }
    if (value.starts_with("AKIA") || value.starts_with("ASIA"))
        && value.len() == 20
        && value
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
    {
        return Some("an AWS access key id");
    }
    for prefix in ["ghp_", "gho_", "ghs_", "ghu_", "github_pat_"] {
        if value.starts_with(prefix) && alnum(&value[prefix.len()..], 30) {
            return Some("a GitHub token");
        }
    }
    if value.starts_with("xoxb-") || value.starts_with("xoxp-") {
        return Some("a Slack token");
    }
    if value.contains("-----BEGIN") && value.contains("PRIVATE KEY") {
        return Some("a private key");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use aicomply_sdk::Finding;

    /// Findings other than the missing HEALTHCHECK (tested on its own).
    fn run(text: &str) -> Vec<Finding> {
        all(text)
            .into_iter()
            .filter(|f| f.check_id != checks::NO_HEALTHCHECK)
            .collect()
    }

    fn all(text: &str) -> Vec<Finding> {
        let mut scan = Scan::new(checks::catalogue());
        check("Dockerfile", text, &LocalImages::default(), &mut scan);
        scan.into_output().findings
    }

    #[test]
    fn an_artifact_image_gets_build_checks_only() {
        // A carrier of files: FROM scratch, copied into, never run.
        let text = "FROM python:3.12 AS build\nRUN pip wheel -w /w .\nFROM scratch\nCOPY --from=build /w /wheels\nEXPOSE 22\nENV API_TOKEN=hf_abcdefghijklmnopqrstuvwxyz0123456789\n";
        let mut scan = Scan::new(checks::catalogue());
        assert_eq!(
            check(
                "Dockerfile.wheels",
                text,
                &LocalImages::default(),
                &mut scan
            ),
            Judged::Artifact
        );
        let ids: Vec<&str> = scan
            .findings()
            .iter()
            .map(|f| f.check_id.as_str())
            .collect();
        // The build stage's base is still judged, and so is the secret.
        assert_eq!(
            ids,
            [checks::BASE_UNPINNED, checks::SECRET_IN_ENV],
            "{ids:?}"
        );
        assert!(scan.diagnostics()[0].message.contains("artifact image"));
        assert_eq!(scan.diagnostics()[0].location.line, Some(3));
        // A stage chain from scratch that gains a CMD runs; so does an image
        // whose base comes from a registry (it lends its own CMD).
        for runs in [
            "FROM scratch AS base\nCOPY app /app\nFROM base\nCMD [\"/app\"]\n",
            "FROM scratch AS base\nENTRYPOINT [\"/app\"]\nFROM base\nCOPY app /app\n",
            "FROM debian:12@sha256:aa\nCOPY app /app\n",
        ] {
            let mut scan = Scan::new(checks::catalogue());
            assert_eq!(
                check("Dockerfile", runs, &LocalImages::default(), &mut scan),
                Judged::Runnable,
                "{runs}"
            );
            assert!(
                scan.findings()
                    .iter()
                    .any(|f| f.check_id == checks::ROOT_USER),
                "{runs}"
            );
        }
    }

    #[test]
    fn run_rules_curl_sshd_chmod_and_heredocs() {
        let f = run(
            "FROM a@sha256:1\nRUN curl -fsSL https://get.example.com | sudo bash\nRUN <<EOF\napt-get install -y openssh-server\nchmod -R 777 /app\nEOF\nEXPOSE 8080 22\nRUN curl -o x https://e/x && sha256sum -c x.sha256\nUSER 1\n",
        );
        assert_eq!(
            ids(&f),
            vec![
                ("CONT-DOCKERFILE-CURL-PIPE-SHELL", 2),
                ("CONT-DOCKERFILE-SSHD", 3),
                ("CONT-DOCKERFILE-WORLD-WRITABLE", 3),
                ("CONT-DOCKERFILE-SSHD", 7),
            ]
        );
    }

    #[test]
    fn healthcheck_in_final_stage_or_its_parent() {
        let missing = all("FROM a@sha256:1\nUSER 1\n");
        assert_eq!(ids(&missing), vec![("CONT-DOCKERFILE-NO-HEALTHCHECK", 1)]);
        assert!(
            all("FROM a@sha256:1 AS base\nHEALTHCHECK CMD true\nFROM base\nUSER 1\n").is_empty()
        );
        let none = all("FROM a@sha256:1\nHEALTHCHECK NONE\nUSER 1\n");
        assert_eq!(ids(&none), vec![("CONT-DOCKERFILE-NO-HEALTHCHECK", 2)]);
    }

    fn ids(findings: &[Finding]) -> Vec<(&str, u32)> {
        findings
            .iter()
            .map(|f| {
                (
                    f.check_id.as_str(),
                    f.location.as_ref().unwrap().line.unwrap(),
                )
            })
            .collect()
    }

    #[test]
    fn parses_bom_crlf_continuations_comments_and_heredocs() {
        let text = "\u{feff}# syntax=docker/dockerfile:1\r\nFROM alpine:3.20\r\nRUN apk add \\\r\n# a comment\r\n\r\n    curl\r\nRUN <<EOF\r\nUSER root\r\nEOF\r\nuser app\r\n";
        let ins = parse(text);
        let kw: Vec<_> = ins.iter().map(|i| (i.keyword.as_str(), i.line)).collect();
        assert_eq!(kw, vec![("FROM", 2), ("RUN", 3), ("RUN", 7), ("USER", 10)]);
        assert_eq!(ins[1].args, "apk add curl");
        assert_eq!(ins[2].heredocs, vec!["USER root\n".to_string()]);
    }

    #[test]
    fn escape_directive_changes_the_continuation_character() {
        let ins = parse("# escape=`\nFROM mcr.microsoft.com/windows:ltsc2022\nRUN dir `\n  c:\\\n");
        assert_eq!(ins[1].args, "dir c:\\");
    }

    #[test]
    fn image_reference_parts() {
        assert_eq!(image_parts("python"), ("python", None, None));
        assert_eq!(
            image_parts("python:3.11-slim"),
            ("python", Some("3.11-slim"), None)
        );
        assert_eq!(
            image_parts("localhost:5000/team/app"),
            ("localhost:5000/team/app", None, None)
        );
        assert_eq!(
            image_parts("reg:5000/app:1@sha256:ab"),
            ("reg:5000/app", Some("1"), Some("sha256:ab"))
        );
    }

    #[test]
    fn only_the_final_stage_user_counts() {
        let f = run(
            "FROM golang:1.22 AS build\nUSER builder\nFROM debian:12@sha256:aa\nCOPY --from=build /app /app\n",
        );
        assert_eq!(
            ids(&f),
            vec![
                ("CONT-DOCKERFILE-BASE-UNPINNED", 1),
                ("CONT-DOCKERFILE-ROOT-USER", 3)
            ]
        );
        let f = run("FROM alpine@sha256:aa\nUSER app\nUSER 0:0\n");
        assert_eq!(ids(&f), vec![("CONT-DOCKERFILE-ROOT-USER", 3)]);
        assert!(run("FROM alpine@sha256:aa\nUSER root\nUSER 1000:1000\n").is_empty());
    }

    #[test]
    fn final_stage_inherits_user_from_its_parent_stage() {
        assert!(run("FROM alpine@sha256:aa AS base\nUSER app\nFROM base\nRUN true\n").is_empty());
        let f = run("FROM alpine@sha256:aa AS Base\nUSER root\nFROM base\n");
        assert_eq!(ids(&f), vec![("CONT-DOCKERFILE-ROOT-USER", 2)]);
    }

    #[test]
    fn args_before_from_use_earlier_args() {
        let text = "ARG REPO=nvidia/cuda\nARG VERSION=12.4.1\nARG TAG=${VERSION}-runtime-ubuntu22.04\nFROM ${REPO}:${TAG} AS run\nUSER 1000\n";
        let st = stages(&parse(text));
        assert_eq!(
            st[0].image.as_deref(),
            Some("nvidia/cuda:12.4.1-runtime-ubuntu22.04")
        );
        let f = run(text);
        assert_eq!(ids(&f), vec![("CONT-DOCKERFILE-BASE-UNPINNED", 4)]);
    }

    #[test]
    fn unevaluated_images_are_incomplete_not_unpinned() {
        let mut scan = Scan::new(checks::catalogue());
        check(
            "Dockerfile",
            "ARG REGISTRY\nFROM ${REGISTRY}/base:1.0\nUSER 1000\nHEALTHCHECK CMD true\n",
            &LocalImages::default(),
            &mut scan,
        );
        assert!(scan.findings().is_empty(), "{:?}", ids(scan.findings()));
        assert!(scan.incomplete_checks().contains_key(checks::BASE_UNPINNED));
        let mut scan = Scan::new(checks::catalogue());
        crate::compose::check(
            "compose.yaml",
            "services:\n  api:\n    image: ghcr.io/x/api:${TAG}\n",
            &mut scan,
        );
        assert!(
            !scan
                .findings()
                .iter()
                .any(|f| f.check_id == checks::COMPOSE_IMAGE)
        );
        assert!(scan.incomplete_checks().contains_key(checks::COMPOSE_IMAGE));
        let mut scan = Scan::new(checks::catalogue());
        crate::kubernetes::check(
            "pod.yaml",
            "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: a\n    image: ko://github.com/x/cmd/server\n",
            &mut scan,
        );
        assert!(
            !scan
                .findings()
                .iter()
                .any(|f| f.check_id == checks::K8S_IMAGE)
        );
        assert!(scan.incomplete_checks().contains_key(checks::K8S_IMAGE));
    }

    #[test]
    fn bases_that_are_non_root_by_definition() {
        for from in [
            "gcr.io/distroless/python3-debian12:nonroot",
            "gcr.io/distroless/static:debug-nonroot@sha256:1",
            "cgr.dev/chainguard/python:latest-dev",
        ] {
            let f = run(&format!("FROM {from} AS app\nFROM app\nCMD [\"x\"]\n"));
            assert!(
                !ids(&f)
                    .iter()
                    .any(|(c, _)| *c == "CONT-DOCKERFILE-ROOT-USER"),
                "{from}: {:?}",
                ids(&f)
            );
        }
        let f = run("FROM gcr.io/distroless/python3-debian12:latest\nCMD [\"x\"]\n");
        assert!(ids(&f).contains(&("CONT-DOCKERFILE-ROOT-USER", 1)));
        // A USER root after a non-root base is root again.
        let f = run("FROM cgr.dev/chainguard/python:latest\nUSER root\n");
        assert!(ids(&f).contains(&("CONT-DOCKERFILE-ROOT-USER", 2)));
    }

    #[test]
    fn user_from_variables() {
        assert!(run("FROM alpine@sha256:aa\nARG APP_UID=1000\nUSER ${APP_UID}\n").is_empty());
        let f = run("FROM alpine@sha256:aa\nENV RUN_AS=root\nUSER $RUN_AS\n");
        assert_eq!(ids(&f), vec![("CONT-DOCKERFILE-ROOT-USER", 3)]);
    }

    #[test]
    fn base_image_tags_and_global_args() {
        let f = run("ARG BASE=python:latest\nFROM $BASE\nUSER app\n");
        assert_eq!(ids(&f), vec![("CONT-DOCKERFILE-BASE-LATEST", 2)]);
        let f = run(
            "FROM --platform=linux/amd64 ubuntu AS x\nFROM scratch\nCOPY --from=x /a /a\nUSER 1\n",
        );
        assert_eq!(ids(&f), vec![("CONT-DOCKERFILE-BASE-LATEST", 1)]);
    }

    #[test]
    fn secrets_in_env_and_arg_are_found_and_redacted() {
        let f = run(
            "FROM a@sha256:1\nENV HF_TOKEN=hf_abcdefghijklmnopqrstuvwxyzABCDEFGH \\\n    LOG_LEVEL=info\nARG DB_PASSWORD=\"Zq8xLm2pR7vT\"\nENV TOKENIZERS_PARALLELISM=false API_TOKEN=changeme\nENV TOKEN_FILE=/run/secrets/t API_KEY=$API_KEY\nENV OPENAI_API_KEY sk-proj1234567890abcdefghij\nUSER app\n",
        );
        assert_eq!(
            ids(&f),
            vec![
                ("CONT-DOCKERFILE-SECRET-ENV", 2),
                ("CONT-DOCKERFILE-SECRET-ENV", 4),
                ("CONT-DOCKERFILE-SECRET-ENV", 7)
            ]
        );
        assert!(f[0].message.contains("Hugging Face"));
        let ev = f[0].evidence.as_deref().unwrap();
        assert!(
            ev.starts_with("ENV HF_TOKEN=hf_a…") && !ev.contains("bcdefg"),
            "{ev}"
        );
        assert!(!f[1].evidence.as_deref().unwrap().contains("Zq8xLm"));
    }

    #[test]
    fn add_from_url() {
        let f = run(
            "FROM a@sha256:1\nADD https://example.com/model.bin /models/\nADD --checksum=sha256:abc https://example.com/x /x\nADD local.txt /x\nUSER 1\n",
        );
        assert_eq!(
            ids(&f),
            vec![
                ("CONT-DOCKERFILE-ADD-URL", 2),
                ("CONT-DOCKERFILE-ADD-URL", 3)
            ]
        );
        assert_eq!(f[0].severity, Severity::Medium);
        assert_eq!(f[1].severity, Severity::Low);
    }

    #[test]
    fn a_long_chain_of_stages_takes_linear_time() {
        // 150,000 stages, each FROM the one before (3.6 MB): looking up each
        // parent among all earlier stages was 10^10 comparisons.
        let mut text = String::from("FROM a@sha256:1 AS s0\nUSER root\n");
        for i in 1..150_000 {
            text.push_str(&format!("FROM s{} AS s{i}\n", i - 1));
        }
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || tx.send(all(&text)));
        let f = rx
            .recv_timeout(std::time::Duration::from_secs(20))
            .expect("checked within 20 s");
        // The root user is inherited through every stage from the first.
        assert_eq!(
            ids(&f),
            vec![
                ("CONT-DOCKERFILE-ROOT-USER", 2),
                ("CONT-DOCKERFILE-NO-HEALTHCHECK", 150_001)
            ]
        );
    }
}
