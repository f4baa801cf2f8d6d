//! CODE-1 in CI/CD: do the pipelines run SAST, SCA and secret scanning, on
//! which events, and can those scans fail the build? And the GitHub Actions
//! hygiene that decides whether the pipeline itself can be trusted: actions
//! pinned to commit SHAs, top-level `permissions`, `pull_request_target`
//! checking out the PR's head, `${{ github.event.* }}` expanded in `run:`.
//!
//! Files are collected with [`Pipelines::scan_file`] (per-file checks are
//! reported at once) and judged as a whole by [`Pipelines::finish`]: a scan
//! counts wherever it runs, including in a local reusable workflow
//! (`uses: ./.github/workflows/x.yml`), a local composite action, a GitLab
//! `include: local:` file, or a pre-commit hook that a pipeline (or
//! pre-commit.ci) runs; it then runs on the events of the workflow that
//! calls it. `.github/dependabot.yml` counts as SCA. Whole-tree verdicts
//! ("no SAST in any pipeline") are one finding per project (a folder with
//! its own `.github/` or `.gitlab-ci.yml`), located at its workflow folder
//! or first pipeline file. Without any pipeline file the checks are not
//! checked, never passed.
//!
//! Other CI systems (Jenkinsfile, CircleCI, Azure Pipelines, Bitbucket,
//! Drone, Travis, Buildkite, Cloud Build, Woodpecker) are read line by line
//! for the same commands, without their events.

use std::collections::{BTreeMap, BTreeSet};

use aicomply_sdk::yaml::{self, Node, Value};
use aicomply_sdk::{Check, Location, Scan, Severity};

pub const SAST_MISSING: &str = "CODE-CI-SAST-MISSING";
pub const SCA_MISSING: &str = "CODE-CI-SCA-MISSING";
pub const SECRET_SCAN_MISSING: &str = "CODE-CI-SECRET-SCAN-MISSING";
pub const SCAN_NON_BLOCKING: &str = "CODE-CI-SCAN-NON-BLOCKING";
pub const SCAN_NOT_ON_CHANGES: &str = "CODE-CI-SCAN-NOT-ON-CHANGES";
pub const ACTION_UNPINNED: &str = "CODE-GHA-ACTION-UNPINNED";
pub const PERMISSIONS_UNSET: &str = "CODE-GHA-PERMISSIONS-UNSET";
pub const PERMISSIONS_WRITE_ALL: &str = "CODE-GHA-PERMISSIONS-WRITE-ALL";
pub const PR_TARGET_CHECKOUT: &str = "CODE-GHA-PR-TARGET-CHECKOUT";
pub const SCRIPT_INJECTION: &str = "CODE-GHA-SCRIPT-INJECTION";

/// Every check of this module.
pub const PIPELINE_CHECKS: &[&str] = &[
    SAST_MISSING,
    SCA_MISSING,
    SECRET_SCAN_MISSING,
    SCAN_NON_BLOCKING,
    SCAN_NOT_ON_CHANGES,
    ACTION_UNPINNED,
    PERMISSIONS_UNSET,
    PERMISSIONS_WRITE_ALL,
    PR_TARGET_CHECKOUT,
    SCRIPT_INJECTION,
];
const GHA_CHECKS: &[&str] = &[
    ACTION_UNPINNED,
    PERMISSIONS_UNSET,
    PERMISSIONS_WRITE_ALL,
    PR_TARGET_CHECKOUT,
    SCRIPT_INJECTION,
];

const GHA_SECURITY: &str = "https://docs.github.com/en/actions/security-for-github-actions/security-guides/security-hardening-for-github-actions";
const ZIZMOR: &str = "https://docs.zizmor.sh/audits/";
const GITLAB_SECURE: &str = "https://docs.gitlab.com/user/application_security/";

pub fn catalogue() -> Vec<Check> {
    vec![
        Check::new(
            SAST_MISSING,
            "CODE-1",
            Severity::High,
            "No static analysis (SAST) runs in any CI pipeline",
            "Add a SAST step that runs on pull requests and pushes: semgrep ci, CodeQL (github/codeql-action/init + analyze), or bandit -r for Python; on GitLab include the SAST template or component.",
            &[
                "https://semgrep.dev/docs/deployment/add-semgrep-to-ci",
                "https://docs.github.com/en/code-security/code-scanning",
                GITLAB_SECURE,
            ],
        ),
        Check::new(
            SCA_MISSING,
            "CODE-1",
            Severity::High,
            "No dependency vulnerability scanning (SCA) runs in CI",
            "Scan dependencies on every change: pip-audit -r requirements.txt, osv-scanner scan source -r ., trivy fs --exit-code 1 ., or actions/dependency-review-action; enable Dependabot (.github/dependabot.yml) for continuous updates.",
            &[
                "https://github.com/pypa/pip-audit",
                "https://google.github.io/osv-scanner/",
                "https://docs.github.com/en/code-security/dependabot",
            ],
        ),
        Check::new(
            SECRET_SCAN_MISSING,
            "CODE-1",
            Severity::High,
            "No secret scanning runs in CI",
            "Run a secret scanner over the repository on every push and pull request: gitleaks (gitleaks/gitleaks-action or gitleaks git), trufflehog git --fail, or detect-secrets-hook --baseline; on GitLab include Secret-Detection.",
            &[
                "https://github.com/gitleaks/gitleaks",
                "https://github.com/trufflesecurity/trufflehog",
                "https://github.com/Yelp/detect-secrets",
            ],
        ),
        Check::new(
            SCAN_NON_BLOCKING,
            "CODE-1",
            Severity::Medium,
            "A security scan in CI cannot fail the build",
            "Let the scanner's exit status fail the job: remove continue-on-error / allow_failure and `|| true`, pass the option that makes findings fail (trivy --exit-code 1, semgrep scan --error, trufflehog --fail), and use `shell: bash` (pipefail) when piping its output.",
            &[
                "https://docs.github.com/en/actions/writing-workflows/workflow-syntax-for-github-actions#jobsjob_idstepscontinue-on-error",
                "https://docs.github.com/en/actions/writing-workflows/workflow-syntax-for-github-actions#defaultsrunshell",
            ],
        ),
        Check::new(
            SCAN_NOT_ON_CHANGES,
            "CODE-1",
            Severity::Low,
            "A kind of security scan never runs on pushes or pull requests",
            "Trigger the scan on pull_request and push (GitLab: merge request and branch pipelines), not only on a schedule or by hand, so a change is scanned before it merges.",
            &[
                "https://docs.github.com/en/actions/writing-workflows/choosing-when-your-workflow-runs/events-that-trigger-workflows",
            ],
        ),
        Check::new(
            ACTION_UNPINNED,
            "CODE-1",
            Severity::Medium,
            "GitHub Action or reusable workflow not pinned to a full commit SHA",
            "Pin every third-party action and reusable workflow to a full 40-character commit SHA (uses: owner/repo@<sha> # vX.Y.Z), and docker:// images to a digest; tags and branches can be moved to malicious code (tj-actions/changed-files 2025, trivy-action 2026).",
            &[GHA_SECURITY, "https://docs.zizmor.sh/audits/#unpinned-uses"],
        ),
        Check::new(
            PERMISSIONS_UNSET,
            "CODE-1",
            Severity::Low,
            "Workflow does not set top-level permissions for its token",
            "Add a top-level `permissions:` block (e.g. `permissions: contents: read`) and grant more per job only where needed; otherwise the GITHUB_TOKEN gets the repository or organisation default, which may be read-write.",
            &[
                "https://docs.github.com/en/actions/writing-workflows/workflow-syntax-for-github-actions#permissions",
                "https://docs.zizmor.sh/audits/#excessive-permissions",
            ],
        ),
        Check::new(
            PERMISSIONS_WRITE_ALL,
            "CODE-1",
            Severity::Medium,
            "Workflow grants its token write-all permissions",
            "Replace `permissions: write-all` with the scopes the job needs, e.g. `contents: read`.",
            &[
                "https://docs.github.com/en/actions/writing-workflows/workflow-syntax-for-github-actions#permissions",
            ],
        ),
        Check::new(
            PR_TARGET_CHECKOUT,
            "CODE-1",
            Severity::High,
            "pull_request_target / workflow_run workflow checks out the pull request's code",
            "A pull_request_target (or workflow_run) job runs with the base repository's secrets and a write token; do not check out or run the PR head there. Use the pull_request event for building untrusted code, or split into an unprivileged pull_request job and a privileged one that only consumes its artifacts.",
            &[
                "https://securitylab.github.com/resources/github-actions-preventing-pwn-requests/",
                "https://docs.zizmor.sh/audits/#dangerous-triggers",
            ],
        ),
        Check::new(
            SCRIPT_INJECTION,
            "CODE-1",
            Severity::High,
            "Attacker-controlled ${{ }} expression expanded inside a script",
            "Pass the value through an environment variable (env: TITLE: ${{ github.event.pull_request.title }}, then \"$TITLE\" in the script) instead of expanding ${{ }} into the script text, where a crafted title, branch name or comment becomes shell code.",
            &[
                "https://docs.github.com/en/actions/security-for-github-actions/security-guides/security-hardening-for-github-actions#understanding-the-risk-of-script-injections",
                ZIZMOR,
            ],
        ),
    ]
}

