"""Risk model: synthetic truths (cohort size, distance to the bar, calibration), then the shipped data: pairs from
the data, calibration given England's movement and as forecast, an LA's expected count with its range, cohorts,
the pack's bar and chance, the floor model's progress bars, bad inputs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml
from ks2workbook.analyses import pack, risk
from ks2workbook.core.errors import NoDataError, UnknownAreaError, WorkbookError
from ks2workbook.core.paths import rules_dir
from ks2workbook.data import coverage
from ks2workbook.data import tables as dataset
from ks2workbook.rules import floor as floor_rules

THR = 65.0
DERBY = 831


# ---- synthetic schools: a known truth ----------------------------------------------------------------------


def _synthetic(n_schools: int = 6000, seed: int = 0) -> pd.DataFrame:
    """Schools with a true rate; this year's and next year's % are binomial draws around it (known truth)."""
    rng = np.random.default_rng(seed)
    true = np.clip(rng.normal(62, 12, n_schools), 5, 98) / 100
    cohort = rng.integers(8, 95, n_schools)
    now = rng.binomial(cohort, true) / cohort * 100
    nxt = rng.binomial(cohort, true) / cohort * 100
    frame = pd.DataFrame(
        {
            "rwm_exp": now,
            "cohort": cohort.astype(float),
            "prev_move": 0.0,
            "progress": np.nan,
            "pct_fsm": rng.uniform(0, 50, n_schools),
            "pct_eal": rng.uniform(0, 50, n_schools),
        }
    )
    frame = risk.add_gap_features(frame, THR)
    frame["below_next"] = nxt < THR
    return frame


@pytest.fixture(scope="module")
def synthetic_model() -> risk.RiskModel:
    return risk.fit(_synthetic(), THR)


def _school(rwm: float, cohort: float) -> pd.DataFrame:
    row = pd.DataFrame({"rwm_exp": [rwm], "cohort": [cohort], "prev_move": [0.0], "progress": [np.nan]})
    return risk.add_gap_features(row.assign(pct_fsm=25.0, pct_eal=25.0), THR)


def test_large_cohort_far_above_threshold_has_near_zero_risk(synthetic_model):
    assert synthetic_model.predict(_school(92, 90)).iloc[0] < 0.01


def test_identical_schools_rank_by_cohort_size_above_the_threshold(synthetic_model):
    sizes = [12, 20, 30, 45, 60, 90]
    probs = [synthetic_model.predict(_school(72, n)).iloc[0] for n in sizes]
    assert all(a > b for a, b in zip(probs, probs[1:], strict=False)), probs


def test_below_the_threshold_a_larger_cohort_is_more_likely_to_stay_below(synthetic_model):
    assert synthetic_model.predict(_school(55, 90)).iloc[0] > synthetic_model.predict(_school(55, 12)).iloc[0]


def test_synthetic_model_is_calibrated_on_fresh_draws(synthetic_model):
    fresh = _synthetic(seed=1)
    table = risk.calibration_table(synthetic_model.predict(fresh), fresh["below_next"])
    assert table["judged"].all()  # 600 schools a decile
    assert risk.worst_decile_gap(table) < 5


def test_constant_features_are_left_out_and_said():
    model = risk.fit(_synthetic(2000), THR)
    assert "prev_move" not in model.used and "progress" not in model.used
    assert set(model.used) == {"gap", "gap_in_se", "pct_fsm", "pct_eal"}
    assert any("prev_move" in note for note in model.notes) and any("progress" in note for note in model.notes)


def test_fit_refuses_a_single_outcome():
    with pytest.raises(WorkbookError, match="same side"):
        risk.fit(_synthetic(200).assign(below_next=False), THR)


def test_baselines_are_zero_one_rules():
    frame = pd.DataFrame({"rwm_exp": [50.0, 64.0, 65.0, 69.0, 70.0]})
    base = risk.baselines(frame, THR)
    assert base["same_as_this_year"].tolist() == [1, 1, 0, 0, 0]  # 65 is on the bar: not below
    assert base["within_5_points"].tolist() == [1, 1, 1, 1, 0]  # 70 is exactly 5 above: not within


def test_drivers_have_the_signs_of_the_position(synthetic_model):
    """Far below the bar, the position (points and standard errors) raises the chance of being below; far above,
    it lowers it; and the groups together are the whole log-odds."""
    frame = pd.concat([_school(40, 60), _school(95, 60)], ignore_index=True)
    reasons = risk.drivers(synthetic_model, frame)
    assert list(reasons.columns) == list(risk.REASON_GROUPS)
    assert reasons.loc[0, "position"] > 0 > reasons.loc[1, "position"]
    logit = np.log(synthetic_model.predict(frame) / (1 - synthetic_model.predict(frame)))
    assert np.allclose(reasons.sum(axis=1) + synthetic_model.intercept, logit)


def test_count_range_is_the_count_when_every_chance_is_certain(synthetic_model):
    """30 schools certain to be below and 70 certain to be above: the range is exactly 30, whatever the draws."""
    frame = pd.concat([_school(5, 90)] * 30 + [_school(98, 90)] * 70, ignore_index=True)
    assert risk.count_range(synthetic_model, frame, [0.0]) == (30.0, 30.0)


# ---- pairs and backtests come from the data ----------------------------------------------------------------


def test_pairs_are_consecutive_years_with_school_results():
    years = coverage.attainment_years()
    # The national KS2 school-level files shipped: 2016-2018 and 2023-2025 (2019 only Hampshire's and Surrey's;
    # no tests in 2020 and 2021; no school-level 2022 performance tables).
    assert years == [2016, 2017, 2018, 2023, 2024, 2025]
    assert risk.pairs() == [(a, b) for a, b in zip(years, years[1:], strict=False) if b == a + 1]
    assert risk.pairs() == [(2016, 2017), (2017, 2018), (2023, 2024), (2024, 2025)]
    assert not {2019, 2020, 2021, 2022} & {y for p in risk.pairs() for y in p}
    assert risk.first_pair() == risk.pairs()[0]


def test_backtests_fit_on_earlier_pairs_only():
    assert risk.backtests() == [
        (((2016, 2017),), (2017, 2018)),
        (((2017, 2018),), (2023, 2024)),
        (((2023, 2024),), (2024, 2025)),
        (((2017, 2018), (2023, 2024)), (2024, 2025)),
    ]
    for fit_pairs, test_pair in risk.backtests():
        assert all(b <= test_pair[0] for _, b in fit_pairs)
    with pytest.raises(WorkbookError, match="earlier years"):
        risk.backtest(((2024, 2025),), (2017, 2018))


def test_forecast_model_leaves_out_the_first_year_pair():
    assert risk.model_for(2025).fit_pairs == ((2017, 2018), (2023, 2024), (2024, 2025))
    assert risk.model_for(2023).fit_pairs == ((2017, 2018),)
    assert risk.model_for(2017).fit_pairs == ((2016, 2017),)
    assert any("includes 2016" in note for note in risk.model_for(2016).notes)


def test_national_changes_and_trend_from_published_figures():
    # England's % meeting the expected standard in RWM (DfE LAIT, KS2RWM_Expected_STD): 2016 54, 2017 62, 2018 65,
    # 2019 65, 2022 59, 2023 60, 2024 61, 2025 63. No change across 2019->2022 (no tests in 2020 and 2021).
    published = {2016: 54, 2017: 62, 2018: 65, 2019: 65, 2022: 59, 2023: 60, 2024: 61, 2025: 63}
    assert risk.national_rwm().to_dict() == published
    assert risk.national_changes().to_dict() == {2016: 8.0, 2017: 3.0, 2018: 0.0, 2022: 1.0, 2023: 1.0, 2024: 2.0}
    # A forecast from 2025 averages over the movements published by then, the first year's +8 left out.
    assert risk.known_changes(2025).to_dict() == {2017: 3.0, 2018: 0.0, 2022: 1.0, 2023: 1.0, 2024: 2.0}
    assert risk.known_changes(2017).tolist() == [0.0]  # none known yet: no change
    trend = {y: risk.national_trend(y) for y in (2016, 2017, 2018, 2023, 2024, 2025)}
    assert trend == {2016: 0.0, 2017: 0.0, 2018: 3.0, 2023: 1.0, 2024: 1.0, 2025: 1.0}


# ---- calibration (issue #16) -------------------------------------------------------------------------------

# Worst judged decile gap (points), recomputed from the shipped school files; measured when last run.
GIVEN_MOVEMENT = {  # told England's published movement (national_change=None)
    (((2017, 2018),), (2023, 2024)): 4.89,
    (((2023, 2024),), (2024, 2025)): 4.76,
    (((2017, 2018), (2023, 2024)), (2024, 2025)): 4.55,
}
AS_FORECAST = {  # averaging over the movements known at the time (national_change="known"): reported, not judged
    (((2017, 2018),), (2023, 2024)): 5.49,
    (((2023, 2024),), (2024, 2025)): 5.63,
    (((2017, 2018), (2023, 2024)), (2024, 2025)): 5.38,
}


def test_judged_backtests_are_every_pair_after_the_first():
    assert set(GIVEN_MOVEMENT) == set(AS_FORECAST) == set(risk.backtests()[1:])


@pytest.mark.parametrize("case", list(GIVEN_MOVEMENT), ids=lambda c: risk.pairs_label(c[0]) + " / " + str(c[1]))
def test_calibrated_given_englands_movement(case):
    bt = risk.backtest(*case, national_change=None)
    assert bt.calibration["schools"].min() >= risk.MIN_DECILE_SCHOOLS and bt.calibration["judged"].all()
    assert bt.max_decile_error == pytest.approx(GIVEN_MOVEMENT[case], abs=0.05)
    assert bt.max_decile_error < risk.CALIBRATION_BAR == 5


@pytest.mark.parametrize("case", list(AS_FORECAST), ids=lambda c: risk.pairs_label(c[0]) + " / " + str(c[1]))
def test_each_pair_as_forecast_is_reported(case):
    assert risk.backtest(*case, national_change="known").max_decile_error == pytest.approx(AS_FORECAST[case], abs=0.05)


def test_pooled_forecast_carrying_englands_uncertainty_is_calibrated():
    """The forecasts as the workbook makes them, 2023->24 and 2024->25 pooled: within 5 points every decile."""
    table = risk.pooled_forecast_calibration()
    assert len(table) == 10 and table["judged"].all()
    assert table["schools"].sum() == 14180 + 14358  # the schools of both held-out pairs
    assert risk.worst_decile_gap(table) == pytest.approx(3.38, abs=0.05)
    assert risk.worst_decile_gap(table) < 5


def test_first_pair_is_reported_not_judged():
    """Fitted on 2016->17 alone (the first year of the new tests, England +8), the model over-predicts 2017->18:
    reported in the summary with judged False, never held to the bar."""
    first = risk.backtests()[0]
    assert risk.backtest(*first, national_change=None).max_decile_error == pytest.approx(9.87, abs=0.05)
    assert risk.backtest(*first, national_change="known").max_decile_error == pytest.approx(13.63, abs=0.05)
    summary = risk.backtest_summary()
    assert not summary.loc[summary["test"] == "2017->2018", "judged"].any()
    assert summary.loc[summary["test"] != "2017->2018", "judged"].all()


def test_model_beats_both_baselines_in_every_backtest():
    for fit_pairs, test_pair in risk.backtests():
        for assumed in (None, "known"):
            scores = risk.backtest(fit_pairs, test_pair, national_change=assumed).scores.set_index("method")
            for base in ("same_as_this_year", "within_5_points"):
                assert scores.loc["model", "brier"] < scores.loc[base, "brier"] - 0.05
                assert scores.loc["model", "auc"] > scores.loc[base, "auc"]


def test_published_movement_lies_in_the_calibrated_window():
    """The national movements for which each forecast would have met the bar (measured when last run); England's
    published movement (DfE LAIT: +1 in 2024, +2 in 2025) falls inside every window after the first pair."""
    summary = risk.backtest_summary()
    windows = summary[summary["method"] == "model"].drop_duplicates(["fit", "test"])
    windows = windows.set_index(windows["fit"] + " / " + windows["test"])["calibrated_if_change"].to_dict()
    assert windows == {
        "2016->2017 / 2017->2018": "+7.5 to +8.0",  # only if 2016->2017's jump had come again
        "2017->2018 / 2023->2024": "-2.0 to +1.0",
        "2023->2024 / 2024->2025": "+2.0 to +5.0",
        "2017->2018 + 2023->2024 / 2024->2025": "+2.0 to +3.5",
    }
    for fit_pairs, test_pair in risk.backtests()[1:]:
        scan = risk.calibration_by_national_change(fit_pairs, test_pair).set_index("national_change")
        assert scan.loc[risk.national_changes()[test_pair[0]], "calibrated"]


def test_ranges_label():
    assert risk.ranges_label([1.5, 2.0, 2.5, 4.0]) == "+1.5 to +2.5, +4.0"
    assert risk.ranges_label([-2.0, -1.5]) == "-2.0 to -1.5"
    assert risk.ranges_label([-0.5, 0.0, 0.5]) == "-0.5 to +0.5" and risk.ranges_label([0.0]) == "0.0"
    assert risk.ranges_label([]) == "none"


# ---- an LA's forecast --------------------------------------------------------------------------------------


def test_expected_count_below_the_bar_comes_with_a_range():
    """Derby, 2025 -> 2026: the expected number of its schools below 65% and the 80% range (measured when last
    run; the draws have a fixed seed)."""
    got = risk.expected_below(DERBY, 2025)
    assert got["low"] <= got["expected"] <= got["high"]
    assert got["expected"] == pytest.approx(37.13, abs=0.01)
    assert (got["low"], got["high"]) == (33.0, 41.0)
    table = risk.school_risk(DERBY, 2025)
    assert got["expected"] == pytest.approx(table["p_below_next"].sum())  # the schools' chances added up
    assert got["high"] <= len(table)


def test_school_risk_lists_every_mainstream_school_most_likely_first():
    table = risk.school_risk(DERBY, 2025)
    results = dataset.load("school_results")
    derby = results[(results["year"] == 2025) & (results["la_code_now"] == DERBY)].dropna(subset=["urn", "rwm_exp"])
    derby = set(derby["urn"].astype("int64")) - set(dataset.not_mainstream_urns())
    assert set(table["urn"]) == derby and table["urn"].is_unique
    assert table["p_below_next"].is_monotonic_decreasing and table["p_below_next"].between(0, 1).all()
    assert (table["below_now"] == (table["rwm_exp"] < THR)).all()
    # The position's contribution has the sign of the distance to the bar (shown at England's recent trend).
    assert (table.loc[table["gap"] <= -5, "drive_position"] > 0).all()
    assert (table.loc[table["gap"] >= 5, "drive_position"] < 0).all()


def test_national_scenarios_move_the_expected_count():
    scen = risk.national_scenarios(DERBY, 2025).set_index("national_change")
    assert scen.index.tolist() == [-1.0, 0.0, 1.0, 2.0, 3.0]  # the recent trend (+1) is one of them
    assert scen["is_trend"].tolist() == [False, False, True, False, False]
    # England rising lifts every school's expected result: fewer schools expected below.
    assert scen["expected_below_next_year"].is_monotonic_decreasing
    assert scen["england_expected_share"].is_monotonic_decreasing
    # England's share is predicted once for every council (remembered): it is what the model gives England's
    # schools under each movement, computed here directly.
    model, england = risk.model_for(2025, THR), risk.features(2025, THR, 0.0)
    for change, share in scen["england_expected_share"].items():
        direct = model.predict(risk.add_gap_features(england, THR, change)).mean() * 100
        assert share == pytest.approx(direct, abs=1e-12)


def test_the_expected_count_and_its_range_come_from_the_same_forecasts():
    """expected_below predicts each school once per movement for both the count and its range: they equal the
    forecast's own average (chance_below) and range (count_range)."""
    model, base = risk.model_for(2025, THR), risk._la_features(DERBY, 2025, THR)
    changes = risk.known_changes(2025)
    got = risk.expected_below(DERBY, 2025, THR)
    assert got["expected"] == pytest.approx(risk.chance_below(model, base, changes).sum(), abs=1e-12)
    assert (got["low"], got["high"]) == risk.count_range(model, base, changes)
    assert got["low"] <= got["expected"] <= got["high"]


