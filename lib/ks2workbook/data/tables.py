"""From the catalogued raw files to the tidy tables every analysis uses, and the cache that keeps them.

Each ``build_<table>`` reads the catalogue entries of the kinds it needs (never a list of files in code), runs
their readers (:mod:`ks2workbook.data.readers`) and joins them: LA placement by URN where a file has none,
names matched to URNs where a file has no URN, and precedence where two files hold the same school and year
(the DfE's own file over a third party's reduced copy, a national file over one LA's, revised and final over
provisional: :attr:`ks2workbook.data.catalogue.Entry.precedence`). :func:`load` serves a table from the parquet
cache under ``data/processed/``, rebuilding it when a catalogued file, a table it depends on or the code that
builds it has changed; a raw file whose checksum differs from its catalogue entry is refused, naming it.

Tables: ``areas``, ``la_indicators``, ``neighbours``, ``census``, ``ofsted``, ``schools``, ``school_results``.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import cache, lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from ..core.errors import RawFileError
from ..core.paths import package_dir, processed_dir
from ..core.world import ENGLAND, REGION_CODES
from . import catalogue
from .catalogue import Entry
from .readers import census as census_reader
from .readers import (
    ees,
    header_of,
    ks2_extracts,
    ks2_school,
    lait,
    neighbours_file,
    read_text_table,
    school_lists,
    upper_columns,
)
from .readers import ofsted as ofsted_reader
from .schemas import SCHEMAS, conform, validate

# --------------------------------------------------------------------------------------------------------------
# Areas and LA-level indicators
# --------------------------------------------------------------------------------------------------------------


def _region_key(name: object) -> str:
    """Normalise region names that differ between files ("Outer London" vs "London (Outer)")."""
    text = str(name).strip().lower()
    return {"outer london": "london (outer)", "inner london": "london (inner)"}.get(text, text)


def la_changes() -> list[dict]:
    """The reorganisations of ``la_changes.yaml`` (date, ended, successors, source)."""
    with open(package_dir() / "data" / "la_changes.yaml", encoding="utf-8") as handle:
        return yaml.safe_load(handle)["changes"]


def build_areas() -> pd.DataFrame:
    """Every LA, region and England in the LA code list, with its region code and whether it exists now.

    ``kind`` is ``la`` (codes below 970), ``england`` (970), ``region`` (980-990) or ``discontinued``.
    ``current`` is False for councils that have ended (``la_changes.yaml``): their history stays listed.
    """
    entries = catalogue.load().of_kind("la_code_list")
    if not entries:
        raise RawFileError("the catalogue lists no LA code list (kind la_code_list)")
    frame = lait.read_codes(entries[-1])
    frame["kind"] = np.select(
        [frame.la_code < ENGLAND, frame.la_code == ENGLAND, frame.la_code.isin(REGION_CODES)],
        ["la", "england", "region"],
        default="discontinued",
    )
    regions = frame[frame.kind == "region"]
    code_by_region = {_region_key(n): c for n, c in zip(regions.la_name, regions.la_code, strict=True)}
    frame["region_code"] = frame["region"].map(lambda r: code_by_region.get(_region_key(r)) if pd.notna(r) else None)
    frame.loc[frame.kind == "region", "region_code"] = frame.loc[frame.kind == "region", "la_code"]
    frame["region_code"] = frame["region_code"].astype("Int64")
    frame.loc[frame.kind != "la", "region"] = frame.loc[frame.kind != "la", "la_name"]
    ended = {code for change in la_changes() for code in change["ended"]}
    frame["current"] = (frame["kind"] == "la") & ~frame["la_code"].isin(ended)
    return validate("areas", conform("areas", frame))


def build_la_indicators(areas: pd.DataFrame | None = None) -> pd.DataFrame:
    """LAIT's long table, one row per area, indicator and year, with description and polarity; where LAIT has
    no value yet, the same figure from an Explore Education Statistics LA file or from the LA and England rows of
    a DfE KS2 school file (``source`` says which). ``value`` is NaN where not published: never zero."""
    cat = catalogue.load()
    parts = [lait.read_timeseries(e).assign(source="DfE LAIT") for e in cat.of_kind("lait_timeseries")]
    dictionaries = [lait.read_dictionary(e) for e in cat.of_kind("lait_dictionary")]
    if not parts or not dictionaries:
        raise RawFileError("the catalogue lists no LAIT time series or data dictionary")
    frame = pd.concat(parts, ignore_index=True)
    meta = pd.concat(dictionaries).drop_duplicates("indicator", keep="last")
    extra = _la_rows_from_other_files(cat, areas if areas is not None else load("areas"))
    if len(extra):
        have = frame.dropna(subset=["value"]).set_index(["indicator", "la_code", "year"]).index
        key = pd.MultiIndex.from_frame(extra[["indicator", "la_code", "year"]])
        extra = extra[~key.isin(have)]
        names = frame.drop_duplicates("la_code").set_index("la_code")[["la_name", "region"]]
        extra = extra.join(names, on="la_code")
        frame = pd.concat([frame, extra.assign(year_label=extra["year"].astype(str))], ignore_index=True)
        frame = frame.sort_values("value", na_position="first").drop_duplicates(
            ["indicator", "la_code", "year"], keep="last"
        )
    frame = frame.merge(meta, on="indicator", how="left")
    frame["polarity"] = frame["polarity"].fillna("None")
    frame["no_quartile"] = frame["no_quartile"].fillna(False).astype(bool)
    frame["description"] = frame["description"].fillna(frame["indicator"])
    frame = frame.sort_values(["indicator", "la_code", "year"])
    return validate("la_indicators", conform("la_indicators", frame))


def _ks2_school_file(entry: Entry) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A KS2 school file read once, not once per table: its LA and England rows go into ``la_indicators``, its
    schools into ``school_results``. Keyed on the catalogue entry, checksum included; copies out."""
    schools, area_rows = _ks2_school_read(entry)
    return schools.copy(deep=False), area_rows.copy(deep=False)


