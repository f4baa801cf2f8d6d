#!/usr/bin/env python3
"""Benchmark a large hostile tree: 100,000 files with malicious ones planted
everywhere a scanner might look away, scanned by every embedded plugin.

One command, from the repository root:

    python3 tests/bench/many_files.py

It builds aicomply in release mode, generates (deterministically, seed 11)
a tree of --files files (default 100,000) in nested folders: Python
sources, JSON and YAML configs, notebooks, Kubernetes manifests,
Dockerfiles and small benign pickles, with malicious pickles, privileged
manifests and root Dockerfiles planted at the top, deep down, inside
`node_modules`, `.venv`, `target` and `__pycache__` (folders other scanners
skip), beside a name that is not UTF-8, behind a link into `.git`, and
among FIFOs and links out of the tree. It runs aicomply on it (median wall
time of --runs, default 3, after one warm-up with the compiled-plugin cache
warm), checks that every planted file is reported and every hostile entry
is listed as not examined, and writes the "many-files" section of
BENCHMARKS.md.
"""

import argparse
import json
import os
import platform
import random
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
EVIL_PICKLE = os.path.join(ROOT, "tests", "fixtures", "example-ai-service", "models", "reranker.bin")
BENIGN_PICKLE = os.path.join(ROOT, "tests", "fixtures", "example-ai-service", "models", "intent-classifier.pkl")

PRIVILEGED = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: planted-{i}
spec:
  template:
    spec:
      containers:
        - name: app
          image: registry.example.com/app@sha256:{digest}
          securityContext:
            privileged: true
"""
BENIGN_MANIFEST = """apiVersion: v1
kind: ConfigMap
metadata:
  name: config-{i}
data:
  key: value-{i}
"""
ROOT_DOCKERFILE = "FROM python:3.12-slim@sha256:{digest}\nRUN pip install flask\nCMD [\"python\", \"app.py\"]\n"


def sh(*cmd):
    print("+", " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True, cwd=ROOT)


def generate(root, total, rng):
    """Write the tree; return what must be found and what must be listed."""
    evil = open(EVIL_PICKLE, "rb").read()
    benign = open(BENIGN_PICKLE, "rb").read()
    expect = {"CODE-PICKLE-DANGEROUS-CALL": [], "CONT-K8S-PRIVILEGED": [], "CONT-DOCKERFILE-ROOT-USER": []}
    listed = []
    written = 0

    def put(rel, data):
        nonlocal written
        path = os.path.join(root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data if isinstance(data, bytes) else data.encode())
        written += 1

    digest = "0" * 64
    # Where other scanners look away, and ordinary places, deep and shallow.
    hideouts = ["", "node_modules/pkg/", ".venv/lib/python3.12/site-packages/x/", "target/release/",
                "__pycache__/", "a/b/c/d/e/f/g/h/i/j/", "services/api/models/", "notebooks/"]
    for i in range(50):
        rel = f"{hideouts[i % len(hideouts)]}planted/model-{i:02}.bin"
        put(rel, evil)
        expect["CODE-PICKLE-DANGEROUS-CALL"].append(rel)
    for i in range(10):
        rel = f"deploy/planted/deploy-{i}.yaml"
        put(rel, PRIVILEGED.format(i=i, digest=digest))
        expect["CONT-K8S-PRIVILEGED"].append(rel)
    for i in range(10):
        rel = f"images/svc-{i}/Dockerfile"
        put(rel, ROOT_DOCKERFILE.format(digest=digest))
        expect["CONT-DOCKERFILE-ROOT-USER"].append(rel)
    # A malicious model behind a link into .git, and one beside a bad name.
    put(".git/objects/ab/cdef", evil)
    os.symlink(".git/objects/ab/cdef", os.path.join(root, "linked-model.bin"))
    expect["CODE-PICKLE-DANGEROUS-CALL"].append("linked-model.bin")
    os.makedirs(os.path.join(root, "odd"), exist_ok=True)
    with open(os.path.join(root.encode(), b"odd", b"caf\xe9.bin"), "wb") as f:
        f.write(evil)
    written += 1
    listed.append(("odd/", "bad_name"))
    put("odd/zz-after.bin", evil)
    expect["CODE-PICKLE-DANGEROUS-CALL"].append("odd/zz-after.bin")
    for i in range(5):
        p = os.path.join(root, f"pipes/pipe-{i}.yaml")
        os.makedirs(os.path.dirname(p), exist_ok=True)
        os.mkfifo(p)
        listed.append((f"pipes/pipe-{i}.yaml", "special_file"))
    os.symlink("../../etc/passwd", os.path.join(root, "escape"))
    listed.append(("escape", "symlink"))

    # The bulk: 100 files a folder, in folders three levels deep.
    kinds = ["py", "json", "yaml", "ipynb", "md", "pkl", "txt", "Dockerfile"]
    i = 0
    while written < total:
        folder = f"src/m{i // 10000:02}/p{(i // 100) % 100:02}"
        kind = kinds[rng.randrange(len(kinds))]
        name = f"f{i:06}"
        if kind == "py":
            put(f"{folder}/{name}.py", f"import os\n\ndef handler_{i}(event):\n    return os.environ.get('X', '{i}')\n")
        elif kind == "json":
            put(f"{folder}/{name}.json", json.dumps({"name": name, "version": i, "deps": ["a", "b"]}))
        elif kind == "yaml":
            put(f"{folder}/{name}.yaml", BENIGN_MANIFEST.format(i=i))
        elif kind == "ipynb":
            put(f"{folder}/{name}.ipynb", json.dumps({"cells": [{"cell_type": "code", "source": ["print(1)"]}], "nbformat": 4}))
        elif kind == "pkl":
            put(f"{folder}/{name}.pkl", benign)
        elif kind == "Dockerfile":
            put(f"{folder}/{name}.Dockerfile", "FROM scratch\nCOPY app /app\nUSER 1000\n")
        else:
            put(f"{folder}/{name}.{kind}", f"line {i}\n" * 20)
        i += 1
    return expect, listed, written


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--files", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--out", default=os.path.join(ROOT, "BENCHMARKS.md"))
    ap.add_argument("--debug", action="store_true", help="use the debug build (a quick check of the script, not a figure)")
    args = ap.parse_args()
    global AICOMPLY
    if args.debug:
        AICOMPLY = os.path.join(ROOT, "target", "debug", "aicomply")
        sh("cargo", "build", "-p", "aicomply")
    else:
        sh("cargo", "build", "--release", "-p", "aicomply")
    work = tempfile.mkdtemp(prefix="aicomply-bench-many-")
    target = os.path.join(work, "target")
    os.makedirs(target)
    expect, listed, written = generate(target, args.files, random.Random(11))
    size = 0
    for dirpath, _, names in os.walk(target):
        for n in names:
            p = os.path.join(dirpath, n)
            if os.path.isfile(p) and not os.path.islink(p):
                size += os.path.getsize(p)
    cache = os.path.join(work, "cache")
    out = os.path.join(work, "out")
    cmd = [AICOMPLY, "run", "--target", target, "--out", out, "--format", "json", "-q",
           "--cache-dir", cache, "--fail-on", "none"]

    def once():
        """Wall time and peak resident memory (MiB) of one run."""
        start = time.perf_counter()
        child = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        err = child.stderr.read()
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - start
        code = os.waitstatus_to_exitcode(status)
        if code not in (0, 1, 3):
            sys.exit(f"aicomply failed ({code}): {err.decode()[-2000:]}")
        return wall, usage.ru_maxrss / 1024

    once()  # warm-up: page cache, compiled-plugin cache
    measured = [once() for _ in range(args.runs)]
    times = [t for t, _ in measured]
    peak = max(m for _, m in measured)
    report = json.load(open(os.path.join(out, "report.json")))
    found = {}
    for f in report["findings"]:
        found.setdefault(f["check_id"], set()).add(f["location"]["path"])
    missed = [(c, p) for c, paths in expect.items() for p in paths if p not in found.get(c, set())]
    not_examined = {(n["location"]["path"], n["reason"]) for p in report["plugins"] for n in p["not_examined"]}
    unlisted = [(p, r) for p, r in listed
                if not any(path.startswith(p) and reason == r for path, reason in not_examined)]
    examined = {p["id"]: p.get("files_examined") for p in report["plugins"]}
    planted = sum(len(v) for v in expect.values())
    for c, p in missed:
        print(f"MISSED {c} {p}")
    for p, r in unlisted:
        print(f"NOT LISTED {p} ({r})")
    body = f"""## A 100,000-file hostile tree