def test_special_schools_are_left_out():
    frame = risk.features(2018)
    assert not frame.index.isin(dataset.not_mainstream_urns()).any()
    assert 116633 not in frame.index  # The Waterloo School, Hampshire: a special school


# ---- cohorts -----------------------------------------------------------------------------------------------

PEAR_TREE_JUNIOR = 144466  # Pear Tree Community Junior School, Derby (7-11)
CAVENDISH_CLOSE_JUNIOR = 144822  # Cavendish Close Junior Academy, Derby (7-11)
BEMROSE = 112951  # The Bemrose School, Derby (all-through, 3-19)
PEAR_TREE_INFANT = 112728  # Pear Tree Infant School, Derby (5-7)


def _cohorts(year: int, results: pd.DataFrame | None = None) -> pd.DataFrame:
    urns = pd.Index([PEAR_TREE_JUNIOR, CAVENDISH_CLOSE_JUNIOR, BEMROSE, PEAR_TREE_INFANT])
    results = dataset.load("school_results") if results is None else results
    return risk.cohort_estimate(urns, year, results, dataset.load("census"), dataset.load("schools"))


def test_shipped_age_ranges_and_rolls_of_the_named_schools():
    schools = dataset.load("schools").set_index("urn")
    named = (PEAR_TREE_JUNIOR, BEMROSE, PEAR_TREE_INFANT)
    ages = {u: (schools.loc[u, "age_low"], schools.loc[u, "age_high"]) for u in named}
    assert ages == {PEAR_TREE_JUNIOR: (7, 11), BEMROSE: (3, 19), PEAR_TREE_INFANT: (5, 7)}
    census = dataset.load("census").set_index(["urn", "year"])["pupils"]
    assert census[(BEMROSE, 2024)] == 1416  # pupils on roll, DfE school census (the shipped 2024 figure)


