"""From the published raw files to the tidy tables every analysis uses.

Each ``build_<table>`` function reads raw files through :mod:`ks2workbook.sources`, applies the traps listed in
DOMAIN.md section 6 (``%`` signs, suppression codes, encodings, renamed columns, missing join keys) and returns a
frame that satisfies its contract in :mod:`ks2workbook.schemas`. :func:`load` serves a table from the parquet cache
under ``data/processed/``, rebuilding it when any raw file it depends on has changed.

Tables: ``areas``, ``la_indicators``, ``neighbours``, ``schools``, ``census``, ``ofsted``, ``school_results``.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from functools import cache, lru_cache

import numpy as np
import pandas as pd

from ..core.errors import RawFileError
from ..core.paths import processed_dir
from ..core.world import ENGLAND, REGION_CODES
from . import sources
from .schemas import SCHEMAS, conform, validate
from .values import to_number

# --------------------------------------------------------------------------------------------------------------
# Raw readers: the only functions that open raw files. Each turns a parse failure into RawFileError.
# --------------------------------------------------------------------------------------------------------------


def read_csv(key: str, **kwargs) -> pd.DataFrame:
    """Read a registered CSV as text (every column ``str``), with its registered encoding."""
    path = sources.raw_path(key)
    try:
        return pd.read_csv(
            path,
            dtype=str,
            encoding=sources.RAW_FILES[key].encoding,
            keep_default_na=False,
            na_values=[""],
            **kwargs,
        )
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise sources.unreadable(key, exc) from exc


def read_json(key: str):
    path = sources.raw_path(key)
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except (ValueError, UnicodeDecodeError) as exc:
        raise sources.unreadable(key, exc) from exc


def read_excel(key: str, **kwargs) -> pd.DataFrame:
    """Read a registered workbook with the calamine engine (Rust; several times faster than openpyxl)."""
    path = sources.raw_path(key)
    try:
        return pd.read_excel(path, engine="calamine", **kwargs)
    except Exception as exc:  # noqa: BLE001 - calamine raises its own error types for damaged workbooks
        raise sources.unreadable(key, exc) from exc


def read_parquet(key: str) -> pd.DataFrame:
    path = sources.raw_path(key)
    try:
        return pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises ArrowInvalid, OSError
        raise sources.unreadable(key, exc) from exc


def _require(frame: pd.DataFrame, key: str, columns: list[str]) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise RawFileError(
            f"raw file data/raw/{sources.RAW_FILES[key].path} lacks expected columns {missing}. {sources.RESTORE_HINT}"
        )


# --------------------------------------------------------------------------------------------------------------
# Areas and LA-level indicators (LAIT)
# --------------------------------------------------------------------------------------------------------------



def _region_key(name: object) -> str:
    """Normalise region names that differ between LAIT files ("Outer London" vs "London (Outer)")."""
    text = str(name).strip().lower()
    text = {"outer london": "london (outer)", "inner london": "london (inner)"}.get(text, text)
    return text


def build_areas() -> pd.DataFrame:
    """Every LA, region and England in the LAIT code list, with its region code.

    ``kind`` is ``la`` (codes below 970), ``england`` (970), ``region`` (980-990) or ``discontinued``.
    Retired councils (Cumbria 909, Northamptonshire 928) stay listed because LAIT still holds their history.
    """
    raw = read_excel("la_codes")
    _require(raw, "la_codes", ["LA Number", "LA Name", "Region", "Type"])
    frame = pd.DataFrame(
        {
            "la_code": pd.to_numeric(raw["LA Number"], errors="coerce"),
            "la_name": raw["LA Name"].astype("str").str.strip(),
            "region": raw["Region"],
            "la_type": raw["Type"],
        }
    ).dropna(subset=["la_code"])
    frame["la_code"] = frame["la_code"].astype(int)
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
    return validate("areas", conform("areas", frame))


def _parse_year(label: str) -> tuple[int | None, str]:
    """LAIT ``Years`` label to the year a KS2 analyst means: the calendar year the period ends.

    ``2016`` -> 2016; ``2018 (Rev)`` -> 2018; academic ``2016-17`` or ``2016/17`` -> 2017; a three-year range
    ``2014-16`` -> 2016; ``2013/14-15/16`` -> 2016. Returns None for labels that are not a period (``0``).
    """
    text = str(label).strip()
    match = re.match(r"^(\d{4})(?:[-/](\d{2,4}))?(?:-(\d{2})/(\d{2}))?", text)
    if not match or text == "0":
        return None, text
    start, second, _, last = match.groups()
    if last:
        return 2000 + int(last), text
    if second:
        return (int(second) if len(second) == 4 else 2000 + int(second)), text
    return int(start), text


def build_la_indicators() -> pd.DataFrame:
    """LAIT's long table, one row per area, indicator and year, with description and polarity.

    ``value`` is NaN where LAIT shows ``-`` (not available or suppressed): never zero. Where LAIT holds both a
    revised and a provisional label for the same year, the revised one is kept.
    """
    raw = read_parquet("lait_bds")
    _require(raw, "lait_bds", ["Short Desc", "Years", "LA and Regions", "Values", "LA Number", "Region"])
    dictionary = read_csv("lait_dictionary")
    _require(dictionary, "lait_dictionary", ["Measure_short", "Measure", "Polarity", "No_Quartile"])
    labels = raw["Years"].astype("str")
    parsed = labels.map({label: _parse_year(label) for label in labels.unique()})
    frame = pd.DataFrame(
        {
            "la_code": pd.to_numeric(raw["LA Number"], errors="coerce"),
            "la_name": raw["LA and Regions"],
            "region": raw["Region"].where(raw["Region"].ne("NA")),
            "indicator": raw["Short Desc"],
            "year": parsed.map(lambda p: p[0]),
            "year_label": parsed.map(lambda p: p[1]),
            "value": to_number(raw["Values"].rename("Values")),
        }
    ).dropna(subset=["la_code", "year"])
    frame["la_code"] = frame["la_code"].astype(int)
    frame["year"] = frame["year"].astype(int)
    # Prefer revised/final over provisional when two labels map to the same year.
    rank = frame["year_label"].str.contains("prov", case=False).astype(int)
    frame = (
        frame.assign(_rank=rank)
        .sort_values(["indicator", "la_code", "year", "_rank"])
        .drop_duplicates(["indicator", "la_code", "year"])
        .drop(columns="_rank")
    )
    dictionary = dictionary.drop_duplicates("Measure_short")
    meta = pd.DataFrame(
        {
            "indicator": dictionary["Measure_short"],
            "description": dictionary["Measure"],
            "polarity": dictionary["Polarity"].where(dictionary["Polarity"].isin(["High", "Low"]), "None"),
            "no_quartile": dictionary["No_Quartile"].fillna("").str.upper().eq("N"),
        }
    )
    frame = frame.merge(meta, on="indicator", how="left")
    frame["polarity"] = frame["polarity"].fillna("None")
    frame["no_quartile"] = frame["no_quartile"].fillna(False).astype(bool)
    frame["description"] = frame["description"].fillna(frame["indicator"])
    return validate("la_indicators", conform("la_indicators", frame))


def build_neighbours() -> pd.DataFrame:
    """DfE statistical neighbours, May 2025 and April 2021: one row per LA, version and rank 1-10.

    The sheet's header is on its 3rd row; LAs below the 'Old SNs' line are retired councils (Cumbria,
    Northamptonshire, pre-2019 Dorset), kept and flagged ``retired_block`` so their history can be compared.
    """
    parts = []
    for version, key in ((2025, "sn_2025"), (2021, "sn_2021")):
        raw = read_excel(key, header=None)
        header_row = raw.index[raw.iloc[:, 0].astype("str").str.strip().eq("LA num")]
        if len(header_row) == 0:
            raise RawFileError(f"data/raw/{sources.RAW_FILES[key].path}: no 'LA num' header row found")
        body = raw.iloc[header_row[0] + 1 :]
        retired = body.iloc[:, 1].astype("str").str.contains("Old SNs", na=False).cumsum().astype(bool)
        for rank in range(1, 11):
            code_col, close_col = 5 + 2 * (rank - 1), 6 + 2 * (rank - 1)
            parts.append(
                pd.DataFrame(
                    {
                        "la_code": pd.to_numeric(body.iloc[:, 0], errors="coerce"),
                        "la_name": body.iloc[:, 1],
                        "version": version,
                        "rank": rank,
                        "neighbour_code": pd.to_numeric(body.iloc[:, code_col], errors="coerce"),
                        "closeness": body.iloc[:, close_col].astype("str").str.strip().str.capitalize(),
                        "retired_block": retired.to_numpy(),
                    }
                )
            )
    frame = pd.concat(parts).dropna(subset=["la_code", "neighbour_code"])
    frame = frame.astype({"la_code": int, "neighbour_code": int}).sort_values(["version", "la_code", "rank"])
    return validate("neighbours", conform("neighbours", frame))


# --------------------------------------------------------------------------------------------------------------
# Schools, census, Ofsted
# --------------------------------------------------------------------------------------------------------------

CENSUS_YEARS = (2018, 2019, 2022, 2023, 2024)


def _census_raw(year: int) -> pd.DataFrame:
    key = f"census_{year}"
    raw = read_csv(key)
    raw.columns = [c.upper() for c in raw.columns]  # 2023 writes "Estab"
    _require(raw, key, ["URN", "LA", "NOR", "PNUMEAL", "PNUMFSMEVER"])
    return raw


def build_census() -> pd.DataFrame:
    """School census per school and year: pupils on roll, % FSM (current and ever-6), % EAL.

    The census is taken in January, so the January 2018 census belongs to the 2017/18 year, KS2 year 2018.
    """
    parts = []
    for year in CENSUS_YEARS:
        raw = _census_raw(year)
        if "PNUMFSM" in raw:
            fsm = to_number(raw["PNUMFSM"])
        elif "NUMFSM" in raw:  # 2019 on publish the count only
            fsm = to_number(raw["NUMFSM"]) / to_number(raw["NOR"]).replace(0, np.nan) * 100
        else:
            fsm = pd.Series(np.nan, index=raw.index)
        parts.append(
            pd.DataFrame(
                {
                    "urn": pd.to_numeric(raw["URN"], errors="coerce"),
                    "year": year,
                    "la_code": pd.to_numeric(raw["LA"], errors="coerce"),
                    "pupils": to_number(raw["NOR"]),
                    "pct_fsm": fsm,
                    "pct_fsm_ever6": to_number(raw["PNUMFSMEVER"]),
                    "pct_eal": to_number(raw["PNUMEAL"]),
                    "school_type": raw["SCHOOLTYPE"] if "SCHOOLTYPE" in raw else None,
                }
            )
        )
    frame = pd.concat(parts).dropna(subset=["urn"])
    frame["la_code"] = frame["la_code"].astype("Int64")
    frame["urn"] = frame["urn"].astype(int)
    return validate("census", conform("census", frame))


_MAINSTREAM_TYPES_LATER = {"State-funded primary", "State-funded secondary"}


def build_schools(census: pd.DataFrame | None = None, ofsted_latest: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per school (URN): name, LA, type, whether it is state-funded mainstream, open and close dates.

    The DfE 2017-18 spine is the base (it types every school open in 2016-2018). Schools that opened later are
    added from the later censuses (LA and a broad type) and Ofsted's latest-inspection file (name). Mainstream
    state-funded = maintained or academy and not special: the group the floor standard applies to.
    """
    spine = read_excel("spine_2018", dtype=str)
    _require(
        spine,
        "spine_2018",
        ["URN", "LA", "SCHNAME", "MINORGROUP", "NFTYPE", "ISPRIMARY", "OPENDATE", "CLOSEDATE"],
    )
    base = pd.DataFrame(
        {
            "urn": pd.to_numeric(spine["URN"], errors="coerce"),
            "name": spine["SCHNAME"],
            "la_code": pd.to_numeric(spine["LA"], errors="coerce"),
            "school_type": spine["NFTYPE"],
            "is_mainstream_state": spine["MINORGROUP"].isin(["Maintained School", "Academy"])
            & ~spine["NFTYPE"].fillna("").str.contains("special", case=False),
            "is_primary": spine["ISPRIMARY"].eq("1"),
            "open_date": pd.to_datetime(spine["OPENDATE"], errors="coerce"),
            "close_date": pd.to_datetime(spine["CLOSEDATE"], errors="coerce"),
            "source": "spine_2018",
        }
    ).dropna(subset=["urn"])
    census = census if census is not None else load("census")
    later = census[~census.urn.isin(base.urn)].sort_values("year").drop_duplicates("urn", keep="last")
    names = ofsted_latest_names() if ofsted_latest is None else ofsted_latest
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
            "source": "census_" + later["year"].astype(str),
        }
    )
    frame = pd.concat([base, added]).drop_duplicates("urn")
    frame["urn"] = frame["urn"].astype(int)
    frame["la_code"] = frame["la_code"].astype("Int64")
    return validate("schools", conform("schools", frame))


