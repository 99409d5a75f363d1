"""The discipline office's "reveal the rater" form, shared by the case, appeal and
problem pages (not a page itself). Each reveal asks for a reason and a
confirmation; the service writes it to the audit log."""
from __future__ import annotations

from typing import Callable

import pandas as pd
import streamlit as st

from app_pages import ui
from surveys.casework import reveal
from surveys.core.errors import QipingError

SHOWN = [("name", "casework.reveal.name"), ("uscc", "casework.reveal.uscc"),
         ("industry", "casework.reveal.industry"), ("contact_person", "casework.reveal.person"),
         ("contact_phone", "casework.reveal.phone")]


COMMENT_IN_OPTION = 60  # characters of a comment shown in the picker's option; the table has it whole


def short_comment(comment) -> str:
    """A comment for a picker's option: plain text on one line, cut to COMMENT_IN_OPTION characters."""
    text = " ".join(str(comment or "").split())
    if not text:
        return ui.tr("officials.reveal_no_comment")
    return text if len(text) <= COMMENT_IN_OPTION else text[:COMMENT_IN_OPTION - 1] + "…"


def reveal_form(key: str, label: str, options: list, format_func: Callable, reveal_choice: Callable,
                listing: list[dict] | None = None) -> None:
    """``reveal_choice(option, reason)`` calls the reveal service and returns the enterprise.
    ``listing``: rows shown (as a plain-text table) above the picker, e.g. each number with its comment."""
    if listing:
        st.caption(ui.tr("officials.reveal_table"))
        st.dataframe(pd.DataFrame(listing), hide_index=True)
    with st.form(key):
        choice = st.selectbox(label, options, format_func=format_func)
        reason = st.text_area(ui.tr("casework.reveal.reason"), max_chars=reveal.MAX_REASON)
        confirmed = st.checkbox(ui.tr("casework.reveal.confirm"))
        if not st.form_submit_button(ui.tr("casework.reveal.button")):
            return
    if not confirmed:
        st.error(ui.tr("casework.confirm_needed"))
        return
    try:
        who = reveal_choice(choice, reason)
    except QipingError as error:
        ui.show_error(error)
        return
    st.warning(ui.tr("casework.reveal.recorded"))
    st.dataframe(pd.DataFrame([{ui.tr(text): who[field] for field, text in SHOWN if field in who}]),
                 hide_index=True)
