"""Today's accountability for people: schools in an Ofsted category, stuck schools (the DfE's RISE definition),
report cards since November 2025, the latest judgements against England's, and coasting. Figures from
:mod:`ks2workbook.analyses.accountability` through the pack's facts.
"""

from __future__ import annotations

import pandas as pd

from ..analyses import accountability as acc
from ..analyses.pack import PackFacts
from ..core.formats import fmt_int, fmt_pct
from . import page

GLOSSARY = ("Ofsted", "Category of concern", "Report card", "Stuck school", "RISE", "Coasting")


def _date(value) -> str:
    return "–" if pd.isna(value) else f"{pd.Timestamp(value).day} {pd.Timestamp(value):%B %Y}"


def counts(facts: PackFacts) -> dict[str, int]:
    """The council's primary schools stuck (and possibly stuck) and in a category, as at the pack's date."""
    c = facts.accountability["counts"].set_index("status")["primary"]
    return {
        "stuck": int(c.get(acc.STUCK, 0)),
        "possibly": int(c.get(acc.POSSIBLY, 0)),
        "category": int(c.get(acc.IN_CATEGORY, 0)),
    }


@page.section("Ofsted and the DfE: categories and stuck schools", part="accountability", say_missing=True)
def section_summary(facts: PackFacts) -> list:
    a = facts.accountability
    if not a.ok:
        return [page.missing_part("Ofsted and the DfE's accountability", a.reason)]
    mine = counts(facts)
    eng = a["england_counts"].set_index("status")["primary"]
    when = acc.as_of_label(a["as_of"])
    return [
        page.cards(
            [
                ("acc_category", fmt_int(mine["category"]), "primary schools in an Ofsted category of concern"),
                ("acc_stuck", fmt_int(mine["stuck"]), "stuck primary schools (below good at the last two inspections)"),
                (
                    "acc_possibly",
                    fmt_int(mine["possibly"]),
                    "possibly stuck: the inspection before the latest is not held",
                ),
            ]
        ),
        page.takeaway(
            page.esc(
                f"as at {when}. In England {fmt_int(eng.get(acc.STUCK, 0))} primary schools are stuck and "
                f"{fmt_int(eng.get(acc.IN_CATEGORY, 0))} in a category of concern by the same reading. Schools whose "
                "inspection before the latest is not in the files held are counted as possibly stuck, not as stuck."
            )
        ),
    ]


def section_lists(facts: PackFacts) -> list:
    a = facts.accountability
    if not a.ok:
        return []
    cat = a["in_category"]
    prim = cat[cat["is_primary"]]
    shown_cat = pd.DataFrame(
        {
            "School": prim["school_name"],
            "Category": prim["category"].fillna("category of concern"),
            "Inspected": prim["latest_date"].map(_date),
            "Framework": prim["latest_framework"].map(FRAMEWORK_WORDS).fillna("–"),
        }
    )
    stuck = a["stuck"][a["stuck"]["is_primary"]]
    shown_stuck = pd.DataFrame(
        {
            "School": stuck["school_name"],
            "Status": stuck["status"].astype(str),
            "Latest inspection": stuck["latest"].fillna("–"),
            "The one before": stuck["previous"].fillna("not held"),
        }
    )
    out = [
        page.heading("Primary schools in an Ofsted category", 3),
        page.table(
            shown_cat,
            "Primary schools whose latest inspection placed them in a category of concern",
            empty="No primary school is in a category of concern.",
        ),
    ]
    others = len(cat) - len(prim)
    if others:
        out.append(
            page.say(
                f"{others} of the council's other schools (nursery, secondary, special or all-through) "
                "are in a category as well."
            )
        )
    out += [
        page.heading("Stuck primary schools", 3),
        page.table(
            shown_stuck,
            "Primary schools below good at their latest two inspections (the DfE's definition)",
            empty="No primary school is stuck or possibly stuck.",
        ),
    ]
    return out


FRAMEWORK_WORDS = {
    "graded": "graded (to August 2024)",
    "no overall grade": "no overall grade (2024-25)",
    "report card": "report card (from November 2025)",
}


@page.section("Report cards and the latest judgements", part="accountability")
def section_cards(facts: PackFacts) -> list:
    a = facts.accountability
    if not a.ok:
        return []
    latest = a["latest"]
    shown = pd.DataFrame(
        {
            "Latest inspection": latest["judgement"],
            f"{facts.area.name}: schools": latest["la_schools"].map(fmt_int),
            f"{facts.area.name}: share": latest["la_share"].map(fmt_pct),
            "England: share": latest["england_share"].map(fmt_pct),
        }
    )
    att = a["cards_attention"]
    shown_att = pd.DataFrame(
        {
            "School": att["school_name"],
            "Inspected": att["inspection_date"].map(_date),
            "Urgent improvement": att["urgent_improvement"].replace("", "–"),
            "Needs attention": att["needs_attention"].replace("", "–"),
            "Safeguarding": att["safeguarding"].fillna("–"),
        }
    )
    return [
        page.table(
            shown,
            "Primary schools by what their latest inspection gave",
            empty="No inspections held.",
            numeric=list(shown.columns[1:]),
        ),
        page.takeaway(
            page.esc(
                "Ofsted has given no single overall grade since September 2024; schools inspected "
                "since November 2025 have a report card instead."
            )
        ),
        page.table(
            shown_att,
            "Schools with a report card area below the expected standard",
            empty="No school's report card has an area needing attention or urgent improvement.",
            collapsible=f"Report cards with areas below the expected standard ({len(shown_att)})",
        ),
        page.para(
            page.fact("acc_cards", fmt_int(len(att))),
            page.esc(
                " of the council's schools have a report card with an area below the expected standard or "
                "safeguarding not met."
            ),
        ),
    ]


def section_coasting(facts: PackFacts) -> list:
    a = facts.accountability
    if not a.ok:
        return []
    out = []
    if "coasting_data" in a.data:
        c, e = a["coasting_data"], a["coasting_data_england"]
        out.append(
            page.say(
                f"Coasting by the 2017 rule (low results and progress three years running, to "
                f"{facts.year}): {fmt_int(c['coasting'])} of the council's schools, "
                f"{fmt_int(e['coasting'])} in England."
            )
        )
    else:
        out.append(page.say(f"Coasting by the 2017 rule: {a['coasting_data_reason']}."))
    co = a["coasting_ofsted"]
    prim = co[co["is_primary"]]
    n, maybe = int(prim["coasting"].sum()), int(prim["possibly"].sum())
    out.append(
        page.say(
            f"Coasting by the 2022 rule (below good at the last two inspections, as amended in "
            f"November 2025): {fmt_int(n)} primary schools, and {fmt_int(maybe)} more whose inspection "
            "before the latest is not held."
        )
    )
    return out
