"""Agency: problems enterprises reported with their ratings (登记销号) — contact the
enterprise and say whether the fix is simple or complex, answer before the deadline; the
enterprise then rates the answer, and 不满意 brings the ticket back here, reopened."""
from __future__ import annotations

import streamlit as st

import labels
from app_pages import next_step
from app_pages import ui
from surveys.casework import deadlines
from surveys.casework import problems
from surveys.collection import rounds
from surveys.core.errors import QipingError

db = ui.db()
me = ui.actor()
lang = ui.lang()
st.title(ui.tr("casework.agency_problems.title"))
st.caption(ui.tr("casework.agency_problems.caption"))
next_step.show()
st.info(ui.tr("casework.agency_problems.privacy"), icon=":material/lock:")

if "flash" in st.session_state:
    st.success(st.session_state.pop("flash"), icon=":material/check_circle:")

tickets = problems.agency_problems(db, me)
if not tickets:
    st.info(ui.tr("casework.agency_problems.none"))
    st.stop()

waiting = [t for t in tickets if t["status"] == problems.OPEN]
st.metric(ui.tr("casework.problems_overview.waiting"), len(waiting))


def answer(problem_id: int, text: str) -> None:
    try:
        problems.answer_problem(db, me, problem_id, text)
    except QipingError as error:
        ui.show_error(error)
    else:
        st.session_state["flash"] = ui.tr("casework.agency_problems.answered", problem=problem_id)
        st.rerun()


def contact(problem_id: int, size: str | None, note: str) -> None:
    try:
        problems.contact_problem(db, me, problem_id, size or "", note)
    except QipingError as error:
        ui.show_error(error)
    else:
        due = problems.get_problem(db, problem_id)["due_on"]
        st.session_state["flash"] = ui.tr("loop.problems.contacted", problem=problem_id, due=ui.format_date(due))
        st.rerun()


def contact_form(ticket: dict) -> None:
    """Contacted, and simple or complex: the size sets the deadline (counted from the report)."""
    with st.form(f"contact_{ticket['id']}"):
        st.markdown(f"**{ui.tr('loop.problems.contact_heading')}**")
        st.caption(ui.tr("loop.problems.contact_help", days=days["problem_contact_working_days"]))
        size = st.radio(ui.tr("loop.problems.contact_heading"), problems.SIZES, index=None,
                        label_visibility="collapsed", key=f"size_{ticket['id']}",
                        format_func=lambda s: ui.tr(f"loop.problems.size_{s}", days=days[f"problem_{s}_working_days"]))
        note = st.text_input(ui.tr("loop.problems.contact_note"), max_chars=problems.MAX_TEXT)
        if st.form_submit_button(ui.tr("loop.problems.contact_button")):
            contact(ticket["id"], size, note)


def overdue_banners(ticket: dict) -> None:
    """Reopened after 不满意, and the background check's reminder or escalation."""
    if ticket["times_not_solved"] and ticket["status"] == problems.OPEN:
        st.warning(ui.tr("loop.problems.reopened", count=ticket["times_not_solved"],
                         due=ui.format_date(ticket["due_on"])), icon=":material/replay:")
    elif ticket["times_not_solved"]:
        st.warning(ui.tr("casework.agency_problems.not_solved", count=ticket["times_not_solved"]))
    if ticket["escalated"]:
        st.error(ui.tr("loop.problems.escalated", on=ui.format_date(ticket["escalated_on"])),
                 icon=":material/priority_high:")
    elif ticket["status"] == problems.OPEN and ticket.get("reminded_on"):
        st.warning(ui.tr("loop.problems.reminded", on=ui.format_date(ticket["reminded_on"])),
                   icon=":material/notifications:")
    elif ticket["overdue"]:
        st.error(ui.tr("casework.agency_problems.overdue"), icon=":material/alarm:")


days = deadlines.all_deadlines(db)


for ticket in tickets:
    with st.container(border=True, key=f"ticket_{ticket['id']}"):  # one ticket, findable by its number
        status = ui.tr(f"casework.problems.status.{ticket['status']}")
        heading = ui.tr("casework.agency_problems.heading", problem=ticket["id"],
                        round=labels.round_label(ticket["round"], lang), status=status)
        st.markdown(f"**{heading}**")
        st.caption(ui.tr("casework.agency_problems.dates", raised=ui.format_date(ticket["raised_at"]),
                         due=ui.format_date(ticket["due_on"])))
        if ticket["status"] == problems.OPEN and ticket["contacted_at"] is None:
            st.caption(ui.tr("loop.problems.contact_due", due=ui.format_date(ticket["contact_due_on"])))
        overdue_banners(ticket)
        st.text(ticket["text"])
        if ticket["contact"]:
            st.caption(ui.tr("casework.agency_problems.contact_allowed"))
            st.text(f"{ticket['contact']['name']}  {ticket['contact']['person']}  {ticket['contact']['phone']}")
        for event in ticket["events"][1:]:
            who = ui.tr(f"roles.{event['actor_role']}")
            late = " " + ui.tr("casework.late_mark") if event["late"] else ""
            st.caption(ui.tr("casework.problems.event", when=ui.format_date(event["at"]), who=who,
                             step=ui.tr(f"casework.problems.step.{event['step']}"), late=late))
            if event["note"]:
                st.text(event["note"])
        if ticket["status"] == problems.OPEN and ticket["contacted_at"] is None:
            contact_form(ticket)
        if ticket["status"] == problems.OPEN:
            with st.form(f"answer_{ticket['id']}"):
                text = st.text_area(ui.tr("casework.agency_problems.answer_label"), max_chars=problems.MAX_TEXT)
                if st.form_submit_button(ui.tr("casework.agency_problems.answer_button"), type="primary"):
                    answer(ticket["id"], text)
