"""The report pack: every analysis notebook for one LA, many LAs, or all of them, in parallel.

Output layout: ``outputs/<run-date>/<la_code>/<notebook>.html|.ipynb`` plus ``ks2_tables_<la_code>.xlsx``, an
``index.html`` per run date and an ``index.html`` of all runs at the top. Each LA is rendered into a temporary
folder beside its final place and moved there in one rename only when all its notebooks succeeded; otherwise the
previous folder is left as it was and the failure is logged. One LA's failure never stops the others. A lock
file makes two runs at once safe (the second stops with a message), and a second run of the same day simply
replaces that day's folders (idempotent).
"""

from __future__ import annotations

import datetime as dt
import fcntl
import html
import os
import queue
import shutil
import tempfile
import threading
import time
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from .. import __version__
from ..core.errors import WorkbookError
from ..core.paths import outputs_dir
from ..data import areas
from ..data import tables as dataset
from .runner import (
    REPORT_NOTEBOOKS,
    KernelSession,
    Rendered,
    close_kernels,
    finished,
    kernels_here,
    notebook_path,
    render,
    report_meta,
    run_date,
)

LOCK_NAME = ".ks2workbook.lock"


@dataclass
class LaOutcome:
    """One LA's notebooks, whether its folder was replaced, and where its log is."""

    la_code: int
    results: list[Rendered]
    published: bool
    folder: Path
    log: Path | None = None
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def reason(self) -> str:
        """Why the pack was not made, in one line (the first failing notebook's reason)."""
        bad = next((r for r in self.results if not r.ok), None)
        return "" if bad is None else f"{REPORT_NOTEBOOKS.get(bad.notebook, bad.notebook)}: {bad.error}"


@dataclass
class PackRun:
    """A whole run: per-LA outcomes, the run folder, the log, and the time split."""

    outcomes: list[LaOutcome]
    run_dir: Path
    log: Path
    seconds: dict[str, float]

    @property
    def results(self) -> list[Rendered]:
        return [r for o in self.outcomes for r in o.results]

    @property
    def failed(self) -> list[LaOutcome]:
        return [o for o in self.outcomes if not o.published]

    def summary(self) -> str:
        done = len(self.outcomes) - len(self.failed)
        text = f"{done} LA(s) done, {len(self.failed)} failed; reports in {self.run_dir}; log {self.log}"
        split = ", ".join(f"{k} {v:.1f} s" for k, v in self.seconds.items())
        return f"{text}\ntime split: {split}"


# -- which LAs, which parameters ---------------------------------------------------------------------------------


def current_la_codes() -> list[int]:
    """Every council that exists now (the LA list, less those ended by a reorganisation): the small ones whose
    figures are suppressed too, so each gets a pack that says what is missing."""
    table = dataset.load("areas")
    return sorted(int(c) for c in table.loc[table["current"].astype(bool), "la_code"])


@cache
def notebook_parameters(name: str) -> frozenset[str]:
    """The parameter names a notebook declares in its ``parameters`` cell (its top-level assignments). Read as
    plain JSON: nbformat's schema validation took a tenth of a second per notebook before every run, and the
    kernel's runner reads (and validates) each notebook anyway."""
    import ast
    import json

    try:
        notebook = json.loads(notebook_path(name).read_text(encoding="utf-8"))
        cells = [c for c in notebook["cells"] if isinstance(c, dict)]
    except (ValueError, KeyError, TypeError):
        raise WorkbookError(f"the notebook of the report {name!r} is not a readable notebook") from None
    names: set[str] = set()
    for cell in cells:
        if "parameters" in cell.get("metadata", {}).get("tags", []):
            source = cell.get("source", "")
            try:
                body = ast.parse("".join(source) if isinstance(source, list) else str(source)).body
            except SyntaxError:
                raise WorkbookError(f"the parameters cell of the report {name!r} is not valid Python") from None
            for node in body:
                targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
                names.update(t.id for t in targets if isinstance(t, ast.Name))
    return frozenset(names)


