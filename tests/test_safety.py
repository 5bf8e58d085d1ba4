"""Hostile and careless input (issue #19): every finding of the issue as a test. Council files and parameters
are untrusted: what they put in a report is text, never markup; no path leaves the workbook; a bomb is refused in
well under a second; a bad value is one line before anything runs; exports never carry a live formula."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ks2workbook.analyses import pack
from ks2workbook.cli import app
from ks2workbook.core.errors import ConfigError, WorkbookError
from ks2workbook.core.paths import project_root
from ks2workbook.reporting import export, kernel_fork, runner
from ks2workbook.reporting import pack as report_pack
from ks2workbook.rules import accountability as acc_rules
from ks2workbook.rules import floor as floor_rules
from ks2workbook.rules import plan as plan_rules
from ks2workbook.rules import strands as strand_rules
from ks2workbook.rules.scenario import load_scenario
from report_reader import read
from typer.testing import CliRunner

PAYLOADS = ("<script>alert(1)</script>", "<img src=x onerror=alert(2)>", "[x](javascript:alert(3))")
LOADERS = {
    "floor rule": floor_rules.read_rule_file,
    "strand rules": strand_rules.load_rules,
    "scenario": load_scenario,
    "allocation": plan_rules.allocation,
    "prices": plan_rules.prices,
    "clusters": plan_rules.clusters,
    "support rules": plan_rules.support_rules,
    "framework mapping": acc_rules.frameworks,
}


def cli(*args: str):
    return CliRunner().invoke(app, list(args))


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


# ------------------------------------------------------------------------------------------------------------
# 1. No script from a council file reaches a report
# ------------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def hostile_files(tmp_path_factory) -> dict[str, str]:
    folder = tmp_path_factory.getbasetemp() / "hostile"
    folder.mkdir(exist_ok=True)
    p = " ".join(PAYLOADS)
    alloc = (project_root() / "plans" / "allocation_default.yaml").read_text()
    alloc = re.sub(r"(?m)^name: .*$", lambda _: f"name: {json.dumps(p)}", alloc)
    prices = (project_root() / "plans" / "prices_example_2026.yaml").read_text()
    prices = prices.replace("  name: Employed improvement advisers", f"  name: {json.dumps('Advisers ' + p)}")
    strands = (project_root() / "lib/ks2workbook/rules/strands.yaml").read_text()
    strands = strands.replace("label: Great, able to support others", f"label: {json.dumps('Great ' + p)}")
    q = json.dumps(p)
    local = textwrap.dedent(f"""\
        name: {q}
        kind: local
        rules:
          - from_year: 2022
            label: {json.dumps("local " + p)}
            attainment: {{measure: rwm_exp, below: 65, label: {q}}}
            eligibility: {{mainstream_state: true, min_cohort: null, exclude_closed: false}}
            source: {q}
        """)
    out = {
        "allocation_file": str(write(folder, "alloc.yaml", alloc)),
        "prices_file": str(write(folder, "prices.yaml", prices)),
        "strand_rules_file": str(write(folder, "strands.yaml", strands)),
        "local_rule_file": str(write(folder, "floor.yaml", local)),
        "clusters_file": str(
            write(
                folder,
                "clusters.yaml",
                f"""\
            name: {json.dumps(p)}
            la_code: 831
            illustration: true
            note: {json.dumps(p)}
            rule: nearest_centre
            clusters:
              - {{name: {json.dumps("North " + PAYLOADS[0])}, centre_urn: 112717, advisers: 1}}
              - {{name: {json.dumps("South " + PAYLOADS[1])}, centre_urn: 112739, advisers: 1}}
            """,
            )
        ),
    }
    return out


@pytest.mark.slow
def test_payloads_in_every_council_file_are_text_in_the_reports(hostile_files, tmp_path):
    run = report_pack.run_pack([831], out_root=tmp_path, extra=hostile_files, jobs=1, progress=False)
    assert not run.failed, [o.reason for o in run.failed]
    seen = 0
    for page in (run.run_dir / "831").glob("*.html"):
        text = page.read_text()
        assert "Content-Security-Policy" in text and "script-src" not in text  # default-src 'none': no script
        reading = read(page, "Derby")
        live = [p for p in reading.problems if "script element" in p or "live handlers" in p]
        assert not live, (page.name, live)  # parsed as a browser would: no script, handler or javascript link
        seen += text.count("&lt;script&gt;alert(1)&lt;/script&gt;")
    assert seen >= 3  # the payload is shown, as text, where the council put it


# ------------------------------------------------------------------------------------------------------------
# 2. No path leaves the workbook
# ------------------------------------------------------------------------------------------------------------


def test_notebook_names_are_names_not_paths():
    for name in ("../../../../tmp/x/evil", "/etc/passwd", "trends/../../x", "nonexistent"):
        with pytest.raises(WorkbookError, match="no report"):
            runner.notebook_path(name)
    result = cli("report", "--la", "831", "--notebook", "../../../../tmp/x/evil")
    assert result.exit_code == 2 and "no report" in result.output


def test_council_files_and_outputs_stay_inside(tmp_path, monkeypatch):
    monkeypatch.delenv("KS2WB_COUNCIL_DIR")
    outside = Path("/tmp") / f"ks2wb-outside-{os.getpid()}.yaml"
    outside.write_text("name: x\ncore_days: 5\n")
    try:
        for kind in ("allocation_file", "local_rule_file", "clusters_file", "strand_rules_file"):
            with pytest.raises(ConfigError, match="outside the workbook folder"):
                pack.define(la_code=831, **{kind: str(outside)})
        with pytest.raises(ConfigError, match="outside the workbook folder"):
            pack.define(la_code=831, allocation_file="../../../../" + str(outside).lstrip("/"))
    finally:
        outside.unlink()
    result = cli("report", "--la", "831", "--out", "/tmp/ks2wb-elsewhere")
    assert result.exit_code == 2 and "outside the workbook folder" in result.output


# ------------------------------------------------------------------------------------------------------------
# 3. YAML bombs refused, fast, in every kind of council file
# ------------------------------------------------------------------------------------------------------------

LAUGHS = """\
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
"""


@pytest.mark.parametrize("kind", list(LOADERS))
@pytest.mark.parametrize(
    ("what", "text"),
    [
        ("aliases", LAUGHS),
        ("many keys", "".join(f"k{i}: {i}\n" for i in range(60_000))),
        ("too big", "name: " + "x" * 1_100_000 + "\n"),
        ("a python tag", "name: !!python/object/apply:os.system ['echo pwned']\n"),
    ],
)
def test_bombs_are_refused_quickly(tmp_path, kind, what, text):
    path = tmp_path / f"{kind.replace(' ', '_')}.yaml"
    path.write_text(text)
    start = time.perf_counter()
    with pytest.raises(WorkbookError) as caught:
        LOADERS[kind](path)
    assert time.perf_counter() - start < 1.0
    message = str(caught.value)
    assert path.name in message and len(message) < 400  # names the file; never echoes it


def test_an_impossible_date_is_one_line(tmp_path):
    text = (project_root() / "scenarios" / "derby_2010_current.yaml").read_text()
    path = write(tmp_path, "bad_date.yaml", text.replace("start: 2009-04-01", "start: 2010-02-30"))
    with pytest.raises(ConfigError) as caught:
        load_scenario(path)
    assert "\n" not in str(caught.value) and "start" in str(caught.value) and "line" in str(caught.value)


def test_a_file_that_is_not_yaml_is_not_echoed(tmp_path):
    readme = (project_root() / "README.md").read_text()
    path = write(tmp_path, "notes.yaml", readme)
    with pytest.raises(WorkbookError) as caught:
        pack.define(la_code=831, local_rule_file=str(path))
    assert len(str(caught.value)) < 400 and readme[200:260] not in str(caught.value)


# ------------------------------------------------------------------------------------------------------------
# 4. Kernels die with the run
# ------------------------------------------------------------------------------------------------------------


def _children(pid: int) -> set[int]:
    out = set()
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                ppid = int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            if ppid == pid:
                out.add(int(proc.name))
    return out


def _alive(pid: int) -> bool:
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the parent-death signal is Linux's")
@pytest.mark.parametrize("fork", [True, False], ids=["forked kernels", "kernels started the usual way"])
def test_killing_a_run_kills_its_kernels(tmp_path, monkeypatch, fork):
    """A run of two councils on two kernels, killed outright (no clean-up of its own): its kernels, and the fork
    server they came from, end with it, and nothing is published after."""
    if not fork:
        monkeypatch.setenv("KS2WB_NO_FORK", "1")
    elif not kernel_fork.forkable():
        pytest.skip("kernels are not forked here")
    exe = Path(sys.executable).with_name("ks2workbook")
    proc = subprocess.Popen(
        [str(exe), "report", "--la", "831", "--la", "343", "-j", "2", "--no-progress", "--out", str(tmp_path)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    expected = 3 if fork else 2  # the server and two kernels, or two kernels
    tree: set[int] = set()
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None:  # wait for the kernels
        tree = set()
        frontier = {proc.pid}
        while frontier:
            kids = set().union(*(_children(p) for p in frontier))
            tree |= kids
            frontier = kids
        if len(tree) >= expected:
            break
        time.sleep(0.2)
    assert len(tree) >= expected, "the kernels did not start"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    deadline = time.time() + 30
    while time.time() < deadline and any(_alive(p) for p in tree):
        time.sleep(0.5)
    assert not [p for p in tree if _alive(p)], "processes outlived the run"
    published = [p for p in (tmp_path).rglob("cabinet_summary.html")]
    assert not published  # nothing was published after the run died


def _marked(mark: str) -> list[int]:
    """Processes whose environment carries ``KS2WB_TEST_MARK=mark`` (kernels and the fork server inherit it), but
    multiprocessing's resource tracker, which lives as long as this process, by design."""
    found = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit() and int(proc.name) != os.getpid() and _alive(int(proc.name)):
            try:
                marked = f"KS2WB_TEST_MARK={mark}".encode() in (proc / "environ").read_bytes().split(b"\0")
                tracker = b"multiprocessing.resource_tracker" in (proc / "cmdline").read_bytes()
            except OSError:
                continue
            if marked and not tracker:
                found.append(int(proc.name))
    return found


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_refused_run_of_many_councils_leaves_no_kernel(tmp_path, monkeypatch):
    """The kernels of a run of many councils start (forked from their server) while the inputs are checked; a run
    refused by the checks stops them all and says why in one line."""
    mark = f"refused-{os.getpid()}-{time.time_ns()}"
    monkeypatch.setenv("KS2WB_TEST_MARK", mark)
    with pytest.raises(WorkbookError, match=r"^year must be a year such as 2025 \(got 'twenty'\)$"):
        report_pack.run_pack([831, 343], out_root=tmp_path, extra={"year": "twenty"}, jobs=2, progress=False)
    assert _marked(mark) == []  # gone when the message is given, not some time later
    assert not list(tmp_path.rglob("*.html"))


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_run_refused_by_the_lock_leaves_no_kernel(tmp_path, monkeypatch):
    """The kernels start before the output folder's lock is asked for: a run that finds another one writing stops
    them as it says so."""
    mark = f"locked-{os.getpid()}-{time.time_ns()}"
    monkeypatch.setenv("KS2WB_TEST_MARK", mark)
    with report_pack.run_lock(tmp_path), pytest.raises(WorkbookError, match="^another report run is writing"):
        report_pack.run_pack([831, 343], out_root=tmp_path, jobs=2, progress=False)
    assert _marked(mark) == []


