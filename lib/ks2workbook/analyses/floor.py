"""Floor standards: which schools are below the floor, by how much, for how long, and how an LA compares.

A school is below the floor when it fails the attainment test AND the progress test of its year's rule (rules are
data: :mod:`ks2workbook.floor_rules`). For every school and year we report a status and the margin on every
condition (value minus threshold: negative = fails, 0 = exactly on the threshold = passes), so a reader sees the
schools just over the line.

Status, for each school and year:

- ``not eligible``: not state-funded mainstream, closed before September of the test year, or fewer pupils
  than the rule's minimum cohort;
- ``not assessable``: we cannot say. Its type or cohort is unknown (no URN, not in the school list, cohort not
  published), or a measure that *could change the verdict* is missing or suppressed. Missing never counts as
  passing: a value is filled in both ways, and only a verdict that holds either way is given (a school at 80% RWM
  is above the floor whatever its suppressed progress score; a school at 50% RWM with a missing maths progress
  score and passing reading and writing is not assessable);
- ``below floor`` / ``above floor``.

2018 significance: a school failing progress in one subject only is below the floor only when that score is
significantly below 0 (upper confidence limit < 0). The DfE publishes the limits, but the national extract does
not carry them (only the DfE's own files for single LAs do). Where they are missing they are rebuilt as the DfE
computes them (:func:`ks2workbook.analyses.progress.upper_limit`); :func:`ci_validation` checks the rebuilt
limits against the published ones.

Persistence: consecutive years below the floor, counted over the *evaluated* years only (years with a rule and
school-level data: the national floor's years, plus years a local rule covers that have data). Years without a
rule or without school data (the floor withdrawn, no tests, no school file) neither break nor extend a run. A
year in which a school is not below (above, not assessable, not eligible or absent) ends its run.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pandas as pd

from ..core.errors import NoDataError, WorkbookError
from ..data import areas as areas_mod
from ..data import coverage, tables
from ..data.cache import cached_on
from ..data.values import safe_share
from ..rules import pack as pack_rules
from ..rules.floor import AppliedRule, FloorRule, all_rules, file_key, rule_for
from . import neighbours, progress

STATUSES = ["below floor", "above floor", "not assessable", "not eligible"]
#: Near miss: above the floor, attainment margin below this many points (the pack's ``near_miss_points``)...
NEAR_ATTAINMENT = pack_rules.defaults().near_miss_points
#: ...and the worst progress margin below this many points (or no progress test in the rule).
NEAR_PROGRESS = pack_rules.defaults().near_miss_progress_points


# ----------------------------------------------------------------------------------------------------------
# Evaluation of one year
# ----------------------------------------------------------------------------------------------------------


def _progress_fails(fails: list[np.ndarray], sig: list[np.ndarray] | None, combine: str) -> np.ndarray:
    stack = np.vstack(fails)
    if combine == "all":
        return stack.all(axis=0)
    if sig is None:
        return stack.any(axis=0)
    n_fail = stack.sum(axis=0)
    significant_fail = (stack & np.vstack(sig)).any(axis=0)
    return (n_fail >= 2) | ((n_fail == 1) & significant_fail)


def _verdict(variables: list[pd.Series], rule: FloorRule) -> tuple[np.ndarray, np.ndarray]:
    """Kleene-style verdict: (below, determined). ``variables`` = [attainment fails, subject fails..., significant...]
    as nullable booleans; every combination of the unknown ones is tried and a verdict is kept only if it is the
    same for all."""
    known = [v.notna().to_numpy() for v in variables]
    values = [v.fillna(False).to_numpy(dtype=bool) for v in variables]
    m = len(rule.progress.conditions) if rule.progress else 0
    sig_on = bool(rule.progress and rule.progress.single_subject_significant)
    n_rows = len(variables[0])
    lo = np.ones(n_rows, dtype=bool)  # all combinations say below
    hi = np.zeros(n_rows, dtype=bool)  # some combination says below
    unknown_idx = [i for i, k in enumerate(known) if not k.all()]
    for combo in itertools.product([False, True], repeat=len(unknown_idx)):
        filled = list(values)
        for i, guess in zip(unknown_idx, combo, strict=True):
            filled[i] = np.where(known[i], values[i], guess)
        below = filled[0].copy()
        if rule.progress:
            fails = filled[1 : 1 + m]
            sig = filled[1 + m : 1 + 2 * m] if sig_on else None
            below &= _progress_fails(fails, sig, rule.progress.combine)
        lo &= below
        hi |= below
    determined = lo == hi
    return lo, determined


def evaluate(results: pd.DataFrame, applied: AppliedRule, schools: pd.DataFrame) -> pd.DataFrame:
    """Status and margins for every school row of one year under one rule (pure: no file access).

    ``results``: rows of ``school_results`` for the rule's year; ``schools``: the schools table (type, close date).
    """
    rule = applied.rule
    year = rule.year
    if not rule.evaluable:
        raise NoDataError(
            f"the {year} floor ({rule.label}) uses measures we have no school-level data for "
            f"({', '.join(rule.measures) or 'none: no floor that year'}); school-level floor results exist for "
            "2016-2018 (national rules) and for years a local rule covers with data (2023-2025)"
        )
    frame = results.reset_index(drop=True)
    info = schools.drop_duplicates("urn").set_index("urn")
    urn = frame["urn"].astype("Int64")
    mainstream = urn.map(info["is_mainstream_state"]).astype("boolean")
    close = pd.to_datetime(urn.map(info["close_date"]))
    out = pd.DataFrame(
        {
            "year": year,
            "la_code": frame["la_code"].astype("Int64"),
            "la_code_now": (frame["la_code_now"] if "la_code_now" in frame else frame["la_code"]).astype("Int64"),
            "urn": urn,
            "school_name": frame["school_name"],
            "cohort": frame["cohort"] if "cohort" in frame else np.nan,
        }
    )
    elig = rule.eligibility
    reason = pd.Series("", index=frame.index, dtype="str")
    status = pd.Series(pd.NA, index=frame.index, dtype="str")

    def mark(mask: pd.Series, st: str, why: str) -> None:
        nonlocal status, reason
        mask = mask.fillna(False).astype(bool) & status.isna()
        status = status.mask(mask, st)
        reason = reason.mask(mask, why)

    if elig.mainstream_state:
        mark(urn.isna(), "not assessable", "no URN (not matched by name): school type unknown")
        mark(mainstream.isna(), "not assessable", "URN not in the school list: school type unknown")
        mark(~mainstream, "not eligible", "not state-funded mainstream")
    if elig.exclude_closed:
        mark(
            close.notna() & (close < pd.Timestamp(year=year, month=9, day=1)),
            "not eligible",
            "closed before September of the test year",
        )
    # A blank row (no cohort and none of the rule's measures) is a school with no pupils at the end of KS2 that
    # year (a new free school or academy, a school that has just reopened under a new URN): the DfE leaves the
    # whole row blank, unlike a suppressed small cohort, which keeps its cohort size.
    blank = frame[[c for c in rule.measures if c in frame]].isna().all(axis=1)
    # Only where the year's data carry cohort sizes (2016-2018): in 2023-2025 no cohort is published, so a blank
    # row there may be a suppressed school and stays "not assessable".
    has_cohort = "cohort" in frame and bool(frame["cohort"].notna().any())
    blank &= frame["cohort"].isna() if has_cohort else False
    mark(blank, "not eligible", "no KS2 results published (no pupils at the end of KS2)")
    if elig.min_cohort is not None:
        cohort = out["cohort"]
        mark(cohort.isna(), "not assessable", "cohort size not published")
        mark(cohort < elig.min_cohort, "not eligible", f"fewer than {elig.min_cohort} eligible pupils")

    # Margins and condition results.
    att = rule.attainment
    value = frame[att.measure]
    out[att.measure] = value
    out["attainment_margin"] = value - att.below
    variables: list[pd.Series] = [(value < att.below).astype("boolean").mask(value.isna())]
    names = [att.measure]
    if rule.progress:
        margins = []
        for cond in rule.progress.conditions:
            score = frame[cond.measure]
            out[cond.measure] = score
            out[f"{cond.measure}_margin"] = score - cond.below
            margins.append(out[f"{cond.measure}_margin"])
            variables.append((score < cond.below).astype("boolean").mask(score.isna()))
            names.append(cond.measure)
        worst = pd.concat(margins, axis=1)
        out["progress_margin"] = worst.min(axis=1) if rule.progress.combine == "any" else worst.max(axis=1)
        if rule.progress.single_subject_significant:
            for cond in rule.progress.conditions:
                upper, source = progress.upper_limit(frame, cond.measure, year)
                out[f"{cond.measure}_upper"] = upper
                out[f"{cond.measure}_ci"] = source
                variables.append((upper < 0).astype("boolean").mask(upper.isna()))
                names.append(f"{cond.measure} confidence limit")
    below, determined = _verdict(variables, rule)
    out["fails_attainment"] = variables[0]
    if rule.progress:
        # The progress verdict alone: the same enumeration with the attainment test taken as failed.
        always = pd.Series(True, index=frame.index, dtype="boolean")
        p_below, p_det = _verdict([always, *variables[1:]], rule)
        out["fails_progress"] = pd.Series(p_below, index=frame.index, dtype="boolean").mask(~p_det)
    else:
        out["fails_progress"] = pd.Series(pd.NA, index=frame.index, dtype="boolean")
    missing = np.full(len(frame), "", dtype=object)
    if (~determined).any():
        gaps = np.column_stack([v.isna().to_numpy() for v in variables])
        for i in np.flatnonzero(~determined):  # the few schools with no verdict: name what is missing
            missing[i] = ", ".join(n for n, gap in zip(names, gaps[i], strict=True) if gap)
    undetermined = pd.Series(~determined, index=frame.index)
    mark(undetermined, "not assessable", "")
    reason = reason.mask(
        (status == "not assessable") & (reason == ""),
        pd.Series([f"missing or suppressed: {m}" for m in missing], index=frame.index),
    )
    below_s = pd.Series(below, index=frame.index)
    mark(
        below_s, "below floor", "fails attainment and progress tests" if rule.progress else "fails the attainment test"
    )
    mark(~below_s, "above floor", "")
    out["status"] = pd.Categorical(status, categories=STATUSES)
    out["reason"] = reason
    near = (out["status"] == "above floor") & (out["attainment_margin"] < NEAR_ATTAINMENT)
    if rule.progress:
        near &= out["progress_margin"] < NEAR_PROGRESS
    out["near_miss"] = near.fillna(False).astype(bool)
    out["rule_kind"] = applied.kind
    out["rule"] = applied.rule.label
    out["rule_file"] = applied.file
    return out


# ----------------------------------------------------------------------------------------------------------
# Shipped data
# ----------------------------------------------------------------------------------------------------------


def _rule_file(key: str) -> str | None:
    return key.rsplit("|", 1)[0] or None


@cached_on("school_results", "schools", maxsize=64, persist=True)
def _school_floor_cached(year: int, local: str) -> pd.DataFrame:
    applied = rule_for(year, _rule_file(local), data_years())
    results = tables.load("school_results")
    rows = results[results["year"] == year]
    if rows.empty and not applied.rule.evaluable:
        return evaluate(rows, applied, tables.load("schools"))  # raises, naming the measures we lack
    if rows.empty:
        have = sorted(int(y) for y in results["year"].unique())
        raise NoDataError(f"no school-level KS2 results for {year}; years with data: {have}")
    return evaluate(rows, applied, tables.load("schools"))


def school_floor(
    year: int, la_code: int | str | None = None, local_rule_file: str | Path | None = None
) -> pd.DataFrame:
    """Every school's floor status and margins in ``year`` (one LA if ``la_code``), under the year's rule."""
    table = _school_floor_cached(int(year), file_key(local_rule_file))
    if la_code is not None:
        code = areas_mod.require_la(la_code).code
        table = table[table["la_code_now"] == code].reset_index(drop=True)
    return table


def data_years() -> list[int]:
    """Years with national school attainment: the years a local rule's ``from_year`` is spread over."""
    return coverage.attainment_years()


