"""``ks2workbook export ...``: tables as CSV or XLSX for analysts."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..core.errors import NoDataError
from .common import Format, FormatOpt, OutOpt, _emit, export_app, friendly


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


#: ``ks2workbook export NAME --la CODE``: the pack's own tables (the same as its Excel workbook).
PACK_TABLES: dict[str, tuple[tuple[str, ...], str]] = {
    "floor": (("Floor",), "Every school against the pack's floor: status and margins."),
    "risk": (("Risk",), "Every school's chance of being below the bar next year."),
    "strands": (("Strands",), "Every school's strand and why."),
    "plan": (("Plan cost", "Plan years", "Clusters"), "The council's plan: cost lines, financial years, clusters."),
    "support": (("Support pairs", "Support unpaired"), "Suggested school-to-school support, and who has no pair."),
}


def _pack_table_command(name: str, sheets: tuple[str, ...], help_text: str) -> None:
    @export_app.command(name, help=help_text)
    @friendly
    def command(
        la: Annotated[str, typer.Option("--la", help="council code or name")],
        year: Annotated[int | None, typer.Option(help="year of KS2 results; default the latest")] = None,
        local_rule_file: Annotated[str, typer.Option(help="the council's floor rule file")] = "",
        threshold: Annotated[float | None, typer.Option(help="the bar, % at the expected standard")] = None,
        at_risk_chance: Annotated[float | None, typer.Option(help="at risk from this chance")] = None,
        national_change: Annotated[float | None, typer.Option(help="England's movement (points)")] = None,
        strand_rules_file: Annotated[str, typer.Option(help="the council's strand criteria")] = "",
        frameworks_file: Annotated[str, typer.Option(help="the council's reading of Ofsted")] = "",
        as_of: Annotated[str, typer.Option(help="date of the Ofsted figures")] = "",
        allocation_file: Annotated[str, typer.Option(help="adviser days by strand and risk")] = "",
        prices_file: Annotated[str, typer.Option(help="adviser pay and day rates")] = "",
        clusters_file: Annotated[str, typer.Option(help="clusters or area footprints")] = "",
        support_rules_file: Annotated[str, typer.Option(help="who may support whom")] = "",
        fmt: FormatOpt = Format.csv,
        out: OutOpt = None,
    ) -> None:
        from ..analyses import pack
        from ..reporting import workbook

        given = locals()
        keys = (
            "year",
            "local_rule_file",
            "threshold",
            "at_risk_chance",
            "national_change",
            "strand_rules_file",
            "frameworks_file",
            "as_of",
            "allocation_file",
            "prices_file",
            "clusters_file",
            "support_rules_file",
        )
        facts = pack.facts(pack.define(la_code=la, **{k: given[k] for k in keys}))
        held = workbook.sheets(facts)
        frames = {sheet: held[sheet][1] for sheet in sheets if sheet in held}
        if not frames:
            part = {"Floor": facts.floor, "Risk": facts.risk, "Strands": facts.strands}.get(sheets[0], facts.plan)
            raise NoDataError(f"nothing to export for {facts.area.name}: {part.reason or 'no such table'}")
        _emit_many(frames, fmt, out)


for _name, (_sheets, _help) in PACK_TABLES.items():
    _pack_table_command(_name, _sheets, _help)


def _emit_many(frames: dict, fmt: Format, out: Path | None) -> None:
    """One table as it is; several as CSV blocks headed by their names, or one Excel sheet each."""
    from ..reporting.export import write_table, write_xlsx

    if len(frames) == 1:
        ((sheet, frame),) = frames.items()
        _emit(frame, fmt, out, sheet=sheet)
        return
    if fmt is Format.xlsx:
        if out is None:
            raise NoDataError("--format xlsx needs --out FILE.xlsx (a spreadsheet cannot go to the terminal)")
        write_xlsx(frames, out)
        typer.echo(f"wrote {len(frames)} tables to {out}", err=True)
        return
    import io

    buffer = io.StringIO()
    for sheet, frame in frames.items():
        buffer.write(f"# {sheet}\n")
        write_table(frame, "csv", None, stream=buffer)
        buffer.write("\n")
    if out is None:
        typer.echo(buffer.getvalue(), nl=False)
    else:
        out.write_text(buffer.getvalue(), encoding="utf-8")
        typer.echo(f"wrote {len(frames)} tables to {out}", err=True)


def _one_la(frame, la: str | None, column: str = "la_code_now"):
    from ..data.areas import require_la

    return frame if not la else frame[frame[column] == require_la(la).code]


@export_app.command("ofsted")
@friendly
def export_ofsted(
    la: Annotated[str | None, typer.Option("--la", help="council code or name; default all of England")] = None,
    frameworks_file: Annotated[str, typer.Option(help="the council's reading of Ofsted judgements")] = "",
    fmt: FormatOpt = Format.csv,
    out: OutOpt = None,
) -> None:
    """One row per school: its latest inspection, the framework, every judgement as published (overall grade,
    sub-judgements or report-card areas and safeguarding; never an overall grade made up for a report card) and
    what the mapping reads it as (below good, in a category of concern)."""
    from ..analyses import accountability as acc

    frame = acc.judged(frameworks_file).sort_values(["urn", "inspection_date"]).groupby("urn").tail(1)
    keep = [
        "urn",
        "school_name",
        "la_code_now",
        "is_primary",
        "inspection_date",
        "framework",
        "grade",
        *[c for c in frame.columns if c.startswith(("sj_", "rc_"))],
        "safeguarding",
        "below_good",
        "requires_improvement",
        "in_category",
        "category",
    ]
    _emit(_one_la(frame, la)[keep].reset_index(drop=True), fmt, out, sheet="ofsted")


@export_app.command("stuck")
@friendly
def export_stuck(
    la: Annotated[str | None, typer.Option("--la", help="council code or name; default all of England")] = None,
    as_of: Annotated[str, typer.Option("--as-of", help="the date (2025-06-30); default the latest inspection")] = "",
    frameworks_file: Annotated[str, typer.Option(help="the council's reading of Ofsted judgements")] = "",
    fmt: FormatOpt = Format.csv,
    out: OutOpt = None,
) -> None:
    """One row per open school: stuck, possibly stuck (the inspection before the latest not held), in a category,
    not stuck, and why (the DfE's definition, used for RISE)."""
    import datetime as dt

    from ..analyses import accountability as acc

    if as_of:
        try:
            dt.date.fromisoformat(as_of)
        except ValueError:
            raise NoDataError(f"--as-of must be a date written 2025-06-30 (got {as_of[:20]!r})") from None
    frame = acc.stuck(as_of or None, frameworks_file)
    _emit(_one_la(frame, la).reset_index(drop=True), fmt, out, sheet="stuck")


@export_app.command("coasting")
@friendly
def export_coasting(
    year: Annotated[int, typer.Option(help="the last of the three years (2018: the only one all shipped)")],
    la: Annotated[str | None, typer.Option("--la", help="council code or name; default all of England")] = None,
    fmt: FormatOpt = Format.csv,
    out: OutOpt = None,
) -> None:
    """One row per school: coasting by the 2017 data rule or not, each year's result against the bar, and the
    margin on each condition in the last year."""
    from ..analyses import accountability as acc

    status = acc.coasting_data(year)
    margins = acc.coasting_year(year)
    cols = ["urn", "attainment_margin", "read_prog_margin", "writ_prog_margin", "mat_prog_margin"]
    frame = status.merge(margins[cols].drop_duplicates("urn").round(1), on="urn", how="left")
    _emit(_one_la(frame, la).reset_index(drop=True), fmt, out, sheet=f"coasting_{year}")


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