def test_a_year_with_published_cohorts_uses_them():
    # KS2 2018 performance tables: eligible pupils 77, 90 and 27.
    got = _cohorts(2018)
    assert got.loc[[PEAR_TREE_JUNIOR, CAVENDISH_CLOSE_JUNIOR, BEMROSE], "cohort"].tolist() == [77, 90, 27]
    assert (got.loc[[PEAR_TREE_JUNIOR, CAVENDISH_CLOSE_JUNIOR, BEMROSE], "cohort_basis"] == "published").all()


def test_junior_and_all_through_schools_use_their_own_last_published_cohort():
    """2025's file publishes no cohort: each school takes its own 2018 figure, not pupils on roll / 7."""
    got = _cohorts(2025)
    assert got.loc[PEAR_TREE_JUNIOR, "cohort"] == 77
    assert got.loc[CAVENDISH_CLOSE_JUNIOR, "cohort"] == 90
    assert got.loc[BEMROSE, "cohort"] == 27 and got.loc[BEMROSE, "cohort"] != round(1416 / 7)
    mine = got.loc[[PEAR_TREE_JUNIOR, CAVENDISH_CLOSE_JUNIOR, BEMROSE]]
    assert (mine["cohort_basis"] == "last published").all() and (mine["cohort_year"] == 2018).all()


