use super::*;
use std::path::{Path, PathBuf};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures")
        .join(name)
}

/// Walk a fixture with std::fs, hand every pipeline file to the collector
/// (as lib.rs's walk would), then finish with std::fs as the reader.
pub(crate) fn run_fixture(name: &str) -> Scan {
    let root = fixture(name);
    let mut files = Vec::new();
    let mut stack = vec![root.clone()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                files.push(
                    p.strip_prefix(&root)
                        .unwrap()
                        .to_string_lossy()
                        .into_owned(),
                );
            }
        }
    }
    files.sort();
    let mut scan = Scan::new(catalogue());
    let mut p = Pipelines::new();
    for rel in &files {
        if wants(rel) {
            let text = std::fs::read_to_string(root.join(rel)).unwrap();
            assert!(p.scan_file(rel, &text, &mut scan));
        }
    }
    p.finish(&mut scan, &mut |rel| {
        std::fs::read_to_string(root.join(rel)).map_err(|e| e.to_string())
    });
    scan
}

fn ids(scan: &Scan) -> Vec<(String, String, Option<u32>)> {
    scan.findings()
        .iter()
        .map(|f| {
            let l = f.location.as_ref().unwrap();
            (f.check_id.clone(), l.path.clone(), l.line)
        })
        .collect()
}

fn has(scan: &Scan, check: &str, path: &str, line: Option<u32>) -> bool {
    ids(scan)
        .iter()
        .any(|(c, p, l)| c == check && p == path && (line.is_none() || *l == line))
}

#[test]
fn pipelines_insecure_fixture() {
    let scan = run_fixture("pipelines-insecure");
    let dump = format!("{:#?}", ids(&scan));
    let ci = ".github/workflows/ci.yml";
    // No SCA missing (pip-audit runs), SAST via reusable -> composite action.
    assert!(
        !has(&scan, SAST_MISSING, ".github/workflows", None),
        "{dump}"
    );
    assert!(
        !has(&scan, SCA_MISSING, ".github/workflows", None),
        "{dump}"
    );
    assert!(
        !has(&scan, SECRET_SCAN_MISSING, ".github/workflows", None),
        "{dump}"
    );
    // Secret scanning only on schedule.
    assert!(
        has(
            &scan,
            SCAN_NOT_ON_CHANGES,
            ".github/workflows/nightly.yml",
            Some(11)
        ),
        "{dump}"
    );
    // Decorative: bandit piped without pipefail, pip-audit continue-on-error,
    // semgrep `|| true` in the composite action, trufflehog without --fail.
    assert!(has(&scan, SCAN_NON_BLOCKING, ci, Some(19)), "{dump}");
    assert!(has(&scan, SCAN_NON_BLOCKING, ci, Some(22)), "{dump}");
    assert!(
        has(
            &scan,
            SCAN_NON_BLOCKING,
            ".github/actions/scan/action.yml",
            Some(6)
        ),
        "{dump}"
    );
    // trufflehog without --fail, but only nightly: it gates nothing, and
    // not running on changes is its finding.
    assert!(
        !has(
            &scan,
            SCAN_NON_BLOCKING,
            ".github/workflows/nightly.yml",
            Some(11)
        ),
        "{dump}"
    );
    // GHA hygiene.
    assert!(has(&scan, ACTION_UNPINNED, ci, Some(9)), "{dump}");
    assert!(has(&scan, ACTION_UNPINNED, ci, Some(23)), "{dump}");
    assert!(
        !has(
            &scan,
            ACTION_UNPINNED,
            ".github/workflows/nightly.yml",
            None
        ),
        "{dump}"
    );
    assert!(has(&scan, PERMISSIONS_UNSET, ci, None), "{dump}");
    assert!(
        !has(
            &scan,
            PERMISSIONS_UNSET,
            ".github/workflows/reusable.yml",
            None
        ),
        "{dump}"
    );
    assert!(has(&scan, PERMISSIONS_WRITE_ALL, ci, Some(25)), "{dump}");
    assert!(has(&scan, PR_TARGET_CHECKOUT, ci, Some(11)), "{dump}");
    let inj: Vec<_> = scan
        .findings()
        .iter()
        .filter(|f| f.check_id == SCRIPT_INJECTION)
        .collect();
    assert_eq!(inj.len(), 1, "{dump}");
    assert_eq!(inj[0].location.as_ref().unwrap().line, Some(15));
    assert!(inj[0].message.contains("pull_request.title"));
    let pr = scan
        .findings()
        .iter()
        .find(|f| f.check_id == PR_TARGET_CHECKOUT)
        .unwrap();
    assert_eq!(pr.severity, Severity::Critical);
}

#[test]
fn pipelines_hardened_fixture() {
    let scan = run_fixture("pipelines-hardened");
    let dump = format!("{:#?}", ids(&scan));
    assert!(scan.findings().is_empty(), "{dump}");
    let out = scan.into_output();
    for c in PIPELINE_CHECKS {
        assert!(out.evaluated.iter().any(|e| e == c), "{c} not evaluated");
    }
}

