"""Capacity-cost scenario files: the YAML format, its validation and error messages with line numbers.

A scenario says how many SIP (School Improvement Partner) days each school gets by WCPP strand and risk
level, how many schools are in each strand, what supplies the days (LA-employed SIPs, bought-in external
SIPs, management posts) and how it is funded (existing budget, budget growth, grants with start and end
dates). ``scenarios/README.md`` describes the format; ``scenarios/derby_2010_*.yaml`` are worked examples.

Why a separate module: the engine (:mod:`ks2workbook.capacity`) only ever sees a validated :class:`Scenario`;
everything a council can get wrong in the file is caught here and reported as a :class:`ConfigError` naming
the file, the line and the field (``supply.employed[0].fte``), never as a pydantic traceback. Reading the
file and wording the errors is :mod:`ks2workbook.config`'s (shared with the floor and strand rule files); the
checks across fields that make a scenario consistent stay here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainValidator,
    ValidationInfo,
    field_validator,
)

from ..core.errors import ConfigError, WorkbookError
from ..core.paths import scenarios_dir
from ..core.safe_yaml import Loc, Problem, YamlFile, read_yaml
from .strands import STRANDS

# --------------------------------------------------------------------------------------------------------
# Strands and risk levels
# --------------------------------------------------------------------------------------------------------

#: Risk levels a strand's allocation may be split by (Sefton: +3 high, +1-2 medium, 0 low). ``all`` is what a
#: plain number means: one allocation, or one count, for every school in the strand.
RISK_LEVELS: tuple[str, ...] = ("high", "medium", "low")
ALL = "all"

TO_MEET_DEMAND = "to_meet_demand"
FROM_BASELINE = "baseline"
FROM_ANALYSIS = "from_analysis"


def _check_strand(value: str) -> str:
    if value not in STRANDS:
        raise ValueError(f"'{value}' is not a strand name; the strands are: {', '.join(STRANDS)}")
    return value


def _check_risk(value: str) -> str:
    if value not in (*RISK_LEVELS, ALL):
        raise ValueError(
            f"'{value}' is not a risk level; use {', '.join(RISK_LEVELS)} (or a plain number for all schools)"
        )
    return value


def _number_to_all(value: Any) -> Any:
    """``5`` means "5 for every school in the strand": stored as ``{"all": 5}`` so one shape is validated."""
    if isinstance(value, bool):
        return value  # let the number check reject it
    if isinstance(value, int | float):
        return {ALL: value}
    return value


StrandKey = Annotated[str, PlainValidator(lambda v: _check_strand(str(v)))]
RiskKey = Annotated[str, PlainValidator(lambda v: _check_risk(str(v)))]
NonNeg = Annotated[float, Field(ge=0)]
NonNegInt = Annotated[int, Field(ge=0)]
ByRisk = Annotated[dict[RiskKey, NonNeg], BeforeValidator(_number_to_all)]
CountByRisk = Annotated[dict[RiskKey, NonNegInt], BeforeValidator(_number_to_all)]


def _days_or_fill(value: Any) -> float | str:
    if value == TO_MEET_DEMAND:
        return TO_MEET_DEMAND
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ValueError(f"expected a number of days (0 or more) or '{TO_MEET_DEMAND}', got {value!r}")
    return float(value)


def _amount_or_baseline(value: Any) -> float | str:
    if value == FROM_BASELINE:
        return FROM_BASELINE
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ValueError(
            f"expected an amount in pounds a year (0 or more) or '{FROM_BASELINE}' (the full-year cost of "
            f"the baseline scenario), got {value!r}"
        )
    return float(value)


# --------------------------------------------------------------------------------------------------------
# The model
# --------------------------------------------------------------------------------------------------------


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Allocation(_Model):
    """SIP days a year per school: ``core_days`` for every school plus ``extra_days`` by strand and risk."""

    core_days: NonNeg
    extra_days: dict[StrandKey, ByRisk] = Field(default_factory=dict)


class EmployedSIPs(_Model):
    """LA-employed SIPs. Paid for ``fte``; deliver days here for ``fte - fte_outside_la``."""

    name: str = "LA-employed SIPs"
    fte: NonNeg
    days_per_fte: Annotated[float, Field(gt=0, le=366)]
    salary: NonNeg  # pounds a year per FTE, including on-costs
    market_supplement: NonNeg = 0  # pounds a year per FTE
    fte_outside_la: NonNeg = 0  # FTE paid by the LA but working outside it (no SIP days here)
    note: str = ""

    @field_validator("fte_outside_la")
    @classmethod
    def _outside_not_more_than_fte(cls, value: float, info: ValidationInfo) -> float:
        fte = info.data.get("fte")
        if fte is not None and value > fte:
            raise ValueError(f"{value:g} FTE outside the LA is more than the {fte:g} FTE employed")
        return value


class ExternalSIPs(_Model):
    """SIP days bought by the day. ``days: to_meet_demand`` buys whatever the other lines leave unmet."""

    name: str = "External SIPs"
    day_rate: NonNeg
    days: Annotated[float | str, PlainValidator(_days_or_fill)]
    note: str = ""


class ManagementPost(_Model):
    """A post that delivers no SIP days (a SIP manager): salary a year per post, including on-costs."""

    name: str
    posts: NonNeg = 1
    salary: NonNeg
    market_supplement: NonNeg = 0
    note: str = ""


class Supply(_Model):
    employed: list[EmployedSIPs] = Field(default_factory=list)
    external: list[ExternalSIPs] = Field(default_factory=list)
    management: list[ManagementPost] = Field(default_factory=list)


class FundingLine(_Model):
    """Money a year from ``start`` to ``end`` (inclusive; no end = ongoing), pro rata for part years."""

    name: str
    kind: Literal["budget_growth", "grant", "other"] = "other"
    annual_amount: NonNeg
    start: dt.date
    end: dt.date | None = None
    note: str = ""

    @field_validator("end")
    @classmethod
    def _end_after_start(cls, value: dt.date | None, info: ValidationInfo) -> dt.date | None:
        start = info.data.get("start")
        if value is not None and start is not None and value < start:
            raise ValueError(f"ends ({value.isoformat()}) before it starts ({start.isoformat()})")
        return value


class Funding(_Model):
    existing_budget: Annotated[float | str, PlainValidator(_amount_or_baseline)] = 0.0
    lines: list[FundingLine] = Field(default_factory=list)


class Published(_Model):
    """Figures printed in the council's own table, checked against the engine (costs in pounds)."""

    source: str = ""
    days: dict[str, NonNeg] = Field(default_factory=dict)  # by line name, "subtotal", "total"
    cost: dict[str, NonNeg] = Field(default_factory=dict)  # by line name, "subtotal", "total"
    additional_cost: float | None = None
    shortfall: dict[str, float] = Field(default_factory=dict)  # by financial year "2010-11"