def evaluated_years(local_rule_file: str | Path | None = None) -> list[int]:
    """Years with an evaluable rule AND school-level data (the years persistence counts over)."""
    have = set(coverage.attainment_years(national=False))
    return [y for y, a in all_rules(local_rule_file, data_years()).items() if a.rule.evaluable and y in have]


def floor_history(la_code: int | str | None = None, local_rule_file: str | Path | None = None) -> pd.DataFrame:
    """:func:`school_floor` stacked over every evaluated year."""
    return pd.concat(
        [school_floor(y, la_code, local_rule_file) for y in evaluated_years(local_rule_file)],
        ignore_index=True,
    )


def below_list(year: int, la_code: int | str, local_rule_file: str | Path | None = None) -> pd.DataFrame:
    """The LA's schools below the floor, worst attainment margin first."""
    table = school_floor(year, la_code, local_rule_file)
    return table[table["status"] == "below floor"].sort_values(["attainment_margin", "urn"]).reset_index(drop=True)


def near_miss_list(year: int, la_code: int | str, local_rule_file: str | Path | None = None) -> pd.DataFrame:
    """The LA's schools just above the floor (see :data:`NEAR_ATTAINMENT`, :data:`NEAR_PROGRESS`)."""
    table = school_floor(year, la_code, local_rule_file)
    return table[table["near_miss"]].sort_values(["attainment_margin", "urn"]).reset_index(drop=True)


