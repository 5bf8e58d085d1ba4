"""Execute the analysis notebooks and render them to self-contained HTML with no code.

Why this shape:

- Cabinet members read HTML only; analysts want the executed notebook too. Each LA's reports are written into a
  temporary folder and moved into ``outputs/`` only when every notebook succeeded, so a failed run never
  replaces the last good report.
- Notebooks are parameterised with papermill's API (its ``parameters``/``injected-parameters`` convention) and
  executed by nbclient in a :class:`KernelSession`: one Jupyter kernel kept alive across notebooks and LAs, its
  namespace reset between notebooks. Starting a kernel and importing pandas costs more than most notebooks take
  to run; a kernel that stays up also keeps the tidy tables in memory. Where kernels are forked from one warm
  process (:mod:`.kernel_fork`), that process has made the imports and read the tables once for all of them.
- The kernel is launched first and warms up (imports the library, pandas, matplotlib) on the other core while
  this process checks the pack's parameters and council files; it is sent nothing of the user's until every input
  has passed, and a run refused at the checks shuts it down. Only then are the tables loaded and notebooks run.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import html
import os
import re
import time
from concurrent.futures import Executor, Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .. import __version__
from ..core.errors import WorkbookError
from ..core.paths import notebooks_dir, outputs_dir

if TYPE_CHECKING:
    from collections.abc import Sequence

    import nbformat

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

#: Code sent to a kernel as soon as it is launched, before its first reply: the imports every notebook of the pack
#: makes (timed as "kernel start"). Nothing in it depends on the user's input.
WARM_IMPORTS = (
    "import matplotlib\nmatplotlib.use('module://matplotlib_inline.backend_inline')\n"
    "import matplotlib.pyplot, IPython.display\n"
    "import importlib, pkgutil, ks2workbook.views\n"
    "for _module in pkgutil.iter_modules(ks2workbook.views.__path__):\n"
    "    importlib.import_module(f'ks2workbook.views.{_module.name}')\n"
)

#: Warmed up only in the first kernel, the one that writes the Excel tables and (first in the queue) runs the
#: cabinet summary: the Excel writer (gptables, 0.7 s of importing, else paid at the very end of the pack) and the
#: optimiser that pairs schools for school-to-school support (scipy.optimize, 0.55 s), which the plan's facts use.
#: A second kernel that is dealt the plan after all imports the optimiser then.
WARM_FIRST = "import gptables, scipy.optimize, ks2workbook.reporting.workbook\n"

#: The tidy tables every notebook of the pack reads.
PACK_TABLES = ("areas", "la_indicators", "neighbours", "schools", "census", "ofsted", "school_results")

#: What the process the kernels are forked from does before its first fork (:mod:`.kernel_fork`): every import of
#: every kernel, and the pack's tables where they are fresh already (read without starting a thread, so that the
#: process may still fork; a table the command rebuilds afterwards is read by each kernel, being newer). Each forked
#: kernel then starts with them: read once for all the kernels instead of once by each (0.2-1 s apiece).
SERVER_WARM_UP = WARM_IMPORTS + WARM_FIRST + f"from ks2workbook.data import tables\ntables.preload({PACK_TABLES!r})\n"

#: The kernel's garbage-collector thresholds (Python's are 700, 10, 10). A pack makes and drops a great many
#: containers (matplotlib's artists and transforms, pandas' small frames): at Python's thresholds Kent's pack ran the
#: collector 431 times (393 young, 35 middle and 3 full collections, a full one walking every object the kernel
#: holds but the frozen tables), at these twice (young only). Measured with two kernels run in turn on the same 20
#: councils, three times: 0.94, 0.97 and 0.97 of the kernel CPU at Python's thresholds (two kernels at the same
#: thresholds differ by up to 3%), for about 60 MiB more memory a kernel (660 against 600 MiB at its highest).
#: Closed figures and other cycles are still freed, in fewer, larger collections.
KERNEL_GC_THRESHOLDS = (50_000, 20, 20)

#: Code run once a kernel is ready and the tables are known fresh: the tables every notebook uses (timed as
#: "data load"; a kernel forked from the server finds them read, unless they changed).
WARM_UP = (
    "from ks2workbook.data import tables\n"
    f"for _name in {PACK_TABLES!r}:\n"
    "    tables.load(_name)\n"
    # The loaded tables never die: move them out of the garbage collector's way (pauses mid-notebook otherwise).
    f"import gc\ngc.collect()\ngc.freeze()\ngc.set_threshold(*{KERNEL_GC_THRESHOLDS!r})\n"
)

#: Run before each notebook: a clean namespace, no figures left over; then the folder through which the kernel
#: shares the parts of the pack's facts with the other kernels of one council's run, or none
#: (:attr:`KernelSession.shared`, filled in). The namespace is cleared as ``%reset -f`` clears it, without the two
#: full garbage collections that magic forces (its own, and one in flushing an output cache the kernel is started
#: without, :data:`KERNEL_ARGUMENTS`): each walks every object the kernel holds, the facts of the councils it
#: remembers among them, so late in a run of every council they cost half a second a council. Python's own
#: collector still frees the closed figures as it goes.
RESET = (
    "get_ipython().reset(new_session=False)\nimport matplotlib.pyplot as _plt\n_plt.close('all')\n"
    "from ks2workbook.analyses import pack as _pack\n_pack.share_parts({shared!r})\n"
)

#: How each kernel is started: no history database, and no cache of cell results (``Out``, ``_1``...), which no
#: report reads and whose flushing at each reset forced a full garbage collection.
KERNEL_ARGUMENTS = ["--HistoryManager.enabled=False", "--InteractiveShell.cache_size=0"]


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
    ``max_notebooks`` notebooks, or when it died, so memory per kernel stays bounded. Measured on one kernel running
    34 councils' packs in a row (204 notebooks, 1 December 2026): 600 MiB after the first, 630-680 MiB from then
    on, no growth; the bound is set past a kernel's share of every council on two kernels (about 460 notebooks),
    since each restart cost about 5 s of booting and reloading.
    """

    def __init__(
        self, kernel_name: str = KERNEL_NAME, max_notebooks: int = 600, timeout: int = 600, writes_excel: bool = True
    ) -> None:
        self.kernel_name = kernel_name
        self.writes_excel = writes_excel  # warmed up with the Excel writer
        self.max_notebooks = max_notebooks
        self.timeout = timeout
        self.loop = asyncio.new_event_loop()
        self.km = None
        self.kc = None
        self.runs = 0
        self.env = tuple(os.environ.get(k, "") for k in ENV_KEYS)
        self.seconds: dict[str, float] = {"kernel_start": 0.0, "data_load": 0.0}
        self._sockets: str | None = None  # the private folder of the running kernel's IPC sockets
        self._warming: str | None = None  # the warm-up request of a launched kernel, until it has replied
        self._tables = False  # whether the running kernel has loaded the tables
        self._launched = 0.0
        #: The folder through which this kernel shares the parts of the facts with the other kernels of one
        #: council's run (set by the run for that council, None otherwise); sent with each notebook's reset, after
        #: the checks that restart a kernel, so a restarted kernel shares too and one left over shares nothing.
        self.shared: str | None = None

    # -- lifecycle -------------------------------------------------------------------------------------------
    def launch(self) -> None:
        """Start the kernel process and send it the warm-up imports, without waiting for either: the kernel boots
        on another core while this process goes on (checking the parameters). :meth:`ready` waits for it."""
        import sys
        import tempfile
        import uuid

        from jupyter_client.manager import AsyncKernelManager

        from . import kernel_fork

        if self.km is not None:
            return
        # This environment's kernelspec first, so a stale user kernelspec cannot point at another Python.
        jupyter_path = str(Path(sys.prefix) / "share" / "jupyter")
        if jupyter_path not in os.environ.get("JUPYTER_PATH", ""):
            os.environ["JUPYTER_PATH"] = os.pathsep.join(filter(None, [jupyter_path, os.environ.get("JUPYTER_PATH")]))
        self._launched = time.perf_counter()
        # IPC sockets in a private folder, not TCP on localhost: no other local user can reach the kernel (and
        # ipykernel has nothing to warn the analyst about).
        self._sockets = tempfile.mkdtemp(prefix="ks2wb-kernel-")
        self.km = AsyncKernelManager(
            kernel_name=self.kernel_name, transport="ipc", ip=str(Path(self._sockets) / "kernel")
        )
        if kernel_fork.forkable():  # forked from a process that has made the imports (kernel_fork)
            self.km.kernel_id = str(uuid.uuid4())
            self.km.provisioner = kernel_fork.ForkProvisioner(
                kernel_id=self.km.kernel_id, kernel_spec=self.km.kernel_spec, parent=self.km
            )
            self.km.provisioner.warm_code = SERVER_WARM_UP
        self.loop.run_until_complete(self.km.start_kernel(cwd=str(notebooks_dir()), extra_arguments=KERNEL_ARGUMENTS))
        self.kc = self.km.client()
        self.kc.start_channels()
        # Queued by the sockets until the kernel listens; its reply is the first sign that the kernel is up.
        warm = WARM_IMPORTS + (WARM_FIRST if self.writes_excel else "")
        self._warming = self.kc.execute(warm, silent=True, store_history=False)
        self._tables = False
        self.runs = 0
        self.env = tuple(os.environ.get(k, "") for k in ENV_KEYS)

    def ready(self) -> None:
        """Wait for a launched kernel's warm-up, then load the tables (the caller has checked they are fresh)."""
        if self.km is None:
            self.launch()
        if self._warming is not None:
            warming, self._warming = self._warming, None
            try:
                warm_here()  # on this process's core while the kernel warms up on the other
                self.loop.run_until_complete(self._await_reply(warming))
                self.loop.run_until_complete(self.kc.wait_for_ready(timeout=120))  # IOPub connected too
            except BaseException:
                self.close()  # the next run starts a fresh kernel
                raise
            self.seconds["kernel_start"] += time.perf_counter() - self._launched
        if not self._tables:
            start = time.perf_counter()
            self._run_code(WARM_UP)
            self.seconds["data_load"] += time.perf_counter() - start
            self._tables = True

    def start(self) -> None:
        """Launch a kernel and wait until it is ready to run notebooks."""
        self.launch()
        self.ready()

    async def _await_reply(self, msg_id: str) -> None:
        from queue import Empty

        deadline = time.monotonic() + 120
        while True:
            try:
                msg = await self.kc.get_shell_msg(timeout=1)
            except Empty:
                if not await self.km.is_alive():
                    raise WorkbookError("the Jupyter kernel stopped while starting; run again") from None
                if time.monotonic() > deadline:
                    raise WorkbookError("the Jupyter kernel did not start within two minutes") from None
                continue
            if msg.get("parent_header", {}).get("msg_id") == msg_id:
                content = msg["content"]
                if content.get("status") != "ok":
                    raise WorkbookError(f"kernel set-up failed: {content.get('ename')}: {content.get('evalue')}")
                return

    def close(self) -> None:
        """Stop the kernel and clear up after it. A kernel that could not be started has nothing to stop: its
        error was (or would have been) told where it was asked for, not again here, often at the process's exit."""
        if self.kc is not None:
            self.kc.stop_channels()
        if self.km is not None:
            try:
                self.loop.run_until_complete(self.km.shutdown_kernel(now=True))
            except (OSError, AttributeError, RuntimeError):
                pass  # never started (its process unknown), or its event loop already gone at the exit
        self.km = self.kc = None
        self._warming = None
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
    def prepare(self) -> None:
        """A kernel ready for the next notebook: started again first if the data or council folder changed, it
        died, or it has run its ``max_notebooks``."""
        env = tuple(os.environ.get(k, "") for k in ENV_KEYS)
        if self.km is not None and env != self.env:  # another data folder or council folder: a fresh kernel
            self.close()
        if self.km is not None and self._warming is None and (self.runs >= self.max_notebooks or not self._alive()):
            self.close()
        self.ready()

    def run(self, name: str, parameters: dict) -> nbformat.NotebookNode:
        """Execute ``notebooks/<name>.ipynb`` with ``parameters``; return the executed notebook.

        Raises WorkbookError naming the notebook, the failing cell and the error (never a traceback).
        """
        from nbclient import NotebookClient
        from nbclient.exceptions import CellExecutionError, DeadKernelError
        from papermill.iorw import load_notebook_node
        from papermill.parameterize import parameterize_notebook

        self.prepare()
        self.runs += 1
        self._run_code(RESET.format(shared=self.shared))
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
        self.ready()
        code = (
            f"from ks2workbook.reporting.workbook import write_pack_workbook as _w\n_w({parameters!r}, {str(out)!r})\n"
        )
        self._run_code(code)


