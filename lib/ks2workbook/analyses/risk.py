"""Risk of falling below the attainment threshold next year: a logistic model, backtested and explained.

The method, in a paragraph an analyst can check
------------------------------------------------
For every school with a KS2 result this year we estimate the probability that **next year** its % of pupils
meeting the expected standard in reading, writing and maths (RWM) is below the threshold (65% by default,
the 2016-2018 floor's attainment test). The model is an ordinary **logistic regression** on six features:
(1) how far this year's result is above the threshold, after allowing for the national movement between the
two years (``gap``); (2) the same distance in **binomial standard errors for the school's cohort size**
(``gap_in_se``): 10 points above the line is safe for 90 pupils and not for 12, because one pupil is about
1 point in the first school and 8 in the second; (3) this year's result against last year's (``prev_move``: a
school that fell tends to recover part of the fall, one that rose to give part of it back); (4) the average
KS2 progress score (reading, writing, maths) where published; (5, 6) the school's context from the census,
% FSM and % EAL. Features are standardised on the fitting years, so a coefficient times the school's
standardised value is that feature's **contribution** to the log-odds: the largest are the school's reasons.

National movement: in fitting, next year's national figure is the published one (LAIT, England). In a
forecast it is not known, so the forecast assumes England's **recent trend** (:func:`national_trend`: the
median of the published year-on-year changes known at the time, leaving out the first year of the new tests;
+1 point a year since 2017) unless ``national_change`` is given. This matters: in the backtests one point of
national movement moves the worst decile's calibration gap by about 1.5-2 points, so the forecast is only as
calibrated as the national movement is foreseeable. The backtest therefore reports the model three
ways (0 assumed, the recent trend, the published change) and, for each held-out pair, the range of national
movements for which it would have been calibrated (:func:`calibration_by_national_change`).

Backtest: fitted on earlier pairs of years only, scored on a later pair it never saw (:data:`BACKTESTS`:
2016->2017 fit, 2017->2018 test; 2017->2018 fit, 2023->2024 test; 2023->2024, alone and pooled with
2017->2018, fit, 2024->2025 test). Forecasts are fitted on every pair ending by the forecast year, leaving out
2016->2017 (the first year of the new tests, whose dynamics did not carry over) once a later pair exists.
For 2023-2025 no cohort size is published, so the cohort is approximated by
census pupils on roll / 7 (seven year groups, Reception to Year 6); 2024-25 schools are linked by URNs matched
by name (about 97%); no progress is published for 2024-25, so the latest published progress (2023) stands in.
Baselines: "same as this year" (probability 1 if below now, else 0) and "within 5 points" (1 if below or
less than 5 points above the threshold now, else 0).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss, roc_auc_score

from ..core.errors import NoDataError, WorkbookError
from ..core.world import ENGLAND
from ..data import areas, tables

#: Pairs of consecutive published years with school-level RWM attainment we can link by URN.
PAIRS: tuple[tuple[int, int], ...] = ((2016, 2017), (2017, 2018), (2023, 2024), (2024, 2025))
#: Backtests: (fit pair, held-out test pair).
Pair = tuple[int, int]
#: Backtests: (pairs fitted on, held-out test pair). The first is the one the brief names; the others test
#: across the COVID gap and on the latest pair with every earlier usable pair pooled.
BACKTESTS: tuple[tuple[tuple[Pair, ...], Pair], ...] = (
    (((2016, 2017),), (2017, 2018)),
    (((2017, 2018),), (2023, 2024)),
    (((2023, 2024),), (2024, 2025)),
    (((2017, 2018), (2023, 2024)), (2024, 2025)),
)
#: 2016 was the first year of the new KS2 tests (national RWM +8 points to 2017): a model fitted on
#: 2016->2017 alone over-predicts the risk in 2017->2018 by up to 10 points per decile (see the backtest), so
#: forecasts leave that pair out whenever a later pair is available.
FIRST_YEAR_PAIR: Pair = (2016, 2017)
#: The previous published year with school RWM attainment (2019 has only progress nationally; 2020-22 none).
PREVIOUS_YEAR: dict[int, int] = {2017: 2016, 2018: 2017, 2024: 2023, 2025: 2024}
#: Years whose result table holds attainment for (nearly) every school.
ATTAINMENT_YEARS: tuple[int, ...] = (2016, 2017, 2018, 2023, 2024, 2025)
DEFAULT_THRESHOLD = 65.0
#: Seven year groups (Reception to Year 6): pupils on roll / 7 approximates the Year 6 cohort.
YEAR_GROUPS = 7
FEATURES: tuple[str, ...] = ("gap", "gap_in_se", "prev_move", "progress", "pct_fsm", "pct_eal")
#: The floor model adds the worst margin on the 2016-2018 progress tests (reading -5, writing -7, maths -5).
FLOOR_FEATURES: tuple[str, ...] = (*FEATURES, "worst_progress_margin")
FLOOR_PROGRESS_BARS: dict[str, float] = {"read_prog": -5.0, "writ_prog": -7.0, "mat_prog": -5.0}
#: Pairs whose second year had a national floor standard and published progress.
FLOOR_PAIRS: tuple[Pair, ...] = ((2016, 2017), (2017, 2018))
#: A calibration decile is judged only when it holds at least this many schools.
MIN_DECILE_SCHOOLS = 50

#: Features explained together: the distance to the threshold in points and in binomial standard errors.
REASON_GROUPS: dict[str, tuple[str, ...]] = {
    "position": ("gap", "gap_in_se"),
    "prev_move": ("prev_move",),
    "progress": ("progress",),
    "pct_fsm": ("pct_fsm",),
    "pct_eal": ("pct_eal",),
}


def national_rwm() -> pd.Series:
    """England's published % meeting the expected standard in RWM by year (LAIT ``KS2RWM_Expected_STD``)."""
    table = tables.load("la_indicators")
    rows = table[(table["la_code"] == ENGLAND) & (table["indicator"] == "KS2RWM_Expected_STD")]
    return rows.set_index("year")["value"].dropna().sort_index()


