"""The charts' specifications (``chart.to_dict()``): marks, encodings, the one
palette for grades, levels and flags, band thresholds, insufficient rounds never
drawn as zero, and labels in the reader's language."""
import pandas as pd
import pytest

import charts
import i18n
from charts.palette import FLAG_COLOURS, GRADE_COLOURS, GRADE_ORDER, LEVEL_COLOURS

GRADE_RANGE = [GRADE_COLOURS[g] for g in GRADE_ORDER]


def trend_frame(**changes) -> pd.DataFrame:
    """Four rounds: graded, too few responses, graded (stricter pinned rules), in progress."""
    frame = pd.DataFrame({
        "round": ["2026Q1", "2026Q2", "2026Q3", "2026Q4"],
        "status": ["published", "published", "finalised", "open"],
        "in_progress": [False, False, False, True],
        "good": [80.0, 80.0, 85.0, 80.0], "fair": [60.0, 60.0, 65.0, 60.0], "top": [100.0] * 4,
        "n": [12, 3, 9, None], "score": [72.5, 41.7, 55.0, None],
        "ci_low": [66.0, 20.0, 49.0, None], "ci_high": [79.0, 63.4, 61.0, None],
        "grade": ["fair", "insufficient", "poor", None], "action": ["reminder", "none", "interview", None],
        "provisional": [False, False, False, None],
    })
    for column, values in changes.items():
        frame[column] = values
    return frame


def layers(spec: dict) -> list[dict]:
    return spec["layer"]


def rows(spec: dict, layer: dict) -> list[dict]:
    """The rows a layer draws (its own data, or the chart's shared data)."""
    return spec["datasets"][layer.get("data", spec.get("data"))["name"]]


def marks(spec: dict) -> list[str]:
    return [layer["mark"]["type"] for layer in layers(spec)]


def layer_with(spec: dict, mark: str, **props) -> dict:
    return next(layer for layer in layers(spec) if layer["mark"]["type"] == mark
                and all(layer["mark"].get(k) == v for k, v in props.items()))


def grade_colour_encodings(spec: dict) -> list[dict]:
    found = []
    for layer in layers(spec):
        colour = layer.get("encoding", {}).get("color", {})
        if colour.get("field") == "grade":
            found.append(colour)
    return found


def title(spec: dict) -> str:
    return spec["title"]["text"]


# --- the trend ------------------------------------------------------------------------

def test_trend_marks_and_palette():
    spec = charts.score_trend(trend_frame(), "zh").to_dict()
    assert {"rect", "rule", "line", "point", "text"} <= set(marks(spec))
    colours = grade_colour_encodings(spec)
    assert colours and all(c["scale"] == {"domain": GRADE_ORDER, "range": GRADE_RANGE} for c in colours)
    points = layer_with(spec, "point", filled=True)
    assert points["encoding"]["shape"]["field"] == "action"
    assert points["encoding"]["shape"]["scale"]["domain"] == ["none", "reminder", "interview", "referral"]
    assert len(set(points["encoding"]["shape"]["scale"]["range"])) == 4  # shapes read in grey-scale print
    errors = layer_with(spec, "rule", strokeDash=[1, 0])
    assert (errors["encoding"]["y"]["field"], errors["encoding"]["y2"]["field"]) == ("ci_low", "ci_high")


def test_trend_bands_follow_each_rounds_thresholds_in_grade_colours():
    spec = charts.score_trend(trend_frame(), "en").to_dict()
    bands = layers(spec)[0]
    assert bands["mark"]["type"] == "rect" and bands["encoding"]["color"]["scale"] is None
    by_round = {(r["round"], r["grade"]): (r["low"], r["high"], r["colour"]) for r in rows(spec, bands)}
    assert by_round[("2026Q1", "poor")] == (0, 60.0, GRADE_COLOURS["poor"])
    assert by_round[("2026Q1", "fair")] == (60.0, 80.0, GRADE_COLOURS["fair"])
    assert by_round[("2026Q1", "good")] == (80.0, 100.0, GRADE_COLOURS["good"])
    assert by_round[("2026Q3", "fair")] == (65.0, 85.0, GRADE_COLOURS["fair"])  # pinned stricter rules
    assert spec["layer"][0]["encoding"]["y"]["scale"]["domain"] == [0, 100.0]