/// What a security scan is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Category {
    Sast,
    Sca,
    Secrets,
}

impl Category {
    pub const ALL: [Category; 3] = [Category::Sast, Category::Sca, Category::Secrets];

    pub fn label(self) -> &'static str {
        match self {
            Category::Sast => "SAST",
            Category::Sca => "SCA",
            Category::Secrets => "secret scanning",
        }
    }

    fn missing_check(self) -> &'static str {
        match self {
            Category::Sast => SAST_MISSING,
            Category::Sca => SCA_MISSING,
            Category::Secrets => SECRET_SCAN_MISSING,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Workflow,
    Action,
    GitLab,
    Dependabot,
    PreCommit,
    Other,
}

/// A scanner found in a file.
#[derive(Clone, Debug)]
struct Occurrence {
    category: Category,
    tool: String,
    path: String,
    line: u32,
    /// Why it cannot fail the build, if it cannot.
    decorative: Option<String>,
    /// Its own events, where they differ from its file's (a GitLab job).
    events: Option<Vec<String>>,
}

/// A reference to a file of the tree whose scans run as part of this one.
#[derive(Clone, Debug)]
struct Call {
    /// Candidate paths, relative to the scan target, first existing wins.
    targets: Vec<String>,
    decorative: Option<String>,
}

#[derive(Debug)]
struct Unit {
    path: String,
    kind: Kind,
    project: String,
    /// Triggers; `workflow_call` alone means "only when called".
    events: Vec<String>,
    occurrences: Vec<Occurrence>,
    calls: Vec<Call>,
    /// Remote references whose content was not read.
    remote: Vec<String>,
    /// Pre-commit hooks that pre-commit.ci skips.
    precommit_ci: bool,
}

impl Unit {
    fn new(path: &str, kind: Kind, project: &str) -> Self {
        Unit {
            path: path.to_string(),
            kind,
            project: project.to_string(),
            events: Vec::new(),
            occurrences: Vec::new(),
            calls: Vec::new(),
            remote: Vec::new(),
            precommit_ci: false,
        }
    }
}

/// Paths of vendored code: their pipelines are not this project's.
fn vendored(relative: &str) -> bool {
    let p = format!("/{relative}");
    [
        "/node_modules/",
        "/site-packages/",
        "/.venv/",
        "/venv/",
        "/.tox/",
        "/vendor/",
    ]
    .iter()
    .any(|v| p.contains(v))
}

fn split_dir(relative: &str) -> (&str, &str) {
    match relative.rfind('/') {
        Some(i) => (&relative[..=i], &relative[i + 1..]),
        None => ("", relative),
    }
}

/// The kind of pipeline file and its project root (`""` or `a/b/`).
fn classify(relative: &str) -> Option<(Kind, String)> {
    if vendored(relative) {
        return None;
    }
    let (dir, name) = split_dir(relative);
    let lower = name.to_ascii_lowercase();
    let yml = lower.ends_with(".yml") || lower.ends_with(".yaml");
    if let Some(project) = dir.strip_suffix(".github/workflows/")
        && yml
        && (project.is_empty() || project.ends_with('/'))
    {
        return Some((Kind::Workflow, project.to_string()));
    }
    if let Some(project) = dir.strip_suffix(".github/")
        && (lower == "dependabot.yml" || lower == "dependabot.yaml")
        && (project.is_empty() || project.ends_with('/'))
    {
        return Some((Kind::Dependabot, project.to_string()));
    }
    if lower == "action.yml" || lower == "action.yaml" {
        return Some((Kind::Action, String::new()));
    }
    if name == ".gitlab-ci.yml" || name == ".gitlab-ci.yaml" {
        return Some((Kind::GitLab, dir.to_string()));
    }
    if name == ".pre-commit-config.yaml" || name == ".pre-commit-config.yml" {
        return Some((Kind::PreCommit, dir.to_string()));
    }
    if let Some(project) = dir.strip_suffix(".circleci/")
        && lower == "config.yml"
    {
        return Some((Kind::Other, project.to_string()));
    }
    if let Some(project) = dir.strip_suffix(".buildkite/")
        && yml
    {
        return Some((Kind::Other, project.to_string()));
    }
    let other = [
        "Jenkinsfile",
        ".travis.yml",
        "azure-pipelines.yml",
        "azure-pipelines.yaml",
        "bitbucket-pipelines.yml",
        ".drone.yml",
        "cloudbuild.yaml",
        "cloudbuild.yml",
        ".woodpecker.yml",
    ];
    if other.contains(&name) {
        return Some((Kind::Other, dir.to_string()));
    }
    None
}

/// Whether [`Pipelines::scan_file`] reads this file.
pub fn wants(relative: &str) -> bool {
    classify(relative).is_some()
}

/// The checks a path the walk did not examine mattered to (for
/// `Walk::report_gaps`): a pipeline file, or a folder that may hold them.
pub fn gap_checks(relative: &str) -> Vec<&'static str> {
    let r = relative.trim_end_matches('/');
    if wants(r) || r.ends_with(".github") || r.contains(".github/") || r == "." {
        PIPELINE_CHECKS.to_vec()
    } else {
        Vec::new()
    }
}

/// The pipelines of a tree, collected file by file.
#[derive(Default)]
pub struct Pipelines {
    units: BTreeMap<String, Unit>,
    /// GitHub workflow or action files read (for the GHA checks).
    gha_files: usize,
}

/// Where a file's scans are reported, and what it triggers on.
struct Ctx<'a> {
    path: &'a str,
    text: &'a str,
    project: &'a str,
    events: Vec<String>,
    /// Inputs declared as choice, boolean, number or environment: their
    /// values are one of a fixed set, nothing a shell could read as code.
    typed_inputs: BTreeSet<String>,
}

impl Pipelines {
    pub fn new() -> Self {
        Self::default()
    }

    /// Read one file if it is a pipeline file (see [`wants`]); per-file
    /// findings are recorded now. Returns whether the file was one.
    pub fn scan_file(&mut self, relative: &str, text: &str, scan: &mut Scan) -> bool {
        let Some((kind, project)) = classify(relative) else {
            return false;
        };
        let unit = match kind {
            Kind::Other => Some(other_ci(relative, &project, text)),
            _ => match yaml::parse(text) {
                Ok(docs) => {
                    let doc = docs.into_iter().next().unwrap_or(Node {
                        line: 1,
                        origin: 0,
                        value: Value::Map(Vec::new()),
                    });
                    match kind {
                        Kind::Workflow | Kind::Action => {
                            self.gha_files += 1;
                            Some(github(relative, &project, text, &doc, kind, scan))
                        }
                        Kind::GitLab => Some(gitlab(relative, &project, text, &doc)),
                        Kind::Dependabot => Some(dependabot(relative, &project, &doc)),
                        Kind::PreCommit => Some(precommit(relative, &project, text, &doc)),
                        Kind::Other => None,
                    }
                }
                Err(e) => {
                    yaml::record_unread(scan, relative, PIPELINE_CHECKS, &e);
                    scan.diagnostic(
                        Location::target(relative),
                        format!("pipeline file not read: {e}"),
                    );
                    // Still a pipeline file: the tree has CI.
                    Some(Unit::new(relative, kind, &project))
                }
            },
        };
        if let Some(unit) = unit {
            self.units.insert(relative.to_string(), unit);
        }
        true
    }