def check_notebooks(names: Sequence[str]) -> None:
    """Every notebook of the pack is one of the pack's and takes exactly the pack's parameters (a notebook that
    drifted would otherwise run with its own defaults and show other figures)."""
    from ..rules.pack import PARAMETERS

    for name in names:
        if name not in REPORT_NOTEBOOKS:
            raise WorkbookError(f"no report {name!r}; the reports are: {', '.join(REPORT_NOTEBOOKS)}")
        notebook_path(name)
        declared = notebook_parameters(name)
        if declared != set(PARAMETERS):
            odd = sorted(declared ^ set(PARAMETERS))
            raise WorkbookError(f"notebook {name} does not take the pack's parameters ({', '.join(odd)} differ)")


def parameters_for(la_code: int, params: dict) -> dict:
    """The notebook parameters of one LA's pack: the pack's, the same for every notebook."""
    return {**params, "la_code": la_code}


def define_all(codes: Sequence[int], params: dict) -> None:
    """Check the pack's parameters for every LA before a kernel starts: a bad file or value stops the run with
    one line (a council's cluster file names its council, so it is checked against each)."""
    from ..analyses import pack

    for code in codes:
        pack.define(**{k: v for k, v in params.items() if k != "interactive"}, la_code=code)


# -- one LA ------------------------------------------------------------------------------------------------------


def replace_dir(new: Path, dest: Path) -> None:
    """Put ``new`` at ``dest`` by renames: the old folder is moved aside first and removed only afterwards."""
    old = dest.with_name(f".old-{dest.name}-{os.getpid()}")
    if dest.exists():
        os.replace(dest, old)
    os.replace(new, dest)
    shutil.rmtree(old, ignore_errors=True)


#: The pack's notebooks from the longest to run to the shortest (the benchmarks' breakdown of Derby's pack, the
#: facts shared between kernels); a notebook not named here goes last.
LONGEST_FIRST = ("cabinet_summary", "neighbours", "trends", "capacity", "floor", "risk")


def longest_first_rank(name: str) -> int:
    """A notebook's place in :data:`LONGEST_FIRST` (a test checks it names every notebook of the pack)."""
    return LONGEST_FIRST.index(name) if name in LONGEST_FIRST else len(LONGEST_FIRST)


def run_la(
    sessions: Sequence[KernelSession], la_code: int | str, notebooks: Sequence[str], run_dir: Path, extra: dict
) -> LaOutcome:
    """Render every notebook for one LA into a scratch folder; publish it only if all succeeded. With more than one
    kernel each takes the next notebook, longest first, when it is free (the first ends with the Excel tables), the
    kernels sharing the parts of the facts, and one thread writes each notebook's HTML while the kernels run on."""
    area = areas.require_la(la_code)
    dest = run_dir / str(area.code)
    scratch = run_dir / f".tmp-{area.code}-{os.getpid()}"
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    params = parameters_for(area.code, extra)
    excel = "Excel tables"
    # One queue: each kernel takes the next notebook when it is free, so a kernel busy with a long notebook does not
    # hold the short ones back; on two kernels the longest come first, so the last ones taken are short and the
    # kernels finish together. The first kernel (warmed up with the Excel writer) ends with the Excel tables.
    queue = deque(notebooks if len(sessions) == 1 else sorted(notebooks, key=longest_first_rank))
    taking = threading.Lock()

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="ks2workbook-html") as writer:
        done: list[Future[Rendered]] = []

        def lane(session: KernelSession, writes_excel: bool) -> None:
            while True:
                with taking:
                    if not queue:
                        break
                    name = queue.popleft()
                title, meta = report_meta(area, REPORT_NOTEBOOKS.get(name, name))
                done.append(render(session, name, params, scratch, title, meta, writer))
            if writes_excel and not any(f.done() and not f.result().ok for f in done):
                try:
                    session.write_workbook(params, scratch / f"ks2_tables_{area.code}.xlsx")
                except WorkbookError as exc:
                    done.append(finished(Rendered(notebook=excel, la_code=area.code, error=str(exc))))

        if len(sessions) == 1:
            lane(sessions[0], True)
        else:
            # The kernels share the parts of the facts through a private folder (mode 700) in the run's folder,
            # removed when the council is done (or by the next run's clean-up, as every ".tmp-" folder).
            shared = tempfile.mkdtemp(prefix=f".tmp-facts-{area.code}-", dir=run_dir)
            try:
                for session in sessions:
                    session.shared = shared
                with ThreadPoolExecutor(max_workers=len(sessions), thread_name_prefix="ks2workbook-kernel") as pool:
                    list(pool.map(lane, sessions, [i == 0 for i in range(len(sessions))]))
            finally:
                for session in sessions:
                    session.shared = None  # the next notebook's reset stops the sharing
                shutil.rmtree(shared, ignore_errors=True)
        by_name = {f.result().notebook: f.result() for f in done}
        results = [by_name[n] for n in notebooks] + ([by_name[excel]] if excel in by_name else [])
    seconds: dict[str, float] = {}
    for result in results:
        for key, value in result.seconds.items():
            seconds[key] = seconds.get(key, 0.0) + value
    if all(r.ok for r in results):
        if dest.is_dir():  # a run of some notebooks keeps the day's other reports of this LA
            for old in dest.iterdir():
                if old.is_file() and not (scratch / old.name).exists():
                    shutil.copy2(old, scratch / old.name)
        replace_dir(scratch, dest)
        for r in results:
            r.html, r.executed = dest / f"{r.notebook}.html", dest / f"{r.notebook}.ipynb"
        return LaOutcome(area.code, results, True, dest, seconds=seconds)
    shutil.rmtree(scratch, ignore_errors=True)
    log = run_dir / "logs" / f"{area.code}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    lines = []
    for r in results:
        lines.append(f"{r.notebook}: {'ok' if r.ok else 'FAILED: ' + str(r.error)}")
        if r.detail:
            lines.append(r.detail)
    log.write_text("\n".join(lines) + "\n")
    for r in results:
        r.html = r.executed = None
    return LaOutcome(area.code, results, False, dest, log=log, seconds=seconds)


