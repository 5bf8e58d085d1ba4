"""The council's own improvement plan: adviser days its schools need, what supplies them, what they cost per
financial year, and how the work divides between clusters or area footprints.

Why from the data: a plan typed in by hand (Derby's 15/18/14/7/2 of 2010) is right for one council in one year.
Here the demand is the council's own schools for the pack's year, each at its strand and risk level, times the
days the council's allocation file gives that strand and level; the supply and cost come from a price file; the
capacity engine (:mod:`ks2workbook.analyses.capacity`) turns the result into cost and gap per financial year,
the same engine that reproduces Derby's 2010 tables. The plan starts in the September after the results (2026-27
for 2026 results), so the first financial year has seven months of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..core.errors import ConfigError
from ..core.geo import km_between
from ..core.paths import shown
from ..data import areas, tables
from ..rules import plan as plan_rules
from ..rules.scenario import ALL, RISK_LEVELS, Scenario, scenario_from_dict
from ..rules.strands import STRANDS
from . import capacity

WHOLE_LA = "Whole council"
NOT_IN_CLUSTER = "Not in any cluster"
NOT_LOCATED = "No location published"


@dataclass(frozen=True)
class PlanFiles:
    """The four council files a plan reads (validated), and how the reports name them."""

    allocation: plan_rules.AllocationFile
    prices: plan_rules.PriceFile
    clusters: plan_rules.ClusterFile | None
    allocation_file: str
    prices_file: str
    clusters_file: str


def files(allocation_file: str | Path, prices_file: str | Path, clusters_file: str | Path | None) -> PlanFiles:
    return PlanFiles(
        allocation=plan_rules.allocation(allocation_file),
        prices=plan_rules.prices(prices_file),
        clusters=plan_rules.clusters(clusters_file) if clusters_file else None,
        allocation_file=shown(allocation_file),
        prices_file=shown(prices_file),
        clusters_file=shown(clusters_file) if clusters_file else "",
    )


# ------------------------------------------------------------------------------------------------------------
# Demand: each school at its strand and risk level
# ------------------------------------------------------------------------------------------------------------


def school_levels(assigned: pd.DataFrame, risk_table: pd.DataFrame | None, no_estimate_as: str) -> pd.DataFrame:
    """The plan's schools (those with a strand): ``urn``, ``school_name``, ``strand``, ``risk_level`` and
    ``level_basis`` ("forecast", or "no forecast: planned at medium" for a school with no earlier result)."""
    out = assigned.loc[:, ["urn", "school_name", "strand"]].copy()
    levels = pd.Series(dtype="object")
    if risk_table is not None and len(risk_table):
        levels = risk_table.drop_duplicates("urn").set_index("urn")["risk_level"]
    out["risk_level"] = out["urn"].map(levels)
    known = out["risk_level"].isin(RISK_LEVELS)
    out["level_basis"] = np.where(known, "forecast", f"no forecast: planned at {no_estimate_as}")
    out.loc[~known, "risk_level"] = no_estimate_as
    return out.reset_index(drop=True)


def strand_risk_counts(levels: pd.DataFrame) -> pd.DataFrame:
    """Schools by strand (rows, in strand order) and risk level (columns), with totals."""
    table = pd.crosstab(levels["strand"], levels["risk_level"]).reindex(
        index=list(STRANDS), columns=list(RISK_LEVELS), fill_value=0
    )
    table["all"] = table.sum(axis=1)
    return table


def _schools_field(counts: pd.DataFrame, allocation: plan_rules.AllocationFile) -> dict[str, dict[str, int]]:
    """Counts in the scenario's shape: by risk level where the allocation splits the strand, else one number."""
    out: dict[str, dict[str, int]] = {}
    for strand in STRANDS:
        by_risk = {k: v for k, v in allocation.extra_days.get(strand, {}).items() if k != ALL}
        row = counts.loc[strand]
        if by_risk:
            out[strand] = {level: int(row[level]) for level in RISK_LEVELS}
        else:
            out[strand] = {ALL: int(row["all"])}
    return out


def days_needed(counts: pd.DataFrame, allocation: plan_rules.AllocationFile) -> float:
    """Days a year the allocation gives the counted schools (the engine's demand, before supply is chosen)."""
    total = 0.0
    for strand, by_level in _schools_field(counts, allocation).items():
        extra = allocation.extra_days.get(strand, {})
        for level, n in by_level.items():
            total += n * (allocation.core_days + extra.get(level, extra.get(ALL, 0.0)))
    return total