def national_changes(known_by: int | None = None) -> pd.Series:
    """England's published year-on-year change in RWM (points), indexed by the earlier year of each pair of
    consecutive published years (2018->2019 is one; 2019->2022 is not: no tests in 2020-21). With ``known_by``
    only the changes published by then (pairs ending in or before ``known_by``)."""
    nat = national_rwm()
    years = [int(y) for y in nat.index if (y + 1) in nat.index]
    changes = pd.Series({y: float(nat[y + 1] - nat[y]) for y in years}, name="national_change", dtype="float64")
    changes.index.name = "year"
    if known_by is not None:
        changes = changes[changes.index + 1 <= known_by]
    return changes


def national_trend(year: int) -> float:
    """The national movement a forecast from ``year`` assumes: the median of England's year-on-year changes
    published by ``year``, leaving out 2016->2017 (the first year of the new tests: +8 points, a one-off);
    0 when none is known (a forecast from 2016 or 2017). The median, not the mean, so that one unusual year
    does not set the forecast; since 2017 it is +1 point a year."""
    known = national_changes(known_by=year).drop(FIRST_YEAR_PAIR[0], errors="ignore")
    return float(known.median()) if len(known) else 0.0


def _resolve_change(year: int, national_change: float | None) -> float:
    """``national_change`` as given, or the recent trend for ``year`` when it is ``None``."""
    return national_trend(year) if national_change is None else float(national_change)


def _census_context(census: pd.DataFrame, year: int) -> pd.DataFrame:
    """Per URN the census row nearest ``year`` (ties to the earlier year): pupils, % FSM, % EAL."""
    frame = census.loc[:, ["urn", "year", "pupils", "pct_fsm", "pct_eal"]].copy()
    frame["dist"] = (frame["year"] - year).abs() * 2 + (frame["year"] > year).astype(int)
    frame = frame.sort_values(["urn", "dist"]).drop_duplicates("urn")
    return frame.drop(columns=["dist", "year"]).set_index("urn")


def _latest_progress(results: pd.DataFrame, year: int) -> pd.Series:
    """Mean of reading, writing and maths progress per URN: this year's, else the latest published in the 4
    years before (2023 for 2024 and 2025, the years without progress scores)."""
    cols = ["read_prog", "writ_prog", "mat_prog"]
    frame = results[(results["year"] <= year) & (results["year"] >= year - 4)].dropna(subset=["urn"])
    frame = frame.assign(progress=frame[cols].mean(axis=1, skipna=False)).dropna(subset=["progress"])
    frame = frame.sort_values(["urn", "year"]).drop_duplicates("urn", keep="last")
    return frame.set_index("urn")["progress"]


def add_gap_features(frame: pd.DataFrame, threshold: float, national_change: float = 0.0) -> pd.DataFrame:
    """Add ``gap`` (points above the threshold after the national change), ``binomial_se`` (points: the
    standard error of a cohort's % from pupil-level chance alone) and ``gap_in_se`` (gap in those units)."""
    out = frame.assign(national_change=national_change)
    out["gap"] = out["rwm_exp"] + national_change - threshold
    p = out["rwm_exp"].clip(5, 95) / 100
    out["binomial_se"] = 100 * np.sqrt(p * (1 - p) / out["cohort"])
    out["gap_in_se"] = out["gap"] / out["binomial_se"]
    return out


# ------------------------------------------------------------------------------------------------------------
# Caches. Everything national (features for England, fitted models, backtests) is the same for every LA, and
# the report pack runs every LA's notebooks in one kernel, so it is computed once per process. A cache is used
# only for the shipped tables (``results``/``census`` not given) and is keyed on _data_version(), so a
# rebuilt table is never answered from an old cache; callers always get copies, never the cached objects.
# ------------------------------------------------------------------------------------------------------------

#: The shipped tables the cached results are computed from.
_CACHED_TABLES: tuple[str, ...] = ("school_results", "census", "schools", "la_indicators")