def test_with_no_published_cohort_the_estimate_divides_by_the_year_groups_held():
    """Only where no cohort was ever published: pupils on roll (2024 census) / year groups from Reception that the
    age range holds: a junior school 4, the 3-19 all-through school 15 (never 7)."""
    assert risk.year_groups(pd.Series([7, 3, 4]), pd.Series([11, 19, 11])).tolist() == [4, 15, 7]
    got = _cohorts(2025, dataset.load("school_results").assign(cohort=np.nan))
    assert got.loc[PEAR_TREE_JUNIOR, "cohort"] == round(359 / 4)
    assert got.loc[BEMROSE, "cohort"] == round(1416 / 15) != round(1416 / 7)
    assert (got.loc[[PEAR_TREE_JUNIOR, CAVENDISH_CLOSE_JUNIOR, BEMROSE], "cohort_basis"] == "estimated").all()


def test_an_infant_school_has_no_ks2_cohort():
    """Pear Tree Infant School (5-7, 260 on roll) has no Year 6: no cohort, no estimate, no risk."""
    assert np.isnan(risk.year_groups(pd.Series([5]), pd.Series([7])).iloc[0])
    for results in (None, dataset.load("school_results").assign(cohort=np.nan)):
        got = _cohorts(2025, results).loc[PEAR_TREE_INFANT]
        assert np.isnan(got["cohort"]) and got["cohort_basis"] != "estimated"
    assert PEAR_TREE_INFANT not in risk.features(2025).index


