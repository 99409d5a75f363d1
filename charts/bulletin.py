"""The small per-agency trend chart of the printed bulletin: data in, ``alt.Chart`` out.

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


def trend_chart(trend: pd.DataFrame, fair_threshold: float = 60.0, good_threshold: float = 80.0) -> alt.Chart:
    """One agency's score per finalised round (columns round, score, grade), points coloured by grade,
    with dashed lines at the fair and good thresholds."""
    data = trend[["round", "score", "grade"]].dropna(subset=["score"])
    x = alt.X("round:O", sort=sorted(data["round"].unique()), title=None,
              axis=alt.Axis(labelAngle=0, labelExpr="slice(datum.label, 2)", labelFontSize=8, ticks=False))
    y = alt.Y("score:Q", scale=alt.Scale(domain=[0, 100]), title=None,
              axis=alt.Axis(values=[0, fair_threshold, good_threshold, 100], labelFontSize=8, labelOverlap=False,
                                grid=False))
    line = alt.Chart(data).mark_line(color=LINE_COLOUR, strokeWidth=1).encode(x=x, y=y)
    points = alt.Chart(data).mark_point(filled=True, size=40, stroke=OUTLINE_COLOUR, strokeWidth=0.6, opacity=1).encode(
        x=x, y=y,
        color=alt.Color("grade:N", scale=alt.Scale(domain=GRADE_ORDER, range=[GRADE_COLOURS[g] for g in GRADE_ORDER]),
                        legend=None),
    )
    thresholds = alt.Chart(pd.DataFrame({"score": [fair_threshold, good_threshold]})).mark_rule(
        color=THRESHOLD_COLOUR, strokeDash=[3, 3], strokeWidth=0.8).encode(y=y)
    return (thresholds + line + points).properties(width=WIDTH, height=HEIGHT).configure_view(stroke=None)
