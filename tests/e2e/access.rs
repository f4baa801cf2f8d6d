//! The access plugin (IAM-1, IAM-2) through the real binary: the access
//! fixtures, copied and given their file modes here (git keeps none but
//! the executable bit), and the example target.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use serde_json::Value;

use crate::support::*;

/// Modes by fixture; everything else is 0644 (files) and 0755 (folders).
const MODES: &[(&str, &[(&str, u32)])] = &[
    (
        "access-insecure",
        &[
            ("keys/api-signing.key", 0o664),
            ("tls/server.pem", 0o644),
            ("certs/ca.pem", 0o644),
            ("app/.env", 0o666),
            ("models/classifier.safetensors", 0o666),
            ("models", 0o777),
        ],
    ),
    (
        "access-hardened",
        &[
            ("keys/api-signing.key", 0o600),
            ("tls/server.pem", 0o640),
            ("home/svc/.ssh/id_ed25519", 0o600),
            ("app/.env", 0o600),
            ("models", 0o755),
        ],
    ),
    (
        "access-tricky",
        &[
            ("keys/shared.key", 0o660),
            ("keys/public.pem", 0o644),
            ("home/ml/.ssh/id_rsa.pub", 0o644),
            ("home/ml/.ssh/id_rsa", 0o640),
            ("scratch/models", 0o1777),
            ("scratch/models/draft.gguf", 0o644),
            ("app/.env.example", 0o666),
        ],
    ),
    ("example-ai-service", &[]),
];

fn normalise(dir: &Path) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
            normalise(&p);
        } else {
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
        }
    }
}

/// The fixture copied into `tmp`, with its modes.
fn prepared(name: &str, tmp: &Path) -> std::path::PathBuf {
    let target = tmp.join(name);
    copy_tree(&fixture(name), &target);
    normalise(&target);
    for (path, mode) in MODES.iter().find(|(n, _)| *n == name).unwrap().1 {
        std::fs::set_permissions(target.join(path), std::fs::Permissions::from_mode(*mode))
            .unwrap();
    }
    target
}

fn iam_findings(report: &Value) -> Vec<(String, String, u64)> {
    finding_keys(report)
        .into_iter()
        .filter(|(c, _, _)| c.starts_with("IAM-"))
        .collect()
}

fn owned(v: &[(&str, &str, u64)]) -> Vec<(String, String, u64)> {
    let mut v: Vec<_> = v
        .iter()
        .map(|(c, p, l)| (c.to_string(), p.to_string(), *l))
        .collect();
    v.sort();
    v
}

fn run(name: &str) -> (std::process::Output, Value) {
    let tmp = tempfile::tempdir().unwrap();
    let target = prepared(name, tmp.path());
    run_json(&target, &["--fail-on", "none"])
}

/// The access plugin's findings on the example target.
pub fn example_access_findings() -> Vec<(String, String, u64)> {
    owned(&[
        ("IAM-CLOUD-ACTION-WILDCARD", "infra/terraform/iam.tf", 33),
        ("IAM-CLOUD-RESOURCE-WILDCARD", "infra/terraform/iam.tf", 28),
        ("IAM-K8S-DEFAULT-SA-BOUND", "deploy/k8s/rbac.yaml", 23),
        ("IAM-K8S-DEFAULT-SA-BOUND", "deploy/k8s/rbac.yaml", 36),
        (
            "IAM-K8S-DEFAULT-SERVICE-ACCOUNT",
            "deploy/k8s/embedder.yaml",
            11,
        ),
        (
            "IAM-K8S-DEFAULT-SERVICE-ACCOUNT",
            "deploy/k8s/inference.yaml",
            15,
        ),
        ("IAM-K8S-TOKEN-AUTOMOUNT", "deploy/k8s/embedder.yaml", 11),
        ("IAM-K8S-TOKEN-AUTOMOUNT", "deploy/k8s/inference.yaml", 15),
        ("IAM-OS-DOCKER-GROUP", "etc/group", 4),
        (
            "IAM-OS-SUDO-NOPASSWD-ALL",
            "etc/sudoers.d/90-cloud-init-users",
            4,
        ),
        ("IAM-RBAC-CLUSTER-ADMIN-BINDING", "deploy/k8s/rbac.yaml", 33),
        ("IAM-RBAC-SECRETS-READ", "deploy/k8s/rbac.yaml", 10),
    ])
}

