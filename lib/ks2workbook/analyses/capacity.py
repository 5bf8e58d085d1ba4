"""School-improvement capacity and cost: SIP days needed and supplied, the cost table, the gap per financial
year, break-even, sensitivity and cost per school by strand.

The questions councils ask: how many SIP days does our strand mix need? What does it cost with more employed
SIPs or more bought-in days? What market supplement keeps the employed option cheaper? What is the gap per
financial year? A :class:`~ks2workbook.rules.scenario.Scenario` (a YAML file, see ``scenarios/README.md``)
holds the inputs; :func:`evaluate` turns it into a :class:`CapacityResult`; the other functions make the
tables the notebook and the command line show (formatted and drawn by :mod:`ks2workbook.views.capacity`).

Conventions: money in pounds (shown as £k); days are SIP days a year; the financial year runs April-March and
is labelled ``2010-11``. Part years are counted in months, a part month by its days (1 September to 31 March
is exactly 7/12 of a year), which is how councils pro-rate budgets.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..core.errors import ConfigError
from ..core.formats import fmt_gbp_k, fmt_int, shorten
from ..rules.scenario import (
    ALL,
    FROM_BASELINE,
    RISK_LEVELS,
    TO_MEET_DEMAND,
    Scenario,
    load_scenario,
    resolve_scenario_path,
    scenario_from_dict,
)
from ..rules.strands import STRANDS

# --------------------------------------------------------------------------------------------------------
# Financial years
# --------------------------------------------------------------------------------------------------------


def fy_of(day: dt.date) -> int:
    """The financial year (April-March) holding ``day``, as its starting calendar year: 2010-09-01 -> 2010."""
    return day.year if day.month >= 4 else day.year - 1


def fy_label(fy: int) -> str:
    """``2010`` -> ``"2010-11"``."""
    return f"{fy}-{(fy + 1) % 100:02d}"


def share_of_fy(fy: int, start: dt.date | None = None, end: dt.date | None = None) -> float:
    """Share of financial year ``fy`` inside ``[start, end]`` (both inclusive; ``None`` = open).

    Counted in months, a part month by its days: 1 Sep 2010 onward is 7/12 of 2010-11; 1 Apr to 15 Jun is
    (2 + 15/30)/12.
    """
    total = 0.0
    for k in range(12):
        year, month = (fy, 4 + k) if k < 9 else (fy + 1, k - 8)
        ndays = calendar.monthrange(year, month)[1]
        first, last = dt.date(year, month, 1), dt.date(year, month, ndays)
        lo = max(first, start) if start else first
        hi = min(last, end) if end else last
        if hi >= lo:
            total += ((hi - lo).days + 1) / ndays
    return total / 12


# --------------------------------------------------------------------------------------------------------
# The engine
# --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CapacityResult:
    """What a scenario comes to. Money in pounds a year (full year) unless the column says in-year."""

    scenario: Scenario
    demand: pd.DataFrame  # strand, strand_label, risk, schools, days_per_school, days
    lines: pd.DataFrame  # kind, name, line, quantity, days, unit_cost, unit, cost, note
    days_needed: float
    days_supplied: float
    cost_subtotal: float  # the SIP-day lines (employed and external)
    cost_total: float
    existing_budget: float
    baseline: CapacityResult | None
    years: pd.DataFrame  # one row per financial year of the horizon
    funding_detail: pd.DataFrame  # fy, line, kind, amount (in-year)

    @property
    def name(self) -> str:
        return self.scenario.name

    @property
    def label(self) -> str:
        """Short name for column headers: the file's stem (``derby_2010_current``), else the name."""
        p = self.scenario.source_path
        return p.stem if p is not None else shorten(self.scenario.name, 24)

    @property
    def cost_per_day(self) -> float:
        """The full-year cost (every overhead counted) per day supplied: the one figure every report quotes."""
        return self.cost_total / self.days_supplied if self.days_supplied else float("nan")

    @property
    def balance(self) -> float:
        """Days supplied minus days needed: positive is slack, negative a shortfall of days."""
        return self.days_supplied - self.days_needed


