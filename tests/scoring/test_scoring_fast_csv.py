"""The fast CSV path (scoring/csv_fast.py) gives exactly what the record-by-record reader gives.

``read_responses`` reads a plain CSV with numpy and pyarrow; quotes, odd line
ends, wrong widths and bad ratings send it back to Python's ``csv`` module.
These tests pin both: the fast path is really taken for plain files, and for
any file (hypothesis) its frame, line numbers and problems equal the careful
reader's.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import scoring.io as scoring_io
from scoring import csv_fast
from scoring.problems import InputError

SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                             HealthCheck.function_scoped_fixture])


def outcome(path):
    """(frame as plain text, lines) or the problems, for comparing the two readers."""
    try:
        loaded = scoring_io.read_responses(path)
    except InputError as e:
        return "refused", [(p.code, sorted(p.params.items())) for p in e.problems]
    frame = loaded.frame.astype(object).where(loaded.frame.notna(), None)
    return frame.columns.tolist(), frame.values.tolist(), loaded.lines.tolist(), loaded.items


def careful_outcome(path, monkeypatch):
    with monkeypatch.context() as patch:
        patch.setattr(scoring_io, "_plain_csv_table", lambda data, numeric: None)
        return outcome(path)


def fast_taken(path, monkeypatch) -> bool:
    taken = []
    real = csv_fast.read_plain_csv

    def spy(data, numeric=None):
        taken.append(real(data, numeric) is not None)
        return real(data, numeric)

    with monkeypatch.context() as patch:
        patch.setattr(scoring_io, "read_plain_csv", spy)
        outcome(path)
    return any(taken)


HEADER = "round,enterprise,agency,q1,q2\n"


def write(tmp_path, text: str, encoding="utf-8"):
    path = tmp_path / "responses.csv"
    path.write_bytes(text.encode(encoding))
    return path


@pytest.mark.parametrize("text", [
    HEADER + "2026Q1,E1,A,4,5\n2026Q1,E2,A,,3\n",
    HEADER.replace("\n", "\r\n") + "2026Q1,E1,A,4,5\r\n\r\n2026Q1,E2,A,3,\r\n",
    "\n" + HEADER + ",,,,\n2026Q1,E1,A,4,5\n   \n\u3000,\n2026Q1,E2,A,4.0,1\n",
    HEADER + "2026Q1,E1,市场监管局,4,5\n",
])
def test_plain_files_take_the_fast_path_and_read_the_same(tmp_path, monkeypatch, text):
    path = write(tmp_path, text)
    assert fast_taken(path, monkeypatch)
    assert outcome(path) == careful_outcome(path, monkeypatch)


@pytest.mark.parametrize("text", [
    HEADER + '2026Q1,E1,A,4,5\n2026Q1,"E2",A,4,5\n',  # a quote
    HEADER + "2026Q1,E1,A,4,5\r2026Q1,E2,A,4,5\n",  # a lone carriage return
    HEADER + "2026Q1,E1,A,4\n",  # a short row
])
def test_files_that_are_not_plain_take_the_careful_path(tmp_path, monkeypatch, text):
    path = write(tmp_path, text)
    assert not fast_taken(path, monkeypatch)


@pytest.mark.parametrize("value", ["NA", "null", "N/A", "nan", "inf", "4.50", "abc", "0", "６", "1e1"])
def test_odd_ratings_are_refused_quoting_the_cell_as_written(tmp_path, value):
    path = write(tmp_path, HEADER + f"2026Q1,E1,A,4,5\n2026Q1,E2,A,{value},5\n")
    with pytest.raises(InputError) as caught:
        scoring_io.read_responses(path)
    (problem,) = caught.value.problems
    assert (problem.code, problem.params["line"], problem.params["value"]) == ("bad_rating", 3, value)


def test_spaces_around_ratings_and_keys_are_ignored(tmp_path):
    path = write(tmp_path, HEADER + " 2026Q1 , E1 , A , 4 , 5 \n")
    loaded = scoring_io.read_responses(path)
    assert loaded.frame[["round", "enterprise", "agency"]].astype(str).values.tolist() == [["2026Q1", "E1", "A"]]
    assert loaded.frame[["q1", "q2"]].values.tolist() == [[4.0, 5.0]]


def test_gb18030_plain_file_reads_like_utf8(tmp_path, monkeypatch):
    text = HEADER + "2026Q1,E1,市场监管局,4,5\n"
    utf8 = outcome(write(tmp_path, text))
    path = write(tmp_path, text, encoding="gb18030")
    assert fast_taken(path, monkeypatch)
    assert outcome(path) == utf8


# --- any file: both readers agree ------------------------------------------------------------

CELLS = {
    "round": ["2026Q1", "2026Q2", " 2026Q1", "2026Q5", ""],
    "enterprise": ["E1", "E2", "E3", " E1", "", "企业甲"],
    "agency": ["A", "B", "市场监管局", " A ", ""],
    "panel": ["", "enterprise", "representative", "Supervisor", "boss"],
    "q": ["", "1", "3", "5", "4.0", " 4", "4.5", "NA", "nan", "x", "6", "０"],
}
BLANK_LINES = ["", ",,,,", "   ", "\u3000", ",\t,"]


@st.composite
def files(draw):
    panel = draw(st.booleans())
    header = ["round", "enterprise", "agency"] + (["panel"] if panel else []) + ["q1", "q2"]
    order = draw(st.permutations(header))
    lines = [",".join(order)]
    for _ in range(draw(st.integers(0, 12))):
        if draw(st.integers(0, 6)) == 0:
            lines.append(draw(st.sampled_from(BLANK_LINES)))
            continue
        cells = [draw(st.sampled_from(CELLS["q" if name.startswith("q") else name])) for name in order]
        if draw(st.integers(0, 15)) == 0:
            cells = cells[:-1] if draw(st.booleans()) else cells + [draw(st.sampled_from(["", "x"]))]
        lines.append(",".join(cells))
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    return newline.join(lines) + (newline if draw(st.booleans()) else "")


@SETTINGS
@given(files())
def test_fast_and_careful_readers_agree_on_any_file(tmp_path, monkeypatch, text):
    path = write(tmp_path, text)
    assert outcome(path) == careful_outcome(path, monkeypatch)
