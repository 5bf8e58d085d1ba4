"""Ofsted judgements per school: the latest, the one in force in a KS2 year, and an LA's grades against England.

Grades: 1 Outstanding, 2 Good, 3 Requires improvement ("Satisfactory" before September 2012), 4 Inadequate
(an "Ofsted category": special measures or serious weaknesses). Inspections from September 2024 give **no
overall grade** (Ofsted stopped single-word judgements): such a school is shown as "No overall grade
(inspected from Sept 2024)", a category of its own, never as missing data; its last overall grade, where we
hold one, is shown beside it. Schools are the state-funded mainstream schools with a KS2 result in the year (those the
strands and the risk list cover); a school with no inspection on file is "No inspection on file".
"""

from __future__ import annotations

import pandas as pd

from ..core.errors import NoDataError
from ..data import areas, tables
from ..data.values import safe_share

GRADE_LABELS: dict[int, str] = {
    1: "Outstanding",
    2: "Good",
    3: "Requires improvement / Satisfactory",
    4: "Inadequate",
}
NO_GRADE = "No overall grade (inspected from Sept 2024)"
NOT_INSPECTED = "No inspection on file"
#: Row order of the distribution table.
CATEGORIES: tuple[str, ...] = (*GRADE_LABELS.values(), NO_GRADE, NOT_INSPECTED)


def _inspections() -> pd.DataFrame:
    table = tables.load("ofsted")
    words = {1: "Outstanding", 2: "Good", 3: "Requires improvement", 4: "Inadequate"}
    table = table.assign(rating=table["grade"].map(words).fillna(NO_GRADE).astype("str"))
    return table.sort_values(["urn", "inspection_date"]).reset_index(drop=True)


