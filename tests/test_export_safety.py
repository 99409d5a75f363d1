"""Formula-injection neutralisation: every dangerous start is defused, numbers stay numbers."""
import datetime as dt

import pandas as pd
import pytest

from surveys.export_safety import safe_cell, safe_frame


@pytest.mark.parametrize("text", [
    "=1+1", "+1", "-1", "@SUM(A1)", '=HYPERLINK("http://x","y")',
    " =1+1", "   +cmd", "\t=1", "\r=1", "\n-2", "\t", "\r",
    "＝1+1", "＋1", "－1", "＠x", "　＝1",  # full-width forms, full-width space
])
def test_dangerous_text_gets_a_leading_apostrophe(text):
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize("text", ["", "发改委", "a=b", "1-2", "ok @ home", " ", "'=already"])
def test_harmless_text_is_unchanged(text):
    assert safe_cell(text) == text


@pytest.mark.parametrize("value", [0, -3, 2.5, -0.5, None, True, dt.date(2026, 1, 1)])
def test_non_text_values_are_unchanged(value):
    out = safe_cell(value)
    assert out is value or out == value
    assert type(out) is type(value)


def test_safe_frame_defuses_text_columns_and_labels_and_keeps_numbers():
    df = pd.DataFrame({"name": ["=evil()", "良好", None], "score": [-1.5, 80.0, 70.0],
                       "-label": ["x", "+y", "@z"]})
    out = safe_frame(df)
    assert list(out["name"][:2]) == ["'=evil()", "良好"]
    assert pd.isna(out["name"][2])
    assert list(out["score"]) == [-1.5, 80.0, 70.0]
    assert out["score"].dtype == df["score"].dtype
    assert list(out.columns) == ["name", "score", "'-label"]
    assert list(out["'-label"]) == ["x", "'+y", "'@z"]
    assert df["name"][0] == "=evil()"  # the original is untouched