def _demand(s: Scenario) -> pd.DataFrame:
    rows = []
    for strand, label in STRANDS.items():
        counts = s.schools.get(strand)
        if not counts:
            continue
        extra = s.allocation.extra_days.get(strand, {})
        order = [ALL, *RISK_LEVELS]
        for risk in sorted(counts, key=order.index):
            per_school = s.allocation.core_days + extra.get(risk, extra.get(ALL, 0.0))
            n = counts[risk]
            rows.append(
                {
                    "strand": strand,
                    "strand_label": label,
                    "risk": risk,
                    "schools": n,
                    "days_per_school": per_school,
                    "days": n * per_school,
                }
            )
    return pd.DataFrame(rows, columns=["strand", "strand_label", "risk", "schools", "days_per_school", "days"]).astype(
        {"schools": "int64", "days_per_school": "float64", "days": "float64"}
    )


def _k(pounds: float) -> str:
    return fmt_gbp_k(pounds, decimals=0 if abs(pounds) >= 1000 and pounds % 1000 == 0 else 1).replace(".0k", "k")


def _supply_lines(s: Scenario, days_needed: float) -> pd.DataFrame:
    rows: list[dict[str, Any]] = []
    for e in s.supply.employed:
        here = e.fte - e.fte_outside_la
        note = e.note
        if e.fte_outside_la:
            auto = (
                f"{e.fte_outside_la:g} FTE works outside the LA: paid for {e.fte:g} FTE, days from "
                f"{here:g} FTE x {e.days_per_fte:g}"
            )
            note = f"{note}; {auto}" if note else auto
        rows.append(
            {
                "kind": "employed",
                "name": e.name,
                "line": f"{e.name} ({e.fte:g} FTE)",
                "quantity": e.fte,
                "days": here * e.days_per_fte,
                "unit_cost": e.salary,
                "unit": f"{_k(e.salary)} per FTE",
                "cost": e.fte * e.salary,
                "note": note,
            }
        )
    fixed_days = sum(r["days"] for r in rows) + sum(
        float(x.days) for x in s.supply.external if x.days != TO_MEET_DEMAND
    )
    for x in s.supply.external:
        if x.days == TO_MEET_DEMAND:
            days = max(0.0, days_needed - fixed_days)
            note = f"bought to meet the demand ({fmt_int(days_needed)} days needed)"
            note = f"{x.note}; {note}" if x.note else note
        else:
            days, note = float(x.days), x.note
        rows.append(
            {
                "kind": "external",
                "name": x.name,
                "line": x.name,
                "quantity": days,
                "days": days,
                "unit_cost": x.day_rate,
                "unit": f"£{x.day_rate:,.0f} a day",
                "cost": days * x.day_rate,
                "note": note,
            }
        )
    for m in s.supply.management:
        rows.append(
            {
                "kind": "management",
                "name": m.name,
                "line": m.name
                if m.posts == 1
                else (f"{m.name} (x{m.posts:g})" if m.posts > 1 else f"{m.name} ({m.posts:.2f} of a post)"),
                "quantity": m.posts,
                "days": np.nan,
                "unit_cost": m.salary,
                "unit": _k(m.salary),
                "cost": m.posts * m.salary,
                "note": m.note,
            }
        )
    supp = [(e.fte, e.market_supplement) for e in s.supply.employed if e.market_supplement] + [
        (m.posts, m.market_supplement) for m in s.supply.management if m.market_supplement
    ]
    if supp:
        posts = sum(n for n, _ in supp)
        cost = sum(n * a for n, a in supp)
        rates = {a for _, a in supp}
        unit = cost / posts if posts else 0.0
        rows.append(
            {
                "kind": "supplement",
                "name": "market_supplement",
                "line": f"Market supplement (x{posts:g})",
                "quantity": posts,
                "days": np.nan,
                "unit_cost": unit,
                "unit": f"{_k(unit)} per post" + ("" if len(rates) == 1 else " (average)"),
                "cost": cost,
                "note": "",
            }
        )
    cols = ["kind", "name", "line", "quantity", "days", "unit_cost", "unit", "cost", "note"]
    return pd.DataFrame(rows, columns=cols).astype(
        {"quantity": "float64", "days": "float64", "unit_cost": "float64", "cost": "float64"}
    )


