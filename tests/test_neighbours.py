"""Tests of the statistical-neighbour module: LAIT's rules on small synthetic frames (ties, missing values,
boundaries), then checks on the shipped data (Derby 2025, published England/Derby figures, SN file vs
la_indicators)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from ks2workbook.analyses import neighbours as nb
from ks2workbook.core.errors import NoDataError, UnknownAreaError, WorkbookError
from ks2workbook.data import tables as dataset
from ks2workbook.views import neighbours as nbview

RWM = "KS2RWM_Expected_STD"


@pytest.fixture(scope="module")
def li() -> pd.DataFrame:
    return dataset.load("la_indicators")


def synthetic(values: dict[int, dict[int, float]], indicator: str = "X", polarity: str = "High", nq=False):
    """A tiny la_indicators frame: {la_code: {year: value}}."""
    rows = [
        {
            "la_code": code,
            "la_name": f"LA{code}",
            "region": "R",
            "indicator": indicator,
            "year": year,
            "year_label": str(year),
            "value": value,
            "description": "test",
            "polarity": polarity,
            "no_quartile": nq,
        }
        for code, by_year in values.items()
        for year, value in by_year.items()
    ]
    return pd.DataFrame(rows)


# ------------------------------------------------------------------------------------------------------------
# Rank: 1 best, ties share the lowest rank, missing unranked, no polarity no rank
# ------------------------------------------------------------------------------------------------------------


def test_rank_high_polarity_ties_share_lowest_rank():
    values = pd.Series([70.0, 80.0, 80.0, 60.0])
    assert nb.rank_values(values, "High").tolist() == [3, 1, 1, 4]


def test_rank_low_polarity_ascending_with_ties():
    values = pd.Series([5.0, 3.0, 3.0, 9.0, 3.0])
    assert nb.rank_values(values, "Low").tolist() == [4, 1, 1, 5, 1]


def test_rank_lait_example_1_2_2_4():
    assert nb.rank_values(pd.Series([9.0, 8.0, 8.0, 7.0]), "High").tolist() == [1, 2, 2, 4]


def test_rank_missing_values_get_no_rank_and_do_not_count():
    ranks = nb.rank_values(pd.Series([50.0, np.nan, 40.0]), "High")
    assert ranks.iloc[0] == 1 and ranks.iloc[2] == 2 and pd.isna(ranks.iloc[1])


def test_rank_none_polarity_gives_no_rank():
    assert nb.rank_values(pd.Series([1.0, 2.0]), "None").isna().all()


# ------------------------------------------------------------------------------------------------------------
# Quartile bands: boundaries as LAIT
# ------------------------------------------------------------------------------------------------------------


def test_quartile_cuts_use_linear_interpolation():
    # values 1..8: Q1 at position 1.75 -> 2.75, median 4.5, Q3 at position 5.25 -> 6.25
    assert nb.quartile_cuts(pd.Series(np.arange(1.0, 9.0))) == (2.75, 4.5, 6.25)


def test_band_high_polarity_boundaries():
    # 1..9: Q1 = 3, median = 5, Q3 = 7 (exact, so boundaries are hit)
    values = pd.Series(np.arange(1.0, 10.0))
    bands = dict(zip(values, nb.quartile_bands(values, "High"), strict=True))
    assert bands[7.0] == "B"  # equal to Q3 under High polarity is B, as in LAIT
    assert bands[8.0] == "A" and bands[9.0] == "A"
    assert bands[5.0] == "C" and bands[6.0] == "B"  # median itself is C: B is (median, Q3]
    assert bands[3.0] == "D" and bands[4.0] == "C"  # Q1 itself is D: D is [min, Q1]
    assert bands[1.0] == "D"


def test_band_low_polarity_mirrored():
    values = pd.Series(np.arange(1.0, 10.0))
    bands = dict(zip(values, nb.quartile_bands(values, "Low"), strict=True))
    assert bands[1.0] == "A" and bands[3.0] == "A"  # A = [min, Q1]
    assert bands[4.0] == "B" and bands[5.0] == "B"  # B = (Q1, median]
    assert bands[6.0] == "C" and bands[7.0] == "C"  # C = (median, Q3]
    assert bands[8.0] == "D" and bands[9.0] == "D"  # D = (Q3, max]


def test_band_missing_values_stay_missing_and_do_not_shift_cuts():
    values = pd.Series([1.0, 2.0, np.nan, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0])
    bands = nb.quartile_bands(values, "High")
    assert pd.isna(bands.iloc[2])
    assert bands.iloc[7] == "B"  # 7 = Q3 of the nine present values


def test_no_band_for_no_quartile_or_no_polarity():
    values = pd.Series([1.0, 2.0, 3.0, 4.0])
    assert nb.quartile_bands(values, "High", no_quartile=True).isna().all()
    assert nb.quartile_bands(values, "None").isna().all()


def test_national_table_ranks_las_only_not_regions_or_england():
    frame = synthetic({201: {2025: 60.0}, 202: {2025: 70.0}, 970: {2025: 99.0}, 983: {2025: 98.0}})
    table = nb.national_table(frame, "X")
    assert set(table.la_code) == {201, 202}
    assert table.set_index("la_code")["rank"].to_dict() == {202: 1, 201: 2}


def test_national_table_unknown_year_names_years_with_data():
    frame = synthetic({201: {2023: 60.0, 2025: 61.0}, 202: {2023: 50.0, 2024: np.nan}})
    with pytest.raises(NoDataError, match="2023, 2025"):
        nb.national_table(frame, "X", 2024)


def test_latest_year_skips_years_with_only_missing_values():
    frame = synthetic({201: {2023: 60.0, 2024: np.nan}, 202: {2023: 50.0, 2024: np.nan}})
    assert nb.latest_year(frame, "X") == 2023


def test_unknown_indicator_suggests_codes(li):
    with pytest.raises(NoDataError, match="KS2RWM_Expected_STD"):
        nb.indicator_info(li, "KS2RWM_Expected")


# ------------------------------------------------------------------------------------------------------------
# SN average and trend
# ------------------------------------------------------------------------------------------------------------


def test_sn_average_leaves_missing_out_and_all_missing_is_missing():
    frame = synthetic(
        {
            301: {2019: 50.0, 2020: np.nan, 2022: 40.0},
            302: {2019: 60.0, 2020: np.nan, 2022: np.nan},
            303: {2019: np.nan, 2020: np.nan, 2022: 44.0},
        }
    )
    out = nb.sn_average_of(frame, [301, 302, 303], "X").set_index("year")
    assert out.loc[2019, "value"] == 55.0 and out.loc[2019, "n_neighbours"] == 2  # (50 + 60) / 2, not / 3
    assert np.isnan(out.loc[2020, "value"]) and out.loc[2020, "n_neighbours"] == 0
    assert out.loc[2022, "value"] == 42.0  # (40 + 44) / 2


def test_sn_average_is_the_same_whatever_the_order_of_the_rows():
    """The pack averages from the shipped table's sorted index, a caller's table comes in its own order: the
    means must agree to the last digit (each sum is exact, so the order of adding cannot show)."""
    values = {301: {2019: 0.1, 2022: 0.7}, 302: {2019: 0.2, 2022: 0.1}, 303: {2019: 0.3, 2022: 0.2}}
    frame = synthetic(values)
    backwards = frame.iloc[::-1].reset_index(drop=True)
    ahead = nb.sn_average_of(frame, [301, 302, 303], "X")
    pd.testing.assert_frame_equal(ahead, nb.sn_average_of(backwards, [303, 302, 301], "X"), check_exact=True)
    # The exact sum (0.6) divided by 3, not the running sum 0.1 + 0.2 + 0.3 (0.6000000000000001) that depends on order.
    assert ahead.set_index("year").loc[2019, "value"] == 0.6 / 3 != (0.1 + 0.2 + 0.3) / 3


def test_trend_skips_gap_years_and_flags_by_polarity():
    frame = synthetic({301: {2018: 60.0, 2019: 62.0, 2020: np.nan, 2021: np.nan, 2022: 58.0, 2023: 58.0}})
    out = nb.trend(frame, 301, "X").set_index("year")
    assert out.loc[2022, "previous_year"] == 2019 and out.loc[2022, "change"] == -4.0
    assert out.loc[2019, "favourable"] == True  # noqa: E712 (pandas boolean NA-aware scalar)
    assert out.loc[2022, "favourable"] == False  # noqa: E712
    assert pd.isna(out.loc[2023, "favourable"])  # no change: no colour
    assert pd.isna(out.loc[2018, "favourable"])  # no previous year
    low = nb.trend(synthetic({301: {2018: 10.0, 2019: 8.0}}, polarity="Low"), 301, "X").set_index("year")
    assert low.loc[2019, "favourable"] == True  # noqa: E712  a fall is good for Low polarity
    none = nb.trend(synthetic({301: {2018: 10.0, 2019: 8.0}}, polarity="None"), 301, "X")
    assert none.favourable.isna().all()


# ------------------------------------------------------------------------------------------------------------
# The shipped data: Derby 2025 worked by hand, published figures, neighbour sets
# ------------------------------------------------------------------------------------------------------------


def test_derby_2025_rwm_sn_average_rank_and_band_by_hand(li):
    # Derby's May 2025 neighbours and their 2025 RWM expected values in la_indicators:
    # Coventry 60, Bolton 64, Walsall 59, Southampton 57, Kirklees 61, Peterborough 61, Rochdale 58,
    # Sheffield 59, Tameside 60, Stoke-on-Trent 59 -> sum 598 -> SN average 598 / 10 = 59.8.
    rwm = li[(li.indicator == RWM) & (li.year == 2025)].set_index("la_code")["value"]
    hand = {331: 60, 350: 64, 335: 59, 852: 57, 382: 61, 874: 61, 354: 58, 373: 59, 357: 60, 861: 59}
    assert {c: rwm[c] for c in hand} == hand
    sn = nb.sn_average(li, 831, RWM, 2025).set_index("year")
    assert sn.loc[2025, "value"] == pytest.approx(59.8) and sn.loc[2025, "n_neighbours"] == 10
    # Derby 57: nine neighbours are above (64, 61, 61, 60, 60, 59, 59, 59, 58), Southampton ties at 57 ->
    # rank 10 of 11 (shared with Southampton): not in the "top five".
    group = nb.sn_ranking(li, 831, RWM).set_index("la_code")
    assert group.loc[831, "rank"] == 10 and group.loc[852, "rank"] == 10 and len(group) == 11
    # National: LAs (codes < 970) with a 2025 value above 57 -> rank = that count + 1.
    las = rwm[(rwm.index < 970)].dropna()
    assert (las > 57).sum() == 135
    # Quartiles of the 151 LA values: Q1 60, median 63, Q3 66 -> 57 <= Q1 -> band D.
    assert tuple(las.quantile([0.25, 0.5, 0.75])) == (60.0, 63.0, 66.0)
    nat = nb.national_rank(li, 831, RWM)
    assert (nat["year"], nat["rank"], nat["of"], nat["band"]) == (2025, 136, 151, "D")
    head = nb.headline(831, indicators=li)
    assert head["sn_average"] == pytest.approx(59.8) and head["sn_rank"] == 10 and head["top_five"] is False
    assert head["change"] == 2.0 and head["previous_year"] == 2024 and head["favourable"] is True


def test_published_england_and_derby_rwm_series(li):
    # Published (DfE LAIT, KS2RWM_Expected_STD): England 54, 62, 65, 65, 59, 60, 61, 63; Derby 48, 55, 60, 61,
    # 53, 54, 55, 57; East Midlands 52, 59, 63, 63, 58, 58, 60, 61 (2016-19, 2022-25).
    wide = nb.comparison(li, 831, RWM).dropna(subset=["LA"]).set_index("year")
    assert wide["England"].tolist() == [54, 62, 65, 65, 59, 60, 61, 63]
    assert wide["LA"].tolist() == [48, 55, 60, 61, 53, 54, 55, 57]
    assert wide["Region"].tolist() == [52, 59, 63, 63, 58, 58, 60, 61]
    full = nb.comparison(li, 831, RWM).set_index("year")
    assert full.loc[[2020, 2021], "LA"].isna().all()  # COVID years stay gaps, not zeros


def test_derby_may_2025_neighbours_match_the_dfe_list():
    # DfE statistical neighbour benchmarking tool, May 2025 edition, Derby closest first: Coventry, Bolton,
    # Walsall, Southampton, Kirklees, Peterborough, Rochdale, Sheffield, Tameside, Stoke-on-Trent
    # (docs/domain/neighbours_and_lait.md).
    assert nb.neighbour_codes(831, 2025) == [331, 350, 335, 852, 382, 874, 354, 373, 357, 861]


def test_old_and_new_groupings_side_by_side(li):
    sets = nb.neighbour_sets(831, "both")
    assert list(sets) == ["DfE May 2025", "DfE April 2021"]
    sn = nb.sn_average(li, 831, RWM, "both")
    assert set(sn.set) == {"DfE May 2025", "DfE April 2021"}
    table = nb.neighbour_table(831)
    assert len(table) == 10 and "DfE April 2021" in table.columns


def test_custom_neighbours(li):
    sn = nb.sn_average(li, 831, RWM, "custom", custom=[350, 382]).set_index("year")
    assert sn.loc[2025, "value"] == pytest.approx((64 + 61) / 2)
    with pytest.raises(WorkbookError, match="itself"):
        nb.neighbour_codes(831, custom=[831, 350])
    with pytest.raises(WorkbookError, match="empty"):
        nb.neighbour_sets(831, "custom")
    with pytest.raises(UnknownAreaError, match="not a local authority"):
        nb.neighbour_codes(831, custom=[970])


def test_bad_version_is_a_clear_error():
    with pytest.raises(WorkbookError, match="2025"):
        nb.neighbour_codes(831, 2019)


def test_successor_council_without_2021_group_is_explained(li):
    with pytest.raises(NoDataError, match="909"):
        nb.neighbour_codes(942, 2021)
    assert list(nb.neighbour_sets(942, "both")) == ["DfE May 2025"]  # 'both' leaves the missing list out


@pytest.mark.parametrize("code, words", [(970, "England"), (983, "region"), (1000, "not a local authority")])
def test_region_or_england_refused_for_rank_and_band(li, code, words):
    with pytest.raises(UnknownAreaError, match=words):
        nb.national_rank(li, code, RWM)
    with pytest.raises(UnknownAreaError, match="LAs only"):
        nb.sn_ranking(li, code, RWM)


def test_unknown_la_is_a_clear_error(li):
    with pytest.raises(UnknownAreaError, match="Nearest"):
        nb.sn_average(li, 832, RWM)


def test_sn_file_and_la_indicators_agree_or_mismatch_is_reported(li):
    neighbours = dataset.load("neighbours")
    report = nb.mismatch_report(li, neighbours)
    li_las = set(li.loc[li.la_code < 970, "la_code"])
    sn_las = set(neighbours.la_code) | set(neighbours.neighbour_code)
    # Every code unaccounted for on either side must be in the report.
    for code in li_las ^ sn_las:
        assert code in set(report.la_code)
    # The issues are worded for people (analyses/neighbours.py, _mismatch_report); each is one of these five.
    assert set(report.issue) <= {
        "no neighbour group in this list",
        "no figures",
        "neighbour without figures",
        "neighbour without a 2025 figure",
        "council that has ended",
    }
    for version in (2021, 2025):
        groups = set(neighbours.loc[neighbours.version == version, "la_code"])
        reported = set(
            report.loc[(report.version == version) & (report.issue == "no neighbour group in this list"), "la_code"]
        )
        assert reported == li_las - groups
    # Cumberland and Westmorland and Furness (2023 successors of Cumbria 909) have no April 2021 group; the
    # report says Cumbria's group can stand in.
    no_group = report[report.issue == "no neighbour group in this list"]
    assert set(no_group.la_code) == {942, 943} and set(no_group.version) == {2021}
    assert no_group["detail"].str.endswith("it replaced Cumbria, whose group can stand in").all()
    # Ended Cumbria and Northamptonshire are reported with the councils that replaced them, by name.
    ended = report[report.issue == "council that has ended"].set_index(["version", "la_code"])
    assert ended.loc[(2025, 909), "detail"].endswith("replaced by Cumberland and Westmorland and Furness")
    assert ended.loc[(2025, 928), "detail"].endswith("replaced by North Northamptonshire and West Northamptonshire")
    # Cumbria still named as an April 2021 neighbour, with no 2025 value: left out of those SN averages (of 8
    # councils), never counted as zero.
    missing = report[report.issue == "neighbour without a 2025 figure"].set_index(["version", "la_code"])
    assert (
        "left out of the neighbours' average of 8 councils, never counted as zero" in missing.loc[(2021, 909), "detail"]
    )


def test_rank_band_table_headline_set(li):
    table = nb.rank_band_table(li, 831).set_index("indicator")
    assert list(table.index) == nb.HEADLINE_INDICATORS
    assert table.loc[RWM, "band"] == "D" and table.loc[RWM, "sn_rank"] == 10
    assert pd.isna(table.loc["KS2R_AVG_Scaled_Score", "band"])  # dictionary: no quartiles
    assert table.loc["KS2R_Prog_VA", "year"] == 2023  # no progress scores in 2024-25: latest is 2023
    with_year = nb.rank_band_table(li, 831, ["KS2R_Prog_VA"], year=2025)
    assert "2023" in with_year.note.iloc[0] and pd.isna(with_year.value.iloc[0])


def test_progress_significance_only_where_an_interval_exists(li):
    ci = nb.progress_ci(li, 831, "KS2R_Prog_VA").set_index("year")
    # Derby reading progress 2017 = -1.00; an interval exists for 2017-18 only.
    assert ci.loc[2017, "value"] == -1.0
    assert ci.loc[2017, "lower"] < -1.0 < ci.loc[2017, "upper"]
    assert ci.loc[2017, "significance"] == "significantly below England"
    assert ci.loc[[2016, 2019, 2023], "significance"].eq("no interval").all()
    with pytest.raises(NoDataError, match="only the progress scores"):
        nb.progress_ci(li, 831, RWM)


def test_pupil_sd_from_school_limits():
    from ks2workbook.analyses import progress

    sd = progress.pupil_sd().set_index(["year", "subject"])
    # Backed out of the DfE's published school limits (Hampshire and Surrey files, 2017-2019): about 5-7 points,
    # coverage about 95%; 2018 as the floor analysis has always used them (5.97, 5.75, 5.42).
    assert set(sd.index.get_level_values("year")) == {2017, 2018, 2019}
    assert sd["sd"].between(5, 7).all() and sd["coverage"].between(0.94, 0.97).all()
    assert [round(sd.loc[(2018, s), "sd"], 2) for s in ("read", "writ", "mat")] == [5.97, 5.75, 5.42]
    assert progress.spread(2016, "read") == progress.spread(2017, "read")  # no 2016 limits: the nearest year
    assert np.isnan(progress.spread(2016, "read", nearest=False)[0])


def test_export_frame_rows():
    frame = nb.export_frame(831, RWM)
    assert frame.la_name.tolist()[-2:] == ["SN average", "England"]
    assert frame.loc[frame.la_name == "SN average", "value"].iloc[0] == pytest.approx(59.8)
    assert frame.is_la.sum() == 1 and len(frame) == 13


# ------------------------------------------------------------------------------------------------------------
# The report's words and charts (views.neighbours)
# ------------------------------------------------------------------------------------------------------------


def test_successor_council_with_its_own_list(li):
    """Cumberland (942, created 2023) is in the May 2025 list only; with a council's own comparison group the
    report shows both, says there is one DfE list, and ranks the council in its own group."""
    import re

    from ks2workbook.analyses import pack

    facts = pack.facts(pack.define(la_code=942, custom_neighbours=[943, 340]))
    n = facts.neighbours
    assert list(n["sets"]) == ["DfE May 2025", "Custom list"] and n["label"] == "Custom list"
    text = " ".join(re.sub(r"<[^>]+>", "", str(item)) for item in nbview.section_groups(facts))
    assert "Cumberland has a group in one DfE list only (DfE May 2025)." in text
    # By hand from the 2025 LAIT values: 1 + the number of the three councils above Cumberland's figure.
    rwm = li[(li.indicator == RWM) & (li.year == 2025)].set_index("la_code")["value"]
    rank = 1 + int((rwm[[943, 340]] > rwm[942]).sum())
    text = " ".join(
        re.sub(r"<[^>]+>", "", str(item)) for item in nbview.section_ranking(facts) if isinstance(item, str)
    )
    assert f"Cumberland ranks {rank} of 3 in its group of itself and its neighbours in 2025." in text


def test_format_value_by_indicator_kind():
    # Units come from lib/ks2workbook/rules/indicators.yaml: percent, progress, scaled score.
    assert nbview.format_value(RWM, 57.0) == "57%" and nbview.format_value(RWM, 59.8, 1) == "59.8%"
    # Progress scores signed, to 1 decimal (DfE LAIT, KS2R_Prog_VA: Derby -1.00 in 2017, -0.60 in 2018).
    assert nbview.format_value("KS2R_Prog_VA", -1.0) == "-1.0"
    assert nbview.format_value("KS2R_Prog_VA", -0.6) == "-0.6" and nbview.format_value("KS2M_Prog_VA", 0.44) == "+0.4"
    assert nbview.format_value("KS2R_Prog_VA", -0.6, 1) == "-0.60"
    assert nbview.format_value("KS2R_AVG_Scaled_Score", 104.0) == "104"
    assert nbview.format_value("KS2R_AVG_Scaled_Score", 104.4, 1) == "104.4"
    assert nbview.format_value(RWM, np.nan) == "–" and nbview.format_value("KS2R_Prog_VA", None) == "–"
    assert nbview.name_of("KS2R_Prog_VA") == "Reading progress"  # names for people, never the code


def test_significance_chart_marks_only_years_with_an_interval(li):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    # Derby's reading and maths progress (DfE LAIT); an interval can be rebuilt for 2017 and 2018 only (the
    # years with published school limits), and both years are clearly below England in both subjects.
    cis = {code: nb.progress_ci(li, 831, code) for code in ("KS2R_Prog_VA", "KS2M_Prog_VA")}
    fig = nbview.plot_significance(cis, "Derby")
    assert len(fig.axes) == 2 and "Derby: progress against England" in fig._suptitle.get_text()
    for ax, (code, ci) in zip(fig.axes, cis.items(), strict=True):
        assert ax.get_title(loc="left") == nbview.name_of(code)
        lines = {line.get_label(): line for line in ax.get_lines()}
        below = lines["clearly below England"]
        assert list(below.get_xdata()) == [2017, 2018]
        assert list(below.get_ydata()) == list(ci.set_index("year").loc[[2017, 2018], "value"])
        assert list(lines["no interval can be rebuilt"].get_xdata()) == [2016, 2019, 2022, 2023]
        assert "clearly above England" not in lines and "not clearly different" not in lines
        (bars,) = ax.containers  # the 95% intervals: one bar per year that has one
        segments = bars.lines[2][0].get_segments()
        assert [round(seg[0][0]) for seg in segments] == [2017, 2018]
        assert [seg[0][1] for seg in segments] == pytest.approx(list(ci.dropna(subset=["lower"])["lower"]))
    plt.close("all")


def test_shipped_table_none_gives_the_same_answers_as_the_table(li):
    """None (the shipped table, indexed per indicator and cached) must answer exactly like the table itself."""
    for ind in ("KS2RWM_Expected_STD", "KS2M_Prog_VA", "KS2R_AVG_Scaled_Score"):
        pd.testing.assert_frame_equal(nb.national_table(None, ind), nb.national_table(li, ind))
        pd.testing.assert_frame_equal(nb.comparison(None, 831, ind, "both"), nb.comparison(li, 831, ind, "both"))
        assert nb.indicator_info(None, ind) == nb.indicator_info(li, ind)
    pd.testing.assert_frame_equal(nb.rank_band_table(None, 850), nb.rank_band_table(li, 850))
    pd.testing.assert_frame_equal(nb.mismatch_report(None), nb.mismatch_report(li))
    with pytest.raises(NoDataError, match="Nearest LAIT short codes"):
        nb.indicator_info(None, "KS2RWM_Expected")


def test_cached_national_table_is_a_copy():
    table = nb.national_table(None, "KS2RWM_Expected_STD")
    table["value"] = -1.0
    codes = nb.neighbour_codes(831)
    codes.append(999)
    assert (nb.national_table(None, "KS2RWM_Expected_STD")["value"].dropna() >= 0).all()
    assert 999 not in nb.neighbour_codes(831)


@pytest.mark.parametrize("code", [831, 201, 942, 330])
def test_answers_read_from_the_shipped_index_equal_filtering_the_table(li, code):
    """The pack reads the shipped table's years and each group's values from an index built once; the same
    functions given the table itself filter it. Both give the same answers (ranks, years, values)."""
    for indicator in nb.HEADLINE_INDICATORS:
        assert nb.years_with_data(None, indicator) == nb.years_with_data(li, indicator)
        for year in nb.years_with_data(li, indicator)[-3:]:
            for version in (2025, 2021):
                try:
                    fast = nb.sn_ranking(None, code, indicator, year, version)
                except NoDataError:  # no group in that edition (Cumberland in 2021)
                    continue
                pd.testing.assert_frame_equal(fast, nb.sn_ranking(li, code, indicator, year, version))
        for version in (2025, 2021):
            for codes in nb.neighbour_sets(code, version).values() if code != 942 or version != 2021 else ():
                fast = nb.sn_average_of(None, codes, indicator)
                pd.testing.assert_frame_equal(fast, nb.sn_average_of(li, codes, indicator), check_exact=True)


@pytest.mark.parametrize("code", [831, 942, 420])
def test_trends_read_from_the_shipped_index_equal_filtering_the_table(li, code):
    """The pack's trends read the shipped table's series from its index (``None``); given the table they filter
    it: the same lines, year by year, COVID years kept as gaps."""
    from ks2workbook.analyses import trends
    from ks2workbook.data import areas

    area = areas.resolve(code)
    headline = nb.HEADLINE_INDICATORS[0]
    for version in (2025, 2021):
        try:
            fast = trends.comparison_series(None, area, headline, 2016, 2025, version)
        except NoDataError:
            continue
        pd.testing.assert_frame_equal(fast, trends.comparison_series(li, area, headline, 2016, 2025, version))
    pd.testing.assert_frame_equal(
        trends.subject_table(None, area, 2016, 2025), trends.subject_table(li, area, 2016, 2025)
    )
    pd.testing.assert_frame_equal(
        trends.disadvantaged_gap(None, area, 2016, 2025), trends.disadvantaged_gap(li, area, 2016, 2025)
    )


@pytest.mark.parametrize("code", [942, 201])
def test_the_neighbours_chart_keeps_its_figures_clear_of_its_lines(code):
    """Each bar's figure stands in one column past the longest bar and both lines (the neighbours' average and
    England), so no line runs through a figure; England's line is drawn even for a council whose own figure is
    suppressed (the City of London)."""
    import matplotlib

    matplotlib.use("Agg")
    from ks2workbook.analyses import pack

    facts = pack.facts(pack.define(la_code=code))
    fig = next(x for x in nbview.section_ranking(facts) if isinstance(x, matplotlib.figure.Figure))
    ax = fig.axes[0]
    lines = {line.get_label(): float(line.get_xdata()[0]) for line in ax.get_lines()}
    assert set(lines) == {"Neighbours' average", "England"}
    figures = [t for t in ax.texts if "%" in t.get_text()]
    assert len(figures) == len(ax.patches) >= 10
    bars = max(p.get_width() for p in ax.patches)
    assert all(t.get_position()[0] >= max(bars, *lines.values()) for t in figures)
    assert ax.get_xlim()[0] == 0
    matplotlib.pyplot.close(fig)
