"""One agency's results: the latest round at a glance, the score over all
rounds, where points are lost, how enterprises answered, and comments.

Agency staff see their own agency only (the service refuses any other, whatever
the page asks); the administrator and the discipline office pick any agency.
"""
from __future__ import annotations

import pandas as pd
import streamlit as st

import charts
import labels
import scoring
from app_pages import dashboard_support as support
from app_pages import next_step
from app_pages import rates_view
from app_pages import panel_support
from app_pages import ui
from surveys.reports import rates as rate_service
from scoring.rounding import round_half_up
from surveys.results import dashboards
from surveys.results import privacy
from surveys.participants import registry
from surveys.results import panel_results
from surveys.core.errors import QipingError
from surveys.core.permissions import allowed

PICK_KEY = "dashboard_agency"  # the county overview sets it to open an agency's page

db = ui.db()
me = ui.actor()
lang = ui.lang()
st.title(ui.tr("dashboards.agency.title"))
st.caption(ui.tr("dashboards.agency.caption"))
next_step.show()


def chosen_agency() -> str:
    """An account of one agency: always its own. With agencies.all: the agency picked here or on the overview."""
    if not allowed(me, "agencies.all"):
        return me.agency_code
    choices = support.data(db, dashboards.agency_choices)
    codes = [a["code"] for a in choices]
    names = {a["code"]: labels.agency_name(a, lang) for a in choices}  # bound now: see round_formatter
    if st.session_state.get(PICK_KEY) not in codes:
        st.session_state.pop(PICK_KEY, None)
    return st.selectbox(ui.tr("dashboards.agency.pick"), codes, key=PICK_KEY,
                        format_func=lambda code: f"{names[code]} ({code})")


def metric_row(board, latest: dict) -> None:
    grade, score, change, rank = latest["grade"], latest["score"], latest["change"], latest["rank"]
    graded = grade != scoring.INSUFFICIENT
    ranked = pd.notna(rank)
    cols = st.columns([1, 1.5, 1.2, 1, 1])
    action = latest["action"]
    cols[0].metric(ui.tr("results.grade"), ui.tr(f"grades.{grade}"), border=True, height="stretch",
                   delta=ui.tr(f"dashboards.action_short.{action}") if action != scoring.NONE else None,
                   delta_color="off", delta_arrow="off",
                   help=ui.tr("dashboards.agency.action_help", action=ui.tr(f"actions.{action}")))
    cols[1].metric(
        ui.tr("results.score"), labels.score_text(score) if graded else "—", border=True, height="stretch",
        delta=f"{round_half_up(change):+.1f}" if change is not None else None,
        delta_description=ui.tr("dashboards.agency.change", round=support.round_name(latest["previous_round"]))
        if change is not None else None,
        help=ui.tr("dashboards.agency.interval_help",
                   interval=labels.interval_text(latest["ci_low"], latest["ci_high"]) or "—"))
    cols[2].metric(ui.tr("results.n"), int(latest["n"]), border=True, height="stretch", delta_color="off", delta_arrow="off",
                   delta=ui.tr("dashboards.agency.rate", rate=f"{latest['response_rate']:.0%}"),
                   help=ui.tr("dashboards.agency.rate_help", active=board.active_enterprises))
    scope = board.rounds.set_index("name")["ranking_scope"].get(latest["round"], "county")
    rank_key = "groups.agency.rank_value_in_group" if scope == "group" else "dashboards.agency.rank_value"
    cols[3].metric(ui.tr("groups.agency.rank_in_group") if scope == "group" else ui.tr("results.rank"),
                   ui.tr(rank_key, rank=int(rank), total=board.ranked.get(latest["round"], 0),
                         group=labels.group_name(latest["agency_group"], board.groups, lang)) if ranked
                   else "—" if graded else labels.rank_text(None, lang),
                   border=True, height="stretch", delta_color="off", delta_arrow="off",
                   delta=labels.flag_text(latest["flag"], lang) or
                   (ui.tr("dashboards.agency.rank_unpublished") if graded else None))
    cols[4].metric(ui.tr("dashboards.agency.open_cases"), board.open_cases, border=True, height="stretch",
                   help=ui.tr("dashboards.agency.open_cases_help"))


