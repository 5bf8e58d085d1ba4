"""The capacity report for people: the council's own plan (days its schools need, who supplies them, the cost
and gap per financial year, per cluster), school-to-school support, worked examples named for the pack, and the
sliders for JupyterLab. Numbers from :mod:`ks2workbook.analyses.capacity` and :mod:`ks2workbook.analyses.plan`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from ..analyses.capacity import (
    CapacityResult,
    apply_sliders,
    break_even,
    cost_table,
    evaluate,
    published_check,
)
from ..analyses.pack import PackFacts
from ..core.errors import ConfigError
from ..core.formats import count, fmt_gbp_k, fmt_int
from ..rules.scenario import ALL, TO_MEET_DEMAND
from ..rules.strands import STRANDS
from . import page
from . import support as support_view
from .style import OKABE_ITO, ROLE_COLOURS, new_axes

WHAT = (
    "What the council's school-improvement plan needs and costs: the improvement adviser days its schools need "
    "(by strand and risk, from its own results), who supplies them (employed or bought in), the cost and any gap "
    "per financial year, how the work divides between clusters, and which strong schools could support weaker "
    "ones."
)
GLOSSARY = (
    "Improvement adviser",
    "Strand",
    "At risk",
    "Financial year",
    "FTE",
    "On-costs",
    "School-to-school support",
    "Cluster",
    "Stuck school",
    "Free school meals (FSM)",
)

STRAND_COLOURS: dict[str, str] = {
    "below_floor": OKABE_ITO["vermillion"],
    "maximising_progress": OKABE_ITO["orange"],
    "inconsistent": OKABE_ITO["yellow"],
    "good_to_great": OKABE_ITO["sky_blue"],
    "great": OKABE_ITO["bluish_green"],
}
SUPPLY_COLOURS: dict[str, str] = {"employed": OKABE_ITO["blue"], "external": OKABE_ITO["reddish_purple"]}
LEVEL_WORDS = {"high": "high risk", "medium": "medium risk", "low": "low risk", ALL: "every school"}


def days_word(result: CapacityResult) -> str:
    """What the days are called: "improvement adviser days" (today) or "SIP days" (the 2010 examples)."""
    return f"{result.scenario.term} days"


def days_title(result: CapacityResult) -> str:
    """The days' name at the start of a line: only the first letter raised, so "SIP days" keeps its capitals."""
    word = days_word(result)
    return word[:1].upper() + word[1:]


def money(value: float) -> str:
    """£542k; one decimal under £10k (a small council's plan is a few thousand pounds)."""
    return fmt_gbp_k(value, 1 if 0 < abs(value) < 10_000 else 0)


def _money_col(values: Iterable[float]) -> list[str]:
    return ["" if pd.isna(v) else money(v) for v in values]


def _days_col(values: Iterable[float]) -> list[str]:
    return ["" if pd.isna(v) else fmt_int(v) for v in values]


# ------------------------------------------------------------------------------------------------------------
# The council's plan
# ------------------------------------------------------------------------------------------------------------


def plan_sentence(facts: PackFacts) -> list[str]:
    """The plan in one sentence (the cabinet summary's words too)."""
    p = facts.plan["plan"]
    r = p.result
    first = r.years.iloc[0]
    parts = [
        page.esc(
            f"The plan for the school year from September {facts.year}, built on the {facts.year} results, needs "
        ),
        page.fact("plan_days", fmt_int(r.days_needed)),
        page.esc(f" {days_word(r)} a year for {count(len(p.levels), 'school')} and costs "),
        page.fact("plan_cost", money(r.cost_total)),
        page.esc(
            f" a full year (£{r.cost_per_day:,.0f} a day, every overhead counted); starting in September, "
            f"{first['fy']} carries {first['months']:g} months of it: "
        ),
        page.fact("plan_first_year", money(first["cost"])),
        page.esc("."),
    ]
    if p.budget_given:
        gap = float(r.years["gap_full_year"].iloc[-1])
        word = "a gap" if gap > 0 else "a surplus"
        parts += [
            page.esc(f" Against the budget given, the full-year position is {word} of "),
            page.fact("plan_gap", money(abs(gap))),
            page.esc("."),
        ]
    return parts