_GRADES = {"outstanding": 1, "good": 2, "satisfactory": 3, "requires improvement": 3, "inadequate": 4}


def _ofsted_latest_raw() -> pd.DataFrame:
    data = read_json("ofsted_latest")
    return pd.DataFrame.from_dict(data, orient="index").rename_axis("urn").reset_index()


def ofsted_latest_names() -> pd.Series:
    """URN -> school name from Ofsted's latest-inspection file (the most recent names we hold)."""
    raw = _ofsted_latest_raw()
    return pd.Series(raw["name"].to_numpy(), index=pd.to_numeric(raw["urn"], errors="coerce")).dropna()


def build_ofsted() -> pd.DataFrame:
    """Ofsted inspections: the history to early 2020, plus each school's latest inspection (to May 2026).

    Grades 1-4 (outstanding, good, requires improvement or the older 'satisfactory', inadequate). Inspections
    from September 2024 carry no overall grade: ``has_overall_grade`` is False and ``rating`` says so, which is
    not missing data.
    """
    hist = read_csv("ofsted_history")
    _require(hist, "ofsted_history", ["URN", "Rating", "Inspection Date"])
    history = pd.DataFrame(
        {
            "urn": pd.to_numeric(hist["URN"], errors="coerce"),
            "inspection_date": pd.to_datetime(hist["Inspection Date"], format="%Y%m%d", errors="coerce"),
            "rating": hist["Rating"],
            "source": "ofsted_history",
        }
    )
    raw = _ofsted_latest_raw()
    latest = pd.DataFrame(
        {
            "urn": pd.to_numeric(raw["urn"], errors="coerce"),
            "inspection_date": pd.to_datetime(raw["date"], errors="coerce"),
            "rating": raw["rating"].fillna("No overall grade (inspected from Sept 2024)"),
            "source": "ofsted_latest",
        }
    )
    frame = pd.concat([history, latest]).dropna(subset=["urn", "inspection_date"])
    frame["grade"] = frame["rating"].str.lower().map(_GRADES).astype("Int64")
    frame["has_overall_grade"] = frame["grade"].notna()
    frame["urn"] = frame["urn"].astype(int)
    frame = frame.drop_duplicates(["urn", "inspection_date"], keep="last").sort_values(["urn", "inspection_date"])
    return validate("ofsted", conform("ofsted", frame))


