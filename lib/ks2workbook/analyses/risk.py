"""Risk of being below the attainment bar next year: a logistic model, backtested, forecasting with England's
movement unknown.

The method, in a paragraph an analyst can check
------------------------------------------------
For every mainstream school with a KS2 result this year we estimate the probability that **next year** its % of
pupils meeting the expected standard in reading, writing and maths (RWM) is below the bar (the pack's threshold;
by default the attainment test of the last national floor, 65%). The model is an ordinary **logistic
regression** on six features: (1) how far this year's result is above the bar after the national movement
between the two years (``gap``); (2) the same distance in **binomial standard errors for the school's cohort**
(``gap_in_se``): 10 points above the line is safe for 90 pupils and not for 12; (3) this year's result against
last year's (``prev_move``: part of a big move usually reverses); (4) the average KS2 progress score where
published (the latest within four years: the years without progress scores take 2023's); (5, 6) the school's
% FSM and % EAL from the census. Features are standardised on the fitting years, so coefficient times the
school's standardised value is that feature's **contribution** to the log-odds (:func:`drivers`).

The cohort is the school's own published number of eligible pupils; where a year's file does not publish it
(2023-2025), the school's last published cohort; where it has none, pupils on roll divided by the year groups
its age range holds (a junior school has four, an all-through school 4-16 twelve): only that last one is
"estimated" (:func:`cohort_estimate`).

England's movement. In fitting, next year's national figure is the published one. A forecast cannot know it,
so it **averages over England's movements known at the time** (:func:`known_changes`: the published
year-on-year changes up to the forecast year, leaving out the first year of the new tests, a one-off): each
school's chance is the mean of its chances under each of those movements, and the LA's count below the bar is
given with a range (:func:`expected_below`). A single assumed movement can still be given (``national_change``),
and the report shows what each movement from -1 to +3 points would give.

Backtests are fitted on earlier pairs of years only and scored on a later pair never seen
(:func:`backtests`): each pair after the first, fitted on the pair before it, and on every earlier pair after
the first year when there are several. Forecasts are fitted on every pair ending by the forecast year, leaving
out the first-year pair once a later one exists. Every year and pair comes from the data
(:mod:`ks2workbook.data.coverage`): a new year of results adds its pair with no code change.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..core.errors import NoDataError, WorkbookError
from ..core.formats import fmt_signed
from ..core.world import ENGLAND, FIRST_EXPECTED_STANDARD_YEAR
from ..data import areas, coverage, tables
from ..data.cache import cached_on
from ..rules import floor as floor_rules
from ..rules.indicators import headline as headline_indicator
from . import progress

Pair = tuple[int, int]
FEATURES: tuple[str, ...] = ("gap", "gap_in_se", "prev_move", "progress", "pct_fsm", "pct_eal")
#: The floor model adds the worst margin on the floor's progress tests.
FLOOR_FEATURES: tuple[str, ...] = (*FEATURES, "worst_progress_margin")
#: The latest progress score a school's risk may use: within this many years (2024 and 2025 take 2023's).
PROGRESS_MAX_AGE = 4
#: A calibration decile is judged only when it holds at least this many schools.
MIN_DECILE_SCHOOLS = 100
#: The calibration bar: predicted v observed within this many points in every judged decile.
CALIBRATION_BAR = 5.0
#: The national movements (points) the calibration sensitivity scans.
SCANNED_CHANGES: tuple[float, ...] = tuple(float(c) for c in np.arange(-2.0, 8.01, 0.5))
#: England's movements the scenario table shows (points), beside the recent trend.
SCENARIO_CHANGES: tuple[float, ...] = (-1.0, 0.0, 1.0, 2.0, 3.0)
#: Reception to Year 6: the youngest pupils on roll a primary counts are 4 (nursery pupils are left out).
RECEPTION_AGE = 4
#: The range given with an expected count: this central share of outcomes (an 80% range).
RANGE_SHARE = 0.8
#: Draws of next year behind the range (fixed seed: the same report every run).
RANGE_DRAWS = 4000
RANGE_SEED = 12_345

#: Features explained together: the distance to the bar in points and in binomial standard errors.
REASON_GROUPS: dict[str, tuple[str, ...]] = {
    "position": ("gap", "gap_in_se"),
    "prev_move": ("prev_move",),
    "progress": ("progress",),
    "pct_fsm": ("pct_fsm",),
    "pct_eal": ("pct_eal",),
}
_TABLES: tuple[str, ...] = ("school_results", "census", "schools", "la_indicators")


def default_threshold() -> float:
    """The bar where a pack sets none: the attainment test of the last national floor (65% RWM)."""
    return floor_rules.default_threshold()


def first_pair() -> Pair:
    """The first pair of the expected-standard tests (2016->2017): England rose 8 points, a one-off."""
    return (FIRST_EXPECTED_STANDARD_YEAR, FIRST_EXPECTED_STANDARD_YEAR + 1)


def pairs() -> list[Pair]:
    """Pairs of consecutive years with national school attainment (from the data)."""
    return coverage.consecutive_pairs("rwm_exp")


def pairs_label(fit_pairs) -> str:
    return " + ".join(f"{a}->{b}" for a, b in fit_pairs)


def backtests() -> list[tuple[tuple[Pair, ...], Pair]]:
    """(pairs fitted on, held-out pair): each pair after the first, fitted on the pair before it; and, where
    several earlier pairs after the first year exist, on all of them pooled."""
    held = pairs()
    out = []
    for i, test in enumerate(held[1:], start=1):
        earlier = held[:i]
        out.append(((earlier[-1],), test))
        later = tuple(p for p in earlier if p != first_pair())
        if len(later) > 1:
            out.append((later, test))
    return out


# ------------------------------------------------------------------------------------------------------------
# England's movement
# ------------------------------------------------------------------------------------------------------------


@cached_on("la_indicators")
def national_rwm() -> pd.Series:
    """England's published % meeting the expected standard in RWM by year (LAIT)."""
    table = tables.load("la_indicators")
    rows = table[(table["la_code"] == ENGLAND) & (table["indicator"] == headline_indicator())]
    return rows.set_index("year")["value"].dropna().sort_index()


