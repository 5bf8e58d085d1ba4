"""The school census file of the performance tables (``england_census.csv``): pupils on roll, % FSM, % EAL.

Columns moved between years (real files 2018-2024): ``PNUMFSM`` (a percentage) in January 2018 became
``NUMFSM`` (a count) from 2019, ``SCHOOLTYPE`` arrived in 2019, ``ESTAB`` became ``Estab`` in 2023, and values
carry ``%`` from 2022. The January census belongs to that academic year: January 2018 is KS2 year 2018.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..catalogue import Entry
from ..values import to_number
from . import read_text_table, require, upper_columns

SIGNATURE = ("URN", "LA", "NOR", "PNUMEAL", "PNUMFSMEVER")


def recognise(header: list[str]) -> bool:
    return all(c in {h.upper() for h in header} for c in SIGNATURE)


def read(entry: Entry) -> pd.DataFrame:
    """One row per school: ``urn``, ``year``, ``la_code``, ``pupils``, ``pct_fsm``, ``pct_fsm_ever6``,
    ``pct_eal``, ``school_type`` (from 2019)."""
    raw = upper_columns(read_text_table(entry))
    require(raw, entry, SIGNATURE)
    pupils = to_number(raw["NOR"].rename("NOR"))
    if "PNUMFSM" in raw:
        fsm = to_number(raw["PNUMFSM"].rename("PNUMFSM"))
    elif "NUMFSM" in raw:  # 2019 on publish the count only
        fsm = to_number(raw["NUMFSM"].rename("NUMFSM")) / pupils.replace(0, np.nan) * 100
    else:
        fsm = pd.Series(np.nan, index=raw.index)
    frame = pd.DataFrame(
        {
            "urn": pd.to_numeric(raw["URN"], errors="coerce"),
            "year": entry.year,
            "la_code": pd.to_numeric(raw["LA"], errors="coerce"),
            "pupils": pupils,
            "pct_fsm": fsm,
            "pct_fsm_ever6": to_number(raw["PNUMFSMEVER"].rename("PNUMFSMEVER")),
            "pct_eal": to_number(raw["PNUMEAL"].rename("PNUMEAL")),
            "school_type": raw["SCHOOLTYPE"] if "SCHOOLTYPE" in raw else None,
        }
    )
    return frame.dropna(subset=["urn"])