# --------------------------------------------------------------------------------------------------------------
# School results
# --------------------------------------------------------------------------------------------------------------

#: waiky8 extract column -> our column. "Writing Score/Meet/Exceed" are really GPS (SOURCES.md).
_WAIKY8 = {
    "KS2 Pupils": "cohort",
    "Overall Meet Std": "rwm_exp",
    "Overall Exceed Std": "rwm_high",
    "Reading Meet Std": "read_exp",
    "Reading Exceed Std": "read_high",
    "Reading Score": "read_avg",
    "Writing Meet Std": "gps_exp",
    "Writing Exceed Std": "gps_high",
    "Writing Score": "gps_avg",
    "Maths Meet Std": "mat_exp",
    "Maths Exceed Std": "mat_high",
    "Maths Score": "mat_avg",
    "Reading Progress": "read_prog",
    "Writing Progress": "writ_prog",
    "Maths Progress": "mat_prog",
}

#: DfE full-width KS2 column -> our column.
_DFE = {
    "TELIG": "cohort",
    "PTRWM_EXP": "rwm_exp",
    "PTRWM_HIGH": "rwm_high",
    "PTREAD_EXP": "read_exp",
    "PTREAD_HIGH": "read_high",
    "READ_AVERAGE": "read_avg",
    "PTWRITTA_EXP": "writ_exp",
    "PTGPS_EXP": "gps_exp",
    "PTGPS_HIGH": "gps_high",
    "GPS_AVERAGE": "gps_avg",
    "PTMAT_EXP": "mat_exp",
    "PTMAT_HIGH": "mat_high",
    "MAT_AVERAGE": "mat_avg",
    "READPROG": "read_prog",
    "READPROG_LOWER": "read_prog_lower",
    "READPROG_UPPER": "read_prog_upper",
    "WRITPROG": "writ_prog",
    "WRITPROG_LOWER": "writ_prog_lower",
    "WRITPROG_UPPER": "writ_prog_upper",
    "MATPROG": "mat_prog",
    "MATPROG_LOWER": "mat_prog_lower",
    "MATPROG_UPPER": "mat_prog_upper",
    "PTRWM_EXP_FSM6CLA1A": "rwm_exp_disadv",
    "PTRWM_EXP_NotFSM6CLA1A": "rwm_exp_other",
}