def national_changes(known_by: int | None = None) -> pd.Series:
    """England's published year-on-year change in RWM (points), indexed by the earlier year of each pair of
    consecutive published years (2019->2022 is not one: no tests in 2020-21). With ``known_by`` only the changes
    published by then (pairs ending in or before ``known_by``)."""
    nat = national_rwm()
    years = [int(y) for y in nat.index if (y + 1) in nat.index]
    changes = pd.Series({y: float(nat[y + 1] - nat[y]) for y in years}, name="national_change", dtype="float64")
    changes.index.name = "year"
    if known_by is not None:
        changes = changes[changes.index + 1 <= known_by]
    return changes


def known_changes(year: int) -> pd.Series:
    """The movements a forecast from ``year`` averages over: England's changes published by ``year``, leaving
    out the first year of the new tests (a one-off); none known yet gives "no change" (0)."""
    known = national_changes(known_by=year).drop(first_pair()[0], errors="ignore")
    return known if len(known) else pd.Series([0.0], index=pd.Index([year], name="year"), name="national_change")


def national_trend(year: int) -> float:
    """The middle of :func:`known_changes`: their median, so that one unusual year does not set it."""
    return float(known_changes(year).median())


# ------------------------------------------------------------------------------------------------------------
# Features
# ------------------------------------------------------------------------------------------------------------


def add_gap_features(frame: pd.DataFrame, threshold: float, national_change: float = 0.0) -> pd.DataFrame:
    """Add ``gap`` (points above the bar after the national change), ``binomial_se`` (points: the standard
    error of a cohort's % from pupil-level chance alone) and ``gap_in_se`` (gap in those units)."""
    out = frame.assign(national_change=national_change)
    out["gap"] = out["rwm_exp"] + national_change - threshold
    p = out["rwm_exp"].clip(5, 95) / 100
    out["binomial_se"] = 100 * np.sqrt(p * (1 - p) / out["cohort"])
    out["gap_in_se"] = out["gap"] / out["binomial_se"]
    return out


def _census_context(census: pd.DataFrame, year: int) -> pd.DataFrame:
    """Per URN the census row nearest ``year`` (ties to the earlier year): pupils, % FSM, % EAL."""
    frame = census.loc[:, ["urn", "year", "pupils", "pct_fsm", "pct_eal"]].copy()
    frame["dist"] = (frame["year"] - year).abs() * 2 + (frame["year"] > year).astype(int)
    frame = frame.sort_values(["urn", "dist"]).drop_duplicates("urn")
    return frame.drop(columns=["dist", "year"]).set_index("urn")


def year_groups(age_low: pd.Series, age_high: pd.Series) -> pd.Series:
    """Year groups from Reception up that an age range holds: 4-11 -> 7, junior 7-11 -> 4, all-through 4-16 ->
    12, middle 9-13 -> 4; NaN where the school has no Year 6 (an infant school, 4-7) or no age range."""
    low = age_low.clip(lower=RECEPTION_AGE)
    groups = age_high - low
    has_year6 = (age_low <= 10) & (age_high >= 11)
    return groups.where(has_year6 & groups.gt(0))


