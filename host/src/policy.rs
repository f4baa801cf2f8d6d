//! The operator's policy: which capabilities each plugin is granted, where
//! named filesystem roots live, per-plugin configuration and limits. Read
//! from `aicomply.toml` (`--policy`) and `--grant`/`--root` flags; nothing is
//! ever asked interactively.
//!
//! A plugin's effective capabilities are what it requested *and* the
//! operator granted. The default policy grants every plugin `fs-read` and
//! `file-meta` of the scan target (the operator chose to scan it) and
//! nothing else.
//!
//! ```toml
//! version = 1
//!
//! [roots]                 # named roots, always mounted read-only
//! host-etc = "/etc"
//!
//! [limits]
//! plugin-timeout = 60     # seconds
//! plugin-memory = 512     # MiB
//!
//! [plugins.host]          # "*" applies to every plugin
//! grant = ["fs-read:host-etc", "file-meta:host-etc"]
//! config = { strict = "true" }
//! ```
//!
//! ## Network probes (`net-probe`)
//!
//! A plugin never gets a socket; it asks the host to probe endpoints
//! (`net-probe:endpoints`, contract 0.1.3), and the operator grants it by
//! naming the endpoints, never by a bare `--grant`:
//!
//! ```toml
//! [scan]
//! endpoints = ["https://api.example.com/v1"]      # to every plugin asking for net-probe
//! endpoint-addresses = ["api.internal=10.0.0.5"]  # fixes resolution, and allows that address
//! endpoint-ca = ["internal-ca.pem"]               # trusted besides the Mozilla roots
//!
//! [limits]
//! probe-timeout = 10      # seconds per probe
//! max-probes = 32         # per plugin per run, refused ones included
//!
//! [plugins.network]
//! endpoints = ["https://inference.internal:8443/"] # to this plugin only
//! ```
//!
//! The same from flags: `--endpoint URL` (every plugin), `--endpoint
//! PLUGIN=URL`, `--endpoint-address HOST=IP`, `--endpoint-ca FILE.pem`,
//! `--probe-timeout SECS`, `--max-probes N`. A plugin requesting
//! `net-probe:endpoints` has it in effect when at least one endpoint is
//! granted to it (scan-wide or its own); it may probe exactly those: an
//! endpoint grants its scheme, host and port and the paths at or under its
//! path. A host name must resolve to public addresses only; loopback,
//! private, link-local and metadata addresses are reached only when the
//! operator names them (an IP literal in the URL, or `endpoint-addresses`).
//! See `crate::probe`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::model::Capability;
use crate::probe::{Endpoint, ProbeSettings};

pub const POLICY_VERSION: u32 = 1;
pub const TARGET_ROOT: &str = "target";
/// Capability kinds this host knows how to grant.
pub const KINDS: &[&str] = &["fs-read", "file-meta", NET_PROBE];
/// The probe capability; its one scope is [`ENDPOINTS_SCOPE`].
pub const NET_PROBE: &str = "net-probe";
pub const ENDPOINTS_SCOPE: &str = "endpoints";

/// A granted capability: a kind on a root, e.g. `fs-read:host-etc`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Grant {
    pub kind: String,
    pub scope: String,
}

impl std::str::FromStr for Grant {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let (kind, scope) = s
            .split_once(':')
            .ok_or_else(|| format!("{s:?} is not KIND:SCOPE (e.g. fs-read:target)"))?;
        if !KINDS.contains(&kind) {
            return Err(format!(
                "unknown capability kind {kind:?} in {s:?} (known: {})",
                KINDS.join(", ")
            ));
        }
        if scope.is_empty() {
            return Err(format!("{s:?} names no scope"));
        }
        if kind == NET_PROBE {
            return Err(format!(
                "{s:?}: net-probe is granted by naming the endpoints: --endpoint [PLUGIN=]URL, or endpoints = [...] under [scan] or [plugins.PLUGIN]"
            ));
        }
        Ok(Grant {
            kind: kind.into(),
            scope: scope.into(),
        })
    }
}

