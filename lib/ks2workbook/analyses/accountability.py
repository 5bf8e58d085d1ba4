"""Today's accountability: every inspection judged across Ofsted's frameworks, schools in a category of concern,
"stuck" schools (the DfE's RISE definition), coasting schools (the 2017 data rule and the Ofsted-based rule of
2022 as amended in 2025), and an LA's report cards against England's.

Inspection history. We hold each school's inspections to February 2020 and its latest inspection to the date of
the latest Ofsted file (May 2026); a school keeps its history through an academy conversion (its predecessor's
inspections count as its own). Where the history has a gap (the latest inspection is after February 2020 and
the one before it in our files is from before), an inspection between may be missing: such a "previous
inspection" is marked, and a school with none at all is "possibly stuck", never dropped.

The mapping between frameworks is a council-editable rule file (``ofsted_frameworks.yaml``); every function takes
it (None: the shipped one) and the reports say which was used.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..core.errors import NoDataError
from ..data import areas, catalogue, tables
from ..data.cache import cached_on
from ..rules import accountability as rules
from . import progress

#: The ofsted table's framework names -> the keys of the mapping file.
FRAMEWORK_KEYS = {"graded": "graded", "no overall grade": "no_overall_grade", "report card": "report_card"}
CLASSES = ("requires_improvement", "below_good", "in_category", "outstanding", "good_or_better")
STUCK = "stuck"
POSSIBLY = "possibly stuck (previous inspection not held)"
NOT_STUCK = "not stuck"
IN_CATEGORY = "in a category of concern"
UNKNOWN = "inspection at this date not held"
NOT_INSPECTED = "no inspection held"
STATUSES = (STUCK, POSSIBLY, IN_CATEGORY, NOT_STUCK, UNKNOWN, NOT_INSPECTED)


def _key(path: str | Path | None) -> str:
    return str(path or "")


@cached_on("ofsted", "schools", maxsize=8, persist=True)
def judged(frameworks_file: str = "") -> pd.DataFrame:
    """Every inspection with what it comes to under the mapping: ``requires_improvement`` (RI or the framework's
    equivalent), ``below_good``, ``in_category``, ``outstanding`` (or equivalent), ``good_or_better``, and
    ``category`` (special measures; requires significant improvement; or, for a graded Inadequate, which of the two
    is not recorded), plus the school's phase and LA now."""
    frame = classify(tables.load("ofsted"), rules.frameworks(frameworks_file or None))
    schools = tables.load("schools").drop_duplicates("urn").set_index("urn")
    frame["la_code_now"] = frame["urn"].map(schools["la_code_now"]).astype("Int64")
    frame["is_primary"] = frame["urn"].map(schools["is_primary"]).fillna(False).astype(bool)
    frame["school_name"] = frame["school_name"].fillna(frame["urn"].map(schools["name"]))
    return frame


def classify(inspections: pd.DataFrame, mapping: rules.FrameworkFile) -> pd.DataFrame:
    """Inspections (the ``ofsted`` table's columns) with the mapping's classes and the category of concern."""
    frame = inspections.copy()
    for col in rules.JUDGEMENTS:
        if col not in frame:
            frame[col] = pd.NA
    frame["fw"] = frame["framework"].map(FRAMEWORK_KEYS)
    for name in CLASSES:
        frame[name] = False
        for fw, conditions in mapping.frameworks.items():
            rows = frame["fw"] == fw
            frame.loc[rows, name] = rules.holds(getattr(conditions, name), frame[rows]).to_numpy()
    frame["category"] = _categories(frame, mapping)
    frame.loc[frame["category"].notna(), "in_category"] = True
    frame.loc[frame["in_category"], "requires_improvement"] = False  # a category is not "requires improvement"
    return frame


def _categories(frame: pd.DataFrame, mapping: rules.FrameworkFile) -> pd.Series:
    """A report card's category: Ofsted's published one where given, else the mapping's rule; a graded Inadequate
    is a category whose kind the grade alone does not say; an ungraded inspection's, where the mapping puts it in
    one, likewise."""
    out = pd.Series(pd.NA, index=frame.index, dtype="object")
    published = frame["concern"].map({"SM": "special measures", "RSI": "requires significant improvement",
                                      "SWK": "serious weaknesses"})  # fmt: skip
    cards = frame["fw"] == "report_card"
    sm = cards & rules.holds(mapping.report_card_categories.special_measures, frame)
    rsi = cards & ~sm & rules.holds(mapping.report_card_categories.requires_significant_improvement, frame)
    out[rsi] = "requires significant improvement"
    out[sm] = "special measures"
    out = published.where(published.notna(), out)
    other = ~cards & frame["in_category"]
    out[other & out.isna()] = "special measures or serious weaknesses"
    return out


