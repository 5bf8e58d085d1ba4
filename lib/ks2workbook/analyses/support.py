"""School-to-school support: which strong schools could support which weaker ones, paired as one assignment.

Why an assignment and not a loop: choosing, school by school, the nearest free supporter leaves later schools
with far supporters or none; the best set of pairs is the one whose total cost (distance plus a weight on how
different the intakes are) is least over all pairs at once. Each supporter offers ``max_partners`` places; a
place that is too far (``max_km``) or in another cluster costs more than any real pair, so it is never chosen
when a real one exists, and pairs at that cost are dropped. scipy's ``linear_sum_assignment`` (the Hungarian
method, on a rectangular matrix) solves it exactly.

The figures each pair is explained by (distance, both shares of disadvantaged pupils, the supporter's strongest
and the partner's weakest progress subject) are columns here; :mod:`ks2workbook.views.support` words them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..core.geo import km_between
from ..data import tables
from ..rules.plan import SupportRules
from . import progress

SUBJECTS = {"read_prog": "reading", "writ_prog": "writing", "mat_prog": "maths"}
INFEASIBLE = 1e9  # the cost of a place no pair may take: above any real distance plus weighting
NEED_WEIGHT = 1e4  # per priority step: more than any feasible distance and intake difference, far below INFEASIBLE
NEED_WORDS = {
    "below_floor": "below the floor or in a category of concern",
    "stuck": "stuck",
    "at_risk": "at risk of falling below the bar",
    "maximising_progress": "progress below the bar",
    "inconsistent": "inconsistent results",
}
#: Who is paired first when places are short: a school below the floor, in a category or stuck, then at risk.
PRIORITY = {NEED_WORDS["below_floor"]: 3, NEED_WORDS["stuck"]: 3, NEED_WORDS["at_risk"]: 2}


@dataclass(frozen=True)
class Support:
    rules: SupportRules
    supporters: pd.DataFrame  # urn, school_name, cluster, why, places
    partners: pd.DataFrame  # urn, school_name, cluster, why
    pairs: pd.DataFrame  # one row per pair, with the figures that explain it
    unpaired: pd.DataFrame  # urn, school_name, cluster, reason
    located: int  # schools of the plan with a published location
    schools: int


def school_facts(
    member: pd.DataFrame, assigned: pd.DataFrame, risk_table: pd.DataFrame | None, year: int, max_age: int = 2
) -> pd.DataFrame:
    """Per plan school (indexed by URN): cluster, location, strand, RWM, the share of disadvantaged pupils
    (FSM, from the census nearest the year) and the latest progress scores by subject."""
    frame = member.set_index("urn")[["school_name", "cluster", "latitude", "longitude"]].copy()
    mine = assigned.set_index("urn").reindex(frame.index)
    for col in ("strand", "rwm_exp", "good_or_better", "rwm_count", "rwm_std"):
        frame[col] = mine[col]
    if risk_table is not None and len(risk_table):
        r = risk_table.drop_duplicates("urn").set_index("urn")
        frame["pct_fsm"] = r["pct_fsm"].reindex(frame.index)
        frame["p_below_next"] = r["p_below_next"].reindex(frame.index)
    else:
        frame["pct_fsm"] = np.nan
        frame["p_below_next"] = np.nan
    scores = progress.latest_scores(tables.load("school_results"), year, max_age)
    for col in SUBJECTS:
        frame[col] = scores[col].reindex(frame.index)
    frame["progress_year"] = scores["progress_year"].reindex(frame.index)
    return frame


def choose(
    facts: pd.DataFrame,
    rules: SupportRules,
    at_risk_chance: float,
    stuck_urns: set[int],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The supporters and the partners, each with why (a school needing support never supports)."""
    at_risk = (facts["p_below_next"] >= at_risk_chance).fillna(False)
    needs = {
        NEED_WORDS["below_floor"]: facts["strand"].eq("below_floor") & ("below_floor" in rules.partners.strands),
        NEED_WORDS["stuck"]: pd.Series(facts.index.isin(list(stuck_urns)) & rules.partners.stuck, index=facts.index),
        NEED_WORDS["at_risk"]: at_risk & rules.partners.at_risk,
    }
    for strand in rules.partners.strands:
        if strand != "below_floor":
            needs[NEED_WORDS.get(strand, strand)] = facts["strand"].eq(strand)
    why = pd.Series("", index=facts.index, dtype="object")
    priority = pd.Series(0, index=facts.index, dtype="int64")
    for words, hit in needs.items():
        why = why.mask(hit & (why != ""), why + "; " + words).mask(hit & (why == ""), words)
        priority = priority.mask(hit, priority.clip(lower=PRIORITY.get(words, 1)))
    partners = facts[why != ""].assign(why=why[why != ""], priority=priority[why != ""])

    s = rules.supporters
    by_strand = facts["strand"].isin(s.strands)
    by_rule = pd.Series(s.has_criteria, index=facts.index)
    if s.rwm_at_least is not None:
        by_rule &= facts["rwm_exp"] >= s.rwm_at_least
    if s.good_or_better:
        by_rule &= facts["good_or_better"].fillna(False).astype(bool)
    if s.rwm_sd_below is not None:
        by_rule &= (facts["rwm_count"] >= s.min_years) & (facts["rwm_std"] < s.rwm_sd_below)
    can = (by_strand | by_rule) & ~facts.index.isin(partners.index)
    if s.not_at_risk:
        can &= ~at_risk.fillna(False)
    why = np.where(by_strand, "great, able to support others", "meets the council's supporter criteria")
    supporters = facts[can].assign(why=pd.Series(why, index=facts.index)[can], places=rules.max_partners)
    return supporters, partners


