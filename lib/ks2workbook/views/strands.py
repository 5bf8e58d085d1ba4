"""Strand views: the criteria of a strand rule file in words, for the report."""

from __future__ import annotations

import pandas as pd

from ..rules.strands import PROGRESS_NAMES, StrandRules


def criteria_table(rules: StrandRules) -> pd.DataFrame:
    """The criteria in words, one row per strand, in assignment order (for the report)."""
    s = rules.strands
    bf, mp, inc, gr = s.below_floor, s.maximising_progress, s.inconsistent, s.great
    floor_text = "below the floor standard of the year" if bf.below_floor else ""
    if bf.below_floor and bf.attainment_below_when_no_floor is not None:
        floor_text += f" (years with no floor rule: RWM below {bf.attainment_below_when_no_floor:g}%)"
    parts = [p for p in (floor_text, f"latest Ofsted grade in {bf.ofsted_grades}" if bf.ofsted_grades else "") if p]
    progress = ", ".join(f"{PROGRESS_NAMES[k]} below {v:+g}" for k, v in mp.progress_below.items())
    great = f"RWM at least {gr.rwm_at_least:g}%"
    if gr.mean_progress_at_least is not None:
        great += f" and average progress at least {gr.mean_progress_at_least:+g} (where published)"
    if gr.or_ofsted_grades:
        great += f"; or latest Ofsted grade in {gr.or_ofsted_grades}"
    rows = [
        ("below_floor", bf.label, " or ".join(parts)),
        (
            "maximising_progress",
            mp.label,
            f"any progress score {progress} (latest published, at most {mp.progress_max_age} years old)",
        ),
        (
            "inconsistent",
            inc.label,
            f"RWM standard deviation at least {inc.rwm_sd_at_least:g} points over at least {inc.min_years} years",
        ),
        ("great", gr.label, great),
        ("good_to_great", s.good_to_great.label, "every other school"),
    ]
    table = pd.DataFrame(rows, columns=["strand", "label", "criteria"])
    table.insert(0, "order", range(1, len(table) + 1))
    return table