# ------------------------------------------------------------------------------------------------------------
# 6. No live formula in an export
# ------------------------------------------------------------------------------------------------------------

FORMULAS = ['=HYPERLINK("http://x","click")', "=1+2*3", "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)"]


def test_csv_and_xlsx_neutralise_formula_cells(tmp_path):
    frame = pd.DataFrame({"School": FORMULAS, "Value": [1, -2, 3, 4, 5]})
    csv = export.write_table(frame, "csv", tmp_path / "t.csv")
    read = pd.read_csv(csv)
    assert all(v.startswith("'") for v in read["School"])
    assert list(read["Value"]) == [1, -2, 3, 4, 5]  # numbers stay numbers, negative ones too
    xlsx = export.write_table(frame, "xlsx", tmp_path / "t.xlsx")
    sheet = openpyxl.load_workbook(xlsx).active
    for row in sheet.iter_rows(min_row=2):
        assert row[0].data_type == "s" and row[0].value.startswith("'")
        assert row[1].data_type == "n"


def test_capacity_export_of_a_hostile_scenario_has_no_formula(tmp_path):
    text = (project_root() / "scenarios" / "derby_2010_current.yaml").read_text()
    path = write(
        tmp_path, "evil.yaml", text.replace("days_per_fte: 165", 'days_per_fte: 165\n      note: "=HYPERLINK(1)"')
    )
    result = cli("capacity", str(path), "--format", "xlsx", "--out", str(tmp_path / "evil.xlsx"))
    assert result.exit_code == 0, result.output
    book = openpyxl.load_workbook(tmp_path / "evil.xlsx")
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{sheet.title}!{cell.coordinate}"


