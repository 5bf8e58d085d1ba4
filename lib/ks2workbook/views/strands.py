"""The five support strands for people: the criteria in words, the council's counts against England's, and each
school with the reason it is in its strand."""

from __future__ import annotations

import pandas as pd

from ..analyses.pack import PackFacts
from ..core.formats import count, fmt_int, fmt_pct, fmt_signed
from ..rules.strands import PROGRESS_NAMES, StrandRules
from . import page

GLOSSARY = ("Strand", "WCPP", "Floor standard", "Category of concern", "Progress score", "Report card")


def criteria(rules: StrandRules, floor_basis: str) -> pd.DataFrame:
    """The criteria in words, one row per strand, in the order schools are placed."""
    s = rules.strands
    bf, mp, inc, gr = s.below_floor, s.maximising_progress, s.inconsistent, s.great
    first = []
    if bf.below_floor:
        first.append(
            f"below the floor ({floor_basis})"
            if not floor_basis.startswith("none")
            else f"below the floor (in this pack {floor_basis})"
        )
    if bf.in_category:
        first.append("in an Ofsted category of concern at its latest inspection, under any framework")
    progress = ", ".join(f"{PROGRESS_NAMES[k]} below {fmt_signed(v, None)}" for k, v in mp.progress_below.items())
    great = f"RWM at least {gr.rwm_at_least:g}%"
    if gr.mean_progress_at_least is not None:
        great += f" and average progress at least {fmt_signed(gr.mean_progress_at_least, None)} where published"
    if gr.or_ofsted == "outstanding":
        great += "; or judged outstanding (or strong or exceptional leadership on a report card with no area below "
        great += "expected)"
    elif gr.or_ofsted == "good_or_better":
        great += "; or judged good or better at its latest inspection"
    rows = [
        (bf.label, " or ".join(first) or "no criterion set"),
        (mp.label, f"any progress score {progress} (the latest published, at most {mp.progress_max_age} years old)"),
        (
            inc.label,
            f"RWM varies by a standard deviation of at least {inc.rwm_sd_at_least:g} points over at least "
            f"{inc.min_years} years",
        ),
        (gr.label, great),
        (s.good_to_great.label, "every other school"),
    ]
    return pd.DataFrame(rows, columns=["Strand", "A school is placed here when"])


def table_counts(facts: PackFacts) -> pd.DataFrame:
    t = facts.strands["table"]
    return pd.DataFrame(
        {
            "Strand": [f"{n}. {label}" for n, label in zip(t["number"], t["label"], strict=True)],
            f"{facts.area.name}: schools": t["la_schools"].map(fmt_int),
            f"{facts.area.name}: share": t["la_share"].map(fmt_pct),
            "England: share": t["england_share"].map(fmt_pct),
        }
    )


@page.section(
    "The five support strands",
    part="strands",
    intro="Every school is placed in one of five strands by the criteria below.",
    say_missing=True,
)
def section_strands(facts: PackFacts) -> list:
    st = facts.strands
    if not st.ok:
        return [page.missing_part("Strands", st.reason)]
    t = st["table"]
    shown = table_counts(facts)
    total = int(t["la_schools"].sum())
    biggest = t.loc[t["la_schools"].idxmax(), "label"]
    return [
        page.table(
            shown,
            f"{facts.area.name}'s {count(total, 'school')} with a {facts.year} result, by strand",
            empty="No schools.",
            numeric=list(shown.columns[1:]),
            facts={f"{facts.area.name}: schools": "strand"},
        ),
        page.takeaway(
            page.esc(
                f"the largest group is “{biggest}”. Each school is in one strand only: the first "
                "whose criteria it meets, in the order below."
            )
        ),
        page.table(
            criteria(st["rules"], st["floor_basis"]),
            "The criteria, in the order schools are placed",
            empty="No criteria.",
        ),
    ]


def section_schools(facts: PackFacts) -> list:
    st = facts.strands
    if not st.ok:
        return []
    a = st["assigned"]
    shown = pd.DataFrame(
        {
            "School": a["school_name"],
            "Strand": a["label"],
            "RWM": a["rwm_exp"].map(fmt_pct),
            "Why": a["why"],
        }
    )
    return [
        page.table(
            shown,
            "Each school, its strand and why",
            empty="No schools.",
            numeric=["RWM"],
            collapsible=f"Every school's strand ({count(len(shown), 'school')})",
        )
    ]