    /// Whole-tree judgements. `read` returns the text of a file of the
    /// target by its relative path: it is asked for GitLab `include: local`
    /// files and actions that were not handed to [`Pipelines::scan_file`].
    pub fn finish(mut self, scan: &mut Scan, read: &mut dyn FnMut(&str) -> Result<String, String>) {
        self.load_referenced(scan, read);
        let has_gha = self.gha_files > 0;
        for check in GHA_CHECKS {
            if has_gha {
                scan.evaluated(check);
            } else {
                scan.not_checked(check, "no GitHub Actions workflows in the target");
            }
        }
        // Projects: every root that has a pipeline of its own.
        let mut projects: BTreeMap<String, Vec<&Unit>> = BTreeMap::new();
        for unit in self.units.values() {
            if matches!(unit.kind, Kind::Action) {
                continue;
            }
            projects.entry(unit.project.clone()).or_default().push(unit);
        }
        let mut any_pipeline = false;
        let mut any_dependabot = false;
        for (project, units) in &projects {
            let pipelines: Vec<&&Unit> = units
                .iter()
                .filter(|u| {
                    matches!(u.kind, Kind::Workflow | Kind::GitLab | Kind::Other)
                        || runs_on_precommit_ci(u, project, units)
                })
                .collect();
            let dependabot = units.iter().any(|u| u.kind == Kind::Dependabot);
            any_dependabot |= dependabot;
            if pipelines.is_empty() {
                continue;
            }
            any_pipeline = true;
            let occurrences = self.effective(project, units);
            let location = project_location(project, units);
            let remote: BTreeSet<&str> = units
                .iter()
                .flat_map(|u| u.remote.iter().map(String::as_str))
                .collect();
            for category in Category::ALL {
                let found: Vec<&(Occurrence, Vec<String>)> = occurrences
                    .iter()
                    .filter(|(o, _)| o.category == category)
                    .collect();
                if found.is_empty() {
                    let mut message = format!(
                        "no {} step in any of the {} pipeline file(s) of {}",
                        category.label(),
                        pipelines.len(),
                        if project.is_empty() {
                            "the target"
                        } else {
                            project.as_str()
                        }
                    );
                    if !remote.is_empty() {
                        message.push_str(&format!(
                            "; not read (remote): {}",
                            remote.iter().copied().collect::<Vec<_>>().join(", ")
                        ));
                    }
                    if category == Category::Sast && units.iter().any(|u| u.kind == Kind::Workflow)
                    {
                        message.push_str(" (CodeQL \"default setup\" is configured in the repository settings and leaves no file: verify it there)");
                    }
                    scan.finding(category.missing_check(), message)
                        .at(location.clone());
                    continue;
                }
                // On which events: a change (push, PR) at least once?
                let on_changes = found
                    .iter()
                    .any(|(_, ev)| ev.iter().any(|e| is_change_event(e)));
                if !on_changes {
                    let (first, events) = &found[0];
                    let all: BTreeSet<&str> = found
                        .iter()
                        .flat_map(|(_, e)| e.iter().map(String::as_str))
                        .collect();
                    scan.finding(
                        SCAN_NOT_ON_CHANGES,
                        format!(
                            "{} ({}) runs only on: {}; never on push or pull request",
                            category.label(),
                            first.tool,
                            if all.is_empty() {
                                events.join(", ")
                            } else {
                                all.into_iter().collect::<Vec<_>>().join(", ")
                            }
                        ),
                    )
                    .at(Location::target(first.path.clone()).line(first.line));
                }
            }
            // Decorative scans, each where it is. A scan that runs only on
            // a schedule or by hand gates nothing, so whether it could fail
            // the build does not matter (not running on changes is the
            // finding above, when no other scan does).
            let mut seen = BTreeSet::new();
            for (o, events) in &occurrences {
                if let Some(why) = &o.decorative
                    && events.iter().any(|e| is_change_event(e))
                    && seen.insert((o.path.clone(), o.line, o.tool.clone()))
                {
                    scan.finding(
                        SCAN_NON_BLOCKING,
                        format!(
                            "{} ({}) cannot fail the build: {why}",
                            o.tool,
                            o.category.label()
                        ),
                    )
                    .at(Location::target(o.path.clone()).line(o.line))
                    .evidence(format!("runs on: {}", events.join(", ")));
                }
            }
        }
        let reason = "no CI pipeline files in the target (looked for .github/workflows/*.yml, .gitlab-ci.yml, Jenkinsfile, .circleci/config.yml, azure-pipelines.yml and others)";
        for check in [
            SAST_MISSING,
            SCA_MISSING,
            SECRET_SCAN_MISSING,
            SCAN_NON_BLOCKING,
            SCAN_NOT_ON_CHANGES,
        ] {
            if any_pipeline {
                scan.evaluated(check);
            } else if check == SCA_MISSING && any_dependabot {
                // Dependabot alone is SCA, and the only evidence there is.
                scan.evaluated(check);
            } else {
                scan.not_checked(check, reason);
            }
        }
    }

    /// Read the files that calls point at and that were not scanned yet.
    fn load_referenced(
        &mut self,
        scan: &mut Scan,
        read: &mut dyn FnMut(&str) -> Result<String, String>,
    ) {
        let mut tried = BTreeSet::new();
        for _round in 0..4 {
            let wanted: Vec<(String, Kind, String)> = self
                .units
                .values()
                .flat_map(|u| u.calls.iter().map(move |c| (u, c)))
                .filter(|(_, c)| !c.targets.iter().any(|t| self.units.contains_key(t)))
                .flat_map(|(u, c)| {
                    c.targets.iter().map(move |t| {
                        let kind = if t.ends_with("action.yml") || t.ends_with("action.yaml") {
                            Kind::Action
                        } else if u.kind == Kind::GitLab {
                            Kind::GitLab
                        } else if t.ends_with(".pre-commit-config.yaml") {
                            Kind::PreCommit
                        } else {
                            Kind::Workflow
                        };
                        (t.clone(), kind, u.project.clone())
                    })
                })
                .collect();
            let mut progressed = false;
            for (target, kind, project) in wanted {
                if !tried.insert(target.clone()) {
                    continue;
                }
                let Ok(text) = read(&target) else { continue };
                progressed = true;
                let doc = match yaml::parse(&text) {
                    Ok(docs) => docs.into_iter().next().unwrap_or(Node {
                        line: 1,
                        origin: 0,
                        value: Value::Map(Vec::new()),
                    }),
                    Err(e) => {
                        yaml::record_unread(scan, &target, PIPELINE_CHECKS, &e);
                        continue;
                    }
                };
                let unit = match kind {
                    Kind::GitLab => {
                        let mut u = gitlab(&target, &project, &text, &doc);
                        // An included file is not a pipeline of its own.
                        u.kind = Kind::Action;
                        u.events = vec!["workflow_call".into()];
                        u
                    }
                    Kind::PreCommit => precommit(&target, &project, &text, &doc),
                    _ => {
                        self.gha_files += 1;
                        github(&target, &project, &text, &doc, kind, scan)
                    }
                };
                self.units.insert(target, unit);
            }
            if !progressed {
                break;
            }
        }
    }

    /// Every scan that runs for a project, with the events it runs on.
    fn effective(&self, project: &str, units: &[&Unit]) -> Vec<(Occurrence, Vec<String>)> {
        let mut out = Vec::new();
        for unit in units {
            let own: Vec<String> = unit
                .events
                .iter()
                .filter(|e| *e != "workflow_call")
                .cloned()
                .collect();
            let root = match unit.kind {
                Kind::Workflow | Kind::GitLab | Kind::Other | Kind::Dependabot => {
                    // A reusable workflow nobody here calls may be called
                    // from elsewhere: count it on its declared trigger.
                    !own.is_empty() || !self.called_locally(&unit.path)
                }
                Kind::PreCommit => runs_on_precommit_ci(unit, project, units),
                Kind::Action => false,
            };
            if !root {
                continue;
            }
            let events = if own.is_empty() {
                unit.events.clone()
            } else {
                own
            };
            let mut visited = BTreeSet::new();
            self.collect(unit, &events, None, &mut visited, &mut out, 0);
        }
        out
    }

    fn called_locally(&self, path: &str) -> bool {
        self.units
            .values()
            .any(|u| u.calls.iter().any(|c| c.targets.iter().any(|t| t == path)))
    }

    fn collect(
        &self,
        unit: &Unit,
        events: &[String],
        inherited: Option<&String>,
        visited: &mut BTreeSet<String>,
        out: &mut Vec<(Occurrence, Vec<String>)>,
        depth: usize,
    ) {
        if depth > 8 || !visited.insert(unit.path.clone()) {
            return;
        }
        for o in &unit.occurrences {
            let mut o = o.clone();
            if o.decorative.is_none() {
                o.decorative = inherited.cloned();
            }
            let ev = o.events.clone().unwrap_or_else(|| events.to_vec());
            out.push((o, ev));
        }
        for call in &unit.calls {
            if let Some(target) = call.targets.iter().find_map(|t| self.units.get(t)) {
                let why = call.decorative.as_ref().or(inherited);
                self.collect(target, events, why, visited, out, depth + 1);
            }
        }
    }
}

/// Whether pre-commit.ci runs this hook file. It reads the configuration
/// at a repository's root only: a `.pre-commit-config.yaml` with a `ci:`
/// section counts at the target's root, or in a folder that is a project of
/// its own for another reason (its own `.github/`, `.gitlab-ci.yml`, ...). A
/// nested one alone is a vendored copy's leftover (a copied yolov5/ keeps
/// upstream's hooks but not its CI) and runs nowhere, unless a pipeline
/// runs it with `pre-commit run --config`.
fn runs_on_precommit_ci(unit: &Unit, project: &str, units: &[&Unit]) -> bool {
    unit.kind == Kind::PreCommit
        && unit.precommit_ci
        && (project.is_empty()
            || units
                .iter()
                .any(|u| !matches!(u.kind, Kind::PreCommit | Kind::Action)))
}

fn project_location(project: &str, units: &[&Unit]) -> Location {
    if units.iter().any(|u| u.kind == Kind::Workflow) {
        Location::target(format!("{project}.github/workflows"))
    } else {
        let first = units
            .iter()
            .find(|u| matches!(u.kind, Kind::GitLab | Kind::Other | Kind::PreCommit))
            .or(units.first());
        Location::target(
            first
                .map(|u| u.path.clone())
                .unwrap_or_else(|| project.to_string()),
        )
    }
}