#[test]
fn pipelines_gitlab_fixture() {
    let scan = run_fixture("pipelines-gitlab");
    let dump = format!("{:#?}", ids(&scan));
    assert!(!has(&scan, SAST_MISSING, ".gitlab-ci.yml", None), "{dump}");
    assert!(!has(&scan, SCA_MISSING, ".gitlab-ci.yml", None), "{dump}");
    assert!(
        has(&scan, SCAN_NON_BLOCKING, "ci/security.yml", Some(6)),
        "gitleaks --exit-code 0: {dump}"
    );
    // allow_failure on a job that runs only on a schedule gates nothing.
    assert!(
        !has(&scan, SCAN_NON_BLOCKING, "ci/security.yml", Some(14)),
        "allow_failure: {dump}"
    );
    assert!(
        has(&scan, SCAN_NOT_ON_CHANGES, "ci/security.yml", Some(14)),
        "schedule only: {dump}"
    );
    let out = scan.into_output();
    assert!(
        out.not_checked
            .iter()
            .any(|n| n.check_id == ACTION_UNPINNED)
    );
}

#[test]
fn no_pipeline_is_not_checked_never_passed() {
    let scan = run_fixture("pipelines-none");
    assert!(scan.findings().is_empty());
    let out = scan.into_output();
    for c in PIPELINE_CHECKS {
        assert!(
            out.not_checked.iter().any(|n| n.check_id == *c),
            "{c} should be not checked"
        );
        assert!(!out.evaluated.iter().any(|e| e == c));
    }
}

#[test]
fn a_nested_precommit_config_alone_is_no_pipeline() {
    // pre-commit.ci reads the root's configuration only: a vendored copy's
    // hooks (yolov5/ without its .github/) run nowhere.
    let hooks = "ci:\n  autofix_prs: true\nrepos:\n  - repo: https://github.com/pre-commit/pre-commit-hooks\n    rev: v4.4.0\n    hooks:\n      - id: check-yaml\n";
    let run = |files: &[(&str, &str)]| {
        let mut scan = Scan::new(catalogue());
        let mut p = Pipelines::new();
        for (path, text) in files {
            assert!(p.scan_file(path, text, &mut scan));
        }
        p.finish(&mut scan, &mut |_| Err("no".into()));
        scan
    };
    let nested = run(&[("yolov5/.pre-commit-config.yaml", hooks)]);
    assert!(nested.findings().is_empty(), "{:?}", ids(&nested));
    let out = nested.into_output();
    assert!(out.not_checked.iter().any(|n| n.check_id == SAST_MISSING));
    // At the root it is pre-commit.ci's pipeline, lacking every scan.
    let root = run(&[(".pre-commit-config.yaml", hooks)]);
    assert!(
        has(&root, SAST_MISSING, ".pre-commit-config.yaml", None),
        "{:?}",
        ids(&root)
    );
    // Next to a nested project's own workflows it counts with them.
    let wf =
        "on: push\npermissions: {}\njobs:\n  t:\n    runs-on: x\n    steps:\n      - run: pytest\n";
    let project = run(&[
        ("svc/.pre-commit-config.yaml", hooks),
        ("svc/.github/workflows/ci.yml", wf),
    ]);
    assert!(
        has(&project, SAST_MISSING, "svc/.github/workflows", None),
        "{:?}",
        ids(&project)
    );
}

#[test]
fn missing_categories_are_one_finding_per_project() {
    let mut scan = Scan::new(catalogue());
    let mut p = Pipelines::new();
    let wf =
        "on: push\npermissions: {}\njobs:\n  t:\n    runs-on: x\n    steps:\n      - run: pytest\n";
    p.scan_file(".github/workflows/a.yml", wf, &mut scan);
    p.scan_file(".github/workflows/b.yml", wf, &mut scan);
    p.scan_file(
        "sub/.gitlab-ci.yml",
        "t:\n  script: [semgrep ci]\n",
        &mut scan,
    );
    p.finish(&mut scan, &mut |_| Err("no".into()));
    let f: Vec<_> = scan
        .findings()
        .iter()
        .map(|f| {
            (
                f.check_id.as_str(),
                f.location.as_ref().unwrap().path.as_str(),
            )
        })
        .collect();
    assert_eq!(f.iter().filter(|x| x.0 == SAST_MISSING).count(), 1, "{f:?}");
    assert!(f.contains(&(SAST_MISSING, ".github/workflows")));
    assert!(f.contains(&(SCA_MISSING, "sub/.gitlab-ci.yml")));
    assert!(f.contains(&(SECRET_SCAN_MISSING, ".github/workflows")));
}

