"""Labels and figures as people read them (labels.py), and half-up rounding wherever a score is shown."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

import labels

ROOT = Path(__file__).resolve().parents[2]
# round() that shows no score: drawing a demo rating, comparing stored floats
ROUND_ALLOWED = {("surveys/demo/county.py", "_rating"), ("surveys/results/finalise.py", "_comparable")}


@pytest.mark.parametrize("score, shown", [(56.25, "56.3"), (56.35, "56.4"), (41.25, "41.3"), (12.45, "12.5"),
                                          (80.0, "80.0"), (None, ""), (float("nan"), "")])
def test_scores_are_shown_rounded_half_up(score, shown):
    """DESIGN §4.3: half up, where Python's round() and format() would give 56.2 for 56.25."""
    assert labels.score_text(score) == shown


def test_an_interval_reads_low_to_high_half_up():
    assert labels.interval_text(56.25, 71.35) == "56.3–71.4"
    assert labels.interval_text(None, 71.0) == labels.interval_text(50.0, float("nan")) == ""


def test_round_and_agency_labels():
    assert labels.round_label("2026Q4", "zh") == "2026年第四季度"
    assert labels.round_label("2026Q4", "en") == "2026 Q4"
    with pytest.raises(ValueError):
        labels.round_label("2026Q5", "en")
    agency = {"name_zh": "县税务局", "name_en": ""}
    assert labels.agency_name(agency, "en") == labels.agency_name(agency, "zh") == "县税务局"


def _round_calls(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for function in [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]:
        for node in ast.walk(function):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "round":
                yield function.name


def test_no_score_is_rounded_half_to_even():
    """Python's round() is half to even: display code uses scoring.rounding instead."""
    files = [p for folder in ("surveys", "app_pages", "charts") for p in sorted((ROOT / folder).glob("*.py"))]
    found = {(str(p.relative_to(ROOT)), name) for p in files for name in _round_calls(p)}
    assert found - ROUND_ALLOWED == set()


def test_a_missing_flag_or_rank_reads_as_words_never_a_raw_key():
    import labels as lb

    assert lb.flag_text(float("nan"), "zh") == "" and lb.flag_text(None, "en", missing="—") == "—"
    assert lb.flag_text("yellow", "zh") == "黄旗"
    assert lb.rank_text(float("nan"), "zh") == "不参加排名" and lb.rank_text(None, "en") == "not ranked"
    assert lb.rank_text(3.0, "en") == "3"


def test_the_news_picks_its_box():
    import labels as lb

    assert lb.news_tone("poor", "yellow") == "bad" and lb.news_tone("fair", "yellow") == "bad"
    assert lb.news_tone("poor", "blue") == "bad"
    assert lb.news_tone("good", "red") == "good" and lb.news_tone("fair", "red") == "good"
    assert lb.news_tone("fair", "blue") == "neutral"
