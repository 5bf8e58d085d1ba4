"""``ks2workbook report``: the report pack for one LA, several, or all."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .common import app, friendly


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