@page.section("The plan", part="plan", say_missing=True)
def section_plan(facts: PackFacts) -> list:
    pl = facts.plan
    if not pl.ok:
        return [page.missing_part("The plan", pl.reason)]
    p = pl["plan"]
    r = p.result
    emp = r.lines[r.lines["kind"] == "employed"]
    ext = r.lines[r.lines["kind"] == "external"]
    out = [
        page.cards(
            [
                ("plan_days", fmt_int(r.days_needed), f"{days_word(r)} a year the schools need"),
                ("", f"{float(emp['quantity'].sum()):g}", "employed advisers (FTE)"),
                ("", fmt_int(float(ext["days"].sum())), "days bought in"),
                ("plan_cost", money(r.cost_total), "a full year's cost"),
            ]
        ),
        page.takeaway(*plan_sentence(facts)),
        page.say(
            f"Days per school: {p.files.allocation.name}. Prices: {p.files.prices.name}. A council gives its "
            "own allocation and prices; the report then uses them."
        ),
    ]
    if not p.budget_given:
        out.append(
            page.note(
                "No budget has been given for the plan, so this report shows its cost but no gap. A "
                "council adds its budget to its price file to see the gap per financial year."
            )
        )
    if pl["risk_reason"]:
        out.append(
            page.note(
                f"No risk levels this year ({pl['risk_reason']}); every school is planned at "
                f"{p.files.allocation.no_estimate_as} risk."
            )
        )
    return out


def table_demand(result: CapacityResult) -> pd.DataFrame:
    d = result.demand
    return pd.DataFrame(
        {
            "Strand": d["strand_label"],
            "Risk": d["risk"].map(LEVEL_WORDS),
            "Schools": d["schools"].map(fmt_int),
            "Days per school": d["days_per_school"].map(lambda v: f"{v:g}"),
            "Days a year": d["days"].map(fmt_int),
        }
    )


def plot_days(result: CapacityResult, title: str):
    """Days a year needed (by strand) beside days supplied (employed, bought in), from zero."""
    fig, ax = new_axes(title, "", f"{days_title(result)} a year", figsize=(8, 4.6))
    bottom = 0.0
    by_strand = result.demand.groupby("strand", sort=False)["days"].sum()
    for strand, label in STRANDS.items():
        v = float(by_strand.get(strand, 0.0))
        if v:
            ax.bar(0, v, bottom=bottom, color=STRAND_COLOURS[strand], label=label, width=0.7)
            bottom += v
    ax.text(0, bottom, fmt_int(bottom), ha="center", va="bottom")
    bottom = 0.0
    names = {"employed": "employed advisers", "external": "bought-in days"}
    for kind in ("employed", "external"):
        v = float(result.lines.loc[result.lines["kind"] == kind, "days"].sum())
        if v:
            ax.bar(1, v, bottom=bottom, color=SUPPLY_COLOURS[kind], label=names[kind], width=0.7, hatch="//")
            bottom += v
    ax.text(1, bottom, fmt_int(bottom), ha="center", va="bottom")
    ax.set_xticks([0, 1])
    ax.set_xticklabels(["needed", "supplied"])
    ax.set_ylim(0, max(result.days_needed, result.days_supplied, 1) * 1.15)
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=9)
    return fig


@page.section("Days needed", part="plan", intro="Each school gets core days, and more by its strand and risk level.")
def section_demand(facts: PackFacts) -> list:
    pl = facts.plan
    if not pl.ok:
        return []
    r = pl["plan"].result
    shown = table_demand(r)
    top = r.demand.groupby("strand_label")["days"].sum().sort_values(ascending=False)
    return [
        page.table(
            shown,
            "Days needed by strand and risk level",
            empty="No schools.",
            numeric=["Schools", "Days per school", "Days a year"],
        ),
        plot_days(r, f"{facts.area.name}: {days_word(r)} a year, needed and supplied"),
        page.takeaway(
            page.esc(
                f"the largest call on adviser time is “{top.index[0]}” ({fmt_int(top.iloc[0])} days "
                f"of {fmt_int(r.days_needed)})."
                if len(top)
                else "no days are needed."
            )
        ),
    ]


def table_cost(result: CapacityResult, vs: CapacityResult | None = None) -> pd.DataFrame:
    t = cost_table(result, vs)
    return pd.DataFrame(
        {
            "Line": t["line"],
            "Days": _days_col(t["days"]),
            "Unit": t["unit"],
            "Cost": _money_col(t["cost"]),
            "Note": t["note"],
        }
    )


