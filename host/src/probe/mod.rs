//! Host-mediated network probes (contract 0.1.3): `host.probe-tls` and
//! `host.probe-http`. A plugin never gets a socket; it names an endpoint and
//! the host makes the connection, for endpoints the operator granted only.
//!
//! - **Grants.** An endpoint is an `http` or `https` URL
//!   (`https://host[:port][/path]`, no credentials, no query). It grants its
//!   origin (scheme, host, port) and the paths under its path: granting
//!   `https://api.example.com/v1` lets a plugin probe `/v1` and `/v1/...`
//!   there, nothing else. `--endpoint URL` grants to every plugin that asks
//!   for `net-probe:endpoints`, `--endpoint PLUGIN=URL` to one.
//! - **Addresses.** A name is resolved once; every address it resolves to is
//!   checked and only a checked address is connected to (no second lookup,
//!   so no DNS rebinding between the check and the connection). A name that
//!   resolves to any loopback, private, link-local, metadata or otherwise
//!   special address (see [`addr`]) is refused, unless the operator named
//!   it: an IP literal in the granted URL, or `--endpoint-address HOST=IP`,
//!   which fixes what HOST resolves to (like curl's `--resolve`).
//! - **Redirects** are reported, and followed (at most [`MAX_REDIRECTS`])
//!   only to URLs the grant covers, whose addresses are checked again.
//! - **Bounds.** Each probe ends at its timeout (`--probe-timeout`, 10 s)
//!   or the plugin's deadline; a response head is read up to 32 KiB and a
//!   body up to 64 KiB; a plugin makes at most `--max-probes` (32) probes,
//!   refused ones included, and gets `limit-reached` after.
//! - **Evidence.** Every probe, made or refused, is recorded in the report.

pub mod addr;
mod http;
mod tls;

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rustls::pki_types::CertificateDer;
use serde::{Deserialize, Serialize};

/// Redirects followed at most in one HTTP probe.
pub const MAX_REDIRECTS: usize = 3;
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
pub const DEFAULT_MAX_PROBES: usize = 32;
/// Bytes of a response head read at most.
pub const MAX_HEAD_BYTES: usize = 32 << 10;
/// Bytes of a response body read at most (then discarded).
pub const MAX_BODY_BYTES: usize = 64 << 10;
/// Longest endpoint string kept in a record.
const MAX_RECORDED_URL: usize = 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scheme {
    Http,
    Https,
}

/// A granted endpoint, canonical: `scheme://host:port/path`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub scheme: Scheme,
    pub host: url::Host<String>,
    pub port: u16,
    pub path: String,
}

impl Endpoint {
    /// Parse an operator's endpoint grant.
    pub fn parse(s: &str) -> Result<Self, String> {
        let u = url::Url::parse(s).map_err(|e| format!("{s:?} is not a URL: {e}"))?;
        if u.query().is_some() || u.fragment().is_some() {
            return Err(format!(
                "{s:?}: an endpoint grant has no query or fragment (it grants a path and what is under it)"
            ));
        }
        let target = Target::from_url(u).map_err(|e| format!("{s:?}: {e}"))?;
        Ok(target.endpoint)
    }

    pub fn host_str(&self) -> String {
        match &self.host {
            url::Host::Ipv6(ip) => format!("[{ip}]"),
            h => h.to_string(),
        }
    }

    /// Does this grant cover `t`: same origin, and a path at or under its own?
    pub fn covers(&self, t: &Endpoint) -> bool {
        if self.scheme != t.scheme || self.host != t.host || self.port != t.port {
            return false;
        }
        let base = self.path.trim_end_matches('/');
        base.is_empty()
            || t.path == self.path
            || t.path == base
            || t.path
                .strip_prefix(base)
                .is_some_and(|rest| rest.starts_with('/'))
    }
}

impl std::fmt::Display for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let scheme = match self.scheme {
            Scheme::Http => "http",
            Scheme::Https => "https",
        };
        write!(
            f,
            "{scheme}://{}:{}{}",
            self.host_str(),
            self.port,
            self.path
        )
    }
}

/// A URL a probe asks for: an endpoint plus the query sent with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub endpoint: Endpoint,
    pub query: Option<String>,
}

