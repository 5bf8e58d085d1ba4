"""WCPP strands: every primary school with a KS2 result placed in one of five strands by explicit criteria.

The criteria are data (``rules/strands.yaml``, documented there; a council passes its own copy). A school goes
to the first strand, in the order of :data:`ORDER`, whose criteria it meets; ``good_to_great`` takes the rest.
"Below floor" comes from :mod:`ks2workbook.floor` (the year's national rule, or a local floor rule file); in a
year with no floor rule (2019 on) the strand file's ``attainment_below_when_no_floor`` line is used instead, and
the table says so. Ofsted judgements are those in force at the end of the KS2 year (31 August): an inspection
from September 2024 with no overall grade counts as neither Inadequate nor Outstanding.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..core.errors import NoDataError
from ..data import areas, tables
from ..data.values import safe_share
from ..rules.strands import ORDER, PROGRESS_NAMES, TABLE_ORDER, BelowFloor, StrandRules, load_rules
from . import floor, ofsted, risk

# ------------------------------------------------------------------------------------------------------------
# Inputs per school
# ------------------------------------------------------------------------------------------------------------


def below_floor_flags(
    year: int, rule: BelowFloor, rwm: pd.Series, local_floor_file: str | Path | None = None
) -> tuple[pd.Series, str]:
    """A boolean Series per URN (index of ``rwm``): below the floor of ``year``, and how it was decided."""
    try:
        table = floor.school_floor(year, None, local_floor_file)
    except NoDataError:
        if rule.attainment_below_when_no_floor is None:
            return pd.Series(False, index=rwm.index), f"no floor rule for {year}: not used"
        line = rule.attainment_below_when_no_floor
        return (rwm < line).fillna(False), f"no floor rule for {year}: RWM below {line:g}% used instead"
    table = table.dropna(subset=["urn"]).drop_duplicates("urn")
    status = table.set_index(table["urn"].astype("int64"))["status"]
    flags = (status.reindex(rwm.index) == "below floor").fillna(False).astype(bool)
    return flags, f"floor standard of {year} ({'local rule' if local_floor_file else 'national rule'})"


def _latest_progress(results: pd.DataFrame, year: int, max_age: int) -> pd.DataFrame:
    cols = list(PROGRESS_NAMES)
    rows = results[(results["year"] <= year) & (results["year"] >= year - max_age)].dropna(subset=["urn"])
    rows = rows[rows[cols].notna().any(axis=1)].sort_values(["urn", "year"]).drop_duplicates("urn", keep="last")
    out = rows.set_index(rows["urn"].astype("int64"))[[*cols, "year"]]
    return out.rename(columns={"year": "progress_year"})


def school_inputs(year: int, rules: StrandRules, local_floor_file: str | Path | None = None) -> pd.DataFrame:
    """Every school (England) with a KS2 RWM result in ``year`` and what the criteria need."""
    results = tables.load("school_results")
    now = results[results["year"] == year].dropna(subset=["urn"]).drop_duplicates("urn")
    if now["rwm_exp"].notna().sum() == 0:
        have = sorted(int(y) for y in results.dropna(subset=["rwm_exp"])["year"].unique())
        raise NoDataError(f"no school-level RWM results for {year}; years with them: {have}")
    now = now.dropna(subset=["rwm_exp"])
    now = now[~now["urn"].astype("int64").isin(tables.not_mainstream_urns())]
    frame = now.set_index(now["urn"].astype("int64")).loc[:, ["la_code", "school_name", "rwm_exp"]]
    frame.index.name = "urn"
    s = rules.strands
    frame["below_floor"], basis = below_floor_flags(year, s.below_floor, frame["rwm_exp"], local_floor_file)
    rwm_text = frame["rwm_exp"].map("{:.0f}%".format)
    if basis.startswith("no floor rule"):
        line = s.below_floor.attainment_below_when_no_floor
        frame["floor_why"] = "RWM " + rwm_text + f" below the {line:g}% line (no floor rule for {year})"
    else:
        frame["floor_why"] = f"below the {year} floor standard (RWM " + rwm_text + ")"
    frame.attrs["floor_basis"] = basis
    prog = _latest_progress(results, year, s.maximising_progress.progress_max_age).reindex(frame.index)
    frame = frame.join(prog)
    history = results[(results["year"] <= year)].dropna(subset=["urn", "rwm_exp"])
    stats = history.groupby(history["urn"].astype("int64"))["rwm_exp"].agg(["count", "std", "min", "max"])
    frame = frame.join(stats.rename(columns=lambda c: f"rwm_{c}"))
    grades = ofsted.grade_in_year(year).set_index("urn")
    frame["ofsted_grade"] = grades["grade"].reindex(frame.index)
    frame["ofsted_date"] = grades["inspection_date"].reindex(frame.index)
    frame.attrs["floor_basis"] = basis
    return frame


# ------------------------------------------------------------------------------------------------------------
# Assignment
# ------------------------------------------------------------------------------------------------------------


def assign_frame(frame: pd.DataFrame, rules: StrandRules) -> pd.DataFrame:
    """Apply the rules to a frame of inputs (see :func:`school_inputs`); adds ``strand``, ``label``, ``why``.

    Needs columns rwm_exp, below_floor (bool), read_prog/writ_prog/mat_prog (NaN = not published),
    progress_year, rwm_count, rwm_std, rwm_min, rwm_max, ofsted_grade (NA = none in force).
    """
    s = rules.strands
    n = len(frame)
    strand = np.array([""] * n, dtype=object)
    why = np.array([""] * n, dtype=object)
    grade = frame["ofsted_grade"].astype("Float64").fillna(-1).to_numpy(dtype=float)

    def take(mask: np.ndarray, key: str, texts: pd.Series) -> None:
        free = (strand == "") & mask
        strand[free] = key
        why[free] = texts.to_numpy()[free]

    # 1. below floor and/or an Ofsted category
    bf = s.below_floor
    floor_hit = frame["below_floor"].to_numpy(dtype=bool) if bf.below_floor else np.zeros(n, bool)
    grade_hit = np.isin(grade, bf.ofsted_grades)
    floor_why = (
        frame["floor_why"]
        if "floor_why" in frame
        else "below the floor (RWM " + frame["rwm_exp"].map("{:.0f}%".format) + ")"
    )
    text = pd.Series(np.where(floor_hit, floor_why, ""), index=frame.index)
    ofsted_text = pd.Series(grade, index=frame.index).map(
        lambda g: f"Ofsted {ofsted.GRADE_LABELS.get(int(g), '')} (grade {g:.0f}) in force" if g > 0 else ""
    )
    ofsted_text = ofsted_text.where(grade_hit, "")
    take(floor_hit | grade_hit, "below_floor", (text + np.where(floor_hit & grade_hit, "; ", "") + ofsted_text))

    # 2. maximising progress
    mp = s.maximising_progress
    fails = pd.Series("", index=frame.index)
    hit = np.zeros(n, bool)
    for col, bar in mp.progress_below.items():
        below = (frame[col] < bar).fillna(False).to_numpy(dtype=bool)
        hit |= below
        msg = f"{PROGRESS_NAMES[col]} progress " + frame[col].map("{:+.1f}".format) + f" below {bar:+g}"
        fails = fails + np.where(below, np.where(fails == "", "", "; ") + msg, "")
    year_text = " (" + frame["progress_year"].map(lambda y: f"{y:.0f}" if pd.notna(y) else "") + ")"
    take(hit, "maximising_progress", fails + year_text)

    # 3. inconsistent results
    inc = s.inconsistent
    hit = ((frame["rwm_count"] >= inc.min_years) & (frame["rwm_std"] >= inc.rwm_sd_at_least)).to_numpy(bool)
    text = (
        "RWM varied by SD "
        + frame["rwm_std"].map("{:.0f}".format)
        + " points over "
        + frame["rwm_count"].map("{:.0f}".format)
        + " years ("
        + frame["rwm_min"].map("{:.0f}".format)
        + "% to "
        + frame["rwm_max"].map("{:.0f}".format)
        + "%)"
    )
    take(hit, "inconsistent", text)

    # 5. great (before 4: good_to_great takes the rest)
    gr = s.great
    mean_prog = frame[list(PROGRESS_NAMES)].mean(axis=1, skipna=False)
    results_ok = (frame["rwm_exp"] >= gr.rwm_at_least).to_numpy(dtype=bool, copy=True)
    if gr.mean_progress_at_least is not None:
        results_ok &= (mean_prog.isna() | (mean_prog >= gr.mean_progress_at_least)).to_numpy(bool)
    grade_ok = np.isin(grade, gr.or_ofsted_grades)
    text = pd.Series(np.where(results_ok, "RWM " + frame["rwm_exp"].map("{:.0f}%".format), ""), index=frame.index)
    text = text + np.where(results_ok & grade_ok, "; ", "") + np.where(grade_ok, "Ofsted Outstanding", "")
    take(results_ok | grade_ok, "great", text)

    # 4. good, capable of becoming great: everything else
    take(
        np.ones(n, bool),
        "good_to_great",
        "none of the criteria above (RWM " + frame["rwm_exp"].map("{:.0f}%".format) + ")",
    )

    labels = {key: getattr(s, key).label for key in ORDER}
    out = frame.assign(strand=strand, why=why)
    out["label"] = out["strand"].map(labels)
    return out


def _no_la_data(area: areas.Area, year: int) -> str:
    results = tables.load("school_results")
    rows = results[(results["la_code"] == area.code)].dropna(subset=["rwm_exp"])
    have = sorted(int(y) for y in rows["year"].unique())
    return f"no schools with KS2 RWM results for {area.label} in {year}; years with them: {have}"


def assign(
    la_code: int | str | None,
    year: int,
    strand_rules_file: str | Path | None = None,
    local_floor_file: str | Path | None = None,
) -> pd.DataFrame:
    """Each school's strand and why (one LA, or England when ``la_code`` is None)."""
    rules = load_rules(strand_rules_file)
    frame = school_inputs(year, rules, local_floor_file)
    if la_code is not None:
        area = areas.require_la(la_code)
        frame = frame[frame["la_code"] == area.code]
        if frame.empty:
            raise NoDataError(_no_la_data(area, year))
    out = assign_frame(frame, rules)
    out.attrs["floor_basis"] = frame.attrs.get("floor_basis", "")
    cols = ["school_name", "rwm_exp", "strand", "label", "why", "below_floor", "ofsted_grade"]
    order = {k: i for i, k in enumerate(TABLE_ORDER)}
    out = out.reset_index().loc[:, ["urn", *cols]]
    return out.sort_values(["strand", "urn"], key=lambda c: c.map(order) if c.name == "strand" else c).reset_index(
        drop=True
    )


