"""Agency: appeal a single rating it believes mistaken or malicious, within the
window after the round closes; see its appeals and the decisions."""
from __future__ import annotations

import pandas as pd
import streamlit as st

import labels
from app_pages import next_step
from app_pages import ui
from surveys.casework import appeals
from surveys.results import privacy
from surveys.collection import questionnaire
from surveys.collection import rounds
from surveys.core.errors import QipingError

db = ui.db()
me = ui.actor()
lang = ui.lang()
st.title(ui.tr("casework.agency_appeals.title"))
st.caption(ui.tr("casework.agency_appeals.caption", days=appeals.window_days(db)))
next_step.show()
st.info(ui.tr("casework.agency_appeals.privacy"), icon=":material/lock:")

if "flash" in st.session_state:
    st.success(st.session_state.pop("flash"), icon=":material/check_circle:")


def item_names(round_name: str) -> dict[str, str]:
    version = rounds.get_round(db, round_name)["questionnaire_version"] or 1
    return {i.code: i.text(lang) for i in questionnaire.get_questionnaire(db, version).items}


def rating_columns(ratings: dict, names: dict) -> dict:
    return {names[code]: ui.tr(f"levels.{ratings[code]}") if code in ratings else "" for code in names}


def state_text(row: dict) -> str:
    if row["excluded"]:
        return ui.tr("casework.agency_appeals.excluded")
    return ui.tr("casework.agency_appeals.appealed") if row["appealed"] else ""


st.subheader(ui.tr("casework.agency_appeals.new"))
open_rounds = appeals.appealable_rounds(db, me)
if not open_rounds:
    st.info(ui.tr("casework.agency_appeals.no_window"))
else:
    windows = {r["round"]: r for r in open_rounds}
    round_name = st.selectbox(ui.tr("casework.col.round"), list(windows),
                              format_func=lambda r: ui.tr("casework.agency_appeals.round_option",
                                                          round=labels.round_label(r, lang),
                                                          end=ui.format_date(windows[r]["window_ends"])))
    names = item_names(round_name)
    rows = appeals.responses_for_appeal(db, me, round_name, me.agency_code)
    if not rows:
        st.info(ui.tr("casework.agency_appeals.too_few", minimum=privacy.MIN_COUNTED))
    else:
        st.dataframe(pd.DataFrame([{ui.tr("casework.col.number"): r["number"],
                                    ui.tr("casework.col.score"): r["score"],
                                    **rating_columns(r["ratings"], names),
                                    ui.tr("casework.col.comment"): r["comment"],
                                    ui.tr("casework.col.state"): state_text(r)} for r in rows]),
                     hide_index=True)
        choosable = [r["number"] for r in rows if not r["excluded"] and not r["appealed"]]
        with st.form("lodge_appeal"):
            number = st.selectbox(ui.tr("casework.agency_appeals.number"), choosable)
            reason = st.text_area(ui.tr("casework.agency_appeals.reason"), max_chars=appeals.MAX_REASON,
                                  help=ui.tr("casework.agency_appeals.reason_help"))
            confirmed = st.checkbox(ui.tr("casework.agency_appeals.confirm"))
            if st.form_submit_button(ui.tr("casework.agency_appeals.button"), type="primary"):
                if not confirmed:
                    st.error(ui.tr("casework.confirm_needed"))
                else:
                    try:
                        appeals.lodge_appeal(db, me, round_name, me.agency_code, number, reason)
                    except QipingError as error:
                        ui.show_error(error)
                    else:
                        st.session_state["flash"] = ui.tr("casework.agency_appeals.lodged", number=number)
                        st.rerun()

st.subheader(ui.tr("casework.agency_appeals.mine"))
mine = appeals.my_appeals(db, me)
if not mine:
    st.caption(ui.tr("casework.agency_appeals.none_yet"))
else:
    st.dataframe(pd.DataFrame([{
        ui.tr("casework.col.round"): labels.round_label(a["round"], lang),
        ui.tr("casework.col.number"): a["number"],
        ui.tr("casework.col.score"): a["score"],
        ui.tr("casework.col.comment"): a["comment"],
        ui.tr("casework.agency_appeals.reason"): a["reason"],
        ui.tr("casework.col.status"): ui.tr(f"casework.appeals.status.{a['status']}"),
        ui.tr("casework.appeals_review.decision_reason"): a["decision_reason"] or "",
        ui.tr("casework.col.decided"): ui.format_date(a["decided_at"]),
    } for a in mine]), hide_index=True)
