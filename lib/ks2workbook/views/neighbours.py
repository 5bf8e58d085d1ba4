"""The statistical-neighbours report: the council among the councils most like it, by the DfE's LAIT rules;
ranks and quartile bands for the headline set; progress against England with its uncertainty; context beside
attainment. The figures come from :mod:`ks2workbook.analyses.neighbours` via the pack's facts.
"""

from __future__ import annotations

import pandas as pd

from ..analyses.pack import PackFacts
from ..core.formats import count, fmt_pct, fmt_points, fmt_signed, missing
from ..core.world import FIRST_EXPECTED_STANDARD_YEAR, NO_TEST_YEARS
from ..rules import indicators as indicator_sets
from . import page, style

WHAT = (
    "The council's results beside its ten statistical neighbours (the councils the DfE judges most like it), its "
    "region and England, by the rules of the DfE's own tool (LAIT): the neighbours' average is the plain average "
    "of those with a figure; rank 1 is best; quartile band A is the best quarter of councils in England. It adds "
    "the old and new neighbour lists side by side, and marks the years where the council's progress is clearly "
    "above or below England."
)
GLOSSARY = (
    "Statistical neighbours",
    "Rank",
    "Quartile band",
    "Expected standard",
    "Progress score",
    "Free school meals (FSM)",
    "English as an additional language (EAL)",
    "LAIT",
)


def name_of(code: str) -> str:
    """An indicator's short name for people (``rules/indicators.yaml``), never its code."""
    info = indicator_sets.info(code)
    return info.name if info is not None else "this measure"


def format_value(indicator: str, value: float | None, extra_decimals: int = 0) -> str:
    """Progress scores signed to 1 dp (``-0.9``), scaled scores as points (``104``), everything else as a
    percentage (``57%``); a dash for missing."""
    if value is None or missing(value) or pd.isna(value):
        return "–"
    unit = indicator_sets.unit_of(indicator)
    if unit == "progress":
        return fmt_signed(value, 1 + extra_decimals)
    if unit == "scaled score":
        return f"{value:.{extra_decimals}f}"
    return fmt_pct(float(value), extra_decimals)


def indicator_unit(indicator: str) -> str:
    unit = indicator_sets.unit_of(indicator)
    return {"progress": "Progress score (England = 0)", "scaled score": "Average scaled score (100 = expected)"}.get(
        unit, "% of pupils"
    )


@page.section(
    "The neighbour groups",
    part="neighbours",
    intro="The DfE's lists of the ten councils most like this one, old and new side by side.",
    say_missing=True,
)
def section_groups(facts: PackFacts) -> list:
    n = facts.neighbours
    if not n.ok:
        return [page.missing_part("Statistical neighbours", n.reason)]
    groups = n["groups"].rename(columns={"rank": "Closest first"})
    groups["Closest first"] = groups["Closest first"].astype(str)
    sets = n["sets"]
    out = [page.table(groups, f"{facts.area.name}'s statistical neighbours in each list held", empty="No list.")]
    labels = list(sets)
    if len(labels) >= 2 and labels[0] != "Custom list" and labels[1] != "Custom list":
        kept = len(set(sets[labels[0]]) & set(sets[labels[1]]))
        out.append(
            page.takeaway(
                page.esc(
                    f"{kept} of the {len(sets[labels[0]])} neighbours in the {labels[0]} list were also in the "
                    f"{labels[1]} "
                    "list, so averages from the two lists can differ."
                )
            )
        )
    else:
        out.append(page.takeaway(page.esc(f"{facts.area.name} has a group in one DfE list only ({labels[0]}).")))
    return out


def plot_group(group: pd.DataFrame, indicator: str, title: str, england: float | None = None):
    """The council among its neighbours for one year, best at the top, the council highlighted; bars from zero
    for percentages (so a bar twice as long is twice the share)."""
    data = group.dropna(subset=["value"]).iloc[::-1]
    fig, ax = style.new_axes(title, indicator_unit(indicator), "", figsize=(9, 0.38 * len(data) + 1.8))
    colours = [style.ROLE_COLOURS["highlight"] if la else style.ROLE_COLOURS["neighbours"] for la in data.is_la]
    ax.barh(data.la_name, data.value, color=colours)
    sn_avg = group.loc[~group.is_la, "value"].mean()
    ax.axvline(sn_avg, color=style.ROLE_COLOURS["neighbours"], linestyle="--", label="Neighbours' average")
    lines = [sn_avg]
    if england is not None and not pd.isna(england):
        ax.axvline(england, color=style.ROLE_COLOURS["england"], linestyle=":", label="England")
        lines.append(england)
    high = float(data.value.max()) if len(data) else 1.0
    # Each bar's figure in one column past the longest bar and both lines, so that no line runs through a figure.
    column = max([high, *(v for v in lines if not pd.isna(v))])
    for y, (value, rank) in enumerate(zip(data.value, data["rank"], strict=True)):
        rank_text = "" if pd.isna(rank) else f"  (rank {int(rank)})"
        ax.text(column, y, "  " + format_value(indicator, value) + rank_text, va="center", fontsize=9)
    if indicator_sets.unit_of(indicator) == "percent":
        # From zero; room for the column of figures, the scale itself never past 100%.
        ax.set_xlim(0, column * 1.3)
        ax.set_xticks([t for t in range(0, 101, 10) if t <= column * 1.3])
    ax.grid(axis="y", visible=False)
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return fig


