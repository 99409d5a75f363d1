"""Discipline office: the inbox of escalation cases, and one case with its evidence,
timeline, next steps, printable notice and (with a reason) the rater behind a response."""
from __future__ import annotations

from datetime import timedelta

import altair as alt
import pandas as pd
import streamlit as st

import labels
from app_pages import next_step
from app_pages import panel_support
from app_pages import ui
from app_pages.reveal_form import reveal_form, short_comment
from charts.palette import GRADE_COLOURS, GRADE_ORDER, LEVEL_COLOURS
from surveys.casework import cases
from surveys.casework import views as casework
from surveys.core import clock
from surveys.reports import evidence as evidence_file
from surveys.reports import notices
from surveys.results import integrity
from surveys.collection import questionnaire
from surveys.participants import registry
from surveys.casework import reveal
from surveys.collection import rounds
from surveys.core.actors import ROLES
from surveys.core.errors import QipingError

db = ui.db()
me = ui.actor()
lang = ui.lang()
st.title(ui.tr("casework.inbox.title"))
st.caption(ui.tr("casework.inbox.caption"))
next_step.show()

agencies = {a["code"]: labels.agency_name(a, lang) for a in registry.list_agencies(db, active_only=False)}
ALL_STATUSES = list(dict.fromkeys(
    [s for _, (first, machine) in cases.STATE_MACHINES.items() for s in [first, *machine]] + list(cases.FINISHED)))


def status_text(status: str) -> str:
    return ui.tr(f"cases.status.{status}")


def case_label(case: dict, markdown: bool = False) -> str:
    """The case in one line: plain for the picker, escaped (``markdown``) for a heading."""
    mark = ui.tr("casework.overdue_mark") + " " if case["overdue"] else ""
    label = ui.tr_md if markdown else ui.tr
    return label("casework.case_label", mark=mark, id=case["id"], agency=agencies.get(case["agency"], case["agency"]),
                 round=labels.round_label(case["round"], lang), action=ui.tr(f"actions.{case['action']}"),
                 status=status_text(case["status"]))


KEPT = "inbox_kept_case"  # the case closed on this page, kept in view

if "flash" in st.session_state:
    st.success(st.session_state.pop("flash"), icon=":material/check_circle:")
if "kept_flash" in st.session_state:  # where the case just closed went
    st.info(st.session_state.pop("kept_flash"), icon=":material/inventory_2:")

def escalated_line(row: dict) -> str:
    agency = agencies.get(row["agency"], row["agency"])
    due, on = ui.format_date(row["due_on"]), ui.format_date(row["escalated_on"])
    if row["kind"] == "problem":
        return ui.tr("loop.inbox.escalated_problem", problem=row["id"], agency=agency, due=due, on=on,
                     step=ui.tr(f"loop.inbox.step_{row['step']}"))
    return ui.tr("loop.inbox.escalated_case", case=row["id"], agency=agency, due=due, on=on,
                 status=status_text(row["status"]))


# what the background check escalated (surveys/casework/escalation.py): first, nobody else chases it
escalated = casework.escalations(db, me)
with st.container(border=True, key="escalated_box"):
    st.markdown(f"**{ui.tr('loop.inbox.escalated_heading')}**")
    if not escalated:
        st.caption(ui.tr("loop.inbox.escalated_none"))
    for row in escalated:
        st.error(escalated_line(row), icon=":material/priority_high:")

counts = casework.case_counts(db, me)
left, right = st.columns(2)
left.metric(ui.tr("casework.inbox.open_count"), counts["open"])
right.metric(ui.tr("casework.inbox.overdue_count"), counts["overdue"])

