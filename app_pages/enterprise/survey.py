"""The enterprise's survey for the open round: choose agencies, rate each, revise."""
from __future__ import annotations

import streamlit as st

import labels
from app_pages import ui
from surveys.results import privacy
from surveys.collection import questionnaire
from surveys.participants import registry
from surveys.collection import responses
from surveys.collection import rounds
from surveys.core.errors import QipingError

db = ui.db()
me = ui.actor()
lang = ui.lang()

current = rounds.open_round(db)
if current is None:
    st.title(ui.tr("survey.title"))
    st.info(ui.tr("survey.no_open_round"))
    st.stop()

round_name = current["name"]
form = questionnaire.get_questionnaire(db, current["questionnaire_version"])
agencies = {a["code"]: a for a in registry.list_agencies(db)}


def agency_label(code: str) -> str:
    return labels.agency_name(agencies[code], lang) if code in agencies else code


st.title(ui.tr("survey.round_title", round=labels.round_label(round_name, lang)))
st.caption(ui.tr("survey.closes", closes_on=ui.format_date(current["closes_on"])))
with st.container(border=True):
    st.write(ui.tr("survey.what_to_do", items=len(form.items)))
    st.write(ui.tr("survey.what_happens"))
    st.write(":material/lock: " + ui.tr("survey.privacy", minimum=privacy.MIN_COUNTED))

state = responses.my_round(db, me, round_name)
chosen, saved = state["chosen"], state["saved"]


def save_choice() -> None:
    try:
        # callbacks run in the next script run's thread: open a connection there
        responses.choose_agencies(ui.db(), me, round_name, st.session_state["chosen_agencies"])
    except QipingError as error:
        st.session_state["choice_error"] = error
        st.session_state["choice_unsaved"] = True
    else:
        st.session_state.pop("choice_unsaved", None)


st.subheader(ui.tr("survey.step_choose"))
st.multiselect(
    ui.tr("survey.choose_label"), options=list(agencies), default=[c for c in chosen if c in agencies],
    format_func=agency_label, key="chosen_agencies", on_change=save_choice,
    placeholder=ui.tr("survey.choose_placeholder"), help=ui.tr("survey.choose_help"),
)
if "choice_error" in st.session_state:
    ui.show_error(st.session_state.pop("choice_error"))
    state = responses.my_round(db, me, round_name)
if st.session_state.get("choice_unsaved"):
    # The selection above was not stored (the system was busy, say): choosing the
    # same agencies again would not count as a change, so offer to store it as it is.
    st.button(ui.tr("survey.save_choice_again"), on_click=save_choice, key="retry_choice",
              icon=":material/refresh:")
chosen = responses.my_round(db, me, round_name)["chosen"]

if not chosen:
    st.info(ui.tr("survey.nothing_chosen"))
    st.stop()

rated = [c for c in chosen if c in saved]
st.progress(len(rated) / len(chosen), text=ui.tr("survey.progress", rated=len(rated), chosen=len(chosen)))

st.subheader(ui.tr("survey.step_rate"))
unrated = [c for c in chosen if c not in saved]
if "goto_agency" in st.session_state:
    st.session_state["rating_agency"] = st.session_state.pop("goto_agency")
if st.session_state.get("rating_agency") not in chosen:
    st.session_state["rating_agency"] = unrated[0] if unrated else chosen[0]
# The saved / to-do mark sits beside the picker, not in its labels: a select box
# does not redraw its shown label when only the label text changes.
agency = st.selectbox(ui.tr("survey.pick_agency"), options=chosen, format_func=agency_label, key="rating_agency")
st.caption(ui.tr("survey.mark_saved") if agency in saved else ui.tr("survey.mark_todo"))
if unrated:
    st.caption(ui.tr_md("survey.still_to_do", agencies=ui.tr("list_separator").join(agency_label(c) for c in unrated)))
earlier = saved.get(agency)
level_names = {level: ui.tr(f"levels.{level}") for level in questionnaire.LEVELS}

if "flash" in st.session_state:
    st.success(st.session_state.pop("flash"), icon=":material/check_circle:")
if earlier:
    st.caption(ui.tr("survey.last_saved", when=ui.format_datetime(earlier["updated_at"]),
                     revision=earlier["revision"]))

with st.form(f"rate_{agency}"):
    st.markdown(f"**{ui.tr('survey.rating_for')}**")
    st.text(agency_label(agency))
    answers = {}
    for item in form.items:
        previous = earlier["ratings"].get(item.code) if earlier else None
        answers[item.code] = st.radio(
            ui.md(item.text(lang)), options=list(questionnaire.LEVELS), format_func=level_names.get,
            index=questionnaire.LEVELS.index(previous) if previous else None,
            horizontal=True, key=f"r_{agency}_{item.code}",
        )
    comment = st.text_area(ui.tr("survey.comment"), value=earlier["comment"] if earlier else "",
                           max_chars=responses.MAX_COMMENT, help=ui.tr("survey.comment_help"),
                           key=f"c_{agency}")
    # A stable key: the label changes once another session of the same enterprise
    # has saved, and a click must still count.
    submitted = st.form_submit_button(ui.tr("survey.save") if not earlier else ui.tr("survey.save_revision"),
                                      type="primary", key=f"save_{agency}")

if submitted:
    missing = [item.text(lang) for item in form.items if answers[item.code] is None]
    if missing:
        st.error(ui.tr_md("survey.answer_every_item", items=ui.tr("list_separator").join(missing)))
    else:
        try:
            revision = responses.save_response(db, me, round_name, agency, answers, comment)
        except QipingError as error:
            ui.show_error(error)
        else:
            key = "survey.saved" if revision == 1 else "survey.revised"
            st.session_state["flash"] = ui.tr_md(key, agency=agency_label(agency))
            following = [c for c in unrated if c != agency]
            if following:
                st.session_state["goto_agency"] = following[0]
            st.rerun()


# --- Reporting a concrete problem with this rating (登记销号; casework, issue 5) --------------
# Only for an agency the enterprise has already rated; the ticket and its answer
# are followed on the page "问题反映" (app_pages/enterprise/enterprise_problems.py).
from surveys.casework import problems  # noqa: E402

if earlier:
    with st.expander(ui.tr_md("casework.survey_problem.heading", agency=agency_label(agency)),
                     icon=":material/report:"):
        st.caption(ui.tr("casework.survey_problem.explained", days=problems.due_working_days(db)))
        with st.form(f"problem_{agency}", clear_on_submit=True):
            problem_text = st.text_area(ui.tr("casework.problems.text"), max_chars=problems.MAX_TEXT,
                                        help=ui.tr("casework.problems.text_help"), key=f"p_{agency}")
            may_contact = st.checkbox(ui.tr("casework.problems.may_contact"),
                                      help=ui.tr("casework.problems.may_contact_help"), key=f"pc_{agency}")
            if st.form_submit_button(ui.tr("casework.problems.raise_button")):
                try:
                    problems.raise_problem(db, me, agency, problem_text, may_contact)
                except QipingError as error:
                    ui.show_error(error)
                else:
                    st.success(ui.tr_md("casework.problems.raised_done", agency=agency_label(agency)),
                               icon=":material/check_circle:")
