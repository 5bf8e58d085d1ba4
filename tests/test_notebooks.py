"""Notebooks: committed stripped, one parameters cell, and executed end to end through the report path.

nbval (``make test`` runs ``pytest --nbval-lax notebooks/``) executes each notebook with its defaults; here we
render through papermill + nbconvert into a temporary folder and read the HTML a cabinet member would get.
"""

from __future__ import annotations

import ast
import json

import nbformat
import pytest
from ks2workbook.core import paths
from ks2workbook.reporting import pack as report

NOTEBOOKS = sorted(paths.notebooks_dir().glob("*.ipynb"))


def test_there_are_notebooks():
    assert "trends" in {p.stem for p in NOTEBOOKS}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_committed_without_outputs(path):
    notebook = json.loads(path.read_text())
    for cell in notebook["cells"]:
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [], f"{path.name} has outputs"
            assert cell["execution_count"] is None, f"{path.name} has execution counts"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_exactly_one_parameters_cell_of_plain_values(path):
    notebook = nbformat.read(path, as_version=4)
    tagged = [c for c in notebook.cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1, f"{path.name}: {len(tagged)} parameters cells"
    cell = tagged[0]
    assert cell.cell_type == "code"
    first_code = next(c for c in notebook.cells if c.cell_type == "code")
    assert first_code is cell, "the parameters cell is the first code cell"
    for statement in ast.parse(cell.source).body:  # plain values only: derived values belong in the next cell
        assert isinstance(statement, ast.Assign | ast.AnnAssign), f"not an assignment: {ast.unparse(statement)}"
        ast.literal_eval(statement.value)
    assert notebook.cells[0].cell_type == "markdown" and notebook.cells[0].source.startswith("# ")


def _html_text(path) -> str:
    return path.read_text(encoding="utf-8")


def _assert_cabinet_ready(html: str) -> None:
    # Markdown cells render inside jp-InputArea too, so look for code itself: highlighted source, our calls.
    for code in ("hl-ipython3", "dataset.load(", "import ", "In&nbsp;["):
        assert code not in html, f"code leaked into the report: {code}"
    assert "Traceback" not in html and 'jp-RenderedText" data-mime-type="application/vnd.jupyter.stderr' not in html
    assert "<script src=" not in html, "the report must not fetch scripts from a CDN"
    assert "Open Government Licence" in html


@pytest.mark.slow
def test_trends_report_default_la(tmp_path):
    # Derby (831), the default: numbers that the DfE published appear in the prose under the first chart.
    results = report.run_report(831, notebooks=["trends"], out_root=tmp_path)
    assert [r.ok for r in results] == [True], results[0].error
    html = _html_text(results[0].html)
    _assert_cabinet_ready(html)
    assert "Derby (LA 831), East Midlands" in html
    # LAIT: Derby 2025 RWM 57%, 2024 55%, England 63% -> "+2 pts", "6 points below England".
    assert (
        "In 2025, 57% of Derby&#39;s pupils met the measure (+2 pts on 2024), 6 points below England" in html
        or "In 2025, 57% of Derby's pupils met the measure (+2 pts on 2024), 6 points below England" in html
    )
    assert html.count("<img") >= 4
    assert results[0].executed.is_file()


@pytest.mark.slow
def test_trends_report_other_la_and_years(tmp_path):
    # Sefton (343), 2016-2019 only. DfE LAIT (KS2RWM_Expected_STD): Sefton 2019 63%, England 65%.
    results = report.run_report(
        343, notebooks=["trends"], out_root=tmp_path, extra={"first_year": 2016, "last_year": 2019}
    )
    assert results[0].ok, results[0].error
    html = _html_text(results[0].html)
    _assert_cabinet_ready(html)
    assert "Sefton (LA 343), North West: 2016 to 2019" in html
    assert "In 2019, 63% of Sefton" in html and "2 points below England" in html


@pytest.mark.slow
def test_failed_run_keeps_last_good_report(tmp_path):
    first = report.run_report(831, notebooks=["trends"], out_root=tmp_path)[0]
    good = first.html.read_bytes()
    # A year range with no data fails inside the notebook: the error is reported, the old HTML stays.
    bad = report.run_report(831, notebooks=["trends"], out_root=tmp_path, extra={"first_year": 2020, "last_year": 2021})
    assert not bad[0].ok
    assert "no data between 2020 and 2021" in bad[0].error and "2016, 2017" in bad[0].error
    assert first.html.read_bytes() == good
    assert not [p for p in first.html.parent.parent.iterdir() if p.name.startswith((".tmp-", ".old-"))]
