"""LA look-up: clear messages on unknown codes, regions refused where an LA is needed."""

from __future__ import annotations

import pytest
from ks2workbook.core.errors import UnknownAreaError
from ks2workbook.data import areas


def test_resolve_code_and_name():
    derby = areas.resolve(831)
    assert (derby.name, derby.kind, derby.region_code, derby.region) == ("Derby", "la", 983, "East Midlands")
    assert areas.resolve("sefton").code == 343
    assert areas.resolve("970").kind == "england"


def test_unknown_code_names_nearest_codes_and_names():
    with pytest.raises(UnknownAreaError) as info:
        areas.resolve(832)
    message = str(info.value)
    assert "832" in message and "831 Derby" in message and "830 Derbyshire" in message


def test_misspelt_name_suggests_the_right_la():
    with pytest.raises(UnknownAreaError, match="831 Derby"):
        areas.resolve("Darby")


@pytest.mark.parametrize("code", [970, 983])
def test_region_or_england_refused_where_an_la_is_needed(code):
    with pytest.raises(UnknownAreaError, match="not a local authority"):
        areas.require_la(code)


def test_la_codes_are_las_only():
    codes = areas.la_codes()
    assert 831 in codes and 970 not in codes and all(c < 970 for c in codes)
    assert len(codes) >= 150
