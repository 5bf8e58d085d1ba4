"""Execute the analysis notebooks with papermill and render them to self-contained HTML with no code.

Why this shape: cabinet members read HTML only; analysts want the executed notebook too. Each notebook is run
into a temporary folder and moved into ``outputs/`` only when execution *and* rendering succeed, so a failed run
never replaces the last good report.
"""

from __future__ import annotations

import datetime as dt
import html
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from . import __version__
from .errors import WorkbookError
from .paths import notebooks_dir, outputs_dir

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"

#: The notebooks of the report pack, in reading order, with their titles.
REPORT_NOTEBOOKS: dict[str, str] = {
    "trends": "KS2 trends",
}


@dataclass
class Rendered:
    """What one notebook run produced (or why it failed)."""

    notebook: str
    la_code: int
    html: Path | None = None
    executed: Path | None = None
    error: str | None = None
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.error is None


def notebook_path(name: str) -> Path:
    path = notebooks_dir() / f"{name}.ipynb"
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in notebooks_dir().glob("*.ipynb")))
        raise WorkbookError(f"no notebook {name!r} in notebooks/; notebooks: {known}")
    return path


def execute(name: str, parameters: dict, out_path: Path, kernel_name: str = "python3") -> Path:
    """Run ``notebooks/<name>.ipynb`` with papermill's API (parameters injected after the tagged cell).

    ``kernel_name`` is passed explicitly (CONVENTIONS: stripped notebooks may carry none), and the working
    directory is the notebooks folder so relative paths in a notebook mean the same everywhere.
    """
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    try:
        pm.execute_notebook(
            str(notebook_path(name)),
            str(out_path),
            parameters=parameters,
            kernel_name=kernel_name,
            cwd=str(notebooks_dir()),
            progress_bar=False,
            log_output=False,
        )
    except PapermillExecutionError as exc:
        raise WorkbookError(f"notebook {name} failed in cell {exc.exec_count}: {exc.ename}: {exc.evalue}") from exc
    return out_path


def to_html(executed: Path, title: str, meta: str, footer: str) -> str:
    """Render an executed notebook to HTML: no input cells, no prompts, no error outputs, nothing from a CDN."""
    from nbconvert import HTMLExporter

    notebook = nbformat.read(executed, as_version=4)
    for cell in notebook.cells:  # tracebacks never reach a cabinet report
        if cell.cell_type == "code":
            cell.outputs = [o for o in cell.get("outputs", []) if o.get("output_type") != "error"]
    notebook.metadata["title"] = title
    exporter = HTMLExporter(
        template_name="ks2report",
        extra_template_basedirs=[str(TEMPLATE_DIR)],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
    )
    body, _ = exporter.from_notebook_node(
        notebook,
        resources={
            "ks2": {
                "kicker": html.escape(title),
                "meta": meta,
                "footer": footer,
            }
        },
    )
    return body


def run_date() -> str:
    return dt.date.today().isoformat()


def render(name: str, parameters: dict, dest_dir: Path, title: str, meta: str) -> Rendered:
    """Execute and render one notebook into ``dest_dir`` atomically: on any failure nothing in ``dest_dir``
    changes and the error is returned (not raised), so a batch can carry on with the other notebooks."""
    import time

    result = Rendered(notebook=name, la_code=int(parameters.get("la_code", 0)))
    dest_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=dest_dir, prefix=".tmp-") as tmp:
        tmp_dir = Path(tmp)
        try:
            start = time.perf_counter()
            executed = execute(name, parameters, tmp_dir / f"{name}.ipynb")
            result.seconds["execute"] = time.perf_counter() - start
            start = time.perf_counter()
            footer = (
                f"Generated {dt.datetime.now().strftime('%Y-%m-%d %H:%M')} by ks2workbook {__version__}. "
                f"Parameters: {html.escape(str(parameters))}."
            )
            (tmp_dir / f"{name}.html").write_text(to_html(executed, title, meta, footer), encoding="utf-8")
            result.seconds["render"] = time.perf_counter() - start
        except Exception as exc:  # noqa: BLE001 - report any failure, keep the last good output
            result.error = str(exc) if isinstance(exc, WorkbookError) else f"{type(exc).__name__}: {exc}"
            return result
        for suffix in ("ipynb", "html"):
            os.replace(tmp_dir / f"{name}.{suffix}", dest_dir / f"{name}.{suffix}")
    result.html, result.executed = dest_dir / f"{name}.html", dest_dir / f"{name}.ipynb"
    return result


def report_dir(la_code: int, out_root: Path | None = None, date: str | None = None) -> Path:
    """``outputs/<run-date>/<la_code>/``."""
    return (out_root or outputs_dir()) / (date or run_date()) / str(la_code)


def run_report(
    la_code: int, notebooks: list[str] | None = None, out_root: Path | None = None, extra: dict | None = None
) -> list[Rendered]:
    """The report pack for one LA: every notebook of :data:`REPORT_NOTEBOOKS` (or those named), rendered into
    ``outputs/<date>/<la_code>/``. The LA code is checked first so a typo fails in a second, not after a kernel
    start."""
    from . import dataset
    from .areas import require_la

    area = require_la(la_code)
    dataset.build_all()  # the tidy tables exist and are fresh before any kernel starts
    dest = report_dir(area.code, out_root)
    results = []
    for name in notebooks or list(REPORT_NOTEBOOKS):
        title = f"{REPORT_NOTEBOOKS.get(name, name)}: {area.name}"
        meta = (
            f"{html.escape(area.name)} (LA {area.code}), {html.escape(area.region or '')}. "
            f"Run {run_date()}, ks2workbook {__version__}. Sources: DfE KS2 performance tables, DfE LAIT, "
            "school census and Ofsted (see the appendix)."
        )
        params = {"la_code": area.code, **(extra or {})}
        results.append(render(name, params, dest, title, meta))
    return results