def cohort_estimate(urns: pd.Index, year: int, results: pd.DataFrame, census: pd.DataFrame,
                    schools: pd.DataFrame) -> pd.DataFrame:  # fmt: skip
    """Each school's KS2 cohort in ``year`` and where it comes from: ``published`` (that year's file), ``last
    published`` (the school's latest earlier published cohort: 2023-2025 files publish none), or ``estimated``
    (pupils on roll / the year groups of its age range); NaN for a school with no Year 6 or no census."""
    now = results[results["year"] == year].dropna(subset=["urn"]).drop_duplicates("urn")
    published = now.set_index(now["urn"].astype("int64"))["cohort"].reindex(urns)
    earlier = results[(results["year"] < year) & results["cohort"].notna()].dropna(subset=["urn"])
    earlier = earlier.sort_values("year").drop_duplicates("urn", keep="last")
    last = earlier.set_index(earlier["urn"].astype("int64"))[["cohort", "year"]].reindex(urns)
    info = schools.drop_duplicates("urn").set_index("urn").reindex(urns)
    groups = year_groups(info["age_low"].astype("float64"), info["age_high"].astype("float64"))
    # A school no list gives an age range for (opened after the list) but typed as a primary: Reception to Y6.
    plain = info["age_low"].isna() & info["is_primary"].fillna(False).astype(bool)
    groups = groups.where(~plain, float(11 - RECEPTION_AGE))
    pupils = _census_context(census, year)["pupils"].reindex(urns)
    estimated = (pupils / groups).round(0)
    cohort = published.fillna(last["cohort"]).fillna(estimated)
    how = np.select(
        [published.notna(), last["cohort"].notna(), estimated.notna()],
        ["published", "last published", "estimated"],
        default="unknown",
    )
    return pd.DataFrame(
        {"cohort": cohort, "cohort_basis": how, "cohort_year": last["year"].where(published.isna())}, index=urns
    )


