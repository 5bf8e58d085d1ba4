"""The floor-standard report: the rule of the year in words, the schools below it and how far, the schools that
pass by a small margin, the schools below for several years, the council among all councils, and the count over
the years. Figures from :mod:`ks2workbook.analyses.floor` through the pack's facts.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..analyses import progress
from ..analyses.floor import NEAR_ATTAINMENT, NEAR_PROGRESS
from ..analyses.pack import PackFacts
from ..core.formats import count, fmt_int, fmt_pct, fmt_signed, missing
from ..core.world import NO_TEST_YEARS
from ..rules.floor import AppliedRule, latest_national_rule
from . import page, style

WHAT = (
    "Which of the council's primary schools are below the floor standard of the year, and by how much each misses "
    "or clears each test; the schools that pass by a small margin; schools below for several years running; how "
    "the council's share of schools below the floor compares with every council in England and with its "
    "statistical neighbours; and the count over the years."
)
GLOSSARY = (
    "Floor standard",
    "Local floor",
    "Near miss",
    "Expected standard",
    "Progress score",
    "Statistical neighbours",
    "Rank",
    "Cohort",
    "Suppressed",
)

SUBJECT_NAMES = {"read_prog": "Reading", "writ_prog": "Writing", "mat_prog": "Maths"}


def rule_words(applied: AppliedRule) -> str:
    """Which rule is applied, where it comes from and who it covers, in words (no file names)."""
    rule = applied.rule
    elig = rule.eligibility
    who = "state-funded mainstream primary schools"
    who += (
        f" with at least {elig.min_cohort} pupils taking the tests"
        if elig.min_cohort
        else " (every size: the year's file publishes no cohort)"
    )
    who += ", open in September of the test year." if elig.exclude_closed else "."
    kind = "the council's local floor" if applied.kind == "local" else f"the national floor for {rule.year}"
    source = f" Source: {rule.source}." if rule.source else ""
    return f"The rule applied is {kind}: {rule.label}.{source} It covers {who}"


@page.section("The rule and the headline")
def section_rule(facts: PackFacts) -> list:
    f = facts.floor
    if not f.ok:
        out = [page.missing_part(f"The floor in {facts.year}", f.reason)]
        h = facts.floor_history
        if h.ok:
            years = ", ".join(str(int(y)) for y in h["counts"]["year"])
            out.append(page.say(f"The chart at the end shows the years that have a floor ({years})."))
        return out
    head = f["head"]
    near_text = near_miss_words(f["rule"])
    return [
        page.say(rule_words(f["rule"])),
        page.cards(
            [
                ("floor_below", fmt_int(head["below_floor"]), f"schools below the floor in {facts.year}"),
                ("", fmt_int(head["assessed"]), "schools assessed against it"),
                ("floor_near", fmt_int(head["near_miss"]), f"near misses: above the floor, {near_text}"),
                (
                    "floor_persistent",
                    fmt_int(head["persistent_below"]),
                    f"below in each of the last {head['persistence_years']} years with a rule",
                ),
            ]
        ),
        page.takeaway(*headline_parts(facts)),
    ]


def headline_parts(facts: PackFacts) -> list[str]:
    head, name = facts.floor["head"], facts.area.name
    reg = head["region_share_below"]
    region = f" and {fmt_pct(reg, 1)} in {facts.area.region}" if not missing(reg) and facts.area.region else ""
    parts = [
        page.fact("floor_below", fmt_int(head["below_floor"])),
        page.esc(
            f" of the {count(head['assessed'], 'school')} assessed in {name} were below the floor in {head['year']} ("
        ),
        page.fact("floor_share", fmt_pct(head["share_below"], 1)),
        page.esc(f"), against {fmt_pct(head['england_share_below'], 1)} in England{region}."),
    ]
    if head["league_rank"] is not None:
        parts.append(
            page.esc(
                f" {name} ranks {head['league_rank']} of {head['league_of']} councils with schools "
                "assessed (1 = the smallest share below the floor)."
            )
        )
    if head["not_assessable"]:
        n = head["not_assessable"]
        parts.append(
            page.esc(
                f" {n} school{'s' if n != 1 else ''} could not be assessed (a figure the verdict "
                "depends on is suppressed or missing) and count neither above nor below."
            )
        )
    return parts


def near_miss_words(applied: AppliedRule) -> str:
    if applied.rule.progress is None:
        return f"less than {NEAR_ATTAINMENT:g} points above the attainment test"
    return f"within {NEAR_ATTAINMENT:g} points of the attainment test and {NEAR_PROGRESS:g} point of a progress bar"


def school_table(table: pd.DataFrame, applied: AppliedRule) -> pd.DataFrame:
    """Schools with their figures and margins (a negative margin fails that test), for people."""
    out = pd.DataFrame({"School": table["school_name"].fillna("name not published")})
    if "cohort" in table and table["cohort"].notna().any():
        out["Pupils"] = [fmt_int(v) for v in table["cohort"]]
    out["RWM at the expected standard"] = [fmt_pct(v) for v in table["rwm_exp"]]
    out["Margin on the attainment test (pts)"] = [fmt_signed(v, 0) for v in table["attainment_margin"]]
    if applied.rule.progress is not None:
        for col, name in SUBJECT_NAMES.items():
            if f"{col}_margin" in table:
                out[f"{name} progress"] = [fmt_signed(v, 1) for v in table[col]]
        out["Margin on the progress test"] = [fmt_signed(v, 1) for v in table["progress_margin"]]
    return out


@page.section("Schools below the floor", part="floor")
def section_below(facts: PackFacts) -> list:
    f = facts.floor
    if not f.ok:
        return []
    below = f["below"]
    table = school_table(below, f["rule"])
    return [
        page.table(
            table,
            f"Schools below the floor in {facts.year}, with their margins",
            empty=f"No school in {facts.area.name} was below the floor in {facts.year}.",
            numeric=list(table.columns[1:]),
        ),
        page.say(
            "A margin is the school's figure minus the bar, in points: below zero fails that test. A school is "
            "below the floor only when it fails every test of the rule."
        ),
    ]


@page.section("Near misses", part="floor", intro="Above the floor, but passing one of its tests by a small margin.")
def section_near(facts: PackFacts) -> list:
    f = facts.floor
    if not f.ok:
        return []
    near, applied = f["near"], f["rule"]
    table = school_table(near, applied)
    if applied.rule.progress is not None and not near.empty:
        table["Why it is above the floor"] = [
            (
                f"passes the progress test by {p:.1f} points"
                if a < 0
                else f"passes the attainment test by {a:.0f} points and progress by {p:.1f}"
            )
            for a, p in zip(near["attainment_margin"], near["progress_margin"], strict=True)
        ]
    return [
        page.table(
            table,
            f"Near misses in {facts.year}: above the floor, {near_miss_words(applied)}",
            empty=f"No school in {facts.area.name} passed the floor by so small a margin in {facts.year}.",
            numeric=[c for c in table.columns[1:] if c != "Why it is above the floor"],
        ),
        page.takeaway(
            page.esc(
                "these schools pass because one test is passed by a small margin; with year groups "
                "of about 30 pupils, one or two pupils could take them below next year."
            )
        ),
    ]


@page.section("Below the floor year after year", part="floor")
def section_persistent(facts: PackFacts) -> list:
    f = facts.floor
    if not f.ok:
        return []
    pers = f["persistent"]
    n = f["head"]["persistence_years"]
    shown = pd.DataFrame(
        {
            "School": pers["school_name"],
            "Years in a row": pers["consecutive_years"].map(fmt_int) if len(pers) else [],
            "Run": pers["run_years"] if len(pers) else [],
            "Years below in all": pers["years_below"].map(fmt_int) if len(pers) else [],
        }
    )
    out = [
        page.table(
            shown,
            f"Schools below the floor in each of the last {n} or more years with a rule",
            empty=f"No school in {facts.area.name} was below the floor in each of the last {n} years "
            f"with a rule, up to {facts.year}.",
            numeric=["Years in a row", "Years below in all"],
        )
    ]
    if len(pers) and pers["run_years"].str.contains("2018-20").any():
        out.append(
            page.note(
                "A run that crosses 2018 joins the national floor (to 2018) and the council's local "
                "floor (from 2023): different tests."
            )
        )
    return out


def plot_league(lg: pd.DataFrame, la_name: str, year: int):
    """Every council's share of schools below the floor, smallest first; this council and its neighbours marked."""
    ranked = lg[lg["share_below"].notna()].sort_values("share_below", kind="stable").reset_index(drop=True)
    fig, ax = style.new_axes(
        f"Share of schools below the floor, every council, {year}",
        "Councils, smallest share first",
        "% of assessed schools below the floor",
        figsize=(10, 4.5),
    )
    colours = np.where(
        ranked["is_la"],
        style.ROLE_COLOURS["la"],
        np.where(ranked["is_neighbour"], style.ROLE_COLOURS["neighbours"], "#CCCCCC"),
    )
    ax.bar(ranked.index, ranked["share_below"], color=colours, width=0.9)
    ax.set_xticks([])
    ax.set_ylim(0, max(float(ranked["share_below"].max()) * 1.1, 5))
    from matplotlib.patches import Patch

    ax.legend(
        handles=[
            Patch(color=style.ROLE_COLOURS["la"], label=la_name),
            Patch(color=style.ROLE_COLOURS["neighbours"], label="Statistical neighbours"),
            Patch(color="#CCCCCC", label="Other councils"),
        ],
        loc="upper left",
    )
    return fig


