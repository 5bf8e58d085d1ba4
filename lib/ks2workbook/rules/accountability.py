"""Today's accountability rules as data: how Ofsted's frameworks compare (``ofsted_frameworks.yaml``) and the
two definitions of a coasting school (``coasting.yaml``), validated on load, with the one function that tests a
condition of those files against a table of inspections.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..core.paths import council_file, project_root, rules_dir, shown
from ..core.safe_yaml import read_yaml
from .floor import Eligibility, Threshold

FRAMEWORKS_FILE = "ofsted_frameworks.yaml"
COASTING_FILE = "coasting.yaml"
FRAMEWORKS = ("graded", "no_overall_grade", "report_card")
#: The judgement columns a condition may name (see the ``ofsted`` table), and the wildcards.
JUDGEMENTS = (
    "grade", "sj_education", "sj_behaviour", "sj_personal", "sj_leadership", "sj_early_years", "sj_sixth_form",
    "rc_inclusion", "rc_curriculum", "rc_achievement", "rc_behaviour", "rc_personal", "rc_early_years", "rc_post16",
    "rc_leadership", "safeguarding", "concern",
)  # fmt: skip
WILDCARDS = {"rc_*": lambda c: c.startswith("rc_"), "rc_other": lambda c: c.startswith("rc_") and c != "rc_leadership"}
Value = int | str


class Condition(BaseModel):
    """``any``/``all``/``none`` of judgements having one of the listed values (all three must hold if given)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    any: dict[str, list[Value]] = Field(default_factory=dict)
    all: dict[str, list[Value]] = Field(default_factory=dict)
    none: dict[str, list[Value]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _known_judgements(self) -> Condition:
        names = [*self.any, *self.all, *self.none]
        unknown = [n for n in names if n not in JUDGEMENTS and n not in WILDCARDS]
        if unknown:
            raise ValueError(f"unknown judgement {unknown[0]!r}; judgements: {', '.join(JUDGEMENTS)}, rc_*, rc_other")
        if not names:
            raise ValueError("a condition needs at least one of any:, all:, none:")
        return self


class FrameworkMap(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    requires_improvement: Condition
    below_good: Condition
    in_category: Condition
    outstanding: Condition
    good_or_better: Condition


class ReportCardCategories(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    special_measures: Condition
    requires_significant_improvement: Condition


class PublishedCount(BaseModel):
    """A count the DfE published, kept beside the rule it rests on so a report can set ours against it."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    as_of: str = Field(pattern=r"^\d{4}-\d{2}-\d{2}$")
    schools: int = Field(ge=0)
    primary: int | None = Field(default=None, ge=0)
    source: str


class FrameworkFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str
    source: str = ""
    frameworks: dict[Literal["graded", "no_overall_grade", "report_card"], FrameworkMap]
    report_card_categories: ReportCardCategories
    published_stuck_counts: list[PublishedCount] = Field(default_factory=list)

    @model_validator(mode="after")
    def _every_framework(self) -> FrameworkFile:
        missing = [f for f in FRAMEWORKS if f not in self.frameworks]
        if missing:
            raise ValueError(f"frameworks: needs an entry for each of {', '.join(FRAMEWORKS)} (missing {missing})")
        return self


class Progress(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    combine: Literal["any", "all"] = "any"
    significant: bool = True
    conditions: list[Threshold] = Field(min_length=1)


class CoastingData(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    source: str
    years_in_a_row: int = Field(ge=1, le=10)
    attainment: Threshold
    progress: Progress
    eligibility: Eligibility = Eligibility()
    published_counts: dict[int, int] = Field(default_factory=dict)


class CoastingOfsted(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    source: str
    latest: dict[Literal["graded", "no_overall_grade", "report_card"], Condition]
    previous: dict[Literal["graded", "no_overall_grade", "report_card"], Condition]


class CoastingFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str
    data_rule: CoastingData
    ofsted_rule: CoastingOfsted


def _read(path: str | Path | None, default: str, model: type[BaseModel], kind: str):
    if path:
        found = council_file(path, kind, (project_root() / "rules",))
        file = read_yaml(found, shown=shown(found), kind=kind)
    else:
        found = rules_dir() / default
        file = read_yaml(found, shown=f"ks2workbook/rules/{default}", kind=kind)
    file.mapping("name:, ...")
    return file.validate(model)


@cache
def _frameworks(path: str) -> FrameworkFile:
    return _read(path or None, FRAMEWORKS_FILE, FrameworkFile, "framework mapping file")


def frameworks(path: str | Path | None = None) -> FrameworkFile:
    """The framework mapping (the shipped one, or a council's copy)."""
    return _frameworks(str(path or ""))


@cache
def _coasting(path: str) -> CoastingFile:
    return _read(path or None, COASTING_FILE, CoastingFile, "coasting rule file")


def coasting(path: str | Path | None = None) -> CoastingFile:
    return _coasting(str(path or ""))


def _columns(name: str, frame: pd.DataFrame) -> list[str]:
    if name in WILDCARDS:
        return [c for c in frame.columns if WILDCARDS[name](c)]
    return [name] if name in frame.columns else []


def holds(condition: Condition, frame: pd.DataFrame) -> pd.Series:
    """Where ``condition`` holds for each row of ``frame`` (inspections with the ``ofsted`` table's columns)."""

    def has(col: str, values: list[Value]) -> pd.Series:
        column = frame[col]
        as_text = column.astype("string").isin([str(v) for v in values])  # grades held as numbers or as text
        return as_text.fillna(False).astype(bool)

    result = pd.Series(True, index=frame.index)
    if condition.any:
        hit = pd.Series(False, index=frame.index)
        for name, values in condition.any.items():
            for col in _columns(name, frame):
                hit |= has(col, values)
        result &= hit
    for name, values in condition.all.items():
        cols = _columns(name, frame)
        result &= np.logical_and.reduce([has(c, values) for c in cols]) if cols else False
    for name, values in condition.none.items():
        for col in _columns(name, frame):
            result &= ~has(col, values)
    return result
