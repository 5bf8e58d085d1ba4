"""WCPP strands: every primary school with a KS2 result placed in one of five strands by explicit criteria.

The criteria are data (``rules/strands.yaml``, documented there; a council passes its own copy). A school goes
to the first strand, in the order of :data:`~ks2workbook.rules.strands.ORDER`, whose criteria it meets;
``good_to_great`` takes the rest. "Below floor" is the pack's floor (the year's national rule, or the council's
local rule): in a year with neither no school is below a floor, and the basis says so; there is no hidden line.
"In an Ofsted category" and "outstanding or the equivalent" come from the framework mapping
(:mod:`ks2workbook.analyses.accountability`), at the latest inspection held for the planning year that follows
the results (up to 31 August of the next year).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..core.errors import NoDataError
from ..core.formats import fmt_signed
from ..data import areas, coverage, tables
from ..data.cache import cached_on
from ..data.values import safe_share
from ..rules.strands import ORDER, PROGRESS_NAMES, TABLE_ORDER, StrandRules, load_rules
from . import accountability, floor, progress


def ofsted_date(year: int) -> pd.Timestamp:
    """The date the strands read Ofsted judgements at: the end of the planning year after the results (31 August
    of ``year + 1``), or the latest inspection held if that is earlier."""
    return min(pd.Timestamp(year=year + 1, month=8, day=31), accountability.default_as_of())


def below_floor_flags(year: int, urns: pd.Index, local_rule_file: str | Path | None) -> tuple[pd.Series, str]:
    """Per URN: below the pack's floor in ``year``; and the basis in words (which floor, or none)."""
    try:
        table = floor.school_floor(year, None, local_rule_file)
    except NoDataError:
        basis = f"none applies to {year}: no national floor and no local floor"
        return pd.Series(False, index=urns), basis
    table = table.dropna(subset=["urn"]).drop_duplicates("urn")
    status = table.set_index(table["urn"].astype("int64"))["status"]
    flags = (status.reindex(urns) == "below floor").fillna(False).astype(bool)
    kind = table["rule_kind"].iloc[0] if len(table) else "national"
    label = table["rule"].iloc[0] if len(table) else ""
    return flags, f"the {kind} floor of {year} ({label})"


def school_inputs(
    year: int, rules: StrandRules, local_rule_file: str | Path | None = None, frameworks_file: str | None = None
) -> pd.DataFrame:
    """Every mainstream school (England) with a KS2 RWM result in ``year`` and what the criteria need."""
    results = tables.load("school_results")
    now = results[results["year"] == year].dropna(subset=["urn", "rwm_exp"]).drop_duplicates("urn")
    if now.empty:
        raise NoDataError(
            f"no school-level RWM results for {year}; years with them: "
            f"{coverage.describe(coverage.attainment_years(national=False))}"
        )
    now = now[~now["urn"].astype("int64").isin(tables.not_mainstream_urns())]
    frame = now.set_index(now["urn"].astype("int64").rename("urn"))[["la_code_now", "school_name", "rwm_exp"]]
    frame = frame.rename(columns={"la_code_now": "la_code"})
    s = rules.strands
    frame["below_floor"], basis = below_floor_flags(year, frame.index, local_rule_file)
    prog = progress.latest_scores(results, year, s.maximising_progress.progress_max_age).reindex(frame.index)
    frame = frame.join(prog[[*PROGRESS_NAMES, "progress_year"]])
    history = results[(results["year"] <= year)].dropna(subset=["urn", "rwm_exp"])
    stats = history.groupby(history["urn"].astype("int64"))["rwm_exp"].agg(["count", "std", "min", "max"])
    frame = frame.join(stats.rename(columns=lambda c: f"rwm_{c}"))
    judged = accountability.stuck(str(ofsted_date(year).date()), frameworks_file or "").set_index("urn")
    latest = accountability.judged(frameworks_file or "").sort_values("inspection_date")
    latest = latest[latest["inspection_date"] <= ofsted_date(year)].groupby("urn").tail(1).set_index("urn")
    # In a category at the date: the school's own latest inspection (a school since closed or renumbered included),
    # or its history through a predecessor (an academy keeps the category of the school it replaced).
    own = latest["in_category"].reindex(frame.index).fillna(False).astype(bool)
    chain = judged["status"].reindex(frame.index).astype(str).eq(accountability.IN_CATEGORY)
    frame["in_category"] = own | chain
    frame["category"] = latest["category"].reindex(frame.index).where(own, judged["category"].reindex(frame.index))
    frame["outstanding"] = latest["outstanding"].reindex(frame.index).fillna(False).astype(bool)
    frame["good_or_better"] = latest["good_or_better"].reindex(frame.index).fillna(False).astype(bool)
    frame["ofsted_framework"] = latest["framework"].reindex(frame.index)
    frame.attrs["floor_basis"] = basis  # set last: pandas drops attrs on a join
    frame.attrs["ofsted_date"] = ofsted_date(year)
    return frame


