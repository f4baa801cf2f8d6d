//! Application servers and their settings: uvicorn/gunicorn TLS flags and
//! gunicorn.conf.py, model servers started without an API key (vLLM,
//! llama.cpp), environment and config keys that turn authentication off,
//! CORS with credentials in application code, and declared model
//! encryption. Command lines come from Dockerfiles (final stage), compose
//! services and Kubernetes containers.

use aicomply_sdk::yaml::{Node, Value};
use aicomply_sdk::{Location, Scan, Severity};

use crate::checks::*;

/// A process as a deployment file starts it.
pub struct Process {
    pub file: String,
    pub line: u32,
    pub argv: Vec<String>,
    /// Name, value (`None` for a value from a Secret/ConfigMap), line.
    pub env: Vec<(String, Option<String>, u32)>,
    pub image: Option<String>,
    /// What it is called in the report (`service api`, `Deployment/x container c`).
    pub what: String,
}

fn falsy(v: &str) -> bool {
    matches!(
        v.trim()
            .trim_matches(['"', '\''])
            .to_ascii_lowercase()
            .as_str(),
        "false" | "0" | "no" | "off" | "disabled" | "none"
    )
}
fn truthy(v: &str) -> bool {
    matches!(
        v.trim()
            .trim_matches(['"', '\''])
            .to_ascii_lowercase()
            .as_str(),
        "true" | "1" | "yes" | "on"
    )
}

/// Whether an environment variable (or config key, upper-cased) turns
/// authentication off.
pub fn auth_disabled(name: &str, value: &str) -> bool {
    let n = name.to_ascii_uppercase().replace(['-', '.'], "_");
    let about_auth = ["AUTH", "API_KEY", "APIKEY", "OAUTH"]
        .iter()
        .any(|w| n.contains(w))
        && !n.contains("AUTHOR");
    if !about_auth {
        return false;
    }
    let switch_on = n.ends_with("_ENABLED")
        || n.starts_with("ENABLE_")
        || n.ends_with("_REQUIRED")
        || n.starts_with("REQUIRE_")
        || n.ends_with("_ENABLE");
    let switch_off = [
        "DISABLE_AUTH",
        "AUTH_DISABLED",
        "NO_AUTH",
        "SKIP_AUTH",
        "AUTH_BYPASS",
        "BYPASS_AUTH",
        "DISABLE_API_KEY",
        "INSECURE_NO_AUTH",
    ]
    .iter()
    .any(|w| n.contains(w));
    (switch_on && falsy(value))
        || (switch_off && truthy(value))
        || (matches!(
            n.as_str(),
            "AUTH" | "AUTHENTICATION" | "AUTH_MODE" | "AUTH_TYPE" | "AUTH_METHOD"
        ) && matches!(
            value.trim().to_ascii_lowercase().as_str(),
            "none" | "off" | "disabled" | "false" | "noauth"
        ))
}

/// Judge a declared model encryption algorithm: `None` when it is AES-256-GCM.
pub fn judge_encryption(value: &str) -> Option<String> {
    let v: String = value
        .to_ascii_lowercase()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect();
    if v.contains("aes256gcm") || v == "aesgcm256" {
        return None;
    }
    if falsy(value) || v.is_empty() || v == "plaintext" || v == "plain" {
        return Some("declares no encryption".into());
    }
    if v.contains("aes128") || v.contains("aes192") {
        return Some(format!("uses {value}: a key shorter than AES-256"));
    }
    if ["cbc", "ctr", "ecb", "cfb", "ofb"]
        .iter()
        .any(|m| v.contains(m))
    {
        return Some(format!(
            "uses {value}: unauthenticated (no integrity); use AES-256-GCM"
        ));
    }
    if v.contains("des") || v.contains("rc4") || v.contains("blowfish") {
        return Some(format!("uses {value}: a broken cipher"));
    }
    if v.contains("aes256") {
        return Some(format!(
            "uses {value}: AES-256 without a stated authenticated mode (GCM)"
        ));
    }
    Some(format!("uses {value}, not AES-256-GCM"))
}

