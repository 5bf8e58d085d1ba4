"""The report pack: a broken notebook fails one LA only and leaves the previous good run untouched; two runs at
once are refused. (Every file of a whole pack is checked on the panel of tests/test_reports.py.)"""

from __future__ import annotations

import json
import os
import shutil

import nbformat
import pandas as pd
import pytest
from ks2workbook.analyses import pack as pack_facts
from ks2workbook.core import paths
from ks2workbook.core.errors import WorkbookError
from ks2workbook.data import tables
from ks2workbook.reporting import pack
from ks2workbook.reporting import runner as report
from ks2workbook.rules.pack import PARAMETERS
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

pytestmark = pytest.mark.slow


@pytest.fixture
def broken_project(tmp_path, monkeypatch):
    """A project root whose notebooks include one that fails for Sefton (343) only."""
    root = tmp_path / "project"
    (root / "data").mkdir(parents=True)
    os.symlink(paths.raw_dir(), root / "data" / "raw")
    os.symlink(paths.project_root() / "data" / "catalogue.yaml", root / "data" / "catalogue.yaml")
    for name in ("scenarios", "rules", "plans"):  # copied: a council file must lie inside the project it runs in
        if (paths.project_root() / name).exists():
            shutil.copytree(paths.project_root() / name, root / name)
    shutil.copytree(paths.notebooks_dir(), root / "notebooks")
    boom = new_notebook(
        cells=[
            new_markdown_cell("# Boom\n\nA notebook that fails for LA 343, to test the pack's failure handling."),
            new_code_cell("\n".join(f"{k} = {v!r}" for k, v in PARAMETERS.items()), metadata={"tags": ["parameters"]}),
            new_code_cell(
                "from ks2workbook.core.errors import WorkbookError\n"
                "if la_code == 343:\n    raise WorkbookError('deliberate failure for 343')\n"
                "print('fine')"
            ),
        ]
    )
    nbformat.write(boom, root / "notebooks" / "boom.ipynb")
    # The shipped tables, named before the root moves (else they would be built again inside the copy).
    monkeypatch.setenv("KS2WB_PROCESSED", str(paths.processed_dir()))
    monkeypatch.setenv("KS2WB_ROOT", str(root))
    monkeypatch.setitem(report.REPORT_NOTEBOOKS, "boom", "Boom")
    pack.notebook_parameters.cache_clear()
    yield root
    pack.notebook_parameters.cache_clear()


def test_failure_in_one_la_keeps_its_last_good_report(broken_project, tmp_path):
    out = tmp_path / "out"
    first = pack.run_pack([343], notebooks=["floor"], out_root=out, jobs=1, progress=False, date="2026-02-01")
    assert not first.failed
    good = (out / "2026-02-01" / "343" / "floor.html").read_bytes()
    second = pack.run_pack(
        [831, 343], notebooks=["floor", "boom"], out_root=out, jobs=1, progress=False, date="2026-02-01"
    )
    assert [o.la_code for o in second.failed] == [343]
    failure = next(r for r in second.results if not r.ok)
    assert failure.notebook == "boom" and "deliberate failure for 343" in failure.error
    assert (out / "2026-02-01" / "831" / "boom.html").is_file()  # the other LA was written
    assert (out / "2026-02-01" / "343" / "floor.html").read_bytes() == good  # previous good run untouched
    assert not (out / "2026-02-01" / "343" / "boom.html").exists()
    assert "deliberate failure" in (out / "2026-02-01" / "logs" / "343.log").read_text()
    assert "343" in (out / "2026-02-01" / "index.html").read_text()


def test_second_run_at_once_is_refused(tmp_path):
    with pack.run_lock(tmp_path):
        with pytest.raises(WorkbookError, match="another report run"):
            pack.run_pack([831], notebooks=["trends"], out_root=tmp_path, progress=False)


def test_cli_report_exit_code_and_summary(tmp_path):
    from ks2workbook.cli import app
    from typer.testing import CliRunner

    result = CliRunner().invoke(
        app, ["report", "--la", "831", "--notebook", "trends", "--out", str(tmp_path), "--no-progress"]
    )
    assert result.exit_code == 0, result.output
    assert "1 LA(s) done, 0 failed" in result.output
    assert json.dumps(str(tmp_path))  # output root used
    assert list(tmp_path.glob("*/831/trends.html"))


