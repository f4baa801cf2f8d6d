//! aicomply's first-party plugin for the container domain.
//!
//! Reads Dockerfiles, Docker daemon configuration (`daemon.json`) and
//! Kubernetes workload manifests in the scan target. Everything here is plain
//! Rust: it compiles natively for tests and to `wasm32-wasip2` as a plugin.

pub mod builds;
pub mod checks;
pub mod ci;
pub mod compose;
pub mod daemon;
pub mod dockerfile;
pub mod kubernetes;

use std::path::Path;

use aicomply_sdk::fs::{self, WalkOptions};
use aicomply_sdk::{Capability, Context, Location, Plugin, PluginInfo, Scan};

/// Configuration files larger than this are reported, not read.
const MAX_CONFIG_BYTES: u64 = 4 << 20;

pub struct ContainerPlugin;

impl Plugin for ContainerPlugin {
    fn info() -> PluginInfo {
        PluginInfo {
            id: "container".into(),
            name: "Containers".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            domain: "container".into(),
            description: "Dockerfiles, Docker daemon settings and Kubernetes workloads: trusted, \
                          pinned images and least-privilege isolation (CONT-1, CONT-2)."
                .into(),
            checks: checks::catalogue(),
            capabilities: vec![Capability::fs_read(
                "target",
                "reads Dockerfiles, daemon.json and Kubernetes manifests",
            )],
        }
    }

    fn run(ctx: &Context, scan: &mut Scan) -> Result<(), String> {
        scan_tree(ctx.target()?, &WalkOptions::for_run(ctx), scan);
        Ok(())
    }
}

aicomply_sdk::export_plugin!(ContainerPlugin);

/// What kind of file the plugin reads, decided by name and place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Dockerfile,
    /// `Dockerfile_<x>`: a Dockerfile when its content says so (not
    /// `dockerfile_lint`, a script).
    MaybeDockerfile,
    DaemonJson,
    DockerdUnit,
    Packages,
    RpmPackages,
    Compose,
    Ci,
    /// A Makefile or script: read for the images it builds.
    BuildScript,
    Yaml,
}

fn classify_path(relative: &str) -> Option<Kind> {
    let name = relative.rsplit('/').next().unwrap_or(relative);
    if ci::is_ci(relative) {
        return Some(Kind::Ci);
    }
    if builds::is_build_script(name) {
        return Some(Kind::BuildScript);
    }
    if relative == "var/lib/dpkg/status" {
        return Some(Kind::Packages);
    }
    if aicomply_sdk::rpmdb::LOCATIONS.contains(&relative) {
        return Some(Kind::RpmPackages);
    }
    if compose::is_compose(name) {
        return Some(Kind::Compose);
    }
    if name == "docker.service"
        || (relative.contains("docker.service.d/") && name.ends_with(".conf"))
    {
        return Some(Kind::DockerdUnit);
    }
    // (JSON of installed JavaScript packages is no manifest of this target.)
    classify(name)
        .filter(|k| *k != Kind::Yaml || aicomply_sdk::kubernetes::may_hold_manifests(relative))
}