# ------------------------------------------------------------------------------------------------------------
# 7, 9, 10. One line, exit code 2, before anything runs
# ------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--la", "909"), "Cumbria .* no longer exists; its schools are now in Cumberland .* and Westmorland"),
        (("--la", "abc"), "abc"),
        (("--year", "2020"), "no KS2 tests were sat in 2020 and 2021"),
        (("--year", "1999"), "no KS2 results for 1999"),
        (("--year", "2030"), "no KS2 results for 2030"),
        (("--threshold", "150"), "threshold must be above 0 and at most 100"),
        (("--threshold", "-5"), "threshold must be above 0"),
        (("--threshold", "nan"), "threshold must be"),
        (("--at-risk-chance", "1.5"), "at_risk_chance"),
        (("--jobs", "-1"), "jobs must be 1 or more"),
        (("--local-rule-file", "rules/missing.yaml"), "floor rule file missing.yaml not found"),
    ],
)
def test_bad_parameters_are_one_line_before_any_kernel(args, message):
    start = time.perf_counter()
    result = cli("report", "--la", "831", *args) if args[0] != "--la" else cli("report", *args)
    assert result.exit_code == 2, result.output
    assert len(result.output.strip().splitlines()) == 1 and "Traceback" not in result.output
    import re

    assert re.search(message, result.output), result.output
    assert time.perf_counter() - start < 30  # failed in the checks, not after kernels


