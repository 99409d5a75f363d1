"""The monthly bulletin (月通报) of casework: for a month of the county's calendar, each agency's
cases and problems opened, closed, on time, late and overdue, the rates, the ranking on handling
and the overdue list; PDF and Excel for those who export. An agency sees its own line only
(surveys/reports/monthly.py says why)."""
from __future__ import annotations

import pandas as pd
import streamlit as st

import labels
from app_pages import next_step
from app_pages import rates_view
from app_pages import ui
from charts.monthly import handling_bars
from surveys.core.errors import QipingError
from surveys.core.permissions import allowed
from surveys.reports import monthly
from surveys.reports import monthly_documents as documents
from surveys.reports import monthly_figures as figures
from surveys.storage import db as database

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PDF = "application/pdf"
CACHE_SECONDS = 3600


# Files are cached by database, month, what the figures depend on (the latest case and ticket
# step, and today for the current month) and language; the actor is left out of the key
# (underscore): the page offers them only to those who export, and the file is the same for all.
@st.cache_data(show_spinner=False, max_entries=16, ttl=CACHE_SECONDS)
def pdf_bytes(db_path: str, year: int, month: int, version: tuple, lang: str, _actor) -> bytes:
    connection = database.connect(db_path)
    try:
        return documents.monthly_pdf(connection, _actor, year, month, lang)
    finally:
        connection.close()


@st.cache_data(show_spinner=False, max_entries=16, ttl=CACHE_SECONDS)
def xlsx_bytes(db_path: str, year: int, month: int, version: tuple, lang: str, _actor) -> bytes:
    connection = database.connect(db_path)
    try:
        return documents.monthly_workbook(connection, _actor, year, month, lang)
    finally:
        connection.close()


def month_option(text: str) -> str:
    return labels.month_label(*monthly.parse_month(text), lang)


def metrics(totals: dict) -> None:
    columns = st.columns(len(figures.MEASURES) + 2)
    for column, measure in zip(columns, figures.MEASURES):
        column.metric(ui.tr(f"monthly.{measure}"), totals[measure])
    columns[-2].metric(ui.tr("monthly.rectification_rate"), labels.rate_text(totals["rectification_rate"]))
    columns[-1].metric(ui.tr("monthly.on_time_rate"), labels.rate_text(totals["on_time_rate"]))


def agency_table(bulletin: monthly.MonthlyBulletin) -> pd.DataFrame:
    rows = []
    for _, r in bulletin.table.iterrows():
        # what the ranking rests on first, visible without scrolling; the counts by kind after
        row = {ui.tr("monthly.rank"): labels.rank_text(r["rank"], lang),
               ui.tr("monthly.agency"): bulletin.agency_name(r["agency"], lang),
               ui.tr("monthly.rectification_rate"): labels.rate_text(r["rectification_rate"]),
               ui.tr("monthly.on_time_rate"): labels.rate_text(r["on_time_rate"])}
        for kind in figures.KINDS:
            for measure in figures.MEASURES:
                row[documents.measure_header(kind, measure, lang)] = int(r[f"{kind}_{measure}"])
        rows.append(row)
    return pd.DataFrame(rows)


def overdue_table(bulletin: monthly.MonthlyBulletin) -> pd.DataFrame:
    return pd.DataFrame([{
        ui.tr("monthly.item"): documents.item_text(r["kind"], r["ref"], lang),
        ui.tr("monthly.agency"): bulletin.agency_name(r["agency"], lang),
        ui.tr("monthly.opened_on"): ui.format_date(r["opened_on"]),
        ui.tr("monthly.due_on"): ui.format_date(r["due_on"]),
        ui.tr("monthly.days_overdue"): int(r["days_overdue"]),
    } for _, r in bulletin.overdue.iterrows()])


def downloads(year: int, month: int) -> None:
    st.subheader(ui.tr("monthly.downloads_heading"))
    try:
        version = monthly.bulletin_version(db, me, year, month)
        args = (ui.db_path(), year, month, version, lang, me)
        with st.spinner(ui.tr("monthly.preparing")):
            pdf, xlsx = pdf_bytes(*args), xlsx_bytes(*args)
    except QipingError as error:
        ui.show_error(error)
        return
    left, right = st.columns(2)
    left.download_button(ui.tr("monthly.pdf_button"), data=pdf, file_name=documents.filename("pdf", year, month, lang),
                         mime=PDF, icon=":material/picture_as_pdf:", type="primary", on_click="ignore",
                         key="monthly_pdf")
    right.download_button(ui.tr("monthly.xlsx_button"), data=xlsx,
                          file_name=documents.filename("xlsx", year, month, lang), mime=XLSX,
                          icon=":material/table_view:", on_click="ignore", key="monthly_xlsx")


db = ui.db()
me = ui.actor()
lang = ui.lang()
st.title(ui.tr("monthly.title"))
whole_county = allowed(me, "agencies.all")
st.caption(ui.tr("monthly.caption" if whole_county else "monthly.caption_agency"))
next_step.show()

try:
    months = monthly.available_months(db, me)
    choice = st.selectbox(ui.tr("monthly.choose_month"), months, format_func=month_option, key="monthly_month")
    year, month = monthly.parse_month(choice)
    bulletin = monthly.monthly_bulletin(db, me, year, month)
except QipingError as error:
    ui.show_error(error)
    st.stop()

period = bulletin.period
if period.current:
    st.caption(ui.tr("monthly.current_note", now=ui.format_datetime(period.cutoff)))
else:
    st.caption(ui.tr("monthly.finished_note", last_day=ui.format_date(period.last_day)))
if bulletin.empty:
    st.info(ui.tr("monthly.nothing", month=month_option(choice)))

st.subheader(ui.tr("monthly.metrics_heading" if whole_county else "monthly.metrics_heading_agency"))
metrics(bulletin.totals)
st.caption(ui.tr("monthly.rates_caption"))
if not whole_county:
    own_rank = bulletin.table["rank"].iloc[0] if not bulletin.table.empty else None
    if own_rank is None or pd.isna(own_rank):
        st.info(ui.tr("monthly.your_rank_none"))
    else:
        st.info(ui.tr("monthly.your_rank", rank=int(own_rank), ranked=bulletin.ranked))

if whole_county:
    st.subheader(ui.tr("monthly.chart_heading"))
    st.caption(ui.tr("monthly.chart_caption"))
    st.altair_chart(handling_bars(documents.chart_frame(bulletin, lang), lang, titled=False), width="stretch")

st.subheader(ui.tr("monthly.table_heading" if whole_county else "monthly.table_heading_agency"))
st.dataframe(agency_table(bulletin), hide_index=True, width="stretch")

st.subheader(ui.tr("monthly.overdue_heading"))
st.caption(ui.tr("monthly.overdue_caption"))
if bulletin.overdue.empty:
    st.success(ui.tr("monthly.overdue_none"))
else:
    st.dataframe(overdue_table(bulletin), hide_index=True, width="stretch")

with st.expander(ui.tr("monthly.definitions_heading")):
    st.markdown(ui.tr("monthly.definitions"))

# the standard rates of the month (issue 15), after the casework figures the bulletin is built on
rates_view.show(bulletin.rates, rates_view.unit_namer({code: bulletin.agency_name(code, lang)
                                                      for code in bulletin.agencies}, bulletin.groups),
                "month", key="monthly_rates", with_period=False)

if allowed(me, "reports.export"):
    downloads(year, month)
