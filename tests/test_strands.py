"""WCPP strands: rule validation, assignment order and boundaries on synthetic schools, shipped-data tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from ks2workbook.analyses import strands
from ks2workbook.core.errors import ConfigError, NoDataError, UnknownAreaError
from ks2workbook.rules import strands as strand_rules
from ks2workbook.rules.strands import STRANDS
from ks2workbook.views import strands as strand_views


@pytest.fixture(scope="module")
def rules():
    return strand_rules.load_rules()


def _schools(rows: list[dict]) -> pd.DataFrame:
    base = {
        "rwm_exp": 70.0,
        "below_floor": False,
        "read_prog": 0.0,
        "writ_prog": 0.0,
        "mat_prog": 0.0,
        "progress_year": 2018,
        "rwm_count": 3,
        "rwm_std": 5.0,
        "rwm_min": 65.0,
        "rwm_max": 75.0,
        "ofsted_grade": 2,
    }
    frame = pd.DataFrame([{**base, **r} for r in rows])
    return frame.assign(ofsted_grade=frame["ofsted_grade"].astype("Int64"))


def test_strand_keys_are_the_capacity_keys(rules):
    assert set(strand_rules.ORDER) == set(STRANDS)
    assert list(strand_views.criteria_table(rules)["strand"]) == list(strand_rules.ORDER)


def test_assignment_order_and_boundaries(rules):
    frame = _schools(
        [
            {"below_floor": True},  # 0 below floor
            {"ofsted_grade": 4, "rwm_exp": 90.0},  # 1 Ofsted category beats great results
            {"mat_prog": -2.6},  # 2 maths below -2.5
            {"mat_prog": -2.5},  # 3 exactly on the bar: not below
            {"writ_prog": -3.6, "rwm_std": 20.0},  # 4 progress comes before inconsistency
            {"rwm_std": 15.0},  # 5 exactly at the SD bar: inconsistent
            {"rwm_std": 30.0, "rwm_count": 2},  # 6 too few years to judge
            {"rwm_exp": 80.0},  # 7 great: at the 80% bar, progress 0
            {"rwm_exp": 85.0, "read_prog": -1.0, "writ_prog": -1.0, "mat_prog": -1.0},  # 8 progress < 0
            {"ofsted_grade": 1, "rwm_exp": 60.0},  # 9 Ofsted outstanding
            {"rwm_exp": 79.0},  # 10 the rest
            {"rwm_exp": 85.0, "read_prog": np.nan, "writ_prog": np.nan, "mat_prog": np.nan},  # 11 no progress
            {"ofsted_grade": pd.NA},  # 12 no judgement in force: not a category
        ]
    )
    got = strands.assign_frame(frame, rules)["strand"].tolist()
    assert got == [
        "below_floor",
        "below_floor",
        "maximising_progress",
        "good_to_great",
        "maximising_progress",
        "inconsistent",
        "good_to_great",
        "great",
        "good_to_great",
        "great",
        "good_to_great",
        "great",
        "good_to_great",
    ]


def test_every_school_gets_a_reason(rules):
    out = strands.assign_frame(_schools([{"mat_prog": -4.0}, {}]), rules)
    assert out.loc[0, "why"] == "maths progress -4.0 below -2.5 (2018)"
    assert out.loc[1, "why"].startswith("none of the criteria above")


def _write(tmp_path, text: str):
    path = tmp_path / "strands.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_unknown_field_is_a_clear_error(tmp_path):
    text = (
        strand_rules.resolve_path(None)
        .read_text()
        .replace("rwm_sd_at_least: 15", "rwm_sd_at_least: 15\n    rwm_range: 3")
    )
    with pytest.raises(ConfigError) as err:
        strand_rules.load_rules(_write(tmp_path, text))
    msg = str(err.value)
    assert "strands.inconsistent.rwm_range" in msg and "unknown field 'rwm_range'" in msg
    assert "rwm_sd_at_least" in msg  # says what is allowed
    line = next(i for i, t in enumerate(text.splitlines(), 1) if "rwm_range" in t)
    assert f"line {line}" in msg


def test_bad_value_and_missing_strand_name_the_field(tmp_path):
    text = strand_rules.resolve_path(None).read_text()
    with pytest.raises(ConfigError, match="strands.great.rwm_at_least"):
        strand_rules.load_rules(_write(tmp_path, text.replace("rwm_at_least: 80", "rwm_at_least: 180")))
    with pytest.raises(ConfigError, match="not found"):
        strand_rules.load_rules(tmp_path / "nope.yaml")
    with pytest.raises(ConfigError, match="not valid YAML"):
        strand_rules.load_rules(_write(tmp_path, "strands: [unclosed"))


def test_edited_rules_change_the_assignment(tmp_path):
    text = strand_rules.resolve_path(None).read_text().replace("rwm_at_least: 80", "rwm_at_least: 95")
    frame = _schools([{"rwm_exp": 90.0}])
    assert strands.assign_frame(frame, strand_rules.load_rules(_write(tmp_path, text)))["strand"][0] == "good_to_great"


def test_strand_table_shipped_data_adds_up():
    table = strands.strand_table(343, 2018)
    body = table[table["strand"] != "all"]
    total = table[table["strand"] == "all"].iloc[0]
    assert body["la_schools"].sum() == total["la_schools"]
    assert body["england_share"].sum() == pytest.approx(100)
    assert list(body["strand"]) == list(STRANDS)
    # 2018 uses the national floor rule: below_floor is within a few % of schools in England.
    assert body.set_index("strand").loc["below_floor", "england_share"] < 8


def test_assign_says_which_floor_it_used():
    assert "national rule" in strands.assign(343, 2018).attrs["floor_basis"]
    assert "RWM below 40%" in strands.assign(343, 2025).attrs["floor_basis"]


def test_bad_inputs():
    with pytest.raises(UnknownAreaError):
        strands.strand_table(4242, 2018)
    with pytest.raises(NoDataError, match="years with"):
        strands.assign(343, 2019)


def test_exports_and_headline(tmp_path):
    from ks2workbook.analyses import risk
    from ks2workbook.reporting import export

    frame = strands.export_frame(343, 2018)
    assert frame["strand"].isin(list(STRANDS)).all() and frame["why"].str.len().gt(0).all()
    risk_frame = risk.export_frame(343, 2025)
    assert "pct_chance_below_65_in_2026" in risk_frame.columns
    out = export.write_table(risk_frame, "xlsx", tmp_path / "risk.xlsx")
    assert pd.read_excel(out, engine="openpyxl").shape == risk_frame.shape
    head = strands.early_warning_headline(343, 2018)
    assert head["strand_all"] == len(frame)
    assert sum(head[f"strand_{k}"] for k in STRANDS) == head["strand_all"]
    assert head["risk_schools"] == len(risk.school_risk(343, 2018))


def test_strand_risk_counts_add_up_to_the_strand_table():
    counts = strands.strand_risk_counts(343, 2018).set_index("strand")
    table = strands.strand_table(343, 2018).set_index("strand")
    for key in STRANDS:
        assert counts.loc[key, "all"] == table.loc[key, "la_schools"]
        assert counts.loc[key, ["high", "medium", "low"]].sum() == counts.loc[key, "all"]
