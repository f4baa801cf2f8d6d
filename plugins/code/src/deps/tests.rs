use super::*;
use std::path::{Path, PathBuf};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures")
        .join(name)
}

/// Walk a fixture with std::fs, hand every dependency file to the
/// collector, then finish with std::fs as the reader.
pub(crate) fn run_fixture(root: &Path, osv: Option<&Path>) -> Scan {
    let mut files = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                files.push(p.strip_prefix(root).unwrap().to_string_lossy().into_owned());
            }
        }
    }
    files.sort();
    let mut scan = Scan::new(catalogue());
    let mut d = Deps::new();
    if let Some(o) = osv {
        d.set_osv_root(o, "osv");
    }
    for rel in &files {
        if wants(rel) {
            let text = std::fs::read_to_string(root.join(rel)).unwrap();
            assert!(d.scan_file(rel, &text, &mut scan));
        }
    }
    d.finish(&mut scan, &mut |rel| {
        std::fs::read_to_string(root.join(rel)).map_err(|e| e.to_string())
    });
    scan
}

fn dump(scan: &Scan) -> String {
    scan.findings()
        .iter()
        .map(|f| {
            let l = f.location.as_ref().unwrap();
            format!("{} {}:{:?} {}", f.check_id, l.path, l.line, f.message)
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn has(scan: &Scan, check: &str, path: &str, line: Option<u32>, text: &str) -> bool {
    scan.findings().iter().any(|f| {
        let l = f.location.as_ref().unwrap();
        f.check_id == check
            && l.path == path
            && (line.is_none() || l.line == line)
            && f.message.contains(text)
    })
}

#[test]
fn deps_insecure_fixture() {
    let scan = run_fixture(&fixture("deps-insecure"), None);
    let d = dump(&scan);
    let r = "requirements.txt";
    assert!(
        has(&scan, INSECURE_INDEX, r, Some(2), "http://pypi.internal"),
        "{d}"
    );
    assert!(has(&scan, EXTRA_INDEX, r, Some(3), ""), "{d}");
    assert!(has(&scan, TRUSTED_HOST, r, Some(4), ""), "{d}");
    assert!(has(&scan, UNPINNED, r, Some(8), "transformers"), "{d}");
    assert!(!has(&scan, UNPINNED, r, None, "numpy"), "constrained: {d}");
    assert!(has(&scan, UNPINNED, r, Some(10), "requests"), "{d}");
    assert!(
        !has(&scan, UNPINNED, r, None, "gradio"),
        "continuation: {d}"
    );
    assert!(has(&scan, VCS_MUTABLE, r, Some(13), "`main`"), "{d}");
    assert!(has(&scan, URL_NO_HASH, r, Some(14), "mylib"), "{d}");
    assert!(has(&scan, NO_HASHES, r, None, ""), "{d}");
    assert!(
        has(&scan, UNPINNED, "requirements/base.txt", Some(3), "fastapi"),
        "{d}"
    );
    // Known-vulnerable: torch (with a local version and a marker), gradio,
    // and the included file's pillow and mlflow (===).
    assert!(
        has(&scan, KNOWN_VULNERABLE, r, Some(7), "GHSA-53q9-r3pm-6pq6"),
        "{d}"
    );
    assert!(
        has(&scan, KNOWN_VULNERABLE, r, Some(11), "PYSEC-2023-249"),
        "{d}"
    );
    assert!(
        has(
            &scan,
            KNOWN_VULNERABLE,
            "requirements/base.txt",
            Some(1),
            "PYSEC-2023-175"
        ),
        "{d}"
    );
    assert!(
        has(
            &scan,
            KNOWN_VULNERABLE,
            "requirements/base.txt",
            Some(2),
            "PYSEC-2023-252"
        ),
        "{d}"
    );
    assert!(
        !has(&scan, KNOWN_VULNERABLE, "constraints.txt", None, ""),
        "numpy 1.26.4 is fixed: {d}"
    );
    // pyproject: no lock next to it.
    let p = "pyproject.toml";
    assert!(has(&scan, UNPINNED, p, Some(5), "langchain"), "{d}");
    assert!(
        !has(&scan, UNPINNED, p, None, "fastapi"),
        "a range is a constraint: {d}"
    );
    assert!(
        has(&scan, KNOWN_VULNERABLE, p, Some(6), "GHSA-hj4w-hm2g-p6w5"),
        "{d}"
    );
    assert!(has(&scan, VCS_MUTABLE, p, Some(8), "`v1.2`"), "{d}");
    assert!(
        has(&scan, INSECURE_INDEX, p, Some(12), "http://mirror"),
        "{d}"
    );
    assert!(
        has(&scan, EXTRA_INDEX, p, Some(15), "unsafe-best-match"),
        "{d}"
    );
    let db = scan
        .findings()
        .iter()
        .find(|f| f.check_id == ADVISORY_DATABASE)
        .unwrap();
    assert!(
        db.message.contains(advisories::CURATED_DATE),
        "{}",
        db.message
    );
}

#[test]
fn deps_hardened_fixture() {
    let scan = run_fixture(&fixture("deps-hardened"), None);
    let d = dump(&scan);
    let real: Vec<_> = scan
        .findings()
        .iter()
        .filter(|f| f.check_id != ADVISORY_DATABASE)
        .collect();
    assert!(real.is_empty(), "{d}");
    let out = scan.into_output();
    for c in DEPS_CHECKS {
        assert!(out.evaluated.iter().any(|e| e == c), "{c} not evaluated");
    }
}

#[test]
fn osv_database_root() {
    let root = fixture("deps-osv");
    let scan = run_fixture(&root.join("target"), Some(&root.join("osv")));
    let d = dump(&scan);
    assert!(
        has(
            &scan,
            KNOWN_VULNERABLE,
            "poetry.lock",
            Some(2),
            "PYSEC-2099-1"
        ),
        "{d}"
    );
    assert!(
        !has(&scan, KNOWN_VULNERABLE, "poetry.lock", None, "GHSA-xxxx"),
        "withdrawn: {d}"
    );
    let db = scan
        .findings()
        .iter()
        .find(|f| f.check_id == ADVISORY_DATABASE)
        .unwrap();
    assert!(
        db.message
            .contains("root `osv` (2 records, newest modified 2026-11-30)"),
        "{}",
        db.message
    );
}

#[test]
fn no_dependency_files_is_not_checked() {
    let scan = run_fixture(&fixture("pipelines-none"), None);
    let out = scan.into_output();
    for c in DEPS_CHECKS {
        assert!(out.not_checked.iter().any(|n| n.check_id == *c), "{c}");
    }
}

#[test]
fn requirement_lines() {
    let r = parse_requirement("Foo[bar]==1.2.3; python_version<'3.12'", 1);
    assert_eq!(
        (r.name.as_deref(), r.pinned.as_deref()),
        (Some("Foo"), Some("1.2.3"))
    );
    assert!(parse_requirement("foo==1.*", 1).pinned.is_none());
    assert!(parse_requirement("foo>=1,<2", 1).pinned.is_none());
    assert_eq!(
        parse_requirement("foo (==2.0)", 1).pinned.as_deref(),
        Some("2.0")
    );
    assert_eq!(
        mutable_vcs_ref("git+https://x/y.git@v1#egg=y").as_deref(),
        Some("`v1`")
    );
    assert!(
        mutable_vcs_ref(
            "git+ssh://git@github.com/x/y.git@0123456789abcdef0123456789abcdef01234567"
        )
        .is_none()
    );
    assert_eq!(
        mutable_vcs_ref("git+ssh://git@github.com/x/y.git").as_deref(),
        Some("the default branch")
    );
    assert_eq!(resolve("a/b/requirements.txt", "../c.txt"), "a/c.txt");
    assert!(
        wants("requirements-dev.txt")
            && wants("reqs/requirements/prod.txt")
            && wants("pyproject.toml")
    );
    assert!(!wants(".venv/lib/requirements.txt") && !wants("notes.txt"));
}

#[test]
fn pip_conf_and_comment_rules() {
    let mut scan = Scan::new(catalogue());
    let mut d = Deps::new();
    d.scan_file(
        "etc/pip.conf",
        "[global]\nindex-url = http://mirror/simple\ntrusted-host = mirror\n    other\n",
        &mut scan,
    );
    d.scan_file(
        "requirements.txt",
        "foo @ https://x/foo-1.0.tar.gz#sha256=abc\nbar==1.0 # comment\n",
        &mut scan,
    );
    d.finish(&mut scan, &mut |_| Err("x".into()));
    let d = dump(&scan);
    assert!(
        has(&scan, INSECURE_INDEX, "etc/pip.conf", Some(2), ""),
        "{d}"
    );
    assert_eq!(
        scan.findings()
            .iter()
            .filter(|f| f.check_id == TRUSTED_HOST)
            .count(),
        2,
        "{d}"
    );
    assert!(
        !scan
            .findings()
            .iter()
            .any(|f| f.check_id == URL_NO_HASH || f.check_id == UNPINNED),
        "{d}"
    );
}
