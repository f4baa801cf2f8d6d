#!/usr/bin/env python3
"""Detection benchmark: aicomply's model scanner against picklescan, modelscan
and modelaudit on the labelled model corpus.

One command, from the repository root:

    python3 tests/bench/model_detect.py

It builds aicomply in release mode (`cargo build --release -p aicomply`;
`--aicomply PATH` uses that binary instead), installs pinned picklescan,
modelscan and modelaudit from PyPI into target/bench-venv-detect (reused when
it already has them), copies the corpus files named by
tests/fixtures/models/expected*.json into target/bench-data/model-detect-corpus
(so no tool also scans the generator scripts), runs every tool over it, and
writes the `model-detect` section of BENCHMARKS.md and every tool's per-file
verdicts to target/bench-data/model-detect.json. `--no-write` skips
BENCHMARKS.md (use it with a debug build: its times mean nothing).

Each expected*.json maps a file's path (relative to the corpus folder) to
{"verdict": "malicious" | "benign" | "invalid" | "review", ...} ("review": a
whole model of the saving script's own classes, neither benign nor a payload,
is left out of the counts). Per tool it counts
malicious files flagged, benign files clean, invalid files reported (an
error reported or the file flagged: anything but passing it as clean), and the
wall time per file: the tool's total wall time over the corpus divided by the
number of files, after one untimed warm-up pass (page cache, .pyc files,
aicomply's compiled-plugin cache). aicomply, modelscan and modelaudit scan the
corpus folder in one process; picklescan runs once per file, because its
directory mode aborts the whole scan at the first file that is not a readable
zip archive. A tool run that crashes (killed, timed out, or no report written)
counts as nothing flagged and nothing reported for its files.

The rules (RULES below holds the same text, written into BENCHMARKS.md):

aicomply -- findings of the `code` plugin whose location.path is the file
(location.member set for a member inside it):
  flagged   a detection check at severity medium or above: every CODE-4/CODE-3
            model check except the validity checks below and
            CODE-MODEL-PICKLE-FORMAT. That check is emitted at medium for
            every pickle-based file whatever it contains ("this format can
            carry code"), so it is a format note, never a detection.
  reported  CODE-MODEL-INVALID, CODE-SAFETENSORS-INVALID,
            CODE-MODEL-SCAN-INCOMPLETE or CODE-MODEL-NOT-SCANNED on it, or the
            file in the code plugin's not_examined list or diagnostics.
  clean     no code-plugin finding of severity low or above on it other than
            the format note, and not reported. Other plugins' findings are
            ignored (the network plugin's NET-MODEL-NO-MANIFEST provenance
            note is on every model file).
picklescan -- `picklescan --path FILE`, one run per file:
  flagged   it reports dangerous globals for the file ("dangerous import ...
            FOUND", "Infected files: N" > 0; exit 1). Its "suspicious globals"
            do not count (its own default; --strict not used).
  reported  exit 2: a scan error ("ERROR: parsing pickle in ...", or its
            top-level "Unhandled exception" handler). Its "WARNING: could not
            parse ... as pickle" exits 0 and is printed for every file that is
            not a pickle, valid or not, so it is not a report.
  clean     exit 0.
modelscan -- `modelscan scan -p DIR -r json -o OUT --show-skipped`, once:
  flagged   any issue whose source is the file or one of its members. Its
            default settings use CRITICAL, HIGH and MEDIUM (Keras Lambda), so
            this is also "MEDIUM or above".
  reported  the file or a member in its errors (any category, including
            DEPENDENCY: a scanner that needs an extra not installed).
  clean     neither. A skipped file ("Model Scan did not scan file") counts as
            neither flagged nor reported: it is a silent pass.
modelaudit -- `modelaudit scan DIR --format json -o OUT --no-cache`, once
(telemetry off: PROMPTFOO_DISABLE_TELEMETRY=1, NO_ANALYTICS=1):
  flagged   an issue located in the file (or a member) of severity warning or
            critical: modelaudit's own "security issues found" rule (exit 1).
            A second row counts critical issues only.
  reported  the file's metadata says operational_error, analysis_incomplete or
            scan_outcome "inconclusive" (its exit-2 conditions), or an issue in
            it with rule S902 (corrupted file structure), S903 (invalid magic
            bytes) or S999 (scan error).
  clean     neither flagged (at that row's threshold) nor reported.
"""

