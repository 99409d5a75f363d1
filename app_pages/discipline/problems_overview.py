"""Discipline office: enterprise problems (登记销号) across all agencies — open,
waiting for the agency, overdue — and, with a reason, who raised one."""
from __future__ import annotations

import pandas as pd
import streamlit as st

import labels
from app_pages import next_step
from app_pages import ui
from app_pages.reveal_form import reveal_form
from surveys.casework import problems
from surveys.participants import registry
from surveys.casework import reveal
from surveys.collection import rounds

db = ui.db()
me = ui.actor()
lang = ui.lang()
st.title(ui.tr("casework.problems_overview.title"))
st.caption(ui.tr("casework.problems_overview.caption", days=problems.due_working_days(db)))
next_step.show()

agencies = {a["code"]: labels.agency_name(a, lang) for a in registry.list_agencies(db, active_only=False)}
counts = problems.problem_counts(db, me)
c1, c2, c3 = st.columns(3)
c1.metric(ui.tr("casework.problems_overview.open"), counts["open"])
c2.metric(ui.tr("casework.problems_overview.waiting"), counts["waiting"])
c3.metric(ui.tr("casework.problems_overview.overdue"), counts["overdue"])

left, right = st.columns([3, 1])
chosen = left.multiselect(ui.tr("casework.inbox.filter_agency"), list(agencies), format_func=agencies.get,
                          placeholder=ui.tr("streamlit.choose_options"))
include_solved = right.checkbox(ui.tr("casework.problems_overview.include_solved"))
tickets = [p for p in problems.problems_overview(db, me, include_solved) if not chosen or p["agency"] in chosen]


def contact_text(ticket: dict) -> str:
    contact = ticket["contact"]
    if not contact:
        return ui.tr("casework.problems.anonymous")
    return f"{contact['name']} {contact['person']} {contact['phone']}"


def flag_text(ticket: dict) -> str:
    """Overdue, and escalated by the background check (surveys/casework/escalation.py) as in the inbox."""
    marks = [ui.tr(key) for key, on in (("casework.overdue_mark", ticket["overdue"]),
                                        ("loop.inbox.escalated_mark", ticket.get("escalated"))) if on]
    return " ".join(marks)


def last_answer(ticket: dict) -> str:
    answers = [e["note"] for e in ticket["events"] if e["step"] == problems.ANSWERED]
    return answers[-1] if answers else ""


if not tickets:
    st.info(ui.tr("casework.problems_overview.none"))
else:
    st.dataframe(pd.DataFrame([{
        ui.tr("casework.col.overdue"): flag_text(t),
        ui.tr("casework.col.id"): t["id"],
        ui.tr("casework.col.agency"): agencies.get(t["agency"], t["agency"]),
        ui.tr("casework.col.round"): labels.round_label(t["round"], lang),
        ui.tr("casework.col.status"): ui.tr(f"casework.problems.status.{t['status']}"),
        ui.tr("casework.problems.not_solved_count"): t["times_not_solved"],
        ui.tr("casework.problems.raised"): ui.format_date(t["raised_at"]),
        ui.tr("casework.col.due"): ui.format_date(t["due_on"]),
        ui.tr("casework.problems.text"): t["text"],
        ui.tr("casework.problems.answer"): last_answer(t),
        ui.tr("casework.problems.contact"): contact_text(t),
    } for t in tickets]), hide_index=True)

    with st.expander(ui.tr("casework.problems_overview.reveal_heading")):
        st.caption(ui.tr("casework.reveal.explained"))
        reveal_form("reveal_problem", ui.tr("casework.col.id"), [t["id"] for t in tickets], str,
                    lambda problem_id, reason: reveal.reveal_problem_raiser(db, me, problem_id, reason))
