"""The trends report: the LA's results over time against its region, England and its neighbours; subjects; how
widely its schools differ; the disadvantaged gap. Charts, tables and one-line readings, from the pack's facts.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..analyses.pack import PackFacts
from ..core.formats import count, fmt_int, fmt_pct, fmt_points, missing
from ..core.world import NO_TEST_YEARS
from ..rules import pack as pack_rules
from . import page, style

WHAT = (
    "How the council's pupils do at the end of primary school (Key Stage 2, age 11) over the years: the share "
    "meeting the expected standard in reading, writing and maths against the region, England and similar "
    "councils; each subject; how widely the council's schools differ; and the gap between disadvantaged pupils "
    "and the rest. No tests were sat in 2020 and 2021: those years show as a gap."
)
GLOSSARY = (
    "Key Stage 2 (KS2)",
    "Expected standard",
    "Higher standard",
    "Statistical neighbours",
    "Disadvantaged pupils",
    "Cohort",
    "Suppressed",
    "Small numbers",
    "LAIT",
)


def headline_sentence(facts: PackFacts) -> list[str]:
    """The headline in one sentence (the same words and figures as the cabinet summary's)."""
    h, name = facts.headline, facts.area.name
    if not h.ok:
        return [page.esc(f"No headline figure: {h.reason}.")]
    parts = [
        page.fact("headline_pct", fmt_pct(h["value"])),
        page.esc(f" of {name}'s pupils met the expected standard in reading, writing and maths in {h['year']}"),
    ]
    if not missing(h["change"]) and h["previous_year"]:
        parts.append(page.esc(f" ({fmt_points(h['change'])} on {h['previous_year']})"))
    parts.append(page.esc("; England: "))
    parts.append(page.fact("england_pct", fmt_pct(h["england"])))
    parts.append(page.esc("; the average of its statistical neighbours: "))
    parts.append(page.fact("sn_average_pct", fmt_pct(h["sn_average"], 1)))
    parts.append(page.esc("."))
    return parts


def plot_comparison(frame: pd.DataFrame, title: str, ylabel: str):
    """Lines for the LA, region, England and neighbours, with a shaded gap for 2020-21 (axis from 0 to 100: a
    share of pupils)."""
    fig, ax = style.new_axes(title, "Year of the KS2 tests (summer)", ylabel)
    roles = ["la", "region", "england", "neighbours"]
    if len(frame.columns) == 3:  # no region (an LA without one)
        roles = ["la", "england", "neighbours"]
    for (name, series), role in zip(frame.items(), roles, strict=False):
        ax.plot(
            series.index,
            series.to_numpy(),
            marker="o",
            lw=2.5 if role == "la" else 1.6,
            color=style.ROLE_COLOURS[role],
            label=name,
            linestyle=style.ROLE_LINESTYLE[role],
            zorder=style.ROLE_LAYER[role],
        )
    style.year_axis(ax, list(frame.index))
    ax.set_ylim(0, 100)
    style.shade_gap_years(ax, [y for y in NO_TEST_YEARS if y in frame.index])
    style.key(ax, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return fig


@page.section(
    "The headline against the region, England and similar councils",
    part="trends",
    intro="The share of pupils reaching the expected standard in all of reading, writing and maths: the measure "
    "the DfE and councils lead with.",
    say_missing=True,
)
def section_headline(facts: PackFacts) -> list:
    t = facts.trends
    if not t.ok:
        return [page.missing_part("The trend", t.reason)]
    frame = t["comparison"]
    name = facts.area.name
    fig = plot_comparison(
        frame, f"{name}: % of pupils at the expected standard in reading, writing and maths", "% of pupils"
    )
    held = frame.dropna(how="all")
    shown = held.T.map(fmt_pct) if hasattr(held.T, "map") else held.T.applymap(fmt_pct)
    shown.columns = [str(c) for c in shown.columns]
    shown.insert(0, "", shown.index)
    return [
        fig,
        page.takeaway(*headline_sentence(facts)),
        page.created_note(facts),
        page.table(
            shown,
            "% of pupils at the expected standard in reading, writing and maths, by year",
            empty="No figures published.",
            numeric=list(shown.columns[1:]),
            collapsible="The figures behind the chart",
        ),
    ]


def plot_subjects(table: pd.DataFrame, area_name: str):
    """Small multiples: one panel per subject, LA against England, each from 0 to 100."""
    subjects = list(dict.fromkeys(table["subject"]))
    ncols = 3
    nrows = -(-len(subjects) // ncols)
    fig, axes = style.new_grid(nrows, ncols, figsize=(10, 3.3 * nrows), sharex=True, sharey=True)
    flat = axes.ravel()
    for ax in flat[len(subjects) :]:
        ax.set_visible(False)
    years = sorted(table["year"].unique())
    for ax, subject in zip(flat, subjects, strict=False):
        part = table[table["subject"] == subject]
        for who, role in ((area_name, "la"), ("England", "england")):
            line = part[part["area"] == who]
            ax.plot(line["year"], line["value"], marker="o", color=style.ROLE_COLOURS[role], label=who)
        ax.set_title(style.wrap(subject, 32), fontsize=10, loc="left")
        ax.set_xlabel("Year")
        ax.set_ylabel("% of pupils")
    # The panels share their axes (set once, on the first): every subject over the same years, from 0 to 100.
    flat[0].set_ylim(0, 100)
    flat[0].set_xticks([y for y in years if y % 2 == 0 or len(years) < 6])
    for ax in flat[: len(subjects)]:
        style.shade_gap_years(ax, [y for y in NO_TEST_YEARS if y in years], label="")
    style.label_outer(axes)
    flat[0].legend(loc="lower left", fontsize=9)
    fig.suptitle(
        f"{area_name} and England by subject (% at the expected standard)", x=0.01, ha="left", fontweight="bold"
    )
    return fig


@page.section(
    "Subjects and the higher standard",
    part="trends",
    intro="Each subject against England: where the headline is held back.",
)
def section_subjects(facts: PackFacts) -> list:
    t = facts.trends
    if not t.ok:
        return [page.missing_part("Subjects", t.reason)]
    subjects, name = t["subjects"], facts.area.name
    latest = subjects.dropna(subset=["value"])
    if latest.empty:
        return [page.say("No subject figures are published for this council.")]
    year = int(latest["year"].max())
    wide = latest[latest["year"] == year].pivot(index="subject", columns="area", values="value")
    if name not in wide or wide[name].isna().all():
        return [plot_subjects(subjects, name), page.say(f"{name}'s subject figures for {year} are not published.")]
    wide["gap"] = wide[name] - wide["England"]
    weakest = wide["gap"].idxmin()
    return [
        plot_subjects(subjects, name),
        page.takeaway(
            page.esc(f"in {year} the subject furthest behind England (or least ahead) was "),
            page.bold(weakest),
            page.esc(f" ({fmt_points(wide.loc[weakest, 'gap'])})."),
        ),
    ]


def plot_school_spread(dots: pd.DataFrame, years: list[int], area_name: str, la_value: pd.Series | None, small: int):
    """Each school a dot (size = pupils where published; hollow = fewer than ``small`` pupils), every year on the
    axis, years with no school results said on the chart."""
    fig, ax = style.new_axes(
        f"{area_name}: every school's result, year by year",
        "Year of the KS2 tests",
        "% of pupils at the expected standard (RWM)",
        figsize=(9, 5),
    )
    rng = np.random.default_rng(0)  # fixed jitter: the same report every run
    sizes = dots["cohort"].fillna(30).clip(lower=5) * 1.5
    x = dots["year"] + rng.uniform(-0.25, 0.25, len(dots))
    few = dots["cohort"] < small
    colour = style.ROLE_COLOURS["la"]
    ax.scatter(
        x[~few],
        dots.loc[~few, "rwm_exp"],
        s=sizes[~few],
        alpha=0.45,
        color=colour,
        edgecolor="white",
        lw=0.5,
        label="a school",
    )
    if few.any():
        ax.scatter(
            x[few],
            dots.loc[few, "rwm_exp"],
            s=sizes[few],
            facecolor="none",
            edgecolor=colour,
            lw=1,
            label=f"a school with fewer than {small} pupils",
        )
    if la_value is not None:
        ax.plot(
            la_value.index,
            la_value.to_numpy(),
            marker="_",
            markersize=30,
            lw=0,
            mew=3,
            color=style.ROLE_COLOURS["highlight"],
            label=f"{area_name} overall",
        )
    style.year_axis(ax, years)
    ax.set_ylim(0, 102)
    held = set(dots["year"])
    # The years without tests shaded as on every other chart; a year with tests but no school file held said
    # upright in its own column (side by side, the labels of neighbouring years ran into each other).
    style.shade_gap_years(ax, [y for y in NO_TEST_YEARS if y in years and y not in held])
    for y in years:
        if y not in held and y not in NO_TEST_YEARS:
            ax.text(y, 50, "no school results", ha="center", va="center", rotation=90, fontsize=8, color="#555555")
    style.key(ax, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return fig


@page.section(
    "How widely the council's schools differ",
    part="trends",
    intro="Each dot is one school; larger dots are larger year groups where the file publishes them. The thick "
    "orange-red dash, where the DfE publishes it, is the council as a whole.",
)
def section_spread(facts: PackFacts) -> list:
    t = facts.trends
    if not t.ok:
        return [page.missing_part("How widely the schools differ", t.reason)]
    dots, name = t["spread"], facts.area.name
    if dots.empty:
        return [page.say("No school-level results are published for this council's schools in these years.")]
    small = pack_rules.defaults().small_cohort
    years = list(range(t["first_year"], t["last_year"] + 1))
    la_line = t["comparison"][name]
    last = int(dots["year"].max())
    now = dots[dots["year"] == last]["rwm_exp"]
    q1, q3 = now.quantile(0.25), now.quantile(0.75)
    if len(now) < 4:
        results = ", ".join(fmt_pct(v) for v in sorted(now))
        text = f"in {last}, the council's {count(len(now), 'school')} with a published result had {results}."
    else:
        text = (
            f"in {last}, half of the {fmt_int(len(now))} schools with a published result were between "
            f"{fmt_pct(q1)} and {fmt_pct(q3)}; the lowest was {fmt_pct(now.min())} and the highest "
            f"{fmt_pct(now.max())}."
        )
    text += " In a school of 30 pupils one pupil is 3 points, so small schools swing from year to year."
    out = [plot_school_spread(dots, years, name, la_line, small), page.takeaway(page.esc(text))]
    if dots["cohort"].isna().any():
        out.append(
            page.note(
                "Dot sizes show the number of pupils only where the file publishes it (2016 to 2018); "
                "other years' dots are all one size."
            )
        )
    return out


def plot_gap(gap: pd.DataFrame, area_name: str):
    """The disadvantaged gap (points) for the LA and England over time, from zero."""
    fig, ax = style.new_axes(
        "Points between other pupils and disadvantaged pupils (RWM expected standard)",
        "Year of the KS2 tests",
        "Gap (points; higher = wider)",
    )
    for who, role in ((area_name, "la"), ("England", "england")):
        line = gap[gap["area"] == who]
        ax.plot(line["year"], line["gap"], marker="o", color=style.ROLE_COLOURS[role], label=who)
    years = sorted(gap["year"].unique())
    style.year_axis(ax, years)
    top = np.nanmax(gap["gap"].to_numpy(dtype=float)) if gap["gap"].notna().any() else 10
    ax.set_ylim(0, max(top * 1.15, 10))
    style.shade_gap_years(ax, [y for y in NO_TEST_YEARS if y in years])
    ax.legend(loc="upper left")
    return fig


@page.section(
    "The disadvantaged gap",
    part="trends",
    intro="How far disadvantaged pupils are behind the others, in points, against the same gap in England.",
)
def section_gap(facts: PackFacts) -> list:
    t = facts.trends
    if not t.ok:
        return [page.missing_part("The disadvantaged gap", t.reason)]
    gap, name = t["gap"], facts.area.name
    mine = gap[gap["area"] == name].dropna(subset=["gap"])
    if mine.empty:
        return [page.say(f"The figures for disadvantaged pupils are not published for {name} in these years.")]
    eng = gap[gap["area"] == "England"].set_index("year")["gap"]
    y, g = int(mine["year"].iloc[-1]), float(mine["gap"].iloc[-1])
    out = [
        plot_gap(gap, name),
        page.takeaway(
            page.esc(
                f"in {y} disadvantaged pupils in {name} were {g:.0f} points behind other pupils (England: "
                f"{eng.get(y, float('nan')):.0f} points)."
            )
        ),
    ]
    pupils = t.get("disadvantaged_pupils")
    if pupils is not None and not missing(pupils) and pupils < 100:
        out.append(
            page.note(
                f"Small numbers: about {fmt_int(pupils)} disadvantaged pupils take the tests each year in {name}, "
                f"so one pupil moves their figure by about {100 / max(pupils, 1):.0f} points; read year-to-year "
                "changes with care."
            )
        )
    return out


def section_data(facts: PackFacts) -> list:
    d = facts.data
    if not d.ok:
        return [page.about_the_data(facts)]
    cov = d["coverage"]
    shown = pd.DataFrame(
        {
            "Year": cov["year"].astype(str),
            "Schools in the results files": cov["schools"].map(fmt_int),
            "with a published RWM result": cov["with_rwm"].map(fmt_int),
            "with progress scores": cov["with_progress"].map(fmt_int),
        }
    )
    table = page.table(
        shown,
        f"{facts.area.name}'s schools in the school-level results, by year",
        empty="No school-level results for this council.",
        numeric=list(shown.columns[1:]),
    )
    return [page.about_the_data(facts), table]
