"""KS2 trends for one LA: against its region, England and its statistical neighbours; subjects; school spread;
the disadvantaged gap.

Every series is returned over a *complete* run of years, with 2020 and 2021 present as missing values, so that a
line chart shows a gap where no tests were sat instead of drawing a line straight through the COVID years.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from . import neighbours, style
from .areas import ENGLAND, Area
from .errors import NoDataError

HEADLINE = "KS2RWM_Expected_STD"
NO_TEST_YEARS = (2020, 2021)

#: Subject indicators shown beside the headline (LAIT codes) and their plain names.
SUBJECTS: dict[str, str] = {
    "KS2R_Expected_STD": "Reading",
    "KS2W_Teacher_Assess": "Writing (teacher assessment)",
    "KS2M_Expected_STD": "Maths",
    "KS2GPS_Expected_STD": "Grammar, punctuation and spelling",
    "KS2RWM_Higher_STD": "RWM higher standard",
}

DISADVANTAGED = ("DAP_NEW_KS2_RWM", "NonDAP_NEW_KS2_RWM")


def describe(indicators: pd.DataFrame, indicator: str) -> str:
    """The LAIT description of an indicator (a NoDataError naming the nearest codes if it is unknown)."""
    return neighbours.indicator_info(indicators, indicator)["description"]


def check_year_range(indicators: pd.DataFrame, indicator: str, first_year: int, last_year: int) -> list[int]:
    """The years with data inside ``[first_year, last_year]``; a NoDataError naming the years that exist if none."""
    describe(indicators, indicator)
    available = neighbours.years_with_data(indicators, indicator)
    if first_year > last_year:
        raise NoDataError(f"first_year {first_year} is after last_year {last_year}")
    inside = [y for y in available if first_year <= y <= last_year]
    if not inside:
        raise NoDataError(
            f"{indicator} has no data between {first_year} and {last_year}; years with data: "
            f"{', '.join(map(str, available))} (no KS2 tests in 2020 and 2021)"
        )
    return inside


def _series(indicators: pd.DataFrame, indicator: str, la_code: int, years: range) -> pd.Series:
    return neighbours.series(indicators, la_code, indicator).set_index("year")["value"].reindex(years)


def _sn_average(indicators: pd.DataFrame, la_code: int, indicator: str, years: range) -> pd.Series:
    return neighbours.sn_average(indicators, la_code, indicator).set_index("year")["value"].reindex(years)


def comparison_series(
    indicators: pd.DataFrame, area: Area, indicator: str, first_year: int, last_year: int
) -> pd.DataFrame:
    """Wide table, one row per year from ``first_year`` to ``last_year`` (COVID years kept, as NaN), columns: the
    LA, its region, England, and the statistical-neighbour average (LAIT's rule: plain mean of the 10 DfE May
    2025 neighbours with a value)."""
    check_year_range(indicators, indicator, first_year, last_year)
    years = range(first_year, last_year + 1)
    columns = {area.name: _series(indicators, indicator, area.code, years)}
    if area.region_code is not None:
        columns[area.region or "Region"] = _series(indicators, indicator, area.region_code, years)
    columns["England"] = _series(indicators, indicator, ENGLAND, years)
    columns["Statistical neighbours (average)"] = _sn_average(indicators, area.code, indicator, years)
    frame = pd.DataFrame(columns)
    frame.index.name = "year"
    return frame


def subject_table(indicators: pd.DataFrame, area: Area, first_year: int, last_year: int) -> pd.DataFrame:
    """Long table of the LA's and England's % at the expected standard by subject (and RWM higher standard)."""
    years = range(first_year, last_year + 1)
    parts = []
    for code, label in SUBJECTS.items():
        for who, la in ((area.name, area.code), ("England", ENGLAND)):
            series = _series(indicators, code, la, years)
            parts.append(pd.DataFrame({"year": list(years), "subject": label, "area": who, "value": series.to_numpy()}))
    return pd.concat(parts, ignore_index=True)


def disadvantaged_gap(indicators: pd.DataFrame, area: Area, first_year: int, last_year: int) -> pd.DataFrame:
    """The % at the expected standard in RWM for disadvantaged and other pupils, and the gap in points, for the
    LA and England. A positive gap means disadvantaged pupils are behind."""
    years = range(first_year, last_year + 1)
    rows = []
    for who, la in ((area.name, area.code), ("England", ENGLAND)):
        disadv = _series(indicators, DISADVANTAGED[0], la, years)
        other = _series(indicators, DISADVANTAGED[1], la, years)
        rows.append(
            pd.DataFrame(
                {
                    "year": list(years),
                    "area": who,
                    "disadvantaged": disadv.to_numpy(),
                    "other": other.to_numpy(),
                    "gap": (other - disadv).to_numpy(),
                }
            )
        )
    return pd.concat(rows, ignore_index=True)


def school_spread(
    results: pd.DataFrame, la_code: int, first_year: int, last_year: int, measure: str = "rwm_exp"
) -> pd.DataFrame:
    """The LA's schools' results by year (one row per school and year with a published value), with cohort size
    where the file gives it. Suppressed results are left out of the dots and counted in ``n_suppressed``."""
    mine = results[(results["la_code"] == la_code) & results["year"].between(first_year, last_year)]
    counts = mine.groupby("year")[measure].agg(n_published="count", n_rows="size")
    counts["n_suppressed"] = counts["n_rows"] - counts["n_published"]
    dots = mine.loc[mine[measure].notna(), ["urn", "school_name", "year", "cohort", measure]]
    return dots.merge(counts[["n_suppressed"]].reset_index(), on="year", how="left")


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


# ---------------------------------------------------------------------------------------------------------------
# Charts (style from ks2workbook.style; every chart titled and labelled)
# ---------------------------------------------------------------------------------------------------------------


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
