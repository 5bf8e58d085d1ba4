"""Project paths, resolved from this file, never from the current directory.

Why: the same notebook runs from JupyterLab (cwd = notebooks/), papermill (cwd set by us), nbval (cwd = the
repo) and cron (cwd = anywhere). Resolving from the package keeps every one of them on the same files.
The ``KS2WB_ROOT`` environment variable overrides the root (tests use it to point at a scratch copy).
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path


def project_root() -> Path:
    """The repository root: ``KS2WB_ROOT`` if set, else two levels above the package (``lib/ks2workbook``)."""
    return _root(os.environ.get("KS2WB_ROOT", ""))


@cache
def _root(override: str) -> Path:
    return Path(override).resolve() if override else package_dir().parents[1]


@cache
def package_dir() -> Path:
    """The installed package folder (``lib/ks2workbook``): its national rule files and report template."""
    return Path(__file__).resolve().parents[1]


def raw_dir() -> Path:
    """Published files, byte-for-byte as downloaded (never edited)."""
    return project_root() / "data" / "raw"


def processed_dir() -> Path:
    """Tidy tables cached as parquet (git-ignored, rebuilt when a raw file changes)."""
    return _processed(os.environ.get("KS2WB_PROCESSED", ""), project_root())


@cache
def _processed(override: str, root: Path) -> Path:
    """Remembered per setting: the tables' folder is asked for thousands of times a pack."""
    return Path(override) if override else root / "data" / "processed"


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


def plans_dir() -> Path:
    """The council's plan files: allocation of adviser days, prices, clusters (YAML; examples shipped)."""
    return project_root() / "plans"


def council_dirs() -> list[Path]:
    """Folders a council's own files (rules, scenarios, plans) may be read from: the workbook's folder, and one
    more named by ``KS2WB_COUNCIL_DIR`` for a council that keeps its files elsewhere."""
    roots = [project_root().resolve(), package_dir()]  # the workbook, and the rules it ships in its package
    extra = os.environ.get("KS2WB_COUNCIL_DIR")
    if extra:
        roots.append(Path(extra).expanduser().resolve())
    return roots


def council_file(path: str | Path, kind: str = "file", search: tuple[Path, ...] = ()) -> Path:
    """A council's file given by a user, found and checked: tried as given (relative to the working folder),
    then in each of ``search`` (e.g. ``scenarios/``) and the workbook's folder; it must be a file inside
    :func:`council_dirs` (a path that leads elsewhere, ``../../etc/passwd``, is refused, never read).
    Raises :class:`~ks2workbook.core.errors.ConfigError` naming the file by its name only."""
    from .errors import ConfigError

    given = Path(str(path)).expanduser()
    name = given.name or str(path)
    bases = [*search, *council_dirs(), Path.cwd()] if not given.is_absolute() else [Path("/")]
    found = next((b / given for b in bases if (b / given).exists()), None)
    if found is None:
        raise ConfigError(f"{kind} {name} not found")
    found = found.resolve()
    if not any(found.is_relative_to(root) for root in council_dirs()):
        raise ConfigError(
            f"{kind} {name} is outside the workbook folder; put it in rules/ or scenarios/ (or set "
            "KS2WB_COUNCIL_DIR to the folder where the council keeps its files)"
        )
    if not found.is_file():
        raise ConfigError(f"{kind} {name} is a folder, not a file")
    return found


def shown(path: str | Path) -> str:
    """How a report or message names a file: relative to the workbook (``rules/local_floor_example.yaml``) or
    to the council's folder, else by its name alone (never a full path of someone's machine)."""
    p = Path(path).resolve()
    for root in council_dirs():
        if p.is_relative_to(root):
            return p.relative_to(root).as_posix()
    return p.name


def output_root(path: str | Path | None = None) -> Path:
    """Where a report run writes: ``outputs/`` by default, or a folder given by the user, which must be inside
    the workbook or the council's folder (``KS2WB_COUNCIL_DIR``): a run never writes elsewhere."""
    from .errors import ConfigError

    if path in (None, ""):
        return usable_folder(outputs_dir(), "output folder")
    found = Path(str(path)).expanduser()
    found = (found if found.is_absolute() else Path.cwd() / found).resolve()
    if not any(found.is_relative_to(root) for root in council_dirs()):
        raise ConfigError(
            f"output folder {found.name} is outside the workbook folder; write inside it (outputs/ by default) or "
            "set KS2WB_COUNCIL_DIR to the council's folder"
        )
    return usable_folder(found, "output folder")


def usable_folder(path: Path, kind: str) -> Path:
    """A folder a run can write to, made if missing; a file in the way or no permission is one clear error."""
    from .errors import ConfigError

    for parent in [path, *path.parents]:
        if parent.exists():
            if not parent.is_dir():
                raise ConfigError(f"{kind} {path.name}: {parent.name} is a file, not a folder")
            break
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"{kind} {path.name} cannot be made ({exc.strerror})") from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise ConfigError(f"{kind} {path.name} cannot be written to")
    return path
