"""Reduced national KS2 extracts made by third parties from the DfE's files (the shipped 2016-2018 and 2022-2025
school results): each keeps a few columns under its own names.

- ``ks2_extract_waiky8`` (2016-2018 CSV): URN and results; **no LA**. Its "Writing Score/Meet/Exceed" columns
  are really grammar, punctuation and spelling (GPS): checked against the DfE's own files for Hampshire and
  Surrey, where every school agrees.
- ``ks2_json_by_urn`` (2023 JSON keyed by URN): RWM expected and higher standard, progress; no LA, no cohort.
- ``ks2_json_league`` (2024, 2025 JSON list): LA and school name, RWM and scaled scores; **no URN** (matched to
  a URN by name within the LA, see :mod:`ks2workbook.data.tables`).
"""

from __future__ import annotations

import pandas as pd

from ..catalogue import Entry
from ..values import to_number
from . import numbers, read_json, read_text_table, require, unreadable

#: waiky8 extract column -> our column. "Writing Score/Meet/Exceed" are GPS (see the module docstring).
WAIKY8: dict[str, str] = {
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
BY_URN = {"rwmExp": "rwm_exp", "rwmHigh": "rwm_high", "readProg": "read_prog", "writProg": "writ_prog",
          "matProg": "mat_prog"}  # fmt: skip
LEAGUE = {"rwm": "rwm_exp", "hs": "rwm_high", "read": "read_avg", "maths": "mat_avg", "gps": "gps_avg"}


def recognise_waiky8(header: list[str]) -> bool:
    return {"URN", "Overall Meet Std", "KS2 Pupils"} <= set(header)


def read_waiky8(entry: Entry) -> pd.DataFrame:
    """One row per school: URN and results in our columns, ``year`` and ``source``; no LA."""
    raw = read_text_table(entry)
    require(raw, entry, ["URN", *WAIKY8])
    frame = numbers(raw, WAIKY8)
    frame.insert(0, "urn", pd.to_numeric(raw["URN"], errors="coerce"))
    frame["year"], frame["source"] = entry.year, entry.path
    return frame


def read_by_urn(entry: Entry) -> pd.DataFrame:
    data = read_json(entry)
    if not isinstance(data, dict):
        raise unreadable(entry, ValueError("expected an object keyed by URN"))
    raw = pd.DataFrame.from_dict(data, orient="index")
    require(raw, entry, list(BY_URN))
    frame = pd.DataFrame({ours: to_number(raw[theirs].rename(theirs)).to_numpy() for theirs, ours in BY_URN.items()})
    frame.insert(0, "urn", pd.to_numeric(raw.index.to_series(), errors="coerce").to_numpy())
    frame["year"], frame["source"] = entry.year, entry.path
    return frame


def read_league(entry: Entry) -> pd.DataFrame:
    """One row per school: LA code, name and results; no URN (the table builder matches it by name)."""
    data = read_json(entry)
    if not isinstance(data, list):
        raise unreadable(entry, ValueError("expected a list of schools"))
    raw = pd.DataFrame(data)
    require(raw, entry, ["name", "lea", *LEAGUE])
    frame = pd.DataFrame(
        {
            "la_code": pd.to_numeric(raw["lea"], errors="coerce"),
            "school_name": raw["name"],
            **{ours: to_number(raw[theirs].rename(theirs)) for theirs, ours in LEAGUE.items()},
        }
    )
    frame["year"], frame["source"] = entry.year, entry.path
    return frame
