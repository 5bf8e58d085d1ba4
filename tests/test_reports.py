"""Whole report packs, rendered and read as a reader would (issue #12): a panel of councils, large and tiny and
created since 2019, each renders a full pack with default parameters (the notebooks run top to bottom as
committed) with every file; every page passes the reader's check; every figure shared by two pages is the same on
both; the cabinet summary prints on two A4 pages; the Excel workbook holds the same tables with no live formula."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections import defaultdict
from pathlib import Path

import openpyxl
import pytest
from ks2workbook.analyses import neighbours
from ks2workbook.data import tables
from ks2workbook.reporting import pack as report_pack
from ks2workbook.reporting import runner
from ks2workbook.reporting.runner import REPORT_NOTEBOOKS
from report_reader import EXAMPLE_COUNCILS, read

pytestmark = pytest.mark.slow

#: Derby (the seed council), Sefton, City of London and the Isles of Scilly (one school each, suppressed), Rutland
#: (small numbers), North Northamptonshire (2021) and Cumberland (2023), created since the tests began.
PANEL = (831, 343, 201, 420, 857, 940, 942)


#: The panel's run date (a run names its folder after the date it is given).
PANEL_DATE = "2026-01-31"


@pytest.fixture(scope="module")
def panel_run(tmp_path_factory) -> report_pack.PackRun:
    out = tmp_path_factory.mktemp("panel")
    run = report_pack.run_pack(PANEL, out_root=out, extra={}, jobs=2, progress=False, date=PANEL_DATE)
    assert not run.failed, [(o.la_code, o.reason) for o in run.failed]
    return run


@pytest.fixture(scope="module")
def panel(panel_run) -> Path:
    return panel_run.run_dir


def test_every_council_has_every_file(panel_run):
    """Each council's folder holds every page as a finished HTML document with no code, its executed notebook
    with the council's parameters injected, and the Excel tables; the run's folder is named for its date and
    listed by the root index; nothing temporary is left; the log and the time split are written."""
    import nbformat

    day = panel_run.run_dir
    assert day.name == PANEL_DATE
    names = tables.load("areas").set_index("la_code")["la_name"]
    index = (day / "index.html").read_text()
    for code in PANEL:
        folder = day / str(code)
        for name in REPORT_NOTEBOOKS:
            page = (folder / f"{name}.html").read_text(encoding="utf-8")
            assert page.startswith("<!DOCTYPE html>") and "</html>" in page
            assert "hl-ipython3" not in page and "Traceback" not in page
            assert f"{names[code]}, " in page and "with the KS2 workbook, version" in page
            assert "Open Government Licence" in page
            executed = nbformat.read(folder / f"{name}.ipynb", as_version=4)
            assert any(c.get("outputs") for c in executed.cells if c.cell_type == "code")
            injected = [c for c in executed.cells if "injected-parameters" in c.metadata.get("tags", [])]
            assert injected and f"la_code = {code}" in injected[0].source
        assert (folder / f"ks2_tables_{code}.xlsx").is_file()
        assert [p.name for p in folder.iterdir() if p.name.startswith(".")] == []
        assert f'href="{code}/trends.html"' in index and str(names[code]) in index
    assert f'href="{PANEL_DATE}/index.html"' in (day.parent / "index.html").read_text()
    assert not [p for p in day.iterdir() if p.name.startswith(".tmp-")]
    assert panel_run.log.is_file() and "831 trends: ok" in panel_run.log.read_text()
    assert {"kernel_start", "data_load", "analysis", "rendering", "wall"} <= set(panel_run.seconds)


@pytest.fixture(scope="module")
def other_choices(tmp_path_factory) -> Path:
    """Derby's whole pack for 2018 (a national floor year); Derby for 2025 with the example local floor, and
    Walsall with its illustrative footprints, the pages each choice changes (the floor or the plan, and the
    cabinet summary that reports both)."""
    out = tmp_path_factory.mktemp("choices")
    runs = [
        report_pack.run_pack([831], out_root=out / "2018", extra={"year": 2018}, jobs=1, progress=False),
        report_pack.run_pack(
            [831],
            notebooks=list(CHOICE_PAGES["local"]),
            out_root=out / "local",
            extra={"local_rule_file": "rules/local_floor_example.yaml"},
            jobs=1,
            progress=False,
        ),
        report_pack.run_pack(
            [335],
            notebooks=list(CHOICE_PAGES["walsall"]),
            out_root=out / "walsall",
            extra={"clusters_file": "plans/clusters_walsall_example.yaml"},
            jobs=1,
            progress=False,
        ),
    ]
    for run in runs:
        assert not run.failed, [(o.la_code, o.reason) for o in run.failed]
    return out


def _names_allowed(code: int) -> set[str]:
    """Councils a pack may name: its statistical neighbours (in any list) and itself."""
    names = tables.load("areas").set_index("la_code")["la_name"]
    allowed = {str(names[code])}
    for codes in neighbours.neighbour_sets(code, "both").values():
        allowed |= {str(names.get(c, "")) for c in codes}
    return {n for n in EXAMPLE_COUNCILS if any(n in a for a in allowed)}


def _check_pack(folder: Path, code: int) -> dict[str, list[tuple[str, str]]]:
    name = str(tables.load("areas").set_index("la_code")["la_name"][code])
    allowed = _names_allowed(code)
    problems = {}
    facts: dict[str, list[tuple[str, str]]] = {}
    for notebook in REPORT_NOTEBOOKS:
        page = folder / f"{notebook}.html"
        assert page.is_file(), f"{code}: {notebook} missing"
        reading = read(page, name, allowed)
        if reading.problems:
            problems[notebook] = reading.problems[:6]
        facts[notebook] = reading.facts
        assert name in reading.text  # the council is named on its own pages
    assert not problems, f"{code}: {problems}"
    return facts


@pytest.mark.parametrize("code", PANEL)
def test_every_page_reads_cleanly(panel, code):
    facts = _check_pack(panel / str(code), code)
    assert sum(len(f) for f in facts.values()) > 0  # shared figures are marked


@pytest.mark.parametrize("code", PANEL)
def test_shared_figures_agree_across_the_pack(panel, code):
    facts = _check_pack(panel / str(code), code)
    seen: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for notebook, pairs in facts.items():
        for key, value in pairs:
            seen[key][value].add(notebook)
    differ = {k: dict(v) for k, v in seen.items() if len(v) > 1}
    assert not differ, f"{code}: figures that differ between pages: {differ}"
    shared = [k for k, v in seen.items() if len({n for ns in v.values() for n in ns}) > 1]
    # The headline, the risk counts, the strands, Ofsted and the plan each appear on at least two pages.
    expected = {"year", "risk_at_risk", "acc_category", "acc_stuck", "plan_cost"}
    assert expected <= set(shared), f"{code}: not shared: {expected - set(shared)}"


def test_the_headline_is_the_published_figure(panel):
    # DfE LAIT, KS2RWM_Expected_STD, 2025: Derby 57%, England 63%.
    facts = _check_pack(panel / "831", 831)
    values = {k: v for pairs in facts.values() for k, v in pairs}
    assert values["headline_pct"] == "57%" and values["england_pct"] == "63%"


def test_a_council_with_suppressed_figures_says_so(panel):
    page = read(panel / "201" / "cabinet_summary.html", "City of London")
    assert "does not publish a council figure for City of London in 2025" in page.text
    assert "too few to publish" in page.text


def test_a_council_created_since_says_where_its_history_is(panel):
    page = read(panel / "942" / "trends.html", "Cumberland")
    assert "Cumberland was created in April 2023 from Cumbria" in page.text
    spread = read(panel / "942" / "trends.html", "Cumberland").text
    assert "in 2018" not in spread or "no school" not in spread  # the schools' 2016-2018 results are shown


def test_index_lists_every_council_and_no_failure(panel):
    index = (panel / "index.html").read_text()
    assert "Not made in this run" not in index
    for code in PANEL:
        assert f'href="{code}/cabinet_summary.html"' in index


def test_the_cabinet_summary_prints_on_two_pages(panel, tmp_path):
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("headless Chromium is not installed (make browser)")
    for code in (831, 942):
        pdf = tmp_path / f"{code}.pdf"
        page = (panel / str(code) / "cabinet_summary.html").resolve()
        subprocess.run(
            [
                chromium,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-pdf-header-footer",
                f"--print-to-pdf={pdf}",
                page.as_uri(),
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
        pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf.read_bytes()))
        assert 1 <= pages <= 2, f"{code}: the cabinet summary prints on {pages} pages"


def test_excel_workbook_has_the_tables_and_no_formula(panel):
    book = openpyxl.load_workbook(panel / "831" / "ks2_tables_831.xlsx")
    for sheet in ("Headline", "Risk", "Strands", "Plan cost", "Plan years"):
        assert sheet in book.sheetnames
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{sheet.title}!{cell.coordinate} is a formula"
    risk = book["Risk"]
    header = next(r for r in risk.iter_rows(values_only=True) if r and r[0] == "URN")
    assert "Chance below next year (%)" in header


#: The pages rendered and read for each choice other than the default pack (2018: every page).
CHOICE_PAGES = {
    "2018": tuple(REPORT_NOTEBOOKS),
    "local": ("cabinet_summary", "floor"),
    "walsall": ("cabinet_summary", "capacity"),
}


def test_other_years_and_council_files_render(other_choices):
    council = {"2018": (831, "Derby"), "local": (831, "Derby"), "walsall": (335, "Walsall")}
    every = {}
    for label, names in CHOICE_PAGES.items():
        code, name = council[label]
        # Derby's pages name its statistical neighbours (Walsall and Peterborough among them) beside it
        for notebook in names:
            page = read(next((other_choices / label).glob(f"*/{code}/{notebook}.html")), name, _names_allowed(code))
            assert not page.problems, (label, notebook, page.problems[:5])
            every[label, notebook] = page
    pages = {"2018": every["2018", "floor"], "local": every["local", "floor"], "walsall": every["walsall", "capacity"]}
    assert "the national floor for 2018" in pages["2018"].text
    assert "the council's local floor" in pages["local"].text
    assert "An illustration, not the council's own map" in pages["walsall"].text
    assert "North" in pages["walsall"].text and "South-East" in pages["walsall"].text


def test_one_council_on_two_kernels_is_the_same_pack(panel, tmp_path):
    """One council alone runs on two kernels (its notebooks dealt out between them, each computing the facts):
    every page still reads cleanly, every shared figure agrees across the pages of both kernels, and each equals
    the figure of the same council's pack made on one kernel."""
    run = report_pack.run_pack([831], out_root=tmp_path, extra={}, jobs=2, progress=False)
    assert not run.failed, [(o.la_code, o.reason) for o in run.failed]
    two = _check_pack(run.run_dir / "831", 831)
    one = _check_pack(panel / "831", 831)
    assert two == one
    values: dict[str, set[str]] = defaultdict(set)
    for pairs in two.values():
        for key, value in pairs:
            values[key].add(value)
    assert all(len(v) == 1 for v in values.values()), {k: v for k, v in values.items() if len(v) > 1}
    assert (run.run_dir / "831" / "ks2_tables_831.xlsx").is_file()
    # the kernels shared the parts of the facts through a folder of the run, removed, and share nothing now
    assert not list(run.run_dir.glob(".tmp-*"))
    assert all(session.shared is None for session in runner.shared_sessions(2))


