"""The formats the workbook reads: for each catalogue ``kind``, which table it feeds, how a file of that kind is
recognised from its header, what year it states about itself, where it is downloaded, and whether the reader is
proven on a real published file or only on a fixture copied from the published column list.

``ks2workbook data add`` uses this to recognise a new file; the README's format table is made from it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .readers import census, ees, ks2_extracts, ks2_school, ofsted, school_lists


@dataclass(frozen=True)
class Format:
    kind: str
    title: str
    table: str  # the tidy table it feeds ("" for documentation only)
    download: str
    proven: str  # "real files: ..." or "published column list (fixture)"
    recognise: Callable[[list[str]], bool] | None = None
    year_stated: Callable[[Path, list[str]], int | None] | None = None
    #: School or area rows a plausible file of this kind holds (national file; one LA's file is smaller).
    rows: tuple[int, int] = (1, 10_000_000)
    suffixes: tuple[str, ...] = (".csv",)
    needs_year: bool = True


def _folder_year(path: Path, header: list[str]) -> int | None:
    return ks2_school.academic_year_in(path)


def _census_year(path: Path, header: list[str]) -> int | None:
    """A census file states no year; its folder does (``2023-2024`` = the January 2024 census)."""
    return ks2_school.academic_year_in(path)


def _edition_year(path: Path, header: list[str]) -> int | None:
    """A statistical-neighbour edition's year from its name: ``sn_may_2025.xlsx`` -> 2025."""
    found = re.findall(r"(20\d\d)", path.name)
    return int(found[-1]) if found else None