# ----------------------------------------------------------------------------------------------------------
# Persistence
# ----------------------------------------------------------------------------------------------------------


def persistence(history: pd.DataFrame, year: int, n: int = 3, rule_checked: bool = False) -> pd.DataFrame:
    """Schools below the floor in each of the last ``n`` or more evaluated years up to ``year``.

    Counted over the years present in ``history`` (the evaluated years): years without a rule or data neither break
    nor extend a run. Returns one row per school with ``consecutive_years`` (run ending at ``year``),
    ``years_below`` (total over all evaluated years up to ``year``) and ``run_years`` (e.g. "2016-2018").
    ``rule_checked``: the caller has already established that ``year`` has a rule; an LA with no schools in the
    history that year (Dorset 838 and BCP 839 were created in 2019) then has no persistent schools, not an error.
    """
    if n < 1:
        raise WorkbookError(f"persistence_years must be a whole number of years, at least 1 (got {n})")
    years = sorted(y for y in history["year"].unique() if y <= year)
    cols = ["urn", "school_name", "la_code", "consecutive_years", "run_years", "years_below"]
    if year not in years and rule_checked:
        return pd.DataFrame(columns=cols)
    if year not in years:
        raise NoDataError(f"{year} is not an evaluated floor year here; evaluated years: {years}")
    keyed = history[history["urn"].notna() & history["year"].isin(years)]
    below = keyed[keyed["status"] == "below floor"]
    wide = pd.crosstab(below["urn"], below["year"]).reindex(columns=years, fill_value=0).astype(bool)
    run = pd.Series(0, index=wide.index)
    still = pd.Series(True, index=wide.index)
    for y in reversed(years):
        still &= wide[y]
        run += still.astype(int)
    out = pd.DataFrame({"consecutive_years": run, "years_below": wide.sum(axis=1)})
    out = out[out["consecutive_years"] >= n]
    latest = keyed.sort_values("year").drop_duplicates("urn", keep="last").set_index("urn")
    out["school_name"] = latest["school_name"].reindex(out.index)
    out["la_code"] = latest["la_code"].reindex(out.index)
    out["run_years"] = [f"{years[len(years) - r]}-{year}" if r > 1 else str(year) for r in out["consecutive_years"]]
    out = out.reset_index().rename(columns={"index": "urn"})
    return out[cols].sort_values(["consecutive_years", "urn"], ascending=[False, True]).reset_index(drop=True)


