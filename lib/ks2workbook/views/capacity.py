"""Capacity views: the council's tables formatted for people, the charts, the sliders and one-line readings.

The numbers come from :mod:`ks2workbook.analyses.capacity`; this module only formats, draws and words them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..analyses.capacity import (
    CapacityResult,
    apply_sliders,
    break_even,
    compare,
    compare_years,
    cost_by_strand,
    cost_table,
    evaluate,
    financial_years_table,
    published_check,
)
from ..core.errors import ConfigError
from ..core.formats import fmt_gbp_k, fmt_int
from ..rules.scenario import ALL, TO_MEET_DEMAND
from ..rules.strands import STRANDS
from .style import OKABE_ITO, ROLE_COLOURS, new_axes

#: Colours of the strands in charts (Okabe-Ito, in strand order: from most to least support).
STRAND_COLOURS: dict[str, str] = {
    "below_floor": OKABE_ITO["vermillion"],
    "maximising_progress": OKABE_ITO["orange"],
    "inconsistent": OKABE_ITO["yellow"],
    "good_to_great": OKABE_ITO["sky_blue"],
    "great": OKABE_ITO["bluish_green"],
}


SUPPLY_COLOURS: dict[str, str] = {"employed": OKABE_ITO["blue"], "external": OKABE_ITO["reddish_purple"]}


def format_table(df: pd.DataFrame, money: Iterable[str] = (), days: Iterable[str] = ()) -> pd.DataFrame:
    """People's numbers: money columns as ``£542k`` (one decimal under £10k), day columns as ``1,234``."""
    out = df.copy()
    for c in money:
        if c in out:
            out[c] = [("" if pd.isna(v) else fmt_gbp_k(v, 1 if 0 < abs(v) < 10_000 else 0)) for v in out[c]]
    for c in days:
        if c in out:
            out[c] = ["" if pd.isna(v) else fmt_int(v) for v in out[c]]
    return out.fillna("")


def display_cost_table(result: CapacityResult, vs: CapacityResult | None = None) -> pd.DataFrame:
    return format_table(cost_table(result, vs), money=["cost"], days=["days"])


def display_published_check(result: CapacityResult) -> pd.DataFrame:
    check = published_check(result)

    def f(v: float, money: bool) -> str:
        return fmt_gbp_k(v, 1) if money else fmt_int(v)

    return pd.DataFrame(
        {
            "figure": check["figure"],
            "published": [f(v, m) for v, m in zip(check["published"], check["_money"], strict=True)],
            "computed": [f(v, m) for v, m in zip(check["computed"], check["_money"], strict=True)],
            "difference": [f(v, m) for v, m in zip(check["difference"], check["_money"], strict=True)],
            "agrees": ["yes" if a else "NO" for a in check["agrees"]],
            "comment": check["comment"],
        }
    )


def display_financial_years(result: CapacityResult) -> pd.DataFrame:
    money = ["cost in year", "funding", "gap in year", "gap at full-year rates"]
    out = format_table(financial_years_table(result), money=money)
    out["months under this scenario"] = [f"{m:g}" for m in result.years["months"].round(2)]
    return out


def display_cost_by_strand(result: CapacityResult) -> pd.DataFrame:
    df = cost_by_strand(result)
    out = format_table(df, money=["cost", "cost per school"], days=["schools", "SIP days", "pupils"])
    out["days per school"] = ["" if pd.isna(v) else f"{v:.1f}" for v in df["days per school"]]
    out["cost per pupil"] = ["–" if pd.isna(v) else f"£{v:,.0f}" for v in df["cost per pupil"]]
    return out


