"""The national results every council's pack reads, computed once per data version and kept beside the tidy
tables (:func:`ks2workbook.data.cache.cached_on` with ``persist``).

Why a step of its own: a council's pack should take seconds, and most of its work (England's strands, risk models
and backtests, Ofsted statuses, the floor league, the LAIT national tables) is the same for every council. ``make
data`` (``ks2workbook build-data``) runs this after building the tables, so the first report of the day does not
pay for it; a pack with other choices (another year, a council's own files) computes what it needs and stores it.
"""

from __future__ import annotations

import time

from ..data import cache, tables

#: A council whose default pack touches every national result (any current council would do).
REFERENCE_LA = 831


def precompute() -> float:
    """Fill the national store for the default pack; returns the seconds it took."""
    from . import pack

    start = time.perf_counter()
    tables.build_all()
    cache.prune_store()  # results of earlier code or data go
    pack.facts(pack.define(la_code=REFERENCE_LA)).complete()
    return time.perf_counter() - start