import argparse
import glob
import json
import os
import shutil
import signal
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ left in tests/bench
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sections import machine, write_section  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TARGET = os.path.join(ROOT, "target")
DATA = os.path.join(TARGET, "bench-data")
CORPUS_SRC = os.path.join(ROOT, "tests", "fixtures", "models")
CORPUS = os.path.join(DATA, "model-detect-corpus")
WORK = os.path.join(DATA, "model-detect-work")
RAW = os.path.join(DATA, "model-detect.json")
VENV = os.path.join(TARGET, "bench-venv-detect")
BIN = os.path.join(VENV, "bin")
RELEASE = os.path.join(TARGET, "release", "aicomply")

# Pinned tools. The extras add h5py (modelaudit[h5], modelscan[h5py]: Keras
# .h5 files and the weights inside .keras) and onnx (modelaudit[onnx]: without
# it modelaudit marks ONNX coverage incomplete). Not installed: the tensorflow
# and pytorch extras (hundreds of MB each); without tensorflow modelscan
# reports Keras v3 and SavedModel files as DEPENDENCY errors, while modelaudit
# reads SavedModel protobufs itself.
PACKAGES = ["picklescan==1.0.5", "modelscan[h5py]==0.8.8", "modelaudit[h5,onnx]==0.2.54"]
PINS = {"picklescan": "1.0.5", "modelscan": "0.8.8", "modelaudit": "0.2.54"}
EXTRA_MODULES = ["h5py", "onnx"]
REPORTED_VERSIONS = ["picklescan", "modelscan", "modelaudit", "h5py", "onnx", "numpy"]

# modelaudit sends usage telemetry unless told not to (and retries for seconds
# when the network is unreachable, which would land in its time).
TOOL_ENV = dict(os.environ, PROMPTFOO_DISABLE_TELEMETRY="1", NO_ANALYTICS="1", NO_COLOR="1")

SEVERITY = {"info": 0, "low": 1, "medium": 2, "high": 3, "critical": 4}

# aicomply check ids (plugins/code/src/checks.rs).
FORMAT_NOTE = "CODE-MODEL-PICKLE-FORMAT"
VALIDITY = {"CODE-MODEL-INVALID", "CODE-SAFETENSORS-INVALID", "CODE-MODEL-SCAN-INCOMPLETE", "CODE-MODEL-NOT-SCANNED"}
DETECTIONS = {
    "CODE-PICKLE-DANGEROUS-CALL",
    "CODE-PICKLE-DANGEROUS-IMPORT",
    "CODE-PICKLE-UNKNOWN-CALL",
    "CODE-PICKLE-SUSPICIOUS",  # info unless the policy makes it fail: then medium
    "CODE-PICKLE-UNRESOLVED",
    "CODE-ARCHIVE-UNSAFE",
    "CODE-KERAS-CODE",
    "CODE-TF-DANGEROUS-OP",
    "CODE-MODEL-EXTERNAL-DATA",
}
MODELAUDIT_INVALID_RULES = {"S902", "S903", "S999"}