impl Target {
    pub fn parse(s: &str) -> Result<Self, String> {
        let u = url::Url::parse(s).map_err(|e| format!("not a URL: {e}"))?;
        Self::from_url(u)
    }

    fn from_url(u: url::Url) -> Result<Self, String> {
        let scheme = match u.scheme() {
            "http" => Scheme::Http,
            "https" => Scheme::Https,
            other => return Err(format!("scheme {other:?} is not http or https")),
        };
        if !u.username().is_empty() || u.password().is_some() {
            return Err("a probed URL carries no credentials".into());
        }
        let host = u.host().ok_or("the URL names no host")?.to_owned();
        if let url::Host::Domain(d) = &host
            && d.is_empty()
        {
            return Err("the URL names no host".into());
        }
        let port = u.port_or_known_default().ok_or("the URL names no port")?;
        Ok(Target {
            endpoint: Endpoint {
                scheme,
                host,
                port,
                path: u.path().to_string(),
            },
            query: u.query().map(str::to_string),
        })
    }

    /// The request target of an HTTP request line.
    pub fn request_target(&self) -> String {
        match &self.query {
            Some(q) => format!("{}?{q}", self.endpoint.path),
            None => self.endpoint.path.clone(),
        }
    }
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.endpoint)?;
        if let Some(q) = &self.query {
            write!(f, "?{q}")?;
        }
        Ok(())
    }
}

/// Parse `--endpoint-address HOST=IP`.
pub fn parse_pin(s: &str) -> Result<(String, IpAddr), String> {
    let (host, ip) = s
        .split_once('=')
        .ok_or_else(|| format!("{s:?} is not HOST=IP"))?;
    let host = host.trim().trim_end_matches('.').to_ascii_lowercase();
    if host.is_empty() || host.parse::<IpAddr>().is_ok() || host.contains(['/', ':', '@']) {
        return Err(format!("{s:?}: HOST must be a host name"));
    }
    let ip = ip
        .trim()
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<IpAddr>()
        .map_err(|e| format!("{s:?}: {e}"))?;
    Ok((host, ip))
}

/// Split `--endpoint [PLUGIN=]URL` into the plugin (`*` for all) and the URL.
pub fn split_endpoint_flag(s: &str) -> (&str, &str) {
    match s.split_once('=') {
        Some((plugin, url))
            if !plugin.is_empty()
                && plugin
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '*') =>
        {
            (plugin, url)
        }
        _ => ("*", s),
    }
}

/// Load PEM certificates (operator CAs).
pub fn load_cas(path: &std::path::Path) -> Result<Vec<CertificateDer<'static>>, String> {
    use rustls::pki_types::pem::PemObject;
    let text = crate::safe_fs::read_regular_text(path, 4 << 20)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(text.as_bytes())
        .collect::<Result<_, _>>()
        .map_err(|e| format!("{}: {e}", path.display()))?;
    if certs.is_empty() {
        return Err(format!("{}: no PEM certificate in it", path.display()));
    }
    Ok(certs)
}

/// Settings shared by every plugin's probes.
#[derive(Debug, Clone)]
pub struct ProbeSettings {
    /// `--endpoint-address`: what a host name resolves to (and is allowed).
    pub pins: BTreeMap<String, Vec<IpAddr>>,
    /// Operator CAs, trusted besides the Mozilla roots.
    pub extra_cas: Vec<CertificateDer<'static>>,
    pub timeout: Duration,
    pub max_probes: usize,
}

impl Default for ProbeSettings {
    fn default() -> Self {
        Self {
            pins: BTreeMap::new(),
            extra_cas: Vec::new(),
            timeout: DEFAULT_TIMEOUT,
            max_probes: DEFAULT_MAX_PROBES,
        }
    }
}

