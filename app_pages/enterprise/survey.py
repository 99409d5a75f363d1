"""The enterprise's survey for the open round, phone first: choose agencies, rate each,
see every save confirmed at the top of the screen, and a done state at the end.

The rating step is an ``st.fragment``: answering and saving rerun only the fragment (not the
whole app), and a save is done in the save button's callback, so one run both stores the answer
and draws the next agency (issue 13: server CPU per save)."""
from __future__ import annotations

import streamlit as st

import labels
from app_pages import panel_support
from app_pages import ui
from surveys.collection import questionnaire
from surveys.collection import responses
from surveys.collection import rounds
from surveys.core import clock
from surveys.core.errors import QipingError
from surveys.participants import registry
from surveys.results import privacy

PROBLEMS_PAGE = "app_pages/enterprise/enterprise_problems.py"
HISTORY_PAGE = "app_pages/enterprise/my_history.py"

# The five-level scale in one row of five equal cells, each a tap target of at least 48 px
# (the radio's own circle and text are 16–22 px): the order stays whole at 390 px.
SCALE_CSS = """
.st-key-rating_form [role="radiogroup"] {
  display: grid !important; grid-template-columns: repeat(5, minmax(0, 1fr)); gap: 4px; width: 100%;
  align-items: stretch !important;
}
.st-key-rating_form [role="radiogroup"] > div { margin: 0 !important; min-width: 0; display: flex; }
.st-key-rating_form [data-testid="stRadioOption"] {
  flex: 1; min-width: 0; min-height: 52px; margin: 0 !important; padding: 6px 2px; box-sizing: border-box;
  display: flex; align-items: center; justify-content: center; cursor: pointer;
  border: 1px solid rgba(128, 128, 128, 0.45); border-radius: 8px;
}
.st-key-rating_form [data-testid="stRadioOption"]:has(input:checked) {
  border: 2px solid var(--primary-color, #ff4b4b);
}
.st-key-rating_form [data-testid="stRadioOption"] > div {
  display: flex; flex-direction: column; align-items: center; gap: 3px; text-align: center; min-width: 0;
}
.st-key-rating_form [data-testid="stRadioOption"] [data-testid="stMarkdownContainer"] p {
  font-size: 0.8rem; line-height: 1.15; white-space: normal; overflow-wrap: anywhere; margin: 0;
}
.st-key-survey_done button, .st-key-rating_form button, .st-key-start_rating button { min-height: 44px; }
[data-testid="stButtonGroup"] button { min-height: 44px; }
.st-key-survey_top { scroll-margin-top: 4rem; }  /* below Streamlit's fixed header */
"""

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
level_names = {level: ui.tr(f"levels.{level}") for level in questionnaire.LEVELS}


def agency_label(code: str) -> str:
    return labels.agency_name(agencies[code], lang) if code in agencies else code


ui.style(SCALE_CSS)
st.title(ui.tr("survey.round_title", round=labels.round_label(round_name, lang)))
st.caption(ui.tr("survey.closes", closes_on=ui.format_date(current["closes_on"])))
panel_support.rate_as_line(db, me.id)  # a deputy or supervisor reads which panel it rates as

state = responses.my_round(db, me, round_name)
chosen = state["chosen"]


def explain(expanded: bool) -> None:
    with st.expander(ui.tr("survey.phone.about"), expanded=expanded, icon=":material/info:"):
        st.write(ui.tr("survey.what_to_do", items=len(form.items)))
        st.write(ui.tr("survey.what_happens"))
        st.write(":material/lock: " + ui.tr("survey.privacy", minimum=privacy.MIN_COUNTED))


def save_choice() -> None:
    if not ui.session_still_valid():
        return  # callbacks run before the script: the session's checks must come first here
    try:
        # callbacks run in the next script run's thread: open a connection there
        responses.choose_agencies(ui.db(), me, round_name, st.session_state["chosen_agencies"] or [])
    except QipingError as error:
        st.session_state["choice_error"] = error
        st.session_state["choice_unsaved"] = True
    else:
        st.session_state.pop("choice_unsaved", None)


