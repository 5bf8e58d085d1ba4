"""WCPP strands as rules: the five strand keys, the criteria a council edits (``strands.yaml``) and their loading.

The World Class Primary Programme (DCSF, December 2009) asked LAs to place every primary school in one of five
strands and to differentiate support by strand. The criteria were local judgement; here they are data, validated
on load (a bad file names the file, field and line). The analysis that applies them is
:mod:`ks2workbook.analyses.strands`; the capacity scenarios use the strand keys defined here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from ..core.paths import council_file, project_root, rules_dir, shown
from ..core.safe_yaml import Loc, read_yaml

#: The five WCPP strands in their published order, with the labels reports use. The one definition of the
#: strand keys: criteria files, capacity scenarios and the analysis all use these.
STRANDS: dict[str, str] = {
    "below_floor": "Below floor and/or in an Ofsted category",
    "maximising_progress": "Needing to maximise progress",
    "inconsistent": "Inconsistent results",
    "good_to_great": "Good, capable of becoming great",
    "great": "Great, able to support others",
}

DEFAULT_FILE = "strands.yaml"
#: Assignment order: the first strand whose criteria a school meets (good_to_great: all the rest).
ORDER: tuple[str, ...] = ("below_floor", "maximising_progress", "inconsistent", "great", "good_to_great")
#: Table order, as the DCSF numbered the strands.
TABLE_ORDER: tuple[str, ...] = tuple(STRANDS)
PROGRESS_NAMES = {"read_prog": "reading", "writ_prog": "writing", "mat_prog": "maths"}


class _Rule(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
    label: str = Field(min_length=1, max_length=120)


class BelowFloor(_Rule):
    below_floor: bool = True
    in_category: bool = True


class MaximisingProgress(_Rule):
    progress_below: dict[Literal["read_prog", "writ_prog", "mat_prog"], Annotated[float, Field(ge=-30, le=30)]]
    progress_max_age: int = Field(default=2, ge=0, le=6)


class Inconsistent(_Rule):
    rwm_sd_at_least: float = Field(gt=0, le=100)
    min_years: int = Field(default=3, ge=2, le=20)


class Great(_Rule):
    rwm_at_least: float = Field(ge=0, le=100)
    mean_progress_at_least: float | None = Field(default=0.0, ge=-30, le=30)
    or_ofsted: Literal["outstanding", "good_or_better", "none"] = "outstanding"


class StrandSet(BaseModel):
    model_config = ConfigDict(extra="forbid")
    below_floor: BelowFloor
    maximising_progress: MaximisingProgress
    inconsistent: Inconsistent
    great: Great
    good_to_great: _Rule


class StrandRules(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
    strands: StrandSet


assert set(StrandSet.model_fields) == set(STRANDS), "strand keys must match STRANDS"


def resolve_path(path: str | Path | None) -> Path:
    """The shipped criteria for None or ""; a council's file otherwise (inside the workbook's folder)."""
    if path is None or str(path) == "":
        return rules_dir() / DEFAULT_FILE
    return council_file(path, "strand rule file", (project_root() / "rules",))


def load_rules(path: str | Path | None = None) -> StrandRules:
    """Read and validate a strand rule file; :class:`ConfigError` names the file, field and line."""
    found = resolve_path(path)
    name = f"ks2workbook/rules/{DEFAULT_FILE}" if not path else shown(found)
    file = read_yaml(found, shown=name, kind="strand rule file")
    file.mapping("strands:")
    return file.validate(StrandRules, unknown_field=_unknown_field)


def _unknown_field(loc: Loc) -> str:
    """A strand file is a council's edited copy: say which keys belong where, not just that one does not."""
    return f"unknown field {loc[-1]!r}; allowed here: {', '.join(_allowed_fields(loc[:-1]))}"


def _allowed_fields(parent: tuple) -> list[str]:
    model: type[BaseModel] = StrandRules
    for key in parent:
        annotation = model.model_fields[str(key)].annotation
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return []
        model = annotation
    return list(model.model_fields)