def break_even_summary(result: CapacityResult) -> str:
    """The break-even in a sentence or two per employed line, for people."""
    out = []
    for r in break_even(result).itertuples():
        costs = f"{r.line}: a day delivered costs £{r.cost_per_day_salary:,.0f} on salary"
        if r.cost_per_day_with_supplement != r.cost_per_day_salary:
            costs += f", £{r.cost_per_day_with_supplement:,.0f} with the market supplement"
        if r.cost_per_day_with_management != r.cost_per_day_with_supplement:
            costs += f", £{r.cost_per_day_with_management:,.0f} with the management posts shared in"
        text = (
            f"{costs}; external SIPs cost £{r.external_day_rate:,.0f} a day. Employing is cheaper per day "
            f"delivered only while the external day rate is above £{r.break_even_day_rate:,.0f}"
        )
        if r.break_even_day_rate_with_management != r.break_even_day_rate:
            text += f" (£{r.break_even_day_rate_with_management:,.0f} counting management)"
        text += ". "
        if r.max_supplement >= 0:
            text += (
                f"At £{r.external_day_rate:,.0f} a day, a market supplement of up to "
                f"£{r.max_supplement:,.0f} per FTE keeps employing cheaper."
            )
        else:
            text += (
                f"At £{r.external_day_rate:,.0f} a day no market supplement keeps employing cheaper: the "
                f"salary alone is £{-r.max_supplement:,.0f} per FTE above the cost of the same days "
                "bought in."
            )
        out.append(text)
    return "\n".join(out)


METRIC_LABELS = {
    "recurring_gap": "full-year gap in the last year of the horizon",
    "horizon_gap": "gap summed over the horizon (in-year)",
    "cost": "full-year cost",
}


def _kfmt(ax, axis: str = "y") -> None:
    from matplotlib.ticker import FuncFormatter

    f = FuncFormatter(lambda v, _: fmt_gbp_k(v))
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(f)


def plot_days(results: Sequence[CapacityResult], ax=None):
    """Per scenario, two stacked bars: SIP days needed (by strand) and supplied (employed, external)."""
    if ax is None:
        _, ax = new_axes("SIP days a year: needed by the allocation vs supplied", "", "SIP days a year")
    from matplotlib.transforms import blended_transform_factory

    trans = blended_transform_factory(ax.transData, ax.transAxes)
    labels_done: set[str] = set()
    ticks, ticklabels = [], []
    for i, r in enumerate(results):
        x_need, x_sup = i * 3, i * 3 + 1
        bottom = 0.0
        by_strand = r.demand.groupby("strand", sort=False)["days"].sum()
        for strand in STRANDS:
            v = float(by_strand.get(strand, 0.0))
            if v:
                lab = STRANDS[strand] if strand not in labels_done else None
                labels_done.add(strand)
                ax.bar(x_need, v, bottom=bottom, color=STRAND_COLOURS[strand], label=lab, width=0.9)
                bottom += v
        ax.text(x_need, bottom, fmt_int(bottom), ha="center", va="bottom", fontsize=9)
        bottom = 0.0
        for kind in ("employed", "external"):
            v = float(r.lines.loc[r.lines["kind"] == kind, "days"].sum())
            if v:
                key = f"supply:{kind}"
                lab = (
                    ("LA-employed SIPs" if kind == "employed" else "External SIPs") if key not in labels_done else None
                )
                labels_done.add(key)
                ax.bar(x_sup, v, bottom=bottom, color=SUPPLY_COLOURS[kind], label=lab, width=0.9, hatch="//")
                bottom += v
        ax.text(x_sup, bottom, fmt_int(bottom), ha="center", va="bottom", fontsize=9)
        ticks += [x_need, x_sup]
        ticklabels += ["needed", "supplied"]
        ax.text((x_need + x_sup) / 2, -0.11, r.label, transform=trans, ha="center", va="top", fontsize=9)
    ax.set_xticks(ticks)
    ax.set_xticklabels(ticklabels, fontsize=9)
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=9)
    return ax