def _cost(partners: pd.DataFrame, supporters: pd.DataFrame, rules: SupportRules) -> tuple[np.ndarray, np.ndarray]:
    """Distance (km) and cost of every partner x supporter; infeasible pairs cost :data:`INFEASIBLE`.

    Every feasible cost is below zero by the partner's priority steps, so the assignment first makes as many
    pairs as it can, then gives the places to the neediest, then the nearest and most alike."""
    km = km_between(
        partners["latitude"].to_numpy()[:, None],
        partners["longitude"].to_numpy()[:, None],
        supporters["latitude"].to_numpy()[None, :],
        supporters["longitude"].to_numpy()[None, :],
    )
    fsm = np.abs(partners["pct_fsm"].to_numpy()[:, None] - supporters["pct_fsm"].to_numpy()[None, :])
    cost = km + rules.km_per_fsm_point * np.nan_to_num(fsm, nan=0.0)
    cost = cost - NEED_WEIGHT * partners["priority"].to_numpy()[:, None]  # the neediest are served first
    bad = ~np.isfinite(km) | (km > rules.max_km)
    if rules.same_cluster:
        bad |= partners["cluster"].to_numpy()[:, None] != supporters["cluster"].to_numpy()[None, :]
    return km, np.where(bad, INFEASIBLE, cost)


def assign(cost: np.ndarray, places: np.ndarray) -> list[tuple[int, int]]:
    """The least-cost pairs (partner row, supporter column) with each supporter taking at most ``places[j]``
    partners; pairs at :data:`INFEASIBLE` cost are not pairs. Exact: Hungarian method on supporter places."""
    if cost.size == 0 or places.sum() == 0:
        return []
    from scipy.optimize import linear_sum_assignment

    slots = np.repeat(np.arange(cost.shape[1]), places)
    rows, cols = linear_sum_assignment(cost[:, slots])
    return [(int(r), int(slots[c])) for r, c in zip(rows, cols, strict=True) if cost[r, slots[c]] < INFEASIBLE]


