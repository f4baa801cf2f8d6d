//! The HTML report in a real headless Chromium: it renders, shows the
//! findings, and plugin markup stays text (no script elements, no images).
//!
//! .ci/run installs Debian's chromium and sets AICOMPLY_REQUIRE_BROWSER=1,
//! so in CI a missing browser fails the test; on a developer machine
//! without Chromium it says so and returns.

use std::process::Command;

use crate::support::*;

/// Headless, no first-run work and no background network (this machine's
/// network is closed; Chromium would otherwise retry in the background).
const HEADLESS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
];

fn chromium() -> Option<String> {
    for candidate in ["chromium", "chromium-browser", "google-chrome"] {
        if Command::new(candidate)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
        {
            return Some(candidate.to_string());
        }
    }
    if std::env::var_os("AICOMPLY_REQUIRE_BROWSER").is_some() {
        panic!("AICOMPLY_REQUIRE_BROWSER is set but no Chromium is installed");
    }
    eprintln!("browser test not run: no Chromium on this machine (apt-get install chromium)");
    None
}

/// The DOM after Chromium loaded the page.
fn dump_dom(browser: &str, html: &std::path::Path, profile: &std::path::Path) -> String {
    let out = Command::new(browser)
        .args(HEADLESS)
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg("--dump-dom")
        .arg(format!("file://{}", html.display()))
        .output()
        .expect("run chromium");
    assert!(
        out.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn html_report_renders_in_chromium_with_plugin_markup_inert() {
    let Some(browser) = chromium() else { return };
    let dir = tempfile::tempdir().unwrap();
    let plugins = plugin_dir(dir.path(), &[aicomply_test_plugins::ESCAPE_TEXT]);
    let out = dir.path().join("out");
    let target = fixture("example-ai-service");
    let run = aicomply(&[
        "run",
        "-q",
        "--target",
        target.to_str().unwrap(),
        "--plugins",
        plugins.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--format",
        "html",
        "--fail-on",
        "none",
    ]);
    assert_eq!(code(&run), 0, "{}", stderr(&run));
    let dom = dump_dom(
        &browser,
        &out.join("report.html"),
        &dir.path().join("profile"),
    );
    assert!(
        dom.contains("aicomply report"),
        "{}",
        &dom[..dom.len().min(500)]
    );
    for text in [
        "CONT-K8S-PRIVILEGED",
        "CODE-PICKLE-DANGEROUS-CALL",
        "HOST-SSH-ROOT-LOGIN",
        "Plugins and provenance",
    ] {
        assert!(dom.contains(text), "the rendered page lacks {text}");
    }
    // Filters work without scripts: radio inputs and classes CSS selects on.
    assert!(
        dom.contains("id=\"fs-critical\"")
            && dom.contains("class=\"finding sev-critical dom-container\"")
    );
    assert!(
        dom.contains("<svg class=\"chart\""),
        "the severity chart is inline SVG"
    );
    // The hostile plugin's markup is text in the DOM, never elements.
    assert!(!dom.contains("<script"), "a script element reached the DOM");
    assert!(!dom.contains("<img"), "an image element reached the DOM");
    assert!(
        dom.contains("&lt;script&gt;alert('xss')&lt;/script&gt;"),
        "the markup is shown as text"
    );

    // A screenshot for people to look at.
    let shot = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("report-screenshot.png");
    let _ = std::fs::remove_file(&shot);
    let run = Command::new(&browser)
        .args(HEADLESS)
        .arg("--window-size=1280,2000")
        .arg(format!(
            "--user-data-dir={}",
            dir.path().join("profile2").display()
        ))
        .arg(format!("--screenshot={}", shot.display()))
        .arg(format!("file://{}", out.join("report.html").display()))
        .output()
        .expect("run chromium");
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let size = std::fs::metadata(&shot).map(|m| m.len()).unwrap_or(0);
    assert!(
        size > 10_000,
        "a screenshot at {} ({size} bytes)",
        shot.display()
    );
}