RULES = """\
- **The columns**: *malicious flagged* and *benign clean* as the rules below define them; *invalid reported* = an invalid file that
  the tool reported or flagged, i.e. did not pass as clean (for a zip bomb the corpus expects a detection, CODE-ARCHIVE-UNSAFE).
- **aicomply** (findings of the `code` plugin whose `location.path` is the file; a member inside it has `location.member` set):
  *flagged* = a detection check at severity medium or above, i.e. any CODE-4/CODE-3 model check except the validity checks below and
  `CODE-MODEL-PICKLE-FORMAT` (emitted at medium on every pickle-based file whatever it holds: a format note, not a detection);
  *reported* = `CODE-MODEL-INVALID`, `CODE-SAFETENSORS-INVALID`, `CODE-MODEL-SCAN-INCOMPLETE` or `CODE-MODEL-NOT-SCANNED` on it, or the file in
  the code plugin's `not_examined` or diagnostics; *clean* = no code-plugin finding of severity low or above other than the format note, and not
  reported (other plugins ignored: the network plugin's `NET-MODEL-NO-MANIFEST` provenance note is on every model file).
- **picklescan** (`picklescan --path FILE`, once per file): *flagged* = dangerous globals for the file (`dangerous import ... FOUND`,
  infected count > 0, exit 1; "suspicious globals" do not count, `--strict` not used); *reported* = exit 2, a scan error
  (`ERROR: parsing pickle in ...` or its top-level `Unhandled exception` handler); its `WARNING: could not parse ... as pickle` exits 0 and is
  printed for every non-pickle file, valid or not, so it is not a report; *clean* = exit 0.
- **modelscan** (`modelscan scan -p DIR -r json -o OUT --show-skipped`, once): *flagged* = any issue whose source is the file or one of its
  members (its defaults use CRITICAL, HIGH and MEDIUM for Keras Lambda, so this equals "MEDIUM or above"); *reported* = the file or a member in
  `errors` (any category, DEPENDENCY included); a file in `skipped` is neither flagged nor reported: a silent pass, counted clean.
- **modelaudit** (`modelaudit scan DIR --format json -o OUT --no-cache`, once, telemetry off): *flagged* = an issue located in the file or a
  member with severity warning or critical (its own exit-1 rule; the "critical only" row counts critical alone); *reported* = the file's
  metadata has `operational_error`, `analysis_incomplete` or `scan_outcome: inconclusive` (its exit-2 conditions), or an issue in it with rule
  S902 (corrupted file structure), S903 (invalid magic bytes) or S999 (scan error); *clean* = neither.
- Every tool: a crash or timeout counts as not flagged, not reported and not clean. *Time per file* = the tool's total wall time over the
  corpus / number of files, after one untimed warm-up pass; for picklescan it includes one Python start per file."""