def _numeric_block(raw: pd.DataFrame, mapping: dict[str, str]) -> pd.DataFrame:
    return pd.DataFrame(
        {ours: to_number(raw[theirs].rename(theirs)) for theirs, ours in mapping.items() if theirs in raw.columns}
    )


def read_extract(year: int) -> pd.DataFrame:
    """The national KS2 extract for 2016-2018 (waiky8), renamed to our columns, without LA."""
    key = f"ks2_{year}"
    raw = read_csv(key)
    _require(raw, key, ["URN", *_WAIKY8])
    frame = _numeric_block(raw, _WAIKY8)
    frame.insert(0, "urn", pd.to_numeric(raw["URN"], errors="coerce"))
    frame["year"], frame["source"] = year, sources.RAW_FILES[key].path
    return frame


def read_full_width(la_code: int, year: int) -> pd.DataFrame:
    """One LA's full-width DfE KS2 file (school rows only: RECTYPE 1 mainstream, 2 special)."""
    key = sources.DFE_FULL_WIDTH[(la_code, year)]
    raw = read_csv(key)
    _require(raw, key, ["RECTYPE", "URN", "LEA", "SCHNAME", "PTRWM_EXP", "TELIG"])
    raw = raw[raw["RECTYPE"].isin(["1", "2"])]
    frame = _numeric_block(raw, _DFE)
    frame.insert(0, "urn", pd.to_numeric(raw["URN"], errors="coerce"))
    frame["la_code"] = pd.to_numeric(raw["LEA"], errors="coerce")
    frame["school_name"] = raw["SCHNAME"]
    frame["rectype"] = raw["RECTYPE"].astype(int)
    frame["year"], frame["source"] = year, sources.RAW_FILES[key].path
    return frame