def scenario(
    levels: pd.DataFrame, year: int, la_code: int, plan_files: PlanFiles, *, employed_fte: float | None = None
) -> Scenario:
    """The plan as a capacity scenario: the council's counts, its allocation, supply and cost from its prices.

    Employed advisers cover ``share_of_demand`` of the days needed (to 0.1 FTE) unless ``employed_fte`` is given
    (the sliders); bought-in days meet the rest; management posts are pro rata to the employed advisers."""
    alloc, prices = plan_files.allocation, plan_files.prices
    counts = strand_risk_counts(levels)
    need = days_needed(counts, alloc)
    emp = prices.employed
    fte = round(need * emp.share_of_demand / emp.days_per_fte, 1) if employed_fte is None else float(employed_fte)
    management = [
        {"name": m.name, "posts": round(fte / m.advisers_per_post, 3), "salary": m.cost_per_post, "note": m.note}
        for m in prices.management
        if fte > 0
    ]
    budget = prices.budget
    area = areas.resolve(la_code)
    data: dict[str, Any] = {
        "name": f"{area.name}: plan from the {year} results",
        "description": f"Days per school from {alloc.name}; prices from {prices.name}.",
        "term": alloc.term,
        "la_code": la_code,
        "start": plan_rules.plan_start(year),
        "horizon_years": prices.horizon_years,
        "allocation": {"core_days": alloc.core_days, "extra_days": {k: dict(v) for k, v in alloc.extra_days.items()}},
        "schools": _schools_field(counts, alloc),
        "supply": {
            "employed": [
                {
                    "name": emp.name,
                    "fte": fte,
                    "days_per_fte": emp.days_per_fte,
                    "salary": emp.cost_per_fte,
                    "note": f"salary £{emp.salary:,.0f} plus {emp.on_cost_rate:.1%} on-costs",
                }
            ],
            "external": [
                {"name": prices.external.name, "day_rate": prices.external.day_rate, "days": "to_meet_demand"}
            ],
            "management": management,
        },
        "funding": (
            {"existing_budget": budget.existing, "lines": [line.model_dump() for line in budget.lines]}
            if budget is not None
            else {}
        ),
    }
    return scenario_from_dict(data, name=plan_files.prices_file)


# ------------------------------------------------------------------------------------------------------------
# Clusters and area footprints
# ------------------------------------------------------------------------------------------------------------


def locations(urns: pd.Series | pd.Index) -> pd.DataFrame:
    """Latitude and longitude of each URN from the school lists (NaN where none is published)."""
    schools = tables.load("schools").dropna(subset=["latitude", "longitude"]).drop_duplicates("urn", keep="last")
    return schools.set_index("urn")[["latitude", "longitude"]].reindex(pd.Index(urns, name="urn"))


def members(levels: pd.DataFrame, la_code: int, clusters: plan_rules.ClusterFile | None) -> pd.DataFrame:
    """Each plan school's cluster and why: listed by URN, nearest centre (with the distance), or the group that
    says why it has none. Without a cluster file the whole LA is one cluster."""
    out = levels.loc[:, ["urn", "school_name"]].copy()
    where = locations(out["urn"])
    out["latitude"] = where["latitude"].to_numpy()
    out["longitude"] = where["longitude"].to_numpy()
    if clusters is None:
        out["cluster"], out["cluster_basis"] = WHOLE_LA, "one cluster for the whole LA (no cluster file)"
        return out
    if clusters.la_code != la_code:
        raise ConfigError(
            f"the cluster file {clusters.name!r} is for {areas.resolve(clusters.la_code).label}, not "
            f"{areas.resolve(la_code).label}"
        )
    listed = {u: c.name for c in clusters.clusters for u in c.urns}
    out["cluster"] = out["urn"].map(listed).astype("object")
    out["cluster_basis"] = np.where(out["cluster"].notna(), "listed by URN", "").astype(object)
    if clusters.rule == "nearest_centre":
        centres = locations(pd.Index([c.centre_urn for c in clusters.clusters]))
        lost = [c for c, ok in zip(clusters.clusters, centres["latitude"].notna(), strict=True) if not ok]
        if lost:
            raise ConfigError(
                f"the cluster file {clusters.name!r}: no published location for the centre of {lost[0].name} "
                f"(URN {lost[0].centre_urn}); name a school the 2019 school list locates"
            )
        open_ = out["cluster"].isna() & out["latitude"].notna()
        km = km_between(
            out.loc[open_, "latitude"].to_numpy()[:, None],
            out.loc[open_, "longitude"].to_numpy()[:, None],
            centres["latitude"].to_numpy()[None, :],
            centres["longitude"].to_numpy()[None, :],
        )
        if open_.any():
            nearest = km.argmin(axis=1)
            names = np.array([c.name for c in clusters.clusters], dtype=object)
            out.loc[open_, "cluster"] = names[nearest]
            out.loc[open_, "cluster_basis"] = [f"nearest centre ({d:.1f} km)" for d in km.min(axis=1)]
        rest = out["cluster"].isna()
        out.loc[rest, "cluster"], out.loc[rest, "cluster_basis"] = NOT_LOCATED, "no published location"
    rest = out["cluster"].isna()
    out.loc[rest, "cluster"], out.loc[rest, "cluster_basis"] = NOT_IN_CLUSTER, "not listed in any cluster"
    return out