# ------------------------------------------------------------------------------------------------------------
# Assignment
# ------------------------------------------------------------------------------------------------------------


def assign_frame(frame: pd.DataFrame, rules: StrandRules) -> pd.DataFrame:
    """Apply the rules to a frame of inputs (see :func:`school_inputs`); adds ``strand``, ``label``, ``why``.

    Needs columns rwm_exp, below_floor, in_category, category (text where in one), read_prog/writ_prog/mat_prog
    (NaN = not published), progress_year, rwm_count, rwm_std, rwm_min, rwm_max, outstanding, good_or_better."""
    s = rules.strands
    n = len(frame)
    strand = np.array([""] * n, dtype=object)
    why = np.array([""] * n, dtype=object)

    def take(mask: np.ndarray, key: str, texts: pd.Series) -> None:
        free = (strand == "") & mask
        strand[free] = key
        why[free] = texts.to_numpy()[free]

    pct = frame["rwm_exp"].map("{:.0f}%".format)
    # 1. below the floor and/or in an Ofsted category of concern
    bf = s.below_floor
    floor_hit = frame["below_floor"].to_numpy(dtype=bool) if bf.below_floor else np.zeros(n, bool)
    cat_hit = frame["in_category"].to_numpy(dtype=bool) if bf.in_category else np.zeros(n, bool)
    floor_text = pd.Series(np.where(floor_hit, "below the floor (RWM " + pct + ")", ""), index=frame.index)
    cat_text = ("Ofsted: " + frame["category"].fillna("category of concern").astype(str)).where(cat_hit, "")
    joined = floor_text + np.where(floor_hit & cat_hit, "; ", "") + cat_text
    take(floor_hit | cat_hit, "below_floor", joined)

    # 2. maximising progress
    mp = s.maximising_progress
    fails = pd.Series("", index=frame.index)
    hit = np.zeros(n, bool)
    for col, bar in mp.progress_below.items():
        below = (frame[col] < bar).fillna(False).to_numpy(dtype=bool)
        hit |= below
        msg = (
            f"{PROGRESS_NAMES[col]} progress "
            + frame[col].map(lambda v: fmt_signed(v, 1))
            + f" below {fmt_signed(bar, None)}"
        )
        fails = fails + np.where(below, np.where(fails == "", "", "; ") + msg, "")
    year_text = " (" + frame["progress_year"].map(lambda y: f"{y:.0f}" if pd.notna(y) else "") + ")"
    take(hit, "maximising_progress", fails + year_text)

    # 3. inconsistent results
    inc = s.inconsistent
    hit = ((frame["rwm_count"] >= inc.min_years) & (frame["rwm_std"] >= inc.rwm_sd_at_least)).to_numpy(bool)
    text = (
        "RWM varied by a standard deviation of "
        + frame["rwm_std"].map("{:.0f}".format)
        + " points over "
        + frame["rwm_count"].map("{:.0f}".format)
        + " years ("
        + frame["rwm_min"].map("{:.0f}".format)
        + "% to "
        + frame["rwm_max"].map("{:.0f}".format)
        + "%)"
    )
    take(hit, "inconsistent", text)

    # 5. great (before 4: good_to_great takes the rest)
    gr = s.great
    mean_prog = frame[list(PROGRESS_NAMES)].mean(axis=1, skipna=False)
    results_ok = (frame["rwm_exp"] >= gr.rwm_at_least).to_numpy(dtype=bool, copy=True)
    if gr.mean_progress_at_least is not None:
        results_ok &= (mean_prog.isna() | (mean_prog >= gr.mean_progress_at_least)).to_numpy(bool)
    ofsted_ok = frame[gr.or_ofsted].to_numpy(dtype=bool) if gr.or_ofsted != "none" else np.zeros(n, bool)
    words = {"outstanding": "Ofsted outstanding or equivalent", "good_or_better": "Ofsted good or better"}
    text = pd.Series(np.where(results_ok, "RWM " + pct, ""), index=frame.index)
    text = text + np.where(results_ok & ofsted_ok, "; ", "") + np.where(ofsted_ok, words.get(gr.or_ofsted, ""), "")
    take(results_ok | ofsted_ok, "great", text)

    # 4. good, capable of becoming great: everything else
    take(np.ones(n, bool), "good_to_great", "none of the criteria above (RWM " + pct + ")")

    labels = {key: getattr(s, key).label for key in ORDER}
    out = frame.assign(strand=strand, why=why)
    out["label"] = out["strand"].map(labels)
    return out