with st.container(border=True):
    c1, c2, c3, c4 = st.columns(4)
    chosen_statuses = c1.multiselect(ui.tr("casework.inbox.filter_status"), ALL_STATUSES, format_func=status_text,
                                     key="f_status", placeholder=ui.tr("casework.inbox.any_open"))
    chosen_actions = c2.multiselect(ui.tr("casework.inbox.filter_action"), list(cases.STATE_MACHINES),
                                    format_func=lambda a: ui.tr(f"actions.{a}"), key="f_action",
                                    placeholder=ui.tr("streamlit.choose_options"))
    chosen_agencies = c3.multiselect(ui.tr("casework.inbox.filter_agency"), list(agencies),
                                     format_func=agencies.get, key="f_agency",
                                     placeholder=ui.tr("streamlit.choose_options"))
    round_names = [r["name"] for r in rounds.list_rounds(db)]
    chosen_rounds = c4.multiselect(ui.tr("casework.inbox.filter_round"), round_names,
                                   format_func=lambda r: labels.round_label(r, lang), key="f_round",
                                   placeholder=ui.tr("streamlit.choose_options"))

    show_finished = st.toggle(ui.tr("casework.inbox.show_finished"), key="f_finished")

# no status chosen: every open case, and the finished ones only when asked for
statuses = chosen_statuses or [s for s in ALL_STATUSES if show_finished or s not in cases.FINISHED]
rows = casework.inbox(db, me, statuses, chosen_actions, chosen_agencies, chosen_rounds)
# a case just closed here stays in view (and selected) until another is picked, instead of the
# picker jumping to whichever case is now first
kept = st.session_state.get(KEPT)
if kept is not None and kept not in {r["id"] for r in rows}:
    rows += [r for r in casework.inbox(db, me, ALL_STATUSES) if r["id"] == kept]
if not rows:
    st.info(ui.tr("casework.inbox.empty"))
    st.stop()

OVERDUE_ROW = "background-color: #fde0dd"  # overdue rows stand out (the mark says it in words too)
table = pd.DataFrame([{
        ui.tr("casework.col.overdue"): (ui.tr("casework.overdue_mark") if r["overdue"] else "")
        + (" " + ui.tr("loop.inbox.escalated_mark") if r["escalated"] else ""),
        ui.tr("casework.col.id"): r["id"],
        ui.tr("casework.col.agency"): agencies.get(r["agency"], r["agency"]),
        ui.tr("casework.col.round"): labels.round_label(r["round"], lang),
        ui.tr("casework.col.action"): ui.tr(f"actions.{r['action']}"),
        ui.tr("casework.col.status"): status_text(r["status"]),
        ui.tr("casework.col.grade"): ui.tr(f"grades.{r['grade']}") if r["grade"] else "",
        ui.tr("casework.col.score"): r["score"],
        ui.tr("casework.col.due"): ui.format_date(r["due_on"]),
    } for r in rows])
# referrals first, then interviews, then reminders (casework.inbox's order), overdue first within each
st.caption(ui.tr("officials.inbox_order"))
styled = table.style.apply(lambda row: [OVERDUE_ROW if rows[row.name]["overdue"] else ""] * len(row), axis=1)
st.dataframe(styled.format(labels.score_text, subset=[ui.tr("casework.col.score")]), hide_index=True)

by_id = {r["id"]: r for r in rows}
case_id = ui.pick(ui.tr("casework.inbox.pick_case"), list(by_id), lambda i: case_label(by_id[i]), key="inbox_case")
if kept is not None and case_id != kept:
    st.session_state.pop(KEPT, None)
evidence = casework.case_evidence(db, me, case_id)
case, result = evidence["case"], evidence["result"] or {}
# an item's short name: the words before its colon ("办理时效：…" -> "办理时效")
item_names = {i["code"]: (i["en"] if lang == "en" else i["zh"]).replace("：", ":").split(":")[0]
              for i in evidence["items"]}

st.divider()
st.subheader(case_label(case, markdown=True))
if case["overdue"]:
    st.error(ui.tr("casework.overdue_since", due=ui.format_date(case["due_on"])), icon=":material/alarm:")
st.caption(ui.tr("casework.inbox.case_dates", opened=ui.format_date(case["opened_at"]),
                 due=ui.format_date(case["due_on"])))
