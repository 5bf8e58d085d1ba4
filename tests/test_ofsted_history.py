"""Ofsted judgements over time: the judgement in force on a date (the one a KS2 year's strands read), a later
inspection with no overall grade lifting an earlier inadequate, and an LA's latest judgements against England's.
(Report cards, the framework mapping, stuck and coasting schools: tests/test_accountability.py.)"""

from __future__ import annotations

import pandas as pd
import pytest
from ks2workbook.analyses import accountability as acc
from ks2workbook.analyses import strands
from ks2workbook.core.errors import NoDataError, UnknownAreaError
from ks2workbook.data import catalogue
from ks2workbook.data import tables as dataset

DERBY = 831
# St Peter's Church of England Aided Junior School, Derby: requires improvement 7 March 2017 and inadequate
# 15 May 2019 (as URN 112921); reopened as URN 147725, which keeps that history; no overall grade on
# 24 September 2024, quality of education and leadership good (Ofsted inspection files shipped).
ST_PETERS = 147725


def _status(as_of: str | None) -> pd.Series:
    return acc.stuck(as_of).set_index("urn").loc[ST_PETERS]


def test_the_judgement_in_force_on_a_date():
    before = _status("2019-05-14")  # the day before the inadequate judgement
    assert before["status"] == acc.NOT_STUCK  # requires improvement, after a good one: not stuck
    assert (before["latest_date"], before["latest"]) == (pd.Timestamp("2017-03-07"), "requires improvement")
    assert (before["previous_date"], before["previous"]) == (pd.Timestamp("2013-06-12"), "good")
    on_the_day = _status("2019-05-15")
    assert on_the_day["status"] == acc.IN_CATEGORY
    assert on_the_day["latest_date"] == pd.Timestamp("2019-05-15")
    assert on_the_day["category"] == "special measures or serious weaknesses"  # a graded 4 does not say which


def test_a_later_inspection_with_no_overall_grade_lifts_the_category_and_keeps_the_grade_beside_it():
    now = _status(None)  # the latest inspection held (6 May 2026)
    assert now["status"] == acc.NOT_STUCK and pd.isna(now["category"])
    assert now["latest_framework"] == "no overall grade" and now["latest_date"] == pd.Timestamp("2024-09-24")
    assert now["latest"] == "no overall grade: quality of education good, leadership and management good"
    assert (now["previous_date"], now["previous"]) == (pd.Timestamp("2019-05-15"), "inadequate")
    assert ST_PETERS not in set(acc.in_category(DERBY)["urn"])


def test_a_ks2_year_reads_the_judgement_in_force_at_the_end_of_the_next_school_year():
    """The 2018 results are planned for in 2018-19: the judgements in force on 31 August 2019; for 2025 that date is
    after the latest inspection held, which is used instead."""
    assert strands.ofsted_date(2018) == pd.Timestamp("2019-08-31")
    assert strands.ofsted_date(2025) == acc.default_as_of() == pd.Timestamp("2026-05-06")
    assert _status(str(strands.ofsted_date(2018).date()))["status"] == acc.IN_CATEGORY
    assert _status(str(strands.ofsted_date(2017).date()))["status"] == acc.NOT_STUCK


def _open_primary_schools(la_code: int | None = None) -> set[int]:
    """Primary schools in the latest Ofsted file (open at its date), from the tables directly."""
    ofsted = dataset.load("ofsted")
    latest = ofsted[ofsted["source"] == catalogue.load().of_kind("ofsted_latest_json")[0].path]
    schools = dataset.load("schools").drop_duplicates("urn").set_index("urn")
    latest = latest[latest["urn"].map(schools["is_primary"]).fillna(False).astype(bool)]
    if la_code is not None:
        latest = latest[latest["urn"].map(schools["la_code_now"]) == la_code]
    return set(latest["urn"].astype("int64"))


def test_latest_judgements_add_up_and_compare_with_england():
    table = acc.latest_judgements(DERBY).set_index("judgement")
    groups = table.loc[list(acc.LATEST_GROUPS)]
    # Every open primary school of Derby in the latest Ofsted file, each in one group.
    assert groups["la_schools"].sum() == len(_open_primary_schools(DERBY)) == 77
    assert groups["la_share"].sum() == pytest.approx(100) and groups["england_share"].sum() == pytest.approx(100)
    # England, measured when last run: schools inspected from September 2024 are counted as such, never as
    # missing (2,520 with no overall grade, 1,009 with a report card).
    assert groups.loc[acc.LATEST_GROUPS[4], "england_schools"] == 2520
    assert groups.loc[acc.LATEST_GROUPS[5], "england_schools"] == 1009
    category_row = table.loc["In a category of concern (any framework)", "la_schools"]
    assert category_row == acc.in_category(DERBY)["is_primary"].sum() == 2


def test_englands_latest_judgements_count_every_open_primary_school():
    groups = acc.latest_judgements(DERBY).set_index("judgement").loc[list(acc.LATEST_GROUPS)]
    assert groups["england_schools"].sum() == len(_open_primary_schools())


def test_bad_inputs():
    with pytest.raises(UnknownAreaError):
        acc.latest_judgements(999999)
    with pytest.raises(UnknownAreaError):
        acc.stuck_counts(la_code=999999)
    with pytest.raises(UnknownAreaError):
        acc.in_category(4242)
    with pytest.raises(NoDataError, match="no school results for 2021"):
        acc.coasting_year(2021)
