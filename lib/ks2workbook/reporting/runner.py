"""Execute the analysis notebooks and render them to self-contained HTML with no code.

Why this shape:

- Cabinet members read HTML only; analysts want the executed notebook too. Each LA's reports are written into a
  temporary folder and moved into ``outputs/`` only when every notebook succeeded, so a failed run never
  replaces the last good report.
- Notebooks are parameterised with papermill's API (its ``parameters``/``injected-parameters`` convention) and
  executed by nbclient in a :class:`KernelSession`: one Jupyter kernel kept alive across notebooks and LAs, its
  namespace reset between notebooks. Starting a kernel and importing pandas costs more than most notebooks take
  to run; a kernel that stays up also keeps the tidy tables in memory, so they are read once per worker.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import html
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from .. import __version__
from ..core.errors import WorkbookError
from ..core.paths import notebooks_dir, outputs_dir

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
KERNEL_NAME = "python3"

#: The notebooks of the report pack, in reading order, with their titles.
REPORT_NOTEBOOKS: dict[str, str] = {
    "cabinet_summary": "Summary for cabinet",
    "trends": "KS2 trends",
    "floor": "Floor standard",
    "risk": "Early warning: risk, strands and Ofsted",
    "neighbours": "Statistical neighbours",
    "capacity": "School-improvement capacity and cost",
}

#: Code run once when a kernel starts: the imports and tables every notebook uses (timed as "data load").
WARM_UP = (
    "import matplotlib\nmatplotlib.use('module://matplotlib_inline.backend_inline')\n"
    "from ks2workbook.data import tables\n"
    "for _name in ('areas', 'la_indicators', 'neighbours', 'schools', 'census', 'ofsted', 'school_results'):\n"
    "    tables.load(_name)\n"
    # The loaded tables never die: move them out of the garbage collector's way (pauses mid-notebook otherwise).
    "import gc\ngc.collect()\ngc.freeze()\n"
)

#: Run before each notebook: a clean namespace, no figures left over, the folder for kept tables.
RESET = "%reset -f\nimport matplotlib.pyplot as _plt\n_plt.close('all')\n"


@dataclass
class Rendered:
    """What one notebook run produced (or why it failed), with the time each step took."""

    notebook: str
    la_code: int
    html: Path | None = None
    executed: Path | None = None
    error: str | None = None
    detail: str = ""  # for the log only: the failing cell and its traceback
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.error is None


def notebook_path(name: str) -> Path:
    """One of the pack's notebooks, by its registered name only: a name is never a path (``../x`` is refused)."""
    if name not in REPORT_NOTEBOOKS:
        raise WorkbookError(f"no report {str(name)[:40]!r}; the reports are: {', '.join(REPORT_NOTEBOOKS)}")
    path = notebooks_dir() / f"{name}.ipynb"
    if not path.is_file():
        raise WorkbookError(f"the notebook of the report {name!r} is missing from notebooks/")
    return path


