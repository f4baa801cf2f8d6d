//! Host-mediated probes (contract 0.1.3), end to end: real TLS and HTTP
//! servers on 127.0.0.1 with certificates made at test time (a test CA
//! passed with --endpoint-ca), the real binary and the `probe-all` and
//! `probe-abuser` test plugins. The report's evidence and what the plugin
//! saw must agree; what was not granted must be refused, before any
//! connection where there would be one.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::*;

// ---- certificates ----

struct Pki {
    ca_pem: String,
    ca_der: Vec<u8>,
    issuer: rcgen::Issuer<'static, rcgen::KeyPair>,
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

impl Pki {
    fn new() -> Self {
        let key = rcgen::KeyPair::generate().unwrap();
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "aicomply test CA");
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params.key_usages = vec![
            rcgen::KeyUsagePurpose::KeyCertSign,
            rcgen::KeyUsagePurpose::CrlSign,
            rcgen::KeyUsagePurpose::DigitalSignature,
        ];
        let cert = params.self_signed(&key).unwrap();
        Pki {
            ca_pem: cert.pem(),
            ca_der: cert.der().to_vec(),
            issuer: rcgen::Issuer::new(params, key),
        }
    }

    /// A leaf for `names`, valid from `from` to `to` days from now.
    fn leaf(&self, names: &[&str], from: i64, to: i64) -> (Vec<u8>, Vec<u8>) {
        let key = rcgen::KeyPair::generate().unwrap();
        let mut params =
            rcgen::CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>())
                .unwrap();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, names[0]);
        let at = |days: i64| {
            let secs = (unix_now() as i64 + days * 86_400) as u64;
            rcgen::date_time_ymd(1970, 1, 1) + Duration::from_secs(secs)
        };
        params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
        params.not_before = at(from);
        params.not_after = at(to);
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        (cert.der().to_vec(), key.serialize_der())
    }
}

// ---- servers ----

/// What a server answers to a request head (its first line and headers).
type Handler = Arc<dyn Fn(&str) -> Vec<u8> + Send + Sync>;

fn read_head(stream: &mut dyn Read) -> Option<String> {
    let mut reader = BufReader::new(stream);
    let mut head = String::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        if line == "\r\n" || line == "\n" {
            return Some(head);
        }
        head.push_str(&line);
        if head.len() > 64 << 10 {
            return None;
        }
    }
}

fn serve(stream: &mut (impl Read + Write), handler: &Handler) {
    if let Some(head) = read_head(stream) {
        let _ = stream.write_all(&handler(&head));
        let _ = stream.flush();
    }
}

/// A plain HTTP server; counts the connections it accepted.
fn http_server(handler: Handler) -> (u16, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let accepted = Arc::new(AtomicUsize::new(0));
    let count = accepted.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            count.fetch_add(1, Ordering::SeqCst);
            let handler = handler.clone();
            std::thread::spawn(move || serve(&mut stream, &handler));
        }
    });
    (port, accepted)
}

/// A TLS server with one certificate (and the CA after it), speaking the
/// given versions, answering HTTP over TLS.
fn tls_server(
    leaf: (Vec<u8>, Vec<u8>),
    ca: &[u8],
    versions: &[&'static rustls::SupportedProtocolVersion],
    handler: Handler,
) -> u16 {
    use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(versions)
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![
                CertificateDer::from(leaf.0),
                CertificateDer::from(ca.to_vec()),
            ],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf.1)),
        )
        .unwrap();
    let config = Arc::new(config);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(tcp) = stream else { continue };
            let (config, handler) = (config.clone(), handler.clone());
            std::thread::spawn(move || {
                let _ = tcp.set_read_timeout(Some(Duration::from_secs(20)));
                let Ok(conn) = rustls::ServerConnection::new(config) else {
                    return;
                };
                let mut tls = rustls::StreamOwned::new(conn, tcp);
                serve(&mut tls, &handler);
                tls.conn.send_close_notify();
                let _ = tls.flush();
            });
        }
    });
    port
}

fn respond(status: &str, headers: &[(&str, &str)], body: &str) -> Vec<u8> {
    let mut r = format!("HTTP/1.1 {status}\r\n");
    for (k, v) in headers {
        r.push_str(&format!("{k}: {v}\r\n"));
    }
    r.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    ));
    r.into_bytes()
}