def test_each_notebook_starts_in_a_clean_namespace_without_a_forced_full_collection():
    """Before each notebook the kernel's namespace is cleared (a name the last one left is gone, figures are
    closed), as ``%reset -f`` would, but without the full garbage collections that magic forces: each walked every
    object the kernel holds, half a second a council late in a run of every council."""
    session = runner.shared_session()
    session.start()
    session._run_code(
        "import gc, builtins, matplotlib.pyplot as plt\nleft_over = 1\nplt.figure()\n"
        "builtins._collections = [0]\n"
        "gc.callbacks.append(lambda phase, info: phase == 'start' and info['generation'] == 2 "
        "and builtins._collections.__setitem__(0, builtins._collections[0] + 1))\n"
    )
    session._run_code(runner.RESET.format(shared=None))
    session._run_code(
        "import builtins, gc, matplotlib.pyplot as plt\n"
        "assert 'left_over' not in globals(), 'the last notebook left a name'\n"
        "assert not plt.get_fignums(), 'a figure was left open'\n"
        "assert builtins._collections[0] == 0, 'the reset forced a full collection'\n"
        "gc.callbacks.pop()\n"
    )


def test_a_kernel_collects_garbage_less_often_but_still_collects():
    """A kernel ready for notebooks runs its garbage collector at the workbook's thresholds, not disabled: a
    figure that was closed, cycles and all, is still freed by the next collection."""
    session = runner.shared_session()
    session.start()
    session._run_code(
        "import gc, weakref, matplotlib.pyplot as plt\n"
        f"assert gc.isenabled() and gc.get_threshold() == {runner.KERNEL_GC_THRESHOLDS!r}, gc.get_threshold()\n"
        "_fig = plt.figure(); _gone = weakref.ref(_fig); plt.close(_fig); del _fig\n"
    )
    # the next cell, as the inline backend holds the cell's figures until the cell has ended
    session._run_code("gc.collect()\nassert _gone() is None, 'a closed figure outlived a collection'\n")


