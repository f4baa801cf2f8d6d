//! Live probes, made by the host, of the endpoints the operator granted.
//! The judging takes the host's reports, so it is tested natively on
//! reports built by hand.

use aicomply_sdk::{
    Context, HttpReport, Location, ProbeError, ProbeFailure, Scan, Severity, TlsReport,
};

use crate::checks::*;

fn at(endpoint: &str) -> Location {
    Location {
        root: "endpoint".into(),
        path: endpoint.into(),
        line: None,
        member: None,
    }
}

const TLS_CHECKS: &[&str] = &[PROBE_TLS_PROTOCOL, PROBE_CERT_INVALID, PROBE_CERT_EXPIRY];
const HTTP_CHECKS: &[&str] = &[PROBE_HSTS, PROBE_RATE_LIMIT, PROBE_UNAUTHENTICATED];

/// Probe every granted endpoint, or say why the live checks were not run.
pub fn run(ctx: &Context, scan: &mut Scan) {
    let endpoints = ctx.endpoints();
    if endpoints.is_empty() {
        for c in PROBE_CHECKS {
            scan.not_checked(c, "no endpoint was granted: pass --endpoint https://host/path (the host grants this plugin net-probe for it) to probe the live service");
        }
        return;
    }
    for e in &endpoints {
        if e.starts_with("https://") {
            match ctx.probe_tls(e) {
                Ok(r) => judge_tls(&r, scan),
                Err(err) => probe_failed(e, "TLS", &err, TLS_CHECKS, scan),
            }
        }
        match ctx.probe_http(e) {
            Ok(r) => judge_http(&r, scan),
            Err(err) => probe_failed(e, "HTTP", &err, HTTP_CHECKS, scan),
        }
        scan.checkpoint();
    }
}

/// A probe that failed proves nothing: its checks are incomplete.
pub fn probe_failed(
    endpoint: &str,
    what: &str,
    err: &ProbeError,
    checks: &[&str],
    scan: &mut Scan,
) {
    let why = match err.failure {
        ProbeFailure::NotGranted => "not granted",
        ProbeFailure::AddressRefused => "address refused by the host",
        ProbeFailure::LimitReached => "probe limit reached",
        ProbeFailure::ResolveFailed => "name did not resolve",
        ProbeFailure::ConnectFailed => "no connection",
        ProbeFailure::Timeout => "timed out",
        ProbeFailure::TlsFailed => "TLS handshake failed",
        ProbeFailure::ProtocolError => "protocol error",
    };
    scan.diagnostic(
        at(endpoint),
        format!("{what} probe failed ({why}): {}", err.message),
    );
    for c in checks {
        scan.incomplete(c, format!("{endpoint}: {what} probe failed ({why})"));
    }
}

pub fn judge_tls(r: &TlsReport, scan: &mut Scan) {
    let e = r.endpoint.as_str();
    let accepted: Vec<_> = r.attempts.iter().filter(|a| a.accepted).collect();
    if accepted.is_empty() {
        let why = r
            .attempts
            .iter()
            .filter_map(|a| a.error.clone())
            .collect::<Vec<_>>()
            .join("; ");
        scan.diagnostic(at(e), format!("no TLS handshake succeeded: {why}"));
        for c in TLS_CHECKS {
            scan.incomplete(c, format!("{e}: no TLS handshake succeeded"));
        }
        return;
    }
    match r.attempts.iter().find(|a| a.offered == "TLSv1.2") {
        Some(a) if a.accepted => {
            scan.finding(
                PROBE_TLS_PROTOCOL,
                format!(
                    "{e} ({}) accepted a TLS 1.2-only handshake{}",
                    r.address,
                    a.cipher
                        .as_ref()
                        .map(|c| format!(" with {c}"))
                        .unwrap_or_default()
                ),
            )
            .at(at(e))
            .evidence(format!(
                "offered TLSv1.2, negotiated {}",
                a.version.clone().unwrap_or_default()
            ));
        }
        Some(_) => scan.evaluated(PROBE_TLS_PROTOCOL),
        None => scan.incomplete(
            PROBE_TLS_PROTOCOL,
            format!(
                "{e}: the host did not try a TLS 1.2-only handshake ({})",
                r.not_probed.join("; ")
            ),
        ),
    }
    let Some(c) = &r.certificate else {
        scan.incomplete(
            PROBE_CERT_INVALID,
            format!("{e}: no certificate in the report"),
        );
        scan.incomplete(
            PROBE_CERT_EXPIRY,
            format!("{e}: no certificate in the report"),
        );
        return;
    };
    scan.evaluated(PROBE_CERT_INVALID);
    scan.evaluated(PROBE_CERT_EXPIRY);
    if !c.chain_valid {
        scan.finding(
            PROBE_CERT_INVALID,
            format!(
                "{e}: the certificate chain does not verify: {}",
                c.chain_error
                    .clone()
                    .unwrap_or_else(|| "no reason given".into())
            ),
        )
        .at(at(e))
        .evidence(format!("subject {} issuer {}", c.subject, c.issuer));
    }
    if !c.hostname_matches {
        scan.finding(
            PROBE_CERT_INVALID,
            format!(
                "{e}: the certificate is not valid for the host name (it names {})",
                c.names.join(", ")
            ),
        )
        .at(at(e))
        .evidence(format!("subject {}", c.subject));
    }
    if c.days_to_expiry < 0 {
        scan.finding(
            PROBE_CERT_EXPIRY,
            format!(
                "{e}: the certificate expired {} days ago ({})",
                -c.days_to_expiry, c.not_after
            ),
        )
        .at(at(e))
        .severity(Severity::High);
    } else if c.days_to_expiry < 30 {
        scan.finding(
            PROBE_CERT_EXPIRY,
            format!(
                "{e}: the certificate expires in {} days ({})",
                c.days_to_expiry, c.not_after
            ),
        )
        .at(at(e));
    }
}

