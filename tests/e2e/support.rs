//! Running the binary and reading what it wrote.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

pub const BIN: &str = env!("CARGO_BIN_EXE_aicomply");

pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures")
        .join(name)
}

/// Components compiled by one test are reused by the others.
pub fn cache_dir() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("component-cache")
}

/// Run `aicomply` with `args`; kill it and fail if it runs longer than
/// `limit` (so a broken deadline fails the test instead of hanging it).
pub fn aicomply_within(args: &[&str], limit: Duration) -> Output {
    aicomply_with(args, limit, |_| {})
}

/// [`aicomply_within`], with the command adjusted first (e.g. its user).
pub fn aicomply_with(args: &[&str], limit: Duration, adjust: impl FnOnce(&mut Command)) -> Output {
    let mut command = Command::new(BIN);
    command
        .args(args)
        .env("AICOMPLY_CACHE_DIR", cache_dir())
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    adjust(&mut command);
    let mut child = command.spawn().expect("start aicomply");
    // Drain both pipes while waiting, or a large report on stdout would
    // fill the pipe and block the child.
    let drain = |mut pipe: Box<dyn std::io::Read + Send>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = pipe.read_to_end(&mut buf);
            buf
        })
    };
    let out = drain(Box::new(child.stdout.take().expect("stdout")));
    let err = drain(Box::new(child.stderr.take().expect("stderr")));
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            let err = String::from_utf8_lossy(&err.join().unwrap_or_default()).into_owned();
            panic!("aicomply {args:?} ran longer than {limit:?}\nstderr:\n{err}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Output {
        status,
        stdout: out.join().unwrap_or_default(),
        stderr: err.join().unwrap_or_default(),
    }
}

pub fn aicomply(args: &[&str]) -> Output {
    aicomply_within(args, Duration::from_secs(300))
}

/// `aicomply run --target TARGET --out OUT ARGS…`.
pub fn aicomply_run(target: impl AsRef<Path>, out: impl AsRef<Path>, args: &[&str]) -> Output {
    let (target, out) = (target.as_ref(), out.as_ref());
    let mut all = vec![
        "run",
        "--target",
        target.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ];
    all.extend_from_slice(args);
    aicomply(&all)
}

/// `aicomply run --target TARGET --out <temporary> --format json ARGS…`:
/// the process output and the JSON report it wrote.
pub fn run_json(target: &Path, args: &[&str]) -> (Output, Value) {
    let out = tempfile::tempdir().unwrap();
    let run = aicomply_run(target, out.path(), &[&["--format", "json"], args].concat());
    let report = read_json(&out.path().join("report.json"));
    (run, report)
}

pub fn code(out: &Output) -> i32 {
    out.status.code().expect("exited normally")
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

pub fn read_json(path: &Path) -> Value {
    let text =
        std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    serde_json::from_str(&text).expect("report.json is JSON")
}

/// (check id, path, line) of every finding, sorted.
pub fn finding_keys(report: &Value) -> Vec<(String, String, u64)> {
    let mut keys: Vec<_> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
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

pub fn control_status(report: &Value, id: &str) -> String {
    status_of(&report["controls"], id)
}

/// The `status` of the item with `id` in a list of controls or checks.
pub fn status_of(items: &Value, id: &str) -> String {
    items
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("{id} in {items:#}"))["status"]
        .as_str()
        .unwrap()
        .to_string()
}

pub fn plugin<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["plugins"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == id)
        .unwrap_or_else(|| panic!("plugin {id} in report: {report:#}"))
}

/// A plugin directory holding copies of the given components.
pub fn plugin_dir(dir: &Path, components: &[&str]) -> PathBuf {
    let plugins = dir.join("plugins");
    std::fs::create_dir_all(&plugins).unwrap();
    for c in components {
        let src = Path::new(c);
        std::fs::copy(src, plugins.join(src.file_name().unwrap())).unwrap();
    }
    plugins
}

/// Copy a directory tree (files and folders only).
pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let dest = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &dest);
        } else {
            std::fs::copy(entry.path(), dest).unwrap();
        }
    }
}

