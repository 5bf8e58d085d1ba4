"""Floor-standard views: the rule and headline in words, school tables for people, the league and counts charts.

The figures come from :mod:`ks2workbook.analyses.floor`; this module formats, draws and words them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..analyses import progress
from ..analyses.floor import NEAR_ATTAINMENT, NEAR_PROGRESS
from ..rules.floor import AppliedRule


def plot_counts(counts: pd.DataFrame, title: str):
    """Bar chart of the count below the floor by year; national and local rules coloured apart; COVID gap shaded."""
    from .style import ROLE_COLOURS, new_axes, shade_gap_years, year_axis

    fig, ax = new_axes(title, "KS2 year", "Schools below the floor")
    colours = [ROLE_COLOURS["la"] if k == "national" else ROLE_COLOURS["neutral"] for k in counts["rule_kind"]]
    ax.bar(counts["year"], counts["below_floor"], color=colours, width=0.7)
    for y, v in zip(counts["year"], counts["below_floor"], strict=True):
        ax.annotate(str(v), (y, v), ha="center", va="bottom", fontsize=10)
    years = list(range(int(counts["year"].min()), int(counts["year"].max()) + 1)) if len(counts) else []
    year_axis(ax, years)
    top = max(int(counts["below_floor"].max()), 1) if len(counts) else 1
    ax.set_ylim(0, top * 1.3)
    if any(y in (2020, 2021) for y in years):
        shade_gap_years(ax)
    for y in years:
        if y not in set(counts["year"]) and y not in (2020, 2021):
            ax.text(y, top * 0.02, "no rule\nor data", ha="center", va="bottom", fontsize=8, color="#555555")
    from matplotlib.patches import Patch

    kinds = list(dict.fromkeys(counts["rule_kind"]))
    ax.legend(
        handles=[
            Patch(color=ROLE_COLOURS["la"] if k == "national" else ROLE_COLOURS["neutral"], label=f"{k} rule")
            for k in kinds
        ],
        loc="upper left",
        ncol=2,
    )
    return fig, ax


def _signed(value: float, decimals: int = 1) -> str:
    return "–" if pd.isna(value) else f"{value:+.{decimals}f}"


def presentable(table: pd.DataFrame) -> pd.DataFrame:
    """A school table with people-friendly columns: RWM as 57%, margins as signed points, missing as a dash."""
    from .style import fmt_int, fmt_pct

    out = pd.DataFrame(
        {
            "School": table["school_name"].fillna("(name not known)"),
            "URN": [str(int(u)) if pd.notna(u) else "–" for u in table["urn"]],
        }
    )
    if "cohort" in table and table["cohort"].notna().any():
        out["Pupils"] = [fmt_int(v) for v in table["cohort"]]
    att = next(c for c in ("rwm_exp", "read_exp", "mat_exp") if c in table)
    out["RWM expected"] = [fmt_pct(v) for v in table[att]]
    out["Attainment margin (pts)"] = [_signed(v, 0) for v in table["attainment_margin"]]
    labels = {"read_prog": "Reading", "writ_prog": "Writing", "mat_prog": "Maths"}
    for m, name in labels.items():
        if f"{m}_margin" in table:
            out[f"{name} progress"] = [_signed(v) for v in table[m]]
            out[f"{name} margin"] = [_signed(v) for v in table[f"{m}_margin"]]
    if "read_prog_upper" in table:
        ci = table[["read_prog_ci", "writ_prog_ci", "mat_prog_ci"]]
        out["Confidence limits"] = ["published" if (r == "published").all() else "derived" for r in ci.to_numpy()]
    out["Status"] = table["status"].astype("str").to_numpy()
    return out.reset_index(drop=True)


def plot_league(lg: pd.DataFrame, la_name: str, year: int):
    """Every LA's share below the floor, sorted; this LA and its statistical neighbours highlighted."""
    from .style import ROLE_COLOURS, new_axes

    ranked = lg[lg["share_below"].notna()].sort_values("share_below", kind="stable").reset_index(drop=True)
    fig, ax = new_axes(
        f"Share of schools below the floor, all LAs, {year}",
        "LAs, lowest share first",
        "% of assessed schools below the floor",
        figsize=(10, 4.5),
    )
    colours = np.where(
        ranked["is_la"], ROLE_COLOURS["la"], np.where(ranked["is_neighbour"], ROLE_COLOURS["neighbours"], "#CCCCCC")
    )
    ax.bar(ranked.index, ranked["share_below"], color=colours, width=0.9)
    ax.set_xticks([])
    from matplotlib.patches import Patch

    ax.legend(
        handles=[
            Patch(color=ROLE_COLOURS["la"], label=la_name),
            Patch(color=ROLE_COLOURS["neighbours"], label="Statistical neighbours"),
            Patch(color="#CCCCCC", label="Other LAs"),
        ],
        loc="upper left",
    )
    return fig, ax


