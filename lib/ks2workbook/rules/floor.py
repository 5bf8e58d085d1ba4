"""Floor-standard rules as data: the national rules 2008-2019 (shipped YAML) and a council's local rules.

Why data, not code: the floor changed almost every year (DOMAIN.md section 7) and councils set their own "floor"
for years with no national one (e.g. "RWM below 65%" for 2022-2025). Every rule names its attainment test, its
progress conditions, its eligibility and its source, and the report prints which rule it applied and from which
file. Files are validated on load; a bad file raises :class:`ConfigError` naming the file, the field and the line
(read and worded by :mod:`ks2workbook.config`, like the scenario and strand files).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ..core.errors import ConfigError, NoDataError
from ..core.paths import project_root, rules_dir
from ..core.safe_yaml import read_yaml

NATIONAL_FILE = "floor_standards.yaml"

#: Measures the workbook has at school level (columns of ``school_results``). Level-era measures (2008-2015)
#: may be named in a rule, but no school-level file for those years is shipped, so they cannot be evaluated.
EVALUABLE_MEASURES = frozenset({"rwm_exp", "read_exp", "mat_exp", "gps_exp", "read_prog", "writ_prog", "mat_prog"})


class Threshold(BaseModel):
    """One condition: a school *fails* it when ``measure < below`` (equal to the threshold passes)."""

    model_config = ConfigDict(extra="forbid")
    measure: str = Field(description="column of school_results, or a level-era measure name")
    below: float | None = Field(description="fails when the value is strictly below this; null = not known")
    label: str = ""


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
    min_cohort: int | None = Field(default=11, ge=0, description="null = no cohort check (cohort not published)")
    exclude_closed: bool = True


class FloorRule(BaseModel):
    """The floor of one year: below the floor = fails the attainment test AND (if any) the progress test."""

    model_config = ConfigDict(extra="forbid")
    year: int = Field(ge=2000, le=2100)
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
        years = [r.year for r in rules]
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
        return f"{self.kind} rule for {self.rule.year} ({self.rule.label}), from {self.file}"


def _display_path(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(project_root()))
    except ValueError:
        return str(path)


def read_rule_file(path: str | Path) -> RuleFile:
    """Load and validate one rule file; :class:`ConfigError` names the file, field, line and what was expected."""
    path = Path(path)
    if not path.is_absolute() and not path.exists():
        candidate = project_root() / path
        path = candidate if candidate.exists() else path
    file = read_yaml(
        path,
        shown=_display_path(path),
        kind="floor rule file",
        hint="give a path to a YAML file like rules/local_floor_example.yaml",
    )
    file.mapping("name:, kind:, rules:")
    return file.validate(RuleFile)


def national_rules() -> dict[int, AppliedRule]:
    """The national floor rules, one per year, from the shipped ``rules/floor_standards.yaml``."""
    path = rules_dir() / NATIONAL_FILE
    parsed = read_rule_file(path)
    return {r.year: AppliedRule(r, "national", f"ks2workbook/rules/{NATIONAL_FILE}", parsed.name) for r in parsed.rules}


def local_rules(path: str | Path | None) -> dict[int, AppliedRule]:
    """A council's local rules (empty when ``path`` is None or empty)."""
    if not path:
        return {}
    parsed = read_rule_file(path)
    shown = _display_path(Path(path) if Path(path).exists() else project_root() / path)
    return {r.year: AppliedRule(r, "local", shown, parsed.name) for r in parsed.rules}


def all_rules(local_rule_file: str | Path | None = None) -> dict[int, AppliedRule]:
    """National rules, with local rules added for years without a national floor.

    A local rule for a year that has a national rule is refused: a council cannot silently replace the national
    floor in a report (name the difference in a separate analysis instead).
    """
    rules = national_rules()
    local = local_rules(local_rule_file)
    clash = sorted(y for y in set(local) & set(rules) if not rules[y].rule.withdrawn)
    if clash:
        raise ConfigError(
            f"{local_rule_file}: local rules for {clash} clash with the national floor for those years; "
            "a local rule may only cover years with no national floor (2019 onward)"
        )
    return dict(sorted({**rules, **local}.items()))


def rule_for(year: int, local_rule_file: str | Path | None = None) -> AppliedRule:
    """The rule applied in ``year``, or :class:`NoDataError` saying which years have one."""
    try:
        year = int(year)
    except (TypeError, ValueError):
        raise NoDataError(f"year {year!r} is not a year (give e.g. 2018)") from None
    rules = all_rules(local_rule_file)
    if year not in rules or rules[year].rule.withdrawn:
        usable = ", ".join(str(y) for y, r in rules.items() if r.rule.evaluable)
        hint = "" if local_rule_file else "; pass a local rule file (e.g. rules/local_floor_example.yaml) to set one"
        raise NoDataError(
            f"no floor standard for {year}: there is no national floor after 2018 and no local rule for it{hint}. "
            f"Years with a rule we can apply to school data: {usable} (the 2008-2015 rules are recorded, but no "
            "school-level file for those years is shipped)."
        )
    return rules[year]