def read_scenario(path: str | Path, *, la_code: int | None = None, year: int | None = None) -> Scenario:
    """A scenario file, with ``schools: from_analysis`` answered by the strand analysis of ``la_code`` (else
    the file's ``la_code``) in ``year``."""

    def counts(file_la: int | None) -> tuple[dict[str, int], str]:
        la = la_code if la_code is not None else file_la
        if la is None or year is None:
            raise ConfigError("needs an LA code and a year (la_code in the file, or pass la_code= and year=)")
        from . import strands  # the strand analysis is heavy; only files that ask for it load it

        found = strands.headline(la, year)
        return {k: v for k, v in found.items() if k != "all"}, f"strand analysis, LA {la}, {year}"

    return load_scenario(path, strand_counts=counts)


def _load_baseline(s: Scenario) -> Scenario | None:
    if not s.baseline:
        return None
    here = s.source_path.parent if s.source_path else None
    path = resolve_scenario_path(s.baseline, relative_to=here)
    if s.source_path is not None and path == s.source_path:
        raise ConfigError(f"{s.source_path.name}: baseline: a scenario cannot be its own baseline")
    return load_scenario(path)


def evaluate(
    scenario: Scenario | str | Path,
    *,
    baseline: CapacityResult | Scenario | None | str = "auto",
    la_code: int | None = None,
    year: int | None = None,
) -> CapacityResult:
    """Days, cost lines and per-financial-year cost, funding and gap of a scenario.

    ``baseline="auto"`` loads the scenario's ``baseline:`` file (the arrangement in force before ``start``;
    its full-year cost fills the months before ``start`` in the first financial year, and is the existing
    budget when ``funding.existing_budget: baseline``). Pass a result to reuse one (sensitivity runs do).
    Without a baseline, the first financial year counts only the months from ``start``, for the cost and the
    existing budget alike; dated funding lines always count by their own dates.
    """
    s = scenario if isinstance(scenario, Scenario) else read_scenario(scenario, la_code=la_code, year=year)
    if isinstance(baseline, str):
        base_s = _load_baseline(s)
        base = evaluate(base_s, baseline=None) if base_s is not None else None
    elif isinstance(baseline, Scenario):
        base = evaluate(baseline, baseline=None)
    else:
        base = baseline

    demand = _demand(s)
    days_needed = float(demand["days"].sum())
    lines = _supply_lines(s, days_needed)
    day_lines = lines[lines["kind"].isin(["employed", "external"])]
    days_supplied = float(day_lines["days"].sum())
    cost_subtotal = float(day_lines["cost"].sum())
    cost_total = float(lines["cost"].sum())

    if s.funding.existing_budget == FROM_BASELINE:
        if base is None:
            raise ConfigError(f"{s.name}: funding.existing_budget is 'baseline' but no baseline was given")
        existing = base.cost_total
    else:
        existing = float(s.funding.existing_budget)

    first = fy_of(s.start)
    year_rows, detail = [], []
    for fy in range(first, first + s.horizon_years):
        share = share_of_fy(fy, s.start)
        before = base.cost_total * (1 - share) if base is not None else 0.0
        # With a baseline the existing budget runs all year (it paid for the baseline before the start);
        # without one, nothing is known before the start, so cost and budget both start there.
        budget = existing if base is not None else existing * share
        funding = budget
        if existing:
            detail.append({"fy": fy_label(fy), "line": "Existing budget", "kind": "existing", "amount": budget})
        for f in s.funding.lines:
            amount = f.annual_amount * share_of_fy(fy, f.start, f.end)
            funding += amount
            detail.append({"fy": fy_label(fy), "line": f.name, "kind": f.kind, "amount": amount})
        cost = cost_total * share + before
        year_rows.append(
            {
                "fy": fy_label(fy),
                "fy_start": fy,
                "months": share * 12,
                "cost_this_scenario": cost_total * share,
                "cost_before_start": before,
                "cost": cost,
                "funding": funding,
                "gap": cost - funding,
                "funding_full_year": funding - budget + existing,
                "gap_full_year": cost_total - (funding - budget + existing),
            }
        )
    years = pd.DataFrame(year_rows)
    funding_detail = pd.DataFrame(detail, columns=["fy", "line", "kind", "amount"]).astype({"amount": "float64"})
    return CapacityResult(
        scenario=s,
        demand=demand,
        lines=lines,
        days_needed=days_needed,
        days_supplied=days_supplied,
        cost_subtotal=cost_subtotal,
        cost_total=cost_total,
        existing_budget=existing,
        baseline=base,
        years=years,
        funding_detail=funding_detail,
    )


# --------------------------------------------------------------------------------------------------------
# Tables
# --------------------------------------------------------------------------------------------------------