def test_insufficient_round_is_marked_not_plotted_as_a_score():
    spec = charts.score_trend(trend_frame(), "en").to_dict()
    for mark in ("point", "line"):
        for layer in (l for l in layers(spec) if l["mark"]["type"] == mark):
            plotted = {r["round"]: r["score"] for r in rows(spec, layer)}
            assert "2026Q2" not in plotted and "2026Q4" not in plotted
            assert 0 not in plotted.values()
    notes = [r for layer in layers(spec) if layer["encoding"].get("text", {}).get("field") == "note"
             for r in rows(spec, layer)]
    assert {r["round"]: r["note"] for r in notes} == {
        "2026Q2": i18n.t("dashboards.chart.insufficient_note", "en", n=3),
        "2026Q4": i18n.t("dashboards.chart.in_progress_note", "en")}


def test_line_breaks_at_an_insufficient_round():
    spec = charts.score_trend(trend_frame(), "en").to_dict()
    line = layer_with(spec, "line")
    segments = {r["round"]: r["segment"] for r in rows(spec, line)}
    assert segments["2026Q1"] != segments["2026Q3"]
    assert line["encoding"]["detail"]["field"] == "segment"


def test_provisional_figures_are_hollow_and_dashed():
    frame = trend_frame(n=[12, 3, 9, 4], score=[72.5, 41.7, 55.0, 70.0], ci_low=[66.0, 20.0, 49.0, 60.0],
                        ci_high=[79.0, 63.4, 61.0, 80.0], grade=["fair", "insufficient", "poor", "fair"],
                        action=["reminder", "none", "interview", "reminder"], provisional=[False, False, False, True])
    spec = charts.score_trend(frame, "en").to_dict()
    hollow = layer_with(spec, "point", filled=False)
    assert [r["round"] for r in rows(spec, hollow)] == ["2026Q4"]
    assert layer_with(spec, "rule", strokeDash=[3, 2])
    solid = layer_with(spec, "point", filled=True)
    assert [r["round"] for r in rows(spec, solid)] == ["2026Q1", "2026Q3"]


def test_trend_labels_in_the_readers_language():
    zh = charts.score_trend(trend_frame(), "zh").to_dict()
    en = charts.score_trend(trend_frame(), "en").to_dict()
    assert title(zh) == i18n.t("dashboards.chart.trend_title", "zh") != title(en)
    assert title(en) == "Score over the rounds"
    points_zh, points_en = layer_with(zh, "point", filled=True), layer_with(en, "point", filled=True)
    assert "'好'" in points_zh["encoding"]["color"]["legend"]["labelExpr"]
    assert "'good'" in points_en["encoding"]["color"]["legend"]["labelExpr"]
    assert points_zh["encoding"]["x"]["title"] == "评议轮次" and points_en["encoding"]["x"]["title"] == "Round"
    labels_zh = {r["round"]: r["round_label"] for r in rows(zh, points_zh)}
    labels_en = {r["round"]: r["round_label"] for r in rows(en, points_en)}
    assert labels_zh["2026Q1"] == "2026年第一季度" and labels_en["2026Q1"] == "2026 Q1"
    assert points_zh["encoding"]["x"]["sort"] == ["2026年\n第一季度", "2026年\n第二季度", "2026年\n第三季度",
                                                  "2026年\n第四季度\n进行中"]
    assert points_en["encoding"]["x"]["sort"][-1] == "2026 Q4\nin progress"
    assert "split(datum.label" in points_zh["encoding"]["x"]["axis"]["labelExpr"]  # one line per part


def test_empty_data_gives_a_chart_that_says_so():
    spec = charts.score_trend(trend_frame().iloc[0:0], "en").to_dict()
    assert title(spec) == "No data yet"


# --- items and levels ----------------------------------------------------------------

def items_frame() -> pd.DataFrame:
    return pd.DataFrame({"round": ["2026Q1", "2026Q1", "2026Q2", "2026Q2"], "in_progress": [False] * 4,
                         "item": ["efficiency", "attitude"] * 2, "item_label": ["Speed", "Attitude"] * 2,
                         "item_order": [0, 1, 0, 1], "mean_points": [40.0, 90.0, 55.5, 80.0],
                         "answers": [10, 10, 12, 12]})