fn flag<'a>(argv: &'a [String], name: &str) -> Option<Option<&'a str>> {
    for (i, a) in argv.iter().enumerate() {
        if a == name {
            return Some(argv.get(i + 1).map(String::as_str));
        }
        if let Some(v) = a.strip_prefix(name).and_then(|r| r.strip_prefix('=')) {
            return Some(Some(v));
        }
    }
    None
}

fn word_in(argv: &[String], w: &str) -> bool {
    argv.iter()
        .any(|a| a == w || a.ends_with(&format!("/{w}")) || a.split_whitespace().any(|x| x == w))
}

/// Judge the TLS version a Python server is given: uvicorn's `--ssl-version`
/// is an `ssl.PROTOCOL_*` number, gunicorn's a name or number.
fn python_ssl_version(v: Option<&str>) -> (Severity, String) {
    let v = v
        .unwrap_or("")
        .trim()
        .trim_start_matches("ssl.")
        .trim_start_matches("PROTOCOL_");
    match v {
        "3" | "TLSv1" | "4" | "TLSv1_1" | "SSLv3" | "SSLv2" => (
            Severity::High,
            format!("ssl version {v} is TLS 1.0/1.1 or older"),
        ),
        "5" | "TLSv1_2" => (Severity::Medium, "pins TLS 1.2 only, never 1.3".into()),
        _ => (
            Severity::Low,
            "negotiates TLS 1.2 as well as 1.3 (Python's ssl_version cannot exclude TLS 1.2)"
                .into(),
        ),
    }
}

pub fn check_process(p: &Process, scan: &mut Scan) {
    let argv = &p.argv;
    let env = |name: &str| p.env.iter().find(|(n, _, _)| n == name);
    let loc = || Location::target(p.file.clone()).line(p.line);
    // Environment switches.
    for (name, value, line) in &p.env {
        if let Some(v) = value
            && auth_disabled(name, v)
        {
            scan.finding(
                APP_AUTH_DISABLED,
                format!("{}: {name}={v} turns authentication off", p.what),
            )
            .at(Location::target(p.file.clone()).line(*line))
            .evidence(format!("{name}={v}"));
        }
    }
    // uvicorn / gunicorn terminating TLS themselves.
    let uvicorn = word_in(argv, "uvicorn");
    let gunicorn = word_in(argv, "gunicorn");
    let cert = if uvicorn {
        flag(argv, "--ssl-certfile")
    } else if gunicorn {
        flag(argv, "--certfile")
    } else {
        None
    };
    if cert.is_some() {
        let (sev, why) = python_ssl_version(flag(argv, "--ssl-version").flatten());
        let ciphers = flag(
            argv,
            if uvicorn {
                "--ssl-ciphers"
            } else {
                "--ciphers"
            },
        )
        .flatten()
        .map(crate::nginx::weak_ciphers)
        .unwrap_or_default();
        let extra = if ciphers.is_empty() {
            String::new()
        } else {
            format!("; weak ciphers: {}", ciphers.join(", "))
        };
        scan.finding(
            APP_TLS_PROTOCOL,
            format!(
                "{}: {} terminates TLS itself and {why}{extra}",
                p.what,
                if uvicorn { "uvicorn" } else { "gunicorn" }
            ),
        )
        .at(loc())
        .severity(sev);
    }
    // Model servers without an API key.
    let image = p.image.as_deref().unwrap_or("").to_ascii_lowercase();
    let vllm = argv
        .windows(2)
        .any(|w| w[0].ends_with("vllm") && w[1] == "serve")
        || argv
            .iter()
            .any(|a| a.contains("vllm.entrypoints.openai.api_server"))
        || (image.contains("vllm/vllm-openai")
            && !argv
                .iter()
                .any(|a| a == "bash" || a == "sh" || a == "/bin/sh"));
    let llama = argv.first().is_some_and(|a| a.ends_with("llama-server"))
        || (image.contains("llama.cpp:server") && argv.first().is_none_or(|a| a.starts_with('-')));
    let (server, key_env) = if vllm {
        ("vLLM", "VLLM_API_KEY")
    } else if llama {
        ("llama.cpp server", "LLAMA_API_KEY")
    } else {
        return;
    };
    let has_key = flag(argv, "--api-key").is_some()
        || flag(argv, "--api-key-file").is_some()
        || env(key_env).is_some();
    if !has_key {
        scan.finding(APP_NO_API_KEY, format!("{}: {server} is started without --api-key or {key_env}: its OpenAI-compatible API answers anyone who reaches the port", p.what))
            .at(loc());
    }
}