@page.section(
    "Every council in England",
    part="floor",
    intro="The share of each council's schools below the floor, with this council and its neighbours marked.",
)
def section_league(facts: PackFacts) -> list:
    f = facts.floor
    if not f.ok:
        return []
    lg, name = f["league"], facts.area.name
    group = lg[lg["is_la"] | lg["is_neighbour"]].sort_values("share_below", na_position="last")
    shown = pd.DataFrame(
        {
            "Council": group["name"],
            "Rank": [
                ("–" if pd.isna(r) else f"{int(r)} of {int(o)}")
                for r, o in zip(group["rank"], group["of"], strict=True)
            ],
            "Schools assessed": group["assessed"].map(fmt_int),
            "Below the floor": group["below_floor"].map(fmt_int),
            "Share below": group["share_below"].map(lambda v: fmt_pct(v, 1)),
        }
    )
    me = group[group["is_la"]].iloc[0]
    nb = group[~group["is_la"]]
    better = int((nb["share_below"] < me["share_below"]).sum())
    return [
        plot_league(lg, name, facts.year),
        page.table(
            shown,
            f"{name} and its statistical neighbours, {facts.year}",
            empty="No councils.",
            numeric=list(shown.columns[1:]),
            highlight=group["is_la"],
        ),
        page.takeaway(
            page.esc(
                f"{better} of {name}'s {count(len(nb), 'statistical neighbour')} had a smaller share of "
                f"schools below the floor in {facts.year}. Small numbers move these shares: one "
                "school in 50 is 2 points."
            )
        ),
    ]


