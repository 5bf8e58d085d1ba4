"""Numbers for people, in one place: ``57%``, ``+3 pts``, ``£542k``, ``1,234``, and a dash for missing.

Why in the core: the analyses write a few figures into the notes and units of their tables (a cost line's unit,
"£69k per FTE"), and the views format every other number; both must format the same way. A suppressed or
missing value is shown as a dash, never as 0 or ``nan``.
"""

from __future__ import annotations

import math

import pandas as pd


def missing(value: object) -> bool:
    """None, NaN and pandas' NA are all "not published" (a suppressed value is not 0)."""
    if value is None or value is pd.NA:
        return True
    return isinstance(value, float) and math.isnan(value)


def fmt_pct(value: float | None, decimals: int = 0) -> str:
    """``57%``; a dash for missing (a suppressed value is not 0%)."""
    if missing(value):
        return "–"
    return f"{value:.{decimals}f}%"


def fmt_signed(value: float | None, decimals: int | None = 0) -> str:
    """A signed figure, ``+1.2``, ``-0.3`` (``decimals=None``: as many as it has, ``-1.5``, ``+2``); with no sign
    when it rounds to zero (``-0`` or ``+0.0`` would read as a move that is not there); a dash for missing."""
    if missing(value):
        return "–"
    text = f"{value:+g}" if decimals is None else f"{value:+.{decimals}f}"
    return text[1:] if float(text) == 0 else text


def fmt_points(value: float | None, decimals: int = 0) -> str:
    """Signed percentage-point change: ``+3 pts``, ``-2 pts``, ``0 pts``."""
    if missing(value):
        return "–"
    return f"{fmt_signed(value, decimals)} pts"


def fmt_points_moved(value: float) -> str:
    """A move in percentage points in words that agree with it: ``+1 point``, ``-2 points``, ``+0.5 points``,
    ``0 points`` (a sentence or a table cell a councillor reads, where ``pts`` would be shorthand)."""
    return f"{fmt_signed(value, None)} {'point' if abs(value) == 1 else 'points'}"


def fmt_gbp_k(value: float | None, decimals: int = 0) -> str:
    """Money in thousands as councils write it: ``£542k`` (input in pounds); negatives as ``-£58k``."""
    if missing(value):
        return "–"
    sign = "-" if value < 0 else ""
    return f"{sign}£{abs(value) / 1000:,.{decimals}f}k"


def fmt_int(value: float | None) -> str:
    """``1,234``; a dash for missing."""
    if missing(value):
        return "–"
    return f"{value:,.0f}"


def shorten(text: str, n: int = 28) -> str:
    """``text`` cut to ``n`` characters with an ellipsis (chart labels, column headers)."""
    return text if len(text) <= n else text[: n - 1] + "…"


def count(n: float | int, noun: str, plural: str = "") -> str:
    """``1 school``, ``2 schools``, ``1,234 schools``: a number of things in words that agree with it."""
    word = noun if int(n) == 1 else (plural or noun + "s")
    return f"{fmt_int(n)} {word}"
