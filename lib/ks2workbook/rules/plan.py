"""The council's own improvement plan as data: the allocation of adviser days, the prices, the clusters or area
footprints, and who may support whom (school-to-school support).

Why files: each of these is a council decision, not a published rule, and each changes every year. A council
copies the example in ``plans/`` (or ``rules/support.yaml``), edits the numbers and passes it once for the pack
(``ks2workbook report --allocation-file ...``). The analyses (:mod:`ks2workbook.analyses.plan`,
:mod:`ks2workbook.analyses.support`) only ever see validated models; every mistake in a file is one
:class:`~ks2workbook.core.errors.ConfigError` naming the file, the line and the field.

``plans/README.md`` describes the formats field by field.
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from ..core.paths import council_file, plans_dir, rules_dir, shown
from ..core.safe_yaml import read_yaml
from .scenario import ByRisk, FundingLine, StrandKey
from .strands import STRANDS

#: The risk levels the allocation splits strands by (the pack's at-risk chance makes "high").
RiskLevel = Literal["high", "medium", "low"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


# ------------------------------------------------------------------------------------------------------------
# Allocation: adviser days per school by strand and risk level
# ------------------------------------------------------------------------------------------------------------


class AllocationFile(_Model):
    """Days a year per school: ``core_days`` for every school plus ``extra_days`` by strand (and risk level)."""

    name: str = Field(min_length=1, max_length=200)
    source: str = Field(default="", max_length=500)
    #: What the days are called: "improvement adviser" today; "SIP" (School Improvement Partner) in 2010 files.
    term: str = Field(default="improvement adviser", min_length=1, max_length=40)
    core_days: Annotated[float, Field(ge=0, le=100)]
    extra_days: dict[StrandKey, ByRisk] = Field(default_factory=dict)
    #: The level a school without a risk estimate (no earlier result to forecast from) is planned at.
    no_estimate_as: RiskLevel = "medium"
    note: str = Field(default="", max_length=1000)

    @field_validator("extra_days")
    @classmethod
    def _days_bounded(cls, value: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
        for strand, by_risk in value.items():
            for risk, days in by_risk.items():
                if days > 200:
                    raise ValueError(f"{strand} {risk}: {days:g} extra days a school is more than a year's work")
        return value


# ------------------------------------------------------------------------------------------------------------
# Prices: what a day costs, employed or bought in
# ------------------------------------------------------------------------------------------------------------

Pounds = Annotated[float, Field(ge=0, le=1_000_000)]


class EmployedPrice(_Model):
    """Advisers the council employs: salary plus on-costs per FTE, days each gives to schools a year."""

    name: str = "Employed improvement advisers"
    salary: Pounds
    on_cost_rate: Annotated[float, Field(ge=0, le=1)] = 0.0  # employer NI and pension, as a share of salary
    days_per_fte: Annotated[float, Field(gt=0, le=260)]
    #: Share of the days needed the council plans to give from employed advisers (the rest is bought in).
    share_of_demand: Annotated[float, Field(ge=0, le=1)] = 0.5
    note: str = Field(default="", max_length=500)

    @property
    def cost_per_fte(self) -> float:
        return self.salary * (1 + self.on_cost_rate)


class ExternalPrice(_Model):
    """Days bought in (associate advisers, system leaders): a day rate."""

    name: str = "Bought-in adviser days"
    day_rate: Annotated[float, Field(ge=0, le=10_000)]
    note: str = Field(default="", max_length=500)


class ManagementPrice(_Model):
    """A post that gives no days to schools (a head of school improvement): one for every
    ``advisers_per_post`` employed adviser FTE, pro rata (a council with two advisers pays a quarter of one)."""

    name: str
    salary: Pounds
    on_cost_rate: Annotated[float, Field(ge=0, le=1)] = 0.0
    advisers_per_post: Annotated[float, Field(gt=0, le=100)] = 8.0
    note: str = Field(default="", max_length=500)

    @property
    def cost_per_post(self) -> float:
        return self.salary * (1 + self.on_cost_rate)


class Budget(_Model):
    """Money the council has for the plan; without it the report shows the cost and no gap."""

    existing: Pounds
    lines: list[FundingLine] = Field(default_factory=list, max_length=50)


class PriceFile(_Model):
    name: str = Field(min_length=1, max_length=200)
    source: str = Field(default="", max_length=1000)
    employed: EmployedPrice
    external: ExternalPrice
    management: list[ManagementPrice] = Field(default_factory=list, max_length=10)
    budget: Budget | None = None
    horizon_years: Annotated[int, Field(ge=1, le=10)] = 3
    note: str = Field(default="", max_length=1000)


# ------------------------------------------------------------------------------------------------------------
# Clusters and area footprints
# ------------------------------------------------------------------------------------------------------------

Urn = Annotated[int, Field(ge=100000, le=999999)]


class Cluster(_Model):
    """One cluster: its schools by URN, and/or a centre school (``rule: nearest_centre`` gives each school of
    the LA to the nearest centre). ``advisers`` (FTE) or ``days`` says what the footprint is allocated."""

    name: str = Field(min_length=1, max_length=80)
    centre_urn: Urn | None = None
    urns: list[Urn] = Field(default_factory=list, max_length=2000)
    advisers: Annotated[float, Field(ge=0, le=100)] | None = None
    days: Annotated[float, Field(ge=0, le=50_000)] | None = None

    @model_validator(mode="after")
    def _one_allocation(self) -> Cluster:
        if self.advisers is not None and self.days is not None:
            raise ValueError("give either advisers (FTE) or days for a cluster, not both")
        return self


class ClusterFile(_Model):
    name: str = Field(min_length=1, max_length=200)
    la_code: Annotated[int, Field(ge=100, le=999)]
    #: True when the map is drawn for the example, not the council's own: every report says so.
    illustration: bool = False
    note: str = Field(default="", max_length=1000)
    rule: Literal["lists", "nearest_centre"] = "lists"
    clusters: list[Cluster] = Field(min_length=1, max_length=50)

    @model_validator(mode="after")
    def _consistent(self) -> ClusterFile:
        names = [c.name for c in self.clusters]
        doubles = sorted({n for n in names if names.count(n) > 1})
        if doubles:
            raise ValueError(f"cluster names must differ: {', '.join(doubles)} given twice")
        listed = [u for c in self.clusters for u in c.urns]
        twice = sorted({u for u in listed if listed.count(u) > 1})
        if twice:
            raise ValueError(f"a school is in one cluster only: URN {', '.join(map(str, twice[:5]))} listed twice")
        if self.rule == "nearest_centre":
            missing = [c.name for c in self.clusters if c.centre_urn is None]
            if missing:
                raise ValueError(f"rule nearest_centre needs a centre_urn for every cluster ({', '.join(missing)})")
        return self


# ------------------------------------------------------------------------------------------------------------
# School-to-school support
# ------------------------------------------------------------------------------------------------------------


def _known_strands(value: list[str]) -> list[str]:
    bad = [s for s in value if s not in STRANDS]
    if bad:
        raise ValueError(f"'{bad[0]}' is not a strand name; the strands are: {', '.join(STRANDS)}")
    return value


StrandList = Annotated[list[str], AfterValidator(_known_strands)]


class SupporterRule(_Model):
    """Who may support: schools in ``strands``, and/or schools meeting every criterion given here."""

    strands: StrandList = Field(default_factory=lambda: ["great"])
    rwm_at_least: Annotated[float, Field(ge=0, le=100)] | None = None
    good_or_better: bool = False  # latest inspection good or better (or its report-card equivalent)
    rwm_sd_below: Annotated[float, Field(gt=0, le=50)] | None = None  # stable results
    min_years: Annotated[int, Field(ge=2, le=10)] = 3
    not_at_risk: bool = True  # a school at risk itself does not support another

    @property
    def has_criteria(self) -> bool:
        return self.rwm_at_least is not None or self.good_or_better or self.rwm_sd_below is not None


class PartnerRule(_Model):
    """Who needs support: schools in ``strands``, at risk of falling below the bar, or stuck."""

    strands: StrandList = Field(default_factory=lambda: ["below_floor", "maximising_progress"])
    at_risk: bool = True
    stuck: bool = True


class SupportRules(_Model):
    name: str = Field(default="School-to-school support rules", max_length=200)
    supporters: SupporterRule = Field(default_factory=SupporterRule)
    partners: PartnerRule = Field(default_factory=PartnerRule)
    max_partners: Annotated[int, Field(ge=1, le=10)] = 2
    max_km: Annotated[float, Field(gt=0, le=200)] = 10.0
    same_cluster: bool = True
    #: How many km one percentage point of difference in the share of disadvantaged pupils weighs as.
    km_per_fsm_point: Annotated[float, Field(ge=0, le=10)] = 0.2


# ------------------------------------------------------------------------------------------------------------
# Reading
# ------------------------------------------------------------------------------------------------------------

SUPPORT_FILE = "support.yaml"


@cache
def _cached(path: str, mtime: float, model_name: str, kind: str) -> _Model:
    """One read per file version (the pack's notebooks each ask for the same files)."""
    file = read_yaml(path, shown=shown(path), kind=kind)
    file.mapping("name: ..., ...")
    return file.validate(
        _MODELS[model_name],
        unknown_field=lambda loc: f"unknown field (not part of the {kind} format: see plans/README.md)",
    )


_MODELS: dict[str, type[_Model]] = {
    "allocation": AllocationFile,
    "prices": PriceFile,
    "clusters": ClusterFile,
    "support": SupportRules,
}


def _load(path: str | Path, model_name: str, kind: str) -> _Model:
    found = council_file(path, kind, (plans_dir(), rules_dir()))
    return _cached(str(found), found.stat().st_mtime, model_name, kind)


def allocation(path: str | Path) -> AllocationFile:
    return _load(path, "allocation", "allocation file")  # type: ignore[return-value]


def prices(path: str | Path) -> PriceFile:
    return _load(path, "prices", "price file")  # type: ignore[return-value]


def clusters(path: str | Path) -> ClusterFile:
    return _load(path, "clusters", "cluster file")  # type: ignore[return-value]


def support_rules(path: str | Path | None = None) -> SupportRules:
    """The support rules: the council's file, else the workbook's ``rules/support.yaml``."""
    return _load(path or rules_dir() / SUPPORT_FILE, "support", "support rule file")  # type: ignore[return-value]


def plan_start(year: int) -> dt.date:
    """A plan for a year's results starts in the September of that year (results reach councils in July and
    are revised in December; the plan is for the school year that follows)."""
    return dt.date(year, 9, 1)