def test_item_heatmap_uses_a_fixed_points_scale_in_questionnaire_order():
    spec = charts.item_heatmap(items_frame(), "en").to_dict()
    cells = layer_with(spec, "rect")
    assert cells["encoding"]["color"]["field"] == "mean_points"
    assert cells["encoding"]["color"]["scale"]["type"] == "threshold"
    assert cells["encoding"]["color"]["scale"]["domain"] == [60.0, 80.0]  # the grade thresholds
    assert cells["encoding"]["y"]["sort"] == ["Speed", "Attitude"]
    assert layer_with(spec, "text")["encoding"]["text"]["field"] == "mean_points"


def test_level_bars_stack_the_five_levels_in_their_palette():
    frame = pd.DataFrame({"round": ["2026Q1"] * 3, "in_progress": [False] * 3, "level": [5, 4, 1],
                          "count": [6, 3, 1], "share": [0.6, 0.3, 0.1]})
    spec = charts.level_bars(frame, "zh").to_dict()
    bars = layer_with(spec, "bar")
    assert bars["encoding"]["color"]["scale"] == {"domain": [5, 4, 3, 2, 1],
                                                 "range": [LEVEL_COLOURS[v] for v in (5, 4, 3, 2, 1)]}
    assert "'非常满意'" in bars["encoding"]["color"]["legend"]["labelExpr"]
    stack = {r["level"]: (r["bottom_share"], r["top_share"]) for r in rows(spec, bars)}
    assert stack[5] == pytest.approx((0, 0.6)) and stack[4] == pytest.approx((0.6, 0.9))
    assert stack[1] == pytest.approx((0.9, 1.0))
    assert bars["encoding"]["y"]["axis"]["format"] == "%"


# --- the county ----------------------------------------------------------------------

def county_results() -> pd.DataFrame:
    return pd.DataFrame({
        "round": ["2026Q1", "2026Q1", "2026Q2", "2026Q2"], "agency": ["FGW", "SCJG", "FGW", "SCJG"],
        "name_zh": ["县发展改革委", "县市场监管局"] * 2, "name_en": ["DRC", "Market Supervision"] * 2,
        "n": [12, 3, 10, 9], "score": [85.0, 41.7, 78.0, 55.0], "ci_low": [80.0, 10.0, 70.0, 50.0],
        "ci_high": [90.0, 70.0, 86.0, 60.0], "grade": ["good", "insufficient", "fair", "poor"],
        "action": ["none", "none", "reminder", "interview"], "flag": ["red", None, "red", "yellow"],
        "rank": [1, None, 1, 2],
    })


def test_heatmap_colours_cells_by_grade_and_labels_insufficient_cells():
    spec = charts.grade_heatmap(county_results(), "zh").to_dict()
    cells = layer_with(spec, "rect")
    assert cells["encoding"]["color"]["scale"] == {"domain": GRADE_ORDER, "range": GRADE_RANGE}
    texts = {(r["round"], r["agency"]): r["cell"] for r in rows(spec, layer_with(spec, "text"))}
    assert texts[("2026Q1", "SCJG")] == i18n.t("dashboards.chart.insufficient_cell", "zh", n=3)
    assert texts[("2026Q2", "FGW")] == "78.0"
    assert cells["encoding"]["y"]["sort"] == ["县发展改革委", "县市场监管局"]  # best of the latest round first
    assert any(p["name"] == charts.PICK for p in spec.get("params", []) + cells.get("params", []))


def test_ranking_bars_grades_flags_and_own_agency():
    latest = county_results()[lambda f: f["round"] == "2026Q2"]
    spec = charts.ranking_bars(latest, "en", highlight="SCJG").to_dict()
    bars = layer_with(spec, "bar")
    assert bars["encoding"]["color"]["scale"] == {"domain": GRADE_ORDER, "range": GRADE_RANGE}
    flag = next(l for l in layers(spec) if l["encoding"].get("color", {}).get("field") == "flag")
    assert flag["encoding"]["color"]["scale"] == {"domain": ["red", "yellow", "blue"],
                                                 "range": [FLAG_COLOURS[f] for f in ("red", "yellow", "blue")]}
    own = {r["agency"]: r["own"] for r in rows(spec, bars)}
    assert own == {"FGW": False, "SCJG": True}
    assert "datum.own" in bars["encoding"]["stroke"]["condition"]["test"]
    assert "Market Supervision" in bars["encoding"]["y"]["axis"]["labelFontWeight"]["expr"]
    notes = {r["agency"]: r["note"] for r in rows(spec, layer_with(spec, "text", dx=17))}
    assert notes == {"FGW": "#1 red flag", "SCJG": "#2 yellow flag"}


