"""Ofsted: latest judgement, judgement in force in a KS2 year, ungraded inspections, LA vs England."""

from __future__ import annotations

import pandas as pd
import pytest
from ks2workbook.analyses import ofsted
from ks2workbook.core.errors import NoDataError, UnknownAreaError


def _inspections() -> pd.DataFrame:
    rows = [
        (1, "2012-03-01", 3, "Satisfactory", True),
        (1, "2016-05-01", 4, "Inadequate", True),
        (1, "2025-01-15", None, ofsted.NO_GRADE, False),
        (2, "2014-06-01", 2, "Good", True),
        (2, "2019-02-01", 1, "Outstanding", True),
        (3, "2018-09-01", 4, "Inadequate", True),
    ]
    frame = pd.DataFrame(rows, columns=["urn", "inspection_date", "grade", "rating", "has_overall_grade"])
    return frame.assign(inspection_date=pd.to_datetime(frame["inspection_date"]), grade=frame["grade"].astype("Int64"))


def test_ungraded_latest_inspection_is_its_own_category_with_the_last_grade_beside_it():
    table = ofsted.latest(inspections=_inspections()).set_index("urn")
    assert table.loc[1, "category"] == ofsted.NO_GRADE
    assert table.loc[1, "last_grade"] == 4
    assert not table.loc[1, "in_ofsted_category"]  # re-inspected since: the old grade 4 is not current
    assert table.loc[2, "category"] == "Outstanding"
    assert table.loc[3, "in_ofsted_category"]


def test_grade_in_force_at_the_end_of_a_ks2_year():
    table = ofsted.grade_in_year(2018, _inspections()).set_index("urn")
    assert table.loc[1, "grade"] == 4
    assert table.loc[2, "grade"] == 2  # 2019 inspection is after 31 August 2018
    assert 3 not in table.index  # first inspected 1 September 2018: nothing in force yet


def test_la_distribution_adds_up_and_compares_with_england():
    table = ofsted.distribution(343, 2025).set_index("judgement")
    body = table.drop(index="All schools")
    assert body["la_schools"].sum() == table.loc["All schools", "la_schools"]
    assert body["la_share"].sum() == pytest.approx(100)
    assert body["england_share"].sum() == pytest.approx(100)
    # England: schools inspected from September 2024 are counted as such, never as missing.
    assert table.loc[ofsted.NO_GRADE, "england_schools"] > 1000


def test_school_grades_keep_every_ks2_school():
    grades = ofsted.school_grades(343, 2018)
    assert grades["urn"].is_unique
    assert grades["category"].isin(ofsted.CATEGORIES).all()


def test_bad_inputs():
    with pytest.raises(UnknownAreaError):
        ofsted.distribution(999999, 2025)
    with pytest.raises(NoDataError, match="years with data"):
        ofsted.school_grades(343, 2021)


def test_grade_history_one_column_per_year():
    table = ofsted.grade_history(343, years=(2016, 2018))
    assert list(table.columns) == ["urn", "school_name", "2016", "2018"]
    assert table["urn"].is_unique
    assert table["2018"].dropna().isin([1, 2, 3, 4]).all()