def _no_la_data(area: areas.Area, year: int) -> str:
    return (
        f"no schools with KS2 RWM results for {area.label} in {year}; years with them: "
        f"{coverage.describe(coverage.la_years(area.code))}"
    )


@cached_on("school_results", "schools", "ofsted", "census", "areas", maxsize=16, persist=True)
def england(
    year: int,
    strand_rules_file: str | Path | None = None,
    local_rule_file: str | Path | None = None,
    frameworks_file: str | None = None,
) -> pd.DataFrame:
    """Every school in England with its strand (the shares an LA is set against)."""
    rules = load_rules(strand_rules_file)
    frame = school_inputs(year, rules, local_rule_file, frameworks_file)
    out = assign_frame(frame, rules)
    out.attrs.update(frame.attrs)
    return out


def _england_and_la(
    la_code: int | str,
    year: int,
    strand_rules_file: str | Path | None,
    local_rule_file: str | Path | None,
    frameworks_file: str | None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every school in England with its strand, and the LA's own rows of it (a NoDataError when it has none)."""
    area = areas.require_la(la_code)
    everyone = england(year, strand_rules_file, local_rule_file, frameworks_file)
    la = everyone[everyone["la_code"] == area.code]
    if la.empty:
        raise NoDataError(_no_la_data(area, year))
    return everyone, la


def assign(
    la_code: int | str,
    year: int,
    strand_rules_file: str | Path | None = None,
    local_rule_file: str | Path | None = None,
    frameworks_file: str | None = None,
) -> pd.DataFrame:
    """Each of the LA's schools with its strand and why, in strand order; with the inputs other analyses choose
    by too (latest inspection good or better, the spread of its RWM results over the years)."""
    everyone, out = _england_and_la(la_code, year, strand_rules_file, local_rule_file, frameworks_file)
    order = {k: i for i, k in enumerate(TABLE_ORDER)}
    cols = ["school_name", "rwm_exp", "strand", "label", "why", "below_floor", "in_category", "good_or_better",
            "rwm_count", "rwm_std"]  # fmt: skip
    result = out.reset_index().loc[:, ["urn", *cols]]
    result = result.sort_values(["strand", "urn"], key=lambda c: c.map(order) if c.name == "strand" else c)
    result = result.reset_index(drop=True)
    result.attrs.update(everyone.attrs)
    return result


def strand_table(
    la_code: int | str,
    year: int,
    strand_rules_file: str | Path | None = None,
    local_rule_file: str | Path | None = None,
    frameworks_file: str | None = None,
) -> pd.DataFrame:
    """Counts and shares per strand for the LA, with England's shares (the Sefton and Derby form)."""
    rules = load_rules(strand_rules_file)
    everyone, la = _england_and_la(la_code, year, strand_rules_file, local_rule_file, frameworks_file)
    rows = []
    for i, key in enumerate(TABLE_ORDER, start=1):
        n_la, n_en = int((la["strand"] == key).sum()), int((everyone["strand"] == key).sum())
        rows.append(
            {
                "number": i,
                "strand": key,
                "label": getattr(rules.strands, key).label,
                "la_schools": n_la,
                "la_share": safe_share(n_la, len(la)),
                "england_schools": n_en,
                "england_share": safe_share(n_en, len(everyone)),
            }
        )
    table = pd.DataFrame(rows)
    table["number"] = table["number"].astype("Int64")
    table.attrs.update(everyone.attrs)
    return table


def headline(la_code: int | str, year: int, strand_rules_file: str | Path | None = None, **kwargs) -> dict[str, int]:
    """Schools per strand key, plus ``all``."""
    table = strand_table(la_code, year, strand_rules_file, **kwargs)
    out = {row.strand: int(row.la_schools) for row in table.itertuples()}
    out["all"] = int(table["la_schools"].sum())
    return out
