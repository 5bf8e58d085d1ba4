"""The DfE performance-tables KS2 file: ``england_ks2final.csv`` / ``england_ks2revised.csv`` /
``england_ks2provisional.csv`` (national) or the same layout for one LA, any year from 2016, with ``ks2_meta.csv``.

One row per school (RECTYPE 1 mainstream, 2 special), per LA (3) and for England (4 all schools, 5 state-funded
schools only). Columns vary by year: some are added or dropped, a few change case, and last year's figures come
back with a ``_YY`` suffix (``PTRWM_EXP_18`` in the 2019 file). We read by name, ignoring case, and take the
columns we know where the file has them; a year's ``ks2_meta.csv``, where catalogued, says which columns that year
defines, and a file column the meta does not list is reported, never guessed at.

Proven on real files: the DfE's full files for Hampshire (850) and Surrey (936), 2017-2019 (every column), and
the national 2019 file as reduced by a third party (progress and school details only).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from ...core.world import ENGLAND
from ..catalogue import Entry
from . import numbers, read_text_table, require, upper_columns

#: Published column -> our column (school and area rows alike).
COLUMNS: dict[str, str] = {
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
    "READCOV": "read_cov",
    "WRITPROG": "writ_prog",
    "WRITPROG_LOWER": "writ_prog_lower",
    "WRITPROG_UPPER": "writ_prog_upper",
    "WRITCOV": "writ_cov",
    "MATPROG": "mat_prog",
    "MATPROG_LOWER": "mat_prog_lower",
    "MATPROG_UPPER": "mat_prog_upper",
    "MATCOV": "mat_cov",
    "PTRWM_EXP_FSM6CLA1A": "rwm_exp_disadv",
    "PTRWM_EXP_NOTFSM6CLA1A": "rwm_exp_other",
}

#: Our column -> the LAIT indicator that publishes the same figure for LAs and England (checked against LAIT for
#: Hampshire 2018: every one equal), so a file's LA and England rows can stand in where LAIT has no value yet.
LAIT_INDICATORS: dict[str, str] = {
    "rwm_exp": "KS2RWM_Expected_STD",
    "rwm_high": "KS2RWM_Higher_STD",
    "read_exp": "KS2R_Expected_STD",
    "mat_exp": "KS2M_Expected_STD",
    "gps_exp": "KS2GPS_Expected_STD",
    "writ_exp": "KS2W_Teacher_Assess",
    "read_avg": "KS2R_AVG_Scaled_Score",
    "mat_avg": "KS2M_AVG_Scaled_Score",
    "read_prog": "KS2R_Prog_VA",
    "writ_prog": "KS2W_Prog_VA",
    "mat_prog": "KS2M_Prog_VA",
    "rwm_exp_disadv": "DAP_NEW_KS2_RWM",
    "rwm_exp_other": "NonDAP_NEW_KS2_RWM",
}

SCHOOL_RECTYPES = ("1", "2")
LA_RECTYPE = "3"
#: England: 5 (state-funded schools, LAIT's basis) where the file has it, else 4 (all schools).
ENGLAND_RECTYPES = ("5", "4")

#: Columns that tell this layout from the others (checked without regard to case).
SIGNATURE = ("RECTYPE", "URN")
MEASURES = ("PTRWM_EXP", "READPROG", "READ_AVERAGE")


def recognise(header: list[str]) -> bool:
    """True for a header of this layout: record type, URN and at least one KS2 measure."""
    cols = {c.upper() for c in header}
    return all(c in cols for c in SIGNATURE) and any(m in cols for m in MEASURES)


def year_stated(path: Path, header: list[str]) -> int | None:
    """The KS2 year a file states about itself: one more than the newest ``_YY`` suffix of last year's columns
    (the 2019 file carries ``PTRWM_EXP_18``), else a ``2018-2019`` folder or file name; None if neither."""
    suffixes = [int(m.group(1)) for c in header if (m := re.fullmatch(r"[A-Z_0-9]+_(\d\d)", c.upper()))]
    suffixes = [s for s in suffixes if 10 <= s <= 60]
    if suffixes:
        return 2000 + max(suffixes) + 1
    return academic_year_in(path)


def academic_year_in(path: Path) -> int | None:
    """The end year of an academic year written in a path: ``2018-2019/`` or ``2018-19`` -> 2019."""
    for part in reversed(path.parts):
        match = re.search(r"(20\d\d)[-_](20\d\d|\d\d)(?!\d)", part)
        if match:
            end = match.group(2)
            year = int(end) if len(end) == 4 else 2000 + int(end)
            if year == int(match.group(1)) + 1:
                return year
    return None


def read(entry: Entry) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(school rows, area rows) of one file. School rows: ``urn``, ``la_code`` (NA where the file has no LEA),
    ``school_name``, ``rectype``, our measures, ``year``, ``source``. Area rows: ``la_code`` (England 970),
    ``rectype``, the same measures."""
    raw = upper_columns(read_text_table(entry))
    require(raw, entry, SIGNATURE)
    # Only the columns read below (a file has some 300; cleaning them all was most of the reading time).
    wanted = {*SIGNATURE, "LEA", "SCHNAME", *COLUMNS}
    raw = raw[[c for c in raw.columns if c in wanted]]
    raw = raw.apply(lambda s: s.str.strip())  # LA and England rows carry a single space where a school has a URN
    raw = raw.replace("", np.nan)
    rectype = raw["RECTYPE"].fillna("")
    schools = raw[rectype.isin(SCHOOL_RECTYPES)]
    out = numbers(schools, COLUMNS)
    out.insert(0, "urn", pd.to_numeric(schools["URN"], errors="coerce"))
    out["la_code"] = pd.to_numeric(schools["LEA"], errors="coerce") if "LEA" in schools else np.nan
    out["school_name"] = schools["SCHNAME"] if "SCHNAME" in schools else pd.NA
    out["rectype"] = pd.to_numeric(schools["RECTYPE"])
    out["year"], out["source"] = entry.year, entry.path
    areas = raw[rectype.isin((LA_RECTYPE, *ENGLAND_RECTYPES))]
    area_values = numbers(areas, COLUMNS)
    la = pd.to_numeric(areas["LEA"], errors="coerce") if "LEA" in areas else pd.Series(np.nan, index=areas.index)
    area_values.insert(0, "la_code", np.where(areas["RECTYPE"] == LA_RECTYPE, la, ENGLAND))
    area_values["rectype"] = areas["RECTYPE"].to_numpy()
    england = area_values[area_values["la_code"] == ENGLAND]
    if len(england) > 1:  # keep one England row: state-funded where published
        keep = next(r for r in ENGLAND_RECTYPES if (england["rectype"] == r).any())
        area_values = area_values[(area_values["la_code"] != ENGLAND) | (area_values["rectype"] == keep)]
    area_values = area_values.dropna(subset=["la_code"]).assign(year=entry.year, source=entry.path)
    return out.reset_index(drop=True), area_values.reset_index(drop=True)