fn classify(name: &str) -> Option<Kind> {
    let lower = name.to_ascii_lowercase();
    // `Dockerfile`, `Dockerfile.gpu`, `Dockerfile-gpu`, `gpu.Dockerfile`,
    // and the same with Podman's `Containerfile`; not the ignore file
    // BuildKit reads for one (`Dockerfile.dockerignore`).
    let dockerfile = ["dockerfile", "containerfile"].iter().any(|base| {
        lower == *base
            || ((lower.starts_with(&format!("{base}.")) || lower.starts_with(&format!("{base}-")))
                && !lower
                    .rsplit_once('.')
                    .is_some_and(|(_, ext)| NOT_DOCKERFILE.contains(&ext)))
            || lower.ends_with(&format!(".{base}"))
    });
    let ignore_file = lower.ends_with(".dockerignore") || lower.ends_with(".containerignore");
    let underscored = ["dockerfile_", "containerfile_"]
        .iter()
        .any(|p| lower.starts_with(p))
        && !lower
            .rsplit_once('.')
            .is_some_and(|(_, ext)| NOT_DOCKERFILE.contains(&ext));
    if dockerfile && !ignore_file {
        Some(Kind::Dockerfile)
    } else if underscored && !ignore_file {
        Some(Kind::MaybeDockerfile)
    } else if lower == "daemon.json" {
        Some(Kind::DaemonJson)
    } else if aicomply_sdk::kubernetes::may_hold_manifests(name) || lower.ends_with(".tpl") {
        // (`.tpl` only as a chart's helper: the caller asks of the path.)
        // YAML, and JSON: `kubernetes::check` passes over any that is not
        // a manifest.
        Some(Kind::Yaml)
    } else {
        None
    }
}

/// Extensions that make `Dockerfile.<x>` / `Dockerfile-<x>` something else:
/// documentation, scripts and data about a Dockerfile (`Dockerfile.md`,
/// `dockerfile-lint.sh`), not one.
const NOT_DOCKERFILE: &[&str] = &[
    "md", "markdown", "txt", "rst", "adoc", "html", "sh", "bash", "ps1", "py", "js", "ts", "json",
    "yml", "yaml", "toml", "ini", "cfg", "lock", "log", "orig", "bak", "swp", "patch", "diff",
];

/// The checks that read files of a kind.
fn checks_of(kind: Kind) -> &'static [&'static str] {
    match kind {
        Kind::Dockerfile | Kind::MaybeDockerfile => checks::DOCKERFILE_CHECKS,
        Kind::DaemonJson | Kind::DockerdUnit => checks::DAEMON_CHECKS,
        Kind::Packages | Kind::RpmPackages => checks::RUNTIME_CHECKS,
        Kind::Compose => checks::COMPOSE_CHECKS,
        Kind::Ci => checks::CI_CHECKS,
        // Read for the images they build: without them a local base image
        // could read as one pulled from a registry.
        Kind::BuildScript => &[checks::BASE_LATEST, checks::BASE_UNPINNED],
        Kind::Yaml => checks::K8S_CHECKS,
    }
}

/// The checks a path that was not examined may have mattered to: those of
/// its kind, or every check when what is missing cannot be named (a
/// folder not listed or not entered, a name that is not UTF-8, the rest of
/// a tree past the file limit).
fn affected(skip: &fs::Skip) -> Vec<&'static str> {
    if skip.could_be_anything() {
        return [
            checks::DOCKERFILE_CHECKS,
            checks::DAEMON_CHECKS,
            checks::RUNTIME_CHECKS,
            checks::COMPOSE_CHECKS,
            checks::CI_CHECKS,
            checks::K8S_CHECKS,
        ]
        .concat();
    }
    classify_path(&skip.relative).map_or(Vec::new(), |k| checks_of(k).to_vec())
}