class Scenario(_Model):
    name: str
    description: str = ""
    #: What the days are called in the reports: "improvement adviser" today, "SIP" in the 2010 files.
    term: str = Field(default="improvement adviser", min_length=1, max_length=40)
    la_code: int | None = None
    start: dt.date
    horizon_years: Annotated[int, Field(ge=1, le=20)] = 3
    baseline: str | None = None  # scenario file in force before `start` (relative to this file)
    allocation: Allocation
    schools: dict[StrandKey, CountByRisk]
    pupils: dict[StrandKey, NonNegInt] | None = None
    supply: Supply
    funding: Funding = Field(default_factory=Funding)
    published: Published | None = None

    # set by load_scenario, not by the file
    source_path: Path | None = Field(default=None, exclude=True)
    schools_source: str = Field(default="entered", exclude=True)


# --------------------------------------------------------------------------------------------------------
# Checks across fields (after pydantic)
# --------------------------------------------------------------------------------------------------------


def _cross_checks(s: Scenario) -> list[Problem]:
    problems: list[Problem] = []
    for strand, counts in s.schools.items():
        extra = s.allocation.extra_days.get(strand, {})
        if ALL in counts and len(counts) > 1:
            problems.append((("schools", strand), "give either one number or counts by risk level, not both"))
        if ALL in extra and len(extra) > 1:
            problems.append(
                (
                    ("allocation", "extra_days", strand),
                    "give either one number or days by risk level, not both",
                )
            )
        by_risk = [k for k in extra if k != ALL]
        if by_risk and ALL in counts and counts[ALL] > 0:
            problems.append(
                (
                    ("schools", strand),
                    f"extra_days for {strand} is set by risk level ({', '.join(by_risk)}), so give the "
                    f"number of schools by risk level too",
                )
            )
        if by_risk:
            for risk, n in counts.items():
                if risk != ALL and risk not in extra and n > 0:
                    problems.append(
                        (
                            ("schools", strand, risk),
                            f"no extra_days for risk level '{risk}' of {strand} (add it, even as 0)",
                        )
                    )
    for strand in s.allocation.extra_days:
        if strand not in s.schools:
            problems.append(
                (
                    ("allocation", "extra_days", strand),
                    f"extra days for {strand} but no schools.{strand} count",
                )
            )
    fill = [i for i, e in enumerate(s.supply.external) if e.days == TO_MEET_DEMAND]
    for i in fill[1:]:
        problems.append((("supply", "external", i, "days"), f"only one external line may have days: {TO_MEET_DEMAND}"))
    if s.funding.existing_budget == FROM_BASELINE and not s.baseline:
        problems.append(
            (("funding", "existing_budget"), f"'{FROM_BASELINE}' needs a baseline: scenario file at the top")
        )
    if not (s.supply.employed or s.supply.external):
        problems.append((("supply",), "no SIP days supplied: give at least one employed or external line"))
    return problems


