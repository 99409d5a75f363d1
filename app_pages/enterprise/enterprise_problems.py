"""Enterprise: report a concrete problem to an agency it rated this quarter, follow
the agency's answer, and rate it (satisfied / basically / dissatisfied, with a comment): dissatisfied sends it
back to the agency with a new deadline (登记销号, issue 15)."""
from __future__ import annotations

import streamlit as st

import labels
from app_pages import ui
from surveys.casework import problems
from surveys.participants import registry
from surveys.collection import responses
from surveys.collection import rounds
from surveys.core.errors import QipingError

db = ui.db()
me = ui.actor()
lang = ui.lang()
st.title(ui.tr("casework.enterprise_problems.title"))
st.caption(ui.tr("casework.enterprise_problems.caption", days=problems.due_working_days(db)))

if "flash" in st.session_state:
    st.success(st.session_state.pop("flash"), icon=":material/check_circle:")

agencies = {a["code"]: labels.agency_name(a, lang) for a in registry.list_agencies(db, active_only=False)}


st.subheader(ui.tr("casework.enterprise_problems.new"))


def raise_it() -> None:
    """The form's callback: the problem is registered before the page is drawn again, so the
    confirmation takes the form's place (where the reader is) and the form is not there to
    be sent twice."""
    if not ui.session_still_valid():
        return  # callbacks run before the script: an idle session registers nothing
    values = st.session_state
    try:
        problem = problems.raise_problem(ui.db(), me, values["problem_agency"], values.get("problem_text", ""),
                                         values.get("problem_may_contact", False))
    except QipingError as error:
        st.session_state["problem_error"] = error
    else:
        st.session_state["problem_raised"] = {"problem": problem, "agency": values["problem_agency"]}
        st.session_state["problem_text"] = ""
        st.session_state["problem_may_contact"] = False


def another() -> None:
    st.session_state.pop("problem_raised", None)


def rate_it(problem_id: int) -> None:
    """The rating form's callback: runs before the page is drawn again, so the ticket is shown
    with its new state (closed, or back with the agency) and the form cannot be sent twice."""
    if not ui.session_still_valid():
        return  # callbacks run before the script: an idle session rates nothing
    values = st.session_state
    try:
        problems.rate_problem(ui.db(), me, problem_id, values.get(f"rating_{problem_id}") or "",
                              values.get(f"rating_comment_{problem_id}", ""))
    except QipingError as error:
        st.session_state["rating_error"] = (problem_id, error)
    else:
        ticket = problems.get_problem(ui.db(), problem_id)
        st.session_state["flash"] = (ui.tr("loop.problems.rated_closed") if ticket["status"] == problems.SOLVED
                                     else ui.tr("loop.problems.rated_reopened", due=ui.format_date(ticket["due_on"])))


def rating_form(ticket: dict) -> None:
    """满意 / 基本满意 / 不满意 and a comment, phone-first: one column, big choices, a full-width button."""
    due = problems.rating_due_on(db, ticket)
    with st.form(f"rate_{ticket['id']}"):
        st.markdown(f"**{ui.tr('loop.problems.rate_heading')}**")
        st.caption(ui.tr("loop.problems.rate_help", due=ui.format_date(due)))
        st.radio(ui.tr("loop.problems.rating"), problems.RATINGS, index=None,
                 format_func=lambda r: ui.tr(f"loop.rating.{r}"), key=f"rating_{ticket['id']}")
        st.text_input(ui.tr("loop.problems.comment"), max_chars=problems.MAX_TEXT,
                      key=f"rating_comment_{ticket['id']}")
        st.form_submit_button(ui.tr("loop.problems.rate_button"), type="primary", on_click=rate_it,
                              args=(ticket["id"],), use_container_width=True)
    failed = st.session_state.get("rating_error")
    if failed and failed[0] == ticket["id"]:
        ui.show_error(st.session_state.pop("rating_error")[1])


current = rounds.open_round(db)
rated = sorted(responses.my_round(db, me, current["name"])["saved"]) if current else []
raised = st.session_state.get("problem_raised")
if raised:
    with st.container(border=True, key="problem_raised_box"):
        st.success(ui.tr_md("casework.enterprise_problems.phone.raised_title", problem=raised["problem"],
                            agency=agencies.get(raised["agency"], raised["agency"])),
                   icon=":material/check_circle:")
        st.write(ui.tr("casework.enterprise_problems.phone.raised_next", days=problems.due_working_days(db)))
        st.button(ui.tr("casework.enterprise_problems.phone.another"), on_click=another,
                  icon=":material/add:", key="problem_another")
elif not rated:
    st.info(ui.tr("casework.enterprise_problems.rate_first"))
else:
    if st.session_state.get("problem_agency") not in rated:
        st.session_state["problem_agency"] = rated[0]  # or the agency the survey's button named
    with st.form("raise_problem"):
        st.selectbox(ui.tr("casework.col.agency"), rated, format_func=lambda c: agencies.get(c, c),
                     key="problem_agency")
        st.text_area(ui.tr("casework.problems.text"), max_chars=problems.MAX_TEXT,
                     help=ui.tr("casework.problems.text_help"), key="problem_text")
        st.checkbox(ui.tr("casework.problems.may_contact"), help=ui.tr("casework.problems.may_contact_help"),
                    key="problem_may_contact")
        st.form_submit_button(ui.tr("casework.problems.raise_button"), type="primary", on_click=raise_it,
                              use_container_width=True)
    if "problem_error" in st.session_state:
        ui.show_error(st.session_state.pop("problem_error"))

st.subheader(ui.tr("casework.enterprise_problems.mine"))
mine = problems.my_problems(db, me)
if not mine:
    st.caption(ui.tr("casework.enterprise_problems.none"))
for ticket in mine:
    with st.container(border=True, key=f"ticket_{ticket['id']}"):  # one ticket, findable by its number
        heading = ui.tr_md("casework.enterprise_problems.heading", problem=ticket["id"],
                        agency=agencies.get(ticket["agency"], ticket["agency"]),
                        status=ui.tr(f"casework.problems.status.{ticket['status']}"))
        st.markdown(f"**{heading}**")
        st.caption(ui.tr("casework.agency_problems.dates", raised=ui.format_date(ticket["raised_at"]),
                         due=ui.format_date(ticket["due_on"])))
        st.text(ticket["text"])
        for event in ticket["events"][1:]:
            late = " " + ui.tr("casework.late_mark") if event["late"] else ""
            st.caption(ui.tr("casework.problems.event", when=ui.format_date(event["at"]),
                             who=ui.tr(f"roles.{event['actor_role']}"),
                             step=ui.tr(f"casework.problems.step.{event['step']}"), late=late))
            if event["note"]:
                st.text(event["note"])
        if ticket["status"] == problems.ANSWERED:
            rating_form(ticket)