# ----------------------------------------------------------------------------------------------------------
# LA, region, England, league
# ----------------------------------------------------------------------------------------------------------


def _summarise(table: pd.DataFrame, by: pd.Series | None) -> pd.DataFrame:
    counts = pd.crosstab(by if by is not None else pd.Series("England", index=table.index), table["status"])
    counts = counts.reindex(columns=STATUSES, fill_value=0)
    out = pd.DataFrame(
        {
            "assessed": counts["below floor"] + counts["above floor"],
            "below_floor": counts["below floor"],
            "near_miss": table.groupby(by if by is not None else pd.Series("England", index=table.index))["near_miss"]
            .sum()
            .reindex(counts.index, fill_value=0),
            "not_assessable": counts["not assessable"],
            "not_eligible": counts["not eligible"],
        }
    )
    # Eligible = passed every eligibility check: assessed, plus not assessable only for a missing measure.
    missing_measure = (table["status"] == "not assessable") & table["reason"].str.startswith("missing")
    grouper = by if by is not None else pd.Series("England", index=table.index)
    out.insert(0, "eligible", out["assessed"] + missing_measure.groupby(grouper).sum().reindex(out.index, fill_value=0))
    out["share_below"] = [safe_share(b, a) for b, a in zip(out["below_floor"], out["assessed"], strict=True)]
    return out


