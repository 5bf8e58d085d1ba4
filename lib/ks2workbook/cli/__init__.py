"""The ``ks2workbook`` command line: build data, run the report pack, export tables for Excel users.

Every :class:`~ks2workbook.errors.WorkbookError` is printed as one line on standard error with exit code 2:
a user who typed a wrong LA code gets the nearest codes, not a traceback.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from enum import StrEnum
from functools import wraps
from pathlib import Path
from typing import Annotated

import typer

from ..core.errors import NoDataError, WorkbookError

app = typer.Typer(add_completion=False, no_args_is_help=True, help="KS2 school-improvement analytics workbook.")
export_app = typer.Typer(no_args_is_help=True, help="Export a tidy table as CSV (standard output) or XLSX.")
app.add_typer(export_app, name="export")


class Format(StrEnum):
    csv = "csv"
    xlsx = "xlsx"


def friendly(func: Callable) -> Callable:
    """Turn WorkbookError into a one-line message and exit code 2."""

    @wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except WorkbookError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(code=2) from None

    return wrapper


FormatOpt = Annotated[Format, typer.Option("--format", "-f", help="csv (to stdout or --out) or xlsx (needs --out)")]
OutOpt = Annotated[Path | None, typer.Option("--out", "-o", help="file to write (default: standard output, csv)")]


def _emit(frame, fmt: Format, out: Path | None, sheet: str) -> None:
    from ..reporting.export import write_table

    path = write_table(frame, fmt.value, out, sheet=sheet)
    if path is not None:
        typer.echo(f"wrote {len(frame)} rows to {path}", err=True)


@app.command("build-data")
@friendly
def build_data(force: Annotated[bool, typer.Option(help="rebuild even fresh tables")] = False) -> None:
    """Build the tidy tables from data/raw/ into data/processed/ (parquet)."""
    from ..data import tables as dataset

    for name, rows in dataset.build_all(force=force).items():
        typer.echo(f"{name:16s} {rows:>9,d} rows")


@app.command("verify-data")
@friendly
def verify_data() -> None:
    """Check every catalogued raw file against its checksum in data/catalogue.yaml."""
    from ..data import catalogue

    problems = catalogue.verify()
    if problems:
        raise WorkbookError(
            "raw data differ from the catalogued files: " + "; ".join(problems) + ". " + catalogue.RESTORE_HINT
        )
    typer.echo(f"all {len(catalogue.load().files)} catalogued raw files are present and unchanged")


@app.command("report")
@friendly
def report(
    la: Annotated[list[str] | None, typer.Option("--la", help="LA code (repeatable); default 831 Derby")] = None,
    all_las: Annotated[bool, typer.Option("--all", help="every current LA (about 153)")] = False,
    year: Annotated[int | None, typer.Option("--year", help="KS2 year for notebooks that take one")] = None,
    scenario: Annotated[list[Path] | None, typer.Option("--scenario", help="capacity scenario file(s)")] = None,
    notebook: Annotated[list[str] | None, typer.Option("--notebook", help="only these notebooks")] = None,
    out: Annotated[Path | None, typer.Option("--out", help="output root (default outputs/)")] = None,
    jobs: Annotated[int, typer.Option("--jobs", "-j", help="worker processes (default: the machine's cores)")] = 0,
    progress: Annotated[bool, typer.Option(help="progress bar")] = True,
) -> None:
    """Execute the report notebooks for each LA and write HTML (no code), executed notebooks and an Excel workbook
    under outputs/<run-date>/<la_code>/, with an index per run. Exit code 1 if anything failed."""
    import os

    from ..reporting.pack import current_la_codes, run_pack

    codes = current_la_codes() if all_las else (la or ["831"])
    extra: dict = {"year": year}
    if scenario:
        extra["scenario_files"] = [str(p.resolve()) for p in scenario]
        extra["scenario_file"] = str(scenario[0].resolve())
    workers = jobs or min(os.cpu_count() or 1, len(codes))
    run = run_pack(codes, notebooks=notebook, out_root=out, extra=extra, jobs=workers, progress=progress)
    for outcome in run.outcomes:
        for result in outcome.results:
            if result.ok:
                typer.echo(f"ok      {outcome.la_code} {result.notebook}: {result.html}")
            else:
                typer.echo(f"FAILED  {outcome.la_code} {result.notebook}: {result.error}", err=True)
    typer.echo(run.summary(), err=bool(run.failed))
    if run.failed:
        typer.echo("failed LAs kept their previous reports; see the log for details", err=True)
        raise typer.Exit(code=1)


@export_app.command("school-results")
@friendly
def export_school_results(
    year: Annotated[int, typer.Option(help="KS2 year, e.g. 2018")],
    la: Annotated[str | None, typer.Option(help="LA code; default every LA")] = None,
    fmt: FormatOpt = Format.csv,
    out: OutOpt = None,
) -> None:
    """One row per school: URN, LA, results, progress, cohort, source file."""
    from ..data import tables as dataset
    from ..data.areas import require_la

    frame = dataset.load("school_results")
    years = sorted(frame["year"].unique().tolist())
    if year not in years:
        raise NoDataError(f"no school results for {year}; years with data: {', '.join(map(str, years))}")
    frame = frame[frame["year"] == year]
    if la is not None:
        frame = frame[frame["la_code"] == require_la(la).code]
    _emit(frame, fmt, out, sheet=f"school_results_{year}")


@export_app.command("la-indicators")
@friendly
def export_la_indicators(
    indicator: Annotated[str, typer.Option(help="LAIT indicator code, e.g. KS2RWM_Expected_STD")],
    year: Annotated[int | None, typer.Option(help="one year; default all")] = None,
    fmt: FormatOpt = Format.csv,
    out: OutOpt = None,
) -> None:
    """One row per area and year: la_code, la_name, region, indicator, year, value (blank = not published)."""
    from ..analyses import neighbours
    from ..data import tables as dataset

    frame = dataset.load("la_indicators")
    neighbours.indicator_info(frame, indicator)
    frame = frame[frame["indicator"] == indicator]
    if year is not None:
        if year not in set(frame["year"]):
            years = neighbours.years_with_data(frame, indicator)
            raise NoDataError(f"{indicator} has no data for {year}; years with data: {', '.join(map(str, years))}")
        frame = frame[frame["year"] == year]
    _emit(frame.drop(columns=["no_quartile"]), fmt, out, sheet=indicator[:31])


@export_app.command("floor")
@friendly
def export_floor(
    la: Annotated[str, typer.Option(help="LA code")],
    year: Annotated[int, typer.Option(help="KS2 year")],
    local_rule_file: Annotated[Path | None, typer.Option(help="a council's own floor rule (YAML)")] = None,
    fmt: FormatOpt = Format.csv,
    out: OutOpt = None,
) -> None:
    """One row per school: floor status and the margin on each condition."""
    from ..analyses import floor

    _emit(floor.export_frame(la, year, local_rule_file), fmt, out, sheet=f"floor_{la}_{year}")


@export_app.command("risk")
@friendly
def export_risk(
    la: Annotated[str, typer.Option(help="LA code")],
    year: Annotated[int, typer.Option(help="KS2 year the prediction starts from")],
    threshold: Annotated[float, typer.Option(help="RWM expected % threshold")] = 65.0,
    national_change: Annotated[
        float | None,
        typer.Option(help="England's RWM movement to next year, in points (default: the recent trend)"),
    ] = None,
    fmt: FormatOpt = Format.csv,
    out: OutOpt = None,
) -> None:
    """One row per school: chance of being below the threshold next year, and why."""
    from ..analyses import risk

    _emit(risk.export_frame(la, year, threshold, national_change), fmt, out, sheet=f"risk_{la}_{year}")


@export_app.command("strands")
@friendly
def export_strands(
    la: Annotated[str, typer.Option(help="LA code")],
    year: Annotated[int, typer.Option(help="KS2 year")],
    strand_rules_file: Annotated[Path | None, typer.Option(help="a council's own strand criteria (YAML)")] = None,
    fmt: FormatOpt = Format.csv,
    out: OutOpt = None,
) -> None:
    """One row per school: WCPP strand and the reason."""
    from ..analyses import strands

    _emit(strands.export_frame(la, year, strand_rules_file), fmt, out, sheet=f"strands_{la}_{year}")


@export_app.command("neighbours")
@friendly
def export_neighbours(
    la: Annotated[str, typer.Option(help="LA code")],
    indicator: Annotated[str, typer.Option(help="LAIT indicator code")] = "KS2RWM_Expected_STD",
    year: Annotated[int | None, typer.Option(help="year (default latest)")] = None,
    sn_version: Annotated[str, typer.Option(help="2025, 2021 or both")] = "2025",
    fmt: FormatOpt = Format.csv,
    out: OutOpt = None,
) -> None:
    """The LA among its statistical neighbours: value, rank in group, national rank and band."""
    from ..analyses import neighbours
    from ..data.areas import require_la

    version: int | str = int(sn_version) if sn_version.isdigit() else sn_version
    frame = neighbours.export_frame(require_la(la).code, indicator, year, version)
    _emit(frame, fmt, out, sheet=f"neighbours_{la}")


def _register_capacity() -> None:
    from .capacity import capacity_command

    app.command("capacity")(friendly(capacity_command))


_register_capacity()


def main() -> None:  # pragma: no cover - entry point for `python -m ks2workbook`
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