impl std::fmt::Display for Grant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.kind, self.scope)
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyFile {
    version: u32,
    #[serde(default, rename = "waiver")]
    waivers: Vec<Waiver>,
    #[serde(default)]
    roots: BTreeMap<String, PathBuf>,
    #[serde(default)]
    limits: LimitSettings,
    #[serde(default)]
    scan: ScanSettings,
    #[serde(default)]
    plugins: BTreeMap<String, PluginSettings>,
}

/// How the target is read; flags add to or override them.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ScanSettings {
    /// Globs of paths no plugin examines (listed in the report as excluded).
    #[serde(default)]
    pub exclude: Vec<String>,
    /// `off`, `all` or `below-SEVERITY`: which inline suppressions apply.
    pub inline_suppressions: Option<String>,
    /// Endpoints every plugin requesting `net-probe` may probe.
    #[serde(default)]
    pub endpoints: Vec<String>,
    /// `HOST=IP`: what HOST resolves to for probes (and that IP is allowed).
    #[serde(default)]
    pub endpoint_addresses: Vec<String>,
    /// PEM files of CAs trusted for probes besides the Mozilla roots.
    #[serde(default)]
    pub endpoint_ca: Vec<PathBuf>,
}

/// Limits that can be set in the policy file; flags override them.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct LimitSettings {
    pub plugin_timeout: Option<f64>,
    pub plugin_memory: Option<usize>,
    pub max_findings: Option<usize>,
    pub max_string_bytes: Option<usize>,
    pub output_bytes: Option<usize>,
    pub hostcall_mib: Option<usize>,
    pub log_lines: Option<usize>,
    pub table_elements: Option<usize>,
    pub handles: Option<usize>,
    /// Seconds the whole run may take.
    pub run_timeout: Option<f64>,
    /// Largest plugin file loaded, in MiB.
    pub max_plugin_mib: Option<u64>,
    /// Seconds one network probe may take.
    pub probe_timeout: Option<f64>,
    /// Probes one plugin may ask for in a run.
    pub max_probes: Option<usize>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct PluginSettings {
    #[serde(default)]
    grant: Vec<String>,
    #[serde(default)]
    config: BTreeMap<String, String>,
    /// Endpoints this plugin may probe (`net-probe`).
    #[serde(default)]
    endpoints: Vec<String>,
}

/// An accepted risk: findings of `check` (under `path`, a glob, if given)
/// are reported as waived until `expires`, with who accepted them and why.
#[derive(Debug, Clone, PartialEq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct Waiver {
    pub check: String,
    #[serde(default)]
    pub path: Option<String>,
    pub justification: String,
    pub owner: String,
    /// Last day the waiver applies, YYYY-MM-DD.
    pub expires: String,
}

impl Waiver {
    fn validate(&self) -> Result<(), String> {
        let who = format!("waiver for {}", self.check);
        if self.check.trim().is_empty() {
            return Err("a waiver names no check".into());
        }
        if self.justification.trim().is_empty() || self.owner.trim().is_empty() {
            return Err(format!("{who}: justification and owner must not be empty"));
        }
        let date = self.expires.as_bytes();
        let ok = date.len() == 10
            && date[4] == b'-'
            && date[7] == b'-'
            && self.expires.chars().filter(|c| c.is_ascii_digit()).count() == 8;
        if !ok {
            return Err(format!(
                "{who}: expires {:?} is not a date (YYYY-MM-DD)",
                self.expires
            ));
        }
        if let Some(p) = &self.path {
            globset::Glob::new(p).map_err(|e| format!("{who}: path {p:?}: {e}"))?;
        }
        Ok(())
    }

    /// Does the waiver cover a finding of `check` at `path`?
    pub fn covers(&self, check: &str, path: Option<&str>) -> bool {
        if self.check != check {
            return false;
        }
        match (&self.path, path) {
            (None, _) => true,
            (Some(glob), Some(path)) => {
                globset::Glob::new(glob).is_ok_and(|g| g.compile_matcher().is_match(path))
            }
            (Some(_), None) => false,
        }
    }
}