def _history_files() -> list[str]:
    return [e.path for e in catalogue.load().of_kind("ofsted_history")]


def history_end() -> pd.Timestamp:
    """The last date the complete inspection history runs to (after it we hold each school's latest only)."""
    frame = tables.load("ofsted")
    held = frame[frame["source"].isin(_history_files())]
    return pd.Timestamp(held["inspection_date"].max()) if len(held) else pd.Timestamp.min


def latest_file_date() -> pd.Timestamp:
    """The date the latest-inspection file is as at (its catalogue entry), else its latest inspection."""
    dates = [e.as_at for e in catalogue.load().of_kind("ofsted_latest_json", "ofsted_mi") if e.as_at]
    if dates:
        return pd.Timestamp(max(dates))
    return pd.Timestamp(tables.load("ofsted")["inspection_date"].max())


def default_as_of() -> pd.Timestamp:
    """The latest inspection date held: the default date of every accountability figure."""
    return pd.Timestamp(tables.load("ofsted")["inspection_date"].max())


def _histories(schools: pd.DataFrame, frame: pd.DataFrame, scope: pd.Index) -> pd.DataFrame:
    """Every inspection of each school in ``scope``, its own and its predecessors' (an academy conversion keeps
    the school's history), one row per (school, inspection), oldest first."""
    pred = schools.dropna(subset=["predecessor_urn"]).drop_duplicates("urn")
    pred = pred.set_index("urn")["predecessor_urn"].astype("int64")
    links = [pd.DataFrame({"school": scope, "member": scope})]
    current = pd.Series(scope, index=scope)
    for _ in range(3):  # a school, its predecessor and theirs: enough for every chain in the data
        current = current.map(pred).dropna().astype("int64")
        if current.empty:
            break
        links.append(pd.DataFrame({"school": current.index, "member": current.to_numpy()}))
    pairs = pd.concat(links, ignore_index=True).drop_duplicates()
    held = pairs.merge(frame, left_on="member", right_on="urn", how="inner")
    return held.sort_values(["school", "inspection_date"], kind="stable")


@cached_on("ofsted", "schools", maxsize=16, persist=True)
def stuck(as_of: str | None = None, frameworks_file: str = "") -> pd.DataFrame:
    """Every school open at the latest Ofsted file's date (England), with its status on ``as_of`` (default: the
    latest inspection date held) by the DfE's definition: **stuck** = requires improvement, or the equivalent,
    at the latest inspection and below good at the one before. Columns: ``urn``, ``school_name``,
    ``la_code_now``, ``is_primary``, ``status`` (:data:`STATUSES`), ``latest_date``, ``latest_framework``,
    ``latest``, ``previous_date``, ``previous``, ``previous_may_be_missing`` (an inspection between may not be
    held), ``category``, ``why``."""
    when = default_as_of() if as_of is None else pd.Timestamp(as_of)
    frame = judged(frameworks_file)
    end = history_end()
    open_now = pd.Index(sorted(frame.loc[~frame["source"].isin(_history_files()), "urn"].unique()), name="urn")
    schools = tables.load("schools")
    held = _histories(schools, frame, open_now)
    newest_own = frame[frame["urn"].isin(open_now)].groupby("urn")["inspection_date"].max().reindex(open_now)
    before = held[held["inspection_date"] <= when]
    grouped = before.groupby("school")
    last = grouped.nth(-1).set_index("school").reindex(open_now)
    prev = grouped.nth(-2).set_index("school").reindex(open_now)
    info = schools.drop_duplicates("urn").set_index("urn").reindex(open_now)
    out = pd.DataFrame(index=open_now)
    names = frame.dropna(subset=["school_name"]).drop_duplicates("urn", keep="last").set_index("urn")["school_name"]
    out["school_name"] = names.reindex(open_now).fillna(info["name"])
    out["la_code_now"] = info["la_code_now"].astype("Int64")
    out["is_primary"] = info["is_primary"].fillna(False).astype(bool)
    out["latest_date"] = last["inspection_date"]
    out["latest_framework"] = last["framework"]
    out["latest"] = summaries(last).where(last["inspection_date"].notna())
    out["previous_date"] = prev["inspection_date"]
    out["previous"] = summaries(prev).where(prev["inspection_date"].notna())
    out["previous_may_be_missing"] = (
        (prev["inspection_date"].le(end) & last["inspection_date"].gt(end)).fillna(False).astype(bool)
    )
    out["category"] = last["category"]
    unknown = newest_own.gt(when) & (when > end)
    none = last["inspection_date"].isna()
    category = last["in_category"].fillna(False).astype(bool)
    ri = last["requires_improvement"].fillna(False).astype(bool)
    prev_bad = prev["below_good"].astype("boolean")
    out["status"] = np.select(
        [unknown, none, category, ~ri, prev_bad.isna(), prev_bad.fillna(False).astype(bool)],
        [UNKNOWN, NOT_INSPECTED, IN_CATEGORY, NOT_STUCK, POSSIBLY, STUCK],
        default=NOT_STUCK,
    )
    out["why"] = _why(out, when, newest_own)
    out["status"] = pd.Categorical(out["status"], categories=list(STATUSES))
    return out.reset_index()