TABLE_COLUMNS = ["line", "days", "unit", "cost", "note"]


def _gap_runs(years: pd.DataFrame) -> list[tuple[str, float]]:
    """Consecutive financial years with the same full-year gap, as ("2010-11" | "from 2011-12", gap)."""
    runs: list[tuple[list[str], float]] = []
    for fy, gap in zip(years["fy"], years["gap_full_year"], strict=True):
        if runs and round(runs[-1][1]) == round(gap):
            runs[-1][0].append(fy)
        else:
            runs.append(([fy], gap))
    out = []
    for i, (fys, gap) in enumerate(runs):
        last = i == len(runs) - 1
        if last and (len(runs) > 1 or len(fys) > 1):
            label = f"from {fys[0]}"
        elif len(fys) > 1:
            label = f"{fys[0]} to {fys[-1]}"
        else:
            label = fys[0]
        out.append((label, gap))
    return out


def cost_table(result: CapacityResult, vs: CapacityResult | None = None) -> pd.DataFrame:
    """The cost table in the council's own form: lines, days, unit, cost; sub-total and total; then, when
    there is something to compare with (``vs``, else the baseline), the additional cost, the funding lines
    and the shortfall (or surplus) at full-year rates for each run of financial years.

    Where the scenario carries a published total that its lines do not add up to, the Total row shows the
    published figure and says so in ``note`` (see :func:`published_check` for the full comparison).
    """
    s = result.scenario
    pub = s.published
    rows: list[dict[str, Any]] = []
    for r in result.lines[result.lines["kind"].isin(["employed", "external"])].itertuples():
        rows.append({"line": r.line, "days": r.days, "unit": r.unit, "cost": r.cost, "note": r.note})
    overheads = result.lines[result.lines["kind"].isin(["management", "supplement"])]

    def total_days(key: str) -> tuple[float, str]:
        published = pub.days.get(key) if pub else None
        if published is not None and abs(published - result.days_supplied) >= 0.5:
            diff = result.days_supplied - published
            return published, (
                f"as published; the lines add up to {fmt_int(result.days_supplied)}, "
                f"{fmt_int(abs(diff))} {'more' if diff > 0 else 'fewer'}"
            )
        return result.days_supplied, ""

    if len(overheads):
        days, note = total_days("subtotal")
        rows.append({"line": "Sub-total", "days": days, "unit": "", "cost": result.cost_subtotal, "note": note})
        for r in overheads.itertuples():
            rows.append({"line": r.line, "days": np.nan, "unit": r.unit, "cost": r.cost, "note": r.note})
        rows.append({"line": "Total", "days": np.nan, "unit": "", "cost": result.cost_total, "note": ""})
    else:
        days, note = total_days("total")
        rows.append({"line": "Total", "days": days, "unit": "", "cost": result.cost_total, "note": note})

    other = vs if vs is not None else result.baseline
    if other is not None:
        rows.append(
            {
                "line": "Additional cost",
                "days": np.nan,
                "unit": "",
                "cost": result.cost_total - other.cost_total,
                "note": f"vs {other.name}",
            }
        )
    if s.funding.lines:
        for f in s.funding.lines:
            when = f"from {f.start:%b %Y}" + (f" to {f.end:%b %Y}" if f.end else "")
            rows.append({"line": f.name, "days": np.nan, "unit": "a year", "cost": f.annual_amount, "note": when})
        for label, gap in _gap_runs(result.years):
            rows.append(
                {
                    "line": f"{'Shortfall' if gap > 0 else 'Surplus'}, {label}",
                    "days": np.nan,
                    "unit": "",
                    "cost": abs(gap),
                    "note": "at full-year rates",
                }
            )
    return pd.DataFrame(rows, columns=TABLE_COLUMNS).astype({"days": "float64", "cost": "float64"})


def _agrees_money(a: float, b: float) -> bool:
    return round(a / 1000) == round(b / 1000)