def test_output_folder_problems_are_one_line(tmp_path):
    a_file = tmp_path / "a_file"
    a_file.write_text("x")
    for out, message in ((a_file, "is a file, not a folder"), (a_file / "below", "is a file, not a folder")):
        result = cli("report", "--la", "831", "--out", str(out))
        assert result.exit_code == 2 and message in result.output, result.output
    result = cli("export", "floor", "--la", "831", "--year", "2018", "--out", str(tmp_path))
    assert result.exit_code == 2 and "is a folder" in result.output


def test_a_lock_that_is_a_folder_is_one_line(tmp_path):
    (tmp_path / report_pack.LOCK_NAME).mkdir()
    with pytest.raises(WorkbookError, match="lock"):
        with report_pack.run_lock(tmp_path):
            pass


def test_a_notebook_with_a_bad_parameter_stops_with_one_line(tmp_path):
    import nbformat
    import papermill

    with pytest.raises(papermill.PapermillExecutionError) as caught:
        papermill.execute_notebook(
            str(project_root() / "notebooks" / "trends.ipynb"),
            str(tmp_path / "out.ipynb"),
            parameters={"la_code": "abc"},
            kernel_name="python3",
            progress_bar=False,
        )
    assert caught.value.ename == "ReportStop"
    done = nbformat.read(tmp_path / "out.ipynb", as_version=4)
    errors = [o for c in done.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert len(errors) == 1 and len(errors[0]["traceback"]) == 1
    assert errors[0]["traceback"][0].startswith("This report cannot be made:")


def test_the_same_council_twice_is_one_pack(tmp_path, monkeypatch):
    ran = []

    def task(sessions, code, notebooks, run_dir, extra):
        ran.append(code)
        return report_pack.LaOutcome(code, [], True, Path(run_dir) / str(code)), {}

    monkeypatch.setattr(report_pack, "council_task", task)
    report_pack.run_pack([831, "831", "Derby"], notebooks=["trends"], out_root=tmp_path, jobs=1, progress=False)
    assert ran == [831]


# ------------------------------------------------------------------------------------------------------------
# The fuzz: any YAML a council might write (or an attacker craft) is a model or one clear error
# ------------------------------------------------------------------------------------------------------------

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=True),
    st.text(max_size=30),
    st.dates().map(str),
)
values = st.recursive(
    scalars, lambda c: st.lists(c, max_size=4) | st.dictionaries(st.text(max_size=12), c, max_size=4), max_leaves=20
)
keys = st.sampled_from(
    [
        "name",
        "core_days",
        "extra_days",
        "clusters",
        "la_code",
        "employed",
        "external",
        "rules",
        "strands",
        "label",
        "year",
        "from_year",
        "attainment",
        "supply",
        "start",
        "frameworks",
        "x",
    ]
)
documents = st.one_of(st.dictionaries(keys, values, max_size=8), values, st.text(max_size=200))


@settings(max_examples=60, deadline=2000, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(doc=documents, kind=st.sampled_from(list(LOADERS)))
def test_fuzzed_council_files_are_a_model_or_one_clear_error(tmp_path, doc, kind):
    path = tmp_path / f"fuzz_{kind.replace(' ', '_')}.yaml"
    path.write_text(doc if isinstance(doc, str) else yaml.safe_dump(doc, allow_unicode=True))
    try:
        LOADERS[kind](path)
    except WorkbookError as exc:
        assert path.name in str(exc), str(exc)
        assert "Traceback" not in str(exc)