fn ok_handler() -> Handler {
    Arc::new(|_| {
        respond(
            "200 OK",
            &[
                (
                    "Strict-Transport-Security",
                    "max-age=63072000; includeSubDomains",
                ),
                ("Server", "probe-test"),
                ("Set-Cookie", "session=secret"),
            ],
            "hello",
        )
    })
}

// ---- running ----

struct Probed {
    _dir: tempfile::TempDir,
    out: std::path::PathBuf,
    output: std::process::Output,
    report: Value,
    elapsed: Duration,
}

impl Probed {
    fn stderr(&self) -> String {
        stderr(&self.output)
    }

    fn probes(&self, plugin_id: &str) -> Vec<Value> {
        plugin(&self.report, plugin_id)["probes"]
            .as_array()
            .unwrap()
            .clone()
    }

    /// The probe record of `kind` for an endpoint (as the plugin named it).
    fn probe(&self, plugin_id: &str, kind: &str, endpoint: &str) -> Value {
        self.probes(plugin_id)
            .into_iter()
            .find(|p| p["kind"] == kind && p["endpoint"] == endpoint)
            .unwrap_or_else(|| {
                panic!(
                    "no {kind} probe of {endpoint} in {:#}",
                    plugin(&self.report, plugin_id)["probes"]
                )
            })
    }

    /// What the plugin reported seeing for `kind` and `endpoint`.
    fn seen(&self, plugin_id: &str, kind: &str, endpoint: &str) -> String {
        let prefix = format!("{kind} {endpoint} ");
        self.report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["plugin"] == plugin_id)
            .filter_map(|f| f["message"].as_str())
            .find(|m| m.starts_with(&prefix))
            .unwrap_or_else(|| panic!("{plugin_id} reported nothing for {prefix}"))
            .to_string()
    }
}

fn run_probes(components: &[&str], target: Option<&Path>, args: &[&str]) -> Probed {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("target");
    std::fs::create_dir(&empty).unwrap();
    let target = target.unwrap_or(&empty).to_path_buf();
    let plugins = plugin_dir(dir.path(), components);
    let out = dir.path().join("out");
    let mut all = vec![
        "run",
        "--target",
        target.to_str().unwrap(),
        "--plugins",
        plugins.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--format",
        "json,html,md,sarif,junit",
        "--fail-on",
        "none",
    ];
    all.extend_from_slice(args);
    let start = Instant::now();
    let output = aicomply_within(&all, Duration::from_secs(240));
    let elapsed = start.elapsed();
    let report = read_json(&out.join("report.json"));
    validate(&report);
    Probed {
        _dir: dir,
        out,
        output,
        report,
        elapsed,
    }
}

fn validate(report: &Value) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../reports/report.schema.json");
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(report)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .take(10)
        .collect();
    assert!(
        errors.is_empty(),
        "report.json does not match the schema: {errors:#?}"
    );
}

fn write_ca(dir: &Path, pki: &Pki) -> String {
    let path = dir.join("test-ca.pem");
    std::fs::write(&path, &pki.ca_pem).unwrap();
    path.to_str().unwrap().to_string()
}

fn attempt<'a>(tls: &'a Value, offered: &str) -> &'a Value {
    tls["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["offered"] == offered)
        .unwrap_or_else(|| panic!("no {offered} attempt in {tls:#}"))
}