def _month(dates: pd.Series) -> pd.Series:
    return dates.dt.strftime("%B %Y").fillna("")


def _why(out: pd.DataFrame, when: pd.Timestamp, newest_own: pd.Series) -> np.ndarray:
    """Each school's status in words, with the inspections it rests on (vectorised: every open school in England)."""
    status = out["status"].astype(str).to_numpy()
    latest = "latest inspection (" + _month(out["latest_date"]) + ")"
    again = newest_own.reindex(out.index).dt.strftime("%d %B %Y").fillna("")
    texts = np.select(
        [status == UNKNOWN, status == NOT_INSPECTED, status == IN_CATEGORY, status == POSSIBLY,
         out["previous_date"].notna().to_numpy()],
        [
            ("inspected again on " + again + f"; the inspection in force on {when:%d %B %Y} is not in the files "
             "held").to_numpy(),
            np.full(len(out), "no inspection on or before the date", dtype=object),
            (latest + ": " + out["category"].astype("object").fillna("").astype(str)).to_numpy(),
            (latest + " " + out["latest"].fillna("").astype(str) + "; the inspection before it is not in the files "
             "held").to_numpy(),
            ("latest (" + _month(out["latest_date"]) + ") " + out["latest"].fillna("").astype(str) + "; previous ("
             + _month(out["previous_date"]) + ") " + out["previous"].fillna("").astype(str)).to_numpy(),
        ],
        default=(latest + ": " + out["latest"].fillna("").astype(str)).to_numpy(),
    )  # fmt: skip
    return texts


GRADE_WORDS = {1: "outstanding", 2: "good", 3: "requires improvement", 4: "inadequate"}


def summary(inspection: pd.Series) -> str:
    """What one inspection judged, in words (see :func:`summaries`)."""
    return str(summaries(inspection.to_frame().T).iloc[0])


def summaries(frame: pd.DataFrame) -> pd.Series:
    """What each inspection judged, in words: ``requires improvement`` (graded), ``no overall grade: quality of
    education requires improvement, leadership and management good``, or ``report card, leadership and governance
    needs attention; urgent improvement in 2 areas`` (vectorised over a frame of inspections)."""
    fw = frame["framework"].astype(str).to_numpy()
    grade = pd.to_numeric(frame["grade"], errors="coerce").map(GRADE_WORDS).fillna("no grade")
    parts = []
    for col, name in (("sj_education", "quality of education"), ("sj_leadership", "leadership and management")):
        word = pd.to_numeric(frame[col], errors="coerce").map(GRADE_WORDS)
        parts.append((name + " " + word).where(word.notna(), ""))
    joined = (parts[0] + np.where((parts[0] != "") & (parts[1] != ""), ", ", "") + parts[1]).astype(str)
    no_grade = np.where(joined != "", "no overall grade: " + joined, "no overall grade")
    areas = [c for c in frame.columns if c.startswith("rc_")]
    urgent = (frame[areas].astype(str) == "urgent improvement").sum(axis=1) if areas else pd.Series(0, frame.index)
    lead = frame["rc_leadership"].astype("object").fillna("").astype(str) if "rc_leadership" in frame else ""
    card = "report card, leadership and governance " + lead
    card = card + np.where(
        (urgent > 0) & (lead != "urgent improvement"),
        "; urgent improvement in " + urgent.astype(str) + np.where(urgent > 1, " areas", " area"),
        "",
    )
    if "safeguarding" in frame:
        card = card + np.where(frame["safeguarding"].astype(str) == "not met", "; safeguarding not met", "")
    out = np.where(fw == "graded", grade, np.where(fw == "no overall grade", no_grade, card))
    return pd.Series(out, index=frame.index, dtype="object")  # fmt: skip


