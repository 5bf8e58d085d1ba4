"""Trend views: the comparison, subject, school-spread and disadvantaged-gap charts, and their one-line readings.

The series come from :mod:`ks2workbook.analyses.trends`; every chart is drawn in the one style of
:mod:`ks2workbook.views.style`, titled and labelled, with the years without tests shaded.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ..core.world import NO_TEST_YEARS
from . import style


def change_sentence(frame: pd.DataFrame, la_name: str) -> str:
    """One line of interpretation for the headline chart: latest value, change since the previous year with
    data, and the gap to England."""
    la = frame[la_name].dropna()
    eng = frame["England"]
    if la.empty:
        return f"No published values for {la_name} in these years."
    last_year, last = int(la.index[-1]), float(la.iloc[-1])
    text = f"In {last_year}, {style.fmt_pct(last)} of {la_name}'s pupils met the measure"
    if len(la) > 1:
        text += f" ({style.fmt_points(last - float(la.iloc[-2]))} on {int(la.index[-2])})"
    if pd.notna(eng.get(last_year)):
        gap = last - float(eng[last_year])
        where = "above" if gap > 0 else "below" if gap < 0 else "level with"
        text += f", {abs(gap):.0f} points {where} England" if gap else ", level with England"
    return text + "."


def plot_comparison(frame: pd.DataFrame, title: str, ylabel: str):
    """Lines for the LA, region, England and neighbours, with a shaded gap for 2020-21."""
    fig, ax = style.new_axes(title, "Year of KS2 tests (summer)", ylabel)
    roles = ["la", "region", "england", "neighbours"]
    for (name, series), role in zip(frame.items(), roles, strict=False):
        ax.plot(
            series.index,
            series.to_numpy(),
            marker="o",
            lw=2.5 if role == "la" else 1.6,
            color=style.ROLE_COLOURS[role],
            label=name,
            linestyle="-" if role in ("la", "england") else "--",
        )
    style.year_axis(ax, list(frame.index))
    gaps = [y for y in NO_TEST_YEARS if y in frame.index]
    style.shade_gap_years(ax, gaps)
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
    fig.tight_layout()
    return fig


def plot_subjects(table: pd.DataFrame, area_name: str):
    """Small multiples: one panel per subject, LA against England."""
    subjects = list(dict.fromkeys(table["subject"]))
    ncols = 3
    nrows = -(-len(subjects) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(10, 3.3 * nrows), squeeze=False)
    flat = axes.ravel()
    for ax in flat[len(subjects) :]:
        ax.set_visible(False)
    for ax, subject in zip(flat, subjects, strict=False):
        part = table[table["subject"] == subject]
        for who, role in ((area_name, "la"), ("England", "england")):
            line = part[part["area"] == who]
            ax.plot(line["year"], line["value"], marker="o", color=style.ROLE_COLOURS[role], label=who)
        ax.set_title(subject, fontsize=10, loc="left")
        ax.set_xlabel("Year")
        years = sorted(part["year"].unique())
        ax.set_xticks([y for y in years if y % 2 == 0 or len(years) < 6])
        style.shade_gap_years(ax, [y for y in NO_TEST_YEARS if y in years], label="")
    for row in axes:
        row[0].set_ylabel("% of pupils")
    flat[0].legend(loc="lower left", fontsize=9)
    fig.suptitle(
        f"{area_name} and England by subject (% at the expected standard)",
        x=0.01,
        ha="left",
        fontweight="bold",
    )
    fig.tight_layout()
    return fig


def plot_school_spread(dots: pd.DataFrame, measure_label: str, area_name: str, la_value: pd.Series | None = None):
    """Each school a dot (size = pupils in the cohort where published), jittered within its year."""
    fig, ax = style.new_axes(
        f"{area_name}: every school's result, year by year",
        "Year of KS2 tests",
        measure_label,
        figsize=(9, 5),
    )
    rng = np.random.default_rng(0)  # fixed jitter: the same report every run
    measure = dots.columns[4]
    sizes = dots["cohort"].fillna(30).clip(lower=5) * 1.5
    x = dots["year"] + rng.uniform(-0.25, 0.25, len(dots))
    ax.scatter(x, dots[measure], s=sizes, alpha=0.45, color=style.ROLE_COLOURS["la"], edgecolor="white", lw=0.5)
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
        ax.legend(loc="lower left")
    years = sorted(dots["year"].unique())
    style.year_axis(ax, years)
    ax.set_ylim(-2, 102)
    fig.tight_layout()
    return fig


def plot_gap(gap: pd.DataFrame, area_name: str):
    """The disadvantaged gap (points) for the LA and England over time."""
    fig, ax = style.new_axes(
        "Disadvantaged gap: points between other and disadvantaged pupils (RWM expected)",
        "Year of KS2 tests",
        "Gap (percentage points; higher = wider)",
    )
    for who, role in ((area_name, "la"), ("England", "england")):
        line = gap[gap["area"] == who]
        ax.plot(line["year"], line["gap"], marker="o", color=style.ROLE_COLOURS[role], label=who)
    years = sorted(gap["year"].unique())
    style.year_axis(ax, years)
    style.shade_gap_years(ax, [y for y in NO_TEST_YEARS if y in years])
    ax.legend(loc="upper left")
    fig.tight_layout()
    return fig
