//! Test plugin: probes every endpoint it is granted (TLS for `https`, HTTP
//! for both) and any URLs named in its `also` config (comma-separated,
//! granted or not), and reports what it saw as one info finding per probe,
//! so a test can check the plugin saw what the report records as evidence.
//!
//! Message: `KIND ENDPOINT ok key=value ...` or `KIND ENDPOINT err FAILURE`.

#![cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]

use aicomply_sdk::{Capability, Check, Context, Plugin, PluginInfo, Scan, Severity};
use aicomply_sdk::{HttpReport, ProbeError, TlsReport};

struct ProbeAll;

fn failure(e: &ProbeError) -> String {
    format!("{:?}", e.failure)
        .trim_start_matches("ProbeFailure::")
        .to_string()
}

fn tls_summary(r: &TlsReport) -> String {
    let mut s = format!("address={}", r.address);
    for a in &r.attempts {
        s.push_str(&format!(
            " {}={}",
            a.offered,
            if a.accepted {
                format!(
                    "{}/{}",
                    a.version.as_deref().unwrap_or("-"),
                    a.cipher.as_deref().unwrap_or("-")
                )
            } else {
                "refused".into()
            }
        ));
    }
    if let Some(c) = &r.certificate {
        s.push_str(&format!(
            " chain_valid={} hostname_matches={} chain_length={} days_to_expiry={} names={}",
            c.chain_valid,
            c.hostname_matches,
            c.chain_length,
            c.days_to_expiry,
            c.names.join("|")
        ));
    }
    s.push_str(&format!(" not_probed={}", r.not_probed.len()));
    s
}

fn http_summary(r: &HttpReport) -> String {
    let mut s = format!(
        "address={} status={} refused_unauthenticated={} body_bytes={} truncated={} url={}",
        r.address, r.status, r.refused_unauthenticated, r.body_bytes, r.truncated, r.url
    );
    for (k, v) in &r.headers {
        s.push_str(&format!(" header:{k}={}", v.replace(' ', "_")));
    }
    for d in &r.redirects {
        s.push_str(&format!(
            " redirect={}:{}:{}",
            d.status,
            if d.followed {
                "followed"
            } else {
                "not-followed"
            },
            d.location
        ));
    }
    s
}

impl Plugin for ProbeAll {
    fn info() -> PluginInfo {
        PluginInfo {
            id: "probe-all".into(),
            name: "Probe everything granted".into(),
            version: "0.0.0".into(),
            domain: "network".into(),
            description: "Test plugin: probes every granted endpoint and reports what it saw."
                .into(),
            checks: vec![Check::new(
                "PROBE-SEEN",
                "NET-1",
                Severity::Info,
                "what a probe saw",
                "none",
                &[],
            )],
            capabilities: vec![Capability::net_probe("probes the granted endpoints")],
        }
    }

    fn run(ctx: &Context, scan: &mut Scan) -> Result<(), String> {
        let mut urls = ctx.endpoints();
        if let Some(also) = ctx.config("also") {
            urls.extend(
                also.split(',')
                    .filter(|u| !u.is_empty())
                    .map(str::to_string),
            );
        }
        for url in &urls {
            if url.starts_with("https:") {
                let line = match ctx.probe_tls(url) {
                    Ok(r) => format!("tls {url} ok {}", tls_summary(&r)),
                    Err(e) => format!("tls {url} err {}", failure(&e)),
                };
                scan.finding("PROBE-SEEN", line);
            }
            let line = match ctx.probe_http(url) {
                Ok(r) => format!("http {url} ok {}", http_summary(&r)),
                Err(e) => format!("http {url} err {}", failure(&e)),
            };
            scan.finding("PROBE-SEEN", line);
        }
        scan.evaluated("PROBE-SEEN");
        Ok(())
    }
}

aicomply_sdk::export_plugin!(ProbeAll);
