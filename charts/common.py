"""What every chart shares: the colour scales (one colour per grade, everywhere),
translated legend labels, round labels on the axis, fonts, and export.

Scales are keyed on the stored codes (``good``, ``referral``, 5 …) so that the
domain and colours are the same in every language; only the labels shown are
translated (``labelExpr``).
"""
from __future__ import annotations

import altair as alt
import pandas as pd
import vl_convert

import i18n
from charts.palette import FLAG_COLOURS, GRADE_COLOURS, GRADE_ORDER, LEVEL_COLOURS
from labels import round_label, round_parts
from scoring.actions import ACTIONS, INTERVIEW, NONE, REFERRAL, REMINDER
from scoring.config import RATING_LEVELS

LEVEL_ORDER = list(RATING_LEVELS)
FLAG_ORDER = ["red", "yellow", "blue"]
ACTION_ORDER = list(ACTIONS)
# Shapes tell the actions apart in grey-scale print, where colour cannot.
ACTION_SHAPES = {NONE: "circle", REMINDER: "square", INTERVIEW: "triangle-up", REFERRAL: "diamond"}
INK = "#333333"          # lines, outlines and text on light cells
PAPER = "#ffffff"        # text on dark cells
NEUTRAL = "#737373"      # bars that are not grades (response rates)
FONT = "Noto Sans CJK SC, Source Han Sans SC, Microsoft YaHei, PingFang SC, sans-serif"
WIDTH = "container"
# Axis labels may hold line breaks (the catalogue's round_axis, "in progress" below it);
# a one-line label stays a plain string (a one-element array is drawn off-centre).
ROUND_LINES = "indexof(datum.label, '\\n') >= 0 ? split(datum.label, '\\n') : datum.label"


def t(key: str, lang: str, **values) -> str:
    return i18n.t(key, lang, **values)


def quote(text: str) -> str:
    return "'" + str(text).replace("\\", "\\\\").replace("'", "\\'") + "'"


def label_expr(labels: dict, field: str = "datum.value") -> str:
    """A Vega expression turning a code into its label (codes not listed stay as they are)."""
    expression = f"{field}"
    for code, text in reversed(list(labels.items())):
        code_literal = code if isinstance(code, (int, float)) else quote(code)
        expression = f"{field} == {code_literal} ? {quote(text)} : ({expression})"
    return expression


def grade_labels(lang: str) -> dict[str, str]:
    return {g: t(f"grades.{g}", lang) for g in GRADE_ORDER}


def action_labels(lang: str) -> dict[str, str]:
    return {a: t(f"actions.{a}", lang) for a in ACTION_ORDER}


def level_labels(lang: str) -> dict[int, str]:
    return {level: t(f"levels.{level}", lang) for level in LEVEL_ORDER}


def flag_labels(lang: str) -> dict[str, str]:
    return {f: t(f"flags.{f}", lang) for f in FLAG_ORDER}


def grade_scale() -> alt.Scale:
    return alt.Scale(domain=list(GRADE_ORDER), range=[GRADE_COLOURS[g] for g in GRADE_ORDER])


def level_scale() -> alt.Scale:
    return alt.Scale(domain=LEVEL_ORDER, range=[LEVEL_COLOURS[level] for level in LEVEL_ORDER])


def flag_scale() -> alt.Scale:
    return alt.Scale(domain=FLAG_ORDER, range=[FLAG_COLOURS[f] for f in FLAG_ORDER])


def action_scale() -> alt.Scale:
    return alt.Scale(domain=ACTION_ORDER, range=[ACTION_SHAPES[a] for a in ACTION_ORDER])


def grade_colour(lang: str, title: str | None = None, legend: bool = True) -> alt.Color:
    return alt.Color("grade:N", scale=grade_scale(), title=title or t("results.grade", lang),
                     legend=alt.Legend(labelExpr=label_expr(grade_labels(lang)), orient="bottom")
                     if legend else None)


def text_on(fill_field: str, dark_values: list) -> alt.Color:
    """Text colour that stays readable on a filled cell: white on the dark fills."""
    test = " || ".join(f"datum.{fill_field} == {quote(v)}" for v in dark_values) or "false"
    return alt.condition(test, alt.value(PAPER), alt.value(INK))


def with_round_labels(frame: pd.DataFrame, lang: str, column: str = "round") -> pd.DataFrame:
    """Adds ``round_label`` for tooltips (2026年第四季度 · 进行中) and ``round_axis``
    for the axis (the same on two or three lines)."""
    frame = frame.copy()
    in_progress = frame["in_progress"] if "in_progress" in frame else pd.Series(False, index=frame.index)
    busy = in_progress.fillna(False).astype(bool)
    frame["round_label"] = [
        t("dashboards.chart.round_in_progress", lang, round=round_label(name, lang)) if flag
        else round_label(name, lang) for name, flag in zip(frame[column], busy)]
    frame["round_axis"] = [_axis_label(name, flag, lang) for name, flag in zip(frame[column], busy)]
    return frame


def _axis_label(name: str, in_progress: bool, lang: str) -> str:
    year, quarter = round_parts(name)
    text = t("dashboards.chart.round_axis", lang, year=year, quarter=t(f"rounds.quarter.{quarter}", lang))
    return f"{text}\n{t('dashboards.chart.in_progress_word', lang)}" if in_progress else text


def round_axis(frame: pd.DataFrame, lang: str, title: bool = True) -> alt.X:
    """Rounds left to right in time order, labels as people read them."""
    order = list(frame.sort_values("round").drop_duplicates("round")["round_axis"])
    return alt.X("round_axis:N", sort=order, title=t("dashboards.chart.round", lang) if title else None,
                 axis=alt.Axis(labelAngle=0, labelLimit=140, labelOverlap=False, labelExpr=ROUND_LINES))


def finish(chart: alt.TopLevelMixin, title: str, subtitle: str | None = None, height: int = 320):
    """Common look: title, fonts, container width."""
    # fit the width to the page, keep the height for the plot itself (legends and titles come on top)
    chart = chart.properties(title=alt.Title(title, subtitle=subtitle or "", anchor="start"),
                             width=WIDTH, height=height,
                             autosize=alt.AutoSizeParams(type="fit-x", contains="padding"))
    return chart.configure(font=FONT).configure_view(stroke=None).configure_legend(
        labelLimit=260, titleLimit=260, symbolStrokeColor=NEUTRAL, symbolStrokeWidth=0.8)


def empty_chart(message: str) -> alt.Chart:
    """A chart saying there is nothing to show (instead of an empty frame)."""
    return finish(alt.Chart(pd.DataFrame({"text": [message]})).mark_text(size=14, color=NEUTRAL)
                  .encode(text="text:N"), message, height=80)


# --- export -----------------------------------------------------------------------

def static_spec(chart: alt.TopLevelMixin | dict) -> dict:
    """The specification for a file: a container-wide chart has no width outside a page, so it gets one."""
    spec = chart if isinstance(chart, dict) else chart.to_dict()
    return {**spec, "width": 760} if spec.get("width") == WIDTH else spec


def to_png(chart: alt.TopLevelMixin | dict, scale: float = 2.0) -> bytes:
    """PNG of a chart (or of its Vega-Lite specification)."""
    return vl_convert.vegalite_to_png(static_spec(chart), scale=scale)


def to_svg(chart: alt.TopLevelMixin | dict) -> str:
    """SVG of a chart (or of its Vega-Lite specification)."""
    return vl_convert.vegalite_to_svg(static_spec(chart))
