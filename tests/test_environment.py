"""environment.yml (conda) names the same packages at the same versions as pyproject.toml (pip)."""

from __future__ import annotations

import tomllib

import yaml
from ks2workbook.core import paths


def _pins(specs: list[str], sep: str) -> dict[str, str]:
    out = {}
    for spec in specs:
        name, version = spec.split(sep)
        out[name.strip().lower()] = version.strip()
    return out


def test_environment_matches_pyproject():
    root = paths.project_root()
    project = tomllib.loads((root / "pyproject.toml").read_text())["project"]
    pip_pins = _pins(project["dependencies"] + project["optional-dependencies"]["dev"], "==")
    env = yaml.safe_load((root / "environment.yml").read_text())
    assert env["channels"] == ["conda-forge"]
    conda = [d for d in env["dependencies"] if isinstance(d, str)]
    assert "python=3.11" in conda and "pip" in conda
    conda_pins = _pins([d for d in conda if d not in ("python=3.11", "pip")], "=")
    assert conda_pins == pip_pins
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert pip_section == ['-e ".[dev]"']


def test_every_dependency_is_pinned():
    project = tomllib.loads((paths.project_root() / "pyproject.toml").read_text())["project"]
    for spec in project["dependencies"] + project["optional-dependencies"]["dev"]:
        assert "==" in spec, f"unpinned: {spec}"


def test_gitignore_keeps_the_package():
    text = (paths.project_root() / ".gitignore").read_text().splitlines()
    assert "lib/" not in text and "lib" not in text
