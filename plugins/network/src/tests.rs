//! Native tests: the fixture trees with their exact findings, and the
//! judging of probe reports built by hand.

use std::path::{Path, PathBuf};

use aicomply_sdk::Scan;
use aicomply_sdk::fs::WalkOptions;

use super::*;

pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures")
        .join(name)
}

fn scan_fixture(name: &str) -> Scan {
    let mut scan = Scan::new(checks::catalogue());
    scan_tree(&fixture(name), &WalkOptions::default(), &mut scan);
    scan
}

/// (check, path, line) of every finding, sorted.
fn keys(scan: &Scan) -> Vec<(String, String, u32)> {
    let mut v: Vec<_> = scan
        .findings()
        .iter()
        .map(|f| {
            let l = f.location.as_ref().unwrap();
            (f.check_id.clone(), l.path.clone(), l.line.unwrap_or(0))
        })
        .collect();
    v.sort();
    v
}

fn dump(scan: &Scan) -> String {
    let mut s = String::new();
    for f in scan.findings() {
        let l = f.location.as_ref().unwrap();
        s.push_str(&format!(
            "(\"{}\", \"{}\", {}), // {:?} {}\n",
            f.check_id,
            l.path,
            l.line.unwrap_or(0),
            f.severity,
            f.message
        ));
    }
    for d in scan.diagnostics() {
        s.push_str(&format!(
            "diag {} {:?}: {}\n",
            d.location.path, d.location.line, d.message
        ));
    }
    for (c, r) in scan.incomplete_checks() {
        s.push_str(&format!("incomplete {c}: {r}\n"));
    }
    s
}

fn expect(list: &[(&str, &str, u32)]) -> Vec<(String, String, u32)> {
    let mut v: Vec<_> = list
        .iter()
        .map(|(c, p, l)| (c.to_string(), p.to_string(), *l))
        .collect();
    v.sort();
    v
}

/// The exact findings on the insecure fixture (also asserted end to end
/// in tests/e2e/network.rs).
pub const INSECURE: &[(&str, &str, u32)] = &[
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
];

/// Every parsing rule of the tricky fixture, with the finding it proves.
pub const TRICKY: &[(&str, &str, u32)] = &[
    // `enabled: no` is a YAML 1.1 boolean under `oauth2:`.
    ("NET-APP-AUTH-DISABLED", "app/settings.yaml", 4),
    // Final stage only: ENTRYPOINT api_server + a multi-line CMD, no key.
    ("NET-APP-NO-API-KEY", "Dockerfile", 6),
    // A wildcard TLS host covers tgi.example.com, not tgi.example.org.
    ("NET-INGRESS-NO-TLS", "k8s/overlays/prod/serving.yaml", 82),
    // Selected (namespace from kustomization.yaml), but `- {}` admits all;
    // tgi is isolated through matchExpressions.
    (
        "NET-K8S-NETWORKPOLICY-MISSING",
        "k8s/overlays/prod/serving.yaml",
        43,
    ),
    // CRLF file from a relative glob include; auth_basic inherited, no limit.
    ("NET-NGINX-NO-RATE-LIMIT", "nginx/conf.d/10-grpc.conf", 9),
    // Enabled through an absolute link mapped onto the config folder;
    // the API-key `if` from a snippet counts as auth; the zone is undefined.
    (
        "NET-NGINX-NO-RATE-LIMIT",
        "nginx/sites-available/admin.conf",
        8,
    ),
    // Server-level override of the http-level TLSv1.3.
    (
        "NET-NGINX-TLS-OLD-PROTOCOL",
        "nginx/sites-available/api.conf",
        4,
    ),
    // A location's own add_header drops the server's HSTS.
    (
        "NET-NGINX-HSTS-MISSING",
        "nginx/sites-available/api.conf",
        18,
    ),
    // `auth_request off` in one location.
    ("NET-NGINX-NO-AUTH", "nginx/sites-available/api.conf", 23),
];

