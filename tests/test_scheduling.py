"""The documented cron line and systemd timer run a command that exists, and the run they start is safe to
repeat (idempotent) — the lock that makes two at once safe is tested in test_pack.py."""

from __future__ import annotations

import configparser
import re
import subprocess

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


@pytest.mark.slow
def test_second_run_same_day_is_idempotent(tmp_path):
    first = pack.run_pack([831], notebooks=["trends"], out_root=tmp_path, progress=False, date="2026-04-01")
    files = sorted(p.relative_to(tmp_path) for p in (tmp_path / "2026-04-01" / "831").iterdir())
    second = pack.run_pack([831], notebooks=["trends"], out_root=tmp_path, progress=False, date="2026-04-01")
    assert not first.failed and not second.failed
    assert sorted(p.relative_to(tmp_path) for p in (tmp_path / "2026-04-01" / "831").iterdir()) == files
    assert not [p for p in (tmp_path / "2026-04-01").iterdir() if p.name.startswith((".tmp-", ".old-"))]
    # A later run of another notebook the same day keeps the trends report beside it.
    third = pack.run_pack([831], notebooks=["floor"], out_root=tmp_path, progress=False, date="2026-04-01")
    assert not third.failed
    assert {"trends.html", "floor.html"} <= {p.name for p in (tmp_path / "2026-04-01" / "831").iterdir()}
