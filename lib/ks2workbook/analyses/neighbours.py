"""Statistical-neighbour comparison by LAIT's rules, plus what LAIT users asked for.

See docs/domain/neighbours_and_lait.md for the rules and their public sources.

LAIT's rules, as this module applies them:

* **SN average:** the plain (unweighted) mean of the neighbours' values for each year; a neighbour with no
  value is left out of the mean (``n_neighbours`` says how many were used); all missing gives missing.
* **Rank:** among LAs only (codes below 970, never regions or England), one year (the latest with data unless
  told); rank 1 is always best (descending for "High" polarity, ascending for "Low"); ties share the lowest
  rank (1, 2, 2, 4); missing values and indicators with no polarity get no rank.
* **Quartile band A-D:** cut points Q1, median, Q3 of all LAs' values that year (linear interpolation).
  High polarity: A = (Q3, max], B = (median, Q3], C = (Q1, median], D = [min, Q1]; Low polarity mirrored
  (A = [min, Q1], B = (Q1, median], C = (median, Q3], D = (Q3, max]). No band where the data dictionary says
  "no quartiles" or the polarity is "None". A value equal to Q3 under High polarity is band B.
* **Trend:** change from the previous year *with a value* (2020-21 have none), flagged favourable when it goes
  the polarity's way; no flag for "None" polarity or no change.

Beyond LAIT: old (April 2021) and new (May 2025) neighbour groups side by side, a custom neighbour list, and a
mark for years where an LA's progress score is *significantly* above or below England (see
:func:`progress_ci`). Retired and successor councils (Cumbria 909 -> 942/943, Northamptonshire 928 -> 940/941)
are reported by :func:`mismatch_report`, never silently dropped.

Every function takes the ``la_indicators`` table as its first argument, so tests can pass small synthetic
frames. ``None`` means the shipped table: it is split by indicator once per process (the report pack runs every
LA in one kernel), so a function reads only its indicator's rows, and the national tables and the mismatch
report (the same for every LA) are computed once; callers get copies. Pass ``None`` in notebooks.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from ..core.errors import NoDataError, UnknownAreaError, WorkbookError
from ..core.world import ENGLAND, LA_CODE_LIMIT
from ..data import areas as areas_mod
from ..data import catalogue, coverage, tables
from ..data.cache import cached_on
from ..rules import indicators as indicator_sets
from . import progress

CUSTOM_LABEL = "Custom list"

#: The KS2 headline set (LAIT short codes), from ``rules/indicators.yaml``: the notebook's default.
HEADLINE_INDICATORS: list[str] = indicator_sets.codes("headline_set")
#: Context shown beside attainment: % pupils eligible for free school meals, % first language not English.
CONTEXT_INDICATORS: list[str] = indicator_sets.codes("context")


def successors() -> dict[int, tuple[int, ...]]:
    """Councils that ended, each with its successors (``la_changes.yaml``): LAIT holds both histories."""
    out: dict[int, tuple[int, ...]] = {}
    for change in tables.la_changes():
        for old in change["ended"]:
            out[int(old)] = tuple(int(s) for s in change["successors"])
    return out


def editions() -> list[int]:
    """The statistical-neighbour editions held, newest first (their years, e.g. 2025, 2021)."""
    return sorted(coverage.neighbour_editions(), reverse=True)


def newest_edition() -> int:
    return editions()[0]


def edition_label(version: int) -> str:
    """``DfE May 2025`` for the May 2025 edition: the month from the catalogue entry's date where it has one."""
    import datetime as dt

    entry = next((e for e in catalogue.load().of_kind("statistical_neighbours") if e.year == int(version)), None)
    if entry is not None and entry.as_at:
        month = dt.date.fromisoformat(f"{entry.as_at}-01"[:10]).strftime("%B")
        return f"DfE {month} {version}"
    return f"DfE {version}"


#: LAIT progress indicators and the school-results columns holding the same subject's progress and CI.
PROGRESS_COLUMNS: dict[str, str] = {"KS2R_Prog_VA": "read", "KS2W_Prog_VA": "writ", "KS2M_Prog_VA": "mat"}


# ------------------------------------------------------------------------------------------------------------
# Inputs: the indicator table, an indicator's dictionary entry, an LA, its neighbour sets
# ------------------------------------------------------------------------------------------------------------


@cached_on("la_indicators", maxsize=2, copies=False)
def _shipped_by_indicator() -> dict[str, pd.DataFrame]:
    """The shipped ``la_indicators`` rows per indicator (original order and index kept); read only here."""
    table = tables.load("la_indicators")
    return {str(ind): part for ind, part in table.groupby("indicator", sort=False)}


def _table(indicators: pd.DataFrame | None, indicator: str | None = None) -> pd.DataFrame:
    """The table to read: ``indicators`` when given; else the shipped table, only ``indicator``'s rows when
    it is named and known (every function filters on it anyway, so the answer is the same, only faster)."""
    if indicators is not None:
        return indicators
    if indicator is not None:
        part = _shipped_by_indicator().get(indicator)
        if part is not None:
            out = part.copy(deep=False)
            out.attrs["shipped"] = True  # the shipped rows: series() may answer from its index
            return out
    return tables.load("la_indicators")


def _is_shipped(indicators: pd.DataFrame | None) -> bool:
    """Whether ``indicators`` is the shipped table (None) or its rows of one indicator (:func:`_table`): then the
    answers built once from the shipped table (its dictionary, its index of series, its years) stand for it."""
    return indicators is None or bool(indicators.attrs.get("shipped"))