def latest(as_of: str | pd.Timestamp | None = None, inspections: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per URN, the latest inspection on or before ``as_of`` (all, if None) and the latest with a grade.

    Columns: urn, inspection_date, rating, grade (NA when that inspection has no overall grade),
    has_overall_grade, last_grade, last_grade_date, category (a label of :data:`CATEGORIES`),
    in_ofsted_category (latest judgement Inadequate).
    """
    table = _inspections() if inspections is None else inspections.sort_values(["urn", "inspection_date"])
    if as_of is not None:
        table = table[table["inspection_date"] <= pd.Timestamp(as_of)]
    last = table.drop_duplicates("urn", keep="last").set_index("urn")
    graded = table[table["has_overall_grade"]].drop_duplicates("urn", keep="last").set_index("urn")
    out = last.loc[:, ["inspection_date", "rating", "grade", "has_overall_grade"]].copy()
    out["last_grade"] = graded["grade"].reindex(out.index)
    out["last_grade_date"] = graded["inspection_date"].reindex(out.index)
    out["category"] = out["grade"].map(GRADE_LABELS).where(out["has_overall_grade"], NO_GRADE).astype("str")
    out["in_ofsted_category"] = out["has_overall_grade"] & (out["grade"] == 4).fillna(False)
    return out.reset_index()


def grade_in_year(year: int, inspections: pd.DataFrame | None = None) -> pd.DataFrame:
    """The judgement in force at the end of the KS2 year (31 August of ``year``): :func:`latest` as of then."""
    return latest(pd.Timestamp(year=year, month=8, day=31), inspections)


def _ks2_schools(year: int) -> pd.DataFrame:
    results = tables.load("school_results")
    rows = results[(results["year"] == year)].dropna(subset=["urn"])
    if rows.empty:
        have = sorted(int(y) for y in results["year"].unique())
        raise NoDataError(f"no school-level KS2 results for {year}; years with data: {have}")
    rows = rows.drop_duplicates("urn").loc[:, ["urn", "la_code", "school_name"]]
    rows = rows.assign(urn=rows["urn"].astype("int64"))
    return rows[~rows["urn"].isin(tables.not_mainstream_urns())]


def school_grades(la_code: int | str | None, year: int, as_of: str | None = None) -> pd.DataFrame:
    """Every school with a KS2 result in ``year`` (one LA, or England if ``la_code`` is None) with its latest
    judgement (on or before ``as_of``; all inspections on file if None) and the judgement at the end of ``year``.
    """
    schools = _ks2_schools(year)
    if la_code is not None:
        code = areas.require_la(la_code).code
        schools = schools[schools["la_code"] == code]
    table = _inspections()
    now = latest(as_of, table)
    then = grade_in_year(year, table).loc[:, ["urn", "grade", "category"]]
    then = then.rename(columns={"grade": "grade_in_year", "category": f"category_end_{year}"})
    out = schools.merge(now, on="urn", how="left").merge(then, on="urn", how="left")
    out["category"] = out["category"].fillna(NOT_INSPECTED).astype("str")
    out[f"category_end_{year}"] = out[f"category_end_{year}"].fillna(NOT_INSPECTED).astype("str")
    out["in_ofsted_category"] = out["in_ofsted_category"].astype("boolean").fillna(False).astype(bool)
    return out.reset_index(drop=True)


def _shares(categories: pd.Series) -> pd.DataFrame:
    counts = categories.value_counts().reindex(list(CATEGORIES), fill_value=0)
    total = int(counts.sum())
    return pd.DataFrame({"schools": counts.astype(int), "share": [safe_share(c, total) for c in counts]})


def distribution(la_code: int | str, year: int, as_of: str | None = None) -> pd.DataFrame:
    """The LA's latest Ofsted judgements against England's: count and % per category (the Sefton table)."""
    area = areas.require_la(la_code)
    england = school_grades(None, year, as_of)
    la = england[england["la_code"] == area.code]
    if la.empty:
        raise NoDataError(f"no schools with KS2 results for {area.label} in {year}")
    left, right = _shares(la["category"]), _shares(england["category"])
    table = pd.DataFrame(
        {
            "judgement": list(CATEGORIES),
            "la_schools": left["schools"].to_numpy(),
            "la_share": left["share"].to_numpy(),
            "england_schools": right["schools"].to_numpy(),
            "england_share": right["share"].to_numpy(),
        }
    )
    total = pd.DataFrame(
        [
            {
                "judgement": "All schools",
                "la_schools": len(la),
                "la_share": 100.0,
                "england_schools": len(england),
                "england_share": 100.0,
            }
        ]
    )
    return pd.concat([table, total], ignore_index=True)


def in_category(la_code: int | str, year: int, as_of: str | None = None) -> pd.DataFrame:
    """The LA's schools whose latest overall judgement is Inadequate (an Ofsted category)."""
    table = school_grades(la_code, year, as_of)
    cols = ["urn", "school_name", "inspection_date", "rating"]
    return table.loc[table["in_ofsted_category"], cols].sort_values("inspection_date").reset_index(drop=True)


def grade_history(
    la_code: int | str, years: tuple[int, ...] = (2016, 2017, 2018, 2019, 2023, 2024, 2025)
) -> pd.DataFrame:
    """For each school of the LA with a KS2 result in any of ``years``: the overall grade in force at the end of
    each of those years (NA = no judgement yet; 'no overall grade' inspections keep NA and are flagged in
    :func:`latest`). One row per school, one column per year."""
    area = areas.require_la(la_code)
    results = tables.load("school_results")
    rows = results[(results["la_code"] == area.code) & results["year"].isin(years)].dropna(subset=["urn"])
    schools = rows.sort_values("year").drop_duplicates("urn", keep="last").loc[:, ["urn", "school_name"]]
    schools = schools.assign(urn=schools["urn"].astype("int64")).set_index("urn")
    table = _inspections()
    for year in years:
        grades = grade_in_year(year, table).set_index("urn")["grade"]
        schools[str(year)] = grades.reindex(schools.index).astype("Int64")
    return schools.reset_index().sort_values("school_name").reset_index(drop=True)