/// The resolved policy.
#[derive(Debug, Clone)]
pub struct Policy {
    pub waivers: Vec<Waiver>,
    /// Named roots (besides the target) and their host paths.
    pub roots: BTreeMap<String, PathBuf>,
    /// Grants per plugin id; `*` applies to all.
    grants: BTreeMap<String, BTreeSet<Grant>>,
    config: BTreeMap<String, Vec<(String, String)>>,
    pub limits: LimitSettings,
    pub scan: ScanSettings,
    /// Endpoints granted per plugin id (`*`: to every plugin), in order.
    endpoints: BTreeMap<String, Vec<Endpoint>>,
    /// Pins and CAs for probes; timeout and count are set by the caller.
    pub probe: ProbeSettings,
}

impl Default for Policy {
    fn default() -> Self {
        let mut grants = BTreeMap::new();
        grants.insert(
            "*".to_string(),
            BTreeSet::from([
                Grant {
                    kind: "fs-read".into(),
                    scope: TARGET_ROOT.into(),
                },
                Grant {
                    kind: "file-meta".into(),
                    scope: TARGET_ROOT.into(),
                },
            ]),
        );
        Self {
            waivers: Vec::new(),
            roots: BTreeMap::new(),
            grants,
            config: BTreeMap::new(),
            limits: LimitSettings::default(),
            scan: ScanSettings::default(),
            endpoints: BTreeMap::new(),
            probe: ProbeSettings::default(),
        }
    }
}

/// A requested capability that is not in effect, and what would grant it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Denied {
    pub capability: Capability,
    pub reason: String,
}

impl Policy {
    /// Load a policy file (if any) and apply flag overrides.
    pub fn load(file: Option<&Path>, grants: &[String], roots: &[String]) -> anyhow::Result<Self> {
        let mut policy = Policy::default();
        if let Some(path) = file {
            let text = crate::safe_fs::read_regular_text(path, 4 << 20)
                .map_err(|e| anyhow::anyhow!("the policy file: {e}"))?;
            let parsed: PolicyFile = toml::from_str(&text)
                .map_err(|e| anyhow::anyhow!("policy file {}: {e}", path.display()))?;
            if parsed.version != POLICY_VERSION {
                anyhow::bail!(
                    "policy file {}: version {} is not supported (this aicomply reads version {POLICY_VERSION})",
                    path.display(),
                    parsed.version
                );
            }
            let base = path.parent().unwrap_or(Path::new("."));
            for (name, root) in parsed.roots {
                policy
                    .add_root(&name, &base.join(root))
                    .map_err(|e| anyhow::anyhow!("policy file {}: {e}", path.display()))?;
            }
            let where_ = |e: String| anyhow::anyhow!("policy file {}: {e}", path.display());
            for e in &parsed.scan.endpoints {
                policy
                    .add_endpoint("*", e)
                    .map_err(|e| where_(format!("[scan] endpoints: {e}")))?;
            }
            for pin in &parsed.scan.endpoint_addresses {
                policy
                    .add_pin(pin)
                    .map_err(|e| where_(format!("[scan] endpoint-addresses: {e}")))?;
            }
            for ca in &parsed.scan.endpoint_ca {
                let certs = crate::probe::load_cas(&base.join(ca))
                    .map_err(|e| where_(format!("[scan] endpoint-ca: {e}")))?;
                policy.probe.extra_cas.extend(certs);
            }
            for (plugin, settings) in parsed.plugins {
                for e in &settings.endpoints {
                    policy
                        .add_endpoint(&plugin, e)
                        .map_err(|e| where_(format!("[plugins.{plugin}] endpoints: {e}")))?;
                }
                for g in settings.grant {
                    let grant = g.parse::<Grant>().map_err(|e| {
                        anyhow::anyhow!(
                            "policy file {}: [plugins.{plugin}] grant: {e}",
                            path.display()
                        )
                    })?;
                    policy
                        .grants
                        .entry(plugin.clone())
                        .or_default()
                        .insert(grant);
                }
                policy
                    .config
                    .insert(plugin, settings.config.into_iter().collect());
            }
            policy.limits = parsed.limits;
            policy.scan = parsed.scan;
            for w in &parsed.waivers {
                w.validate()
                    .map_err(|e| anyhow::anyhow!("policy file {}: {e}", path.display()))?;
            }
            policy.waivers = parsed.waivers;
        }
        for flag in roots {
            let (name, path) = flag
                .split_once('=')
                .ok_or_else(|| anyhow::anyhow!("--root {flag:?}: expected NAME=PATH"))?;
            policy
                .add_root(name, Path::new(path))
                .map_err(|e| anyhow::anyhow!("--root {flag:?}: {e}"))?;
        }
        for flag in grants {
            let (plugin, grant) = flag
                .split_once('=')
                .ok_or_else(|| anyhow::anyhow!("--grant {flag:?}: expected PLUGIN=KIND:SCOPE"))?;
            let grant = grant
                .parse::<Grant>()
                .map_err(|e| anyhow::anyhow!("--grant {flag:?}: {e}"))?;
            policy
                .grants
                .entry(plugin.to_string())
                .or_default()
                .insert(grant);
        }
        Ok(policy)
    }