def _read_2019_progress() -> pd.DataFrame:
    key = "ks2_2019_progress"
    raw = read_csv(key)
    _require(raw, key, ["RECTYPE", "URN", "SCHNAME", "READPROG", "WRITPROG", "MATPROG"])
    frame = _numeric_block(raw, {"READPROG": "read_prog", "WRITPROG": "writ_prog", "MATPROG": "mat_prog"})
    frame.insert(0, "urn", pd.to_numeric(raw["URN"], errors="coerce"))
    frame["school_name"] = raw["SCHNAME"]
    frame["year"], frame["source"] = 2019, sources.RAW_FILES[key].path
    return frame


def _read_2023() -> pd.DataFrame:
    key = "ks2_2023"
    raw = pd.DataFrame.from_dict(read_json(key), orient="index")
    _require(raw, key, ["rwmExp", "rwmHigh", "readProg", "writProg", "matProg"])
    frame = pd.DataFrame(
        {
            "urn": pd.to_numeric(raw.index.to_series(), errors="coerce").to_numpy(),
            "rwm_exp": to_number(raw["rwmExp"]).to_numpy(),
            "rwm_high": to_number(raw["rwmHigh"]).to_numpy(),
            "read_prog": to_number(raw["readProg"]).to_numpy(),
            "writ_prog": to_number(raw["writProg"]).to_numpy(),
            "mat_prog": to_number(raw["matProg"]).to_numpy(),
        }
    )
    frame["year"], frame["source"] = 2023, sources.RAW_FILES[key].path
    return frame


