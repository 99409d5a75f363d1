"""Discipline office: decide agencies' appeals against single ratings; an upheld
appeal excludes the rating, and a finalised round then needs re-finalising."""
from __future__ import annotations

import pandas as pd
import streamlit as st

import labels
from app_pages import next_step
from app_pages import ui
from app_pages.reveal_form import reveal_form
from surveys.casework import appeals
from surveys.collection import questionnaire
from surveys.participants import registry
from surveys.casework import reveal
from surveys.collection import rounds
from surveys.core.errors import QipingError

db = ui.db()
me = ui.actor()
lang = ui.lang()
st.title(ui.tr("casework.appeals_review.title"))
st.caption(ui.tr("casework.appeals_review.caption"))
next_step.show()

if "flash" in st.session_state:
    st.success(st.session_state.pop("flash"), icon=":material/check_circle:")

agencies = {a["code"]: labels.agency_name(a, lang) for a in registry.list_agencies(db, active_only=False)}

for waiting in appeals.rounds_to_refinalise(db, me):
    st.warning(ui.tr("casework.appeals_review.refinalise", round=labels.round_label(waiting["round"], lang),
                     appeals=waiting["appeals"]), icon=":material/restart_alt:")


def item_names(round_name: str) -> dict[str, str]:
    version = rounds.get_round(db, round_name)["questionnaire_version"] or 1
    return {i.code: i.text(lang) for i in questionnaire.get_questionnaire(db, version).items}


def decide(appeal_id: int, uphold: bool, reason: str) -> None:
    try:
        appeals.decide_appeal(db, me, appeal_id, uphold, reason)
    except QipingError as error:
        ui.show_error(error)
    else:
        key = "casework.appeals_review.upheld" if uphold else "casework.appeals_review.rejected"
        st.session_state["flash"] = ui.tr(key, appeal=appeal_id)
        st.rerun()


pending = appeals.appeals_for_review(db, me, "pending")
st.subheader(ui.tr("casework.appeals_review.pending", count=len(pending)))
if not pending:
    st.info(ui.tr("casework.appeals_review.none_pending"))
for appeal in pending:
    with st.container(border=True):
        heading = ui.tr_md("casework.appeals_review.heading", appeal=appeal["id"],
                        agency=agencies.get(appeal["agency"], appeal["agency"]),
                        round=labels.round_label(appeal["round"], lang), number=appeal["number"])
        st.markdown(f"**{heading}**")
        st.caption(ui.tr("casework.appeals_review.lodged", when=ui.format_date(appeal["lodged_at"]),
                         score=appeal["score"]))
        names = item_names(appeal["round"])
        st.dataframe(pd.DataFrame([{names[c]: ui.tr(f"levels.{appeal['ratings'][c]}") for c in names
                                    if c in appeal["ratings"]}]), hide_index=True)
        st.markdown(f"**{ui.tr('casework.col.comment')}**")
        st.text(appeal["comment"] or ui.tr("casework.appeals_review.no_comment"))
        st.markdown(f"**{ui.tr('casework.agency_appeals.reason')}**")
        st.text(appeal["reason"])
        with st.form(f"decide_{appeal['id']}"):
            verdict = st.radio(ui.tr("casework.appeals_review.verdict"), ["uphold", "reject"], horizontal=True,
                               format_func=lambda v: ui.tr(f"casework.appeals_review.{v}"), index=None)
            reason = st.text_area(ui.tr("casework.appeals_review.decision_reason"), max_chars=appeals.MAX_REASON)
            confirmed = st.checkbox(ui.tr("casework.appeals_review.confirm"))
            if st.form_submit_button(ui.tr("casework.appeals_review.button"), type="primary"):
                if verdict is None:
                    st.error(ui.tr("casework.appeals_review.verdict_needed"))
                elif not confirmed:
                    st.error(ui.tr("casework.confirm_needed"))
                else:
                    decide(appeal["id"], verdict == "uphold", reason)

decided = [a for a in appeals.appeals_for_review(db, me) if a["status"] != "pending"]
st.subheader(ui.tr("casework.appeals_review.decided"))
if not decided:
    st.caption(ui.tr("casework.appeals_review.none_decided"))
else:
    st.dataframe(pd.DataFrame([{
        ui.tr("casework.col.id"): a["id"],
        ui.tr("casework.col.agency"): agencies.get(a["agency"], a["agency"]),
        ui.tr("casework.col.round"): labels.round_label(a["round"], lang),
        ui.tr("casework.col.number"): a["number"],
        ui.tr("casework.col.status"): ui.tr(f"casework.appeals.status.{a['status']}"),
        ui.tr("casework.appeals_review.decision_reason"): a["decision_reason"],
        ui.tr("casework.col.decided"): ui.format_date(a["decided_at"]),
    } for a in decided]), hide_index=True)

with st.expander(ui.tr("casework.appeals_review.reveal_heading")):
    st.caption(ui.tr("casework.reveal.explained"))
    everyone = {a["id"]: a for a in appeals.appeals_for_review(db, me)}
    if everyone:
        reveal_form("reveal_appeal", ui.tr("casework.col.id"), list(everyone), lambda i: ui.tr(
            "casework.appeals_review.option", appeal=i, agency=agencies.get(everyone[i]["agency"], ""),
            round=labels.round_label(everyone[i]["round"], lang)),
            lambda i, reason: reveal.reveal_rater(db, me, everyone[i]["response_id"], reason))
