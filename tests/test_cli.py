"""The command line: exports for Excel users (the tidy tables, and the pack's own tables), one-line errors (exit 2)
on bad input, and `ks2workbook report` refusing a bad parameter before any kernel starts."""

from __future__ import annotations

import io

import openpyxl
import pandas as pd
import pytest
from ks2workbook.cli import app
from ks2workbook.reporting import export
from ks2workbook.reporting import runner as report_runner
from typer.testing import CliRunner

runner = CliRunner()


def one_line_error(result, code: int = 2) -> str:
    """The message of a refused command: exit code 2, one line, no traceback."""
    assert result.exit_code == code, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.output
    assert "Traceback" not in result.output
    return lines[0]


def csv_blocks(text: str) -> dict[str, pd.DataFrame]:
    """Several tables written as CSV blocks headed ``# <name>``."""
    blocks = {}
    for part in text.split("# ")[1:]:
        name, _, body = part.partition("\n")
        blocks[name] = pd.read_csv(io.StringIO(body))
    return blocks


# ------------------------------------------------------------------------------------------------------------
# The tidy tables
# ------------------------------------------------------------------------------------------------------------


def test_export_school_results_csv_to_stdout():
    result = runner.invoke(app, ["export", "school-results", "--year", "2018", "--la", "850"])
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(io.StringIO(result.stdout))
    assert {"urn", "la_code", "year", "rwm_exp", "read_prog", "cohort", "source"} <= set(frame.columns)
    assert (frame.la_code == 850).all() and (frame.year == 2018).all()
    assert len(frame) >= 300  # Hampshire: over 300 primary schools