_SESSIONS: list[KernelSession] = []


def shared_sessions(count: int = 1) -> list[KernelSession]:
    """This process's first ``count`` kernel sessions, each shut down when the process exits."""
    import atexit

    while len(_SESSIONS) < count:
        session = KernelSession(writes_excel=not _SESSIONS)  # the first kernel writes the Excel tables
        atexit.register(session.close)
        _SESSIONS.append(session)
    return _SESSIONS[:count]


def close_kernels(sessions: Sequence[KernelSession]) -> None:
    """Shut these kernels down, and the fork server they came from once none of its kernels runs (a run refused at
    its checks, or stopped, leaves no process behind)."""
    from . import kernel_fork

    for session in sessions:
        session.close()
    kernel_fork.stop(only_if_idle=True)


def shared_session() -> KernelSession:
    """This process's first kernel session."""
    return shared_sessions(1)[0]


def kernels_here(councils: int, jobs: int, notebooks: int) -> list[KernelSession]:
    """The kernels a run of ``councils`` councils uses, launched now (again a no-op) so they warm up while the
    inputs are checked: one per job (core), no more than there are councils, or for one council alone no more than
    there are notebooks.

    Kernels in this process, not worker processes each with its own: a worker imported the library and the
    notebook machinery for a second and a half before its kernel could start, on the cores the kernels boot on,
    and two processes per core then shared them. Many councils are dealt out one per kernel, each kernel writing
    its councils' Excel tables; one council alone has its notebooks dealt out between the kernels, which compute
    the parts of the pack's facts its notebooks show (the same code on the same data gives the same figures), and
    the first writes the Excel tables."""
    if jobs < 1:
        return []
    count = max(1, min(jobs, councils if councils > 1 else notebooks))
    sessions = shared_sessions(count)
    for session in sessions:
        if councils > 1 and session.km is None:
            session.writes_excel = True  # each kernel writes the Excel tables of its councils
        session.launch()
    return sessions


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
    import nbformat

    notebook = for_readers(nbformat.from_dict(notebook))
    notebook.metadata["title"] = title
    body, _ = _exporter().from_notebook_node(
        notebook, resources={"ks2": {"kicker": html.escape(title), "meta": meta, "footer": footer}}
    )
    return body