pub const EXAMPLE: &[(&str, &str, u32)] = &[
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
];

#[test]
fn insecure_fixture_exact_findings() {
    let scan = scan_fixture("network-insecure");
    assert_eq!(keys(&scan), expect(INSECURE), "{}", dump(&scan));
    assert!(scan.diagnostics().is_empty(), "{}", dump(&scan));
    // TLS 1.0/1.1 is high; TLS 1.2 next to 1.3 would be low.
    let nginx_tls = scan
        .findings()
        .iter()
        .find(|f| f.check_id == checks::NGINX_TLS_PROTOCOL)
        .unwrap();
    assert_eq!(nginx_tls.severity, aicomply_sdk::Severity::High);
}

#[test]
fn hardened_fixture_has_no_findings_and_evaluates_its_checks() {
    let scan = scan_fixture("network-hardened");
    assert_eq!(keys(&scan), vec![], "{}", dump(&scan));
    assert!(
        scan.diagnostics().is_empty() && scan.incomplete_checks().is_empty(),
        "{}",
        dump(&scan)
    );
    let out = scan.into_output();
    for check in checks::catalogue() {
        let live = checks::PROBE_CHECKS.contains(&check.id.as_str());
        assert_eq!(
            out.evaluated.contains(&check.id),
            !live,
            "{} evaluated",
            check.id
        );
    }
    let probe = out
        .not_checked
        .iter()
        .find(|n| n.check_id == checks::PROBE_TLS_PROTOCOL)
        .unwrap();
    assert!(probe.reason.contains("--endpoint"), "{}", probe.reason);
}

#[test]
fn tricky_fixture_every_parsing_rule() {
    let scan = scan_fixture("network-tricky");
    assert_eq!(keys(&scan), expect(TRICKY), "{}", dump(&scan));
    // The Helm template is reported and leaves the Kubernetes checks incomplete.
    assert!(
        scan.diagnostics()
            .iter()
            .any(|d| d.location.path == "k8s/chart/templates/ingress.yaml")
    );
    for c in checks::K8S_CHECKS {
        assert!(scan.incomplete_checks().contains_key(*c), "{c}");
    }
    // The disabled site (TLSv1, plain HTTP) is never read.
    assert!(
        scan.findings()
            .iter()
            .all(|f| !f.location.as_ref().unwrap().path.contains("legacy"))
    );
    // Model digests: CRLF, upper-case hex, `*`, BSD lines, JSON and an LFS pointer all verify.
    assert!(
        !scan
            .incomplete_checks()
            .contains_key(checks::MODEL_DIGEST_MISMATCH)
    );
    // The application checks API keys itself (APIKeyHeader): the proxy's
    // missing auth is information, not a failure.
    let no_auth = scan
        .findings()
        .iter()
        .find(|f| f.check_id == checks::NGINX_NO_AUTH)
        .unwrap();
    assert_eq!(
        no_auth.severity,
        aicomply_sdk::Severity::Info,
        "{}",
        no_auth.message
    );
    assert!(
        no_auth.message.contains("APIKeyHeader in app/api.py"),
        "{}",
        no_auth.message
    );
    let messages: Vec<_> = scan.findings().iter().map(|f| f.message.clone()).collect();
    assert!(
        messages
            .iter()
            .any(|m| m.contains("enabled through nginx/sites-enabled/api.conf")),
        "{messages:?}"
    );
}

