"""The monthly bulletin's chart: per agency, cases and problems closed on time, closed late and
overdue at the month's end, stacked, in the order of the ranking on handling. Pure: a frame and a
language in, an ``alt.Chart`` out; the page and the PDF draw the same chart.
"""
from __future__ import annotations

import altair as alt
import pandas as pd

from charts.common import INK, empty_chart, finish, label_expr, t
from charts.palette import GRADE_COLOURS
from scoring.grades import FAIR, GOOD, POOR

# the grade colours, for the same meaning: done well, done late, not done
STATUS_COLOURS = {"on_time": GRADE_COLOURS[GOOD], "late": GRADE_COLOURS[FAIR], "overdue": GRADE_COLOURS[POOR]}
STATUS_ORDER = list(STATUS_COLOURS)
ROW_HEIGHT = 20


def count_axis(most: int) -> alt.Axis:
    """Whole items only: every count as a tick up to ten, else Vega's own whole-number ticks."""
    ticks = {"values": list(range(most + 1))} if most <= 10 else {"tickMinStep": 1}
    return alt.Axis(format="d", **ticks)


def handling_bars(table: pd.DataFrame, lang: str, titled: bool = True) -> alt.Chart:
    """``table``: agency_label, on_time, late, overdue, in the order to draw (best rank first).
    Agencies with nothing closed and nothing overdue are left out. ``titled``: False where the
    document's own heading names the chart (the PDF)."""
    shown = table[(table["on_time"] + table["late"] + table["overdue"]) > 0]
    if shown.empty:
        return empty_chart(t("monthly.chart_empty", lang))
    order = list(shown["agency_label"])
    long = shown.melt(id_vars=["agency_label"], value_vars=STATUS_ORDER, var_name="status", value_name="count")
    long = long[long["count"] > 0]
    long["status_order"] = long["status"].map(STATUS_ORDER.index)
    labels = {status: t(f"monthly.{status}", lang) for status in STATUS_ORDER}
    bars = alt.Chart(long).mark_bar(stroke=INK, strokeWidth=0.4).encode(
        y=alt.Y("agency_label:N", sort=order, title=None, axis=alt.Axis(labelLimit=220)),
        x=alt.X("count:Q", stack="zero", title=t("monthly.chart_count", lang),
                axis=count_axis(int((shown["on_time"] + shown["late"] + shown["overdue"]).max()))),
        color=alt.Color("status:N", scale=alt.Scale(domain=STATUS_ORDER, range=list(STATUS_COLOURS.values())),
                        title=t("monthly.chart_status", lang),
                        legend=alt.Legend(labelExpr=label_expr(labels), orient="bottom")),
        order=alt.Order("status_order:Q"),
        tooltip=[alt.Tooltip("agency_label:N", title=t("monthly.agency", lang)),
                 alt.Tooltip("status_label:N", title=t("monthly.chart_status", lang)),
                 alt.Tooltip("count:Q", title=t("monthly.chart_count", lang))],
    ).transform_calculate(status_label=label_expr(labels, "datum.status"))
    chart = finish(bars, t("monthly.chart_heading", lang), height=max(ROW_HEIGHT * len(order), 60))
    return chart if titled else chart.properties(title="")
