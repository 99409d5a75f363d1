"""Agency: its own cases and notices — acknowledge, submit the rectification
report or plan, follow the status and timeline."""
from __future__ import annotations

import pandas as pd
import streamlit as st

import labels
from app_pages import next_step
from app_pages import ui
from surveys.casework import cases
from surveys.casework import views as casework
from surveys.reports import notices
from surveys.collection import rounds
from surveys.core.errors import QipingError

db = ui.db()
me = ui.actor()
lang = ui.lang()
st.title(ui.tr("casework.agency_cases.title"))
st.caption(ui.tr("casework.agency_cases.caption"))
next_step.show()

if "flash" in st.session_state:
    st.success(st.session_state.pop("flash"), icon=":material/check_circle:")

my_cases = casework.agency_cases(db, me)
if not my_cases:
    st.info(ui.tr("casework.agency_cases.none"))
    st.stop()


def status_text(status: str) -> str:
    return ui.tr(f"cases.status.{status}")


def case_label(case: dict) -> str:
    mark = ui.tr("casework.overdue_mark") + " " if case["overdue"] else ""
    todo = ui.tr("casework.agency_cases.todo_mark") + " " if case["steps"] else ""
    return ui.tr("casework.agency_cases.label", mark=mark + todo, round=labels.round_label(case["round"], lang),
                 action=ui.tr(f"actions.{case['action']}"), status=status_text(case["status"]))


waiting = [c for c in my_cases if c["steps"]]
if waiting:
    st.warning(ui.tr("casework.agency_cases.waiting", count=len(waiting)), icon=":material/assignment_late:")

st.dataframe(pd.DataFrame([{
    ui.tr("casework.col.overdue"): ui.tr("casework.overdue_mark") if c["overdue"] else "",
    ui.tr("casework.col.round"): labels.round_label(c["round"], lang),
    ui.tr("casework.col.action"): ui.tr(f"actions.{c['action']}"),
    ui.tr("casework.col.grade"): ui.tr(f"grades.{c['grade']}") if c["grade"] else "",
    ui.tr("casework.col.score"): c["score"],
    ui.tr("casework.col.status"): status_text(c["status"]),
    ui.tr("casework.col.due"): ui.format_date(c["due_on"]),
} for c in my_cases]), hide_index=True)

by_id = {c["id"]: c for c in my_cases}
first = (waiting or my_cases)[0]["id"]
st.session_state.setdefault("agency_case", first)
case_id = ui.pick(ui.tr("casework.agency_cases.pick"), list(by_id), lambda i: case_label(by_id[i]), key="agency_case")
case = by_id[case_id]

st.divider()
st.subheader(case_label(case))
st.caption(ui.tr(f"casework.agency_cases.what_next.{case['action']}"))
c1, c2, c3 = st.columns(3)
c1.metric(ui.tr("casework.col.grade"), ui.tr(f"grades.{case['grade']}") if case["grade"] else "—")
c2.metric(ui.tr("casework.col.score"), labels.score_text(case["score"]))
c3.metric(ui.tr("casework.col.due"), ui.format_date(case["due_on"]))
# "you may still submit" only where the agency has something to submit (a referral never has)
theirs = ui.tr("list_separator").join(status_text(s) for s in cases.next_steps(case["action"], case["status"]))
if case["overdue"] and case["steps"]:
    st.error(ui.tr("casework.agency_cases.overdue", due=ui.format_date(case["due_on"])), icon=":material/alarm:")
elif case["status"] not in cases.FINISHED and not case["steps"]:
    key = "officials.overdue_nothing_to_submit" if case["overdue"] else "officials.nothing_to_submit"
    st.info(ui.tr(key, due=ui.format_date(case["due_on"]), steps=theirs), icon=":material/hourglass_top:")

st.download_button(ui.tr("casework.notice_download", title=notices.notice_title(db, me, case_id, ui.lang())),
                   data=notices.notice_html(db, me, case_id).encode("utf-8"),
                   file_name=notices.notice_filename(case), mime="text/html", icon=":material/print:")


def take_step(step: str, note: str) -> None:
    try:
        cases.advance_case(db, me, case_id, step, note)
    except QipingError as error:
        ui.show_error(error)
    else:
        st.session_state["flash"] = ui.tr("casework.step_done", step=status_text(step))
        st.rerun()


for step in case["steps"]:
    with st.form(f"agency_step_{case_id}_{step}"):
        st.markdown(f"**{ui.tr('casework.step_heading', step=status_text(step))}**")
        st.caption(ui.tr(f"casework.step_help.{step}"))
        if step in cases.REPORT_STEPS.values():
            if cases.is_overdue(case):
                st.warning(ui.tr("casework.agency_cases.late_warning"))
            note = st.text_area(ui.tr(f"casework.fields.report_{case['action']}"), max_chars=cases.MAX_TEXT,
                                height=200)
        else:
            note = st.text_input(ui.tr("casework.fields.note"), max_chars=cases.MAX_TEXT)
        if st.form_submit_button(ui.tr(f"casework.agency_cases.button.{step}"), type="primary"):
            take_step(step, note)

st.markdown(f"**{ui.tr('casework.tab.timeline')}**")
st.dataframe(pd.DataFrame([{
    ui.tr("casework.col.when"): ui.format_datetime(e["at"]),
    ui.tr("casework.col.who"): ui.tr(f"roles.{e['actor'].partition(':')[0]}")
    if e["actor"].partition(":")[0] in ("agency", "discipline", "admin") else "",
    ui.tr("casework.col.step"): status_text(e["step"]),
    ui.tr("casework.col.note"): e["note"],
    ui.tr("casework.col.details"): ui.tr("list_separator").join(
        ui.tr(key) + (f": {ui.format_date(value) if is_date else value}" if value != "" else "")
        for key, value, is_date in casework.detail_items(e["details"])),
} for e in case["timeline"]]), hide_index=True)
