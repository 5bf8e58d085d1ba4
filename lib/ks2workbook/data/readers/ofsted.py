"""Ofsted inspection outcomes, in three published shapes, turned into one row per inspection.

Ofsted has judged schools under three frameworks, and a row says which (``framework``) and holds only what that
inspection judged; nothing is filled in across frameworks:

- ``graded`` (to August 2024): an overall effectiveness grade 1-4 (Outstanding, Good, Requires improvement,
  "Satisfactory" before September 2012, Inadequate) and, from September 2019, four or five sub-judgements;
- ``no overall grade`` (September 2024 to 9 November 2025): the sub-judgements only;
- ``report card`` (from 10 November 2025): evaluation areas on a five-point scale (exceptional, strong standard,
  expected standard, needs attention, urgent improvement), safeguarding met or not met, and a category of
  concern where Ofsted placed the school in one. No overall grade exists, and none is made up.

Formats: the inspection history per school to February 2020 (a CSV compiled from Ofsted's reports, real file),
Ofsted's latest inspection per school as reduced to JSON from the monthly management information (real file,
May 2026), and Ofsted's management information workbook itself ("State-funded schools inspections and
outcomes", sheet of most recent inspections), read from its published column names.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from ...core.world import NO_OVERALL_GRADE_FROM, REPORT_CARDS_FROM
from ..catalogue import Entry
from . import read_excel, read_json, read_text_table, require, unreadable, upper_columns

GRADES: dict[str, int] = {"outstanding": 1, "good": 2, "satisfactory": 3, "requires improvement": 3, "inadequate": 4}
#: Report-card scale, in order from best; the JSON writes ``needs-attention`` and ``urgent``.
SCALE: tuple[str, ...] = (
    "exceptional",
    "strong standard",
    "expected standard",
    "needs attention",
    "urgent improvement",
)
_SCALE_ALIASES = {
    "exceptional": "exceptional",
    "strong": "strong standard",
    "strong standard": "strong standard",
    "expected": "expected standard",
    "expected standard": "expected standard",
    "needs-attention": "needs attention",
    "needs attention": "needs attention",
    "urgent": "urgent improvement",
    "urgent improvement": "urgent improvement",
}
SUB_JUDGEMENTS: dict[str, str] = {
    "sj_education": "quality of education",
    "sj_behaviour": "behaviour and attitudes",
    "sj_personal": "personal development",
    "sj_leadership": "leadership and management",
    "sj_early_years": "early years provision",
    "sj_sixth_form": "sixth form provision",
}
CARD_AREAS: dict[str, str] = {
    "rc_inclusion": "inclusion",
    "rc_curriculum": "curriculum and teaching",
    "rc_achievement": "achievement",
    "rc_behaviour": "attendance and behaviour",
    "rc_personal": "personal development and wellbeing",
    "rc_early_years": "early years",
    "rc_post16": "post-16 provision",
    "rc_leadership": "leadership and governance",
}
COLUMNS: tuple[str, ...] = (
    "urn",
    "inspection_date",
    "framework",
    "grade",
    *SUB_JUDGEMENTS,
    *CARD_AREAS,
    "safeguarding",
    "concern",
    "school_name",
    "source",
)
_JSON_SUB = {"education": "sj_education", "behaviour": "sj_behaviour", "personal": "sj_personal",
             "leadership": "sj_leadership", "eyfs": "sj_early_years", "sixthForm": "sj_sixth_form"}  # fmt: skip
_JSON_CARD = {"inclusion": "rc_inclusion", "curriculum": "rc_curriculum", "achievement": "rc_achievement",
              "behaviour": "rc_behaviour", "personal": "rc_personal", "earlyYears": "rc_early_years",
              "postSixteen": "rc_post16", "leadership": "rc_leadership"}  # fmt: skip


def grade_of(value: object) -> float:
    """A published judgement word (or 1-4) as a grade 1-4; NaN for anything else (9 = not applicable)."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return np.nan
    text = str(value).strip().lower()
    if text in GRADES:
        return float(GRADES[text])
    if text in {"1", "2", "3", "4"}:
        return float(text)
    return np.nan