/// gunicorn.conf.py: `certfile`, `ssl_version`, `ciphers`, an `ssl_context` hook.
pub fn check_gunicorn_conf(path: &str, text: &str, scan: &mut Scan) {
    let mut cert = None;
    let mut version = None;
    let mut ciphers = None;
    let mut min13 = false;
    for (i, line) in text.lines().enumerate() {
        let l = line.split('#').next().unwrap_or("").trim();
        let assign = |key: &str| {
            l.strip_prefix(key)
                .map(str::trim_start)
                .and_then(|r| r.strip_prefix('='))
                .filter(|_| !l.starts_with("=="))
                .map(|v| v.trim().trim_matches(['"', '\'']).to_string())
        };
        if let Some(v) = assign("certfile")
            && v != "None"
        {
            cert = Some(i as u32 + 1);
        }
        if let Some(v) = assign("ssl_version") {
            version = Some(v);
        }
        if let Some(v) = assign("ciphers") {
            ciphers = Some(v);
        }
        if l.contains("minimum_version")
            && (l.contains("TLSv1_3") || l.contains("MAXIMUM_SUPPORTED"))
        {
            min13 = true;
        }
    }
    let Some(line) = cert else { return };
    if min13 {
        return;
    }
    let (sev, why) = python_ssl_version(version.as_deref());
    let weak = ciphers
        .as_deref()
        .map(crate::nginx::weak_ciphers)
        .unwrap_or_default();
    let extra = if weak.is_empty() {
        String::new()
    } else {
        format!("; weak ciphers: {}", weak.join(", "))
    };
    scan.finding(
        APP_TLS_PROTOCOL,
        format!("gunicorn terminates TLS itself (certfile) and {why}{extra}"),
    )
    .at(Location::target(path).line(line))
    .severity(sev);
}

/// `.env` files: KEY=VALUE lines (comments and `export` allowed).
pub fn check_env_file(path: &str, text: &str, scan: &mut Scan) -> usize {
    let mut enc = 0;
    for (i, line) in text.lines().enumerate() {
        let l = line.trim().trim_start_matches("export ").trim();
        if l.starts_with('#') {
            continue;
        }
        let Some((k, v)) = l.split_once('=') else {
            continue;
        };
        let (k, v) = (k.trim(), v.trim().trim_matches(['"', '\'']));
        let loc = Location::target(path).line(i as u32 + 1);
        if auth_disabled(k, v) {
            scan.finding(
                APP_AUTH_DISABLED,
                format!("{k}={v} turns authentication off"),
            )
            .at(loc.clone())
            .evidence(format!("{k}={v}"));
        }
        enc += encryption_setting(k, v, loc, scan);
    }
    enc
}

/// A setting whose name says it is about model encryption. Returns 1 when
/// it was one.
fn encryption_setting(key: &str, value: &str, loc: Location, scan: &mut Scan) -> usize {
    let k = key.to_ascii_lowercase();
    if !(k.contains("encrypt") && k.contains("model")) {
        return 0;
    }
    if truthy(value) && !k.contains("alg") && !k.contains("cipher") {
        // `MODEL_ENCRYPTION=true` says nothing about the algorithm.
        return 0;
    }
    if let Some(why) = judge_encryption(value) {
        scan.finding(MODEL_ENCRYPTION, format!("{key} {why}"))
            .at(loc)
            .evidence(format!("{key}={value}"));
    }
    1
}

