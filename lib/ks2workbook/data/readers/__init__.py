"""Readers: one module per published format, each turning a catalogue entry's file into our columns.

Every reader opens its file through :func:`open_entry` (present and unchanged, else a message naming the file)
and reads text columns as text: numbers are parsed by :func:`ks2workbook.data.values.to_number`, which keeps
suppression codes as missing and refuses an unknown marker. Column names are matched without regard to case,
because the DfE's own files and their metadata disagree on case from year to year (``AlphaIND``/``ALPHAIND``).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from ...core.errors import RawFileError
from .. import catalogue
from ..catalogue import Entry
from ..values import to_number

#: The most a header line may be before a file is refused (a CSV header of the widest DfE file is ~4 kB).
MAX_HEADER_BYTES = 200_000


def open_entry(entry: Entry) -> Path:
    """The file of a catalogue entry, checked against its recorded checksum."""
    return catalogue.require(entry)


def unreadable(entry: Entry, exc: Exception) -> RawFileError:
    """The error for a file that exists but cannot be parsed (cut off, wrong format)."""
    detail = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
    return RawFileError(f"raw file data/raw/{entry.path} ({entry.label}) cannot be read: {detail}")


def read_text_table(entry: Entry, **kwargs) -> pd.DataFrame:
    """A CSV as text columns, upper-cased names kept as published in ``frame.attrs['published']``."""
    path = open_entry(entry)
    try:
        frame = pd.read_csv(
            path,
            dtype=str,
            encoding=entry.encoding or "utf-8-sig",
            keep_default_na=False,
            na_values=[""],
            **kwargs,
        )
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise unreadable(entry, exc) from exc
    return frame


def upper_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """Column names upper-cased and stripped (case differs between years of the same DfE file)."""
    out = frame.copy(deep=False)
    out.columns = [str(c).strip().upper() for c in frame.columns]
    return out


def read_json(entry: Entry):
    path = open_entry(entry)
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except (ValueError, UnicodeDecodeError) as exc:
        raise unreadable(entry, exc) from exc


def read_excel(entry: Entry, **kwargs) -> pd.DataFrame:
    """A workbook sheet with the calamine engine (several times faster than openpyxl)."""
    path = open_entry(entry)
    try:
        return pd.read_excel(path, engine="calamine", **kwargs)
    except Exception as exc:  # noqa: BLE001 - calamine raises its own error types for damaged workbooks
        raise unreadable(entry, exc) from exc


def read_parquet(entry: Entry, columns: list[str] | None = None) -> pd.DataFrame:
    path = open_entry(entry)
    try:
        return pd.read_parquet(path, columns=columns)
    except Exception as exc:  # pyarrow raises ArrowInvalid, OSError
        raise unreadable(entry, exc) from exc


def require(frame: pd.DataFrame, entry: Entry, columns: Iterable[str]) -> None:
    """Stop with a message naming the file when a column the reader needs is absent."""
    have = {str(c).upper() for c in frame.columns}
    missing = [c for c in columns if c.upper() not in have]
    if missing:
        raise RawFileError(
            f"raw file data/raw/{entry.path} ({entry.label}) lacks the columns {', '.join(missing)} that a "
            f"{entry.kind.replace('_', ' ')} file has; is it the right file?"
        )


def numbers(raw: pd.DataFrame, mapping: dict[str, str]) -> pd.DataFrame:
    """Our numeric columns from the published ones present in ``raw`` (``mapping``: published -> ours)."""
    return pd.DataFrame(
        {ours: to_number(raw[theirs].rename(theirs)) for theirs, ours in mapping.items() if theirs in raw.columns},
        index=raw.index,
    )


def header_of(path: Path, encoding: str | None = None) -> list[str]:
    """The column names of a CSV file's first line (for recognising its kind), without reading the rest."""
    with open(path, encoding=encoding or "utf-8-sig", errors="replace", newline="") as handle:
        line = handle.readline(MAX_HEADER_BYTES)
    if not line.strip():
        return []
    return [c.strip() for c in next(csv.reader([line]))]