def normalise_name(name: object) -> str:
    """A school name reduced for matching: case, punctuation, '&', 'C of E' and 'St.' spellings unified."""
    text = str(name).lower().replace("&", " and ").replace("'", "")
    text = re.sub(r"\bc\.?\s*of\s*e\.?\b|\bcofe\b|\bce\b", " church of england ", text)
    text = re.sub(r"\bst\.?\s", "st ", text)
    text = re.sub(r"[^a-z0-9]+", " ", text)
    # Words that vary between files for the same school; "junior" and "infant" are kept: they tell schools apart.
    text = re.sub(r"\b(the|school|academy|primary|voluntary|aided|controlled)\b", " ", text)
    return re.sub(r"\s+", " ", text).strip()


def match_urns_by_name(frame: pd.DataFrame, aliases: pd.DataFrame) -> pd.Series:
    """URN for each row of ``frame`` (columns ``la_code``, ``school_name``) by normalised name within its LA.

    ``aliases`` holds every (urn, la_code, name, current) we know: spine and Ofsted names, under both the 2018
    LA and the latest census LA (so schools of councils that merged since, Cumbria 909 -> 942/943 and
    Northamptonshire 928 -> 940/941, still match). A row matches only when exactly one URN has that normalised
    name in that LA: ambiguous or absent names stay unmatched (NA), because a wrong URN would be worse than none.
    The match rate is reported by :func:`ks2workbook.quality.quality_summary`.
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


def school_name_aliases(schools: pd.DataFrame, census: pd.DataFrame) -> pd.DataFrame:
    """Every (urn, la_code, name) pair we hold, for matching files that have names but no URN."""
    names = pd.concat(
        [
            schools[["urn", "name"]],
            ofsted_latest_names().rename("name").rename_axis("urn").reset_index(),
        ]
    ).dropna()
    latest_la = census.dropna(subset=["la_code"]).sort_values("year").drop_duplicates("urn", keep="last")
    las = pd.concat([schools[["urn", "la_code"]], latest_la[["urn", "la_code"]]]).dropna().drop_duplicates()
    open_now = set(census.loc[census["year"] == census["year"].max(), "urn"]) - set(
        schools.loc[schools["close_date"].notna(), "urn"]
    )
    out = names.merge(las, on="urn").drop_duplicates()
    return out.assign(current=out["urn"].isin(open_now))


def _read_league(year: int, aliases: pd.DataFrame) -> pd.DataFrame:
    key = f"ks2_{year}"
    raw = pd.DataFrame(read_json(key))
    _require(raw, key, ["name", "lea", "rwm", "hs", "read", "maths", "gps"])
    frame = pd.DataFrame(
        {
            "la_code": pd.to_numeric(raw["lea"], errors="coerce"),
            "school_name": raw["name"],
            "rwm_exp": to_number(raw["rwm"]),
            "rwm_high": to_number(raw["hs"]),
            "read_avg": to_number(raw["read"]),
            "mat_avg": to_number(raw["maths"]),
            "gps_avg": to_number(raw["gps"]),
        }
    )
    urns = match_urns_by_name(frame, aliases)
    frame["urn"] = urns.where(~urns.duplicated(keep=False) | urns.isna())  # one URN claimed twice: neither
    frame["year"], frame["source"], frame["la_from"] = year, sources.RAW_FILES[key].path, "file"
    return frame


def _attach_la(frame: pd.DataFrame, census: pd.DataFrame, schools: pd.DataFrame) -> pd.DataFrame:
    """LA for rows that have a URN but no LA: the census of the same year, else the nearest census, else the spine.

    ``la_from`` records which, so an analyst can see how each school was placed.
    """
    out = frame.copy()
    by_year = census.dropna(subset=["la_code"]).drop_duplicates(["urn", "year"]).set_index(["urn", "year"])["la_code"]
    same = pd.Series(
        by_year.reindex(pd.MultiIndex.from_arrays([out["urn"].astype("Int64"), out["year"]])).to_numpy(),
        index=out.index,
    )
    any_year = census.dropna(subset=["la_code"]).sort_values("year").drop_duplicates("urn", keep="last")
    nearest = out["urn"].map(any_year.set_index("urn")["la_code"])
    spine = out["urn"].map(schools.set_index("urn")["la_code"])
    out["la_code"] = same.astype("Int64")
    out["la_from"] = np.where(out["la_code"].notna(), "census_same_year", None)
    for values, label in ((spine, "spine_2018"), (nearest, "census_other_year")):
        fill = out["la_code"].isna() & values.notna()
        out.loc[fill, "la_code"] = values[fill]
        out.loc[fill, "la_from"] = label
    out["la_from"] = out["la_from"].fillna("unplaced")
    return out


def build_school_results(census: pd.DataFrame | None = None, schools: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per school and KS2 year: 2016-2018 (attainment, progress, cohort), 2019 (progress; attainment
    for Hampshire and Surrey), 2023 (attainment and progress), 2024-2025 (attainment, matched to URN by name).

    Where a full-width DfE file exists (Hampshire 850 and Surrey 936, 2017-2019), its row replaces the national
    extract's: same figures (a test checks this), plus confidence limits and the disadvantaged split.
    2013 is not included: the only file has neither LA nor the headline RWM measure (see docs/data_log.md).
    """
    census = census if census is not None else load("census")
    schools = schools if schools is not None else load("schools")
    extracts = [read_extract(y) for y in (2016, 2017, 2018)] + [_read_2019_progress(), _read_2023()]
    national = _attach_la(pd.concat(extracts, ignore_index=True).dropna(subset=["urn"]), census, schools)
    full = pd.concat([read_full_width(la, y) for (la, y) in sorted(sources.DFE_FULL_WIDTH)], ignore_index=True)
    full["la_from"] = "file"
    # Full-width rows replace extract rows for the same school and year; extract-only columns are kept.
    merged = national.merge(full[["urn", "year"]].assign(_full=True), on=["urn", "year"], how="left")
    national = merged[merged["_full"].isna()].drop(columns="_full")
    aliases = school_name_aliases(schools, census)
    leagues = [_read_league(y, aliases) for y in (2024, 2025)]
    frame = pd.concat([national, full.drop(columns="rectype"), *leagues], ignore_index=True)
    names = schools.set_index("urn")["name"]
    frame["school_name"] = frame["school_name"].fillna(frame["urn"].map(names))
    frame["urn"] = frame["urn"].astype("Int64")
    frame = frame.sort_values(["year", "la_code", "urn"], na_position="last")
    return validate("school_results", conform("school_results", frame))