m1, m2, m3, m4 = st.columns(4)
m1.metric(ui.tr("casework.col.grade"), ui.tr(f"grades.{result.get('grade', 'insufficient')}"))
m2.metric(ui.tr("casework.col.score"), labels.score_text(result.get("score")))
m3.metric(ui.tr("results.interval"), labels.interval_text(result.get("ci_low"), result.get("ci_high")) or "—")
m4.metric(ui.tr("results.n"), result.get("n", 0))

tab_evidence, tab_timeline, tab_steps, tab_notice, tab_reveal = st.tabs([
    ui.tr("casework.tab.evidence"), ui.tr("casework.tab.timeline"), ui.tr("casework.tab.steps"),
    ui.tr("casework.tab.notice"), ui.tr("casework.tab.reveal")], key=f"case_tabs_{lang}")


def trend_chart(points: list[dict]):
    frame = pd.DataFrame([{"round": labels.round_label(p["round"], lang), "order": p["round"], "score": p["score"],
                           "grade": p["grade"], "grade_text": ui.tr(f"grades.{p['grade']}")}
                          for p in points if p["score"] is not None])
    if frame.empty:
        return None
    x = alt.X("round:N", sort=alt.SortField("order"), title=None, axis=alt.Axis(labelAngle=-30))
    y = alt.Y("score:Q", scale=alt.Scale(domain=[0, 100]), title=ui.tr("casework.col.score"))
    line = alt.Chart(frame).mark_line(color="#888888").encode(x=x, y=y)
    dots = alt.Chart(frame).mark_point(filled=True, size=120, stroke="#333333").encode(
        x=x, y=y, color=alt.Color("grade:N", scale=alt.Scale(domain=GRADE_ORDER,
                                                              range=[GRADE_COLOURS[g] for g in GRADE_ORDER]),
                                  legend=None),
        tooltip=[alt.Tooltip("round:N", title=ui.tr("casework.col.round")),
                 alt.Tooltip("score:Q", title=ui.tr("casework.col.score")),
                 alt.Tooltip("grade_text:N", title=ui.tr("casework.col.grade"))])
    return line + dots


def distribution_chart(distribution: list[dict]):
    frame = pd.DataFrame([{"item": item_names.get(d["item"], d["item"]), "level": d["level"],
                           "level_text": ui.tr(f"levels.{d['level']}"), "count": d["count"]} for d in distribution])
    levels = list(questionnaire.LEVELS)
    return alt.Chart(frame).mark_bar().encode(
        y=alt.Y("item:N", title=None, sort=list(item_names.values())),
        x=alt.X("count:Q", stack="normalize", title=ui.tr("casework.evidence.share")),
        color=alt.Color("level_text:N", title=None,
                        scale=alt.Scale(domain=[ui.tr(f"levels.{lv}") for lv in levels],
                                        range=[LEVEL_COLOURS[lv] for lv in levels])),
        order=alt.Order("level:Q", sort="descending"),
        tooltip=["item:N", "level_text:N", "count:Q"])