    /// Apply `--endpoint [PLUGIN=]URL`, `--endpoint-address HOST=IP` and
    /// `--endpoint-ca FILE` (after the policy file's).
    pub fn add_endpoint_flags(
        &mut self,
        endpoints: &[String],
        pins: &[String],
        cas: &[PathBuf],
    ) -> anyhow::Result<()> {
        for flag in endpoints {
            let (plugin, url) = crate::probe::split_endpoint_flag(flag);
            self.add_endpoint(plugin, url)
                .map_err(|e| anyhow::anyhow!("--endpoint {flag:?}: {e}"))?;
        }
        for flag in pins {
            self.add_pin(flag)
                .map_err(|e| anyhow::anyhow!("--endpoint-address {flag:?}: {e}"))?;
        }
        for ca in cas {
            let certs =
                crate::probe::load_cas(ca).map_err(|e| anyhow::anyhow!("--endpoint-ca: {e}"))?;
            self.probe.extra_cas.extend(certs);
        }
        Ok(())
    }

    fn add_endpoint(&mut self, plugin: &str, url: &str) -> Result<(), String> {
        let endpoint = Endpoint::parse(url)?;
        let list = self.endpoints.entry(plugin.to_string()).or_default();
        if !list.contains(&endpoint) {
            list.push(endpoint);
        }
        Ok(())
    }

    fn add_pin(&mut self, flag: &str) -> Result<(), String> {
        let (host, ip) = crate::probe::parse_pin(flag)?;
        let ips = self.probe.pins.entry(host).or_default();
        if !ips.contains(&ip) {
            ips.push(ip);
        }
        Ok(())
    }

    /// The endpoints granted to a plugin: the scan-wide ones, then its own.
    pub fn endpoints_for(&self, plugin: &str) -> Vec<Endpoint> {
        let mut out: Vec<Endpoint> = Vec::new();
        for id in ["*", plugin] {
            for e in self.endpoints.get(id).into_iter().flatten() {
                if !out.contains(e) {
                    out.push(e.clone());
                }
            }
        }
        out
    }

