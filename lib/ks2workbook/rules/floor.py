"""Floor-standard rules as data: the national rules 2008-2019 (shipped YAML) and a council's local rules.

Sources: docs/domain/floor_and_coasting.md.

Why data, not code: the floor changed almost every year and councils set their own "floor"
for years with no national one (e.g. "RWM below 65%" for 2022-2025). Every rule names its attainment test, its
progress conditions, its eligibility and its source, and the report prints which rule it applied and from which
file. Files are validated on load; a bad file raises :class:`ConfigError` naming the file, the field and the line
(read and worded by :mod:`ks2workbook.config`, like the scenario and strand files).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ..core.errors import ConfigError, NoDataError
from ..core.paths import council_file, project_root, rules_dir, shown
from ..core.safe_yaml import read_yaml

NATIONAL_FILE = "floor_standards.yaml"

#: Measures the workbook has at school level (columns of ``school_results``). Level-era measures (2008-2015)
#: may be named in a rule, but no school-level file for those years is shipped, so they cannot be evaluated.
EVALUABLE_MEASURES = frozenset({"rwm_exp", "read_exp", "mat_exp", "gps_exp", "read_prog", "writ_prog", "mat_prog"})


#: The range a threshold may take, by kind of measure: percentages 0-100, progress scores (national mean 0,
#: school scores rarely beyond +/-15) within +/-30. A value outside is a typo (``165``), not a rule.
PERCENT_MEASURES = ("_exp", "_high")
PROGRESS_RANGE = 30.0


class Threshold(BaseModel):
    """One condition: a school *fails* it when ``measure < below`` (equal to the threshold passes)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
    measure: str = Field(description="column of school_results, or a level-era measure name")
    below: float | None = Field(description="fails when the value is strictly below this; null = not known")
    label: str = ""

    @model_validator(mode="after")
    def _in_range(self) -> Threshold:
        if self.below is None:
            return self
        if self.measure.endswith(PERCENT_MEASURES) and not 0 < self.below <= 100:
            raise ValueError(f"a percentage threshold is above 0 and at most 100 (got {self.below:g})")
        if self.measure.endswith("_prog") and not -PROGRESS_RANGE <= self.below <= PROGRESS_RANGE:
            raise ValueError(
                f"a progress threshold is between -{PROGRESS_RANGE:g} and {PROGRESS_RANGE:g} (got {self.below:g})"
            )
        return self


class Progress(BaseModel):
    """Progress conditions: ``any`` = failing one subject fails the test (2016-2018), ``all`` = must fail all."""

    model_config = ConfigDict(extra="forbid")
    combine: Literal["any", "all"] = "any"
    conditions: list[Threshold] = Field(min_length=1)
    #: 2018: a school failing progress in exactly one subject also needs that subject significantly below
    #: average (upper confidence limit < 0).
    single_subject_significant: bool = False


class Eligibility(BaseModel):
    model_config = ConfigDict(extra="forbid")
    mainstream_state: bool = True
    min_cohort: int | None = Field(default=11, ge=0, le=200, description="null = no cohort check (none published)")
    exclude_closed: bool = True


class FloorRule(BaseModel):
    """The floor of one year (``year``), or of every year from ``from_year`` that has no national floor (a local
    rule that need not be edited each year): below the floor = fails the attainment test AND (if any) the
    progress test."""

    model_config = ConfigDict(extra="forbid")
    year: int | None = Field(default=None, ge=2000, le=2100)
    from_year: int | None = Field(default=None, ge=2000, le=2100)
    label: str
    #: True for a year with no floor (2019 on: withdrawn); attainment and progress are then left out.
    withdrawn: bool = False
    attainment: Threshold | None = None
    progress: Progress | None = None
    eligibility: Eligibility = Eligibility()
    published_count: int | None = None
    source: str = ""
    note: str = ""

    @model_validator(mode="after")
    def _significance_needs_any(self) -> FloorRule:
        if (self.year is None) == (self.from_year is None):
            raise ValueError("give either year: (one year) or from_year: (every later year too), not both")
        if not self.withdrawn and self.attainment is None:
            raise ValueError("a floor rule needs an attainment test (or withdrawn: true for a year with no floor)")
        if self.progress and self.progress.single_subject_significant and self.progress.combine != "any":
            raise ValueError("single_subject_significant only makes sense with combine: any")
        return self

    @property
    def measures(self) -> list[str]:
        if self.attainment is None:
            return []
        return [self.attainment.measure] + [c.measure for c in (self.progress.conditions if self.progress else [])]

    @property
    def evaluable(self) -> bool:
        """True when every measure is a school_results column and every threshold is known."""
        if self.withdrawn or self.attainment is None:
            return False
        conds = [self.attainment] + (self.progress.conditions if self.progress else [])
        return all(c.measure in EVALUABLE_MEASURES and c.below is not None for c in conds)


class RuleFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    kind: Literal["national", "local"]
    rules: list[FloorRule] = Field(min_length=1)

    @field_validator("rules")
    @classmethod
    def _one_rule_per_year(cls, rules: list[FloorRule]) -> list[FloorRule]:
        """On the field, not the model, so the message points at the ``rules:`` line rather than line 1."""
        if sum(r.from_year is not None for r in rules) > 1:
            raise ValueError("at most one rule with from_year: (it covers every later year)")
        years = [r.year for r in rules if r.year is not None]
        dupes = sorted({y for y in years if years.count(y) > 1})
        if dupes:
            raise ValueError(f"more than one rule for year(s) {dupes}: one entry per year")
        return rules