def table_years(result: CapacityResult, budget_given: bool = True) -> pd.DataFrame:
    y = result.years
    out = pd.DataFrame(
        {
            "Financial year": y["fy"],
            "Months of the plan": [f"{m:g}" for m in y["months"].round(2)],
            "Cost in year": _money_col(y["cost"]),
        }
    )
    if budget_given:
        out["Funding in year"] = _money_col(y["funding"])
        out["Gap in year"] = _money_col(y["gap"])
        out["Gap at full-year rates"] = _money_col(y["gap_full_year"])
    return out


def plot_years(result: CapacityResult, title: str, budget_given: bool = True):
    """Per financial year: the cost beside the funding (stacked by line), the gap labelled; from zero."""
    fig, ax = new_axes(title, "Financial year (April to March)", "£ in the year", figsize=(9, 4.6))
    y = result.years
    x = np.arange(len(y))
    ax.bar(x - 0.2, y["cost"], width=0.38, color=ROLE_COLOURS["context"], label="cost in the year")
    bottom = np.zeros(len(y))
    if budget_given:
        colours = [OKABE_ITO["blue"], OKABE_ITO["bluish_green"], OKABE_ITO["orange"], OKABE_ITO["sky_blue"]]
        detail = result.funding_detail
        for j, line in enumerate(dict.fromkeys(detail["line"])):
            amounts = detail[detail["line"] == line].set_index("fy")["amount"].reindex(y["fy"]).fillna(0).to_numpy()
            ax.bar(x + 0.2, amounts, bottom=bottom, width=0.38, color=colours[j % len(colours)], label=line)
            bottom += amounts
    top = np.maximum(y["cost"].to_numpy(), bottom)
    for xi, cost, gap, t in zip(x, y["cost"], y["gap"], top, strict=True):
        text = money(cost) if not budget_given else (f"gap {money(gap)}" if gap > 0 else f"surplus {money(-gap)}")
        ax.text(xi, t * 1.02, text, ha="center", va="bottom", fontsize=10, fontweight="bold")
    ax.set_xticks(x)
    ax.set_xticklabels(y["fy"])
    ax.set_ylim(0, float(top.max()) * 1.2 if len(top) and top.max() > 0 else 1)
    from matplotlib.ticker import FuncFormatter

    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: money(v)))
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=9)
    return fig


@page.section("Cost per financial year", part="plan")
def section_cost(facts: PackFacts) -> list:
    pl = facts.plan
    if not pl.ok:
        return []
    p = pl["plan"]
    r = p.result
    years = table_years(r, p.budget_given)  # made once: the table and its numeric columns
    return [
        page.table(table_cost(r), "The plan's cost: a full year", empty="No cost lines.", numeric=["Days", "Cost"]),
        page.table(years, "By financial year", empty="No years.", numeric=list(years.columns[1:])),
        plot_years(r, f"{facts.area.name}: the plan by financial year", p.budget_given),
        page.takeaway(page.esc(break_even_words(r))),
    ]


def break_even_words(result: CapacityResult) -> str:
    """Whether employing advisers is cheaper than buying days, in a sentence."""
    be = break_even(result)
    if be.empty:
        return "The plan employs no advisers: every day is bought in."
    r = be.iloc[0]
    # One basis throughout the sentence: the cost with the management posts shared in, the one quoted.
    cheaper = bool(r["employed_cheaper_with_management"])
    return (
        f"An employed adviser's day costs £{r['cost_per_day_with_management']:,.0f} with the management posts "
        f"shared in, against £{r['external_day_rate']:,.0f} for a day bought in: employing is "
        f"{'cheaper' if cheaper else 'dearer'} per day while the day rate stays "
        f"{'above' if cheaper else 'below'} £{r['break_even_day_rate_with_management']:,.0f}."
    )


