//! The hostile-target suite: trees an attacker could commit to a scanned
//! repository or leave in an image root, built here at test time (FIFOs,
//! sparse files, names that are not UTF-8, links out, planted report
//! links, parser bombs, self-suppressions), scanned by the real binary
//! with the real plugins. Each test asserts the run ends within its bound,
//! the reports are complete, nothing outside the target is read or
//! written, and the verdicts say what happened.

use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::*;

const SECRET: &str = "TOP-SECRET-OUTSIDE-THE-TARGET";

/// A private tree: `dir/target` (a copy of the example target unless
/// empty), `dir/outside-secret.txt` beside it, `dir/out` for reports.
struct Tree {
    dir: tempfile::TempDir,
}

impl Tree {
    fn example() -> Self {
        let t = Self::empty();
        copy_tree(&fixture("example-ai-service"), &t.target());
        t
    }

    fn empty() -> Self {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("target")).unwrap();
        std::fs::write(dir.path().join("outside-secret.txt"), SECRET).unwrap();
        Self { dir }
    }

    fn target(&self) -> PathBuf {
        self.dir.path().join("target")
    }

    fn out(&self) -> PathBuf {
        self.dir.path().join("out")
    }

    fn path(&self, rel: &str) -> PathBuf {
        let p = self.target().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        p
    }

    fn write(&self, rel: &str, bytes: impl AsRef<[u8]>) {
        std::fs::write(self.path(rel), bytes).unwrap();
    }

    /// Replace `rel` with a FIFO no one writes to.
    fn fifo(&self, rel: &str) {
        let p = self.path(rel);
        let _ = std::fs::remove_file(&p);
        mkfifo(&p);
    }

    /// A sparse file of `size` bytes starting with `head`.
    fn sparse(&self, rel: &str, head: &[u8], size: u64) {
        self.write(rel, head);
        std::fs::OpenOptions::new()
            .write(true)
            .open(self.path(rel))
            .unwrap()
            .set_len(size)
            .unwrap();
    }

    fn link(&self, rel: &str, to: impl AsRef<Path>) {
        let p = self.path(rel);
        let _ = std::fs::remove_file(&p);
        symlink(to, p).unwrap();
    }

    /// `aicomply run` on the target, with `args`, within `limit`.
    fn run(&self, args: &[&str], limit: Duration) -> Run {
        let (target, out) = (self.target(), self.out());
        let mut all = vec![
            "run",
            "--target",
            target.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--format",
            "html,md,json,sarif,junit",
        ];
        all.extend_from_slice(args);
        let start = Instant::now();
        let output = aicomply_within(&all, limit);
        let elapsed = start.elapsed();
        let report = read_json(&out.join("report.json"));
        Run {
            output,
            report,
            elapsed,
            out,
        }
    }
}

