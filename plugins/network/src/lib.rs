//! aicomply's first-party plugin for the network domain (NET-1 … NET-4).
//!
//! Reads nginx, HAProxy, Envoy and Traefik configuration, Kubernetes
//! Ingresses, Services and NetworkPolicies, application server command
//! lines and settings, and model digest manifests in the scan target; when
//! the operator grants endpoints, has the host probe them. Everything here
//! is plain Rust: it compiles natively for tests and to `wasm32-wasip2`.

pub mod apps;
pub mod checks;
pub mod kubernetes;
pub mod models;
pub mod nginx;
pub mod probe;
pub mod proxies;
pub mod source;

use std::collections::BTreeSet;
use std::path::Path;

use aicomply_sdk::fs::{self, WalkOptions};
use aicomply_sdk::kubernetes::{self as k8s};
use aicomply_sdk::yaml::{self, Node};
use aicomply_sdk::{
    Capability, Context, Location, MountedRoot, Plugin, PluginInfo, RunContext, Scan,
};

use source::{MAX_CONFIG_BYTES, Source, Tree};

pub struct NetworkPlugin;

impl Plugin for NetworkPlugin {
    fn info() -> PluginInfo {
        PluginInfo {
            id: "network".into(),
            name: "Network and API".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            domain: "network".into(),
            description: "TLS 1.3 in transit, rate limits and network policies, authentication in front of \
                          inference routes, SHA-256 manifests for model files (NET-1 … NET-4): nginx, HAProxy, \
                          Envoy, Traefik, Kubernetes, app servers, and live probes of granted endpoints."
                .into(),
            checks: checks::catalogue(),
            capabilities: vec![
                Capability::fs_read("target", "reads proxy, Kubernetes and application configuration, and hashes model files named in manifests"),
                Capability::file_meta("target", "reads the targets of sites-enabled links (nginx enables a site by linking it)"),
                Capability::net_probe("probes the TLS versions, certificate, HSTS, rate-limit headers and unauthenticated access of the inference endpoints the operator names"),
            ],
        }
    }

    fn run(ctx: &Context, scan: &mut Scan) -> Result<(), String> {
        let root = ctx.target()?.to_path_buf();
        scan_target(ctx, &root, &WalkOptions::for_run(ctx), scan);
        probe::run(ctx, scan);
        Ok(())
    }
}

aicomply_sdk::export_plugin!(NetworkPlugin);

/// A context for native runs: the target mounted at `root`, no endpoints.
pub fn native_context(root: &Path) -> Context {
    Context::new(RunContext {
        config: Vec::new(),
        roots: vec![MountedRoot {
            name: "target".into(),
            guest_path: root.to_string_lossy().into_owned(),
        }],
        granted: Vec::new(),
    })
}

/// Scan a tree natively (tests): the file checks, and the live checks
/// reported as not checked (no endpoints).
pub fn scan_tree(root: &Path, options: &WalkOptions, scan: &mut Scan) {
    let ctx = native_context(root);
    scan_target(&ctx, root, options, scan);
    probe::run(&ctx, scan);
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Nginx,
    Haproxy,
    Gunicorn,
    Python,
    Dockerfile,
    EnvFile,
    Yaml,
    TextManifest,
}