/// A config file (YAML/JSON) that is not a Kubernetes object: keys that
/// turn auth off, and model encryption settings. Returns how many
/// encryption settings it declared.
pub fn check_config(path: &str, docs: &[Node], scan: &mut Scan) -> usize {
    let mut enc = 0;
    let model_file = path.to_ascii_lowercase().contains("model");
    for d in docs {
        walk(
            d,
            &mut Vec::new(),
            &mut |keys: &[String], k: &Node, v: &Node| {
                let Some(key) = k.as_str() else { return };
                let lower = key.to_ascii_lowercase();
                let parent = keys
                    .last()
                    .map(|s| s.to_ascii_lowercase())
                    .unwrap_or_default();
                let loc = Location::target(path).line(k.line);
                let scalar = match &v.value {
                    Value::Scalar(s, _) => Some(s.as_str()),
                    _ => None,
                };
                let Some(val) = scalar else { return };
                // `auth: {enabled: false}`, `oauth2.enabled: false`, `auth_enabled: false`.
                let auth_parent = [
                    "auth",
                    "authentication",
                    "oauth",
                    "oauth2",
                    "api_key",
                    "api_keys",
                    "apikey",
                    "apikeys",
                ]
                .contains(&parent.as_str());
                let disabled = (auth_parent && lower == "enabled" && falsy(val))
                    || (auth_parent && lower == "required" && falsy(val))
                    || (!auth_parent && auth_disabled(key, val) && v.as_bool().is_some());
                if disabled {
                    scan.finding(
                        APP_AUTH_DISABLED,
                        format!(
                            "{}{key}: {val} turns authentication off",
                            keys.iter().map(|k| format!("{k}.")).collect::<String>()
                        ),
                    )
                    .at(loc.clone())
                    .evidence(format!("{key}: {val}"));
                }
                let in_model = model_file
                    || keys
                        .iter()
                        .any(|k| k.to_ascii_lowercase().contains("model"));
                let enc_parent = parent.contains("encrypt");
                if in_model
                    && enc_parent
                    && ["algorithm", "algo", "cipher", "mode", "type", "scheme"]
                        .contains(&lower.as_str())
                {
                    enc += 1;
                    if let Some(why) = judge_encryption(val) {
                        scan.finding(MODEL_ENCRYPTION, format!("model encryption {why}"))
                            .at(loc)
                            .evidence(format!("{key}: {val}"));
                    }
                } else if in_model
                    && (lower == "encrypted"
                        || lower == "encryption"
                        || (enc_parent && lower == "enabled"))
                    && v.as_bool() == Some(false)
                {
                    enc += 1;
                    scan.finding(
                        MODEL_ENCRYPTION,
                        format!("{key}: {val}: model artifacts are stored unencrypted"),
                    )
                    .at(loc)
                    .evidence(format!("{key}: {val}"));
                } else if in_model
                    && lower.contains("encrypt")
                    && (lower.contains("alg") || lower.contains("cipher"))
                {
                    enc += 1;
                    if let Some(why) = judge_encryption(val) {
                        scan.finding(MODEL_ENCRYPTION, format!("model encryption {why}"))
                            .at(loc)
                            .evidence(format!("{key}: {val}"));
                    }
                }
            },
        );
    }
    enc
}

fn walk(n: &Node, keys: &mut Vec<String>, f: &mut dyn FnMut(&[String], &Node, &Node)) {
    match &n.value {
        Value::Map(entries) => {
            for (k, v) in entries {
                f(keys, k, v);
                keys.push(k.as_str().unwrap_or("").to_string());
                walk(v, keys, f);
                keys.pop();
            }
        }
        Value::Seq(items) => {
            for i in items {
                walk(i, keys, f);
            }
        }
        Value::Scalar(..) => {}
    }
}