def plot_financial_years(result: CapacityResult, ax=None):
    """Per financial year: cost in year beside funding (stacked by line), with the in-year gap labelled."""
    if ax is None:
        _, ax = new_axes(
            f"Cost, funding and gap per financial year\n{result.name}",
            "Financial year (April-March)",
            "£ a year",
        )
    y = result.years
    x = np.arange(len(y))
    ax.bar(x - 0.2, y["cost"], width=0.38, color=ROLE_COLOURS["context"], label="Cost in year")
    bottom = np.zeros(len(y))
    colours = [OKABE_ITO["blue"], OKABE_ITO["bluish_green"], OKABE_ITO["orange"], OKABE_ITO["sky_blue"]]
    detail = result.funding_detail
    for j, line in enumerate(dict.fromkeys(detail["line"])):
        amounts = detail[detail["line"] == line].set_index("fy")["amount"].reindex(y["fy"]).fillna(0.0).to_numpy()
        ax.bar(x + 0.2, amounts, bottom=bottom, width=0.38, color=colours[j % len(colours)], label=line)
        bottom += amounts
    top = np.maximum(y["cost"].to_numpy(), bottom)
    for xi, gap, t in zip(x, y["gap"], top, strict=True):
        word = "gap" if gap > 0 else "surplus"
        ax.text(
            xi,
            t * 1.02,
            f"{word} {fmt_gbp_k(abs(gap))}",
            ha="center",
            va="bottom",
            fontsize=10,
            color=ROLE_COLOURS["bad"] if gap > 0 else ROLE_COLOURS["good"],
            fontweight="bold",
        )
    ax.set_xticks(x)
    ax.set_xticklabels(y["fy"])
    ax.set_ylim(0, float(top.max()) * 1.18 if len(top) else 1)
    _kfmt(ax)
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=9)
    return ax


def plot_break_even(result: CapacityResult, ax=None, rates: tuple[float, float] | None = None):
    """Cost per SIP day delivered against the external day rate: where the lines cross is the break-even."""
    be = break_even(result)
    if ax is None:
        _, ax = new_axes(
            "Break-even: employed vs external cost per SIP day delivered",
            "External day rate (£)",
            "Cost per SIP day delivered (£)",
        )
    if be.empty:
        ax.text(0.5, 0.5, "No employed SIPs in this scenario", ha="center", transform=ax.transAxes)
        return ax
    r = be.iloc[0]
    hi = max(r["cost_per_day_with_management"], r["external_day_rate"]) * 1.3
    lo, hi = rates if rates else (0.0, hi)
    xs = np.array([lo, hi])
    ax.plot(xs, xs, color=SUPPLY_COLOURS["external"], lw=2, label="External SIPs (the day rate itself)")
    styles = [
        ("cost_per_day_salary", "Employed: salary", ":"),
        ("cost_per_day_with_supplement", "Employed: with market supplement", "-"),
        ("cost_per_day_with_management", "Employed: with supplement and management", "--"),
    ]
    for col, lab, ls in styles:
        ax.axhline(r[col], color=SUPPLY_COLOURS["employed"], ls=ls, lw=2, label=f"{lab}: £{r[col]:,.0f}")
    ax.axvline(r["external_day_rate"], color=ROLE_COLOURS["context"], lw=1)
    ax.text(
        r["external_day_rate"],
        lo + (hi - lo) * 0.97,
        f" current rate £{r['external_day_rate']:,.0f}",
        fontsize=9,
        color="#555555",
        va="top",
    )
    ax.plot(
        [r["break_even_day_rate"]],
        [r["break_even_day_rate"]],
        "o",
        color=ROLE_COLOURS["highlight"],
        label=f"Break-even day rate £{r['break_even_day_rate']:,.0f}",
    )
    ax.set_xlim(lo, hi)
    ax.set_ylim(lo, hi)
    ax.legend(loc="lower right", fontsize=9)
    return ax