@page.section("The council among its neighbours", part="neighbours")
def section_ranking(facts: PackFacts) -> list:
    n = facts.neighbours
    if not n.ok:
        return []
    code = indicator_sets.headline()
    group, year, name = n["ranking"], n["year"], facts.area.name
    # England's figure from the pack's table of ranks (the same year): the headline part stops for a council whose
    # own figure is suppressed, and England's line belongs on its chart too.
    bands = n["bands"]
    england = bands.loc[(bands["indicator"] == code) & (bands["year"] == year), "England"]
    eng = float(england.iloc[0]) if len(england) else None
    fig = plot_group(group, code, f"{name} among its neighbours ({n['label']}), {year}: {name_of(code)}", eng)
    row = group[group.is_la].iloc[0]
    if pd.isna(row["rank"]):
        return [fig, page.takeaway(page.esc(f"{name} has no published figure for {year}, so it has no rank."))]
    r, of = int(row["rank"]), int(group["rank"].notna().sum())
    ties = int((group["rank"] == r).sum()) - 1
    tie = f" (tied with {ties} other{'s' if ties > 1 else ''})" if ties else ""
    return [
        fig,
        page.takeaway(
            page.esc(f"{name} ranks "),
            page.fact("sn_rank", f"{r} of {of}"),
            page.esc(f"{tie} in its group of itself and its neighbours in {year}."),
        ),
    ]


@page.section("Ranks and quartile bands", part="neighbours")
def section_bands(facts: PackFacts) -> list:
    n = facts.neighbours
    if not n.ok:
        return []
    t = n["bands"]

    def change(ind, c, fav) -> str:
        if pd.isna(c):
            return "–"
        text = fmt_signed(c, 1) if indicator_sets.unit_of(ind) == "progress" else fmt_points(c)
        if not text.startswith(("+", "-")):
            return "no change"  # none, or less than the figures show
        return text + ("" if pd.isna(fav) else (" (better)" if fav else " (worse)"))

    shown = pd.DataFrame(
        {
            "Measure": [name_of(i) for i in t.indicator],
            "Year": [("–" if pd.isna(y) else str(int(y))) for y in t.year],
            facts.area.name: [format_value(i, v) for i, v in zip(t.indicator, t.value, strict=True)],
            "Neighbours' average": [format_value(i, v, 1) for i, v in zip(t.indicator, t["SN average"], strict=True)],
            "England": [
                ("0" if indicator_sets.unit_of(i) == "progress" and v == v else format_value(i, v))
                for i, v in zip(t.indicator, t.England, strict=True)
            ],
            "Change": [change(i, c, f) for i, c, f in zip(t.indicator, t.change, t.favourable, strict=True)],
            "Rank among neighbours": [_of(r, o) for r, o in zip(t.sn_rank, t.sn_of, strict=True)],
            "Rank in England": [_of(r, o) for r, o in zip(t.national_rank, t.national_of, strict=True)],
            "Quartile band": [("–" if pd.isna(b) else str(b)) for b in t.band],
        }
    )
    counts = t.band.value_counts()
    bands = ", ".join(f"{counts.get(b, 0)} in band {b}" for b in "ABCD")
    missing_rows = [name_of(i) for i, y in zip(t.indicator, t.year, strict=True) if pd.isna(y)]
    out = [
        page.table(
            shown,
            f"{facts.area.name}: the headline measures, latest year up to {facts.year}",
            empty="No measures.",
            numeric=list(shown.columns[2:]),
        ),
        page.takeaway(
            page.esc(
                f"across the set: {bands} (A = best quarter of councils in England; a dash where the "
                "DfE gives no quartiles, as for average scaled scores)."
            )
        ),
    ]
    if missing_rows:
        out.append(page.note(f"Not published up to {facts.year}: {', '.join(missing_rows)}."))
    return out


def _of(rank, of) -> str:
    return "–" if pd.isna(rank) else f"{int(rank)} of {int(of)}"