def test_kernels_take_the_largest_councils_first():
    """Hampshire (hundreds of primary schools) before Derby before City of London (one): the quick packs come last,
    so two kernels finish together. Every council is kept, once."""
    order = pack.largest_first([201, 831, 850, 420, 343])
    assert order[0] == 850 and order.index(831) < order.index(201) and set(order[-2:]) == {201, 420}
    assert sorted(order) == [201, 343, 420, 831, 850]


def test_current_las_exclude_retired_councils():
    codes = pack.current_la_codes()
    assert 150 <= len(codes) <= 156
    assert 909 not in codes and 928 not in codes and 942 in codes and 831 in codes


# ---- the facts: each part when first asked for ---------------------------------------------------------------


@pytest.fixture
def fresh_facts():
    pack_facts._facts.cache_clear()
    yield
    pack_facts._facts.cache_clear()


def test_a_part_of_the_facts_is_computed_when_first_asked_for_and_once(fresh_facts, monkeypatch):
    """A kernel that shows only the trends does not compute the risk models' part; a part asked for twice is the
    same object (every page showing it shows the same figures)."""
    calls = []
    real = pack_facts._risk
    monkeypatch.setattr(pack_facts, "_risk", lambda d: calls.append(d.la_code) or real(d))
    facts = pack_facts.facts(pack_facts.define(la_code=831))
    assert facts.trends.ok and facts.trends["first_year"] <= facts.year
    assert calls == []
    first = facts.risk
    assert calls == [831] and facts.risk is first and first.ok
    assert facts.plan.ok and calls == [831]  # the plan reads the risk part already computed


def test_the_kernels_deal_every_notebook_longest_first():
    """Every notebook of the pack has its place in the order the kernels of one council take them (a notebook
    added to the pack but not to the order would silently go last)."""
    assert sorted(pack.LONGEST_FIRST) == sorted(report.REPORT_NOTEBOOKS)
    assert sorted(report.REPORT_NOTEBOOKS, key=pack.longest_first_rank)[0] == "cabinet_summary"


def test_the_kernels_of_one_council_share_the_parts_of_its_facts(fresh_facts, monkeypatch, tmp_path):
    """With sharing on (the two kernels of a one-council run), a part computed by one kernel is written to the
    run's folder and read by the other instead of computed again, equal to computing it; another year's pack does
    not read it; a damaged file is computed again; with sharing off nothing is read or written."""
    version = tables.tables_version(*tables.TABLES)
    derby = pack_facts.define(la_code=831)
    computed = pack_facts.PackFacts(derby, version).risk  # sharing off
    assert list(tmp_path.iterdir()) == []
    pack_facts.share_parts(str(tmp_path))
    try:
        written = pack_facts.PackFacts(derby, version).risk  # the first kernel
        assert [f.name.split("-")[0] for f in tmp_path.glob("*.pickle")] == ["risk"]
        real = pack_facts._risk
        calls = []
        monkeypatch.setattr(pack_facts, "_risk", lambda d: calls.append(d.year) or real(d))
        read = pack_facts.PackFacts(derby, version).risk  # the second kernel
        assert calls == [] and read.ok and read is not written
        for part in (written, read):
            pd.testing.assert_frame_equal(part["table"], computed["table"])
            assert part.data.keys() == computed.data.keys()
        assert pack_facts.PackFacts(pack_facts.define(la_code=831, year=2018), version).risk.ok
        assert calls == [2018] and len(list(tmp_path.glob("risk-*.pickle"))) == 2
        for file in tmp_path.glob("risk-*.pickle"):
            file.write_bytes(b"not a part")
        again = pack_facts.PackFacts(derby, version).risk
        assert calls == [2018, derby.year] and again.ok
        pd.testing.assert_frame_equal(again["table"], computed["table"])
    finally:
        pack_facts.share_parts(None)
    pack_facts.PackFacts(derby, version).trends  # noqa: B018 - sharing off: nothing written
    assert not list(tmp_path.glob("trends-*"))


def test_a_part_asked_for_after_the_tables_were_rebuilt_is_refused_in_words(fresh_facts, monkeypatch):
    facts = pack_facts.facts(pack_facts.define(la_code=831))
    monkeypatch.setattr(tables, "tables_version", lambda *names: (("rebuilt", 1),))
    with pytest.raises(WorkbookError, match="rebuilt while this pack was being made; run the pack"):
        _ = facts.headline