@page.section("Clusters", part="plan")
def section_clusters(facts: PackFacts) -> list:
    pl = facts.plan
    if not pl.ok:
        return []
    p = pl["plan"]
    t = p.clusters
    shown = pd.DataFrame({"Cluster": t["cluster"], "Schools": t["schools"].map(fmt_int)})
    for number, strand in enumerate(STRANDS, start=1):
        shown[f"Strand {number}"] = t[strand].map(fmt_int)
    shown["Below the floor"] = t["flag_below_floor"].map(fmt_int)
    shown["At risk"] = t["flag_at_risk"].map(fmt_int)
    shown["Stuck"] = t["flag_stuck"].map(fmt_int)
    shown["Days needed"] = t["days_needed"].map(fmt_int)
    allocated = t["days_allocated"].notna().any()
    if allocated:
        shown["Days allocated"] = t["days_allocated"].map(fmt_int)
        shown["Spare (+) or short (-)"] = t["balance"].map(lambda v: "–" if pd.isna(v) else f"{v:+,.0f}")
    out = []
    files = p.files
    if files.clusters is None:
        out.append(
            page.say(
                "No cluster file was given, so the whole council is one cluster. A council maps its "
                "schools to clusters or area footprints in a cluster file."
            )
        )
    else:
        out.append(page.say(f"Clusters: {files.clusters.name}."))
        if files.clusters.illustration:
            out.append(page.note(f"An illustration, not the council's own map: {files.clusters.note}"))
    out.append(
        page.say(
            "Strands: 1 below the floor or in an Ofsted category; 2 needing to maximise progress; 3 "
            "inconsistent results; 4 good, capable of becoming great; 5 great, able to support others."
        )
    )
    out.append(
        page.table(
            shown,
            "Schools and days by cluster (the last row is the whole council)",
            empty="None.",
            numeric=list(shown.columns[1:]),
            highlight=t["cluster"] == "All schools",
        )
    )
    if allocated:
        short = t[(t["balance"] < 0) & (t["cluster"] != "All schools")]
        text = (
            "every cluster has the days it needs"
            if short.empty
            else "short of days: "
            + ", ".join(f"{c} ({-b:,.0f} days)" for c, b in zip(short["cluster"], short["balance"], strict=True))
        )
        out.append(page.takeaway(page.esc(text + ".")))
    return out


@page.section(
    "School-to-school support",
    part="plan",
    intro="Strong schools paired with schools that need support, within reach of each other.",
)
def section_support(facts: PackFacts) -> list:
    pl = facts.plan
    if not pl.ok:
        return [page.missing_part("School-to-school support", pl.reason)]
    s = pl["support"]
    out = [page.say(support_view.say_support(s))]
    pairs, unpaired = support_view.table_pairs(s), support_view.table_unpaired(s)
    if pl["plan"].files.clusters is None:  # the whole council is one cluster: a column saying so on every row is noise
        pairs, unpaired = pairs.drop(columns="Cluster"), unpaired.drop(columns="Cluster")
    out.append(
        page.table(
            pairs,
            "Suggested pairs (closest first within each cluster)",
            empty="No pairs can be suggested.",
            # a long list is there for the analyst; the councillor reads the sentence above and the map below
            collapsible=f"All {len(pairs)} suggested pairs" if len(pairs) > page.LONG_LIST else "",
        )
    )
    if len(s.pairs):
        out.append(support_view.plot_pairs(s, pl["plan"].members, facts.area.name))
    if len(s.unpaired):
        out.append(
            page.table(
                unpaired,
                "Schools needing support without a pair",
                empty="None.",
                collapsible=f"Schools left without a pair ({len(s.unpaired)})",
            )
        )
    out.append(
        page.say(
            "The pairs are suggestions for the council's own judgement: the choice is the set of pairs "
            "with the least total distance and difference in intake, the neediest schools first."
        )
    )
    return out


# ------------------------------------------------------------------------------------------------------------
# Worked examples (only when named for the pack)
# ------------------------------------------------------------------------------------------------------------


def table_check(result: CapacityResult) -> pd.DataFrame:
    check = published_check(result)

    def f(v: float, is_money: bool) -> str:
        return fmt_gbp_k(v, 1) if is_money else fmt_int(v)

    return pd.DataFrame(
        {
            "Figure": check["figure"],
            "Published": [f(v, m) for v, m in zip(check["published"], check["_money"], strict=True)],
            "Worked out here": [f(v, m) for v, m in zip(check["computed"], check["_money"], strict=True)],
            "Agrees": ["yes" if a else "no" for a in check["agrees"]],
            "Comment": check["comment"],
        }
    )