def stuck_counts(as_of: str | None = None, la_code: int | None = None, frameworks_file: str = "") -> pd.DataFrame:
    """Schools per status, all phases and primary: England, or one LA (by each school's LA now)."""
    table = stuck(as_of, frameworks_file)
    if la_code is not None:
        table = table[table["la_code_now"] == areas.require_la(la_code).code]
    counts = pd.DataFrame(
        {
            "all schools": table["status"].value_counts().reindex(list(STATUSES), fill_value=0),
            "primary": table.loc[table["is_primary"], "status"].value_counts().reindex(list(STATUSES), fill_value=0),
        }
    )
    counts.index.name = "status"
    return counts.reset_index()


def published_stuck(frameworks_file: str = "") -> list[rules.PublishedCount]:
    """The DfE's published counts of stuck schools, as the mapping file records them."""
    return list(rules.frameworks(frameworks_file or None).published_stuck_counts)


# ------------------------------------------------------------------------------------------------------------
# Coasting
# ------------------------------------------------------------------------------------------------------------


def coasting_year(year: int, coasting_file: str | None = None) -> pd.DataFrame:
    """Each school's position against the data rule's criteria in one year: ``meets`` (True/False/NA where a
    figure that could change the verdict is missing), the margins, and eligibility."""
    rule = rules.coasting(coasting_file).data_rule
    results = tables.load("school_results")
    rows = results[(results["year"] == year)].dropna(subset=["urn"]).drop_duplicates("urn")
    if rows.empty:
        raise NoDataError(f"no school results for {year}")
    schools = tables.load("schools").drop_duplicates("urn").set_index("urn")
    out = pd.DataFrame({"urn": rows["urn"].astype("int64").to_numpy(), "year": year})
    out["la_code_now"] = rows["la_code_now"].to_numpy()
    out["school_name"] = rows["school_name"].to_numpy()
    out["cohort"] = rows["cohort"].to_numpy()
    att = rule.attainment
    out[att.measure] = rows[att.measure].to_numpy()
    out["attainment_margin"] = out[att.measure] - att.below
    fails = []
    for cond in rule.progress.conditions:
        score = rows[cond.measure].to_numpy()
        out[cond.measure] = score
        out[f"{cond.measure}_margin"] = score - cond.below
        below = pd.Series(score < cond.below, index=out.index)
        if rule.progress.significant:
            limit, _ = progress.upper_limit(rows.reset_index(drop=True), cond.measure, year)
            out[f"{cond.measure}_upper"] = limit.to_numpy()
            below &= pd.Series(limit.to_numpy() < 0, index=out.index)
        fails.append(below)
    progress_fails = pd.concat(fails, axis=1)
    any_fail = progress_fails.any(axis=1) if rule.progress.combine == "any" else progress_fails.all(axis=1)
    scores = out[[c.measure for c in rule.progress.conditions]]
    missing = scores.isna().any(axis=1) & ~any_fail
    attain_fail = out[att.measure] < att.below
    meets = (attain_fail & any_fail).astype("boolean")
    meets[(out[att.measure].isna()) | (attain_fail & missing)] = pd.NA
    out["meets"] = meets
    mainstream = out["urn"].map(schools["is_mainstream_state"]).fillna(False).astype(bool)
    elig = rule.eligibility
    eligible = mainstream if elig.mainstream_state else pd.Series(True, index=out.index)
    if elig.min_cohort:
        eligible &= out["cohort"].ge(elig.min_cohort)
    if elig.exclude_closed:
        closed = pd.to_datetime(out["urn"].map(schools["close_date"]))
        eligible &= ~(closed.notna() & (closed < pd.Timestamp(year=year, month=9, day=1)))
    out["eligible"] = eligible
    return out