/// Python application code: CORSMiddleware / flask-cors allowing any
/// origin with credentials.
pub fn check_python(path: &str, text: &str, scan: &mut Scan) {
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    let starlette = text.contains("CORSMiddleware") && compact.contains("allow_credentials=True");
    let flask = compact.contains("supports_credentials=True") && text.contains("CORS(");
    if !starlette && !flask {
        return;
    }
    for (i, line) in text.lines().enumerate() {
        let c: String = line.chars().filter(|c| !c.is_whitespace()).collect();
        let wildcard = (starlette
            && (c.contains("allow_origins=[\"*\"]")
                || c.contains("allow_origins=['*']")
                || c.contains("allow_origin_regex=\".*\"")
                || c.contains("allow_origin_regex='.*'")))
            || (flask
                && c.contains("CORS(")
                && (c.contains("origins=\"*\"")
                    || c.contains("origins='*'")
                    || !c.contains("origins="))
                && c.contains("supports_credentials=True"));
        if wildcard {
            scan.finding(CORS_WILDCARD, "CORS allows any origin with credentials: any web page a user visits can call the API with the user's cookies or tokens")
                .at(Location::target(path).line(i as u32 + 1))
                .evidence(aicomply_sdk::text::truncate(line.trim(), 120));
        }
    }
}

/// Split a shell command line into words (quotes respected, no expansion).
pub fn shell_words(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    let mut any = false;
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => cur.push(c),
            (None, '"' | '\'') => {
                quote = Some(c);
                any = true;
            }
            (None, '\\') => {
                if let Some(n) = chars.next() {
                    cur.push(n);
                }
            }
            (None, c) if c.is_whitespace() => {
                if !cur.is_empty() || any {
                    out.push(std::mem::take(&mut cur));
                    any = false;
                }
            }
            (None, c) => cur.push(c),
        }
    }
    if !cur.is_empty() || any {
        out.push(cur);
    }
    out
}

/// The words of a Dockerfile CMD/ENTRYPOINT (exec or shell form).
fn instruction_words(rest: &str) -> Vec<String> {
    let r = rest.trim();
    if r.starts_with('[')
        && let Ok(serde_json::Value::Array(items)) = serde_json::from_str::<serde_json::Value>(r)
    {
        return items
            .iter()
            .filter_map(|v| v.as_str())
            .flat_map(|s| {
                if s.contains(' ') && (s.contains("uvicorn") || s.contains("vllm")) {
                    shell_words(s)
                } else {
                    vec![s.to_string()]
                }
            })
            .collect();
    }
    shell_words(r)
}

/// The final stage of a Dockerfile as a process: ENTRYPOINT + CMD, ENV.
pub fn dockerfile_process(path: &str, text: &str) -> Option<Process> {
    let mut entry: Option<(Vec<String>, u32)> = None;
    let mut cmd: Option<(Vec<String>, u32)> = None;
    let mut env = Vec::new();
    let mut image = None;
    let mut logical = String::new();
    let mut start = 0u32;
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim_end_matches('\r');
        if logical.is_empty() {
            start = i as u32 + 1;
            if line.trim_start().starts_with('#') {
                continue;
            }
        } else if line.trim_start().starts_with('#') {
            continue;
        }
        if let Some(body) = line.strip_suffix('\\') {
            logical.push_str(body);
            logical.push(' ');
            continue;
        }
        logical.push_str(line);
        let inst = std::mem::take(&mut logical);
        let t = inst.trim();
        let (word, rest) = t.split_once(char::is_whitespace).unwrap_or((t, ""));
        match word.to_ascii_uppercase().as_str() {
            "FROM" => {
                entry = None;
                cmd = None;
                env.clear();
                image = rest.split_whitespace().next().map(str::to_string);
            }
            "ENTRYPOINT" => {
                entry = Some((instruction_words(rest), start));
                cmd = None;
            }
            "CMD" => cmd = Some((instruction_words(rest), start)),
            "ENV" => {
                let words = shell_words(rest);
                if words.len() == 2 && !words[0].contains('=') {
                    env.push((words[0].clone(), Some(words[1].clone()), start));
                } else {
                    for w in words {
                        if let Some((k, v)) = w.split_once('=') {
                            env.push((k.to_string(), Some(v.to_string()), start));
                        }
                    }
                }
            }
            _ => {}
        }
    }
    let line = cmd
        .as_ref()
        .or(entry.as_ref())
        .map(|(_, l)| *l)
        .unwrap_or(1);
    let mut argv = entry.map(|(w, _)| w).unwrap_or_default();
    argv.extend(cmd.map(|(w, _)| w).unwrap_or_default());
    // `sh -c "uvicorn ..."`: the words of the script.
    let argv = expand_shell_c(argv);
    if argv.is_empty() && env.is_empty() {
        return None;
    }
    Some(Process {
        file: path.to_string(),
        line,
        argv,
        env,
        image,
        what: "Dockerfile".into(),
    })
}