@page.section("Worked examples")
def section_examples(facts: PackFacts) -> list:
    pl = facts.plan
    examples = pl.get("examples", []) if pl.ok else []
    if not examples:
        return [
            page.say(
                "No worked example was named for this pack. The workbook ships worked scenarios from 2010 "
                "that show a council's published capacity plan reproduced to the pound; a council names one, or "
                "its own, to see it here."
            )
        ]
    out = []
    for r in examples:
        out += [page.heading(r.name, 3), page.say(r.scenario.description)]
        out.append(page.table(table_cost(r), f"{r.name}: cost table", empty="No lines.", numeric=["Days", "Cost"]))
        check = table_check(r)
        out.append(
            page.table(
                check,
                f"{r.name}: the published figures against those worked out here",
                empty="This scenario carries no published figures.",
                numeric=["Published", "Worked out here"],
            )
        )
        out.append(
            page.table(
                table_years(r),
                f"{r.name}: by financial year",
                empty="No years.",
                numeric=list(table_years(r).columns[1:]),
            )
        )
    return out


# ------------------------------------------------------------------------------------------------------------
# Sliders (JupyterLab)
# ------------------------------------------------------------------------------------------------------------


def interactive_panel(result: CapacityResult):
    """ipywidgets sliders for the day rate, employed FTE, core and extra days; the cost, days and per-year chart
    redraw on every change (each figure displayed and closed explicitly, so the chart is never blank)."""
    import ipywidgets as w

    s = result.scenario
    look = {"description_width": "16em"}
    wide = w.Layout(width="42em")
    controls: dict[str, Any] = {}
    if s.supply.external:
        controls["day_rate"] = w.IntSlider(
            value=int(s.supply.external[0].day_rate),
            min=200,
            max=1200,
            step=10,
            description="Day rate bought in (£)",
            style=look,
            layout=wide,
        )
        controls["fill"] = w.Checkbox(
            # Ticked only when the scenario itself buys what the schools need: the panel opens at its figures.
            value=any(e.days == TO_MEET_DEMAND for e in s.supply.external),
            description="buy the days the schools need beyond the employed",
        )
    if s.supply.employed:
        e0 = s.supply.employed[0]
        controls["fte"] = w.FloatSlider(
            value=e0.fte,
            min=0,
            max=max(10.0, e0.fte * 2),
            step=0.1,
            description="Employed advisers (FTE)",
            style=look,
            layout=wide,
        )
    controls["core"] = w.FloatSlider(
        value=s.allocation.core_days,
        min=0,
        max=15,
        step=0.5,
        description="Core days per school",
        style=look,
        layout=wide,
    )
    for strand, by_risk in s.allocation.extra_days.items():
        key = ALL if ALL in by_risk else ("high" if "high" in by_risk else next(iter(by_risk)))
        suffix = "" if key == ALL else f" ({LEVEL_WORDS[key]})"
        controls[f"extra:{strand}:{key}"] = w.FloatSlider(
            value=by_risk[key],
            min=0,
            max=40,
            step=0.5,
            description=f"Extra days: {STRANDS[strand]}{suffix}",
            style=look,
            layout=wide,
        )
    out = w.Output()

    def update(**values: Any) -> None:
        with out:
            out.clear_output(wait=True)
            try:
                r = evaluate(apply_sliders(s, values), baseline=result.baseline)
            except ConfigError as exc:
                page.show(page.say(str(exc)))
                return
            page.show(
                page.table(table_cost(r), "Cost", empty="No lines.", numeric=["Days", "Cost"]),
                plot_years(r, "By financial year", budget_given=bool(s.funding.lines or s.funding.existing_budget)),
            )

    for c in controls.values():
        c.observe(lambda _change: update(**{k: v.value for k, v in controls.items()}), names="value")
    update(**{k: v.value for k, v in controls.items()})
    return w.VBox([*controls.values(), out])


@page.section("Try other figures")
def section_sliders(facts: PackFacts, interactive: bool) -> list:
    if not interactive or not facts.plan.ok:
        return [
            page.say(
                "In JupyterLab, set interactive = True in the parameters for sliders that change the day "
                "rate, the employed advisers and the days per school, and redraw the cost."
            )
        ]
    return [interactive_panel(facts.plan["plan"].result)]