def published_check(result: CapacityResult) -> pd.DataFrame:
    """Each published figure beside the engine's, with whether they agree (days exactly, money to £1k)."""
    pub = result.scenario.published
    cols = ["figure", "published", "computed", "difference", "agrees", "comment"]
    if pub is None:
        return pd.DataFrame(columns=cols)
    lines = result.lines
    rows = []

    def add(figure, published, computed, money, comment=""):
        agrees = _agrees_money(published, computed) if money else abs(published - computed) < 0.5
        rows.append(
            {
                "figure": figure,
                "published": published,
                "computed": computed,
                "difference": computed - published,
                "agrees": agrees,
                "comment": comment,
                "_money": money,
            }
        )

    for key, value in pub.days.items():
        if key in ("total", "subtotal"):
            comment = ""
            parts = {k: v for k, v in pub.days.items() if k not in ("total", "subtotal")}
            if abs(value - result.days_supplied) >= 0.5 and parts:
                comment = (
                    f"the published lines add up to {' + '.join(fmt_int(v) for v in parts.values())} = "
                    f"{fmt_int(sum(parts.values()))}, not {fmt_int(value)}; the engine shows the published "
                    f"total in the cost table and uses {fmt_int(result.days_supplied)} days as supplied"
                )
            add(f"Days, {key}", value, result.days_supplied, False, comment)
        else:
            match = lines[lines["name"] == key]
            if match.empty:
                raise ConfigError(f"published.days: no supply line named {key!r}")
            add(f"Days, {key}", value, float(match["days"].sum()), False, "; ".join(match["note"]))
    for key, value in pub.cost.items():
        if key == "total":
            computed = result.cost_total
        elif key == "subtotal":
            computed = result.cost_subtotal
        else:
            match = lines[lines["name"] == key]
            if match.empty:
                raise ConfigError(f"published.cost: no supply line named {key!r}")
            computed = float(match["cost"].sum())
        add(f"Cost, {key}", value, computed, True)
    if pub.additional_cost is not None:
        if result.baseline is None:
            raise ConfigError("published.additional_cost needs a baseline scenario to compare with")
        add(
            "Additional cost",
            pub.additional_cost,
            result.cost_total - result.baseline.cost_total,
            True,
            f"vs {result.baseline.name}",
        )
    years = result.years.set_index("fy")
    for fy, value in pub.shortfall.items():
        if fy not in years.index:
            raise ConfigError(f"published.shortfall: {fy} is not in the horizon ({', '.join(years.index)})")
        row = years.loc[fy]
        comment = "published at full-year rates"
        if row["months"] < 12 - 1e-9:
            comment += (
                f"; with {row['months']:g} months under this scenario (the months before the start at the "
                f"old cost), the in-year gap is {fmt_gbp_k(row['gap'])}"
            )
        add(f"Shortfall {fy}", value, float(row["gap_full_year"]), True, comment)
    return pd.DataFrame(rows, columns=[*cols, "_money"])


def days_balance(results: Sequence[CapacityResult]) -> pd.DataFrame:
    """SIP days needed (by the allocation) vs supplied, per scenario: slack (+) or shortfall (-)."""
    return pd.DataFrame(
        [
            {
                "scenario": r.name,
                "days_needed": r.days_needed,
                "days_supplied": r.days_supplied,
                "balance": r.balance,
                "status": "slack" if r.balance >= 0 else "shortfall of days",
            }
            for r in results
        ]
    )


def financial_years_table(result: CapacityResult) -> pd.DataFrame:
    """Per financial year: months under the scenario, cost in year, funding, gap in year and at full-year
    rates (what the council's table prints)."""
    y = result.years
    return pd.DataFrame(
        {
            "financial year": y["fy"],
            "months under this scenario": y["months"].round(2),
            "cost in year": y["cost"],
            "funding": y["funding"],
            "gap in year": y["gap"],
            "gap at full-year rates": y["gap_full_year"],
        }
    )