class KernelSession:
    """A Jupyter kernel that runs notebook after notebook.

    The kernel is started with an explicit kernel name (notebooks committed without outputs may carry none) from this
    environment's own kernelspec, with the notebooks folder as working directory. It is restarted after
    ``max_notebooks`` notebooks, or when it died, so memory per worker stays bounded.
    """

    def __init__(self, kernel_name: str = KERNEL_NAME, max_notebooks: int = 80, timeout: int = 600) -> None:
        self.kernel_name = kernel_name
        self.max_notebooks = max_notebooks
        self.timeout = timeout
        self.loop = asyncio.new_event_loop()
        self.km = None
        self.kc = None
        self.runs = 0
        self.env = tuple(os.environ.get(k, "") for k in ENV_KEYS)
        self.seconds: dict[str, float] = {"kernel_start": 0.0, "data_load": 0.0}
        self._sockets: str | None = None  # the private folder of the running kernel's IPC sockets

    # -- lifecycle -------------------------------------------------------------------------------------------
    def start(self) -> None:
        import sys

        from jupyter_client.manager import AsyncKernelManager

        # This environment's kernelspec first, so a stale user kernelspec cannot point at another Python.
        jupyter_path = str(Path(sys.prefix) / "share" / "jupyter")
        if jupyter_path not in os.environ.get("JUPYTER_PATH", ""):
            os.environ["JUPYTER_PATH"] = os.pathsep.join(filter(None, [jupyter_path, os.environ.get("JUPYTER_PATH")]))
        start = time.perf_counter()
        # IPC sockets in a private folder, not TCP on localhost: no other local user can reach the kernel (and
        # ipykernel has nothing to warn the analyst about).
        import tempfile

        self._sockets = tempfile.mkdtemp(prefix="ks2wb-kernel-")
        self.km = AsyncKernelManager(
            kernel_name=self.kernel_name, transport="ipc", ip=str(Path(self._sockets) / "kernel")
        )
        self.loop.run_until_complete(
            self.km.start_kernel(cwd=str(notebooks_dir()), extra_arguments=["--HistoryManager.enabled=False"])
        )
        self.kc = self.km.client()
        self.kc.start_channels()
        self.loop.run_until_complete(self.kc.wait_for_ready(timeout=120))
        self.seconds["kernel_start"] += time.perf_counter() - start
        start = time.perf_counter()
        self._run_code(WARM_UP)
        self.seconds["data_load"] += time.perf_counter() - start
        self.runs = 0
        self.env = tuple(os.environ.get(k, "") for k in ENV_KEYS)

    def close(self) -> None:
        if self.kc is not None:
            self.kc.stop_channels()
        if self.km is not None:
            self.loop.run_until_complete(self.km.shutdown_kernel(now=True))
        self.km = self.kc = None
        if self._sockets:
            import shutil

            shutil.rmtree(self._sockets, ignore_errors=True)
            self._sockets = None

    def __enter__(self) -> KernelSession:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
        self.loop.close()

    def _alive(self) -> bool:
        return self.km is not None and self.loop.run_until_complete(self.km.is_alive())

    def _run_code(self, code: str) -> None:
        reply = self.loop.run_until_complete(
            self.kc.execute_interactive(code, timeout=self.timeout, output_hook=lambda msg: None)
        )
        if reply["content"]["status"] != "ok":
            content = reply["content"]
            raise WorkbookError(f"kernel set-up failed: {content.get('ename')}: {content.get('evalue')}")

    # -- running ---------------------------------------------------------------------------------------------
    def run(self, name: str, parameters: dict) -> nbformat.NotebookNode:
        """Execute ``notebooks/<name>.ipynb`` with ``parameters``; return the executed notebook.

        Raises WorkbookError naming the notebook, the failing cell and the error (never a traceback).
        """
        from nbclient import NotebookClient
        from nbclient.exceptions import CellExecutionError, DeadKernelError
        from papermill.iorw import load_notebook_node
        from papermill.parameterize import parameterize_notebook

        env = tuple(os.environ.get(k, "") for k in ENV_KEYS)
        if self.km is not None and env != self.env:  # another data folder or council folder: a fresh kernel
            self.close()
        if self.km is None or self.runs >= self.max_notebooks or not self._alive():
            if self.km is not None:
                self.close()
            self.start()
        self.runs += 1
        self._run_code(RESET)
        notebook = load_notebook_node(str(notebook_path(name)))
        notebook = parameterize_notebook(notebook, parameters, kernel_name=self.kernel_name, language="python")
        client = NotebookClient(
            notebook,
            km=self.km,
            kernel_name=self.kernel_name,
            timeout=self.timeout,
            resources={"metadata": {"path": str(notebooks_dir())}},
        )
        client.kc = self.kc
        try:
            self.loop.run_until_complete(client.async_execute())
        except CellExecutionError as exc:
            cell = next(
                (
                    i
                    for i, c in enumerate(notebook.cells)
                    if any(o.get("output_type") == "error" for o in c.get("outputs", []))
                ),
                None,
            )
            reason = exc.evalue if exc.ename in STOPS else f"{exc.ename}: {exc.evalue} (a fault of the workbook)"
            failed = NotebookFailed(reason)
            source = notebook.cells[cell].source if cell is not None else ""
            failed.detail = f"cell {cell}:\n{source}\n{exc.traceback if hasattr(exc, 'traceback') else exc}"
            raise failed from None
        except DeadKernelError as exc:
            self.km = None  # restarted on the next run
            raise WorkbookError(f"notebook {name}: the kernel died ({exc}); it will be restarted") from None
        return notebook

    def write_workbook(self, parameters: dict, out: Path) -> None:
        """The pack's Excel tables, written by the kernel from the facts it already holds."""
        code = (
            f"from ks2workbook.reporting.workbook import write_pack_workbook as _w\n_w({parameters!r}, {str(out)!r})\n"
        )
        self._run_code(code)


