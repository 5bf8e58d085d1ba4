"""Turning published cell values into numbers without inventing any.

DfE files write percentages as ``"57%"`` and mark values they will not publish with codes. Every such code
means *not available*; none means zero. We keep them as NaN and, where it matters, count them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

#: Codes the DfE, Ofsted, LAIT and Explore Education Statistics use for a value that is not published.
#: Performance tables: SUPP = suppressed (small numbers), NE = no entries, NA = not applicable, LOWCOV = low
#: coverage, NP = not published, DNS = did not sit, NEW = new school; LAIT: '-'; older releases: '..';
#: Explore Education Statistics: c = confidential (suppressed), x = not available, z = not applicable,
#: u = low reliability, low = a count under 0.5, k = fewer than 0.5%.
SUPPRESSION_CODES: frozenset[str] = frozenset(
    {"SUPP", "NE", "NA", "LOWCOV", "NP", "X", "-", "..", "DNS", "NEW", "C", "Z", "U", "LOW", "K", ""}
)


def to_number(values: pd.Series) -> pd.Series:
    """Parse a column of published values to float, suppression codes and blanks to NaN.

    ``"57%"`` becomes 57.0 (percentages stay on the 0-100 scale); ``"SUPP"``, ``"x"``, ``"-"`` and the rest
    of :data:`SUPPRESSION_CODES` become NaN. A value that is neither a number nor a known code raises
    ``ValueError`` naming it, because silently dropping an unknown marker could turn data into a gap.
    """
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        return values.astype("float64")
    text = values.astype("string").str.strip().str.replace("%", "", regex=False)
    is_code = text.str.upper().isin(SUPPRESSION_CODES) | text.isna()
    parsed = parse_floats(text.where(~is_code))
    bad = parsed.isna() & ~is_code
    if bad.any():
        examples = sorted(set(values[bad].astype(str)))[:5]
        raise ValueError(f"unrecognised non-numeric values {examples} in column {values.name!r}")
    return parsed.astype("float64")


def parse_floats(text: pd.Series) -> pd.Series:
    """Text to float, anything unreadable to NaN. Arrow's cast first (twenty times faster than
    ``pd.to_numeric`` over strings, which made a third of building the tables); only a column it refuses is
    parsed value by value, so the caller can name the values that are not numbers."""
    try:
        return pd.Series(pc.cast(pa.array(text.array), pa.float64()).to_numpy(zero_copy_only=False), index=text.index)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, TypeError):
        return pd.to_numeric(text, errors="coerce").astype("float64")


def is_suppressed(values: pd.Series) -> pd.Series:
    """True where a published value carries a suppression code (not where it is merely blank)."""
    text = values.astype("string").str.strip().str.upper()
    return text.isin(SUPPRESSION_CODES - {""}).fillna(False).astype(bool)


def safe_share(numerator: float, denominator: float) -> float:
    """``numerator / denominator`` as a percentage, NaN when the denominator is 0 (no schools is not 0%)."""
    return float(numerator) / float(denominator) * 100.0 if denominator else np.nan