@cached_on("school_results", "schools", maxsize=8, persist=True)
def coasting_data(year: int, coasting_file: str = "") -> pd.DataFrame:
    """Coasting by the 2017 data rule in ``year``: meeting the criteria in each of the three (``years_in_a_row``)
    most recent years with national school data up to ``year``. One row per school of ``year``: ``status``
    (coasting, not coasting, not assessable, not eligible) and each year's margins."""
    from ..data import coverage

    rule = rules.coasting(coasting_file or None).data_rule
    years = [y for y in coverage.progress_years() if y <= year and y in coverage.attainment_years()]
    years = years[-rule.years_in_a_row :]
    if len(years) < rule.years_in_a_row or years[-1] != year:
        raise NoDataError(
            f"the rule needs school results and progress scores in {rule.years_in_a_row} successive years up to "
            f"{year}, and the years with both are {coverage.describe(coverage.progress_years())}"
        )
    per_year = {y: coasting_year(y, coasting_file or None).set_index("urn") for y in years}
    # An academy that converted within the three years takes its predecessor's results for the years before.
    pred = tables.load("schools").dropna(subset=["predecessor_urn"]).drop_duplicates("urn")
    pred = pred.set_index("urn")["predecessor_urn"].astype("int64")
    for y in years[:-1]:
        frame = per_year[y]
        missing = per_year[year].index.difference(frame.index)
        linked = pred.reindex(missing).dropna().astype("int64")
        linked = linked[linked.isin(frame.index)]
        borrowed = frame.loc[linked.to_numpy()].set_axis(linked.index)
        # The predecessor closed only to reopen as the academy: its closing does not make that year ineligible.
        min_cohort = rules.coasting(coasting_file or None).data_rule.eligibility.min_cohort or 0
        borrowed = borrowed.assign(eligible=borrowed["cohort"].ge(min_cohort))
        per_year[y] = pd.concat([frame, borrowed])
    now = per_year[year]
    out = now[["la_code_now", "school_name"]].copy()
    meets = pd.concat({y: f["meets"] for y, f in per_year.items()}, axis=1).reindex(out.index)
    eligible = pd.concat({y: f["eligible"] for y, f in per_year.items()}, axis=1).reindex(out.index)
    eligible = eligible.fillna(False).astype(bool)  # a school with no results in one of the years is not eligible
    all_meet = meets.eq(True).all(axis=1)
    any_miss = meets.eq(False).any(axis=1)
    status = np.select(
        [~eligible.all(axis=1), all_meet, any_miss],
        ["not eligible", "coasting", "not coasting"],
        default="not assessable",
    )
    out["status"] = status
    for y, f in per_year.items():
        out[f"rwm_{y}"] = f["rwm_exp"].reindex(out.index)
        out[f"meets_{y}"] = f["meets"].reindex(out.index)
    out["years"] = ", ".join(map(str, years))
    return out.reset_index()


def coasting_counts(year: int, la_code: int | None = None, coasting_file: str = "") -> dict[str, object]:
    """National (or LA) counts by the data rule, with the DfE's published national count beside it."""
    table = coasting_data(year, coasting_file)
    if la_code is not None:
        table = table[table["la_code_now"] == areas.require_la(la_code).code]
    rule = rules.coasting(coasting_file or None).data_rule
    counts = table["status"].value_counts()
    return {
        "year": year,
        "coasting": int(counts.get("coasting", 0)),
        "assessed": int(counts.get("coasting", 0) + counts.get("not coasting", 0)),
        "not_assessable": int(counts.get("not assessable", 0)),
        "published": rule.published_counts.get(year) if la_code is None else None,
        "source": rule.source,
    }