def strand_table(
    la_code: int | str,
    year: int,
    strand_rules_file: str | Path | None = None,
    local_floor_file: str | Path | None = None,
) -> pd.DataFrame:
    """Counts and shares per strand for the LA, with England's shares (the Sefton and Derby form)."""
    area = areas.require_la(la_code)
    rules = load_rules(strand_rules_file)
    england = assign_frame(school_inputs(year, rules, local_floor_file), rules)
    la = england[england["la_code"] == area.code]
    if la.empty:
        raise NoDataError(_no_la_data(area, year))
    rows = []
    for i, key in enumerate(TABLE_ORDER, start=1):
        n_la, n_en = int((la["strand"] == key).sum()), int((england["strand"] == key).sum())
        rows.append(
            {
                "number": i,
                "strand": key,
                "label": getattr(rules.strands, key).label,
                "la_schools": n_la,
                "la_share": safe_share(n_la, len(la)),
                "england_schools": n_en,
                "england_share": safe_share(n_en, len(england)),
            }
        )
    rows.append(
        {
            "number": None,
            "strand": "all",
            "label": "All schools",
            "la_schools": len(la),
            "la_share": 100.0,
            "england_schools": len(england),
            "england_share": 100.0,
        }
    )
    table = pd.DataFrame(rows)
    table["number"] = table["number"].astype("Int64")
    return table


