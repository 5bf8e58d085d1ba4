"""The pack's Excel workbook for analysts: the same facts as the reports, as numbers, one table a sheet, with a
cover and notes in the government's accessible-spreadsheet style (gptables).

Why from the facts, not from the notebooks: the figures must be the reports' figures, and the facts are already
held by the kernel that rendered the reports, so writing the workbook costs nothing more. Every text cell that
a spreadsheet could read as a formula (``=``, ``+``, ``-``, ``@`` first) is written as text, never evaluated:
school names and council files are not trusted.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from ..analyses import pack
from ..analyses.pack import PackFacts
from ..rules.strands import STRANDS
from ..views import page
from ..views import support as support_view
from .export import neutralise


def clean(frame: pd.DataFrame) -> pd.DataFrame:
    """Cells ready for a spreadsheet: formulas neutralised, links disarmed, missing values empty (never 0, never
    "nan").

    Every column is handed to gptables as plain Python objects (``object`` dtype), not as pandas' Arrow-backed
    strings: gptables checks, copies and re-indexes each table cell by cell, which costs several times as much on
    Arrow columns, and the cells it writes are the same."""
    columns = [_cells(frame.iloc[:, i]) for i in range(frame.shape[1])]
    out = pd.DataFrame(dict(enumerate(columns)), index=pd.RangeIndex(len(frame)), dtype=object)
    out.columns = [neutralise(plain(str(c))) for c in frame.columns]
    return out


def _cells(values: pd.Series) -> list | np.ndarray:
    """One column's cells: text neutralised and disarmed, booleans as "yes" or "no", numbers as floats rounded to
    4 places; a missing value is ``None`` (an empty cell)."""
    if values.dtype == object or pd.api.types.is_string_dtype(values):
        return [
            None if v is None or (isinstance(v, float) and np.isnan(v)) else neutralise(plain(str(v))) for v in values
        ]
    if pd.api.types.is_bool_dtype(values):
        return [{True: "yes", False: "no"}.get(v) for v in values]
    number = values.astype("float64").round(4).to_numpy()
    return np.where(np.isnan(number), None, number.astype(object))


def plain(text: str) -> str:
    """Text for gptables' titles and cover, with its markup disarmed: ``[text](url)`` would become a link (a
    ``javascript:`` one from a council's file) and ``$$name$$`` a note reference."""
    return str(text).replace("](", "] (").replace("$$", "$ $")