fn mkfifo(p: &Path) {
    let c = std::ffi::CString::new(p.as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(
        unsafe { libc::mkfifo(c.as_ptr(), 0o644) },
        0,
        "mkfifo {}",
        p.display()
    );
}

struct Run {
    output: Output,
    report: Value,
    elapsed: Duration,
    out: PathBuf,
}

impl Run {
    fn code(&self) -> i32 {
        code(&self.output)
    }

    fn stderr(&self) -> String {
        stderr(&self.output)
    }

    fn plugin(&self, id: &str) -> &Value {
        plugin(&self.report, id)
    }

    /// (reason, detail) of each path `plugin` did not examine, by path.
    fn not_examined(&self, plugin: &str) -> Vec<(String, String, String)> {
        self.plugin(plugin)["not_examined"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                (
                    s["location"]["path"].as_str().unwrap().to_string(),
                    s["reason"].as_str().unwrap().to_string(),
                    s["detail"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    }

    fn skipped_as(&self, plugin: &str, path: &str) -> Option<String> {
        self.not_examined(plugin)
            .into_iter()
            .find(|(p, _, _)| p == path)
            .map(|(_, r, _)| r)
    }

    fn check_status(&self, plugin: &str, check: &str) -> String {
        status_of(&self.plugin(plugin)["checks"], check)
    }

    fn findings_of(&self, check: &str) -> Vec<String> {
        let mut v: Vec<String> = self.report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["check_id"] == check)
            .map(|f| f["location"]["path"].as_str().unwrap_or("").to_string())
            .collect();
        v.sort();
        v
    }

    /// Every report format was written, and none holds `text`.
    /// A plugin's diagnostics, as `path: message`.
    fn diagnostics(&self, plugin: &str) -> Vec<String> {
        self.plugin(plugin)["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| {
                format!(
                    "{}: {}",
                    d["location"]["path"].as_str().unwrap(),
                    d["message"].as_str().unwrap()
                )
            })
            .collect()
    }

    fn reports_complete_without(&self, text: &str) {
        for name in [
            "report.html",
            "report.md",
            "report.json",
            "report.sarif",
            "report.junit.xml",
        ] {
            let body = std::fs::read_to_string(self.out.join(name))
                .unwrap_or_else(|e| panic!("{name} written: {e}\n{}", self.stderr()));
            assert!(!body.contains(text), "{name} contains {text:?}");
        }
    }
}

/// The most the debug build takes for a run whose plugins are compiled
/// (or compile once into the shared cache); a hang never ends.
const BOUND: Duration = Duration::from_secs(240);

#[test]
fn fifos_at_every_path_a_plugin_reads_never_hang_the_run() {
    let t = Tree::example();
    // Every file of the example target becomes a FIFO, but for one of each
    // kind, kept to show the rest of the tree is still judged.
    let kept = [
        "worker.Dockerfile",
        "deploy/k8s/embedder.yaml",
        "models/intent-classifier.pkl",
    ];
    let mut fifos = Vec::new();
    let mut stack = vec![t.target()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
                continue;
            }
            let rel = p
                .strip_prefix(t.target())
                .unwrap()
                .to_str()
                .unwrap()
                .to_string();
            if !kept.contains(&rel.as_str()) {
                fifos.push(rel);
            }
        }
    }
    fifos.sort();
    assert!(fifos.len() > 25, "{fifos:?}");
    for f in &fifos {
        t.fifo(f);
    }
    // Where the host plugin looks for what is absent here.
    for f in [
        "usr/lib/os-release",
        "etc/nftables.conf",
        "etc/apt/apt.conf.d/50unattended-upgrades",
    ] {
        t.fifo(f);
    }
    let fifos: Vec<&str> = fifos.iter().map(String::as_str).collect();
    // An RPM database and its write-ahead log as FIFOs, beside dpkg's.
    t.fifo("var/lib/rpm/rpmdb.sqlite");
    let r = t.run(&[], BOUND);
    assert_eq!(
        r.code(),
        3,
        "inputs not examined: incomplete\n{}",
        r.stderr()
    );
    for f in fifos {
        assert_eq!(
            r.skipped_as("code", f).as_deref(),
            Some("special_file"),
            "{f}"
        );
    }
    for f in [
        "Dockerfile",
        "docker-compose.yml",
        "deploy/k8s/inference.yaml",
    ] {
        assert_eq!(
            r.skipped_as("container", f).as_deref(),
            Some("special_file"),
            "{f}"
        );
    }
    for f in [
        "etc/os-release",
        "etc/ssh/sshd_config",
        "var/lib/dpkg/status",
    ] {
        assert_eq!(
            r.skipped_as("host", f).as_deref(),
            Some("special_file"),
            "{f}: {:?}",
            r.not_examined("host")
        );
    }
    // What the FIFOs held is incomplete, never passed; the rest still
    // reports (worker.Dockerfile, the other manifest, the other model).
    assert_eq!(control_status(&r.report, "HOST-1"), "incomplete");
    assert_eq!(r.check_status("host", "HOST-SSH-ROOT-LOGIN"), "incomplete");
    assert_eq!(
        r.check_status("code", "CODE-PICKLE-DANGEROUS-CALL"),
        "incomplete"
    );
    assert_eq!(
        r.findings_of("CONT-DOCKERFILE-NO-HEALTHCHECK"),
        vec!["worker.Dockerfile"]
    );
    assert_eq!(
        r.findings_of("CONT-K8S-HOST-USERS"),
        vec!["deploy/k8s/embedder.yaml"]
    );
    for p in ["code", "container", "host"] {
        assert_eq!(r.plugin(p)["status"], "ok", "{p}");
    }
    assert!(r.stderr().contains("Not examined:"), "{}", r.stderr());
    r.reports_complete_without(SECRET);
}

#[test]
fn a_plugin_blocked_in_a_host_call_is_abandoned_with_its_results() {
    let t = Tree::example();
    t.fifo("pipe");
    let dir = tempfile::tempdir().unwrap();
    let plugins = plugin_dir(dir.path(), &[aicomply_test_plugins::BLOCKS_ON_FIFO]);
    let r = t.run(
        &[
            "--plugins",
            plugins.to_str().unwrap(),
            "--plugin-timeout",
            "3",
            "--fail-on",
            "none",
        ],
        BOUND,
    );
    assert_eq!(r.code(), 3, "{}", r.stderr());
    let p = r.plugin("blocks-on-fifo");
    assert_eq!(p["status"], "error");
    let error = p["error"].as_str().unwrap();
    assert!(
        error.contains("still in a host call") && error.contains("abandoned"),
        "{error}"
    );
    // The finding it handed over before blocking is kept, and fails its check.
    assert_eq!(r.findings_of("FIFO-1"), vec!["Dockerfile"]);
    assert_eq!(r.check_status("blocks-on-fifo", "FIFO-1"), "failed");
    assert_eq!(r.plugin("container")["status"], "ok");
    r.reports_complete_without(SECRET);
}