/// Shapes from real repositories (h5bp/server-configs-nginx, kserve).
pub const REALWORLD: &[(&str, &str, u32)] = &[
    // conf.d/api.example.com.conf, reached from the root nginx.conf:
    // `include h5bp/tls/...` resolves against the prefix (the root), not
    // conf.d/ (whose decoy h5bp/tls/ says TLSv1).
    (
        "NET-NGINX-TLS-OLD-PROTOCOL",
        "h5bp/tls/policy_intermediate.conf",
        2,
    ),
    ("NET-NGINX-NO-AUTH", "conf.d/api.example.com.conf", 11),
    // The official image's conf.d/default.conf, judged on its own: its
    // include resolves under the image root's etc/nginx, not at the
    // repository root whose nginx.conf does not reach it.
    (
        "NET-NGINX-TLS-OLD-PROTOCOL",
        "docker/etc/nginx/snippets/tls.conf",
        3,
    ),
    // Model servers by positive signals: an InferenceService, `vllm serve`
    // on a generic image, pods an InferencePool selects. The controllers,
    // the node agent, a vllm-operator, llm-router and model-registry are
    // not.
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
];

#[test]
fn realworld_fixture_prefix_active_config_and_serving_signals() {
    let scan = scan_fixture("network-realworld");
    assert_eq!(keys(&scan), expect(REALWORLD), "{}", dump(&scan));
    // Templates, examples and dot files nginx.conf does not reach say
    // nothing (not even their unresolvable include); everything resolved.
    assert!(
        scan.diagnostics().is_empty() && scan.incomplete_checks().is_empty(),
        "{}",
        dump(&scan)
    );
    // The Ingress to llm-router (a generic name) is not graded as inference.
    assert!(
        scan.findings()
            .iter()
            .all(|f| !f.check_id.starts_with("NET-INGRESS")),
        "{}",
        dump(&scan)
    );
}