def scale_of(value: object) -> object:
    """A report-card grade in our words (``needs-attention`` -> ``needs attention``); NA otherwise."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return pd.NA
    return _SCALE_ALIASES.get(str(value).strip().lower(), pd.NA)


def framework_of(date: pd.Timestamp, has_grade: bool, has_card: bool) -> str:
    """Which framework an inspection was made under: by what it judged, else by its date."""
    if has_card:
        return "report card"
    if has_grade:
        return "graded"
    if pd.notna(date) and date >= pd.Timestamp(REPORT_CARDS_FROM):
        return "report card"
    if pd.notna(date) and date >= pd.Timestamp(NO_OVERALL_GRADE_FROM):
        return "no overall grade"
    return "graded"


def _frame(rows: list[dict], source: str) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=[c for c in COLUMNS if c != "source"])
    frame["source"] = source
    return frame


def recognise_history(header: list[str]) -> bool:
    return {"URN", "Rating", "Inspection Date"} <= set(header)


def read_history(entry: Entry) -> pd.DataFrame:
    """Inspection history (URN, Rating, Inspection Date as yyyymmdd): overall grades only."""
    raw = read_text_table(entry)
    require(raw, entry, ["URN", "Rating", "Inspection Date"])
    frame = pd.DataFrame(
        {
            "urn": pd.to_numeric(raw["URN"], errors="coerce"),
            "inspection_date": pd.to_datetime(raw["Inspection Date"], format="%Y%m%d", errors="coerce"),
            "grade": raw["Rating"].map(grade_of),
        }
    )
    frame["framework"] = "graded"
    return frame.reindex(columns=list(COLUMNS)).assign(source=entry.path)


def read_latest_json(entry: Entry) -> pd.DataFrame:
    """Latest inspection per URN: ``{urn: {date, name, rating, sub: {...}, card: {areas, safeguarding,
    concern}}}``."""
    data = read_json(entry)
    if not isinstance(data, dict):
        raise unreadable(entry, ValueError("expected an object keyed by URN"))
    rows = []
    for urn, record in data.items():
        if not isinstance(record, dict):
            continue
        row: dict[str, object] = {"urn": urn, "inspection_date": record.get("date"), "school_name": record.get("name")}
        row["grade"] = grade_of(record.get("rating"))
        for key, col in _JSON_SUB.items():
            row[col] = grade_of((record.get("sub") or {}).get(key))
        card = record.get("card") or {}
        for key, col in _JSON_CARD.items():
            row[col] = scale_of((card.get("areas") or {}).get(key))
        row["safeguarding"] = str(card["safeguarding"]).lower() if card.get("safeguarding") else pd.NA
        row["concern"] = str(card["concern"]).upper() if card.get("concern") else pd.NA
        row["_card"] = bool(card)
        rows.append(row)
    frame = pd.DataFrame(rows)
    frame["urn"] = pd.to_numeric(frame["urn"], errors="coerce")
    frame["inspection_date"] = pd.to_datetime(frame["inspection_date"], errors="coerce")
    frame["framework"] = [
        framework_of(d, pd.notna(g), c)
        for d, g, c in zip(frame["inspection_date"], frame["grade"], frame["_card"], strict=True)
    ]
    return frame.drop(columns="_card").reindex(columns=list(COLUMNS)).assign(source=entry.path)


# ------------------------------------------------------------------------------------------------------------
# Ofsted's management information (most recent inspections), from its published column names
# ------------------------------------------------------------------------------------------------------------

#: Report-card columns of the most-recent-inspections sheet -> ours.
MI_CARD = {
    "INCLUSION": "rc_inclusion",
    "CURRICULUM AND TEACHING": "rc_curriculum",
    "ACHIEVEMENT": "rc_achievement",
    "ATTENDANCE AND BEHAVIOUR": "rc_behaviour",
    "PERSONAL DEVELOPMENT AND WELLBEING": "rc_personal",
    "EARLY YEARS (WHERE APPLICABLE)": "rc_early_years",
    "POST-16 PROVISION (WHERE APPLICABLE)": "rc_post16",
    "LEADERSHIP AND GOVERNANCE": "rc_leadership",
}
#: The latest graded (OEIF) inspection held beside it: date, overall and sub-judgements -> ours.
MI_OEIF = {
    "INSPECTION START DATE OF LATEST OEIF GRADED INSPECTION": "inspection_date",
    "LATEST OEIF OVERALL EFFECTIVENESS": "grade",
    "LATEST OEIF QUALITY OF EDUCATION": "sj_education",
    "LATEST OEIF BEHAVIOUR AND ATTITUDES": "sj_behaviour",
    "LATEST OEIF PERSONAL DEVELOPMENT": "sj_personal",
    "LATEST OEIF EFFECTIVENESS OF LEADERSHIP AND MANAGEMENT": "sj_leadership",
    "LATEST OEIF EARLY YEARS PROVISION (WHERE APPLICABLE)": "sj_early_years",
    "LATEST OEIF SIXTH FORM PROVISION (WHERE APPLICABLE)": "sj_sixth_form",
    "LATEST OEIF CATEGORY OF CONCERN": "concern",
}
#: The 2024-25 layout ("as at" files before report cards): latest inspection and the previous graded one.
MI_LATEST = {
    "INSPECTION START DATE": "inspection_date",
    "OVERALL EFFECTIVENESS": "grade",
    "QUALITY OF EDUCATION": "sj_education",
    "BEHAVIOUR AND ATTITUDES": "sj_behaviour",
    "PERSONAL DEVELOPMENT": "sj_personal",
    "EFFECTIVENESS OF LEADERSHIP AND MANAGEMENT": "sj_leadership",
    "EARLY YEARS PROVISION (WHERE APPLICABLE)": "sj_early_years",
    "SIXTH FORM PROVISION (WHERE APPLICABLE)": "sj_sixth_form",
}
MI_PREVIOUS = {
    "PREVIOUS INSPECTION START DATE": "inspection_date",
    "PREVIOUS GRADED INSPECTION OVERALL EFFECTIVENESS": "grade",
    "PREVIOUS QUALITY OF EDUCATION": "sj_education",
}
MI_SIGNATURE = ("URN", "INSPECTION START DATE")


def recognise_mi(header: list[str]) -> bool:
    cols = {h.strip().upper() for h in header}
    return all(c in cols for c in MI_SIGNATURE) and any(
        c in cols for c in ("SAFEGUARDING STANDARDS", "OVERALL EFFECTIVENESS", "CATEGORY OF CONCERN")
    )


def _mi_raw(entry: Entry) -> pd.DataFrame:
    if entry.path.lower().endswith((".xlsx", ".xls", ".ods")):
        sheets = read_excel(entry, sheet_name=None, dtype=str, header=None)
        name = next((s for s in sheets if "most_recent" in s.lower() or "most recent" in s.lower()), None)
        sheet = sheets[name or next(iter(sheets))]
        first = next((i for i, row in sheet.iterrows() if "URN" in {str(v).strip().upper() for v in row}), None)
        if first is None:
            raise unreadable(entry, ValueError("no header row with a URN column"))
        raw = sheet.iloc[first + 1 :].copy()
        raw.columns = [str(c) for c in sheet.iloc[first]]
    else:
        raw = read_text_table(entry)
    raw = upper_columns(raw)
    raw.columns = [" ".join(c.split()) for c in raw.columns]  # "LATEST OEIF  SAFEGUARDING" has a double space
    return raw.replace({"NULL": np.nan})


def read_mi(entry: Entry) -> pd.DataFrame:
    """Ofsted's management information: per school the latest inspection (a report card, or before November
    2025 the latest graded or ungraded one) and, where the file gives it, the graded inspection before."""
    raw = _mi_raw(entry)
    require(raw, entry, MI_SIGNATURE)
    urn = pd.to_numeric(raw["URN"], errors="coerce")
    name = raw.get("SCHOOL NAME", pd.Series(pd.NA, index=raw.index))
    parts = []
    latest = pd.DataFrame({"urn": urn, "school_name": name})
    latest["inspection_date"] = pd.to_datetime(raw["INSPECTION START DATE"], errors="coerce", dayfirst=True)
    for theirs, ours in MI_CARD.items():
        latest[ours] = raw[theirs].map(scale_of) if theirs in raw else pd.NA
    for theirs, ours in MI_LATEST.items():
        if ours != "inspection_date":
            latest[ours] = raw[theirs].map(grade_of) if theirs in raw else np.nan
    has_card = latest[list(MI_CARD.values())].notna().any(axis=1)
    latest["safeguarding"] = pd.NA
    if "SAFEGUARDING STANDARDS" in raw:  # report cards: met / not met
        latest.loc[has_card, "safeguarding"] = raw.loc[has_card, "SAFEGUARDING STANDARDS"].str.strip().str.lower()
    if "SAFEGUARDING IS EFFECTIVE?" in raw:  # before: effective yes / no
        said = (
            raw["SAFEGUARDING IS EFFECTIVE?"].str.strip().str.lower().map({"yes": "effective", "no": "not effective"})
        )
        latest.loc[~has_card, "safeguarding"] = said[~has_card]
    latest["concern"] = raw["CATEGORY OF CONCERN"].str.strip().str.upper() if "CATEGORY OF CONCERN" in raw else pd.NA
    latest["framework"] = [
        framework_of(d, pd.notna(g), c)
        for d, g, c in zip(latest["inspection_date"], latest["grade"], has_card, strict=True)
    ]
    parts.append(latest)
    for block in (MI_OEIF, MI_PREVIOUS):
        date_col = next(k for k, v in block.items() if v == "inspection_date")
        if date_col not in raw:
            continue
        earlier = pd.DataFrame({"urn": urn, "school_name": name})
        earlier["inspection_date"] = pd.to_datetime(raw[date_col], errors="coerce", dayfirst=True)
        for theirs, ours in block.items():
            if ours == "inspection_date":
                continue
            if ours == "concern":
                earlier[ours] = raw[theirs].str.strip().str.upper() if theirs in raw else pd.NA
            else:
                earlier[ours] = raw[theirs].map(grade_of) if theirs in raw else np.nan
        earlier["framework"] = "graded"
        parts.append(earlier.dropna(subset=["inspection_date"]))
    frame = pd.concat(parts, ignore_index=True).dropna(subset=["urn", "inspection_date"])
    return frame.reindex(columns=list(COLUMNS)).assign(source=entry.path)


def as_at(entry: Entry) -> dt.date | None:
    """The date a latest-inspection file is as at (its catalogue entry), for the stuck-school analysis."""
    return dt.date.fromisoformat(entry.as_at) if entry.as_at else None
