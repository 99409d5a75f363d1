"""Administrator and discipline office: download a finalised round's Excel workbook
and quarterly bulletin (PDF)."""
from __future__ import annotations

import streamlit as st

import labels
from app_pages import ui
from surveys.reports import bulletin
from surveys.reports import round_report as reports
from surveys.collection import rounds
from surveys.reports import workbook
from surveys.storage import db as database
from surveys.core.errors import QipingError

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PDF = "application/pdf"
CACHE_SECONDS = 3600


# Generated files are cached by database, round, report version (current finalisation,
# round status, latest case step) and language: repeated downloads are instant, and a
# re-finalisation or a case step makes a fresh file. The actor is left out of the key
# (leading underscore): the page has already checked the role, and the file is the same
# for everyone allowed to export it.
@st.cache_data(show_spinner=False, max_entries=32, ttl=CACHE_SECONDS)
def workbook_bytes(db_path: str, name: str, version: tuple, lang: str, _actor) -> bytes:
    connection = database.connect(db_path)
    try:
        return workbook.round_workbook(connection, _actor, name, lang)
    finally:
        connection.close()


@st.cache_data(show_spinner=False, max_entries=32, ttl=CACHE_SECONDS)
def bulletin_bytes(db_path: str, name: str, version: tuple, lang: str, _actor) -> bytes:
    connection = database.connect(db_path)
    try:
        return bulletin.round_bulletin(connection, _actor, name, lang)
    finally:
        connection.close()


def offer(kind: str, build, file_name: str, mime: str, icon: str, args: tuple) -> None:
    """One document: what it holds, generated (or taken from the cache) under a spinner, then its button."""
    st.subheader(ui.tr(f"reports.{kind}_heading"))
    st.caption(ui.tr(f"reports.{kind}_help"))
    try:
        with st.spinner(ui.tr(f"reports.preparing_{kind}")):
            data = build(*args)
    except QipingError as error:
        ui.show_error(error)
        return
    st.download_button(ui.tr(f"reports.{kind}_button"), data=data, file_name=file_name, mime=mime,
                       icon=icon, type="primary", on_click="ignore", key=f"download_{kind}")


db = ui.db()
me = ui.actor()
lang = ui.lang()
st.title(ui.tr("reports.title"))
st.caption(ui.tr("reports.caption"))

try:
    choices = reports.exportable_rounds(db, me)
except QipingError as error:
    ui.show_error(error)
    st.stop()
if not choices:
    st.info(ui.tr("reports.none_finalised"))
    st.stop()

by_name = {r["name"]: r for r in choices}


def round_option(round_name: str) -> str:
    return f"{labels.round_label(round_name, lang)} · {ui.tr('rounds.status.' + by_name[round_name]['status'])}"


name = st.selectbox(ui.tr("reports.choose_round"), list(by_name), format_func=round_option, key="reports_round")
try:
    version = reports.report_version(db, me, name)
except QipingError as error:
    ui.show_error(error)
    st.stop()
st.caption(ui.tr("reports.round_facts", status=ui.tr(f"rounds.status.{version.status}"),
                 finalised=ui.format_datetime(version.finalised_at), counted=version.responses_counted))

args = (ui.db_path(), name, version, lang, me)
left, right = st.columns(2)
with left:
    offer("workbook", workbook_bytes, workbook.workbook_filename(name, lang), XLSX, ":material/table_view:", args)
with right:
    offer("bulletin", bulletin_bytes, bulletin.bulletin_filename(name, lang), PDF, ":material/picture_as_pdf:", args)
