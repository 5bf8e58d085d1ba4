"""The package's layers show in its folders and its imports only point down; no module imports itself round.

Layers, bottom to top: core (errors, paths, YAML loader, formats, facts), data (catalogue, readers, tidy tables),
rules (YAML a council edits, validated), analyses (pure functions over frames), views (charts, sentences,
display tables), reporting (notebook runs, HTML, Excel, the pack), cli. A module may import from its own layer
or any layer below; every import counts, including those inside functions (a lazy import up the stack is still
a dependency on a higher layer, and a lazy import round a cycle is still a cycle).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from ks2workbook.core.paths import package_dir

LAYERS = ("core", "data", "rules", "analyses", "views", "reporting", "cli")
#: Top-level modules outside the layers: the package face and the 0.1 aliases (they import nothing eagerly).
OUTSIDE = {"__init__", "_compat"}


def _module_name(path: Path) -> str:
    rel = path.relative_to(package_dir()).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(["ks2workbook", *parts])


def _imports(path: Path) -> set[str]:
    """Every ks2workbook module a file imports (relative imports resolved; ``from . import x`` names x)."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("ks2workbook"))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            elif node.module and node.module.startswith("ks2workbook"):
                target = node.module
            else:
                continue
            found.add(target)
            for alias in node.names:  # `from ..data import tables` imports the module ks2workbook.data.tables
                candidate = f"{target}.{alias.name}"
                if _exists(candidate):
                    found.add(candidate)
    return {m for m in found if m != name}


def _exists(module: str) -> bool:
    rel = Path(*module.split(".")[1:])
    return (package_dir() / rel).with_suffix(".py").is_file() or (package_dir() / rel / "__init__.py").is_file()


def _graph() -> dict[str, set[str]]:
    files = sorted(package_dir().rglob("*.py"))
    return {_module_name(f): {m for m in _imports(f) if _exists(m)} for f in files}


def _layer(module: str) -> int | None:
    parts = module.split(".")
    if len(parts) < 2 or parts[1] in OUTSIDE:
        return None
    return LAYERS.index(parts[1]) if parts[1] in LAYERS else -1


def test_every_module_sits_in_a_layer():
    strays = [m for m in _graph() if _layer(m) == -1]
    assert not strays, f"modules outside the layer folders: {strays}"


def test_imports_only_point_down():
    upward = []
    for module, targets in _graph().items():
        here = _layer(module)
        if here is None:
            continue
        for target in targets:
            there = _layer(target)
            if there is not None and there > here:
                upward.append(f"{module} -> {target}")
    assert not upward, "imports from a lower layer into a higher one:\n" + "\n".join(sorted(upward))


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan), each a cycle of imports."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in graph:
                continue
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_no_import_cycles():
    graph = {m: {t for t in ts if not t.endswith(("._compat", "ks2workbook"))} for m, ts in _graph().items()}
    # A package's __init__ that only names its folder is not a dependency of its modules.
    graph = {m: {t for t in ts if not (m.startswith(t + ".") and t.count(".") == 1)} for m, ts in graph.items()}
    cycles = _cycles(graph)
    assert not cycles, f"import cycles: {cycles}"


@pytest.mark.parametrize(
    "graph,expected",
    [
        ({"a": {"b"}, "b": {"a"}}, [["a", "b"]]),
        ({"a": {"b"}, "b": {"c"}, "c": set()}, []),
        ({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}, [["a", "b", "c"]]),
    ],
)
def test_cycle_finder(graph, expected):
    assert _cycles(graph) == expected


def test_layer_check_sees_an_upward_import(tmp_path, monkeypatch):
    """The check is not vacuous: a data module that imports a view is reported."""
    fake = tmp_path / "ks2workbook"
    (fake / "data").mkdir(parents=True)
    (fake / "views").mkdir()
    for d in (fake, fake / "data", fake / "views"):
        (d / "__init__.py").write_text("")
    (fake / "views" / "style.py").write_text("X = 1\n")
    (fake / "data" / "tables.py").write_text("from ..views import style\n")
    monkeypatch.setattr(f"{__name__}.package_dir", lambda: fake)
    graph = _graph()
    assert "ks2workbook.views.style" in graph["ks2workbook.data.tables"]
    assert _layer("ks2workbook.views.style") > _layer("ks2workbook.data.tables")


def test_no_data_year_is_written_in_the_code():
    """Years come from the data (the catalogue, the coverage module); the only year literals in the package are
    the facts of the world held in core/world.py. Century arithmetic (2000 + 19) and bounds (2000 to 2100) are
    not years of data."""
    import io
    import tokenize

    allowed = {2000, 2100}
    found = []
    for path in sorted(package_dir().rglob("*.py")):
        rel = path.relative_to(package_dir()).as_posix()
        if rel == "core/world.py":
            continue
        for token in tokenize.generate_tokens(io.StringIO(path.read_text()).readline):
            if token.type == tokenize.NUMBER:
                try:
                    value = float(token.string.replace("_", ""))
                except ValueError:
                    continue
                if 1990 <= value <= 2100 and value == int(value) and int(value) not in allowed:
                    found.append(f"{rel}:{token.start[0]} {token.string}")
    assert not found, found