def la_summary(year: int, local_rule_file: str | Path | None = None) -> pd.DataFrame:
    """Per LA, region and England: schools assessed (eligible, with a verdict), below floor, share below (%).

    National, so the same for every LA: computed once per process per year and rule file (keyed like
    :func:`school_floor`, plus the processed ``areas`` table's version); a copy is returned."""
    return _la_summary_cached(int(year), file_key(local_rule_file))


@cached_on("school_results", "schools", "areas", maxsize=64, persist=True)
def _la_summary_cached(year: int, local: str) -> pd.DataFrame:
    table = school_floor(year, None, _rule_file(local))
    area = tables.load("areas")
    las = area[area["kind"] == "la"]  # every LA code, so the LAs add up to England; the league ranks current ones
    placed = table[table["la_code_now"].notna()]
    by_la = _summarise(placed, placed["la_code_now"].astype(int))
    by_la = by_la.reindex(las["la_code"].astype(int)).fillna(0)
    by_la["share_below"] = [safe_share(b, a) for b, a in zip(by_la["below_floor"], by_la["assessed"], strict=True)]
    by_la = by_la.reset_index().rename(columns={by_la.index.name or "index": "code"})
    by_la.columns = ["code", *by_la.columns[1:]]
    names = las.set_index("la_code")
    by_la["name"] = by_la["code"].map(names["la_name"])
    by_la["region"] = by_la["code"].map(names["region"])
    by_la["kind"] = "la"
    # Regions by the LAs' region code (LAIT names them differently: "Inner London" vs "London (Inner)").
    region_of = table["la_code_now"].map(names["region_code"])
    by_region = _summarise(table[region_of.notna()], region_of.dropna().astype(int)).reset_index()
    by_region.columns = ["code", *by_region.columns[1:]]
    region_names = las.drop_duplicates("region_code").set_index("region_code")["region"]
    by_region["name"] = by_region["code"].map(region_names)
    by_region["code"] = by_region["code"].astype("Int64")
    by_region["region"], by_region["kind"] = by_region["name"], "region"
    eng = _summarise(table, None).reset_index(drop=True)
    eng["name"], eng["code"], eng["region"], eng["kind"] = "England", tables.ENGLAND, None, "england"
    cols = [
        "code",
        "name",
        "kind",
        "region",
        "eligible",
        "assessed",
        "below_floor",
        "share_below",
        "near_miss",
        "not_assessable",
        "not_eligible",
    ]
    out = pd.concat([by_la[cols], by_region[cols], eng[cols]], ignore_index=True)
    for c in ("eligible", "assessed", "below_floor", "near_miss", "not_assessable", "not_eligible"):
        out[c] = out[c].astype(int)
    out["code"] = out["code"].astype("Int64")
    out["year"] = year
    return out


def league(year: int, la_code: int | str, local_rule_file: str | Path | None = None) -> pd.DataFrame:
    """All LAs ranked by share of assessed schools below the floor (rank 1 = lowest share; ties share the lowest
    rank, 1, 2, 2, 4; LAs with no assessed school get no rank), with this LA and its neighbours flagged."""
    code = areas_mod.require_la(la_code).code
    summary = la_summary(year, local_rule_file)
    current = set(tables.load("areas").query("current")["la_code"])
    table = summary[(summary["kind"] == "la") & summary["code"].isin(current)].copy()
    table["rank"] = table["share_below"].rank(method="min", ascending=True).astype("Int64")
    table["of"] = int(table["share_below"].notna().sum())
    table["is_la"] = table["code"] == code
    table["is_neighbour"] = table["code"].isin(neighbours.codes_or_none(code))
    return table.sort_values(["rank", "name"], na_position="last").reset_index(drop=True)