_ks2_school_read = lru_cache(maxsize=16)(ks2_school.read)


def _la_rows_from_other_files(cat: catalogue.Catalogue, areas: pd.DataFrame) -> pd.DataFrame:
    """LAIT-style rows from EES LA files and from KS2 school files' LA and England rows, best file first."""
    region_codes = {
        _region_key(n): int(c) for n, c in zip(areas["la_name"], areas["la_code"], strict=True) if c in REGION_CODES
    }
    parts = []
    for entry in sorted(cat.of_kind("ees_ks2_la"), key=lambda e: e.precedence, reverse=True):
        parts.append(ees.read(entry, region_codes))
    for entry in sorted(cat.of_kind("ks2_school_file"), key=lambda e: e.precedence, reverse=True):
        _, area_rows = _ks2_school_file(entry)
        for column, indicator in ks2_school.LAIT_INDICATORS.items():
            if column in area_rows:
                parts.append(
                    pd.DataFrame(
                        {
                            "la_code": area_rows["la_code"].astype(int),
                            "indicator": indicator,
                            "year": area_rows["year"],
                            "value": area_rows[column],
                            "source": entry.path,
                        }
                    )
                )
    if not parts:
        return pd.DataFrame(columns=["la_code", "indicator", "year", "value", "source"])
    frame = pd.concat(parts, ignore_index=True).dropna(subset=["value"])
    return frame.drop_duplicates(["indicator", "la_code", "year"], keep="first")


def build_neighbours() -> pd.DataFrame:
    """Every edition of the DfE statistical neighbours: one row per LA, edition (``version``) and rank 1-10."""
    entries = catalogue.load().of_kind("statistical_neighbours")
    if not entries:
        raise RawFileError("the catalogue lists no statistical neighbours workbook")
    frame = pd.concat([neighbours_file.read(e) for e in entries])
    frame = frame.astype({"la_code": int, "neighbour_code": int}).sort_values(["version", "la_code", "rank"])
    frame = frame.drop_duplicates(["version", "la_code", "rank"], keep="last")
    return validate("neighbours", conform("neighbours", frame))


# --------------------------------------------------------------------------------------------------------------
# Census, Ofsted, schools
# --------------------------------------------------------------------------------------------------------------


def build_census() -> pd.DataFrame:
    """School census per school and year: pupils on roll, % FSM (current and ever-6), % EAL (January census:
    January 2018 belongs to KS2 year 2018)."""
    entries = sorted(catalogue.load().of_kind("school_census"), key=lambda e: (e.year, e.precedence))
    frame = pd.concat([census_reader.read(e) for e in entries])
    frame = frame.drop_duplicates(["urn", "year"], keep="last")
    frame["la_code"] = frame["la_code"].astype("Int64")
    frame["urn"] = frame["urn"].astype(int)
    return validate("census", conform("census", frame))


#: Which reader each kind of inspection file has, richest last (it wins an inspection held twice).
_OFSTED_READERS: dict[str, Callable[[Entry], pd.DataFrame]] = {
    "ofsted_history": ofsted_reader.read_history,
    "ofsted_latest_json": ofsted_reader.read_latest_json,
    "ofsted_mi": ofsted_reader.read_mi,
}


