"""The command line: exports for Excel users, and one-line errors (exit 2) on bad input."""

from __future__ import annotations

import io

import pandas as pd
from ks2workbook.cli import app
from typer.testing import CliRunner

runner = CliRunner()


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
    assert result.exit_code == 2
    assert "unknown LA code or name '832'" in result.output and "831 Derby" in result.output
    assert "Traceback" not in result.output


def test_year_without_data_lists_the_years():
    result = runner.invoke(app, ["export", "school-results", "--year", "2021"])
    assert result.exit_code == 2
    assert "no school results for 2021" in result.output and "2016, 2017, 2018, 2019, 2023" in result.output


def test_unknown_indicator_suggests_codes():
    result = runner.invoke(app, ["export", "la-indicators", "--indicator", "KS2RWM_Expected"])
    assert result.exit_code == 2 and "KS2RWM_Expected_STD" in result.output


def test_xlsx_needs_an_output_file():
    result = runner.invoke(app, ["export", "school-results", "--year", "2018", "--format", "xlsx"])
    assert result.exit_code == 2 and "--out" in result.output


def test_report_unknown_la_fails_fast():
    result = runner.invoke(app, ["report", "--la", "9999"])
    assert result.exit_code == 2 and "Nearest" in result.output


def test_export_risk_takes_the_national_movement():
    """The risk export assumes England's recent trend unless told another movement; a bigger national rise
    lowers every school's chance of being below the threshold."""
    column = "pct_chance_below_65_in_2026"
    runs = {}
    for extra in ([], ["--national-change", "3"]):
        result = runner.invoke(app, ["export", "risk", "--la", "831", "--year", "2025", *extra])
        assert result.exit_code == 0, result.output
        runs[bool(extra)] = pd.read_csv(io.StringIO(result.stdout)).set_index("urn")[column]
    assert len(runs[False]) == 60  # Derby's 60 schools with a linked 2025 result
    assert (runs[True] <= runs[False].reindex(runs[True].index)).all()
    assert runs[True].sum() < runs[False].sum()