def test_cohort_basis_says_estimated_only_where_it_is():
    frame = risk.features(2025)
    results = dataset.load("school_results")
    earlier = results[(results["year"] < 2025) & results["cohort"].notna()].dropna(subset=["urn"])
    last = earlier.sort_values("year").drop_duplicates("urn", keep="last")
    last = last.set_index(last["urn"].astype("int64"))["cohort"]
    has_last = frame.index.isin(last.index)
    assert not (frame["cohort_basis"] == "published").any()  # the 2025 file publishes no cohort
    assert (frame.loc[has_last, "cohort_basis"] == "last published").all()
    assert (frame.loc[has_last, "cohort"] == last.reindex(frame.index[has_last]).clip(lower=5)).all()
    assert set(frame.loc[~has_last, "cohort_basis"]) <= {"estimated", "unknown"}
    assert frame["cohort_basis"].isin(["last published", "estimated", "unknown"]).all()
    assert (risk.features(2018)["cohort_basis"] == "published").all()


# ---- the pack's bar and chance, the floor's progress bars ---------------------------------------------------


def _yaml(name: str) -> dict:
    return yaml.safe_load((rules_dir() / name).read_text(encoding="utf-8"))


def _last_national_floor() -> dict:
    rules = [r for r in _yaml("floor_standards.yaml")["rules"] if r.get("progress") and not r.get("withdrawn")]
    return max(rules, key=lambda r: r["year"])


