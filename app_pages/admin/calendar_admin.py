"""Administrator: China's working calendar, year by year (DESIGN §5)."""
from __future__ import annotations

import streamlit as st

import labels
from app_pages import next_step
from app_pages import ui
from surveys.core import clock
from surveys.participants import registry
from surveys.casework import calendar_admin
from surveys.casework import deadlines
from surveys.core import workdays
from surveys.core.errors import QipingError

db = ui.db()
me = ui.actor()
st.title(ui.tr("calendar.title"))
st.caption(ui.tr("calendar.caption"))
next_step.show()
ui.show_flash()

this_year = clock.today().year
year = st.selectbox(ui.tr("calendar.year"), list(range(this_year - 1, this_year + 3)), index=1)
schedule = calendar_admin.year_schedule(db, me, year)


def source_text(schedule: calendar_admin.YearSchedule) -> str:
    if schedule.source != workdays.ENTERED:
        return ui.tr(f"calendar.source_{schedule.source}", year=schedule.year)
    return ui.tr("calendar.source_entered", year=year, by=schedule.entered_by,
                 at=ui.format_datetime(schedule.entered_at))


(st.warning if schedule.source == workdays.MISSING else st.info)(source_text(schedule))


def as_text(days) -> str:
    return "\n".join(day.isoformat() for day in days)


with st.form(f"calendar_{year}"):
    holidays_text = st.text_area(ui.tr("calendar.holidays"), as_text(schedule.holidays), height=220,
                                 help=ui.tr("calendar.days_help"))
    workdays_text = st.text_area(ui.tr("calendar.workdays"), as_text(schedule.workdays), height=120,
                                 help=ui.tr("calendar.days_help"))
    checked = st.form_submit_button(ui.tr("calendar.preview_button"))

if checked:
    st.session_state["calendar_draft"] = (year, holidays_text, workdays_text)
draft = st.session_state.get("calendar_draft")
if draft and draft[0] == year:
    try:
        holidays, makeup = calendar_admin.parse_schedule(*draft)
        changed = calendar_admin.deadlines_that_would_change(db, me, year, holidays, makeup)
    except QipingError as error:
        ui.show_error(error)
    else:
        st.success(ui.tr("calendar.checked", year=year, holidays=len(holidays), workdays=len(makeup)))
        if changed:
            st.warning(ui.tr("calendar.would_change", count=len(changed)))
            agencies = {a["code"]: a for a in registry.list_agencies(db, active_only=False)}
            st.dataframe([{ui.tr("calendar.col_kind"): ui.tr(f"calendar.kind_{c['kind']}") + f" #{c['id']}",
                           ui.tr("calendar.col_agency"): labels.agency_name(agencies[c["agency"]], ui.lang()),
                           ui.tr("calendar.col_from"): ui.format_date(c["from"]),
                           ui.tr("calendar.col_due"): ui.format_date(c["due_on"]),
                           ui.tr("calendar.col_would_be"): ui.format_date(c["would_be"])} for c in changed],
                         hide_index=True)
        else:
            st.caption(ui.tr("calendar.no_change"))
        if st.checkbox(ui.tr("calendar.confirm"), key=f"calendar_confirm_{year}"):
            if st.button(ui.tr("calendar.save_button", year=year), type="primary"):
                st.session_state.pop("calendar_draft", None)
                ui.run_step(calendar_admin.enter_year, year, holidays, makeup, done=ui.tr("calendar.saved", year=year))

# --- the county's deadlines in working days (issue 15): counted on the calendar above ---------
st.divider()
st.subheader(ui.tr("loop.deadlines.heading"))
st.caption(ui.tr("loop.deadlines.caption"))
current = deadlines.all_deadlines(db)
with st.form("deadlines"):
    chosen = {name: st.number_input(ui.tr(f"loop.deadlines.name.{name}"), value=current[name], step=1,
                                    min_value=0 if name == "escalation_grace_working_days" else 1,
                                    max_value=deadlines.LONGEST, key=f"deadline_{name}")
              for name in deadlines.DEFAULTS}
    if st.form_submit_button(ui.tr("loop.deadlines.save"), type="primary"):
        try:
            changed = deadlines.set_deadlines(db, me, chosen)
        except QipingError as error:
            ui.show_error(error)
        else:
            st.session_state["flash"] = (ui.tr("loop.deadlines.saved", count=len(changed)) if changed
                                         else ui.tr("loop.deadlines.unchanged"))
            st.rerun()
