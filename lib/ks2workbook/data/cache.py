"""One way to remember a computation over the tidy tables: :func:`cached_on`.

Why: national results (England's risk features, backtests, the LAIT national tables, the floor league, every
school's strand and Ofsted status) are the same for every LA, and the report pack runs every LA's notebooks in one
kernel, so they are worth computing once. Such a cache must be keyed on the version of the tables it read (a
rebuilt table must never be answered from an old cache) and must hand out copies (a caller that changes a cached
frame must not change the next caller's).

``persist=True`` keeps the result beside the tidy tables as well (``data/processed/national/``), so a new process
(the next report run, a kernel started afresh) reads it instead of computing it again. Its key is the
content of what it rests on: the tables' manifests (their raw files' checksums and the code that built them), the
code of the layers that compute it (core, data, rules, analyses: views and reporting do not change a result), the
rule files the workbook ships, any council file passed as an argument, and the arguments. Change any of them and
the result is computed afresh; ``ks2workbook build-data`` fills the store for the default pack (``make data``).
The store holds pickles the workbook wrote itself, under its own data folder; they are never shared or downloaded.
"""

from __future__ import annotations

import copy
import hashlib
import os
import pickle
from collections.abc import Callable
from functools import lru_cache, wraps
from pathlib import Path
from typing import Any, TypeVar

import pandas as pd

from ..core.paths import package_dir, processed_dir
from . import tables

F = TypeVar("F", bound=Callable[..., Any])
_ALL: list[Callable[[], None]] = []
#: The package folders whose code makes the national results (a change in any of them changes the key).
RESULT_CODE = ("core", "data", "rules", "analyses")
STORE = "national"


def _copy(value: Any) -> Any:
    if isinstance(value, pd.DataFrame | pd.Series):
        return value.copy()
    if isinstance(value, str | int | float | bool | tuple | frozenset) or value is None:
        return value
    return copy.deepcopy(value)


@lru_cache(maxsize=1)
def code_version() -> str:
    """Hash of the code and shipped rule files that make national results."""
    digest = hashlib.sha256()
    root = package_dir()
    for folder in RESULT_CODE:
        for file in sorted((root / folder).rglob("*")):
            if file.suffix in (".py", ".yaml") and file.is_file():
                digest.update(file.relative_to(root).as_posix().encode())
                digest.update(file.read_bytes())
    return digest.hexdigest()


def _file_part(value: Any) -> Any:
    """An argument that names a file is keyed on the file's content too (a council edits its file in place)."""
    if isinstance(value, str) and value and len(value) < 500:
        from ..core.paths import project_root

        for base in (Path(value), project_root() / value):
            try:
                if base.is_file():
                    return (value, hashlib.sha256(base.read_bytes()).hexdigest())
            except OSError:
                return value
    return value


def store_key(function: Callable, table_names: tuple[str, ...], args: tuple, kwargs: tuple) -> str:
    """The persistent key of one call (see the module docstring)."""
    parts = (
        function.__module__,
        function.__qualname__,
        tuple(_file_part(a) for a in args),
        tuple((k, _file_part(v)) for k, v in kwargs),
        tables.content_version(*table_names),
        code_version(),
    )
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:32]


def generation() -> str:
    """The store's folder for the code and tables as they are now: results of other code or data sit in other
    folders, which :func:`prune_store` removes (else every upgrade or new year would leave its results behind)."""
    return hashlib.sha256((code_version() + tables.content_version(*tables.TABLES)).encode()).hexdigest()[:16]


def store_path(function: Callable, key: str) -> Path:
    name = f"{function.__module__.rsplit('.', 1)[-1]}.{function.__name__}"
    return processed_dir() / STORE / generation() / name / f"{key}.pkl"


def prune_store() -> int:
    """Remove the stored results of other code or data versions; returns how many folders went."""
    import shutil

    root = processed_dir() / STORE
    if not root.is_dir():
        return 0
    keep = generation()
    gone = 0
    for folder in root.iterdir():
        if folder.is_dir() and folder.name != keep:
            shutil.rmtree(folder, ignore_errors=True)
            gone += 1
    return gone


def read_pickle(path: Path) -> tuple[bool, Any]:
    """``(True, value)`` from a pickle this workbook wrote itself (the national store, the parts a run's kernels
    share), or ``(False, None)`` where there is none or it cannot be read (then the value is computed again)."""
    try:
        with open(path, "rb") as handle:
            return True, pickle.load(handle)  # noqa: S301 - written by this workbook into a folder of its own
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, ValueError):
        return False, None


def write_pickle(path: Path, value: Any, *, create: bool = True) -> None:
    """Atomically (a second process writing the same value writes its own temporary file, and a reader never sees
    half a file); ``create`` makes the folder first. A folder that cannot be written (read-only data) only means the
    value is not kept; a value pickle refuses is an error of the code that made it."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        if create:
            path.parent.mkdir(parents=True, exist_ok=True)
        with open(tmp, "wb") as handle:
            pickle.dump(value, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    except OSError:
        tmp.unlink(missing_ok=True)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def cached_on(*table_names: str, maxsize: int = 256, copies: bool = True, persist: bool = False) -> Callable[[F], F]:
    """Memoise a function of hashable arguments, keyed on the current version of ``table_names`` too; each call
    returns a copy of the remembered result (``copies=False`` for an index the module itself only reads).
    ``persist`` keeps the result in the national store for other processes. Calls with an unhashable argument are
    computed, not cached."""

    def decorate(function: F) -> F:
        @lru_cache(maxsize=maxsize)
        def remembered(version: tuple, args: tuple, kwargs: tuple) -> Any:
            if not persist:
                return function(*args, **dict(kwargs))
            path = store_path(function, store_key(function, table_names, args, kwargs))
            held, value = read_pickle(path) if path.is_file() else (False, None)
            if not held:
                value = function(*args, **dict(kwargs))
                write_pickle(path, value)
            return value

        @wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            key = (args, tuple(sorted(kwargs.items())))
            try:
                hash(key)
            except TypeError:
                return function(*args, **kwargs)
            found = remembered(tables.tables_version(*table_names), *key)
            return _copy(found) if copies else found

        wrapper.cache_clear = remembered.cache_clear  # type: ignore[attr-defined]
        wrapper.uncached = function  # type: ignore[attr-defined]
        wrapper.persisted = persist  # type: ignore[attr-defined]
        _ALL.append(remembered.cache_clear)
        return wrapper  # type: ignore[return-value]

    return decorate


def clear_all() -> None:
    """Forget every remembered result (tests that swap the data folder call this)."""
    for clear in _ALL:
        clear()
