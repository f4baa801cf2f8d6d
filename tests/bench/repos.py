#!/usr/bin/env python3
"""Run aicomply on checkouts of public repositories and record, per
repository, the commit, the findings, the false ones as a person judged
them, wall time and peak memory.

    python3 tests/bench/repos.py --repo kubeflow/manifests=PATH@COMMIT ...

PATH is a checkout (or an export of one commit) of the repository; its
files are not copied anywhere. The script builds aicomply in release mode,
runs every embedded plugin on each tree twice (the first run fills the
compiled-plugin cache; the second is timed), and writes the "repos"
section of BENCHMARKS.md. The judged false findings come from
tests/bench/repos_judged.json, written by whoever read the findings: per
repository, how many findings were false and why (a finding is judged by
reading the file and line it points at). A repository the file does not
judge is shown as not judged.
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections import Counter

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.dirname(__file__))
from sections import write_section  # noqa: E402


def build():
    subprocess.run(
        ["cargo", "build", "--release", "--locked", "-p", "aicomply"], cwd=ROOT, check=True
    )
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
    return os.path.join(target, "release", "aicomply")


def run(binary, tree, out):
    """One run: (wall seconds, peak RSS in MiB, exit code)."""
    start = time.monotonic()
    p = subprocess.Popen(
        [binary, "run", "--target", tree, "--out", out, "--format", "json"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _, status, usage = os.wait4(p.pid, 0)
    wall = time.monotonic() - start
    return wall, usage.ru_maxrss / 1024, os.waitstatus_to_exitcode(status)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repo", action="append", required=True, help="OWNER/NAME=PATH@COMMIT")
    ap.add_argument("--judged", default=os.path.join(os.path.dirname(__file__), "repos_judged.json"))
    ap.add_argument("--out", default=os.path.join(ROOT, "BENCHMARKS.md"))
    args = ap.parse_args()
    judged = json.load(open(args.judged)) if os.path.exists(args.judged) else {}
    binary = build()
    rows, notes = [], []
    for spec in args.repo:
        name, rest = spec.split("=", 1)
        path, _, commit = rest.partition("@")
        with tempfile.TemporaryDirectory() as out:
            run(binary, path, out)
            wall, rss, code = run(binary, path, out)
            report = json.load(open(os.path.join(out, "report.json")))
        findings = report["findings"]
        by_plugin = Counter(f["plugin"] for f in findings)
        errors = [p["id"] for p in report["plugins"] if p["status"] != "ok"]
        files = max((p.get("files_examined") or 0) for p in report["plugins"])
        j = judged.get(name)
        if j is None:
            false = "not judged"
        else:
            share = 100.0 * j["false"] / len(findings) if findings else 0.0
            false = f"{j['false']} ({share:.1f}%)"
            notes.append(f"- **{name}**: {j['notes']}")
        per = ", ".join(f"{k} {v}" for k, v in sorted(by_plugin.items()))
        rows.append(
            f"| {name} | `{commit[:12]}` | {files:,} | {len(findings):,} ({per}) | {false} | "
            f"{wall:.1f} s | {rss:.0f} MiB | {code}{' (plugin errors: ' + ', '.join(errors) + ')' if errors else ''} |"
        )
        print(rows[-1])
    body = "\n".join(
        [
            "## Public repositories, judged by hand",
            "",
            "Command: `python3 tests/bench/repos.py --repo OWNER/NAME=PATH@COMMIT ...` "
            "(PATH a checkout of that commit; every embedded plugin; the second of two runs, "
            "so the compiled-plugin cache is warm).",
            f"Machine: {platform.machine()}, {os.cpu_count()} cores, {platform.system()} {platform.release()}.",
            "",
            "| Repository | Commit | Files examined | Findings (by plugin) | Judged false | Wall | Peak memory | Exit |",
            "|---|---|---:|---|---:|---:|---:|---|",
            *rows,
            "",
            "How the findings were judged, and what was fixed on the way:",
            "",
            *notes,
        ]
    )
    write_section(args.out, "repos", body)


if __name__ == "__main__":
    main()