def agency_picker(in_view: list[str]) -> None:
    """Pills, one tap per agency: no "Select all", no list that stays open over the page."""
    st.pills(ui.tr("survey.phone.choose_label"), options=list(agencies), selection_mode="multi",
             default=[c for c in in_view if c in agencies], format_func=lambda c: ui.md(agency_label(c)),
             key="chosen_agencies", on_change=save_choice, help=ui.tr("survey.choose_help"))
    if "choice_error" in st.session_state:
        ui.show_error(st.session_state.pop("choice_error"))
    if st.session_state.get("choice_unsaved"):
        # The selection above was not stored (the system was busy, say): choosing the
        # same agencies again would not count as a change, so offer to store it as it is.
        st.button(ui.tr("survey.save_choice_again"), on_click=save_choice, key="retry_choice",
                  icon=":material/refresh:")


def start_rating() -> None:
    st.session_state["picking"] = False
    st.session_state["survey_top_scroll"] = True


# Step 1 stays on the screen until the enterprise says it has chosen them all (one tap),
# so that choosing the first agency does not carry the picker away.
if not chosen:
    st.session_state["picking"] = True
picker_shown = bool(st.session_state.get("picking"))
if picker_shown:
    explain(expanded=not chosen)
    st.subheader(ui.tr("survey.step_choose"))
    agency_picker(chosen)
    chosen = responses.my_round(db, me, round_name)["chosen"]
    if not chosen:
        st.info(ui.tr("survey.nothing_chosen"))
        st.stop()
    st.button(ui.tr("survey.phone.start", count=len(chosen)), type="primary", key="start_rating",
              on_click=start_rating, icon=":material/arrow_forward:", use_container_width=True)
    st.stop()


def item_key(agency: str, item_code: str) -> str:
    return f"r_{agency}_{item_code}"


def opened_key(agency: str) -> str:
    return f"{round_name}/{agency}"


def note_form_opened(agency: str) -> None:
    """Remember when this session first showed the agency's form: kept in the session, not
    written on every rerun; it goes to the database with the save (the speed signal)."""
    st.session_state.setdefault("form_opened", {}).setdefault(opened_key(agency), clock.now_iso())


def save_current(agency: str) -> None:
    """The save button's callback: runs before the fragment redraws, so one run stores the
    answer and shows the confirmation with the next agency."""
    if not ui.session_still_valid():
        return  # idle, deactivated or superseded: nothing is stored; the run shows the sign-in page
    answers = {item.code: st.session_state.get(item_key(agency, item.code)) for item in form.items}
    missing = [item.text(lang) for item in form.items if answers[item.code] is None]
    if missing:
        st.session_state["save_problem"] = ui.tr_md("survey.answer_every_item",
                                                    items=ui.tr("list_separator").join(missing))
        return
    conn = ui.db()
    try:
        revision = responses.save_response(conn, me, round_name, agency, answers,
                                           st.session_state.get(f"c_{agency}", ""),
                                           opened_at=st.session_state.get("form_opened", {}).get(opened_key(agency)))
    except QipingError as error:
        st.session_state["save_error"] = error
        return
    # the next showing of this form (a revision) times afresh; the stored opening stays the first
    st.session_state.get("form_opened", {}).pop(opened_key(agency), None)
    key = "survey.saved" if revision == 1 else "survey.revised"
    st.session_state["flash"] = ui.tr_md(key, agency=agency_label(agency))
    st.session_state["survey_top_scroll"] = True
    st.session_state.pop("revising", None)
    mine = responses.my_round(conn, me, round_name)
    following = [c for c in mine["chosen"] if c not in mine["saved"]]
    if following:
        st.session_state["rating_agency"] = following[0]


def revise(agency: str) -> None:
    st.session_state["rating_agency"] = agency
    st.session_state["revising"] = True
    st.session_state["survey_top_scroll"] = True


def report_problem(agency: str) -> None:
    st.session_state["problem_agency"] = agency


def summary_line(entry: dict) -> str:
    return ui.tr("list_separator").join(
        f"{ui.item_short_name(item.text(lang))} {level_names[entry['ratings'][item.code]]}"
        for item in form.items if entry["ratings"].get(item.code))


def done_state(chosen: list[str], saved: dict) -> None:
    with st.container(key="survey_done"):
        st.success(ui.tr("survey.phone.done_title"), icon=":material/task_alt:")
        st.write(ui.tr("survey.phone.done_text", count=len(chosen),
                       closes_on=ui.format_date(current["closes_on"])))
        st.subheader(ui.tr("survey.phone.done_summary"))
        for code in chosen:
            entry = saved[code]
            with st.container(border=True):
                st.markdown(f"**{ui.md(agency_label(code))}**")
                st.text(summary_line(entry))
                if entry["comment"]:
                    st.text(entry["comment"])
                st.caption(ui.tr("survey.phone.done_saved", when=ui.format_datetime(entry["updated_at"]),
                                 revision=entry["revision"]))
                st.button(ui.tr_md("survey.phone.revise", agency=agency_label(code)), key=f"revise_{code}",
                          on_click=revise, args=(code,), icon=":material/edit:", use_container_width=True)
        if st.button(ui.tr("survey.phone.problems_link"), icon=":material/report:", key="done_problems"):
            st.switch_page(PROBLEMS_PAGE)
        if st.button(ui.tr("survey.phone.history_link"), icon=":material/history:", key="done_history"):
            st.switch_page(HISTORY_PAGE)