#[test]
fn a_plugin_that_fails_halfway_keeps_what_it_handed_over() {
    let t = Tree::example();
    let dir = tempfile::tempdir().unwrap();
    let plugins = plugin_dir(dir.path(), &[aicomply_test_plugins::EMITS_THEN_TRAPS]);
    let r = t.run(
        // Alone, so that CODE-2's status is this plugin's alone (the code
        // plugin fails it on this target).
        &[
            "--plugins",
            plugins.to_str().unwrap(),
            "--no-embedded",
            "--fail-on",
            "none",
        ],
        BOUND,
    );
    assert_eq!(r.code(), 3);
    let p = r.plugin("emits-then-traps");
    assert_eq!(p["status"], "error");
    assert!(p["error"].as_str().unwrap().contains("panic"), "{p:#}");
    assert_eq!(
        r.findings_of("HALF-1"),
        vec!["data/file-1.txt", "data/file-2.txt", "data/file-3.txt"]
    );
    assert_eq!(r.check_status("emits-then-traps", "HALF-1"), "failed");
    assert_eq!(r.check_status("emits-then-traps", "HALF-2"), "error");
    assert_eq!(control_status(&r.report, "CODE-2"), "error");
}

#[test]
fn sparse_multi_gigabyte_files_cost_nothing_but_a_note() {
    let t = Tree::example();
    let huge = 8u64 << 30;
    t.sparse("Dockerfile.big", b"FROM python:3.12\n", huge);
    t.sparse("models/huge.pt", b"\x80\x02", huge);
    t.sparse("models/huge.zip", b"PK\x03\x04", huge);
    t.sparse("deploy/huge.yaml", b"apiVersion: v1\n", huge);
    let r = t.run(&["--fail-on", "none"], BOUND);
    assert_eq!(r.plugin("container")["status"], "ok", "{}", r.stderr());
    assert_eq!(r.plugin("code")["status"], "ok", "{}", r.stderr());
    assert_eq!(
        r.skipped_as("container", "Dockerfile.big").as_deref(),
        Some("too_large")
    );
    assert_eq!(
        r.skipped_as("container", "deploy/huge.yaml").as_deref(),
        Some("too_large")
    );
    assert_eq!(
        r.check_status("container", "CONT-DOCKERFILE-ROOT-USER"),
        "failed"
    );
    // The malicious model beside them is still found.
    assert_eq!(
        r.findings_of("CODE-PICKLE-DANGEROUS-CALL"),
        vec!["models/reranker.bin"]
    );
    assert!(r.elapsed < Duration::from_secs(200), "{:?}", r.elapsed);
    r.reports_complete_without(SECRET);
}

#[test]
fn a_name_that_is_not_utf8_hides_nothing_listed_after_it() {
    use std::os::unix::ffi::OsStrExt;
    let t = Tree::empty();
    let evil = std::fs::read(fixture("example-ai-service/models/reranker.bin")).unwrap();
    for i in 0..20 {
        t.write(&format!("models/m{i:02}.bin"), &evil);
    }
    let bad = t
        .target()
        .join("models")
        .join(std::ffi::OsStr::from_bytes(b"w\xffx.bin"));
    std::fs::write(bad, &evil).unwrap();
    let r = t.run(&["--fail-on", "none"], BOUND);
    let found = r.findings_of("CODE-PICKLE-DANGEROUS-CALL");
    assert_eq!(found.len(), 20, "every file around the bad name: {found:?}");
    let bad: Vec<_> = r
        .not_examined("code")
        .into_iter()
        .filter(|(_, reason, _)| reason == "bad_name")
        .collect();
    assert_eq!(bad.len(), 1, "{bad:?}");
    assert!(bad[0].0.starts_with("models/"), "{bad:?}");
    // The one it could not name leaves the model checks incomplete.
    assert_eq!(control_status(&r.report, "CODE-4"), "failed");
    assert!(
        r.plugin("code")["checks"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["incomplete"]
                .as_str()
                .is_some_and(|i| i.contains("not valid UTF-8")))
    );
}