def test_ranking_leaves_out_insufficient_agencies():
    first = county_results()[lambda f: f["round"] == "2026Q1"]
    spec = charts.ranking_bars(first, "en").to_dict()
    assert [r["agency"] for r in rows(spec, layer_with(spec, "bar"))] == ["FGW"]


def test_slope_joins_agencies_graded_in_both_rounds():
    spec = charts.grade_slope(county_results(), "en", "2026Q1", "2026Q2").to_dict()
    points = layer_with(spec, "point")
    assert {r["agency"] for r in rows(spec, points)} == {"FGW"}  # SCJG was not graded in 2026Q1
    assert points["encoding"]["color"]["scale"]["range"] == GRADE_RANGE
    assert layer_with(spec, "line")["encoding"]["detail"]["field"] == "agency"


def test_response_rates_mark_the_round_in_progress():
    frame = pd.DataFrame({"round": ["2026Q1", "2026Q2"], "in_progress": [False, True], "responses": [90, 20],
                          "enterprises": [60, 15], "active": [80, 80], "rate": [0.75, 0.1875]})
    spec = charts.response_rate_bars(frame, "zh").to_dict()
    bars = layer_with(spec, "bar")
    assert bars["encoding"]["opacity"]["condition"]["test"] == "datum.in_progress"
    labels = [r["round_label"] for r in rows(spec, bars)]
    assert labels == ["2026年第一季度", "2026年第二季度 · 进行中"]
    assert bars["encoding"]["y"]["scale"]["domain"] == [0, 1]


def test_same_grade_same_colour_on_every_chart():
    frames = [charts.score_trend(trend_frame(), "en"), charts.grade_heatmap(county_results(), "en"),
              charts.ranking_bars(county_results(), "en"),
              charts.grade_slope(county_results(), "en", "2026Q1", "2026Q2")]
    for chart in frames:
        for colour in grade_colour_encodings(chart.to_dict()):
            assert colour["scale"] == {"domain": GRADE_ORDER, "range": GRADE_RANGE}


def test_grades_differ_in_lightness_for_grey_scale_print():
    def lightness(hex_colour: str) -> float:
        r, g, b = (int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5))
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    values = [lightness(GRADE_COLOURS[g]) for g in ("insufficient", "good", "fair", "poor")]
    assert values == sorted(values, reverse=True)
    assert all(a - b > 0.1 for a, b in zip(values, values[1:]))


# --- export --------------------------------------------------------------------------

def test_charts_export_as_png_and_svg():
    chart = charts.grade_heatmap(county_results(), "zh")
    png = charts.to_png(chart, scale=1)
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 1000
    svg = charts.to_svg(chart.to_dict())  # a stored specification works too
    assert svg.lstrip().startswith("<svg") and "县发展改革委" in svg


def hex_rgb(colour: str) -> tuple[int, int, int]:
    return tuple(int(colour[i:i + 2], 16) for i in (1, 3, 5))


def relative_luminance(colour: str) -> float:
    def channel(c: int) -> float:
        c = c / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (channel(c) for c in hex_rgb(colour))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def colour_of(scale: dict, value: float) -> str:
    """What Vega draws for ``value`` on a threshold scale: the range entry of its band."""
    return scale["range"][sum(value >= cut for cut in scale["domain"])]


def test_item_heatmap_separates_the_grade_bands_41_and_75_look_different():
    scale = layer_with(charts.item_heatmap(items_frame(), "en").to_dict(), "rect")["encoding"]["color"]["scale"]
    poor, fair, good = colour_of(scale, 41), colour_of(scale, 75), colour_of(scale, 80)
    assert (poor, fair, good) == (GRADE_COLOURS["poor"], GRADE_COLOURS["fair"], GRADE_COLOURS["good"])
    assert colour_of(scale, 59.9) == poor and colour_of(scale, 60) == fair and colour_of(scale, 79.9) == fair
    # clearly apart, also in grey: a lightness contrast ratio of at least 3 between 41 and 75
    lighter, darker = sorted((relative_luminance(poor), relative_luminance(fair)), reverse=True)
    assert (lighter + 0.05) / (darker + 0.05) >= 3
    distance = sum((a - b) ** 2 for a, b in zip(hex_rgb(poor), hex_rgb(fair))) ** 0.5
    assert distance > 100
    # the figure in a dark cell is drawn light
    text = layer_with(charts.item_heatmap(items_frame(), "en").to_dict(), "text")["encoding"]["color"]
    assert "60" in text["condition"]["test"]
