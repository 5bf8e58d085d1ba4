"""The registry of raw published files the workbook reads, and how to find (or restore) each.

Every raw file lives byte-for-byte under ``data/raw/`` with its origin in ``data/raw/SOURCES.md`` and a checksum
in ``data/raw/SHA256SUMS``. Code never opens a raw path directly: it asks :func:`raw_path`, which fails with a
message naming the file and how to restore it, instead of a bare ``FileNotFoundError`` deep in pandas.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ..core.errors import RawFileError
from ..core.paths import raw_dir


@dataclass(frozen=True)
class RawFile:
    """One published file: where it sits under ``data/raw/``, what it is, and how to read its text."""

    key: str
    path: str
    description: str
    encoding: str = "utf-8-sig"


_FILES: list[RawFile] = [
    RawFile("lait_bds", "dfe_lait/la_timeseries/bds_long_0.parquet", "DfE LAIT indicator time series (long)"),
    RawFile(
        "lait_dictionary",
        "dfe_lait/la_timeseries/lait_data_dictionary.csv",
        "DfE LAIT data dictionary (description, polarity)",
        encoding="latin-1",
    ),
    RawFile("sn_2025", "dfe_lait/statistical_neighbours/sn_may_2025.xlsx", "DfE statistical neighbours, May 2025"),
    RawFile(
        "sn_2021",
        "dfe_lait/statistical_neighbours/sn_april_2021.xlsx",
        "DfE statistical neighbours, April 2021",
    ),
    RawFile("la_codes", "dfe_lait/reference/la_code_list.xlsx", "DfE LAIT LA code list (name, region, type)"),
    RawFile("ks2_2016", "waiky8_schools_data/ks2/ks2_perf_2016.csv", "KS2 school results 2016 (national extract)"),
    RawFile("ks2_2017", "waiky8_schools_data/ks2/ks2_perf_2017.csv", "KS2 school results 2017 (national extract)"),
    RawFile("ks2_2018", "waiky8_schools_data/ks2/ks2_perf_2018.csv", "KS2 school results 2018 (national extract)"),
    RawFile(
        "ks2_2019_progress",
        "waiky8_eng_schools/ks2/2018-2019/england_ks2final.csv",
        "KS2 school progress scores 2019 (no attainment)",
    ),
    RawFile("ks2_2023", "gieffeemme_areas_schools/ks2/2022-2023/ks2-by-urn.json", "KS2 school results 2023 by URN"),
    RawFile("ks2_2024", "charleskk6_school_league/ks2/2023-2024/primary.json", "KS2 school results 2024 (no URN)"),
    RawFile("ks2_2025", "charleskk6_school_league/ks2/2024-2025/primary.json", "KS2 school results 2025 (no URN)"),
    RawFile("dfe_850_2017", "clarelgibson_la_extracts/ks2/2016-850-ks2.csv", "DfE KS2 file, Hampshire, 2017"),
    RawFile("dfe_850_2018", "clarelgibson_la_extracts/ks2/2017-850-ks2.csv", "DfE KS2 file, Hampshire, 2018"),
    RawFile("dfe_850_2019", "clarelgibson_la_extracts/ks2/2018-850-ks2.csv", "DfE KS2 file, Hampshire, 2019"),
    RawFile("dfe_936_2017", "clarelgibson_la_extracts/ks2/2016-936-ks2.csv", "DfE KS2 file, Surrey, 2017"),
    RawFile("dfe_936_2018", "clarelgibson_la_extracts/ks2/2017-936-ks2.csv", "DfE KS2 file, Surrey, 2018"),
    RawFile("dfe_936_2019", "clarelgibson_la_extracts/ks2/2018-936-ks2.csv", "DfE KS2 file, Surrey, 2019"),
    RawFile("spine_2018", "waiky8_schools_data/general/2017-2018_england_spine.xlsx", "DfE school spine 2017-18"),
    RawFile(
        "ofsted_history",
        "waiky8_schools_data/general/ofsted_ratings_2018.csv",
        "Ofsted inspection history to 2020",
    ),
    RawFile(
        "ofsted_latest",
        "gieffeemme_areas_schools/ofsted/latest_2026-05/ofsted-by-urn.json",
        "Ofsted latest inspection per school, May 2026",
    ),
    RawFile("census_2018", "pauligle_school_checker/census/2017-2018/england_census.csv", "School census Jan 2018"),
    RawFile("census_2019", "pauligle_school_checker/census/2018-2019/england_census.csv", "School census Jan 2019"),
    RawFile("census_2022", "pauligle_school_checker/census/2021-2022/england_census.csv", "School census Jan 2022"),
    RawFile("census_2023", "pauligle_school_checker/census/2022-2023/england_census.csv", "School census Jan 2023"),
    RawFile("census_2024", "pauligle_school_checker/census/2023-2024/england_census.csv", "School census Jan 2024"),
]

RAW_FILES: dict[str, RawFile] = {f.key: f for f in _FILES}

#: Full-width DfE KS2 files: (LA code, KS2 year) -> registry key.
DFE_FULL_WIDTH: dict[tuple[int, int], str] = {
    (int(k.split("_")[1]), int(k.split("_")[2])): k for k in RAW_FILES if k.startswith("dfe_")
}

RESTORE_HINT = (
    "Restore it with `git checkout -- data/raw` (the files are committed byte-for-byte), or copy it from the "
    "source named in data/raw/SOURCES.md; `make verify-data` checks every file against data/raw/SHA256SUMS."
)


def raw_path(key: str) -> Path:
    """The path of a registered raw file, or a :class:`RawFileError` that names it and how to restore it."""
    try:
        entry = RAW_FILES[key]
    except KeyError:
        raise RawFileError(f"no raw file is registered as {key!r}; known: {', '.join(sorted(RAW_FILES))}") from None
    path = raw_dir() / entry.path
    if not path.is_file():
        raise RawFileError(f"raw file missing: data/raw/{entry.path} ({entry.description}). {RESTORE_HINT}")
    return path


def unreadable(key: str, exc: Exception) -> RawFileError:
    """The error to raise when a registered file exists but cannot be parsed (truncated, wrong format)."""
    entry = RAW_FILES[key]
    return RawFileError(
        f"raw file unreadable: data/raw/{entry.path} ({entry.description}): {type(exc).__name__}: {exc}. {RESTORE_HINT}"
    )


@lru_cache(maxsize=256)
def _sha256(path: str, size: int, mtime_ns: int) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def fingerprint(keys: list[str] | tuple[str, ...]) -> dict[str, str]:
    """Content hashes of the given raw files, so a cached table is rebuilt when any input changes.

    Hashes are memoised per (path, size, mtime) within a process, so a notebook that loads several tables
    reads each raw file once.
    """
    result = {}
    for key in keys:
        path = raw_path(key)
        stat = path.stat()
        result[key] = _sha256(str(path), stat.st_size, stat.st_mtime_ns)
    return result


def verify_checksums() -> list[str]:
    """Compare every raw file with ``data/raw/SHA256SUMS``; return the list of problems (empty when all match)."""
    sums = raw_dir() / "SHA256SUMS"
    problems = []
    for line in sums.read_text().splitlines():
        expected, name = line.split(maxsplit=1)
        path = raw_dir() / name.lstrip("./").lstrip("*")
        if not path.is_file():
            problems.append(f"missing: {name}")
            continue
        stat = path.stat()
        if _sha256(str(path), stat.st_size, stat.st_mtime_ns) != expected:
            problems.append(f"changed: {name}")
    return problems
