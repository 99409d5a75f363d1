"""One agency's charts: its score over the rounds, where it loses points, and
how enterprises answered. Pure functions: a DataFrame and a language in, an
``alt.Chart`` out.
"""
from __future__ import annotations

import altair as alt
import pandas as pd

from charts.common import (
    INK, PAPER, action_labels, action_scale, empty_chart, finish, grade_colour, label_expr,
    level_labels, level_scale, round_axis, t, with_round_labels,
)
from charts.palette import GRADE_COLOURS
from labels import interval_text
from scoring.actions import FOLLOW_UPS
from scoring.config import DEFAULT_CONFIG
from scoring.grades import FAIR, GOOD, INSUFFICIENT, POOR

BAND_OPACITY = 0.2


def _bands(trend: pd.DataFrame) -> pd.DataFrame:
    """Three bands per round (poor below fair, fair up to good, good above), from that round's rules."""
    rows = []
    for r in trend.to_dict("records"):
        where = {"round": r["round"], "round_axis": r["round_axis"]}
        rows += [{**where, "grade": POOR, "low": 0, "high": r["fair"]},
                 {**where, "grade": FAIR, "low": r["fair"], "high": r["good"]},
                 {**where, "grade": GOOD, "low": r["good"], "high": r["top"]}]
    bands = pd.DataFrame(rows)
    bands["colour"] = bands["grade"].map(GRADE_COLOURS)
    return bands


def _is_graded(trend: pd.DataFrame) -> pd.Series:
    return trend["score"].notna() & (trend["grade"] != INSUFFICIENT)


def score_trend(trend: pd.DataFrame, lang: str) -> alt.LayerChart:
    """Score per round with the good / fair / poor bands of that round's rules shaded behind,
    the 95% interval as an error bar, point colour = grade, point shape = action.

    ``trend``: one row per round — round, in_progress, good, fair, top, and (where there is a
    result) n, score, ci_low, ci_high, grade, action, provisional (True for staff-only figures
    of a round in progress). A round with too few responses is drawn as a labelled grey
    column, never as a score of zero; a round in progress without figures likewise.
    """
    if trend.empty:
        return empty_chart(t("dashboards.chart.no_data", lang))
    trend = with_round_labels(trend.assign(provisional=trend.get("provisional", False)), lang)
    trend["provisional"] = trend["provisional"].fillna(False).astype(bool)
    x = round_axis(trend, lang)
    top = float(trend["top"].max())
    y = alt.Y("score:Q", title=t("results.score", lang), scale=alt.Scale(domain=[0, top], nice=False))
    graded = trend[_is_graded(trend)].assign(
        interval=lambda f: [interval_text(lo, hi) for lo, hi in zip(f.ci_low, f.ci_high)],
        grade_text=lambda f: [t(f"grades.{g}", lang) for g in f.grade],
        action_text=lambda f: [t(f"actions.{a}", lang) for a in f.action],
        action_short=lambda f: [t(f"dashboards.action_short.{a}", lang) if a in FOLLOW_UPS else ""
                                for a in f.action])
    graded["segment"] = (~_is_graded(trend)).cumsum().loc[graded.index]
    final, provisional = graded[~graded["provisional"]], graded[graded["provisional"]]
    blank = _blank_columns(trend, lang, top)

    # literal palette colours: the bands share the grades' colours but not their legend
    bands = alt.Chart(_bands(trend)).mark_rect(fillOpacity=BAND_OPACITY).encode(
        x=x, y=alt.Y("low:Q", scale=alt.Scale(domain=[0, top], nice=False), title=t("results.score", lang)),
        y2="high:Q", color=alt.Color("colour:N", scale=None))
    layers = [bands]
    if len(blank):
        layers += [alt.Chart(blank).mark_rect(color="#f0f0f0", opacity=0.95).encode(
                       x=x, y=alt.Y("low:Q"), y2="high:Q"),
                   alt.Chart(blank).mark_text(color=INK, fontSize=11, lineBreak="\n").encode(
                       x=x, y=alt.Y("middle:Q"), text="note:N")]
    tooltip = [alt.Tooltip("round_label:N", title=t("dashboards.chart.round", lang)),
               alt.Tooltip("score:Q", title=t("results.score", lang), format=".1f"),
               alt.Tooltip("interval:N", title=t("results.interval", lang)),
               alt.Tooltip("n:Q", title=t("results.n", lang)),
               alt.Tooltip("grade_text:N", title=t("results.grade", lang)),
               alt.Tooltip("action_text:N", title=t("results.action", lang))]
    for part, dashed in ((final, False), (provisional, True)):
        if not part.empty:
            layers += _score_layers(part, x, y, lang, tooltip, dashed)
    chart = alt.layer(*layers).resolve_scale(color="shared")
    return finish(chart, t("dashboards.chart.trend_title", lang), t("dashboards.chart.trend_subtitle", lang),
                  height=420)


