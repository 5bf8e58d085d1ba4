"""Tables out to the formats analysts use: CSV (stdout or file) and Excel.

One writer for every ``ks2workbook export ...`` command and for the report pack's workbook, so headers look
the same everywhere: plain snake_case column names, bold frozen header row, widths that fit.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TextIO

import pandas as pd

from ..core.errors import WorkbookError

FORMATS = ("csv", "xlsx")
#: What a spreadsheet reads as the start of a formula (OWASP's list for CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> object:
    """A text cell a spreadsheet would run as a formula, made plain text by a leading apostrophe; numbers are
    numbers and are left alone (a negative number is not a formula)."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def safe_cells(frame: pd.DataFrame) -> pd.DataFrame:
    """Every text cell and header neutralised (school names and council files are not trusted)."""
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(neutralise)
    out.columns = [neutralise(str(c)) for c in out.columns]
    return out


def write_xlsx(sheets: dict[str, pd.DataFrame], out: Path) -> Path:
    """One workbook, one sheet per table, with formatted headers (bold, frozen, auto-filter, sized columns)."""
    from openpyxl.styles import Font, PatternFill

    out.parent.mkdir(parents=True, exist_ok=True)
    with pd.ExcelWriter(out, engine="openpyxl") as writer:
        for name, frame in sheets.items():
            sheet_name = "".join(ch for ch in str(name) if ch not in "[]:*?/\\")[:31] or "data"
            frame = safe_cells(frame)
            frame.to_excel(writer, sheet_name=sheet_name, index=False)
            sheet = writer.sheets[sheet_name]
            sheet.freeze_panes = "A2"
            if len(frame.columns):
                sheet.auto_filter.ref = sheet.dimensions
            for cell in sheet[1]:
                cell.font = Font(bold=True, color="FFFFFF")
                cell.fill = PatternFill("solid", fgColor="0072B2")
            for idx, col in enumerate(frame.columns, start=1):
                values = frame[col].astype("str").str.len()
                width = max([len(str(col)), *(values.head(500).tolist() or [0])])
                sheet.column_dimensions[sheet.cell(1, idx).column_letter].width = min(max(width + 2, 8), 60)
    return out


def write_table(
    frame: pd.DataFrame, fmt: str, out: Path | None, sheet: str = "data", stream: TextIO | None = None
) -> Path | None:
    """Write ``frame`` as CSV (to ``out`` or standard output) or XLSX (``out`` required). Returns the path."""
    if fmt not in FORMATS:
        raise WorkbookError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    frame = safe_cells(frame)
    if out is not None and out.is_dir():
        raise WorkbookError(f"--out {out.name} is a folder; give a file name (e.g. {out.name}/table.{fmt})")
    if fmt == "csv":
        if out is None:
            frame.to_csv(stream or sys.stdout, index=False)
            return None
        try:
            out.parent.mkdir(parents=True, exist_ok=True)
            frame.to_csv(out, index=False)
        except OSError as exc:
            raise WorkbookError(f"cannot write {out.name} ({exc.strerror})") from None
        return out
    if out is None:
        raise WorkbookError("--format xlsx needs --out FILE.xlsx (a spreadsheet cannot go to the terminal)")
    return write_xlsx({sheet: frame}, out)