def build_ofsted() -> pd.DataFrame:
    """One row per inspection: its framework and what it judged (see :mod:`ks2workbook.data.readers.ofsted`)."""
    cat = catalogue.load()
    parts = [reader(e) for kind, reader in _OFSTED_READERS.items() for e in cat.of_kind(kind)]
    frame = pd.concat(parts, ignore_index=True).dropna(subset=["urn", "inspection_date"])
    frame["urn"] = frame["urn"].astype(int)
    frame = frame.drop_duplicates(["urn", "inspection_date"], keep="last").sort_values(["urn", "inspection_date"])
    frame["has_overall_grade"] = frame["grade"].notna()
    return validate("ofsted", conform("ofsted", frame))


_MAINSTREAM_TYPES_LATER = {"State-funded primary", "State-funded secondary"}


def _is_location_column(name: str) -> bool:
    return name.strip().upper() in {"URN", "LATITUDE", "LONGITUDE"}


def _school_locations(cat: catalogue.Catalogue) -> pd.DataFrame:
    """URN -> latitude, longitude from KS2 files that carry them (the 2019 national file does)."""
    parts = []
    for entry in sorted(cat.of_kind("ks2_school_file"), key=lambda e: e.year or 0):
        header = {c.upper() for c in header_of(catalogue.require(entry), entry.encoding)}
        if {"LATITUDE", "LONGITUDE", "URN"} <= header:
            raw = upper_columns(read_text_table(entry, usecols=_is_location_column))
            parts.append(
                pd.DataFrame(
                    {
                        "urn": pd.to_numeric(raw["URN"], errors="coerce"),
                        "latitude": pd.to_numeric(raw["LATITUDE"], errors="coerce"),
                        "longitude": pd.to_numeric(raw["LONGITUDE"], errors="coerce"),
                    }
                ).dropna()
            )
    if not parts:
        return pd.DataFrame(columns=["latitude", "longitude"], index=pd.Index([], name="urn"))
    return pd.concat(parts).drop_duplicates("urn", keep="last").set_index("urn")