fn is_change_event(e: &str) -> bool {
    matches!(
        e,
        "push"
            | "pull_request"
            | "pull_request_target"
            | "merge_group"
            | "merge_request"
            | "workflow_call"
            | "pre-commit.ci"
            | "dependabot"
            | "unknown"
    )
}

/// The first line at or after `from` that contains `needle`.
fn find_line(text: &str, from: u32, needle: &str) -> u32 {
    let needle = needle.trim();
    if needle.is_empty() {
        return from;
    }
    text.lines()
        .enumerate()
        .skip(from.saturating_sub(1) as usize)
        .find(|(_, l)| l.contains(needle))
        .map(|(i, _)| i as u32 + 1)
        .unwrap_or(from)
}

// ---------------------------------------------------------------- GitHub

fn on_events(on: Option<&Node>) -> Vec<String> {
    match on {
        None => Vec::new(),
        Some(n) => match &n.value {
            Value::Scalar(s, _) => vec![s.clone()],
            Value::Seq(items) => items
                .iter()
                .filter_map(|i| i.as_str().map(String::from))
                .collect(),
            Value::Map(entries) => entries
                .iter()
                .filter_map(|(k, _)| k.as_str().map(String::from))
                .collect(),
        },
    }
}

/// `continue-on-error: true` (a literal; an expression may be either).
fn continue_on_error(node: &Node, what: &str) -> Option<String> {
    let v = node.get("continue-on-error")?;
    let on = v.as_bool() == Some(true) || v.as_str() == Some("true");
    on.then(|| format!("{what} has continue-on-error: true"))
}

fn truthy(node: Option<&Node>) -> Option<bool> {
    let n = node?;
    n.as_bool()
        .or_else(|| match n.as_str()?.trim().to_ascii_lowercase().as_str() {
            "true" => Some(true),
            "false" => Some(false),
            _ => None,
        })
}

/// Names of `workflow_dispatch` and `workflow_call` inputs whose type
/// admits no free text.
fn typed_inputs(on: Option<&Node>) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for event in ["workflow_dispatch", "workflow_call"] {
        let Some(inputs) = on.and_then(|o| o.path(&[event, "inputs"])) else {
            continue;
        };
        for (name, decl) in inputs.entries() {
            let ty = decl.get("type").and_then(Node::as_str).unwrap_or("string");
            if matches!(ty, "choice" | "boolean" | "number" | "environment")
                && let Some(name) = name.as_str()
            {
                out.insert(name.to_ascii_lowercase());
            }
        }
    }
    out
}

fn is_full_sha(r: &str) -> bool {
    r.len() == 40 && r.bytes().all(|b| b.is_ascii_hexdigit())
}

fn github(path: &str, project: &str, text: &str, doc: &Node, kind: Kind, scan: &mut Scan) -> Unit {
    // A workflow's own project; an action's is the folder above `.github/`.
    let project = if kind == Kind::Action {
        path.find(".github/")
            .map(|i| &path[..i])
            .unwrap_or(project)
            .to_string()
    } else {
        project.to_string()
    };
    let mut unit = Unit::new(path, kind, &project);
    let events = if kind == Kind::Workflow {
        on_events(doc.get("on"))
    } else {
        vec!["workflow_call".into()]
    };
    unit.events = events.clone();
    let ctx = Ctx {
        path,
        text,
        project: &project,
        events,
        typed_inputs: typed_inputs(doc.get("on")),
    };
    let privileged = ctx
        .events
        .iter()
        .any(|e| e == "pull_request_target" || e == "workflow_run");
    if kind == Kind::Workflow {
        permissions(&ctx, doc, scan);
    }
    let default_shell = doc
        .path(&["defaults", "run", "shell"])
        .and_then(Node::as_str);
    if kind == Kind::Action {
        if let Some(steps) = doc.path(&["runs", "steps"]) {
            // Composite actions must name a shell; bash there is `bash -e`
            // with pipefail.
            run_steps(
                &ctx,
                steps.items(),
                None,
                Some("bash"),
                false,
                &mut unit,
                scan,
            );
        }
        return unit;
    }
    for (jid, job) in doc.get("jobs").map(Node::entries).unwrap_or(&[]) {
        let jid = jid.as_str().unwrap_or("?");
        let job_decor = continue_on_error(job, &format!("job {jid}"));
        if let Some(uses) = job.get("uses").and_then(Node::as_str) {
            let line = job.get("uses").map(|n| n.line).unwrap_or(job.line);
            uses_ref(&ctx, uses, line, scan);
            if let Some(local) = uses.strip_prefix("./") {
                unit.calls.push(Call {
                    targets: vec![format!(
                        "{project}{}",
                        local.split('@').next().unwrap_or(local)
                    )],
                    decorative: job_decor.clone(),
                });
            } else {
                for (category, tool) in tools_in_name(uses) {
                    unit.occurrences.push(Occurrence {
                        category,
                        tool: tool.to_string(),
                        path: path.to_string(),
                        line,
                        decorative: job_decor.clone(),
                        events: None,
                    });
                }
                unit.remote.push(uses.to_string());
            }
        }
        if let Some(p) = job.get("permissions")
            && p.as_str() == Some("write-all")
        {
            scan.finding(
                PERMISSIONS_WRITE_ALL,
                format!("job {jid} grants its token write-all permissions"),
            )
            .at(Location::target(path).line(p.line));
        }
        let shell = job
            .path(&["defaults", "run", "shell"])
            .and_then(Node::as_str)
            .or(default_shell);
        run_steps(
            &ctx,
            job.get("steps").map(Node::items).unwrap_or(&[]),
            job_decor,
            shell,
            privileged,
            &mut unit,
            scan,
        );
    }
    unit
}

fn permissions(ctx: &Ctx, doc: &Node, scan: &mut Scan) {
    // A reusable workflow's token is the caller's.
    if !ctx.events.is_empty() && ctx.events.iter().all(|e| e == "workflow_call") {
        return;
    }
    match doc.get("permissions") {
        Some(p) if p.as_str() == Some("write-all") => {
            scan.finding(
                PERMISSIONS_WRITE_ALL,
                "the workflow grants its token write-all permissions",
            )
            .at(Location::target(ctx.path).line(p.line));
        }
        Some(_) => {}
        None => {
            let jobs = doc.get("jobs").map(Node::entries).unwrap_or(&[]);
            let unset: Vec<&str> = jobs
                .iter()
                .filter(|(_, j)| j.get("permissions").is_none() && j.get("uses").is_none())
                .filter_map(|(k, _)| k.as_str())
                .collect();
            if !unset.is_empty() {
                let line = doc.get("jobs").map(|j| j.line).unwrap_or(1);
                scan.finding(
                    PERMISSIONS_UNSET,
                    format!(
                        "no top-level permissions, and job(s) {} set none: their token gets the repository default",
                        unset.join(", ")
                    ),
                )
                .at(Location::target(ctx.path).line(line.saturating_sub(1).max(1)));
            }
        }
    }
}

fn uses_ref(ctx: &Ctx, uses: &str, line: u32, scan: &mut Scan) {
    let uses = uses.trim();
    if uses.starts_with("./") || uses.starts_with(".\\") {
        return;
    }
    if let Some(image) = uses.strip_prefix("docker://") {
        if !image.contains("@sha256:") {
            scan.finding(
                ACTION_UNPINNED,
                format!("docker action image {image} is not pinned by digest"),
            )
            .at(Location::target(ctx.path).line(line))
            .evidence(format!("uses: {uses}"));
        }
        return;
    }
    let reference = uses.rsplit_once('@').map(|(_, r)| r);
    match reference {
        Some(r) if is_full_sha(r) => {}
        Some(r) => {
            scan.finding(
                ACTION_UNPINNED,
                format!("{uses} is pinned to `{r}`, which can be moved; pin a full commit SHA"),
            )
            .at(Location::target(ctx.path).line(line))
            .evidence(format!("uses: {uses}"));
        }
        None => {
            scan.finding(ACTION_UNPINNED, format!("{uses} has no version at all"))
                .at(Location::target(ctx.path).line(line))
                .evidence(format!("uses: {uses}"));
        }
    }
}

