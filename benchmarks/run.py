"""Benchmarks: time the data build from raw and a notebook run; write ``benchmarks/results.md``.

Run by ``make bench``. Each figure is the median of several runs in fresh subprocesses (so imports and the
kernel start are counted as a user would see them), on whatever machine runs it; the machine is recorded.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

BUILD = "from ks2workbook import dataset; dataset.build_all(force=True)"
NOTEBOOK = (
    "import sys; from pathlib import Path; from ks2workbook import report; "
    "r = report.render('{nb}', {{'la_code': 831}}, Path(sys.argv[1]), 'bench', 'bench'); "
    "assert r.ok, r.error"
)


def _time(code: str, *args: str, env: dict | None = None) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code, *args], check=True, cwd=ROOT, env=env)
    return time.perf_counter() - start


def measure(runs: int) -> list[tuple[str, str, list[float]]]:
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        env = {**os.environ, "KS2WB_PROCESSED": str(Path(scratch) / "processed")}
        build = [_time(BUILD, env=env) for _ in range(runs)]
        rows.append(("Data build from raw (all 7 tables, forced)", "under 15 s", build))
        out = Path(scratch) / "out"
        for name, aim in (("trends", "under 10 s"),):
            times = [_time(NOTEBOOK.format(nb=name), str(out), env=env) for _ in range(runs)]
            rows.append((f"Notebook `{name}` for Derby (execute + HTML)", aim, times))
    return rows


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f", {kb / 1024 / 1024:.0f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    system = f"{platform.system()} {platform.release()}, Python {platform.python_version()}"
    return f"{os.cpu_count()} cores ({cpu}){mem}, {system}"


def write(rows: list[tuple[str, str, list[float]]], runs: int) -> str:
    lines = [
        "# Benchmark results",
        "",
        f"Measured {dt.datetime.now().strftime('%Y-%m-%d %H:%M')} on {machine()}, by `make bench` "
        f"(`benchmarks/run.py`): median of {runs} runs, each in a fresh process (imports and kernel start count).",
        "",
        "| what | median | runs (s) | aim |",
        "|---|---:|---|---|",
    ]
    for what, aim, times in rows:
        runs_text = ", ".join(f"{t:.1f}" for t in times)
        lines.append(f"| {what} | {statistics.median(times):.1f} s | {runs_text} | {aim} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    text = write(measure(args.runs), args.runs)
    (ROOT / "benchmarks" / "results.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
