"""The national extract (waiky8) against the DfE's own full-width files for Hampshire (850) and Surrey (936).

docs/domain/data_traps.md: all 313 Hampshire schools agree with the DfE's own full file (performance tables, 2017).
We check every school's RWM expected %, reading progress and cohort in 2017 and 2018, and that the school table
uses the DfE file's figures for those LAs.
"""

from __future__ import annotations

import pandas as pd
import pytest
from ks2workbook.data import tables as dataset


@pytest.mark.parametrize(("la_code", "year"), [(850, 2017), (850, 2018), (936, 2017), (936, 2018)])
def test_extract_equals_dfe_file(la_code, year):
    files = dataset.result_files(year)
    dfe_file = next(e for e in files if e.coverage == la_code)
    national = next(e for e in files if e.coverage == "england")
    dfe = dataset.results_of(dfe_file)
    dfe = dfe[dfe.rectype == 1][["urn", "rwm_exp", "read_prog", "cohort"]]
    extract = dataset.results_of(national)[["urn", "rwm_exp", "read_prog", "cohort"]]
    both = dfe.merge(extract, on="urn", suffixes=("_dfe", "_ext"), how="left", validate="one_to_one", indicator=True)
    assert (both["_merge"] == "both").all(), "every DfE mainstream school is in the national extract"
    assert both["rwm_exp_dfe"].notna().sum() > 200  # the comparison is not vacuous
    for col in ("rwm_exp", "read_prog", "cohort"):
        left, right = both[f"{col}_dfe"], both[f"{col}_ext"]
        same = (left == right) | (left.isna() & right.isna())
        assert same.all(), f"{col} differs for URNs {both.loc[~same, 'urn'].tolist()[:5]}"
    if la_code == 850 and year == 2017:
        assert len(both) == 313  # Hampshire's 313 mainstream schools in the DfE's own 2017 file


def test_full_width_rows_replace_extract_rows(results):
    hants = results[(results.la_code == 850) & results.year.isin([2017, 2018, 2019])]
    assert hants["source"].str.startswith("clarelgibson_la_extracts").all()
    assert hants.duplicated(["urn", "year"]).sum() == 0
    # The DfE files carry confidence limits that the national extract lacks.
    assert hants["read_prog_upper"].notna().mean() > 0.8


def test_one_row_per_school_and_year(results):
    with_urn = results.dropna(subset=["urn"])
    assert not with_urn.duplicated(["urn", "year"]).any()
    assert set(results.year.unique()) == {2016, 2017, 2018, 2019, 2023, 2024, 2025}


def test_name_matching_reports_rate(results):
    rate = results[results.year == 2025]["urn"].notna().mean()
    assert 0.95 < rate < 1.0  # matched by name within LA; the quality table shows the exact rate (97% in 2025)
    assert isinstance(rate, float) and not pd.isna(rate)
