"""The county ranking of a published round, for agency staff; their own
agency is outlined in the chart and marked in the table. Every agency is shown
with its group (DESIGN §4.9); a round that ranks within groups is shown group by
group, the reader's own rank counted within its group."""
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
groups = dashboards.groups_by_code(db)
per_group = dashboards.round_scope(db, round_name) == "group"
parts = dashboards.by_group(ranking, groups) if per_group else [(None, ranking)]


def group_text(code) -> str:
    return labels.group_name(code, groups, lang)


specs = support.specs(db, "ranking", (round_name, own), finalised_only=True, build=lambda: {
    f"ranking_{group}": charts.ranking_bars(part, lang, highlight=own, group=group_text(group) if group else None)
    for group, part in parts})
mine = ranking[ranking["agency"] == own]
if len(mine) and pd.notna(mine.iloc[0]["rank"]):
    row = mine.iloc[0]
    # ranked with the county, or with its own group when the round ranks within groups
    peers = ranking[ranking["agency_group"] == row["agency_group"]] if per_group else ranking
    # the box follows the news: a yellow flag or a poor grade is a warning, never a green success
    box = {"good": st.success, "bad": st.warning, "neutral": st.info}[labels.news_tone(row["grade"], row["flag"])]
    line = ui.tr("dashboards.ranking.own_line", rank=int(row["rank"]),
                 total=int(peers["rank"].notna().sum()), grade=ui.tr(f"grades.{row['grade']}"),
                 flag=labels.flag_text(row["flag"], lang))
    # the group's name is the administrator's text: escaped; the line is the catalogue's own words
    box(ui.tr("groups.ranking.own_line_in_group", group=ui.md(group_text(row["agency_group"])), line=line)
        if per_group else line)
elif len(mine):
    st.info(ui.tr("dashboards.ranking.own_insufficient"))
st.caption(ui.tr(f"groups.overview.scope_{'group' if per_group else 'county'}"))

marker = ui.tr("dashboards.ranking.own_marker")
for group, part in parts:
    if group is not None:
        st.markdown(f"**{ui.tr_md('groups.overview.group_heading', group=group_text(group), count=len(part))}**")
    support.show_chart(specs[f"ranking_{group}"], f"ranking_{round_name}_{group}", key=f"chart_public_ranking_{group}")
    st.dataframe({
        ui.tr("dashboards.ranking.own_column"): [marker if code == own else "" for code in part["agency"]],
        ui.tr("results.rank"): [labels.rank_text(r, lang) for r in part["rank"]],
        ui.tr("results.agency"): [labels.agency_name(a, lang) for a in part.to_dict("records")],
        ui.tr("groups.group"): [group_text(g) for g in part["agency_group"]],
        ui.tr("results.score"): list(part["score"]),
        ui.tr("results.grade"): [ui.tr(f"grades.{g}") for g in part["grade"]],
        ui.tr("results.flag"): [labels.flag_text(f, lang) for f in part["flag"]],
    }, hide_index=True, width="stretch", height=support.table_height(len(part)), key=f"ranking_table_{group}",
        column_config={ui.tr("results.score"): st.column_config.NumberColumn(format="%.1f")})
st.caption(ui.tr("dashboards.ranking.flags_explained"))
