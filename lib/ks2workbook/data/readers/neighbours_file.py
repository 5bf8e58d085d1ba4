"""The DfE's children's services statistical neighbours workbook (a new edition every year or two).

One sheet; the header (``LA num, LA Name, LA number, GOInd, GOReg, SN1, SNP, ... SN10, SNP``) is found by its
first cell, not by position (the published files have two rows of column letters and numbers above it). Rows
below the ``Old SNs`` line are retired councils, kept and flagged. Proven on the May 2025 and April 2021 editions.
"""

from __future__ import annotations

import pandas as pd

from ...core.errors import RawFileError
from ..catalogue import Entry
from . import read_excel

NEIGHBOURS = 10


def read(entry: Entry) -> pd.DataFrame:
    """One row per LA and rank 1-10: ``la_code``, ``la_name``, ``version`` (the edition's year),
    ``rank``, ``neighbour_code``, ``closeness``, ``retired_block``."""
    raw = read_excel(entry, header=None)
    header_row = raw.index[raw.iloc[:, 0].astype("str").str.strip().str.lower().eq("la num")]
    if len(header_row) == 0:
        raise RawFileError(
            f"data/raw/{entry.path}: no 'LA num' header row found; is it the DfE statistical neighbours workbook?"
        )
    if raw.shape[1] < 5 + 2 * NEIGHBOURS:
        raise RawFileError(f"data/raw/{entry.path}: fewer columns than 10 neighbours and their closeness need")
    body = raw.iloc[header_row[0] + 1 :]
    retired = body.iloc[:, 1].astype("str").str.contains("Old SNs", na=False).cumsum().astype(bool)
    parts = []
    for rank in range(1, NEIGHBOURS + 1):
        code_col, close_col = 5 + 2 * (rank - 1), 6 + 2 * (rank - 1)
        parts.append(
            pd.DataFrame(
                {
                    "la_code": pd.to_numeric(body.iloc[:, 0], errors="coerce"),
                    "la_name": body.iloc[:, 1],
                    "version": entry.year,
                    "rank": rank,
                    "neighbour_code": pd.to_numeric(body.iloc[:, code_col], errors="coerce"),
                    "closeness": body.iloc[:, close_col].astype("str").str.strip().str.capitalize(),
                    "retired_block": retired.to_numpy(),
                }
            )
        )
    return pd.concat(parts).dropna(subset=["la_code", "neighbour_code"])


def recognise(first_cells: list[str]) -> bool:
    """True when a sheet's first column holds the ``LA num`` header cell."""
    return any(str(c).strip().lower() == "la num" for c in first_cells)
