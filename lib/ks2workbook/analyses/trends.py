"""KS2 trends for one LA: against its region, England and its statistical neighbours; subjects; school spread;
the disadvantaged gap.

Every series is returned over a *complete* run of years, with 2020 and 2021 present as missing values, so that a
line chart shows a gap where no tests were sat instead of drawing a line straight through the COVID years.

``indicators`` is a table of LAIT's shape, or None for the shipped table, whose series are read from an index built
once (:func:`ks2workbook.analyses.neighbours.series`) rather than by filtering the whole table for each line.
"""

from __future__ import annotations

import pandas as pd

from ..core.errors import NoDataError
from ..core.world import ENGLAND
from ..data.areas import Area
from ..rules import indicators as indicator_sets
from . import neighbours

HEADLINE = indicator_sets.headline()

#: Subject indicators shown beside the headline (LAIT codes) and their plain names (``rules/indicators.yaml``).
SUBJECTS: dict[str, str] = {code: i.name for code, i in indicator_sets.group("subjects").items()}

#: Disadvantaged pupils, then the others (``rules/indicators.yaml``).
DISADVANTAGED: tuple[str, str] = tuple(indicator_sets.codes("disadvantaged"))  # type: ignore[assignment]


def describe(indicators: pd.DataFrame | None, indicator: str) -> str:
    """The LAIT description of an indicator (a NoDataError naming the nearest codes if it is unknown)."""
    return neighbours.indicator_info(indicators, indicator)["description"]


def check_year_range(indicators: pd.DataFrame | None, indicator: str, first_year: int, last_year: int) -> list[int]:
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


def _series(indicators: pd.DataFrame | None, indicator: str, la_code: int, years: range) -> pd.Series:
    return neighbours.series(indicators, la_code, indicator).set_index("year")["value"].reindex(years)


def _sn_average(
    indicators: pd.DataFrame | None, la_code: int, indicator: str, years: range, version: int | None = None
) -> pd.Series:
    return neighbours.sn_average(indicators, la_code, indicator, version).set_index("year")["value"].reindex(years)


def comparison_series(
    indicators: pd.DataFrame | None,
    area: Area,
    indicator: str,
    first_year: int,
    last_year: int,
    version: int | None = None,
) -> pd.DataFrame:
    """Wide table, one row per year from ``first_year`` to ``last_year`` (COVID years kept, as NaN), columns: the
    LA, its region, England, and the statistical-neighbour average (LAIT's rule: plain mean of the 10 DfE
    neighbours of edition ``version`` (the newest by default) with a value)."""
    check_year_range(indicators, indicator, first_year, last_year)
    years = range(first_year, last_year + 1)
    columns = {area.name: _series(indicators, indicator, area.code, years)}
    if area.region_code is not None:
        columns[area.region or "Region"] = _series(indicators, indicator, area.region_code, years)
    columns["England"] = _series(indicators, indicator, ENGLAND, years)
    columns["Statistical neighbours (average)"] = _sn_average(indicators, area.code, indicator, years, version)
    frame = pd.DataFrame(columns)
    frame.index.name = "year"
    return frame


def subject_table(indicators: pd.DataFrame | None, area: Area, first_year: int, last_year: int) -> pd.DataFrame:
    """Long table of the LA's and England's % at the expected standard by subject (and RWM higher standard)."""
    years = range(first_year, last_year + 1)
    parts = []
    for code, label in SUBJECTS.items():
        for who, la in ((area.name, area.code), ("England", ENGLAND)):
            series = _series(indicators, code, la, years)
            parts.append(pd.DataFrame({"year": list(years), "subject": label, "area": who, "value": series.to_numpy()}))
    return pd.concat(parts, ignore_index=True)


def disadvantaged_gap(indicators: pd.DataFrame | None, area: Area, first_year: int, last_year: int) -> pd.DataFrame:
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
    """The LA's schools (by the LA they are in now, so a council created since keeps its schools' earlier
    results) by year: one row per school and year with a published value, with cohort size where the file gives
    it. Suppressed results are left out of the dots and counted in ``n_suppressed``."""
    mine = results[(results["la_code_now"] == la_code) & results["year"].between(first_year, last_year)]
    counts = mine.groupby("year")[measure].agg(n_published="count", n_rows="size")
    counts["n_suppressed"] = counts["n_rows"] - counts["n_published"]
    dots = mine.loc[mine[measure].notna(), ["urn", "school_name", "year", "cohort", measure]]
    return dots.merge(counts[["n_suppressed"]].reset_index(), on="year", how="left")


# ---------------------------------------------------------------------------------------------------------------
# Charts (style from ks2workbook.style; every chart titled and labelled)
# ---------------------------------------------------------------------------------------------------------------