# --------------------------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------------------------


def resolve_scenario_path(path: str | Path, relative_to: Path | None = None) -> Path:
    """A scenario path as given; else relative to ``relative_to`` (another scenario's folder); else to
    :func:`ks2workbook.paths.scenarios_dir`."""
    p = Path(path)
    candidates = [p]
    if not p.is_absolute():
        if relative_to is not None:
            candidates.append(relative_to / p)
        candidates.append(scenarios_dir() / p)
    for c in candidates:
        if c.is_file():
            return c.resolve()
    tried = ", ".join(str(c) for c in candidates)
    raise ConfigError(f"scenario file {str(path)!r} not found (looked at: {tried})")


def load_scenario(
    path: str | Path,
    *,
    strand_counts: Callable[[int | None], tuple[Mapping[str, int], str]] | None = None,
) -> Scenario:
    """Read and validate a scenario file; any problem is a :class:`ConfigError` naming file, line and field.

    ``schools: from_analysis`` asks the caller for the counts: ``strand_counts(la_code_in_file)`` returns the
    schools per strand key and a label saying where they came from (the analysis layer passes its strand
    analysis; rules never compute it).
    """
    resolved = resolve_scenario_path(path)
    try:
        shown = str(resolved.relative_to(scenarios_dir().parent))
    except ValueError:
        shown = str(resolved)
    file = read_yaml(resolved, shown=shown, kind="scenario file")
    data = file.mapping("name:, start:, ...")

    schools_source = "entered"
    if data.get("schools") == FROM_ANALYSIS:
        where = f"{shown}: line {file.line(('schools',))}: schools: {FROM_ANALYSIS}"
        if strand_counts is None:
            raise ConfigError(f"{where} needs an LA and a year to count the schools per strand")
        try:
            counts, schools_source = strand_counts(data.get("la_code"))
        except WorkbookError as exc:
            raise ConfigError(f"{where}: {exc}") from None
        data = {**data, "schools": {str(k): int(v) for k, v in counts.items() if k in STRANDS}}

    scenario = _validate(file, data)
    return scenario.model_copy(update={"source_path": resolved, "schools_source": schools_source})


def scenario_from_dict(data: Mapping[str, Any], name: str = "<scenario>") -> Scenario:
    """Validate a scenario given as a dict (sliders, sensitivity runs); same errors, no line numbers."""
    data = dict(data)
    return _validate(YamlFile(name, data), data)


def _validate(file: YamlFile, data: dict[str, Any]) -> Scenario:
    """pydantic's checks, then the cross-field ones, reported in the same form."""
    scenario = file.validate(Scenario, data, unknown_field=_unknown_field)
    problems = _cross_checks(scenario)
    if problems:
        raise file.error(problems)
    return scenario


def _unknown_field(loc: Loc) -> str:
    """A misspelt key is the usual cause: send the editor to the format's description."""
    return "unknown field (not part of the scenario format: check the spelling; see scenarios/README.md)"