#[test]
fn tls_probes_report_versions_chains_names_and_expiry() {
    let pki = Pki::new();
    let both = tls_server(
        pki.leaf(&["probe.test"], -1, 90),
        &pki.ca_der,
        &[&rustls::version::TLS13, &rustls::version::TLS12],
        ok_handler(),
    );
    let only13 = tls_server(
        pki.leaf(&["probe.test"], -1, 90),
        &pki.ca_der,
        &[&rustls::version::TLS13],
        ok_handler(),
    );
    let expired = tls_server(
        pki.leaf(&["probe.test"], -400, -10),
        &pki.ca_der,
        &[&rustls::version::TLS13, &rustls::version::TLS12],
        ok_handler(),
    );
    let wrong = tls_server(
        pki.leaf(&["other.test"], -1, 30),
        &pki.ca_der,
        &[&rustls::version::TLS13, &rustls::version::TLS12],
        ok_handler(),
    );
    // An IP literal in the grant names the loopback address itself; the
    // certificate names that IP.
    let by_ip = tls_server(
        pki.leaf(&["127.0.0.1"], -1, 90),
        &pki.ca_der,
        &[&rustls::version::TLS13, &rustls::version::TLS12],
        ok_handler(),
    );
    let ca_dir = tempfile::tempdir().unwrap();
    let ca = write_ca(ca_dir.path(), &pki);
    let url = |port: u16| format!("https://probe.test:{port}/");
    let ip_url = format!("https://127.0.0.1:{by_ip}/");
    let grants: Vec<String> = [both, only13, expired, wrong]
        .iter()
        .map(|p| format!("probe-all={}", url(*p)))
        .chain([format!("probe-all={ip_url}")])
        .collect();
    let mut args: Vec<&str> = vec![
        "--no-embedded",
        "--endpoint-ca",
        &ca,
        "--endpoint-address",
        "probe.test=127.0.0.1",
    ];
    for g in &grants {
        args.extend(["--endpoint", g.as_str()]);
    }
    let s = run_probes(&[aicomply_test_plugins::PROBE_ALL], None, &args);
    assert_eq!(code(&s.output), 0, "{}", s.stderr());
    let p = plugin(&s.report, "probe-all");
    assert_eq!(p["status"], "ok", "{p:#}");
    let granted: Vec<String> = [both, only13, expired, wrong]
        .iter()
        .map(|p| url(*p))
        .chain([ip_url.clone()])
        .collect();
    assert_eq!(p["endpoints_granted"], serde_json::json!(granted));
    assert!(
        p["capabilities_granted"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["kind"] == "net-probe" && c["scope"] == "endpoints")
    );

    // TLS 1.2 and 1.3, a valid chain from the operator's CA, the right name.
    let r = s.probe("probe-all", "tls", &url(both));
    assert_eq!(r["outcome"], "ok", "{r:#}");
    assert_eq!(r["address"], format!("127.0.0.1:{both}"));
    let tls = &r["tls"];
    let d = attempt(tls, "default");
    assert_eq!(d["accepted"], true, "{tls:#}");
    assert_eq!(d["version"], "TLSv1.3");
    assert!(
        d["cipher"].as_str().unwrap().starts_with("TLS_AES_")
            || d["cipher"] == "TLS_CHACHA20_POLY1305_SHA256",
        "{d:#}"
    );
    assert_eq!(attempt(tls, "TLSv1.3")["accepted"], true);
    let t12 = attempt(tls, "TLSv1.2");
    assert_eq!(t12["accepted"], true, "{tls:#}");
    assert_eq!(t12["version"], "TLSv1.2");
    assert!(
        t12["cipher"]
            .as_str()
            .unwrap()
            .starts_with("TLS_ECDHE_ECDSA_WITH_"),
        "{t12:#}"
    );
    let c = &tls["certificate"];
    assert_eq!(c["chain_valid"], true, "{c:#}");
    assert_eq!(c["hostname_matches"], true);
    assert_eq!(c["chain_length"], 2);
    assert_eq!(c["names"], serde_json::json!(["probe.test"]));
    assert!(
        c["subject"].as_str().unwrap().contains("probe.test"),
        "{c:#}"
    );
    assert!(
        c["issuer"].as_str().unwrap().contains("aicomply test CA"),
        "{c:#}"
    );
    let days = c["days_to_expiry"].as_i64().unwrap();
    assert!((88..=90).contains(&days), "{days}");
    assert!(c["not_after"].as_str().unwrap().ends_with('Z'));
    assert_eq!(tls["not_probed"].as_array().unwrap().len(), 2);
    assert!(tls["not_probed"][0].as_str().unwrap().contains("TLSv1.1"));
    // What the plugin saw is what the report records.
    let seen = s.seen("probe-all", "tls", &url(both));
    assert!(
        seen.contains(&format!("address=127.0.0.1:{both}")),
        "{seen}"
    );
    assert!(
        seen.contains(&format!(
            "default=TLSv1.3/{}",
            d["cipher"].as_str().unwrap()
        )),
        "{seen}"
    );
    assert!(
        seen.contains(&format!(
            "TLSv1.2=TLSv1.2/{}",
            t12["cipher"].as_str().unwrap()
        )),
        "{seen}"
    );
    assert!(
        seen.contains(&format!(
            "chain_valid=true hostname_matches=true chain_length=2 days_to_expiry={days}"
        )),
        "{seen}"
    );

    // TLS 1.3 only: a 1.2-only handshake is refused.
    let tls = &s.probe("probe-all", "tls", &url(only13))["tls"];
    assert_eq!(attempt(tls, "default")["version"], "TLSv1.3");
    let t12 = attempt(tls, "TLSv1.2");
    assert_eq!(t12["accepted"], false, "{tls:#}");
    assert!(
        t12["error"].as_str().unwrap().contains("handshake failed"),
        "{t12:#}"
    );
    assert_eq!(tls["certificate"]["chain_valid"], true);
    assert!(
        s.seen("probe-all", "tls", &url(only13))
            .contains("TLSv1.2=refused")
    );

    // Expired: the chain does not verify, the name still matches.
    let c = &s.probe("probe-all", "tls", &url(expired))["tls"]["certificate"];
    assert_eq!(c["chain_valid"], false, "{c:#}");
    assert!(
        c["chain_error"]
            .as_str()
            .unwrap()
            .to_lowercase()
            .contains("expired"),
        "{c:#}"
    );
    assert_eq!(c["hostname_matches"], true, "{c:#}");
    assert!(c["days_to_expiry"].as_i64().unwrap() <= -10, "{c:#}");
    assert!(
        s.seen("probe-all", "tls", &url(expired))
            .contains("chain_valid=false hostname_matches=true")
    );

    // Wrong name: the chain verifies, the name does not match.
    let c = &s.probe("probe-all", "tls", &url(wrong))["tls"]["certificate"];
    assert_eq!(c["chain_valid"], true, "{c:#}");
    assert_eq!(c["hostname_matches"], false, "{c:#}");
    assert_eq!(c["names"], serde_json::json!(["other.test"]));
    assert!(
        s.seen("probe-all", "tls", &url(wrong))
            .contains("chain_valid=true hostname_matches=false")
    );

    // By IP literal: the address is allowed because the grant names it.
    let c = &s.probe("probe-all", "tls", &ip_url)["tls"]["certificate"];
    assert_eq!(c["chain_valid"], true, "{c:#}");
    assert_eq!(c["hostname_matches"], true, "{c:#}");

    // HTTP over TLS: status and the selected headers only (no cookies).
    let h = &s.probe("probe-all", "http", &url(both))["http"];
    assert_eq!(h["status"], 200, "{h:#}");
    assert_eq!(h["refused_unauthenticated"], false);
    let headers = h["headers"].as_array().unwrap();
    assert!(
        headers.contains(&serde_json::json!([
            "strict-transport-security",
            "max-age=63072000; includeSubDomains"
        ])),
        "{h:#}"
    );
    assert!(
        headers.contains(&serde_json::json!(["server", "probe-test"])),
        "{h:#}"
    );
    assert!(!h.to_string().contains("session=secret"), "{h:#}");
    assert_eq!(h["body_bytes"], 5);
    assert!(
        s.seen("probe-all", "http", &url(both))
            .contains("status=200")
    );

    // Every report carries the probes; the console counts them.
    let summary = &s.report["summary"];
    assert_eq!(summary["probes"], 10, "{summary:#}");
    assert_eq!(summary["probes_refused"], 0);
    assert_eq!(s.report["schema_version"], "1.3.0");
    assert!(
        s.stderr()
            .contains("Probes: 10 network probe(s) asked for: 10 made (0 failed), 0 refused"),
        "{}",
        s.stderr()
    );
    let html = std::fs::read_to_string(s.out.join("report.html")).unwrap();
    assert!(
        html.contains("id=\"probes\"")
            && html.contains(&format!("probe.test:{expired}"))
            && html.contains("does not match"),
        "HTML lacks the probes"
    );
    let md = std::fs::read_to_string(s.out.join("report.md")).unwrap();
    assert!(
        md.contains("### Network probes by probe-all") && md.contains("**not valid**"),
        "{md}"
    );
    let sarif: Value = read_json(&s.out.join("report.sarif"));
    let sarif_schema = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures/schemas/sarif-schema-2.1.0.json");
    // As in reports.rs: the official schema's stray `]` escaped for the strict pattern syntax.
    let text = std::fs::read_to_string(sarif_schema)
        .unwrap()
        .replace(r"-[a-zA-Z]{2}]?$", r"-[a-zA-Z]{2}\\]?$");
    let validator = jsonschema::validator_for(&serde_json::from_str(&text).unwrap()).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&sarif)
        .map(|e| e.to_string())
        .take(5)
        .collect();
    assert!(
        errors.is_empty(),
        "SARIF with probes does not match its schema: {errors:#?}"
    );
    let junit = std::fs::read_to_string(s.out.join("report.junit.xml")).unwrap();
    assert!(
        junit.contains(&format!(
            "probe probe-all tls https://probe.test:{expired}/: ok at 127.0.0.1:{expired}"
        )),
        "{junit}"
    );
    let inv = &sarif["runs"][0]["invocations"][0];
    assert_eq!(
        inv["properties"]["probes"].as_array().unwrap().len(),
        10,
        "{inv:#}"
    );
    assert!(
        inv["toolExecutionNotifications"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["descriptor"]["id"] == "aicomply/probe")
    );
}