@st.fragment
def rating_step() -> None:
    conn = ui.db()  # one connection for this fragment run
    if not ui.session_still_valid(conn):
        st.rerun()  # the whole app: the sign-in page, with the reason
    mine = responses.my_round(conn, me, round_name)
    chosen, saved = mine["chosen"], mine["saved"]
    unrated = [c for c in chosen if c not in saved]

    with st.container(key="survey_top"):
        if "flash" in st.session_state:
            st.success(st.session_state.pop("flash"), icon=":material/check_circle:")
        st.progress((len(chosen) - len(unrated)) / len(chosen),
                    text=ui.tr("survey.progress", rated=len(chosen) - len(unrated), chosen=len(chosen)))
    if st.session_state.pop("survey_top_scroll", False):
        st.session_state["survey_scrolls"] = st.session_state.get("survey_scrolls", 0) + 1
        ui.scroll_to("survey_top", str(st.session_state["survey_scrolls"]))

    if not unrated and not st.session_state.get("revising"):
        done_state(chosen, saved)
        return

    if st.session_state.get("rating_agency") not in chosen:
        st.session_state["rating_agency"] = unrated[0] if unrated else chosen[0]
    agency = st.session_state["rating_agency"]
    earlier = saved.get(agency)
    note_form_opened(agency)
    st.subheader(ui.tr_md("survey.phone.heading", position=chosen.index(agency) + 1, total=len(chosen),
                          agency=agency_label(agency)))
    st.caption(ui.tr("survey.mark_saved") if earlier else ui.tr("survey.mark_todo"))
    if earlier:
        st.caption(ui.tr("survey.last_saved", when=ui.format_datetime(earlier["updated_at"]),
                         revision=earlier["revision"]))

    with st.container(key="rating_form"), st.form(f"rate_{agency}", border=False):
        st.caption(ui.tr("survey.phone.scale_hint"))
        for item in form.items:
            previous = earlier["ratings"].get(item.code) if earlier else None
            st.radio(ui.md(item.text(lang)), options=list(questionnaire.LEVELS), format_func=level_names.get,
                     index=questionnaire.LEVELS.index(previous) if previous else None,
                     horizontal=True, key=item_key(agency, item.code))
        st.text_area(ui.tr("survey.comment"), value=earlier["comment"] if earlier else "",
                     max_chars=responses.MAX_COMMENT, help=ui.tr("survey.comment_help"), key=f"c_{agency}")
        # A stable key: the label changes once another session of the same enterprise
        # has saved, and a click must still count.
        st.form_submit_button(ui.tr("survey.save") if not earlier else ui.tr("survey.save_revision"),
                              type="primary", key=f"save_{agency}", on_click=save_current, args=(agency,),
                              use_container_width=True)
    # a refusal is shown by the button, where the reader is; the answers stay in the form
    if "save_problem" in st.session_state:
        st.error(st.session_state.pop("save_problem"))
    if "save_error" in st.session_state:
        ui.show_error(st.session_state.pop("save_error"))

    remaining = [c for c in unrated if c != agency]
    if unrated and remaining:
        st.caption(ui.tr_md("survey.still_to_do",
                            agencies=ui.tr("list_separator").join(agency_label(c) for c in remaining)))
    st.selectbox(ui.tr("survey.phone.other_agency"), options=chosen, format_func=agency_label,
                 key="rating_agency")
    if earlier and st.button(ui.tr("survey.phone.report_problem"), key=f"problem_{agency}",
                             icon=":material/report:", on_click=report_problem, args=(agency,)):
        st.switch_page(PROBLEMS_PAGE)


rating_step()

st.divider()
with st.expander(ui.tr("survey.phone.change_agencies", count=len(chosen)), icon=":material/checklist:"):
    st.caption(ui.tr("survey.phone.add_more"))
    agency_picker(chosen)
explain(expanded=False)
