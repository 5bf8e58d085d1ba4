"""What a report pack is: one LA, one year, one floor, one at-risk definition, one set of council files.

Why a model: every notebook of a pack used to read its own parameters with its own defaults, so one pack could
show three floors. Now a pack is defined once (:class:`PackDefinition`), validated before any kernel starts,
and every notebook reads the same definition; the facts computed from it are shared
(:mod:`ks2workbook.analyses.pack`). The defaults a council may change are data (``pack.yaml``).
"""

from __future__ import annotations

from functools import cache
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from ..core.paths import rules_dir
from ..core.safe_yaml import read_yaml

DEFAULTS_FILE = "pack.yaml"

#: The parameters of every notebook of the pack, with their defaults (the same names and meaning everywhere).
PARAMETERS: dict[str, Any] = {
    "la_code": 831,
    "year": None,
    "local_rule_file": "",
    "threshold": None,
    "at_risk_chance": None,
    "strand_rules_file": "",
    "frameworks_file": "",
    "as_of": "",
    "sn_version": None,
    "custom_neighbours": [],
    "national_change": None,
    "allocation_file": "",
    "prices_file": "",
    "clusters_file": "",
    "support_rules_file": "",
    "scenario_files": [],
    "interactive": False,
}


class PackDefaults(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)
    at_risk_chance: float = Field(gt=0, lt=1)
    medium_risk_chance: float = Field(gt=0, lt=1)
    near_miss_points: float = Field(gt=0, le=50)
    near_miss_progress_points: float = Field(gt=0, le=20)
    small_cohort: int = Field(ge=1, le=100)
    small_group: int = Field(ge=1, le=100)
    watch_list_length: int = Field(ge=1, le=100)
    allocation_file: str = Field(min_length=1)
    prices_file: str = Field(min_length=1)


@cache
def defaults() -> PackDefaults:
    file = read_yaml(rules_dir() / DEFAULTS_FILE, shown=f"ks2workbook/rules/{DEFAULTS_FILE}", kind="pack defaults")
    return file.validate(PackDefaults)


class PackDefinition(BaseModel):
    """A validated pack: every field settled (no "None means default" left)."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)
    la_code: int
    year: int
    local_rule_file: str = ""  # "" = none: the floor is the year's national one, or there is none
    threshold: float = Field(gt=0, le=100)  # the bar (% RWM at the expected standard) the risk is of falling below
    threshold_basis: str  # where the bar comes from, in words
    at_risk_chance: float = Field(gt=0, lt=1)
    medium_risk_chance: float = Field(gt=0, lt=1)
    strand_rules_file: str = ""
    frameworks_file: str = ""
    as_of: str  # ISO date of the accountability figures
    sn_version: int
    custom_neighbours: tuple[int, ...] = ()  # a council's own comparison group, beside the DfE's
    national_change: float | None = Field(default=None, ge=-20, le=20)  # None: England's known movements
    allocation_file: str  # always a file: the council's, else the default named in pack.yaml
    prices_file: str
    clusters_file: str = ""  # "" = the whole LA as one cluster
    support_rules_file: str = ""  # "" = the workbook's rules/support.yaml
    scenario_files: tuple[str, ...] = ()

    @property
    def key(self) -> tuple:
        """Hashable identity (for the facts cache)."""
        return tuple(self.model_dump().items())
