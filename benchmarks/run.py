"""Benchmarks of the report pack; ``make bench`` runs them and writes ``benchmarks/results.md``.

What is measured, each in fresh processes as a user would run it (imports and kernel starts counted):

1. ``make data``: the tidy tables from raw and the national results every pack reads (``build-data --force``).
2. One council's whole pack, cold: ``ks2workbook report --la 831`` in a new process (a kernel per core, the default)
   and with ``--jobs 1`` (one kernel), the national results present (they are part of ``make data``), nothing else
   kept from an earlier run (a fresh output folder each time).
3. Where one pack's time goes, per notebook: the pack's facts (national results read, the council's own work),
   each notebook's charts and tables, and the HTML.
4. The same councils on one kernel and on two: the speed-up; and what this machine allows of one: the councils
   split in two halves, each run by a one-kernel command of its own, first each alone, then both at once (how much
   two busy cores slow each other down, whatever the code: two kernels can be at most 2/slow-down as fast as one).
5. With ``--all``: every current council on one kernel and on two, in turn (the weekly job's speed-up); with
   ``--test``: ``make test`` from a fresh clone.

Each figure is the median of ``--runs`` runs (min and max beside it); the machine is recorded.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).with_name("ks2workbook")
SPEEDUP_LAS = [831, 343, 335, 850, 936, 874, 201, 942]

BREAKDOWN = r"""
import json, tempfile, time, warnings
from pathlib import Path
warnings.simplefilter("ignore")
from ks2workbook.reporting.runner import KernelSession, REPORT_NOTEBOOKS, to_html
out = {}
spent = Path(tempfile.mkdtemp()) / "parts.json"

def facts_seconds(s):
    # the seconds the kernel has spent so far on the pack's facts (each part computed when a page first needs it)
    s._run_code(
        "import json\nfrom ks2workbook.analyses import pack as _p\n"
        f"open({str(spent)!r}, 'w').write(json.dumps(sum(_p.PART_SECONDS.values())))\n"
    )
    return json.loads(spent.read_text())

with KernelSession() as s:
    t = time.perf_counter(); s.start(); out["kernel start and table load"] = time.perf_counter() - t
    before = facts_seconds(s)
    for name in REPORT_NOTEBOOKS:
        t = time.perf_counter(); nb = s.run(name, {"la_code": 831}); total = time.perf_counter() - t
        after = facts_seconds(s)
        t = time.perf_counter(); to_html(nb, "t", "m", "f"); html = time.perf_counter() - t
        # the parts of the facts a notebook is the first to show are computed (and timed) in it; the rest of its
        # time is its own charts and tables
        facts, before = after - before, after
        out[name] = {"facts": facts, "charts and tables": total - facts, "html": html, "total": total + html}
print(json.dumps(out))
"""


def timed(cmd: list[str], env: dict | None = None, cwd: Path = ROOT) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def stats(values: list[float]) -> str:
    return f"{statistics.median(values):.1f} s (min {min(values):.1f}, max {max(values):.1f}, {len(values)} runs)"


def report_command(out: str, jobs: int | None, codes: list[int] | None) -> list[str]:
    """The pack command every benchmark times: ``codes`` None for every current council (``--all``), ``jobs`` None
    for the command's default (one council: a kernel per core)."""
    args = [str(BIN), "report", "--no-progress", "--out", out] + (["--jobs", str(jobs)] if jobs else [])
    if codes is None:
        return args + ["--all"]
    for code in codes:
        args += ["--la", str(code)]
    return args


def pack_seconds(codes: list[int] | None, jobs: int | None, env: dict) -> float:
    """One run of :func:`report_command` into a fresh output folder, in seconds."""
    with tempfile.TemporaryDirectory(dir=ROOT / "outputs") as out:
        return timed(report_command(out, jobs, codes), env)


