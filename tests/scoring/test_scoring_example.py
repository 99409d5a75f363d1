"""The worked example of issue 3, through the command line and through the API."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd

from scoring import grade_rounds
from scoring.io import read_responses

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT.parent / "shared" / "fixtures"
EXAMPLE = FIXTURES / "scoring_example.csv"
EXPECTED = FIXTURES / "scoring_example_expected.csv"
ITEMS = ["efficiency", "attitude", "lawfulness", "integrity"]


def test_command_line_reproduces_the_expected_file_byte_for_byte():
    done = subprocess.run(
        [sys.executable, "-m", "scoring", "grade", str(EXAMPLE)], cwd=ROOT, capture_output=True, timeout=60
    )
    assert done.returncode == 0, done.stderr.decode()
    assert done.stderr == b""
    assert done.stdout.rstrip(b"\n") == EXPECTED.read_bytes().rstrip(b"\n")


def test_api_gives_the_expected_table():
    responses = pd.read_csv(EXAMPLE)
    result = grade_rounds(responses, ITEMS)
    expected = pd.read_csv(EXPECTED)
    assert result["round"].tolist() == expected["round"].tolist()
    assert result["agency"].tolist() == expected["agency"].tolist()
    assert result["n"].tolist() == expected["n"].tolist()
    assert result["score"].tolist() == expected["score"].tolist()
    assert result["grade"].tolist() == expected["grade"].tolist()
    assert result["action"].tolist() == expected["action"].tolist()


def test_reader_keeps_line_numbers_and_drops_the_comment():
    loaded = read_responses(EXAMPLE)
    assert loaded.items == ITEMS
    assert "comment" not in loaded.frame.columns
    assert loaded.lines[0] == 2 and loaded.lines[-1] == 42
    assert loaded.frame[ITEMS].iloc[-1].isna().tolist() == [False, True, False, True]


def test_example_details_are_consistent():
    result = grade_rounds(pd.read_csv(EXAMPLE), ITEMS).set_index(["round", "agency"])
    xzfw_q3 = result.loc[("2026Q3", "XZFW")]
    assert xzfw_q3["mean"] == 43.75  # 306.25 / 7, including the response with two items answered
    assert xzfw_q3["ci_low"] < xzfw_q3["mean"] < xzfw_q3["ci_high"]
    assert bool(xzfw_q3["uncertain"])  # its interval reaches 60: the poor grade is not firm
    scjg_q2 = result.loc[("2026Q2", "SCJG")]
    assert scjg_q2["n"] == 2  # the row with no answered item is not a response
    assert scjg_q2["flag"] is None
