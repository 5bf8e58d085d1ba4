"""Scheduled runs: the documented cron line and systemd timer run a command that exists, and the run they start is
safe to repeat (idempotent), safe to start twice at once (the second is refused naming the first, whose lock line
stays), cleans what a killed run left behind, and never replaces a good report with a failed one."""

from __future__ import annotations

import configparser
import os
import re
import shutil
import subprocess

import nbformat
import pytest
from ks2workbook.core import paths
from ks2workbook.reporting import pack

DEPLOY = paths.project_root() / "deploy"


def _make_targets() -> set[str]:
    text = (paths.project_root() / "Makefile").read_text()
    return set(re.findall(r"^([a-z][a-z-]*):", text, flags=re.M))


def test_cron_line_is_valid_and_runs_a_real_target():
    lines = [ln for ln in (DEPLOY / "ks2workbook.cron").read_text().splitlines() if ln and not ln.startswith("#")]
    assert len(lines) == 1
    fields = lines[0].split(maxsplit=5)
    minute, hour, dom, month, dow, command = fields
    assert 0 <= int(minute) <= 59 and 0 <= int(hour) <= 23 and dom == "*" and month == "*" and dow in "0123456*"
    target = re.search(r"make ([a-z-]+)", command).group(1)
    assert target in _make_targets()
    assert ">>" in command and "2>&1" in command  # output kept for the council's log


def test_systemd_units_are_consistent():
    service = configparser.ConfigParser(strict=False)
    service.read(DEPLOY / "ks2workbook-report.service")
    timer = configparser.ConfigParser(strict=False)
    timer.read(DEPLOY / "ks2workbook-report.timer")
    assert service["Service"]["Type"] == "oneshot"
    target = service["Service"]["ExecStart"].split()[-1]
    assert target in _make_targets()
    assert timer["Timer"]["Unit"] == "ks2workbook-report.service"
    assert timer["Timer"]["Persistent"] == "true" and "05:30" in timer["Timer"]["OnCalendar"]
    analyze = subprocess.run(["which", "systemd-analyze"], capture_output=True, text=True)
    if analyze.returncode == 0:  # where systemd is installed, let it check the calendar expression too
        check = subprocess.run(["systemd-analyze", "calendar", timer["Timer"]["OnCalendar"]], capture_output=True)
        assert check.returncode == 0


def test_report_all_target_runs_every_current_la():
    text = (paths.project_root() / "Makefile").read_text()
    assert "report --all" in text.split("report-all:", 1)[1].split("\n\n", 1)[0]


def test_a_second_run_at_once_is_refused_naming_the_first(tmp_path):
    """A run holding the lock in another process: `ks2workbook report` into the same folder stops at once with one
    line naming that process, before any kernel starts, and leaves the holder's line in the lock file."""
    import sys

    from ks2workbook.cli import app
    from typer.testing import CliRunner

    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import pathlib, sys\n"
            "from ks2workbook.reporting import pack\n"
            "with pack.run_lock(pathlib.Path(sys.argv[1])):\n"
            "    print('locked', flush=True)\n"
            "    sys.stdin.read()\n",
            str(tmp_path),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        lock = tmp_path / pack.LOCK_NAME
        line = lock.read_text()
        assert line.startswith(f"process {holder.pid}, started ")
        result = CliRunner().invoke(
            app, ["report", "--la", "831", "--notebook", "trends", "--out", str(tmp_path), "--no-progress"]
        )
        assert result.exit_code == 2, result.output
        assert result.output.strip().splitlines() == [
            f"error: another report run is writing to this output folder ({line.strip()}); try again when it has "
            "finished"
        ]
        assert lock.read_text() == line  # the refused run did not overwrite the holder's line
        assert [p.name for p in tmp_path.iterdir()] == [pack.LOCK_NAME]  # and wrote nothing else
    finally:
        holder.communicate("", timeout=60)
    assert holder.returncode == 0