/// The findings the host plugin reports on the example target's host snapshot.
pub fn example_host_findings() -> Vec<(String, String, u64)> {
    let mut v: Vec<(String, String, u64)> = [
        ("HOST-APT-UNSIGNED", "etc/apt/sources.list.d/vendor.list", 1),
        ("HOST-AUDIT-RULES", "etc/audit/rules.d/audit.rules", 0),
        ("HOST-AUDIT-RULES", "etc/audit/rules.d/audit.rules", 0),
        ("HOST-AUTO-UPDATES", "etc/apt/apt.conf.d/20auto-upgrades", 2),
        ("HOST-BACKUP-JOB", "etc", 0),
        ("HOST-DEV-TOOLS", "var/lib/dpkg/status", 29),
        ("HOST-ENDPOINT-AGENT", "var/lib/dpkg/status", 0),
        ("HOST-FIREWALL-DEFAULT-ACCEPT", "etc/default/ufw", 2),
        ("HOST-FIREWALL-OPEN-PORT", "etc/ufw/user.rules", 5),
        ("HOST-FIREWALL-OPEN-PORT", "etc/ufw/user.rules", 6),
        ("HOST-OS-END-OF-SUPPORT", "etc/os-release", 6),
        ("HOST-PERSISTENT-LOGS", "etc/systemd/journald.conf", 2),
        (
            "HOST-SSH-EMPTY-PASSWORDS",
            "etc/ssh/sshd_config.d/50-cloud.conf",
            2,
        ),
        ("HOST-SSH-HARDENING", "etc/ssh/sshd_config", 0),
        ("HOST-SSH-HARDENING", "etc/ssh/sshd_config", 0),
        ("HOST-SSH-HARDENING", "etc/ssh/sshd_config", 10),
        ("HOST-SSH-PASSWORD-AUTH", "etc/ssh/sshd_config", 20),
        (
            "HOST-SSH-PASSWORD-AUTH",
            "etc/ssh/sshd_config.d/50-cloud.conf",
            1,
        ),
        ("HOST-SSH-ROOT-LOGIN", "etc/ssh/sshd_config", 12),
        ("HOST-SYSCTL-HARDENING", "etc/sysctl.d/99-tuning.conf", 2),
        ("HOST-UNNEEDED-SERVICE", "var/lib/dpkg/status", 22),
    ]
    .iter()
    .map(|(c, p, l)| (c.to_string(), p.to_string(), *l))
    .collect();
    v.sort();
    v
}

/// The findings the code plugin reports on the example target.
pub fn example_code_findings() -> Vec<(String, String, u64)> {
    let mut v: Vec<(String, String, u64)> = [
        ("CODE-CI-SAST-MISSING", ".github/workflows", 0),
        ("CODE-CI-SCA-MISSING", ".github/workflows", 0),
        ("CODE-CI-SECRET-SCAN-MISSING", ".github/workflows", 0),
        ("CODE-DEPS-ADVISORY-DATABASE", "requirements.txt", 0),
        ("CODE-DEPS-KNOWN-VULNERABLE", "requirements.txt", 3),
        ("CODE-DEPS-NO-HASHES", "requirements.txt", 0),
        (
            "CODE-GHA-ACTION-UNPINNED",
            ".github/workflows/release.yml",
            12,
        ),
        (
            "CODE-GHA-ACTION-UNPINNED",
            ".github/workflows/release.yml",
            13,
        ),
        (
            "CODE-GHA-ACTION-UNPINNED",
            ".github/workflows/release.yml",
            19,
        ),
        (
            "CODE-MODEL-PICKLE-FORMAT",
            "models/intent-classifier.pkl",
            0,
        ),
        ("CODE-MODEL-PICKLE-FORMAT", "models/reranker.bin", 0),
        ("CODE-NB-SECRET-SOURCE", "notebooks/reranker-eval.ipynb", 28),
        ("CODE-PICKLE-DANGEROUS-CALL", "models/reranker.bin", 0),
        ("CODE-PY-TORCH-LOAD-UNSAFE", "app/server.py", 8),
        ("CODE-SECRET-HUGGINGFACE-TOKEN", "Dockerfile", 13),
        ("CODE-SECRET-WANDB-KEY", "Dockerfile", 14),
    ]
    .iter()
    .map(|(c, p, l)| (c.to_string(), p.to_string(), *l))
    .collect();
    v.sort();
    v
}

