"""The cabinet summary: two printed pages for councillors, every figure the same as in the detailed reports (the
same facts, the same words). Each block says where the detail is.
"""

from __future__ import annotations

import pandas as pd

from ..analyses.pack import PackFacts
from ..core.formats import count, fmt_int, fmt_pct
from ..rules import pack as pack_rules
from . import accountability as acc_view
from . import capacity as capacity_view
from . import page
from . import risk as risk_view
from . import strands as strands_view
from . import trends as trends_view

WHAT = (
    "In two pages: how the council's pupils did in the tests at the end of primary school and how that compares "
    "with England and similar councils; which schools may fall below the bar next year; how the schools divide into "
    "five support groups; the schools Ofsted or the DfE are concerned about; and what the improvement plan costs."
)
GLOSSARY = ("Key Stage 2 (KS2)", "Expected standard", "Statistical neighbours", "The bar", "At risk", "Strand",
            "Category of concern", "Stuck school", "Improvement adviser", "Financial year")  # fmt: skip


@page.section("Results", part="headline", say_missing=True)
def section_headline(facts: PackFacts) -> list:
    h = facts.headline
    if not h.ok:
        return [page.missing_part("Results", h.reason)]
    rank = "–" if h["sn_rank"] is None else f"{h['sn_rank']} of {h['sn_of']}"
    out = [
        page.cards(
            [
                (
                    "headline_pct",
                    fmt_pct(h["value"]),
                    "of pupils met the expected standard in reading, writing and maths",
                ),
                ("england_pct", fmt_pct(h["england"]), "England"),
                ("sn_average_pct", fmt_pct(h["sn_average"], 1), "similar councils (average)"),
                ("sn_rank", rank, "rank among itself and its neighbours (1 = best)"),
            ]
        ),
        page.takeaway(*trends_view.headline_sentence(facts)),
    ]
    if h["national_rank"] is not None:
        out.append(
            page.say(
                f"{facts.area.name} ranks {h['national_rank']} of {h['national_of']} councils in England "
                f"(quartile band {h['band'] or '–'}, where A is the best quarter)."
            )
        )
    t = facts.trends
    if t.ok:
        fig = trends_view.plot_comparison(
            t["comparison"],
            f"{facts.area.name}: % at the expected standard in reading, writing and maths",
            "% of pupils",
        )
        fig.set_size_inches(9, 3.2)
        out.append(fig)
    out.append(page.created_note(facts))
    return out


@page.section("Schools below, or at risk of falling below, the bar")
def section_risk(facts: PackFacts) -> list:
    out = []
    if facts.floor.ok:
        head = facts.floor["head"]
        out.append(
            page.para(
                page.esc("Floor: "),
                page.fact("floor_below", fmt_int(head["below_floor"])),
                page.esc(f" of {count(head['assessed'], 'school')} were below the floor in {facts.year}; "),
                page.fact("floor_persistent", fmt_int(head["persistent_below"])),
                page.esc(f" have been below in each of the last {head['persistence_years']} years with a rule."),
            )
        )
    else:
        out.append(
            page.say(
                f"Floor: no floor standard applies to {facts.year}: the national floor ended after 2018 "
                "and the council has set no local floor for this pack."
            )
        )
    r = facts.risk
    if not r.ok:
        return [*out, page.missing_part("Early warning", r.reason)]
    out += risk_view.cards(facts)
    out.append(page.say(risk_view.assumption(facts)))
    n = pack_rules.defaults().watch_list_length
    watch = r["above_at_risk"].head(n)
    shown = pd.DataFrame(
        {
            "School": watch["school_name"],
            f"{facts.year} result": watch["rwm_exp"].map(fmt_pct),
            "Chance of being below the bar next year": (watch["p_below_next"] * 100).map(fmt_pct),
        }
    )
    total = len(r["above_at_risk"])
    caption = (
        f"The {count(len(watch), 'school')} above the bar now most likely to fall below it"
        if total <= n
        else f"The {len(watch)} most likely of the {total} schools above the bar now and at risk"
    )
    out.append(
        page.table(
            shown,
            caption,
            empty="No school above the bar now is at risk of falling below it.",
            numeric=list(shown.columns[1:]),
        )
    )
    out.append(
        page.takeaway(
            page.esc(
                "these are the first calls for the improvement advisers; the early-warning "
                "report lists every school with what raises and what lowers its chance."
            )
        )
    )
    return out


@page.section(
    "The five support strands",
    part="strands",
    intro="Every school is in one of five strands, which set how much support it gets.",
    say_missing=True,
)
def section_strands(facts: PackFacts) -> list:
    st = facts.strands
    if not st.ok:
        return [page.missing_part("Strands", st.reason)]
    shown = strands_view.table_counts(facts)
    return [
        page.table(
            shown,
            f"{facts.area.name}'s schools by strand, {facts.year}",
            empty="No schools.",
            numeric=list(shown.columns[1:]),
            facts={f"{facts.area.name}: schools": "strand"},
        )
    ]


@page.section("Ofsted and the DfE", part="accountability", say_missing=True)
def section_accountability(facts: PackFacts) -> list:
    a = facts.accountability
    if not a.ok:
        return [page.missing_part("Ofsted", a.reason)]
    c = acc_view.counts(facts)
    return [
        page.para(
            page.esc(f"As at {acc_view.acc.as_of_label(a['as_of'])}: "),
            page.fact("acc_category", fmt_int(c["category"])),
            page.esc(" primary schools are in an Ofsted category of concern; "),
            page.fact("acc_stuck", fmt_int(c["stuck"])),
            page.esc(" are stuck (below good at their last two inspections) and "),
            page.fact("acc_possibly", fmt_int(c["possibly"])),
            page.esc(
                " possibly stuck (the inspection before the latest is not held). Since report cards began in "
                "November 2025, "
            ),
            page.fact("acc_cards", fmt_int(len(a["cards_attention"]))),
            page.esc(
                " of the council's schools have had an area judged below the expected standard (needs attention "
                "or urgent improvement) or safeguarding not met."
            ),
        )
    ]


@page.section(
    "What the improvement plan costs",
    part="plan",
    intro="Councils budget by financial year (April to March).",
    say_missing=True,
)
def section_plan(facts: PackFacts) -> list:
    pl = facts.plan
    if not pl.ok:
        return [page.missing_part("The plan", pl.reason)]
    p = pl["plan"]
    out = [page.takeaway(*capacity_view.plan_sentence(facts))]
    out.append(
        page.table(
            capacity_view.table_years(p.result, p.budget_given),
            "The plan by financial year",
            empty="No years.",
            numeric=["Months of the plan", "Cost in year"],
        )
    )
    s = pl["support"]
    out.append(
        page.say(
            f"School-to-school support: {count(len(s.pairs), 'pair')} of a strong school with one needing "
            f"support suggested; {count(len(s.unpaired), 'school')} needing support left without a pair."
        )
    )
    d, defaults = facts.definition, pack_rules.defaults()
    if d.allocation_file == defaults.allocation_file or d.prices_file == defaults.prices_file:
        out.append(
            page.note(
                "The days per school and the prices are the workbook's published examples (named in "
                "the capacity report) until the council gives its own."
            )
        )
    return out


def section_end(facts: PackFacts) -> list:
    return [page.glossary(GLOSSARY), page.about_the_data(facts)]
