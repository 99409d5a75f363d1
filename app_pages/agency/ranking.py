"""The county ranking of a published round, for agency staff; their own
agency is outlined in the chart and marked in the table."""
from __future__ import annotations

import pandas as pd
import streamlit as st

import charts
import labels
from app_pages import dashboard_support as support
from app_pages import next_step
from app_pages import ui
from surveys.results import dashboards
from surveys.participants import registry
from surveys.core.errors import QipingError

db = ui.db()
me = ui.actor()
lang = ui.lang()
st.title(ui.tr("dashboards.ranking.title"))
st.caption(ui.tr("dashboards.ranking.caption"))
next_step.show()

try:
    published = support.data(db, dashboards.ranking_rounds)
except QipingError as error:
    ui.show_error(error)
    st.stop()
if not published:
    st.info(ui.tr("dashboards.ranking.none_published"))
    st.stop()

round_name = st.selectbox(ui.tr("dashboards.overview.round"), published, format_func=support.round_formatter(),
                          key="ranking_round")
try:
    ranking = support.data(db, dashboards.published_ranking, round_name)
except QipingError as error:
    ui.show_error(error)
    st.stop()

own = me.agency_code
specs = support.specs(db, "ranking", (round_name, own),
                      lambda: {"ranking": charts.ranking_bars(ranking, lang, highlight=own)})
mine = ranking[ranking["agency"] == own]
if len(mine) and pd.notna(mine.iloc[0]["rank"]):
    row = mine.iloc[0]
    # the box follows the news: a yellow flag or a poor grade is a warning, never a green success
    box = {"good": st.success, "bad": st.warning, "neutral": st.info}[labels.news_tone(row["grade"], row["flag"])]
    box(ui.tr("dashboards.ranking.own_line", rank=int(row["rank"]),
              total=int(ranking["rank"].notna().sum()), grade=ui.tr(f"grades.{row['grade']}"),
              flag=labels.flag_text(row["flag"], lang)))
elif len(mine):
    st.info(ui.tr("dashboards.ranking.own_insufficient"))
support.show_chart(specs["ranking"], f"ranking_{round_name}", key="chart_public_ranking")

marker = ui.tr("dashboards.ranking.own_marker")
st.dataframe({
    ui.tr("dashboards.ranking.own_column"): [marker if code == own else "" for code in ranking["agency"]],
    ui.tr("results.rank"): [labels.rank_text(r, lang) for r in ranking["rank"]],
    ui.tr("results.agency"): [labels.agency_name(a, lang) for a in ranking.to_dict("records")],
    ui.tr("results.score"): list(ranking["score"]),
    ui.tr("results.grade"): [ui.tr(f"grades.{g}") for g in ranking["grade"]],
    ui.tr("results.flag"): [labels.flag_text(f, lang) for f in ranking["flag"]],
}, hide_index=True, width="stretch", height=35 * (len(ranking) + 1) + 3,
    column_config={ui.tr("results.score"): st.column_config.NumberColumn(format="%.1f")})
st.caption(ui.tr("dashboards.ranking.flags_explained"))