/// Tools named in an action or reusable workflow reference.
fn tools_in_name(uses: &str) -> Vec<(Category, &'static str)> {
    let name = uses.split('@').next().unwrap_or(uses).to_ascii_lowercase();
    let mut out = Vec::new();
    let table: &[(&str, Category, &str)] = &[
        ("codeql", Category::Sast, "CodeQL"),
        ("semgrep", Category::Sast, "semgrep"),
        ("bandit", Category::Sast, "bandit"),
        ("sonarcloud", Category::Sast, "SonarCloud"),
        ("sonarqube", Category::Sast, "SonarQube"),
        ("securego/gosec", Category::Sast, "gosec"),
        ("brakeman", Category::Sast, "brakeman"),
        ("njsscan", Category::Sast, "njsscan"),
        ("pip-audit", Category::Sca, "pip-audit"),
        ("osv-scanner", Category::Sca, "osv-scanner"),
        ("dependency-review", Category::Sca, "dependency-review"),
        ("gitleaks", Category::Secrets, "gitleaks"),
        ("trufflehog", Category::Secrets, "trufflehog"),
        ("detect-secrets", Category::Secrets, "detect-secrets"),
        ("ggshield", Category::Secrets, "ggshield"),
    ];
    for (needle, category, tool) in table {
        if name.contains(needle) && !out.iter().any(|(c, _)| c == category) {
            out.push((*category, *tool));
        }
    }
    out
}

fn with_str<'a>(step: &'a Node, key: &str) -> Option<&'a str> {
    step.path(&["with", key]).and_then(Node::as_str)
}

#[allow(clippy::too_many_arguments)]
fn run_steps(
    ctx: &Ctx,
    steps: &[Node],
    job_decor: Option<String>,
    shell: Option<&str>,
    privileged: bool,
    unit: &mut Unit,
    scan: &mut Scan,
) {
    let mut checked_out_head: Option<u32> = None;
    for (i, step) in steps.iter().enumerate() {
        let decor =
            continue_on_error(step, &format!("step {}", step_name(step, i))).or(job_decor.clone());
        if let Some(uses_node) = step.get("uses") {
            let uses = uses_node.as_str().unwrap_or("").trim();
            let line = uses_node.line;
            uses_ref(ctx, uses, line, scan);
            let name = uses.split('@').next().unwrap_or(uses).to_ascii_lowercase();
            if let Some(local) = uses.strip_prefix("./") {
                let dir = local.trim_end_matches('/');
                unit.calls.push(Call {
                    targets: vec![
                        format!("{}{dir}/action.yml", ctx.project),
                        format!("{}{dir}/action.yaml", ctx.project),
                    ],
                    decorative: decor.clone(),
                });
            } else if name == "pre-commit/action" {
                unit.calls.push(precommit_call(ctx.project, decor.clone()));
            } else {
                for (category, tool, why) in action_scans(&name, step) {
                    unit.occurrences.push(Occurrence {
                        category,
                        tool,
                        path: ctx.path.to_string(),
                        line,
                        decorative: why.or(decor.clone()),
                        events: None,
                    });
                }
            }
            if name == "actions/checkout"
                && privileged
                && let Some(r) = step.path(&["with", "ref"]).and_then(Node::as_str)
                && untrusted_ref(r)
            {
                checked_out_head =
                    Some(step.path(&["with", "ref"]).map(|n| n.line).unwrap_or(line));
            }
            if name == "actions/github-script"
                && let Some(script) = step.path(&["with", "script"])
            {
                injection(ctx, script, scan);
            }
            if let (Some(at), false) = (checked_out_head, name == "actions/checkout") {
                pr_target(ctx, at, true, scan);
                checked_out_head = None;
            }
        }
        if let Some(run) = step.get("run") {
            let Some(script) = run.as_str() else { continue };
            injection(ctx, run, scan);
            let shell = step.get("shell").and_then(Node::as_str).or(shell);
            // GitHub runs an unnamed shell as `bash -e {0}` (no pipefail);
            // `shell: bash` adds `-o pipefail`.
            let pipefail = matches!(shell, Some("bash") | Some("pwsh") | Some("powershell"));
            if privileged {
                let l = script.to_ascii_lowercase();
                if l.contains("gh pr checkout")
                    || (l.contains("git fetch") && l.contains("pull/"))
                    || (l.contains("git checkout") && untrusted_ref(script))
                {
                    checked_out_head = Some(run.line);
                } else if let Some(at) = checked_out_head.take() {
                    pr_target(ctx, at, true, scan);
                }
            }
            let analysis = analyse_script(script, pipefail);
            for t in analysis.runs {
                let line = find_line(ctx.text, run.line, &t.first_line);
                unit.occurrences.push(Occurrence {
                    category: t.category,
                    tool: t.tool,
                    path: ctx.path.to_string(),
                    line,
                    decorative: t.decorative.or(decor.clone()),
                    events: None,
                });
            }
            if analysis.precommit {
                unit.calls.push(precommit_call(ctx.project, decor.clone()));
            }
        }
    }
    if let Some(at) = checked_out_head {
        pr_target(ctx, at, false, scan);
    }
}

fn step_name(step: &Node, i: usize) -> String {
    step.get("name")
        .or(step.get("id"))
        .and_then(Node::as_str)
        .map(|s| format!("\"{s}\""))
        .unwrap_or_else(|| format!("#{}", i + 1))
}

fn precommit_call(project: &str, decorative: Option<String>) -> Call {
    Call {
        targets: vec![
            format!("{project}.pre-commit-config.yaml"),
            format!("{project}.pre-commit-config.yml"),
        ],
        decorative,
    }
}

fn untrusted_ref(r: &str) -> bool {
    let r = r.to_ascii_lowercase();
    [
        "github.event.pull_request.head",
        "github.head_ref",
        "github.event.workflow_run.head",
        "refs/pull/",
        "pull_request.number",
        "github.event.number",
        "/merge",
    ]
    .iter()
    .any(|n| r.contains(n))
}

fn pr_target(ctx: &Ctx, line: u32, runs_after: bool, scan: &mut Scan) {
    let trigger = if ctx.events.iter().any(|e| e == "pull_request_target") {
        "pull_request_target"
    } else {
        "workflow_run"
    };
    let f = scan.finding(
        PR_TARGET_CHECKOUT,
        format!(
            "a {trigger} workflow checks out the pull request's head{}",
            if runs_after {
                " and then runs steps on it, with the base repository's secrets and token"
            } else {
                ""
            }
        ),
    );
    f.at(Location::target(ctx.path).line(line));
    if runs_after {
        f.severity(Severity::Critical);
    }
}

/// Scans an action runs, and why one cannot fail the build.
fn action_scans(name: &str, step: &Node) -> Vec<(Category, String, Option<String>)> {
    let mut out = Vec::new();
    let input = |k: &str| with_str(step, k).map(|s| s.trim().to_ascii_lowercase());
    if name.starts_with("aquasecurity/trivy-action") {
        let kind = input("scan-type").unwrap_or_else(|| "image".into());
        if matches!(
            kind.as_str(),
            "fs" | "repo" | "filesystem" | "repository" | "rootfs"
        ) {
            let exit = input("exit-code").unwrap_or_else(|| "0".into());
            let why = (exit.trim_matches('\'') == "0").then(|| {
                "trivy-action without a non-zero exit-code input reports and exits 0".to_string()
            });
            out.push((Category::Sca, "trivy fs".to_string(), why.clone()));
            if input("scanners").is_some_and(|s| s.contains("secret")) {
                out.push((Category::Secrets, "trivy fs".to_string(), why));
            }
        }
        return out;
    }
    if name.starts_with("snyk/actions") {
        let command = input("command").unwrap_or_default();
        let cat = if command.contains("code") {
            Category::Sast
        } else {
            Category::Sca
        };
        out.push((cat, "snyk".to_string(), None));
        return out;
    }
    if name.starts_with("actions/dependency-review-action") {
        let why = truthy(step.path(&["with", "warn-only"]))
            .unwrap_or(false)
            .then(|| "dependency-review-action has warn-only: true".to_string());
        out.push((Category::Sca, "dependency-review".to_string(), why));
        return out;
    }
    if name.starts_with("google/osv-scanner") {
        let why = (truthy(step.path(&["with", "fail-on-vuln"])) == Some(false))
            .then(|| "osv-scanner has fail-on-vuln: false".to_string());
        out.push((Category::Sca, "osv-scanner".to_string(), why));
        return out;
    }
    if name.starts_with("github/codeql-action/") {
        if name.ends_with("/analyze") || name.ends_with("/init") {
            out.push((Category::Sast, "CodeQL".to_string(), None));
        }
        return out;
    }
    for (category, tool) in tools_in_name(name) {
        out.push((category, tool.to_string(), None));
    }
    out
}