def test_the_pack_bar_and_at_risk_chance_come_from_the_rule_files():
    floor_2018 = _last_national_floor()  # SFR: Key stage 2 and multi-academy trust performance, 2018 (revised)
    assert floor_2018["year"] == 2018 and floor_2018["attainment"]["below"] == 65
    assert _yaml("pack.yaml")["at_risk_chance"] == 0.5
    definition = pack.define(la_code=DERBY)
    assert definition.threshold == floor_2018["attainment"]["below"] == risk.default_threshold()
    assert definition.at_risk_chance == _yaml("pack.yaml")["at_risk_chance"]
    assert definition.medium_risk_chance == _yaml("pack.yaml")["medium_risk_chance"]


def test_the_packs_risk_part_uses_its_bar_and_chance():
    definition = pack.define(la_code=DERBY)
    part = pack.facts(definition).risk
    assert part.ok, part.reason
    table = part["table"]
    assert part["model"].threshold == definition.threshold
    assert (table["below_now"] == (table["rwm_exp"] < definition.threshold)).all()
    at_risk = table[table["p_below_next"] >= definition.at_risk_chance]
    assert part["at_risk"]["urn"].tolist() == at_risk["urn"].tolist()
    assert ((table["risk_level"] == "high") == (table["p_below_next"] >= definition.at_risk_chance)).all()
    medium = table["p_below_next"].between(definition.medium_risk_chance, definition.at_risk_chance, inclusive="left")
    assert ((table["risk_level"] == "medium") == medium).all()
    assert part["expected"] == risk.expected_below(DERBY, definition.year, definition.threshold)


