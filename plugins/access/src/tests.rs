//! The plugin's tree scan on the fixture trees (tests/fixtures/access-*),
//! copied to a temporary folder whose modes are set here: git keeps no
//! mode but the executable bit.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use super::*;

/// Modes the fixtures need, by fixture (path, mode); everything else is
/// 0644 (files) and 0755 (folders).
pub const MODES: &[(&str, &[(&str, u32)])] = &[
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

fn copy(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    std::fs::set_permissions(to, std::fs::Permissions::from_mode(0o755)).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dest = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), &dest).unwrap();
            std::fs::set_permissions(&dest, std::fs::Permissions::from_mode(0o644)).unwrap();
        }
    }
}

/// The fixture copied to a temporary folder, with its modes.
pub fn prepared(name: &str) -> PathBuf {
    let src = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures")
        .join(name);
    let dir = std::env::temp_dir().join(format!("aicomply-access-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    copy(&src, &dir);
    let modes = MODES.iter().find(|(n, _)| *n == name).unwrap().1;
    for (path, mode) in modes {
        std::fs::set_permissions(dir.join(path), std::fs::Permissions::from_mode(*mode)).unwrap();
    }
    dir
}

fn native_meta(root: &Path) -> impl Fn(&str) -> Result<FileMetadata, String> + '_ {
    move |p: &str| {
        use std::os::unix::fs::MetadataExt;
        let m = std::fs::symlink_metadata(root.join(p)).map_err(|e| e.to_string())?;
        let ft = m.file_type();
        Ok(FileMetadata {
            kind: if ft.is_symlink() {
                aicomply_sdk::FileKind::Symlink
            } else if ft.is_dir() {
                aicomply_sdk::FileKind::Directory
            } else if ft.is_file() {
                aicomply_sdk::FileKind::File
            } else {
                aicomply_sdk::FileKind::Other
            },
            mode: m.mode(),
            uid: m.uid(),
            gid: m.gid(),
            size: m.size(),
            link_target: None,
        })
    }
}

fn scan_fixture(name: &str) -> Scan {
    let dir = prepared(name);
    let mut scan = Scan::new(checks::catalogue());
    let meta = native_meta(&dir);
    scan_tree(&dir, &WalkOptions::default(), Some(&meta), &mut scan);
    std::fs::remove_dir_all(&dir).unwrap();
    scan
}

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

fn owned(v: &[(&str, &str, u32)]) -> Vec<(String, String, u32)> {
    let mut v: Vec<_> = v
        .iter()
        .map(|(c, p, l)| (c.to_string(), p.to_string(), *l))
        .collect();
    v.sort();
    v
}

pub const INSECURE: &[(&str, &str, u32)] = &[
    (
        "IAM-CLOUD-ACTION-WILDCARD",
        "cloudformation/pipeline.yaml",
        12,
    ),
    ("IAM-CLOUD-ACTION-WILDCARD", "terraform/iam.tf", 24),
    ("IAM-CLOUD-ADMIN-POLICY", "iam/admin-policy.json", 7),
    ("IAM-CLOUD-PRIMITIVE-ROLE", "terraform/iam.tf", 33),
    (
        "IAM-CLOUD-RESOURCE-WILDCARD",
        "cloudformation/pipeline.yaml",
        18,
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
        0,
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
];

pub const TRICKY: &[(&str, &str, u32)] = &[
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
        20,
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
        80,
    ),
    ("IAM-RBAC-ESCALATE", "k8s/base/debug-roles.json", 11),
    ("IAM-RBAC-POD-EXEC", "k8s/base/debug-roles.json", 10),
    ("IAM-RBAC-WILDCARD", "k8s/base/serving.yaml", 70),
];

#[test]
fn insecure_fixture_exact_findings() {
    let scan = scan_fixture("access-insecure");
    assert_eq!(keys(&scan), owned(INSECURE));
    assert!(scan.diagnostics().is_empty(), "{:?}", scan.diagnostics());
    assert!(scan.incomplete_checks().is_empty());
    // Every check has a finding: all were evaluated.
    let out = scan.into_output();
    assert!(out.not_checked.is_empty(), "{:?}", out.not_checked);
}

#[test]
fn hardened_fixture_has_no_findings_and_evaluates_every_check() {
    let scan = scan_fixture("access-hardened");
    assert_eq!(keys(&scan), Vec::new());
    assert!(scan.incomplete_checks().is_empty());
    assert!(scan.diagnostics().is_empty(), "{:?}", scan.diagnostics());
    let out = scan.into_output();
    assert!(out.not_checked.is_empty(), "{:?}", out.not_checked);
    assert_eq!(out.evaluated.len(), checks::catalogue().len());
}

#[test]
fn tricky_fixture_exact_findings_and_unrendered_chart() {
    let scan = scan_fixture("access-tricky");
    assert_eq!(keys(&scan), owned(TRICKY));
    // The Helm chart's RBAC template was not rendered: the Kubernetes
    // checks are incomplete, and an unbound service account is not
    // claimed while its binding may be in the chart.
    for c in checks::K8S_CHECKS {
        assert!(
            scan.incomplete_checks()[*c].contains("charts/operator/templates/rbac.yaml"),
            "{c}"
        );
    }
    assert!(!scan.incomplete_checks().contains_key(checks::OS_UID0));
    let d: Vec<_> = scan
        .diagnostics()
        .iter()
        .map(|d| d.location.path.as_str())
        .collect();
    assert_eq!(d, ["charts/operator/templates/rbac.yaml"]);
}

#[test]
fn without_file_meta_the_mode_checks_are_not_checked() {
    let dir = prepared("access-insecure");
    let mut scan = Scan::new(checks::catalogue());
    scan_tree(&dir, &WalkOptions::default(), None, &mut scan);
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(
        scan.findings()
            .iter()
            .all(|f| !checks::FILE_CHECKS.contains(&f.check_id.as_str()))
    );
    let out = scan.into_output();
    let not: Vec<&str> = out
        .not_checked
        .iter()
        .map(|n| n.check_id.as_str())
        .collect();
    let mut expected = checks::FILE_CHECKS.to_vec();
    expected.sort();
    assert_eq!(not, expected);
    assert!(out.not_checked[0].reason.contains("file-meta"));
}

#[test]
fn nothing_relevant_means_not_checked() {
    let dir = std::env::temp_dir().join(format!("aicomply-access-empty-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("README.md"), "hello").unwrap();
    std::fs::write(dir.join("main.py"), "print(1)").unwrap();
    let mut scan = Scan::new(checks::catalogue());
    let meta = native_meta(&dir);
    scan_tree(&dir, &WalkOptions::default(), Some(&meta), &mut scan);
    std::fs::remove_dir_all(&dir).unwrap();
    let out = scan.into_output();
    assert!(out.findings.is_empty());
    assert!(out.evaluated.is_empty(), "{:?}", out.evaluated);
    assert_eq!(out.not_checked.len(), checks::catalogue().len());
}

/// A policy file too large to read, and an unreadable manifest, leave
/// their checks incomplete; the rest of the tree is judged.
#[test]
fn unreadable_files_make_their_checks_incomplete() {
    let dir = std::env::temp_dir().join(format!("aicomply-access-gaps-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("k8s")).unwrap();
    std::fs::write(
        dir.join("k8s/rbac.yaml"),
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: x}\nrules:\n- {apiGroups: ['*'], resources: [pods], verbs: [get]}\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("k8s/broken.yaml"),
        "apiVersion: v1\nkind: Role\nrules: [\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("policy.tf"),
        "resource \"aws_iam_policy\" \"p\" {\n",
    )
    .unwrap();
    let mut scan = Scan::new(checks::catalogue());
    scan_tree(&dir, &WalkOptions::default(), None, &mut scan);
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(
        keys(&scan),
        owned(&[("IAM-RBAC-WILDCARD", "k8s/rbac.yaml", 5)])
    );
    assert!(scan.incomplete_checks()[checks::RBAC_SECRETS].contains("k8s/broken.yaml"));
    assert!(scan.incomplete_checks()[checks::CLOUD_ADMIN].contains("policy.tf"));
}

/// The README's example target: its RBAC manifests, Terraform and host
/// snapshot.
#[test]
fn example_target_findings() {
    let scan = scan_fixture("example-ai-service");
    assert_eq!(
        keys(&scan),
        owned(&[
            ("IAM-CLOUD-ACTION-WILDCARD", "infra/terraform/iam.tf", 33),
            ("IAM-CLOUD-RESOURCE-WILDCARD", "infra/terraform/iam.tf", 28),
            ("IAM-K8S-DEFAULT-SA-BOUND", "deploy/k8s/rbac.yaml", 23),
            ("IAM-K8S-DEFAULT-SA-BOUND", "deploy/k8s/rbac.yaml", 36),
            (
                "IAM-K8S-DEFAULT-SERVICE-ACCOUNT",
                "deploy/k8s/embedder.yaml",
                11
            ),
            (
                "IAM-K8S-DEFAULT-SERVICE-ACCOUNT",
                "deploy/k8s/inference.yaml",
                15
            ),
            ("IAM-K8S-TOKEN-AUTOMOUNT", "deploy/k8s/embedder.yaml", 11),
            ("IAM-K8S-TOKEN-AUTOMOUNT", "deploy/k8s/inference.yaml", 15),
            ("IAM-OS-DOCKER-GROUP", "etc/group", 4),
            (
                "IAM-OS-SUDO-NOPASSWD-ALL",
                "etc/sudoers.d/90-cloud-init-users",
                4
            ),
            ("IAM-RBAC-CLUSTER-ADMIN-BINDING", "deploy/k8s/rbac.yaml", 33),
            ("IAM-RBAC-SECRETS-READ", "deploy/k8s/rbac.yaml", 10),
        ])
    );
    assert!(scan.diagnostics().is_empty(), "{:?}", scan.diagnostics());
}

/// aicomply's own deployment example (a hardened CronJob on the default
/// service account with no token mounted) passes.
#[test]
fn our_own_deployment_example_has_no_access_findings() {
    let dir = std::env::temp_dir().join(format!("aicomply-access-own-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../host/deploy/kubernetes-cronjob.yaml"),
        dir.join("cronjob.yaml"),
    )
    .unwrap();
    std::fs::set_permissions(
        dir.join("cronjob.yaml"),
        std::fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    let mut scan = Scan::new(checks::catalogue());
    let meta = native_meta(&dir);
    scan_tree(&dir, &WalkOptions::default(), Some(&meta), &mut scan);
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(keys(&scan), Vec::new());
    assert!(scan.is_evaluated(checks::DEFAULT_SA));
}

/// A git checkout's modes are its umask's: the mode checks say so.
#[test]
fn a_checkout_is_not_judged_on_modes() {
    let dir = prepared("access-insecure");
    std::fs::create_dir_all(dir.join(".git")).unwrap();
    let mut scan = Scan::new(checks::catalogue());
    let meta = native_meta(&dir);
    scan_tree(&dir, &WalkOptions::default(), Some(&meta), &mut scan);
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(
        scan.findings()
            .iter()
            .all(|f| !checks::FILE_CHECKS.contains(&f.check_id.as_str()))
    );
    let out = scan.into_output();
    assert_eq!(out.not_checked.len(), 3);
    assert!(out.not_checked[0].reason.contains("checkout (.git)"));
}