#[test]
fn script_analysis() {
    let s = analyse_script("bandit -r . || echo failed\nsemgrep ci\n", false);
    assert!(s.runs[0].decorative.as_deref().unwrap().contains("||"));
    assert!(s.runs[1].decorative.is_none());
    let s = analyse_script("gitleaks detect || exit 1", false);
    assert!(s.runs[0].decorative.is_none());
    let s = analyse_script("set +e\npip-audit\n", false);
    assert!(s.runs[0].decorative.is_some());
    let s = analyse_script("trivy fs --exit-code 1 --scanners vuln .", false);
    assert_eq!(s.runs.len(), 1);
    assert!(s.runs[0].decorative.is_none());
    let s = analyse_script("trivy fs .", false);
    assert_eq!(s.runs.len(), 2, "vuln and secret by default");
    let s = analyse_script(
        "docker run --rm -v $PWD:/src returntocorp/semgrep semgrep ci",
        false,
    );
    assert_eq!(s.runs[0].tool, "semgrep");
    let s = analyse_script("python -m bandit -r src \\\n  -ll", false);
    assert_eq!(s.runs[0].tool, "bandit");
    let s = analyse_script("gosec -no-fail ./...\ngosec -fmt sarif ./...", false);
    assert_eq!(
        (s.runs[0].tool.as_str(), s.runs[1].tool.as_str()),
        ("gosec", "gosec")
    );
    assert!(s.runs[0].decorative.is_some() && s.runs[1].decorative.is_none());
    let s = analyse_script("pip install bandit semgrep pip-audit", false);
    assert!(s.runs.is_empty());
    let s = analyse_script("semgrep --config auto --error . | tee out", true);
    assert!(s.runs[0].decorative.is_none());
    assert!(analyse_script("pre-commit run --all-files", false).precommit);
}

#[test]
fn aicomply_counts_as_secret_scanning_and_as_sca_only_with_an_osv_root() {
    let s = analyse_script("aicomply run --target . --fail-on high", false);
    assert_eq!(s.runs.len(), 1);
    assert_eq!(s.runs[0].tool, "aicomply");
    assert!(s.runs[0].decorative.is_none());
    let s = analyse_script(
        "aicomply run --target . --root osv=\"$RUNNER_TEMP/osv\" --grant code=fs-read:osv",
        false,
    );
    assert_eq!(s.runs.len(), 2, "secrets and SCA");
    let s = analyse_script("aicomply run --target . --fail-on none", false);
    assert!(s.runs[0].decorative.is_some());
    assert!(
        analyse_script("aicomply run --no-embedded --plugins p --target .", false)
            .runs
            .is_empty()
    );
    assert!(
        analyse_script("aicomply plugins list", false)
            .runs
            .is_empty()
    );
}

#[test]
fn injection_contexts() {
    assert_eq!(
        dangerous_contexts("github.event.issue.title"),
        vec!["github.event.issue.title"]
    );
    assert!(dangerous_contexts("github.event.pull_request.number").is_empty());
    assert!(dangerous_contexts("github.event.repository.full_name").is_empty());
    assert_eq!(
        dangerous_contexts("github.head_ref || 'x'"),
        vec!["github.head_ref"]
    );
    assert_eq!(dangerous_contexts("github.event.inputs.name").len(), 1);
    assert!(dangerous_contexts("secrets.TOKEN").is_empty());
    assert!(dangerous_contexts("github.event.pull_request.base.ref").is_empty());
    assert!(dangerous_contexts("github.event.pull_request.user.login").is_empty());
    assert_eq!(
        dangerous_contexts("github.event.pull_request.head.ref").len(),
        1
    );
    assert_eq!(
        dangerous_contexts("github.event.pull_request.head.repo.default_branch").len(),
        1
    );
}

#[test]
fn unparseable_workflow_makes_checks_incomplete() {
    let mut scan = Scan::new(catalogue());
    let mut p = Pipelines::new();
    assert!(p.scan_file(".github/workflows/x.yml", "on: [push\njobs: {", &mut scan));
    p.finish(&mut scan, &mut |_| Err("no".into()));
    assert!(scan.incomplete_checks().contains_key(SAST_MISSING));
}

#[test]
fn typed_dispatch_inputs_are_not_injection() {
    let wf = "on:\n  workflow_dispatch:\n    inputs:\n      kind:\n        type: choice\n        options: [patch, minor]\n      dry:\n        type: boolean\n      note:\n        type: string\npermissions: {}\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: |\n          echo ${{ github.event.inputs.kind }} ${{ github.event.inputs.dry }}\n          echo ${{ github.event.inputs.note }}\n";
    let mut scan = Scan::new(catalogue());
    let mut p = Pipelines::new();
    p.scan_file(".github/workflows/release.yml", wf, &mut scan);
    let inj: Vec<_> = scan
        .findings()
        .iter()
        .filter(|f| f.check_id == SCRIPT_INJECTION)
        .map(|f| {
            (
                f.evidence.clone().unwrap_or_default(),
                f.location.as_ref().unwrap().line,
            )
        })
        .collect();
    assert_eq!(
        inj,
        vec![("github.event.inputs.note".to_string(), Some(18))]
    );
}