def compare(a: CapacityResult, b: CapacityResult) -> pd.DataFrame:
    """Line-by-line difference of two scenarios (full-year): ``a`` minus ``b`` is the additional cost."""

    def keyed(r: CapacityResult) -> pd.DataFrame:
        return r.lines.set_index(["kind", "name"])[["line", "days", "cost"]]

    la, lb = a.label, b.label
    if la == lb:
        la, lb = f"{la} (new)", f"{lb} (old)"
    ka, kb = keyed(a), keyed(b)
    keys = list(dict.fromkeys([*ka.index, *kb.index]))
    rows = []
    for key in keys:
        ra = ka.loc[key] if key in ka.index else None
        rb = kb.loc[key] if key in kb.index else None
        cost_a = float(ra["cost"]) if ra is not None else 0.0
        cost_b = float(rb["cost"]) if rb is not None else 0.0
        rows.append(
            {
                "line": key[1] if key[0] != "supplement" else "Market supplement",
                f"days: {lb}": float(rb["days"]) if rb is not None else np.nan,
                f"days: {la}": float(ra["days"]) if ra is not None else np.nan,
                f"cost: {lb}": cost_b,
                f"cost: {la}": cost_a,
                "change": cost_a - cost_b,
            }
        )
    rows.append(
        {
            "line": "Total (additional cost)",
            f"days: {lb}": b.days_supplied,
            f"days: {la}": a.days_supplied,
            f"cost: {lb}": b.cost_total,
            f"cost: {la}": a.cost_total,
            "change": a.cost_total - b.cost_total,
        }
    )
    return pd.DataFrame(rows)


def compare_years(a: CapacityResult, b: CapacityResult) -> pd.DataFrame:
    """Additional cost per financial year of moving from ``b`` to ``a`` at ``a``'s start date: the full-year
    difference times the share of each year under ``a`` (the part-year effect)."""
    diff = a.cost_total - b.cost_total
    return pd.DataFrame(
        {
            "financial year": a.years["fy"],
            "months under the new scenario": a.years["months"].round(2),
            "additional cost in year": diff * a.years["months"] / 12,
            "additional cost, full year": diff,
        }
    )


def cost_by_strand(result: CapacityResult) -> pd.DataFrame:
    """Cost per school and per pupil by strand: each strand's SIP days at the average cost of a SIP day
    supplied (total cost, overheads included, / days supplied). Days supplied beyond the allocation (slack:
    SIP work for other schools, e.g. secondary and special) appear as "Not allocated by strand"."""
    per_day = result.cost_per_day
    d = result.demand.groupby("strand", sort=False).agg(schools=("schools", "sum"), days=("days", "sum"))
    d = d.reindex([k for k in STRANDS if k in d.index])
    pupils = result.scenario.pupils or {}
    rows = []
    for strand, r in d.iterrows():
        cost = r["days"] * per_day
        n_pupils = pupils.get(strand)
        rows.append(
            {
                "strand": STRANDS[strand],
                "schools": int(r["schools"]),
                "days": r["days"],
                "days per school": r["days"] / r["schools"] if r["schools"] else np.nan,
                "cost": cost,
                "cost per school": cost / r["schools"] if r["schools"] else np.nan,
                "pupils": n_pupils if n_pupils is not None else np.nan,
                "cost per pupil": cost / n_pupils if n_pupils else np.nan,
            }
        )
    allocated = sum(r["cost"] for r in rows)
    if result.cost_total - allocated > 0.5:
        rows.append(
            {
                "strand": "Not allocated by strand (slack)",
                "schools": np.nan,
                "days": result.days_supplied - result.days_needed,
                "days per school": np.nan,
                "cost": result.cost_total - allocated,
                "cost per school": np.nan,
                "pupils": np.nan,
                "cost per pupil": np.nan,
            }
        )
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------------------------------------
# Break-even
# --------------------------------------------------------------------------------------------------------


def break_even(result: CapacityResult) -> pd.DataFrame:
    """For each employed line: its cost per SIP day delivered (salary; with market supplement; with the
    management posts shared over all employed days) against the external day rate.

    ``break_even_day_rate`` is the external day rate above which employing is cheaper per day delivered
    (equal to the employed cost per day); ``max_supplement`` is the market supplement per FTE at which
    employing costs the same per day as buying at the current external rate (negative: employing is dearer
    even with no supplement).
    """
    s = result.scenario
    ext = s.supply.external[0].day_rate if s.supply.external else np.nan
    employed_days = sum((e.fte - e.fte_outside_la) * e.days_per_fte for e in s.supply.employed)
    mgmt = sum(m.posts * (m.salary + m.market_supplement) for m in s.supply.management)
    rows = []
    for e in s.supply.employed:
        days = (e.fte - e.fte_outside_la) * e.days_per_fte
        if days <= 0:
            continue
        per_day_salary = e.fte * e.salary / days
        per_day_supp = e.fte * (e.salary + e.market_supplement) / days
        per_day_mgmt = per_day_supp + (mgmt / employed_days if employed_days else 0.0)
        days_per_paid_fte = days / e.fte
        rows.append(
            {
                "line": e.name,
                "external_day_rate": ext,
                "cost_per_day_salary": per_day_salary,
                "cost_per_day_with_supplement": per_day_supp,
                "cost_per_day_with_management": per_day_mgmt,
                "break_even_day_rate": per_day_supp,
                "break_even_day_rate_with_management": per_day_mgmt,
                "market_supplement": e.market_supplement,
                "max_supplement": ext * days_per_paid_fte - e.salary,
                "employed_cheaper": per_day_supp < ext,
                "employed_cheaper_with_management": per_day_mgmt < ext,
            }
        )
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------------------------------------
# Sensitivity
# --------------------------------------------------------------------------------------------------------

