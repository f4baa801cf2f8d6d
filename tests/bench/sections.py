"""BENCHMARKS.md holds one section per benchmark script, each between
`<!-- bench:NAME -->` and `<!-- /bench:NAME -->`; a script rewrites only its
own section, so running one benchmark keeps the others' results."""

import os
import platform
import re

HEADER = "# Benchmarks\n\nEach section is written by the script it names; rerun that script to reproduce it.\n"


def write_section(path, name, body):
    start, end = f"<!-- bench:{name} -->", f"<!-- /bench:{name} -->"
    block = f"{start}\n{body.rstrip()}\n{end}\n"
    text = open(path).read() if os.path.exists(path) else HEADER
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end) + r"\n?", re.S)
    if pattern.search(text):
        text = pattern.sub(lambda _: block, text)
    else:
        text = text.rstrip() + "\n\n" + block
    with open(path, "w") as f:
        f.write(text)
    print(f"wrote the {name} section of {path}")


def machine():
    """The machine a benchmark ran on, as the sections print it."""
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(l.split(":", 1)[1].strip() for l in f if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores ({cpu}); Python {platform.python_version()}"