def test_export_la_indicators_xlsx(tmp_path):
    out = tmp_path / "rwm.xlsx"
    result = runner.invoke(
        app,
        [
            "export",
            "la-indicators",
            "--indicator",
            "KS2RWM_Expected_STD",
            "--year",
            "2018",
            "--format",
            "xlsx",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    frame = pd.read_excel(out, engine="calamine")
    # DfE LAIT: England 2018 RWM expected standard 65%.
    assert frame.loc[frame.la_code == 970, "value"].item() == 65


def test_unknown_la_is_a_clear_message():
    result = runner.invoke(app, ["export", "school-results", "--year", "2018", "--la", "832"])
    message = one_line_error(result)
    assert "unknown LA code or name '832'" in message and "831 Derby" in message


def test_year_without_data_lists_the_years():
    result = runner.invoke(app, ["export", "school-results", "--year", "2021"])
    message = one_line_error(result)
    assert "no school results for 2021" in message and "2016, 2017, 2018, 2019, 2023" in message


def test_unknown_indicator_suggests_codes():
    result = runner.invoke(app, ["export", "la-indicators", "--indicator", "KS2RWM_Expected"])
    assert "KS2RWM_Expected_STD" in one_line_error(result)


def test_xlsx_needs_an_output_file():
    result = runner.invoke(app, ["export", "school-results", "--year", "2018", "--format", "xlsx"])
    assert "--out" in one_line_error(result)


# ------------------------------------------------------------------------------------------------------------
# The pack's own tables (cli/export.py PACK_TABLES, from reporting/workbook.py sheets())
# ------------------------------------------------------------------------------------------------------------


def test_export_risk_takes_the_national_movement():
    """The risk export assumes England's recent trend unless told another movement; a bigger national rise
    lowers every school's chance of being below the bar."""
    column = "Chance below next year (%)"
    runs = {}
    for extra in ([], ["--national-change", "3"]):
        result = runner.invoke(app, ["export", "risk", "--la", "831", "--year", "2025", *extra])
        assert result.exit_code == 0, result.output
        frame = pd.read_csv(io.StringIO(result.stdout))
        assert list(frame.columns) == [
            "URN",
            "School",
            "RWM this year (%)",
            "RWM last year (%)",
            "Pupils",
            "Pupils: where from",
            column,
            "Risk level",
        ]
        runs[bool(extra)] = frame.set_index("URN")[column]
    assert len(runs[False]) == 60 and runs[False].index.is_unique  # Derby's 60 schools with a linked 2025 result
    assert runs[False].between(0, 100).all()
    assert (runs[True] <= runs[False].reindex(runs[True].index)).all()
    assert runs[True].sum() < runs[False].sum()


def test_export_floor_of_a_year_with_a_floor():
    result = runner.invoke(app, ["export", "floor", "--la", "831", "--year", "2018"])
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(io.StringIO(result.stdout))
    # Measured on the shipped 2018 school results: one Derby school below the 2018 floor, Landau Forte Academy
    # Moorhead, 24% at the expected standard in RWM (65 - 24 = 41 points short of the attainment test).
    below = frame[frame["Status"] == "below floor"]
    assert below["School"].tolist() == ["Landau Forte Academy Moorhead"]
    assert below["Margin on the attainment test (points)"].tolist() == [-41]
    assert frame["Near miss"].sum() == 4 and frame["URN"].is_unique


def test_export_floor_of_a_year_without_one_says_why():
    result = runner.invoke(app, ["export", "floor", "--la", "831", "--year", "2025"])
    message = one_line_error(result)
    assert message.startswith("error: nothing to export for Derby: no floor standard applies to 2025")


def test_export_strands_and_plan():
    result = runner.invoke(app, ["export", "strands", "--la", "831"])
    assert result.exit_code == 0, result.output
    strands = pd.read_csv(io.StringIO(result.stdout))
    # Measured (Derby, 2025 results, the workbook's default strand criteria): 2, 16, 4, 33 and 5 schools.
    assert strands["Strand"].value_counts().to_dict() == {
        "Good, capable of becoming great": 33,
        "Needing to maximise progress": 16,
        "Great, able to support others": 5,
        "Inconsistent results": 4,
        "Below floor and/or in an Ofsted category": 2,
    }
    result = runner.invoke(app, ["export", "plan", "--la", "831"])
    assert result.exit_code == 0, result.output
    blocks = csv_blocks(result.stdout)
    assert list(blocks) == ["Plan cost", "Plan years", "Clusters"]
    # Derby's plan with the example allocation and prices: £219,007.70 a full year (see test_capacity.py).
    assert blocks["Plan cost"]["Cost (£)"].sum() == pytest.approx(219_007.70, abs=0.01)
    assert blocks["Plan years"]["Financial year"].tolist() == ["2025-26", "2026-27", "2027-28"]


def test_export_ofsted_agrees_with_the_pack():
    """Every school's latest inspection as published (Ofsted's May 2026 file): the four Derby schools the pack
    counts in a category of concern now are in a category in the export too."""
    from ks2workbook.analyses import pack

    result = runner.invoke(app, ["export", "ofsted", "--la", "831"])
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(io.StringIO(result.stdout))
    assert frame["urn"].is_unique and (frame["la_code_now"] == 831).all()
    in_category = set(frame.loc[frame["in_category"], "urn"])
    held = pack.facts(pack.define(la_code=831)).accountability["in_category"]
    assert len(held) == 4 and set(held["urn"]) <= in_category


def test_export_of_several_tables_as_xlsx_needs_a_file(tmp_path):
    assert "--out" in one_line_error(runner.invoke(app, ["export", "plan", "--la", "831", "--format", "xlsx"]))
    out = tmp_path / "plan.xlsx"
    result = runner.invoke(app, ["export", "plan", "--la", "831", "--format", "xlsx", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert openpyxl.load_workbook(out).sheetnames == ["Plan cost", "Plan years", "Clusters"]


def test_export_support_has_the_schools_without_a_pair():
    result = runner.invoke(app, ["export", "support", "--la", "831"])
    assert result.exit_code == 0, result.output
    blocks = csv_blocks(result.stdout)
    # Measured: 4 suggested pairs for Derby in 2025, and 38 schools needing support left without one.
    assert list(blocks) == ["Support pairs", "Support unpaired"]
    assert len(blocks["Support pairs"]) == 4 and len(blocks["Support unpaired"]) == 38


# ------------------------------------------------------------------------------------------------------------
# Cells a spreadsheet would run as formulas (reporting/export.py)
# ------------------------------------------------------------------------------------------------------------

FORMULAS = ['=HYPERLINK("http://x")', "+44 1332", "-2+3", "@SUM(A1)", "\tTab", "Derby"]


def test_csv_export_neutralises_formula_cells(tmp_path):
    frame = pd.DataFrame({"school_name": FORMULAS, "score": [-1.5, 2, 3, 4, 5, 6], "=bad header": range(6)})
    path = export.write_table(frame, "csv", tmp_path / "table.csv")
    back = pd.read_csv(path, keep_default_na=False)
    # A leading apostrophe makes each a plain text cell (OWASP's advice for CSV injection); other text is as it
    # was and numbers stay numbers, a negative number included (it is not a formula).
    assert back["school_name"].tolist() == ["'" + v for v in FORMULAS[:-1]] + ["Derby"]
    assert back["score"].tolist() == [-1.5, 2, 3, 4, 5, 6]
    assert list(back.columns) == ["school_name", "score", "'=bad header"]
    buffer = io.StringIO()
    export.write_table(frame, "csv", None, stream=buffer)  # standard output is neutralised the same way
    assert buffer.getvalue() == path.read_text()
    assert frame["school_name"].tolist() == FORMULAS  # the caller's frame is left as it was


def test_xlsx_export_writes_formulas_as_text(tmp_path):
    frame = pd.DataFrame({"school_name": FORMULAS[:4]})
    sheet = openpyxl.load_workbook(export.write_table(frame, "xlsx", tmp_path / "t.xlsx")).active
    cells = [sheet.cell(row, 1) for row in range(2, 6)]
    assert [c.value for c in cells] == ["'" + v for v in FORMULAS[:4]]
    assert {c.data_type for c in cells} == {"s"}  # strings, none a formula


# ------------------------------------------------------------------------------------------------------------
# `ks2workbook report`: every parameter checked before any kernel starts
# ------------------------------------------------------------------------------------------------------------


@pytest.fixture
def no_kernel(monkeypatch):
    """What a run asked of its Jupyter kernel (none is really started). A run may launch its kernel early, to warm
    up on the other core while the inputs are checked; a refused run must never have run anything in it, nor
    waited for it, and must have shut it down."""
    calls: list[str] = []
    for step in ("launch", "ready", "run", "close"):
        monkeypatch.setattr(report_runner.KernelSession, step, lambda self, *a, _s=step, **k: calls.append(_s))
    return calls


def report_error(args, tmp_path, no_kernel, out: bool = True) -> str:
    extra = ["--out", str(tmp_path / "out")] if out else []
    extra += [] if "--jobs" in args else ["--jobs", "1"]  # one worker: this process, where no_kernel watches
    message = one_line_error(runner.invoke(app, ["report", *extra, "--no-progress", *args]))
    assert "ready" not in no_kernel and "run" not in no_kernel, "a kernel was used before the parameters were checked"
    if "launch" in no_kernel:
        assert no_kernel[-1] == "close", "a refused run left its kernel running"
    if out:
        assert not [p for p in (tmp_path / "out").glob("*") if p.name != ".ks2workbook.lock"], "a run was written"
    return message


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--la", "9999"], "error: unknown LA code or name '9999'. Nearest: "),
        (
            ["--la", "909"],
            "error: Cumbria (909) no longer exists; its schools are now in Cumberland (942) and Westmorland and "
            "Furness (943).",
        ),
        (["--la", "831", "--la", "909"], "error: Cumbria (909) no longer exists"),  # one bad council stops the run
        (["--year", "2020"], "error: no KS2 results for 2020 (no KS2 tests were sat in 2020 and 2021); years with "),
        (["--year", "1999"], "error: no KS2 results for 1999; years with results: 2016 to 2019, 2022 to 2025"),
        (["--threshold", "150"], "error: threshold must be above 0 and at most 100 (got 150.0)"),
        (["--at-risk-chance", "1.5"], "error: at_risk_chance must be above 0 and at most 1 (got 1.5)"),
        (["--national-change", "40"], "error: national_change must be at least -20 and at most 20 (got 40.0)"),
        (["--local-rule-file", "rules/no_such_rule.yaml"], "error: floor rule file no_such_rule.yaml not found"),
        (["--allocation-file", "/etc/passwd"], "error: allocation file passwd is outside the workbook folder"),
        (["--prices-file", "plans"], "error: price file plans is a folder, not a file"),
        (["--clusters-file", "no_such_clusters.yaml"], "error: cluster file no_such_clusters.yaml not found"),
        (["--support-rules-file", "no_such.yaml"], "error: support rule file no_such.yaml not found"),
        (["--scenario", "no_such.yaml"], "error: scenario file no_such.yaml not found"),
        (["--notebook", "../trends"], "error: no report '../trends'; the reports are: cabinet_summary, trends, "),
        (["--notebook", "nope"], "error: no report 'nope'; the reports are: "),
        (["--jobs", "-1"], "error: jobs must be 1 or more (got -1)"),
    ],
    ids=lambda v: " ".join(v) if isinstance(v, list) else "",
)
def test_report_refuses_a_bad_parameter_before_any_kernel(args, expected, tmp_path, no_kernel):
    assert report_error(args, tmp_path, no_kernel).startswith(expected)


def test_report_refuses_an_output_folder_outside_the_workbook(tmp_path_factory, no_kernel, tmp_path):
    # Allowed: the workbook and KS2WB_COUNCIL_DIR (pytest's base folder here); the base folder's parent is neither.
    outside = tmp_path_factory.getbasetemp().parent / "ks2wb-elsewhere"
    message = report_error(["--out", str(outside)], tmp_path, no_kernel, out=False)
    assert message == (
        "error: output folder ks2wb-elsewhere is outside the workbook folder; write inside it (outputs/ by default) "
        "or set KS2WB_COUNCIL_DIR to the council's folder"
    )
    assert not outside.exists()


def test_report_refuses_a_cluster_file_of_another_council(tmp_path, no_kernel):
    # plans/clusters_walsall_example.yaml maps Walsall's (335) schools: it cannot be Derby's plan.
    message = report_error(["--clusters-file", "plans/clusters_walsall_example.yaml"], tmp_path, no_kernel)
    assert message.startswith("error: the cluster file clusters_walsall_example.yaml is for Walsall (335)")


def test_report_reads_a_council_file_kept_in_the_council_folder(tmp_path, no_kernel):
    # KS2WB_COUNCIL_DIR is pytest's base folder (conftest.py): a broken floor rule file there is refused naming
    # its line, as one in rules/ would be.
    bad = tmp_path / "bad_floor.yaml"
    bad.write_text("name: x\nkind: local\nrules:\n  - year: 2023\n    label: a\n", encoding="utf-8")
    message = report_error(["--local-rule-file", str(bad)], tmp_path, no_kernel)
    assert "bad_floor.yaml" in message and "line 4" in message and "attainment test" in message