def plot_counts(counts: pd.DataFrame, title: str):
    """Schools below the floor by year, national and local rules coloured apart; no tests shaded; from zero."""
    fig, ax = style.new_axes(title, "Year of the KS2 tests", "Schools below the floor")
    colour = {"national": style.ROLE_COLOURS["la"], "local": style.ROLE_COLOURS["neutral"]}
    ax.bar(counts["year"], counts["below_floor"], color=[colour[k] for k in counts["rule_kind"]], width=0.7)
    for y, v in zip(counts["year"], counts["below_floor"], strict=True):
        ax.annotate(str(int(v)), (y, v), ha="center", va="bottom", fontsize=10)
    years = list(range(int(counts["year"].min()), int(counts["year"].max()) + 1))
    style.year_axis(ax, years)
    top = max(int(counts["below_floor"].max()), 1)
    ax.set_ylim(0, top * 1.3)
    style.shade_gap_years(ax, [y for y in NO_TEST_YEARS if y in years])
    for y in years:
        if y not in set(counts["year"]) and y not in NO_TEST_YEARS:
            ax.text(y, top * 0.02, "no floor\nor no data", ha="center", va="bottom", fontsize=8, color="#555555")
    from matplotlib.patches import Patch

    kinds = list(dict.fromkeys(counts["rule_kind"]))
    names = {"national": "national floor", "local": "the council's local floor"}
    ax.legend(handles=[Patch(color=colour[k], label=names[k]) for k in kinds], loc="upper left")
    return fig


@page.section("Schools below the floor over the years", part="floor_history", say_missing=True)
def section_counts(facts: PackFacts) -> list:
    h = facts.floor_history
    if not h.ok:
        return [page.missing_part("Schools below the floor over the years", h.reason)]
    counts = h["counts"]
    text = (
        "each bar counts the schools below that year's own rule, so a change of rule (2018 added a test of "
        "significance) moves the count as well as the schools do."
    )
    if (counts["rule_kind"] == "local").any():
        text += " The years after 2018 use the council's local floor, not a national one."
    else:
        text += " There is no national floor after 2018; a council's local floor would add those years."
    return [plot_counts(counts, f"{facts.area.name}: schools below the floor by year"), page.takeaway(page.esc(text))]


def section_method(facts: PackFacts) -> list:
    year = facts.year if facts.floor.ok else latest_national_rule().year
    sds = {s: progress.spread(year, s) for s in progress.SUBJECTS}
    lines = [
        "Not assessable: a missing or suppressed figure that could change the verdict; such a school is never "
        "counted as above the floor. A school whose known figures settle the verdict is assessed even if another "
        "figure is missing.",
        "2018's test of significance: a school failing progress in one subject only is below the floor only if "
        "that score is clearly below 0 (its upper confidence limit below 0). Where the limits are not published "
        f"they are rebuilt as the DfE does, from the pupil-level spread (reading {sds['read'][0]:.2f}, writing "
        f"{sds['writ'][0]:.2f}, maths {sds['mat'][0]:.2f}) and the pupils in the measure.",
        "Closed schools (closed before September of the test year) are left out.",
        "The national counts below the floor that this method gives are checked against the DfE's published "
        "counts for 2016 to 2018.",
    ]
    return [page.details("How the figures are made", page.bullets(lines))]