def _score_layers(part: pd.DataFrame, x, y, lang: str, tooltip: list, provisional: bool) -> list:
    """Interval, line (final figures only), points, score and action labels."""
    base = alt.Chart(part)
    layers = [base.mark_rule(color=INK, strokeWidth=1.5, strokeDash=[3, 2] if provisional else [1, 0]).encode(
        x=x, y=alt.Y("ci_low:Q"), y2="ci_high:Q")]
    if not provisional:
        # one line per run of graded rounds: it breaks where a round was not graded
        layers.append(base.mark_line(color=INK, strokeWidth=1.5).encode(
            x=x, y=y, detail="segment:N", order="round:N"))
    layers += [
        base.mark_point(filled=not provisional, size=150, stroke=INK, strokeWidth=1.2, opacity=1).encode(
            x=x, y=y, color=grade_colour(lang), tooltip=tooltip,
            shape=alt.Shape("action:N", scale=action_scale(), title=t("results.action", lang),
                            legend=alt.Legend(labelExpr=label_expr(action_labels(lang)), orient="bottom"))),
        base.mark_text(align="left", dx=12, fontSize=11, color=INK).encode(
            x=x, y=y, text=alt.Text("score:Q", format=".1f")),
        base.mark_text(dy=-16, fontSize=11, fontWeight="bold", color=INK).encode(
            x=x, y=alt.Y("ci_high:Q"), text="action_short:N"),
    ]
    return layers


def _blank_columns(trend: pd.DataFrame, lang: str, top: float) -> pd.DataFrame:
    """Rounds without a score to draw: too few responses, or in progress without figures."""
    insufficient = trend["grade"] == INSUFFICIENT
    waiting = trend["in_progress"].astype(bool) & trend["score"].isna()
    blank = trend[insufficient | waiting].copy()
    blank["note"] = [
        t("dashboards.chart.insufficient_note", lang, n=int(n) if pd.notna(n) else 0) if grade == INSUFFICIENT
        else t("dashboards.chart.in_progress_note", lang)
        for grade, n in zip(blank["grade"], blank["n"])
    ]
    blank["low"], blank["high"], blank["middle"] = 0.0, top, top / 2
    return blank[["round", "round_axis", "note", "low", "high", "middle"]]


def points_bands(fair: float = DEFAULT_CONFIG.fair_threshold,
                 good: float = DEFAULT_CONFIG.good_threshold) -> alt.Scale:
    """The item heatmap's colours: one band per grade, cut at the grade thresholds (DESIGN §4.4),
    so that 41 (poor) and 75 (fair) look as different as their grades; in the grade colours,
    which also differ in lightness (charts/palette.py) and so survive grey-scale print."""
    return alt.Scale(type="threshold", domain=[fair, good],
                     range=[GRADE_COLOURS[POOR], GRADE_COLOURS[FAIR], GRADE_COLOURS[GOOD]])


