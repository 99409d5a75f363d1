"""The whole county on one screen (administrator, discipline office): the
ranking of a round, every agency's grades over the rounds, how grades moved
between two rounds, and response rates. Any agency opens its own page in one
click (a row of the ranking table, or a cell of the grade map). Agencies are
shown with their group (DESIGN §4.9); a round that ranks within groups is shown
one group at a time, each with its own chart and table.
"""
from __future__ import annotations

import pandas as pd
import streamlit as st

import charts
import labels
from app_pages import dashboard_support as support
from app_pages import next_step
from app_pages import rates_view
from app_pages import panel_support
from app_pages import ui
from scoring import rates as standard
from surveys.reports import rates as rate_service
from surveys.results import dashboards
from surveys.participants import registry
from surveys.results import panel_results
from surveys.core.errors import QipingError

AGENCY_PAGE = "app_pages/shared/agency_dashboard.py"

db = ui.db()
lang = ui.lang()
st.title(ui.tr("dashboards.overview.title"))
st.caption(ui.tr("dashboards.overview.caption"))
next_step.show()

try:
    overview = support.data(db, dashboards.county_overview)
except QipingError as error:
    ui.show_error(error)
    st.stop()


# each agency's name in the reader's language, made once (a province has 2,200)
agency_names = {code: labels.agency_name({"name_zh": zh, "name_en": en}, lang) for code, zh, en in
                zip(overview.agencies["code"], overview.agencies["name_zh"], overview.agencies["name_en"])}


def open_agency(code: str) -> None:
    st.session_state["dashboard_agency"] = code
    st.switch_page(AGENCY_PAGE)


def group_text(code) -> str:
    return labels.group_name(code, overview.groups, lang)


def table(frame: pd.DataFrame) -> dict:
    """The ranking table in the reader's language."""
    return {
        ui.tr("results.rank"): [labels.rank_text(r, lang) for r in frame["rank"]],
        ui.tr("results.agency"): [labels.agency_name(a, lang) for a in frame.to_dict("records")],
        ui.tr("groups.group"): [group_text(g) for g in frame["agency_group"]],
        ui.tr("results.n"): list(frame["n"]),
        ui.tr("results.score"): list(frame["score"]),
        ui.tr("results.interval"): [labels.interval_text(lo, hi) for lo, hi in zip(frame["ci_low"], frame["ci_high"])],
        ui.tr("results.grade"): [ui.tr(f"grades.{g}") for g in frame["grade"]],
        ui.tr("results.action"): [ui.tr(f"actions.{a}") for a in frame["action"]],
        ui.tr("results.flag"): [labels.flag_text(f, lang) for f in frame["flag"]],
        ui.tr("dashboards.overview.open_cases"): list(frame["open_cases"]),
    }


def ranking_part(part: pd.DataFrame, key: str, chart_spec: dict) -> None:
    """One ranking (the county's, or one group's): its chart, then its table; a row opens the agency."""
    support.show_chart(chart_spec, f"ranking_{round_name}_{key}", key=f"chart_ranking_{key}")
    shown = support.page_of(part, f"ranking_table_{key}")  # a province's group: a page of it at a time
    picked = st.dataframe(table(shown), hide_index=True, width="stretch", on_select="rerun",
                          selection_mode="single-row", key=f"ranking_table_{key}", height=support.table_height(len(shown)),
                          column_config={ui.tr("results.score"): st.column_config.NumberColumn(format="%.1f")})
    if picked is not None and hasattr(picked, "selection") and picked.selection.rows:
        open_agency(shown.iloc[picked.selection.rows[0]]["agency"])


def standard_rates() -> None:
    """The standard rates of one period: the county first, then groups, then each agency, each with its
    change from the previous period (surveys/reports/rates.py; docs/rates.md)."""
    with st.container(key="standard_rates"):
        rates_view.heading()
        kind = rates_view.period_kind("overview_rates_kind")
        frame = support.data(db, rate_service.county_rates, kind)
        periods = sorted(frame["period"].unique(), reverse=True)
        period = st.selectbox(ui.tr("loop.rates.period"), periods, key=f"overview_rates_period_{kind}",
                              format_func=rates_view.period_formatter(kind)) if periods else None
        chosen = frame[frame["period"] == period].copy()
        order = {standard.COUNTY: 0, standard.GROUP: 1, standard.AGENCY: 2}
        chosen = chosen.sort_values(["scope", "unit"], key=lambda c: c.map(order) if c.name == "scope" else c)
        rates_view.show(chosen, rates_view.unit_namer(agency_names, overview.groups), kind, key="overview_rates_table", with_period=False,
                        first_as_headline=True, with_heading=False)  # the county's line first


finalised = list(overview.rounds.loc[~overview.rounds["in_progress"], "name"])[::-1]  # newest first
for row in overview.rounds[overview.rounds["in_progress"]].to_dict("records"):
    st.info(ui.tr("dashboards.overview.in_progress", round=support.round_name(row["name"]),
                  status=ui.tr(f"rounds.status.{row['status']}")), icon=":material/hourglass_top:")
if not finalised:
    st.info(ui.tr("dashboards.overview.no_results"))
    standard_rates()  # tickets and ratings count before any round is finalised
    st.stop()