#[test]
fn http_probes_report_status_headers_and_refusal_without_credentials() {
    let (keyed, _) = http_server(Arc::new(|head: &str| {
        if head.to_ascii_lowercase().contains("authorization:") {
            respond("200 OK", &[], "secret")
        } else {
            respond(
                "401 Unauthorized",
                &[
                    ("WWW-Authenticate", "Bearer realm=\"api\""),
                    ("X-RateLimit-Limit", "100"),
                    ("RateLimit-Remaining", "99"),
                    ("Retry-After", "30"),
                ],
                "no key",
            )
        }
    }));
    let (forbidden, _) = http_server(Arc::new(|_| respond("403 Forbidden", &[], "")));
    let (open, _) = http_server(Arc::new(|_| {
        respond(
            "200 OK",
            &[
                ("Access-Control-Allow-Origin", "*"),
                ("Access-Control-Allow-Credentials", "true"),
            ],
            "{\"models\": []}",
        )
    }));
    let url = |port: u16| format!("http://127.0.0.1:{port}/v1/models");
    let grants: Vec<String> = [keyed, forbidden, open]
        .iter()
        .map(|p| format!("probe-all={}", url(*p)))
        .collect();
    let mut args = vec!["--no-embedded"];
    for g in &grants {
        args.extend(["--endpoint", g.as_str()]);
    }
    let s = run_probes(&[aicomply_test_plugins::PROBE_ALL], None, &args);
    assert_eq!(code(&s.output), 0, "{}", s.stderr());

    let h = &s.probe("probe-all", "http", &url(keyed))["http"];
    assert_eq!(h["status"], 401, "{h:#}");
    assert_eq!(h["refused_unauthenticated"], true);
    let headers = h["headers"].as_array().unwrap();
    for pair in [
        ["www-authenticate", "Bearer realm=\"api\""],
        ["x-ratelimit-limit", "100"],
        ["ratelimit-remaining", "99"],
        ["retry-after", "30"],
    ] {
        assert!(
            headers.contains(&serde_json::json!(pair)),
            "{pair:?} in {h:#}"
        );
    }
    let seen = s.seen("probe-all", "http", &url(keyed));
    assert!(
        seen.contains("status=401 refused_unauthenticated=true"),
        "{seen}"
    );
    assert!(seen.contains("header:x-ratelimit-limit=100"), "{seen}");

    let h = &s.probe("probe-all", "http", &url(forbidden))["http"];
    assert_eq!(
        (h["status"].as_u64(), h["refused_unauthenticated"].as_bool()),
        (Some(403), Some(true))
    );

    let h = &s.probe("probe-all", "http", &url(open))["http"];
    assert_eq!(h["status"], 200);
    assert_eq!(h["refused_unauthenticated"], false, "{h:#}");
    assert!(
        h["headers"]
            .as_array()
            .unwrap()
            .contains(&serde_json::json!(["access-control-allow-origin", "*"]))
    );
    assert!(
        s.seen("probe-all", "http", &url(open))
            .contains("status=200 refused_unauthenticated=false")
    );
}