Every embedded plugin on one generated tree of {written:,} files ({size / 1e6:.0f} MB) with {planted}
planted problems (malicious pickles, privileged Kubernetes workloads, Dockerfiles running as root) in
ordinary folders, 10 folders deep, inside `node_modules`, `.venv`, `target` and `__pycache__`, behind
a link into `.git` and after a name that is not UTF-8, among FIFOs and a link out of the tree.
Reproduce with:

    python3 tests/bench/many_files.py

Machine: {platform.system()} {platform.machine()}, {os.cpu_count()} cores. aicomply 0.1.0, {"DEBUG build (not a figure)" if args.debug else "release build"}.
Wall time is the median of {args.runs} runs after one warm-up (compiled-plugin cache warm, page cache
warm), for the whole run: start, walk, read, judge, write report.json. Peak memory is the largest
resident set of any run.

| files | size | wall time (median) | runs | peak memory | findings kept | not kept (past the cap) | planted found | hostile entries listed | files examined |
|---|---|---|---|---|---|---|---|---|---|
| {written:,} | {size / 1e6:.0f} MB | {statistics.median(times):.2f} s | {", ".join(f"{t:.2f}" for t in times)} s | {peak:.0f} MiB | {len(report["findings"]):,} | {report["summary"].get("findings_dropped", 0):,} | {planted - len(missed)} of {planted} | {len(listed) - len(unlisted)} of {len(listed)} | {", ".join(f"{k} {v:,}" for k, v in sorted(examined.items()) if v is not None)} |

The bulk's benign pickles and Dockerfiles each raise an observation, so every plugin reaches its
cap of kept findings (`--max-findings`, 10,000); the rest are counted, and a more severe finding
displaces a less severe one kept, so no planted problem is lost to the cap.
Paths not examined, by reason: {", ".join(f"{n} {r}" for r, n in sorted(report["summary"]["not_examined"].items()))}.
"""
    write_section(args.out, "many-files", body)
    shutil.rmtree(work, ignore_errors=True)
    if missed or unlisted:
        sys.exit(f"{len(missed)} planted problems missed, {len(unlisted)} hostile entries not listed")


if __name__ == "__main__":
    main()