# -- councils on kernels ----------------------------------------------------------------------------------------


def council_task(
    sessions: Sequence[KernelSession], la_code: int, notebooks: Sequence[str], run_dir: Path, extra: dict
) -> tuple[LaOutcome, dict]:
    """One council's pack on ``sessions``, and the kernel time (start, table load) it cost them; a council that
    cannot be made is a failed outcome, never an exception that would stop the others."""
    before = [dict(s.seconds) for s in sessions]
    try:
        outcome = run_la(sessions, la_code, notebooks, run_dir, extra)
    except WorkbookError as exc:
        failed = Rendered(notebook="*", la_code=int(la_code), error=str(exc))
        outcome = LaOutcome(int(la_code), [failed], False, run_dir / str(la_code))
    spent: dict[str, float] = {}
    for session, was in zip(sessions, before, strict=True):
        for k, v in session.seconds.items():
            spent[k] = spent.get(k, 0.0) + v - was.get(k, 0.0)
    return outcome, spent


# -- lock and indexes --------------------------------------------------------------------------------------------


@contextmanager
def run_lock(root: Path) -> Iterator[None]:
    """An exclusive, non-blocking lock on ``<root>/.ks2workbook.lock``: a second run at once stops at once, naming
    the run that holds it (the file is opened without truncating, so a refused run leaves the holder's line)."""
    if root.exists() and not root.is_dir():
        raise WorkbookError(f"the output folder {root.name} is a file, not a folder")
    root.mkdir(parents=True, exist_ok=True)
    lock = root / LOCK_NAME
    if lock.exists() and not lock.is_file():
        raise WorkbookError(f"the lock {LOCK_NAME} in the output folder is not a file; remove it and run again")
    handle = open(lock, "a+")  # noqa: SIM115 - held for the whole run
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        holder = handle.read().strip()[:80]
        handle.close()
        raise WorkbookError(
            f"another report run is writing to this output folder ({holder or 'no details'}); try again when it "
            "has finished"
        ) from None
    try:
        handle.seek(0)
        handle.truncate()
        handle.write(f"process {os.getpid()}, started {dt.datetime.now().isoformat(timespec='seconds')}\n")
        handle.flush()
        yield
    finally:
        fcntl.flock(handle, fcntl.LOCK_UN)
        handle.close()