/// Attacker-controllable expressions in a script.
fn injection(ctx: &Ctx, script: &Node, scan: &mut Scan) {
    let Some(text) = script.as_str() else { return };
    let mut rest = text;
    let mut reported = BTreeSet::new();
    while let Some(start) = rest.find("${{") {
        let after = &rest[start + 3..];
        let Some(end) = after.find("}}") else { break };
        let expr = after[..end].trim();
        for context in dangerous_contexts(expr) {
            let input = context.to_ascii_lowercase();
            let input = input.strip_prefix("github.event.inputs.").unwrap_or("");
            if ctx.typed_inputs.contains(input) {
                continue;
            }
            if reported.insert(context.clone()) {
                let line = find_line(ctx.text, script.line, &format!("${{{{{}", &after[..end]));
                let line = if line == script.line {
                    find_line(ctx.text, script.line, &context)
                } else {
                    line
                };
                let f = scan.finding(
                    SCRIPT_INJECTION,
                    format!(
                        "`${{{{ {expr} }}}}` is expanded into the script text{}",
                        if ctx.events.iter().any(|e| matches!(
                            e.as_str(),
                            "pull_request_target"
                                | "issue_comment"
                                | "issues"
                                | "workflow_run"
                                | "discussion"
                                | "discussion_comment"
                                | "pull_request_review"
                                | "pull_request_review_comment"
                        )) {
                            format!(" of a workflow triggered by {}", ctx.events.join(", "))
                        } else {
                            String::new()
                        }
                    ),
                );
                f.at(Location::target(ctx.path).line(line))
                    .evidence(context.clone());
            }
        }
        rest = &after[end + 2..];
    }
}

/// Context paths in an expression an outsider can choose.
fn dangerous_contexts(expr: &str) -> Vec<String> {
    let mut out = Vec::new();
    let bytes = expr.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if c.is_ascii_alphabetic()
            && (i == 0
                || !(bytes[i - 1].is_ascii_alphanumeric()
                    || bytes[i - 1] == b'_'
                    || bytes[i - 1] == b'.'))
        {
            let start = i;
            while i < bytes.len()
                && (bytes[i].is_ascii_alphanumeric()
                    || matches!(bytes[i], b'_' | b'.' | b'-' | b'*' | b'[' | b']' | b'\''))
            {
                i += 1;
            }
            let path = &expr[start..i];
            let lower = path.to_ascii_lowercase();
            let dangerous = if lower == "github.head_ref" {
                true
            } else if let Some(rest) = lower.strip_prefix("github.event.") {
                !safe_event_path(rest)
            } else {
                false
            };
            if dangerous {
                out.push(path.to_string());
            }
        } else {
            i += 1;
        }
    }
    out
}

fn safe_event_path(rest: &str) -> bool {
    // The base of a pull request (its branch, repository, sha) is the
    // target repository's own, named by its maintainers; only the head
    // side and the free text come from the pull request's author.
    if rest.starts_with("repository.")
        || rest.starts_with("organization.")
        || rest == "repository"
        || rest.starts_with("pull_request.base.")
    {
        return true;
    }
    let last = rest.rsplit('.').next().unwrap_or(rest);
    matches!(
        last,
        "number"
            | "id"
            | "sha"
            | "head_sha"
            | "base_sha"
            | "before"
            | "after"
            | "merged"
            | "draft"
            | "size"
            | "additions"
            | "deletions"
            | "changed_files"
            | "commits"
            | "comments"
            | "run_number"
            | "run_attempt"
            | "run_id"
            | "created_at"
            | "updated_at"
            | "merged_at"
            | "closed_at"
            | "forced"
            | "deleted"
            | "created"
            | "private"
            | "fork"
            | "state"
            | "action"
            | "node_id"
            // GitHub logins are [A-Za-z0-9-] only: nothing a shell reads.
            | "login"
            | "check_suite_id"
            | "workflow_id"
            | "conclusion"
            | "status"
            | "event"
            | "html_url"
            | "url"
            | "type"
            | "locked"
            | "mergeable"
            | "rebaseable"
    ) && !rest.starts_with("inputs.")
        && !rest.starts_with("client_payload.")
}

// ---------------------------------------------------------------- scripts

/// A scanner run in a script.
#[derive(Debug)]
struct ToolRun {
    category: Category,
    tool: String,
    first_line: String,
    decorative: Option<String>,
}

#[derive(Debug, Default)]
struct Script {
    runs: Vec<ToolRun>,
    precommit: bool,
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Word(String),
    Op(&'static str),
}

/// Shell words and control operators of one logical line.
fn tokenize(line: &str) -> Vec<Tok> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = line.chars().peekable();
    let flush = |word: &mut String, in_word: &mut bool, out: &mut Vec<Tok>| {
        if *in_word {
            out.push(Tok::Word(std::mem::take(word)));
            *in_word = false;
        }
    };
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                for d in chars.by_ref() {
                    if d == '\'' {
                        break;
                    }
                    word.push(d);
                }
            }
            '"' => {
                in_word = true;
                while let Some(d) = chars.next() {
                    match d {
                        '"' => break,
                        '\\' => {
                            if let Some(e) = chars.next() {
                                word.push(e);
                            }
                        }
                        _ => word.push(d),
                    }
                }
            }
            '\\' => {
                in_word = true;
                if let Some(e) = chars.next() {
                    word.push(e);
                }
            }
            '#' if !in_word => break,
            ' ' | '\t' | '\r' => flush(&mut word, &mut in_word, &mut out),
            '|' | '&' | ';' | '(' | ')' => {
                flush(&mut word, &mut in_word, &mut out);
                let op = match (c, chars.peek()) {
                    ('|', Some('|')) => {
                        chars.next();
                        "||"
                    }
                    ('&', Some('&')) => {
                        chars.next();
                        "&&"
                    }
                    ('|', _) => "|",
                    ('&', Some('>')) => {
                        // `&>file` redirection: part of the command.
                        in_word = true;
                        word.push('&');
                        continue;
                    }
                    ('&', _) => "&",
                    (';', _) => ";",
                    _ => ";",
                };
                out.push(Tok::Op(op));
            }
            '>' | '<' if !in_word => {
                in_word = true;
                word.push(c);
            }
            _ => {
                in_word = true;
                word.push(c);
            }
        }
    }
    flush(&mut word, &mut in_word, &mut out);
    out
}

/// Scanners run by a shell script, and whether each can fail the step.
fn analyse_script(script: &str, pipefail_default: bool) -> Script {
    let mut result = Script::default();
    let mut errexit_off = false;
    let mut pipefail = pipefail_default;
    let mut logical = String::new();
    let mut first = String::new();
    let lines: Vec<&str> = script.lines().collect();
    let mut all_text = script.to_ascii_lowercase();
    all_text.push('\n');
    for (i, raw) in lines.iter().enumerate() {
        if logical.is_empty() {
            first = raw.trim().to_string();
        }
        let trimmed = raw.trim_end();
        if let Some(cont) = trimmed.strip_suffix('\\') {
            logical.push_str(cont);
            logical.push(' ');
            if i + 1 < lines.len() {
                continue;
            }
        } else {
            logical.push_str(trimmed);
        }
        let toks = tokenize(&logical);
        logical.clear();
        // Split into commands with the operator that follows each.
        let mut cmds: Vec<(Vec<String>, Option<&'static str>)> = Vec::new();
        let mut cur = Vec::new();
        for t in toks {
            match t {
                Tok::Word(w) => cur.push(w),
                Tok::Op(op) => {
                    cmds.push((std::mem::take(&mut cur), Some(op)));
                }
            }
        }
        cmds.push((cur, None));
        for (ci, (words, _)) in cmds.iter().enumerate() {
            let words: Vec<&str> = words.iter().map(String::as_str).collect();
            if words.first() == Some(&"set") {
                for w in &words[1..] {
                    if w.starts_with('+') && w.contains('e') {
                        errexit_off = true;
                    }
                    if w.starts_with('-') && !w.starts_with("--") && w.contains('e') {
                        errexit_off = false;
                    }
                }
                if words
                    .windows(2)
                    .any(|p| p[1] == "pipefail" && p[0].starts_with('-'))
                {
                    pipefail = true;
                }
                continue;
            }
            let Some(found) = identify(&words) else {
                continue;
            };
            if found.precommit {
                result.precommit = true;
                continue;
            }
            // What follows it: a pipe, and an `||` fallback.
            let mut piped = false;
            let mut fallback: Option<String> = None;
            let mut j = ci;
            while j < cmds.len() {
                match cmds[j].1 {
                    Some("|") => {
                        if j == ci {
                            piped = true;
                        }
                        j += 1;
                    }
                    Some("&&") => j += 1,
                    Some("||") => {
                        let next = cmds.get(j + 1).map(|c| c.0.join(" ")).unwrap_or_default();
                        let fails = {
                            let n = next.trim();
                            n == "false"
                                || n == "exit"
                                || (n.starts_with("exit ") && n != "exit 0")
                                || n.starts_with("return 1")
                        };
                        if !fails {
                            fallback = Some(next);
                        }
                        break;
                    }
                    _ => break,
                }
            }
            let decorative = if let Some(f) = fallback {
                Some(format!(
                    "`|| {}` swallows its exit status",
                    if f.is_empty() { "true".into() } else { f }
                ))
            } else if piped && !pipefail {
                Some("its output is piped, and without `shell: bash` (pipefail) the pipe's status is that of the last command".into())
            } else if errexit_off {
                Some(
                    "`set +e` earlier in the script lets the step continue past its failure".into(),
                )
            } else {
                found.decorative
            };
            for category in found.categories {
                let decorative =
                    if found.tool == "detect-secrets" && all_text.contains("detect-secrets-hook") {
                        None
                    } else {
                        decorative.clone()
                    };
                result.runs.push(ToolRun {
                    category,
                    tool: found.tool.clone(),
                    first_line: first.clone(),
                    decorative,
                });
            }
        }
    }
    result
}

struct Identified {
    tool: String,
    categories: Vec<Category>,
    decorative: Option<String>,
    precommit: bool,
}

fn option_value<'a>(words: &[&'a str], name: &str) -> Option<&'a str> {
    for (i, w) in words.iter().enumerate() {
        if *w == name {
            return words.get(i + 1).copied();
        }
        if let Some(v) = w.strip_prefix(name).and_then(|r| r.strip_prefix('=')) {
            return Some(v);
        }
    }
    None
}