def plot_tornado(sens: pd.DataFrame, ax=None, top: int = 10):
    """Tornado chart: how far each input, moved down and up, moves the metric (largest swing on top)."""
    d = sens.head(top).iloc[::-1]
    metric = METRIC_LABELS.get(sens.attrs.get("metric", ""), "metric")
    change = sens.attrs.get("change", 0.1)
    if ax is None:
        _, ax = new_axes(
            f"Sensitivity: inputs moved {change:.0%} down and up",
            f"Change in the {metric}",
            "",
            figsize=(9, 0.45 * max(len(d), 3) + 1.5),
        )
    y = np.arange(len(d))
    ax.barh(y, d["change_low"], color=OKABE_ITO["sky_blue"], label=f"input {change:.0%} lower")
    ax.barh(y, d["change_high"], color=OKABE_ITO["orange"], label=f"input {change:.0%} higher")
    ax.set_yticks(y)
    ax.set_yticklabels(d["input"], fontsize=9)
    ax.axvline(0, color="black", lw=0.8)
    _kfmt(ax, "x")
    ax.legend(loc="lower right", fontsize=9)
    return ax


def interactive_panel(result: CapacityResult, vs: CapacityResult | None = None):
    """ipywidgets sliders for the external day rate, employed FTE (FTE mix), market supplement, core days
    and extra days per strand; the cost table, days balance and per-year gap recompute as they move.

    Returns the widget (display it). Needs a live kernel: static HTML shows nothing of it.
    """
    import ipywidgets as w
    import matplotlib.pyplot as plt
    from IPython.display import display

    s = result.scenario
    baseline = result.baseline
    controls: dict[str, Any] = {}
    style = {"description_width": "16em"}
    layout = w.Layout(width="42em")
    if s.supply.external:
        x0 = s.supply.external[0]
        controls["day_rate"] = w.IntSlider(
            value=int(x0.day_rate),
            min=200,
            max=1000,
            step=5,
            description="External day rate (£)",
            style=style,
            layout=layout,
        )
        controls["fill"] = w.Checkbox(
            value=x0.days == TO_MEET_DEMAND, description="buy external days to meet the demand"
        )
    if s.supply.employed:
        e0 = s.supply.employed[0]
        controls["fte"] = w.FloatSlider(
            value=e0.fte,
            min=0,
            max=max(10.0, e0.fte * 2),
            step=0.1,
            description="Employed SIPs (FTE)",
            style=style,
            layout=layout,
        )
        supp = e0.market_supplement
        controls["supplement"] = w.IntSlider(
            value=int(supp),
            min=0,
            max=20_000,
            step=500,
            description="Market supplement per post (£)",
            style=style,
            layout=layout,
        )
    controls["core"] = w.FloatSlider(
        value=s.allocation.core_days,
        min=0,
        max=15,
        step=0.5,
        description="Core days per school",
        style=style,
        layout=layout,
    )
    for strand, by_risk in s.allocation.extra_days.items():
        key = ALL if ALL in by_risk else ("high" if "high" in by_risk else next(iter(by_risk)))
        suffix = "" if key == ALL else f" ({key} risk)"
        controls[f"extra:{strand}:{key}"] = w.FloatSlider(
            value=by_risk[key],
            min=0,
            max=40,
            step=0.5,
            description=f"Extra days: {strand}{suffix}",
            style=style,
            layout=layout,
        )
    out = w.Output()

    def update(**values: Any) -> None:
        try:
            r = evaluate(apply_sliders(s, values), baseline=baseline)
        except ConfigError as exc:
            with out:
                out.clear_output(wait=True)
                print(exc)
            return
        with out:
            out.clear_output(wait=True)
            display(display_cost_table(r, vs))
            print(
                f"SIP days needed {fmt_int(r.days_needed)}, supplied {fmt_int(r.days_supplied)}: "
                f"{'slack' if r.balance >= 0 else 'shortfall'} of {fmt_int(abs(r.balance))} days"
            )
            display(display_financial_years(r))
            plot_financial_years(r)
            plt.show()

    ui = w.interactive_output(update, controls)
    return w.VBox([*controls.values(), out, ui])