def counts_by_year(la_code: int | str, local_rule_file: str | Path | None = None) -> pd.DataFrame:
    """The LA's schools below the floor, assessed and share, for every evaluated year (with the rule kind)."""
    hist = floor_history(la_code, local_rule_file)
    rows = []
    for y, part in hist.groupby("year"):
        s = _summarise(part, None).iloc[0]
        rows.append(
            {
                "year": int(y),
                "below_floor": int(s["below_floor"]),
                "assessed": int(s["assessed"]),
                "share_below": s["share_below"],
                "rule_kind": part["rule_kind"].iloc[0],
                "rule": part["rule"].iloc[0],
            }
        )
    # An LA created after the years with data (Cumberland 942, North Northamptonshire 940...) has no rows.
    return pd.DataFrame(rows, columns=["year", "below_floor", "assessed", "share_below", "rule_kind", "rule"])


# ----------------------------------------------------------------------------------------------------------
# Checks, export, headline
# ----------------------------------------------------------------------------------------------------------


def compared_years() -> list[int]:
    """Years whose national floor rule has a published count and school data to recount it from."""
    have = set(coverage.attainment_years())
    rules = all_rules()
    return [y for y, a in rules.items() if a.rule.evaluable and a.rule.published_count and y in have]


def national_comparison() -> pd.DataFrame:
    """Our national count below the floor beside the DfE's published count, each year it can be recounted."""
    rows = []
    for y in compared_years():
        applied = rule_for(y)
        table = school_floor(y)
        fails_both = table["fails_attainment"].fillna(False) & table["fails_progress"].fillna(False)
        untyped = table["reason"].str.contains("type unknown", regex=False)
        rows.append(
            {
                "year": y,
                "ours": int((table["status"] == "below floor").sum()),
                "published": applied.rule.published_count,
                "assessed": int(table["status"].isin(["below floor", "above floor"]).sum()),
                "unplaced_below": int(((table["status"] == "below floor") & table["la_code"].isna()).sum()),
                "untyped_failing_both": int((fails_both & untyped).sum()),
                "not_assessable": int((table["status"] == "not assessable").sum()),
            }
        )
    out = pd.DataFrame(rows)
    out["difference"] = out["ours"] - out["published"]
    out["difference_pct"] = (out["difference"] / out["published"] * 100).round(1)
    return out


def _dfe_la_files(year: int) -> list[tuple[int, pd.DataFrame]]:
    """(LA code, school rows) of the DfE's own KS2 files for single LAs in ``year`` (they publish the limits)."""
    return [
        (int(e.coverage), tables.results_of(e))
        for e in tables.result_files(year, dfe_only=True)
        if e.coverage != "england"
    ]


def ci_validation(year: int) -> pd.DataFrame:
    """Derived vs published upper confidence limits where both exist (the DfE's files for single LAs): per
    subject, schools compared, mean absolute difference, and agreement of the 'significantly below 0' flag."""
    rows = []
    for la, fw in _dfe_la_files(year):
        fw = fw[fw["rectype"] == 1]
        for m in ("read_prog", "writ_prog", "mat_prog"):
            derived, _ = progress.upper_limit(fw.drop(columns=[f"{m}_upper"]), m, year)
            ok = derived.notna() & fw[f"{m}_upper"].notna()
            rows.append(
                pd.DataFrame(
                    {
                        "la_code": la,
                        "measure": m,
                        "published": fw.loc[ok, f"{m}_upper"],
                        "derived": derived[ok],
                    }
                )
            )
    both = pd.concat(rows)
    g = both.groupby("measure")
    return pd.DataFrame(
        {
            "schools": g.size(),
            "mean_abs_diff": g.apply(lambda d: (d["derived"] - d["published"]).abs().mean()).round(3),
            "max_abs_diff": g.apply(lambda d: (d["derived"] - d["published"]).abs().max()).round(2),
            "flag_agreement_pct": g.apply(lambda d: ((d["derived"] < 0) == (d["published"] < 0)).mean() * 100).round(1),
        }
    ).reset_index()