# --------------------------------------------------------------------------------------------------------------
# Cache
# --------------------------------------------------------------------------------------------------------------

#: table -> (builder, raw files it reads, tables it reads)
TABLES: dict[str, tuple[Callable[[], pd.DataFrame], tuple[str, ...], tuple[str, ...]]] = {
    "areas": (build_areas, ("la_codes",), ()),
    "la_indicators": (build_la_indicators, ("lait_bds", "lait_dictionary"), ()),
    "neighbours": (build_neighbours, ("sn_2025", "sn_2021"), ()),
    "census": (build_census, tuple(f"census_{y}" for y in CENSUS_YEARS), ()),
    "ofsted": (build_ofsted, ("ofsted_history", "ofsted_latest"), ()),
    "schools": (build_schools, ("spine_2018", "ofsted_latest"), ("census",)),
    "school_results": (
        build_school_results,
        (
            "ks2_2016",
            "ks2_2017",
            "ks2_2018",
            "ks2_2019_progress",
            "ks2_2023",
            "ks2_2024",
            "ks2_2025",
            *sources.DFE_FULL_WIDTH.values(),
        ),
        ("census", "schools"),
    ),
}


def _inputs_fingerprint(name: str) -> dict[str, str]:
    _, raw_keys, deps = TABLES[name]
    prints = sources.fingerprint(raw_keys)
    for dep in deps:
        prints.update(_inputs_fingerprint(dep))
    prints["schema"] = repr(SCHEMAS[name])
    prints["code"] = _code_fingerprint()
    return prints


