"""One way to remember a computation over the tidy tables: :func:`cached_on`.

Why: national results (England's risk features, backtests, the LAIT national tables, the floor league) are the
same for every LA, and the report pack runs every LA's notebooks in one kernel, so they are worth computing once.
Such a cache must be keyed on the version of the tables it read (a rebuilt table must never be answered from an
old cache) and must hand out copies (a caller that changes a cached frame must not change the next caller's).
Fifteen hand-written wrappers did this in three slightly different ways; this decorator is the only one now.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from functools import lru_cache, wraps
from typing import Any, TypeVar

import pandas as pd

from . import tables

F = TypeVar("F", bound=Callable[..., Any])
_ALL: list[Callable[[], None]] = []


def _copy(value: Any) -> Any:
    if isinstance(value, pd.DataFrame | pd.Series):
        return value.copy()
    if isinstance(value, str | int | float | bool | tuple | frozenset) or value is None:
        return value
    return copy.deepcopy(value)


def cached_on(*table_names: str, maxsize: int = 256, copies: bool = True) -> Callable[[F], F]:
    """Memoise a function of hashable arguments, keyed on the current version of ``table_names`` too; each call
    returns a copy of the remembered result (``copies=False`` for an index the module itself only reads).
    Calls with an unhashable argument are computed, not cached."""

    def decorate(function: F) -> F:
        @lru_cache(maxsize=maxsize)
        def remembered(version: tuple, args: tuple, kwargs: tuple) -> Any:
            return function(*args, **dict(kwargs))

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
        _ALL.append(remembered.cache_clear)
        return wrapper  # type: ignore[return-value]

    return decorate


def clear_all() -> None:
    """Forget every remembered result (tests that swap the data folder call this)."""
    for clear in _ALL:
        clear()