@cached_on("ofsted", "schools", maxsize=16, persist=True)
def coasting_ofsted(as_of: str | None = None, frameworks_file: str = "", coasting_file: str = "") -> pd.DataFrame:
    """Coasting by the Ofsted-based rule (2022 regulations as amended in 2025) on ``as_of``: the latest inspection
    meets the rule's "latest" condition for its framework and the one before its "previous" condition. Every
    school in England, the same for every LA: remembered (and kept in the national store), each LA's pack takes
    its own rows."""
    rule = rules.coasting(coasting_file or None).ofsted_rule
    frame = judged(frameworks_file)
    when = default_as_of() if as_of is None else pd.Timestamp(as_of)
    frame = frame[frame["inspection_date"] <= when].sort_values(["urn", "inspection_date"])
    frame["latest_ok"] = False
    frame["previous_ok"] = False
    for fw in FRAMEWORK_KEYS.values():
        rows = frame["fw"] == fw
        frame.loc[rows, "latest_ok"] = rules.holds(rule.latest[fw], frame[rows]).to_numpy()
        frame.loc[rows, "previous_ok"] = rules.holds(rule.previous[fw], frame[rows]).to_numpy()
    last = frame.groupby("urn").tail(1).set_index("urn")
    prev = frame.groupby("urn").nth(-2).set_index("urn")
    out = last[["school_name", "la_code_now", "is_primary", "inspection_date", "framework"]].copy()
    out["previous_ok"] = prev["previous_ok"].reindex(out.index)
    out["coasting"] = last["latest_ok"] & out["previous_ok"].fillna(False).astype(bool) & ~last["in_category"]
    out["possibly"] = last["latest_ok"] & out["previous_ok"].isna() & ~last["in_category"]
    return out.reset_index()


# ------------------------------------------------------------------------------------------------------------
# Report cards and categories for one LA
# ------------------------------------------------------------------------------------------------------------

AREA_NAMES = {
    "rc_inclusion": "Inclusion",
    "rc_curriculum": "Curriculum and teaching",
    "rc_achievement": "Achievement",
    "rc_behaviour": "Attendance and behaviour",
    "rc_personal": "Personal development and wellbeing",
    "rc_early_years": "Early years",
    "rc_post16": "Post-16 provision",
    "rc_leadership": "Leadership and governance",
}
SCALE = ("exceptional", "strong standard", "expected standard", "needs attention", "urgent improvement")


@cached_on("ofsted", "schools", maxsize=8, persist=True)
def latest_cards(frameworks_file: str = "") -> pd.DataFrame:
    """Each school's latest inspection where it is a report card: England's, the same for every LA (remembered,
    and kept in the national store)."""
    frame = judged(frameworks_file).sort_values(["urn", "inspection_date"]).groupby("urn").tail(1)
    return frame[frame["framework"] == "report card"]


def card_distribution(la_code: int, primary_only: bool = True, frameworks_file: str = "") -> pd.DataFrame:
    """Per report-card area and grade: the LA's schools and England's, and each as a share of the schools graded
    in that area (report cards since November 2025, each school's latest inspection)."""
    code = areas.require_la(la_code).code
    cards = latest_cards(frameworks_file)
    if primary_only:
        cards = cards[cards["is_primary"]]
    rows = []
    for col, name in AREA_NAMES.items():
        for scope, part in (("la", cards[cards["la_code_now"] == code]), ("england", cards)):
            graded = part[col].dropna()
            counts = graded.value_counts()  # one count of every grade (not one comparison per grade)
            for grade in SCALE:
                n = int(counts.get(grade, 0))
                rows.append({"area": name, "grade": grade, "scope": scope, "schools": n,
                             "share": n / len(graded) * 100 if len(graded) else np.nan})  # fmt: skip
    frame = pd.DataFrame(rows)
    wide = frame.pivot_table(index=["area", "grade"], columns="scope", values=["schools", "share"], sort=False)
    wide.columns = [f"{scope}_{what}" for what, scope in wide.columns]
    return wide.reset_index()