#[test]
fn ungranted_private_and_redirected_probes_are_refused_before_connecting() {
    // Nothing may ever connect here: it is reached only through refusals.
    let (private, reached) = http_server(Arc::new(|_| respond("200 OK", &[], "private")));
    let redirects: Handler = Arc::new(move |head: &str| {
        let path = head.split_whitespace().nth(1).unwrap_or("/").to_string();
        match path.as_str() {
            "/meta" => respond(
                "302 Found",
                &[("Location", "http://169.254.169.254/latest/meta-data/")],
                "",
            ),
            "/local" => respond(
                "302 Found",
                &[("Location", &format!("http://localhost:{private}/"))],
                "",
            ),
            "/granted" => respond(
                "301 Moved Permanently",
                &[("Location", "/granted/final")],
                "",
            ),
            "/granted/final" => respond("200 OK", &[], "final"),
            "/loop" => respond("302 Found", &[("Location", "/loop")], ""),
            _ => respond("404 Not Found", &[], ""),
        }
    });
    let (redirector, _) = http_server(redirects);
    let base = format!("http://127.0.0.1:{redirector}");
    let local = format!("http://localhost:{private}/");
    let ungranted = format!("http://127.0.0.1:{private}/");
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("aicomply.toml");
    std::fs::write(
        &policy,
        format!(
            "version = 1\n[plugins.probe-all]\nendpoints = [\"{base}/meta\", \"{base}/local\", \"{base}/granted\", \"{base}/loop\", \"{local}\"]\nconfig = {{ also = \"{ungranted},http://169.254.169.254/latest/meta-data/\" }}\n"
        ),
    )
    .unwrap();
    let s = run_probes(
        &[aicomply_test_plugins::PROBE_ALL],
        None,
        &["--no-embedded", "--policy", policy.to_str().unwrap()],
    );
    assert_eq!(code(&s.output), 0, "{}", s.stderr());

    // `localhost` is granted by name, and resolves to loopback: refused.
    let r = s.probe("probe-all", "http", &local);
    assert_eq!(r["outcome"], "refused", "{r:#}");
    assert_eq!(r["failure"], "address-refused");
    assert!(r["message"].as_str().unwrap().contains("loopback"), "{r:#}");
    assert_eq!(r["address"], Value::Null);
    assert!(
        s.seen("probe-all", "http", &local)
            .ends_with("err AddressRefused")
    );
    // Not granted at all: refused, for a loopback IP and for metadata.
    for url in [
        ungranted.as_str(),
        "http://169.254.169.254/latest/meta-data/",
    ] {
        let r = s.probe("probe-all", "http", url);
        assert_eq!(
            (r["outcome"].as_str(), r["failure"].as_str()),
            (Some("refused"), Some("not-granted")),
            "{r:#}"
        );
        assert!(s.seen("probe-all", "http", url).ends_with("err NotGranted"));
    }
    // A redirect to metadata is reported and not followed.
    let h = &s.probe("probe-all", "http", &format!("{base}/meta"))["http"];
    assert_eq!(h["status"], 302, "{h:#}");
    let d = &h["redirects"][0];
    assert_eq!(d["followed"], false, "{h:#}");
    assert_eq!(d["location"], "http://169.254.169.254/latest/meta-data/");
    assert!(
        d["note"]
            .as_str()
            .unwrap()
            .contains("not an endpoint granted"),
        "{d:#}"
    );
    assert!(
        s.seen("probe-all", "http", &format!("{base}/meta"))
            .contains("redirect=302:not-followed:http://169.254.169.254/latest/meta-data/")
    );
    // A redirect to a granted name that resolves to loopback: not followed.
    let h = &s.probe("probe-all", "http", &format!("{base}/local"))["http"];
    let d = &h["redirects"][0];
    assert_eq!(d["followed"], false, "{h:#}");
    assert!(
        d["note"].as_str().unwrap().contains("address-refused"),
        "{d:#}"
    );
    // A redirect within the grant is followed.
    let h = &s.probe("probe-all", "http", &format!("{base}/granted"))["http"];
    assert_eq!(h["status"], 200, "{h:#}");
    assert_eq!(h["redirects"][0]["followed"], true);
    assert!(
        h["url"].as_str().unwrap().ends_with("/granted/final"),
        "{h:#}"
    );
    // A redirect loop stops after 3.
    let h = &s.probe("probe-all", "http", &format!("{base}/loop"))["http"];
    let rs = h["redirects"].as_array().unwrap();
    assert_eq!(rs.len(), 4, "{h:#}");
    assert_eq!(rs.iter().filter(|d| d["followed"] == true).count(), 3);

    assert_eq!(
        reached.load(Ordering::SeqCst),
        0,
        "a refused probe connected"
    );
    let summary = &s.report["summary"];
    assert_eq!(summary["probes_refused"], 3, "{summary:#}");
}

