"""Administrator: how the open round is being answered, and whom to call."""
from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

import labels
from app_pages import next_step
from app_pages import ui
from surveys.collection import monitoring
from surveys.participants import registry
from surveys.collection import rounds
from surveys.core.errors import NotFound

RATED_COLOUR, WAITING_COLOUR = "#3182bd", "#c6dbef"  # counts, not grades: no grade colours here

db = ui.db()
me = ui.actor()
lang = ui.lang()
st.title(ui.tr("admin_ops.monitoring.title"))
st.caption(ui.tr("admin_ops.monitoring.caption"))
next_step.show()
ui.builtin_texts()

try:
    progress = monitoring.round_progress(db, me)
except NotFound as error:
    st.info(error.message(lang, quote=ui.md))
    st.stop()

st.subheader(ui.tr("admin_ops.monitoring.round_heading", round=labels.round_label(progress["round"], lang),
                   closes_on=ui.format_date(progress["closes_on"])))
cols = st.columns(4)
cols[0].metric(ui.tr("admin_ops.monitoring.rate"), f"{progress['rate']:.0%}")
cols[1].metric(ui.tr("admin_ops.monitoring.answered"),
               ui.tr("admin_ops.monitoring.of", part=progress["answered"], whole=progress["active_enterprises"]))
cols[2].metric(ui.tr("admin_ops.monitoring.not_answered"), progress["not_answered"])
cols[3].metric(ui.tr("admin_ops.monitoring.responses"), progress["responses"],
               help=ui.tr("admin_ops.monitoring.paper_share", paper=progress["paper_responses"]))
st.caption(ui.tr("admin_ops.monitoring.rate_explained"))

st.subheader(ui.tr("admin_ops.monitoring.agencies_heading"))
agencies = progress["agencies"]
rated, waiting = ui.tr("admin_ops.monitoring.kind_rated"), ui.tr("admin_ops.monitoring.kind_waiting")
agency_col, kind_col, count_col = (ui.tr("admin_ops.monitoring.col_agency"), ui.tr("admin_ops.monitoring.col_kind"),
                                   ui.tr("admin_ops.monitoring.col_count"))
long = pd.DataFrame([{agency_col: labels.agency_name(a, lang), kind_col: kind, count_col: a[key]}
                     for a in agencies for kind, key in ((rated, "responses"), (waiting, "chosen_unrated"))])
order = [labels.agency_name(a, lang) for a in agencies]  # most responses first
chart = alt.Chart(long).mark_bar().encode(
    y=alt.Y(f"{agency_col}:N", sort=order, title=None, axis=alt.Axis(labelOverlap=False, labelLimit=240)),
    x=alt.X(f"sum({count_col}):Q", title=count_col, axis=alt.Axis(tickMinStep=1, format="d")),
    color=alt.Color(f"{kind_col}:N", scale=alt.Scale(domain=[rated, waiting], range=[RATED_COLOUR, WAITING_COLOUR]),
                    legend=alt.Legend(orient="top", title=None)),
    order=alt.Order(f"{kind_col}:N", sort="ascending"),
    tooltip=[agency_col, kind_col, count_col],
).properties(height=alt.Step(22))
st.altair_chart(chart, width="stretch")
st.caption(ui.tr("admin_ops.monitoring.chart_explained"))
st.dataframe([{agency_col: labels.agency_name(a, lang), rated: a["responses"], waiting: a["chosen_unrated"]}
              for a in agencies], hide_index=True)

st.subheader(ui.tr("admin_ops.monitoring.call_heading", count=progress["not_answered"]))
st.caption(ui.tr("admin_ops.monitoring.call_explained"))
callers = monitoring.non_responders(db, me)
st.dataframe(monitoring.call_list_frame(callers, lang), hide_index=True)
name = f"call_list_{progress['round']}"
left, right = st.columns(2)
left.download_button(ui.tr("admin_ops.monitoring.download_csv"), data=monitoring.call_list_csv(db, me, lang),
                     file_name=f"{name}.csv", mime="text/csv", icon=":material/download:")
right.download_button(ui.tr("admin_ops.monitoring.download_xlsx"), data=monitoring.call_list_xlsx(db, me, lang),
                      file_name=f"{name}.xlsx", icon=":material/download:",
                      mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
