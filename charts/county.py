"""The county's charts: ranking of a round, grades of every agency over the
rounds, how grades moved between two rounds, and response rates. Pure
functions: a DataFrame and a language in, an ``alt.Chart`` out.

Agency frames carry ``name_zh``/``name_en``; the chart picks the reader's.
"""
from __future__ import annotations

import altair as alt
import pandas as pd

from charts.common import (
    INK, NEUTRAL, PAPER, empty_chart, finish, flag_labels, flag_scale, grade_colour, label_expr, quote, round_axis, t, text_on,
    with_round_labels,
)
from labels import agency_name, score_text
from charts.palette import GRADE_ORDER
from scoring.grades import FAIR, GOOD, INSUFFICIENT, POOR

ROW_HEIGHT = 22
PICK = "pick"  # the grade map's click selection: the page opens the clicked agency
# Beyond these, a chart would be too tall to read and its data past Altair's 5,000-row limit
# (2,200 agencies x 3 rounds): the grade map sums up by group, the ranking draws its two ends.
MAX_HEATMAP_AGENCIES = 80
MAX_BARS = 80
TOP_BARS = BOTTOM_BARS = 30
MAX_SLOPE_AGENCIES = 150


def with_agency_labels(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    frame = frame.copy()
    frame["agency_label"] = [agency_name({"name_zh": zh, "name_en": en}, lang)
                             for zh, en in zip(frame["name_zh"], frame["name_en"])]
    return frame


def _cell_text(grade: str, score, n, lang: str) -> str:
    if grade == INSUFFICIENT:
        return t("dashboards.chart.insufficient_cell", lang, n=int(n) if pd.notna(n) else 0)
    return score_text(score)


def grade_heatmap(results: pd.DataFrame, lang: str) -> alt.Chart:
    """Agencies (rows, best of the latest round first) × rounds (columns), each cell
    coloured by its grade and labelled with its score; a round with too few responses
    is a pale cell labelled as such. With ``group_label`` (the agency group, DESIGN §4.9)
    and more than one group, rows come group by group, each name led by its group's.

    ``results``: round, agency, name_zh, name_en, n, score, grade, action; optional rank, group_label.
    """
    if results.empty:
        return empty_chart(t("dashboards.chart.no_data", lang))
    if results["agency"].nunique() > MAX_HEATMAP_AGENCIES:
        return group_grade_heatmap(results, lang)
    frame = with_round_labels(with_agency_labels(results, lang), lang)
    grouped = "group_label" in frame and frame["group_label"].nunique() > 1
    if grouped:
        frame["agency_label"] = [t("groups.chart.row_label", lang, group=g, agency=a)
                                 for g, a in zip(frame["group_label"], frame["agency_label"])]
    frame["cell"] = [_cell_text(g, s, n, lang) for g, s, n in zip(frame["grade"], frame["score"], frame["n"])]
    frame["grade_text"] = [t(f"grades.{g}", lang) for g in frame["grade"]]
    frame["action_text"] = [t(f"actions.{a}", lang) for a in frame["action"]]
    order = _grouped_order(frame) if grouped else _latest_order(frame)
    base = alt.Chart(frame).encode(
        x=round_axis(frame, lang, title=False),
        y=alt.Y("agency_label:N", sort=order, title=None, axis=alt.Axis(labelLimit=320)))
    cells = base.mark_rect(stroke=PAPER, strokeWidth=1.5, cursor="pointer").add_params(
        alt.selection_point(name=PICK, fields=["agency"], on="click", clear="dblclick", empty=False)).encode(
        color=grade_colour(lang),
        tooltip=[alt.Tooltip("agency_label:N", title=t("results.agency", lang)),
                 alt.Tooltip("round_label:N", title=t("dashboards.chart.round", lang)),
                 alt.Tooltip("score:Q", title=t("results.score", lang), format=".1f"),
                 alt.Tooltip("n:Q", title=t("results.n", lang)),
                 *([alt.Tooltip("group_label:N", title=t("groups.group", lang))] if "group_label" in frame else []),
                 alt.Tooltip("grade_text:N", title=t("results.grade", lang)),
                 alt.Tooltip("action_text:N", title=t("results.action", lang))])
    text = base.mark_text(fontSize=10).encode(text="cell:N", color=text_on("grade", [POOR]))
    rows = frame["agency"].nunique()
    return finish(alt.layer(cells, text), t("dashboards.chart.heatmap_title", lang),
                  t("dashboards.chart.heatmap_subtitle", lang), height=ROW_HEIGHT * rows)


def group_grade_counts(results: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Per group (``group_label``, else the whole county) and round: agencies per grade and the
    most common grade (ties: the worse grade, so a problem is not hidden)."""
    frame = results.assign(group_label=results["group_label"] if "group_label" in results
                           else t("scale.chart.all_agencies", lang))
    key = "group_order" if "group_order" in frame else "group_label"
    counts = pd.crosstab([frame[key], frame["group_label"], frame["round"]], frame["grade"])
    counts = counts.reindex(columns=list(GRADE_ORDER), fill_value=0).reset_index()
    graded = counts[[GOOD, FAIR, POOR]]
    counts["grade"] = [INSUFFICIENT if row.sum() == 0 else row[::-1].idxmax() for _, row in graded.iterrows()]
    return counts.sort_values([key, "round"]).reset_index(drop=True)


def group_grade_heatmap(results: pd.DataFrame, lang: str) -> alt.Chart:
    """Groups (rows) x rounds (columns): the grade map of a county with too many agencies to draw
    one row each. A cell is coloured by the group's most common grade and says how many of its
    agencies got each grade. ``results``: as ``grade_heatmap``."""
    counts = with_round_labels(group_grade_counts(results, lang), lang)
    counts["cell"] = [t("scale.chart.groups_cell", lang, **{g: int(row[g]) for g in GRADE_ORDER})
                      for _, row in counts.iterrows()]
    counts["grade_text"] = [t(f"grades.{g}", lang) for g in counts["grade"]]
    order = list(dict.fromkeys(counts["group_label"]))
    base = alt.Chart(counts[["round", "round_label", "round_axis", "group_label", "grade", "grade_text", "cell",
                             *GRADE_ORDER]]).encode(
        x=round_axis(counts, lang, title=False),
        y=alt.Y("group_label:N", sort=order, title=None, axis=alt.Axis(labelLimit=320)))
    # the same selection name as the agencies' map: the page listens for clicks on either
    # (a group's cell carries no agency, so it opens none)
    cells = base.mark_rect(stroke=PAPER, strokeWidth=1.5).add_params(
        alt.selection_point(name=PICK, fields=["group_label"], on="click", clear="dblclick", empty=False)).encode(
        color=grade_colour(lang),
        tooltip=[alt.Tooltip("group_label:N", title=t("groups.group", lang)),
                 alt.Tooltip("round_label:N", title=t("dashboards.chart.round", lang)),
                 *[alt.Tooltip(f"{g}:Q", title=t(f"grades.{g}", lang)) for g in GRADE_ORDER]])
    text = base.mark_text(fontSize=10).encode(text="cell:N", color=text_on("grade", [POOR]))
    return finish(alt.layer(cells, text), t("scale.chart.heatmap_groups_title", lang),
                  t("scale.chart.heatmap_groups_subtitle", lang, agencies=results["agency"].nunique()),
                  height=max(3, len(order)) * 2 * ROW_HEIGHT)


def ends_of_ranking(frame: pd.DataFrame, highlight: str | None = None) -> pd.DataFrame:
    """The best TOP_BARS and worst BOTTOM_BARS rows of a ranking sorted best first, and the
    ``highlight`` agency wherever it stands; the whole frame when it is short enough to draw."""
    if len(frame) <= MAX_BARS:
        return frame
    keep = pd.Series(False, index=frame.index)
    keep.iloc[:TOP_BARS] = True
    keep.iloc[-BOTTOM_BARS:] = True
    keep |= frame["agency"] == highlight
    return frame[keep]


def _latest_order(frame: pd.DataFrame) -> list[str]:
    """Agencies by their latest round's score, best first; those without one last, by name."""
    latest = frame[frame["round"] == frame["round"].max()].set_index("agency_label")["score"]
    labels = sorted(frame["agency_label"].unique())
    return sorted(labels, key=lambda label: (pd.isna(latest.get(label)), -(latest.get(label) or 0), label))


def _grouped_order(frame: pd.DataFrame) -> list[str]:
    """Rows group by group (in the order the frame's groups first appear when sorted by
    ``group_order`` if given, else by name), within each group by the latest score."""
    key = "group_order" if "group_order" in frame else "group_label"
    groups = list(frame.sort_values(key).drop_duplicates("group_label")["group_label"])
    return [label for group in groups for label in _latest_order(frame[frame["group_label"] == group])]


def ranking_bars(ranking: pd.DataFrame, lang: str, highlight: str | None = None, group: str | None = None) -> alt.Chart:
    """One round's graded agencies, best first: bar = score in the grade's colour, the
    95% interval as a line, rank and flag written at the bar's end. ``highlight`` (an
    agency code) is outlined and its name set in bold — the reader's own agency.
    ``group`` (a group's name, DESIGN §4.9) titles the chart as that group's ranking,
    for a round ranked within groups.

    ``ranking``: agency, name_zh, name_en, rank, score, ci_low, ci_high, grade, flag.
    """
    graded = ranking[ranking["grade"] != INSUFFICIENT]
    if graded.empty:
        return empty_chart(t("groups.chart.no_data_group", lang, group=group) if group
                           else t("dashboards.chart.no_data", lang))
    frame = with_agency_labels(graded, lang).sort_values(["rank", "agency_label"])
    drawn = ends_of_ranking(frame, highlight)
    cut = len(drawn) < len(frame)
    frame = drawn.copy()
    flags = flag_labels(lang)
    frame["note"] = [t("dashboards.chart.rank_note", lang, rank=int(r), flag=flags.get(f, "")).strip()
                     for r, f in zip(frame["rank"], frame["flag"])]
    frame["own"] = frame["agency"] == highlight
    frame["grade_text"] = [t(f"grades.{g}", lang) for g in frame["grade"]]
    order = list(frame["agency_label"])
    own_label = frame.loc[frame["own"], "agency_label"]
    bold = f"datum.value == {quote(own_label.iloc[0])}" if len(own_label) else "false"
    y = alt.Y("agency_label:N", sort=order, title=None,
              axis=alt.Axis(labelLimit=260, labelFontWeight=alt.ExprRef(f"{bold} ? 'bold' : 'normal'")))
    x = alt.X("score:Q", title=t("results.score", lang), scale=alt.Scale(domain=[0, 100]))
    base = alt.Chart(frame).encode(y=y)
    bars = base.mark_bar().encode(
        x=x, color=grade_colour(lang),
        stroke=alt.condition("datum.own", alt.value(INK), alt.value(None)),
        strokeWidth=alt.condition("datum.own", alt.value(2.5), alt.value(0)),
        tooltip=[alt.Tooltip("agency_label:N", title=t("results.agency", lang)),
                 alt.Tooltip("rank:Q", title=t("results.rank", lang)),
                 alt.Tooltip("score:Q", title=t("results.score", lang), format=".1f"),
                 alt.Tooltip("grade_text:N", title=t("results.grade", lang))])
    interval = base.mark_rule(color=INK, strokeWidth=1).encode(x="ci_low:Q", x2="ci_high:Q")
    flag = base.mark_text(align="left", dx=3, fontSize=12).encode(
        x=alt.X("ci_high:Q"), text=alt.value("■"),
        color=alt.Color("flag:N", scale=flag_scale(), title=t("results.flag", lang),
                        legend=alt.Legend(labelExpr=label_expr(flags), orient="bottom", symbolType="square")))
    note = base.mark_text(align="left", dx=17, fontSize=10, color=INK).encode(
        x=alt.X("ci_high:Q"), text="note:N")
    layers = alt.layer(bars, interval, flag, note).resolve_scale(color="independent")
    title = t("groups.chart.ranking_title", lang, group=group) if group else t("dashboards.chart.ranking_title", lang)
    subtitle = t("groups.chart.ranking_subtitle", lang) if group else t("dashboards.chart.ranking_subtitle", lang)
    if cut:
        own = t("scale.chart.ranking_own", lang) if frame["own"].any() else ""
        subtitle = [subtitle, t("scale.chart.ranking_shown", lang, graded=len(graded), top=TOP_BARS,
                                bottom=BOTTOM_BARS, own=own)]
    return finish(layers, title, subtitle, height=ROW_HEIGHT * len(frame))


def grade_slope(results: pd.DataFrame, lang: str, from_round: str, to_round: str) -> alt.Chart:
    """Each agency's score in two rounds joined by a line; points coloured by grade.
    Agencies without a score in either round are left out (the transition table counts them).

    ``results``: round, agency, name_zh, name_en, score, grade.
    """
    pair = results[results["round"].isin([from_round, to_round]) & results["score"].notna()
                   & (results["grade"] != INSUFFICIENT)]
    both = pair.groupby("agency")["round"].transform("nunique") == 2
    pair = pair[both]
    if pair.empty:
        return empty_chart(t("dashboards.chart.no_data", lang))
    everyone = pair["agency"].nunique()
    pair = biggest_moves(pair, from_round, to_round)
    frame = with_round_labels(with_agency_labels(pair, lang), lang)
    frame["grade_text"] = [t(f"grades.{g}", lang) for g in frame["grade"]]
    x = round_axis(frame, lang, title=False)
    x.scale = alt.Scale(paddingOuter=0.6)  # room for the names on the right
    y = alt.Y("score:Q", title=t("results.score", lang), scale=alt.Scale(zero=False))
    base = alt.Chart(frame).encode(x=x, y=y, detail="agency:N")
    lines = base.mark_line(color=NEUTRAL, strokeWidth=1, opacity=0.7)
    points = base.mark_point(filled=True, size=90, stroke=INK, strokeWidth=0.8, opacity=1).encode(
        color=grade_colour(lang),
        tooltip=[alt.Tooltip("agency_label:N", title=t("results.agency", lang)),
                 alt.Tooltip("round_label:N", title=t("dashboards.chart.round", lang)),
                 alt.Tooltip("score:Q", title=t("results.score", lang), format=".1f"),
                 alt.Tooltip("grade_text:N", title=t("results.grade", lang))])
    # name the agencies whose grade changed, next to their later point
    moved = frame.pivot_table(index="agency", columns="round", values="grade", aggfunc="first")
    changed = set(moved.index[moved[from_round] != moved[to_round]])
    names = alt.Chart(frame[(frame["round"] == to_round) & frame["agency"].isin(changed)]).mark_text(
        align="left", dx=9, fontSize=10, color=INK).encode(x=x, y=y, text="agency_label:N")
    subtitle = t("dashboards.chart.slope_subtitle", lang)
    if frame["agency"].nunique() < everyone:
        subtitle = [subtitle, t("scale.chart.slope_shown", lang, shown=MAX_SLOPE_AGENCIES, agencies=everyone)]
    return finish(alt.layer(lines, points, names), t("dashboards.chart.slope_title", lang), subtitle, height=360)


def biggest_moves(pair: pd.DataFrame, from_round: str, to_round: str) -> pd.DataFrame:
    """Both rounds' rows of at most MAX_SLOPE_AGENCIES agencies: those whose score moved most."""
    if pair["agency"].nunique() <= MAX_SLOPE_AGENCIES:
        return pair
    scores = pair.pivot_table(index="agency", columns="round", values="score", aggfunc="first")
    moved = (scores[to_round] - scores[from_round]).abs().sort_values(ascending=False, kind="stable")
    return pair[pair["agency"].isin(moved.index[:MAX_SLOPE_AGENCIES])]


def response_rate_bars(rates: pd.DataFrame, lang: str) -> alt.Chart:
    """Share of the roster's active enterprises that answered, per round; a round in
    progress is drawn lighter and marked.

    ``rates``: round, in_progress, responses, enterprises, active, rate.
    """
    if rates.empty:
        return empty_chart(t("dashboards.chart.no_data", lang))
    frame = with_round_labels(rates, lang)
    base = alt.Chart(frame).encode(x=round_axis(frame, lang, title=False))
    y = alt.Y("rate:Q", title=t("dashboards.chart.response_rate", lang), axis=alt.Axis(format="%"),
              scale=alt.Scale(domain=[0, 1]))
    bars = base.mark_bar(color=NEUTRAL, stroke=INK, strokeWidth=0.5).encode(
        y=y, opacity=alt.condition("datum.in_progress", alt.value(0.35), alt.value(1)),
        tooltip=[alt.Tooltip("round_label:N", title=t("dashboards.chart.round", lang)),
                 alt.Tooltip("rate:Q", title=t("dashboards.chart.response_rate", lang), format=".0%"),
                 alt.Tooltip("enterprises:Q", title=t("dashboards.chart.enterprises_answered", lang)),
                 alt.Tooltip("responses:Q", title=t("dashboards.chart.responses", lang))])
    text = base.mark_text(dy=-8, fontSize=11, color=INK).encode(y=y, text=alt.Text("rate:Q", format=".0%"))
    return finish(alt.layer(bars, text), t("dashboards.chart.rates_title", lang),
                  t("dashboards.chart.rates_subtitle", lang), height=260)
