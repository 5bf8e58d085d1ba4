"""Lists of schools: the performance tables' school list (``england_spine`` to 2017-18, then
``england_school_information.csv``) and Get Information About Schools (``edubasealldata*.csv``).

Each gives, per URN: name, LA, type, whether state-funded mainstream (maintained or academy, not special: the
schools a floor standard applies to), age range, open and close dates; GIAS also the school's location. The
spine is proven on a real file (2017-18); the school information file and GIAS are read from their published
column lists (tests use a fixture whose header is copied from them).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ..catalogue import Entry
from . import read_excel, read_text_table, require, upper_columns

#: Our column -> the names it has had in the performance tables' school list (spine 2017-18, information file).
SPINE_COLUMNS: dict[str, tuple[str, ...]] = {
    "urn": ("URN",),
    "la_code": ("LA",),
    "name": ("SCHNAME",),
    "minor_group": ("MINORGROUP",),
    "school_type": ("NFTYPE", "SCHOOLTYPE"),
    "is_primary": ("ISPRIMARY",),
    "open_date": ("OPENDATE",),
    "close_date": ("CLOSEDATE",),
    "age_low": ("AGEL", "AGELOW"),
    "age_high": ("AGEH", "AGEHIGH"),
    "other_urn": ("OTHERURN",),
}
GIAS_SIGNATURE = ("URN", "LA (CODE)", "ESTABLISHMENTNAME", "TYPEOFESTABLISHMENT (NAME)")
GIAS_STATE_GROUPS = {"LOCAL AUTHORITY MAINTAINED SCHOOLS", "ACADEMIES", "FREE SCHOOLS"}


def _pick(raw: pd.DataFrame, names: tuple[str, ...]) -> pd.Series:
    for name in names:
        if name in raw:
            return raw[name]
    return pd.Series(pd.NA, index=raw.index, dtype="object")


def recognise_spine(header: list[str]) -> bool:
    cols = {c.upper() for c in header}
    return {"URN", "LA", "SCHNAME", "MINORGROUP", "ISPRIMARY"} <= cols


def recognise_gias(header: list[str]) -> bool:
    return all(c in {h.upper() for h in header} for c in GIAS_SIGNATURE)


def dates(values: pd.Series) -> pd.Series:
    """Dates as the lists write them: ISO (``2017-09-01 00:00:00``, the spine) or day first (``01-09-2017``,
    GIAS); anything else is missing."""
    text = values.astype("string").str.strip()
    day_first = text.str.match(r"^\d{1,2}[-/]\d{1,2}[-/]\d{4}$").fillna(False)
    iso = pd.to_datetime(text.where(~day_first), errors="coerce", format="ISO8601")
    other = pd.to_datetime(text.where(day_first), errors="coerce", dayfirst=True, format="mixed")
    return iso.where(~day_first, other)


def _is_mainstream(minor_group: pd.Series, school_type: pd.Series) -> pd.Series:
    group = minor_group.fillna("").str.strip().str.lower()
    return group.isin(["maintained school", "academy"]) & ~school_type.fillna("").str.contains("special", case=False)


def read_spine(entry: Entry) -> pd.DataFrame:
    """The performance tables' school list (workbook or CSV), one row per URN."""
    if entry.path.lower().endswith((".xlsx", ".xls")):
        raw = upper_columns(read_excel(entry, dtype=str))
    else:
        raw = upper_columns(read_text_table(entry))
    require(raw, entry, ["URN", "LA", "SCHNAME", "MINORGROUP", "ISPRIMARY", "OPENDATE", "CLOSEDATE"])
    cols = {ours: _pick(raw, names) for ours, names in SPINE_COLUMNS.items()}
    frame = pd.DataFrame(
        {
            "urn": pd.to_numeric(cols["urn"], errors="coerce"),
            "name": cols["name"],
            "la_code": pd.to_numeric(cols["la_code"], errors="coerce"),
            "school_type": cols["school_type"],
            "is_mainstream_state": _is_mainstream(cols["minor_group"], cols["school_type"]),
            "is_primary": cols["is_primary"].astype("string").str.strip().eq("1").fillna(False),
            "open_date": dates(cols["open_date"]),
            "close_date": dates(cols["close_date"]),
            "age_low": pd.to_numeric(cols["age_low"], errors="coerce"),
            "age_high": pd.to_numeric(cols["age_high"], errors="coerce"),
            "other_urn": pd.to_numeric(cols["other_urn"], errors="coerce"),
            "source": entry.path,
        }
    )
    return frame.dropna(subset=["urn"])