@pytest.mark.slow
def test_second_run_same_day_is_idempotent_and_cleans_leftovers(tmp_path):
    day = tmp_path / "2026-04-01"
    first = pack.run_pack([831], notebooks=["trends"], out_root=tmp_path, progress=False, date="2026-04-01")
    assert not first.failed, [o.reason for o in first.failed]
    files = sorted(p.name for p in (day / "831").iterdir())
    assert files == ["ks2_tables_831.xlsx", "trends.html", "trends.ipynb"]
    # What a killed run leaves behind: its scratch folder and a folder moved aside (.tmp-<la>-<pid>, .old-...).
    for leftover in (".tmp-831-99999", ".old-831-99999"):
        (day / leftover).mkdir()
        (day / leftover / "trends.html").write_text("half written")
    second = pack.run_pack([831], notebooks=["trends"], out_root=tmp_path, progress=False, date="2026-04-01")
    assert not second.failed
    assert sorted(p.name for p in (day / "831").iterdir()) == files
    assert not [p for p in day.iterdir() if p.name.startswith((".tmp-", ".old-"))]
    # A later run of another report the same day keeps the trends report beside it.
    third = pack.run_pack([831], notebooks=["floor"], out_root=tmp_path, progress=False, date="2026-04-01")
    assert not third.failed
    assert {"trends.html", "floor.html"} <= {p.name for p in (day / "831").iterdir()}
    index = (day / "index.html").read_text()
    assert 'href="831/trends.html"' in index and 'href="831/floor.html"' in index


@pytest.fixture
def project_copy(tmp_path, monkeypatch):
    """A workbook root of its own (KS2WB_ROOT): the shipped data linked, the notebooks and council files copied, so
    a test may break a notebook without touching the real one."""
    root = tmp_path / "project"
    (root / "data").mkdir(parents=True)
    os.symlink(paths.raw_dir(), root / "data" / "raw")
    os.symlink(paths.raw_dir().parent / "catalogue.yaml", root / "data" / "catalogue.yaml")
    for name in ("rules", "plans", "scenarios", "notebooks"):  # copied: a council file must lie inside the root
        shutil.copytree(paths.project_root() / name, root / name)
    monkeypatch.setenv("KS2WB_PROCESSED", str(paths.processed_dir()))
    monkeypatch.setenv("KS2WB_ROOT", str(root))
    pack.notebook_parameters.cache_clear()
    yield root
    pack.notebook_parameters.cache_clear()


@pytest.mark.slow
def test_a_failed_run_keeps_the_last_good_report(project_copy, tmp_path):
    out = tmp_path / "out"
    day = out / "2026-04-02"
    first = pack.run_pack([343], notebooks=["trends"], out_root=out, progress=False, date="2026-04-02")
    assert not first.failed, [o.reason for o in first.failed]
    good = {p.name: p.read_bytes() for p in (day / "343").iterdir()}
    # The trends notebook now stops for Sefton (343) in its first cell after the parameters, as a notebook does
    # when a pack cannot be made.
    path = project_copy / "notebooks" / "trends.ipynb"
    notebook = nbformat.read(path, as_version=4)
    notebook.cells.insert(
        2,
        nbformat.v4.new_code_cell(
            "from ks2workbook.core.errors import WorkbookError\n"
            "if la_code == 343:\n    raise WorkbookError('deliberate failure for 343')"
        ),
    )
    nbformat.write(notebook, path)
    second = pack.run_pack([343], notebooks=["trends"], out_root=out, progress=False, date="2026-04-02")
    assert [o.la_code for o in second.failed] == [343]
    assert second.failed[0].reason == "KS2 trends: deliberate failure for 343"
    assert {p.name: p.read_bytes() for p in (day / "343").iterdir()} == good  # the last good report, untouched
    assert not [p for p in day.iterdir() if p.name.startswith((".tmp-", ".old-"))]
    assert "trends: FAILED: deliberate failure for 343" in (day / "logs" / "343.log").read_text()
    assert "not made in this run (KS2 trends: deliberate failure for 343)" in (day / "index.html").read_text()