def indicator_info(indicators: pd.DataFrame | None, indicator: str) -> dict:
    """The data-dictionary entry of one indicator: ``description``, ``polarity``, ``no_quartile``.

    Raises :class:`NoDataError` naming the closest indicator codes when the code is unknown.
    """
    if _is_shipped(indicators):
        known = _shipped_dictionary().get(indicator)
        if known is not None:
            return dict(known)
    table = _table(indicators, indicator)
    match = (table.indicator == indicator).to_numpy(dtype=bool, na_value=False)
    if not match.any():
        names = sorted(table.indicator.unique())
        near = difflib.get_close_matches(indicator, names, n=4, cutoff=0.4)
        raise NoDataError(
            f"unknown indicator {indicator!r}. Nearest LAIT short codes: {', '.join(near) or '(none)'}; "
            f"the KS2 headline set is {', '.join(HEADLINE_INDICATORS)}."
        )
    return _entry(indicator, table.iloc[int(match.argmax())])  # the first matching row


def _entry(indicator: str, row) -> dict:
    """The dictionary entry of an indicator from its row (a Series or a named tuple)."""
    return {
        "indicator": indicator,
        "description": str(row.description),
        "polarity": str(row.polarity),
        "no_quartile": bool(row.no_quartile),
    }


@cached_on("la_indicators", maxsize=2, copies=False)
def _shipped_dictionary() -> dict[str, dict]:
    """:func:`indicator_info` of every indicator of the shipped table, read once (a pack asks about a hundred
    times): each indicator's first row, as the search below takes it."""
    first = tables.load("la_indicators").drop_duplicates("indicator")
    return {str(r.indicator): _entry(str(r.indicator), r) for r in first.itertuples(index=False)}


def require_rankable_la(code: int | str) -> areas_mod.Area:
    """The LA with this code; a clear :class:`UnknownAreaError` for England, a region or a code of 970 or
    above, which LAIT never ranks or bands (they are not LAs). Answers are remembered per code (an
    :class:`~ks2workbook.areas.Area` is immutable; keyed on the ``areas`` table's version)."""
    return _require_rankable_la(code)


@cached_on("areas", maxsize=1024)
def _require_rankable_la(code: int | str) -> areas_mod.Area:
    area = areas_mod.resolve(code)
    if area.kind in ("england", "region") or area.code >= LA_CODE_LIMIT:
        what = "England" if area.code == ENGLAND or area.kind == "england" else "a region or aggregate"
        raise UnknownAreaError(
            f"{area.label} is {what}, not a local authority: LAIT ranks and bands LAs only (codes below 970) "
            "and statistical neighbours exist only for LAs. Give an LA code such as 831 (Derby)."
        )
    return area


def series(indicators: pd.DataFrame | None, code: int, indicator: str) -> pd.DataFrame:
    """One area's values of one indicator over time: ``year``, ``value`` (NaN = not available, never 0)."""
    held = _held_series(indicators, indicator)
    if held is not None:
        where = held["bounds"].get((indicator, int(code)))
        if where is None:
            return _EMPTY_SERIES.copy()
        a, b = where
        return pd.DataFrame({"year": held["years"][a:b], "value": held["values"][a:b]})
    table = _table(indicators, indicator)
    indicator_info(table, indicator)
    rows = table.loc[(table.indicator == indicator) & (table.la_code == int(code)), ["year", "value"]]
    return rows.sort_values("year").reset_index(drop=True)


def _held_series(indicators: pd.DataFrame | None, indicator: str) -> dict | None:
    """The shipped table's index of series (:func:`_series_index`) when ``indicators`` is the shipped table and
    holds ``indicator``; None when the caller must filter the table it was given."""
    if not _is_shipped(indicators):
        return None
    held = _series_index()
    return held if indicator in held["known"] else None


_EMPTY_SERIES = pd.DataFrame({"year": pd.Series([], dtype="int64"), "value": pd.Series([], dtype="float64")})


@cached_on("la_indicators", maxsize=2, copies=False, persist=True)
def _series_index() -> dict:
    """Every (indicator, area) series of the shipped table as slices of one sorted copy: a report reads a few
    hundred series, and filtering the whole table for each cost seconds. Kept with the national results (building
    it takes most of a second; reading it, a twentieth)."""
    table = tables.load("la_indicators")
    ind = table["indicator"].astype(str).to_numpy()
    code = table["la_code"].to_numpy(dtype="int64")
    order = np.lexsort((table["year"].to_numpy(), code, ind))
    ind, code = ind[order], code[order]
    years = table["year"].to_numpy()[order]
    values = table["value"].to_numpy(dtype="float64")[order]
    change = np.flatnonzero((ind[1:] != ind[:-1]) | (code[1:] != code[:-1])) + 1
    starts = np.concatenate([[0], change])
    ends = np.concatenate([change, [len(ind)]])
    bounds = {(ind[a], int(code[a])): (int(a), int(b)) for a, b in zip(starts, ends, strict=True)}
    return {"bounds": bounds, "years": years, "values": values, "known": set(ind)}


def years_with_data(indicators: pd.DataFrame | None, indicator: str) -> list[int]:
    """Years in which at least one LA has a value of this indicator."""
    if _is_shipped(indicators):
        return list(_shipped_years(indicator))
    return _years_with_data(indicators, indicator)


def _years_with_data(table: pd.DataFrame, indicator: str) -> list[int]:
    years = table.loc[(table.indicator == indicator) & (table.la_code < LA_CODE_LIMIT) & table.value.notna(), "year"]
    return sorted(int(y) for y in years.unique())


@cached_on("la_indicators", maxsize=512, copies=False)
def _shipped_years(indicator: str) -> tuple[int, ...]:
    """:func:`years_with_data` of the shipped table: the same for every LA, and a pack asks a few dozen times."""
    return tuple(_years_with_data(_table(None, indicator), indicator))


def latest_year(indicators: pd.DataFrame | None, indicator: str) -> int:
    """The latest year in which any LA has a value of this indicator (LAIT's "latest year")."""
    years = years_with_data(indicators, indicator)
    if not years:
        raise NoDataError(f"indicator {indicator!r} has no LA values in any year.")
    return years[-1]