    fn add_root(&mut self, name: &str, path: &Path) -> Result<(), String> {
        if name == TARGET_ROOT {
            return Err("the root name `target` is reserved for the scan target".into());
        }
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(format!(
                "root name {name:?} must be letters, digits, '-' or '_'"
            ));
        }
        let canonical = std::fs::canonicalize(path)
            .map_err(|e| format!("root {name} = {}: {e}", path.display()))?;
        if !canonical.is_dir() {
            return Err(format!(
                "root {name} = {} is not a directory",
                path.display()
            ));
        }
        self.roots.insert(name.to_string(), canonical);
        Ok(())
    }

    /// Operator configuration for a plugin.
    pub fn config(&self, plugin: &str) -> Vec<(String, String)> {
        self.config.get(plugin).cloned().unwrap_or_default()
    }

    fn is_granted(&self, plugin: &str, grant: &Grant) -> bool {
        [plugin, "*"]
            .iter()
            .any(|id| self.grants.get(*id).is_some_and(|g| g.contains(grant)))
    }

    /// Split a plugin's requests into effective and denied (with the reason
    /// and the line that would grant it).
    pub fn resolve(
        &self,
        plugin: &str,
        requested: &[Capability],
    ) -> (Vec<Capability>, Vec<Denied>) {
        let mut effective = Vec::new();
        let mut denied = Vec::new();
        for cap in requested {
            let deny = |reason: String| Denied {
                capability: cap.clone(),
                reason,
            };
            if !KINDS.contains(&cap.kind.as_str()) {
                denied.push(deny(format!(
                    "this aicomply does not know the capability kind {:?}",
                    cap.kind
                )));
                continue;
            }
            if cap.kind == NET_PROBE {
                if cap.scope != ENDPOINTS_SCOPE {
                    denied.push(deny(format!(
                        "net-probe's only scope is {ENDPOINTS_SCOPE:?} (the endpoints the operator grants)"
                    )));
                } else if self.endpoints_for(plugin).is_empty() {
                    denied.push(deny(format!(
                        "no endpoint granted; to grant one pass --endpoint {plugin}=https://HOST[:PORT][/PATH] (or --endpoint URL for every plugin), or add endpoints = [\"https://...\"] under [plugins.{plugin}] or [scan] in aicomply.toml"
                    )));
                } else if !effective.contains(cap) {
                    effective.push(cap.clone());
                }
                continue;
            }
            let grant = Grant {
                kind: cap.kind.clone(),
                scope: cap.scope.clone(),
            };
            if !self.is_granted(plugin, &grant) {
                denied.push(deny(format!(
                    "not granted; to grant it add grant = [\"{grant}\"] under [plugins.{plugin}] in aicomply.toml, or pass --grant {plugin}={grant}"
                )));
            } else if cap.scope != TARGET_ROOT && !self.roots.contains_key(&cap.scope) {
                denied.push(deny(format!(
                    "granted, but the root {:?} is not mapped; add it under [roots] in aicomply.toml or pass --root {}=PATH",
                    cap.scope, cap.scope
                )));
            } else if !effective.contains(cap) {
                effective.push(cap.clone());
            }
        }
        (effective, denied)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cap(kind: &str, scope: &str) -> Capability {
        Capability {
            kind: kind.into(),
            scope: scope.into(),
            reason: String::new(),
        }
    }

    #[test]
    fn default_policy_grants_only_the_target() {
        let p = Policy::default();
        let (eff, denied) = p.resolve(
            "x",
            &[
                cap("fs-read", "target"),
                cap("fs-read", "host-etc"),
                cap("net", "a"),
            ],
        );
        assert_eq!(eff, vec![cap("fs-read", "target")]);
        assert_eq!(denied.len(), 2);
        assert!(
            denied[0].reason.contains("--grant x=fs-read:host-etc"),
            "{}",
            denied[0].reason
        );
        assert!(denied[1].reason.contains("does not know"));
    }

    #[test]
    fn policy_file_grants_roots_config_and_limits() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("etc")).unwrap();
        let file = dir.path().join("aicomply.toml");
        std::fs::write(
            &file,
            "version = 1\n[roots]\nhost-etc = \"etc\"\n[limits]\nplugin-timeout = 5\n[plugins.host]\ngrant = [\"fs-read:host-etc\"]\nconfig = { a = \"b\" }\n",
        )
        .unwrap();
        let p = Policy::load(Some(&file), &[], &[]).unwrap();
        let (eff, denied) = p.resolve(
            "host",
            &[cap("fs-read", "host-etc"), cap("file-meta", "host-etc")],
        );
        assert_eq!(eff, vec![cap("fs-read", "host-etc")]);
        assert_eq!(denied.len(), 1);
        assert_eq!(p.config("host"), vec![("a".to_string(), "b".to_string())]);
        assert_eq!(p.limits.plugin_timeout, Some(5.0));
        // A grant whose root is not mapped is not effective.
        let p = Policy::load(None, &["host=fs-read:nowhere".into()], &[]).unwrap();
        let (eff, denied) = p.resolve("host", &[cap("fs-read", "nowhere")]);
        assert!(eff.is_empty() && denied[0].reason.contains("not mapped"));
    }

    #[test]
    fn net_probe_is_granted_by_naming_endpoints() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("aicomply.toml");
        std::fs::write(
            &file,
            "version = 1\n[scan]\nendpoints = [\"https://all.test/\"]\nendpoint-addresses = [\"api.internal=10.0.0.5\"]\n[limits]\nmax-probes = 4\nprobe-timeout = 2.5\n[plugins.network]\nendpoints = [\"https://mine.test:8443/v1\", \"https://all.test/\"]\n",
        )
        .unwrap();
        let mut p = Policy::load(Some(&file), &[], &[]).unwrap();
        p.add_endpoint_flags(
            &[
                "access=http://127.0.0.1:8080/".into(),
                "https://flag.test/".into(),
            ],
            &["api.internal=10.0.0.6".into()],
            &[],
        )
        .unwrap();
        let names = |id: &str| -> Vec<String> {
            p.endpoints_for(id).iter().map(|e| e.to_string()).collect()
        };
        assert_eq!(
            names("network"),
            [
                "https://all.test:443/",
                "https://flag.test:443/",
                "https://mine.test:8443/v1"
            ]
        );
        assert_eq!(
            names("access"),
            [
                "https://all.test:443/",
                "https://flag.test:443/",
                "http://127.0.0.1:8080/"
            ]
        );
        assert_eq!(p.probe.pins["api.internal"].len(), 2);
        assert_eq!(p.limits.max_probes, Some(4));
        assert_eq!(p.limits.probe_timeout, Some(2.5));
        let (eff, denied) = p.resolve("network", &[cap("net-probe", "endpoints")]);
        assert_eq!(eff, vec![cap("net-probe", "endpoints")]);
        assert!(denied.is_empty());
        let (_, denied) = p.resolve("network", &[cap("net-probe", "anything")]);
        assert!(
            denied[0].reason.contains("only scope"),
            "{}",
            denied[0].reason
        );

        // Without an endpoint, the request is denied with what would grant it.
        let p = Policy::default();
        let (eff, denied) = p.resolve("network", &[cap("net-probe", "endpoints")]);
        assert!(eff.is_empty());
        assert!(
            denied[0].reason.contains("--endpoint network=https://"),
            "{}",
            denied[0].reason
        );
        // A bare --grant does not grant it, and says how.
        let e = Policy::load(None, &["network=net-probe:endpoints".into()], &[])
            .unwrap_err()
            .to_string();
        assert!(e.contains("--endpoint"), "{e}");
        // Bad endpoints and pins are configuration errors.
        let mut p = Policy::default();
        assert!(
            p.add_endpoint_flags(&["ftp://x/".into()], &[], &[])
                .is_err()
        );
        assert!(
            p.add_endpoint_flags(&["https://u:p@x/".into()], &[], &[])
                .is_err()
        );
        assert!(
            p.add_endpoint_flags(&[], &["x=not-ip".into()], &[])
                .is_err()
        );
        assert!(
            p.add_endpoint_flags(&[], &[], &[dir.path().join("missing.pem")])
                .is_err()
        );
    }

    #[test]
    fn bad_policy_input_names_what_is_wrong() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("aicomply.toml");
        std::fs::write(
            &file,
            "version = 1\n[plugins.x]\ngrant = [\"root:everything\"]\n",
        )
        .unwrap();
        let e = Policy::load(Some(&file), &[], &[]).unwrap_err().to_string();
        assert!(
            e.contains("[plugins.x]") && e.contains("unknown capability kind"),
            "{e}"
        );
        std::fs::write(&file, "version = 2\n").unwrap();
        assert!(
            Policy::load(Some(&file), &[], &[])
                .unwrap_err()
                .to_string()
                .contains("version 2")
        );
        std::fs::write(&file, "version = 1\ntypo = 1\n").unwrap();
        assert!(
            Policy::load(Some(&file), &[], &[])
                .unwrap_err()
                .to_string()
                .contains("typo")
        );
        assert!(Policy::load(None, &["nonsense".into()], &[]).is_err());
        assert!(Policy::load(None, &[], &["target=/".into()]).is_err());
    }
}