def test_the_floor_models_progress_bars_are_the_floor_rule_files():
    """The margin on the floor's progress tests is measured from the bars of the last national floor as the rule
    file states them (reading -5, writing -7, maths -5), and a changed bar changes it."""
    bars = {c["measure"]: float(c["below"]) for c in _last_national_floor()["progress"]["conditions"]}
    assert bars == {"read_prog": -5.0, "writ_prog": -7.0, "mat_prog": -5.0} == floor_rules.progress_bars()
    results = dataset.load("school_results")
    now = results[results["year"] == 2017].dropna(subset=["urn", "rwm_exp"]).drop_duplicates("urn")
    now = now.set_index(now["urn"].astype("int64"))
    expected = pd.concat([now[col] - bar for col, bar in bars.items()], axis=1).min(axis=1, skipna=False)
    frame = risk.features(2017)
    pd.testing.assert_series_equal(
        frame["worst_progress_margin"], expected.reindex(frame.index), check_names=False, check_index_type=False
    )


def test_a_changed_floor_rule_changes_the_progress_margin(monkeypatch):
    results, census = dataset.load("school_results"), dataset.load("census")
    before = risk.features(2017, results=results, census=census)["worst_progress_margin"]
    lower_bars = {"read_prog": -3.0, "writ_prog": -3.0, "mat_prog": -3.0}
    monkeypatch.setattr(floor_rules, "progress_bars", lambda rule=None: lower_bars)
    after = risk.features(2017, results=results, census=census)["worst_progress_margin"]
    held = before.notna()
    assert held.sum() > 10000 and (after.notna() == held).all()
    assert (after[held] <= before[held] - 2 + 1e-9).all()


# ---- the floor itself --------------------------------------------------------------------------------------


def test_floor_backtest_2017_to_2018():
    bt = risk.floor_backtest()
    scores = bt.scores.set_index("method")["brier"]
    # Measured when last run, 12,369 schools: model 0.023, below the floor now 0.047, near the floor 0.049.
    assert bt.n_test == 12369
    assert scores["model"] == pytest.approx(0.023, abs=0.002)
    assert scores["same_as_this_year"] == pytest.approx(0.047, abs=0.002)
    assert scores["model"] < scores["same_as_this_year"] and scores["model"] < scores["near_the_floor"]
    assert bt.max_decile_error < 5


def test_floor_risk_only_where_a_floor_follows():
    assert risk.floor_pairs() == [(2016, 2017), (2017, 2018)]  # the national floors of 2017 and 2018
    p = risk.floor_risk(DERBY, 2017)
    assert p.between(0, 1).all() and len(p) > 30
    with pytest.raises(NoDataError, match="2016 and 2017 only"):
        risk.floor_risk(DERBY, 2018)


# ---- bad inputs and caches ---------------------------------------------------------------------------------


def test_bad_inputs_are_clear():
    with pytest.raises(UnknownAreaError, match="unknown LA code or name '12345'"):
        risk.school_risk(12345, 2025)
    with pytest.raises(UnknownAreaError):
        risk.expected_below("Nowhere", 2025)
    message = "no national school-level RWM attainment for 2019: .* estimated from 2016 to 2018, 2023 to 2025"
    with pytest.raises(NoDataError, match=message):
        risk.school_risk(DERBY, 2019)
    with pytest.raises(NoDataError, match="for 2021"):
        risk.expected_below(DERBY, 2021)


