"""Qiping 企评 — entry point: page config, language, sign-in, and the navigation
(app_pages/navigation.py) in sections."""
from __future__ import annotations

import streamlit as st

import i18n
from app_pages import navigation, ui
from surveys.core import counties

st.session_state.setdefault("lang", i18n.DEFAULT_LANGUAGE)
st.set_page_config(page_title=ui.tr("app.name"), page_icon=":material/how_to_vote:", layout="wide")


def language_switch() -> None:
    st.sidebar.segmented_control(
        ui.tr("lang.label"), options=list(i18n.LANGUAGES), key="lang",
        format_func=lambda code: i18n.t(f"lang.{code}", code), required=True,
        label_visibility="collapsed",
    )


def county_chooser() -> None:
    """A deployment of several counties opened without one: the counties, each by its address."""
    st.title(ui.tr("counties.choose_title"))
    st.caption(ui.tr("counties.choose_intro"))
    for county in counties.load().values():
        st.markdown(f"[{ui.md(county.name)}](?{ui.COUNTY_PARAM}={county.slug})")


def signed_in_sidebar(who) -> None:
    st.sidebar.caption(ui.tr_md("signin.signed_in_as", role=ui.tr(f"roles.{who.role}"), name=who.name))
    if st.sidebar.button(ui.tr("signin.sign_out"), icon=":material/logout:"):
        ui.sign_out()
        st.rerun()


def streamlit_page(entry: navigation.PageEntry, home: str | None = None) -> st.Page:
    return st.Page(entry.path, title=ui.tr(entry.title_key), icon=entry.icon, default=(entry.path == home))


def menu(who) -> list | dict:
    """The signed-out see the sign-in page; the signed-in, their pages in sections."""
    if who is None:
        return [streamlit_page(navigation.SIGN_IN)]
    home = navigation.HOME.get(who.role)
    return {ui.tr(f"nav.section.{section}"): [streamlit_page(entry, home) for entry in entries]
            for section, entries in navigation.pages_for(who).items()}


language_switch()
ui.demo_banner(ui.demo_exposure())
ui.warn_if_proxy_unconfigured()
if not ui.county_ready():
    county_chooser()
    st.stop()
here = ui.county()
if here is not None:
    st.sidebar.caption(ui.tr_md("counties.this_city" if here.is_city else "counties.this_county", name=here.name))
ui.end_idle_session()
ui.end_deactivated_session()
ui.end_superseded_session()
who = ui.actor()
if who is not None:
    signed_in_sidebar(who)
    ui.warn_missing_calendar()
ui.builtin_texts()  # Streamlit's own English texts in the reader's language, on every page
st.navigation(menu(who), expanded=True).run()  # every page listed, not "view more"