def side_by_side(halves: list[list[int]], env: dict) -> float:
    """How much slower two one-kernel commands are when they run at once than each alone: the ratio of their
    seconds summed, at once over alone (1.0: the two cores do not slow each other at all)."""
    alone = [pack_seconds(half, 1, env) for half in halves]
    with tempfile.TemporaryDirectory(dir=ROOT / "outputs") as out:
        procs, started = [], time.perf_counter()
        for i, half in enumerate(halves):
            args = report_command(f"{out}/{i}", 1, half)
            quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
            procs.append(subprocess.Popen(args, cwd=ROOT, env=env, **quiet))
        ended: dict[int, float] = {}
        while len(ended) < len(procs):  # each command's own end, whichever ends first
            for i, proc in enumerate(procs):
                if i not in ended and proc.poll() is not None:
                    if proc.returncode != 0:
                        raise SystemExit("a side-by-side run failed")
                    ended[i] = time.perf_counter() - started
            time.sleep(0.02)
    return sum(ended.values()) / sum(alone)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--all", action="store_true", help="also every current council on one kernel and on two")
    parser.add_argument("--test", action="store_true", help="also `make test` from a fresh clone of this commit")
    args = parser.parse_args()
    (ROOT / "outputs").mkdir(exist_ok=True)
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    lines = [
        "# Benchmarks",
        "",
        f"Run {dt.date.today().isoformat()} on {platform.node() or 'this machine'}: {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, {platform.platform()}. Fresh processes; medians of {args.runs} runs.",
        "",
        "| what | time |",
        "|---|---|",
    ]
    build = [timed([str(BIN), "build-data", "--force"], env) for _ in range(args.runs)]
    lines.append(f"| `make data`: tidy tables and national results, from raw | {stats(build)} |")
    one = [pack_seconds([831], None, env) for _ in range(args.runs)]
    lines.append(f"| one council's pack, cold (`report --la 831`: a kernel per core) | {stats(one)} |")
    single = [pack_seconds([831], 1, env) for _ in range(args.runs)]
    lines.append(f"| the same on one kernel (`report --la 831 --jobs 1`) | {stats(single)} |")
    # One kernel and two in turn, the speed-up taken pair by pair: this machine's speed drifts by a fifth from one
    # quarter of an hour to the next, and all one-kernel runs before all two-kernel runs measured the drift too.
    serial, parallel = [], []
    for _ in range(max(1, args.runs - 1)):
        serial.append(pack_seconds(SPEEDUP_LAS, 1, env))
        parallel.append(pack_seconds(SPEEDUP_LAS, 2, env))
    ratios = [a / b for a, b in zip(serial, parallel, strict=True)]
    speedup = f"speed-up {statistics.median(ratios):.2f}x, pair by pair: {', '.join(f'{r:.2f}x' for r in ratios)}"
    lines.append(f"| {len(SPEEDUP_LAS)} councils, 1 kernel | {stats(serial)} |")
    lines.append(f"| the same, 2 kernels (run in turn with the above) | {stats(parallel)} ({speedup}) |")
    half = len(SPEEDUP_LAS) // 2
    slow = [side_by_side([SPEEDUP_LAS[:half], SPEEDUP_LAS[half:]], env) for _ in range(max(1, args.runs - 1))]
    ceiling = 2 / statistics.median(slow)
    lines.append(
        f"| this machine's own limit: two 1-kernel runs of {half} councils at once, against each alone "
        f"| {statistics.median(slow):.2f}x as slow (min {min(slow):.2f}, max {max(slow):.2f}, {len(slow)} runs): "
        f"two kernels at most {ceiling:.2f}x as fast as one, before any start-up |"
    )
    if args.all:
        # The weekly job: every council on one kernel, then on two, in turn (one pair; about 20 minutes).
        every_one, every_two = pack_seconds(None, 1, env), pack_seconds(None, 2, env)
        lines.append(f"| every current council, 1 kernel | {stats([every_one])} |")
        lines.append(
            f"| every current council, 2 kernels (run in turn with the above) | {stats([every_two])} "
            f"(speed-up {every_one / every_two:.2f}x) |"
        )
    if args.test:
        lines.append(
            f"| `make test` from a fresh clone (setup, data, lint, tests on 2 pytest workers) | {stats([_test()])} |"
        )
    parts = _breakdown(args.runs, env)
    lines += [
        "",
        f"Where one pack's time goes (Derby, one kernel, national results present; medians of {args.runs} runs):",
        "",
        "| step | facts | charts and tables | HTML | total |",
        "|---|---|---|---|---|",
    ]
    lines.append(f"| kernel start and table load | | | | {parts.pop('kernel start and table load'):.1f} s |")
    for name, p in parts.items():
        lines.append(
            f"| {name} | {p['facts']:.1f} s | {p['charts and tables']:.1f} s | {p['html']:.1f} s | {p['total']:.1f} s |"
        )
    text = "\n".join(lines) + "\n"
    (ROOT / "benchmarks" / "results.md").write_text(text)
    print(text)


def _breakdown(runs: int, env: dict) -> dict:
    """Each step's median over ``runs`` fresh processes (one run alone varies by a second or more here)."""
    seen = []
    for _ in range(runs):
        done = subprocess.run(
            [sys.executable, "-c", BREAKDOWN], check=True, cwd=ROOT, env=env, capture_output=True, text=True
        )
        seen.append(json.loads(done.stdout.strip().splitlines()[-1]))
    out: dict = {}
    for key, first in seen[0].items():
        if isinstance(first, dict):
            out[key] = {part: statistics.median(s[key][part] for s in seen) for part in first}
        else:
            out[key] = statistics.median(s[key] for s in seen)
    return out


def _test() -> float:
    """``make test`` as CI runs it: a fresh clone of the current commit, its own environment built from scratch."""
    with tempfile.TemporaryDirectory() as clone:
        subprocess.run(["git", "clone", "-q", str(ROOT), clone], check=True)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("KS2WB_", "VIRTUAL_ENV"))}
        return timed(["make", "test"], env, cwd=Path(clone))


if __name__ == "__main__":
    main()
