"""Tidy tables: contracts, suppression, parsing, caching and bad raw files."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from ks2workbook.analyses import quality
from ks2workbook.core import paths
from ks2workbook.core.errors import RawFileError
from ks2workbook.data import cache, catalogue, schemas
from ks2workbook.data import tables as dataset
from ks2workbook.data.readers import lait
from ks2workbook.data.values import is_suppressed, parse_floats, to_number

SHIPPED_PROCESSED = paths.processed_dir()


def test_to_number_keeps_suppression_missing():
    raw = pd.Series(["57%", "SUPP", "NE", "LOWCOV", "x", "-", "NA", "", None, "0%", "-2.5", "NP"], name="v")
    parsed = to_number(raw)
    assert parsed.iloc[0] == 57.0
    assert parsed.iloc[9] == 0.0  # a real zero stays zero
    assert parsed.iloc[10] == -2.5  # a negative progress score is not the '-' code
    assert parsed.iloc[[1, 2, 3, 4, 5, 6, 7, 8, 11]].isna().all()  # suppressed is missing, never zero
    assert is_suppressed(raw).tolist()[:6] == [False, True, True, True, True, True]


def test_to_number_rejects_unknown_markers():
    with pytest.raises(ValueError, match="unrecognised"):
        to_number(pd.Series(["12", "n/a?"], name="col"))
    with pytest.raises(ValueError, match="'nan'"):  # a 'nan' written in a file is not a known code either
        to_number(pd.Series(["12", "nan"], name="col"))


@pytest.mark.parametrize("storage", ["pyarrow", "python", None])
def test_fast_number_parsing_equals_pandas(storage):
    """The Arrow cast that reads whole columns gives pandas' own numbers, and a column it refuses falls back to
    pandas value by value (so the unreadable values can be named)."""
    texts = ["57", "-2.5", "0", "1e3", "+5", ".5", "100.0", None, "0.1", "99.95"]
    dtype = "object" if storage is None else f"string[{storage}]"
    clean = pd.Series(texts, dtype=dtype)
    expected = pd.to_numeric(clean, errors="coerce").astype("float64")
    pd.testing.assert_series_equal(parse_floats(clean), expected, check_dtype=False)
    mixed = pd.Series([*texts, "1,234", "abc"], dtype=dtype)
    got = parse_floats(mixed)
    assert got.iloc[:10].equals(expected) and got.iloc[10:].isna().all()


@pytest.mark.parametrize(
    ("label", "year"),
    [
        ("2016", 2016),
        ("2018 (Rev)", 2018),
        ("2016-17", 2017),
        ("2016/17", 2017),
        ("2014-16", 2016),
        ("2013/14-15/16", 2016),
        ("2024-25 (OT)", 2025),
        ("0", None),
    ],
)
def test_lait_year_labels(label, year):
    assert lait.parse_year(label)[0] == year


def test_every_table_meets_its_contract(tables):
    for name, frame in tables.items():
        assert list(frame.columns) == list(schemas.SCHEMAS[name]), name
        schemas.validate(name, frame)
        assert len(frame) > 100, name


def test_suppressed_school_values_stay_missing(results):
    # King's Somborne CE Primary (URN 116296), Hampshire 2018: six pupils, progress published as SUPP in the
    # DfE file; RWM 33% published. The progress must be missing, not zero.
    row = results[(results.urn == 116296) & (results.year == 2018)].iloc[0]
    assert np.isnan(row.read_prog) and np.isnan(row.mat_prog)
    assert row.rwm_exp == 33.0 and row.cohort == 6


def test_2019_has_progress_but_no_national_attainment(results):
    y2019 = results[results.year == 2019]
    assert y2019["read_prog"].notna().mean() > 0.9
    assert y2019.loc[~y2019.la_code.isin([850, 936]), "rwm_exp"].isna().all()


def test_quality_summary_covers_every_year(results):
    summary = quality.quality_summary(results)
    assert set(summary.year) == set(results.year)
    row = summary[(summary.year == 2024)].iloc[0]
    assert 75 < row.pct_with_urn < 100 and row.pct_with_la == 100


def test_neighbours_table_has_derby_2025_list(tables):
    # DfE statistical neighbour benchmarking tool, May 2025 edition: Derby's neighbours, closest first
    # (docs/domain/neighbours_and_lait.md).
    derby = tables["neighbours"].query("la_code == 831 and version == 2025").sort_values("rank")
    names = tables["areas"].set_index("la_code").loc[derby.neighbour_code, "la_name"].tolist()
    assert names == [
        "Coventry",
        "Bolton",
        "Walsall",
        "Southampton",
        "Kirklees",
        "Peterborough",
        "Rochdale",
        "Sheffield",
        "Tameside",
        "Stoke-on-Trent",
    ]


def test_ofsted_post_2024_inspections_have_no_grade_not_missing(tables):
    ofsted = tables["ofsted"]
    recent = ofsted[ofsted.source.str.contains("ofsted/latest") & (ofsted.inspection_date >= "2024-09-01")]
    assert len(recent) > 1000
    assert not recent.has_overall_grade.any()  # no overall grade is made up for an ungraded or report-card visit
    assert set(recent.framework) == {"no overall grade", "report card"}


@pytest.fixture
def scratch_root(tmp_path, monkeypatch):
    """A copy of data/raw in a temporary project root, so tests can break files safely."""
    shutil.copytree(paths.raw_dir(), tmp_path / "data" / "raw")
    shutil.copy2(catalogue.catalogue_path(), tmp_path / "data" / "catalogue.yaml")
    monkeypatch.setenv("KS2WB_ROOT", str(tmp_path))
    monkeypatch.setenv("KS2WB_PROCESSED", str(tmp_path / "data" / "processed"))
    yield tmp_path


def test_missing_raw_file_names_file_and_fix(scratch_root):
    (scratch_root / "data/raw/dfe_lait/reference/la_code_list.xlsx").unlink()
    with pytest.raises(RawFileError, match=r"la_code_list\.xlsx.*git checkout -- data/raw"):
        dataset.build("areas")


def test_corrupt_raw_file_is_refused_then_named_when_accepted(scratch_root):
    target = scratch_root / "data/raw/dfe_lait/la_timeseries/bds_long_0.parquet"
    target.write_bytes(target.read_bytes()[:1000])
    with pytest.raises(RawFileError, match=r"bds_long_0\.parquet .* has changed since it was recorded"):
        dataset.build("la_indicators")
    assert "changed: data/raw/dfe_lait/la_timeseries/bds_long_0.parquet" in catalogue.verify()
    catalogue.accept("dfe_lait/la_timeseries/bds_long_0.parquet")  # told the change is deliberate
    with pytest.raises(RawFileError, match=r"data/raw/dfe_lait/la_timeseries/bds_long_0\.parquet .* cannot be read"):
        dataset.build("la_indicators")


def test_changed_raw_file_is_refused_until_accepted_then_rebuilt(scratch_root):
    first = dataset.load("areas")
    assert dataset.is_fresh("areas")
    codes = scratch_root / "data/raw/dfe_lait/reference/la_code_list.xlsx"
    frame = pd.read_excel(codes, engine="calamine")
    frame.loc[frame["LA Number"] == 831, "LA Name"] = "Derby City"
    frame.to_excel(codes, index=False)
    with pytest.raises(RawFileError, match="la_code_list.xlsx .* has changed"):
        dataset.load("areas")  # even a fresh cache is not served from a changed file
    catalogue.accept(codes)
    assert not dataset.is_fresh("areas")
    second = dataset.load("areas")
    assert first.set_index("la_code").loc[831, "la_name"] == "Derby"
    assert second.set_index("la_code").loc[831, "la_name"] == "Derby City"


def test_verify_clean_on_shipped_data():
    assert catalogue.verify() == []


def test_formats_treat_pandas_na_as_missing():
    from ks2workbook.views import style

    assert style.fmt_int(pd.NA) == "–" and style.fmt_pct(np.nan) == "–" and style.fmt_int(12) == "12"
    assert style.fmt_gbp_k(542_100) == "£542k" and style.fmt_points(-2) == "-2 pts"


def test_a_move_in_points_reads_in_agreeing_words():
    from ks2workbook.core.formats import fmt_points_moved

    moves = [fmt_points_moved(v) for v in (1, -1, 2, 0, 0.5, -3.0)]
    assert moves == ["+1 point", "-1 point", "+2 points", "0 points", "+0.5 points", "-3 points"]


def test_a_figure_that_rounds_to_zero_carries_no_sign():
    from ks2workbook.core.formats import fmt_points, fmt_signed

    assert [fmt_signed(v, 1) for v in (1.23, -0.34, -0.04, 0.04, 0.0)] == ["+1.2", "-0.3", "0.0", "0.0", "0.0"]
    assert [fmt_signed(v, None) for v in (2, -1.5, 0)] == ["+2", "-1.5", "0"]
    assert [fmt_points(v) for v in (3, -2, -0.4, 0.4, 0)] == ["+3 pts", "-2 pts", "0 pts", "0 pts", "0 pts"]


def test_one_computation_checks_each_table_once(monkeypatch):
    """Inside ``pinned`` (a pack's facts) each table's files are looked at once however often it is read;
    outside it, at every read (a raw file changed under a running kernel is caught at the next one)."""
    dataset.tables_version("areas", "schools")  # built and checked (a changed data layer rebuilds them once)
    looked: list[str] = []
    real = dataset._stat_stamp
    monkeypatch.setattr(dataset, "_stat_stamp", lambda name: looked.append(name) or real(name))
    with dataset.pinned():
        for _ in range(5):
            dataset.load("areas")
            dataset.tables_version("areas", "schools")
    assert looked.count("areas") == 1 and looked.count("schools") == 1
    looked.clear()
    for _ in range(3):
        dataset.load("areas")
    assert looked.count("areas") == 3


def _derby_renamed(scratch_root) -> Path:
    """The shipped tables copied into the scratch project (not the national store), and Derby renamed in the LA
    code list there (not yet accepted): the list of councils, and every table built from it, stale."""
    shutil.copytree(SHIPPED_PROCESSED, scratch_root / "data" / "processed", ignore=shutil.ignore_patterns(cache.STORE))
    cache.clear_all()
    codes = scratch_root / "data/raw/dfe_lait/reference/la_code_list.xlsx"
    frame = pd.read_excel(codes, engine="calamine")
    frame.loc[frame["LA Number"] == 831, "LA Name"] = "Derby City"
    frame.to_excel(codes, index=False)
    return codes


def test_a_table_is_read_without_threads_as_pandas_reads_it(tables):
    """The tables are read through Arrow's single-file reader, which starts no thread (so the process the report
    kernels are forked from may read them): the frames are those ``pandas.read_parquet`` gives, value for value,
    dtype for dtype."""
    for name in dataset.TABLES:
        path = SHIPPED_PROCESSED / f"{name}.parquet"
        ours, theirs = dataset.read_without_threads(path), pd.read_parquet(path)
        pd.testing.assert_frame_equal(ours, theirs, check_exact=True)
        assert list(ours.dtypes) == list(theirs.dtypes) and ours.attrs == theirs.attrs, name


def test_preload_reads_the_fresh_tables_and_builds_none(tables, scratch_root):
    """What the fork server does before its first kernel: the fresh tables are read (a kernel then reads none of
    them again), a stale one is left for the kernel to build, and nothing is raised."""
    codes = _derby_renamed(scratch_root)
    catalogue.accept(codes)  # accepted, so "areas" (and la_indicators, built from it) are stale, not refused
    built = []
    with pytest.MonkeyPatch.context() as spy:
        spy.setattr(dataset, "build", lambda name: built.append(name))
        read = dataset.preload(["areas", "census", "ofsted", "no such table"])
    assert read == ["census", "ofsted"] and built == []
    reads = dataset._load_cached.cache_info().misses
    dataset.load("census")
    assert dataset._load_cached.cache_info().misses == reads  # found read


def test_refresh_builds_only_the_stale_tables_and_refuses_a_changed_file(tables, scratch_root):
    """Before a report run: a table whose raw file changed (and was accepted) is built again, the fresh ones are
    neither built nor read, and a changed file not accepted stops the run naming it."""
    codes = _derby_renamed(scratch_root)
    with pytest.raises(RawFileError, match="la_code_list.xlsx .* has changed"):
        dataset.refresh()
    catalogue.accept(codes)
    built, read = [], []
    real_build, real_read = dataset.build, dataset._load_cached

    class Reads:  # the cached read of a table's file, counted
        def __call__(self, name, *args):
            read.append(name)
            return real_read(name, *args)

        def cache_clear(self):
            real_read.cache_clear()

    with pytest.MonkeyPatch.context() as spy:
        spy.setattr(dataset, "build", lambda name: built.append(name) or real_build(name))
        spy.setattr(dataset, "_load_cached", Reads())
        dataset.refresh()
    # the list of councils, and the LA figures named by it; the build of the second reads the first
    assert built == ["areas", "la_indicators"] and set(read) <= {"areas"}
    assert all(dataset.is_fresh(name) for name in dataset.TABLES)
    assert dataset.load("areas").set_index("la_code").loc[831, "la_name"] == "Derby City"