#[test]
fn links_out_are_listed_and_links_into_excluded_folders_are_followed() {
    let t = Tree::empty();
    let evil = std::fs::read(fixture("example-ai-service/models/reranker.bin")).unwrap();
    t.write(".git/objects/aa/evil.bin", &evil);
    t.write("node_modules/pkg/weights.bin", &evil);
    t.link("model.bin", ".git/objects/aa/evil.bin");
    t.link("leak.txt", "../outside-secret.txt");
    t.link("abs.txt", t.dir.path().join("outside-secret.txt"));
    t.link("up", "..");
    t.link("loop-a", "loop-b");
    t.link("loop-b", "loop-a");
    t.link("Dockerfile", "../outside-secret.txt");
    let r = t.run(&["--fail-on", "none"], BOUND);
    assert_eq!(
        r.findings_of("CODE-PICKLE-DANGEROUS-CALL"),
        vec!["model.bin", "node_modules/pkg/weights.bin"],
        "a link into .git is followed; node_modules is no longer skipped"
    );
    assert_eq!(r.skipped_as("code", ".git").as_deref(), Some("excluded"));
    for l in [
        "leak.txt",
        "abs.txt",
        "up",
        "loop-a",
        "loop-b",
        "Dockerfile",
    ] {
        assert_eq!(r.skipped_as("code", l).as_deref(), Some("symlink"), "{l}");
    }
    // A Dockerfile link out of the target: its checks are incomplete.
    assert_eq!(
        r.check_status("container", "CONT-DOCKERFILE-ROOT-USER"),
        "incomplete"
    );
    r.reports_complete_without(SECRET);
}

#[test]
fn excludes_are_the_operators_and_are_listed() {
    let t = Tree::example();
    let evil = std::fs::read(fixture("example-ai-service/models/reranker.bin")).unwrap();
    t.write("vendor/lib/weights.bin", &evil);
    t.write(".git/config", "[core]\n");
    let r = t.run(
        &[
            "--exclude",
            "vendor/**",
            "--exclude",
            "models",
            "--fail-on",
            "none",
        ],
        BOUND,
    );
    assert!(r.findings_of("CODE-PICKLE-DANGEROUS-CALL").is_empty());
    for p in ["vendor/lib", "models", ".git"] {
        assert_eq!(
            r.skipped_as("code", p).as_deref(),
            Some("excluded"),
            "{p}: {:?}",
            r.not_examined("code")
        );
    }
    // An exclusion is a decision, not a gap: nothing is incomplete for it.
    assert_eq!(r.report["summary"]["controls"]["incomplete"], 0);
    let bad = aicomply_run(t.target(), t.out(), &["--exclude", "[unclosed"]);
    assert_eq!(code(&bad), 2);
    assert!(
        stderr(&bad).contains("--exclude \"[unclosed\" is not a valid glob"),
        "{}",
        stderr(&bad)
    );
}

#[test]
fn a_plugin_cannot_make_the_host_read_outside_its_grants() {
    let t = Tree::empty();
    t.fifo("pipe");
    t.sparse(
        "huge.txt",
        b"line one\n# aicomply:ignore POINT-1 it is fine\n",
        4u64 << 30,
    );
    std::fs::write(
        t.dir.path().join("outside-secret.txt"),
        format!("{SECRET}\n# aicomply:ignore POINT-1 {SECRET}\n"),
    )
    .unwrap();
    t.link("link-out", "../outside-secret.txt");
    t.link("dir-out", "..");
    t.write(
        "suppressed.txt",
        "line one\n# aicomply:ignore POINT-1 reviewed: test data\n",
    );
    let dir = tempfile::tempdir().unwrap();
    let plugins = plugin_dir(dir.path(), &[aicomply_test_plugins::POINTS_ANYWHERE]);
    let r = t.run(
        &[
            "--plugins",
            plugins.to_str().unwrap(),
            "--no-embedded",
            "--fail-on",
            "none",
        ],
        BOUND,
    );
    assert_eq!(
        r.plugin("points-anywhere")["status"],
        "ok",
        "{}",
        r.stderr()
    );
    let suppressions = r.report["suppressions"].as_array().unwrap();
    assert_eq!(
        suppressions.len(),
        1,
        "only the real one: {suppressions:#?}"
    );
    assert_eq!(suppressions[0]["path"], "suppressed.txt");
    let diagnostics = r.diagnostics("points-anywhere");
    let said = |path: &str, what: &str| {
        assert!(
            diagnostics
                .iter()
                .any(|d| d.starts_with(&format!("{path}: ")) && d.contains(what)),
            "{path} ({what}): {diagnostics:#?}"
        )
    };
    said("pipe", "a FIFO");
    said("huge.txt", "limit");
    said("../outside-secret.txt", "outside");
    said("/etc/passwd", "not a relative path inside the root");
    said("link-out", "link-out");
    said("dir-out/outside-secret.txt", "dir-out");
    said(".", "was not granted");
    r.reports_complete_without(SECRET);
}

