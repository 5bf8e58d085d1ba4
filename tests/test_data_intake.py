"""Next year's data without touching code: ``ks2workbook data add|list|remove``, the catalogue and the readers.

Every test works on a temporary copy of ``data/`` (the raw files hard-linked, the catalogue copied), so the shipped
data never change.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pandas as pd
import pytest
from ks2workbook.cli import app
from ks2workbook.core import paths
from ks2workbook.data import cache, catalogue, coverage, intake
from ks2workbook.data import tables as dataset
from ks2workbook.data.readers import header_of, ks2_school
from typer.testing import CliRunner

runner = CliRunner()
SHIPPED = paths.raw_dir()
HAMPSHIRE_SURREY = [f"clarelgibson_la_extracts/ks2/{y}-{la}-ks2.csv" for y in (2016, 2017, 2018) for la in (850, 936)]


def _link_tree(src: Path, dst: Path) -> None:
    for path in src.rglob("*"):
        target = dst / path.relative_to(src)
        if path.is_dir():
            target.mkdir(parents=True, exist_ok=True)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(path, target)
            except OSError:
                shutil.copy2(path, target)


@pytest.fixture
def data_copy(tmp_path, monkeypatch):
    """A project root whose data/ is a copy of the shipped data; processed tables built once from it."""
    yield from _data_copy(tmp_path, monkeypatch)


def _data_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    root = tmp_path / "project"
    dataset.build_all()
    shipped_processed = paths.processed_dir()
    _link_tree(SHIPPED, root / "data" / "raw")
    shutil.copy2(catalogue.catalogue_path(), root / "data" / "catalogue.yaml")
    monkeypatch.setenv("KS2WB_ROOT", str(root))
    monkeypatch.setenv("KS2WB_PROCESSED", str(root / "data" / "processed"))
    # The tables, not the national results: a copy has its own (a new year is new data), and the shared store may
    # be pruned by another test while it is being copied.
    shutil.copytree(shipped_processed, root / "data" / "processed", ignore=shutil.ignore_patterns(cache.STORE))
    cache.clear_all()
    yield root
    cache.clear_all()


def _listing() -> str:
    return runner.invoke(app, ["data", "list"]).output


def _local_files(root: Path) -> list[Path]:
    local = root / "data" / "raw" / "local"
    return sorted(p for p in local.rglob("*") if p.is_file()) if local.exists() else []


# ---- recognising a file and its year -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "year"),
    [
        ("clarelgibson_la_extracts/ks2/2016-850-ks2.csv", 2017),  # `_16` columns: last year's figures
        ("clarelgibson_la_extracts/ks2/2018-936-ks2.csv", 2019),
        ("waiky8_eng_schools/ks2/2018-2019/england_ks2final.csv", 2019),  # no suffixes: the folder's year
    ],
)
def test_ks2_file_states_its_year(path, year):
    file = SHIPPED / path
    assert ks2_school.recognise(header_of(file))
    assert ks2_school.year_stated(Path(path), header_of(file)) == year


def test_every_shipped_file_is_catalogued_and_unchanged():
    cat = catalogue.load()
    on_disk = {p.relative_to(SHIPPED).as_posix() for p in SHIPPED.rglob("*") if p.is_file() and p.name != "SOURCES.md"}
    on_disk = {p for p in on_disk if not p.startswith("local/")}
    assert on_disk == {e.path for e in cat.files if not e.is_local}
    assert catalogue.verify() == []
    assert all(e.licence == "OGL-3.0" and e.via and len(e.sha256) == 64 for e in cat.files)


def test_la_rows_recomputed_from_schools_agree_in_the_dfe_files():
    for path in HAMPSHIRE_SURREY:
        schools, areas = ks2_school.read(catalogue.load().find(path))
        check = ks2_school.crosscheck(schools, areas)
        assert len(check) == 3 and (check["status"] == "agrees").all(), (path, check)


def test_the_years_come_from_the_data():
    assert coverage.attainment_years() == [2016, 2017, 2018, 2023, 2024, 2025]
    assert 2019 in coverage.attainment_years(national=False)  # Hampshire and Surrey's own 2019 files
    assert coverage.progress_years() == [2016, 2017, 2018, 2019, 2023]
    assert coverage.consecutive_pairs() == [(2016, 2017), (2017, 2018), (2023, 2024), (2024, 2025)]
    assert coverage.latest_year() == 2025
    assert coverage.neighbour_editions() == [2021, 2025]
    # Cumberland (942) was created in 2023; its schools' earlier results come with them.
    assert coverage.la_years(942)[0] == 2016


# ---- refusals: one message, exit code 2, nothing changed ------------------------------------------------------


def _refused(args: list[str], expected: str, root: Path) -> None:
    before_list, before_cat = _listing(), catalogue.catalogue_path().read_bytes()
    result = runner.invoke(app, ["data", "add", *args])
    assert result.exit_code == 2, result.output
    assert expected in result.output, result.output
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1
    assert catalogue.catalogue_path().read_bytes() == before_cat
    assert _listing() == before_list
    assert _local_files(root) == []


def test_refuses_a_header_cut_off(data_copy, tmp_path):
    bad = tmp_path / "2018-2019" / "england_ks2final.csv"
    bad.parent.mkdir()
    text = (SHIPPED / HAMPSHIRE_SURREY[4]).read_text(encoding="utf-8-sig")
    bad.write_text("RECTYPE,ALPHAIND,LEA,ESTAB\n" + text.split("\n", 1)[1], encoding="utf-8")
    _refused([str(bad)], "not a file the workbook recognises", data_copy)
    _refused([str(bad), "--kind", "ks2_school_file"], "does not look like DfE performance tables", data_copy)


def test_refuses_a_wrong_year(data_copy, tmp_path):
    copy = tmp_path / "hampshire.csv"
    shutil.copy2(SHIPPED / HAMPSHIRE_SURREY[0], copy)
    _refused([str(copy), "--year", "2026"], "says it is for 2017", data_copy)


def test_refuses_an_unknown_kind(data_copy, tmp_path):
    copy = tmp_path / "hampshire.csv"
    shutil.copy2(SHIPPED / HAMPSHIRE_SURREY[0], copy)
    _refused([str(copy), "--kind", "league_table"], "unknown kind 'league_table'", data_copy)
    notes = tmp_path / "notes.csv"
    notes.write_text("name,comment\nDerby,fine\n", encoding="utf-8")
    _refused([str(notes)], "not a file the workbook recognises", data_copy)


def test_refuses_a_duplicate(data_copy):
    _refused(
        [str(SHIPPED / HAMPSHIRE_SURREY[2])], "is already in the data, as data/raw/" + HAMPSHIRE_SURREY[2], data_copy
    )


def test_refuses_a_file_with_no_school_rows(data_copy, tmp_path):
    source = (SHIPPED / HAMPSHIRE_SURREY[0]).read_text(encoding="utf-8-sig").splitlines()
    areas_only = [source[0]] + [line for line in source[1:] if line.split(",", 1)[0] in ("3", "4", "5")]
    bad = tmp_path / "2016-2017" / "hampshire_areas.csv"
    bad.parent.mkdir()
    bad.write_text("\n".join(areas_only) + "\n", encoding="utf-8")
    _refused([str(bad)], "no school rows", data_copy)


def test_refuses_unknown_markers_and_la_codes(data_copy, tmp_path):
    source = (SHIPPED / HAMPSHIRE_SURREY[0]).read_text(encoding="utf-8-sig")
    bad = tmp_path / "2016-2017" / "hampshire_marked.csv"
    bad.parent.mkdir()
    bad.write_text(source.replace(",66%,", ",66%?,", 1), encoding="utf-8")
    _refused([str(bad)], "unrecognised non-numeric values", data_copy)
    header, first, rest = source.split("\n", 2)
    cells = first.split(",")
    cells[2] = "999"  # LEA
    bad2 = tmp_path / "2016-2017" / "hampshire_la.csv"
    bad2.write_text("\n".join([header, ",".join(cells), rest]), encoding="utf-8")
    _refused([str(bad2)], "unknown LA codes [999]", data_copy)


def test_remove_of_an_unknown_file_is_one_line(data_copy):
    result = runner.invoke(app, ["data", "remove", "nothing/here.csv"])
    assert result.exit_code == 2 and "is not in the catalogue" in result.output


# ---- the round trip and a new year -----------------------------------------------------------------------------


def _comparable(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.drop(columns=["source"]).sort_values(["year", "urn", "school_name"]).reset_index(drop=True)


@pytest.mark.slow
def test_round_trip_hampshire_and_surrey(data_copy):
    shipped = dataset.load("school_results")
    for path in HAMPSHIRE_SURREY[:-1]:
        intake.remove(path, rebuild=False)
    removed = runner.invoke(app, ["data", "remove", HAMPSHIRE_SURREY[-1]])  # rebuilds the tables
    assert removed.exit_code == 0, removed.output
    assert (paths.raw_dir() / HAMPSHIRE_SURREY[-1]).is_file()  # a shipped file stays on disk (in the copy)
    without = dataset.load("school_results")
    assert not without["source"].str.startswith("clarelgibson").any()
    for path in HAMPSHIRE_SURREY[:-1]:
        intake.add(SHIPPED / path, rebuild=False)
    result = runner.invoke(app, ["data", "add", str(SHIPPED / HAMPSHIRE_SURREY[-1])])
    assert result.exit_code == 0, result.output
    assert "covering 936" in result.output and "3 agree, 0 differ" in result.output
    back = dataset.load("school_results")
    assert back["source"].str.startswith("local/").sum() == shipped["source"].str.startswith("clarelgibson").sum()
    pd.testing.assert_frame_equal(_comparable(back), _comparable(shipped))
    added = [e for e in catalogue.load().files if e.is_local]
    assert {e.coverage for e in added} == {850, 936} and {e.year for e in added} == {2017, 2018, 2019}
    intake.remove(added[0].path, rebuild=False)  # a local copy is deleted
    assert not added[0].file.exists() and catalogue.load().find(added[0].path) is None


def national_file_relabelled(year_from: int, year_to: int, folder: Path) -> Path:
    """A national KS2 file in the DfE's layout for a year the workbook has never seen, made of REAL rows of
    ``year_from`` relabelled as ``year_to`` (for this test only): every school of that year's national extract
    with its LA from the census, and LA and England rows recomputed from them as the DfE computes them."""
    results = dataset.load("school_results")
    rows = results[(results["year"] == year_from) & results["urn"].notna() & results["la_code"].notna()]
    rows = rows.drop_duplicates("urn")
    columns = {v: k for k, v in ks2_school.COLUMNS.items() if v in rows}
    pct = [c for c in columns if c.endswith(("_exp", "_high")) or c.startswith("rwm_exp")]

    def fmt(frame: pd.DataFrame) -> pd.DataFrame:
        out = pd.DataFrame(index=frame.index)
        for ours, theirs in columns.items():
            values = frame[ours]
            pattern = "{:.0f}%" if ours in pct else "{:g}"
            text = values.map(lambda v, p=pattern: "SUPP" if pd.isna(v) else p.format(v))
            out[theirs] = text
        return out

    schools = fmt(rows)
    schools.insert(0, "RECTYPE", "1")
    schools.insert(1, "LEA", rows["la_code"].astype(int).astype(str))
    schools.insert(2, "URN", rows["urn"].astype(int).astype(str))
    schools.insert(3, "SCHNAME", rows["school_name"].fillna(""))
    weighted = rows.dropna(subset=["cohort"])
    areas = []
    for code, part in [*weighted.groupby("la_code"), (None, weighted)]:
        known = {c: part.loc[part[c].notna(), "cohort"].sum() for c in columns}
        agg = {c: (part[c] * part["cohort"]).sum() / known[c] if known[c] else float("nan") for c in columns}
        agg["cohort"] = part["cohort"].sum()
        values = {
            columns[c]: "SUPP" if pd.isna(v) else (f"{v:.0f}%" if c in pct else f"{v:.1f}") for c, v in agg.items()
        }
        areas.append({"RECTYPE": "3" if code is not None else "4", "LEA": str(int(code)) if code else "", **values})
    frame = pd.concat([schools, pd.DataFrame(areas)], ignore_index=True).fillna("")
    path = folder / f"{year_to - 1}-{year_to}" / "england_ks2revised.csv"
    path.parent.mkdir(parents=True)
    frame.to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def new_year(tmp_path_factory):
    """A copy of the data with a year the workbook has never seen added by ``data add`` (2018's real national
    results relabelled as 2026, with progress), and the council files and notebooks to report on it: made once
    for the two tests below, which only read it. Yields the root and what ``data add`` printed."""
    tmp = tmp_path_factory.mktemp("new-year")
    with pytest.MonkeyPatch.context() as monkeypatch:
        for root in _data_copy(tmp, monkeypatch):
            for folder in ("notebooks", "rules", "plans", "scenarios"):
                shutil.copytree(paths.package_dir().parents[1] / folder, root / folder)
            new = national_file_relabelled(2018, 2026, tmp)
            result = runner.invoke(app, ["data", "add", str(new)])
            assert result.exit_code == 0, result.output
            yield root, result.output


@pytest.mark.slow
def test_a_new_year_joins_every_analysis(new_year):
    _, added = new_year
    assert "added data/raw/local/2026/ks2_school_file/england_ks2revised.csv" in added
    assert coverage.latest_year() == 2026
    assert 2026 in coverage.progress_years() and (2025, 2026) in coverage.consecutive_pairs()
    # the risk model's backtest gains the new pair, judged on a model fitted on the pairs before it, no code changed
    from ks2workbook.analyses import risk

    assert risk.pairs()[-1] == (2025, 2026)
    fitted_on, held_out = risk.backtests()[-1]
    assert held_out == (2025, 2026) and (2025, 2026) not in fitted_on and (2024, 2025) in fitted_on
    entry = catalogue.load().find("local/2026/ks2_school_file/england_ks2revised.csv")
    assert entry.stage == "revised" and entry.coverage == "england" and entry.added.startswith("local ")
    indicators = dataset.load("la_indicators")
    hants = indicators[(indicators.indicator == "KS2RWM_Expected_STD") & (indicators.la_code == 850)]
    assert hants.loc[hants.year == 2026, "value"].notna().all()  # the file's LA row stands in where LAIT has none


@pytest.mark.slow
def test_a_new_year_renders_every_report(new_year):
    """`ks2workbook report --la 850 --year 2026` after adding a year the workbook has never seen (2018's real
    national file relabelled as 2026, labelled as such here): every report shows that year, progress included."""
    from ks2workbook.reporting import pack as report_pack
    from ks2workbook.reporting.runner import REPORT_NOTEBOOKS

    root, _ = new_year
    run = report_pack.run_pack([850], out_root=root / "outputs", extra={"year": 2026}, jobs=1, progress=False)
    assert not run.failed, [o.reason for o in run.failed]
    pages = {n: (run.run_dir / "850" / f"{n}.html").read_text() for n in REPORT_NOTEBOOKS}
    for name, page in pages.items():
        assert "2026</span> results" in page, name
    assert "(2026)" in pages["risk"]  # the strands read 2026's progress scores
    assert "2025 to 2026" not in pages["trends"] or "2026" in pages["trends"]