def _data_version() -> tuple[tuple[str, int], ...]:
    return tables.tables_version(*_CACHED_TABLES)


def clear_caches() -> None:
    """Forget every cached national computation (they are also keyed on the tables' version)."""
    cached = (_features_cached, _training_pair_cached, _fit_on_cached, _backtest_cached, _summary_cached)
    for fn in (*cached, _calibration_scan_cached, _floor_backtest_cached, _floor_model_cached):
        fn.cache_clear()


def features(
    year: int,
    threshold: float = DEFAULT_THRESHOLD,
    national_change: float | None = None,
    results: pd.DataFrame | None = None,
    census: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One row per school (with a URN) with an RWM result in ``year``: the model's features and their inputs.

    ``national_change`` is the national movement in points to the next year; ``None`` takes the published one
    when it exists (fitting) and 0 otherwise (forecast). With the shipped tables (``results`` and ``census``
    not given) the national frame is computed once per process and a copy returned.
    """
    if results is None and census is None:
        change = None if national_change is None else float(national_change)
        return _features_cached(_data_version(), int(year), float(threshold), change).copy()
    return _features(year, threshold, national_change, results, census)


@lru_cache(maxsize=32)
def _features_cached(version: tuple, year: int, threshold: float, national_change: float | None) -> pd.DataFrame:
    return _features(year, threshold, national_change, None, None)


def _features(
    year: int,
    threshold: float,
    national_change: float | None,
    results: pd.DataFrame | None,
    census: pd.DataFrame | None,
) -> pd.DataFrame:
    results = tables.load("school_results") if results is None else results
    census = tables.load("census") if census is None else census
    nat = national_rwm()
    if year not in ATTAINMENT_YEARS:
        raise NoDataError(
            f"no school-level RWM attainment for {year}: risk can be computed for "
            f"{', '.join(map(str, ATTAINMENT_YEARS))}"
        )
    if national_change is None:
        national_change = float(nat[year + 1] - nat[year]) if (year + 1) in nat.index else 0.0
    now = results[(results["year"] == year)].dropna(subset=["urn", "rwm_exp"])
    now = now[~now["urn"].astype("int64").isin(tables.not_mainstream_urns())]
    now = now.drop_duplicates("urn").set_index("urn")
    out = pd.DataFrame(index=now.index)
    out["la_code"] = now["la_code"]
    out["school_name"] = now["school_name"]
    out["rwm_exp"] = now["rwm_exp"]
    context = _census_context(census, year).reindex(out.index)
    cohort = now["cohort"]
    proxy = context["pupils"] / YEAR_GROUPS
    out["cohort"] = cohort.fillna(proxy).round(0)
    out["cohort_is_proxy"] = cohort.isna() & proxy.notna()
    out["cohort"] = out["cohort"].fillna(out["cohort"].median()).clip(lower=5)
    out = add_gap_features(out, threshold, national_change)
    prev_year = PREVIOUS_YEAR.get(year)
    out["rwm_prev"] = np.nan
    if prev_year is not None:
        prev = results[results["year"] == prev_year].dropna(subset=["urn", "rwm_exp"]).drop_duplicates("urn")
        out["rwm_prev"] = prev.set_index("urn")["rwm_exp"].reindex(out.index)
        shift = float(nat[year] - nat[prev_year])
        out["prev_move"] = (out["rwm_exp"] - (out["rwm_prev"] + shift)).fillna(0.0)
    else:
        out["prev_move"] = 0.0
    out["progress"] = _latest_progress(results, year).reindex(out.index)
    out["pct_fsm"] = context["pct_fsm"]
    out["pct_eal"] = context["pct_eal"]
    margins = [now[col] - bar for col, bar in FLOOR_PROGRESS_BARS.items()]
    out["worst_progress_margin"] = pd.concat(margins, axis=1).min(axis=1, skipna=False)
    out["below_now"] = out["rwm_exp"] < threshold
    out.index = out.index.astype("int64")
    return out


def _fill(frame: pd.DataFrame, cols: tuple[str, ...] | list[str] = FEATURES) -> pd.DataFrame:
    """Missing progress means 'national average' (0); missing census context the national median; a missing
    worst progress margin the margin of an average school (5)."""
    filled = frame.loc[:, list(cols)].astype("float64")
    defaults = {"progress": 0.0, "worst_progress_margin": 5.0, "prev_move": 0.0}
    for col in filled.columns:
        fill = defaults.get(col, filled[col].median())
        filled[col] = filled[col].fillna(fill)
    return filled


def training_pair(
    start: int,
    threshold: float = DEFAULT_THRESHOLD,
    results: pd.DataFrame | None = None,
    census: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Features in ``start`` (with the published national change) and the outcome ``below_next`` in start+1,
    for schools linked by URN in both years (cached, as a copy, for the shipped tables)."""
    if results is None and census is None:
        return _training_pair_cached(_data_version(), int(start), float(threshold)).copy()
    return _training_pair(start, threshold, results, census)


@lru_cache(maxsize=32)
def _training_pair_cached(version: tuple, start: int, threshold: float) -> pd.DataFrame:
    return _training_pair(start, threshold, None, None)


def _training_pair(
    start: int, threshold: float, results: pd.DataFrame | None, census: pd.DataFrame | None
) -> pd.DataFrame:
    frame = features(start, threshold, None, results, census)
    results = tables.load("school_results") if results is None else results
    nxt = results[results["year"] == start + 1].dropna(subset=["urn", "rwm_exp"]).drop_duplicates("urn")
    nxt = nxt.set_index("urn")["rwm_exp"]
    nxt.index = nxt.index.astype("int64")
    frame["rwm_next"] = nxt.reindex(frame.index)
    frame = frame.dropna(subset=["rwm_next"])
    frame["below_next"] = frame["rwm_next"] < threshold
    return frame


@dataclass
class RiskModel:
    """A fitted logistic model on standardised features; ``used`` are the features that varied in fitting."""

    threshold: float
    fit_pairs: tuple[Pair, ...]
    used: list[str]
    mean: pd.Series
    scale: pd.Series
    coef: pd.Series
    intercept: float
    n_fit: int
    notes: list[str] = field(default_factory=list)

    def _z(self, frame: pd.DataFrame) -> pd.DataFrame:
        return (_fill(frame, self.used) - self.mean) / self.scale

    def contributions(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Per school and feature, coefficient x standardised value (log-odds; positive raises the risk)."""
        return self._z(frame) * self.coef

    def predict(self, frame: pd.DataFrame) -> pd.Series:
        logit = self.contributions(frame).sum(axis=1) + self.intercept
        return pd.Series(1 / (1 + np.exp(-logit)), index=frame.index, name="p_below")

    def coefficients(self) -> pd.DataFrame:
        """The fitted coefficients per standard deviation of each feature (for the notebook and README)."""
        return pd.DataFrame(
            {
                "feature": self.used,
                "coef_per_sd": self.coef.values,
                "sd": self.scale.values,
                "mean": self.mean.values,
            }
        )


def fit(
    train: pd.DataFrame,
    threshold: float = DEFAULT_THRESHOLD,
    fit_pairs: tuple[Pair, ...] = (),
    feature_names: tuple[str, ...] = FEATURES,
) -> RiskModel:
    """Fit the logistic model on a frame with ``feature_names`` and ``below_next`` (True/False)."""
    if train["below_next"].nunique() < 2:
        raise WorkbookError("cannot fit the risk model: every school in the fitting years has the same outcome")
    x = _fill(train, feature_names)
    scale = x.std()
    used = [c for c in feature_names if scale[c] > 1e-9]
    mean, scale = x[used].mean(), x[used].std()
    z = (x[used] - mean) / scale
    model = LogisticRegression(C=1.0, max_iter=2000).fit(z.to_numpy(), train["below_next"].to_numpy())
    notes = [f"{c} is constant in the fitting years and is left out" for c in feature_names if c not in used]
    return RiskModel(
        threshold,
        fit_pairs,
        used,
        mean,
        scale,
        pd.Series(model.coef_[0], index=used),
        float(model.intercept_[0]),
        len(train),
        notes,
    )


def baselines(frame: pd.DataFrame, threshold: float = DEFAULT_THRESHOLD, margin: float = 5.0) -> pd.DataFrame:
    """The two judgement rules as 0/1 probabilities: below now; below or less than ``margin`` points above."""
    return pd.DataFrame(
        {
            "same_as_this_year": (frame["rwm_exp"] < threshold).astype(float),
            "within_5_points": (frame["rwm_exp"] < threshold + margin).astype(float),
        },
        index=frame.index,
    )


def calibration_table(p: pd.Series, outcome: pd.Series, bins: int = 10) -> pd.DataFrame:
    """Schools in deciles of predicted probability: mean predicted vs observed share (both in %)."""
    frame = pd.DataFrame({"p": p.to_numpy(), "y": outcome.astype(float).to_numpy()})
    frame["decile"] = pd.qcut(frame["p"].rank(method="first"), bins, labels=range(1, bins + 1))
    table = frame.groupby("decile", observed=True).agg(
        schools=("y", "size"), predicted=("p", "mean"), observed=("y", "mean")
    )
    table[["predicted", "observed"]] *= 100
    table["difference"] = table["observed"] - table["predicted"]
    table["judged"] = table["schools"] >= MIN_DECILE_SCHOOLS
    return table.reset_index()


def worst_decile_gap(calibration: pd.DataFrame) -> float:
    """The largest gap, in points, between predicted and observed among the judged deciles of a
    :func:`calibration_table`: the figure the calibration bar is set on."""
    return float(calibration.loc[calibration["judged"], "difference"].abs().max())


def _scores(p: pd.Series, y: pd.Series) -> dict[str, float]:
    return {"brier": float(brier_score_loss(y, p)), "auc": float(roc_auc_score(y, p))}


def pairs_label(pairs: tuple[Pair, ...]) -> str:
    return " + ".join(f"{a}->{b}" for a, b in pairs)


def _pairs_key(pairs) -> tuple[Pair, ...]:
    return tuple((int(a), int(b)) for a, b in pairs)


def fit_on(pairs: tuple[Pair, ...], threshold: float = DEFAULT_THRESHOLD) -> RiskModel:
    """Fit on the pooled school rows of ``pairs`` (fitted once per process; a copy is returned)."""
    return copy.deepcopy(_fit_on_cached(_data_version(), _pairs_key(pairs), float(threshold)))


@lru_cache(maxsize=32)
def _fit_on_cached(version: tuple, pairs: tuple[Pair, ...], threshold: float) -> RiskModel:
    train = pd.concat([training_pair(a, threshold) for a, _ in pairs])
    return fit(train, threshold, pairs)


@dataclass
class Backtest:
    fit_pairs: tuple[Pair, ...]
    test_pair: Pair
    n_test: int
    scores: pd.DataFrame  # method, brier, auc
    calibration: pd.DataFrame
    model: RiskModel

    @property
    def max_decile_error(self) -> float:
        return worst_decile_gap(self.calibration)


def backtest(
    fit_pairs: tuple[Pair, ...],
    test_pair: Pair,
    threshold: float = DEFAULT_THRESHOLD,
    national_change: float | None = 0.0,
) -> Backtest:
    """Fit on ``fit_pairs`` only, score on ``test_pair``.

    ``national_change`` is what the forecast assumes about England's movement to the test year: 0 (the
    default, what a council knows at the time) or ``None`` for the published movement (the school-level
    model judged on its own, given the national figure). Computed once per process; a copy is returned."""
    if any(b > test_pair[0] for _, b in fit_pairs):
        raise WorkbookError(f"backtest must fit on earlier years than {pairs_label((test_pair,))}")
    change = None if national_change is None else float(national_change)
    key = (_pairs_key(fit_pairs), _pairs_key((test_pair,))[0])
    return copy.deepcopy(_backtest_cached(_data_version(), *key, float(threshold), change))


@lru_cache(maxsize=64)
def _backtest_cached(
    version: tuple, fit_pairs: tuple[Pair, ...], test_pair: Pair, threshold: float, national_change: float | None
) -> Backtest:
    model = fit_on(fit_pairs, threshold)
    test = features(test_pair[0], threshold, national_change)
    truth = training_pair(test_pair[0], threshold)["below_next"]
    test = test.loc[truth.index]
    p = model.predict(test)
    rows = [{"method": "model", **_scores(p, truth)}]
    for name, col in baselines(test, threshold).items():
        rows.append({"method": name, **_scores(col, truth)})
    return Backtest(tuple(fit_pairs), test_pair, len(test), pd.DataFrame(rows), calibration_table(p, truth), model)


#: The calibration bar of the risk issue: predicted v observed within this many points in every judged decile.
CALIBRATION_BAR = 5.0
#: The national movements (points) the calibration sensitivity scans.
SCANNED_CHANGES: tuple[float, ...] = tuple(float(c) for c in np.arange(-2.0, 8.01, 0.5))


def calibration_by_national_change(
    fit_pairs: tuple[Pair, ...],
    test_pair: Pair,
    threshold: float = DEFAULT_THRESHOLD,
    changes: tuple[float, ...] = SCANNED_CHANGES,
) -> pd.DataFrame:
    """The backtest repeated for each assumed national movement: worst judged decile gap and Brier score.

    Why: the school-level model cannot know how England will move, and each point of movement shifts every
    school's distance to the threshold. This table shows the range of movements for which the forecast would
    have met the calibration bar, so a reader can judge a forecast by how foreseeable the movement was.
    Columns: ``national_change``, ``max_decile_error_pts``, ``brier``, ``calibrated`` (within the bar).
    Computed once per process (the same for every LA); a copy is returned.
    """
    key = (_pairs_key(fit_pairs), _pairs_key((test_pair,))[0], float(threshold), tuple(map(float, changes)))
    return _calibration_scan_cached(_data_version(), *key).copy()


@lru_cache(maxsize=32)
def _calibration_scan_cached(
    version: tuple, fit_pairs: tuple[Pair, ...], test_pair: Pair, threshold: float, changes: tuple[float, ...]
) -> pd.DataFrame:
    model = fit_on(fit_pairs, threshold)
    truth = training_pair(test_pair[0], threshold)["below_next"]
    base = features(test_pair[0], threshold, 0.0).loc[truth.index]
    rows = []
    for change in changes:
        p = model.predict(add_gap_features(base, threshold, float(change)))
        worst = worst_decile_gap(calibration_table(p, truth))
        rows.append({"national_change": float(change), "max_decile_error_pts": worst, **_scores(p, truth)})
    out = pd.DataFrame(rows).drop(columns="auc")
    out["calibrated"] = out["max_decile_error_pts"] <= CALIBRATION_BAR
    return out


def ranges_label(values: pd.Series | list[float], step: float = 0.5) -> str:
    """Runs of evenly spaced values as text: [1.5, 2.0, 2.5, 4.0] -> '+1.5 to +2.5, +4.0'; 'none' if empty."""
    values = sorted(float(v) for v in values)
    if not values:
        return "none"
    runs: list[list[float]] = [[values[0]]]
    for v in values[1:]:
        if v - runs[-1][-1] <= step + 1e-9:
            runs[-1].append(v)
        else:
            runs.append([v])
    return ", ".join(f"{r[0]:+.1f}" if len(r) == 1 else f"{r[0]:+.1f} to {r[-1]:+.1f}" for r in runs)


def backtest_summary(threshold: float = DEFAULT_THRESHOLD) -> pd.DataFrame:
    """Every backtest of :data:`BACKTESTS` in one table: Brier, AUC per method and the worst judged decile,
    the model three ways (national movement assumed 0, the recent trend, the published one) and the national
    movements for which it meets the calibration bar (``calibrated_if_change``, scanned over
    :data:`SCANNED_CHANGES`). Computed once per process (the same for every LA); a copy is returned."""
    return _summary_cached(_data_version(), float(threshold)).copy()


@lru_cache(maxsize=8)
def _summary_cached(version: tuple, threshold: float) -> pd.DataFrame:
    rows = []
    published_changes = national_changes()
    for fit_pairs, test_pair in BACKTESTS:
        published = float(published_changes[test_pair[0]])
        trend = national_trend(test_pair[0])
        scan = calibration_by_national_change(fit_pairs, test_pair, threshold)
        window = ranges_label(scan.loc[scan["calibrated"], "national_change"])
        assumptions = (
            (0.0, "assumed 0"),
            (trend, f"recent trend ({trend:+.0f})"),
            (None, f"published ({published:+.0f})"),
        )
        for assumed, label in assumptions:
            bt = backtest(fit_pairs, test_pair, threshold, assumed)
            for rec in bt.scores.to_dict("records"):
                is_model = rec["method"] == "model"
                if not is_model and assumed is not None:
                    continue  # the baselines do not use the national change: listed once
                rows.append(
                    {
                        "fit": pairs_label(fit_pairs),
                        "test": pairs_label((test_pair,)),
                        "national_change": label if is_model else "n/a",
                        "schools": bt.n_test,
                        **rec,
                        "max_decile_error_pts": bt.max_decile_error if is_model else np.nan,
                        "calibrated_if_change": window if is_model else "",
                    }
                )
    return pd.DataFrame(rows)


def floor_training_pair(start: int) -> pd.DataFrame:
    """Features in ``start`` and ``below_next`` = below the national floor standard in start+1 (floor.py's
    verdict), for schools the floor could judge (above or below) in start+1."""
    from . import floor  # floor imports nothing from here; imported late to keep this module light

    if (start, start + 1) not in FLOOR_PAIRS:
        raise NoDataError(
            f"no floor standard with progress for {start + 1}: the floor risk covers "
            f"{', '.join(pairs_label(((a, b),)) for a, b in FLOOR_PAIRS)}"
        )
    frame = features(start, DEFAULT_THRESHOLD, None)
    verdict = floor.school_floor(start + 1).dropna(subset=["urn"]).drop_duplicates("urn")
    status = verdict.set_index(verdict["urn"].astype("int64"))["status"].reindex(frame.index)
    frame = frame[status.isin(["below floor", "above floor"])]
    return frame.assign(below_next=status.loc[frame.index] == "below floor")


def floor_backtest() -> Backtest:
    """Below the floor next year: fitted on 2016->2017, scored on 2017->2018 (2018's rule added the
    significance test: the model cannot know that). Baselines: below the floor now; "near": attainment below
    70% and a progress score failing its bar now. Computed once per process; a copy is returned."""
    return copy.deepcopy(_floor_backtest_cached(_data_version()))


def _floor_model() -> RiskModel:
    """The floor model, fitted on 2016->2017 (once per process; a copy)."""
    return copy.deepcopy(_floor_model_cached(_data_version()))


@lru_cache(maxsize=4)
def _floor_model_cached(version: tuple) -> RiskModel:
    return fit(floor_training_pair(2016), DEFAULT_THRESHOLD, ((2016, 2017),), FLOOR_FEATURES)


@lru_cache(maxsize=4)
def _floor_backtest_cached(version: tuple) -> Backtest:
    from . import floor

    model = _floor_model()
    test = floor_training_pair(2017)
    truth = test["below_next"]
    p = model.predict(test)
    now = floor.school_floor(2017).dropna(subset=["urn"]).drop_duplicates("urn")
    now_below = now.set_index(now["urn"].astype("int64"))["status"].reindex(test.index) == "below floor"
    near = (test["rwm_exp"] < DEFAULT_THRESHOLD + 5) & (test["worst_progress_margin"] < 0)
    rows = [
        {"method": "model", **_scores(p, truth)},
        {"method": "same_as_this_year", **_scores(now_below.astype(float), truth)},
        {"method": "near_the_floor", **_scores(near.astype(float), truth)},
    ]
    return Backtest(((2016, 2017),), (2017, 2018), len(test), pd.DataFrame(rows), calibration_table(p, truth), model)


def floor_risk(la_code: int | str, year: int) -> pd.Series:
    """Per URN of the LA, the chance of being below the national floor in ``year + 1`` (only 2016 and 2017:
    the last national floor was 2018). Fitted on 2016->2017 (for 2016 that pair includes the year, noted)."""
    area = areas.require_la(la_code)
    if year not in (2016, 2017):
        raise NoDataError(
            f"no chance of being below the floor from {year}: the national floor (with progress) ended in 2018, "
            "so it is computed for 2016 and 2017 only"
        )
    model = _floor_model()
    frame = features(year, DEFAULT_THRESHOLD, 0.0)
    frame = frame[frame["la_code"] == area.code]
    return model.predict(frame).rename("p_below_floor_next")


def model_for(year: int, threshold: float = DEFAULT_THRESHOLD) -> RiskModel:
    """The model used to forecast from ``year``: fitted on every pair ending by ``year`` (only outcomes known
    by then), leaving out :data:`FIRST_YEAR_PAIR` when a later pair exists; for 2016 (no earlier pair) on
    2016->2017, which includes 2016 itself (noted)."""
    earlier = [p for p in PAIRS if p[1] <= year]
    if len(earlier) > 1:
        earlier = [p for p in earlier if p != FIRST_YEAR_PAIR]
    pairs = tuple(earlier) if earlier else (PAIRS[0],)
    model = fit_on(pairs, threshold)
    if not earlier:
        model.notes.append(f"no earlier pair of years: fitted on {pairs_label(pairs)}, which includes {year}")
    return model


def _reason(group: str, row: pd.Series, model: RiskModel) -> str:
    """One driver of a school's risk in words a School Improvement Partner can use."""
    thr = model.threshold
    if group == "position":
        gap = row["rwm_exp"] - thr
        pts = f"{abs(gap):.0f} point{'' if round(abs(gap)) == 1 else 's'}"
        side = f"{pts} below" if gap < 0 else f"{pts} above"
        text = f"{row['rwm_exp']:.0f}% this year, {side} the {thr:.0f}% threshold"
        proxy = ", estimated from pupils on roll" if row["cohort_is_proxy"] else ""
        if row["cohort"] < 30:
            text += (
                f"; a small cohort ({row['cohort']:.0f} pupils{proxy}): each pupil is "
                f"{100 / row['cohort']:.0f} points, so results swing"
            )
        elif gap < 0 and row["gap_in_se"] < -2:
            text += f" with {row['cohort']:.0f} pupils{proxy}: too large a gap to be chance"
        elif gap < 0:
            text += f" with {row['cohort']:.0f} pupils{proxy}: chance alone could lift it over"
        return text
    if group == "prev_move":
        moved = "rose" if row["prev_move"] > 0 else "fell"
        return f"result {moved} from {row['rwm_prev']:.0f}% last year: part of such a change usually reverses"
    if group == "progress":
        if pd.isna(row["progress"]):
            return "no published progress score (counted as average)"
        word = "below" if row["progress"] < 0 else "above"
        return f"progress {word} average ({row['progress']:+.1f}, mean of reading, writing and maths)"
    if group == "pct_fsm":
        avg = model.mean.get("pct_fsm", np.nan)
        return f"{row['pct_fsm']:.0f}% of pupils eligible for free school meals (average school {avg:.0f}%)"
    avg = model.mean.get("pct_eal", np.nan)
    return f"{row['pct_eal']:.0f}% of pupils with English as an additional language (average {avg:.0f}%)"


def explain(model: RiskModel, frame: pd.DataFrame, top: int = 3) -> pd.Series:
    """The ``top`` drivers that raise each school's risk most (largest positive contributions), in words.

    A school whose every driver lowers its risk gets the one that lowers it most ("keeps the risk low").
    """
    contrib = model.contributions(frame)
    grouped = pd.DataFrame(
        {g: contrib[[f for f in feats if f in contrib.columns]].sum(axis=1) for g, feats in REASON_GROUPS.items()}
    )
    reasons = []
    for urn, row in grouped.iterrows():
        ordered = row.sort_values(ascending=False)
        raising = [g for g, v in ordered.items() if v > 0.05][:top]
        if raising:
            text = "; ".join(_reason(g, frame.loc[urn], model) for g in raising)
        else:
            text = _reason(row.idxmin(), frame.loc[urn], model) + " (keeps the risk low)"
        reasons.append(text[0].upper() + text[1:])
    return pd.Series(reasons, index=grouped.index, name="reasons")


def _la_features(la_code: int | str, year: int, threshold: float, national_change: float) -> pd.DataFrame:
    """The model's features for the LA's schools with a result in ``year`` (a clear error if there are none)."""
    area = areas.require_la(la_code)
    frame = features(year, threshold, national_change)
    frame = frame[frame["la_code"] == area.code]
    if frame.empty:
        years = sorted(tables.load("school_results").query("la_code == @area.code")["year"].unique())
        raise NoDataError(f"no school RWM results for {area.label} in {year}; years with results: {years}")
    return frame


def school_risk(
    la_code: int | str, year: int, threshold: float = DEFAULT_THRESHOLD, national_change: float | None = None
) -> pd.DataFrame:
    """For every school in the LA with an RWM result in ``year``: probability of being below ``threshold`` in
    ``year + 1``, with its reasons, ordered by probability (highest first). ``national_change`` is England's
    assumed movement to next year in points; ``None`` (the default) takes the recent trend."""
    model = model_for(year, threshold)
    frame = _la_features(la_code, year, threshold, _resolve_change(year, national_change))
    out = frame.assign(p_below_next=model.predict(frame), reasons=explain(model, frame))
    out = out.reset_index(names="urn").sort_values(["p_below_next", "urn"], ascending=[False, True])
    cols = [
        "urn",
        "school_name",
        "rwm_exp",
        "rwm_prev",
        "cohort",
        "cohort_is_proxy",
        "progress",
        "pct_fsm",
        "pct_eal",
        "below_now",
        "p_below_next",
        "reasons",
    ]
    return out.loc[:, cols].reset_index(drop=True)


def unlinked(la_code: int | str, year: int) -> pd.DataFrame:
    """The LA's schools with a result in ``year`` but no URN (2024-25 names not matched): not scored, listed."""
    area = areas.require_la(la_code)
    results = tables.load("school_results")
    rows = results[(results["year"] == year) & (results["la_code"] == area.code) & results["urn"].isna()]
    rows = rows.dropna(subset=["rwm_exp"])
    return rows.loc[:, ["school_name", "rwm_exp"]].sort_values("school_name").reset_index(drop=True)


def export_frame(
    la_code: int | str, year: int, threshold: float = DEFAULT_THRESHOLD, national_change: float | None = None
) -> pd.DataFrame:
    """The table behind ``ks2workbook export risk``: the at-risk list with probabilities in % and reasons."""
    frame = school_risk(la_code, year, threshold, national_change)
    frame = frame.assign(p_below_next=(frame["p_below_next"] * 100).round(1)).round(
        {"progress": 1, "pct_fsm": 1, "pct_eal": 1}
    )
    return frame.rename(columns={"p_below_next": f"pct_chance_below_{threshold:g}_in_{year + 1}"})


def headline(
    la_code: int | str, year: int, threshold: float = DEFAULT_THRESHOLD, national_change: float | None = None
) -> dict[str, float]:
    """Headline figures for a cabinet summary: schools, below now, expected below next year, at risk, and the
    national movement assumed (``national_change``, points; the recent trend unless given)."""
    change = _resolve_change(year, national_change)
    frame = school_risk(la_code, year, threshold, change)
    return {
        "schools": int(len(frame)),
        "below_threshold_now": int(frame["below_now"].sum()),
        "expected_below_next_year": float(frame["p_below_next"].sum()),
        "at_risk_50pct": int((frame["p_below_next"] >= 0.5).sum()),
        "above_now_at_risk_30pct": int(((~frame["below_now"]) & (frame["p_below_next"] >= 0.3)).sum()),
        "national_change": change,
    }


def national_scenarios(
    la_code: int | str,
    year: int,
    threshold: float = DEFAULT_THRESHOLD,
    changes: tuple[float, ...] | None = None,
) -> pd.DataFrame:
    """What the forecast says if England moves by each of ``changes`` points (default: -1, 0, the recent
    trend, +1, +2, +3): the LA's expected number of schools below ``threshold`` next year, schools with a 50%
    or greater chance, and England's expected share of schools below.

    Why: the national movement is the one input nobody knows in advance and the forecast is sensitive to it
    (see :func:`calibration_by_national_change`), so a cabinet paper should show the range, not one number.
    """
    model = model_for(year, threshold)
    trend = national_trend(year)
    changes = tuple(sorted({-1.0, 0.0, trend, 1.0, 2.0, 3.0})) if changes is None else tuple(map(float, changes))
    local = _la_features(la_code, year, threshold, 0.0)
    england = features(year, threshold, 0.0)
    rows = []
    for change in changes:
        p = model.predict(add_gap_features(local, threshold, change))
        p_england = model.predict(add_gap_features(england, threshold, change))
        rows.append(
            {
                "national_change": change,
                "is_trend": change == trend,
                "expected_below_next_year": float(p.sum()),
                "at_risk_50pct": int((p >= 0.5).sum()),
                "england_expected_share": float(p_england.mean() * 100),
            }
        )
    return pd.DataFrame(rows)