#[test]
fn access_insecure_exact_findings() {
    let (out, report) = run("access-insecure");
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let access = plugin(&report, "access");
    assert_eq!(access["status"], "ok", "{access:#}");
    assert_eq!(access["source"], "embedded:access");
    assert_eq!(
        iam_findings(&report),
        owned(&[
            (
                "IAM-CLOUD-ACTION-WILDCARD",
                "cloudformation/pipeline.yaml",
                12
            ),
            ("IAM-CLOUD-ACTION-WILDCARD", "terraform/iam.tf", 24),
            ("IAM-CLOUD-ADMIN-POLICY", "iam/admin-policy.json", 7),
            ("IAM-CLOUD-PRIMITIVE-ROLE", "terraform/iam.tf", 33),
            (
                "IAM-CLOUD-RESOURCE-WILDCARD",
                "cloudformation/pipeline.yaml",
                18
            ),
            ("IAM-CLOUD-RESOURCE-WILDCARD", "terraform/iam.tf", 25),
            ("IAM-FILE-KEY-GROUP-WRITABLE", "keys/api-signing.key", 0),
            ("IAM-FILE-SECRET-WORLD-READABLE", "app/.env", 0),
            ("IAM-FILE-SECRET-WORLD-READABLE", "keys/api-signing.key", 0),
            ("IAM-FILE-SECRET-WORLD-READABLE", "tls/server.pem", 0),
            ("IAM-FILE-WORLD-WRITABLE", "app/.env", 0),
            ("IAM-FILE-WORLD-WRITABLE", "models", 0),
            (
                "IAM-FILE-WORLD-WRITABLE",
                "models/classifier.safetensors",
                0
            ),
            ("IAM-K8S-DEFAULT-SA-BOUND", "k8s/rbac.yaml", 60),
            ("IAM-K8S-DEFAULT-SERVICE-ACCOUNT", "k8s/workloads.yaml", 9),
            ("IAM-K8S-SERVICE-ACCOUNT-UNBOUND", "k8s/workloads.yaml", 21),
            ("IAM-K8S-TOKEN-AUTOMOUNT", "k8s/workloads.yaml", 9),
            ("IAM-OS-DOCKER-GROUP", "etc/group", 3),
            ("IAM-OS-EXTRA-UID0", "etc/passwd", 3),
            ("IAM-OS-SUDO-NOPASSWD-ALL", "etc/sudoers", 6),
            ("IAM-OS-SUDO-UNRESTRICTED", "etc/sudoers", 7),
            ("IAM-RBAC-CLUSTER-ADMIN-BINDING", "k8s/rbac.yaml", 23),
            ("IAM-RBAC-ESCALATE", "k8s/rbac.yaml", 47),
            ("IAM-RBAC-POD-EXEC", "k8s/rbac.yaml", 41),
            ("IAM-RBAC-SECRETS-READ", "k8s/rbac.yaml", 36),
            ("IAM-RBAC-WILDCARD", "k8s/rbac.yaml", 14),
        ])
    );
    assert_eq!(control_status(&report, "IAM-1"), "failed");
    assert_eq!(control_status(&report, "IAM-2"), "failed");
}

#[test]
fn access_hardened_has_nothing_at_low_or_above() {
    let (out, report) = run("access-hardened");
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(plugin(&report, "access")["status"], "ok");
    assert_eq!(iam_findings(&report), Vec::new());
    assert_eq!(control_status(&report, "IAM-1"), "passed");
    assert_eq!(control_status(&report, "IAM-2"), "passed");
}

#[test]
fn access_tricky_exact_findings() {
    let (out, report) = run("access-tricky");
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(plugin(&report, "access")["status"], "ok");
    assert_eq!(
        iam_findings(&report),
        owned(&[
            ("IAM-CLOUD-ACTION-WILDCARD", "cloudformation/roles.yaml", 24),
            ("IAM-CLOUD-ACTION-WILDCARD", "iam/bucket-writer.json", 5),
            ("IAM-CLOUD-ACTION-WILDCARD", "k8s/ack-policy.yaml", 11),
            ("IAM-CLOUD-ACTION-WILDCARD", "terraform/main.tf", 28),
            ("IAM-CLOUD-ADMIN-POLICY", "iam/break-glass.json", 6),
            ("IAM-CLOUD-ADMIN-POLICY", "terraform/main.tf", 13),
            ("IAM-CLOUD-PRIMITIVE-ROLE", "iam/gcp-policy.json", 8),
            ("IAM-CLOUD-PRIMITIVE-ROLE", "terraform/main.tf", 48),
            ("IAM-CLOUD-RESOURCE-WILDCARD", "iam/bucket-writer.json", 6),
            ("IAM-CLOUD-RESOURCE-WILDCARD", "terraform/main.tf", 42),
            ("IAM-FILE-KEY-GROUP-WRITABLE", "keys/shared.key", 0),
            ("IAM-K8S-DEFAULT-SA-BOUND", "k8s/base/serving.yaml", 83),
            (
                "IAM-K8S-DEFAULT-SERVICE-ACCOUNT",
                "k8s/base/serving.yaml",
                20
            ),
            ("IAM-K8S-TOKEN-AUTOMOUNT", "k8s/base/serving.yaml", 20),
            ("IAM-OS-DOCKER-GROUP", "etc/group", 2),
            ("IAM-OS-EXTRA-UID0", "etc/passwd", 6),
            ("IAM-OS-SUDO-NOPASSWD-ALL", "etc/sudoers.local", 2),
            ("IAM-OS-SUDO-UNRESTRICTED", "etc/sudoers.d/10-ops", 2),
            ("IAM-OS-SUDO-UNRESTRICTED", "etc/sudoers.d/10-ops", 3),
            (
                "IAM-RBAC-CLUSTER-ADMIN-BINDING",
                "k8s/base/serving.yaml",
                80
            ),
            ("IAM-RBAC-ESCALATE", "k8s/base/debug-roles.json", 11),
            ("IAM-RBAC-POD-EXEC", "k8s/base/debug-roles.json", 10),
            ("IAM-RBAC-WILDCARD", "k8s/base/serving.yaml", 70),
        ])
    );
    // The unrendered Helm chart is said, not passed over.
    let json = serde_json::to_string(&report).unwrap();
    assert!(json.contains("charts/operator/templates/rbac.yaml"));
}

#[test]
fn access_findings_on_the_example_target() {
    let (out, report) = run("example-ai-service");
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(iam_findings(&report), example_access_findings());
    assert_eq!(control_status(&report, "IAM-1"), "failed");
    assert_eq!(control_status(&report, "IAM-2"), "failed");
}