def full_width_crosscheck(la_code: int, year: int) -> dict[str, int]:
    """Counts below the floor for Hampshire (850) or Surrey (936) from the national extract (the panel's source
    for every other LA: no confidence limits, so 2018 uses derived ones) and from the LA's full-width DfE file
    (published limits), evaluated with the same rule and school list. Schools are placed in the LA by the file."""
    applied = rule_for(year)
    schools = tables.load("schools")
    fw = dict(_dfe_la_files(year))[la_code]
    full = evaluate(fw, applied, schools)
    national = next(e for e in tables.result_files(year) if e.coverage == "england")
    ext = tables.results_of(national)
    ext = ext[ext["urn"].isin(fw["urn"])].assign(la_code=la_code, school_name=pd.NA)
    panel = evaluate(ext, applied, schools)
    assessed = ["below floor", "above floor"]
    return {
        "panel_below": int((panel["status"] == "below floor").sum()),
        "full_width_below": int((full["status"] == "below floor").sum()),
        "panel_assessed": int(panel["status"].isin(assessed).sum()),
        "full_width_assessed": int(full["status"].isin(assessed).sum()),
    }


EXPORT_COLUMNS = [
    "year",
    "la_code",
    "urn",
    "school_name",
    "status",
    "reason",
    "near_miss",
    "cohort",
    "rwm_exp",
    "attainment_margin",
    "fails_attainment",
    "read_prog",
    "read_prog_margin",
    "writ_prog",
    "writ_prog_margin",
    "mat_prog",
    "mat_prog_margin",
    "progress_margin",
    "fails_progress",
    "read_prog_upper",
    "read_prog_ci",
    "writ_prog_upper",
    "writ_prog_ci",
    "mat_prog_upper",
    "mat_prog_ci",
    "rule_kind",
    "rule",
    "rule_file",
]


def export_frame(la_code: int | str, year: int, local_rule_file: str | Path | None = None) -> pd.DataFrame:
    """One row per school of the LA in ``year``: status, reason, margins and the rule applied (for CSV/XLSX)."""
    table = school_floor(year, la_code, local_rule_file)
    cols = [c for c in EXPORT_COLUMNS if c in table.columns]
    out = table[cols].copy()
    out["status"] = out["status"].astype("str")
    order = {s: i for i, s in enumerate(STATUSES)}
    out = out.assign(_o=out["status"].map(order)).sort_values(["_o", "attainment_margin", "urn"]).drop(columns="_o")
    return out.round(2).reset_index(drop=True)


def headline(
    la_code: int | str, year: int, local_rule_file: str | Path | None = None, persistence_years: int = 3
) -> dict[str, object]:
    """Headline floor figures for an LA and year (for the cabinet summary)."""
    area = areas_mod.require_la(la_code)
    applied = rule_for(year, local_rule_file)
    lg = league(year, area.code, local_rule_file)
    me = lg[lg["is_la"]].iloc[0]
    summary = la_summary(year, local_rule_file)
    eng = summary[summary["kind"] == "england"].iloc[0]
    reg = summary[(summary["kind"] == "region") & (summary["name"] == area.region)]
    hist = floor_history(area.code, local_rule_file)
    pers = persistence(hist, year, persistence_years, rule_checked=True)
    return {
        "la_code": area.code,
        "la_name": area.name,
        "year": year,
        "rule": applied.rule.label,
        "rule_kind": applied.kind,
        "rule_file": applied.file,
        "eligible": int(me["eligible"]),
        "assessed": int(me["assessed"]),
        "below_floor": int(me["below_floor"]),
        "share_below": float(me["share_below"]),
        "near_miss": int(me["near_miss"]),
        "not_assessable": int(me["not_assessable"]),
        "england_share_below": float(eng["share_below"]),
        "region_share_below": float(reg["share_below"].iloc[0]) if len(reg) else float("nan"),
        "league_rank": None if pd.isna(me["rank"]) else int(me["rank"]),
        "league_of": int(me["of"]),
        "persistent_below": len(pers),
        "persistence_years": persistence_years,
    }


# ----------------------------------------------------------------------------------------------------------
# Sentences for the notebook (kept here so they stay true for any LA and year, and are tested)
# ----------------------------------------------------------------------------------------------------------
