"""Agency groups (DESIGN §4.9) on the charts and in labels: a group's name, the grade map
row by row group by group, and a per-group ranking titled with its group."""
import pandas as pd

import charts
import i18n
import labels

GROUPS = {"approval": {"code": "approval", "name_zh": "审批类", "name_en": "Approval"},
          "utility": {"code": "utility", "name_zh": "公用事业", "name_en": ""}}


def results() -> pd.DataFrame:
    """2026Q2: the utility group's water company scores best, but its group comes second."""
    return pd.DataFrame({
        "round": ["2026Q2"] * 3, "agency": ["FGW", "ZJW", "SWJT"],
        "name_zh": ["县发展改革委", "县住房城乡建委", "县水务集团"], "name_en": ["DRC", "Housing", "Water"],
        "n": [10, 9, 8], "score": [78.0, 55.0, 90.0], "ci_low": [70.0, 50.0, 85.0], "ci_high": [86.0, 60.0, 95.0],
        "grade": ["fair", "poor", "good"], "action": ["reminder", "interview", "none"],
        "flag": ["red", "yellow", "red"], "rank": [1, 2, 1],
        "group_label": ["审批类", "审批类", "公用事业"], "group_order": [0, 0, 1],
    })


def test_a_groups_name_in_the_readers_language_or_its_code():
    assert labels.group_name("approval", GROUPS, "en") == "Approval"
    assert labels.group_name("utility", GROUPS, "en") == "公用事业"  # no English name kept: the Chinese one
    assert labels.group_name("tax", GROUPS, "zh") == "tax"  # no longer on the list: its code
    assert labels.group_name(None, GROUPS, "zh") == ""


def test_the_grade_map_lists_agencies_group_by_group_each_led_by_its_group():
    spec = charts.grade_heatmap(results(), "zh").to_dict()
    cells = next(layer for layer in spec["layer"] if layer["mark"]["type"] == "rect")
    assert cells["encoding"]["y"]["sort"] == ["审批类 · 县发展改革委", "审批类 · 县住房城乡建委", "公用事业 · 县水务集团"]
    assert any(t.get("field") == "group_label" for t in cells["encoding"]["tooltip"])


def test_the_grade_map_of_one_group_keeps_plain_names():
    one = results()[lambda f: f["group_label"] == "审批类"]
    cells = next(layer for layer in charts.grade_heatmap(one, "zh").to_dict()["layer"]
                 if layer["mark"]["type"] == "rect")
    assert cells["encoding"]["y"]["sort"] == ["县发展改革委", "县住房城乡建委"]


def test_a_per_group_ranking_is_titled_with_its_group():
    spec = charts.ranking_bars(results()[lambda f: f["group_label"] == "审批类"], "zh", group="审批类").to_dict()
    assert spec["title"]["text"] == i18n.t("groups.chart.ranking_title", "zh", group="审批类") == "审批类组内排名"
    county = charts.ranking_bars(results(), "zh").to_dict()
    assert county["title"]["text"] == i18n.t("dashboards.chart.ranking_title", "zh")
    empty = charts.ranking_bars(results().iloc[0:0], "en", group="Utility").to_dict()
    assert "Utility" in str(empty)
