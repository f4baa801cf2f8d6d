//! HAProxy (haproxy.cfg), Envoy (static bootstrap YAML) and Traefik
//! (dynamic configuration and TLSOption resources).

use aicomply_sdk::yaml::{Node, Value};
use aicomply_sdk::{Location, Scan, Severity};

use crate::checks::*;
use crate::nginx::judge_versions;

// ---------------------------------------------------------------- HAProxy

fn haproxy_version(v: &str) -> &str {
    match v {
        "SSLv3" => "SSLv3",
        "TLSv1.0" => "TLSv1",
        other => other,
    }
}

/// The versions an HAProxy bind (or the global default) allows, from
/// `ssl-min-ver`/`ssl-max-ver` and `no-tlsv1x`/`force-tlsv1x`. HAProxy's own
/// default minimum is TLS 1.2 (2.2 and later).
fn haproxy_allowed(opts: &[&str]) -> Vec<&'static str> {
    let all = ["SSLv3", "TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"];
    let rank = |v: &str| all.iter().position(|a| *a == haproxy_version(v));
    let mut min = 3usize;
    let mut max = 4usize;
    let mut removed: Vec<usize> = Vec::new();
    let mut it = opts.iter();
    while let Some(o) = it.next() {
        match *o {
            "ssl-min-ver" => {
                if let Some(r) = it.next().and_then(|v| rank(v)) {
                    min = r;
                }
            }
            "ssl-max-ver" => {
                if let Some(r) = it.next().and_then(|v| rank(v)) {
                    max = r;
                }
            }
            "no-sslv3" => removed.push(0),
            "no-tlsv10" => removed.push(1),
            "no-tlsv11" => removed.push(2),
            "no-tlsv12" => removed.push(3),
            "no-tlsv13" => removed.push(4),
            "force-tlsv13" => {
                min = 4;
                max = 4
            }
            "force-tlsv12" => {
                min = 3;
                max = 3
            }
            _ => {}
        }
    }
    (min..=max)
        .filter(|r| !removed.contains(r))
        .map(|r| all[r])
        .collect()
}

/// Returns the number of frontends judged.
pub fn check_haproxy(path: &str, text: &str, scan: &mut Scan) -> usize {
    let mut global_opts: Vec<String> = Vec::new();
    let mut global_line = 0u32;
    struct Section {
        kind: String,
        name: String,
        line: u32,
        lines: Vec<(u32, Vec<String>)>,
    }
    let mut sections: Vec<Section> = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let l = raw.split('#').next().unwrap_or("").trim();
        if l.is_empty() {
            continue;
        }
        let words: Vec<String> = l.split_whitespace().map(str::to_string).collect();
        let n = i as u32 + 1;
        if [
            "global",
            "defaults",
            "frontend",
            "backend",
            "listen",
            "peers",
            "resolvers",
            "userlist",
            "cache",
            "program",
            "http-errors",
            "ring",
            "mailers",
        ]
        .contains(&words[0].as_str())
            && !raw.starts_with([' ', '\t'])
        {
            sections.push(Section {
                kind: words[0].clone(),
                name: words.get(1).cloned().unwrap_or_default(),
                line: n,
                lines: Vec::new(),
            });
            continue;
        }
        if let Some(s) = sections.last_mut() {
            if s.kind == "global" && words[0] == "ssl-default-bind-options" {
                global_opts = words[1..].to_vec();
                global_line = n;
            }
            s.lines.push((n, words));
        }
    }
    let mut judged = 0;
    let mut default_tcp = false;
    for s in &sections {
        if s.kind == "defaults" {
            default_tcp = s
                .lines
                .iter()
                .any(|(_, w)| w.len() > 1 && w[0] == "mode" && w[1] == "tcp");
        }
        if s.kind != "frontend" && s.kind != "listen" {
            continue;
        }
        judged += 1;
        let mode = s
            .lines
            .iter()
            .find(|(_, w)| w[0] == "mode")
            .and_then(|(_, w)| w.get(1))
            .map(String::as_str);
        let tcp = mode == Some("tcp") || (mode.is_none() && default_tcp);
        // The stats page and exporters are not the API.
        let stats = s.lines.iter().any(|(_, w)| {
            let j = w.join(" ");
            j.starts_with("stats enable")
                || j.starts_with("stats uri")
                || j.contains("prometheus-exporter")
        });
        let binds: Vec<&(u32, Vec<String>)> =
            s.lines.iter().filter(|(_, w)| w[0] == "bind").collect();
        let mut tls_any = false;
        let mut plain = None;
        for (line, w) in &binds {
            let ssl = w.iter().any(|x| x == "ssl");
            let addr = w.get(1).map(String::as_str).unwrap_or("");
            if !ssl {
                if !addr.starts_with("127.")
                    && !addr.starts_with("localhost")
                    && !addr.starts_with("unix@")
                    && !addr.starts_with('/')
                {
                    plain.get_or_insert(*line);
                }
                continue;
            }
            tls_any = true;
            let own: Vec<&str> = w.iter().map(String::as_str).collect();
            let sets_own = own.iter().any(|o| {
                o.starts_with("ssl-m")
                    || o.starts_with("no-tlsv")
                    || o.starts_with("no-sslv")
                    || o.starts_with("force-")
            });
            let (opts, where_line): (Vec<&str>, u32) = if sets_own {
                (own, *line)
            } else {
                (
                    global_opts.iter().map(String::as_str).collect(),
                    if global_line > 0 { global_line } else { *line },
                )
            };
            let allowed = haproxy_allowed(&opts);
            if let Some((sev, why)) = judge_versions(&allowed) {
                let src = if sets_own {
                    "bind"
                } else if global_line > 0 {
                    "ssl-default-bind-options"
                } else {
                    "HAProxy's default (TLS 1.2 minimum)"
                };
                scan.finding(
                    HAPROXY_TLS_PROTOCOL,
                    format!("{} {}: {src} {why}", s.kind, s.name),
                )
                .at(Location::target(path).line(where_line))
                .severity(sev);
            }
        }
        let redirects = s.lines.iter().any(|(_, w)| {
            let j = w.join(" ");
            j.starts_with("http-request redirect scheme https")
                || j.starts_with("redirect scheme https")
        });
        if let Some(line) = plain
            && !redirects
            && !tcp
            && !stats
        {
            scan.finding(
                HAPROXY_PLAINTEXT,
                format!(
                    "{} {} binds without ssl and does not redirect to https",
                    s.kind, s.name
                ),
            )
            .at(Location::target(path).line(line));
        }
        let serves = tls_any || (plain.is_some() && !redirects);
        let rate = s.lines.iter().any(|(_, w)| {
            let j = w.join(" ");
            j.contains("track-sc")
                || j.contains("sc_http_req_rate")
                || j.contains("sc0_http_req_rate")
                || j.starts_with("rate-limit sessions")
                || j.contains("src_http_req_rate")
        });
        if serves && !rate && !stats {
            scan.finding(
                HAPROXY_RATE_LIMIT,
                format!(
                    "{} {} has no stick-table request-rate limit",
                    s.kind, s.name
                ),
            )
            .at(Location::target(path).line(s.line));
        }
    }
    judged
}