def sheets(facts: PackFacts) -> dict[str, tuple[str, pd.DataFrame]]:
    """Sheet name -> (title, table) for every part the pack holds."""
    name, year = facts.area.name, facts.year
    out: dict[str, tuple[str, pd.DataFrame]] = {}
    if facts.headline.ok:
        h = facts.headline
        out["Headline"] = (
            f"{name}: pupils at the expected standard in reading, writing and maths, {year}",
            pd.DataFrame(
                {
                    "Measure": [
                        "Council (%)",
                        "England (%)",
                        "Statistical neighbours' average (%)",
                        "Rank among itself and its neighbours",
                        "Rank in England",
                    ],
                    "Value": [h["value"], h["england"], h["sn_average"], h["sn_rank"], h["national_rank"]],
                }
            ),
        )
    if facts.floor.ok:
        f = facts.floor["schools"]
        out["Floor"] = (
            f"{name}: every school against the floor of {year}",
            pd.DataFrame(
                {
                    "URN": f["urn"],
                    "School": f["school_name"],
                    "Status": f["status"].astype(str),
                    "RWM at the expected standard (%)": f["rwm_exp"],
                    "Margin on the attainment test (points)": f["attainment_margin"],
                    "Near miss": f["near_miss"].astype(bool),
                }
            ),
        )
    if facts.risk.ok:
        r = facts.risk["table"]
        out["Risk"] = (
            f"{name}: each school's chance of being below {facts.definition.threshold:g}% next year",
            pd.DataFrame(
                {
                    "URN": r["urn"],
                    "School": r["school_name"],
                    "RWM this year (%)": r["rwm_exp"],
                    "RWM last year (%)": r["rwm_prev"],
                    "Pupils": r["cohort"],
                    "Pupils: where from": r["cohort_basis"],
                    "Chance below next year (%)": r["p_below_next"] * 100,
                    "Risk level": r["risk_level"],
                }
            ),
        )
    if facts.strands.ok:
        a = facts.strands["assigned"]
        out["Strands"] = (
            f"{name}: each school's strand, {year}",
            pd.DataFrame(
                {
                    "URN": a["urn"],
                    "School": a["school_name"],
                    "Strand": a["label"],
                    "Why": a["why"],
                    "RWM (%)": a["rwm_exp"],
                }
            ),
        )
    if facts.accountability.ok:
        s = facts.accountability["stuck"]
        out["Stuck"] = (
            f"{name}: stuck and possibly stuck schools",
            pd.DataFrame(
                {
                    "URN": s["urn"],
                    "School": s["school_name"],
                    "Status": s["status"].astype(str),
                    "Latest inspection": s["latest"],
                    "The one before": s["previous"],
                }
            ),
        )
        c = facts.accountability["in_category"]
        out["Categories"] = (
            f"{name}: schools in an Ofsted category of concern",
            pd.DataFrame(
                {
                    "URN": c["urn"],
                    "School": c["school_name"],
                    "Category": c["category"],
                    "Inspected": c["latest_date"].dt.strftime("%Y-%m-%d"),
                }
            ),
        )
    if facts.plan.ok:
        p = facts.plan["plan"]
        lines = p.result.lines
        out["Plan cost"] = (
            f"{name}: the plan's cost lines, a full year",
            pd.DataFrame(
                {
                    "Line": lines["line"],
                    "Days": lines["days"],
                    "Unit cost (£)": lines["unit_cost"],
                    "Cost (£)": lines["cost"],
                }
            ),
        )
        y = p.result.years
        out["Plan years"] = (
            f"{name}: the plan by financial year",
            pd.DataFrame(
                {
                    "Financial year": y["fy"],
                    "Months of the plan": y["months"],
                    "Cost in year (£)": y["cost"],
                    "Funding in year (£)": y["funding"] if p.budget_given else np.nan,
                    "Gap in year (£)": y["gap"] if p.budget_given else np.nan,
                }
            ),
        )
        t = p.clusters
        out["Clusters"] = (
            f"{name}: schools and days by cluster",
            t.rename(
                columns={
                    "cluster": "Cluster",
                    "schools": "Schools",
                    "flag_below_floor": "Below the floor",
                    "flag_at_risk": "At risk",
                    "flag_stuck": "Stuck",
                    "days_needed": "Days needed",
                    "days_allocated": "Days allocated",
                    "balance": "Spare or short",
                    **STRANDS,
                }
            ),
        )
        # The report's own support tables, with the URNs and distance an analyst joins on and sorts by.
        sp = facts.plan["support"]
        if len(sp.pairs):
            t = support_view.table_pairs(sp)
            t.insert(t.columns.get_loc("School needing support") + 1, "URN", sp.pairs["partner_urn"].to_numpy())
            t.insert(t.columns.get_loc("Supporting school") + 1, "Supporter URN", sp.pairs["supporter_urn"].to_numpy())
            t.insert(t.columns.get_loc("Why this pair"), "Distance (km)", sp.pairs["km"].to_numpy())
            out["Support pairs"] = (f"{name}: suggested school-to-school support", t)
        if len(sp.unpaired):
            t = support_view.table_unpaired(sp)
            t.insert(t.columns.get_loc("School needing support") + 1, "URN", sp.unpaired["urn"].to_numpy())
            out["Support unpaired"] = (
                f"{name}: schools needing support with no supporting school suggested, and why",
                t,
            )
    return out


def write(facts: PackFacts, out: Path) -> Path:
    """Write the workbook (cover, contents, one sheet a table)."""
    import gptables as gpt

    tables = {}
    for i, (sheet, (title, frame)) in enumerate(sheets(facts).items(), start=1):
        data = clean(frame)
        if data.empty:
            data = pd.DataFrame({"Note": ["none"]})
        tables[sheet] = gpt.GPTable(
            table=data,
            table_name=f"table_{i}",
            title=plain(title),
            scope=plain(facts.area.name),
            source="Source: the KS2 workbook, from DfE, Ofsted and school census data",
            index_columns={},
            instructions="This worksheet contains one table.",
        )
    cover = gpt.Cover(
        title=f"KS2 school-improvement tables: {facts.area.name}, {facts.year}",
        intro=[plain(page.definitions(facts)), "The same figures as the report pack made with this workbook."],
        about=["Contains public sector information licensed under the Open Government Licence v3.0."],
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # gptables' own deprecation notices under pandas 3
        gpt.write_workbook(
            filename=str(out),
            sheets=tables,
            cover=cover,
            contentsheet_label="Contents",
            notes_table=None,
            # Assembled in memory, not through a temporary file per sheet: the same file, written sooner.
            workbook_options={"strings_to_formulas": False, "strings_to_urls": False, "in_memory": True},
        )
    return out


def write_pack_workbook(parameters: dict, out: str | Path) -> Path:
    """The workbook of the pack with these parameters (the facts are the ones the reports used)."""
    params = {k: v for k, v in parameters.items() if k != "interactive"}
    return write(pack.facts(pack.define(**params)), Path(out))
