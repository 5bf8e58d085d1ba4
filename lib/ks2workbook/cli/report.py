"""``ks2workbook report``: the report pack for one council, several, or every current council."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .common import app, friendly

FileOpt = typer.Option


@app.command("report")
@friendly
def report(
    la: Annotated[list[str] | None, typer.Option("--la", help="council code or name (repeatable); default 831")] = None,
    all_las: Annotated[bool, typer.Option("--all", help="every current council (about 150)")] = False,
    year: Annotated[int | None, typer.Option("--year", help="year of KS2 results; default the latest held")] = None,
    local_rule_file: Annotated[
        str, FileOpt("--local-rule-file", help="the council's floor for years without a national one (rules/...)")
    ] = "",
    threshold: Annotated[float | None, typer.Option("--threshold", help="the bar, % at the expected standard")] = None,
    at_risk_chance: Annotated[float | None, typer.Option("--at-risk-chance", help="at risk from this chance")] = None,
    strand_rules_file: Annotated[str, FileOpt("--strand-rules-file", help="the council's strand criteria")] = "",
    frameworks_file: Annotated[str, FileOpt("--frameworks-file", help="the council's reading of Ofsted")] = "",
    as_of: Annotated[str, typer.Option("--as-of", help="date of the Ofsted figures (2026-05-06)")] = "",
    sn_version: Annotated[int | None, typer.Option("--sn-version", help="statistical neighbours edition")] = None,
    custom_neighbours: Annotated[str, typer.Option("--custom-neighbours", help="LA codes, comma-separated")] = "",
    national_change: Annotated[float | None, typer.Option("--national-change", help="England's move (points)")] = None,
    allocation_file: Annotated[str, FileOpt("--allocation-file", help="adviser days by strand and risk")] = "",
    prices_file: Annotated[str, FileOpt("--prices-file", help="adviser pay, on-costs, day rates")] = "",
    clusters_file: Annotated[str, FileOpt("--clusters-file", help="clusters or area footprints")] = "",
    support_rules_file: Annotated[str, FileOpt("--support-rules-file", help="who may support whom")] = "",
    scenario: Annotated[
        list[str] | None, typer.Option("--scenario", help="worked capacity scenario (repeatable)")
    ] = None,
    notebook: Annotated[list[str] | None, typer.Option("--notebook", help="only these reports")] = None,
    out: Annotated[Path | None, typer.Option("--out", help="output folder (default outputs/)")] = None,
    jobs: Annotated[int, typer.Option("--jobs", "-j", help="kernels (default: the machine's cores)")] = 0,
    progress: Annotated[bool, typer.Option(help="progress bar")] = True,
) -> None:
    """Make the report pack (HTML with no code, the executed notebooks and an Excel workbook) for each council
    under <out>/<run-date>/<la_code>/, with an index per run. Every parameter and council file is checked before
    anything runs. Exit code 1 if any council's pack could not be made (its previous pack is kept)."""
    import os

    from ..reporting.runner import REPORT_NOTEBOOKS, close_kernels, kernels_here

    kernels = jobs or os.cpu_count() or 1  # councils in parallel, or one council's notebooks
    la = la or ["831"]
    # Launched before the pack's heavy imports, so they warm up for longest (run_pack asks for the same kernels;
    # every council is more councils than kernels).
    councils = kernels if all_las else len(set(la))
    early = kernels_here(councils, kernels, len(set(notebook or REPORT_NOTEBOOKS)))
    try:
        from ..core.paths import output_root
        from ..reporting.pack import current_la_codes, run_pack

        codes = current_la_codes() if all_las else la
        params = {
            "year": year,
            "local_rule_file": local_rule_file,
            "threshold": threshold,
            "at_risk_chance": at_risk_chance,
            "strand_rules_file": strand_rules_file,
            "frameworks_file": frameworks_file,
            "as_of": as_of,
            "sn_version": sn_version,
            "custom_neighbours": [c for c in custom_neighbours.replace(";", ",").split(",") if c.strip()],
            "national_change": national_change,
            "allocation_file": allocation_file,
            "prices_file": prices_file,
            "clusters_file": clusters_file,
            "support_rules_file": support_rules_file,
            "scenario_files": list(scenario or []),
        }
        root = output_root(out)
        run = run_pack(codes, notebooks=notebook, out_root=root, extra=params, jobs=kernels, progress=progress)
    except BaseException:
        close_kernels(early)  # a refused run leaves no kernel behind
        raise
    for outcome in run.outcomes:
        if outcome.published:
            typer.echo(f"ok      {outcome.la_code}: {outcome.folder}")
        else:
            typer.echo(f"FAILED  {outcome.la_code}: {outcome.reason}", err=True)
    typer.echo(run.summary(), err=bool(run.failed))
    if run.failed:
        typer.echo("the councils that failed kept their previous packs; the log has the details", err=True)
        raise typer.Exit(code=1)
