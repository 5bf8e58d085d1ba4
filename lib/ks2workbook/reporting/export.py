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


def write_xlsx(sheets: dict[str, pd.DataFrame], out: Path) -> Path:
    """One workbook, one sheet per table, with formatted headers (bold, frozen, auto-filter, sized columns)."""
    from openpyxl.styles import Font, PatternFill

    out.parent.mkdir(parents=True, exist_ok=True)
    with pd.ExcelWriter(out, engine="openpyxl") as writer:
        for name, frame in sheets.items():
            sheet_name = name[:31]
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
    if fmt == "csv":
        if out is None:
            frame.to_csv(stream or sys.stdout, index=False)
            return None
        out.parent.mkdir(parents=True, exist_ok=True)
        frame.to_csv(out, index=False)
        return out
    if out is None:
        raise WorkbookError("--format xlsx needs --out FILE.xlsx (a spreadsheet cannot go to the terminal)")
    return write_xlsx({sheet: frame}, out)


def keep(name: str, frame: pd.DataFrame) -> None:
    """Keep a key table of a notebook for the report pack's Excel workbook (one sheet per kept table).

    The pack sets ``KS2WB_TABLES_DIR`` for each notebook it runs; in JupyterLab the variable is unset and this
    does nothing, so notebooks call it unconditionally.
    """
    import os

    folder = os.environ.get("KS2WB_TABLES_DIR")
    if not folder:
        return
    path = Path(folder)
    path.mkdir(parents=True, exist_ok=True)
    safe = "".join(ch if ch.isalnum() or ch in "_-" else "_" for ch in name)[:31]
    frame.reset_index(drop=not any(n is not None for n in frame.index.names)).to_parquet(path / f"{safe}.parquet")