/// Servers a hostile plugin asks too much of.
fn endless_servers() -> (u16, u16) {
    let body = TcpListener::bind("127.0.0.1:0").unwrap();
    let headers = TcpListener::bind("127.0.0.1:0").unwrap();
    let (bp, hp) = (
        body.local_addr().unwrap().port(),
        headers.local_addr().unwrap().port(),
    );
    fn stream_forever(listener: TcpListener, head: &'static [u8], chunk: &'static [u8]) {
        std::thread::spawn(move || {
            for s in listener.incoming() {
                let Ok(mut s) = s else { continue };
                std::thread::spawn(move || {
                    let _ = read_head(&mut s);
                    let _ = s.write_all(head);
                    let start = Instant::now();
                    // Until the client goes away (or a minute, as a backstop).
                    while start.elapsed() < Duration::from_secs(60) {
                        if s.write_all(chunk).is_err() {
                            break;
                        }
                    }
                });
            }
        });
    }
    stream_forever(
        body,
        b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n",
        &[b'x'; 8192],
    );
    // Long header lines, so the head's size bound is met before its count.
    let pad: &'static [u8] = format!("X-Pad: {}\r\n", "a".repeat(400))
        .into_bytes()
        .leak();
    stream_forever(headers, b"HTTP/1.1 200 OK\r\n", pad);
    (bp, hp)
}