def crosscheck(schools: pd.DataFrame, areas: pd.DataFrame, tolerance: float = 1.0) -> pd.DataFrame:
    """Each LA row of a file against the same figure recomputed from its schools' rows: the pupil-weighted mean
    (by eligible pupils) of the schools' published percentages, mainstream and special alike, as the DfE
    computes an LA figure. One row per LA and measure: ``published``, ``recomputed``, ``pupils_unpublished``
    (share of pupils in schools whose figure is suppressed: above 5% the check is "not checkable"), ``status``
    (``agrees`` within ``tolerance`` points after rounding, ``differs`` or ``not checkable``)."""
    rows = []
    las = areas[areas["la_code"] != ENGLAND]
    for measure in ("rwm_exp", "read_exp", "mat_exp"):
        if measure not in schools or measure not in las or "cohort" not in schools:
            continue
        for la_row in las.itertuples():
            mine = schools[schools["la_code"] == la_row.la_code]
            pupils = mine["cohort"].sum()
            known = mine.dropna(subset=[measure, "cohort"])
            share_unpublished = 1 - known["cohort"].sum() / pupils if pupils else np.nan
            published = getattr(la_row, measure)
            recomputed = (known[measure] * known["cohort"]).sum() / known["cohort"].sum() if len(known) else np.nan
            if pd.isna(published) or pd.isna(recomputed) or share_unpublished > 0.05:
                status = "not checkable"
            elif abs(round(recomputed) - published) <= tolerance:
                status = "agrees"
            else:
                status = "differs"
            rows.append(
                {
                    "la_code": int(la_row.la_code),
                    "measure": measure,
                    "published": published,
                    "recomputed": round(float(recomputed), 2) if pd.notna(recomputed) else np.nan,
                    "pupils_unpublished": share_unpublished,
                    "status": status,
                }
            )
    return pd.DataFrame(rows, columns=["la_code", "measure", "published", "recomputed", "pupils_unpublished", "status"])


def meta_columns(entry: Entry) -> set[str]:
    """The column names a ``ks2_meta.csv`` defines (upper case), its ``FieldName``/``Field Name`` column."""
    meta = upper_columns(read_text_table(entry))
    column = next((c for c in meta.columns if c.replace(" ", "") == "FIELDNAME"), None)
    require(meta, entry, [column or "FieldName"])
    return {str(v).strip().upper() for v in meta[column].dropna()}


def unknown_to_meta(header: list[str], defined: set[str]) -> list[str]:
    """File columns the year's metadata does not define (a sign of a wrong year or a changed layout)."""
    return [c for c in header if c.upper() not in defined]
