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

/// Check one CI file; returns whether it builds an image.
pub fn check(path: &str, text: &str, scan: &mut Scan) -> bool {
    let mut build_line = None;
    let mut scanned = false;
    for (i, line) in text.lines().enumerate() {
        let l = line.trim().to_ascii_lowercase();
        if l.starts_with('#') {
            continue;
        }
        if build_line.is_none() && BUILDS.iter().any(|b| l.contains(b)) {
            build_line = Some(i as u32 + 1);
        }
        if SCANS.iter().any(|s| l.contains(s)) {
            scanned = true;
        }
    }
    if let (Some(line), false) = (build_line, scanned) {
        scan.finding(
            checks::CI_IMAGE_SCAN,
            "this pipeline builds or pushes a container image and never scans it",
        )
        .at(Location::target(path).line(line));
    }
    build_line.is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn build_without_scan() {
        let mut scan = Scan::new(checks::catalogue());
        assert!(check(
            ".github/workflows/release.yml",
            "jobs:\n  b:\n    steps:\n      - uses: docker/build-push-action@v6\n",
            &mut scan
        ));
        assert!(check(
            ".github/workflows/ok.yml",
            "steps:\n  - run: docker build -t x .\n  - uses: aquasecurity/trivy-action@0.28.0\n",
            &mut scan
        ));
        assert!(!check(
            ".github/workflows/test.yml",
            "steps:\n  - run: cargo test\n",
            &mut scan
        ));
        let f = scan.into_output().findings;
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].location.as_ref().unwrap().line, Some(4));
    }
}
