"""The environment is pinned in one place: pyproject.toml (pip). environment.yml (conda) and constraints.txt (the
whole resolved set that `make setup` installs with) name the same packages at the same versions, read from
pyproject.toml each time, so a dependency added there (gptables, xlsxwriter...) is expected everywhere."""

from __future__ import annotations

import re
import tomllib

import yaml
from ks2workbook.core import paths


def _pins(specs: list[str], sep: str) -> dict[str, str]:
    out = {}
    for spec in specs:
        name, version = spec.split(sep)
        out[_key(name)] = version.strip()
    return out


def _key(name: str) -> str:
    """A package name as pip compares them (PEP 503: case, "-", "_" and "." alike)."""
    return re.sub(r"[-_.]+", "-", name.strip().lower())


def _project() -> dict:
    return tomllib.loads((paths.project_root() / "pyproject.toml").read_text())["project"]


def _pyproject_pins() -> dict[str, str]:
    project = _project()
    return _pins(project["dependencies"] + project["optional-dependencies"]["dev"], "==")


def _differences(expected: dict[str, str], found: dict[str, str]) -> list[str]:
    return [
        f"{name}: pyproject {expected.get(name, '(absent)')}, here {found.get(name, '(absent)')}"
        for name in sorted(set(expected) | set(found))
        if expected.get(name) != found.get(name)
    ]


def test_environment_matches_pyproject():
    env = yaml.safe_load((paths.project_root() / "environment.yml").read_text())
    assert env["channels"] == ["conda-forge"]
    conda = [d for d in env["dependencies"] if isinstance(d, str)]
    assert "python=3.11" in conda and "pip" in conda
    conda_pins = _pins([d for d in conda if d not in ("python=3.11", "pip")], "=")
    pip_pins = _pyproject_pins()
    assert conda_pins == pip_pins, f"environment.yml differs from pyproject.toml: {_differences(pip_pins, conda_pins)}"
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert pip_section == ['-e ".[dev]"']


def test_constraints_hold_every_direct_pin():
    """`make setup` installs with `-c constraints.txt`: a direct pin the constraints give at another version (or
    leave out) would make the install fail or float."""
    constraints = {}
    for line in (paths.project_root() / "constraints.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if "==" in line:
            name, version = line.split("==", 1)
            constraints[_key(name)] = version.strip()
    pins = _pyproject_pins()
    assert {"gptables", "xlsxwriter"} <= set(pins)  # the pack's Excel workbook (reporting/workbook.py)
    wrong = [
        f"{n}: pyproject {v}, constraints {constraints.get(n, '(absent)')}"
        for n, v in pins.items()
        if constraints.get(n) != v
    ]
    assert not wrong, wrong


def test_every_dependency_is_pinned():
    project = _project()
    for spec in project["dependencies"] + project["optional-dependencies"]["dev"]:
        assert "==" in spec, f"unpinned: {spec}"


def test_gitignore_keeps_the_package():
    text = (paths.project_root() / ".gitignore").read_text().splitlines()
    assert "lib/" not in text and "lib" not in text