def read_gias(entry: Entry) -> pd.DataFrame:
    """Get Information About Schools, all establishments: the same columns as :func:`read_spine` plus
    ``latitude`` and ``longitude`` (from the British National Grid easting and northing)."""
    raw = upper_columns(read_text_table(entry))
    require(raw, entry, [*GIAS_SIGNATURE, "OPENDATE", "CLOSEDATE"])
    type_name = _pick(raw, ("TYPEOFESTABLISHMENT (NAME)",))
    group = _pick(raw, ("ESTABLISHMENTTYPEGROUP (NAME)",)).fillna("").str.upper()
    phase = _pick(raw, ("PHASEOFEDUCATION (NAME)",)).fillna("")
    lat, lon = bng_to_wgs84(
        pd.to_numeric(_pick(raw, ("EASTING",)), errors="coerce").to_numpy(dtype=float),
        pd.to_numeric(_pick(raw, ("NORTHING",)), errors="coerce").to_numpy(dtype=float),
    )
    frame = pd.DataFrame(
        {
            "urn": pd.to_numeric(raw["URN"], errors="coerce"),
            "name": raw["ESTABLISHMENTNAME"],
            "la_code": pd.to_numeric(raw["LA (CODE)"], errors="coerce"),
            "school_type": type_name,
            "is_mainstream_state": group.isin(GIAS_STATE_GROUPS)
            & ~type_name.fillna("").str.contains("special", case=False),
            "is_primary": phase.str.contains("primary|middle deemed primary|all-through", case=False),
            "open_date": dates(raw["OPENDATE"]),
            "close_date": dates(raw["CLOSEDATE"]),
            "age_low": pd.to_numeric(_pick(raw, ("STATUTORYLOWAGE",)), errors="coerce"),
            "age_high": pd.to_numeric(_pick(raw, ("STATUTORYHIGHAGE",)), errors="coerce"),
            "latitude": lat,
            "longitude": lon,
            "source": entry.path,
        }
    )
    return frame.dropna(subset=["urn"])


def bng_to_wgs84(easting: np.ndarray, northing: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """British National Grid (OSGB36) easting and northing in metres to latitude and longitude in degrees.

    The inverse transverse Mercator projection on the Airy 1830 ellipsoid (Ordnance Survey, "A guide to
    coordinate systems in Great Britain", annex C), without the OSGB36 to WGS84 datum shift: positions are off
    by up to about 120 m, which does not matter for distances between schools measured in kilometres.
    """
    a, b = 6377563.396, 6356256.909
    f0, lat0, lon0 = 0.9996012717, math.radians(49), math.radians(-2)
    e0, n0 = 400000.0, -100000.0
    e2 = 1 - (b * b) / (a * a)
    n = (a - b) / (a + b)
    easting, northing = np.asarray(easting, dtype=float), np.asarray(northing, dtype=float)
    lat = np.full(northing.shape, lat0)
    m = np.zeros_like(northing)
    for _ in range(10):  # iterate until the meridional arc matches the northing (converges in a few steps)
        lat = (northing - n0 - m) / (a * f0) + lat
        dlat, slat = lat - lat0, lat + lat0
        m = (
            b
            * f0
            * (
                (1 + n + 5 / 4 * n**2 + 5 / 4 * n**3) * dlat
                - (3 * n + 3 * n**2 + 21 / 8 * n**3) * np.sin(dlat) * np.cos(slat)
                + (15 / 8 * n**2 + 15 / 8 * n**3) * np.sin(2 * dlat) * np.cos(2 * slat)
                - 35 / 24 * n**3 * np.sin(3 * dlat) * np.cos(3 * slat)
            )
        )
    sin, cos, tan = np.sin(lat), np.cos(lat), np.tan(lat)
    nu = a * f0 / np.sqrt(1 - e2 * sin**2)
    rho = a * f0 * (1 - e2) / (1 - e2 * sin**2) ** 1.5
    eta2 = nu / rho - 1
    vii = tan / (2 * rho * nu)
    viii = tan / (24 * rho * nu**3) * (5 + 3 * tan**2 + eta2 - 9 * tan**2 * eta2)
    ix = tan / (720 * rho * nu**5) * (61 + 90 * tan**2 + 45 * tan**4)
    x = 1 / (cos * nu)
    xi = 1 / (cos * 6 * nu**3) * (nu / rho + 2 * tan**2)
    xii = 1 / (cos * 120 * nu**5) * (5 + 28 * tan**2 + 24 * tan**4)
    xiia = 1 / (cos * 5040 * nu**7) * (61 + 662 * tan**2 + 1320 * tan**4 + 720 * tan**6)
    de = easting - e0
    phi = lat - vii * de**2 + viii * de**4 - ix * de**6
    lam = lon0 + x * de - xi * de**3 + xii * de**5 - xiia * de**7
    return np.degrees(phi), np.degrees(lam)
