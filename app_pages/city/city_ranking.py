"""The city office: the counties it covers ranked on their published results, and like agencies
side by side (issue 16 item 2). Reads published results only (surveys/results/city.py)."""
from __future__ import annotations

import streamlit as st

import labels
from app_pages import ui
from surveys.reports import city_bulletin
from surveys.results import city

st.title(ui.tr("city.title"))
here = ui.county()
if here is None or not here.is_city:
    st.info(ui.tr("city.not_a_city"))
    st.stop()
st.caption(ui.tr_md("city.intro", name=here.name))

results = city.city_results(ui.db(), ui.actor(), here)
rounds = sorted(results["round"].unique(), reverse=True)
if not rounds:
    st.info(ui.tr("city.nothing_published"))
    st.stop()
chosen = ui.pick(ui.tr("city.round"), rounds, lambda name: labels.round_label(name, ui.lang()), key="city_round")

st.subheader(ui.tr("city.ranking"))
ranking = city.county_ranking(results, chosen, city.city_rate_counts(ui.db(), ui.actor(), here))
ranking["average_score"] = ranking["average_score"].map(labels.score_text)
for column in city.RATE_COLUMN.values():  # a percentage to one decimal, "—" where none (labels.rate_text)
    ranking[column] = ranking[column].map(labels.rate_text)
st.dataframe(ranking.drop(columns=["county"]).rename(columns=city.ranking_headers(ui.lang())), hide_index=True)
st.caption(ui.tr("city.ranking_rule"))
st.caption(ui.tr("city.rates_rule"))

st.subheader(ui.tr("city.like_agencies"))
like = city.like_agencies(results, chosen)
for column in like.columns[2:]:  # each county's scores, one decimal as everywhere (labels.score_text)
    like[column] = like[column].map(labels.score_text)
st.dataframe(like.rename(columns={"agency": ui.tr("city.agency_code"), "name_zh": ui.tr("city.agency")}),
             hide_index=True)
st.caption(ui.tr("city.like_rule"))

left, right = st.columns(2)
who, lang = ui.actor(), ui.lang()
# the PDF is drawn only when asked for (a second or more), on Streamlit's download thread: it reads the
# county files itself, so it needs no connection of this run
left.download_button(ui.tr("city.download_pdf"),
                     data=lambda: city_bulletin.city_bulletin(None, who, here, chosen, lang),
                     file_name=city_bulletin.bulletin_filename(chosen, lang), icon=":material/picture_as_pdf:",
                     mime="application/pdf", key="city_pdf", on_click="ignore")
right.download_button(ui.tr("city.download_xlsx"),
                      data=city.city_workbook(ui.db(), ui.actor(), here, chosen, ui.lang()),
                      file_name=f"city-{chosen}.xlsx", icon=":material/table_view:", key="city_xlsx",
                      mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