def _check_year(indicators: pd.DataFrame, indicator: str, year: int | None) -> int:
    years = years_with_data(indicators, indicator)
    if year is None:
        if not years:
            raise NoDataError(f"indicator {indicator!r} has no LA values in any year.")
        return years[-1]
    if int(year) not in years:
        raise NoDataError(f"{indicator} has no LA values for {year}; years with data: {', '.join(map(str, years))}.")
    return int(year)


def _version(version: int | str | None) -> int:
    """An edition year (``None``: the newest held); an unknown one is a clear error listing those held."""
    held = editions()
    if version is None or str(version).lower() in ("", "latest", "newest"):
        return held[0]
    try:
        year = int(version)
    except (TypeError, ValueError):
        year = None
    if year not in held:
        labels = ", ".join(f"{v} ({edition_label(v)})" for v in held)
        raise WorkbookError(f"unknown neighbour set {version!r}: use one of the editions held, {labels}, or 'custom'")
    return year


def neighbour_codes(
    la_code: int,
    version: int | str | None = None,
    custom: Sequence[int] | None = None,
    neighbours: pd.DataFrame | None = None,
) -> list[int]:
    """The LA's neighbour codes, closest first: the DfE group of edition ``version`` (the newest when None), or
    ``custom`` (a list of LA codes) when ``version`` is ``"custom"`` or a non-empty ``custom`` list is given.

    Raises :class:`NoDataError` when the LA has no group in that edition (e.g. Cumberland 942 and Westmorland
    and Furness 943 did not exist in April 2021: use Cumbria 909's group or a custom list)."""
    if not custom and neighbours is None and str(version).lower() != "custom":
        return list(_dfe_codes(la_code, _version(version)))
    return _neighbour_codes(la_code, version, custom, neighbours)


@cached_on("neighbours", "areas", maxsize=1024)
def _dfe_codes(la_code: int | str, version: int) -> tuple[int, ...]:
    return tuple(_neighbour_codes(la_code, version, None, None))


def codes_or_none(la_code: int) -> list[int]:
    """The newest DfE group of an LA, or [] where it has none (a council created after the newest edition)."""
    try:
        return neighbour_codes(la_code)
    except NoDataError:
        return []


def _neighbour_codes(
    la_code: int | str, version: int | str | None, custom: Sequence[int] | None, neighbours: pd.DataFrame | None
) -> list[int]:
    area = require_rankable_la(la_code)
    if custom:
        codes = []
        for code in custom:
            other = require_rankable_la(code)
            if other.code == area.code:
                raise WorkbookError(f"custom neighbour list for {area.label} contains the LA itself.")
            codes.append(other.code)
        return list(dict.fromkeys(codes))
    if str(version).lower() == "custom":
        raise WorkbookError("sn_version is 'custom' but custom_neighbours is empty: give a list of LA codes.")
    version = _version(version) if neighbours is None else int(version if version is not None else 0)
    table = tables.load("neighbours") if neighbours is None else neighbours
    rows = table[(table.la_code == area.code) & (table.version == version)].sort_values("rank")
    if rows.empty:
        predecessor = [old for old, new in successors().items() if area.code in new]
        hint = (
            f" {area.name} was created from {predecessor[0]} after that list; use its group "
            f"(la_code={predecessor[0]}) or a custom list."
            if predecessor
            else " Use another edition or a custom list."
        )
        have = sorted(table.loc[table.la_code == area.code, "version"].unique())
        raise NoDataError(
            f"{area.label} has no statistical-neighbour group in the {edition_label(version)} list "
            f"(groups exist for: {', '.join(edition_label(v) for v in have) or 'none'}).{hint}"
        )
    return [int(c) for c in rows.neighbour_code]


def neighbour_sets(
    la_code: int,
    sn_version: int | str | Sequence[int] | None = None,
    custom: Sequence[int] | None = None,
    neighbours: pd.DataFrame | None = None,
) -> dict[str, list[int]]:
    """Named neighbour sets for the LA: ``{"DfE May 2025": [...], ...}``.

    ``sn_version`` is an edition year (None: the newest), ``"custom"``, ``"both"`` (the newest and the one
    before) or a list of editions; a non-empty ``custom`` list is always added as "Custom list". With ``"both"``
    an edition the LA has no group in is left out (a note is in :func:`mismatch_report`); asking for that
    single edition raises :class:`NoDataError`.
    """
    if isinstance(sn_version, str) and sn_version.lower() == "both":
        versions, strict = editions()[:2], False
    elif isinstance(sn_version, str) and sn_version.lower() == "custom":
        versions, strict = [], True
        if not custom:
            raise WorkbookError("sn_version is 'custom' but custom_neighbours is empty: give a list of LA codes.")
    elif isinstance(sn_version, (list, tuple)):
        versions, strict = [_version(v) for v in sn_version], True
    else:
        versions, strict = [_version(sn_version)], True
    sets: dict[str, list[int]] = {}
    for version in versions:
        try:
            codes = neighbour_codes(la_code, version, neighbours=neighbours)
        except NoDataError:
            if strict:
                raise
            continue
        sets[edition_label(int(version))] = codes
    if custom:
        sets[CUSTOM_LABEL] = neighbour_codes(la_code, custom=custom, neighbours=neighbours)
    if not sets:
        raise NoDataError(f"{require_rankable_la(la_code).label} has no neighbour group in any DfE list.")
    return sets


def neighbour_table(
    la_code: int, neighbours: pd.DataFrame | None = None, custom: Sequence[int] | None = None
) -> pd.DataFrame:
    """Old and new groupings side by side: one row per rank, a column of names per set, and whether each
    neighbour is in both DfE lists."""
    sets = neighbour_sets(la_code, "both", custom=custom, neighbours=neighbours)
    names = areas_mod.names()
    width = max(len(v) for v in sets.values())
    out = pd.DataFrame({"rank": range(1, width + 1)})
    for label, codes in sets.items():
        labels = [f"{names.get(c, '?')} ({c})" for c in codes] + [""] * (width - len(codes))
        out[label] = labels
    held = editions()[:2]
    if len(held) == 2 and all(edition_label(v) in sets for v in held):
        newer, older = held
        new, old = sets[edition_label(newer)], sets[edition_label(older)]
        out[f"{newer} neighbour in {older} list?"] = ["yes" if c in old else f"no (new in {newer})" for c in new] + [
            ""
        ] * (width - len(new))
    return out