METRICS: dict[str, Callable[[CapacityResult], float]] = {
    "recurring_gap": lambda r: float(r.years["gap_full_year"].iloc[-1]),
    "horizon_gap": lambda r: float(r.years["gap"].sum()),
    "cost": lambda r: r.cost_total,
}


def _set(data: dict, path: Sequence[str | int], value: Any) -> None:
    cur: Any = data
    for p in path[:-1]:
        cur = cur[p]
    cur[path[-1]] = value


def _get(data: dict, path: Sequence[str | int]) -> Any:
    cur: Any = data
    for p in path:
        cur = cur[p]
    return cur


def modified(scenario: Scenario, changes: dict[tuple, Any]) -> Scenario:
    """A copy of ``scenario`` with values replaced at paths (``("supply", "external", 0, "day_rate")``),
    validated like a file (bad values raise :class:`ConfigError`)."""
    data = scenario.model_dump(mode="python")
    for path, value in changes.items():
        _set(data, path, value)
    new = scenario_from_dict(data, name=scenario.name)
    return new.model_copy(update={"source_path": scenario.source_path, "schools_source": scenario.schools_source})


def with_fte(scenario: Scenario, fte: float, line: int = 0, hold_days: bool = True) -> Scenario:
    """Change one employed line's FTE; with ``hold_days`` the first fixed-days external line gives up (or
    takes on) the days, so total days stay put where it can (the "FTE mix")."""
    e = scenario.supply.employed[line]
    changes: dict[tuple, Any] = {("supply", "employed", line, "fte"): fte}
    if e.fte_outside_la > fte:
        changes[("supply", "employed", line, "fte_outside_la")] = fte
    if hold_days:
        fixed = [i for i, x in enumerate(scenario.supply.external) if x.days != TO_MEET_DEMAND]
        if fixed and not any(x.days == TO_MEET_DEMAND for x in scenario.supply.external):
            i = fixed[0]
            here_old = (e.fte - e.fte_outside_la) * e.days_per_fte
            here_new = (fte - min(e.fte_outside_la, fte)) * e.days_per_fte
            days = float(scenario.supply.external[i].days) - (here_new - here_old)
            changes[("supply", "external", i, "days")] = max(0.0, days)
    return modified(scenario, changes)


def _sensitivity_inputs(s: Scenario) -> list[tuple[str, Callable[[float], Scenario], float]]:
    """(label, make scenario from a factor, base value) for every numeric input that can move the gap."""
    out: list[tuple[str, Callable[[float], Scenario], float]] = []

    def plain(label: str, path: tuple) -> None:
        base = _get(s.model_dump(mode="python"), path)
        if isinstance(base, int | float) and base:
            out.append((label, lambda f, p=path, b=base: modified(s, {p: b * f}), float(base)))

    for i, e in enumerate(s.supply.employed):
        plain(f"{e.name}: salary per FTE", ("supply", "employed", i, "salary"))
        plain(f"{e.name}: market supplement", ("supply", "employed", i, "market_supplement"))
        plain(f"{e.name}: days per FTE", ("supply", "employed", i, "days_per_fte"))
        out.append((f"{e.name}: FTE (external days adjust)", lambda f, i=i, b=e.fte: with_fte(s, b * f, i), e.fte))
    for i, x in enumerate(s.supply.external):
        plain(f"{x.name}: day rate", ("supply", "external", i, "day_rate"))
        if x.days != TO_MEET_DEMAND:
            plain(f"{x.name}: days bought", ("supply", "external", i, "days"))
    for i, m in enumerate(s.supply.management):
        plain(f"{m.name}: salary", ("supply", "management", i, "salary"))
        plain(f"{m.name}: market supplement", ("supply", "management", i, "market_supplement"))
    if s.funding.existing_budget != FROM_BASELINE:
        plain("Existing budget", ("funding", "existing_budget"))
    for i, f in enumerate(s.funding.lines):
        plain(f"{f.name}", ("funding", "lines", i, "annual_amount"))
    plain("Core days per school", ("allocation", "core_days"))
    for strand, by_risk in s.allocation.extra_days.items():
        for risk in by_risk:
            suffix = "" if risk == ALL else f" ({risk} risk)"
            plain(f"Extra days, {strand}{suffix}", ("allocation", "extra_days", strand, risk))
    return out


