"""Anomaly signals: reported for review, never excluded."""
from __future__ import annotations

import numpy as np
import pandas as pd

from scoring import ANOMALY_COLUMNS, ScoringConfig, detect_anomalies, grade_rounds

ITEMS = ["q1", "q2", "q3"]


def rows(enterprise: str, agencies: list[str], answers: list, round_="2026Q1") -> list[dict]:
    return [{"round": round_, "enterprise": enterprise, "agency": a, **dict(zip(ITEMS, answers))} for a in agencies]


def kinds(frame: pd.DataFrame) -> list[tuple]:
    return [tuple(r) for r in frame[["kind", "enterprise", "agency", "count", "total"]].itertuples(index=False)]


def test_nothing_to_report():
    frame = pd.DataFrame(rows("E1", ["A", "B"], [1, 1, 1]) + rows("E2", ["A"], [3, 4, 5]))
    found = detect_anomalies(frame, ITEMS)
    assert found.empty and list(found.columns) == ANOMALY_COLUMNS


def test_lowest_level_everywhere_from_three_agencies():
    frame = pd.DataFrame(rows("E1", ["A", "B", "C"], [1, 1, np.nan]) + rows("E2", ["A", "B", "C"], [1, 1, 2]))
    assert kinds(detect_anomalies(frame, ITEMS)) == [("all_lowest", "E1", None, 3, 3)]


def test_highest_level_everywhere():
    frame = pd.DataFrame(rows("E1", ["A", "B", "C", "D"], [5, 5, 5]))
    assert kinds(detect_anomalies(frame, ITEMS)) == [("all_highest", "E1", None, 4, 4)]


def test_identical_answers_to_many_agencies():
    agencies = ["A", "B", "C", "D", "E"]
    frame = pd.DataFrame(rows("E1", agencies, [3, 4, 3]) + rows("E1", ["F"], [2, 2, 2]))
    found = detect_anomalies(frame, ITEMS)
    assert kinds(found) == [("identical_answers", "E1", None, 5, 6)]
    assert found["answers"].iloc[0] == "3,4,3"


def test_burst_of_identical_answers_within_an_agency_round():
    frame = pd.DataFrame(
        [r for e in range(6) for r in rows(f"E{e}", ["A"], [2, 2, 1])] + rows("X", ["A"], [4, 4, 4])
        + rows("Y", ["A"], [3, 4, 4])
    )
    assert kinds(detect_anomalies(frame, ITEMS)) == [("burst", None, "A", 6, 8)]
    # the same six among twenty varied responses are under half: not a burst
    varied = [r for e in range(14) for r in rows(f"V{e}", ["A"], [e % 5 + 1, (e + 1) % 5 + 1, 3])]
    assert detect_anomalies(pd.concat([frame, pd.DataFrame(varied)]), ITEMS).empty


def test_thresholds_come_from_the_config():
    frame = pd.DataFrame(rows("E1", ["A", "B"], [1, 1, 1]))
    assert detect_anomalies(frame, ITEMS).empty
    found = detect_anomalies(frame, ITEMS, ScoringConfig(anomaly_min_agencies=2))
    assert kinds(found) == [("all_lowest", "E1", None, 2, 2)]


def test_rounds_are_separate():
    frame = pd.DataFrame(rows("E1", ["A", "B"], [1, 1, 1], "2026Q1") + rows("E1", ["C"], [1, 1, 1], "2026Q2"))
    assert detect_anomalies(frame, ITEMS).empty


def test_anomalies_never_change_the_grades():
    frame = pd.DataFrame([r for e in range(6) for r in rows(f"E{e}", ["A", "B", "C"], [1, 1, 1])])
    assert not detect_anomalies(frame, ITEMS).empty
    result = grade_rounds(frame, ITEMS)
    assert result["n"].tolist() == [6, 6, 6] and (result["grade"] == "poor").all()
