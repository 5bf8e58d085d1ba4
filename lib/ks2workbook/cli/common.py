"""What every ``ks2workbook`` command shares: the application, the one-line error wrapper, output options.

Every :class:`~ks2workbook.core.errors.WorkbookError` is printed as one line on standard error with exit code 2:
a user who typed a wrong LA code gets the nearest codes, not a traceback. Anything else is a fault of the
workbook, not of the input: it is reported in one line too (exit code 1), with the traceback written to
``outputs/logs/errors.log`` for whoever fixes it.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from functools import wraps
from pathlib import Path
from typing import Annotated

import typer

from ..core.errors import WorkbookError
from ..core.paths import outputs_dir

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="KS2 school-improvement analytics workbook.",
)
export_app = typer.Typer(no_args_is_help=True, help="Export a tidy table as CSV (standard output) or XLSX.")
data_app = typer.Typer(no_args_is_help=True, help="The raw data: add next year's files, list, remove, accept.")
app.add_typer(export_app, name="export")
app.add_typer(data_app, name="data")


class Format(StrEnum):
    csv = "csv"
    xlsx = "xlsx"


def friendly(func: Callable) -> Callable:
    """Turn WorkbookError into a one-line message and exit code 2; anything unexpected into one line, exit 1."""

    @wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except WorkbookError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(code=2) from None
        except (typer.Exit, typer.Abort, KeyboardInterrupt):
            raise
        except BrokenPipeError:  # the reader of our output went away (| head): nothing more to say
            import os
            import sys

            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            raise typer.Exit(code=0) from None
        except Exception as exc:  # noqa: BLE001 - a fault of ours: one line here, the details in the log
            where = _log_fault(exc)
            typer.echo(f"error: the workbook failed unexpectedly ({type(exc).__name__}); details in {where}", err=True)
            raise typer.Exit(code=1) from None

    return wrapper


def _log_fault(exc: BaseException) -> str:
    import datetime as dt
    import traceback

    log = outputs_dir() / "logs" / "errors.log"
    try:
        log.parent.mkdir(parents=True, exist_ok=True)
        with open(log, "a", encoding="utf-8") as handle:
            handle.write(f"--- {dt.datetime.now().isoformat(timespec='seconds')}\n")
            handle.write("".join(traceback.format_exception(exc)))
        return "outputs/logs/errors.log"
    except OSError:
        return "(no log: outputs/ is not writable)"


FormatOpt = Annotated[Format, typer.Option("--format", "-f", help="csv (to stdout or --out) or xlsx (needs --out)")]
OutOpt = Annotated[Path | None, typer.Option("--out", "-o", help="file to write (default: standard output, csv)")]


def _emit(frame, fmt: Format, out: Path | None, sheet: str) -> None:
    from ..reporting.export import write_table

    path = write_table(frame, fmt.value, out, sheet=sheet)
    if path is not None:
        typer.echo(f"wrote {len(frame)} rows to {path}", err=True)