// ------------------------------------------------------------------ Envoy

fn find_all<'a>(n: &'a Node, key: &str, out: &mut Vec<&'a Node>) {
    match &n.value {
        Value::Map(entries) => {
            for (k, v) in entries {
                if k.as_str() == Some(key) {
                    out.push(v);
                }
                find_all(v, key, out);
            }
        }
        Value::Seq(items) => items.iter().for_each(|i| find_all(i, key, out)),
        Value::Scalar(..) => {}
    }
}

fn strings_in(n: &Node, out: &mut Vec<String>) {
    match &n.value {
        Value::Scalar(s, _) => out.push(s.clone()),
        Value::Map(e) => e.iter().for_each(|(_, v)| strings_in(v, out)),
        Value::Seq(i) => i.iter().for_each(|v| strings_in(v, out)),
    }
}

/// Whether a YAML document is an Envoy bootstrap (or LDS) configuration.
pub fn is_envoy(doc: &Node) -> bool {
    let mut v = Vec::new();
    find_all(doc, "filter_chains", &mut v);
    !v.is_empty()
        && (doc.get("static_resources").is_some()
            || doc.get("resources").is_some()
            || doc.get("listeners").is_some())
}

/// Returns the number of listeners judged.
pub fn check_envoy(path: &str, doc: &Node, scan: &mut Scan) -> usize {
    let mut listeners = Vec::new();
    find_all(doc, "listeners", &mut listeners);
    let mut n = 0;
    for l in listeners.iter().flat_map(|l| l.items()) {
        n += 1;
        // A listener without a name is named by its line.
        let line_name = format!("at line {}", l.line);
        let name = l.get("name").and_then(Node::as_str).unwrap_or(&line_name);
        let addr = l
            .path(&["address", "socket_address", "address"])
            .and_then(Node::as_str)
            .unwrap_or("");
        let loopback = addr.starts_with("127.") || addr == "::1" || addr == "localhost";
        let loc = Location::target(path).line(l.line);
        let mut chains = Vec::new();
        find_all(l, "filter_chains", &mut chains);
        let chains: Vec<&Node> = chains.iter().flat_map(|c| c.items()).collect();
        let mut http = false;
        for c in &chains {
            let mut all = Vec::new();
            strings_in(c, &mut all);
            let hcm = all.iter().any(|s| {
                s.contains("http_connection_manager") || s.contains("HttpConnectionManager")
            });
            let tls = all.iter().any(|s| s.contains("DownstreamTlsContext"));
            if hcm {
                http = true;
            }
            if tls {
                let mut mins = Vec::new();
                find_all(c, "tls_minimum_protocol_version", &mut mins);
                let min = mins.first().and_then(|m| m.as_str()).unwrap_or("TLS_AUTO");
                let allowed: &[&str] = match min {
                    "TLSv1_3" => &["TLSv1.3"],
                    "TLSv1_2" | "TLS_AUTO" => &["TLSv1.2", "TLSv1.3"],
                    "TLSv1_1" => &["TLSv1.1", "TLSv1.2", "TLSv1.3"],
                    _ => &["TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"],
                };
                if let Some((sev, why)) = judge_versions(allowed) {
                    let at = mins
                        .first()
                        .map(|m| Location::target(path).line(m.line))
                        .unwrap_or(loc.clone());
                    let what = if mins.is_empty() {
                        "no tls_minimum_protocol_version (Envoy's default minimum is TLS 1.2)"
                            .to_string()
                    } else {
                        format!("tls_minimum_protocol_version {min}")
                    };
                    scan.finding(ENVOY_TLS_PROTOCOL, format!("listener {name}: {what} {why}"))
                        .at(at)
                        .severity(sev);
                }
            } else if hcm && !loopback {
                scan.finding(
                    ENVOY_PLAINTEXT,
                    format!("listener {name} ({addr}) serves HTTP without a DownstreamTlsContext"),
                )
                .at(loc.clone());
            }
        }
        if http && !loopback {
            let mut all = Vec::new();
            strings_in(l, &mut all);
            let has = |names: &[&str]| all.iter().any(|s| names.iter().any(|n| s.contains(n)));
            if !has(&[
                "local_ratelimit",
                "filters.http.ratelimit",
                "LocalRateLimit",
                "ratelimit.v3.RateLimit",
            ]) {
                scan.finding(
                    ENVOY_RATE_LIMIT,
                    format!("listener {name} has no local_ratelimit or ratelimit HTTP filter"),
                )
                .at(loc.clone());
            }
            if !has(&[
                "ext_authz",
                "jwt_authn",
                "filters.http.oauth2",
                "basic_auth",
                "ExtAuthz",
                "JwtAuthentication",
            ]) {
                scan.finding(ENVOY_NO_AUTH, format!("listener {name} has no ext_authz, jwt_authn, oauth2 or basic_auth HTTP filter")).at(loc);
            }
        }
    }
    n
}