const IMAGES: &[(&str, &str)] = &[
    ("semgrep", "semgrep"),
    ("gitleaks", "gitleaks"),
    ("trufflehog", "trufflehog"),
    ("aquasec/trivy", "trivy"),
    ("osv-scanner", "osv-scanner"),
    ("bandit", "bandit"),
    ("pip-audit", "pip-audit"),
];

/// The scanner a simple command runs, if any.
fn identify(words: &[&str]) -> Option<Identified> {
    let mut w: Vec<&str> = words.to_vec();
    // Strip assignments and wrappers.
    loop {
        let first = w.first().copied()?;
        if first.contains('=') && !first.starts_with('-') && !first.starts_with('=') {
            w.remove(0);
            continue;
        }
        match first {
            "sudo" | "env" | "time" | "nice" | "exec" | "command" | "nohup" | "uvx" | "npx"
            | "pipx" => {
                w.remove(0);
                if first == "pipx" && w.first() == Some(&"run") {
                    w.remove(0);
                }
                while w.first().is_some_and(|x| x.starts_with('-')) {
                    w.remove(0);
                }
                continue;
            }
            "uv" | "poetry" | "pdm" | "hatch" | "pipenv" | "rye" if w.get(1) == Some(&"run") => {
                w.drain(..2);
                while w.first().is_some_and(|x| x.starts_with('-')) {
                    w.remove(0);
                }
                continue;
            }
            _ => {}
        }
        if first.starts_with("python") && w.get(1) == Some(&"-m") {
            w.drain(..2);
            continue;
        }
        if (first == "docker" || first == "podman") && w.get(1) == Some(&"run") {
            let pos = w.iter().position(|x| {
                let x = x.to_ascii_lowercase();
                !x.starts_with('-') && IMAGES.iter().any(|(img, _)| x.contains(img))
            })?;
            let image = w[pos].to_ascii_lowercase();
            let tool = IMAGES
                .iter()
                .find(|(img, _)| image.contains(img))
                .map(|(_, t)| *t)?;
            let mut rest: Vec<&str> = w[pos + 1..].to_vec();
            if rest.first() != Some(&tool) {
                rest.insert(0, tool);
            }
            w = rest;
            continue;
        }
        break;
    }
    let tool = w[0].rsplit('/').next().unwrap_or(w[0]);
    let args = &w[1..];
    let has = |f: &str| {
        args.iter()
            .any(|a| *a == f || a.starts_with(&format!("{f}=")))
    };
    if has("--version") || has("--help") || has("-h") || args.first() == Some(&"version") {
        return None;
    }
    let sub = args.first().copied().unwrap_or("");
    let id = |tool: &str, categories: Vec<Category>, decorative: Option<String>| {
        Some(Identified {
            tool: tool.to_string(),
            categories,
            decorative,
            precommit: false,
        })
    };
    match tool {
        "pre-commit" | "prek" if sub == "run" => Some(Identified {
            tool: "pre-commit".into(),
            categories: Vec::new(),
            decorative: None,
            precommit: true,
        }),
        "semgrep" => match sub {
            "ci" => id("semgrep", vec![Category::Sast], None),
            "login" | "logout" | "install-semgrep-pro" | "publish" | "show" | "lsp" | "mcp" => None,
            _ => id(
                "semgrep",
                vec![Category::Sast],
                (!has("--error")).then(|| "`semgrep scan` exits 0 on findings unless given --error".to_string()),
            ),
        },
        "bandit" => id("bandit", vec![Category::Sast], has("--exit-zero").then(|| "bandit --exit-zero".to_string())),
        "gosec" => id(
            "gosec",
            vec![Category::Sast],
            (has("-no-fail") || has("--no-fail")).then(|| "gosec -no-fail".to_string()),
        ),
        "brakeman" => id("brakeman", vec![Category::Sast], has("--no-exit-on-warn").then(|| "brakeman --no-exit-on-warn".to_string())),
        "njsscan" => id("njsscan", vec![Category::Sast], None),
        "codeql" if sub == "database" && args.get(1) == Some(&"analyze") => id("CodeQL", vec![Category::Sast], None),
        "sonar-scanner" | "pysonar" => id("SonarQube", vec![Category::Sast], None),
        "snyk" if sub == "code" => id("snyk code", vec![Category::Sast], None),
        "snyk" if sub == "test" => id("snyk", vec![Category::Sca], None),
        "pip-audit" => id("pip-audit", vec![Category::Sca], None),
        "osv-scanner" => id("osv-scanner", vec![Category::Sca], None),
        "safety" if matches!(sub, "check" | "scan") => id(
            "safety",
            vec![Category::Sca],
            has("--continue-on-error").then(|| "safety --continue-on-error".to_string()),
        ),
        "trivy" if matches!(sub, "fs" | "filesystem" | "repo" | "repository" | "rootfs") => {
            let exit = option_value(args, "--exit-code").unwrap_or("0");
            let why = (exit == "0").then(|| "trivy exits 0 on findings unless given --exit-code 1".to_string());
            let scanners = option_value(args, "--scanners").or(option_value(args, "--security-checks"));
            let mut cats = Vec::new();
            if scanners.is_none_or(|s| s.contains("vuln")) {
                cats.push(Category::Sca);
            }
            // trivy fs scans for secrets too by default (vuln,secret).
            if scanners.is_none_or(|s| s.contains("secret")) {
                cats.push(Category::Secrets);
            }
            id("trivy fs", cats, why)
        }
        "npm" | "yarn" | "pnpm" if sub == "audit" => id(&format!("{tool} audit"), vec![Category::Sca], None),
        "cargo" if matches!(sub, "audit" | "deny") => id(&format!("cargo {sub}"), vec![Category::Sca], None),
        "govulncheck" | "bundle-audit" | "bundler-audit" | "dependency-check" | "dependency-check.sh" => {
            id(tool, vec![Category::Sca], None)
        }
        "gitleaks" => id(
            "gitleaks",
            vec![Category::Secrets],
            (option_value(args, "--exit-code") == Some("0")).then(|| "gitleaks --exit-code 0".to_string()),
        ),
        "trufflehog" if !matches!(sub, "") => id(
            "trufflehog",
            vec![Category::Secrets],
            (!has("--fail")).then(|| "trufflehog exits 0 on findings unless given --fail".to_string()),
        ),
        "detect-secrets-hook" => id("detect-secrets", vec![Category::Secrets], None),
        "detect-secrets" if sub == "scan" => id(
            "detect-secrets",
            vec![Category::Secrets],
            Some("`detect-secrets scan` writes a baseline and exits 0 whatever it finds (use detect-secrets-hook --baseline)".to_string()),
        ),
        "detect-secrets" if sub == "audit" => id("detect-secrets", vec![Category::Secrets], None),
        // aicomply's embedded code plugin scans for secrets; it checks
        // dependencies against a full database only with an OSV root
        // (without one it knows a curated handful, which is not SCA).
        "aicomply" if sub == "run" && !has("--no-embedded") => {
            let mut cats = vec![Category::Secrets];
            let roots = args.iter().zip(args.iter().skip(1));
            if roots.clone().any(|(flag, v)| *flag == "--root" && v.starts_with("osv="))
                || args.iter().any(|a| a.starts_with("--root=osv="))
            {
                cats.push(Category::Sca);
            }
            let fail_on = option_value(args, "--fail-on");
            id(
                "aicomply",
                cats,
                (fail_on == Some("none")).then(|| "aicomply run --fail-on none exits 0 whatever it finds".to_string()),
            )
        }
        _ => None,
    }
}

// ---------------------------------------------------------------- GitLab

const GITLAB_KEYWORDS: &[&str] = &[
    "stages",
    "variables",
    "include",
    "default",
    "workflow",
    "image",
    "services",
    "before_script",
    "after_script",
    "cache",
    "types",
];