def export_frame(
    la_code: int | str,
    year: int,
    strand_rules_file: str | Path | None = None,
    local_floor_file: str | Path | None = None,
) -> pd.DataFrame:
    """The table behind ``ks2workbook export strands``: each school's strand and why."""
    frame = assign(la_code, year, strand_rules_file, local_floor_file)
    return frame.assign(ofsted_grade=frame["ofsted_grade"].astype("Int64"))


def headline(la_code: int | str, year: int, strand_rules_file: str | Path | None = None) -> dict[str, int]:
    """Schools per strand for the cabinet summary (keys of :data:`capacity.STRANDS`, plus ``all``)."""
    table = strand_table(la_code, year, strand_rules_file)
    return {row.strand: int(row.la_schools) for row in table.itertuples()}


def early_warning_headline(
    la_code: int | str,
    year: int,
    threshold: float = risk.DEFAULT_THRESHOLD,
    strand_rules_file: str | Path | None = None,
) -> dict[str, float]:
    """The early-warning headline numbers for the cabinet summary, one flat dict: risk (schools, below the
    threshold now, expected below next year, at risk), schools per strand (``strand_<key>``) and Ofsted
    (schools in a category, schools whose latest inspection has no overall grade)."""
    out: dict[str, float] = {f"risk_{k}": v for k, v in risk.headline(la_code, year, threshold).items()}
    out.update({f"strand_{k}": v for k, v in headline(la_code, year, strand_rules_file).items()})
    grades = ofsted.distribution(la_code, year).set_index("judgement")
    out["ofsted_inadequate"] = int(grades.loc[ofsted.GRADE_LABELS[4], "la_schools"])
    out["ofsted_no_overall_grade"] = int(grades.loc[ofsted.NO_GRADE, "la_schools"])
    out["unlinked_results"] = len(risk.unlinked(la_code, year))
    return out


def strand_risk_counts(
    la_code: int | str,
    year: int,
    strand_rules_file: str | Path | None = None,
    threshold: float = risk.DEFAULT_THRESHOLD,
) -> pd.DataFrame:
    """Schools per strand and risk level (high / medium / low chance of being below ``threshold`` next year,
    cut points from the rule file's ``risk_levels``), the split capacity scenarios use. One row per strand,
    columns ``high``, ``medium``, ``low``, ``all``."""
    rules = load_rules(strand_rules_file)
    assigned = assign(la_code, year, strand_rules_file).set_index("urn")
    p = risk.school_risk(la_code, year, threshold).set_index("urn")["p_below_next"].reindex(assigned.index)
    cuts = rules.risk_levels
    level = np.where(p >= cuts.high_at_least, "high", np.where(p >= cuts.medium_at_least, "medium", "low"))
    table = pd.crosstab(assigned["strand"], pd.Series(level, index=assigned.index, name="risk"))
    table = table.reindex(index=list(TABLE_ORDER), columns=["high", "medium", "low"], fill_value=0)
    table["all"] = table.sum(axis=1)
    table.index.name = "strand"
    return table.reset_index()
