"""Statistical-neighbour views: values formatted by indicator, the comparison, group and significance charts.

The figures come from :mod:`ks2workbook.analyses.neighbours` (LAIT's rules); this module formats and draws them.
"""

from __future__ import annotations

import pandas as pd

from ..analyses.neighbours import PROGRESS_COLUMNS
from . import style


def format_value(indicator: str, value: float | None, extra_decimals: int = 0) -> str:
    """People-friendly text for one value: progress scores signed to 2 dp (``-0.95``), scaled scores as
    points (``104``), everything else as a percentage (``57%``); a dash for missing. ``extra_decimals`` adds
    precision to percentages and scaled scores (an SN average of 59.8% with 1)."""
    if value is None or pd.isna(value):
        return "–"
    if indicator in PROGRESS_COLUMNS or "Prog" in indicator:
        return f"{value:+.2f}"
    if "Scaled" in indicator:
        return f"{value:.{extra_decimals}f}"
    return style.fmt_pct(float(value), extra_decimals)


def plot_comparison(wide: pd.DataFrame, title: str, ylabel: str, ax=None):
    """The LA, region, SN averages and England over time from :func:`comparison`; gap years shaded, axis not
    forced to zero (LAIT users asked for that). Returns the axes."""
    if ax is None:
        _, ax = style.new_axes(title, "Year", ylabel)
    else:
        ax.set_title(title, loc="left", fontsize=10)
    colours = {
        "LA": style.ROLE_COLOURS["la"],
        "Region": style.ROLE_COLOURS["region"],
        "England": style.ROLE_COLOURS["england"],
    }
    dashes = ["-", "--", ":"]
    sn_cols = [c for c in wide.columns if c.startswith("SN average")]
    for col in ["LA", "Region", *sn_cols, "England"]:
        if col not in wide or wide[col].isna().all():
            continue
        if col in sn_cols:
            kwargs = {"color": style.ROLE_COLOURS["neighbours"], "linestyle": dashes[sn_cols.index(col) % 3]}
        else:
            kwargs = {"color": colours[col], "linewidth": 2.5 if col == "LA" else 1.5}
        ax.plot(wide["year"], wide[col], marker="o", markersize=4, label=col, **kwargs)
    years = [int(y) for y in wide["year"]]
    style.year_axis(ax, years)
    gap = [y for y in (2020, 2021) if y in years]
    style.shade_gap_years(ax, gap)
    return ax


def plot_group(group: pd.DataFrame, indicator: str, title: str, england: float | None = None):
    """The LA among its neighbours for one year (from :func:`sn_ranking`), sorted best at the top, the LA
    highlighted, with the SN average and England as reference lines. Returns the axes."""
    data = group.dropna(subset=["value"]).iloc[::-1]
    _, ax = style.new_axes(title, indicator_unit(indicator), "", figsize=(9, 0.38 * len(data) + 1.6))
    colours = [style.ROLE_COLOURS["highlight"] if la else style.ROLE_COLOURS["neighbours"] for la in data.is_la]
    ax.barh(data.la_name, data.value, color=colours)
    for y, (value, rank) in enumerate(zip(data.value, data["rank"], strict=True)):
        rank_text = "" if pd.isna(rank) else f"  (#{int(rank)})"
        ax.text(value, y, " " + format_value(indicator, value) + rank_text, va="center", fontsize=9)
    sn_avg = group.loc[~group.is_la, "value"].mean()
    ax.axvline(sn_avg, color=style.ROLE_COLOURS["neighbours"], linestyle="--", label="SN average")
    if england is not None and not pd.isna(england):
        ax.axvline(england, color=style.ROLE_COLOURS["england"], linestyle=":", label="England")
    low, high = data.value.min(), data.value.max()
    span = max(high - low, 1e-9)
    ax.set_xlim(low - 0.35 * span if low >= 0 or "Prog" in indicator else low * 1.1, high + 0.45 * span)
    ax.grid(axis="y", visible=False)
    ax.legend(loc="lower right")
    return ax


def indicator_unit(indicator: str) -> str:
    """Axis label for an indicator's unit."""
    if indicator in PROGRESS_COLUMNS or "Prog" in indicator:
        return "Progress score (England = 0)"
    if "Scaled" in indicator:
        return "Average scaled score (100 = expected)"
    return "% of pupils"


def plot_significance(ci: pd.DataFrame, title: str, ax=None):
    """An LA's progress scores from :func:`progress_ci` with their 95% intervals where one exists: a filled
    triangle (up or down) marks a year significantly above or below England (0), a hollow circle a year that
    is not significantly different or has no interval. Returns the axes."""
    if ax is None:
        _, ax = style.new_axes(title, "Year", "Progress score (England = 0)")
    else:
        ax.set_title(title, loc="left", fontsize=10)
    ax.axhline(0, color=style.ROLE_COLOURS["england"], linewidth=1, linestyle=":", label="England (0)")
    has = ci.dropna(subset=["lower", "upper"])
    ax.errorbar(
        has.year,
        has.value,
        yerr=[has.value - has.lower, has.upper - has.value],
        fmt="none",
        ecolor=style.ROLE_COLOURS["context"],
        capsize=4,
        label="95% interval",
    )
    markers = {
        "significantly above England": ("^", style.ROLE_COLOURS["good"], "full"),
        "significantly below England": ("v", style.ROLE_COLOURS["bad"], "full"),
        "not significantly different": ("o", style.ROLE_COLOURS["la"], "none"),
        "no interval": ("o", style.ROLE_COLOURS["context"], "none"),
    }
    for label, (marker, colour, fill) in markers.items():
        part = ci[ci.significance == label]
        if part.empty:
            continue
        ax.plot(
            part.year,
            part.value,
            linestyle="none",
            marker=marker,
            markersize=9,
            color=colour,
            fillstyle=fill,
            label=label,
        )
    years = sorted(set(int(y) for y in ci.year) | {2020, 2021}) if len(ci) else []
    style.year_axis(ax, years)
    style.shade_gap_years(ax, [y for y in (2020, 2021) if years and min(years) < y < max(years)])
    return ax
