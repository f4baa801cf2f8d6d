//! The network plugin through the real host: nginx, proxies, Kubernetes,
//! app servers and model manifests (digests recomputed by the host's
//! `hash-file`) on the network fixtures, with exact findings.

use crate::support::*;

fn network_keys(report: &serde_json::Value) -> Vec<(String, String, u64)> {
    let mut keys: Vec<_> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["plugin"] == "network")
        .map(|f| {
            (
                f["check_id"].as_str().unwrap().to_string(),
                f["location"]["path"].as_str().unwrap_or("").to_string(),
                f["location"]["line"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    keys.sort();
    keys
}

fn owned(list: &[(&str, &str, u64)]) -> Vec<(String, String, u64)> {
    let mut v: Vec<_> = list
        .iter()
        .map(|(c, p, l)| (c.to_string(), p.to_string(), *l))
        .collect();
    v.sort();
    v
}

/// The findings the network plugin reports on the example target.
pub fn example_network_findings() -> Vec<(String, String, u64)> {
    owned(&[
        (
            "NET-K8S-NETWORKPOLICY-MISSING",
            "deploy/k8s/inference.yaml",
            1,
        ),
        ("NET-MODEL-DIGEST-MISMATCH", "models/SHA256SUMS", 2),
        ("NET-MODEL-NO-MANIFEST", "models/intent-classifier.pkl", 0),
        (
            "NET-NGINX-HSTS-MISSING",
            "etc/nginx/conf.d/llm-gateway.conf",
            13,
        ),
        ("NET-NGINX-NO-AUTH", "etc/nginx/conf.d/llm-gateway.conf", 23),
        ("NET-NGINX-TLS-OLD-PROTOCOL", "etc/nginx/nginx.conf", 18),
    ])
}

#[test]
fn network_insecure_exact_findings() {
    let (run, report) = run_json(&fixture("network-insecure"), &[]);
    assert_eq!(code(&run), 1, "{}", stderr(&run));
    let p = plugin(&report, "network");
    assert_eq!(p["status"], "ok", "{p:#}");
    assert_eq!(p["source"], "embedded:network");
    let expected = owned(&[
        ("NET-APP-AUTH-DISABLED", "deploy/k8s/vllm.yaml", 21),
        ("NET-APP-AUTH-DISABLED", "docker-compose.yml", 6),
        ("NET-APP-NO-API-KEY", "deploy/k8s/vllm.yaml", 17),
        ("NET-APP-SERVER-TLS-OLD-PROTOCOL", "app/gunicorn.conf.py", 3),
        ("NET-APP-SERVER-TLS-OLD-PROTOCOL", "docker-compose.yml", 4),
        ("NET-CORS-WILDCARD-CREDENTIALS", "app/main.py", 7),
        (
            "NET-CORS-WILDCARD-CREDENTIALS",
            "etc/nginx/conf.d/inference.conf",
            10,
        ),
        ("NET-ENVOY-NO-AUTH", "envoy/envoy.yaml", 3),
        ("NET-ENVOY-NO-AUTH", "envoy/envoy.yaml", 33),
        ("NET-ENVOY-NO-RATE-LIMIT", "envoy/envoy.yaml", 3),
        ("NET-ENVOY-NO-RATE-LIMIT", "envoy/envoy.yaml", 33),
        ("NET-ENVOY-PLAINTEXT-LISTENER", "envoy/envoy.yaml", 33),
        ("NET-ENVOY-TLS-OLD-PROTOCOL", "envoy/envoy.yaml", 29),
        ("NET-HAPROXY-NO-RATE-LIMIT", "etc/haproxy/haproxy.cfg", 10),
        ("NET-HAPROXY-PLAINTEXT-HTTP", "etc/haproxy/haproxy.cfg", 12),
        ("NET-HAPROXY-TLS-OLD-PROTOCOL", "etc/haproxy/haproxy.cfg", 3),
        ("NET-INGRESS-NO-AUTH", "deploy/k8s/vllm.yaml", 40),
        ("NET-INGRESS-NO-RATE-LIMIT", "deploy/k8s/vllm.yaml", 40),
        ("NET-INGRESS-NO-TLS", "deploy/k8s/vllm.yaml", 40),
        ("NET-K8S-NETWORKPOLICY-MISSING", "deploy/k8s/vllm.yaml", 1),
        (
            "NET-K8S-SERVICE-EXPOSED-NON-443",
            "deploy/k8s/vllm.yaml",
            36,
        ),
        ("NET-MODEL-DIGEST-MISMATCH", "models/SHA256SUMS", 1),
        ("NET-MODEL-ENCRYPTION-WEAK", "config/model-store.yaml", 4),
        ("NET-MODEL-FILE-MISSING", "models/SHA256SUMS", 2),
        ("NET-MODEL-NO-MANIFEST", "models/extra.onnx", 0),
        ("NET-MODEL-WEAK-DIGEST", "models/legacy/MD5SUMS", 1),
        (
            "NET-NGINX-HSTS-MISSING",
            "etc/nginx/conf.d/inference.conf",
            5,
        ),
        ("NET-NGINX-NO-AUTH", "etc/nginx/conf.d/inference.conf", 9),
        ("NET-NGINX-NO-AUTH", "etc/nginx/conf.d/inference.conf", 21),
        (
            "NET-NGINX-NO-RATE-LIMIT",
            "etc/nginx/conf.d/inference.conf",
            9,
        ),
        (
            "NET-NGINX-NO-RATE-LIMIT",
            "etc/nginx/conf.d/inference.conf",
            21,
        ),
        (
            "NET-NGINX-PLAINTEXT-HTTP",
            "etc/nginx/conf.d/inference.conf",
            18,
        ),
        ("NET-NGINX-TLS-OLD-PROTOCOL", "etc/nginx/nginx.conf", 12),
        ("NET-NGINX-WEAK-CIPHERS", "etc/nginx/nginx.conf", 13),
        ("NET-TRAEFIK-TLS-OLD-PROTOCOL", "traefik/dynamic.yml", 4),
    ]);
    assert_eq!(network_keys(&report), expected);
    for control in ["NET-1", "NET-2", "NET-3", "NET-4"] {
        assert_eq!(control_status(&report, control), "failed", "{control}");
    }
    // The digest the host computed is in the finding.
    let mismatch = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["check_id"] == "NET-MODEL-DIGEST-MISMATCH")
        .unwrap();
    assert!(
        mismatch["message"]
            .as_str()
            .unwrap()
            .contains("b4dfcf2c59af50263b44a5579d598e02f7b47864bdc1df1912b1dea61c0a8ab1"),
        "{mismatch:#}"
    );
}

#[test]
fn network_hardened_has_nothing_at_low_or_above() {
    let (run, report) = run_json(&fixture("network-hardened"), &["--fail-on", "low"]);
    let keys = network_keys(&report);
    assert_eq!(keys, vec![], "{}", stderr(&run));
    for control in ["NET-1", "NET-2", "NET-3", "NET-4"] {
        assert_ne!(control_status(&report, control), "failed", "{control}");
    }
    // Without --endpoint the live checks are not checked, with the reason.
    let checks = plugin(&report, "network")["checks"].as_array().unwrap();
    let live = checks
        .iter()
        .find(|c| c["id"] == "NET-PROBE-TLS12-ACCEPTED")
        .unwrap();
    assert_eq!(live["status"], "not_checked", "{live:#}");
    assert!(
        live["reason"].as_str().unwrap().contains("--endpoint"),
        "{live:#}"
    );
    let digest = checks
        .iter()
        .find(|c| c["id"] == "NET-MODEL-DIGEST-MISMATCH")
        .unwrap();
    assert_eq!(digest["status"], "passed", "{digest:#}");
}

#[test]
fn network_tricky_exact_findings() {
    let (run, report) = run_json(&fixture("network-tricky"), &[]);
    // 3: the Helm template leaves checks incomplete.
    assert_eq!(code(&run), 3, "{}", stderr(&run));
    let expected = owned(&[
        ("NET-APP-AUTH-DISABLED", "app/settings.yaml", 4),
        ("NET-APP-NO-API-KEY", "Dockerfile", 6),
        ("NET-INGRESS-NO-TLS", "k8s/overlays/prod/serving.yaml", 82),
        (
            "NET-K8S-NETWORKPOLICY-MISSING",
            "k8s/overlays/prod/serving.yaml",
            43,
        ),
        (
            "NET-NGINX-HSTS-MISSING",
            "nginx/sites-available/api.conf",
            18,
        ),
        ("NET-NGINX-NO-AUTH", "nginx/sites-available/api.conf", 23),
        ("NET-NGINX-NO-RATE-LIMIT", "nginx/conf.d/10-grpc.conf", 9),
        (
            "NET-NGINX-NO-RATE-LIMIT",
            "nginx/sites-available/admin.conf",
            8,
        ),
        (
            "NET-NGINX-TLS-OLD-PROTOCOL",
            "nginx/sites-available/api.conf",
            4,
        ),
    ]);
    assert_eq!(network_keys(&report), expected);
    // The Helm template leaves the Kubernetes checks incomplete, not passed.
    let checks = plugin(&report, "network")["checks"].as_array().unwrap();
    let policy = checks
        .iter()
        .find(|c| c["id"] == "NET-INGRESS-NO-RATE-LIMIT")
        .unwrap();
    assert_eq!(policy["status"], "incomplete", "{policy:#}");
}

/// Shapes from real repositories: the root as nginx's prefix, templates
/// nginx.conf does not include, an official-image conf.d file judged on its
/// own, and KServe's operators next to real model servers.
#[test]
fn network_realworld_exact_findings() {
    let (run, report) = run_json(&fixture("network-realworld"), &[]);
    assert_eq!(code(&run), 1, "{}", stderr(&run));
    let expected = owned(&[
        (
            "NET-NGINX-TLS-OLD-PROTOCOL",
            "h5bp/tls/policy_intermediate.conf",
            2,
        ),
        ("NET-NGINX-NO-AUTH", "conf.d/api.example.com.conf", 11),
        (
            "NET-NGINX-TLS-OLD-PROTOCOL",
            "docker/etc/nginx/snippets/tls.conf",
            3,
        ),
        (
            "NET-K8S-NETWORKPOLICY-MISSING",
            "k8s/serving/servers.yaml",
            2,
        ),
        (
            "NET-K8S-NETWORKPOLICY-MISSING",
            "k8s/serving/servers.yaml",
            14,
        ),
        (
            "NET-K8S-NETWORKPOLICY-MISSING",
            "k8s/serving/servers.yaml",
            32,
        ),
        ("NET-APP-NO-API-KEY", "k8s/serving/servers.yaml", 27),
    ]);
    assert_eq!(network_keys(&report), expected);
    let p = plugin(&report, "network");
    assert_eq!(p["diagnostics"], serde_json::json!([]), "{p:#}");
}

#[test]
fn network_findings_on_the_example_target() {
    let (_, report) = run_json(&fixture("example-ai-service"), &[]);
    assert_eq!(network_keys(&report), example_network_findings());
    assert_eq!(control_status(&report, "NET-1"), "failed");
    assert_eq!(control_status(&report, "NET-4"), "failed");
}

/// A live endpoint granted with `--endpoint`: the host probes it for the
/// plugin, and an open API without rate-limit headers is reported.
#[test]
fn granted_endpoint_is_probed_through_the_host() {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { continue };
            let mut buf = [0u8; 4096];
            let _ = s.read(&mut buf);
            let body = "{\"data\": [{\"id\": \"llama-3-8b\"}]}";
            let _ = s.write_all(
                format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                )
                .as_bytes(),
            );
        }
    });
    let target = tempfile::tempdir().unwrap();
    std::fs::write(target.path().join("README.md"), "nothing to read").unwrap();
    let url = format!("http://127.0.0.1:{port}/v1/models");
    let grant = format!("network={url}");
    let (run, report) = run_json(target.path(), &["--endpoint", &grant]);
    let found: Vec<_> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["plugin"] == "network")
        .map(|f| {
            (
                f["check_id"].as_str().unwrap().to_string(),
                f["location"]["path"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        found,
        vec![
            ("NET-PROBE-UNAUTHENTICATED".to_string(), url.clone()),
            ("NET-PROBE-NO-RATE-LIMIT-HEADERS".to_string(), url.clone()),
        ],
        "{}",
        stderr(&run)
    );
    let checks = plugin(&report, "network")["checks"].as_array().unwrap();
    let hsts = checks
        .iter()
        .find(|c| c["id"] == "NET-PROBE-HSTS-MISSING")
        .unwrap();
    assert_eq!(hsts["status"], "incomplete", "{hsts:#}");
}
