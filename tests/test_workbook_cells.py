"""The workbook's cells as handed to gptables: plain objects, missing values empty, formulas neutralised."""

from __future__ import annotations

import numpy as np
import pandas as pd
from ks2workbook.reporting.workbook import clean


def test_clean_hands_plain_objects_with_missing_values_empty() -> None:
    frame = pd.DataFrame(
        {
            "School": pd.array(["=HYPERLINK(1)", None, "St Mary's"], dtype="str"),
            "Near miss": [True, False, True],
            "RWM (%)": [61.123456, np.nan, 70.0],
            "Pupils": pd.array([30, None, 12], dtype="Int64"),
        },
        index=[5, 7, 9],
    )
    out = clean(frame)
    assert list(out.index) == [0, 1, 2]
    assert all(dtype is np.dtype(object) for dtype in out.dtypes)
    assert out["School"].tolist()[1:] == [None, "St Mary's"]
    assert not str(out["School"].iloc[0]).startswith("=")  # written as text, never a formula
    assert out["Near miss"].tolist() == ["yes", "no", "yes"]
    assert out["RWM (%)"].tolist() == [61.1235, None, 70.0]
    assert out["Pupils"].tolist() == [30.0, None, 12.0]
    assert all(type(v) is float for v in out["RWM (%)"].dropna())


def test_clean_keeps_an_empty_table_empty() -> None:
    assert clean(pd.DataFrame({"URN": pd.Series([], dtype="float64")})).empty