def features(
    year: int,
    threshold: float | None = None,
    national_change: float | None = None,
    results: pd.DataFrame | None = None,
    census: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One row per mainstream school (with a URN) with an RWM result in ``year``: the model's features and inputs.

    ``national_change`` is England's movement in points to the next year; ``None`` takes the published one
    where it exists (fitting) and 0 otherwise. With the shipped tables (``results`` and ``census`` not given)
    the national frame is computed once per data version."""
    threshold = default_threshold() if threshold is None else float(threshold)
    if results is None and census is None:
        change = None if national_change is None else float(national_change)
        return _features_shipped(int(year), threshold, change)
    return _features(year, threshold, national_change, results, census, tables.load("schools"))


@cached_on(*_TABLES, maxsize=64, persist=True)
def _features_shipped(year: int, threshold: float, national_change: float | None) -> pd.DataFrame:
    return _features(
        year, threshold, national_change, tables.load("school_results"), tables.load("census"), tables.load("schools")
    )


def _features(
    year: int,
    threshold: float,
    national_change: float | None,
    results: pd.DataFrame,
    census: pd.DataFrame,
    schools: pd.DataFrame,
) -> pd.DataFrame:
    nat = national_rwm()
    years = coverage.attainment_years()
    if year not in years:
        raise NoDataError(
            f"no national school-level RWM attainment for {year}: the risk of falling below the bar can be "
            f"estimated from {coverage.describe(years)}"
        )
    if national_change is None:
        national_change = float(nat[year + 1] - nat[year]) if (year + 1) in nat.index and year in nat.index else 0.0
    now = results[(results["year"] == year)].dropna(subset=["urn", "rwm_exp"])
    now = now[~now["urn"].astype("int64").isin(tables.not_mainstream_urns())]
    now = now.drop_duplicates("urn").set_index(now["urn"].astype("int64").rename("urn"))
    out = pd.DataFrame(index=now.index)
    out["la_code"] = now["la_code_now"]
    out["school_name"] = now["school_name"]
    out["rwm_exp"] = now["rwm_exp"]
    context = _census_context(census, year).reindex(out.index)
    cohort = cohort_estimate(out.index, year, results, census, schools)
    out = out.join(cohort)
    out["cohort"] = out["cohort"].fillna(out["cohort"].median()).clip(lower=5)
    out = add_gap_features(out, threshold, national_change)
    prev_year = coverage.previous_year(year)
    out["rwm_prev"] = np.nan
    if prev_year is not None and prev_year == year - 1:
        prev = results[results["year"] == prev_year].dropna(subset=["urn", "rwm_exp"]).drop_duplicates("urn")
        out["rwm_prev"] = prev.set_index(prev["urn"].astype("int64"))["rwm_exp"].reindex(out.index)
        shift = float(nat.get(year, np.nan) - nat.get(prev_year, np.nan))
        out["prev_move"] = (out["rwm_exp"] - (out["rwm_prev"] + (0.0 if np.isnan(shift) else shift))).fillna(0.0)
    else:
        out["prev_move"] = 0.0
    latest = progress.latest_scores(results, year, PROGRESS_MAX_AGE, require_all=True)
    out["progress"] = latest["mean"].reindex(out.index)
    out["pct_fsm"] = context["pct_fsm"]
    out["pct_eal"] = context["pct_eal"]
    margins = [now[col] - bar for col, bar in floor_rules.progress_bars().items() if col in now]
    out["worst_progress_margin"] = pd.concat(margins, axis=1).min(axis=1, skipna=False)
    out["below_now"] = out["rwm_exp"] < threshold
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
    start: int, threshold: float | None = None, results: pd.DataFrame | None = None, census: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Features in ``start`` (with the published national change) and the outcome ``below_next`` in start+1,
    for schools linked by URN in both years."""
    threshold = default_threshold() if threshold is None else float(threshold)
    if results is None and census is None:
        return _training_pair_shipped(int(start), threshold)
    return _training_pair(start, threshold, results, census)


@cached_on(*_TABLES, maxsize=64, persist=True)
def _training_pair_shipped(start: int, threshold: float) -> pd.DataFrame:
    return _training_pair(start, threshold, None, None)


def _training_pair(
    start: int, threshold: float, results: pd.DataFrame | None, census: pd.DataFrame | None
) -> pd.DataFrame:
    frame = features(start, threshold, None, results, census)
    results = tables.load("school_results") if results is None else results
    nxt = results[results["year"] == start + 1].dropna(subset=["urn", "rwm_exp"]).drop_duplicates("urn")
    nxt = nxt.set_index(nxt["urn"].astype("int64"))["rwm_exp"]
    frame["rwm_next"] = nxt.reindex(frame.index)
    frame = frame.dropna(subset=["rwm_next"])
    frame["below_next"] = frame["rwm_next"] < threshold
    return frame


# ------------------------------------------------------------------------------------------------------------
# The model
# ------------------------------------------------------------------------------------------------------------


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
        """The fitted coefficients per standard deviation of each feature."""
        return pd.DataFrame(
            {"feature": self.used, "coef_per_sd": self.coef.values, "sd": self.scale.values, "mean": self.mean.values}
        )


def fit(
    train: pd.DataFrame,
    threshold: float | None = None,
    fit_pairs: tuple[Pair, ...] = (),
    feature_names: tuple[str, ...] = FEATURES,
) -> RiskModel:
    """Fit the logistic model on a frame with ``feature_names`` and ``below_next`` (True/False)."""
    threshold = default_threshold() if threshold is None else float(threshold)
    if train["below_next"].nunique() < 2:
        raise WorkbookError(
            f"the risk model cannot be fitted for a bar of {threshold:g}%: every school in the fitting years is on "
            "the same side of it; choose a bar between the lowest and highest school results"
        )
    x = _fill(train, feature_names)
    scale = x.std()
    used = [c for c in feature_names if scale[c] > 1e-9]
    mean, scale = x[used].mean(), x[used].std()
    z = (x[used] - mean) / scale
    from sklearn.linear_model import LogisticRegression  # imported when a model is fitted, not on every import

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


@cached_on(*_TABLES, maxsize=32, persist=True)
def fit_on(fit_pairs: tuple[Pair, ...], threshold: float | None = None) -> RiskModel:
    """Fit on the pooled school rows of ``fit_pairs`` (fitted once per data version)."""
    threshold = default_threshold() if threshold is None else float(threshold)
    train = pd.concat([training_pair(a, threshold) for a, _ in fit_pairs])
    return fit(train, threshold, tuple(fit_pairs))


def model_for(year: int, threshold: float | None = None) -> RiskModel:
    """The model a forecast from ``year`` uses: fitted on every pair ending by ``year`` (outcomes known by
    then), leaving out the first-year pair when a later pair exists; from the first year itself (no earlier
    pair) on that pair, which includes the year (noted)."""
    held = pairs()
    earlier = [p for p in held if p[1] <= year]
    if len(earlier) > 1:
        earlier = [p for p in earlier if p != first_pair()]
    fit_pairs = tuple(earlier) if earlier else tuple(held[:1])
    if not fit_pairs:
        raise NoDataError("no pair of consecutive years with school results to fit the risk model on")
    model = fit_on(fit_pairs, threshold)
    if not earlier:
        model.notes.append(f"no earlier pair of years: fitted on {pairs_label(fit_pairs)}, which includes {year}")
    return model


def baselines(frame: pd.DataFrame, threshold: float | None = None, margin: float = 5.0) -> pd.DataFrame:
    """The two judgement rules as 0/1 probabilities: below now; below or less than ``margin`` points above."""
    threshold = default_threshold() if threshold is None else float(threshold)
    return pd.DataFrame(
        {
            "same_as_this_year": (frame["rwm_exp"] < threshold).astype(float),
            "within_5_points": (frame["rwm_exp"] < threshold + margin).astype(float),
        },
        index=frame.index,
    )


def calibration_table(p: pd.Series, outcome: pd.Series, bins: int = 10) -> pd.DataFrame:
    """Schools in deciles of predicted probability: mean predicted vs observed share (both in %)."""
    chance = np.asarray(p, dtype=float)
    fell = np.asarray(outcome, dtype=float)
    # Equal-count bins of the ranks (ties broken by order), as pd.qcut cuts them: right-closed, lowest included.
    ranks = pd.Series(chance).rank(method="first").to_numpy()
    edges = np.quantile(ranks, np.linspace(0, 1, bins + 1))
    decile = np.searchsorted(edges[1:], ranks, side="left") + 1
    counts = np.bincount(decile, minlength=bins + 1)[1:]
    held = counts > 0
    schools = counts[held]
    predicted = np.bincount(decile, weights=chance, minlength=bins + 1)[1:][held] / schools * 100
    observed = np.bincount(decile, weights=fell, minlength=bins + 1)[1:][held] / schools * 100
    table = pd.DataFrame(
        {
            "decile": pd.Categorical(np.arange(1, bins + 1)[held], categories=range(1, bins + 1), ordered=True),
            "schools": schools.astype("int64"),
            "predicted": predicted,
            "observed": observed,
        }
    )
    table["difference"] = table["observed"] - table["predicted"]
    table["judged"] = table["schools"] >= MIN_DECILE_SCHOOLS
    return table


def worst_decile_gap(calibration: pd.DataFrame) -> float:
    """The largest gap, in points, between predicted and observed among the judged deciles."""
    judged = calibration.loc[calibration["judged"], "difference"]
    return float(judged.abs().max()) if len(judged) else np.nan


def _scores(p: pd.Series, y: pd.Series) -> dict[str, float]:
    """Brier score and AUC (the chance that a school that fell below was given a higher chance than one that did
    not, ties counting half: the rank form of scikit-learn's ``roc_auc_score``, equal to it and without its
    input checks, which made most of the calibration scan's time)."""
    chance = np.asarray(p, dtype=float)
    below = np.asarray(y, dtype=float) == 1
    fell, stayed = int(below.sum()), int((~below).sum())
    brier = float(np.mean((chance - below) ** 2))
    if not fell or not stayed:
        return {"brier": brier, "auc": np.nan}
    ranks = pd.Series(chance).rank(method="average").to_numpy()
    auc = (ranks[below].sum() - fell * (fell + 1) / 2) / (fell * stayed)
    return {"brier": brier, "auc": float(auc)}


# ------------------------------------------------------------------------------------------------------------
# Forecasts that carry England's unknown movement
# ------------------------------------------------------------------------------------------------------------


def chance_below(model: RiskModel, base: pd.DataFrame, changes: pd.Series | list[float]) -> pd.Series:
    """Each school's chance of being below the bar next year, averaged over the national movements
    ``changes`` (equal weight each): the forecast when England's movement is unknown. ``base`` are features
    computed with no national change."""
    return _mean_chance(_by_change(model, base, changes))


def _by_change(model: RiskModel, base: pd.DataFrame, changes) -> list[pd.Series]:
    """Each school's chance under each of England's movements ``changes``, one series per movement (what the
    average and the range are both drawn from, so a caller that needs both predicts once)."""
    return [model.predict(add_gap_features(base, model.threshold, float(c))) for c in changes]


def _mean_chance(by_change: list[pd.Series]) -> pd.Series:
    return pd.concat(by_change, axis=1).mean(axis=1).rename("p_below")


def count_range(model: RiskModel, base: pd.DataFrame, changes, share: float = RANGE_SHARE) -> tuple[float, float]:
    """The central ``share`` of the number of schools below the bar next year, drawn from the model: England's
    movement is one of ``changes`` (equal chance), then each school is below or not with its chance under it."""
    return _count_range(_by_change(model, base, changes), share)


def _count_range(by_change: list[pd.Series], share: float = RANGE_SHARE) -> tuple[float, float]:
    rng = np.random.default_rng(RANGE_SEED)
    probs = np.vstack([p.to_numpy() for p in by_change])
    which = rng.integers(0, len(by_change), RANGE_DRAWS)
    counts = (rng.random((RANGE_DRAWS, probs.shape[1])) < probs[which]).sum(axis=1)
    tail = (1 - share) / 2
    return float(np.quantile(counts, tail)), float(np.quantile(counts, 1 - tail))


# ------------------------------------------------------------------------------------------------------------
# Backtests
# ------------------------------------------------------------------------------------------------------------


@dataclass
class Backtest:
    fit_pairs: tuple[Pair, ...]
    test_pair: Pair
    n_test: int
    scores: pd.DataFrame  # method, brier, auc
    calibration: pd.DataFrame
    model: RiskModel
    predicted: pd.Series  # per URN, the model's chance as forecast
    observed: pd.Series  # per URN, below the bar in the test year

    @property
    def max_decile_error(self) -> float:
        return worst_decile_gap(self.calibration)


@cached_on(*_TABLES, maxsize=96, persist=True)
def backtest(
    fit_pairs: tuple[Pair, ...], test_pair: Pair, threshold: float | None = None, national_change: object = 0.0
) -> Backtest:
    """Fit on ``fit_pairs`` only, score on ``test_pair``.

    ``national_change`` is what the forecast assumes about England's movement to the test year: a number, ``None``
    for the published movement (the school-level model judged on its own, given the national figure), or
    ``"known"`` for the average over the movements known at the time (:func:`known_changes`), the way the
    workbook forecasts."""
    fit_pairs = tuple((int(a), int(b)) for a, b in fit_pairs)
    if any(b > test_pair[0] for _, b in fit_pairs):
        raise WorkbookError(f"a backtest must fit on earlier years than {pairs_label((test_pair,))}")
    threshold = default_threshold() if threshold is None else float(threshold)
    model = fit_on(fit_pairs, threshold)
    truth = training_pair(test_pair[0], threshold)["below_next"]
    if national_change == "known":
        base = features(test_pair[0], threshold, 0.0).loc[truth.index]
        p = chance_below(model, base, known_changes(test_pair[0]))
        test = base
    else:
        change = None if national_change is None else float(national_change)
        test = features(test_pair[0], threshold, change).loc[truth.index]
        p = model.predict(test)
    rows = [{"method": "model", **_scores(p, truth)}]
    for name, col in baselines(test, threshold).items():
        rows.append({"method": name, **_scores(col, truth)})
    return Backtest(fit_pairs, test_pair, len(test), pd.DataFrame(rows), calibration_table(p, truth), model, p, truth)


@cached_on(*_TABLES, maxsize=32, persist=True)
def calibration_by_national_change(
    fit_pairs: tuple[Pair, ...],
    test_pair: Pair,
    threshold: float | None = None,
    changes: tuple[float, ...] = SCANNED_CHANGES,
) -> pd.DataFrame:
    """The backtest repeated for each assumed national movement: worst judged decile gap and Brier score, and
    whether it meets the bar (the range of movements for which the forecast would have been calibrated)."""
    threshold = default_threshold() if threshold is None else float(threshold)
    model = fit_on(tuple(fit_pairs), threshold)
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
    one = [fmt_signed(r[0], 1) if len(r) == 1 else f"{fmt_signed(r[0], 1)} to {fmt_signed(r[-1], 1)}" for r in runs]
    return ", ".join(one)


@cached_on(*_TABLES, maxsize=8, persist=True)
def backtest_summary(threshold: float | None = None) -> pd.DataFrame:
    """Every backtest in one table: Brier, AUC per method and the worst judged decile, the model three ways
    (averaging over the movements known at the time, as the workbook forecasts; the recent trend alone; the
    published movement), and the movements for which it meets the bar (``calibrated_if_change``)."""
    threshold = default_threshold() if threshold is None else float(threshold)
    rows = []
    published_changes = national_changes()
    for fit_pairs, test_pair in backtests():
        published = float(published_changes.get(test_pair[0], np.nan))
        trend = national_trend(test_pair[0])
        scan = calibration_by_national_change(fit_pairs, test_pair, threshold)
        window = ranges_label(scan.loc[scan["calibrated"], "national_change"])
        assumptions = (
            ("known", "movements known at the time"),
            (trend, f"recent trend ({fmt_signed(trend)})"),
            (None, f"published ({fmt_signed(published)})"),
        )
        for assumed, label in assumptions:
            bt = backtest(fit_pairs, test_pair, threshold, assumed)
            for rec in bt.scores.to_dict("records"):
                is_model = rec["method"] == "model"
                if not is_model and assumed is not None:
                    continue  # the baselines do not use the national movement: listed once
                rows.append(
                    {
                        "fit": pairs_label(fit_pairs),
                        "test": pairs_label((test_pair,)),
                        "judged": test_pair != backtests()[0][1],
                        "national_change": label if is_model else "n/a",
                        "schools": bt.n_test,
                        **rec,
                        "max_decile_error_pts": bt.max_decile_error if is_model else np.nan,
                        "calibrated_if_change": window if is_model else "",
                    }
                )
    return pd.DataFrame(rows)


@cached_on(*_TABLES, maxsize=8, persist=True)
def pooled_forecast_calibration(threshold: float | None = None) -> pd.DataFrame:
    """The forecasts as the workbook makes them (averaging over the movements known at the time), for every held
    out pair after the first, pooled: the calibration table the forecast bar is judged on. Each pair is forecast
    by the model a forecast from its first year would use (:func:`model_for`)."""
    threshold = default_threshold() if threshold is None else float(threshold)
    predicted, observed = [], []
    for test in pairs()[1:]:
        if test == pairs()[1] and len(pairs()) > 2:
            continue  # 2017->2018 can only be forecast by the first-year model: reported, not judged
        model = model_for(test[0], threshold)
        truth = training_pair(test[0], threshold)["below_next"]
        base = features(test[0], threshold, 0.0).loc[truth.index]
        predicted.append(chance_below(model, base, known_changes(test[0])))
        observed.append(truth)
    return calibration_table(pd.concat(predicted, ignore_index=True), pd.concat(observed, ignore_index=True))


# ------------------------------------------------------------------------------------------------------------
# An LA's forecast
# ------------------------------------------------------------------------------------------------------------


def _la_features(la_code: int | str, year: int, threshold: float) -> pd.DataFrame:
    """The model's features (no national change) for the LA's schools with a result in ``year``."""
    area = areas.require_la(la_code)
    frame = features(year, threshold, 0.0)
    frame = frame[frame["la_code"] == area.code]
    if frame.empty:
        raise NoDataError(
            f"no school RWM results for {area.label} in {year}; years with them: "
            f"{coverage.describe(coverage.la_years(area.code))}"
        )
    return frame


def drivers(model: RiskModel, frame: pd.DataFrame) -> pd.DataFrame:
    """Per school and reason group (:data:`REASON_GROUPS`), the contribution to the log-odds: positive raises the
    chance of being below the bar, negative lowers it (the views word them)."""
    contrib = model.contributions(frame)
    return pd.DataFrame(
        {g: contrib[[f for f in feats if f in contrib.columns]].sum(axis=1) for g, feats in REASON_GROUPS.items()}
    )


@cached_on(*_TABLES, maxsize=4, copies=False)
def _la_chances(la_code: int | str, year: int, threshold: float) -> tuple[pd.Series, ...]:
    """Each of the LA's schools' chance under each movement England has made (:func:`_by_change`): the school
    table and the expected count both read them, and a pack asks for both (predicted once, not twice). Read only."""
    return tuple(_by_change(model_for(year, threshold), _la_features(la_code, year, threshold), known_changes(year)))


def school_risk(
    la_code: int | str, year: int, threshold: float | None = None, national_change: float | None = None
) -> pd.DataFrame:
    """For every school in the LA with an RWM result in ``year``: the chance of being below ``threshold`` in
    ``year + 1`` (averaged over England's known movements, or under ``national_change`` when given), ordered
    most likely first, with the inputs and the drivers (``drive_<group>``) the views explain."""
    threshold = default_threshold() if threshold is None else float(threshold)
    model = model_for(year, threshold)
    base = _la_features(la_code, year, threshold)
    if national_change is None:
        p = _mean_chance(list(_la_chances(la_code, year, threshold)))
    else:
        p = chance_below(model, base, [float(national_change)])
    shown = add_gap_features(base, threshold, national_trend(year) if national_change is None else national_change)
    reasons = drivers(model, shown).add_prefix("drive_")
    out = shown.assign(p_below_next=p).join(reasons)
    out = out.reset_index(names="urn").sort_values(["p_below_next", "urn"], ascending=[False, True])
    keep = ["urn", "school_name", "rwm_exp", "rwm_prev", "cohort", "cohort_basis", "cohort_year", "progress",
            "pct_fsm", "pct_eal", "gap", "gap_in_se", "prev_move", "below_now", "p_below_next",
            *reasons.columns]  # fmt: skip
    return out.loc[:, keep].reset_index(drop=True)


def expected_below(la_code: int | str, year: int, threshold: float | None = None) -> dict[str, float]:
    """The LA's expected number of schools below the bar next year, and the 80% range around it (England's
    movement and each school's chance both uncertain)."""
    threshold = default_threshold() if threshold is None else float(threshold)
    by_change = list(_la_chances(la_code, year, threshold))
    low, high = _count_range(by_change)
    return {"expected": float(_mean_chance(by_change).sum()), "low": low, "high": high}


def national_scenarios(
    la_code: int | str, year: int, threshold: float | None = None, changes: tuple[float, ...] | None = None
) -> pd.DataFrame:
    """What the forecast says if England moves by each of ``changes`` points (default: -1 to +3 and the recent
    trend): the LA's expected number of schools below the bar next year and England's expected share below."""
    threshold = default_threshold() if threshold is None else float(threshold)
    model = model_for(year, threshold)
    trend = national_trend(year)
    changes = tuple(sorted({*SCENARIO_CHANGES, trend})) if changes is None else tuple(map(float, changes))
    local = _la_features(la_code, year, threshold)
    rows = []
    for change, england_share in zip(changes, england_expected_shares(year, threshold, changes), strict=True):
        p = model.predict(add_gap_features(local, threshold, change))
        rows.append(
            {
                "national_change": change,
                "is_trend": change == trend,
                "expected_below_next_year": float(p.sum()),
                "england_expected_share": england_share,
            }
        )
    return pd.DataFrame(rows)


@cached_on(*_TABLES, maxsize=16, persist=True)
def england_expected_shares(year: int, threshold: float, changes: tuple[float, ...]) -> tuple[float, ...]:
    """England's expected share (%) of schools below ``threshold`` next year under each of its movements
    ``changes``: the same beside every LA's scenarios, so predicted for England's schools once (and kept in the
    national store), not again for each LA."""
    model = model_for(year, threshold)
    england = features(year, threshold, 0.0)
    return tuple(float(model.predict(add_gap_features(england, threshold, c)).mean() * 100) for c in changes)


def unlinked(la_code: int | str, year: int) -> pd.DataFrame:
    """The LA's schools with a result in ``year`` but no URN (names not matched): not scored, listed."""
    area = areas.require_la(la_code)
    results = tables.load("school_results")
    rows = results[(results["year"] == year) & (results["la_code_now"] == area.code) & results["urn"].isna()]
    rows = rows.dropna(subset=["rwm_exp"])
    return rows.loc[:, ["school_name", "rwm_exp"]].sort_values("school_name").reset_index(drop=True)


# ------------------------------------------------------------------------------------------------------------
# Below the national floor itself (only where a national floor with a progress test follows)
# ------------------------------------------------------------------------------------------------------------


def floor_pairs() -> list[Pair]:
    """Pairs whose second year had a national floor with a progress test and school data (2016->17, 2017->18)."""
    rules = floor_rules.national_rules()
    return [
        p for p in pairs() if p[1] in rules and rules[p[1]].rule.progress is not None and rules[p[1]].rule.evaluable
    ]


def floor_training_pair(start: int) -> pd.DataFrame:
    """Features in ``start`` and ``below_next`` = below the national floor in start+1 (the floor analysis's verdict),
    for schools the floor could judge (above or below) in start+1."""
    from . import floor  # the floor analysis imports nothing from here

    if (start, start + 1) not in floor_pairs():
        raise NoDataError(
            f"no national floor standard with a progress test for {start + 1}: the chance of being below the floor "
            f"itself can be estimated from {', '.join(str(a) for a, _ in floor_pairs())} only"
        )
    frame = features(start, None, None)
    verdict = floor.school_floor(start + 1).dropna(subset=["urn"]).drop_duplicates("urn")
    status = verdict.set_index(verdict["urn"].astype("int64"))["status"].reindex(frame.index)
    frame = frame[status.isin(["below floor", "above floor"])]
    return frame.assign(below_next=status.loc[frame.index] == "below floor")


@cached_on(*_TABLES, maxsize=4, persist=True)
def floor_model() -> RiskModel:
    """The floor model, fitted on the first floor pair."""
    first = floor_pairs()[0]
    return fit(floor_training_pair(first[0]), None, (first,), FLOOR_FEATURES)


@cached_on(*_TABLES, maxsize=4, persist=True)
def floor_backtest() -> Backtest:
    """Below the floor next year: fitted on the first floor pair, scored on the second. Baselines: below the floor
    now; "near": attainment under the bar + 5 points and a progress score failing its bar now."""
    from . import floor

    fit_pair, test_pair = floor_pairs()[0], floor_pairs()[1]
    model = floor_model()
    test = floor_training_pair(test_pair[0])
    truth = test["below_next"]
    p = model.predict(test)
    now = floor.school_floor(test_pair[0]).dropna(subset=["urn"]).drop_duplicates("urn")
    now_below = now.set_index(now["urn"].astype("int64"))["status"].reindex(test.index) == "below floor"
    near = (test["rwm_exp"] < default_threshold() + 5) & (test["worst_progress_margin"] < 0)
    rows = [
        {"method": "model", **_scores(p, truth)},
        {"method": "same_as_this_year", **_scores(now_below.astype(float), truth)},
        {"method": "near_the_floor", **_scores(near.astype(float), truth)},
    ]
    return Backtest((fit_pair,), test_pair, len(test), pd.DataFrame(rows), calibration_table(p, truth), model, p, truth)


def floor_risk(la_code: int | str, year: int) -> pd.Series:
    """Per URN of the LA, the chance of being below the national floor in ``year + 1``, for the years a national
    floor with a progress test follows."""
    area = areas.require_la(la_code)
    starts = [a for a, _ in floor_pairs()]
    if year not in starts:
        raise NoDataError(
            f"no chance of being below the floor from {year}: a national floor with a progress test follows "
            f"{' and '.join(map(str, starts))} only"
        )
    frame = features(year, None, 0.0)
    frame = frame[frame["la_code"] == area.code]
    return floor_model().predict(frame).rename("p_below_floor_next")
