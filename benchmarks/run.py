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
PACK = (
    "import sys, json; from pathlib import Path; from ks2workbook import pack; "
    "codes = json.loads(sys.argv[2]); "
    "run = pack.run_pack(codes if codes else pack.current_la_codes(), out_root=Path(sys.argv[1]), "
    "jobs=int(sys.argv[3]), progress=False); "
    "print(json.dumps({**run.seconds, 'failed_las': [o.la_code for o in run.failed]}))"
)
NOTEBOOK = (
    "import sys; from pathlib import Path; from ks2workbook import pack; "
    "run = pack.run_pack([831], notebooks=['{nb}'], out_root=Path(sys.argv[1]), jobs=1, progress=False); "
    "assert not run.failed, run.summary()"
)


def _time(code: str, *args: str, env: dict | None = None) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code, *args], check=True, cwd=ROOT, env=env)
    return time.perf_counter() - start


def _pack(out: Path, codes: list[int], jobs: int, env: dict) -> tuple[float, dict]:
    import json

    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", PACK, str(out), json.dumps(codes), str(jobs)],
        check=True,
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    return time.perf_counter() - start, json.loads(done.stdout.strip().splitlines()[-1])


SPLIT_KEYS = ("kernel_start", "data_load", "analysis", "rendering")


def _split(seconds: dict) -> str:
    total = sum(seconds.get(k, 0.0) for k in SPLIT_KEYS) or 1.0
    return ", ".join(
        f"{k.replace('_', ' ')} {seconds.get(k, 0.0):.0f} s ({seconds.get(k, 0.0) / total:.0%})" for k in SPLIT_KEYS
    )


def measure_pack(runs: int, subset: int, all_las: bool) -> tuple[list, list[str]]:
    """One LA sequential; a subset of LAs with 1 and 2 workers (the speed-up); optionally every LA, 2 workers."""
    rows, notes = [], []
    with tempfile.TemporaryDirectory() as scratch:
        env = dict(os.environ)
        one = [_pack(Path(scratch) / f"one{i}", [831], 1, env) for i in range(runs)]
        rows.append(("Report pack, one LA (Derby), all notebooks, sequential", "under 30 s", [t for t, _ in one]))
        notes.append(f"One-LA time split (last run, summed): {_split(one[-1][1])}.")
        from ks2workbook import pack

        codes = pack.current_la_codes()[:subset]
        t1, _ = _pack(Path(scratch) / "sub1", codes, 1, env)
        t2, split2 = _pack(Path(scratch) / "sub2", codes, 2, env)
        rows.append((f"Report pack, {len(codes)} LAs, 1 worker", "", [t1]))
        rows.append((f"Report pack, {len(codes)} LAs, 2 workers", f"at least 1.7x faster: {t1 / t2:.2f}x", [t2]))
        notes.append(
            f"Speed-up with 2 workers on {len(codes)} LAs: {t1 / t2:.2f}x ({t1:.0f} s -> {t2:.0f} s); "
            f"time split with 2 workers (summed over workers): {_split(split2)}."
        )
        if all_las:
            ta, splita = _pack(Path(scratch) / "all", [], 2, env)
            n = len(pack.current_la_codes())
            rows.append((f"Report pack, all {n} LAs, 2 workers", "under 15 min", [ta]))
            failed = splita.get("failed_las", [])
            notes.append(
                f"All-LA time split (summed over workers): {_split(splita)}. LAs with a failed notebook: "
                f"{', '.join(map(str, failed)) or 'none'}."
            )
    return rows, notes


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


def write(rows: list[tuple[str, str, list[float]]], runs: int, notes: list[str] | None = None) -> str:
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
    lines += ["", *[f"- {note}" for note in notes or []]]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--subset", type=int, default=12, help="LAs in the 1-vs-2-worker speed-up run")
    parser.add_argument("--all", action="store_true", help="also time every LA with 2 workers (about 15 min)")
    parser.add_argument("--no-pack", action="store_true", help="only the data build and one notebook")
    args = parser.parse_args()
    rows = measure(args.runs)
    notes: list[str] = []
    if not args.no_pack:
        pack_rows, notes = measure_pack(args.runs, args.subset, args.all)
        rows += pack_rows
    text = write(rows, args.runs, notes)
    (ROOT / "benchmarks" / "results.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
