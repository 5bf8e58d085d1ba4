"""``ks2workbook capacity``: a scenario's cost table and its gap per financial year, from the command line.

Registered in :mod:`ks2workbook.cli` as ``app.command("capacity")(capacity_command)``. Errors are raised as
:class:`~ks2workbook.errors.WorkbookError` (a bad scenario file is a ``ConfigError`` naming file, line and
field); the CLI prints the message without a traceback.
"""

from __future__ import annotations

import io
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ..core.errors import WorkbookError
from .common import friendly

if TYPE_CHECKING:
    import pandas as pd

    from ..analyses import capacity as cap


class OutputFormat(StrEnum):
    text = "text"
    csv = "csv"
    xlsx = "xlsx"


def report_tables(result: cap.CapacityResult, vs: cap.CapacityResult | None = None) -> dict[str, pd.DataFrame]:
    """The tables of a capacity report, numbers unformatted (pounds, days): for CSV and Excel."""
    from ..analyses import capacity as cap

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
    """The report as plain text: cost table, days, published check, per-year figures, comparison."""
    from ..analyses import capacity as cap
    from ..core.formats import fmt_int
    from ..views import capacity as capview

    s = result.scenario
    buf = io.StringIO()

    def table(df: pd.DataFrame) -> None:
        buf.write(df.to_string(index=False) + "\n\n")

    buf.write(f"{s.name}\n")
    src = s.source_path.name if s.source_path else "the council's plan"
    base = f"; before that: {result.baseline.name}" if result.baseline is not None else ""
    buf.write(f"{src}: from {s.start.isoformat()}{base}\n\n")
    buf.write("Cost table (full year)\n")
    table(capview.table_cost(result, vs))
    word = "slack" if result.balance >= 0 else "shortfall"
    buf.write(
        f"{capview.days_title(result)}: needed {fmt_int(result.days_needed)} (allocation by strand), "
        f"supplied {fmt_int(result.days_supplied)}: {word} of {fmt_int(abs(result.balance))} days\n\n"
    )
    if s.published is not None:
        buf.write(f"Published figures ({s.published.source or 'as entered'}): days exact, money to £1k\n")
        table(capview.table_check(result))
    buf.write("By financial year (April to March)\n")
    table(capview.table_years(result, bool(s.funding.lines or s.funding.existing_budget)))
    if vs is not None:
        buf.write(f"Compared with: {vs.name}\n")
        table(cap.compare(result, vs))
        table(cap.compare_years(result, vs))
    buf.write(capview.break_even_words(result) + "\n")
    return buf.getvalue().rstrip() + "\n"


def render_csv(tables: dict[str, pd.DataFrame]) -> str:
    """Every table as a CSV block headed ``# <table name>``, blocks separated by a blank line."""
    parts = []
    for name, df in tables.items():
        parts.append(f"# {name}\n" + df.to_csv(index=False))
    return "\n".join(parts)


@friendly
def capacity_command(
    scenario: Annotated[
        Path | None,
        typer.Argument(
            help="A worked scenario file (a path, or a name in scenarios/); or give --la.", show_default=False
        ),
    ] = None,
    la: Annotated[str, typer.Option("--la", help="the council whose own plan to show (from its results)")] = "",
    year: Annotated[int | None, typer.Option(help="year of KS2 results the plan is built on")] = None,
    allocation_file: Annotated[str, typer.Option(help="adviser days by strand and risk")] = "",
    prices_file: Annotated[str, typer.Option(help="adviser pay, on-costs and day rates")] = "",
    clusters_file: Annotated[str, typer.Option(help="clusters or area footprints")] = "",
    local_rule_file: Annotated[str, typer.Option(help="the council's floor rule file")] = "",
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
    """A capacity plan's cost table and its cost, funding and gap per financial year: the council's own plan
    (--la, from its strands and risk levels with its allocation and prices), or a worked scenario file."""
    from ..analyses import capacity as cap

    if output_format is OutputFormat.xlsx and out is None:
        raise WorkbookError("--format xlsx writes a file: give --out FILE.xlsx")
    if out is not None and out.is_dir():
        raise WorkbookError(f"--out {out.name} is a folder; give a file name")
    if bool(la) == (scenario is not None):
        raise WorkbookError("give either a scenario file or --la CODE (the council's own plan), not both or neither")
    extra = {}
    if la:
        from ..analyses import pack

        facts = pack.facts(
            pack.define(
                la_code=la,
                year=year,
                allocation_file=allocation_file,
                prices_file=prices_file,
                clusters_file=clusters_file,
                local_rule_file=local_rule_file,
            )
        )
        if not facts.plan.ok:
            raise WorkbookError(f"no plan for {facts.area.name}: {facts.plan.reason}")
        result = facts.plan["plan"].result
        extra["Clusters"] = facts.plan["plan"].clusters
    else:
        result = cap.evaluate(scenario)
    other = cap.evaluate(vs) if vs is not None else None
    tables = {**report_tables(result, other), **extra}
    if output_format is OutputFormat.xlsx:
        from ..reporting.export import write_xlsx

        write_xlsx(tables, out)
        typer.echo(f"wrote {out}")
        return
    if output_format is OutputFormat.text:
        text = render_text(result, other)
    else:
        from ..reporting.export import safe_cells

        text = render_csv({k: safe_cells(v) for k, v in tables.items()})
    if out is not None:
        out.write_text(text, encoding="utf-8")
        typer.echo(f"wrote {out}")
    else:
        typer.echo(text, nl=False)