PERFORMANCE_TABLES = "https://www.compare-school-performance.service.gov.uk/download-data (KS2 results, school level)"
FORMATS: dict[str, Format] = {
    f.kind: f
    for f in (
        Format(
            "ks2_school_file",
            "DfE performance tables: KS2 school results (england_ks2final.csv, england_ks2revised.csv, "
            "england_ks2provisional.csv, or the same layout for one LA)",
            "school_results",
            PERFORMANCE_TABLES,
            "real files: the DfE's KS2 files for Hampshire and Surrey, 2017-2019, and the national 2019 file "
            "(reduced by a third party)",
            ks2_school.recognise,
            ks2_school.year_stated,
            rows=(1, 20_000),
        ),
        Format(
            "ks2_meta",
            "DfE performance tables: KS2 column definitions (ks2_meta.csv)",
            "",
            PERFORMANCE_TABLES,
            "real files: 2017, 2018, 2019 and 2024",
            lambda header: {"COLUMN", "LABEL/DESCRIPTION"} <= {h.upper() for h in header},
            _folder_year,
            rows=(50, 2_000),
        ),
        Format(
            "school_census",
            "DfE performance tables: school census (england_census.csv)",
            "census",
            PERFORMANCE_TABLES,
            "real files: January 2018, 2019, 2022, 2023 and 2024",
            census.recognise,
            _census_year,
            rows=(1, 40_000),
        ),
        Format(
            "school_list",
            "DfE performance tables: school list (england_spine to 2017-18, england_school_information.csv after)",
            "schools",
            PERFORMANCE_TABLES,
            "real file: the 2017-18 spine; the later school information file from its published column list",
            school_lists.recognise_spine,
            _folder_year,
            rows=(1, 40_000),
            suffixes=(".csv", ".xlsx"),
        ),
        Format(
            "gias",
            "Get Information About Schools: all establishment data (edubasealldata*.csv)",
            "schools",
            "https://get-information-schools.service.gov.uk/Downloads (establishment fields)",
            "published column list (fixture)",
            school_lists.recognise_gias,
            None,
            rows=(1, 80_000),
            needs_year=False,
        ),
        Format(
            "statistical_neighbours",
            "DfE children's services statistical neighbours workbook",
            "neighbours",
            "https://www.gov.uk/government/publications/local-authority-interactive-tool-lait (statistical neighbours)",
            "real files: April 2021 and May 2025 editions",
            None,
            _edition_year,
            rows=(100, 200),
            suffixes=(".xlsx",),
        ),
        Format(
            "ofsted_mi",
            "Ofsted management information: state-funded schools, most recent inspections (xlsx, ods or csv)",
            "ofsted",
            "https://www.gov.uk/government/statistical-data-sets/monthly-management-information-ofsteds-school-"
            "inspections-outcomes",
            "published column list (fixture)",
            ofsted.recognise_mi,
            None,
            rows=(1, 40_000),
            suffixes=(".csv", ".xlsx", ".ods"),
            needs_year=False,
        ),
        Format(
            "ees_ks2_la",
            "Explore Education Statistics: KS2 attainment by region and local authority "
            "(ks2_regional_local_authority_and_pupil_characteristics*.csv)",
            "la_indicators",
            "https://explore-education-statistics.service.gov.uk/find-statistics/key-stage-2-attainment "
            "(data catalogue)",
            "published column lists, wide and long layouts (fixtures)",
            ees.recognise,
            None,
            rows=(1, 2_000_000),
            needs_year=False,
        ),
        Format(
            "ks2_extract_waiky8",
            "KS2 school results, national extract reduced by a third party (2016-2018)",
            "school_results",
            "shipped with the workbook",
            "real files: 2016, 2017, 2018",
            ks2_extracts.recognise_waiky8,
            None,
            rows=(10_000, 20_000),
        ),
        Format(
            "ks2_json_by_urn",
            "KS2 school results by URN, reduced (2023)",
            "school_results",
            "shipped with the workbook",
            "real file: 2023",
            suffixes=(".json",),
        ),  # fmt: skip
        Format(
            "ks2_json_league",
            "KS2 school results by name, reduced (2024, 2025)",
            "school_results",
            "shipped with the workbook",
            "real files: 2024, 2025",
            suffixes=(".json",),
        ),  # fmt: skip
        Format(
            "ofsted_history",
            "Ofsted inspection history per school, compiled by a third party (to February 2020)",
            "ofsted",
            "shipped with the workbook",
            "real file",
            ofsted.recognise_history,
            None,
            needs_year=False,
        ),
        Format(
            "ofsted_latest_json",
            "Ofsted latest inspection per school, reduced (May 2026)",
            "ofsted",
            "shipped with the workbook",
            "real file",
            suffixes=(".json",),
            needs_year=False,
        ),  # fmt: skip
        Format(
            "lait_timeseries",
            "DfE LAIT indicator time series",
            "la_indicators",
            "LAIT (shipped)",
            "real file",
            suffixes=(".parquet",),
            needs_year=False,
        ),  # fmt: skip
        Format(
            "lait_dictionary",
            "DfE LAIT data dictionary",
            "la_indicators",
            "LAIT (shipped)",
            "real file",
            needs_year=False,
        ),  # fmt: skip
        Format(
            "la_code_list",
            "DfE LAIT LA code list",
            "areas",
            "LAIT (shipped)",
            "real file",
            suffixes=(".xlsx",),
            needs_year=False,
        ),  # fmt: skip
        Format(
            "census_meta",
            "DfE census column definitions (documentation only)",
            "",
            "shipped",
            "real files",
            needs_year=False,
        ),  # fmt: skip
    )
}

#: The kinds ``data add`` can recognise from a header, most specific first.
ADDABLE: tuple[str, ...] = (
    "ks2_school_file",
    "ees_ks2_la",
    "ofsted_mi",
    "gias",
    "school_list",
    "school_census",
    "ks2_meta",
    "statistical_neighbours",
)


def kind_of(kind: str) -> Format:
    """The format of a kind, or a clear error listing the kinds."""
    from ..core.errors import WorkbookError

    try:
        return FORMATS[kind]
    except KeyError:
        raise WorkbookError(f"unknown kind {kind!r}; kinds a file can be added as: {', '.join(ADDABLE)}") from None