def _strongest(row: pd.Series, pick) -> tuple[str, float]:
    scores = {name: row[col] for col, name in SUBJECTS.items() if pd.notna(row[col])}
    if not scores:
        return "", np.nan
    name = pick(scores, key=scores.get)
    return name, float(scores[name])


def pair_schools(facts: pd.DataFrame, supporters: pd.DataFrame, partners: pd.DataFrame, rules: SupportRules):
    """Pairs and the unpaired partners with the reason (no location; nobody within reach; places taken)."""
    located_p = partners[partners["latitude"].notna()]
    located_s = supporters[supporters["latitude"].notna()]
    km, cost = _cost(located_p, located_s, rules)
    chosen = assign(cost, located_s["places"].to_numpy(dtype=int))
    rows = []
    for r, c in chosen:
        p, s = located_p.iloc[r], located_s.iloc[c]
        s_subject, s_score = _strongest(s, max)
        p_subject, p_score = _strongest(p, min)
        rows.append(
            {
                "partner_urn": int(located_p.index[r]),
                "partner": p["school_name"],
                "partner_why": p["why"],
                "supporter_urn": int(located_s.index[c]),
                "supporter": s["school_name"],
                "cluster": p["cluster"],
                "km": float(km[r, c]),
                "partner_fsm": p["pct_fsm"],
                "supporter_fsm": s["pct_fsm"],
                "partner_rwm": p["rwm_exp"],
                "supporter_rwm": s["rwm_exp"],
                "supporter_strongest": s_subject,
                "supporter_strongest_score": s_score,
                "supporter_score_in_partner_weakest": s.get(
                    next((k for k, v in SUBJECTS.items() if v == p_subject), ""), np.nan
                ),
                "partner_weakest": p_subject,
                "partner_weakest_score": p_score,
                "progress_year": p["progress_year"],
            }
        )
    pairs = pd.DataFrame(rows)
    if not pairs.empty:
        pairs = pairs.sort_values(["cluster", "km"]).reset_index(drop=True)
    paired = set(pairs["partner_urn"]) if not pairs.empty else set()
    reach = (cost < INFEASIBLE).any(axis=1) if cost.size else np.zeros(len(located_p), dtype=bool)
    reachable = dict(zip(located_p.index, reach, strict=True))
    unpaired = []
    for urn, p in partners.iterrows():
        if urn in paired:
            continue
        if pd.isna(p["latitude"]):
            reason = "no published location to measure distance from"
        elif not reachable.get(urn, False):
            where = " in the same cluster" if rules.same_cluster else ""
            reason = f"no supporting school within {rules.max_km:g} km{where}"
        else:
            reason = (
                "the places at the supporting schools within reach went to schools in greater need or nearer "
                f"(each supporting school takes at most {rules.max_partners})"
            )
        unpaired.append({"urn": int(urn), "school_name": p["school_name"], "cluster": p["cluster"],
                         "why": p["why"], "reason": reason})  # fmt: skip
    return pairs, pd.DataFrame(unpaired, columns=["urn", "school_name", "cluster", "why", "reason"])


def support(
    member: pd.DataFrame,
    assigned: pd.DataFrame,
    risk_table: pd.DataFrame | None,
    *,
    year: int,
    rules: SupportRules,
    at_risk_chance: float,
    stuck_urns: set[int],
) -> Support:
    """Suggested school-to-school support for one LA's plan schools."""
    facts = school_facts(member, assigned, risk_table, year)
    supporters, partners = choose(facts, rules, at_risk_chance, stuck_urns)
    pairs, unpaired = pair_schools(facts, supporters, partners, rules)
    keep = ["school_name", "cluster", "why"]
    return Support(
        rules=rules,
        supporters=supporters[[*keep, "places"]].reset_index(),
        partners=partners[[*keep, "priority"]].reset_index(),
        pairs=pairs,
        unpaired=unpaired,
        located=int(facts["latitude"].notna().sum()),
        schools=len(facts),
    )
