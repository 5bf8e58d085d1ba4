"""Facts of the world the code relies on, held once (everything else about years comes from the data).

Why a module: the years without tests, the first year of the expected-standard tests and the DfE's area codes
are facts, not data a council or next year will change; each is written here and nowhere else, so a search for
``2020`` in the analyses finds nothing but this module (a test checks it). Sources: docs/domain/ks2_measures.md
and docs/domain/accountability.md.
"""

from __future__ import annotations

import datetime as dt

#: No KS2 tests were sat in 2020 and 2021 (COVID-19): no attainment, and no KS1 baselines, hence no progress
#: scores for the pupils who reached KS2 four years later.
NO_TEST_YEARS: tuple[int, ...] = (2020, 2021)
#: The first year of the expected-standard tests (new curriculum); results before are in levels, not comparable.
FIRST_EXPECTED_STANDARD_YEAR = 2016

#: The DfE's code for England; region codes 980-990 (LAIT); LA codes are below 970.
ENGLAND = 970
REGION_CODES = range(980, 991)
LA_CODE_LIMIT = 970

#: Ofsted's frameworks by start date: graded judgements until August 2024, no overall grade from September
#: 2024, report cards from 10 November 2025.
NO_OVERALL_GRADE_FROM = dt.date(2024, 9, 1)
REPORT_CARDS_FROM = dt.date(2025, 11, 10)


def is_test_year(year: int) -> bool:
    """False for the years without KS2 tests."""
    return int(year) not in NO_TEST_YEARS
