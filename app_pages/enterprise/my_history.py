"""The enterprise's own ratings in earlier rounds, read-only."""
from __future__ import annotations

import streamlit as st

import labels
from app_pages import ui
from surveys.collection import questionnaire
from surveys.participants import registry
from surveys.collection import responses
from surveys.collection import rounds

db = ui.db()
lang = ui.lang()
st.title(ui.tr("history.title"))
st.caption(ui.tr("history.caption"))

past = responses.my_past_ratings(db, ui.actor())
if not past:
    st.info(ui.tr("history.none"))
    st.stop()

agencies = {a["code"]: a for a in registry.list_agencies(db, active_only=False)}
round_info = {r["name"]: r for r in rounds.list_rounds(db)}
for round_name in sorted({p["round"] for p in past}, reverse=True):
    form = questionnaire.get_questionnaire(db, round_info[round_name]["questionnaire_version"])
    st.subheader(labels.round_label(round_name, lang))
    rows = []
    for entry in (p for p in past if p["round"] == round_name):
        row = {ui.tr("history.agency"): labels.agency_name(agencies[entry["agency"]], lang)}
        for item in form.items:
            rating = entry["ratings"].get(item.code)
            row[item.text(lang)] = ui.tr(f"levels.{rating}") if rating else ""
        row[ui.tr("history.comment")] = entry["comment"]  # shown by st.dataframe as plain text
        rows.append(row)
    st.dataframe(rows, hide_index=True)