#[test]
fn the_host_hashes_only_regular_files_inside_the_plugins_grants() {
    // host.hash-file (contract 0.1.3) reads a target file in the host, at
    // native speed: the same rules as every host read, and a real digest
    // for a real file.
    let t = Tree::empty();
    t.write("model.bin", b"abc");
    t.fifo("pipe");
    std::fs::write(t.dir.path().join("outside-secret.txt"), SECRET).unwrap();
    t.link("link-out", "../outside-secret.txt");
    t.link("dir-out", "..");
    t.link("inside", "model.bin");
    let dir = tempfile::tempdir().unwrap();
    let plugins = plugin_dir(dir.path(), &[aicomply_test_plugins::HASHER]);
    let policy = dir.path().join("aicomply.toml");
    let paths = "model.bin,inside,pipe,../outside-secret.txt,/etc/passwd,link-out,dir-out/outside-secret.txt,missing.bin";
    std::fs::write(
        &policy,
        format!("version = 1\n[plugins.hasher]\nconfig = {{ path = \"{paths}\" }}\n"),
    )
    .unwrap();
    let r = t.run(
        &[
            "--plugins",
            plugins.to_str().unwrap(),
            "--no-embedded",
            "--fail-on",
            "none",
            "--policy",
            policy.to_str().unwrap(),
        ],
        BOUND,
    );
    assert_eq!(r.plugin("hasher")["status"], "ok", "{}", r.stderr());
    // sha256("abc"), through the file and through a link inside the target.
    let abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
    let mut digests: Vec<(String, String)> = r.report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let message = f["message"].as_str().unwrap();
            (
                f["location"]["path"].as_str().unwrap().to_string(),
                message.split(' ').next().unwrap().to_string(),
            )
        })
        .collect();
    digests.sort();
    assert_eq!(
        digests,
        [
            ("inside".to_string(), abc.to_string()),
            ("model.bin".to_string(), abc.to_string())
        ]
    );
    let diagnostics = r.diagnostics("hasher");
    let said = |path: &str, what: &str| {
        assert!(
            diagnostics
                .iter()
                .any(|d| d.starts_with(&format!("{path}: ")) && d.contains(what)),
            "{path} ({what}): {diagnostics:#?}"
        )
    };
    said("pipe", "a FIFO");
    said("../outside-secret.txt", "outside");
    said("/etc/passwd", "not a relative path inside the root");
    said("link-out", "link-out");
    said("dir-out/outside-secret.txt", "dir-out");
    said("missing.bin", "missing.bin");
    assert_eq!(diagnostics.len(), 6, "{diagnostics:#?}");
    r.reports_complete_without(SECRET);

    // A root the plugin was not granted is refused by name.
    std::fs::write(
        &policy,
        "version = 1\n[plugins.hasher]\nconfig = { path = \"model.bin\", root = \"host\" }\n",
    )
    .unwrap();
    let r = t.run(
        &[
            "--plugins",
            plugins.to_str().unwrap(),
            "--no-embedded",
            "--fail-on",
            "none",
            "--policy",
            policy.to_str().unwrap(),
        ],
        BOUND,
    );
    let d = &r.plugin("hasher")["diagnostics"][0]["message"];
    assert!(
        d.as_str()
            .unwrap()
            .contains("fs-read on root \"host\" was not granted"),
        "{d}"
    );
}

#[test]
fn reports_are_never_written_through_planted_links() {
    let t = Tree::example();
    let victim = t.dir.path().join("victim.txt");
    std::fs::write(&victim, "keep me").unwrap();
    std::fs::create_dir_all(t.out()).unwrap();
    symlink(&victim, t.out().join("report.md")).unwrap();
    let (target, out) = (t.target(), t.out());
    let run = aicomply_run(&target, &out, &["--format", "md,json", "--fail-on", "none"]);
    assert_eq!(code(&run), 2, "{}", stderr(&run));
    assert!(
        stderr(&run).contains("is a symbolic link; refusing to write a report through it"),
        "{}",
        stderr(&run)
    );
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep me");
    assert!(
        out.join("report.json").is_file(),
        "the other report is written"
    );

    // A symlinked output directory, and a FORMAT:FILE that is a link.
    let linked = t.dir.path().join("linked-out");
    symlink(t.dir.path(), &linked).unwrap();
    let run = aicomply_run(&target, &linked, &["--format", "json", "--fail-on", "none"]);
    assert_eq!(code(&run), 2);
    assert!(stderr(&run).contains("symbolic link"), "{}", stderr(&run));
    let file = t.dir.path().join("comment.md");
    symlink(&victim, &file).unwrap();
    let spec = format!("md:{}", file.display());
    let run = aicomply_run(&target, &out, &["--format", &spec, "--fail-on", "none"]);
    assert_eq!(code(&run), 2);
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep me");
    assert!(
        !std::fs::read_dir(&out).unwrap().any(|e| e
            .unwrap()
            .file_name()
            .to_string_lossy()
            .ends_with(".tmp"))
    );
}