fn classify(relative: &str) -> Option<Kind> {
    let name = relative.rsplit('/').next().unwrap_or(relative);
    let lower = name.to_ascii_lowercase();
    let dir = relative
        .rsplit_once('/')
        .map_or("", |(d, _)| d)
        .to_ascii_lowercase();
    let parent = dir.rsplit('/').next().unwrap_or("");
    if models::is_text_manifest(name) {
        return Some(Kind::TextManifest);
    }
    if lower.starts_with("haproxy") && lower.ends_with(".cfg")
        || (dir.contains("haproxy") && lower.ends_with(".cfg"))
    {
        return Some(Kind::Haproxy);
    }
    if matches!(
        lower.as_str(),
        "gunicorn.conf.py" | "gunicorn_conf.py" | "gunicorn_config.py" | "gunicorn.py"
    ) {
        return Some(Kind::Gunicorn);
    }
    if lower.ends_with(".py") {
        return Some(Kind::Python);
    }
    if lower == "dockerfile"
        || lower == "containerfile"
        || lower.starts_with("dockerfile.") && !lower.ends_with(".md")
        || lower.ends_with(".dockerfile")
    {
        return Some(Kind::Dockerfile);
    }
    if lower == ".env" || lower.ends_with(".env") || lower.starts_with(".env.") {
        return Some(Kind::EnvFile);
    }
    if k8s::may_hold_manifests(relative) {
        return Some(Kind::Yaml);
    }
    let nginx_dir = [
        "sites-enabled",
        "sites-available",
        "conf.d",
        "snippets",
        "http.d",
        "templates",
    ]
    .contains(&parent)
        || dir.contains("nginx");
    // In an nginx folder any file may be configuration (Debian names sites
    // after their host: `sites-enabled/api.example.com`).
    const NOT_CONFIG: &[&str] = &[
        ".md",
        ".txt",
        ".sh",
        ".bak",
        ".orig",
        ".old",
        ".swp",
        ".dpkg-old",
        ".dpkg-dist",
        ".rpmsave",
        ".rpmnew",
        ".json",
        ".yaml",
        ".yml",
        ".py",
        ".lua",
        ".pem",
        ".crt",
        ".key",
        ".types",
        // Examples and packaging copies: nothing loads them.
        ".example",
        ".sample",
        ".dist",
        ".default",
        ".disabled",
    ];
    if nginx_dir && !lower.starts_with('.') && !NOT_CONFIG.iter().any(|e| lower.ends_with(e)) {
        return Some(Kind::Nginx);
    }
    if lower == "nginx.conf"
        || lower.ends_with(".nginx")
        || lower.ends_with(".conf.template")
        || lower.ends_with(".conf")
        || (nginx_dir && !lower.contains('.'))
    {
        return Some(Kind::Nginx);
    }
    None
}

fn checks_of(kind: Kind) -> Vec<&'static str> {
    match kind {
        Kind::Nginx => [checks::NGINX_CHECKS, &[checks::CORS_WILDCARD]].concat(),
        Kind::Haproxy => checks::HAPROXY_CHECKS.to_vec(),
        Kind::Gunicorn | Kind::Python | Kind::Dockerfile | Kind::EnvFile => {
            checks::APP_CHECKS.to_vec()
        }
        Kind::Yaml => [
            checks::K8S_CHECKS,
            checks::ENVOY_CHECKS,
            checks::TRAEFIK_CHECKS,
            checks::APP_CHECKS,
            checks::MODEL_CHECKS,
        ]
        .concat(),
        Kind::TextManifest => checks::MODEL_CHECKS.to_vec(),
    }
}

fn all_file_checks() -> Vec<&'static str> {
    [
        checks::NGINX_CHECKS,
        checks::HAPROXY_CHECKS,
        checks::ENVOY_CHECKS,
        checks::TRAEFIK_CHECKS,
        checks::K8S_CHECKS,
        checks::APP_CHECKS,
        checks::MODEL_CHECKS,
        &[checks::MODEL_ENCRYPTION],
    ]
    .concat()
}

fn affected(skip: &fs::Skip, resolved: &BTreeSet<String>) -> Vec<&'static str> {
    if resolved.contains(&skip.relative) {
        return Vec::new();
    }
    if skip.could_be_anything() {
        return all_file_checks();
    }
    let mut v = classify(&skip.relative).map(checks_of).unwrap_or_default();
    if models::is_model_file(&skip.relative) {
        v.extend(checks::MODEL_CHECKS);
    }
    v
}

fn parent(rel: &str) -> &str {
    rel.rsplit_once('/').map_or("", |(d, _)| d)
}

struct Hash<'a> {
    ctx: &'a Context,
    root: &'a Path,
}

