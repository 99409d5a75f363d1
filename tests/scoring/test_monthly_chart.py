"""The monthly bulletin's chart (``charts.monthly.handling_bars``): the grade colours for on time,
late and overdue, the ranking's order, agencies with nothing to show left out, whole-number ticks,
labels in the reader's language."""
import json

import pandas as pd

from charts.monthly import STATUS_COLOURS, STATUS_ORDER, handling_bars
from charts.palette import GRADE_COLOURS


def frame() -> pd.DataFrame:
    return pd.DataFrame({"agency_label": ["Land", "Finance", "Idle", "Water"],
                         "on_time": [2, 0, 0, 1], "late": [1, 1, 0, 0], "overdue": [0, 2, 0, 1]})


def test_bars_stack_on_time_late_and_overdue_in_the_grade_colours():
    spec = handling_bars(frame(), "en").to_dict()  # validates against the Vega-Lite schema
    colour = spec["encoding"]["color"]["scale"]
    assert colour == {"domain": STATUS_ORDER, "range": [GRADE_COLOURS["good"], GRADE_COLOURS["fair"],
                                                        GRADE_COLOURS["poor"]]}
    assert list(STATUS_COLOURS) == ["on_time", "late", "overdue"]
    assert spec["encoding"]["x"]["stack"] == "zero"


def test_agencies_keep_the_ranking_s_order_and_those_with_nothing_are_left_out():
    spec = handling_bars(frame(), "en").to_dict()
    assert spec["encoding"]["y"]["sort"] == ["Land", "Finance", "Water"]
    drawn = spec["datasets"][spec["data"]["name"]]
    assert {(row["agency_label"], row["status"], row["count"]) for row in drawn} == {
        ("Land", "on_time", 2), ("Land", "late", 1), ("Finance", "late", 1), ("Finance", "overdue", 2),
        ("Water", "on_time", 1), ("Water", "overdue", 1)}  # no zero-length segments


def test_counts_are_whole_numbers_on_the_axis():
    spec = handling_bars(frame(), "en").to_dict()
    assert spec["encoding"]["x"]["axis"]["values"] == [0, 1, 2, 3]
    many = frame().assign(on_time=[40, 0, 0, 1])
    assert handling_bars(many, "en").to_dict()["encoding"]["x"]["axis"]["tickMinStep"] == 1


def test_legend_and_title_in_the_reader_s_language():
    zh = json.dumps(handling_bars(frame(), "zh").to_dict(), ensure_ascii=False)
    assert "按时办结" in zh and "逾期未办结" in zh and "办结与逾期" in zh
    untitled = handling_bars(frame(), "zh", titled=False).to_dict()
    assert untitled["title"] == ""


def test_nothing_to_show_says_so():
    empty = frame().assign(on_time=0, late=0, overdue=0)
    assert "Nothing was closed this month" in json.dumps(handling_bars(empty, "en").to_dict())
