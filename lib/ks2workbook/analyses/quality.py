"""Data-quality summary: what each year's school data hold, how well it joins, how much is suppressed.

A cabinet report rests on these files; the appendix shows, per year and source, the rows, the share placed in
an LA, the share with a URN, and the share of the headline measure not published (suppressed or absent).
"""

from __future__ import annotations

import pandas as pd

from ..data import tables


def quality_summary(results: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per KS2 year and source file.

    Columns: ``year``, ``source``, ``rows``, ``pct_with_urn`` (2024-25 files have names only: the match rate
    of the name join), ``pct_with_la`` (placed in an LA), ``pct_rwm_missing`` (RWM expected % suppressed or not
    in the file), ``pct_progress_missing`` (reading progress), ``pct_cohort_known``.
    """
    frame = results if results is not None else tables.load("school_results")
    grouped = frame.groupby(["year", "source"], sort=True)
    summary = grouped.agg(
        rows=("year", "size"),
        pct_with_urn=("urn", lambda s: s.notna().mean() * 100),
        pct_with_la=("la_code", lambda s: s.notna().mean() * 100),
        pct_rwm_missing=("rwm_exp", lambda s: s.isna().mean() * 100),
        pct_progress_missing=("read_prog", lambda s: s.isna().mean() * 100),
        pct_cohort_known=("cohort", lambda s: s.notna().mean() * 100),
    ).reset_index()
    return summary.round(1)


def la_coverage(results: pd.DataFrame, la_code: int) -> pd.DataFrame:
    """Schools per year for one LA (the schools in it now, so a council created since keeps their earlier
    results) and how many have the headline measure published."""
    mine = results[results["la_code_now"] == la_code]
    return (
        mine.groupby("year")
        .agg(schools=("year", "size"), with_rwm=("rwm_exp", "count"), with_progress=("read_prog", "count"))
        .reset_index()
    )