with tab_evidence:
    st.markdown(f"**{ui.tr('casework.evidence.trend')}**")
    chart = trend_chart(evidence["trend"])
    if chart is not None:
        st.altair_chart(chart, width="stretch")
    panel_support.panel_scores_table(evidence["panels"], result.get("score"))  # every panel's, unhidden
    st.markdown(f"**{ui.tr('casework.evidence.distribution')}**")
    st.altair_chart(distribution_chart(evidence["distribution"]), width="stretch")
    counts_table = pd.DataFrame(evidence["distribution"]).pivot(index="item", columns="level", values="count")
    counts_table = counts_table.reindex(columns=list(questionnaire.LEVELS))
    counts_table.index = pd.Index([item_names.get(i, i) for i in counts_table.index],
                                  name=ui.tr("casework.col.item"))  # a named header, not an empty one
    counts_table.columns = [ui.tr(f"levels.{lv}") for lv in counts_table.columns]
    st.dataframe(counts_table)
    st.markdown(f"**{ui.tr('casework.evidence.items')}**")
    st.dataframe(pd.DataFrame([{ui.tr("casework.col.item"): item_names.get(r["item"], r["item"]),
                                ui.tr("casework.col.mean_points"): r["mean_points"],
                                ui.tr("casework.col.answers"): r["answers"]} for r in evidence["item_breakdown"]]),
                 hide_index=True)
    st.markdown(f"**{ui.tr('casework.evidence.comments')}**")
    if evidence["comments"]:
        st.dataframe(pd.DataFrame([{ui.tr("casework.col.number"): c["number"],
                                    ui.tr("casework.col.comment"): c["comment"]} for c in evidence["comments"]]),
                     hide_index=True)
    else:
        st.caption(ui.tr("casework.evidence.no_comments"))
    st.markdown(f"**{ui.tr('casework.evidence.earlier')}**")
    if evidence["earlier_cases"]:
        st.dataframe(pd.DataFrame([{ui.tr("casework.col.id"): c["id"],
                                    ui.tr("casework.col.round"): labels.round_label(c["round"], lang),
                                    ui.tr("casework.col.action"): ui.tr(f"actions.{c['action']}"),
                                    ui.tr("casework.col.status"): status_text(c["status"])}
                                   for c in evidence["earlier_cases"]]), hide_index=True)
    else:
        st.caption(ui.tr("casework.evidence.no_earlier"))


def who_text(actor_name: str) -> str:
    role, _, name = actor_name.partition(":")
    return f"{ui.tr(f'roles.{role}')} {name}" if role in ROLES else actor_name


def details_text(details: dict) -> str:
    return ui.tr("list_separator").join(
        ui.tr(key) + (f": {ui.format_date(value) if is_date else value}" if value != "" else "")
        for key, value, is_date in casework.detail_items(details))


with tab_timeline:
    st.dataframe(pd.DataFrame([{
        ui.tr("casework.col.when"): ui.format_datetime(e["at"]),
        ui.tr("casework.col.who"): who_text(e["actor"]),
        ui.tr("casework.col.step"): status_text(e["step"]),
        ui.tr("casework.col.note"): e["note"],
        ui.tr("casework.col.details"): details_text(e["details"]),
    } for e in evidence["timeline"]]), hide_index=True)


def take_step(step: str, note: str, **details) -> None:
    try:
        cases.advance_case(db, me, case_id, step, note, **details)
    except QipingError as error:
        ui.show_error(error)
    else:
        st.session_state["flash"] = ui.tr("casework.step_done", step=status_text(step))
        if step == cases.CLOSED:
            st.session_state[KEPT] = case_id
            st.session_state["kept_flash"] = ui.tr("officials.case_closed_kept", id=case_id)
        st.rerun()


REVIEW_BUTTONS = {cases.CLOSED: "loop.inbox.review_passed", **{s: "loop.inbox.review_redo" for s in cases.REDO_STEPS}}


def step_form(step: str) -> None:
    reviewing = case["status"] in cases.REPORT_STEPS.values()  # closing a report is its review: passed
    with st.form(f"step_{case_id}_{step}"):
        st.markdown(f"**{ui.tr('casework.step_heading', step=status_text(step))}**")
        st.caption(ui.tr(f"casework.step_help.{step}"))
        details = {}
        if step == "scheduled":
            details["interview_on"] = st.date_input(ui.tr("casework.fields.interview_on"),
                                                    value=clock.today() + timedelta(days=7))
            details["attendees"] = st.text_input(ui.tr("casework.fields.attendees"), max_chars=cases.MAX_TEXT)
        if step == "outcome_recorded":
            details["outcome"] = st.text_area(ui.tr("casework.fields.outcome"), max_chars=cases.MAX_TEXT)
            # the finding the year's veto reads (DESIGN §4.11); left unchosen, no finding is recorded
            details[cases.FAULT_FOUND] = st.radio(
                ui.tr("annual.finding.label"), [True, False], index=None, horizontal=True,
                format_func=lambda found: ui.tr("annual.finding.yes" if found else "annual.finding.no"),
                help=ui.tr("annual.finding.help"))
        note_label = ui.tr("casework.fields.interview_notes") if step == "held" else ui.tr("casework.fields.note")
        note = st.text_area(note_label, max_chars=cases.MAX_TEXT)
        confirmed = st.checkbox(ui.tr("casework.confirm_step")) if step == cases.CLOSED else True
        button = ui.tr(REVIEW_BUTTONS[step]) if reviewing and step in REVIEW_BUTTONS else status_text(step)
        if st.form_submit_button(button, type="primary" if step == cases.CLOSED or not reviewing else "secondary"):
            if not confirmed:
                st.error(ui.tr("casework.confirm_needed"))
            else:
                take_step(step, note, **details)


