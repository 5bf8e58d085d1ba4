"""Distances between schools: straight-line kilometres from latitude and longitude.

Why here: clusters (nearest centre) and school-to-school support (no pair further apart than a limit) measure
the same distance, and a straight line is what a council can check on any map. Travel time would be better and
needs a road network the workbook does not ship.
"""

from __future__ import annotations

import numpy as np

EARTH_RADIUS_KM = 6371.0088  # the mean radius (IUGG)


def km_between(lat1, lon1, lat2, lon2) -> np.ndarray:
    """Great-circle distance in km (haversine), broadcast over arrays: rows of one set against columns of another
    with ``lat1[:, None]``. A missing coordinate gives NaN."""
    p1, p2 = np.radians(np.asarray(lat1, dtype=float)), np.radians(np.asarray(lat2, dtype=float))
    dlat = p2 - p1
    dlon = np.radians(np.asarray(lon2, dtype=float)) - np.radians(np.asarray(lon1, dtype=float))
    h = np.sin(dlat / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0, 1)))