// ---------------------------------------------------------------- Traefik

fn traefik_rank(v: &str) -> &'static [&'static str] {
    match v {
        "VersionTLS13" => &["TLSv1.3"],
        "VersionTLS12" => &["TLSv1.2", "TLSv1.3"],
        "VersionTLS11" => &["TLSv1.1", "TLSv1.2", "TLSv1.3"],
        _ => &["TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"],
    }
}

/// Traefik dynamic configuration (`tls.options`) or a TLSOption resource.
/// Returns the number of TLS option sets judged.
pub fn check_traefik(path: &str, doc: &Node, scan: &mut Scan) -> usize {
    let mut n = 0;
    let kind = doc.get("kind").and_then(Node::as_str).unwrap_or("");
    let mut sets: Vec<(String, &Node)> = Vec::new();
    if kind == "TLSOption" {
        if let Some(spec) = doc.get("spec") {
            sets.push((aicomply_sdk::kubernetes::name(doc).to_string(), spec));
        }
    } else if let Some(opts) = doc.path(&["tls", "options"]) {
        for (k, v) in opts.entries() {
            sets.push((k.as_str().unwrap_or("?").to_string(), v));
        }
    }
    for (name, set) in sets {
        n += 1;
        let min = set.get("minVersion");
        let v = min.and_then(Node::as_str).unwrap_or("VersionTLS12");
        if let Some((sev, why)) = judge_versions(traefik_rank(v)) {
            let line = min.map(|m| m.line).unwrap_or(set.line);
            let what = if min.is_some() {
                format!("minVersion {v}")
            } else {
                "no minVersion (Traefik's default is VersionTLS12)".into()
            };
            scan.finding(
                TRAEFIK_TLS_PROTOCOL,
                format!("TLS options {name}: {what} {why}"),
            )
            .at(Location::target(path).line(line))
            .severity(sev);
        }
    }
    let _ = Severity::Low;
    n
}