def item_heatmap(items: pd.DataFrame, lang: str, fair: float = DEFAULT_CONFIG.fair_threshold,
                 good: float = DEFAULT_CONFIG.good_threshold) -> alt.Chart:
    """Mean points per item (rows) and round (columns): where the agency loses points.
    Coloured by grade band (``points_bands``): the same colour means the same band on every
    agency's page, and the number in each cell gives the points.

    ``items``: round, in_progress, item, item_label, mean_points, answers; optional item_order.
    """
    if items.empty:
        return empty_chart(t("dashboards.chart.no_data", lang))
    items = with_round_labels(items, lang)
    order = list(dict.fromkeys(items.sort_values("item_order")["item_label"])) if "item_order" in items \
        else sorted(items["item_label"].unique())
    base = alt.Chart(items).encode(
        x=round_axis(items, lang),
        y=alt.Y("item_label:N", sort=order, title=None, axis=alt.Axis(labelLimit=220)))
    cells = base.mark_rect(stroke=PAPER, strokeWidth=1).encode(
        color=alt.Color("mean_points:Q", title=t("dashboards.chart.mean_points", lang),
                        scale=points_bands(fair, good), legend=alt.Legend(orient="bottom")),
        tooltip=[alt.Tooltip("item_label:N", title=t("dashboards.chart.item", lang)),
                 alt.Tooltip("round_label:N", title=t("dashboards.chart.round", lang)),
                 alt.Tooltip("mean_points:Q", title=t("dashboards.chart.mean_points", lang), format=".1f"),
                 alt.Tooltip("answers:Q", title=t("dashboards.chart.answers", lang))])
    labels = base.mark_text(fontSize=11).encode(
        text=alt.Text("mean_points:Q", format=".0f"),
        color=alt.condition(f"datum.mean_points < {fair}", alt.value(PAPER), alt.value(INK)))
    return finish(alt.layer(cells, labels), t("dashboards.chart.items_title", lang),
                  t("dashboards.chart.items_subtitle", lang), height=max(200, 44 * len(order) + 150))


def _stacked(levels: pd.DataFrame) -> pd.DataFrame:
    """Explicit stack positions per round: very satisfied (5) at the bottom, very dissatisfied (1) on top."""
    levels = levels.sort_values(["round", "level"], ascending=[True, False]).copy()
    levels["top_share"] = levels.groupby("round")["share"].cumsum()
    levels["bottom_share"] = levels["top_share"] - levels["share"]
    levels["middle_share"] = (levels["top_share"] + levels["bottom_share"]) / 2
    return levels


def level_bars(levels: pd.DataFrame, lang: str) -> alt.Chart:
    """Share of each of the five answer levels per round, stacked to 100%, in LEVEL_COLOURS.
    Shares of 8% or more are written on the bar, so the chart reads in grey-scale print too.

    ``levels``: round, in_progress, level (1–5), count, share.
    """
    if levels.empty:
        return empty_chart(t("dashboards.chart.no_data", lang))
    labels = level_labels(lang)
    levels = _stacked(with_round_labels(levels, lang))
    levels["level_text"] = [labels.get(int(v), str(v)) for v in levels["level"]]
    x = round_axis(levels, lang)
    share_axis = alt.Y("bottom_share:Q", title=t("dashboards.chart.share", lang),
                       scale=alt.Scale(domain=[0, 1], nice=False), axis=alt.Axis(format="%"))
    bars = alt.Chart(levels).mark_bar(stroke=PAPER, strokeWidth=1).encode(
        x=x, y=share_axis, y2="top_share:Q",
        color=alt.Color("level:O", scale=level_scale(), title=t("dashboards.chart.level", lang),
                        legend=alt.Legend(labelExpr=label_expr(labels), orient="bottom")),
        tooltip=[alt.Tooltip("round_label:N", title=t("dashboards.chart.round", lang)),
                 alt.Tooltip("level_text:N", title=t("dashboards.chart.level", lang)),
                 alt.Tooltip("share:Q", title=t("dashboards.chart.share", lang), format=".0%"),
                 alt.Tooltip("count:Q", title=t("dashboards.chart.answers", lang))])
    text = alt.Chart(levels[levels["share"] >= 0.08]).mark_text(fontSize=10).encode(
        x=x, y=alt.Y("middle_share:Q"), text=alt.Text("share:Q", format=".0%"),
        color=alt.condition("datum.level <= 2", alt.value(PAPER), alt.value(INK)))
    return finish(alt.layer(bars, text), t("dashboards.chart.levels_title", lang),
                  t("dashboards.chart.levels_subtitle", lang), height=380)
