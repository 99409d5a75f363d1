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
    entries = [p for p in past if p["round"] == round_name]
    # One card per agency, one line per item: readable on a 390 px phone, where a table of
    # seven columns showed two. Names and comments are drawn as text.
    with st.expander(f"{labels.round_label(round_name, lang)} · {ui.tr('history.phone.round_count', count=len(entries))}",
                     expanded=round_name == max(p["round"] for p in past)):
        for entry in entries:
            with st.container(border=True):
                st.markdown(f"**{ui.md(labels.agency_name(agencies[entry['agency']], lang))}**")
                lines = []
                for item in form.items:
                    rating = entry["ratings"].get(item.code)
                    lines.append(f"{ui.item_short_name(item.text(lang))}: {ui.tr(f'levels.{rating}') if rating else '—'}")
                st.text("\n".join(lines))
                st.caption(ui.tr("history.comment"))
                st.text(entry["comment"] or ui.tr("history.phone.no_comment"))