@dataclass(frozen=True)
class AppliedRule:
    """A rule together with where it came from (shown in every report)."""

    rule: FloorRule
    kind: str  # "national" or "local"
    file: str  # path relative to the project root where possible
    file_name: str  # the file's own `name:` field

    @property
    def description(self) -> str:
        return f"{self.kind} rule for {self.rule.year} ({self.rule.label})"


def read_rule_file(path: str | Path, *, shipped: bool = False) -> RuleFile:
    """Load and validate one rule file; :class:`ConfigError` names the file, field, line and what was expected.
    A council's file must be inside the workbook's folder (:func:`ks2workbook.core.paths.council_file`)."""
    found = Path(path) if shipped else council_file(path, "floor rule file", (project_root() / "rules",))
    file = read_yaml(found, shown=shown(found) if not shipped else f"ks2workbook/rules/{found.name}",
                     kind="floor rule file")  # fmt: skip
    file.mapping("name:, kind:, rules:")
    return file.validate(RuleFile)


def national_rules() -> dict[int, AppliedRule]:
    """The national floor rules, one per year, from the shipped ``rules/floor_standards.yaml``."""
    parsed = _national()
    return {r.year: AppliedRule(r, "national", f"ks2workbook/rules/{NATIONAL_FILE}", parsed.name) for r in parsed.rules}


@cache
def _national() -> RuleFile:
    return read_rule_file(rules_dir() / NATIONAL_FILE, shipped=True)


def latest_national_rule() -> FloorRule:
    """The last national floor with an attainment and a progress test (2018's): its thresholds are the bars the
    workbook uses where a council has set none (the risk threshold, the floor model's progress margins)."""
    evaluable = [r for r in _national().rules if not r.withdrawn and r.evaluable and r.progress is not None]
    return max(evaluable, key=lambda r: r.year)


def default_threshold() -> float:
    """The attainment bar (% RWM at the expected standard) of the last national floor: 65."""
    rule = latest_national_rule()
    return float(rule.attainment.below)


def progress_bars(rule: FloorRule | None = None) -> dict[str, float]:
    """A floor rule's progress bars by measure (``read_prog``: -5...), the last national floor's by default."""
    rule = rule or latest_national_rule()
    return {c.measure: float(c.below) for c in (rule.progress.conditions if rule.progress else [])}


def file_key(path: str | Path | None) -> str:
    """A key for caches of results that depend on a council's rule file: its path and content hash ("" for
    none), so an edited file is re-read and an unchanged one is not."""
    if not path:
        return ""
    import hashlib

    found = council_file(path, "floor rule file", (project_root() / "rules",))
    return f"{found}|{hashlib.sha256(found.read_bytes()).hexdigest()}"


def local_rules(path: str | Path | None, years: list[int] | None = None) -> dict[int, AppliedRule]:
    """A council's local rules (empty when ``path`` is None or empty). A ``from_year`` rule stands for every
    year from then in ``years`` (the years with data)."""
    if not path:
        return {}
    found = council_file(path, "floor rule file", (project_root() / "rules",))
    parsed = read_rule_file(found)
    out: dict[int, AppliedRule] = {}
    for r in parsed.rules:
        if r.year is not None:
            out[r.year] = AppliedRule(r, "local", shown(found), parsed.name)
    for r in parsed.rules:
        if r.from_year is not None:
            for y in years or []:
                if y >= r.from_year and y not in out:
                    out[y] = AppliedRule(r.model_copy(update={"year": y}), "local", shown(found), parsed.name)
    return out


def all_rules(local_rule_file: str | Path | None = None, years: list[int] | None = None) -> dict[int, AppliedRule]:
    """National rules, with local rules added for years without a national floor (``years``: the years with data,
    over which a ``from_year`` local rule is spread).

    A local rule for a year that has a national rule is refused: a council cannot silently replace the national
    floor in a report (name the difference in a separate analysis instead).
    """
    rules = national_rules()
    national = {y for y, r in rules.items() if not r.rule.withdrawn}
    local = local_rules(local_rule_file, [y for y in (years or []) if y not in national])
    clash = sorted(set(local) & national)
    if clash:
        last = max(national)
        raise ConfigError(
            f"{Path(str(local_rule_file)).name}: local rules for {clash} clash with the national floor for those "
            f"years; a local rule may only cover years with no national floor (after {last})"
        )
    return dict(sorted({**rules, **local}.items()))


def rule_for(year: int, local_rule_file: str | Path | None = None, years: list[int] | None = None) -> AppliedRule:
    """The rule applied in ``year``, or :class:`NoDataError` saying which years have one."""
    try:
        year = int(year)
    except (TypeError, ValueError):
        raise NoDataError(f"year {year!r} is not a year (give e.g. 2018)") from None
    rules = all_rules(local_rule_file, sorted({*(years or []), year}))
    if year not in rules or rules[year].rule.withdrawn:
        national = [y for y, r in rules.items() if r.kind == "national" and not r.rule.withdrawn]
        usable = ", ".join(str(y) for y, r in rules.items() if r.rule.evaluable)
        hint = "" if local_rule_file else " (a council may set one in a local rule file)"
        raise NoDataError(
            f"no floor standard applies to {year}: the national floor ended after {max(national)} and no local "
            f"floor covers {year}{hint}. Years with a floor that school results can be judged by: {usable}"
        )
    return rules[year]
