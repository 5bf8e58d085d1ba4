"""School-to-school support for people: each suggested pair in words, the pairs and the unpaired as tables, and a
map of the pairs drawn from the schools' published locations."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from ..analyses.support import Support
from ..core.formats import count, fmt_int, fmt_pct, fmt_signed
from .style import OKABE_ITO, SERIES_CYCLE, new_axes

SIMILAR_FSM_POINTS = 10  # intakes within this many points of each other are called similar


def say_pair(pair: Mapping[str, Any]) -> str:
    """Why this pair, in the figures a head of school improvement would check: distance, both intakes, and the
    subject the partner most needs against the supporter's result in it."""
    parts = [f"{pair['km']:.1f} km apart"]
    a, b = pair["supporter_fsm"], pair["partner_fsm"]
    if pd.notna(a) and pd.notna(b):
        alike = "similar" if abs(a - b) < SIMILAR_FSM_POINTS else "different"
        parts.append(f"{alike} shares of pupils eligible for free school meals, {fmt_pct(b)} and {fmt_pct(a)}")
    weak, strong = pair["partner_weakest"], pair["supporter_strongest"]
    year = "" if pd.isna(pair["progress_year"]) else f" ({pair['progress_year']:.0f})"
    if weak and strong:
        best, worst = fmt_signed(pair["supporter_strongest_score"], 1), fmt_signed(pair["partner_weakest_score"], 1)
        if weak == strong:
            parts.append(
                f"the supporter's {strong} progress is its strongest ({best}), "
                f"the partner's its weakest ({worst}){year}"
            )
        else:
            there = fmt_signed(pair["supporter_score_in_partner_weakest"], 1)
            parts.append(
                f"the partner's weakest progress is {weak} ({worst}), where the supporter scores {there}; the "
                f"supporter's strongest is {strong} ({best}){year}"
            )
    elif not weak:
        parts.append("no progress scores published for the partner in the last years")
    return "; ".join(parts) + "."


def table_pairs(result: Support) -> pd.DataFrame:
    """The suggested pairs, one line each, with the reason in words (each pair read as a plain record: a pandas row
    per pair cost more than its sentence)."""
    pairs = result.pairs
    if pairs.empty:
        return pd.DataFrame(
            columns=["Cluster", "School needing support", "Why it needs support", "Supporting school", "Why this pair"]
        )
    return pd.DataFrame(
        {
            "Cluster": pairs["cluster"],
            "School needing support": pairs["partner"],
            "Why it needs support": pairs["partner_why"],
            "Supporting school": pairs["supporter"],
            "Why this pair": [say_pair(r) for r in pairs.to_dict("records")],
        }
    )


def table_unpaired(result: Support) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "School needing support": result.unpaired["school_name"],
            "Cluster": result.unpaired["cluster"],
            "Why it needs support": result.unpaired["why"],
            "Why no pair is suggested": result.unpaired["reason"],
        }
    )


def say_support(result: Support) -> str:
    """The support in one paragraph: how many need it, how many could give it, how many pairs, what is left."""
    r = result.rules
    if result.partners.empty:
        return "No school meets the rules for needing support, so no pairs are suggested."
    need = "needs" if len(result.partners) == 1 else "need"  # the verbs agree with the counts
    verb = "is" if len(result.pairs) == 1 else "are"
    text = (
        f"{count(len(result.partners), 'school')} {need} support by the rules (below the floor or in a category, "
        f"stuck, at risk or with progress below the bar) and {fmt_int(len(result.supporters))} could give it "
        f"(each taking at most {r.max_partners}). {count(len(result.pairs), 'pair')} {verb} suggested, each no more "
        f"than {r.max_km:g} km apart" + (" and within one cluster" if r.same_cluster else "") + "."
    )
    if result.supporters.empty:
        text += " No school meets the rules for supporting others, so none can be paired."
    elif len(result.unpaired):
        text += f" {fmt_int(len(result.unpaired))} are left without a pair; the table below says why."
    if result.located < result.schools:
        text += (
            f" {fmt_int(result.schools - result.located)} of the {count(result.schools, 'school')} have no "
            "location in the 2019 school file, the one published file the workbook holds with locations, so no "
            "distance can be measured for them."
        )
    return text


def plot_pairs(result: Support, members: pd.DataFrame, area_name: str):
    """The LA's schools at their published locations, coloured by cluster, with a line for each suggested pair."""
    fig, ax = new_axes(
        f"{area_name}: suggested school-to-school support", "West to east (km)", "South to north (km)", figsize=(8, 7)
    )
    located = members.dropna(subset=["latitude", "longitude"])
    if located.empty:
        ax.text(0.5, 0.5, "No published locations for this LA's schools", ha="center", transform=ax.transAxes)
        return fig
    lat0, lon0 = located["latitude"].mean(), located["longitude"].mean()

    def xy(lat, lon):
        return (np.asarray(lon) - lon0) * 111.32 * np.cos(np.radians(lat0)), (np.asarray(lat) - lat0) * 110.57

    for i, (name, part) in enumerate(located.groupby("cluster", sort=False)):
        x, y = xy(part["latitude"], part["longitude"])
        ax.scatter(x, y, s=18, color=SERIES_CYCLE[i % len(SERIES_CYCLE)], alpha=0.6, label=name, zorder=2)
    where = located.set_index("urn")[["latitude", "longitude"]]
    if len(result.pairs):
        # Every pair's two ends looked up at once, and one line a pair drawn by one call (a column of ends per
        # pair): the same lines, in the same order, as a call per pair, without a pandas look-up per school.
        a = where.loc[result.pairs["partner_urn"]].to_numpy()
        b = where.loc[result.pairs["supporter_urn"]].to_numpy()
        x, y = xy(np.vstack([a[:, 0], b[:, 0]]), np.vstack([a[:, 1], b[:, 1]]))
        ax.plot(x, y, color=OKABE_ITO["black"], lw=1.2, zorder=3)
    sup = where.reindex(result.supporters["urn"]).dropna()
    x, y = xy(sup["latitude"], sup["longitude"])
    ax.scatter(x, y, s=70, marker="*", color=OKABE_ITO["black"], label="School able to support", zorder=4)
    ax.set_aspect("equal", adjustable="datalim")
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return fig