#[test]
fn parser_bombs_cost_only_their_own_file() {
    let t = Tree::example();
    // A pickle nested a million lists deep, beside the malicious one.
    let mut deep = b"\x80\x02".to_vec();
    deep.extend(std::iter::repeat_n(b']', 1_000_000));
    deep.extend(std::iter::repeat_n(b'a', 999_999));
    deep.push(b'.');
    t.write("models/deep.pkl", &deep);
    // Nine levels of nine aliases: 387 million nodes if expanded.
    let mut bomb = String::from(
        "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
    );
    for (prev, name) in "abcdefgh".chars().zip("bcdefghi".chars()) {
        let refs = vec![format!("*{prev}"); 9].join(",");
        bomb.push_str(&format!("{name}: &{name} [{refs}]\n"));
    }
    t.write("deploy/k8s/bomb.yaml", &bomb);
    t.write(
        "deploy/k8s/deep.yaml",
        format!("{}{}", "[".repeat(100_000), "]".repeat(100_000)),
    );
    let r = t.run(&["--fail-on", "none"], BOUND);
    for p in ["code", "container"] {
        assert_eq!(
            r.plugin(p)["status"],
            "ok",
            "{p}: {:#}",
            r.plugin(p)["error"]
        );
    }
    assert_eq!(
        r.findings_of("CODE-PICKLE-DANGEROUS-CALL"),
        vec!["models/reranker.bin"]
    );
    assert_eq!(
        r.findings_of("CONT-K8S-PRIVILEGED"),
        vec!["deploy/k8s/inference.yaml"]
    );
    for f in ["deploy/k8s/bomb.yaml", "deploy/k8s/deep.yaml"] {
        assert_eq!(
            r.skipped_as("container", f).as_deref(),
            Some("parse_limit"),
            "{f}: {:?}",
            r.not_examined("container")
        );
    }
    assert_eq!(r.check_status("container", "CONT-K8S-PRIVILEGED"), "failed");
    assert_eq!(
        r.check_status("container", "CONT-K8S-RESOURCE-LIMITS"),
        "failed"
    );
}

#[test]
fn more_findings_than_the_cap_are_counted_not_lost() {
    let t = Tree::example();
    let r = t.run(&["--max-findings", "10", "--fail-on", "none"], BOUND);
    let c = r.plugin("container");
    assert_eq!(c["status"], "ok");
    let kept = r.report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["plugin"] == "container")
        .count();
    assert_eq!(kept, 10);
    let dropped: u64 = c["dropped"]["findings"]
        .as_object()
        .unwrap()
        .values()
        .map(|d| d["count"].as_u64().unwrap())
        .sum();
    assert_eq!(kept as u64 + dropped, example_findings().len() as u64);
    // A check whose every finding was past the cap still fails.
    assert!(
        c["checks"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|k| k["status"] == "failed")
            .count()
            >= 15
    );
    assert!(
        r.stderr()
            .contains("more findings were counted past --max-findings"),
        "{}",
        r.stderr()
    );
    let md = std::fs::read_to_string(r.out.join("report.md")).unwrap();
    assert!(md.contains("counted past --max-findings"));
}