fn messages(report: &Value, plugin_id: &str) -> Vec<String> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["plugin"] == plugin_id)
        .map(|f| f["message"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn probe_abuse_is_contained_and_other_plugins_finish() {
    let (body, headers) = endless_servers();
    let body_url = format!("http://127.0.0.1:{body}/");
    let headers_url = format!("http://127.0.0.1:{headers}/");
    // Accepts, reads, never answers.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let silent_url = format!("http://127.0.0.1:{}/", silent.local_addr().unwrap().port());
    std::thread::spawn(move || {
        let held: Vec<_> = silent.incoming().take(4).collect();
        std::thread::sleep(Duration::from_secs(60));
        drop(held);
    });
    let grants = [
        format!("probe-abuser={body_url}"),
        format!("probe-abuser={headers_url}"),
        format!("probe-abuser={silent_url}"),
    ];
    let s = run_probes(
        &[aicomply_test_plugins::PROBE_ABUSER],
        Some(&fixture("example-ai-service")),
        &[
            "--endpoint",
            &grants[0],
            "--endpoint",
            &grants[1],
            "--endpoint",
            &grants[2],
            "--max-probes",
            "12",
            "--probe-timeout",
            "2",
        ],
    );
    assert!(s.elapsed < Duration::from_secs(120), "took {:?}", s.elapsed);
    let p = plugin(&s.report, "probe-abuser");
    assert_eq!(p["status"], "ok", "{p:#}");
    let m = messages(&s.report, "probe-abuser");
    assert!(m.contains(&"granted 3".to_string()), "{m:#?}");
    // Every URL it was not granted is refused, whatever its form.
    let ungranted: Vec<&String> = m.iter().filter(|x| x.starts_with("ungranted ")).collect();
    assert_eq!(ungranted.len(), 7, "{m:#?}");
    for u in &ungranted {
        assert!(u.ends_with("err NotGranted"), "{u}");
    }
    // An endless body is read to the bound and cut; endless headers are a protocol error.
    assert!(
        m.contains(&format!(
            "granted {body_url} ok status=200 body_bytes=65536 truncated=true"
        )),
        "{m:#?}"
    );
    assert!(
        m.contains(&format!("granted {headers_url} err ProtocolError")),
        "{m:#?}"
    );
    // A server that never answers costs the probe's time, no more.
    assert!(
        m.contains(&format!("granted {silent_url} err Timeout")),
        "{m:#?}"
    );
    let r = s
        .probes("probe-abuser")
        .into_iter()
        .find(|r| r["endpoint"] == silent_url.as_str())
        .unwrap();
    assert_eq!(
        (r["outcome"].as_str(), r["failure"].as_str()),
        (Some("failed"), Some("timeout")),
        "{r:#}"
    );
    assert!(
        (1900..5000).contains(&r["duration_ms"].as_u64().unwrap()),
        "{r:#}"
    );
    let r = s
        .probes("probe-abuser")
        .into_iter()
        .find(|r| r["endpoint"] == headers_url.as_str())
        .unwrap();
    assert!(
        r["message"]
            .as_str()
            .unwrap()
            .contains("larger than 32 KiB"),
        "{r:#}"
    );
    // 12 probes in all, 10 of them before the loop: the loop got 2, then
    // limit-reached for the remaining 9,998, at once.
    assert!(
        m.contains(&"loop made=2 limited=9998 first_limited=2".to_string()),
        "{m:#?}"
    );
    let probes = s.probes("probe-abuser");
    assert_eq!(
        probes.len(),
        13,
        "the first refusal past the limit is listed"
    );
    assert_eq!(p["probes_over_limit"], 9997);
    assert_eq!(s.report["summary"]["probes"], 10_010);
    assert_eq!(
        s.report["summary"]["probes_failed"], 4,
        "the silent server, the endless head, and the loop's two TLS probes of an http endpoint"
    );
    // The other plugins' results are complete.
    assert_eq!(plugin(&s.report, "container")["status"], "ok");
    let container: Vec<_> = finding_keys(&s.report)
        .into_iter()
        .filter(|(c, _, _)| c.starts_with("CONT-"))
        .collect();
    assert_eq!(container, example_findings());
}

#[test]
fn a_plugin_without_a_grant_cannot_probe() {
    let s = run_probes(
        &[aicomply_test_plugins::PROBE_ABUSER],
        None,
        &["--no-embedded"],
    );
    let p = plugin(&s.report, "probe-abuser");
    assert_eq!(p["status"], "ok", "{p:#}");
    assert_eq!(p["endpoints_granted"], serde_json::json!([]));
    let denied = &p["capabilities_denied"][0];
    assert_eq!(denied["capability"]["kind"], "net-probe");
    assert!(
        denied["reason"]
            .as_str()
            .unwrap()
            .contains("--endpoint probe-abuser="),
        "{denied:#}"
    );
    let m = messages(&s.report, "probe-abuser");
    assert!(m.contains(&"granted 0".to_string()));
    for u in m.iter().filter(|x| x.starts_with("ungranted ")) {
        assert!(u.ends_with("err NotGranted"), "{u}");
    }
    let records = s.probes("probe-abuser");
    assert!(
        records.iter().all(|r| r["outcome"] == "refused"),
        "{records:#?}"
    );
    assert_eq!(s.report["summary"]["probes"], 10_007);
    assert_eq!(s.report["summary"]["probes_refused"], 10_007);
}

#[test]
fn plugins_list_shows_the_endpoints_granted() {
    let dir = tempfile::tempdir().unwrap();
    let plugins = plugin_dir(dir.path(), &[aicomply_test_plugins::PROBE_ALL]);
    let out = aicomply(&[
        "plugins",
        "list",
        "--no-embedded",
        "--plugins",
        plugins.to_str().unwrap(),
        "--endpoint",
        "probe-all=https://API.example.org/v1",
        "--endpoint",
        "other=https://not-for-probe-all.example.org/",
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("granted: net-probe:endpoints"), "{text}");
    assert!(
        text.contains("    endpoints: https://api.example.org:443/v1\n"),
        "{text}"
    );
    assert!(!text.contains("not-for-probe-all"), "{text}");
    // Without one, the line that would grant it.
    let out = aicomply(&[
        "plugins",
        "list",
        "--no-embedded",
        "--plugins",
        plugins.to_str().unwrap(),
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("not granted net-probe:endpoints") && text.contains("--endpoint probe-all="),
        "{text}"
    );
    // A bad endpoint is a configuration error.
    let out = aicomply(&[
        "plugins",
        "list",
        "--no-embedded",
        "--endpoint",
        "https://user:pw@x.test/",
    ]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
}