def build_schools(census: pd.DataFrame | None = None, ofsted: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per school (URN): name, LA then and now, type, whether state-funded mainstream, primary, age
    range, open and close dates, location.

    School lists are the base (the newest list that knows a school gives its details; GIAS over the performance
    tables' list). Schools in no list are added from the censuses (LA and a broad type) with names from Ofsted.
    ``la_code_now`` is the LA of the school's latest census (so Cumberland's schools are Cumberland's, not
    Cumbria's, in every year); ``latitude``/``longitude`` come from GIAS or the KS2 files that carry them.
    """
    cat = catalogue.load()
    census = census if census is not None else load("census")
    ofsted = ofsted if ofsted is not None else load("ofsted")
    lists = sorted(cat.of_kind("school_list", "gias"), key=lambda e: (e.kind == "gias", e.year or 0))
    if not lists:
        raise RawFileError("the catalogue lists no school list (kind school_list or gias)")
    parts = [school_lists.read_gias(e) if e.kind == "gias" else school_lists.read_spine(e) for e in lists]
    base = pd.concat(parts, ignore_index=True).drop_duplicates("urn", keep="last")
    later = census[~census.urn.isin(base.urn)].sort_values("year").drop_duplicates("urn", keep="last")
    names = ofsted.dropna(subset=["school_name"]).drop_duplicates("urn", keep="last").set_index("urn")["school_name"]
    added = pd.DataFrame(
        {
            "urn": later["urn"],
            "name": later["urn"].map(names),
            "la_code": later["la_code"],
            "school_type": later["school_type"],
            "is_mainstream_state": later["school_type"].isin(_MAINSTREAM_TYPES_LATER),
            "is_primary": later["school_type"].eq("State-funded primary"),
            "open_date": pd.NaT,
            "close_date": pd.NaT,
            "source": "census " + later["year"].astype(str),
        }
    )
    frame = pd.concat([base, added], ignore_index=True).drop_duplicates("urn")
    frame["urn"] = frame["urn"].astype(int)
    latest_la = census.dropna(subset=["la_code"]).sort_values("year").drop_duplicates("urn", keep="last")
    frame["la_code_now"] = frame["urn"].map(latest_la.set_index("urn")["la_code"]).fillna(frame["la_code"])
    located = _school_locations(cat)
    for col in ("latitude", "longitude"):
        here = frame[col] if col in frame else pd.Series(np.nan, index=frame.index)
        frame[col] = here.fillna(frame["urn"].map(located[col]))
    open_now = set(census.loc[census["year"] == census["year"].max(), "urn"])
    frame = frame.join(_predecessors(frame, open_now), on="urn")
    return validate("schools", conform("schools", frame))


def _predecessors(schools: pd.DataFrame, open_now: set[int]) -> pd.DataFrame:
    """URN -> the school it replaced (an academy conversion keeps the school, not the URN): from the school list's
    own link (``OTHERURN``: the closed school beside the open one), else the one closed school with the same name
    in the same LA as a school open now that has no link. ``predecessor_from`` says which."""
    closed = schools["close_date"].notna() | ~schools["urn"].isin(open_now)
    is_closed = dict(zip(schools["urn"], closed, strict=True))
    links: dict[int, tuple[int, str]] = {}
    if "other_urn" in schools:
        for urn, other in zip(schools["urn"], schools["other_urn"], strict=True):
            if pd.isna(other) or int(other) not in is_closed:
                continue
            other = int(other)
            if is_closed[other] and not is_closed[urn]:
                links[int(urn)] = (other, "school list")
            elif is_closed[urn] and not is_closed[other]:
                links[other] = (int(urn), "school list")
    keyed = schools.assign(_key=schools["name"].map(normalise_name), _closed=closed)
    keyed = keyed[keyed["_key"].ne("") & keyed["la_code_now"].notna()]
    # Name pairs: exactly two schools of one name in one LA, one closed and one open (one pass over the groups,
    # not a loop: tens of thousands of names).
    by_name = keyed.groupby(["la_code_now", "_key"], sort=False)
    pair = (by_name["urn"].transform("size") == 2) & (by_name["_closed"].transform("sum") == 1)
    pairs = keyed.loc[pair, ["la_code_now", "_key", "urn", "_closed"]]
    named = pairs[~pairs["_closed"]].merge(pairs[pairs["_closed"]], on=["la_code_now", "_key"], suffixes=("", "_old"))
    for new, old in zip(named["urn"], named["urn_old"], strict=True):
        links.setdefault(int(new), (int(old), "same name"))
    out = pd.DataFrame.from_dict(links, orient="index", columns=["predecessor_urn", "predecessor_from"])
    out.index.name = "urn"
    return out


# --------------------------------------------------------------------------------------------------------------
# School results
# --------------------------------------------------------------------------------------------------------------


def normalise_name(name: object) -> str:
    """A school name reduced for matching: case, punctuation, '&', 'C of E' and 'St.' spellings unified."""
    return _normalised(str(name))


@lru_cache(maxsize=1 << 18)
def _normalised(name: str) -> str:
    """Remembered: a build reduces each of some 40,000 names several times (school lists, Ofsted, every year's
    results file)."""
    text = name.lower().replace("&", " and ").replace("'", "")
    text = re.sub(r"\bc\.?\s*of\s*e\.?\b|\bcofe\b|\bce\b", " church of england ", text)
    text = re.sub(r"\bst\.?\s", "st ", text)
    text = re.sub(r"[^a-z0-9]+", " ", text)
    # Words that vary between files for the same school; "junior" and "infant" are kept: they tell schools apart.
    text = re.sub(r"\b(the|school|academy|primary|voluntary|aided|controlled)\b", " ", text)
    return re.sub(r"\s+", " ", text).strip()


def match_urns_by_name(frame: pd.DataFrame, aliases: pd.DataFrame) -> pd.Series:
    """URN for each row of ``frame`` (columns ``la_code``, ``school_name``) by normalised name within its LA.

    ``aliases`` holds every (urn, la_code, name, current) we know: school-list and Ofsted names, under both the
    list's LA and the latest census LA (so schools of councils that merged since, Cumbria 909 -> 942/943 and
    Northamptonshire 928 -> 940/941, still match). A row matches only when exactly one URN has that normalised
    name in that LA: ambiguous or absent names stay unmatched (NA), because a wrong URN would be worse than none.
    The match rate is reported in every report's data notes.
    """
    keyed = aliases.assign(_key=aliases["name"].map(normalise_name))
    keyed = keyed[keyed["_key"].ne("") & keyed["la_code"].notna()].drop_duplicates(["la_code", "_key", "urn"])
    # An academy conversion leaves two URNs with one name: the closed one and the open one. Where a name is
    # shared, only URNs still open (in the latest census, no close date) stay candidates.
    shared = keyed.groupby(["la_code", "_key"])["urn"].transform("size") > 1
    keyed = keyed[~shared | keyed["current"]]
    counts = keyed.groupby(["la_code", "_key"])["urn"].transform("size")
    lookup = dict(zip(zip(keyed["la_code"], keyed["_key"], strict=True), keyed["urn"], strict=True))
    ambiguous = set(zip(keyed.loc[counts > 1, "la_code"], keyed.loc[counts > 1, "_key"], strict=True))
    keys = zip(frame["la_code"], frame["school_name"].map(normalise_name), strict=True)
    return pd.Series(
        [pd.NA if k in ambiguous else lookup.get(k, pd.NA) for k in keys], index=frame.index, dtype="Int64"
    )


def school_name_aliases(schools: pd.DataFrame, census: pd.DataFrame, ofsted: pd.DataFrame) -> pd.DataFrame:
    """Every (urn, la_code, name) pair we hold, for matching files that have names but no URN."""
    names = pd.concat(
        [
            schools[["urn", "name"]],
            ofsted.dropna(subset=["school_name"])[["urn", "school_name"]].rename(columns={"school_name": "name"}),
        ]
    ).dropna()
    latest_la = census.dropna(subset=["la_code"]).sort_values("year").drop_duplicates("urn", keep="last")
    las = pd.concat([schools[["urn", "la_code"]], latest_la[["urn", "la_code"]]]).dropna().drop_duplicates()
    open_now = set(census.loc[census["year"] == census["year"].max(), "urn"]) - set(
        schools.loc[schools["close_date"].notna(), "urn"]
    )
    out = names.merge(las, on="urn").drop_duplicates()
    return out.assign(current=out["urn"].isin(open_now))


def _attach_la(frame: pd.DataFrame, census: pd.DataFrame, schools: pd.DataFrame) -> pd.DataFrame:
    """LA for rows that have a URN but no LA: the census of the same year, else the school list, else the nearest
    census. ``la_from`` records which, so an analyst can see how each school was placed."""
    out = frame.copy()
    missing = out["la_code"].isna() if "la_code" in out else pd.Series(True, index=out.index)
    by_year = census.dropna(subset=["la_code"]).drop_duplicates(["urn", "year"]).set_index(["urn", "year"])["la_code"]
    same = pd.Series(
        by_year.reindex(pd.MultiIndex.from_arrays([out["urn"].astype("Int64"), out["year"]])).to_numpy(),
        index=out.index,
    )
    any_year = census.dropna(subset=["la_code"]).sort_values("year").drop_duplicates("urn", keep="last")
    nearest = out["urn"].map(any_year.set_index("urn")["la_code"])
    listed = out["urn"].map(schools.set_index("urn")["la_code"])
    la = out["la_code"].astype("Int64") if "la_code" in out else pd.Series(pd.NA, index=out.index, dtype="Int64")
    out["la_from"] = np.where(la.notna(), "file", None)
    out["la_code"] = la
    for values, label in ((same, "census_same_year"), (listed, "school_list"), (nearest, "census_other_year")):
        fill = missing & out["la_code"].isna() & values.notna()
        out.loc[fill, "la_code"] = values[fill]
        out.loc[fill, "la_from"] = label
    out["la_from"] = out["la_from"].fillna("unplaced")
    return out


#: Kinds of KS2 school-results file, and how each is read into our columns.
_RESULT_READERS: dict[str, Callable[[Entry], pd.DataFrame]] = {
    "ks2_school_file": lambda e: _ks2_school_file(e)[0],
    "ks2_extract_waiky8": ks2_extracts.read_waiky8,
    "ks2_json_by_urn": ks2_extracts.read_by_urn,
    "ks2_json_league": ks2_extracts.read_league,
}


def build_school_results(
    census: pd.DataFrame | None = None, schools: pd.DataFrame | None = None, ofsted: pd.DataFrame | None = None
) -> pd.DataFrame:
    """One row per school and KS2 year from every catalogued results file.

    Where two files hold the same school and year, the row of the file with the higher precedence is kept whole
    (the DfE's own Hampshire and Surrey files over the national extracts for those LAs: the same figures, a test
    checks this, plus confidence limits and the disadvantaged split). Rows of a file with no URN (2024, 2025) are
    matched to a URN by name within the LA, and dropped where a better file covers that LA and year. Rows with a
    URN and no LA are placed by :func:`_attach_la`. ``la_code_now`` is the school's LA now.
    """
    census = census if census is not None else load("census")
    schools = schools if schools is not None else load("schools")
    ofsted = ofsted if ofsted is not None else load("ofsted")
    cat = catalogue.load()
    entries = sorted(
        (e for kind in _RESULT_READERS for e in cat.of_kind(kind)), key=lambda e: e.precedence, reverse=True
    )
    aliases = None
    parts = []
    for rank, entry in enumerate(entries):
        rows = _RESULT_READERS[entry.kind](entry)
        if "urn" not in rows:  # names only: matched to a URN within the LA
            aliases = aliases if aliases is not None else school_name_aliases(schools, census, ofsted)
            urns = match_urns_by_name(rows, aliases)
            rows["urn"] = urns.where(~urns.duplicated(keep=False) | urns.isna())  # one URN claimed twice: neither
            rows["la_from"] = "file"
        else:  # URNs: placed in an LA by the file, else by the census or the school list
            rows = _attach_la(rows.dropna(subset=["urn"]), census, schools)
        parts.append(rows.assign(_rank=rank))
    frame = pd.concat(parts, ignore_index=True)
    frame["year"] = frame["year"].astype(int)
    frame = _keep_best(frame, entries)
    names = schools.set_index("urn")["name"]
    frame["school_name"] = frame["school_name"].fillna(frame["urn"].map(names))
    frame["urn"] = frame["urn"].astype("Int64")
    now = schools.set_index("urn")["la_code_now"]
    frame["la_code_now"] = frame["urn"].map(now).astype("Int64").fillna(frame["la_code"].astype("Int64"))
    frame = frame.sort_values(["year", "la_code", "urn"], na_position="last")
    return validate("school_results", conform("school_results", frame))


def _keep_best(frame: pd.DataFrame, entries: list[Entry]) -> pd.DataFrame:
    """One row per school and year: the best file's (``_rank`` 0 = best). A row without a URN is dropped where a
    better national file covers its year, or a better file covers its LA and year."""
    frame = frame.sort_values("_rank", kind="stable")
    with_urn = frame[frame["urn"].notna()].drop_duplicates(["urn", "year"], keep="first")
    without = frame[frame["urn"].isna()]
    keep = [
        not any(
            entry.year == year and (entry.coverage == "england" or entry.coverage == la) for entry in entries[:rank]
        )
        for rank, year, la in zip(without["_rank"], without["year"], without["la_code"], strict=True)
    ]
    return pd.concat([with_urn, without[keep]]).drop(columns="_rank")


def result_files(year: int | None = None, *, dfe_only: bool = False) -> list[Entry]:
    """Catalogued KS2 school-results files (of ``year``; only the DfE's own with ``dfe_only``), best first."""
    entries = [e for kind in _RESULT_READERS for e in catalogue.load().of_kind(kind)]
    entries = [e for e in entries if (year is None or e.year == year) and (not dfe_only or e.rank == "dfe")]
    return sorted(entries, key=lambda e: e.precedence, reverse=True)


def results_of(entry: Entry) -> pd.DataFrame:
    """The school rows of one catalogued KS2 results file in our columns, as published: no precedence, no LA
    placement, no name matching (for checks of one file against another)."""
    return _RESULT_READERS[entry.kind](entry)


# --------------------------------------------------------------------------------------------------------------
# Helpers the analyses share
# --------------------------------------------------------------------------------------------------------------


def not_mainstream_urns() -> pd.Index:
    """URNs the school list marks as not state-funded mainstream (special schools, independent schools): the
    floor, the strands and the risk model are for mainstream primaries. Schools the list does not know are kept."""
    schools = load("schools")
    return pd.Index(schools.loc[~schools["is_mainstream_state"], "urn"].astype("int64"))


# --------------------------------------------------------------------------------------------------------------
# Cache
# --------------------------------------------------------------------------------------------------------------

#: table -> (builder, catalogue kinds it reads, tables it reads)
TABLES: dict[str, tuple[Callable[[], pd.DataFrame], tuple[str, ...], tuple[str, ...]]] = {
    "areas": (build_areas, ("la_code_list",), ()),
    "la_indicators": (
        build_la_indicators,
        ("lait_timeseries", "lait_dictionary", "ees_ks2_la", "ks2_school_file"),
        ("areas",),
    ),
    "neighbours": (build_neighbours, ("statistical_neighbours",), ()),
    "census": (build_census, ("school_census",), ()),
    "ofsted": (build_ofsted, tuple(_OFSTED_READERS), ()),
    "schools": (build_schools, ("school_list", "gias", "ks2_school_file"), ("census", "ofsted")),
    "school_results": (build_school_results, tuple(_RESULT_READERS), ("census", "schools", "ofsted")),
}

#: The modules whose code shapes the tables: a change rebuilds the cache like a raw file change.
_CODE = ("tables.py", "schemas.py", "values.py", "catalogue.py", "formats.py", "la_changes.yaml", "readers")


def _inputs_fingerprint(name: str) -> dict[str, str]:
    _, kinds, deps = TABLES[name]
    prints = {f"file:{e.path}": e.sha256 for e in catalogue.load().of_kind(*kinds)}
    for dep in deps:
        prints.update(_inputs_fingerprint(dep))
    prints["schema"] = repr(SCHEMAS[name])
    prints["code"] = code_fingerprint()
    return prints


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """Hash of the data layer's code and reference files."""
    here = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for item in _CODE:
        path = here / item
        for file in sorted(path.rglob("*.py")) if path.is_dir() else [path]:
            digest.update(file.read_bytes())
    return digest.hexdigest()


def _verify_inputs(name: str) -> None:
    """Every catalogued file the table reads is present and unchanged (else a RawFileError naming it). A file is
    hashed again only when its size or modification time changed (:func:`catalogue.sha256_of`)."""
    _, kinds, deps = TABLES[name]
    for entry in catalogue.load().of_kind(*kinds):
        catalogue.require(entry)
    for dep in deps:
        _verify_inputs(dep)


_PINNED: dict[str, tuple] | None = None


@contextmanager
def pinned() -> Iterator[None]:
    """Within this block each table's freshness is checked once, not at every read: one computation (a pack's
    facts reads the tables some hundreds of times) sees one version of the data, and saves the checks' time."""
    global _PINNED
    outer = _PINNED
    if outer is None:
        _PINNED = {}
    try:
        yield
    finally:
        _PINNED = outer


def _stamp(name: str) -> tuple:
    """What a table's freshness depends on, cheaply: the catalogue's, its raw files' and the cached files' sizes
    and modification times (a raw file changed under a running kernel is caught at the next load)."""
    if _PINNED is not None and name in _PINNED:
        return _PINNED[name]
    stamp = _stat_stamp(name)
    if _PINNED is not None:
        _PINNED[name] = stamp
    return stamp


def _stat_stamp(name: str) -> tuple:
    out = []
    cat = str(catalogue.catalogue_path())
    try:
        cat_time = os.stat(cat).st_mtime_ns
    except OSError:
        cat_time = 0
    for f in _stamp_files(name, str(processed_dir()), cat, cat_time):
        try:
            st = os.stat(f)
            out.append((st.st_size, st.st_mtime_ns))
        except OSError:
            out.append(None)
    return tuple(out)


@lru_cache(maxsize=64)
def _stamp_files(name: str, processed: str, catalogue_file: str, catalogue_time: int) -> tuple[str, ...]:
    files = [catalogue_file]

    def add(table: str) -> None:
        files.extend([str(Path(processed) / f"{table}.parquet"), str(_manifest_path(table))])
        _, kinds, deps = TABLES[table]
        files.extend(str(e.file) for e in catalogue.load().of_kind(*kinds))
        for dep in deps:
            add(dep)

    add(name)
    return tuple(files)


_CHECKED: dict[tuple[str, str], tuple] = {}


def _manifest_path(name: str) -> Path:
    return processed_dir() / f"{name}.json"


def build(name: str) -> pd.DataFrame:
    """Build one table from raw and write it (and its input fingerprint) to the cache, atomically: a second
    build running at the same time writes its own temporary file."""
    if name not in TABLES:
        raise KeyError(f"unknown table {name!r}; tables: {', '.join(TABLES)}")
    _verify_inputs(name)
    frame = TABLES[name][0]()
    out = processed_dir()
    out.mkdir(parents=True, exist_ok=True)
    tag = f"{os.getpid()}"
    tmp = out / f".{name}.{tag}.parquet.tmp"
    frame.to_parquet(tmp, index=False)
    os.replace(tmp, out / f"{name}.parquet")
    manifest = out / f".{name}.{tag}.json.tmp"
    manifest.write_text(json.dumps(_inputs_fingerprint(name), indent=1))
    os.replace(manifest, _manifest_path(name))
    _load_cached.cache_clear()
    return frame


def is_fresh(name: str) -> bool:
    """True when the cached table exists and was built from the catalogued files and code as they are now."""
    manifest = _manifest_path(name)
    if not manifest.is_file() or not (processed_dir() / f"{name}.parquet").is_file():
        return False
    try:
        return json.loads(manifest.read_text()) == _inputs_fingerprint(name)
    except ValueError:
        return False


@cache
def _load_cached(name: str, root: str, stamp: int) -> pd.DataFrame:
    return read_without_threads(Path(root) / f"{name}.parquet")


def read_without_threads(path: Path) -> pd.DataFrame:
    """A parquet file read as :func:`pandas.read_parquet` reads it (a test compares the two on every table), but
    through Arrow's single-file reader with its thread pools left alone: ``pandas.read_parquet`` goes through
    Arrow's dataset reader, which starts threads even when told to use none, and a process with such threads cannot
    safely fork (the report kernels are forked from a process that has read the tables, :func:`preload`)."""
    import pyarrow.parquet as pq

    table = pq.ParquetFile(path, pre_buffer=False).read(use_threads=False, use_pandas_metadata=True)
    frame = table.to_pandas(use_threads=False)
    meta = table.schema.metadata or {}
    if b"PANDAS_ATTRS" in meta:
        frame.attrs = json.loads(meta[b"PANDAS_ATTRS"])
    return frame


def preload(names: Sequence[str]) -> list[str]:
    """Read the named tables into this process's cache where they are fresh, building nothing and raising nothing;
    returns the names read. For the process the report kernels are forked from: each kernel then finds the tables
    (and the check of their raw files) already made, as long as the files have not changed since, and a table that
    was stale or is rebuilt meanwhile is simply read by the kernel, as before (the cache is keyed on the file's
    modification time, and the check on the files' sizes and times)."""
    read = []
    for name in names:
        try:
            if _ensure_fresh(name, build_stale=False):
                _read(name)
                read.append(name)
        except (KeyError, OSError, ValueError, RawFileError):  # left to the kernel, which says what is wrong
            continue
    return read


def load(name: str) -> pd.DataFrame:
    """A tidy table, from the cache when fresh, else rebuilt from ``data/raw/``; its raw files are checked
    against the catalogue's checksums either way (a changed file is refused, naming it).

    Returns a shallow copy (pandas copy-on-write keeps the cached frame safe from the caller's changes).
    """
    _ensure_fresh(name)
    return _read(name).copy(deep=False)


def _read(name: str) -> pd.DataFrame:
    """The cached file of a table known fresh, read once per version of the file."""
    path = processed_dir() / f"{name}.parquet"
    return _load_cached(name, str(processed_dir()), path.stat().st_mtime_ns)


def _ensure_fresh(name: str, build_stale: bool = True) -> bool:
    """The table's raw files checked and the cached file built again if stale, without reading it (what
    :func:`tables_version` needs: a result kept in the national store is found without reading the table). With
    ``build_stale=False`` a stale table is left as it is (and not marked checked); returns whether it is fresh."""
    if name not in TABLES:
        raise KeyError(f"unknown table {name!r}; tables: {', '.join(TABLES)}")
    key = (name, str(processed_dir()))
    stamp = _stamp(name)
    if _CHECKED.get(key) != stamp:  # checked once per process while nothing it rests on changes
        _verify_inputs(name)
        if not is_fresh(name):
            if not build_stale:
                return False
            for dep in TABLES[name][2]:
                _ensure_fresh(dep)
            build(name)
            stamp = _stat_stamp(name)  # the files as the build left them
            if _PINNED is not None:
                _PINNED[name] = stamp
        _CHECKED[key] = stamp
    return True


def tables_version(*names: str) -> tuple[tuple[str, int], ...]:
    """A hashable version of the named cached tables (path and modification time of each parquet file), taken
    once any stale one has been rebuilt (the tables are not read): the key for library caches of computations over
    the tables."""
    out = []
    for name in names:
        _ensure_fresh(name)
        path = processed_dir() / f"{name}.parquet"
        out.append((str(path), path.stat().st_mtime_ns if path.exists() else 0))
    return tuple(out)


def content_version(*names: str) -> str:
    """What the named tables are made of, as one hash: their manifests (raw files' checksums, schema, data code).
    Unlike :func:`tables_version` it does not change when a table is rebuilt the same (the key of stored results)."""
    digest = hashlib.sha256()
    for name in names:
        _ensure_fresh(name)
        digest.update(name.encode())
        digest.update(_manifest_path(name).read_bytes())
    return digest.hexdigest()


def refresh() -> None:
    """Every table checked against its raw files and code, and built again where stale, without reading the fresh
    ones (what a report run needs before its kernels read them: reading all seven cost half a second)."""
    for name in TABLES:
        _ensure_fresh(name)


def build_all(force: bool = False) -> dict[str, int]:
    """Build (or refresh) every table; return rows per table. ``force`` rebuilds even fresh tables."""
    rows = {}
    for name in TABLES:
        frame = build(name) if force or not is_fresh(name) else load(name)
        rows[name] = len(frame)
    return rows