#: The environment a kernel's answers depend on (which data and council folders it reads).
ENV_KEYS = ("KS2WB_ROOT", "KS2WB_PROCESSED", "KS2WB_COUNCIL_DIR")

#: Errors a notebook raises on purpose, with a message for the reader (the pack cannot be made).
STOPS = ("ReportStop", "WorkbookError", "NoDataError", "ConfigError", "UnknownAreaError")


class NotebookFailed(WorkbookError):
    """A notebook that stopped: the reason in one line, the cell and traceback in ``detail`` (for the log)."""

    detail = ""


_EXPORTER = None


def to_html(notebook: nbformat.NotebookNode, title: str, meta: str, footer: str) -> str:
    """Render an executed notebook to HTML: no input cells, no prompts, no error outputs, nothing from a CDN,
    and each chart's alt text (set by :func:`ks2workbook.style.apply_style`) kept."""
    global _EXPORTER
    from nbconvert import HTMLExporter

    notebook = nbformat.from_dict(notebook)
    for cell in notebook.cells:  # tracebacks and stderr never reach a cabinet report
        if cell.cell_type == "code":
            cell.outputs = [
                o
                for o in cell.get("outputs", [])
                if o.get("output_type") != "error"
                and not (o.get("output_type") == "stream" and o.get("name") == "stderr")
            ]
    notebook.metadata["title"] = title
    if _EXPORTER is None:
        _EXPORTER = HTMLExporter(
            template_name="ks2report",
            extra_template_basedirs=[str(TEMPLATE_DIR)],
            exclude_input=True,
            exclude_input_prompt=True,
            exclude_output_prompt=True,
        )
    body, _ = _EXPORTER.from_notebook_node(
        notebook, resources={"ks2": {"kicker": html.escape(title), "meta": meta, "footer": footer}}
    )
    return body


def run_date() -> str:
    return dt.date.today().isoformat()


def report_meta(area, notebook_title: str) -> tuple[str, str]:
    """The banner line (LA, region, run date, version, sources) and the report title."""
    title = f"{notebook_title}: {area.name}"
    region = f", {html.escape(area.region)}" if area.region else ""
    meta = (
        f"{html.escape(area.name)}{region}. Made on {dt.date.today().day} {dt.date.today():%B %Y}. Data: the DfE's "
        'KS2 results and LAIT, the school census and Ofsted (<a href="#about-the-data">about the data</a>).'
    )
    return title, meta


def render(
    session: KernelSession,
    name: str,
    parameters: dict,
    dest_dir: Path,
    title: str,
    meta: str,
) -> Rendered:
    """Execute and render one notebook into ``dest_dir`` (which the caller treats as scratch until the whole LA
    succeeded). Errors are returned, not raised, so a batch carries on."""
    result = Rendered(notebook=name, la_code=int(parameters.get("la_code", 0)))
    dest_dir.mkdir(parents=True, exist_ok=True)
    try:
        start = time.perf_counter()
        executed = session.run(name, parameters)
        result.seconds["analysis"] = time.perf_counter() - start
        start = time.perf_counter()
        nbformat.write(executed, dest_dir / f"{name}.ipynb")
        footer = f"Made on {dt.date.today().day} {dt.date.today():%B %Y} with the KS2 workbook, version {__version__}."
        (dest_dir / f"{name}.html").write_text(to_html(executed, title, meta, footer), encoding="utf-8")
        result.seconds["rendering"] = time.perf_counter() - start
    except WorkbookError as exc:
        result.error = str(exc)
        result.detail = getattr(exc, "detail", "")
        return result
    except Exception as exc:  # noqa: BLE001 - anything else is reported, never a traceback on the terminal
        import traceback

        result.error = f"{type(exc).__name__}: {exc} (a fault of the workbook)"
        result.detail = "".join(traceback.format_exception(exc))
        return result
    result.html, result.executed = dest_dir / f"{name}.html", dest_dir / f"{name}.ipynb"
    return result


def report_dir(la_code: int, out_root: Path | None = None, date: str | None = None) -> Path:
    """``outputs/<run-date>/<la_code>/``."""
    return (out_root or outputs_dir()) / (date or run_date()) / str(la_code)
