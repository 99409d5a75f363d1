"""Discipline office: a round's coaching and stuffing signals with their anonymised evidence,
an inquiry opened from a signal, and (with a reason) the rater behind a response in the evidence.
Nothing here excludes a rating; no other role has this page (signals.review)."""
from __future__ import annotations

import pandas as pd
import streamlit as st

import labels
from app_pages import next_step
from app_pages import ui
from app_pages.reveal_form import reveal_form
from surveys.casework import reveal
from surveys.casework import signals
from surveys.core.errors import QipingError
from surveys.participants import registry

db = ui.db()
me = ui.actor()
lang = ui.lang()
st.title(ui.tr("signals.title"))
st.caption(ui.tr("signals.caption"))
next_step.show()
ui.show_flash()

agencies = {a["code"]: labels.agency_name(a, lang) for a in registry.list_agencies(db, active_only=False)}
round_names = signals.signal_rounds(db, me)
if not round_names:
    st.info(ui.tr("signals.none"))
    st.stop()
round_name = ui.pick(ui.tr("signals.round"), round_names, lambda r: labels.round_label(r, lang), key="signals_round")
found = signals.round_signals(db, me, round_name)


def agency_text(code) -> str:
    return agencies.get(code, code) if code else ui.tr("signals.whole_round")


def percent(share: float) -> str:
    return f"{share * 100:.0f}%"


def explanation(signal: dict) -> str:
    detail = signal["detail"]
    values = {"count": signal["count"], "total": signal["total"], "answers": detail.get("answers", "")}
    if signal["kind"] == "identical_in_window":
        values.update(first=ui.format_datetime(detail["first"]), last=ui.format_datetime(detail["last"]),
                      span=detail["saved_in_span"])
    elif signal["kind"] == "too_fast":
        values.update(floor=f"{detail['floor_seconds']:.0f}", median=f"{detail['median_seconds']:.0f}")
    elif signal["kind"] == "top_share_jump":
        values.update(share=percent(detail["share"]), baseline=percent(detail["baseline"]),
                      rounds=len(detail["history_rounds"]), history=detail["history_responses"],
                      z=f"{detail['z']:.1f}")
    return ui.tr(f"signals.explain.{signal['kind']}", **values)


def evidence_table(evidence: list[dict]) -> pd.DataFrame:
    return pd.DataFrame([{
        ui.tr("signals.col.agency"): agency_text(row["agency"]),
        ui.tr("signals.col.number"): row["number"],
        ui.tr("signals.col.saved"): ui.format_datetime(row["saved_at"]),
        ui.tr("signals.col.seconds"): "" if row["seconds"] is None else f"{row['seconds']:.0f}",
        ui.tr("signals.col.source"): ui.tr(f"signals.source.{row['source']}"),
        ui.tr("signals.col.ratings"): ",".join("" if r is None else str(r) for r in row["ratings"].values()),
    } for row in evidence])


def inquiry_form(index: int, signal: dict) -> None:
    with st.form(f"inquiry_{index}"):
        note = st.text_area(ui.tr("signals.note"), help=ui.tr("signals.note_help"), key=f"inquiry_note_{index}")
        if st.form_submit_button(ui.tr("signals.open_inquiry"), icon=":material/policy:", key=f"open_inquiry_{index}"):
            try:
                inquiry = signals.open_inquiry(ui.db(), me, round_name, signal["key"], note)
            except QipingError as error:
                ui.show_error(error)
            else:
                st.session_state["flash"] = ui.tr("signals.opened", inquiry=inquiry)
                st.rerun()


if not found:
    st.info(ui.tr("signals.none"))
else:
    st.write(ui.tr("signals.count", count=len(found)))
for index, signal in enumerate(found):
    with st.container(border=True, key=f"signal_{index}"):
        st.subheader(ui.tr_md("signals.heading", kind=ui.tr(f"signals.kind.{signal['kind']}"),
                              agency=agency_text(signal["agency"])))
        st.write(ui.md(explanation(signal)))
        with st.expander(ui.tr("signals.evidence", count=len(signal["evidence"]))):
            st.dataframe(evidence_table(signal["evidence"]), hide_index=True)
        if signal["inquiry"]:
            st.caption(ui.tr("signals.inquiry_opened", inquiry=signal["inquiry"]))
        else:
            inquiry_form(index, signal)

responses = {row["response_id"]: row for signal in found for row in signal["evidence"]}
if responses:
    with st.expander(ui.tr("signals.reveal_heading")):
        st.caption(ui.tr("casework.reveal.explained"))
        reveal_form("reveal_signal", ui.tr("signals.col.number"), list(responses),
                    lambda rid: ui.tr("signals.reveal_option", agency=agency_text(responses[rid]["agency"]),
                                      number=responses[rid]["number"]),
                    lambda rid, reason: reveal.reveal_rater(db, me, rid, reason))

st.subheader(ui.tr("signals.inquiries"))
inquiries = signals.list_inquiries(db, me, round_name)
if not inquiries:
    st.info(ui.tr("signals.no_inquiries"))
else:
    st.dataframe(pd.DataFrame([{
        ui.tr("signals.col.id"): row["id"],
        ui.tr("signals.col.kind"): ui.tr(f"signals.kind.{row['evidence'].get('kind', '')}"),
        ui.tr("signals.col.agency"): agency_text(row["agency"]),
        ui.tr("signals.col.note"): row["note"],
        ui.tr("signals.col.opened"): ui.format_datetime(row["opened_at"]),
        ui.tr("signals.col.status"): ui.tr(f"signals.status.{row['status']}"),
        ui.tr("signals.col.finding"): row["finding"],
    } for row in inquiries]), hide_index=True)
    still_open = [row["id"] for row in inquiries if row["status"] == signals.OPEN]
    if still_open:
        with st.form("close_inquiry"):
            st.write(ui.tr("signals.close_heading"))
            chosen = st.selectbox(ui.tr("signals.close_pick"), still_open, format_func=lambda i: f"#{i}")
            finding = st.text_area(ui.tr("signals.finding"), key="inquiry_finding")
            if st.form_submit_button(ui.tr("signals.close")):
                ui.run_step(signals.close_inquiry, chosen, finding, done=ui.tr("signals.closed", inquiry=chosen))