# ------------------------------------------------------------------------------------------------------------
# LAIT's rules: SN average, rank, quartile band, trend
# ------------------------------------------------------------------------------------------------------------


def sn_average_of(indicators: pd.DataFrame | None, codes: Iterable[int], indicator: str) -> pd.DataFrame:
    """The SN average of a given list of LA codes by year: ``year``, ``value``, ``n_neighbours``.

    Plain mean of the values present; ``n_neighbours`` counts them; a year where all are missing is NaN
    with ``n_neighbours`` 0 (LAIT's rule).
    """
    codes = [int(c) for c in codes]
    held = _held_series(indicators, indicator)
    if held is not None:
        # The shipped table: each code's slice of its index of series, not a filtering of the whole table (a pack
        # averages about thirty groups; filtering and grouping cost it a tenth of a second).
        spans = [held["bounds"][(indicator, code)] for code in codes if (indicator, code) in held["bounds"]]
        years = np.concatenate([held["years"][:0], *(held["years"][a:b] for a, b in spans)])
        values = np.concatenate([held["values"][:0], *(held["values"][a:b] for a, b in spans)])
        return _mean_by_year(years, values)
    table = _table(indicators, indicator)
    indicator_info(table, indicator)
    rows = table.loc[(table.indicator == indicator) & table.la_code.isin(codes), ["year", "value"]]
    return _mean_by_year(rows["year"].to_numpy(), rows["value"].to_numpy(dtype="float64"))


def _mean_by_year(years: np.ndarray, values: np.ndarray) -> pd.DataFrame:
    """``year``, ``value`` (the mean of the values present that year, NaN if none), ``n_neighbours`` (how many),
    sorted by year. Each sum is exact (``math.fsum``), so the mean is the same in whatever order the rows come:
    the shipped table's index and a table given by the caller hold the same rows in different orders."""
    present = ~np.isnan(values)
    unique, where = np.unique(years, return_inverse=True)
    counts = np.bincount(where[present], minlength=len(unique))
    means = [math.fsum(values[present & (where == i)]) / n if n else np.nan for i, n in enumerate(counts.tolist())]
    return pd.DataFrame(
        {"year": unique, "value": np.array(means, dtype="float64"), "n_neighbours": counts.astype("int64")}
    )


def sn_average(
    indicators: pd.DataFrame | None,
    la_code: int,
    indicator: str,
    version: int | str | Sequence[int] | None = None,
    custom: Sequence[int] | None = None,
) -> pd.DataFrame:
    """The LA's statistical-neighbour average of ``indicator`` for every year, by LAIT's rule.

    Returns ``year``, ``set`` (e.g. "DfE May 2025"), ``value`` (plain mean of the neighbours with a value;
    NaN when none has one), ``n_neighbours`` (how many were averaged). ``version`` is 2025, 2021, ``"both"``,
    ``"custom"`` or a list of versions; ``custom`` a list of LA codes.
    """
    table = _table(indicators, indicator)
    parts = []
    for label, codes in neighbour_sets(la_code, version, custom).items():
        parts.append(sn_average_of(table, codes, indicator).assign(set=label))
    out = pd.concat(parts, ignore_index=True)
    return out[["year", "set", "value", "n_neighbours"]]


def rank_values(values: pd.Series, polarity: str) -> pd.Series:
    """LAIT ranks: 1 is best; ties share the lowest rank (1, 2, 2, 4); NaN values, and every value when the
    polarity is not "High"/"Low", get no rank (``<NA>``). Returns an ``Int64`` series on the same index."""
    if polarity not in ("High", "Low"):
        return pd.Series(pd.NA, index=values.index, dtype="Int64")
    ranks = values.astype(float).rank(method="min", ascending=(polarity == "Low"), na_option="keep")
    return ranks.astype("Int64")


def quartile_cuts(values: pd.Series) -> tuple[float, float, float]:
    """Q1, median, Q3 of the non-missing values (linear interpolation, pandas' default, as LAIT)."""
    clean = values.dropna().astype(float)
    if clean.empty:
        return (np.nan, np.nan, np.nan)
    q = clean.quantile([0.25, 0.5, 0.75])
    return (float(q.iloc[0]), float(q.iloc[1]), float(q.iloc[2]))


def quartile_bands(values: pd.Series, polarity: str, no_quartile: bool = False) -> pd.Series:
    """LAIT's quartile band A-D for each value (``<NA>`` for missing values, "None" polarity, or indicators
    flagged "no quartiles"). High: A = (Q3, max], B = (median, Q3], C = (Q1, median], D = [min, Q1];
    Low mirrored: A = [min, Q1], B = (Q1, median], C = (median, Q3], D = (Q3, max]."""
    out = pd.Series(pd.NA, index=values.index, dtype="string")
    if no_quartile or polarity not in ("High", "Low"):
        return out
    q1, q2, q3 = quartile_cuts(values)
    v = values.astype(float)
    present = v.notna()
    if polarity == "High":
        conditions = [v > q3, v > q2, v > q1, present]
    else:
        conditions = [v <= q1, v <= q2, v <= q3, present]
    band = np.select([c.to_numpy() for c in conditions], ["A", "B", "C", "D"], default="")
    out[:] = pd.array(band, dtype="string")
    out[~present | (out == "")] = pd.NA
    return out