impl models::Hasher for Hash<'_> {
    fn sha256(&self, rel: &str) -> Result<String, String> {
        self.ctx.hash_file("target", rel)
    }
    fn size(&self, rel: &str) -> Option<u64> {
        std::fs::metadata(self.root.join(rel)).ok().map(|m| m.len())
    }
    fn lfs_oid(&self, rel: &str) -> Option<String> {
        let bytes = fs::read_bytes(&self.root.join(rel), 1024).ok()?;
        let text = String::from_utf8(bytes).ok()?;
        if !text.starts_with("version https://git-lfs.github.com/spec/") {
            return None;
        }
        text.lines()
            .find_map(|l| l.strip_prefix("oid sha256:"))
            .map(|h| h.trim().to_ascii_lowercase())
    }
}

#[derive(Default)]
struct Counts {
    processes: usize,
    app_files: usize,
    haproxy: usize,
    envoy: usize,
    traefik: usize,
    encryption: usize,
    cors_inputs: usize,
    app: nginx::AppSignals,
}

/// Scan every relevant file under `root` and record the results on `scan`.
pub fn scan_target(ctx: &Context, root: &Path, options: &WalkOptions, scan: &mut Scan) {
    let walk = fs::walk(root, options);
    let tree = Tree::new(
        root,
        walk.files.iter().map(|e| e.relative.clone()),
        Some(ctx),
    );
    let mut c = Counts::default();

    // Manifests are judged together, as kustomize renders them.
    let mut k8s_files = k8s::Manifests::new();

    let mut nginx_files: Vec<(String, Vec<nginx::Directive>)> = Vec::new();
    let mut processes: Vec<apps::Process> = Vec::new();
    let mut manifests: Vec<models::Manifest> = Vec::new();

    let relevant: Vec<(&fs::Entry, Kind)> = walk
        .files
        .iter()
        .filter_map(|e| classify(&e.relative).map(|k| (e, k)))
        .collect();
    let progress = aicomply_sdk::Progress::new(u32::try_from(relevant.len()).ok());
    for (entry, kind) in relevant {
        progress.file_done();
        scan.checkpoint();
        let rel = entry.relative.as_str();
        let text = match fs::read_text(&entry.path, MAX_CONFIG_BYTES) {
            Ok(t) => t,
            Err(fs::ReadError::TooLarge { .. }) if matches!(kind, Kind::Python) => continue,
            Err(fs::ReadError::TooLarge { .. })
                if kind == Kind::Yaml
                    && rel.to_ascii_lowercase().ends_with(".json")
                    && !k8s::large_json_may_be_manifest(&entry.path)
                    && !models::is_json_manifest(entry.name()) =>
            {
                continue;
            }
            Err(e) => {
                if kind == Kind::Nginx && !rel.contains("nginx") && !rel.ends_with("nginx.conf") {
                    // A .conf of some other program.
                    continue;
                }
                scan.skipped(Location::target(rel), e.skip_reason(), e.to_string());
                for check in checks_of(kind) {
                    scan.incomplete(check, format!("{rel} not examined: {e}"));
                }
                continue;
            }
        };
        match kind {
            Kind::Nginx => {
                let says = rel.to_ascii_lowercase().contains("nginx") || rel.contains("sites-");
                // Jinja/Go/FreeMarker templates of nginx configuration are not
                // rendered here (`${VAR}` envsubst templates parse as they are).
                if says && (text.contains("{{") || text.contains("{%") || text.contains("<#if")) {
                    scan.diagnostic(Location::target(rel), "looks like a template of nginx configuration; render it and scan the output");
                    for check in checks::NGINX_CHECKS {
                        scan.incomplete(
                            check,
                            format!("{rel} is a template that was not rendered"),
                        );
                    }
                    continue;
                }
                match nginx::parse(&text, rel) {
                    Ok(dirs) if nginx::looks_like_nginx(&dirs, says) => {
                        nginx_files.push((rel.to_string(), dirs))
                    }
                    Ok(_) => {}
                    Err(e) if says => {
                        scan.diagnostic(
                            Location::target(rel),
                            format!("not valid nginx configuration: {e}"),
                        );
                        for check in checks::NGINX_CHECKS {
                            scan.incomplete(check, format!("{rel} could not be parsed: {e}"));
                        }
                    }
                    Err(_) => {}
                }
            }
            Kind::Haproxy => c.haproxy += proxies::check_haproxy(rel, &text, scan),
            Kind::Gunicorn => {
                c.app_files += 1;
                apps::check_gunicorn_conf(rel, &text, scan);
                apps::check_python(rel, &text, scan);
            }
            Kind::Python => {
                c.cors_inputs += 1;
                c.app.observe(rel, &text);
                apps::check_python(rel, &text, scan);
            }
            Kind::Dockerfile => {
                if let Some(p) = apps::dockerfile_process(rel, &text) {
                    processes.push(p);
                }
            }
            Kind::EnvFile => {
                c.app_files += 1;
                c.encryption += apps::check_env_file(rel, &text, scan);
            }
            Kind::TextManifest => manifests.push(models::Manifest {
                path: rel.to_string(),
                entries: models::parse_text(entry.name(), &text),
            }),
            Kind::Yaml => yaml_file(
                rel,
                entry.name(),
                &text,
                &mut k8s_files,
                &mut processes,
                &mut manifests,
                &mut c,
                scan,
            ),
        }
    }
    progress.finish();

    // nginx: main files with their includes, then enabled sites and
    // conf.d snippets that no main file includes.
    let resolved_links = nginx_configs(&tree, &nginx_files, &mut c, scan);

    // Kubernetes.
    let objects: Vec<kubernetes::Object> = k8s_files
        .render(scan, &k8s_unread_checks())
        .into_iter()
        .map(kubernetes::Object::new)
        .collect();
    for o in &objects {
        apps::yaml_processes(&o.file, &o.node, &mut processes);
        if k8s::kind(&o.node) == "ConfigMap" {
            for (k, v) in o.node.get("data").map(Node::entries).unwrap_or(&[]) {
                if let (Some(k), Some(val)) = (k.as_str(), v.as_str())
                    && apps::auth_disabled(k, val)
                {
                    scan.finding(
                        checks::APP_AUTH_DISABLED,
                        format!(
                            "ConfigMap {}: {k}={val} turns authentication off",
                            k8s::name(&o.node)
                        ),
                    )
                    .at(o.at(v))
                    .evidence(format!("{k}={val}"));
                }
            }
        }
        if k8s::kind(&o.node) == "TLSOption" {
            c.traefik += proxies::check_traefik(&o.file, &o.node, scan);
        }
    }
    let (ingresses, inference, services) = kubernetes::check(&objects, scan);
    scan.evaluated_if(
        ingresses,
        &[
            checks::INGRESS_NO_TLS,
            checks::INGRESS_RATE_LIMIT,
            checks::INGRESS_NO_AUTH,
        ],
        "no Kubernetes Ingress in the target",
    );
    scan.evaluated_if(
        inference,
        &[checks::K8S_NETWORK_POLICY],
        "no inference workloads (vLLM, TGI, Triton, KServe, Ollama, ... by image, name or labels) in the Kubernetes manifests",
    );
    scan.evaluated_if(
        services,
        &[checks::K8S_SERVICE_EXPOSED],
        "no Kubernetes Service in the target",
    );

    // Application servers.
    c.processes = processes.len();
    for p in &processes {
        apps::check_process(p, scan);
    }
    scan.evaluated_if(
        c.processes + c.app_files,
        &[
            checks::APP_TLS_PROTOCOL,
            checks::APP_AUTH_DISABLED,
            checks::APP_NO_API_KEY,
        ],
        "no Dockerfile, compose service, Kubernetes container, gunicorn.conf.py or .env file in the target",
    );
    scan.evaluated_if(
        c.cors_inputs,
        &[checks::CORS_WILDCARD],
        "no nginx configuration or Python application code in the target",
    );
    scan.evaluated_if(
        c.haproxy,
        checks::HAPROXY_CHECKS,
        "no HAProxy configuration (haproxy.cfg) in the target",
    );
    scan.evaluated_if(
        c.envoy,
        checks::ENVOY_CHECKS,
        "no Envoy configuration (listeners with filter_chains) in the target",
    );
    scan.evaluated_if(
        c.traefik,
        checks::TRAEFIK_CHECKS,
        "no Traefik TLS options (tls.options or TLSOption) in the target",
    );
    scan.evaluated_if(
        c.encryption,
        &[checks::MODEL_ENCRYPTION],
        "no model encryption settings declared in the target (encryption of the volume holding models is not visible in files)",
    );

    // Models.
    let hasher = Hash { ctx, root };
    models::check(&manifests, &tree.files, &hasher, scan);

    walk.report_gaps(scan, "target", |s| affected(s, &resolved_links));
    scan.checkpoint();
}

