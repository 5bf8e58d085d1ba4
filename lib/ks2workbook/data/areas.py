"""Local authorities, regions and England: look-up by code or name, with helpful errors.

Why a module: every notebook and command takes an ``la_code`` from a user; a typo must stop with the nearest
valid codes and names, not a KeyError or an empty chart.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

import pandas as pd

from ..core.errors import UnknownAreaError
from . import tables
from .cache import cached_on


@dataclass(frozen=True)
class Area:
    """One LA, region or England as LAIT codes it."""

    code: int
    name: str
    kind: str  # "la", "region", "england" or "discontinued"
    region_code: int | None
    region: str | None

    @property
    def label(self) -> str:
        return f"{self.name} ({self.code})"


def areas() -> pd.DataFrame:
    """The areas table (LA code, name, kind, region)."""
    return tables.load("areas")


@cached_on("areas", maxsize=2, copies=False)
def names() -> pd.Series:
    """Every area's name by its code, made once per version of the areas table (callers only read it: pages name
    a council's neighbours, successors and predecessors many times a pack)."""
    return tables.load("areas").set_index("la_code")["la_name"]


def _suggest(query: str | int, table: pd.DataFrame, n: int = 3) -> str:
    las = table[table.kind.isin(["la", "region", "england"])]
    picks: list[int] = []
    text = str(query).strip()
    if text.isdigit():
        order = (las.la_code - int(text)).abs().sort_values(kind="stable").index
        picks += list(las.loc[order[:n], "la_code"])
    names = dict(zip(las.la_name.str.lower(), las.la_code, strict=True))
    picks += [names[m] for m in difflib.get_close_matches(text.lower(), list(names), n=n, cutoff=0.5)]
    picks = list(dict.fromkeys(picks))[: n + 2]
    if not picks:
        return "none close to it"
    named = las.set_index("la_code").loc[picks, "la_name"]
    return ", ".join(f"{code} {name}" for code, name in named.items())


def resolve(query: str | int) -> Area:
    """The area with this code (``831``, ``"831"``) or exact name (``"Derby"``), else :class:`UnknownAreaError`
    naming the nearest valid codes and names."""
    table = areas()
    text = str(query).strip()
    if text.lstrip("-").isdigit():
        hit = table[table.la_code == int(text)]
    else:
        hit = table[table.la_name.str.lower() == text.lower()]
    if hit.empty:
        raise UnknownAreaError(
            f"unknown LA code or name {str(query)[:40]!r}. Nearest: {_suggest(query, table)}. "
            "Give the DfE's three-digit LA number (e.g. 831) or the LA's name."
        )
    row = hit.iloc[0]
    return Area(
        code=int(row.la_code),
        name=str(row.la_name),
        kind=str(row.kind),
        region_code=None if pd.isna(row.region_code) else int(row.region_code),
        region=None if pd.isna(row.region) else str(row.region),
    )


def require_la(query: str | int) -> Area:
    """Like :func:`resolve`, but refuses England and regions where an analysis needs a single LA."""
    area = resolve(query)
    if area.kind != "la":
        what = {"england": "England", "region": "a region"}.get(area.kind, "a discontinued code")
        raise UnknownAreaError(f"{area.label} is {what}, not a local authority; give an LA code such as 831 (Derby).")
    return area


def la_codes() -> list[int]:
    """Every current LA code (not regions, England or retired councils' placeholders)."""
    table = areas()
    return sorted(table.loc[table.kind == "la", "la_code"].astype(int))
