"""Administrator: the year's assessment — work-assessment scores entered or imported, the year's
quarters checked, the year finalised (again, with a reason) and published."""
from __future__ import annotations

import streamlit as st

import labels
from app_pages import annual_support
from app_pages import next_step
from app_pages import ui
from surveys.core.errors import QipingError
from surveys.results import annual
from surveys.results import work_scores

FLASH = "annual_flash"
db = ui.db()
me = ui.actor()
lang = ui.lang()
st.title(ui.tr("annual.admin.title"))
st.caption(ui.tr("annual.admin.caption"))
next_step.show()
ui.show_flash(FLASH)

year = st.selectbox(ui.tr("annual.admin.choose_year"), annual.candidate_years(db, me), key="annual_admin_year")
readiness = annual.year_readiness(db, me, year)
finalised = {row["year"]: row for row in annual.annual_years(db, me)}.get(year)
names = annual_support.agency_names(db)


def run(step, *args, done: str) -> None:
    ui.run_step(step, *args, done=done, flash=FLASH)


def show_readiness() -> None:
    st.subheader(ui.tr("annual.admin.readiness_heading"))
    for quarter in annual.year_quarters(year):
        if quarter in readiness.published:
            st.success(ui.tr("annual.admin.quarter_published", round=labels.round_label(quarter, lang)))
        elif quarter in readiness.not_over:
            st.info(ui.tr("annual.admin.quarter_not_over", quarter=labels.round_label(quarter, lang)))
        elif quarter in readiness.missing:
            st.warning(ui.tr("annual.admin.quarter_missing", quarter=labels.round_label(quarter, lang)))
    for row in readiness.unpublished:
        st.error(ui.tr("annual.admin.quarter_unpublished", round=labels.round_label(row["round"], lang),
                       status=ui.tr(f"rounds.status.{row['status']}")))
    for key, referrals in (("warn_pending", readiness.under_investigation), ("warn_no_finding", readiness.no_finding)):
        for r in referrals:
            st.warning(ui.tr_md(f"annual.admin.{key}", case=r["case"], agency=names.get(r["agency"], r["agency"]),
                                round=labels.round_label(r["round"], lang)))


def survey_share() -> float:
    return annual.year_config(db, year).to_dict().get("annual_survey_weight", 0.7)


def show_work_scores() -> None:
    st.subheader(ui.tr("annual.admin.work_heading"))
    share = survey_share()
    st.caption(ui.tr("annual.admin.work_caption", survey_pct=f"{share:.0%}", work_pct=f"{1 - share:.0%}"))
    if finalised and annual.work_scores_changed_since(db, me, year):
        st.warning(ui.tr("annual.admin.work_changed"))
    elif finalised and annual.would_change(db, me, year):
        st.warning(ui.tr("annual.admin.results_changed"))
    rows = work_scores.work_scores(db, me, year)
    if rows:
        st.dataframe([{ui.tr("annual.col.agency"): names.get(r["agency"], r["agency"]),
                       ui.tr("annual.col.work"): labels.score_text(r["work_score"]),
                       ui.tr("annual.col.entered_at"): ui.format_datetime(r["entered_at"]),
                       ui.tr("annual.col.entered_by"): r["entered_by"]} for r in rows], hide_index=True)
    else:
        st.info(ui.tr("annual.admin.work_none"))
    entered = {r["agency"]: r["work_score"] for r in rows}
    with st.expander(ui.tr("annual.admin.enter_heading")):
        with st.form("work_score_form"):
            agency = st.selectbox(ui.tr("annual.admin.agency"), list(names), format_func=lambda c: names[c],
                                  key="work_agency")
            score = st.number_input(ui.tr("annual.admin.score"), min_value=0.0, max_value=100.0, step=0.5,
                                    value=None, key="work_score_value")
            if st.form_submit_button(ui.tr("annual.admin.save"), type="primary"):
                run(work_scores.enter_work_score, year, agency, score,
                    done=ui.tr_md("annual.admin.saved", agency=names[agency], score=labels.score_text(score)))
        if entered:
            chosen = st.selectbox(ui.tr("annual.admin.agency"), list(entered), format_func=lambda c: names.get(c, c),
                                  key="work_remove_agency")
            if st.button(ui.tr("annual.admin.remove"), key="work_remove"):
                run(work_scores.remove_work_score, year, chosen, done=ui.tr_md("annual.admin.removed",
                                                                               agency=names.get(chosen, chosen)))
    with st.expander(ui.tr("annual.admin.import_heading")):
        st.caption(ui.tr("annual.admin.import_caption"))
        upload_key = f"work_upload_{st.session_state.get('work_imports', 0)}"
        upload = st.file_uploader(ui.tr("annual.admin.file"), type=["csv", "xlsx"], key=upload_key)
        if upload is not None and st.button(ui.tr("annual.admin.import_button"), type="primary", key="work_import"):
            try:
                result = work_scores.import_work_scores(db, me, upload.getvalue(), upload.name)
            except QipingError as error:
                ui.show_error(error)
            else:
                st.session_state[FLASH] = ui.tr("annual.admin.imported", count=result["count"],
                                                years=ui.tr("list_separator").join(map(str, result["years"])))
                st.session_state["work_imports"] = st.session_state.get("work_imports", 0) + 1
                st.rerun()


def finalise_step(confirmed: bool, reason: str) -> None:
    try:
        changed = annual.finalise_year(db, me, year, reason, missing_confirmed=confirmed)
    except QipingError as error:
        ui.show_error(error)
    else:
        st.session_state[FLASH] = ui.tr("annual.admin.finalised" if changed else "annual.admin.unchanged", year=year)
        st.rerun()


def show_finalise() -> None:
    st.subheader(ui.tr("annual.admin.finalise_heading"))
    st.caption(ui.tr("annual.admin.finalise_caption"))
    with st.form("finalise_year"):
        confirmed = False
        if readiness.missing:
            confirmed = st.checkbox(ui.tr("annual.admin.confirm_missing", count=len(readiness.published),
                                          quarters=ui.tr("list_separator").join(readiness.missing)))
        reason = st.text_input(ui.tr("annual.admin.reason"), max_chars=500) if finalised else ""
        label = "annual.admin.refinalise_button" if finalised else "annual.admin.finalise_button"
        if st.form_submit_button(ui.tr(label), type="primary"):
            finalise_step(confirmed, reason)


def show_publish() -> None:
    st.subheader(ui.tr("annual.admin.publish_heading"))
    if finalised is None:
        st.info(ui.tr("annual.admin.not_finalised"))
        return
    if finalised["published_at"]:
        st.success(ui.tr("annual.admin.is_published", at=ui.format_datetime(finalised["published_at"])))
        return
    st.caption(ui.tr("annual.admin.publish_caption"))
    if st.button(ui.tr("annual.admin.publish_button"), type="primary", key="publish_year"):
        run(annual.publish_year, year, done=ui.tr("annual.admin.published", year=year))


show_readiness()
show_work_scores()
show_finalise()
show_publish()
if finalised:
    st.subheader(ui.tr("annual.admin.results_heading"))
    annual_support.results_table(db, year, annual.year_results(db, me, year), annual.year_quarterly_table(db, me, year))