# groups in the administrator's order; a result is filed under the group pinned with it
present = set(overview.results["agency_group"].dropna()) | set(overview.agencies["group_code"])
groups = [g for g in overview.groups if g in present] + sorted(present - set(overview.groups))
left, right = st.columns([2, 1])
chosen_groups = left.pills(ui.tr("dashboards.overview.groups"), groups, selection_mode="multi",
                           default=groups, format_func={g: group_text(g) for g in groups}.get,
                           key="overview_groups")
round_name = right.selectbox(ui.tr("dashboards.overview.round"), finalised, format_func=support.round_formatter(),
                             key="overview_round")
shown = overview.agencies.drop(columns=["group_code"]).rename(columns={"code": "agency"})
results = overview.results[overview.results["agency_group"].isin(chosen_groups or groups)].merge(shown, on="agency")
results["group_label"] = [group_text(g) for g in results["agency_group"]]
results["group_order"] = [groups.index(g) if g in groups else len(groups) for g in results["agency_group"]]
status = overview.rounds.set_index("name").loc[round_name, "status"]
per_group = overview.rounds.set_index("name").loc[round_name, "ranking_scope"] == "group"

# --- ranking ----------------------------------------------------------------------
st.subheader(ui.tr("dashboards.overview.ranking_heading", round=support.round_name(round_name)))
st.caption(ui.tr("dashboards.overview.ranking_caption", status=ui.tr(f"rounds.status.{status}")))
st.caption(ui.tr(f"groups.overview.scope_{'group' if per_group else 'county'}"))
ranking = dashboards.best_first(results[results["round"] == round_name])
parts = dashboards.by_group(ranking, overview.groups) if per_group else [(None, ranking)]
key_args = (tuple(sorted(chosen_groups or groups)), round_name)


specs = support.specs(db, "overview", key_args, finalised_only=True, build=lambda: {
    **{f"ranking_{group}": charts.ranking_bars(part, lang, group=group_text(group) if group else None)
       for group, part in parts},
    "heatmap": charts.grade_heatmap(results, lang),
})
response_rates = support.data(db, dashboards.county_response_rates)
rates_spec = support.specs(db, "overview_rates", (), lambda: {  # every answer moves these: cached apart
    "rates": charts.response_rate_bars(response_rates, lang)}, finalised_only=False)
st.caption(ui.tr("dashboards.overview.click_row"))
for group, part in parts:
    if group is not None:
        st.markdown(f"**{ui.tr_md('groups.overview.group_heading', group=group_text(group), count=len(part))}**")
    ranking_part(part, str(group), specs[f"ranking_{group}"])
panel_support.county_panel_table(support.data(db, panel_results.county_panel_scores, round_name), agency_names)

# --- grades over the rounds ---------------------------------------------------------
st.subheader(ui.tr("dashboards.overview.heatmap_heading"))
st.caption(ui.tr("dashboards.overview.click_cell"))
event = support.show_chart(specs["heatmap"], "grades_by_round", key="chart_heatmap", on_select="rerun")
cell = (event.get("selection") or {}).get(charts.PICK, []) if hasattr(event, "get") else []
if cell and cell[0].get("agency"):
    open_agency(cell[0]["agency"])

# --- how grades moved -----------------------------------------------------------------
st.subheader(ui.tr("dashboards.overview.moves_heading"))
older = finalised[1] if len(finalised) > 1 else finalised[0]
a, b = st.columns(2)
from_round = a.selectbox(ui.tr("dashboards.overview.from_round"), finalised, index=finalised.index(older),
                         format_func=support.round_formatter(), key="overview_from")
to_round = b.selectbox(ui.tr("dashboards.overview.to_round"), finalised, format_func=support.round_formatter(),
                       key="overview_to")
moves = dashboards.grade_transitions(results, from_round, to_round)
st.caption(ui.tr("dashboards.overview.moves_caption", start=support.round_name(from_round),
                 end=support.round_name(to_round)))
moves.index = [ui.tr(f"grades.{g}") for g in moves.index]
moves.columns = [ui.tr(f"grades.{g}") for g in moves.columns]
moves_col, slope_col = st.columns([2, 3])
with moves_col:
    st.dataframe(moves.rename_axis(ui.tr("dashboards.overview.from_to")), width="stretch")
with slope_col:
    slope = support.specs(db, "slope", (*key_args, from_round, to_round), finalised_only=True,
                          build=lambda: {"slope": charts.grade_slope(results, lang, from_round, to_round)})
    support.show_chart(slope["slope"], f"grades_{from_round}_{to_round}", key="chart_slope")

# --- response rates ----------------------------------------------------------------------
st.subheader(ui.tr("dashboards.overview.rates_heading"))
support.show_chart(rates_spec["rates"], "response_rates", key="chart_rates")
rates = response_rates
st.dataframe({
    ui.tr("dashboards.overview.col_round"): [support.round_name(r) for r in rates["round"]],
    ui.tr("dashboards.overview.col_status"): [ui.tr(f"rounds.status.{s}") for s in rates["status"]],
    ui.tr("dashboards.chart.enterprises_answered"): list(rates["enterprises"]),
    ui.tr("dashboards.chart.responses"): list(rates["responses"]),
    ui.tr("dashboards.chart.response_rate"): [f"{r:.0%}" for r in rates["rate"]],
}, hide_index=True, width="stretch")
st.caption(ui.tr("dashboards.overview.rates_caption", active=overview.active_enterprises))

standard_rates()