#[test]
fn the_operator_decides_whether_a_repository_may_suppress_its_own_findings() {
    let t = Tree::example();
    let compose = "services:\n  gpu:\n    image: vllm/vllm-openai@sha256:0000000000000000000000000000000000000000000000000000000000000000\n    # aicomply:ignore CONT-COMPOSE-PRIVILEGED needs the GPU\n    privileged: true\n";
    t.write("docker-compose.yml", compose);
    let status = |r: &Run| r.check_status("container", "CONT-COMPOSE-PRIVILEGED");
    // By default the comment applies, and the console and SARIF say so.
    let r = t.run(&[], BOUND);
    assert_eq!(status(&r), "waived");
    assert!(
        r.stderr()
            .contains("1 inline suppression(s) applied (1 of high or critical findings)"),
        "{}",
        r.stderr()
    );
    let sarif = read_json(&r.out.join("report.sarif"));
    let result = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["ruleId"] == "CONT-COMPOSE-PRIVILEGED")
        .unwrap();
    assert_eq!(result["suppressions"][0]["kind"], "inSource");
    // Below high: the critical finding stays open, the comment is listed.
    let r = t.run(&["--inline-suppressions", "below-high"], BOUND);
    assert_eq!(status(&r), "failed");
    let s = &r.report["suppressions"][0];
    assert_eq!(s["applied"], false);
    assert!(
        s["note"].as_str().unwrap().contains("only below high"),
        "{s}"
    );
    // Off, from the policy file.
    let policy = t.dir.path().join("aicomply.toml");
    std::fs::write(
        &policy,
        "version = 1\n[scan]\ninline-suppressions = \"off\"\n",
    )
    .unwrap();
    let r = t.run(&["--policy", policy.to_str().unwrap()], BOUND);
    assert_eq!(status(&r), "failed");
    assert!(r.report["suppressions"].as_array().unwrap().is_empty());
    let bad = aicomply_run(t.target(), t.out(), &["--inline-suppressions", "sometimes"]);
    assert_eq!(code(&bad), 2);
}

#[test]
fn runaway_custom_templates_fail_before_the_scan() {
    let t = Tree::example();
    for (name, template, limit) in [
        (
            "loop",
            "{% for i in range(100000) %}{% for j in range(100000) %}{{ i }}{% endfor %}{% endfor %}",
            "ran out of fuel",
        ),
        (
            "grow",
            "{% set ns = namespace(s=\"xxxxxxxxxxxxxxxx\") %}{% for i in range(40) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s | length }}",
            "MiB of memory",
        ),
        ("undefined", "{{ no_such_field.at_all }}", "undefined"),
    ] {
        let dir = t.dir.path().join(format!("templates-{name}"));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("report.md.j2"), template).unwrap();
        let start = Instant::now();
        let run = aicomply_run(
            t.target(),
            t.dir.path().join(format!("out-{name}")),
            &["--templates", dir.to_str().unwrap()],
        );
        assert_eq!(code(&run), 2, "{name}: {}", stderr(&run));
        let err = stderr(&run);
        assert!(
            err.contains("report.md.j2") && err.contains(limit) && err.contains("before the scan"),
            "{name}: {err}"
        );
        assert!(!err.contains("Findings:"), "{name}: no plugin ran");
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "{name}: {:?}",
            start.elapsed()
        );
    }
}