@lru_cache(maxsize=1)
def _code_fingerprint() -> str:
    """Hash of the modules that shape the tables: a change in the code rebuilds the cache like a raw change."""
    from pathlib import Path

    here = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for module in ("tables.py", "schemas.py", "values.py", "sources.py"):
        digest.update((here / module).read_bytes())
    return digest.hexdigest()


def _manifest_path(name: str):
    return processed_dir() / f"{name}.json"


def build(name: str) -> pd.DataFrame:
    """Build one table from raw and write it (and its input fingerprint) to the cache."""
    if name not in TABLES:
        raise KeyError(f"unknown table {name!r}; tables: {', '.join(TABLES)}")
    frame = TABLES[name][0]()
    out = processed_dir()
    out.mkdir(parents=True, exist_ok=True)
    tmp = out / f".{name}.parquet.tmp"
    frame.to_parquet(tmp, index=False)
    tmp.replace(out / f"{name}.parquet")
    _manifest_path(name).write_text(json.dumps(_inputs_fingerprint(name), indent=1))
    _load_cached.cache_clear()
    return frame


def is_fresh(name: str) -> bool:
    """True when the cached table exists and was built from the raw files as they are now."""
    manifest = _manifest_path(name)
    if not manifest.is_file() or not (processed_dir() / f"{name}.parquet").is_file():
        return False
    try:
        return json.loads(manifest.read_text()) == _inputs_fingerprint(name)
    except ValueError:
        return False


@cache
def _load_cached(name: str, root: str) -> pd.DataFrame:
    return pd.read_parquet(processed_dir() / f"{name}.parquet")


def load(name: str) -> pd.DataFrame:
    """A tidy table, from the cache when fresh, else rebuilt from ``data/raw/``.

    Returns a shallow copy (pandas copy-on-write keeps the cached frame safe from the caller's changes).
    """
    if name not in TABLES:
        raise KeyError(f"unknown table {name!r}; tables: {', '.join(TABLES)}")
    if not is_fresh(name):
        for dep in TABLES[name][2]:
            load(dep)
        build(name)
    return _load_cached(name, str(processed_dir())).copy(deep=False)


def tables_version(*names: str) -> tuple[tuple[str, int], ...]:
    """A hashable version of the named cached tables (path and modification time of each parquet file), taken
    after :func:`load` has rebuilt any stale one: the key for library caches of computations over the shipped
    tables (a rebuild rewrites the file, so the key changes)."""
    out = []
    for name in names:
        load(name)
        path = processed_dir() / f"{name}.parquet"
        out.append((str(path), path.stat().st_mtime_ns if path.exists() else 0))
    return tuple(out)


def build_all(force: bool = False) -> dict[str, int]:
    """Build (or refresh) every table; return rows per table. ``force`` rebuilds even fresh tables."""
    rows = {}
    for name in TABLES:
        frame = build(name) if force or not is_fresh(name) else load(name)
        rows[name] = len(frame)
    return rows


def not_mainstream_urns() -> pd.Index:
    """URNs the school list marks as not state-funded mainstream (special schools, independent schools): the
    floor, the strands and the risk model are for mainstream primaries. Schools the list does not know are kept."""
    schools = load("schools")
    return pd.Index(schools.loc[~schools["is_mainstream_state"], "urn"].astype("int64"))
