//! CONT-3: CI pipelines that build or push container images must scan
//! them. Reads GitHub Actions workflows and GitLab CI files as text lines
//! (steps' `run:` and `uses:`), which is what decides what runs.

use aicomply_sdk::{Location, Scan};

use crate::checks;

pub fn is_ci(path: &str) -> bool {
    let p = path.to_ascii_lowercase();
    (p.contains(".github/workflows/") && (p.ends_with(".yml") || p.ends_with(".yaml")))
        || p.ends_with(".gitlab-ci.yml")
}

const BUILDS: &[&str] = &[
    "docker build",
    "docker buildx build",
    "docker push",
    "docker/build-push-action",
    "buildah bud",
    "buildah build",
    "kaniko",
    "podman build",
    "docker compose build",
    "ko build",
    "jib",
];
const SCANS: &[&str] = &[
    "trivy",
    "grype",
    "anchore/scan-action",
    "docker scout",
    "docker/scout-action",
    "snyk container",
    "snyk/actions/docker",
    "clair",
    "neuvector",
    "prisma",
    "twistcli",
    "wiz",
    "sysdig",
];

/// Whether `line` holds `command` as whole words: `docker build` is not
/// in `docker builder prune` nor in `docker buildx` (without `build`).
fn has_command(line: &str, command: &str) -> bool {
    line.match_indices(command).any(|(at, _)| {
        let before = line[..at].chars().next_back();
        let after = line[at + command.len()..].chars().next();
        !before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            && !after.is_some_and(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    })
}

/// What one CI file does with images.
#[derive(Debug, Default)]
pub struct Pipeline {
    pub path: String,
    /// The first line that builds or pushes an image.
    pub builds: Option<u32>,
    pub scans: bool,
    /// Runs on a schedule or after other workflows (`schedule:`,
    /// `workflow_run:`): a scan here is for the images others build.
    pub separate: bool,
}

/// Read one CI file.
pub fn read(path: &str, text: &str) -> Pipeline {
    let mut p = Pipeline {
        path: path.to_string(),
        ..Pipeline::default()
    };
    for (i, line) in text.lines().enumerate() {
        let l = line.trim().to_ascii_lowercase();
        if l.starts_with('#') {
            continue;
        }
        // A step's name builds nothing ("Set up Docker Buildx").
        let is_name = l.trim_start_matches("- ").starts_with("name:");
        if p.builds.is_none() && !is_name && BUILDS.iter().any(|b| has_command(&l, b)) {
            p.builds = Some(i as u32 + 1);
        }
        if SCANS.iter().any(|s| l.contains(s)) {
            p.scans = true;
        }
        if l.starts_with("schedule:") || l.starts_with("workflow_run:") {
            p.separate = true;
        }
    }
    p
}

/// Judge the pipelines together: a build is scanned by a scan in its own
/// file, or by a separate (scheduled or chained) scanning workflow.
/// Returns how many pipelines build images: with none, CONT-3 has nothing
/// to judge.
pub fn judge(pipelines: &[Pipeline], scan: &mut Scan) -> usize {
    let scanned_elsewhere = pipelines.iter().any(|p| p.scans && p.separate);
    let mut builds = 0;
    for p in pipelines {
        let Some(line) = p.builds else {
            continue;
        };
        builds += 1;
        if !p.scans && !scanned_elsewhere {
            scan.finding(
                checks::CI_IMAGE_SCAN,
                "this pipeline builds or pushes a container image and no pipeline scans it",
            )
            .at(Location::target(p.path.as_str()).line(line));
        }
    }
    builds
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn build_without_scan() {
        let p = [
            read(
                ".github/workflows/release.yml",
                "jobs:\n  b:\n    steps:\n      - uses: docker/build-push-action@v6\n",
            ),
            read(
                ".github/workflows/ok.yml",
                "steps:\n  - run: docker build -t x .\n  - uses: aquasecurity/trivy-action@0.28.0\n",
            ),
            read(
                ".github/workflows/test.yml",
                "steps:\n  - run: cargo test\n",
            ),
        ];
        let mut scan = Scan::new(checks::catalogue());
        assert_eq!(judge(&p, &mut scan), 2);
        let f = scan.into_output().findings;
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].location.as_ref().unwrap().line, Some(4));
    }

    #[test]
    fn words_that_contain_a_build_command_build_nothing() {
        let p = read(
            ".github/workflows/clean.yml",
            "steps:\n  - name: Set up Docker Buildx\n    uses: docker/setup-buildx-action@v3\n  - run: sudo docker builder prune -af\n  - name: docker build the image\n    run: echo skip\n",
        );
        assert_eq!(p.builds, None);
        let p = read(
            ".github/workflows/b.yml",
            "steps:\n  - run: docker buildx build --push -t x .\n",
        );
        assert_eq!(p.builds, Some(2));
    }

    #[test]
    fn a_scheduled_scan_covers_the_builds_of_other_workflows() {
        let p = [
            read(
                ".github/workflows/release.yml",
                "on: push\njobs:\n  b:\n    steps:\n      - run: docker push ghcr.io/acme/api:1\n",
            ),
            read(
                ".github/workflows/nightly-scan.yml",
                "on:\n  schedule:\n    - cron: '0 3 * * *'\njobs:\n  s:\n    steps:\n      - uses: aquasecurity/trivy-action@0.28.0\n",
            ),
        ];
        let mut scan = Scan::new(checks::catalogue());
        assert_eq!(judge(&p, &mut scan), 1);
        assert!(scan.findings().is_empty());
    }

    #[test]
    fn pipelines_that_build_no_image_leave_nothing_to_judge() {
        let p = [read(
            ".github/workflows/test.yml",
            "steps:\n  - run: cargo test\n",
        )];
        let mut scan = Scan::new(checks::catalogue());
        assert_eq!(judge(&p, &mut scan), 0);
    }
}
