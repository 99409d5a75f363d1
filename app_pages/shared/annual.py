"""The year's assessment (年考核): an agency's own annual result, its quarters and the published
annual ranking; for the discipline office and the administrator every agency's result, the
grounds for vetoes and the finalisation history. The annual report downloads from here."""
from __future__ import annotations

import streamlit as st

import labels
from app_pages import annual_support
from app_pages import next_step
from app_pages import ui
from surveys.core.permissions import allowed
from surveys.results import annual

db = ui.db()
me = ui.actor()
lang = ui.lang()
county = allowed(me, "results.view_all")
st.title(ui.tr("annual.page.title"))
st.caption(ui.tr("annual.page.caption"))
st.caption(ui.tr("annual.page.county_caption" if county else "annual.page.agency_caption"))
next_step.show()

years = annual.annual_years(db, me)
if not years:
    st.info(ui.tr("annual.page.no_years_county" if county else "annual.page.no_years"))
    st.stop()
by_year = {row["year"]: row for row in years}


def year_option(year: int) -> str:
    status = "status_published" if by_year[year]["published_at"] else "status_finalised"
    return ui.tr("annual.page.year_option", year=year, status=ui.tr(f"annual.page.{status}"))


year = st.selectbox(ui.tr("annual.page.choose_year"), list(by_year), format_func=year_option, key="annual_year")
info = by_year[year]
st.caption(ui.tr("annual.page.facts", finalised=ui.format_datetime(info["at"]),
                 published=ui.format_datetime(info["published_at"]) if info["published_at"]
                 else ui.tr("annual.page.status_finalised"),
                 rounds=ui.tr("list_separator").join(labels.round_label(r, lang) for r in info["rounds_used"])))
if info["quarters_missing"]:
    st.warning(ui.tr("annual.page.missing_note", quarters=ui.tr("list_separator").join(info["quarters_missing"])))
if info["reason"]:
    st.caption(ui.tr_md("annual.page.refinalised_note", reason=info["reason"]))

results = annual.year_results(db, me, year)
quarters = annual.year_quarterly_table(db, me, year)


def own_result(code: str) -> None:
    st.subheader(ui.tr("annual.page.own_heading"))
    mine = next((r for r in results if r["agency"] == code), None)
    if mine is None:
        st.info(ui.tr("annual.page.own_missing"))
        return
    if mine["vetoed"]:
        st.error(ui.tr("annual.page.vetoed_own", cases=ui.tr("list_separator").join(f"#{c}" for c in mine["veto_cases"])))
    cells = st.columns(5)
    cells[0].metric(ui.tr("annual.page.metric_score"), labels.score_text(mine["score"], "—"))
    cells[1].metric(ui.tr("annual.page.metric_grade"), ui.tr(f"grades.{mine['grade']}"))
    cells[2].metric(ui.tr("annual.page.metric_rank"), labels.rank_text(mine["rank"], lang))
    cells[3].metric(ui.tr("annual.page.metric_survey"), labels.score_text(mine["survey_score"], "—"))
    cells[4].metric(ui.tr("annual.page.metric_work"),
                    labels.score_text(mine["work_score"], ui.tr("annual.page.no_work")))
    st.subheader(ui.tr("annual.page.quarters_heading"))
    rows = annual.agency_quarters(db, me, code, year)
    if not rows:
        st.info(ui.tr("annual.page.quarters_none"))
        return
    st.dataframe([{ui.tr("annual.col.round"): labels.round_label(r["round"], lang),
                   ui.tr("annual.col.n"): r["n"], ui.tr("annual.col.score"): labels.score_text(r["score"], "—"),
                   ui.tr("annual.col.grade"): ui.tr(f"grades.{r['grade']}"),
                   ui.tr("annual.col.rank"): labels.rank_text(r["rank"], lang),
                   ui.tr("annual.col.flag"): labels.flag_text(r["flag"], lang)} for r in rows], hide_index=True)


def finding_text(referral: dict) -> str:
    if referral["outcome_at"] is None:
        return ui.tr("annual.finding_text.pending")
    found = referral["fault_found"]
    return ui.tr("annual.finding_text." + ("unrecorded" if found is None else "found" if found else "not_found"))


def veto_grounds() -> None:
    st.subheader(ui.tr("annual.page.veto_heading"))
    st.caption(ui.tr("annual.page.veto_caption"))
    referrals = annual.veto_reasons(db, me, year)
    if not referrals:
        st.info(ui.tr("annual.page.veto_none"))
        return
    names = annual_support.agency_names(db)
    st.dataframe([{ui.tr("annual.col.case"): f"#{r['case']}", ui.tr("annual.col.agency"): names.get(r["agency"], r["agency"]),
                   ui.tr("annual.col.round"): labels.round_label(r["round"], lang),
                   ui.tr("annual.col.status"): ui.tr(f"cases.status.{r['status']}"),
                   ui.tr("annual.col.finding"): finding_text(r), ui.tr("annual.col.outcome"): r["outcome"]}
                  for r in referrals], hide_index=True)


def history() -> None:
    st.subheader(ui.tr("annual.page.history_heading"))
    st.caption(ui.tr("annual.page.history_caption"))
    st.dataframe([{ui.tr("annual.col.at"): ui.format_datetime(h["at"]), ui.tr("annual.col.actor"): h["actor"],
                   ui.tr("annual.col.reason"): h["reason"], ui.tr("annual.col.current"): "✓" if h["is_current"] else ""}
                  for h in annual.finalisation_history(db, me, year)], hide_index=True)


if me.agency_code and not county:
    own_result(me.agency_code)
st.subheader(ui.tr("annual.page.county_heading" if county else "annual.page.ranking_heading"))
annual_support.results_table(db, year, results, quarters)
if county:
    veto_grounds()
    history()
annual_support.downloads(me, year, info)