def national_table(indicators: pd.DataFrame | None, indicator: str, year: int | None = None) -> pd.DataFrame:
    """All LAs (codes below 970) for one year (latest with data unless told): ``la_code``, ``la_name``,
    ``region``, ``value``, ``rank``, ``band``; sorted by rank (unranked last). Raises :class:`NoDataError`
    naming the years with data when ``year`` has none. For the shipped table (``None``) computed once per
    process per indicator and year (it is the same for every LA); a copy is returned."""
    if indicators is None:
        return _national_table_shipped(indicator, None if year is None else int(year))
    return _national_table(indicators, indicator, year)


@cached_on("la_indicators", persist=True)
def _national_table_shipped(indicator: str, year: int | None) -> pd.DataFrame:
    return _national_table(_table(None, indicator), indicator, year)


def _national_table(table: pd.DataFrame, indicator: str, year: int | None) -> pd.DataFrame:
    info = indicator_info(table, indicator)
    year = _check_year(table, indicator, year)
    rows = table[(table.indicator == indicator) & (table.year == year) & (table.la_code < LA_CODE_LIMIT)]
    out = rows[["la_code", "la_name", "region", "value"]].reset_index(drop=True)
    out["rank"] = rank_values(out["value"], info["polarity"])
    out["band"] = quartile_bands(out["value"], info["polarity"], info["no_quartile"])
    out["year"] = year
    return out.sort_values(["rank", "la_name"], na_position="last", kind="stable").reset_index(drop=True)


def national_rank(indicators: pd.DataFrame | None, la_code: int, indicator: str, year: int | None = None) -> dict:
    """The LA's national rank and quartile band: ``{year, value, rank, of, band, polarity}``; ``of`` counts
    the LAs ranked that year. Refuses England and regions with a clear message."""
    area = require_rankable_la(la_code)
    table = national_table(indicators, indicator, year)
    row = table[table.la_code == area.code]
    info = indicator_info(indicators, indicator)
    of = int(table["rank"].notna().sum())
    if row.empty:
        return {
            "year": int(table.year.iloc[0]),
            "value": np.nan,
            "rank": pd.NA,
            "of": of,
            "band": pd.NA,
            "polarity": info["polarity"],
        }
    r = row.iloc[0]
    return {
        "year": int(r.year),
        "value": float(r.value),
        "rank": r["rank"],
        "of": of,
        "band": r["band"],
        "polarity": info["polarity"],
    }


def sn_ranking(
    indicators: pd.DataFrame | None,
    la_code: int,
    indicator: str,
    year: int | None = None,
    version: int | str | None = None,
    custom: Sequence[int] | None = None,
) -> pd.DataFrame:
    """The LA among its neighbours for one year: the LA and its neighbours (11 rows for a DfE group),
    ``la_code``, ``la_name``, ``value``, ``rank`` (LAIT's rule within the group, 1 = best), ``is_la``,
    sorted best first (missing last). "Top five of its statistical neighbours" means rank <= 5 here."""
    table = _table(indicators, indicator)
    info = indicator_info(table, indicator)
    area = require_rankable_la(la_code)
    year = _check_year(table, indicator, year)
    label, codes = next(iter(neighbour_sets(area.code, "custom" if custom else version, custom).items()))
    group = [area.code, *codes]
    out = pd.DataFrame({"la_code": group})
    out["la_name"] = out.la_code.map(areas_mod.names()).fillna(out.la_code.astype(str))
    values = _shipped_values(table, indicator, year, group)
    if values is not None:
        out["value"] = values
    else:
        rows = table.loc[
            (table.indicator == indicator) & (table.year == year) & table.la_code.isin(group), ["la_code", "value"]
        ]
        out = out.merge(rows[["la_code", "value"]], on="la_code", how="left")
    out["rank"] = rank_values(out["value"], info["polarity"])
    out["is_la"] = out.la_code == area.code
    out["year"] = year
    out["set"] = label
    ascending = info["polarity"] == "Low"
    return out.sort_values("value", ascending=ascending, na_position="last", kind="stable").reset_index(drop=True)


def _shipped_values(table: pd.DataFrame, indicator: str, year: int, codes: Sequence[int]) -> np.ndarray | None:
    """Each of ``codes``' value of ``indicator`` in ``year`` (NaN where it has none), read from the shipped
    table's index of series (:func:`series`) rather than by filtering the table for each LA's group; None for a
    table of one's own, an indicator the index does not hold, or an area with two rows for one year (then the
    caller's filtering answers, as it always did)."""
    held = _held_series(table, indicator)
    if held is None:
        return None
    out = np.full(len(codes), np.nan)
    for i, code in enumerate(codes):
        where = held["bounds"].get((indicator, int(code)))
        if where is None:
            continue
        a, b = where
        hit = np.flatnonzero(held["years"][a:b] == year)
        if len(hit) > 1:
            return None
        if len(hit):
            out[i] = held["values"][a + hit[0]]
    return out


def trend(indicators: pd.DataFrame | None, code: int, indicator: str) -> pd.DataFrame:
    """Change from the previous year with a value (2020-21 are skipped, not zero): ``year``, ``value``,
    ``previous_year``, ``change``, ``favourable`` (True/False by polarity; ``<NA>`` for "None" polarity, no
    change or no previous value)."""
    table = _table(indicators, indicator)
    info = indicator_info(table, indicator)
    s = series(table, code, indicator).dropna(subset=["value"]).reset_index(drop=True)
    s["previous_year"] = s["year"].shift(1).astype("Int64")
    s["change"] = s["value"].diff()
    sign = {"High": 1, "Low": -1}.get(info["polarity"], 0)
    fav = pd.Series(pd.NA, index=s.index, dtype="boolean")
    if sign:
        moved = s["change"].notna() & (s["change"] != 0)
        fav[moved] = (s.loc[moved, "change"] * sign) > 0
    s["favourable"] = fav
    return s


# ------------------------------------------------------------------------------------------------------------
# Views: comparison over time, gaps, the rank/band table
# ------------------------------------------------------------------------------------------------------------