def sh(*cmd, **kw):
    print("+", " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True, **kw)


def run(cmd, timeout):
    """(wall seconds, exit code or None on timeout, stdout, stderr). The child
    gets its own process group so a timeout ends it and anything it started."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=TOOL_ENV, cwd=WORK, start_new_session=True
    )
    try:
        out, err = proc.communicate(timeout=timeout)
        code = proc.returncode
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        code = None
    wall = time.perf_counter() - start
    return wall, code, out.decode(errors="replace"), err.decode(errors="replace")


# ---------------------------------------------------------------- setup


def venv_versions():
    """Installed versions of the packages that matter, or None without a venv."""
    py = os.path.join(BIN, "python")
    if not os.path.exists(py):
        return None
    code = (
        "import importlib.metadata as m, json\n"
        "out = {}\n"
        f"for p in {REPORTED_VERSIONS!r}:\n"
        "    try: out[p] = m.version(p)\n"
        "    except m.PackageNotFoundError: out[p] = None\n"
        "print(json.dumps(out))\n"
    )
    res = subprocess.run([py, "-c", code], capture_output=True, text=True)
    return json.loads(res.stdout) if res.returncode == 0 else None


def setup_venv():
    have = venv_versions()
    ok = have and all(have.get(p) == v for p, v in PINS.items()) and all(have.get(m) for m in EXTRA_MODULES)
    if not ok:
        if not os.path.exists(os.path.join(BIN, "python")):
            sh(sys.executable, "-m", "venv", VENV)
        sh(os.path.join(BIN, "pip"), "install", "-q", *PACKAGES)
        have = venv_versions()
    return have


def setup_aicomply(path):
    if path:
        return os.path.abspath(path)
    sh("cargo", "build", "--release", "-p", "aicomply", cwd=ROOT)
    return RELEASE


def load_expected():
    expected = {}
    for path in sorted(glob.glob(os.path.join(CORPUS_SRC, "expected*.json"))):
        with open(path) as f:
            for rel, entry in json.load(f).items():
                if rel in expected and expected[rel]["verdict"] != entry["verdict"]:
                    sys.exit(f"{rel}: verdict {entry['verdict']} in {os.path.basename(path)} contradicts {expected[rel]['verdict']}")
                expected[rel] = entry
    missing = [rel for rel in expected if not os.path.isfile(os.path.join(CORPUS_SRC, rel))]
    if missing:
        sys.exit(f"files named in expected*.json but absent: {', '.join(missing)}")
    return expected


def stage_corpus(expected):
    """A copy of exactly the labelled files, at the same relative paths."""
    shutil.rmtree(CORPUS, ignore_errors=True)
    for rel in expected:
        dst = os.path.join(CORPUS, rel)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        shutil.copy2(os.path.join(CORPUS_SRC, rel), dst)


def owner(location, files):
    """The corpus file a tool's location string (relative or absolute path,
    then optionally ':member', ' (pos N)', ...) belongs to, or None."""
    for rel in files:  # longest first
        if location == rel or (location.startswith(rel) and location[len(rel)] in ": !"):
            return rel
    return None


def verdict(**kw):
    base = {"completed": True, "flagged": False, "reported": False, "flags": [], "errors": [], "notes": []}
    base.update(kw)
    return base


def crashed(files, why):
    return {rel: verdict(completed=False, notes=[why]) for rel in files}


def short(text, n=110):
    text = " ".join(str(text).split())
    return text if len(text) <= n else text[: n - 1] + "…"


def warm_then_timed(cmd, report, files, timeout):
    """Run `cmd` once untimed (warm caches), then timed, and load the JSON
    report it writes: (wall, mode, report, None), or (wall, mode, None,
    verdicts of a crashed run)."""
    run(cmd, timeout)
    if os.path.exists(report):
        os.remove(report)
    wall, code, _, err = run(cmd, timeout)
    mode = f"one process over the corpus folder, exit {code}"
    if code is None:
        return wall, mode, None, crashed(files, f"timed out after {timeout} s")
    try:
        with open(report) as f:
            return wall, mode, json.load(f), None
    except (OSError, ValueError) as e:
        return wall, mode, None, crashed(files, f"exit {code}, no report ({e}): {short(err[-300:])}")


# ---------------------------------------------------------------- tools


def run_aicomply(binary, files, timeout):
    out = os.path.join(WORK, "aicomply-out")
    cache = os.path.join(TARGET, "bench-cache")
    cmd = [binary, "run", "--target", CORPUS, "--out", out, "--format", "json", "--fail-on", "none", "--quiet", "--cache-dir", cache]
    report = os.path.join(out, "report.json")
    # (The warm-up compiles the plugins into the cache.)
    wall, mode, data, failed = warm_then_timed(cmd, report, files, timeout)
    if failed:
        return wall, mode, failed
    plugin = next((p for p in data["plugins"] if p["id"] == "code"), None)
    if plugin is None or plugin["status"] != "ok":
        why = plugin["error"] if plugin else "no code plugin in the report"
        return wall, mode, crashed(files, f"code plugin failed: {short(why)}")
    res = {rel: verdict() for rel in files}
    low_findings = {rel: [] for rel in files}
    for f in data["findings"]:
        loc = f.get("location") or {}
        rel = loc.get("path")
        if f["plugin"] != "code" or rel not in res:
            continue
        sev = SEVERITY.get(f["severity"], 0)
        where = f"{rel}!{loc['member']}" if loc.get("member") else rel
        text = f"{f['check_id']} ({f['severity']}) {where}: {short(f['message'], 90)}"
        if f["check_id"] in VALIDITY:
            res[rel]["reported"] = True
            res[rel]["errors"].append(text)
        elif f["check_id"] in DETECTIONS and sev >= SEVERITY["medium"]:
            res[rel]["flagged"] = True
            res[rel]["flags"].append(text)
        elif f["check_id"] != FORMAT_NOTE and sev >= SEVERITY["low"]:
            low_findings[rel].append(text)
        else:
            res[rel]["notes"].append(text)
    for item in plugin.get("not_examined") or []:
        rel = (item.get("location") or {}).get("path")
        if rel in res:
            res[rel]["reported"] = True
            res[rel]["errors"].append(f"not examined: {short(item.get('reason') or item)}")
    for item in plugin.get("diagnostics") or []:
        rel = (item.get("location") or {}).get("path")
        if rel in res:
            res[rel]["reported"] = True
            res[rel]["errors"].append(f"diagnostic: {short(item['message'])}")
    for rel, v in res.items():
        v["clean"] = not v["flagged"] and not v["reported"] and not low_findings[rel]
        v["notes"] = low_findings[rel] + v["notes"]
    return wall, mode, res


def picklescan_parse(code, out):
    if code is None:
        return verdict(completed=False, exit=None, notes=["timed out"])
    if code not in (0, 1, 2):
        return verdict(completed=False, exit=code, notes=[f"exit {code}: {short(out[-300:])}"])
    v = verdict(exit=code)
    for line in out.splitlines():
        line = line.strip()
        if line.endswith("FOUND") and "dangerous import" in line:
            v["flagged"] = True
            v["flags"].append(short(line.replace(os.path.join(CORPUS, ""), "")))
        elif line.startswith("Infected files:") and line.split(":")[1].strip() not in ("", "0"):
            v["flagged"] = True
        elif line.startswith("ERROR:") or line == "Unhandled exception":
            v["errors"].append(short(line.replace(os.path.join(CORPUS, ""), "")))
        elif line.startswith("WARNING:"):
            v["notes"].append(short(line.replace(os.path.join(CORPUS, ""), "")))
    if code == 2:
        v["reported"] = True
        if not v["errors"]:
            v["errors"].append("exit 2")
    if code == 1 and not v["flagged"]:
        v["flagged"] = True
        v["flags"].append("exit 1")
    v["clean"] = code == 0 and not v["flagged"]
    return v


def run_picklescan(files, timeout):
    cmd = lambda rel: [os.path.join(BIN, "picklescan"), "--path", os.path.join(CORPUS, rel)]  # noqa: E731
    for rel in files:  # warm-up
        run(cmd(rel), timeout)
    total, res = 0.0, {}
    for rel in files:
        wall, code, out, err = run(cmd(rel), timeout)
        total += wall
        res[rel] = picklescan_parse(code, out + "\n" + err)
    codes = {}
    for v in res.values():
        codes[v.get("exit")] = codes.get(v.get("exit"), 0) + 1
    exits = ", ".join(f"exit {c}: {n}" for c, n in sorted(codes.items(), key=lambda kv: str(kv[0])))
    return total, f"one process per file ({exits}); its directory mode aborts at the first unreadable zip", res


def run_modelscan(files, timeout):
    report = os.path.join(WORK, "modelscan.json")
    cmd = [os.path.join(BIN, "modelscan"), "scan", "-p", CORPUS, "-r", "json", "-o", report, "--show-skipped"]
    wall, mode, data, failed = warm_then_timed(cmd, report, files, timeout)
    if failed:
        return wall, mode, failed
    by_len = sorted(files, key=len, reverse=True)
    res = {rel: verdict() for rel in files}
    for issue in data.get("issues") or []:
        rel = owner(issue.get("source") or "", by_len)
        if rel:
            res[rel]["flagged"] = True
            res[rel]["flags"].append(f"{issue.get('severity')} {issue.get('source')}: {short(issue.get('description'), 90)}")
    for error in data.get("errors") or []:
        rel = owner(error.get("source") or "", by_len)
        if rel:
            res[rel]["reported"] = True
            res[rel]["errors"].append(f"{error.get('category')} {error.get('source')}: {short(error.get('description'), 90)}")
    skipped = ((data.get("summary") or {}).get("skipped") or {}).get("skipped_files") or []
    for item in skipped:
        rel = owner(item.get("source") or "", by_len)
        if rel:
            res[rel]["notes"].append(f"skipped {item.get('category')} {item.get('source')}: {short(item.get('description'), 60)}")
    scanned = ((data.get("summary") or {}).get("scanned") or {}).get("scanned_files") or []
    for source in scanned:
        rel = owner(source, by_len)
        if rel:
            res[rel]["notes"].append(f"scanned {source}")
    for v in res.values():
        v["clean"] = not v["flagged"] and not v["reported"]
    return wall, mode, res


def run_modelaudit(files, timeout):
    """One run; parsed by modelaudit_verdicts at each severity threshold."""
    report = os.path.join(WORK, "modelaudit.json")
    cmd = [os.path.join(BIN, "modelaudit"), "scan", CORPUS, "--format", "json", "-o", report, "--no-cache"]
    run(cmd, timeout)  # warm-up
    if os.path.exists(report):
        os.remove(report)
    wall, code, out, err = run(cmd, timeout)
    mode = f"one process over the corpus folder, exit {code}"
    if code is None:
        return wall, mode, None, f"timed out after {timeout} s"
    try:
        with open(report) as f:
            return wall, mode, json.load(f), None
    except (OSError, ValueError) as e:
        return wall, mode, None, f"exit {code}, no report ({e}): {short(err[-300:])}"


def modelaudit_verdicts(data, why, files, flag_levels):
    if data is None:
        return crashed(files, why)
    prefix = os.path.join(CORPUS, "")
    by_len = sorted(files, key=len, reverse=True)
    res = {rel: verdict() for rel in files}

    def rel_of(location):
        location = location or ""
        return owner(location[len(prefix):], by_len) if location.startswith(prefix) else None

    for path, meta in (data.get("file_metadata") or {}).items():
        rel = rel_of(path)
        if not rel:
            continue
        if meta.get("operational_error"):
            res[rel]["reported"] = True
            res[rel]["errors"].append(f"operational error: {short(meta.get('operational_error_reason') or '')}")
        if meta.get("analysis_incomplete") or meta.get("scan_outcome") == "inconclusive":
            res[rel]["reported"] = True
            res[rel]["errors"].append(f"inconclusive: {', '.join(meta.get('scan_outcome_reasons') or []) or 'analysis incomplete'}")
    for issue in data.get("issues") or []:
        rel = rel_of(issue.get("location"))
        if not rel:
            continue
        sev, rule = issue.get("severity"), issue.get("rule_code")
        text = f"{sev} {rule or '-'}: {short(issue.get('message'), 90)}"
        if rule in MODELAUDIT_INVALID_RULES:
            res[rel]["reported"] = True
            res[rel]["errors"].append(text)
        if sev in flag_levels:
            res[rel]["flagged"] = True
            res[rel]["flags"].append(text)
        elif rule not in MODELAUDIT_INVALID_RULES:
            res[rel]["notes"].append(text)
    for v in res.values():
        v["clean"] = not v["flagged"] and not v["reported"]
    return res


# ---------------------------------------------------------------- report


def refused(v):
    """An invalid file is handled when the tool did not pass it as clean:
    it reported an error, or it flagged the file (a zip bomb's right
    answer is a detection)."""
    return v["reported"] or v["flagged"]


def tally(expected, res):
    n = {k: sum(1 for e in expected.values() if e["verdict"] == k) for k in ("malicious", "benign", "invalid")}
    got = {
        "malicious": sum(1 for rel, e in expected.items() if e["verdict"] == "malicious" and res[rel]["flagged"]),
        "benign": sum(1 for rel, e in expected.items() if e["verdict"] == "benign" and res[rel]["clean"]),
        "invalid": sum(1 for rel, e in expected.items() if e["verdict"] == "invalid" and refused(res[rel])),
    }
    return got, n


def why_not(v, want):
    """What a tool said instead, for the list of files it got wrong."""
    if not v["completed"]:
        return "crashed: " + "; ".join(v["notes"])
    parts = []
    if want != "flagged" and v["flags"]:
        parts.append("flagged: " + "; ".join(v["flags"][:2]) + (f" (+{len(v['flags']) - 2})" if len(v["flags"]) > 2 else ""))
    if want != "reported" and v["errors"]:
        parts.append("reported: " + "; ".join(v["errors"][:2]) + (f" (+{len(v['errors']) - 2})" if len(v["errors"]) > 2 else ""))
    if want == "clean" and not parts and v["notes"]:
        parts.append("; ".join(v["notes"][:2]))
    if want != "clean" and not parts:
        hint = next((x for x in v["notes"] if x.startswith(("skipped", "WARNING"))), None)
        parts.append(hint or "nothing found")
    return " / ".join(parts)


def wrong_lists(expected, res):
    lines = []
    sets = [
        ("malicious", "flagged", "malicious missed"),
        ("benign", "clean", "benign not clean"),
        ("invalid", "reported", "invalid not reported"),
    ]
    for kind, want, label in sets:
        ok = refused if want == "reported" else (lambda v, want=want: v[want])
        bad = [rel for rel, e in expected.items() if e["verdict"] == kind and not ok(res[rel])]
        lines.append(f"- {label} ({len(bad)}){':' if bad else ''}")
        for rel in bad:
            lines.append(f"  - `{rel}`: {why_not(res[rel], want)}".replace("|", "\\|"))
    return lines


def aicomply_version(binary):
    try:
        out = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=60)
        return (out.stdout or out.stderr).strip().splitlines()[0]
    except Exception as e:  # noqa: BLE001 - a missing version is reported, not fatal
        return f"unknown ({e})"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--aicomply", metavar="PATH", help="use this aicomply binary instead of building the release one")
    ap.add_argument("--no-write", action="store_true", help="do not write BENCHMARKS.md (the raw JSON is still written)")
    ap.add_argument("--out", default=os.path.join(ROOT, "BENCHMARKS.md"))
    ap.add_argument("--timeout", type=int, default=1200, help="seconds allowed per tool run (per file for picklescan: a tenth)")
    args = ap.parse_args()
    if args.aicomply and not args.no_write and "debug" in os.path.abspath(args.aicomply).split(os.sep):
        sys.exit("refusing to write BENCHMARKS.md from a debug build: pass a release binary, or --no-write")

    started = time.perf_counter()
    versions = setup_venv()
    binary = setup_aicomply(args.aicomply)
    expected = load_expected()
    files = sorted(expected)
    stage_corpus(expected)
    os.makedirs(WORK, exist_ok=True)

    tools = {}  # row name -> (wall, mode, per-file verdicts)
    print(f"{len(files)} files; running aicomply", flush=True)
    tools["aicomply"] = run_aicomply(binary, files, args.timeout)
    print("running picklescan", flush=True)
    tools["picklescan"] = run_picklescan(files, max(60, args.timeout // 10))
    print("running modelscan", flush=True)
    tools["modelscan"] = run_modelscan(files, args.timeout)
    print("running modelaudit", flush=True)
    wall, mode, data, why = run_modelaudit(files, args.timeout)
    tools["modelaudit"] = (wall, mode, modelaudit_verdicts(data, why, files, {"warning", "critical"}))
    tools["modelaudit (critical only)"] = (wall, mode, modelaudit_verdicts(data, why, files, {"critical"}))

    version_line = (
        f"{aicomply_version(binary)} ({'release build' if not args.aicomply else 'binary ' + os.path.relpath(binary, ROOT)}); "
        + "; ".join(f"{p} {versions.get(p)}" for p in REPORTED_VERSIONS)
    )
    table = [
        "| tool | malicious flagged | benign clean | invalid reported | time per file | how it ran |",
        "|---|---|---|---|---|---|",
    ]
    print()
    print(f"{'tool':28} {'malicious':>11} {'benign':>9} {'invalid':>9} {'ms/file':>9}")
    for name, (wall, mode, res) in tools.items():
        got, n = tally(expected, res)
        per_file = wall / len(files) * 1000
        table.append(
            f"| {name} | {got['malicious']}/{n['malicious']} | {got['benign']}/{n['benign']} | "
            f"{got['invalid']}/{n['invalid']} | {per_file:.1f} ms | {mode} |"
        )
        print(f"{name:28} {got['malicious']:>4}/{n['malicious']:<6} {got['benign']:>3}/{n['benign']:<5} {got['invalid']:>3}/{n['invalid']:<5} {per_file:>9.1f}")
    elapsed = time.perf_counter() - started
    print(f"\n(run took {elapsed:.0f} s)")

    raw = {
        "corpus": os.path.relpath(CORPUS_SRC, ROOT),
        "machine": machine(),
        "versions": version_line,
        "expected": expected,
        "tools": {
            name: {"wall_seconds": wall, "mode": mode, "files": res} for name, (wall, mode, res) in tools.items()
        },
    }
    os.makedirs(DATA, exist_ok=True)
    with open(RAW, "w") as f:
        json.dump(raw, f, indent=1, ensure_ascii=False)
    print(f"wrote {os.path.relpath(RAW, ROOT)}")

    body = [
        "## Model-file detection",
        "",
        "Which files of the labelled corpus (tests/fixtures/models, verdicts in `expected*.json`) each scanner gets right:",
        "aicomply's `code` plugin against picklescan, modelscan and modelaudit. Reproduce with:",
        "",
        "    python3 tests/bench/model_detect.py",
        "",
        f"Machine: {machine()}.",
        f"Versions: {version_line}.",
        "Extras installed: modelscan[h5py], modelaudit[h5,onnx]; not the tensorflow or pytorch extras.",
        f"Per-file verdicts of every tool: {os.path.relpath(RAW, ROOT)}.",
        "",
        "Rules:",
        "",
        RULES,
        "",
        *table,
        "",
        "Files each tool got wrong, with what it said instead:",
    ]
    for name, (_, _, res) in tools.items():
        body += ["", f"**{name}**", ""] + wrong_lists(expected, res)
    if args.no_write:
        print("--no-write: BENCHMARKS.md left alone; the section would be:\n")
        print("\n".join(body))
    else:
        write_section(args.out, "model-detect", "\n".join(body))


if __name__ == "__main__":
    main()
