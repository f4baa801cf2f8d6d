//! The HTML report in a real headless Chromium, driven over the DevTools
//! protocol: it loads with no console error and no request but itself, shows
//! the summary and the findings, its filters change what is shown when
//! clicked, and plugin markup stays text (no script elements, no images).
//!
//! .ci/run installs Debian's chromium and sets AICOMPLY_REQUIRE_BROWSER=1,
//! so in CI a missing browser fails the test; on a developer machine
//! without Chromium it says so and returns.

use std::process::Command;

use crate::cdp::{Browser, Page};
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

/// The findings the page shows now, by their class list.
fn visible_findings(browser: &mut Browser, page: &Page) -> Vec<String> {
    let v = browser.eval(
        page,
        "[...document.querySelectorAll('.finding')]\
         .filter(e => getComputedStyle(e).display !== 'none').map(e => e.className)",
    );
    serde_json::from_value(v).unwrap()
}

#[test]
fn html_report_renders_in_chromium_with_plugin_markup_inert() {
    let Some(binary) = chromium() else { return };
    let dir = tempfile::tempdir().unwrap();
    let plugins = plugin_dir(dir.path(), &[aicomply_test_plugins::ESCAPE_TEXT]);
    let out = dir.path().join("out");
    let target = fixture("example-ai-service");
    let run = aicomply_run(
        &target,
        &out,
        &[
            "-q",
            "--plugins",
            plugins.to_str().unwrap(),
            "--format",
            "html",
            "--fail-on",
            "none",
        ],
    );
    assert_eq!(code(&run), 0, "{}", stderr(&run));
    let url = format!("file://{}", out.join("report.html").display());
    let mut browser = Browser::launch(&binary, HEADLESS, &dir.path().join("profile"));
    let page = browser.new_page();
    browser.navigate(&page, &url);

    // Loaded with no console error (a CSP violation would be one) and no
    // request but the page itself: the report is self-contained.
    assert_eq!(browser.errors(), Vec::<String>::new());
    assert_eq!(browser.requests(), vec![url.clone()]);

    let dom = browser
        .eval(&page, "document.documentElement.outerHTML")
        .as_str()
        .unwrap()
        .to_string();
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
    // The summary is in the first screenful and a finding is rendered,
    // not merely present in the DOM.
    let shown = browser.eval(
        &page,
        "(() => { const s = document.querySelector('#summary + .cards'); \
         const f = document.querySelector('.finding'); \
         const drawn = e => e !== null && e.getClientRects().length > 0 && getComputedStyle(e).visibility !== 'hidden'; \
         return [drawn(s) && s.getBoundingClientRect().top < innerHeight, drawn(f)]; })()",
    );
    assert_eq!(shown, serde_json::json!([true, true]));
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

    // Filters change what is shown, by clicks on their labels (CSS only;
    // the page runs no script).
    let all = visible_findings(&mut browser, &page);
    assert!(all.len() > 20, "{} findings shown", all.len());
    browser.click(&page, "label[for=fs-critical]");
    let critical = visible_findings(&mut browser, &page);
    assert!(!critical.is_empty() && critical.len() < all.len());
    assert!(
        critical.iter().all(|c| c.contains("sev-critical")),
        "{critical:?}"
    );
    assert_eq!(
        critical.len(),
        all.iter().filter(|c| c.contains("sev-critical")).count()
    );
    browser.click(&page, "label[for=fd-host]");
    let critical_host = visible_findings(&mut browser, &page);
    assert!(
        critical_host
            .iter()
            .all(|c| c.contains("sev-critical") && c.contains("dom-host")),
        "{critical_host:?}"
    );
    assert!(critical_host.len() < critical.len());
    browser.click(&page, "label[for=fs-all]");
    browser.click(&page, "label[for=fd-all]");
    assert_eq!(visible_findings(&mut browser, &page), all);
    // The control matrix filters by status.
    browser.click(&page, "label[for=fc-failed]");
    let rows: Vec<String> = serde_json::from_value(browser.eval(
        &page,
        "[...document.querySelectorAll('tr.control')]\
         .filter(e => getComputedStyle(e).display !== 'none').map(e => e.className)",
    ))
    .unwrap();
    assert!(
        !rows.is_empty() && rows.iter().all(|c| c.contains("st-failed")),
        "{rows:?}"
    );
    assert_eq!(browser.errors(), Vec::<String>::new());
    assert_eq!(
        browser.requests(),
        vec![url.clone()],
        "clicks made requests"
    );

    // Printed: the filter bar is not on paper, every finding is, and
    // Chromium prints the report to a PDF.
    browser.click(&page, "label[for=fc-all]");
    browser.call(
        Some(&page),
        "Emulation.setEmulatedMedia",
        serde_json::json!({"media": "print"}),
    );
    let bar = browser.eval(
        &page,
        "getComputedStyle(document.querySelector('nav.filter-bar')).display",
    );
    assert_eq!(bar, "none");
    assert_eq!(visible_findings(&mut browser, &page), all);
    let pdf = browser.call(
        Some(&page),
        "Page.printToPDF",
        serde_json::json!({"printBackground": true}),
    );
    let pdf_bytes = pdf["data"].as_str().unwrap().len() / 4 * 3;
    assert!(pdf_bytes > 50_000, "a {pdf_bytes}-byte PDF");
    drop(browser);

    // A screenshot for people to look at.
    let shot = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("report-screenshot.png");
    let _ = std::fs::remove_file(&shot);
    let run = Command::new(&binary)
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
