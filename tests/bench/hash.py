#!/usr/bin/env python3
"""Benchmark verifying the SHA-256 of a large model file: inside the sandbox
(the sha2 crate compiled to wasm), by the host (`host.hash-file`, contract
0.1.3, what the network plugin uses for NET-4), and `sha256sum` on the same
file.

One command, from the repository root:

    python3 tests/bench/hash.py

It builds aicomply in release mode and the benchmark plugin
tests/plugins/hasher, writes a --mib MiB (default 1024) file of random
bytes, and times each way --runs times (default 3) with the page cache
warm. aicomply's figure is the hashing alone, timed inside the plugin around
the call; the whole run (start, compile from cache, report) is given beside
it. Every digest is checked against sha256sum's. It writes the "hash"
section of BENCHMARKS.md.
"""

import argparse
import json
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
AICOMPLY = os.path.join(ROOT, "target", "release", "aicomply")
WASM_DIR = os.path.join(ROOT, "target", "wasm-plugins")
HASHER = os.path.join(WASM_DIR, "wasm32-wasip2", "plugin", "test_plugin_hasher.wasm")


def sh(*cmd):
    print("+", " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True, cwd=ROOT)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--mib", type=int, default=1024)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--out", default=os.path.join(ROOT, "BENCHMARKS.md"))
    args = ap.parse_args()
    sh("cargo", "build", "--release", "-p", "aicomply")
    sh("cargo", "build", "--target", "wasm32-wasip2", "--profile", "plugin",
       "-p", "test-plugin-hasher", "--target-dir", WASM_DIR)

    work = tempfile.mkdtemp(prefix="aicomply-bench-hash-")
    target = os.path.join(work, "target")
    plugins = os.path.join(work, "plugins")
    os.makedirs(target)
    os.makedirs(plugins)
    shutil.copy(HASHER, os.path.join(plugins, "hasher.wasm"))
    model = os.path.join(target, "model.safetensors")
    with open(model, "wb") as f:
        for _ in range(args.mib):
            f.write(os.urandom(1 << 20))
    size = os.path.getsize(model)

    def sha256sum():
        start = time.perf_counter()
        out = subprocess.run(["sha256sum", model], check=True, capture_output=True, text=True).stdout
        return time.perf_counter() - start, out.split()[0]

    def aicomply(mode):
        policy = os.path.join(work, f"{mode}.toml")
        with open(policy, "w") as f:
            f.write(f'version = 1\n\n[limits]\nplugin-timeout = 600\n\n'
                    f'[plugins.hasher]\nconfig = {{ path = "model.safetensors", mode = "{mode}" }}\n')
        out = os.path.join(work, f"out-{mode}")
        cmd = [AICOMPLY, "run", "--no-embedded", "--plugins", plugins, "--target", target,
               "--out", out, "--format", "json", "-q", "--fail-on", "none",
               "--policy", policy, "--cache-dir", os.path.join(work, "cache")]
        start = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        wall = time.perf_counter() - start
        report = json.load(open(os.path.join(out, "report.json")))
        findings = [f for f in report["findings"] if f["check_id"] == "HASH-1"]
        if not findings:
            errors = [p.get("error") for p in report["plugins"]]
            sys.exit(f"the hasher reported nothing ({mode}): {errors}")
        digest, ms = findings[0]["message"].split()
        return float(ms) / 1000, wall, digest

    sha256sum(), aicomply("host"), aicomply("guest")  # warm-up: page cache, compiled-plugin cache
    rows = {}
    expected = None
    for name in ["sha256sum", "host", "guest"]:
        runs = []
        for _ in range(args.runs):
            if name == "sha256sum":
                t, digest = sha256sum()
                runs.append((t, t, digest))
            else:
                runs.append(aicomply(name))
        digests = {d for _, _, d in runs}
        if name == "sha256sum":
            expected = digests.pop()
        elif digests != {expected}:
            sys.exit(f"{name}: digest {digests} differs from sha256sum's {expected}")
        rows[name] = runs
    gib = size / (1 << 30)

    def line(label, name):
        hashing = statistics.median(t for t, _, _ in rows[name])
        wall = statistics.median(w for _, w, _ in rows[name])
        return (f"| {label} | {hashing:.2f} s | {size / hashing / 1e6:,.0f} MB/s | "
                f"{wall:.2f} s | {', '.join(f'{t:.2f}' for t, _, _ in rows[name])} s |")

    base = statistics.median(t for t, _, _ in rows["sha256sum"])
    host = statistics.median(t for t, _, _ in rows["host"])
    guest = statistics.median(t for t, _, _ in rows["guest"])
    body = f"""## Verifying a model's SHA-256

The SHA-256 of one {gib:.2f} GiB file of random bytes ({size:,} bytes), page cache warm, three ways.
NET-4 recomputes every digest of a model manifest; the network plugin asks the host
(`host.hash-file`, contract 0.1.3) because inside the sandbox SHA-256 runs without the CPU's SHA
instructions. Reproduce with:

    python3 tests/bench/hash.py

Machine: {platform.system()} {platform.machine()}, {os.cpu_count()} cores; aicomply 0.1.0 release build.
"Hashing" is the median of {args.runs} runs, timed inside the benchmark plugin
(tests/plugins/hasher) around the hash; "whole run" is `aicomply run` with that plugin alone
(start, load from the compiled-plugin cache, hash, write report.json). Every digest matched
sha256sum's.

| how | hashing (median) | throughput | whole run (median) | runs |
|---|---|---|---|---|
{line("`sha256sum` (coreutils)", "sha256sum")}
{line("aicomply, host (`host.hash-file`)", "host")}
{line("aicomply, inside the sandbox (sha2 in wasm)", "guest")}

The host hashes at {base / host:.2f}x the speed of sha256sum; inside the sandbox it would take
{guest / host:.1f}x as long as in the host.
"""
    write_section(args.out, "hash", body)
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