def say_cost(result: CapacityResult) -> str:
    per_day = result.cost_total / result.days_supplied if result.days_supplied else np.nan
    text = (
        f"{result.name}: {fmt_gbp_k(result.cost_total)} a year for {fmt_int(result.days_supplied)} SIP days "
        f"supplied, £{per_day:,.0f} per day delivered with every overhead counted."
    )
    if result.baseline is not None:
        text += (
            f" That is {fmt_gbp_k(result.cost_total - result.baseline.cost_total)} more than {result.baseline.name}."
        )
    return text


def say_check(result: CapacityResult) -> str:
    check = published_check(result)
    if check.empty:
        return f"{result.name}: no published figures to check."
    bad = check[~check["agrees"]]
    if bad.empty:
        return f"{result.name}: all {len(check)} published figures are reproduced (days exactly, money to £1k)."
    return (
        f"{result.name}: {len(check) - len(bad)} of {len(check)} published figures are reproduced; "
        + "; ".join(f"{r.figure}: {r.comment or 'differs'}" for r in bad.itertuples())
        + "."
    )


def say_days(results: Sequence[CapacityResult]) -> str:
    parts = []
    for r in results:
        word = "slack" if r.balance >= 0 else "a shortfall"
        parts.append(
            f"{r.name} needs {fmt_int(r.days_needed)} SIP days and supplies {fmt_int(r.days_supplied)} "
            f"({word} of {fmt_int(abs(r.balance))})"
        )
    return "; ".join(parts) + ". Slack is time for schools outside the allocation (secondary, special) and other work."


def say_years(result: CapacityResult) -> str:
    y = result.years
    first = y.iloc[0]
    text = (
        f"In {first['fy']} ({first['months']:g} months under this scenario) the in-year gap is "
        f"{fmt_gbp_k(first['gap'])}"
    )
    if first["months"] < 12 - 1e-9:
        text += f" against {fmt_gbp_k(first['gap_full_year'])} at full-year rates"
    last = y.iloc[-1]
    text += f"; by {last['fy']} it is {fmt_gbp_k(last['gap'])} a year."
    return text.replace("gap is -", "surplus is ").replace("it is -", "it is a surplus of ")


def say_compare(a: CapacityResult, b: CapacityResult) -> str:
    comp = compare(a, b).iloc[:-1].sort_values("change", key=abs, ascending=False)
    top = comp.iloc[0]
    years = compare_years(a, b)
    return (
        f"Moving from {b.name} to {a.name} adds {fmt_gbp_k(a.cost_total - b.cost_total)} a year "
        f"({fmt_gbp_k(years['additional cost in year'].iloc[0])} in {years['financial year'].iloc[0]}, a part "
        f"year); the largest change is {top['line']} ({fmt_gbp_k(top['change'])})."
    )


def say_sensitivity(sens: pd.DataFrame) -> str:
    if sens.empty:
        return "No input moves the gap."
    top = sens.head(3)
    items = ", ".join(f"{r.input} ({fmt_gbp_k(r.swing)} swing)" for r in top.itertuples())
    return f"The inputs that move the {METRIC_LABELS[sens.attrs['metric']]} most: {items}."


def say_strands(result: CapacityResult) -> str:
    t = cost_by_strand(result)
    t = t[t["schools"].notna() & (t["schools"] > 0)]
    if t.empty:
        return "No schools entered."
    hi, lo = t.loc[t["cost per school"].idxmax()], t.loc[t["cost per school"].idxmin()]
    text = (
        f"A school in '{hi['strand']}' costs {fmt_gbp_k(hi['cost per school'])} a year in SIP time, one in "
        f"'{lo['strand']}' {fmt_gbp_k(lo['cost per school'])}."
    )
    if t["cost per pupil"].isna().all():
        text += " Add pupils per strand to the scenario file for the cost per pupil."
    return text