/// The checks a manifest that was not read (or rendered) leaves
/// incomplete: the Kubernetes ones, and those of the servers its
/// containers run.
fn k8s_unread_checks() -> Vec<&'static str> {
    [
        checks::K8S_CHECKS,
        &[
            checks::APP_TLS_PROTOCOL,
            checks::APP_AUTH_DISABLED,
            checks::APP_NO_API_KEY,
        ],
    ]
    .concat()
}

#[allow(clippy::too_many_arguments)]
fn yaml_file(
    rel: &str,
    name: &str,
    text: &str,
    k8s_files: &mut k8s::Manifests,
    processes: &mut Vec<apps::Process>,
    manifests: &mut Vec<models::Manifest>,
    c: &mut Counts,
    scan: &mut Scan,
) {
    let lower = name.to_ascii_lowercase();
    let is_json = lower.ends_with(".json");
    match k8s_files.add(rel, text) {
        Ok(n) if n > 0 || k8s_files.holds(rel) => return,
        Err(u) => {
            k8s::record_unread(scan, rel, &k8s_unread_checks(), &u);
            return;
        }
        _ => {}
    }
    // Not Kubernetes: compose, Envoy, Traefik, digest manifests, settings.
    let docs = if is_json {
        match yaml::json::parse(text) {
            Ok(Some(d)) => vec![d],
            _ => return,
        }
    } else {
        match yaml::parse(text) {
            Ok(d) => d,
            Err(_) => return,
        }
    };
    if is_json && models::is_json_manifest(name) {
        let entries: Vec<models::Entry> = docs.iter().flat_map(models::parse_json).collect();
        if !entries.is_empty() {
            manifests.push(models::Manifest {
                path: rel.to_string(),
                entries,
            });
            return;
        }
    }
    let compose = lower.starts_with("docker-compose")
        || lower.starts_with("compose.")
        || lower.starts_with("compose-");
    for d in &docs {
        if compose
            || (d.get("services").is_some()
                && d.get("services").is_some_and(|s| {
                    s.entries()
                        .iter()
                        .any(|(_, v)| v.get("image").is_some() || v.get("build").is_some())
                }))
        {
            apps::compose_processes(rel, d, processes);
        } else if proxies::is_envoy(d) {
            c.envoy += proxies::check_envoy(rel, d, scan);
        } else if d.path(&["tls", "options"]).is_some() {
            c.traefik += proxies::check_traefik(rel, d, scan);
        }
    }
    c.app_files += 1;
    c.encryption += apps::check_config(rel, &docs, scan);
}