def cards_needing_attention(la_code: int, frameworks_file: str = "") -> pd.DataFrame:
    """The LA's schools whose latest report card has an area needing attention or urgent improvement, or
    safeguarding not met: one row per school, the areas named."""
    code = areas.require_la(la_code).code
    cards = latest_cards(frameworks_file)
    cards = cards[cards["la_code_now"] == code]
    rows = []
    for _, card in cards.iterrows():
        urgent = [AREA_NAMES[c] for c in AREA_NAMES if card[c] == "urgent improvement"]
        attention = [AREA_NAMES[c] for c in AREA_NAMES if card[c] == "needs attention"]
        if urgent or attention or card["safeguarding"] == "not met":
            rows.append(
                {
                    "urn": int(card["urn"]),
                    "school_name": card["school_name"],
                    "inspection_date": card["inspection_date"],
                    "urgent_improvement": ", ".join(urgent),
                    "needs_attention": ", ".join(attention),
                    "safeguarding": card["safeguarding"],
                    "category": card["category"],
                }
            )
    cols = [
        "urn",
        "school_name",
        "inspection_date",
        "urgent_improvement",
        "needs_attention",
        "safeguarding",
        "category",
    ]
    return pd.DataFrame(rows, columns=cols).sort_values(["category", "school_name"], na_position="last")


def in_category(la_code: int, as_of: str | None = None, frameworks_file: str = "") -> pd.DataFrame:
    """The LA's schools whose latest inspection (on or before ``as_of``) placed them in a category of concern."""
    table = stuck(as_of, frameworks_file)
    table = table[(table["la_code_now"] == areas.require_la(la_code).code) & (table["status"] == IN_CATEGORY)]
    return table[["urn", "school_name", "is_primary", "latest_date", "latest_framework", "category"]]


def as_of_label(as_of: str | None = None) -> str:
    """The accountability figures' date for people: ``6 May 2026``."""
    when = default_as_of() if as_of is None else pd.Timestamp(as_of)
    return f"{when.day} {when:%B %Y}"


LATEST_GROUPS = (
    "Outstanding",
    "Good",
    "Requires improvement",
    "Inadequate",
    "No overall grade (September 2024 to November 2025)",
    "Report card (from November 2025)",
)


@cached_on("ofsted", "schools", maxsize=8, persist=True)
def latest_groups(primary_only: bool = True, frameworks_file: str = "") -> pd.DataFrame:
    """Each open school's latest inspection (``la_code_now``, ``in_category``) and what it gave, as one of
    :data:`LATEST_GROUPS` (``judgement``): every school in England, the same for every LA, so remembered (and kept
    in the national store) rather than sorted again for each LA's pack."""
    frame = judged(frameworks_file)
    open_now = frame.loc[~frame["source"].isin(_history_files()), "urn"].unique()  # open: in the latest file
    frame = frame[frame["urn"].isin(open_now)].sort_values(["urn", "inspection_date"]).groupby("urn").tail(1)
    if primary_only:
        frame = frame[frame["is_primary"]]
    words = {1: "Outstanding", 2: "Good", 3: "Requires improvement", 4: "Inadequate"}
    group = frame["grade"].map(words).where(frame["framework"] == "graded")
    group = group.fillna(
        frame["framework"].map({"no overall grade": LATEST_GROUPS[4], "report card": LATEST_GROUPS[5]})
    )
    return pd.DataFrame({"la_code_now": frame["la_code_now"], "judgement": group, "in_category": frame["in_category"]})


def latest_judgements(la_code: int, primary_only: bool = True, frameworks_file: str = "") -> pd.DataFrame:
    """Each school's latest inspection by what it gave, the LA's against England's: an overall grade (to August
    2024), no overall grade (2024-25), or a report card; and how many are in a category of concern."""
    code = areas.require_la(la_code).code
    frame = latest_groups(primary_only, frameworks_file)
    group = frame["judgement"]
    rows = []
    for scope, part in (("la", frame["la_code_now"] == code), ("england", pd.Series(True, index=frame.index))):
        counts = group[part].value_counts().reindex(list(LATEST_GROUPS), fill_value=0)
        total = int(part.sum())
        for name, n in counts.items():
            rows.append(
                {"judgement": name, "scope": scope, "schools": int(n), "share": n / total * 100 if total else np.nan}
            )
        n_cat = int(frame.loc[part, "in_category"].sum())
        rows.append({"judgement": "In a category of concern (any framework)", "scope": scope, "schools": n_cat,
                     "share": n_cat / total * 100 if total else np.nan})  # fmt: skip
    out = pd.DataFrame(rows).pivot_table(index="judgement", columns="scope", values=["schools", "share"], sort=False)
    out.columns = [f"{scope}_{what}" for what, scope in out.columns]
    return out.reset_index()
