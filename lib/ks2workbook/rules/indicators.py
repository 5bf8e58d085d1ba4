"""The LA-level indicators the reports show, as data (``indicators.yaml``): which, in what order, under which
short name and unit. One place for the names a reader sees instead of LAIT's codes."""

from __future__ import annotations

from functools import cache
from typing import Literal

from pydantic import BaseModel, ConfigDict

from ..core.paths import rules_dir
from ..core.safe_yaml import read_yaml

FILE = "indicators.yaml"


class Indicator(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str
    unit: Literal["percent", "scaled score", "progress"]


class IndicatorSets(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    headline: str
    groups: dict[Literal["headline_set", "subjects", "disadvantaged", "context"], dict[str, Indicator]]


@cache
def sets() -> IndicatorSets:
    file = read_yaml(rules_dir() / FILE, shown=f"ks2workbook/rules/{FILE}", kind="indicator list")
    return file.validate(IndicatorSets)


def headline() -> str:
    """The LAIT code of the headline measure (% meeting the expected standard in RWM)."""
    return sets().headline


def group(name: str) -> dict[str, Indicator]:
    return dict(sets().groups[name])  # type: ignore[index]


def codes(name: str) -> list[str]:
    return list(group(name))


def info(code: str) -> Indicator | None:
    """The short name and unit of an indicator shown anywhere, or None for one not listed."""
    for members in sets().groups.values():
        if code in members:
            return members[code]
    return None


def unit_of(code: str) -> str:
    """``percent``, ``scaled score`` or ``progress``; LAIT codes not listed are read by their code."""
    found = info(code)
    if found is not None:
        return found.unit
    return "progress" if "Prog" in code else ("scaled score" if "Scaled" in code else "percent")
