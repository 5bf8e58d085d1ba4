"""Explore Education Statistics (EES): the KS2 LA-level data set of the "Key stage 2 attainment" release
(``ks2_regional_local_authority_and_pupil_characteristics*.csv``), England, regions and LAs by year.

Two published layouts, both read from their column names (tests use fixtures whose header is copied from the
published data-set pages; no real file is shipped):

- **wide** (releases to 2023/24): a row per area, year and pupil group, a column per measure
  (``pt_rwm_met_expected_standard``, ``avg_read_scaled_score``, ``avg_read_progress_score``...);
- **long** (2024/25 on): a row per area, year, group and ``subject`` (``Reading, writing and maths``,
  ``Reading``...), with ``expected_standard_pupil_percent``, ``higher_standard_pupil_percent``,
  ``average_scaled_score`` and ``progress_measure_score``.

Both become rows of LAIT's indicators (``KS2RWM_Expected_STD``...) for all pupils in state-funded schools, so that
a year EES has published and LAIT not yet joins the trends. EES marks values it does not publish ``c``
(confidential), ``x``, ``z`` (not applicable), ``u`` or ``low``: all missing, never zero.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...core.world import ENGLAND
from ..catalogue import Entry
from ..values import to_number
from . import read_text_table, require

SIGNATURE = ("time_period", "geographic_level")
#: Wide layout: column -> LAIT indicator.
WIDE: dict[str, str] = {
    "pt_rwm_met_expected_standard": "KS2RWM_Expected_STD",
    "pt_rwm_met_higher_standard": "KS2RWM_Higher_STD",
    "pt_read_met_expected_standard": "KS2R_Expected_STD",
    "pt_mat_met_expected_standard": "KS2M_Expected_STD",
    "pt_gps_met_expected_standard": "KS2GPS_Expected_STD",
    "pt_writta_met_expected_standard": "KS2W_Teacher_Assess",
    "avg_read_scaled_score": "KS2R_AVG_Scaled_Score",
    "avg_mat_scaled_score": "KS2M_AVG_Scaled_Score",
    "avg_read_progress_score": "KS2R_Prog_VA",
    "avg_writta_progress_score": "KS2W_Prog_VA",
    "avg_mat_progress_score": "KS2M_Prog_VA",
}
#: Long layout: (subject, column) -> LAIT indicator.
LONG: dict[tuple[str, str], str] = {
    ("reading, writing and maths", "expected_standard_pupil_percent"): "KS2RWM_Expected_STD",
    ("reading, writing and maths", "higher_standard_pupil_percent"): "KS2RWM_Higher_STD",
    ("reading", "expected_standard_pupil_percent"): "KS2R_Expected_STD",
    ("maths", "expected_standard_pupil_percent"): "KS2M_Expected_STD",
    ("grammar, punctuation and spelling", "expected_standard_pupil_percent"): "KS2GPS_Expected_STD",
    ("writing", "expected_standard_pupil_percent"): "KS2W_Teacher_Assess",
    ("reading", "average_scaled_score"): "KS2R_AVG_Scaled_Score",
    ("maths", "average_scaled_score"): "KS2M_AVG_Scaled_Score",
    ("reading", "progress_measure_score"): "KS2R_Prog_VA",
    ("writing", "progress_measure_score"): "KS2W_Prog_VA",
    ("maths", "progress_measure_score"): "KS2M_Prog_VA",
}
#: The disadvantaged split of RWM: the group's value -> LAIT indicator.
DISADVANTAGE: dict[str, str] = {
    "disadvantaged": "DAP_NEW_KS2_RWM",
    "not known to be disadvantaged": "NonDAP_NEW_KS2_RWM",
    "disadvantaged all other": "NonDAP_NEW_KS2_RWM",
}
#: Columns naming a pupil group; a row for all pupils says one of ALL in each that the file has.
GROUP_COLUMNS = ("breakdown", "characteristic", "sex", "gender", "disadvantage_status", "first_language", "fsm_status",
                 "ethnicity_minor", "sen_provision")  # fmt: skip
ALL = {"total", "all pupils", "all", "all sexes"}
SCHOOL_GROUP_COLUMNS = ("establishment_type_group", "school_type")
STATE_FUNDED = {"all state-funded", "state-funded schools", "state-funded", "all schools", "total"}


def recognise(header: list[str]) -> bool:
    cols = {h.strip().lower() for h in header}
    measure = any(c in cols for c in WIDE) or {"subject", "expected_standard_pupil_percent"} <= cols
    return all(c in cols for c in SIGNATURE) and measure and ("old_la_code" in cols or "la_name" in cols)


def year_of(period: object) -> int | None:
    """``202526`` (or ``2025/26``) -> 2026: the summer of the tests."""
    digits = "".join(ch for ch in str(period) if ch.isdigit())
    if len(digits) == 6:
        return int(digits[:4]) + 1
    if len(digits) == 4:
        return int(digits)
    return None


def _area_codes(raw: pd.DataFrame, region_codes: dict[str, int]) -> pd.Series:
    level = raw["geographic_level"].str.strip().str.lower()
    la = pd.to_numeric(raw.get("old_la_code", pd.Series(np.nan, index=raw.index)), errors="coerce")
    region_name = raw.get("region_name", pd.Series("", index=raw.index)).fillna("").str.strip().str.lower()
    region = region_name.map(region_codes)
    return pd.Series(
        np.select(
            [level.eq("national"), level.eq("regional"), level.eq("local authority")], [ENGLAND, region, la], np.nan
        ),
        index=raw.index,
    )


def _all_pupils(raw: pd.DataFrame, keep_disadvantage: bool = False) -> pd.Series:
    mask = pd.Series(True, index=raw.index)
    for col in GROUP_COLUMNS:
        if col in raw and not (keep_disadvantage and col in ("breakdown", "characteristic", "disadvantage_status")):
            mask &= raw[col].fillna("").str.strip().str.lower().isin(ALL)
    for col in SCHOOL_GROUP_COLUMNS:
        if col in raw:
            mask &= raw[col].fillna("").str.strip().str.lower().isin(STATE_FUNDED)
    return mask


def read(entry: Entry, region_codes: dict[str, int]) -> pd.DataFrame:
    """LAIT-style rows: ``la_code``, ``indicator``, ``year``, ``value``, ``source``. ``region_codes`` maps a
    region's name (lower case) to its LAIT code (980-990)."""
    raw = read_text_table(entry)
    raw.columns = [c.strip().lower() for c in raw.columns]
    require(raw, entry, SIGNATURE)
    raw = raw.assign(_code=_area_codes(raw, region_codes), _year=raw["time_period"].map(year_of))
    raw = raw.dropna(subset=["_code", "_year"])
    parts = []
    if "subject" in raw:
        subject = raw["subject"].fillna("").str.strip().str.lower()
        everyone = _all_pupils(raw)
        for (subj, column), indicator in LONG.items():
            if column in raw:
                rows = raw[everyone & subject.eq(subj)]
                parts.append(_rows(rows, rows[column], indicator))
        group_col = next((c for c in ("disadvantage_status", "breakdown", "characteristic") if c in raw), None)
        if group_col and "expected_standard_pupil_percent" in raw:
            split = _all_pupils(raw, keep_disadvantage=True) & subject.eq("reading, writing and maths")
            for group, indicator in DISADVANTAGE.items():
                rows = raw[split & raw[group_col].fillna("").str.strip().str.lower().eq(group)]
                parts.append(_rows(rows, rows["expected_standard_pupil_percent"], indicator))
    else:
        everyone = raw[_all_pupils(raw)]
        for column, indicator in WIDE.items():
            if column in everyone:
                parts.append(_rows(everyone, everyone[column], indicator))
    frame = (
        pd.concat(parts, ignore_index=True)
        if parts
        else pd.DataFrame(columns=["la_code", "indicator", "year", "value"])
    )
    frame = frame.drop_duplicates(["la_code", "indicator", "year"])
    return frame.assign(source=entry.path)


def _rows(rows: pd.DataFrame, values: pd.Series, indicator: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "la_code": rows["_code"].astype(int).to_numpy(),
            "indicator": indicator,
            "year": rows["_year"].astype(int).to_numpy(),
            "value": to_number(values.rename(indicator)).to_numpy(),
        }
    )