/// The findings the container plugin reports on the example target.
pub fn example_findings() -> Vec<(String, String, u64)> {
    let mut v: Vec<(String, String, u64)> = [
        ("CONT-CI-IMAGE-SCAN", ".github/workflows/release.yml", 19),
        ("CONT-COMPOSE-IMAGE-UNPINNED", "docker-compose.yml", 12),
        ("CONT-COMPOSE-PORT-ALL-INTERFACES", "docker-compose.yml", 14),
        ("CONT-DAEMON-HARDENING", "etc/docker/daemon.json", 1),
        ("CONT-DAEMON-HARDENING", "etc/docker/daemon.json", 1),
        ("CONT-DAEMON-HARDENING", "etc/docker/daemon.json", 1),
        ("CONT-DAEMON-ICC", "etc/docker/daemon.json", 1),
        ("CONT-DAEMON-INSECURE-REGISTRY", "etc/docker/daemon.json", 3),
        ("CONT-DAEMON-TCP-NO-TLS", "etc/docker/daemon.json", 2),
        ("CONT-DAEMON-USERNS-REMAP", "etc/docker/daemon.json", 1),
        ("CONT-DOCKERFILE-ADD-URL", "Dockerfile", 19),
        ("CONT-DOCKERFILE-BASE-UNPINNED", "Dockerfile", 4),
        ("CONT-DOCKERFILE-BASE-UNPINNED", "Dockerfile", 10),
        ("CONT-DOCKERFILE-NO-HEALTHCHECK", "Dockerfile", 10),
        ("CONT-DOCKERFILE-NO-HEALTHCHECK", "worker.Dockerfile", 1),
        ("CONT-DOCKERFILE-ROOT-USER", "Dockerfile", 10),
        ("CONT-DOCKERFILE-SECRET-ENV", "Dockerfile", 11),
        ("CONT-DOCKERFILE-SECRET-ENV", "Dockerfile", 14),
        ("CONT-K8S-CAPABILITIES", "deploy/k8s/inference.yaml", 17),
        ("CONT-K8S-HOST-NAMESPACE", "deploy/k8s/inference.yaml", 15),
        ("CONT-K8S-HOST-USERS", "deploy/k8s/embedder.yaml", 11),
        ("CONT-K8S-HOST-USERS", "deploy/k8s/inference.yaml", 15),
        ("CONT-K8S-IMAGE-UNPINNED", "deploy/k8s/inference.yaml", 18),
        (
            "CONT-K8S-PRIVILEGE-ESCALATION",
            "deploy/k8s/inference.yaml",
            17,
        ),
        ("CONT-K8S-PRIVILEGED", "deploy/k8s/inference.yaml", 22),
        ("CONT-K8S-READONLY-ROOTFS", "deploy/k8s/inference.yaml", 17),
        ("CONT-K8S-RESOURCE-LIMITS", "deploy/k8s/embedder.yaml", 18),
        ("CONT-K8S-RESOURCE-LIMITS", "deploy/k8s/inference.yaml", 24),
        ("CONT-K8S-RUN-AS-ROOT", "deploy/k8s/inference.yaml", 17),
        ("CONT-K8S-RUNTIME-SOCKET", "deploy/k8s/inference.yaml", 32),
        ("CONT-K8S-SECCOMP", "deploy/k8s/inference.yaml", 17),
        ("CONT-RUNTIME-OUTDATED", "var/lib/dpkg/status", 57),
    ]
    .iter()
    .map(|(c, p, l)| (c.to_string(), p.to_string(), *l))
    .collect();
    v.sort();
    v
}