_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:900px;margin:1rem auto;padding:0 1rem;line-height:1.5}}
h1{{border-bottom:4px solid #0072B2;padding-bottom:.3rem}} table{{border-collapse:collapse;width:100%}}
td,th{{border-bottom:1px solid #ddd;padding:.3rem .5rem;text-align:left}} .failed{{color:#D55E00;font-weight:bold}}
footer{{color:#444;font-size:.85rem;margin-top:2rem}}</style></head>
<body><main><h1>{title}</h1>{body}</main>
<footer>ks2workbook {version}. Contains public sector information licensed under the Open Government Licence v3.0.
</footer></body></html>
"""


def clean_leftovers(run_dir: Path) -> None:
    """Scratch folders a killed run left behind (``.tmp-<la>-<pid>``, ``.old-<la>-<pid>``): removed under the lock,
    so no running pack's folder is touched."""
    for leftover in run_dir.glob(".tmp-*"):
        shutil.rmtree(leftover, ignore_errors=True)
    for leftover in run_dir.glob(".old-*"):
        shutil.rmtree(leftover, ignore_errors=True)


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def write_run_index(run_dir: Path, failed: Sequence[LaOutcome] = ()) -> Path:
    """``<run-date>/index.html``: every LA folder present, with links to its reports and workbook."""
    names = areas.names()
    rows = []
    for folder in sorted((p for p in run_dir.iterdir() if p.is_dir() and p.name.isdigit()), key=lambda p: int(p.name)):
        code = int(folder.name)
        links = [
            f'<a href="{folder.name}/{nb}.html">{html.escape(REPORT_NOTEBOOKS.get(nb, nb))}</a>'
            for nb in REPORT_NOTEBOOKS
            if (folder / f"{nb}.html").is_file()
        ]
        links += [f'<a href="{folder.name}/{x.name}">Excel tables</a>' for x in sorted(folder.glob("*.xlsx"))]
        rows.append(
            f"<tr><td>{code}</td><td>{html.escape(str(names.get(code, '')))}</td><td>{' · '.join(links)}</td></tr>"
        )
    failures = "".join(
        f'<li class="failed">{o.la_code} {html.escape(str(names.get(o.la_code, "")))}: not made in this run '
        f"({html.escape(o.reason)}); the previous report, if any, is kept.</li>"
        for o in failed
    )
    body = (
        f"<p>Reports for {len(rows)} councils.</p>"
        + (f"<h2>Not made in this run: {len(failed)}</h2><ul>{failures}</ul>" if failures else "")
        + "<table><thead><tr><th>LA</th><th>Name</th><th>Reports</th></tr></thead><tbody>"
        + "".join(rows)
        + '</tbody></table><p><a href="../index.html">All runs</a></p>'
    )
    path = run_dir / "index.html"
    _write_atomic(path, _PAGE.format(title=f"KS2 report pack, run of {run_dir.name}", body=body, version=__version__))
    return path


def write_root_index(root: Path) -> Path:
    """``outputs/index.html``: every run date, newest first."""
    runs = sorted((p for p in root.iterdir() if p.is_dir() and (p / "index.html").is_file()), reverse=True)

    def count(run: Path) -> int:
        return sum(1 for q in run.iterdir() if q.is_dir() and q.name.isdigit())

    items = "".join(f'<li><a href="{p.name}/index.html">{p.name}</a> ({count(p)} LAs)</li>' for p in runs)
    path = root / "index.html"
    _write_atomic(path, _PAGE.format(title="KS2 report pack: all runs", body=f"<ul>{items}</ul>", version=__version__))
    return path


# -- the run -----------------------------------------------------------------------------------------------------


def run_pack(
    la_codes: Sequence[int | str],
    notebooks: Sequence[str] | None = None,
    out_root: Path | None = None,
    extra: dict | None = None,
    jobs: int = 1,
    progress: bool = True,
    date: str | None = None,
) -> PackRun:
    """Render the pack for each LA on ``jobs`` kernels of this process: many LAs are dealt out, one kernel each,
    the largest first; one LA alone has its notebooks dealt out between the kernels."""
    root = out_root or outputs_dir()
    if jobs < 1:
        raise WorkbookError(f"jobs must be 1 or more (got {jobs})")
    # The kernels warm up while the inputs are checked; they are sent none of them.
    sessions = kernels_here(len(set(map(str, la_codes))), jobs, len(set(notebooks or REPORT_NOTEBOOKS)))
    try:
        notebooks = list(dict.fromkeys(notebooks or REPORT_NOTEBOOKS))
        check_notebooks(notebooks)
        dataset.refresh()  # fresh tables before the kernels read them
        codes = list(dict.fromkeys(areas.require_la(c).code for c in la_codes))  # each council once
        extra = dict(extra or {})
        define_all(codes, extra)  # every parameter and council file checked before any notebook runs
        return _run(codes, notebooks, root, extra, jobs, progress, date, sessions)
    except BaseException:
        close_kernels(sessions)  # a refused or stopped run leaves no kernel behind
        raise


def _run(
    codes: list[int],
    notebooks: list[str],
    root: Path,
    extra: dict,
    jobs: int,
    progress: bool,
    date: str | None,
    sessions: list[KernelSession],
) -> PackRun:
    """The run itself, once its inputs have passed: under the output folder's lock, each council on a kernel of
    its own as one comes free (the largest councils first, so that the last ones dealt are quick and the kernels
    finish together), or one council on all of them."""
    from tqdm import tqdm

    started = time.perf_counter()
    run_dir = root / (date or run_date())
    # One lane per kernel when there are councils enough to go round; else one lane with every kernel.
    lanes: queue.SimpleQueue[list[KernelSession]] = queue.SimpleQueue()
    groups = [[s] for s in sessions] if len(codes) > 1 else [sessions]
    for group in groups:
        lanes.put(group)

    def task(code: int) -> tuple[LaOutcome, dict]:
        kernels = lanes.get()  # one is free: there are as many threads as lanes
        try:
            return council_task(kernels, code, notebooks, run_dir, extra)
        finally:
            lanes.put(kernels)

    with run_lock(root):
        run_dir.mkdir(parents=True, exist_ok=True)
        clean_leftovers(run_dir)
        outcomes: list[LaOutcome] = []
        seconds: dict[str, float] = {}
        bar = tqdm(total=len(codes), desc="report pack", unit="LA", disable=not progress)
        with ThreadPoolExecutor(max_workers=len(groups), thread_name_prefix="ks2workbook-council") as pool:
            futures = [pool.submit(task, c) for c in (largest_first(codes) if len(groups) > 1 else codes)]
            try:
                for future in as_completed(futures):
                    outcome, spent = future.result()
                    outcomes.append(outcome)
                    _add(seconds, spent, outcome.seconds)
                    bar.update()
            except BaseException:
                for future in futures:  # stopped: no council is begun after this
                    future.cancel()
                raise
        bar.close()
        outcomes.sort(key=lambda o: o.la_code)
        write_run_index(run_dir, [o for o in outcomes if not o.published])
        write_root_index(root)
        seconds["wall"] = time.perf_counter() - started
        log = _write_log(run_dir, outcomes, seconds, jobs)
    return PackRun(outcomes, run_dir, log, seconds)


def largest_first(codes: Sequence[int]) -> list[int]:
    """The councils in the order the kernels take them: most schools first, so that the last ones dealt are the
    quick ones and the kernels finish together, not one waiting while the other makes a large council's pack
    (a pack's time grows with its schools)."""
    schools = dataset.load("schools")
    sizes = schools.loc[schools["is_primary"].fillna(False).astype(bool), "la_code_now"].value_counts()
    return sorted(codes, key=lambda code: -int(sizes.get(code, 0)))


def _add(total: dict[str, float], *parts: dict[str, float]) -> None:
    for part in parts:
        for key, value in part.items():
            total[key] = total.get(key, 0.0) + value


def _write_log(run_dir: Path, outcomes: Sequence[LaOutcome], seconds: dict[str, float], jobs: int) -> Path:
    stamp = dt.datetime.now().strftime("%H%M%S")
    log = run_dir / "logs" / f"run-{stamp}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    lines = [f"ks2workbook {__version__} report run, {len(outcomes)} LA(s), {jobs} kernel(s)"]
    for outcome in outcomes:
        for r in outcome.results:
            state = "ok" if r.ok else f"FAILED: {r.error}"
            lines.append(f"{outcome.la_code} {r.notebook}: {state}")
    lines.append("time split (summed over kernels): " + ", ".join(f"{k} {v:.1f} s" for k, v in seconds.items()))
    log.write_text("\n".join(lines) + "\n")
    return log


def run_report(
    la_code: int | str, notebooks: list[str] | None = None, out_root: Path | None = None, extra: dict | None = None
) -> list[Rendered]:
    """The report pack for one LA, sequentially, in one kernel (see :mod:`ks2workbook.pack` for many LAs)."""
    run = run_pack([la_code], notebooks=notebooks, out_root=out_root, extra=extra, jobs=1, progress=False)
    return run.results
