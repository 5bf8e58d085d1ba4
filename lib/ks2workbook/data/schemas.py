"""Column contracts of the tidy tables.

Each tidy table has a fixed set of columns with a kind; :func:`validate` checks a frame against its contract
when it is built, so a change in a raw file fails loudly at build time instead of producing a wrong chart.
Kinds: ``int`` (no missing), ``Int64`` (nullable integer), ``float`` (NaN = not available), ``str``, ``bool``,
``date``.
"""

from __future__ import annotations

import pandas as pd

from ..core.errors import RawFileError

SCHEMAS: dict[str, dict[str, str]] = {
    "areas": {
        "la_code": "int",
        "la_name": "str",
        "kind": "str",
        "region_code": "Int64",
        "region": "str",
        "la_type": "str",
        "current": "bool",
    },
    "la_indicators": {
        "la_code": "int",
        "la_name": "str",
        "region": "str",
        "indicator": "str",
        "year": "int",
        "year_label": "str",
        "value": "float",
        "description": "str",
        "polarity": "str",
        "no_quartile": "bool",
        "source": "str",
    },
    "school_results": {
        "urn": "Int64",
        "la_code": "Int64",
        "year": "int",
        "school_name": "str",
        "cohort": "float",
        "rwm_exp": "float",
        "rwm_high": "float",
        "read_exp": "float",
        "read_high": "float",
        "writ_exp": "float",
        "gps_exp": "float",
        "gps_high": "float",
        "mat_exp": "float",
        "mat_high": "float",
        "read_avg": "float",
        "gps_avg": "float",
        "mat_avg": "float",
        "read_prog": "float",
        "read_prog_lower": "float",
        "read_prog_upper": "float",
        "writ_prog": "float",
        "writ_prog_lower": "float",
        "writ_prog_upper": "float",
        "mat_prog": "float",
        "mat_prog_lower": "float",
        "mat_prog_upper": "float",
        "read_cov": "float",
        "writ_cov": "float",
        "mat_cov": "float",
        "rwm_exp_disadv": "float",
        "rwm_exp_other": "float",
        "rectype": "Int64",
        "source": "str",
        "la_from": "str",
        "la_code_now": "Int64",
    },
    "schools": {
        "urn": "int",
        "name": "str",
        "la_code": "Int64",
        "school_type": "str",
        "is_mainstream_state": "bool",
        "is_primary": "bool",
        "open_date": "date",
        "close_date": "date",
        "age_low": "Int64",
        "age_high": "Int64",
        "la_code_now": "Int64",
        "latitude": "float",
        "longitude": "float",
        "predecessor_urn": "Int64",
        "predecessor_from": "str",
        "source": "str",
    },
    "census": {
        "urn": "int",
        "year": "int",
        "la_code": "Int64",
        "pupils": "float",
        "pct_fsm": "float",
        "pct_fsm_ever6": "float",
        "pct_eal": "float",
        "school_type": "str",
    },
    "ofsted": {
        "urn": "int",
        "inspection_date": "date",
        "framework": "str",
        "grade": "Int64",
        "has_overall_grade": "bool",
        "sj_education": "Int64",
        "sj_behaviour": "Int64",
        "sj_personal": "Int64",
        "sj_leadership": "Int64",
        "sj_early_years": "Int64",
        "sj_sixth_form": "Int64",
        "rc_inclusion": "str",
        "rc_curriculum": "str",
        "rc_achievement": "str",
        "rc_behaviour": "str",
        "rc_personal": "str",
        "rc_early_years": "str",
        "rc_post16": "str",
        "rc_leadership": "str",
        "safeguarding": "str",
        "concern": "str",
        "school_name": "str",
        "source": "str",
    },
    "neighbours": {
        "la_code": "int",
        "la_name": "str",
        "version": "int",
        "rank": "int",
        "neighbour_code": "int",
        "closeness": "str",
        "retired_block": "bool",
    },
}

_DTYPES = {"int": "int64", "Int64": "Int64", "float": "float64", "bool": "bool", "date": "datetime64[us]"}


def conform(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Select and order the contract's columns and cast each to its kind (strings to pandas' ``str``)."""
    schema = SCHEMAS[name]
    missing = [c for c in schema if c not in frame.columns]
    required = [c for c in missing if schema[c] in ("int", "bool", "date")]
    if required:
        raise RawFileError(f"table {name!r} could not be built: columns {required} were not produced")
    # A measure no catalogued file publishes (the confidence limits, once the only files with them are
    # removed) is a column of missing values, not a failure.
    out = frame.reindex(columns=list(schema)).copy()
    for col, kind in schema.items():
        if kind == "str":
            out[col] = out[col].astype("str").where(out[col].notna(), None).astype("str")
        elif kind == "date":
            out[col] = pd.to_datetime(out[col], errors="coerce").astype("datetime64[us]")
        else:
            out[col] = out[col].astype(_DTYPES[kind])
    return out.reset_index(drop=True)


def validate(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Check columns, kinds and the value ranges that every table must respect; return the frame."""
    schema = SCHEMAS[name]
    if list(frame.columns) != list(schema):
        raise RawFileError(f"table {name!r} has columns {list(frame.columns)}, expected {list(schema)}")
    for col, kind in schema.items():
        if kind == "int" and frame[col].isna().any():
            raise RawFileError(f"table {name!r}: column {col!r} has missing values")
    pct_cols = [c for c in frame.columns if c.startswith("pct_") or c.endswith(("_exp", "_high"))]
    for col in pct_cols:
        bad = frame[col].notna() & ~frame[col].between(0, 100)
        if bad.any():
            raise RawFileError(f"table {name!r}: {int(bad.sum())} values of {col!r} outside 0-100")
    if name == "ofsted":
        grades = [c for c in frame.columns if c == "grade" or c.startswith("sj_")]
        for col in grades:
            bad = frame[col].notna() & ~frame[col].isin([1, 2, 3, 4])
            if bad.any():
                raise RawFileError(f"table 'ofsted': {col} has grades outside 1-4")
        if (frame["has_overall_grade"] & frame["framework"].ne("graded")).any():
            raise RawFileError("table 'ofsted': an overall grade on an inspection that gives none")
    return frame