def plot_comparisons(comparisons: dict[str, pd.DataFrame], name: str):
    """Small multiples: each headline measure over time, the council, region, neighbours' averages, England."""
    codes = list(comparisons)
    ncols = 3
    nrows = -(-len(codes) // ncols)
    # The panels share their years and, when all are in one unit (the pack's are all shares of pupils), their
    # scale: labelled along the outside only (style.label_outer).
    one_unit = len({indicator_sets.unit_of(code) for code in codes}) == 1
    fig, axes = style.new_grid(nrows, ncols, figsize=(12, 3.2 * nrows), sharex=True, sharey=one_unit)
    roles = {"LA": "la", "Region": "region", "England": "england"}  # every other line: a neighbours' average
    years: list[int] = []
    for ax, code in zip(axes.flat, codes, strict=False):
        wide = comparisons[code]
        wide = wide[wide.year >= FIRST_EXPECTED_STANDARD_YEAR]
        sn_cols = [c for c in wide.columns if c.startswith("SN average")]
        for col in ["LA", "Region", *sn_cols, "England"]:
            if col not in wide or wide[col].isna().all():
                continue
            label = {"LA": name}.get(col, col.replace("SN average", "Neighbours' average"))
            role = roles.get(col, "neighbours")
            kw = {"color": style.ROLE_COLOURS[role], "linestyle": style.ROLE_LINESTYLE[role]}
            if role == "neighbours" and sn_cols.index(col) % 2:
                kw["linestyle"] = ":"  # the second DfE list dotted beside the first
            if role != "neighbours":
                kw["linewidth"] = 2.2 if role == "la" else 1.4
            ax.plot(wide["year"], wide[col], marker="o", markersize=3, label=label, zorder=style.ROLE_LAYER[role], **kw)
        ax.set_title(style.wrap(name_of(code), 34), loc="left", fontsize=9)
        if indicator_sets.unit_of(code) == "percent":
            ax.set_ylim(0, 100)
        if indicator_sets.unit_of(code) == "progress":
            ax.axhline(0, color="#999999", lw=0.8)
        years = sorted({*years, *(int(y) for y in wide.year)})
        ax.set_ylabel(indicator_unit(code), fontsize=8)
    axes.flat[0].set_xticks([y for y in years if y % 3 == 1])
    for ax in list(axes.flat)[: len(codes)]:
        style.shade_gap_years(ax, [y for y in NO_TEST_YEARS if y in years], label="")
    for ax in list(axes.flat)[len(codes) :]:
        ax.set_visible(False)
    style.label_outer(axes)
    handles, labels = axes.flat[0].get_legend_handles_labels()
    style.legend_below(fig, handles, labels, ncol=4)
    fig.suptitle(f"{name}: the headline measures over time", x=0.01, ha="left", fontweight="bold")
    return fig


@page.section("Over time", part="neighbours")
def section_over_time(facts: PackFacts) -> list:
    n = facts.neighbours
    if not n.ok:
        return []
    return [
        plot_comparisons(n["comparisons"], facts.area.name),
        page.takeaway(
            page.esc(
                "each panel's line for the council against its neighbours' average shows "
                "whether a gap is closing; percentages are drawn from 0 to 100."
            )
        ),
    ]


def plot_significance(cis: dict[str, pd.DataFrame], name: str):
    """Progress scores with their 95% intervals where one can be rebuilt; filled triangles mark years clearly
    above or below England (0)."""
    codes = list(cis)
    fig, axes = style.new_grid(1, len(codes), figsize=(4.4 * len(codes), 4), sharey=True)
    markers = {
        "significantly above England": ("^", style.ROLE_COLOURS["good"], "full", "clearly above England"),
        "significantly below England": ("v", style.ROLE_COLOURS["bad"], "full", "clearly below England"),
        "not significantly different": ("o", style.ROLE_COLOURS["la"], "none", "not clearly different"),
        "no interval": ("o", style.ROLE_COLOURS["context"], "none", "no interval can be rebuilt"),
    }
    for ax, code in zip(axes.flat, codes, strict=True):
        ci = cis[code]
        ax.axhline(0, color=style.ROLE_COLOURS["england"], linewidth=1, linestyle=":", label="England (0)")
        has = ci.dropna(subset=["lower", "upper"])
        ax.errorbar(
            has.year,
            has.value,
            yerr=[has.value - has.lower, has.upper - has.value],
            fmt="none",
            ecolor=style.ROLE_COLOURS["context"],
            capsize=4,
            label="95% interval",
        )
        for key, (marker, colour, fill, label) in markers.items():
            part = ci[ci.significance == key]
            if not part.empty:
                ax.plot(
                    part.year,
                    part.value,
                    linestyle="none",
                    marker=marker,
                    markersize=9,
                    color=colour,
                    fillstyle=fill,
                    label=label,
                )
        years = sorted({int(y) for y in ci.year})
        style.year_axis(ax, years)
        ax.tick_params(axis="x", labelsize=8, rotation=45)
        ax.set_title(name_of(code), loc="left", fontsize=10)
        ax.set_xlabel("Year")
    axes.flat[0].set_ylabel("Progress score (England = 0)")
    seen: dict[str, object] = {}
    for ax in axes.flat:
        for h, lab in zip(*ax.get_legend_handles_labels(), strict=True):
            seen.setdefault(lab, h)
    style.legend_below(fig, list(seen.values()), list(seen), ncol=3)
    fig.suptitle(
        f"{name}: progress against England, with intervals where they can be rebuilt",
        x=0.01,
        ha="left",
        fontweight="bold",
    )
    return fig


@page.section(
    "Progress: clearly different from England?",
    part="neighbours",
    intro="Only progress scores can be judged this way: they are the one KS2 measure published with its uncertainty.",
)
def section_progress(facts: PackFacts) -> list:
    n = facts.neighbours
    if not n["progress"]:
        return []
    cis = n["progress"]
    allci = pd.concat(cis.values())
    judged = allci[allci.significance != "no interval"]
    if judged.empty:
        return [
            page.say(
                f"No year can be judged for {facts.area.name}: an interval can be rebuilt only where the "
                "schools' published limits allow (2017 and 2018), and the council has no progress score "
                "for those years."
            )
        ]
    clear = judged[judged.significance.str.startswith("significantly")]
    years = ", ".join(str(y) for y in sorted({int(y) for y in judged.year}))
    return [
        plot_significance(cis, facts.area.name),
        page.takeaway(
            page.esc(
                f"{len(clear)} of the {count(len(judged), 'subject-year')} that can be judged ({years}) are "
                "clearly above or below England; the others are within the measure's uncertainty."
            )
        ),
    ]


@page.section(
    "Are the neighbours alike?",
    part="neighbours",
    intro="Results beside context: the shares of pupils on free school meals and with English as an additional "
    "language.",
)
def section_context(facts: PackFacts) -> list:
    n = facts.neighbours
    if not n.ok:
        return []
    ctx = n["context"]
    code = indicator_sets.headline()
    fsm, eal = indicator_sets.codes("context")[:2]
    shown = pd.DataFrame(
        {
            "Council": ctx["la_name"],
            name_of(code): [format_value(code, v) for v in ctx["value"]],
            "Free school meals (primary)": [fmt_pct(v, 1) for v in ctx[fsm]],
            "English as an additional language (primary)": [fmt_pct(v, 1) for v in ctx[eal]],
        }
    )
    others = ctx[~ctx.is_la]
    me = ctx[ctx.is_la].iloc[0]
    lo, hi = others[fsm].min(), others[fsm].max()
    if missing(me[fsm]) or pd.isna(me[fsm]):
        where = f"{facts.area.name} has no published free school meals figure"
    else:
        side = "inside" if lo <= me[fsm] <= hi else "outside"
        share = fmt_pct(me[fsm], 1)
        where = f"{facts.area.name}'s share of pupils on free school meals ({share}) is {side} its neighbours' range"
    year = ctx[f"{fsm}_year"].iloc[0]
    return [
        page.table(
            shown,
            f"The council and its neighbours: results and context ({n['year']}; context {year})",
            empty="No figures.",
            numeric=list(shown.columns[1:]),
            highlight=ctx["is_la"],
        ),
        page.takeaway(
            page.esc(
                f"{where} ({fmt_pct(lo, 1)} to {fmt_pct(hi, 1)}). Where the context differs widely, "
                "read the rank with care."
            )
        ),
    ]


def section_data(facts: PackFacts) -> list:
    n = facts.neighbours
    extra = [
        "Statistical neighbours: the DfE's children's services statistical neighbour benchmarking tool (the "
        "lists held are named in the neighbours table). Councils that no longer exist (Cumbria, "
        "Northamptonshire, Dorset and Poole before 2019) have no figures after they ended and are left out of "
        "their neighbours' averages, never counted as zero.",
        "Progress intervals: LAIT publishes none for councils; they are rebuilt from the schools' published limits "
        "by the DfE's own method where the published figures allow (2017 and 2018).",
    ]
    out = [page.about_the_data(facts, extra)]
    if n.ok:
        mine = set(sum(n["sets"].values(), [])) | {facts.area.code}
        rel = n["mismatches"][n["mismatches"].la_code.isin(mine)]
        if not rel.empty:
            shown = pd.DataFrame(
                {
                    "Council": rel["la_name"],
                    "List": rel["version"].astype(str),
                    "What is missing": rel["issue"],
                    "Effect": rel["detail"],
                }
            )
            out.append(
                page.table(
                    shown,
                    "Where the neighbour lists and the figures disagree, for this council's groups",
                    empty="None.",
                )
            )
    return out
