"""``ks2workbook capacity``: a scenario's cost table and its gap per financial year, from the command line.

Registered in :mod:`ks2workbook.cli` as ``app.command("capacity")(capacity_command)``. Errors are raised as
:class:`~ks2workbook.errors.WorkbookError` (a bad scenario file is a ``ConfigError`` naming file, line and
field); the CLI prints the message without a traceback.
"""

from __future__ import annotations

import io
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

from ..analyses import capacity as cap
from ..core.errors import WorkbookError
from ..core.formats import fmt_int
from ..views import capacity as capview
from .common import friendly


class OutputFormat(StrEnum):
    text = "text"
    csv = "csv"
    xlsx = "xlsx"


def report_tables(result: cap.CapacityResult, vs: cap.CapacityResult | None = None) -> dict[str, pd.DataFrame]:
    """The tables of a capacity report, numbers unformatted (pounds, days): for CSV and Excel."""
    tables: dict[str, pd.DataFrame] = {
        "Cost table": cap.cost_table(result, vs),
        "Financial years": cap.financial_years_table(result),
        "Funding by line": result.funding_detail,
        "Days by strand": result.demand,
        "Days balance": cap.days_balance([result, *([vs] if vs is not None else [])]),
    }
    check = cap.published_check(result)
    if not check.empty:
        tables["Published check"] = check.drop(columns="_money")
    if vs is not None:
        tables["Comparison"] = cap.compare(result, vs)
        tables["Comparison by year"] = cap.compare_years(result, vs)
    be = cap.break_even(result)
    if not be.empty:
        tables["Break-even"] = be
    tables["Cost by strand"] = cap.cost_by_strand(result)
    return tables


def render_text(result: cap.CapacityResult, vs: cap.CapacityResult | None = None) -> str:
    """The report as plain text: cost table, days, published check, per-year gap, comparison."""
    s = result.scenario
    buf = io.StringIO()

    def table(df: pd.DataFrame) -> None:
        buf.write(df.to_string(index=False) + "\n\n")

    buf.write(f"{s.name}\n")
    src = s.source_path.name if s.source_path else "(not from a file)"
    base = f"; before that: {result.baseline.name}" if result.baseline is not None else ""
    buf.write(f"{src}: from {s.start.isoformat()}{base}\n\n")
    buf.write("Cost table (full year)\n")
    table(capview.display_cost_table(result, vs))
    word = "slack" if result.balance >= 0 else "shortfall"
    buf.write(
        f"SIP days: needed {fmt_int(result.days_needed)} (allocation by strand), supplied "
        f"{fmt_int(result.days_supplied)}: {word} of {fmt_int(abs(result.balance))} days\n\n"
    )
    if s.published is not None:
        buf.write(f"Published figures ({s.published.source or 'as entered'}): days exact, money to £1k\n")
        table(capview.display_published_check(result))
    buf.write("Cost, funding and gap per financial year (April-March)\n")
    table(capview.display_financial_years(result))
    if vs is not None:
        buf.write(f"Compared with: {vs.name}\n")
        comp = cap.compare(result, vs)
        money = [c for c in comp.columns if c.startswith("cost") or c == "change"]
        table(capview.format_table(comp, money=money, days=[c for c in comp.columns if c.startswith("days")]))
        years = cap.compare_years(result, vs)
        table(capview.format_table(years, money=["additional cost in year", "additional cost, full year"]))
    summary = capview.break_even_summary(result)
    if summary:
        buf.write("Break-even\n" + summary + "\n")
    return buf.getvalue().rstrip() + "\n"


def render_csv(tables: dict[str, pd.DataFrame]) -> str:
    """Every table as a CSV block headed ``# <table name>``, blocks separated by a blank line."""
    parts = []
    for name, df in tables.items():
        parts.append(f"# {name}\n" + df.to_csv(index=False))
    return "\n".join(parts)


def write_xlsx(tables: dict[str, pd.DataFrame], out: Path) -> None:
    """One sheet per table (money in pounds, days as numbers)."""
    with pd.ExcelWriter(out, engine="openpyxl") as writer:
        for name, df in tables.items():
            df.to_excel(writer, sheet_name=name[:31], index=False)
            sheet = writer.sheets[name[:31]]
            for col_cells in sheet.columns:
                width = max(len(str(c.value)) if c.value is not None else 0 for c in col_cells)
                sheet.column_dimensions[col_cells[0].column_letter].width = min(max(10, width + 2), 70)


@friendly
def capacity_command(
    scenario: Annotated[
        Path,
        typer.Argument(help="Scenario YAML file: a path, or a file name in scenarios/.", show_default=False),
    ],
    vs: Annotated[
        Path | None,
        typer.Option("--vs", help="Compare with this scenario (the additional cost), e.g. the current one."),
    ] = None,
    output_format: Annotated[
        OutputFormat, typer.Option("--format", "-f", case_sensitive=False, help="text, csv or xlsx.")
    ] = OutputFormat.text,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write to this file (needed for xlsx; else stdout).")
    ] = None,
) -> None:
    """Print a capacity scenario's cost table and its cost, funding and gap per financial year."""
    if output_format is OutputFormat.xlsx and out is None:
        raise WorkbookError("--format xlsx writes a file: give --out FILE.xlsx")
    result = cap.evaluate(scenario)
    other = cap.evaluate(vs) if vs is not None else None
    if output_format is OutputFormat.xlsx:
        write_xlsx(report_tables(result, other), out)
        typer.echo(f"wrote {out}")
        return
    text = (
        render_text(result, other) if output_format is OutputFormat.text else render_csv(report_tables(result, other))
    )
    if out is not None:
        out.write_text(text, encoding="utf-8")
        typer.echo(f"wrote {out}")
    else:
        typer.echo(text, nl=False)