def _exporter():
    """The one HTML exporter of this process (made once: its templates are compiled at its first page)."""
    global _EXPORTER
    if _EXPORTER is None:
        _EXPORTER = _report_exporter()(**EXPORTER_OPTIONS)
    return _EXPORTER


def warm_here() -> None:
    """This process's own part in running and publishing a notebook, made ready while a kernel warms up: else it
    is made at the first notebook, the kernel waiting for it (nbclient and papermill), or beside the kernels' first
    notebooks on the cores they run on (nbconvert, and the notebook schema nbformat compiles to check each notebook
    it writes). Made once; quick after."""
    import nbclient  # noqa: F401
    import nbformat
    import papermill.iorw  # noqa: F401
    import papermill.parameterize  # noqa: F401

    nbformat.validate(nbformat.v4.new_notebook())
    _exporter()


#: How a report page is exported: our template, no input cells, no prompts.
EXPORTER_OPTIONS = {
    "template_name": "ks2report",
    "extra_template_basedirs": [str(TEMPLATE_DIR)],
    "exclude_input": True,
    "exclude_input_prompt": True,
    "exclude_output_prompt": True,
    "optimistic_validation": True,  # the notebook checked once, not after each of a dozen preprocessors
}


def for_readers(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The notebook with what never reaches a cabinet report taken out of its code cells' outputs: tracebacks and
    stderr (in place; the caller passes its own copy)."""
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs = [
                o
                for o in cell.get("outputs", [])
                if o.get("output_type") != "error"
                and not (o.get("output_type") == "stream" and o.get("name") == "stderr")
            ]
    return notebook


#: The opening tag of an output area or a text cell's wrapper, the elements nbconvert makes focusable: a ``div``
#: whose class list holds one of the two class names exactly, wherever the class attribute stands (the lab
#: template's attributes hold no ``>``).
_OUTPUT_AREA = re.compile(
    r'<div\b([^>]*?\bclass="(?:[^"]*\s)?jp-(?:OutputArea-output|Cell-inputWrapper)(?:\s[^"]*)?"[^>]*)>'
)


def _report_exporter():
    """nbconvert's HTML exporter without its last pass, which parses the finished page again with BeautifulSoup
    only to give an image without alt text a placeholder and make each output area and text cell focusable by
    keyboard (for their scroll bars): every image of a report has its alt text from the template, and those
    elements are made focusable here by a pattern on their opening tag. The pass was half of the HTML's time; the
    page is the same but for how the parser would have rewritten its markup (a test compares the two). It follows
    nbconvert 7.17's exporter, the version pinned in pyproject.toml."""
    from nbconvert import HTMLExporter
    from nbconvert.exporters.templateexporter import TemplateExporter
    from nbconvert.filters.highlight import Highlight2HTML
    from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter

    class ReportExporter(HTMLExporter):
        def from_notebook_node(self, nb, resources=None, **kw):
            # HTMLExporter.from_notebook_node (nbconvert 7.17) up to its BeautifulSoup pass.
            langinfo = nb.metadata.get("language_info", {})
            lexer = langinfo.get("pygments_lexer", langinfo.get("name", None))
            highlight_code = self.filters.get("highlight_code", Highlight2HTML(pygments_lexer=lexer, parent=self))
            resources = self._init_resources(resources)
            filter_data_type = WidgetsDataTypeFilter(
                notebook_metadata=self._nb_metadata, parent=self, resources=resources
            )
            self.register_filter("highlight_code", highlight_code)
            self.register_filter("filter_data_type", filter_data_type)
            page, resources = TemplateExporter.from_notebook_node(self, nb, resources, **kw)
            return _OUTPUT_AREA.sub(r'<div\1 tabindex="0">', page), resources

    return ReportExporter


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
    writer: Executor | None = None,
) -> Future[Rendered]:
    """Execute one notebook in the kernel, then write it and its HTML into ``dest_dir`` (which the caller treats
    as scratch until the whole LA succeeded). With a ``writer`` the writing happens there while the kernel runs the
    next notebook (the HTML is this process's work, the analysis the kernel's: two cores). Errors are returned in
    the result, never raised, so a batch carries on."""
    result = Rendered(notebook=name, la_code=int(parameters.get("la_code", 0)))
    dest_dir.mkdir(parents=True, exist_ok=True)
    try:
        session.prepare()  # a kernel still booting is timed as its start, not as this notebook's analysis
        start = time.perf_counter()
        executed = session.run(name, parameters)
        result.seconds["analysis"] = time.perf_counter() - start
    except Exception as exc:  # noqa: BLE001 - reported in the result, never a traceback on the terminal
        _failed(result, exc)
        return finished(result)
    if writer is None:
        return finished(_publish(result, executed, dest_dir, title, meta))
    return writer.submit(_publish, result, executed, dest_dir, title, meta)