pub fn expand_shell_c(argv: Vec<String>) -> Vec<String> {
    let mut out = Vec::new();
    let mut it = argv.into_iter().peekable();
    while let Some(a) = it.next() {
        if a == "-c" {
            if let Some(script) = it.next() {
                out.extend(shell_words(&script.replace(['&', ';', '|'], " ")));
            }
            continue;
        }
        out.push(a);
    }
    out
}

/// Kubernetes containers and compose services as processes.
pub fn yaml_processes(path: &str, node: &Node, out: &mut Vec<Process>) {
    if let Some(w) = aicomply_sdk::kubernetes::workload(node) {
        let Some(spec) = w.pod_spec else { return };
        for (i, c) in spec
            .get("containers")
            .map(Node::items)
            .unwrap_or(&[])
            .iter()
            .enumerate()
        {
            let mut argv: Vec<String> = c
                .get("command")
                .map(|n| n.strings())
                .unwrap_or_default()
                .iter()
                .map(|s| s.to_string())
                .collect();
            argv.extend(
                c.get("args")
                    .map(|n| n.strings())
                    .unwrap_or_default()
                    .iter()
                    .map(|s| s.to_string()),
            );
            let env = c
                .get("env")
                .map(Node::items)
                .unwrap_or(&[])
                .iter()
                .filter_map(|e| {
                    let name = e.get("name")?.as_str()?.to_string();
                    Some((
                        name,
                        e.get("value").and_then(Node::as_str).map(str::to_string),
                        e.line,
                    ))
                })
                .collect();
            out.push(Process {
                file: path.to_string(),
                line: c.line,
                argv: expand_shell_c(argv),
                env,
                image: c.get("image").and_then(Node::as_str).map(str::to_string),
                // A container without a name is named by its index.
                what: match c.get("name").and_then(Node::as_str) {
                    Some(name) => format!("{} container {name}", w.title()),
                    None => format!("{} containers[{i}]", w.title()),
                },
            });
        }
    }
}

pub fn compose_processes(path: &str, doc: &Node, out: &mut Vec<Process>) {
    for (name, svc) in doc.get("services").map(Node::entries).unwrap_or(&[]) {
        let words = |key: &str| -> Vec<String> {
            match svc.get(key).map(|n| &n.value) {
                Some(Value::Scalar(s, _)) => shell_words(s),
                Some(Value::Seq(_)) => svc
                    .get(key)
                    .unwrap()
                    .strings()
                    .iter()
                    .map(|s| s.to_string())
                    .collect(),
                _ => Vec::new(),
            }
        };
        let mut argv = words("entrypoint");
        argv.extend(words("command"));
        let mut env = Vec::new();
        match svc.get("environment").map(|n| &n.value) {
            Some(Value::Map(entries)) => {
                for (k, v) in entries {
                    if let Some(k) = k.as_str() {
                        env.push((
                            k.to_string(),
                            v.as_str().map(str::to_string),
                            k_line(v, name),
                        ));
                    }
                }
            }
            Some(Value::Seq(items)) => {
                for i in items {
                    if let Some((k, v)) = i.as_str().and_then(|s| s.split_once('=')) {
                        env.push((k.to_string(), Some(v.to_string()), i.line));
                    } else if let Some(k) = i.as_str() {
                        env.push((k.to_string(), None, i.line));
                    }
                }
            }
            _ => {}
        }
        let cmd_line = svc
            .get("command")
            .or(svc.get("entrypoint"))
            .map(|n| n.line)
            .unwrap_or(name.line);
        out.push(Process {
            file: path.to_string(),
            line: cmd_line,
            argv: expand_shell_c(argv),
            env,
            image: svc.get("image").and_then(Node::as_str).map(str::to_string),
            what: format!("compose service {}", name.as_str().unwrap_or("?")),
        });
    }
}

fn k_line(v: &Node, _svc: &Node) -> u32 {
    v.line
}