/// Assemble and judge nginx configurations. Returns the links in the
/// target that were resolved (so their walk gaps do not count).
fn nginx_configs(
    tree: &Tree,
    files: &[(String, Vec<nginx::Directive>)],
    c: &mut Counts,
    scan: &mut Scan,
) -> BTreeSet<String> {
    let mut included: BTreeSet<String> = BTreeSet::new();
    // Per main file: its prefix and the folders its includes point into.
    let mut trees: Vec<(String, BTreeSet<String>)> = Vec::new();
    let mut resolved_links = BTreeSet::new();
    let mut outcome = nginx::Outcome::default();
    let mut configs = 0;
    let add = |o: nginx::Outcome, out: &mut nginx::Outcome| {
        out.servers += o.servers;
        out.tls_servers += o.tls_servers;
        out.proxy_locations += o.proxy_locations;
    };
    let is_main = |dirs: &[nginx::Directive]| {
        dirs.iter()
            .any(|d| d.block.is_some() && (d.name == "http" || d.name == "events"))
    };
    for (rel, dirs) in files.iter().filter(|(_, d)| is_main(d)) {
        configs += 1;
        let mut ex = nginx::Expander::new(tree, parent(rel));
        let expanded = ex.expand(dirs.clone(), &mut vec![rel.clone()]);
        report_expander(&ex, scan);
        included.extend(ex.read.iter().cloned());
        resolved_links.extend(ex.via_links.values().cloned());
        trees.push((parent(rel).to_string(), ex.dirs.clone()));
        let o = nginx::judge(&expanded, false, &ex.via_links, &c.app, scan);
        add(o, &mut outcome);
    }
    // Standalone files: server blocks copied into conf.d / sites-enabled
    // (by a Dockerfile or a package), not included by any main file here.
    let mut standalone: Vec<(String, Option<String>)> = Vec::new();
    for (rel, dirs) in files {
        if is_main(dirs) || included.contains(rel) || rel.contains("sites-available/") {
            continue;
        }
        // In the configuration tree of a main file that does not reach it:
        // a template, an unused snippet; nginx never reads it.
        if trees
            .iter()
            .any(|(prefix, dirs)| in_config_tree(tree, rel, prefix, dirs))
        {
            continue;
        }
        if dirs.iter().any(|d| d.name == "server" && d.block.is_some()) {
            standalone.push((rel.clone(), None));
        }
    }
    // Links in sites-enabled folders (the walk lists their targets only).
    let avail: BTreeSet<String> = files
        .iter()
        .filter(|(r, _)| r.contains("sites-available/"))
        .map(|(r, _)| parent(parent(r)).to_string())
        .collect();
    for base in avail {
        let dir = if base.is_empty() {
            "sites-enabled".to_string()
        } else {
            format!("{base}/sites-enabled")
        };
        let mut ex = nginx::Expander::new(tree, &base);
        for n in tree.list(&dir) {
            let link = format!("{dir}/{n}");
            if tree.is_file(&link) {
                continue;
            }
            match ex.resolve_file(&link) {
                Some(t) => {
                    resolved_links.insert(link.clone());
                    if !included.contains(&t) && !standalone.iter().any(|(s, _)| *s == t) {
                        standalone.push((t, Some(link)));
                    }
                }
                None => scan.diagnostic(
                    Location::target(link.clone()),
                    "enabled site links to a file that is not in the target; nginx would not start",
                ),
            }
        }
    }
    for (rel, link) in standalone {
        let Some((_, dirs)) = files.iter().find(|(r, _)| *r == rel) else {
            continue;
        };
        configs += 1;
        let mut ex = nginx::Expander::with_prefixes(tree, standalone_prefixes(tree, &rel));
        let expanded = ex.expand(dirs.clone(), &mut vec![rel.clone()]);
        report_expander(&ex, scan);
        let mut via = ex.via_links.clone();
        if let Some(l) = link {
            via.insert(rel.clone(), l);
        }
        let o = nginx::judge(&expanded, true, &via, &c.app, scan);
        add(o, &mut outcome);
    }
    let none = "no nginx configuration in the target";
    if configs == 0 {
        for ch in checks::NGINX_CHECKS {
            scan.not_checked(ch, none);
        }
        return resolved_links;
    }
    c.cors_inputs += 1;
    scan.evaluated_if(
        outcome.tls_servers,
        &[
            checks::NGINX_TLS_PROTOCOL,
            checks::NGINX_WEAK_CIPHERS,
            checks::NGINX_HSTS,
        ],
        "no nginx server listens with ssl",
    );
    scan.evaluated_if(
        outcome.servers,
        &[checks::NGINX_PLAINTEXT],
        "no nginx server blocks in the configuration",
    );
    scan.evaluated_if(
        outcome.proxy_locations,
        &[checks::NGINX_RATE_LIMIT, checks::NGINX_NO_AUTH],
        "no nginx location proxies to an upstream API (proxy_pass, grpc_pass, uwsgi_pass)",
    );
    resolved_links
}