def school_days(levels: pd.DataFrame, result: capacity.CapacityResult) -> pd.Series:
    """Days a year each school gets under the plan (the engine's days per school for its strand and level)."""
    per = result.demand.set_index(["strand", "risk"])["days_per_school"]
    pairs = zip(levels["strand"], levels["risk_level"], strict=True)
    by_level = [per.get((s, r), per.get((s, ALL), np.nan)) for s, r in pairs]
    return pd.Series(by_level, index=levels.index, dtype="float64")


def cluster_table(
    levels: pd.DataFrame,
    member: pd.DataFrame,
    result: capacity.CapacityResult,
    flags: pd.DataFrame,
    clusters: plan_rules.ClusterFile | None,
    days_per_fte: float,
) -> pd.DataFrame:
    """Per cluster: schools, strand mix, below the floor / at risk / stuck, days needed and days allocated.

    ``flags`` holds per URN ``below_floor``, ``at_risk``, ``stuck`` (booleans). The last row is the LA; the
    clusters add up to it (every school is in exactly one cluster or in a group that says why not)."""
    frame = levels.assign(
        cluster=member["cluster"].to_numpy(),
        days=school_days(levels, result).to_numpy(),
    )
    frame = frame.join(flags.reindex(frame["urn"]).reset_index(drop=True).fillna(False).astype(bool))
    order = [c.name for c in clusters.clusters] if clusters is not None else [WHOLE_LA]
    order += [g for g in (NOT_LOCATED, NOT_IN_CLUSTER) if (frame["cluster"] == g).any()]
    allocated: dict[str, float] = {}
    if clusters is not None:
        for c in clusters.clusters:
            if c.days is not None:
                allocated[c.name] = c.days
            elif c.advisers is not None:
                allocated[c.name] = c.advisers * days_per_fte
    rows = []
    for name in order:
        part = frame[frame["cluster"] == name]
        rows.append(_cluster_row(name, part, allocated.get(name, np.nan)))
    total = _cluster_row("All schools", frame, sum(allocated.values()) if allocated else np.nan)
    rows.append(total)
    return pd.DataFrame(rows)


def _cluster_row(name: str, part: pd.DataFrame, allocated: float) -> dict[str, Any]:
    row: dict[str, Any] = {"cluster": name, "schools": len(part)}
    for strand in STRANDS:
        row[strand] = int((part["strand"] == strand).sum())
    # The flags are named apart from the strands: strand 1 is also called "below_floor" but counts schools
    # in an Ofsted category too, and each school sits in one strand but may carry several flags.
    row["flag_below_floor"] = int(part["below_floor"].sum())
    row["flag_at_risk"] = int(part["at_risk"].sum())
    row["flag_stuck"] = int(part["stuck"].sum())
    row["days_needed"] = float(part["days"].sum())
    row["days_allocated"] = allocated
    row["balance"] = allocated - row["days_needed"] if allocated == allocated else np.nan
    return row


# ------------------------------------------------------------------------------------------------------------
# The whole plan
# ------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    files: PlanFiles
    levels: pd.DataFrame  # per school: strand, risk level and basis
    counts: pd.DataFrame  # strand x risk level
    result: capacity.CapacityResult
    members: pd.DataFrame  # per school: cluster and why
    clusters: pd.DataFrame  # per cluster, with the LA total last
    located: int  # plan schools with a published location
    budget_given: bool


def build(
    la_code: int,
    year: int,
    assigned: pd.DataFrame,
    risk_table: pd.DataFrame | None,
    flags: pd.DataFrame,
    plan_files: PlanFiles,
    *,
    employed_fte: float | None = None,
) -> Plan:
    """The plan for one LA and year from its strands, risk levels and flags (below floor, at risk, stuck)."""
    levels = school_levels(assigned, risk_table, plan_files.allocation.no_estimate_as)
    result = capacity.evaluate(scenario(levels, year, la_code, plan_files, employed_fte=employed_fte), baseline=None)
    member = members(levels, la_code, plan_files.clusters)
    table = cluster_table(levels, member, result, flags, plan_files.clusters, plan_files.prices.employed.days_per_fte)
    return Plan(
        files=plan_files,
        levels=levels,
        counts=strand_risk_counts(levels),
        result=result,
        members=member,
        clusters=table,
        located=int(member["latitude"].notna().sum()),
        budget_given=plan_files.prices.budget is not None,
    )
