"""Qiping 企评 — entry point: page config, language, sign-in, navigation by role."""
from __future__ import annotations

import streamlit as st

import i18n
from app_pages import ui
from surveys.actors import ADMIN, AGENCY, DISCIPLINE, ENTERPRISE

st.session_state.setdefault("lang", i18n.DEFAULT_LANGUAGE)
st.set_page_config(page_title=ui.tr("app.name"), page_icon=":material/how_to_vote:", layout="wide")

# Pages by role. The services check the role again: hiding a page is not the protection.
PAGES = {
    ENTERPRISE: [("app_pages/survey.py", "nav.survey", ":material/edit_note:"),
                 ("app_pages/my_history.py", "nav.my_history", ":material/history:")],
    ADMIN: [("app_pages/rounds_admin.py", "nav.rounds", ":material/event:"),
            ("app_pages/roster_admin.py", "nav.roster", ":material/groups:"),
            ("app_pages/account.py", "nav.account", ":material/person:")],
    DISCIPLINE: [("app_pages/account.py", "nav.account", ":material/person:")],
    AGENCY: [("app_pages/account.py", "nav.account", ":material/person:")],
}


def language_switch() -> None:
    st.sidebar.segmented_control(
        ui.tr("lang.label"), options=list(i18n.LANGUAGES), key="lang",
        format_func=lambda code: i18n.t(f"lang.{code}", code), required=True,
        label_visibility="collapsed",
    )


def signed_in_sidebar(who) -> None:
    st.sidebar.caption(ui.tr("signin.signed_in_as", role=ui.tr(f"roles.{who.role}"), name=who.name))
    if st.sidebar.button(ui.tr("signin.sign_out"), icon=":material/logout:"):
        ui.sign_out()
        st.rerun()


def pages_for(who) -> list:
    if who is None:
        return [st.Page("app_pages/sign_in.py", title=ui.tr("nav.sign_in"), icon=":material/login:")]
    return [st.Page(path, title=ui.tr(key), icon=icon) for path, key, icon in PAGES[who.role]]


language_switch()
ui.end_idle_session()
who = ui.actor()
if who is not None:
    signed_in_sidebar(who)
st.navigation(pages_for(who)).run()
