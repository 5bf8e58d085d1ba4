"""The DfE's Local Authority Interactive Tool (LAIT) files: the long indicator table, its data dictionary and the
LA code list. LAIT is the LA-level reference councils know; its rules (SN average, ranks, bands) are applied in
:mod:`ks2workbook.analyses.neighbours`.
"""

from __future__ import annotations

import re

import pandas as pd

from ..catalogue import Entry
from ..values import to_number
from . import read_excel, read_parquet, read_text_table, require

BDS_COLUMNS = ["Short Desc", "Years", "LA and Regions", "Values", "LA Number", "Region"]


def parse_year(label: str) -> tuple[int | None, str]:
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


def read_timeseries(entry: Entry) -> pd.DataFrame:
    """One row per area, indicator and year: ``la_code``, ``la_name``, ``region``, ``indicator``, ``year``,
    ``year_label``, ``value`` (NaN where LAIT shows ``-``). Where a revised and a provisional label fall on one
    year, the revised is kept."""
    raw = read_parquet(entry)
    require(raw, entry, BDS_COLUMNS)
    labels = raw["Years"].astype("str")
    parsed = labels.map({label: parse_year(label) for label in labels.unique()})
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
    rank = frame["year_label"].str.contains("prov", case=False).astype(int)
    return (
        frame.assign(_rank=rank)
        .sort_values(["indicator", "la_code", "year", "_rank"])
        .drop_duplicates(["indicator", "la_code", "year"])
        .drop(columns="_rank")
    )


def read_dictionary(entry: Entry) -> pd.DataFrame:
    """``indicator``, ``description``, ``polarity`` (High, Low or None: no rank), ``no_quartile``."""
    raw = read_text_table(entry)
    require(raw, entry, ["Measure_short", "Measure", "Polarity", "No_Quartile"])
    raw = raw.drop_duplicates("Measure_short")
    return pd.DataFrame(
        {
            "indicator": raw["Measure_short"],
            "description": raw["Measure"],
            "polarity": raw["Polarity"].where(raw["Polarity"].isin(["High", "Low"]), "None"),
            "no_quartile": raw["No_Quartile"].fillna("").str.upper().eq("N"),
        }
    )


def read_codes(entry: Entry) -> pd.DataFrame:
    """``la_code``, ``la_name``, ``region``, ``la_type`` for every LA, region and England."""
    raw = read_excel(entry)
    require(raw, entry, ["LA Number", "LA Name", "Region", "Type"])
    frame = pd.DataFrame(
        {
            "la_code": pd.to_numeric(raw["LA Number"], errors="coerce"),
            "la_name": raw["LA Name"].astype("str").str.strip(),
            "region": raw["Region"],
            "la_type": raw["Type"],
        }
    ).dropna(subset=["la_code"])
    frame["la_code"] = frame["la_code"].astype(int)
    return frame