/// Whether `rel` belongs to the configuration tree of a main file with
/// this prefix, so that the main file not reaching it means nginx never
/// reads it: in (or below) a non-root folder its includes point into
/// (`conf.d/*.conf` covers `conf.d/` and `conf.d/templates/`), or below the
/// prefix without crossing into another configuration's folder (one with
/// its own `nginx.conf`, an image's `etc/nginx`, or a conf.d / sites-enabled
/// / http.d the main file does not include).
fn in_config_tree(tree: &Tree, rel: &str, prefix: &str, dirs: &BTreeSet<String>) -> bool {
    use source::Source as _;
    let dir = parent(rel);
    let under =
        |d: &str, base: &str| base.is_empty() || d == base || d.starts_with(&format!("{base}/"));
    if dirs
        .iter()
        .any(|d| !d.is_empty() && d != prefix && under(dir, d))
    {
        return true;
    }
    if !under(dir, prefix) {
        return false;
    }
    let rest = if prefix.is_empty() {
        dir
    } else {
        dir[prefix.len()..].trim_start_matches('/')
    };
    let mut f = prefix.to_string();
    for part in rest.split('/').filter(|p| !p.is_empty()) {
        f = if f.is_empty() {
            part.to_string()
        } else {
            format!("{f}/{part}")
        };
        let other_conf_dir = [
            "conf.d",
            "sites-enabled",
            "sites-available",
            "http.d",
            "stream.d",
        ]
        .contains(&part)
            && !dirs.contains(&f);
        if other_conf_dir
            || tree.is_file(&format!("{f}/nginx.conf"))
            || f == "etc/nginx"
            || f.ends_with("/etc/nginx")
        {
            return false;
        }
    }
    true
}