#[test]
fn the_whole_run_is_bounded() {
    let t = Tree::example();
    let dir = tempfile::tempdir().unwrap();
    let plugins = plugin_dir(dir.path(), &[aicomply_test_plugins::SPIN_FOREVER]);
    // Warm the cache first, so the deadline measures running, not compiling.
    let _ = t.run(
        &[
            "--plugins",
            plugins.to_str().unwrap(),
            "--plugin-timeout",
            "1",
            "--fail-on",
            "none",
        ],
        BOUND,
    );
    let r = t.run(
        &[
            "--plugins",
            plugins.to_str().unwrap(),
            "--plugin-timeout",
            "600",
            "--run-timeout",
            "8",
            "--fail-on",
            "none",
        ],
        BOUND,
    );
    assert_eq!(r.code(), 3);
    let error = r.plugin("spin-forever")["error"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(error.contains("run's deadline"), "{error}");
    assert!(r.elapsed < Duration::from_secs(60), "{:?}", r.elapsed);
    assert_eq!(r.plugin("container")["status"], "ok");
}

#[test]
fn plugin_files_that_are_not_regular_or_too_large_are_refused_by_name() {
    let t = Tree::example();
    let dir = tempfile::tempdir().unwrap();
    let plugins = plugin_dir(dir.path(), &[aicomply_test_plugins::SNOOP]);
    mkfifo(&plugins.join("fifo.wasm"));
    symlink("/dev/zero", plugins.join("zero.wasm")).unwrap();
    let big = std::fs::File::create(plugins.join("big.wasm")).unwrap();
    big.set_len(2 << 30).unwrap();
    let r = t.run(
        &["--plugins", plugins.to_str().unwrap(), "--fail-on", "none"],
        BOUND,
    );
    let error = |id: &str| r.plugin(id)["error"].as_str().unwrap_or("").to_string();
    assert!(error("fifo").contains("a FIFO"), "{}", error("fifo"));
    assert!(error("zero").contains("a device"), "{}", error("zero"));
    assert!(
        error("big").contains("over the 268435456-byte limit"),
        "{}",
        error("big")
    );
    assert_eq!(r.plugin("snoop")["status"], "ok");
    assert_eq!(r.plugin("container")["status"], "ok");
}

#[test]
fn names_with_control_characters_are_shown_escaped() {
    let t = Tree::empty();
    t.write("evil\x1b[2J\x07/Dockerfile", "FROM python:3.12\n");
    let r = t.run(&["--fail-on", "none", "--verbose"], BOUND);
    let found = r.findings_of("CONT-DOCKERFILE-ROOT-USER");
    assert_eq!(
        found,
        vec!["evil\x1b[2J\x07/Dockerfile"],
        "JSON keeps the exact name"
    );
    assert!(!r.stderr().contains('\x1b') && !r.stderr().contains('\x07'));
    for name in ["report.md", "report.html"] {
        let body = std::fs::read_to_string(r.out.join(name)).unwrap();
        assert!(!body.contains('\x1b'), "{name}");
        assert!(body.contains("u{1b}"), "{name} shows it escaped");
    }
}

#[test]
fn dockerfile_variants_and_json_manifests_are_read() {
    let t = Tree::empty();
    for name in [
        "Dockerfile-gpu",
        "Containerfile.dev",
        "Containerfile-cpu",
        "serve.containerfile",
    ] {
        t.write(name, "FROM python:3.12\n");
    }
    t.write(
        "deploy/app.json",
        r#"{
  "apiVersion": "apps/v1",
  "kind": "Deployment",
  "metadata": { "name": "web" },
  "spec": { "template": { "spec": { "containers": [
    { "name": "web", "image": "nginx@sha256:0000000000000000000000000000000000000000000000000000000000000000",
      "securityContext": { "privileged": true } }
  ] } } }
}
"#,
    );
    t.write("package.json", r#"{ "name": "web", "kind": "module" }"#);
    let r = t.run(&["--fail-on", "none"], BOUND);
    assert_eq!(
        r.findings_of("CONT-DOCKERFILE-ROOT-USER"),
        vec![
            "Containerfile-cpu",
            "Containerfile.dev",
            "Dockerfile-gpu",
            "serve.containerfile"
        ]
    );
    assert_eq!(
        r.findings_of("CONT-K8S-PRIVILEGED"),
        vec!["deploy/app.json"]
    );
    assert!(
        r.plugin("container")["diagnostics"]
            .as_array()
            .unwrap()
            .is_empty()
    );
}

/// Root reads files of mode 000, so the permission cases run as `nobody`
/// when the suite runs as root.
#[test]
fn unreadable_files_and_folders_are_incomplete_not_passed() {
    let t = Tree::example();
    t.write("locked/Dockerfile", "FROM python:3.12\n");
    std::fs::set_permissions(
        t.target().join("Dockerfile"),
        std::fs::Permissions::from_mode(0o000),
    )
    .unwrap();
    std::fs::set_permissions(
        t.target().join("locked"),
        std::fs::Permissions::from_mode(0o000),
    )
    .unwrap();
    let as_nobody = unsafe { libc::geteuid() } == 0;
    let cache = tempfile::tempdir().unwrap();
    if as_nobody {
        // The tree, the output folder and a cache of its own for nobody.
        for p in [t.dir.path(), cache.path()] {
            std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        std::fs::create_dir_all(t.out()).unwrap();
        for p in [t.out(), cache.path().to_path_buf()] {
            std::os::unix::fs::chown(&p, Some(65534), Some(65534)).unwrap();
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o700)).unwrap();
        }
    }
    let (target, out) = (t.target(), t.out());
    let args = [
        "run",
        "--target",
        target.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--format",
        "json",
        "--cache-dir",
        cache.path().to_str().unwrap(),
    ];
    let output = aicomply_with(&args, BOUND, |cmd| {
        if as_nobody {
            use std::os::unix::process::CommandExt;
            cmd.uid(65534).gid(65534);
        }
    });
    let report = read_json(&out.join("report.json"));
    let r = Run {
        output,
        report,
        elapsed: Duration::ZERO,
        out,
    };
    assert_eq!(r.code(), 3, "{}", r.stderr());
    assert_eq!(
        r.skipped_as("container", "Dockerfile").as_deref(),
        Some("unreadable"),
        "{:?}",
        r.not_examined("container")
    );
    assert_eq!(
        r.skipped_as("container", "locked").as_deref(),
        Some("unreadable")
    );
    assert_eq!(
        r.check_status("container", "CONT-DOCKERFILE-ADD-URL"),
        "incomplete"
    );
    assert_eq!(
        r.skipped_as("code", "locked").as_deref(),
        Some("unreadable")
    );
    assert!(
        r.stderr().contains("Not examined:") && r.stderr().contains("unreadable"),
        "{}",
        r.stderr()
    );
    std::fs::set_permissions(
        t.target().join("locked"),
        std::fs::Permissions::from_mode(0o755),
    )
    .unwrap();
}