with tab_steps:
    if not evidence["steps"]:
        waiting = cases.next_steps(case["action"], case["status"])
        if waiting:
            st.info(ui.tr("casework.waiting_for_agency", steps=ui.tr("list_separator").join(
                status_text(s) for s in waiting)))
        else:
            st.info(ui.tr("casework.no_steps"))
    if case["status"] in cases.REPORT_STEPS.values() and evidence["steps"]:
        st.markdown(f"**{ui.tr('loop.inbox.review_heading')}**")
        st.caption(ui.tr("loop.inbox.review_help"))
    for step in evidence["steps"]:
        step_form(step)

def evidence_export(chosen: int):
    """The evidence file, made only when the button is clicked (exporting is recorded in the
    audit log; on another thread: its own connection)."""
    def build() -> bytes:
        connection = ui.db()
        try:
            return evidence_file.evidence_pdf(connection, me, chosen, lang)
        finally:
            connection.close()
    return build


def verify_record() -> None:
    """The discipline office checks the tamper-evident record (docs/integrity.md) on demand."""
    st.subheader(ui.tr("integrity.page.heading"))
    st.caption(ui.tr("integrity.page.caption"))
    if st.button(ui.tr("integrity.page.button"), icon=":material/fact_check:", key="verify_record"):
        report = integrity.verification_summary(db, me)
        if report.ok:
            head_id, head_at, _ = report.head
            st.success(ui.tr("integrity.verified_short", id=head_id, at=ui.format_datetime(head_at),
                             finalisations=report.finalisations), icon=":material/verified:")
        else:
            for line in integrity.report_lines(report, lang):
                st.error(line)


with tab_notice:
    st.caption(ui.tr("casework.notice_help"))
    st.download_button(ui.tr("casework.notice_download", title=notices.notice_title(db, me, case_id, lang)),
                       data=notices.notice_html(db, me, case_id).encode("utf-8"),
                       file_name=notices.notice_filename(case), mime="text/html", icon=":material/print:")
    st.caption(ui.tr("integrity.evidence.seal_explained"))
    # made on click, so no rerun on click (app_pages/admin/audit_log.py says why)
    st.download_button(ui.tr("integrity.evidence.download"), data=evidence_export(case_id),
                       file_name=evidence_file.evidence_filename(case), mime="application/pdf",
                       icon=":material/verified:", key=f"evidence_{case_id}_{lang}", on_click="ignore")
    verify_record()

with tab_reveal:
    st.caption(ui.tr("casework.reveal.explained"))
    numbers = {r["number"]: r for r in evidence["responses"]}
    # each number with its comment (drawn as text: a select box's options and a table's cells)
    reveal_form(f"reveal_{case_id}", ui.tr("casework.col.number"), list(numbers),
                lambda n: ui.tr("officials.reveal_label", number=n, score=numbers[n]["score"],
                                comment=short_comment(numbers[n]["comment"])),
                lambda n, reason: reveal.reveal_rater(db, me, numbers[n]["response_id"], reason),
                listing=[{ui.tr("casework.col.number"): n, ui.tr("casework.col.score"): numbers[n]["score"],
                          ui.tr("casework.col.comment"): numbers[n]["comment"] or ""} for n in numbers])
