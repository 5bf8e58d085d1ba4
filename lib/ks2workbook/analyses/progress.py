"""KS2 progress scores: the pupil-level spread behind their confidence intervals, intervals where the DfE did not
publish them, and each school's latest published score.

The DfE publishes a school's progress score with a 95% confidence interval: score +/- 1.96 x SD / sqrt(n), with SD
the national pupil-level standard deviation of progress and n the pupils included in the measure (those with a
KS1 result: the coverage, ``READCOV`` etc., about 95% of eligible pupils). The DfE's own files for single LAs
publish the limits and the coverage; the national extracts do not. So the SD is backed out of the published
limits, SD = half-width x sqrt(eligible pupils x coverage) / 1.96 (median over the schools that publish them, per
year and subject), and used to rebuild an interval wherever one is needed: a school's limit for the 2018 floor's
significance test, an LA's interval for "significantly different from England". This is the one place that does
it (it used to be done twice, once with the coverage and once without).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..data import tables
from ..data.cache import cached_on

SUBJECTS: dict[str, str] = {"read": "reading", "writ": "writing", "mat": "maths"}
Z95 = 1.96


@cached_on("school_results", persist=True)
def pupil_sd() -> pd.DataFrame:
    """Per year and subject where limits are published: ``sd`` (pupil level), ``coverage`` (mean share of
    eligible pupils in the measure, 0-1) and ``n_schools`` (schools the median is over)."""
    results = tables.load("school_results")
    rows = []
    for subject in SUBJECTS:
        lo, hi, cov = f"{subject}_prog_lower", f"{subject}_prog_upper", f"{subject}_cov"
        ok = results[lo].notna() & results[hi].notna() & results["cohort"].gt(0)
        part = results.loc[ok, ["year", lo, hi, "cohort", cov]]
        coverage = (part[cov] / 100).where(part[cov].between(1, 100))
        share = coverage.groupby(part["year"]).transform("mean").fillna(1.0)
        pupils = part["cohort"] * coverage.fillna(share)
        sd = (part[hi] - part[lo]) / 2 * np.sqrt(pupils) / Z95
        for year, values in sd.groupby(part["year"]):
            rows.append(
                {
                    "year": int(year),
                    "subject": subject,
                    "sd": float(values.median()),
                    "coverage": float(coverage[part["year"] == year].mean()),
                    "n_schools": int(values.size),
                }
            )
    return pd.DataFrame(rows, columns=["year", "subject", "sd", "coverage", "n_schools"])


def spread(year: int, subject: str, *, nearest: bool = True) -> tuple[float, float, int]:
    """(SD, coverage, year it comes from) for a subject in ``year``: that year's; else, with ``nearest``, the
    nearest year's that publishes limits (the earlier of two equally near: the national spread changes little
    from year to year, 6.2, 6.0 and 6.2 points in reading 2017-2019), else NaN."""
    table = pupil_sd()
    table = table[(table["subject"] == subject) & table["sd"].notna()]
    if not nearest:
        table = table[table["year"] == int(year)]
    if table.empty:
        return np.nan, np.nan, -1
    distance = (table["year"] - int(year)).abs() * 2 + (table["year"] > int(year)).astype(int)
    row = table.loc[distance.idxmin()]
    return float(row["sd"]), float(row["coverage"]) if pd.notna(row["coverage"]) else 1.0, int(row["year"])


def half_width(year: int, subject: str, eligible: pd.Series | float, *, nearest: bool = True) -> pd.Series | float:
    """Half the 95% interval of a progress score for ``eligible`` pupils (a school's cohort or an LA's total);
    ``nearest``: see :func:`spread`."""
    sd, coverage, _ = spread(year, subject, nearest=nearest)
    pupils = eligible * coverage
    if isinstance(pupils, pd.Series):
        pupils = pupils.where(pupils > 0)
    elif not pupils > 0:
        return np.nan
    return Z95 * sd / np.sqrt(pupils)


def upper_limit(frame: pd.DataFrame, measure: str, year: int) -> tuple[pd.Series, pd.Series]:
    """A progress score's upper confidence limit per school: published where the file gives it, else rebuilt
    from the school's cohort. Returns (limit, source) with source ``published``, ``derived`` or ``missing``."""
    published = frame[f"{measure}_upper"] if f"{measure}_upper" in frame else pd.Series(np.nan, index=frame.index)
    cohort = frame["cohort"] if "cohort" in frame else pd.Series(np.nan, index=frame.index)
    derived = frame[measure] + half_width(year, measure.split("_")[0], cohort)
    limit = published.where(published.notna(), derived)
    source = pd.Series(
        np.where(published.notna(), "published", np.where(derived.notna(), "derived", "missing")),
        index=frame.index,
    )
    return limit, source


def latest_scores(results: pd.DataFrame, year: int, max_age: int, *, require_all: bool = False) -> pd.DataFrame:
    """Per URN, the latest published progress scores no older than ``max_age`` years before ``year`` (a year with
    none, 2024 and 2025, takes 2023's): ``read_prog``, ``writ_prog``, ``mat_prog``, ``mean`` (of the three, where
    all are published) and ``progress_year``. ``require_all``: only years in which all three are published."""
    cols = [f"{s}_prog" for s in SUBJECTS]
    rows = results[(results["year"] <= year) & (results["year"] >= year - max_age)].dropna(subset=["urn"])
    published = rows[cols].notna().all(axis=1) if require_all else rows[cols].notna().any(axis=1)
    rows = rows[published].sort_values(["urn", "year"]).drop_duplicates("urn", keep="last")
    out = rows.set_index(rows["urn"].astype("int64"))[[*cols, "year"]].rename(columns={"year": "progress_year"})
    out.insert(3, "mean", out[cols].mean(axis=1, skipna=False))
    out.index.name = "urn"
    return out
