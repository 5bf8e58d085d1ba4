"""The national results kept beside the tidy tables (``data/processed/national/``, filled by ``make data``).

Two promises: what a pack reads from the store is what computing it afresh gives, and a stored result is never
read once what it rests on has changed (a raw file, through its table's manifest; a rule file or the code that
computes it; a council file passed to it).
"""

from __future__ import annotations

import dataclasses
import json
import shutil

import numpy as np
import pandas as pd
import pytest
from ks2workbook.analyses import national, neighbours
from ks2workbook.analyses import pack as pack_facts
from ks2workbook.data import cache, tables


def assert_same(stored, direct, where: str = "result") -> None:
    """Equal values, NaN equal to NaN, frames and arrays compared as pandas and numpy compare them."""
    if isinstance(stored, pd.DataFrame):
        pd.testing.assert_frame_equal(stored, direct, obj=where)
    elif isinstance(stored, pd.Series):
        pd.testing.assert_series_equal(stored, direct, obj=where)
    elif isinstance(stored, np.ndarray):
        np.testing.assert_array_equal(stored, direct, err_msg=where)
    elif isinstance(stored, dict):
        assert stored.keys() == direct.keys(), where
        for key in stored:
            assert_same(stored[key], direct[key], f"{where}[{key!r}]")
    elif isinstance(stored, list | tuple):
        assert len(stored) == len(direct), where
        for i, (a, b) in enumerate(zip(stored, direct, strict=True)):
            assert_same(a, b, f"{where}[{i}]")
    elif dataclasses.is_dataclass(stored):
        assert type(stored) is type(direct), where
        for f in dataclasses.fields(stored):
            assert_same(getattr(stored, f.name), getattr(direct, f.name), f"{where}.{f.name}")
    elif isinstance(stored, float) and np.isnan(stored):
        assert isinstance(direct, float) and np.isnan(direct), where
    else:
        assert stored == direct, where


def test_what_a_pack_reads_from_the_store_equals_computing_it_afresh(monkeypatch):
    """Every national result the default pack reads from the store (all of them: it is what ``make data``
    precomputes) is recomputed here without the store and compared, value by value."""
    national.precompute()  # the store is filled (by make data, or now)
    keyed, read = {}, []
    real_key, real_read = cache.store_key, cache.read_pickle

    def key(function, table_names, args, kwargs):
        k = real_key(function, table_names, args, kwargs)
        keyed[k] = (function, args, kwargs)
        return k

    def from_store(path):
        held, value = real_read(path)
        if held:
            read.append((path.stem, value))
        return held, value

    monkeypatch.setattr(cache, "store_key", key)
    monkeypatch.setattr(cache, "read_pickle", from_store)
    cache.clear_all()
    pack_facts._facts.cache_clear()
    national.precompute()  # a fresh process's view: everything national comes from the store
    names = {f"{keyed[k][0].__module__.rsplit('.', 1)[-1]}.{keyed[k][0].__name__}" for k, _ in read}
    assert len(read) >= 20, f"the default pack read only {len(read)} stored results"
    for expected in (
        "neighbours._series_index",
        "risk.backtest_summary",
        "risk.england_expected_shares",
        "strands.england",
        "accountability.stuck",
        "accountability.coasting_ofsted",
        "accountability.latest_groups",
        "accountability.latest_cards",
    ):
        assert expected in names, f"{expected} was not read from the store"
    monkeypatch.setattr(cache, "read_pickle", real_read)
    for k, stored in read:
        function, args, kwargs = keyed[k]
        assert_same(stored, function(*args, **dict(kwargs)), f"{function.__qualname__}{args}")
    cache.clear_all()


@pytest.fixture
def national_table():
    """One stored result (England's ranking of the LAs on the headline measure in 2025) and its key."""
    function = neighbours._national_table_shipped.uncached
    args = ("KS2RWM_Expected_STD", 2025)
    return function, args, cache.store_key(function, ("la_indicators",), args, ())


def test_a_changed_raw_file_changes_the_key(national_table, monkeypatch, tmp_path):
    """A raw file's checksum is in its table's manifest; the manifest is in the key."""
    function, args, key = national_table
    real = tables._manifest_path("la_indicators")
    manifest = json.loads(real.read_text())
    first = next(iter(manifest))
    manifest[first] = "0" * 64  # the same file with other bytes
    changed = tmp_path / "la_indicators.json"
    changed.write_text(json.dumps(manifest))
    monkeypatch.setattr(tables, "_manifest_path", lambda name: changed if name == "la_indicators" else real)
    assert cache.store_key(function, ("la_indicators",), args, ()) != key


@pytest.mark.parametrize(
    "edit", ["rules/floor_standards.yaml", "analyses/neighbours.py", "data/tables.py", "core/world.py"]
)
def test_a_changed_rule_file_or_code_changes_the_key_and_the_result_is_computed_afresh(
    edit, national_table, monkeypatch, tmp_path
):
    function, args, key = national_table
    package = tmp_path / "ks2workbook"
    for folder in cache.RESULT_CODE:
        shutil.copytree(cache.package_dir() / folder, package / folder)
    target = package / edit
    assert target.is_file(), edit
    target.write_text(target.read_text() + "\n# changed\n")
    monkeypatch.setattr(cache, "package_dir", lambda: package)
    cache.code_version.cache_clear()
    try:
        new_key = cache.store_key(function, ("la_indicators",), args, ())
        assert new_key != key
        path = cache.store_path(function, new_key)
        assert not path.exists()
        cache.clear_all()
        fresh = neighbours._national_table_shipped(*args)  # not answered from the old result: computed, stored
        assert path.is_file()
        assert_same(fresh, function(*args))
        path.unlink()
    finally:
        cache.code_version.cache_clear()
        cache.clear_all()


def test_a_council_file_is_keyed_on_its_content(tmp_path):
    """A council edits its file in place: same name, other content, another key."""
    function = neighbours._national_table_shipped.uncached
    council = tmp_path / "council_rules.yaml"
    council.write_text("floor: 65\n")
    before = cache.store_key(function, (), (str(council),), ())
    council.write_text("floor: 60\n")
    assert cache.store_key(function, (), (str(council),), ()) != before


def test_results_of_other_code_or_data_are_pruned(monkeypatch, tmp_path):
    """Each code-and-data version has its own folder; ``make data`` removes the others (an upgrade or a new year's
    files would otherwise leave every earlier result on the disk)."""
    monkeypatch.setenv("KS2WB_PROCESSED", str(tmp_path))
    monkeypatch.setattr(tables, "content_version", lambda *names: "data-version-1")
    monkeypatch.setattr(cache, "code_version", lambda: "code-version-1")
    function = neighbours._national_table_shipped.uncached
    old = cache.store_path(function, "k")
    old.parent.mkdir(parents=True)
    old.write_bytes(b"")
    monkeypatch.setattr(cache, "code_version", lambda: "code-version-2")
    current = cache.store_path(function, "k")
    assert current.parent.parent != old.parent.parent
    current.parent.mkdir(parents=True)
    current.write_bytes(b"")
    assert cache.prune_store() == 1
    assert current.is_file() and not old.exists()