def test_the_report_html_is_nbconvert_s_page(panel):
    """The reports are made by nbconvert's HTML exporter without its last BeautifulSoup pass (half of the HTML's
    time): for every page of two councils the page parses to the same document as the full exporter's, the
    same elements focusable by keyboard, every chart with its alt text."""
    import nbformat
    from bs4 import BeautifulSoup
    from nbconvert import HTMLExporter

    full = HTMLExporter(**runner.EXPORTER_OPTIONS)
    compared = charts = 0
    for code in (831, 420):
        for name in REPORT_NOTEBOOKS:
            notebook = nbformat.read(panel / str(code) / f"{name}.ipynb", as_version=4)
            ours = runner.to_html(notebook, "Title", "meta", "footer")
            notebook = runner.for_readers(notebook)  # what to_html leaves out of a page, left out here too
            notebook.metadata["title"] = "Title"
            theirs, _ = full.from_notebook_node(
                notebook, resources={"ks2": {"kicker": "Title", "meta": "meta", "footer": "footer"}}
            )
            a, b = BeautifulSoup(ours, "html.parser"), BeautifulSoup(theirs, "html.parser")
            assert a == b, (code, name)
            assert len(a.select("[tabindex]")) == len(b.select("[tabindex]")) > 0
            assert not a.select("img:not([alt])")
            compared += 1
            charts += len(a.select("img"))
    assert compared == 2 * len(REPORT_NOTEBOOKS) and charts > 20
