"""The report notebooks as committed: thin (a title, the pack's parameters, calls into ks2workbook.views), stripped
of outputs, each one registered as a report, and calling only functions that exist.

Nothing is executed here: tests/test_reports.py renders the packs.
"""

from __future__ import annotations

import ast
import builtins
import importlib
import json

import nbformat
import pytest
from ks2workbook import _compat
from ks2workbook.core import paths
from ks2workbook.reporting.runner import REPORT_NOTEBOOKS
from ks2workbook.rules.pack import PARAMETERS

NOTEBOOKS = sorted(paths.notebooks_dir().glob("*.ipynb"))
#: A budget, not a target: a notebook's code (its parameters cell included) stays this short; what it shows is
#: made in ks2workbook.views, where it is tested.
MAX_CODE_LINES = 60
#: The package's layers (lib/ks2workbook/__init__.py); the 0.1 module names are the keys of _compat.MOVED.
LAYERS = {"core", "data", "rules", "analyses", "views", "reporting", "cli"}


def _read(path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def _code_cells(path) -> list[nbformat.NotebookNode]:
    return [c for c in _read(path).cells if c.cell_type == "code"]


def _parameters_cell(path) -> nbformat.NotebookNode:
    tagged = [c for c in _read(path).cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1, f"{path.name}: {len(tagged)} parameters cells"
    return tagged[0]


def test_every_notebook_is_a_registered_report_and_every_report_has_its_notebook():
    assert {p.stem for p in NOTEBOOKS} == set(REPORT_NOTEBOOKS)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_committed_without_outputs(path):
    notebook = json.loads(path.read_text(encoding="utf-8"))
    for cell in notebook["cells"]:
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [], f"{path.name} has outputs"
            assert cell["execution_count"] is None, f"{path.name} has execution counts"
    assert "widgets" not in notebook["metadata"], f"{path.name} carries saved widget state"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_a_title_then_the_parameters_cell(path):
    notebook = _read(path)
    assert notebook.cells[0].cell_type == "markdown" and notebook.cells[0].source.startswith("# ")
    first_code = next(c for c in notebook.cells if c.cell_type == "code")
    assert "parameters" in first_code.metadata.get("tags", []), "the parameters cell is the first code cell"
    assert notebook.cells[1] is first_code, "the title is followed by the parameters"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_parameters_cell_defines_exactly_the_packs_parameters(path):
    """Each name of ks2workbook.rules.pack.PARAMETERS, once, with its default as a plain value (papermill and
    `ks2workbook report` replace them; a notebook with a parameter of its own would show other figures)."""
    values = {}
    for statement in ast.parse(_parameters_cell(path).source).body:
        assert isinstance(statement, ast.Assign) and len(statement.targets) == 1, ast.unparse(statement)
        (target,) = statement.targets
        assert isinstance(target, ast.Name), ast.unparse(statement)
        assert target.id not in values, f"{path.name}: {target.id} set twice"
        values[target.id] = ast.literal_eval(statement.value)  # plain values only
    assert values == PARAMETERS
    assert list(values) == list(PARAMETERS)  # in the same order, so the cells read alike


def test_the_parameters_cell_is_the_same_in_every_notebook():
    sources = {p.stem: _parameters_cell(p).source for p in NOTEBOOKS}
    assert len(set(sources.values())) == 1, sorted(sources)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebooks_stay_thin(path):
    lines = [
        line
        for cell in _code_cells(path)
        for line in cell.source.splitlines()
        if line.strip() and not line.strip().startswith("#")
    ]
    assert len(lines) <= MAX_CODE_LINES, f"{path.name}: {len(lines)} lines of code (budget {MAX_CODE_LINES})"


def _imports(path) -> dict[str, str]:
    """Name bound in the notebook -> the module or object path it stands for (``v`` -> ks2workbook.views.floor)."""
    bound: dict[str, str] = {}
    for cell in _code_cells(path):
        for node in ast.walk(ast.parse(cell.source)):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.asname:  # import a.b as c: c is a.b
                        bound[alias.asname] = alias.name
                    else:  # import a.b: binds a (the import itself is still checked, below, by its full name)
                        bound[alias.name.split(".")[0]] = alias.name.split(".")[0]
                        bound.setdefault(f"<import {alias.name}>", alias.name)
            elif isinstance(node, ast.ImportFrom):
                assert node.level == 0 and node.module, f"{path.name}: relative import"
                for alias in node.names:
                    bound[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return bound


def _resolve(dotted: str):
    """The module or object a dotted path names (``ks2workbook.views.page`` or ``ks2workbook.views.page.show``)."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            target = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        for attr in parts[cut:]:
            target = getattr(target, attr)
        return target
    raise ModuleNotFoundError(dotted)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebooks_import_the_views_only_never_the_01_names(path):
    imported = _imports(path)
    workbook = [target for target in imported.values() if target.split(".")[0] == "ks2workbook"]
    assert workbook, f"{path.name} imports nothing from ks2workbook"
    for target in workbook:
        parts = target.split(".")
        assert len(parts) > 1 and parts[1] not in _compat.MOVED, f"{path.name}: 0.1 name {target}"
        assert parts[1] in LAYERS, f"{path.name}: {target} is not in a layer"
        # Notebooks put things on a page through the views (views/page.py); the analyses sit behind them.
        assert parts[1] == "views", f"{path.name}: imports {target}, not a view"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_function_a_notebook_calls_exists(path):
    """Every ``module.name`` a notebook uses exists in the module it imported (a renamed view would otherwise be
    found only when a pack is rendered), and every call is to something callable."""
    bound = {name: _resolve(target) for name, target in _imports(path).items()}
    assigned = set(PARAMETERS) | {"facts"}
    used = 0
    for cell in _code_cells(path):
        tree = ast.parse(cell.source)
        assigned |= {t.id for n in ast.walk(tree) if isinstance(n, ast.Assign) for t in n.targets if hasattr(t, "id")}
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in bound:
                owner = bound[node.value.id]
                assert hasattr(owner, node.attr), f"{path.name}: {node.value.id}.{node.attr} does not exist"
                used += 1
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                func = node.func
                if isinstance(func.value, ast.Name) and func.value.id in bound:
                    target = getattr(bound[func.value.id], func.attr, None)
                    assert callable(target), f"{path.name}: {ast.unparse(func)} is not a function of the views"
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                name = node.func.id
                assert name in bound or hasattr(builtins, name), f"{path.name}: {name}() is not defined"
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
                known = node.id in bound or node.id in assigned or hasattr(builtins, node.id)
                assert known, f"{path.name}: {node.id} is not defined"
    assert used >= 3, f"{path.name} calls almost nothing from ks2workbook.views"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_notebook_opens_the_pack_and_ends_with_its_glossary(path):
    """The shape every report shares: the facts from the parameters (views/page.py open_pack), the header, and the
    glossary at the end."""
    cells = [c.source for c in _code_cells(path)]
    assert "page.open_pack(globals())" in cells[1] and "page.header(facts, v.WHAT)" in cells[1]
    assert "page.glossary(" in cells[-1]