fn gitlab(path: &str, project: &str, text: &str, doc: &Node) -> Unit {
    let mut unit = Unit::new(path, Kind::GitLab, project);
    unit.events = vec!["push".into(), "merge_request".into()];
    // include: string, list of strings or of maps.
    if let Some(include) = doc.get("include") {
        let items: Vec<&Node> = match &include.value {
            Value::Seq(items) => items.iter().collect(),
            _ => vec![include],
        };
        for item in items {
            let (kind, value) = match (&item.value, item.as_str()) {
                (_, Some(s)) if s.starts_with("http") => ("remote", s.to_string()),
                (_, Some(s)) => ("local", s.to_string()),
                (Value::Map(_), None) => {
                    let mut found = ("", String::new());
                    for k in ["local", "template", "component", "remote", "project"] {
                        if let Some(v) = item.get(k).and_then(Node::as_str) {
                            let v = if k == "project" {
                                format!(
                                    "{v}:{}",
                                    item.get("file")
                                        .map(|f| f.strings().join(","))
                                        .unwrap_or_default()
                                )
                            } else {
                                v.to_string()
                            };
                            found = (k, v);
                            break;
                        }
                    }
                    found
                }
                _ => continue,
            };
            match kind {
                "local" => unit.calls.push(Call {
                    targets: vec![format!("{project}{}", value.trim_start_matches('/'))],
                    decorative: None,
                }),
                "template" | "component" => {
                    let l = value.to_ascii_lowercase();
                    let mut add = |category, tool: &str| {
                        unit.occurrences.push(Occurrence {
                            category,
                            tool: tool.to_string(),
                            path: path.to_string(),
                            line: find_line(text, item.line, &value),
                            decorative: None,
                            events: None,
                        })
                    };
                    let auto = l.contains("auto-devops");
                    if (l.contains("sast") && !l.contains("sast-iac")) || auto {
                        add(Category::Sast, "GitLab SAST");
                    }
                    if l.contains("dependency-scanning")
                        || l.contains("dependency_scanning")
                        || auto
                    {
                        add(Category::Sca, "GitLab Dependency Scanning");
                    }
                    if l.contains("secret-detection") || l.contains("secret_detection") || auto {
                        add(Category::Secrets, "GitLab Secret Detection");
                    }
                }
                "" => {}
                _ => unit.remote.push(value),
            }
        }
    }
    let jobs: BTreeMap<&str, &Node> = doc
        .entries()
        .iter()
        .filter_map(|(k, v)| Some((k.as_str()?, v)))
        .filter(|(k, v)| !GITLAB_KEYWORDS.contains(k) && matches!(v.value, Value::Map(_)))
        .collect();
    for (name, job) in &jobs {
        if name.starts_with('.') {
            continue; // hidden template job
        }
        let decor = match job.get("allow_failure") {
            Some(a) if a.as_bool() == Some(true) => {
                Some(format!("job {name} has allow_failure: true"))
            }
            Some(a) if matches!(a.value, Value::Map(_)) => {
                Some(format!("job {name} allows failure on some exit codes"))
            }
            _ => None,
        };
        let events = gitlab_events(job);
        // Scripts, following `extends` for jobs that do not set their own.
        let mut scripts: Vec<&Node> = Vec::new();
        let mut chain = vec![*job];
        let mut cur = *job;
        for _ in 0..8 {
            let Some(parent) = cur
                .get("extends")
                .and_then(|e| e.strings().first().copied())
            else {
                break;
            };
            let Some(p) = jobs.get(parent) else { break };
            chain.push(p);
            cur = p;
        }
        for key in ["before_script", "script", "after_script"] {
            if let Some(n) = chain.iter().find_map(|j| j.get(key)) {
                scripts.push(n);
            }
        }
        if let Some(t) = job.path(&["trigger", "include"]) {
            for s in t.strings() {
                unit.calls.push(Call {
                    targets: vec![format!("{project}{}", s.trim_start_matches('/'))],
                    decorative: decor.clone(),
                });
            }
        }
        for node in scripts {
            for (line, script) in script_lines(node) {
                let analysis = analyse_script(&script, false);
                for t in analysis.runs {
                    unit.occurrences.push(Occurrence {
                        category: t.category,
                        tool: t.tool,
                        path: path.to_string(),
                        line: find_line(text, line, &t.first_line),
                        decorative: t.decorative.or(decor.clone()),
                        events: Some(events.clone()),
                    });
                }
                if analysis.precommit {
                    unit.calls.push(precommit_call(project, decor.clone()));
                }
            }
        }
    }
    unit
}

fn gitlab_events(job: &Node) -> Vec<String> {
    if let Some(only) = job.get("only") {
        let refs = match only.get("refs") {
            Some(r) => r.strings(),
            None => only.strings(),
        };
        if !refs.is_empty()
            && refs
                .iter()
                .all(|r| matches!(*r, "schedules" | "web" | "triggers" | "api" | "pipelines"))
        {
            return refs.iter().map(|r| r.to_string()).collect();
        }
    }
    if let Some(rules) = job.get("rules") {
        let ifs: Vec<&str> = rules
            .items()
            .iter()
            .filter_map(|r| r.get("if").and_then(Node::as_str))
            .collect();
        if !ifs.is_empty()
            && rules.items().len() == ifs.len()
            && ifs.iter().all(|i| {
                i.contains("CI_PIPELINE_SOURCE")
                    && (i.contains("\"schedule\"")
                        || i.contains("'schedule'")
                        || i.contains("\"web\""))
            })
        {
            return vec!["schedule".into()];
        }
    }
    vec!["push".into(), "merge_request".into()]
}

/// A script node's lines (string or list of strings, nested lists too).
fn script_lines(node: &Node) -> Vec<(u32, String)> {
    match &node.value {
        Value::Scalar(s, _) => vec![(node.line, s.clone())],
        Value::Seq(items) => items.iter().flat_map(script_lines).collect(),
        Value::Map(_) => Vec::new(),
    }
}

// ---------------------------------------------------------------- others

fn dependabot(path: &str, project: &str, doc: &Node) -> Unit {
    let mut unit = Unit::new(path, Kind::Dependabot, project);
    unit.events = vec!["dependabot".into()];
    let updates = doc.get("updates").map(Node::items).unwrap_or(&[]);
    let ecosystems: Vec<&str> = updates
        .iter()
        .filter_map(|u| u.get("package-ecosystem").and_then(Node::as_str))
        .collect();
    if !ecosystems.is_empty() {
        unit.occurrences.push(Occurrence {
            category: Category::Sca,
            tool: format!("Dependabot ({})", ecosystems.join(", ")),
            path: path.to_string(),
            line: doc.get("updates").map(|n| n.line).unwrap_or(1),
            decorative: None,
            events: None,
        });
    }
    unit
}

fn precommit(path: &str, project: &str, text: &str, doc: &Node) -> Unit {
    let mut unit = Unit::new(path, Kind::PreCommit, project);
    // A `ci:` section means pre-commit.ci runs the hooks on pull requests.
    unit.precommit_ci = doc.get("ci").is_some();
    let skipped: Vec<&str> = doc
        .path(&["ci", "skip"])
        .map(Node::strings)
        .unwrap_or_default();
    unit.events = vec!["pre-commit.ci".into()];
    for repo in doc.get("repos").map(Node::items).unwrap_or(&[]) {
        let url = repo.get("repo").and_then(Node::as_str).unwrap_or("");
        for hook in repo.get("hooks").map(Node::items).unwrap_or(&[]) {
            let Some(id) = hook.get("id").and_then(Node::as_str) else {
                continue;
            };
            let name = format!("{url} {id}");
            let mut found = tools_in_name(&name);
            if id == "trivy" || id.starts_with("trivy-fs") {
                found.push((Category::Sca, "trivy"));
            }
            for (category, tool) in found {
                let decorative = (unit.precommit_ci && skipped.contains(&id))
                    .then(|| format!("pre-commit.ci skips hook {id}"));
                unit.occurrences.push(Occurrence {
                    category,
                    tool: format!("{tool} (pre-commit hook)"),
                    path: path.to_string(),
                    line: find_line(text, hook.line, id),
                    decorative,
                    events: None,
                });
            }
        }
    }
    unit
}

/// Jenkinsfile, CircleCI and others: the same commands, line by line.
fn other_ci(path: &str, project: &str, text: &str) -> Unit {
    let mut unit = Unit::new(path, Kind::Other, project);
    unit.events = vec!["unknown".into()];
    for (i, line) in text.lines().enumerate() {
        let l = line.trim();
        if l.starts_with("//") || l.starts_with('#') {
            continue;
        }
        // `sh 'cmd'` / `- run: cmd` / `script: cmd`: the command part.
        let cmd = l
            .trim_start_matches("- ")
            .trim_start_matches("sh ")
            .trim_start_matches("run:")
            .trim_start_matches("script:")
            .trim_start_matches("command:")
            .trim()
            .trim_matches(|c| c == '\'' || c == '"');
        let analysis = analyse_script(cmd, false);
        for t in analysis.runs {
            unit.occurrences.push(Occurrence {
                category: t.category,
                tool: t.tool,
                path: path.to_string(),
                line: i as u32 + 1,
                decorative: t
                    .decorative
                    .filter(|d| d.contains("||") || d.contains("--") || d.contains("exits 0")),
                events: None,
            });
        }
    }
    unit
}

#[cfg(test)]
mod tests;
