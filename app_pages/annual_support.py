"""What the annual page and the administrator's annual page share: the year's results as a
table people read (quarters, survey, work, composite, grade, veto) and the report downloads.
Not a page itself."""
from __future__ import annotations

import streamlit as st

import labels
from app_pages import ui
from surveys.core.errors import QipingError
from surveys.participants import registry
from surveys.reports import annual_report
from surveys.results import annual
from surveys.storage import db as database

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PDF = "application/pdf"
CACHE_SECONDS = 3600


# A PDF takes about 3 s (the CJK font is subset each time): each file is made once per database,
# year, finalisation, publication and language, so re-running the page costs nothing and a
# re-finalisation or the publication makes a fresh one. The actor is left out of the key (leading
# underscore): the page only offers a year its reader may see, and the file is the same for all of them.
@st.cache_data(show_spinner=False, max_entries=16, ttl=CACHE_SECONDS)
def report_bytes(db_path: str, year: int, version: tuple, lang: str, kind: str, _actor) -> bytes:
    connection = database.connect(db_path)
    try:
        build = annual_report.annual_pdf if kind == "pdf" else annual_report.annual_workbook
        return build(connection, _actor, year, lang)
    finally:
        connection.close()


def agency_names(db) -> dict[str, str]:
    lang = ui.lang()
    return {a["code"]: labels.agency_name(a, lang) for a in registry.list_agencies(db, active_only=False)}


def quarter_text(quarters: dict, agency: str, round_name: str) -> str:
    row = quarters.get(agency, {}).get(round_name)
    if row is None:
        return "—"
    return labels.score_text(row["score"]) if row["score"] is not None else ui.tr(f"grades.{row['grade']}")


def results_table(db, year: int, results: list[dict], quarters: dict) -> None:
    """The year's ranking; names are cells of a data frame (text, never Markdown)."""
    names = agency_names(db)
    col = lambda name: ui.tr(f"annual.col.{name}")  # noqa: E731
    quarter_heads = [ui.tr(f"annual.report.quarter.{q}") for q in range(1, 5)]
    groups = annual.group_names(db, ui.lang()) if any(r["agency_group"] for r in results) else None
    rows = []
    for r in results:
        row = {col("rank"): labels.rank_text(r["rank"], ui.lang()), col("agency"): names.get(r["agency"], r["agency"])}
        if groups is not None:  # the county keeps agency groups: the year is ranked within each too
            row[col("group")] = groups.get(r["agency_group"], r["agency_group"] or "")
            row[col("group_rank")] = labels.rank_text(r["group_rank"], ui.lang())
        for head, round_name in zip(quarter_heads, annual.year_quarters(year)):
            row[head] = quarter_text(quarters, r["agency"], round_name)
        row.update({col("quarters"): r["quarters"], col("survey"): labels.score_text(r["survey_score"], "—"),
                    col("work"): labels.score_text(r["work_score"], "—"), col("score"): labels.score_text(r["score"], "—"),
                    col("grade"): ui.tr(f"grades.{r['grade']}"),
                    col("vetoed"): ui.tr("annual.page.vetoed_yes") if r["vetoed"] else ""})
        rows.append(row)
    st.dataframe(rows, hide_index=True)


def downloads(me, year: int, info: dict) -> None:
    """The annual report for the comprehensive assessment, PDF and Excel, in the reader's language;
    ``info`` is the year's row from annual.annual_years (its finalisation and publication)."""
    lang = ui.lang()
    st.subheader(ui.tr("annual.page.download_heading"))
    st.caption(ui.tr("annual.page.download_caption"))
    version = (info["finalisation_id"], info["published_at"])
    path = ui.db_path()
    try:
        with st.spinner(ui.tr("annual.page.preparing")):
            pdf = report_bytes(path, year, version, lang, "pdf", me)
            xlsx = report_bytes(path, year, version, lang, "xlsx", me)
    except QipingError as error:
        ui.show_error(error)
        return
    left, right = st.columns(2)
    left.download_button(ui.tr("annual.page.download_pdf"), data=pdf, mime=PDF, on_click="ignore",
                         file_name=annual_report.report_filename(year, lang, "pdf"), icon=":material/picture_as_pdf:",
                         key="annual_pdf")
    right.download_button(ui.tr("annual.page.download_xlsx"), data=xlsx, mime=XLSX, on_click="ignore",
                          file_name=annual_report.report_filename(year, lang, "xlsx"), icon=":material/table:",
                          key="annual_xlsx")