/// A tree with no nginx.conf at all (a repository shipping only its
/// conf.d/app.conf for the official image) is judged on its own, its
/// relative includes resolved against the folder holding conf.d; an
/// include found nowhere leaves the checks incomplete.
#[test]
fn lone_conf_d_file_is_judged_with_the_conf_d_parent_as_prefix() {
    let dir = std::env::temp_dir().join(format!("aicomply-net-lone-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("deploy/nginx/conf.d")).unwrap();
    std::fs::create_dir_all(dir.join("deploy/nginx/snippets")).unwrap();
    std::fs::write(
        dir.join("deploy/nginx/conf.d/app.conf"),
        "server {\n    listen 443 ssl;\n    include snippets/tls.conf;\n    include snippets/missing.conf;\n    location /v1/ { proxy_pass http://vllm:8000; }\n}\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("deploy/nginx/snippets/tls.conf"),
        "ssl_protocols TLSv1 TLSv1.2;\n",
    )
    .unwrap();
    let mut scan = Scan::new(checks::catalogue());
    scan_tree(&dir, &WalkOptions::default(), &mut scan);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(
        keys(&scan),
        expect(&[(
            "NET-NGINX-TLS-OLD-PROTOCOL",
            "deploy/nginx/snippets/tls.conf",
            1
        )]),
        "{}",
        dump(&scan)
    );
    assert!(
        scan.diagnostics()
            .iter()
            .any(|d| d.location.path == "deploy/nginx/conf.d/app.conf"
                && d.message.contains("snippets/missing.conf")),
        "{}",
        dump(&scan)
    );
    for c in [
        checks::NGINX_HSTS,
        checks::NGINX_RATE_LIMIT,
        checks::NGINX_NO_AUTH,
    ] {
        assert!(
            scan.incomplete_checks().contains_key(c),
            "{c}: {}",
            dump(&scan)
        );
    }
}

#[test]
fn example_target_shows_network_findings() {
    let scan = scan_fixture("example-ai-service");
    assert_eq!(keys(&scan), expect(EXAMPLE), "{}", dump(&scan));
}

/// The other plugins' fixtures: the hardened service and the parser traps
/// of tests/fixtures/tricky give this plugin nothing to report (an `api`
/// Deployment and a vector database are not model servers).
#[test]
fn shared_fixtures_have_no_network_findings() {
    for name in ["hardened", "tricky", "rpm-host"] {
        let scan = scan_fixture(name);
        assert_eq!(keys(&scan), vec![], "{name}: {}", dump(&scan));
    }
}

#[test]
fn empty_tree_is_not_checked_never_passed() {
    let dir = std::env::temp_dir().join(format!("aicomply-network-empty-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("README.md"), "hello").unwrap();
    let mut scan = Scan::new(checks::catalogue());
    scan_tree(&dir, &WalkOptions::default(), &mut scan);
    std::fs::remove_dir_all(&dir).unwrap();
    let out = scan.into_output();
    assert!(out.evaluated.is_empty(), "{:?}", out.evaluated);
    assert_eq!(out.not_checked.len(), checks::catalogue().len());
}

#[test]
fn nginx_tokenizer_quotes_comments_variables() {
    let text = "a \"x;# y\" '#z' b#c; # gone ;\nset $v ${host}x;\nif ($a) { return 401; }\n";
    let d = nginx::parse(text, "f").unwrap();
    assert_eq!(d[0].args, vec!["x;# y", "#z", "b#c"]);
    assert_eq!(
        (d[1].name.as_str(), d[1].args[1].as_str(), d[1].line),
        ("set", "${host}x", 2)
    );
    assert_eq!(d[2].block.as_ref().unwrap()[0].args, vec!["401"]);
    assert!(nginx::parse("server { listen 80;", "f").is_err());
    assert!(nginx::parse("listen 80", "f").is_err());
    assert!(nginx::parse("a \"open;", "f").is_err());
}

/// Hashing is bounded by file count and bytes; what was not hashed leaves
/// the digest check incomplete, with the files named.
#[test]
fn hashing_is_bounded_and_says_what_it_skipped() {
    struct Fake;
    impl models::Hasher for Fake {
        fn sha256(&self, _: &str) -> Result<String, String> {
            Ok("a".repeat(64))
        }
        fn lfs_oid(&self, _: &str) -> Option<String> {
            None
        }
        fn size(&self, rel: &str) -> Option<u64> {
            Some(if rel == "big.gguf" {
                models::MAX_HASH_BYTES + 1
            } else {
                10
            })
        }
    }
    let entries = ["small.onnx", "big.gguf"]
        .iter()
        .enumerate()
        .map(|(i, n)| models::Entry {
            name: n.to_string(),
            digest: "a".repeat(64),
            algo: models::Algo::Sha256,
            line: i as u32 + 1,
        })
        .collect();
    let manifests = vec![models::Manifest {
        path: "SHA256SUMS".into(),
        entries,
    }];
    let files = ["small.onnx", "big.gguf", "SHA256SUMS"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let mut scan = Scan::new(checks::catalogue());
    models::check(&manifests, &files, &Fake, &mut scan);
    assert!(scan.findings().is_empty(), "{}", dump(&scan));
    let why = &scan.incomplete_checks()[checks::MODEL_DIGEST_MISMATCH];
    assert!(
        why.contains("big.gguf") && why.contains("hashing budget"),
        "{why}"
    );
}

#[test]
fn haproxy_stats_tcp_and_defaults() {
    let cfg = "global\n    ssl-default-bind-options ssl-min-ver TLSv1.2\ndefaults\n    mode tcp\nfrontend pg\n    bind :5432\n    tcp-request connection track-sc0 src\nfrontend stats\n    mode http\n    bind :8404\n    stats enable\n    stats uri /stats\nfrontend api\n    mode http\n    bind :443 ssl crt /c.pem ssl-min-ver TLSv1.3\n    http-request track-sc0 src\n";
    let mut scan = Scan::new(checks::catalogue());
    assert_eq!(proxies::check_haproxy("haproxy.cfg", cfg, &mut scan), 3);
    assert!(scan.findings().is_empty(), "{}", dump(&scan));
    let mut scan = Scan::new(checks::catalogue());
    proxies::check_haproxy(
        "haproxy.cfg",
        "global\n    ssl-default-bind-options no-sslv3\nfrontend f\n    bind :443 ssl crt /c.pem\n    http-request track-sc0 src\n",
        &mut scan,
    );
    assert_eq!(
        keys(&scan),
        expect(&[("NET-HAPROXY-TLS-OLD-PROTOCOL", "haproxy.cfg", 2)])
    );
    assert_eq!(scan.findings()[0].severity, aicomply_sdk::Severity::Low);
}

#[test]
fn version_and_cipher_judgement() {
    assert!(nginx::judge_versions(&["TLSv1.3"]).is_none());
    assert_eq!(
        nginx::judge_versions(&["TLSv1.2", "TLSv1.3"]).unwrap().0,
        aicomply_sdk::Severity::Low
    );
    assert_eq!(
        nginx::judge_versions(&["TLSv1.1", "TLSv1.3"]).unwrap().0,
        aicomply_sdk::Severity::High
    );
    assert_eq!(
        nginx::weak_ciphers("HIGH:!aNULL:!MD5"),
        Vec::<String>::new()
    );
    assert_eq!(
        nginx::weak_ciphers("ECDHE+AESGCM:RC4-SHA:!3DES:DES-CBC3-SHA"),
        vec!["RC4-SHA", "DES-CBC3-SHA"]
    );
}

#[test]
fn manifest_formats() {
    let h = "a".repeat(64);
    let text = format!(
        "# c\r\n{h} *m.safetensors\r\nSHA256 (x/y.bin) = {h}\r\n\\{h}  we\\\\ird.pt\r\n{}  old.bin\r\n",
        "b".repeat(32)
    );
    let e = models::parse_text("SHA256SUMS", &text);
    let names: Vec<_> = e
        .iter()
        .map(|e| (e.name.as_str(), e.algo, e.line))
        .collect();
    assert_eq!(
        names,
        vec![
            ("m.safetensors", models::Algo::Sha256, 2),
            ("x/y.bin", models::Algo::Sha256, 3),
            ("we\\ird.pt", models::Algo::Sha256, 4),
            ("old.bin", models::Algo::Md5, 5),
        ]
    );
    let single = models::parse_text("model.gguf.sha256", &format!("{h}\n"));
    assert_eq!(single[0].name, "model.gguf");
    let doc = aicomply_sdk::yaml::json::parse(&format!(
        "{{\"m.onnx\": \"{h}\", \"files\": [{{\"name\": \"a.pt\", \"sha256\": \"{h}\"}}]}}"
    ))
    .unwrap()
    .unwrap();
    let j: Vec<_> = models::parse_json(&doc)
        .into_iter()
        .map(|e| e.name)
        .collect();
    assert_eq!(j, vec!["m.onnx", "a.pt"]);
}

#[test]
fn encryption_and_auth_settings() {
    assert!(apps::judge_encryption("AES-256-GCM").is_none());
    assert!(apps::judge_encryption("aes_256_gcm").is_none());
    for bad in ["AES-128-GCM", "aes-256-cbc", "none", "false", "AES256"] {
        assert!(apps::judge_encryption(bad).is_some(), "{bad}");
    }
    assert!(apps::auth_disabled("AUTH_ENABLED", "false"));
    assert!(apps::auth_disabled("DISABLE_AUTH", "1"));
    assert!(apps::auth_disabled("API_KEY_REQUIRED", "no"));
    assert!(!apps::auth_disabled("AUTH_ENABLED", "true"));
    assert!(!apps::auth_disabled("AUTHOR_ENABLED", "false"));
    assert!(!apps::auth_disabled("FEATURE_ENABLED", "false"));
}

#[test]
fn inference_workloads_by_words() {
    for yes in [
        "vllm/vllm-openai:v0.6.3",
        "ghcr.io/huggingface/text-generation-inference:2",
        "nvcr.io/nvidia/tritonserver:24.08",
        "ollama/ollama",
        "kserve/sklearnserver:v0.14.0",
        "kserve/huggingfaceserver:latest",
        "ghcr.io/ggml-org/llama.cpp:server",
        "seldonio/mlserver:1.6.0",
        "openvino/model_server:2024.4",
        "http://vllm:8000",
    ] {
        assert!(kubernetes::is_inference_text(yes), "{yes}");
    }
    // Generic words and the control plane are not model servers.
    for no in [
        "llm-gateway",
        "model-registry",
        "kserve-controller-manager",
        "kserve/kserve-controller:v0.14.0",
        "kserve-localmodelnode-agent",
        "kserve/kserve-localmodelnode-agent:latest",
        "llmisvc-controller-manager",
        "vllm-operator",
        "inference-webhook-server",
        "registry.example.com/api:2.3.1",
        "vector-db",
        "qdrant/qdrant",
        "postgres",
        "redis",
    ] {
        assert!(!kubernetes::is_inference_text(no), "{no}");
    }
    let argv = |s: &str| apps::shell_words(s);
    for yes in [
        "vllm serve meta-llama/Llama-3.1-8B",
        "python3 -m vllm.entrypoints.openai.api_server --port 8000",
        "text-generation-launcher --port 80",
        "/opt/tritonserver/bin/tritonserver --model-repository=/models",
        "python -m sglang.launch_server --model-path x",
        "mlserver start /models",
        "serve run app:deployment",
        "--model /models/llama",
    ] {
        assert!(kubernetes::is_server_command(&argv(yes)), "{yes}");
    }
    for no in [
        "/manager --metrics-addr=:8080 --leader-elect",
        "python train.py --epochs 3",
        "uvicorn app:app --port 8000",
    ] {
        assert!(!kubernetes::is_server_command(&argv(no)), "{no}");
    }
}

mod probes {
    use aicomply_sdk::{
        CertificateInfo, HttpReport, ProbeError, ProbeFailure, Scan, TlsAttempt, TlsReport,
    };

    use crate::checks::{self, *};
    use crate::probe;

    fn attempt(offered: &str, accepted: bool) -> TlsAttempt {
        TlsAttempt {
            offered: offered.into(),
            accepted,
            version: accepted.then(|| {
                if offered == "default" {
                    "TLSv1.3".into()
                } else {
                    offered.into()
                }
            }),
            cipher: accepted.then(|| "TLS13_AES_256_GCM_SHA384".into()),
            error: (!accepted).then(|| "protocol version".into()),
        }
    }

    fn cert(days: i64, chain_valid: bool, hostname_matches: bool) -> CertificateInfo {
        CertificateInfo {
            subject: "CN=api.example.com".into(),
            issuer: "CN=R11".into(),
            names: vec!["api.example.com".into()],
            not_before: "2026-09-01T00:00:00Z".into(),
            not_after: "2026-12-20T00:00:00Z".into(),
            days_to_expiry: days,
            chain_length: 2,
            chain_valid,
            chain_error: (!chain_valid).then(|| "unknown issuer".into()),
            hostname_matches,
        }
    }

    fn tls(tls12: bool, cert: Option<CertificateInfo>) -> TlsReport {
        TlsReport {
            endpoint: "https://api.example.com/v1/models".into(),
            address: "203.0.113.5:443".into(),
            attempts: vec![
                attempt("default", true),
                attempt("TLSv1.3", true),
                attempt("TLSv1.2", tls12),
            ],
            certificate: cert,
            not_probed: vec!["TLSv1.1 and older: not spoken by the host's TLS library".into()],
        }
    }

    fn http(status: u16, refused: bool, headers: &[(&str, &str)]) -> HttpReport {
        HttpReport {
            endpoint: "https://api.example.com/v1/models".into(),
            url: "https://api.example.com/v1/models".into(),
            address: "203.0.113.5:443".into(),
            status,
            headers: headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            refused_unauthenticated: refused,
            redirects: Vec::new(),
            body_bytes: 120,
            truncated: false,
        }
    }

    fn ids(scan: &Scan) -> Vec<&str> {
        let mut v: Vec<&str> = scan
            .findings()
            .iter()
            .map(|f| f.check_id.as_str())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn good_endpoint_passes() {
        let mut scan = Scan::new(checks::catalogue());
        probe::judge_tls(&tls(false, Some(cert(80, true, true))), &mut scan);
        probe::judge_http(
            &http(
                401,
                true,
                &[
                    ("strict-transport-security", "max-age=63072000"),
                    ("ratelimit-limit", "100"),
                ],
            ),
            &mut scan,
        );
        assert!(scan.findings().is_empty(), "{:?}", scan.findings());
        assert!(scan.incomplete_checks().is_empty());
        for c in checks::PROBE_CHECKS {
            assert!(scan.is_evaluated(c), "{c}");
        }
    }

    #[test]
    fn tls12_bad_certificate_and_expiry() {
        let mut scan = Scan::new(checks::catalogue());
        probe::judge_tls(&tls(true, Some(cert(12, false, false))), &mut scan);
        assert_eq!(
            ids(&scan),
            vec![
                PROBE_CERT_EXPIRY,
                PROBE_CERT_INVALID,
                PROBE_CERT_INVALID,
                PROBE_TLS_PROTOCOL
            ]
        );
        let mut scan = Scan::new(checks::catalogue());
        probe::judge_tls(&tls(false, Some(cert(-3, true, true))), &mut scan);
        assert_eq!(ids(&scan), vec![PROBE_CERT_EXPIRY]);
        assert_eq!(scan.findings()[0].severity, aicomply_sdk::Severity::High);
    }

    #[test]
    fn open_endpoint_without_hsts_or_limits() {
        let mut scan = Scan::new(checks::catalogue());
        probe::judge_http(&http(200, false, &[("server", "uvicorn")]), &mut scan);
        assert_eq!(
            ids(&scan),
            vec![PROBE_HSTS, PROBE_RATE_LIMIT, PROBE_UNAUTHENTICATED]
        );
        // A redirect to a login page is a refusal; a 404 proves nothing.
        let mut scan = Scan::new(checks::catalogue());
        probe::judge_http(
            &http(
                302,
                false,
                &[
                    ("location", "https://sso.example.com/oauth2/start"),
                    ("strict-transport-security", "max-age=600"),
                    ("retry-after", "1"),
                ],
            ),
            &mut scan,
        );
        assert!(scan.findings().is_empty() && scan.is_evaluated(PROBE_UNAUTHENTICATED));
        let mut scan = Scan::new(checks::catalogue());
        probe::judge_http(
            &http(
                404,
                false,
                &[
                    ("strict-transport-security", "max-age=600"),
                    ("x-ratelimit-limit", "5"),
                ],
            ),
            &mut scan,
        );
        assert!(scan.findings().is_empty());
        assert!(scan.incomplete_checks().contains_key(PROBE_UNAUTHENTICATED));
    }

    #[test]
    fn failed_probes_are_incomplete_never_passed() {
        let mut scan = Scan::new(checks::catalogue());
        let err = ProbeError {
            failure: ProbeFailure::Timeout,
            message: "no answer in 10 s".into(),
        };
        probe::probe_failed(
            "https://api.example.com/",
            "TLS",
            &err,
            &[PROBE_TLS_PROTOCOL, PROBE_CERT_INVALID],
            &mut scan,
        );
        assert!(scan.findings().is_empty());
        assert_eq!(scan.incomplete_checks().len(), 2);
        assert_eq!(scan.diagnostics().len(), 1);
        // Natively a granted endpoint cannot be probed: incomplete, with the reason.
        let ctx = crate::native_context(std::path::Path::new("/nonexistent"))
            .with_endpoints(&["https://api.example.com/v1/models"]);
        let mut scan = Scan::new(checks::catalogue());
        probe::run(&ctx, &mut scan);
        for c in checks::PROBE_CHECKS {
            assert!(scan.incomplete_checks().contains_key(*c), "{c}");
        }
        let out = scan.into_output();
        assert!(out.evaluated.is_empty());
    }
}