// ---- what a probe found (mirrors the contract's records) ----

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TlsAttempt {
    pub offered: String,
    pub accepted: bool,
    pub version: Option<String>,
    pub cipher: Option<String>,
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CertificateInfo {
    pub subject: String,
    pub issuer: String,
    pub names: Vec<String>,
    pub not_before: String,
    pub not_after: String,
    pub days_to_expiry: i64,
    pub chain_length: u32,
    pub chain_valid: bool,
    pub chain_error: Option<String>,
    pub hostname_matches: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TlsReport {
    pub endpoint: String,
    pub address: String,
    pub attempts: Vec<TlsAttempt>,
    pub certificate: Option<CertificateInfo>,
    pub not_probed: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Redirect {
    pub status: u16,
    pub location: String,
    pub followed: bool,
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HttpReport {
    pub endpoint: String,
    pub url: String,
    pub address: String,
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub refused_unauthenticated: bool,
    pub redirects: Vec<Redirect>,
    pub body_bytes: u64,
    pub truncated: bool,
}

/// Why a probe was not made or did not complete (contract `probe-failure`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Failure {
    NotGranted,
    AddressRefused,
    LimitReached,
    ResolveFailed,
    ConnectFailed,
    Timeout,
    TlsFailed,
    ProtocolError,
}

impl Failure {
    pub fn as_str(self) -> &'static str {
        match self {
            Failure::NotGranted => "not-granted",
            Failure::AddressRefused => "address-refused",
            Failure::LimitReached => "limit-reached",
            Failure::ResolveFailed => "resolve-failed",
            Failure::ConnectFailed => "connect-failed",
            Failure::Timeout => "timeout",
            Failure::TlsFailed => "tls-failed",
            Failure::ProtocolError => "protocol-error",
        }
    }

    /// Refused by the host's rules, as opposed to failed on the network.
    pub fn is_refusal(self) -> bool {
        matches!(
            self,
            Failure::NotGranted | Failure::AddressRefused | Failure::LimitReached
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeError {
    pub failure: Failure,
    pub message: String,
}

impl ProbeError {
    fn new(failure: Failure, message: impl Into<String>) -> Self {
        Self {
            failure,
            message: message.into(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ProbeKind {
    Tls,
    Http,
}

impl ProbeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ProbeKind::Tls => "tls",
            ProbeKind::Http => "http",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ProbeOutcome {
    /// Made, and the result is in `tls` or `http`.
    Ok,
    /// Not made: not granted, address refused or over the limit.
    Refused,
    /// Made, and it failed (resolution, connection, timeout, protocol).
    Failed,
}

impl ProbeOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            ProbeOutcome::Ok => "ok",
            ProbeOutcome::Refused => "refused",
            ProbeOutcome::Failed => "failed",
        }
    }
}

/// One probe a plugin asked for, as the report records it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProbeRecord {
    pub kind: ProbeKind,
    /// The endpoint as the plugin named it.
    pub endpoint: String,
    pub outcome: ProbeOutcome,
    #[serde(default)]
    pub failure: Option<Failure>,
    #[serde(default)]
    pub message: Option<String>,
    /// The address connected to, `ip:port`, when one was.
    #[serde(default)]
    pub address: Option<String>,
    #[serde(default)]
    pub tls: Option<TlsReport>,
    #[serde(default)]
    pub http: Option<HttpReport>,
    pub duration_ms: u64,
}

/// The probes of one plugin: kept outside its store, so a plugin abandoned
/// in a host call still leaves them.
#[derive(Debug, Clone, Default)]
pub struct ProbeLog {
    pub records: Vec<ProbeRecord>,
    /// Probes asked for past the limit after the first refusal, counted only.
    pub over_limit: usize,
}

pub type SharedLog = Arc<Mutex<ProbeLog>>;

/// One plugin's prober: its granted endpoints and its probe budget.
pub struct Prober {
    settings: Arc<ProbeSettings>,
    endpoints: Vec<Endpoint>,
    used: usize,
    log: SharedLog,
}

impl Prober {
    pub fn new(settings: Arc<ProbeSettings>, endpoints: Vec<Endpoint>, log: SharedLog) -> Self {
        Self {
            settings,
            endpoints,
            used: 0,
            log,
        }
    }

    pub fn endpoints(&self) -> Vec<String> {
        self.endpoints.iter().map(|e| e.to_string()).collect()
    }

    /// The grant covering `t`, if any.
    fn grant_for(&self, t: &Endpoint) -> Option<&Endpoint> {
        self.endpoints.iter().find(|g| g.covers(t))
    }

    /// Count a probe against the limit and check its URL against the grants.
    fn admit(&mut self, endpoint: &str) -> Result<Target, ProbeError> {
        self.used += 1;
        if self.used > self.settings.max_probes {
            return Err(ProbeError::new(
                Failure::LimitReached,
                format!(
                    "this plugin has made its {} probes for this run (--max-probes)",
                    self.settings.max_probes
                ),
            ));
        }
        if self.endpoints.is_empty() {
            return Err(ProbeError::new(
                Failure::NotGranted,
                "no endpoint was granted to this plugin (net-probe needs --endpoint)",
            ));
        }
        let target = Target::parse(endpoint)
            .map_err(|e| ProbeError::new(Failure::NotGranted, format!("{e}; not granted")))?;
        if self.grant_for(&target.endpoint).is_none() {
            return Err(ProbeError::new(
                Failure::NotGranted,
                format!(
                    "{} is not an endpoint granted to this plugin",
                    clip(&target.to_string())
                ),
            ));
        }
        Ok(target)
    }

    fn record(&self, record: ProbeRecord) {
        let mut log = self.log.lock().unwrap_or_else(|e| e.into_inner());
        if record.failure == Some(Failure::LimitReached)
            && log
                .records
                .iter()
                .any(|r| r.failure == Some(Failure::LimitReached))
        {
            log.over_limit += 1;
        } else {
            log.records.push(record);
        }
    }

    fn deadline(&self, plugin_deadline: Instant) -> Instant {
        (Instant::now() + self.settings.timeout).min(plugin_deadline)
    }

    pub async fn probe_tls(
        &mut self,
        endpoint: &str,
        plugin_deadline: Instant,
    ) -> Result<TlsReport, ProbeError> {
        let start = Instant::now();
        let result = match self.admit(endpoint) {
            Err(e) => Err(e),
            Ok(target) if target.endpoint.scheme != Scheme::Https => Err(ProbeError::new(
                Failure::ProtocolError,
                format!("{target} is not an https endpoint: nothing to handshake with"),
            )),
            Ok(target) => {
                let deadline = self.deadline(plugin_deadline);
                within(deadline, tls::probe(&self.settings, &target, deadline)).await
            }
        };
        self.record(ProbeRecord {
            kind: ProbeKind::Tls,
            endpoint: clip(endpoint),
            outcome: outcome(&result),
            failure: result.as_ref().err().map(|e| e.failure),
            message: result.as_ref().err().map(|e| clip(&e.message)),
            address: result.as_ref().ok().map(|r| r.address.clone()),
            tls: result.as_ref().ok().cloned(),
            http: None,
            duration_ms: start.elapsed().as_millis() as u64,
        });
        result
    }

    pub async fn probe_http(
        &mut self,
        endpoint: &str,
        plugin_deadline: Instant,
    ) -> Result<HttpReport, ProbeError> {
        let start = Instant::now();
        let result = match self.admit(endpoint) {
            Err(e) => Err(e),
            Ok(target) => {
                let deadline = self.deadline(plugin_deadline);
                within(deadline, http::probe(self, target, deadline)).await
            }
        };
        self.record(ProbeRecord {
            kind: ProbeKind::Http,
            endpoint: clip(endpoint),
            outcome: outcome(&result),
            failure: result.as_ref().err().map(|e| e.failure),
            message: result.as_ref().err().map(|e| clip(&e.message)),
            address: result.as_ref().ok().map(|r| r.address.clone()),
            tls: None,
            http: result.as_ref().ok().cloned(),
            duration_ms: start.elapsed().as_millis() as u64,
        });
        result
    }

    /// Resolve a host once and check every address; the addresses a probe
    /// may connect to.
    async fn resolve(
        &self,
        t: &Endpoint,
        deadline: Instant,
    ) -> Result<Vec<SocketAddr>, ProbeError> {
        resolve(&self.settings, t, deadline).await
    }
}

fn outcome<T>(r: &Result<T, ProbeError>) -> ProbeOutcome {
    match r {
        Ok(_) => ProbeOutcome::Ok,
        Err(e) if e.failure.is_refusal() => ProbeOutcome::Refused,
        Err(_) => ProbeOutcome::Failed,
    }
}

fn clip(s: &str) -> String {
    clip_to(s, MAX_RECORDED_URL)
}

fn clip_to(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let mut cut = max;
    while !s.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}…[{} bytes]", &s[..cut], s.len())
}

/// Run a probe step, turning the deadline into a `timeout` failure.
async fn within<T>(
    deadline: Instant,
    f: impl std::future::Future<Output = Result<T, ProbeError>>,
) -> Result<T, ProbeError> {
    match tokio::time::timeout_at(deadline.into(), f).await {
        Ok(r) => r,
        Err(_) => Err(ProbeError::new(
            Failure::Timeout,
            "no answer within the probe's time (--probe-timeout)",
        )),
    }
}

/// The addresses a probe of `t` may connect to: the IP literal, the
/// operator's pin, or a lookup whose every address is public.
pub async fn resolve(
    settings: &ProbeSettings,
    t: &Endpoint,
    deadline: Instant,
) -> Result<Vec<SocketAddr>, ProbeError> {
    let name = match &t.host {
        url::Host::Ipv4(ip) => return Ok(vec![SocketAddr::new((*ip).into(), t.port)]),
        url::Host::Ipv6(ip) => return Ok(vec![SocketAddr::new((*ip).into(), t.port)]),
        url::Host::Domain(d) => d.trim_end_matches('.').to_ascii_lowercase(),
    };
    if let Some(ips) = settings.pins.get(&name) {
        return Ok(ips.iter().map(|ip| SocketAddr::new(*ip, t.port)).collect());
    }
    let found = within(deadline, async {
        tokio::net::lookup_host((name.as_str(), t.port))
            .await
            .map_err(|e| ProbeError::new(Failure::ResolveFailed, format!("{name}: {e}")))
    })
    .await?;
    let mut addrs: Vec<SocketAddr> = Vec::new();
    for a in found {
        if !addrs.contains(&a) {
            addrs.push(a);
        }
    }
    if addrs.is_empty() {
        return Err(ProbeError::new(
            Failure::ResolveFailed,
            format!("{name} resolved to no address"),
        ));
    }
    let refused: Vec<String> = addrs
        .iter()
        .filter_map(|a| addr::refused(a.ip()).map(|why| format!("{} ({why})", a.ip())))
        .collect();
    if !refused.is_empty() {
        return Err(ProbeError::new(
            Failure::AddressRefused,
            format!(
                "{name} resolves to {}; not connected: the grant names the host, not this address (grant the IP in the URL, or pin it with --endpoint-address {name}=IP)",
                refused.join(", ")
            ),
        ));
    }
    Ok(addrs)
}

/// Connect to the first of the checked addresses that answers.
async fn connect(
    addrs: &[SocketAddr],
    deadline: Instant,
) -> Result<(tokio::net::TcpStream, SocketAddr), ProbeError> {
    let mut errors = Vec::new();
    for a in addrs {
        match tokio::time::timeout_at(deadline.into(), tokio::net::TcpStream::connect(a)).await {
            Ok(Ok(s)) => return Ok((s, *a)),
            Ok(Err(e)) => errors.push(format!("{a}: {e}")),
            Err(_) => {
                return Err(ProbeError::new(
                    Failure::Timeout,
                    format!("{a}: no connection within the probe's time"),
                ));
            }
        }
    }
    Err(ProbeError::new(Failure::ConnectFailed, errors.join("; ")))
}

/// Probe records for the sample report templates are tried on.
pub fn sample_records() -> Vec<ProbeRecord> {
    vec![
        ProbeRecord {
            kind: ProbeKind::Tls,
            endpoint: "https://api.example.org/".into(),
            outcome: ProbeOutcome::Ok,
            failure: None,
            message: None,
            address: Some("192.0.2.10:443".into()),
            tls: Some(TlsReport {
                endpoint: "https://api.example.org:443/".into(),
                address: "192.0.2.10:443".into(),
                attempts: vec![
                    TlsAttempt {
                        offered: "default".into(),
                        accepted: true,
                        version: Some("TLSv1.3".into()),
                        cipher: Some("TLS_AES_128_GCM_SHA256".into()),
                        error: None,
                    },
                    TlsAttempt {
                        offered: "TLSv1.2".into(),
                        accepted: false,
                        version: None,
                        cipher: None,
                        error: Some(
                            "handshake failed: received fatal alert: ProtocolVersion".into(),
                        ),
                    },
                ],
                certificate: Some(CertificateInfo {
                    subject: "CN=api.example.org".into(),
                    issuer: "CN=Example CA".into(),
                    names: vec!["api.example.org".into()],
                    not_before: "2026-01-01T00:00:00Z".into(),
                    not_after: "2027-01-01T00:00:00Z".into(),
                    days_to_expiry: 30,
                    chain_length: 2,
                    chain_valid: true,
                    chain_error: None,
                    hostname_matches: true,
                }),
                not_probed: vec!["TLSv1.1: not probed".into(), "TLSv1.0: not probed".into()],
            }),
            http: None,
            duration_ms: 12,
        },
        ProbeRecord {
            kind: ProbeKind::Http,
            endpoint: "https://api.example.org/".into(),
            outcome: ProbeOutcome::Ok,
            failure: None,
            message: None,
            address: Some("192.0.2.10:443".into()),
            tls: None,
            http: Some(HttpReport {
                endpoint: "https://api.example.org:443/".into(),
                url: "https://api.example.org:443/".into(),
                address: "192.0.2.10:443".into(),
                status: 302,
                headers: vec![("location".into(), "http://169.254.169.254/".into())],
                refused_unauthenticated: false,
                redirects: vec![Redirect {
                    status: 302,
                    location: "http://169.254.169.254/".into(),
                    followed: false,
                    note: "not followed: not an endpoint granted to this plugin".into(),
                }],
                body_bytes: 0,
                truncated: false,
            }),
            duration_ms: 8,
        },
        ProbeRecord {
            kind: ProbeKind::Http,
            endpoint: "https://other.example.org/".into(),
            outcome: ProbeOutcome::Refused,
            failure: Some(Failure::NotGranted),
            message: Some("not an endpoint granted to this plugin".into()),
            address: None,
            tls: None,
            http: None,
            duration_ms: 0,
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_parse_to_a_canonical_form() {
        let e = Endpoint::parse("https://API.Example.com/v1").unwrap();
        assert_eq!(e.to_string(), "https://api.example.com:443/v1");
        assert_eq!(
            Endpoint::parse("http://127.0.0.1:8080")
                .unwrap()
                .to_string(),
            "http://127.0.0.1:8080/"
        );
        assert_eq!(
            Endpoint::parse("https://[::1]:8443/x").unwrap().to_string(),
            "https://[::1]:8443/x"
        );
        for bad in [
            "ftp://example.com/",
            "https://user:pw@example.com/",
            "https://example.com/?a=b",
            "https://example.com/#x",
            "example.com",
            "file:///etc/passwd",
            "https://",
        ] {
            assert!(Endpoint::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_grant_covers_its_origin_and_the_paths_under_it() {
        let g = Endpoint::parse("https://api.example.com/v1").unwrap();
        let t = |s: &str| Target::parse(s).unwrap().endpoint;
        assert!(g.covers(&t("https://api.example.com/v1")));
        assert!(g.covers(&t("https://api.example.com:443/v1/models?x=1")));
        assert!(!g.covers(&t("https://api.example.com/v10")));
        assert!(!g.covers(&t("https://api.example.com/")));
        assert!(!g.covers(&t("https://api.example.com/v1/../admin")));
        assert!(!g.covers(&t("http://api.example.com/v1")));
        assert!(!g.covers(&t("https://api.example.com:8443/v1")));
        assert!(!g.covers(&t("https://evil.example.com/v1")));
        assert!(!g.covers(&t("https://api.example.com.evil.net/v1")));
        let root = Endpoint::parse("https://api.example.com").unwrap();
        assert!(root.covers(&t("https://api.example.com/anything/at/all")));
        let slash = Endpoint::parse("https://api.example.com/v1/").unwrap();
        assert!(slash.covers(&t("https://api.example.com/v1/x")));
        assert!(slash.covers(&t("https://api.example.com/v1")));
        assert!(!slash.covers(&t("https://api.example.com/v2")));
        // IP literals compare as addresses.
        let ip = Endpoint::parse("http://[::ffff:7f00:1]/").unwrap();
        assert!(!ip.covers(&t("http://127.0.0.1/")));
    }

    #[test]
    fn flags_split_plugin_and_url_and_pins_name_a_host() {
        assert_eq!(
            split_endpoint_flag("https://x.test/?a=b"),
            ("*", "https://x.test/?a=b")
        );
        assert_eq!(
            split_endpoint_flag("network=https://x.test/"),
            ("network", "https://x.test/")
        );
        assert_eq!(split_endpoint_flag("*=http://x/"), ("*", "http://x/"));
        assert_eq!(
            parse_pin("API.example.com=10.0.0.5").unwrap(),
            ("api.example.com".into(), "10.0.0.5".parse().unwrap())
        );
        assert_eq!(
            parse_pin("h=[::1]").unwrap(),
            ("h".into(), "::1".parse().unwrap())
        );
        assert!(parse_pin("10.0.0.1=10.0.0.2").is_err());
        assert!(parse_pin("host").is_err());
        assert!(parse_pin("host=nope").is_err());
    }

    fn prober(endpoints: &[&str], max: usize) -> (Prober, SharedLog) {
        let log = SharedLog::default();
        let settings = ProbeSettings {
            max_probes: max,
            ..Default::default()
        };
        let eps = endpoints
            .iter()
            .map(|e| Endpoint::parse(e).unwrap())
            .collect();
        (Prober::new(Arc::new(settings), eps, log.clone()), log)
    }

    #[tokio::test]
    async fn refusals_are_results_recorded_and_counted_against_the_limit() {
        let (mut p, log) = prober(&["https://granted.test/"], 3);
        let far = Instant::now() + Duration::from_secs(5);
        let e = p.probe_http("https://other.test/", far).await.unwrap_err();
        assert_eq!(e.failure, Failure::NotGranted);
        let e = p.probe_tls("not a url", far).await.unwrap_err();
        assert_eq!(e.failure, Failure::NotGranted);
        let e = p.probe_tls("http://granted.test/", far).await.unwrap_err();
        assert_eq!(e.failure, Failure::NotGranted);
        for _ in 0..5 {
            let e = p.probe_tls("https://granted.test/", far).await.unwrap_err();
            assert_eq!(e.failure, Failure::LimitReached);
        }
        let log = log.lock().unwrap();
        assert_eq!(log.records.len(), 4, "{:?}", log.records);
        assert_eq!(log.over_limit, 4);
        assert!(
            log.records
                .iter()
                .all(|r| r.outcome == ProbeOutcome::Refused)
        );
    }

    #[tokio::test]
    async fn no_grant_means_not_granted() {
        let (mut p, _) = prober(&[], 3);
        let far = Instant::now() + Duration::from_secs(5);
        let e = p.probe_http("https://x.test/", far).await.unwrap_err();
        assert_eq!(e.failure, Failure::NotGranted);
        assert!(p.endpoints().is_empty());
    }

    #[tokio::test]
    async fn names_resolving_to_special_addresses_are_refused_unless_named() {
        let s = ProbeSettings::default();
        let far = Instant::now() + Duration::from_secs(5);
        let t = Endpoint::parse("http://localhost:9/").unwrap();
        let e = resolve(&s, &t, far).await.unwrap_err();
        assert_eq!(e.failure, Failure::AddressRefused, "{}", e.message);
        assert!(e.message.contains("loopback"), "{}", e.message);
        // An IP literal names the address.
        let t = Endpoint::parse("http://127.0.0.1:9/").unwrap();
        assert_eq!(
            resolve(&s, &t, far).await.unwrap()[0].to_string(),
            "127.0.0.1:9"
        );
        // So does a pin, which also fixes resolution.
        let mut s = ProbeSettings::default();
        s.pins
            .insert("localhost".into(), vec!["127.0.0.2".parse().unwrap()]);
        let t = Endpoint::parse("http://LOCALHOST.:9/").unwrap();
        assert_eq!(
            resolve(&s, &t, far).await.unwrap()[0].to_string(),
            "127.0.0.2:9"
        );
    }
}
