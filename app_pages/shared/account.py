"""A staff member's own account: who they are, and changing the password."""
from __future__ import annotations

import streamlit as st

from app_pages import ui
from surveys.participants import accounts
from surveys.core.errors import QipingError

me = ui.actor()
st.title(ui.tr("account.title"))
st.write(ui.tr_md("account.who", username=me.id, role=ui.tr(f"roles.{me.role}")))
if me.agency_code:
    st.write(ui.tr_md("account.agency", agency=me.name))

with st.form("change_password", clear_on_submit=True):
    st.subheader(ui.tr("account.change_password"))
    old = st.text_input(ui.tr("account.old_password"), type="password")
    new = st.text_input(ui.tr("account.new_password"), type="password",
                        help=ui.tr("account.password_rule", minimum=accounts.MIN_PASSWORD_LENGTH))
    again = st.text_input(ui.tr("account.repeat_password"), type="password")
    if st.form_submit_button(ui.tr("account.save_password"), type="primary"):
        if new != again:
            st.error(ui.tr("account.passwords_differ"))
        else:
            try:
                ui.keep_session(accounts.change_password(ui.db(), me, old, new))
                st.success(ui.tr("account.password_changed"))
            except QipingError as error:
                ui.show_error(error)