def rule_sentence(applied: AppliedRule) -> str:
    """Which rule was applied, where it came from and who it covers."""
    rule = applied.rule
    elig = rule.eligibility
    who = "state-funded mainstream"
    who += (
        f", at least {elig.min_cohort} pupils at the end of KS2"
        if elig.min_cohort
        else " (no cohort-size check: cohort not published for this year)"
    )
    who += ", not closed before September of the test year." if elig.exclude_closed else "."
    return (
        f"**Rule applied:** the {applied.kind} floor for {rule.year}: {rule.label}. "
        f"Source: {rule.source or 'not stated'}; read from `{applied.file}`. Eligible schools: {who}"
    )


def headline_sentence(head: dict[str, object], region: str | None) -> str:
    """The headline paragraph: count and share below, England and region, league rank, near misses."""
    from .style import fmt_pct

    reg = head["region_share_below"]
    region_text = f"{fmt_pct(reg, 1)} in {region}" if reg == reg and region else "no regional figure"
    rank_text = (
        f"ranked {head['league_rank']} of {head['league_of']} LAs (1 = lowest share below the floor)"
        if head["league_rank"] is not None
        else "not ranked (no assessed schools)"
    )
    return (
        f"In {head['year']}, **{head['below_floor']} of {head['assessed']}** assessed schools in {head['la_name']} "
        f"were below the floor (**{fmt_pct(head['share_below'], 1)}**), against "
        f"{fmt_pct(head['england_share_below'], 1)} in England and {region_text}; {head['la_name']} is {rank_text}. "
        f"{head['near_miss']} more {'was' if head['near_miss'] == 1 else 'were'} just over the line, and "
        f"{head['not_assessable']} {'school' if head['not_assessable'] == 1 else 'schools'} could not be "
        "assessed (suppressed or missing figures, or a school we cannot type): they are counted neither above nor "
        "below the floor."
    )


def near_miss_definition(applied: AppliedRule) -> str:
    if applied.rule.progress is None:
        return f"within {NEAR_ATTAINMENT:.0f} points above the attainment threshold"
    return (
        f"within {NEAR_ATTAINMENT:.0f} points of the attainment threshold (or below it) and within "
        f"{NEAR_PROGRESS:.0f} point of a progress bar (or below it)"
    )


def persistence_note(years: list[int], year: int) -> str:
    shown = ", ".join(str(y) for y in years if y <= year)
    return (
        f"Counted over the evaluated years {shown} (years with a floor rule and school-level data). Years without "
        "either (2019: no national floor and no national school attainment; 2020-2021: no tests; 2022: no "
        "school-level file) neither break nor extend a run; a year in which a school is not below the floor (or "
        "cannot be assessed) ends it. Runs that mix national and local rules mix different tests."
    )


def counts_note(counts: pd.DataFrame, local_rule_file: str | Path | None) -> str:
    local_years = [str(int(y)) for y in counts.loc[counts["rule_kind"] == "local", "year"]]
    text = (
        "Bars are counts under each year's own rule, so a change of rule (2018's significance test) moves the "
        "count as well as the schools do. "
    )
    if local_years:
        return (
            text + f"Years {', '.join(local_years)} use the local rule from `{local_rule_file}`, not a national floor."
        )
    return (
        text + "Years after 2018 are not shown: there is no national floor then (pass a local rule file to add them)."
    )


def method_notes(year: int) -> str:
    sds = {s: progress.spread(year, s) for s in progress.SUBJECTS}
    coverage = sds["read"][1]
    return (
        "- **Not assessable** means a missing or suppressed figure that could change the verdict, or an unknown "
        "cohort size or school type; such schools are never counted as above the floor. A school whose known "
        "figures settle the verdict (for example 80% at the expected standard) is assessed even if another figure "
        "is missing.\n"
        "- **2018 significance test.** A school failing progress in one subject only is below the floor only if "
        "that score is significantly below 0 (upper confidence limit below 0). The DfE publishes the limits; our "
        "national file lacks them, so outside Hampshire and Surrey we derive them as the DfE does: score ± 1.96 × "
        "national pupil-level SD ÷ √(pupils in the measure), with SDs of reading "
        f"{sds['read'][0]:.2f}, writing {sds['writ'][0]:.2f} and maths {sds['mat'][0]:.2f} (backed out of the "
        f"published limits) and pupils = cohort × {coverage:.2f}. Against the published limits "
        "the derived ones agree on 'significantly below 0' for about 99% of schools. In practice the condition "
        "changes no verdict in 2018: with 11 or more pupils the confidence interval is at most about ±3.6 points, "
        "so a score below a -5 or -7 bar is always significantly below 0.\n"
        "- **Eligibility**: closed schools are those closed before September of the test year; schools we cannot "
        "type (not in the 2017-18 school list or, for 2024-2025, not matched to a URN by name) are not assessable.\n"
        "- National counts below the floor, ours against the DfE's published counts, are in the README."
    )
