"""``ks2workbook build-data``, ``verify-data`` and ``data add|list|remove|accept``: the raw data."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..core.errors import WorkbookError
from .common import Format, FormatOpt, OutOpt, _emit, app, data_app, friendly


@app.command("build-data")
@friendly
def build_data(
    force: Annotated[bool, typer.Option(help="rebuild even fresh tables")] = False,
    national: Annotated[bool, typer.Option(help="also compute the national results every pack reads")] = True,
) -> None:
    """Build the tidy tables from data/raw/ into data/processed/ (parquet), then the national results every
    council's pack reads (kept beside them, recomputed only when the data, the rules or the code change)."""
    from ..data import tables as dataset

    for name, rows in dataset.build_all(force=force).items():
        typer.echo(f"{name:16s} {rows:>9,d} rows")
    if national:
        from ..analyses import national as national_results

        seconds = national_results.precompute()
        typer.echo(f"national results ready ({seconds:.1f} s)")


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


@data_app.command("add")
@friendly
def data_add(
    file: Annotated[Path, typer.Argument(help="a downloaded DfE or Ofsted file", show_default=False)],
    year: Annotated[int | None, typer.Option(help="the year it is for, where the file does not say")] = None,
    kind: Annotated[str | None, typer.Option(help="its kind, where it is not recognised from its header")] = None,
) -> None:
    """Add a file: recognised, checked, copied under data/raw/local/, recorded in the catalogue, tables rebuilt."""
    from ..data import intake

    added = intake.add(file, year=year, kind=kind)
    e = added.entry
    years = ", ".join(map(str, e.years)) or "no single year"
    typer.echo(f"added data/raw/{e.path}: {e.kind.replace('_', ' ')}, {years}, covering {e.coverage}")
    for note in added.notes:
        typer.echo(f"  note: {note}")
    for name, rows in added.rows.items():
        typer.echo(f"  {name:16s} {rows:>9,d} rows")


@data_app.command("list")
@friendly
def data_list(fmt: FormatOpt = Format.csv, out: OutOpt = None) -> None:
    """Per table and year, the files it rests on, their rows and match rate, and which wins where two overlap."""
    from ..core.formats import fmt_int, missing
    from ..data import intake

    frame = intake.listing()
    if out is None and fmt is Format.csv:
        shown = frame.assign(
            rows=frame["rows"].map(lambda v: "" if missing(v) else fmt_int(v)),
            match_rate=frame["match_rate"].map(lambda v: "" if missing(v) else f"{v:.0%}"),
        )
        typer.echo(shown.to_string(index=False))
        return
    _emit(frame, fmt, out, sheet="data")


@data_app.command("remove")
@friendly
def data_remove(
    path: Annotated[str, typer.Argument(help="the file as data list shows it", show_default=False)],
) -> None:
    """Take a file out of the data (undoes an add; a file that came with the workbook stays on disk)."""
    from ..data import intake

    entry = intake.remove(path)
    typer.echo(f"removed data/raw/{entry.path} from the catalogue; tables rebuilt")


@data_app.command("accept")
@friendly
def data_accept(path: Annotated[str, typer.Argument(help="a catalogued raw file", show_default=False)]) -> None:
    """Record a deliberate change to a raw file (its new checksum), so that builds use it again."""
    from ..data import catalogue

    entry = catalogue.accept(path)
    typer.echo(f"recorded the new content of data/raw/{entry.path} (checksum {entry.sha256[:12]}...)")