def test_cached_national_results_are_copies():
    """Backtests, models and features are cached per process (the report pack runs every LA in one kernel): a
    caller changing what it got must not change the next caller's answer."""
    first = risk.backtest_summary()
    first["brier"] = 0.0
    assert (risk.backtest_summary()["brier"] > 0).all()
    model = risk.model_for(2016)
    notes = list(model.notes)
    model.notes.append("changed by a caller")
    model.coef[:] = 0
    again = risk.model_for(2016)
    assert again.notes == notes and (again.coef != 0).any()
    feats = risk.features(2018)
    feats["gap"] = 0.0
    assert (risk.features(2018)["gap"] != 0).any()
    bt = risk.backtest(*risk.backtests()[0])
    bt.calibration["observed"] = -1.0
    assert (risk.backtest(*risk.backtests()[0]).calibration["observed"] >= 0).all()


def test_cached_features_match_explicit_tables():
    results, census = dataset.load("school_results"), dataset.load("census")
    pd.testing.assert_frame_equal(risk.features(2024), risk.features(2024, results=results, census=census))
    pd.testing.assert_frame_equal(risk.training_pair(2017), risk.training_pair(2017, results=results, census=census))


def test_scores_equal_scikit_learns():
    """The Brier score and AUC of the backtests are scikit-learn's, ties included (computed by ranks here)."""
    from sklearn.metrics import brier_score_loss, roc_auc_score

    rng = np.random.default_rng(3)
    chance = pd.Series(rng.random(500).round(2))  # rounded: many ties
    fell = pd.Series(rng.random(500) < chance)
    got = risk._scores(chance, fell)
    assert got["brier"] == pytest.approx(brier_score_loss(fell, chance), abs=1e-12)
    assert got["auc"] == pytest.approx(roc_auc_score(fell, chance), abs=1e-12)
    assert np.isnan(risk._scores(chance, pd.Series(False, index=chance.index))["auc"])  # no school fell


@pytest.mark.parametrize("schools", [10, 37, 1000, 14003])
def test_calibration_deciles_are_pandas_equal_count_bins(schools):
    """The deciles are pd.qcut's equal-count bins of the ranked chances, each school in one; the table is
    each decile's mean chance and share that fell below, in %."""
    rng = np.random.default_rng(schools)
    chance = pd.Series(rng.random(schools).round(1))
    fell = pd.Series(rng.random(schools) < chance)
    table = risk.calibration_table(chance, fell)
    decile = pd.qcut(chance.rank(method="first"), 10, labels=range(1, 11))
    by = pd.DataFrame({"p": chance, "y": fell.astype(float), "d": decile}).groupby("d", observed=True)
    assert table["schools"].tolist() == by.size().tolist() and table["schools"].sum() == schools
    np.testing.assert_allclose(table["predicted"], by["p"].mean() * 100, rtol=1e-12)
    np.testing.assert_allclose(table["observed"], by["y"].mean() * 100, rtol=1e-12)
    assert table["decile"].astype(int).tolist() == list(range(1, 11))


def test_the_school_table_and_the_expected_count_share_one_set_of_chances(monkeypatch):
    """A pack shows each school's chance and the council's expected count; both rest on the same predictions
    under each of England's known movements, made once (the count is the sum of the schools' chances)."""
    risk._la_chances.cache_clear()
    calls: list[int] = []
    real = risk._by_change
    monkeypatch.setattr(risk, "_by_change", lambda *a: calls.append(1) or real(*a))
    year = coverage.latest_year()
    table = risk.school_risk(831, year)
    expected = risk.expected_below(831, year)
    assert len(calls) == 1
    assert expected["expected"] == pytest.approx(table["p_below_next"].sum(), rel=1e-12)
    assert expected["low"] <= expected["expected"] <= expected["high"]
