"""Shared fixtures: the tidy tables are built once per test session from the shipped raw files."""

from __future__ import annotations

import pandas as pd
import pytest
from ks2workbook.data import tables as dataset

#: The test files that take longest (each renders whole packs or rebuilds the tables), longest first. ``make test``
#: sends each file whole to one of two workers (``--dist loadfile``) in the order collected, so these go first and
#: the two workers finish together instead of one running the data-intake file alone at the end (measured: 245 s
#: of tests with the alphabetical order, on 2 cores).
LONGEST_FILES_FIRST = (
    "test_reports.py",
    "test_data_intake.py",
    "test_safety.py",
    "test_scheduling.py",
    "test_national_store.py",
    "test_pack.py",
    "test_browser.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    rank = {name: i for i, name in enumerate(LONGEST_FILES_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # stable: each file keeps its own order


@pytest.fixture(autouse=True)
def council_files_in_tmp(tmp_path_factory, monkeypatch):
    """Council files written by tests live under pytest's temporary folder: let the workbook read them there (a
    council's own folder outside the workbook is allowed only when named by KS2WB_COUNCIL_DIR)."""
    monkeypatch.setenv("KS2WB_COUNCIL_DIR", str(tmp_path_factory.getbasetemp()))


@pytest.fixture(scope="session")
def tables() -> dict[str, pd.DataFrame]:
    dataset.build_all()
    return {name: dataset.load(name) for name in dataset.TABLES}


@pytest.fixture(scope="session")
def indicators(tables) -> pd.DataFrame:
    return tables["la_indicators"]


@pytest.fixture(scope="session")
def results(tables) -> pd.DataFrame:
    return tables["school_results"]


def lait_value(indicators: pd.DataFrame, indicator: str, la_code: int, year: int) -> float:
    """One LAIT value (helper for tests that pin published figures)."""
    row = indicators[(indicators.indicator == indicator) & (indicators.la_code == la_code) & (indicators.year == year)]
    assert len(row) == 1, f"expected one row for {indicator} {la_code} {year}, got {len(row)}"
    return float(row["value"].iloc[0])


def execute_notebook(name: str, out, parameters: dict):
    """Run ``notebooks/<name>.ipynb`` with papermill (independently of the pack's own runner) into ``out``."""
    import papermill
    from ks2workbook.core.paths import notebooks_dir

    papermill.execute_notebook(
        str(notebooks_dir() / f"{name}.ipynb"),
        str(out),
        kernel_name="python3",
        cwd=str(notebooks_dir()),
        parameters=parameters,
        progress_bar=False,
    )
    return out