def sensitivity(
    scenario: Scenario | CapacityResult, change: float = 0.10, metric: str = "recurring_gap"
) -> pd.DataFrame:
    """One input at a time moved by -``change`` and +``change`` (10%): the change in ``metric`` (see
    :data:`METRICS`), largest swing first. Inputs that do not move the metric are left out."""
    if metric not in METRICS:
        raise ValueError(f"metric must be one of {', '.join(METRICS)}")
    base_result = scenario if isinstance(scenario, CapacityResult) else evaluate(scenario)
    s = base_result.scenario
    baseline = base_result.baseline
    measure = METRICS[metric]
    base_value = measure(base_result)
    rows = []
    for label, make, value in _sensitivity_inputs(s):
        low = measure(evaluate(make(1 - change), baseline=baseline))
        high = measure(evaluate(make(1 + change), baseline=baseline))
        if abs(high - low) < 0.5:
            continue
        rows.append(
            {
                "input": label,
                "base_value": value,
                "low_value": value * (1 - change),
                "high_value": value * (1 + change),
                "change_low": low - base_value,
                "change_high": high - base_value,
                "swing": abs(high - low),
            }
        )
    out = pd.DataFrame(
        rows, columns=["input", "base_value", "low_value", "high_value", "change_low", "change_high", "swing"]
    )
    out = out.sort_values("swing", ascending=False, ignore_index=True)
    out.attrs.update({"metric": metric, "base": base_value, "change": change})
    return out


# --------------------------------------------------------------------------------------------------------
# Charts
# --------------------------------------------------------------------------------------------------------


# --------------------------------------------------------------------------------------------------------
# Live sliders (JupyterLab only; papermill runs keep the static tables)
# --------------------------------------------------------------------------------------------------------


def apply_sliders(scenario: Scenario, values: dict[str, Any]) -> Scenario:
    """The scenario with the slider values of :func:`interactive_panel` applied.

    Keys: ``day_rate`` (first external line), ``fill`` (that line buys days to meet the demand), ``fte``
    (first employed line; with ``fill`` off the external days give up or take on the difference),
    ``supplement`` (per FTE on employed lines, and on management posts that had the same supplement),
    ``core`` (core days) and ``extra:<strand>:<risk>`` (extra days).
    """
    scen = scenario
    if "fte" in values and scen.supply.employed:
        scen = with_fte(scen, float(values["fte"]), 0, hold_days=not values.get("fill", False))
    changes: dict[tuple, Any] = {}
    if "day_rate" in values and scen.supply.external:
        changes[("supply", "external", 0, "day_rate")] = float(values["day_rate"])
        if values.get("fill"):
            changes[("supply", "external", 0, "days")] = TO_MEET_DEMAND
    if "supplement" in values:
        for i in range(len(scen.supply.employed)):
            changes[("supply", "employed", i, "market_supplement")] = float(values["supplement"])
        # management posts on the same supplement as the employed SIPs follow it (Derby's "x5" = 4 SIPs + manager)
        same = scenario.supply.employed[0].market_supplement if scenario.supply.employed else 0.0
        for i, m in enumerate(scen.supply.management):
            if same and m.market_supplement == same:
                changes[("supply", "management", i, "market_supplement")] = float(values["supplement"])
    if "core" in values:
        changes[("allocation", "core_days")] = float(values["core"])
    for key, value in values.items():
        if key.startswith("extra:"):
            _, strand, risk = key.split(":")
            changes[("allocation", "extra_days", strand, risk)] = float(value)
    return modified(scen, changes) if changes else scen


# --------------------------------------------------------------------------------------------------------
# One-line readings of the tables and charts (the notebook prints them under each)
# --------------------------------------------------------------------------------------------------------
