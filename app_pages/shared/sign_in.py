"""Sign-in: enterprises with their access code (or ?code= in their link), staff with a password."""
from __future__ import annotations

import streamlit as st

from app_pages import ui
from surveys import startup
from surveys.participants import accounts
from surveys.demo import county as demo
from surveys.core.errors import QipingError

st.title(ui.tr("signin.title"))
st.caption(ui.tr("signin.subtitle"))

reason = st.session_state.pop("signed_out_reason", None)
if reason:
    st.info(ui.tr(reason))

db = ui.db()
here = ui.county()

if here is not None and here.is_city:
    # A city office's address: its own accounts only; no enterprise or county account signs in here.
    with st.form("city_sign_in"):
        username = st.text_input(ui.tr("signin.username"))
        password = st.text_input(ui.tr("signin.password"), type="password")
        if st.form_submit_button(ui.tr("signin.submit"), type="primary"):
            try:
                ui.sign_in(accounts.sign_in_city(db, username, password, ui.client_key()))
                st.rerun()
            except QipingError as error:
                ui.show_error(error)
    if demo.demo_enabled():
        st.caption(ui.tr("city.demo_account", username=startup.DEMO_CITY_ACCOUNT[0],
                         password=startup.DEMO_CITY_ACCOUNT[1]))
    st.stop()


def try_enterprise(code: str) -> None:
    try:
        ui.sign_in(accounts.sign_in_enterprise(db, code, ui.client_key()))
    except QipingError as error:
        ui.show_error(error)
        return
    st.rerun()


link_code = st.query_params.get("code")
if link_code:
    # The code leaves the address bar at once, tried or not: left there, a reload
    # after signing out (or after the idle time-out) would sign the enterprise in again.
    del st.query_params["code"]
    # One link per browser session, kept through sign-out: the browser's Back button
    # returns to the letter's address in this same session, and must not sign in again.
    if not st.session_state.get(ui.LINK_USED):
        st.session_state[ui.LINK_USED] = True
        try_enterprise(link_code)

enterprise_tab, staff_tab = st.tabs([ui.tr("signin.enterprise_tab"), ui.tr("signin.staff_tab")])
with enterprise_tab:
    with st.form("enterprise_sign_in"):
        code = st.text_input(ui.tr("signin.access_code"), help=ui.tr("signin.access_code_help"))
        if st.form_submit_button(ui.tr("signin.submit"), type="primary"):
            try_enterprise(code)
with staff_tab:
    with st.form("staff_sign_in"):
        username = st.text_input(ui.tr("signin.username"))
        password = st.text_input(ui.tr("signin.password"), type="password")
        if st.form_submit_button(ui.tr("signin.submit"), type="primary"):
            try:
                ui.sign_in(accounts.sign_in_staff(db, username, password, ui.client_key()))
                st.rerun()
            except QipingError as error:
                ui.show_error(error)

if demo.demo_enabled():
    with st.expander(ui.tr("signin.demo_title"), expanded=True):
        st.write(ui.tr("signin.demo_intro"))
        st.dataframe(
            [
                {ui.tr("signin.demo_role"): ui.tr("roles.enterprise"),
                 ui.tr("signin.demo_login"): "QP-DEMO-0001 … QP-DEMO-0300", ui.tr("signin.password"): ""},
                *({ui.tr("signin.demo_role"): ui.tr(f"panels.name.{panel}"),
                   ui.tr("signin.demo_login"): f"{demo.demo_panel_code(panel, 1)} … {demo.demo_panel_code(panel, count)}",
                   ui.tr("signin.password"): ""} for panel, count in demo.PANEL_RATERS.items()),
                {ui.tr("signin.demo_role"): ui.tr("roles.admin"),
                 ui.tr("signin.demo_login"): "admin", ui.tr("signin.password"): demo.DEMO_PASSWORDS["admin"]},
                {ui.tr("signin.demo_role"): ui.tr("roles.discipline"),
                 ui.tr("signin.demo_login"): "discipline",
                 ui.tr("signin.password"): demo.DEMO_PASSWORDS["discipline"]},
                {ui.tr("signin.demo_role"): ui.tr("roles.agency"),
                 ui.tr("signin.demo_login"): ui.tr("signin.demo_agency_users"),
                 ui.tr("signin.password"): demo.DEMO_PASSWORDS["agency"]},
            ],
            hide_index=True,
        )