def comparison(
    indicators: pd.DataFrame | None,
    la_code: int,
    indicator: str,
    version: int | str | Sequence[int] | None = None,
    custom: Sequence[int] | None = None,
) -> pd.DataFrame:
    """Wide table by year: the LA, its region, each SN average and England (LAIT's first view).
    Columns: ``year``, ``LA``, ``Region``, one per neighbour set (``SN average (DfE May 2025)`` ...),
    ``England``. Years 2020-21 stay as rows of NaN so charts show a gap."""
    table = _table(indicators, indicator)
    area = require_rankable_la(la_code)
    out = series(table, area.code, indicator).rename(columns={"value": "LA"})
    if area.region_code is not None:
        reg = series(table, area.region_code, indicator).rename(columns={"value": "Region"})
        out = out.merge(reg, on="year", how="outer")
    else:
        out["Region"] = np.nan
    sn = sn_average(table, area.code, indicator, version, custom)
    for label, part in sn.groupby("set", sort=False):
        out = out.merge(
            part[["year", "value"]].rename(columns={"value": f"SN average ({label})"}), on="year", how="outer"
        )
    eng = series(table, ENGLAND, indicator).rename(columns={"value": "England"})
    out = out.merge(eng, on="year", how="outer").sort_values("year").reset_index(drop=True)
    return out


def gaps(
    indicators: pd.DataFrame | None,
    la_code: int,
    indicator: str,
    version: int | str | Sequence[int] | None = None,
    custom: Sequence[int] | None = None,
) -> pd.DataFrame:
    """The LA minus England and minus each SN average, by year (positive = LA higher; read with polarity)."""
    wide = comparison(indicators, la_code, indicator, version, custom)
    out = wide[["year"]].copy()
    out["gap to England"] = wide["LA"] - wide["England"]
    for col in [c for c in wide.columns if c.startswith("SN average")]:
        out[f"gap to {col}"] = wide["LA"] - wide[col]
    return out


def rank_band_table(
    indicators: pd.DataFrame | None,
    la_code: int,
    indicator_list: Sequence[str] | None = None,
    year: int | None = None,
    version: int | str | None = None,
    custom: Sequence[int] | None = None,
    up_to: int | None = None,
) -> pd.DataFrame:
    """LAIT's summary for a set of indicators, one row each, for ``year`` or each indicator's latest year (up to
    ``up_to`` when given: a pack for 2023 does not show 2025's figures):
    ``indicator``, ``description``, ``polarity``, ``year``, ``value``, ``England``, ``SN average``,
    ``change`` (from the previous year with a value), ``favourable``, ``sn_rank``, ``sn_of``,
    ``national_rank``, ``national_of``, ``band``. An indicator with no data for ``year`` is a row of
    missing values (its latest year is still named in ``note``), not an error."""
    area = require_rankable_la(la_code)
    rows = []
    for ind in indicator_list or HEADLINE_INDICATORS:
        table = _table(indicators, ind)
        info = indicator_info(table, ind)
        row = {"indicator": ind, "description": info["description"], "polarity": info["polarity"], "note": ""}
        try:
            if year is None and up_to is not None:
                held = [y for y in years_with_data(table, ind) if y <= up_to]
                if not held:
                    raise NoDataError(f"no {info['description']} figures up to {up_to}")
                yr = held[-1]
            else:
                yr = _check_year(table, ind, year)
        except NoDataError as exc:
            row["note"] = str(exc)
            rows.append(row)
            continue
        nat = national_rank(indicators, area.code, ind, yr)
        grp = sn_ranking(table, area.code, ind, yr, version, custom)
        la_row = grp[grp.is_la].iloc[0]
        sn = sn_average_of(table, grp.loc[~grp.is_la, "la_code"], ind)
        sn_val = sn.loc[sn.year == yr, "value"]
        tr = trend(table, area.code, ind)
        tr_row = tr[tr.year == yr]
        eng = series(table, ENGLAND, ind)
        eng_val = eng.loc[eng.year == yr, "value"]
        row.update(
            {
                "year": yr,
                "value": nat["value"],
                "England": float(eng_val.iloc[0]) if len(eng_val) else np.nan,
                "SN average": float(sn_val.iloc[0]) if len(sn_val) else np.nan,
                "change": float(tr_row["change"].iloc[0]) if len(tr_row) else np.nan,
                "favourable": tr_row["favourable"].iloc[0] if len(tr_row) else pd.NA,
                "sn_rank": la_row["rank"],
                "sn_of": int(grp["rank"].notna().sum()),
                "national_rank": nat["rank"],
                "national_of": nat["of"],
                "band": nat["band"],
            }
        )
        rows.append(row)
    columns = [
        "indicator",
        "description",
        "polarity",
        "year",
        "value",
        "England",
        "SN average",
        "change",
        "favourable",
        "sn_rank",
        "sn_of",
        "national_rank",
        "national_of",
        "band",
        "note",
    ]
    out = pd.DataFrame(rows).reindex(columns=columns)
    out["year"] = out["year"].astype("Int64")
    for col in ("sn_rank", "national_rank"):
        out[col] = out[col].astype("Int64")
    out["sn_of"] = out["sn_of"].astype("Int64")
    out["national_of"] = out["national_of"].astype("Int64")
    return out


# ------------------------------------------------------------------------------------------------------------
# Significance vs England: progress scores only (the one KS2 measure published with confidence intervals)
# ------------------------------------------------------------------------------------------------------------


