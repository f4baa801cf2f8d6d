#!/usr/bin/env python3
"""Benchmark report rendering: how long a run with many findings takes to
write each format, how large each report is, and how long headless
Chromium takes to load and lay out the HTML report.

One command, from the repository root:

    python3 tests/bench/reports.py

It builds aicomply in release mode and the test plugins (the
`finding-flood` plugin makes N findings on demand), runs the hardened
fixture plus N = 1,000 and 10,000 synthetic findings once per format
(median of --runs, default 3, after one warm-up), and writes the
"reports" section of BENCHMARKS.md. Chromium (Debian's `chromium`) is
timed with --dump-dom on the report against the same on an empty page, so
the difference is the report's own load and layout.
"""

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sections import write_section  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TARGET = os.path.join(ROOT, "target")
AICOMPLY = os.path.join(TARGET, "release", "aicomply")
FLOOD = os.path.join(TARGET, "wasm-plugins", "wasm32-wasip2", "plugin", "test_plugin_finding_flood.wasm")
FORMATS = ["json", "html", "md", "sarif", "junit", "html,md,json,sarif,junit"]
FILES = {"json": "report.json", "html": "report.html", "md": "report.md", "sarif": "report.sarif", "junit": "report.junit.xml"}
HEADLESS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def sh(*cmd):
    print("+", " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True, cwd=ROOT)


def timed(cmd):
    start = time.perf_counter()
    done = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wall = time.perf_counter() - start
    if done.returncode not in (0, 1):
        sys.exit(f"{cmd[0]} failed ({done.returncode}): {done.stderr.decode()[-2000:]}")
    return wall


def median(cmd, runs):
    timed(cmd)  # warm-up: page cache, compiled-plugin cache, browser files
    return statistics.median(timed(cmd) for _ in range(runs))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--out", default=os.path.join(ROOT, "BENCHMARKS.md"))
    args = ap.parse_args()
    sh("cargo", "build", "--release", "-p", "aicomply")
    sh("cargo", "build", "-p", "aicomply-test-plugins")
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    work = tempfile.mkdtemp(prefix="aicomply-bench-reports-")
    plugins = os.path.join(work, "plugins")
    os.makedirs(plugins)
    shutil.copy(FLOOD, plugins)
    cache = os.path.join(work, "cache")
    rows, browser = [], []
    for n in (1_000, 10_000):
        policy = os.path.join(work, f"policy-{n}.toml")
        with open(policy, "w") as f:
            f.write(f'version = 1\n[plugins.finding-flood]\nconfig = {{ count = "{n}" }}\n')
        for fmt in FORMATS:
            out = os.path.join(work, f"out-{n}-{fmt.replace(',', '-')}")
            cmd = [AICOMPLY, "run", "-q", "--target", os.path.join(ROOT, "tests/fixtures/hardened"),
                   "--plugins", plugins, "--policy", policy, "--out", out, "--format", fmt,
                   "--fail-on", "none", "--cache-dir", cache]
            wall = median(cmd, args.runs)
            size = sum(os.path.getsize(os.path.join(out, FILES[f])) for f in fmt.split(","))
            rows.append((n, fmt, wall, size))
            print(f"{n:6} findings {fmt:26} {wall:7.3f} s {size / 1e6:8.2f} MB", flush=True)
        if chromium:
            html = os.path.join(work, f"out-{n}-html", "report.html")
            empty = os.path.join(work, "empty.html")
            with open(empty, "w") as f:
                f.write("<!doctype html><title>empty</title>")
            profile = os.path.join(work, "profile")
            page = lambda p: [chromium, *HEADLESS, f"--user-data-dir={profile}", "--dump-dom", "file://" + p]  # noqa: E731
            base, full = median(page(empty), args.runs), median(page(html), args.runs)
            browser.append((n, base, full))
            print(f"{n:6} findings chromium {full:.3f} s (empty page {base:.3f} s)", flush=True)
    shutil.rmtree(work, ignore_errors=True)
    write(args.out, rows, browser, args.runs, chromium)


def write(path, rows, browser, runs, chromium):
    version = subprocess.run([AICOMPLY, "--version"], capture_output=True, text=True).stdout.strip()
    lines = [
        "## Reports",
        "",
        "Rendering reports for many findings: a release build of aicomply runs the hardened fixture with the",
        "`finding-flood` test plugin making N findings, once per format. Reproduce with:",
        "",
        "    python3 tests/bench/reports.py",
        "",
        f"Machine: {platform.system()} {platform.machine()}, {os.cpu_count()} cores. {version}.",
        f"Each time is the median wall time of {runs} runs after one warm-up, for the whole run (starting the",
        "process, running all plugins, writing the report); `json` alone is the baseline the other formats add to.",
        "",
        "| findings | format | wall time | report size |",
        "|---|---|---|---|",
    ]
    for n, fmt, wall, size in rows:
        lines.append(f"| {n:,} | {fmt} | {wall:.3f} s | {size / 1e6:.2f} MB |")
    if browser:
        lines += [
            "",
            f"Headless Chromium ({chromium}), `--dump-dom` of the HTML report against the same on an empty page;",
            "the difference is loading, styling and laying out the report:",
            "",
            "| findings | report | empty page | difference |",
            "|---|---|---|---|",
        ]
        for n, base, full in browser:
            lines.append(f"| {n:,} | {full:.3f} s | {base:.3f} s | {full - base:.3f} s |")
    else:
        lines += ["", "Chromium was not installed, so the HTML load time was not measured."]
    write_section(path, "reports", "\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
