"""Administrator: the agency and enterprise rosters, and importing them from a file."""
from __future__ import annotations

import streamlit as st

from app_pages import ui
from surveys import registry
from surveys.errors import QipingError

db = ui.db()
me = ui.actor()
st.title(ui.tr("roster.title"))

counts = registry.roster_counts(db, me)
left, right = st.columns(2)
left.metric(ui.tr("roster.agencies"), counts["agencies"])
right.metric(ui.tr("roster.enterprises"), counts["enterprises"])

st.subheader(ui.tr("roster.import_heading"))
st.caption(ui.tr("roster.import_help"))
kind = st.radio(ui.tr("roster.kind"), ["enterprises", "agencies"], horizontal=True,
                format_func=lambda k: ui.tr(f"roster.kind_{k}"))
st.caption(ui.tr(f"roster.columns_{kind}"))
upload = st.file_uploader(ui.tr("roster.file"), type=["csv", "xlsx"], key=f"upload_{kind}")
if upload is not None and st.button(ui.tr("roster.import_button"), type="primary"):
    importer = registry.import_enterprises if kind == "enterprises" else registry.import_agencies
    try:
        result = importer(db, me, upload.getvalue(), upload.name)
    except QipingError as error:
        ui.show_error(error)
    else:
        st.success(ui.tr("roster.imported", **result))