def progress_ci(
    indicators: pd.DataFrame | None,
    la_code: int,
    indicator: str,
    school_results: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """An approximate 95% confidence interval for an LA's KS2 progress score, by year, and whether it is
    significantly above or below England (0 by construction), LAIT's value being the centre.

    LAIT publishes LA progress scores without intervals. We rebuild the DfE's method: interval =
    score +/- 1.96 * sd / sqrt(N x coverage), with sd and coverage those of the year's published school limits
    (:func:`ks2workbook.analyses.progress.pupil_sd`) and N the LA's eligible pupils summed over its schools. A
    year gets an interval only when both are known for that very year (published limits and national cohort
    counts; no stand-in from another year, since a significance mark must not rest on an approximation).
    Columns: ``year``,
    ``value``, ``lower``, ``upper``, ``pupils``, ``significance`` ("significantly above England",
    "significantly below England", "not significantly different", or "no interval")."""
    if indicator not in PROGRESS_COLUMNS:
        raise NoDataError(
            f"{indicator} has no confidence interval: only the progress scores "
            f"({', '.join(PROGRESS_COLUMNS)}) are published with one, so only they get a significance mark."
        )
    area = require_rankable_la(la_code)
    sr = tables.load("school_results") if school_results is None else school_results
    subject = PROGRESS_COLUMNS[indicator]
    mine = sr[(sr.la_code == area.code) & sr[f"{subject}_prog"].notna()]
    pupils = mine.groupby("year")["cohort"].sum(min_count=1)
    out = series(indicators, area.code, indicator).dropna(subset=["value"]).reset_index(drop=True)
    out["pupils"] = out.year.map(pupils).astype(float)
    half = pd.Series(
        [progress.half_width(int(y), subject, n, nearest=False) for y, n in zip(out.year, out.pupils, strict=True)],
        index=out.index,
        dtype="float64",
    )
    out["lower"] = out["value"] - half
    out["upper"] = out["value"] + half
    label = np.select(
        [half.isna().to_numpy(), (out["lower"] > 0).to_numpy(), (out["upper"] < 0).to_numpy()],
        ["no interval", "significantly above England", "significantly below England"],
        default="not significantly different",
    )
    out["significance"] = label
    return out[["year", "value", "lower", "upper", "pupils", "significance"]]


# ------------------------------------------------------------------------------------------------------------
# Data checks, export, headline
# ------------------------------------------------------------------------------------------------------------


def mismatch_report(
    indicators: pd.DataFrame | None = None,
    neighbours: pd.DataFrame | None = None,
    indicator: str = indicator_sets.headline(),
    year: int | None = None,
) -> pd.DataFrame:
    """LAs in the SN lists vs LAs in ``la_indicators``, and what happens to each mismatch.

    One row per problem: ``version``, ``la_code``, ``la_name``, ``issue``, ``detail``. Issues: an LA with
    indicator data but no SN group in a version (e.g. 942/943 in April 2021); an SN LA or neighbour absent
    from ``la_indicators``; a neighbour with no value of ``indicator`` in ``year`` (latest by default) -
    typically a retired council (Cumbria 909, Northamptonshire 928, pre-2019 Dorset) left out of the SN
    average. An empty frame means the two files agree. For the shipped tables (``indicators`` and
    ``neighbours`` both ``None``) computed once per process (the same for every LA); a copy is returned."""
    if indicators is None and neighbours is None:
        return _mismatch_shipped(indicator, None if year is None else int(year))
    return _mismatch_report(_table(indicators), neighbours, indicator, year)


@cached_on("la_indicators", "neighbours", persist=True)
def _mismatch_shipped(indicator: str, year: int | None) -> pd.DataFrame:
    return _mismatch_report(_table(None), None, indicator, year)


def _mismatch_report(
    table: pd.DataFrame, neighbours: pd.DataFrame | None, indicator: str, year: int | None
) -> pd.DataFrame:
    sn = tables.load("neighbours") if neighbours is None else neighbours
    names = dict(zip(table.la_code, table.la_name, strict=False))
    names.update(dict(zip(sn.la_code, sn.la_name, strict=False)))
    li_codes = set(int(c) for c in table.loc[table.la_code < LA_CODE_LIMIT, "la_code"].unique())
    year = _check_year(table, indicator, year)
    has_value = set(
        table.loc[(table.indicator == indicator) & (table.year == year) & table.value.notna(), "la_code"].astype(int)
    )
    rows = []

    def add(version, code, issue, detail):
        rows.append(
            {
                "version": version,
                "la_code": int(code),
                "la_name": names.get(code, "?"),
                "issue": issue,
                "detail": detail,
            }
        )

    label = getattr(indicator_sets.info(indicator), "name", "the headline")

    def heirs(code: int) -> str:
        return " and ".join(f"{names.get(c, c)}" for c in successors().get(code, ()))

    for version in sorted(sn.version.unique()):
        part = sn[sn.version == version]
        groups = set(int(c) for c in part.la_code.unique())
        for code in sorted(li_codes - groups):
            old = [o for o, new in successors().items() if code in new]
            add(
                version,
                code,
                "no neighbour group in this list",
                f"has figures but is not in the {edition_label(version)} list"
                + (f"; it replaced {names.get(old[0], old[0])}, whose group can stand in" if old else ""),
            )
        for code in sorted(groups - li_codes):
            add(version, code, "no figures", "has a neighbour group but no published figures")
        for code in sorted(set(int(c) for c in part.neighbour_code) - li_codes):
            add(version, code, "neighbour without figures", "named as a neighbour but has no published figures")
        live = part[~part.retired_block]
        for code in sorted(set(int(c) for c in live.neighbour_code) - has_value):
            users = sorted(int(c) for c in live.loc[live.neighbour_code == code, "la_code"].unique())
            add(
                version,
                code,
                f"neighbour without a {year} figure",
                f"no {label} figure for {year}: left out of the neighbours' average of {len(users)} "
                f"council{'s' if len(users) != 1 else ''}, never counted as zero"
                + (f"; {heirs(code)} now hold its schools" if heirs(code) else ""),
            )
        for code in sorted(set(int(c) for c in part.loc[part.retired_block, "la_code"].unique())):
            add(
                version,
                code,
                "council that has ended",
                "kept among the old neighbours for history, with no current figures"
                + (f"; replaced by {heirs(code)}" if heirs(code) else ""),
            )
    return pd.DataFrame(rows, columns=["version", "la_code", "la_name", "issue", "detail"])


def export_frame(
    la_code: int,
    indicator: str = indicator_sets.headline(),
    year: int | None = None,
    sn_version: int | str | None = None,
    custom_neighbours: Sequence[int] | None = None,
) -> pd.DataFrame:
    """The table behind ``ks2workbook export neighbours``: the LA and its neighbours for one year (latest by
    default), best first, with value, rank in the group, national rank and band, plus rows for the SN
    average and England. Columns: ``set``, ``year``, ``la_code``, ``la_name``, ``value``, ``sn_rank``,
    ``national_rank``, ``band``, ``is_la``."""
    table = _table(None, indicator)
    grp = sn_ranking(table, la_code, indicator, year, sn_version, custom_neighbours)
    yr = int(grp.year.iloc[0])
    nat = national_table(None, indicator, yr).set_index("la_code")
    out = grp.rename(columns={"rank": "sn_rank"})
    out["national_rank"] = out.la_code.map(nat["rank"]).astype("Int64")
    out["band"] = out.la_code.map(nat["band"]).astype("string")
    sn_val = grp.loc[~grp.is_la, "value"].mean()
    eng = series(table, ENGLAND, indicator)
    eng_val = eng.loc[eng.year == yr, "value"]
    extra = pd.DataFrame(
        {
            "la_code": pd.array([pd.NA, ENGLAND], dtype="Int64"),
            "la_name": ["SN average", "England"],
            "value": [sn_val, float(eng_val.iloc[0]) if len(eng_val) else np.nan],
            "is_la": [False, False],
            "year": [yr, yr],
            "set": [grp.set.iloc[0]] * 2,
        }
    )
    out = pd.concat([out.astype({"la_code": "Int64"}), extra], ignore_index=True)
    out.insert(0, "indicator", indicator)
    return out[
        [
            "indicator",
            "set",
            "year",
            "la_code",
            "la_name",
            "value",
            "sn_rank",
            "national_rank",
            "band",
            "is_la",
        ]
    ]


def context_table(
    la_code: int, year: int, version: int | str | None = None, custom: Sequence[int] | None = None
) -> pd.DataFrame:
    """The LA and its neighbours side by side on the headline and on context (free school meals, English as an
    additional language) in ``year`` (context from its latest year up to ``year``): ``la_code``, ``la_name``,
    ``is_la``, ``value`` and one column per context indicator, ``context_year``."""
    head = indicator_sets.headline()
    group = sn_ranking(None, la_code, head, year, version, custom)
    out = group[["la_code", "la_name", "is_la", "value"]].copy()
    for ind in CONTEXT_INDICATORS:
        table = _table(None, ind)
        held = [y for y in years_with_data(table, ind) if y <= year]
        ctx_year = held[-1] if held else None
        values = table[(table.indicator == ind) & (table.year == ctx_year)].set_index("la_code")["value"]
        out[ind] = out["la_code"].map(values)
        out[f"{ind}_year"] = ctx_year
    return out.reset_index(drop=True)


def headline(
    la_code: int,
    year: int | None = None,
    indicator: str = indicator_sets.headline(),
    sn_version: int | str | None = None,
    indicators: pd.DataFrame | None = None,
) -> dict:
    """Headline neighbour figures for the cabinet summary: ``la_code``, ``la_name``, ``indicator``,
    ``description``, ``year``, ``value``, ``england``, ``sn_average``, ``n_neighbours``, ``sn_rank``,
    ``sn_of``, ``top_five`` (bool), ``national_rank``, ``national_of``, ``band``, ``change``,
    ``previous_year``, ``favourable``, ``sn_set``."""
    table = _table(indicators, indicator)
    area = require_rankable_la(la_code)
    info = indicator_info(table, indicator)
    grp = sn_ranking(table, area.code, indicator, year, sn_version)
    yr = int(grp.year.iloc[0])
    la_row = grp[grp.is_la].iloc[0]
    nat = national_rank(indicators, area.code, indicator, yr)
    tr = trend(table, area.code, indicator)
    tr_row = tr[tr.year == yr]
    eng = series(table, ENGLAND, indicator)
    eng_val = eng.loc[eng.year == yr, "value"]
    nbr = grp.loc[~grp.is_la, "value"]
    sn_rank = la_row["rank"]
    return {
        "la_code": area.code,
        "la_name": area.name,
        "indicator": indicator,
        "description": info["description"],
        "year": yr,
        "value": float(la_row["value"]),
        "england": float(eng_val.iloc[0]) if len(eng_val) else np.nan,
        "sn_average": float(nbr.mean()),
        "n_neighbours": int(nbr.notna().sum()),
        "sn_rank": None if pd.isna(sn_rank) else int(sn_rank),
        "sn_of": int(grp["rank"].notna().sum()),
        "top_five": bool(not pd.isna(sn_rank) and sn_rank <= 5),
        "national_rank": None if pd.isna(nat["rank"]) else int(nat["rank"]),
        "national_of": nat["of"],
        "band": None if pd.isna(nat["band"]) else str(nat["band"]),
        "change": float(tr_row["change"].iloc[0]) if len(tr_row) else np.nan,
        "previous_year": None
        if tr_row.empty or pd.isna(tr_row["previous_year"].iloc[0])
        else int(tr_row["previous_year"].iloc[0]),
        "favourable": None
        if tr_row.empty or pd.isna(tr_row["favourable"].iloc[0])
        else bool(tr_row["favourable"].iloc[0]),
        "sn_set": str(grp.set.iloc[0]),
    }


# ------------------------------------------------------------------------------------------------------------
# Display helpers shared by the notebook's static cells and its ipywidgets explorer
# ------------------------------------------------------------------------------------------------------------