fn header<'a>(r: &'a HttpReport, name: &str) -> Option<&'a str> {
    r.headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

pub fn judge_http(r: &HttpReport, scan: &mut Scan) {
    let e = r.endpoint.as_str();
    if r.url.starts_with("https://") {
        match header(r, "strict-transport-security") {
            Some(v)
                if !v
                    .replace(' ', "")
                    .to_ascii_lowercase()
                    .contains("max-age=0") =>
            {
                scan.evaluated(PROBE_HSTS)
            }
            Some(v) => {
                scan.finding(
                    PROBE_HSTS,
                    format!("{e}: Strict-Transport-Security {v} turns HSTS off"),
                )
                .at(at(e));
            }
            None => {
                scan.finding(
                    PROBE_HSTS,
                    format!(
                        "{e}: no Strict-Transport-Security header over HTTPS (status {})",
                        r.status
                    ),
                )
                .at(at(e));
            }
        }
    } else {
        scan.incomplete(
            PROBE_HSTS,
            format!("{e}: probed over plain HTTP; HSTS applies to HTTPS responses"),
        );
    }
    if r.refused_unauthenticated {
        scan.evaluated(PROBE_UNAUTHENTICATED);
    } else if (200..300).contains(&r.status) {
        scan.finding(
            PROBE_UNAUTHENTICATED,
            format!(
                "{e}: a request without credentials got {} ({} body bytes)",
                r.status, r.body_bytes
            ),
        )
        .at(at(e))
        .evidence(format!("GET {} -> {}", r.url, r.status));
    } else if (300..400).contains(&r.status) {
        let to = header(r, "location").unwrap_or("");
        let login = ["login", "signin", "sign_in", "oauth", "auth", "sso"]
            .iter()
            .any(|w| to.to_ascii_lowercase().contains(w));
        if login {
            scan.evaluated(PROBE_UNAUTHENTICATED);
        } else {
            scan.incomplete(
                PROBE_UNAUTHENTICATED,
                format!(
                    "{e}: answered {} to {to}, not followed; grant that endpoint too",
                    r.status
                ),
            );
        }
    } else {
        scan.incomplete(PROBE_UNAUTHENTICATED, format!("{e}: answered {}; neither served nor refused, so it proves nothing (probe an API path)", r.status));
    }
    let rate = r.headers.iter().any(|(k, _)| {
        let k = k.to_ascii_lowercase();
        k.starts_with("ratelimit")
            || k.starts_with("x-ratelimit")
            || k.starts_with("x-rate-limit")
            || k == "retry-after"
    });
    if rate || r.status == 429 {
        scan.evaluated(PROBE_RATE_LIMIT);
    } else {
        scan.finding(PROBE_RATE_LIMIT, format!("{e}: no RateLimit-*/X-RateLimit-* headers (a limit may still be enforced without them)")).at(at(e));
    }
}
