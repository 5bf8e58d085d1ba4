"""Which years the data hold: the one place every analysis, notebook default and report banner asks.

Nothing here lists a year: each answer is read from the tidy tables built from the catalogue, so adding next
year's DfE download (``ks2workbook data add``) moves every default on with no code change. The years without
tests (2020, 2021) are the one held fact (:mod:`ks2workbook.core.world`), used to draw gaps, never to compute.

"Nationally" means for schools in at least half of the current LAs: the 2019 attainment of Hampshire and Surrey
alone (their own DfE files) is school data for those LAs, not a national year a model can be fitted on.
"""

from __future__ import annotations

import pandas as pd

from ..core.errors import NoDataError
from ..core.world import ENGLAND, LA_CODE_LIMIT
from . import tables
from .cache import cached_on

HEADLINE = "KS2RWM_Expected_STD"
#: A year is national for a school measure when schools in at least this share of current LAs have it.
NATIONAL_SHARE = 0.5


@cached_on("school_results", "areas", persist=True)
def _school_years(measure: str, national: bool) -> tuple[int, ...]:
    results = tables.load("school_results")
    rows = results.dropna(subset=[measure])
    if not national:
        return tuple(sorted(int(y) for y in rows["year"].unique()))
    areas = tables.load("areas")
    current = int(areas["current"].sum())
    las = rows.groupby("year")["la_code_now"].nunique()
    return tuple(sorted(int(y) for y, n in las.items() if n >= NATIONAL_SHARE * current))


def school_years(measure: str = "rwm_exp", *, national: bool = True) -> list[int]:
    """Years with school-level values of ``measure`` (a column of ``school_results``): nationally (default),
    or for any school at all."""
    return list(_school_years(measure, national))


def attainment_years(*, national: bool = True) -> list[int]:
    """Years with school-level RWM attainment (% at the expected standard)."""
    return school_years("rwm_exp", national=national)


def progress_years(*, national: bool = True) -> list[int]:
    """Years with school-level KS2 progress scores (none for 2024 and 2025: no KS1 baselines in 2020-21)."""
    return school_years("read_prog", national=national)


def cohort_years(*, national: bool = True) -> list[int]:
    """Years whose school files publish the number of eligible pupils (the cohort)."""
    return school_years("cohort", national=national)


def consecutive_pairs(measure: str = "rwm_exp") -> list[tuple[int, int]]:
    """Pairs of consecutive test years both with national school values of ``measure`` (2019->2022 is not a
    pair: no tests in 2020 and 2021)."""
    years = school_years(measure)
    return [(y, y + 1) for y in years if y + 1 in years]


def previous_year(year: int, measure: str = "rwm_exp") -> int | None:
    """The latest year before ``year`` with national school values of ``measure`` (None if there is none)."""
    earlier = [y for y in school_years(measure) if y < int(year)]
    return earlier[-1] if earlier else None


@cached_on("la_indicators", persist=True)
def _indicator_years(indicator: str, la_code: int | None) -> tuple[int, ...]:
    table = tables.load("la_indicators")
    rows = table[(table["indicator"] == indicator) & table["value"].notna()]
    rows = rows[rows["la_code"] < LA_CODE_LIMIT] if la_code is None else rows[rows["la_code"] == la_code]
    return tuple(sorted(int(y) for y in rows["year"].unique()))


def indicator_years(indicator: str = HEADLINE, la_code: int | None = None) -> list[int]:
    """Years with a published value of a LAIT indicator: for any LA (default), or for one area."""
    return list(_indicator_years(indicator, None if la_code is None else int(la_code)))


def census_years() -> list[int]:
    return sorted(int(y) for y in tables.load("census")["year"].unique())


def neighbour_editions() -> list[int]:
    """The statistical-neighbour editions held, newest last (their years: 2021, 2025, ...)."""
    return sorted(int(v) for v in tables.load("neighbours")["version"].unique())


def latest_inspection_date() -> pd.Timestamp:
    """The date of the latest inspection in the Ofsted files held."""
    return pd.Timestamp(tables.load("ofsted")["inspection_date"].max())


def ks2_years() -> list[int]:
    """Every year with KS2 results of any kind: LA figures or school attainment (national)."""
    return sorted(set(indicator_years(HEADLINE, ENGLAND)) | set(attainment_years()))


def latest_year() -> int:
    """The latest KS2 year with results (the default year of every report)."""
    years = ks2_years()
    if not years:
        raise NoDataError("no KS2 results in the data: add a KS2 file with `ks2workbook data add`")
    return years[-1]


@cached_on("school_results", "la_indicators")
def _la_years(la_code: int) -> tuple[int, ...]:
    results = tables.load("school_results")
    schools = set(results.loc[(results["la_code_now"] == la_code) & results["rwm_exp"].notna(), "year"])
    return tuple(sorted({int(y) for y in schools} | set(indicator_years(HEADLINE, la_code))))


def la_years(la_code: int) -> list[int]:
    """Years with KS2 results for one LA: its published LA figure, or its schools' results (by each school's LA
    now, so a council created in 2023 has its schools' earlier years)."""
    return list(_la_years(int(la_code)))


def describe(years: list[int]) -> str:
    """Years for people: ``2016 to 2019, 2022 to 2025`` (runs of consecutive years joined)."""
    if not years:
        return "none"
    runs: list[list[int]] = [[years[0]]]
    for y in years[1:]:
        if y == runs[-1][-1] + 1:
            runs[-1].append(y)
        else:
            runs.append([y])
    return ", ".join(str(r[0]) if len(r) == 1 else f"{r[0]} to {r[-1]}" for r in runs)


def year_or_latest(year: int | None) -> int:
    """``year`` as given, or the latest year with data when it is None (what "latest" means in a notebook)."""
    return latest_year() if year is None else int(year)