def in_progress_notes(board) -> None:
    for row in board.rounds[board.rounds["in_progress"]].to_dict("records"):
        st.info(ui.tr("dashboards.agency.in_progress", round=support.round_name(row["name"]),
                      status=ui.tr(f"rounds.status.{row['status']}")), icon=":material/hourglass_top:")
        figures = board.provisional[board.provisional["round"] == row["name"]]
        if len(figures):
            p = figures.iloc[0]
            st.caption(ui.tr("dashboards.agency.provisional", n=int(p["n"]),
                             score=labels.score_text(p["score"], missing="—"),
                             grade=ui.tr(f"grades.{p['grade']}")))


def comments(board) -> None:
    st.subheader(ui.tr("dashboards.agency.comments_heading"))
    st.caption(ui.tr("dashboards.agency.comments_rule", minimum=privacy.MIN_COUNTED))
    if board.comments.empty:
        st.info(ui.tr("dashboards.agency.no_comments"))
        return
    # plain text only: st.dataframe never interprets what an enterprise wrote
    st.dataframe({ui.tr("dashboards.agency.col_round"): [support.round_name(r) for r in board.comments["round"]],
                  ui.tr("dashboards.agency.col_comment"): list(board.comments["comment"])},
                  hide_index=True, width="stretch")


def chart_specs(board) -> dict:
    # as fresh as the board they draw: finalised figures only unless the reader sees a round in progress
    finalised_only = dashboards.reads_finalised_only(dashboards.agency_dashboard, ui.actor())
    return support.specs(db, "agency", (board.agency["code"],), finalised_only=finalised_only, build=lambda: {
        "trend": charts.score_trend(dashboards.trend_frame(board), lang),
        "items": charts.item_heatmap(dashboards.item_frame(board, lang), lang),
        "levels": charts.level_bars(dashboards.level_frame(board), lang),
    })


code = chosen_agency()
try:
    board = support.data(db, dashboards.agency_dashboard, code)
except QipingError as error:
    ui.show_error(error)
    st.stop()

st.subheader(ui.md(labels.agency_name(board.agency, lang)))
st.caption(ui.tr_md("groups.agency.group_line", group=labels.group_name(board.agency["group_code"], board.groups, lang)))
latest = dashboards.latest_summary(board)
if latest is None:
    st.info(ui.tr("dashboards.agency.no_results"))
else:
    st.markdown(f"**{ui.tr('dashboards.agency.latest_heading', round=support.round_name(latest['round']))}**")
    metric_row(board, latest)
    # each panel's score beside the combined one, a thin panel's blanked for agencies (§4.10, §6)
    panel_support.panel_scores_table(support.data(db, panel_results.agency_panel_scores, code, latest["round"]),
                                     latest["score"])
in_progress_notes(board)

specs = chart_specs(board)
stem = f"{board.agency['code']}"
support.show_chart(specs["trend"], f"{stem}_trend", key="chart_trend")
support.show_chart(specs["items"], f"{stem}_items", key="chart_items")
support.show_chart(specs["levels"], f"{stem}_levels", key="chart_levels")
rates_view.heading()
kind = rates_view.period_kind("agency_rates_kind")
own_rates = support.data(db, rate_service.agency_rates, code, kind).sort_values("period", ascending=False)
rates_view.show(own_rates, lambda row: labels.agency_name(board.agency, lang), kind, key="agency_rates_table",
                first_as_headline=True, with_heading=False)  # the latest period first
st.caption(ui.tr("loop.rates.agency_privacy", minimum=privacy.MIN_COUNTED))
comments(board)
