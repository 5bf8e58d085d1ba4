"""The module names of release 0.1 (``ks2workbook.floor``, ``ks2workbook.dataset``...), kept importable for one
release after the package moved into layers (core, data, rules, analyses, views, reporting, cli).

``import ks2workbook.floor`` (or ``from ks2workbook import floor``) gives a module that looks each name up in the
new homes, in order, and warns once that the old name goes in the next release. Nothing inside the package
uses these names; they exist for notebooks and scripts written against 0.1.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
import types
import warnings

#: Old module -> the new modules that now hold its names, searched in order.
MOVED: dict[str, tuple[str, ...]] = {
    "areas": ("data.areas",),
    "capacity": ("analyses.capacity", "views.capacity"),
    "capacity_scenario": ("rules.scenario", "rules.strands"),
    "cli_capacity": ("cli.capacity",),
    "config": ("core.safe_yaml",),
    "dataset": ("data.tables",),
    "errors": ("core.errors",),
    "export": ("reporting.export",),
    "floor": ("analyses.floor", "views.floor"),
    "floor_rules": ("rules.floor",),
    "neighbours": ("analyses.neighbours", "views.neighbours"),
    "ofsted": ("analyses.accountability",),
    "pack": ("reporting.pack",),
    "paths": ("core.paths",),
    "quality": ("analyses.quality",),
    "report": ("reporting.runner", "reporting.pack"),
    "risk": ("analyses.risk",),
    "schemas": ("data.schemas",),
    "sources": ("data.sources",),
    "strands": ("analyses.strands", "rules.strands", "views.strands"),
    "style": ("views.style",),
    "trends": ("analyses.trends", "views.trends"),
    "values": ("data.values",),
}

_PACKAGE = __name__.rsplit(".", 1)[0]


def _alias(old: str) -> types.ModuleType:
    """A module standing for ``ks2workbook.<old>`` whose names are those of its new homes."""
    homes = [f"{_PACKAGE}.{new}" for new in MOVED[old]]
    module = types.ModuleType(f"{_PACKAGE}.{old}", f"Moved to {', '.join(homes)} (kept for one release).")
    warned: list[bool] = []

    def __getattr__(name: str):  # noqa: N807 - PEP 562 module attribute hook
        if name.startswith("__"):
            raise AttributeError(name)
        if not warned:
            warned.append(True)
            warnings.warn(
                f"ks2workbook.{old} is now {' and '.join(homes)}; the old name goes in the next release",
                DeprecationWarning,
                stacklevel=2,
            )
        for home in homes:
            target = importlib.import_module(home)
            if hasattr(target, name):
                return getattr(target, name)
        raise AttributeError(f"module ks2workbook.{old} (now {', '.join(homes)}) has no attribute {name!r}")

    module.__getattr__ = __getattr__  # type: ignore[method-assign]
    return module


class _Finder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds ``ks2workbook.<old name>`` and answers with its alias module."""

    def find_spec(self, fullname, path=None, target=None):
        package, _, old = fullname.rpartition(".")
        if package == _PACKAGE and old in MOVED:
            return importlib.machinery.ModuleSpec(fullname, self)
        return None

    def create_module(self, spec):
        return _alias(spec.name.rpartition(".")[2])

    def exec_module(self, module):
        return None


def install() -> None:
    """Put the finder on ``sys.meta_path`` once."""
    if not any(isinstance(f, _Finder) for f in sys.meta_path):
        sys.meta_path.append(_Finder())
