"""Administrator: exclude a response from every count (DESIGN §4.7), with a reason,
choosing it by its opaque number — never seeing which enterprise gave it (DESIGN §6)."""
from __future__ import annotations

import pandas as pd
import streamlit as st

import labels
from app_pages import next_step
from app_pages import ui
from surveys.results import exclusions
from surveys.results import privacy
from surveys.collection import questionnaire
from surveys.participants import registry
from surveys.collection import rounds
from surveys.core.errors import QipingError

db = ui.db()
me = ui.actor()
lang = ui.lang()
st.title(ui.tr("exclusions_admin.title"))
st.caption(ui.tr("exclusions_admin.caption"))
next_step.show()
st.info(ui.tr("exclusions_admin.privacy", minimum=privacy.MIN_COUNTED), icon=":material/lock:")
ui.show_flash("exclusions_flash")


def item_names(round_name: str) -> dict[str, str]:
    version = rounds.get_round(db, round_name)["questionnaire_version"] or 1
    return {i.code: i.text(lang) for i in questionnaire.get_questionnaire(db, version).items}


def response_table(rows: list[dict], names: dict) -> pd.DataFrame:
    return pd.DataFrame([{
        ui.tr("exclusions_admin.col_number"): r["number"],
        ui.tr("exclusions_admin.col_score"): r["score"],
        **{names[c]: ui.tr(f"levels.{r['ratings'][c]}") if c in r["ratings"] else "" for c in names},
        ui.tr("exclusions_admin.col_comment"): r["comment"],
        ui.tr("exclusions_admin.col_state"): ui.tr("exclusions_admin.excluded") if r["excluded"] else "",
        ui.tr("exclusions_admin.col_reason"): r["reason"],
    } for r in rows])


def exclusion_form(round_name: str, agency: str, rows: list[dict]) -> None:
    choosable = [r["number"] for r in rows if not r["excluded"]]
    if not choosable:
        st.caption(ui.tr("exclusions_admin.all_excluded"))
        return
    with st.form(f"exclude_{round_name}_{agency}"):
        number = st.selectbox(ui.tr("exclusions_admin.number"), choosable)
        reason = st.text_area(ui.tr("exclusions_admin.reason"), max_chars=exclusions.MAX_REASON,
                              help=ui.tr("exclusions_admin.reason_help"))
        confirmed = st.checkbox(ui.tr("exclusions_admin.confirm"))
        if st.form_submit_button(ui.tr("exclusions_admin.button"), type="primary"):
            if not confirmed:
                st.error(ui.tr("exclusions_admin.confirm_needed"))
                return
            try:
                exclusions.exclude_numbered_response(db, me, round_name, agency, number, reason)
            except QipingError as error:
                ui.show_error(error)
            else:
                st.session_state["exclusions_flash"] = ui.tr("exclusions_admin.done", number=number)
                st.rerun()


decidable = {r["name"]: r for r in exclusions.decidable_rounds(db, me)}
if not decidable:
    st.info(ui.tr("exclusions_admin.no_round"))
    st.stop()
round_name = st.selectbox(ui.tr("exclusions_admin.round"), list(decidable),
                          format_func=lambda r: ui.tr("exclusions_admin.round_option", round=labels.round_label(r, lang),
                                                      status=ui.tr(f"rounds.status.{decidable[r]['status']}")))
waiting = exclusions.waiting_for_refinalisation(db, me, round_name)
if waiting:
    st.warning(ui.tr("exclusions_admin.refinalise", count=waiting), icon=":material/restart_alt:")
agencies = {a["code"]: labels.agency_name(a, lang) for a in registry.list_agencies(db, active_only=False)}
agency = st.selectbox(ui.tr("exclusions_admin.agency"), list(agencies),
                      format_func=lambda c: ui.tr("exclusions_admin.agency_option", name=agencies[c], code=c))
rows = exclusions.responses_to_decide(db, me, round_name, agency)
if not rows:
    st.info(ui.tr("exclusions_admin.too_few", minimum=privacy.MIN_COUNTED))
else:
    st.dataframe(response_table(rows, item_names(round_name)), hide_index=True)
    exclusion_form(round_name, agency, rows)