/// Scan every relevant file under `root` and record the results on `scan`.
pub fn scan_tree(root: &Path, options: &WalkOptions, scan: &mut Scan) {
    let walk = fs::walk(root, options);
    walk.report_gaps(scan, "target", affected);

    let (mut dockerfiles, mut daemons, mut workloads) = (0, 0, 0);
    let mut runnable_images = 0;
    let mut dockerfile_texts: Vec<(String, String)> = Vec::new();
    let mut local_images = builds::LocalImages::default();
    let (mut composes, mut pipelines, mut runtimes) = (0, 0, 0);
    let mut settings = daemon::Settings::default();
    let mut units = Vec::new();
    let mut ci_files = Vec::new();
    // Manifests are judged together, as kustomize renders them.
    let mut manifests = aicomply_sdk::kubernetes::Manifests::new();
    // The files this plugin reads, chosen by name and place.
    let relevant: Vec<(&fs::Entry, Kind)> = walk
        .files
        .iter()
        .filter_map(|e| classify_path(&e.relative).map(|k| (e, k)))
        .collect();
    let progress = aicomply_sdk::Progress::new(u32::try_from(relevant.len()).ok());
    for (entry, kind) in relevant {
        progress.file_done();
        scan.checkpoint();
        if kind == Kind::RpmPackages {
            match aicomply_sdk::rpmdb::installed(&entry.path) {
                Ok(installed) => {
                    runtime_versions(&entry.relative, &installed, &Default::default(), scan);
                    runtimes += 1;
                }
                Err(e) => scan.diagnostic(
                    Location::target(entry.relative.clone()),
                    format!("cannot read the RPM package database: {e}"),
                ),
            }
            continue;
        }
        let text = match fs::read_text(&entry.path, MAX_CONFIG_BYTES) {
            Ok(t) => t,
            Err(fs::ReadError::TooLarge { .. })
                if kind == Kind::Yaml
                    && entry.relative.to_ascii_lowercase().ends_with(".json")
                    && !aicomply_sdk::kubernetes::large_json_may_be_manifest(&entry.path) =>
            {
                continue;
            }
            Err(e) => {
                scan.skipped(
                    Location::target(entry.relative.clone()),
                    e.skip_reason(),
                    e.to_string(),
                );
                for check in checks_of(kind) {
                    scan.incomplete(check, format!("{} not examined: {e}", entry.relative));
                }
                continue;
            }
        };
        match kind {
            // Judged after the walk, when every build command is known.
            Kind::Dockerfile | Kind::MaybeDockerfile
                if kind == Kind::Dockerfile || dockerfile::looks_like_dockerfile(&text) =>
            {
                dockerfile_texts.push((entry.relative.clone(), text));
            }
            Kind::Dockerfile | Kind::MaybeDockerfile => {}
            Kind::BuildScript => local_images.read(&entry.relative, &text),
            Kind::DaemonJson => {
                if daemon::read_json(&entry.relative, &text, &mut settings, scan) {
                    daemons += 1;
                }
            }
            // Units are applied after every daemon.json: flags win.
            Kind::DockerdUnit => units.push((entry.relative.clone(), text)),
            Kind::Compose => {
                if compose::check(&entry.relative, &text, scan) {
                    composes += 1;
                }
            }
            Kind::Packages => {
                let installed = aicomply_sdk::formats::dpkg_installed(&text);
                let lines = aicomply_sdk::formats::dpkg_package_lines(&text);
                runtime_versions(&entry.relative, &installed, &lines, scan);
                runtimes += 1;
            }
            Kind::RpmPackages => unreachable!("read above as a database"),
            Kind::Ci => {
                local_images.read(&entry.relative, &text);
                ci_files.push(ci::read(&entry.relative, &text));
                pipelines += 1;
            }
            Kind::Yaml => {
                if let Err(why) = manifests.add(&entry.relative, &text) {
                    aicomply_sdk::kubernetes::record_unread(
                        scan,
                        &entry.relative,
                        checks::K8S_CHECKS,
                        &why,
                    );
                }
            }
        }
    }
    progress.finish();
    for (path, text) in &dockerfile_texts {
        match dockerfile::check(path, text, &local_images, scan) {
            dockerfile::Judged::Nothing => {}
            dockerfile::Judged::Artifact => dockerfiles += 1,
            dockerfile::Judged::Runnable => {
                dockerfiles += 1;
                runnable_images += 1;
            }
        }
    }
    let objects = manifests.render(scan, checks::K8S_CHECKS);
    workloads += kubernetes::check_objects(&objects, scan);
    for (path, text) in &units {
        if daemon::read_unit(path, text, &mut settings, scan) {
            daemons += 1;
        }
    }
    if daemons > 0 {
        daemon::check(&settings, scan);
    }
    scan.evaluated_if(
        composes,
        checks::COMPOSE_CHECKS,
        "no docker-compose files in the target",
    );
    scan.evaluated_if(
        runtimes,
        checks::RUNTIME_CHECKS,
        "no package database (var/lib/dpkg/status, or an RPM database under var/lib/rpm or usr/lib/sysimage/rpm) in the target",
    );
    let builds = ci::judge(&ci_files, scan);
    let reason = if pipelines == 0 {
        "not applicable: no CI pipelines (.github/workflows, .gitlab-ci.yml) in the target"
            .to_string()
    } else {
        format!(
            "not applicable: none of the {pipelines} CI pipeline(s) builds or pushes a container image"
        )
    };
    scan.evaluated_if(builds, checks::CI_CHECKS, &reason);

    scan.evaluated_if(
        dockerfiles,
        checks::DOCKERFILE_BUILD_CHECKS,
        "no Dockerfile or Containerfile in the target",
    );
    let run_reason = if dockerfiles == 0 {
        "no Dockerfile or Containerfile in the target".to_string()
    } else {
        format!(
            "not applicable: each of the {dockerfiles} Dockerfile(s) builds an artifact image (FROM scratch, no ENTRYPOINT or CMD), which is only copied from, never run"
        )
    };
    scan.evaluated_if(runnable_images, checks::DOCKERFILE_RUN_CHECKS, &run_reason);
    scan.evaluated_if(
        daemons,
        checks::DAEMON_CHECKS,
        "no readable Docker daemon configuration (daemon.json) in the target",
    );
    scan.evaluated_if(
        workloads,
        checks::K8S_CHECKS,
        "no Kubernetes workload manifests in the target",
    );
}