/// The prefixes to try for a file no main file reaches, in order: the
/// nearest of the folder above it holding an `nginx.conf`, the folder
/// holding its conf.d / sites-enabled / http.d (or templates, rendered into
/// conf.d by the official image), and the `etc/nginx` of an image root;
/// then the farther of those, the tree root, and last its own folder.
fn standalone_prefixes(tree: &Tree, rel: &str) -> Vec<String> {
    use source::Source as _;
    let mut found: Vec<String> = Vec::new();
    let mut dir = parent(rel);
    loop {
        let conf = if dir.is_empty() {
            "nginx.conf".to_string()
        } else {
            format!("{dir}/nginx.conf")
        };
        if tree.is_file(&conf) {
            found.push(dir.to_string());
            break;
        }
        if dir.is_empty() {
            break;
        }
        dir = parent(dir);
    }
    let parts: Vec<&str> = parent(rel).split('/').collect();
    if let Some(i) = parts.iter().position(|p| {
        [
            "conf.d",
            "sites-enabled",
            "sites-available",
            "http.d",
            "stream.d",
        ]
        .contains(p)
    }) {
        found.push(parts[..i].join("/"));
    } else if parts.last() == Some(&"templates") {
        found.push(parts[..parts.len() - 1].join("/"));
    }
    if let Some(i) = rel.find("etc/nginx/")
        && (i == 0 || rel[..i].ends_with('/'))
    {
        found.push(rel[..i + "etc/nginx".len()].to_string());
    }
    // Nearest (deepest) first.
    let depth = |d: &String| {
        if d.is_empty() {
            0
        } else {
            d.split('/').count()
        }
    };
    found.sort_by_key(|d| std::cmp::Reverse(depth(d)));
    found.push(String::new());
    // Last: the file's own folder (a site kept next to the snippets it
    // includes, copied into the image together).
    found.push(parent(rel).to_string());
    let mut seen = BTreeSet::new();
    found.retain(|d| seen.insert(d.clone()));
    found
}

fn report_expander(ex: &nginx::Expander, scan: &mut Scan) {
    for (file, e) in &ex.errors {
        scan.diagnostic(
            Location::target(file.clone()),
            format!("nginx include: {e}"),
        );
    }
    for u in &ex.unresolved {
        scan.diagnostic(
            Location::target(u.file.clone()).line(u.line),
            format!(
                "include {} names no file in the target; the settings it would add are unknown",
                u.pattern
            ),
        );
    }
}

#[cfg(test)]
mod tests;