def _publish(result: Rendered, executed, dest_dir: Path, title: str, meta: str) -> Rendered:
    import nbformat

    try:
        start = time.perf_counter()
        nbformat.write(executed, dest_dir / f"{result.notebook}.ipynb")
        footer = f"Made on {dt.date.today().day} {dt.date.today():%B %Y} with the KS2 workbook, version {__version__}."
        (dest_dir / f"{result.notebook}.html").write_text(to_html(executed, title, meta, footer), encoding="utf-8")
        result.seconds["rendering"] = time.perf_counter() - start
    except Exception as exc:  # noqa: BLE001 - as in render
        _failed(result, exc)
        return result
    result.html, result.executed = dest_dir / f"{result.notebook}.html", dest_dir / f"{result.notebook}.ipynb"
    return result


def _failed(result: Rendered, exc: Exception) -> None:
    if isinstance(exc, WorkbookError):
        result.error = str(exc)
        result.detail = getattr(exc, "detail", "")
        return
    import traceback

    result.error = f"{type(exc).__name__}: {exc} (a fault of the workbook)"
    result.detail = "".join(traceback.format_exception(exc))


def finished(result: Rendered) -> Future[Rendered]:
    future: Future[Rendered] = Future()
    future.set_result(result)
    return future


def report_dir(la_code: int, out_root: Path | None = None, date: str | None = None) -> Path:
    """``outputs/<run-date>/<la_code>/``."""
    return (out_root or outputs_dir()) / (date or run_date()) / str(la_code)
