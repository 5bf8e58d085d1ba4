"""Project paths, resolved from this file, never from the current directory.

Why: the same notebook runs from JupyterLab (cwd = notebooks/), papermill (cwd set by us), nbval (cwd = the
repo) and cron (cwd = anywhere). Resolving from the package keeps every one of them on the same files.
The ``KS2WB_ROOT`` environment variable overrides the root (tests use it to point at a scratch copy).
"""

from __future__ import annotations

import os
from pathlib import Path


def project_root() -> Path:
    """The repository root: ``KS2WB_ROOT`` if set, else two levels above the package (``lib/ks2workbook``)."""
    override = os.environ.get("KS2WB_ROOT")
    if override:
        return Path(override).resolve()
    return package_dir().parents[1]


def package_dir() -> Path:
    """The installed package folder (``lib/ks2workbook``): its national rule files and report template."""
    return Path(__file__).resolve().parents[1]


def raw_dir() -> Path:
    """Published files, byte-for-byte as downloaded (never edited)."""
    return project_root() / "data" / "raw"


def processed_dir() -> Path:
    """Tidy tables cached as parquet (git-ignored, rebuilt when a raw file changes)."""
    return Path(os.environ.get("KS2WB_PROCESSED", project_root() / "data" / "processed"))


def notebooks_dir() -> Path:
    return project_root() / "notebooks"


def outputs_dir() -> Path:
    return project_root() / "outputs"


def rules_dir() -> Path:
    """The national rule files shipped inside the package (floor standards, strand criteria)."""
    return package_dir() / "rules"


def scenarios_dir() -> Path:
    """Capacity-cost scenario files (YAML)."""
    return project_root() / "scenarios"
