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
