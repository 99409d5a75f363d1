"""The small per-agency trend chart of the printed bulletin: data in, ``alt.Chart`` out; and, for a
bulletin of thousands of agencies, the same chart split into a frame rendered once and each
agency's points (pure geometry) drawn on it.

Sized for print (a few centimetres wide). Labels are kept to round names and
numbers, so the chart renders without a CJK font; the bulletin explains the
colours in its text. Grades use the palette's colours and nothing else.
"""
from __future__ import annotations

import altair as alt
import pandas as pd

from charts.palette import GRADE_COLOURS, GRADE_ORDER

WIDTH, HEIGHT = 190, 70
LINE_COLOUR = "#969696"
THRESHOLD_COLOUR = "#bdbdbd"
OUTLINE_COLOUR = "#525252"  # keeps the pale "insufficient" point visible on white paper


# Fixed padding (no autosize): the plot area sits at a known place in the image, so the
# bulletin can render the chart's frame once and draw each agency's points on it (issue 16).
PADDING = {"left": 24, "right": 8, "top": 6, "bottom": 16}
IMAGE_WIDTH = PADDING["left"] + WIDTH + PADDING["right"]      # chart pixels
IMAGE_HEIGHT = PADDING["top"] + HEIGHT + PADDING["bottom"]
POINT_SIZE = 40          # area in square chart pixels, as Vega-Lite's point size
LINE_WIDTH, POINT_STROKE = 1.0, 0.6
POINT_PADDING = 0.5      # Vega-Lite's default padding of a point scale, in steps


def trend_chart(trend: pd.DataFrame, fair_threshold: float = 60.0, good_threshold: float = 80.0,
                rounds: list[str] | None = None) -> alt.Chart:
    """One agency's score per finalised round (columns round, score, grade), points coloured by grade,
    with dashed lines at the fair and good thresholds. ``rounds``: the rounds along the axis (by default
    those in ``trend``), so that every agency's chart has the same axis."""
    data = trend[["round", "score", "grade"]].dropna(subset=["score"])
    rounds = list(rounds) if rounds is not None else sorted(data["round"].unique())
    x = alt.X("round:O", sort=rounds, scale=alt.Scale(domain=rounds), title=None,
              axis=alt.Axis(labelAngle=0, labelExpr="slice(datum.label, 2)", labelFontSize=8, ticks=False))
    y = alt.Y("score:Q", scale=alt.Scale(domain=[0, 100]), title=None,
              axis=alt.Axis(values=[0, fair_threshold, good_threshold, 100], labelFontSize=8, labelOverlap=False,
                                grid=False))
    line = alt.Chart(data).mark_line(color=LINE_COLOUR, strokeWidth=LINE_WIDTH).encode(x=x, y=y)
    points = alt.Chart(data).mark_point(filled=True, size=POINT_SIZE, stroke=OUTLINE_COLOUR, strokeWidth=POINT_STROKE,
                                        opacity=1).encode(
        x=x, y=y,
        color=alt.Color("grade:N", scale=alt.Scale(domain=GRADE_ORDER, range=[GRADE_COLOURS[g] for g in GRADE_ORDER]),
                        legend=None),
    )
    thresholds = alt.Chart(pd.DataFrame({"score": [fair_threshold, good_threshold]})).mark_rule(
        color=THRESHOLD_COLOUR, strokeDash=[3, 3], strokeWidth=0.8).encode(y=y)
    return (thresholds + line + points).properties(
        width=WIDTH, height=HEIGHT, autosize=alt.AutoSizeParams(type="none"), padding=PADDING,
    ).configure_view(stroke=None)


def trend_frame(rounds: list[str], fair_threshold: float = 60.0, good_threshold: float = 80.0) -> alt.Chart:
    """The trend chart with no agency's points: its axes and thresholds, the same for every agency
    of a bulletin, so rendered once (``trend_points`` gives the points to draw on it)."""
    return trend_chart(pd.DataFrame(columns=["round", "score", "grade"]), fair_threshold, good_threshold, rounds)


def trend_points(trend: pd.DataFrame, rounds: list[str]) -> list[tuple[float, float, str]]:
    """Where ``trend_chart`` would draw an agency's points on ``trend_frame(rounds)``: (x, y, colour)
    in chart pixels from the image's top-left corner, in round order; a round without a score is
    left out (never drawn as zero). The point scale is Vega-Lite's: ``POINT_PADDING`` steps at each end."""
    # plain Python over the columns: called for each of thousands of agencies
    position = {name: index for index, name in enumerate(rounds)}
    step = WIDTH / (len(rounds) - 1 + 2 * POINT_PADDING) if rounds else 0.0
    points = []
    for round_name, score, grade in sorted(zip(trend["round"].tolist(), trend["score"].tolist(),
                                               trend["grade"].tolist()), key=lambda row: row[0]):
        if score is None or pd.isna(score) or round_name not in position:
            continue
        x = PADDING["left"] + step * (POINT_PADDING + position[round_name])
        y = PADDING["top"] + HEIGHT * (1 - min(max(float(score), 0.0), 100.0) / 100)
        points.append((x, y, GRADE_COLOURS.get(grade, OUTLINE_COLOUR)))
    return points