/// Release series whose support has certainly ended, as of the table date.
/// Deliberately conservative: only series that are past their end of
/// support are listed, so a still-supported release is never flagged.
const RUNTIME_TABLE_DATE: &str = "2026-11-01";
const UNSUPPORTED_BELOW: &[(&str, (u32, u32))] = &[
    ("docker-ce", (26, 0)),
    ("docker.io", (26, 0)),
    ("docker-engine", (99, 0)),
    ("containerd.io", (1, 7)),
    ("containerd", (1, 7)),
];

/// `installed` is name → version as dpkg or rpm shows it; both drop to
/// the upstream major.minor (an epoch such as rpm's `3:` is ignored).
/// `lines` gives a package's stanza in dpkg's status file.
fn runtime_versions(
    path: &str,
    installed: &std::collections::BTreeMap<String, String>,
    lines: &std::collections::BTreeMap<String, u32>,
    scan: &mut Scan,
) {
    for (package, floor) in UNSUPPORTED_BELOW {
        let Some(version) = installed.get(*package) else {
            continue;
        };
        let Some(mm) = aicomply_sdk::formats::upstream_major_minor(version) else {
            continue;
        };
        if mm < *floor {
            scan.finding(checks::RUNTIME_OUTDATED, format!("{package} {version} is from a release series that no longer receives security fixes (table as of {RUNTIME_TABLE_DATE})"))
                .at(match lines.get(*package) {
                    Some(&line) => Location::target(path).line(line),
                    None => Location::target(path),
                })
                .evidence(format!("{package} {version}"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_large_json_file_counts_only_if_it_may_be_a_manifest() {
        let dir = std::env::temp_dir().join(format!("aicomply-large-json-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let filler = format!("[{}0]", "0,".repeat(3 << 20));
        std::fs::write(dir.join("weights.json"), format!("{{\"data\": {filler}}}")).unwrap();
        std::fs::write(
            dir.join("list.json"),
            format!("{{\"items\": {filler}, \"apiVersion\": \"v1\", \"kind\": \"List\"}}"),
        )
        .unwrap();
        let mut scan = Scan::new(checks::catalogue());
        scan_tree(&dir, &WalkOptions::default(), &mut scan);
        let skipped: Vec<&str> = scan
            .skipped_paths()
            .iter()
            .map(|s| s.location.path.as_str())
            .collect();
        assert_eq!(
            skipped,
            vec!["list.json"],
            "the list may be a manifest; the weights are not"
        );
        assert!(
            scan.incomplete_checks()
                .contains_key(checks::K8S_PRIVILEGED)
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn classifies_by_name() {
        assert_eq!(classify("Dockerfile"), Some(Kind::Dockerfile));
        assert_eq!(classify("Dockerfile.gpu"), Some(Kind::Dockerfile));
        assert_eq!(classify("api.Dockerfile"), Some(Kind::Dockerfile));
        assert_eq!(classify("Containerfile"), Some(Kind::Dockerfile));
        assert_eq!(classify("daemon.json"), Some(Kind::DaemonJson));
        assert_eq!(classify("deploy.YML"), Some(Kind::Yaml));
        assert_eq!(classify("README.md"), None);
        for name in [
            "Dockerfile-gpu",
            "CONTAINERFILE.cuda",
            "Containerfile-dev",
            "api.containerfile",
            "Dockerfile.prod.arm64",
        ] {
            assert_eq!(classify(name), Some(Kind::Dockerfile), "{name}");
        }
        for name in [
            "Dockerfile.md",
            "dockerfile-lint.sh",
            "Dockerfile.orig",
            "Dockerfile.dockerignore",
            "Containerfile.containerignore",
            "mydockerfile",
            "dockerfile_lint",
        ] {
            assert_ne!(classify(name), Some(Kind::Dockerfile), "{name}");
        }
        // Underscored names are Dockerfiles when their content says so.
        assert_eq!(classify("Dockerfile_cuda"), Some(Kind::MaybeDockerfile));
        assert_eq!(classify("dockerfile_lint.sh"), None);
        assert!(dockerfile::looks_like_dockerfile(
            "# syntax=docker/dockerfile:1\nARG V=1\nFROM python:${V}\n"
        ));
        assert!(!dockerfile::looks_like_dockerfile(
            "#!/bin/sh\nset -e\nhadolint \"$@\"\n"
        ));
        // JSON is a manifest candidate; daemon.json stays its own kind.
        assert_eq!(classify("deploy.JSON"), Some(Kind::Yaml));
        assert_eq!(classify("daemon.json"), Some(Kind::DaemonJson));
        assert_eq!(classify("package-lock.json"), None);
        assert_eq!(classify("tokenizer.json"), None);
        assert_eq!(classify_path("web/node_modules/x/package.json"), None);
        assert_eq!(classify_path("deploy/k8s/api.json"), Some(Kind::Yaml));
    }

    #[test]
    fn nothing_to_read_means_not_checked() {
        let dir =
            std::env::temp_dir().join(format!("aicomply-container-empty-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("README.md"), "hello").unwrap();
        let mut scan = Scan::new(checks::catalogue());
        scan_tree(&dir, &WalkOptions::default(), &mut scan);
        let out = scan.into_output();
        assert!(out.evaluated.is_empty());
        assert_eq!(out.not_checked.len(), checks::catalogue().len());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// A repository of several images: the two artifact images (FROM
    /// scratch, only copied from) get build-time checks only, the serving
    /// image every check, and the worker built on the repository's own base
    /// image (Makefile) no base-image finding.
    #[test]
    fn artifact_images_are_not_judged_as_running_containers() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/multi-image");
        let mut scan = Scan::new(checks::catalogue());
        scan_tree(&root, &WalkOptions::default(), &mut scan);
        let mut found: Vec<(String, String, Option<u32>)> = scan
            .findings()
            .iter()
            .map(|f| {
                let l = f.location.as_ref().unwrap();
                (f.check_id.clone(), l.path.clone(), l.line)
            })
            .collect();
        found.sort();
        let want = |c: &str, p: &str, l: u32| (c.to_string(), p.to_string(), Some(l));
        assert_eq!(
            found,
            [
                want(checks::BASE_UNPINNED, "images/base/Dockerfile", 2),
                want(checks::NO_HEALTHCHECK, "images/api/Dockerfile", 1),
                want(checks::NO_HEALTHCHECK, "images/base/Dockerfile", 2),
                want(checks::ROOT_USER, "images/api/Dockerfile", 1),
            ]
        );
        // The worker's base is the image the Makefile builds first: local,
        // judged in images/base/Dockerfile, not unpinned.
        assert!(scan.diagnostics().iter().any(|d| {
            d.location.path == "images/worker/Dockerfile"
                && d.location.line == Some(2)
                && d.message
                    .contains("an image this repository builds (Makefile:5)")
        }));
        let notes: Vec<(&str, Option<u32>)> = scan
            .diagnostics()
            .iter()
            .filter(|d| d.message.contains("artifact image"))
            .map(|d| (d.location.path.as_str(), d.location.line))
            .collect();
        assert_eq!(notes.len(), 2, "{notes:?}");
        assert!(notes.contains(&("images/wheels/Dockerfile", Some(7))));
        assert!(notes.contains(&("images/models/Dockerfile", Some(2))));
        assert!(scan.is_evaluated(checks::ROOT_USER));

        // Only artifacts: the run-time checks are not applicable, not passed.
        let mut scan = Scan::new(checks::catalogue());
        scan_tree(
            &root.join("images/models"),
            &WalkOptions::default(),
            &mut scan,
        );
        let out = scan.into_output();
        let reason = &out
            .not_checked
            .iter()
            .find(|n| n.check_id == checks::ROOT_USER)
            .expect("root user not checked")
            .reason;
        assert!(
            reason.starts_with(
                "not applicable: each of the 1 Dockerfile(s) builds an artifact image"
            ),
            "{reason}"
        );
        assert!(out.evaluated.iter().any(|c| c == checks::BASE_LATEST));
    }

    /// A JSON Deployment among other JSON files of a repository: the
    /// manifest is judged, the rest produce nothing.
    #[test]
    fn json_manifests_in_a_tree() {
        let dir =
            std::env::temp_dir().join(format!("aicomply-container-json-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("deploy")).unwrap();
        std::fs::create_dir_all(dir.join("web/node_modules/m")).unwrap();
        std::fs::write(
            dir.join("deploy/api.json"),
            "{\n  \"apiVersion\": \"apps/v1\",\n  \"kind\": \"Deployment\",\n  \"metadata\": {\"name\": \"api\"},\n  \"spec\": {\"template\": {\"spec\": {\"containers\": [\n    {\"name\": \"a\", \"securityContext\": {\"privileged\": true}}\n  ]}}}\n}\n",
        )
        .unwrap();
        std::fs::write(
            dir.join("web/package.json"),
            r#"{"name": "web", "version": "1.0.0"}"#,
        )
        .unwrap();
        std::fs::write(dir.join("web/tsconfig.json"), "{ // comment\n}").unwrap();
        std::fs::write(dir.join("web/node_modules/m/bad.json"), "{").unwrap();
        let mut scan = Scan::new(checks::catalogue());
        scan_tree(&dir, &WalkOptions::default(), &mut scan);
        std::fs::remove_dir_all(&dir).unwrap();
        let privileged: Vec<_> = scan
            .findings()
            .iter()
            .filter(|f| f.check_id == checks::K8S_PRIVILEGED)
            .map(|f| {
                let loc = f.location.as_ref().unwrap();
                (loc.path.clone(), loc.line)
            })
            .collect();
        assert_eq!(privileged, vec![("deploy/api.json".to_string(), Some(6))]);
        assert!(
            scan.findings()
                .iter()
                .all(|f| f.location.as_ref().unwrap().path == "deploy/api.json")
        );
        assert!(scan.diagnostics().is_empty(), "{:?}", scan.diagnostics());
        assert!(scan.is_evaluated(checks::K8S_PRIVILEGED));
    }

    /// Files that cost a parser too much are listed and leave their
    /// checks incomplete; the other files are judged as ever.
    #[test]
    fn parser_bombs_cost_only_their_own_file() {
        let dir =
            std::env::temp_dir().join(format!("aicomply-container-bombs-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("k8s")).unwrap();
        let mut bomb = String::from("a: &a [l, l, l, l, l, l, l, l, l]\n");
        for (prev, name) in "abcdefgh".chars().zip("bcdefghi".chars()) {
            let refs = vec![format!("*{prev}"); 9].join(", ");
            bomb.push_str(&format!("{name}: &{name} [{refs}]\n"));
        }
        std::fs::write(dir.join("k8s/bomb.yaml"), &bomb).unwrap();
        std::fs::write(
            dir.join("k8s/deep.yaml"),
            "[".repeat(100_000) + &"]".repeat(100_000),
        )
        .unwrap();
        std::fs::write(dir.join("compose.yaml"), format!("{bomb}services: {{}}\n")).unwrap();
        std::fs::write(
            dir.join("k8s/pod.yaml"),
            "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: c\n    securityContext: {privileged: true}\n",
        )
        .unwrap();
        let mut scan = Scan::new(checks::catalogue());
        // On a quarter of the wasm stack, the whole tree.
        let scan = std::thread::Builder::new()
            .stack_size(256 << 10)
            .spawn({
                let dir = dir.clone();
                move || {
                    scan_tree(&dir, &WalkOptions::default(), &mut scan);
                    scan
                }
            })
            .unwrap()
            .join()
            .unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        let mut skipped: Vec<(&str, aicomply_sdk::SkipReason)> = scan
            .skipped_paths()
            .iter()
            .map(|s| (s.location.path.as_str(), s.reason))
            .collect();
        skipped.sort();
        use aicomply_sdk::SkipReason::ParseLimit;
        assert_eq!(
            skipped,
            vec![
                ("compose.yaml", ParseLimit),
                ("k8s/bomb.yaml", ParseLimit),
                ("k8s/deep.yaml", ParseLimit)
            ]
        );
        let privileged: Vec<_> = scan
            .findings()
            .iter()
            .filter(|f| f.check_id == checks::K8S_PRIVILEGED)
            .map(|f| f.location.as_ref().unwrap().path.as_str())
            .collect();
        assert_eq!(privileged, vec!["k8s/pod.yaml"]);
        for check in checks::K8S_CHECKS.iter().chain(checks::COMPOSE_CHECKS) {
            assert!(scan.incomplete_checks().contains_key(*check), "{check}");
        }
        assert!(!scan.incomplete_checks().contains_key(checks::ROOT_USER));
    }

    /// Runtime versions come from rpm's database on RPM-family hosts; the
    /// epoch (`3:` on docker-ce) does not hide the release series.
    #[test]
    fn runtime_versions_from_an_rpm_database() {
        let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/rpm-host");
        let mut scan = Scan::new(checks::catalogue());
        scan_tree(&base, &WalkOptions::default(), &mut scan);
        let found: Vec<String> = scan
            .findings()
            .iter()
            .map(|f| {
                format!(
                    "{} {} {}",
                    f.check_id,
                    f.location.as_ref().unwrap().path,
                    f.evidence.clone().unwrap_or_default()
                )
            })
            .collect();
        assert_eq!(
            found,
            [
                "CONT-RUNTIME-OUTDATED var/lib/rpm/rpmdb.sqlite docker-ce 3:24.0.7-1.el9",
                "CONT-RUNTIME-OUTDATED var/lib/rpm/rpmdb.sqlite containerd.io 1.6.28-3.1.el9",
            ]
        );
        assert!(scan.is_evaluated(checks::RUNTIME_OUTDATED));
        assert!(scan.diagnostics().is_empty());
    }
}
