"""Administrator: how the open round is being answered, and whom to call."""
from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

import labels
from app_pages import next_step
from app_pages import panel_support
from app_pages import ui
from surveys.collection import monitoring, reminders
from surveys.core import clock, permissions
from surveys.core.errors import QipingError
from surveys.reports import access_slips
from surveys.participants import registry
from surveys.collection import rounds
from surveys.core.errors import NotFound

RATED_COLOUR, WAITING_COLOUR = "#3182bd", "#c6dbef"  # counts, not grades: no grade colours here

db = ui.db()
me = ui.actor()
lang = ui.lang()
st.title(ui.tr("admin_ops.monitoring.title"))
st.caption(ui.tr("admin_ops.monitoring.caption"))
next_step.show()

try:
    progress = monitoring.round_progress(db, me)
except NotFound as error:
    st.info(error.message(lang, quote=ui.md))
    st.stop()

st.subheader(ui.tr("admin_ops.monitoring.round_heading", round=labels.round_label(progress["round"], lang),
                   closes_on=ui.format_date(progress["closes_on"])))
cols = st.columns(4)
cols[0].metric(ui.tr("admin_ops.monitoring.rate"), f"{progress['rate']:.0%}")
cols[1].metric(ui.tr("admin_ops.monitoring.answered"),
               ui.tr("admin_ops.monitoring.of", part=progress["answered"], whole=progress["active_enterprises"]))
cols[2].metric(ui.tr("admin_ops.monitoring.not_answered"), progress["not_answered"])
cols[3].metric(ui.tr("admin_ops.monitoring.responses"), progress["responses"],
               help=ui.tr("admin_ops.monitoring.paper_share", paper=progress["paper_responses"]))
st.caption(ui.tr("admin_ops.monitoring.rate_explained"))
panel_support.panel_progress_table(monitoring.panel_progress(db, me))

st.subheader(ui.tr("admin_ops.monitoring.agencies_heading"))
agencies = progress["agencies"]
rated, waiting = ui.tr("admin_ops.monitoring.kind_rated"), ui.tr("admin_ops.monitoring.kind_waiting")
agency_col, kind_col, count_col = (ui.tr("admin_ops.monitoring.col_agency"), ui.tr("admin_ops.monitoring.col_kind"),
                                   ui.tr("admin_ops.monitoring.col_count"))
long = pd.DataFrame([{agency_col: labels.agency_name(a, lang), kind_col: kind, count_col: a[key]}
                     for a in agencies for kind, key in ((rated, "responses"), (waiting, "chosen_unrated"))])
order = [labels.agency_name(a, lang) for a in agencies]  # most responses first
chart = alt.Chart(long).mark_bar().encode(
    y=alt.Y(f"{agency_col}:N", sort=order, title=None, axis=alt.Axis(labelOverlap=False, labelLimit=240)),
    x=alt.X(f"sum({count_col}):Q", title=count_col, axis=alt.Axis(tickMinStep=1, format="d")),
    color=alt.Color(f"{kind_col}:N", scale=alt.Scale(domain=[rated, waiting], range=[RATED_COLOUR, WAITING_COLOUR]),
                    legend=alt.Legend(orient="top", title=None)),
    order=alt.Order(f"{kind_col}:N", sort="ascending"),
    tooltip=[agency_col, kind_col, count_col],
).properties(height=alt.Step(22))
st.altair_chart(chart, width="stretch")
st.caption(ui.tr("admin_ops.monitoring.chart_explained"))
st.dataframe([{agency_col: labels.agency_name(a, lang), rated: a["responses"], waiting: a["chosen_unrated"]}
              for a in agencies], hide_index=True)

st.subheader(ui.tr("admin_ops.monitoring.call_heading", count=progress["not_answered"]))
st.caption(ui.tr("admin_ops.monitoring.call_explained"))
callers = monitoring.non_responders(db, me)
st.dataframe(monitoring.call_list_frame(callers, lang), hide_index=True)
name = f"call_list_{progress['round']}"
left, right = st.columns(2)
left.download_button(ui.tr("admin_ops.monitoring.download_csv"), data=monitoring.call_list_csv(db, me, lang),
                     file_name=f"{name}.csv", mime="text/csv", icon=":material/download:")
right.download_button(ui.tr("admin_ops.monitoring.download_xlsx"), data=monitoring.call_list_xlsx(db, me, lang),
                      file_name=f"{name}.xlsx", icon=":material/download:",
                      mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


# --- reminders ---------------------------------------------------------------------

REMINDER_FILE = "reminder_file"  # the last CSV or letters made: their codes exist only here


def reminder_file() -> None:
    """The file of the last reminders made, until the administrator clears it."""
    made = st.session_state.get(REMINDER_FILE)
    if not made:
        return
    with st.container(border=True):
        st.warning(ui.tr("reminders.page.shown_once"))
        if "sms_csv" in made:  # the SMS platform's file, made formula-safe by reminders.sms_csv
            st.download_button(ui.tr("reminders.page.download_csv"), made["sms_csv"], file_name=made["file"],
                               mime="text/csv", type="primary", on_click="ignore", icon=":material/download:",
                               key="download_reminders")
        else:
            st.download_button(ui.tr("reminders.page.download_letters"), made["letters"], file_name=made["file"],
                               mime="text/html", type="primary", on_click="ignore", icon=":material/print:",
                               key="download_reminders")
        if st.button(ui.tr("reminders.page.clear"), key="clear_reminders"):
            del st.session_state[REMINDER_FILE]
            st.rerun()


def reminder_table(targets: list[dict]) -> None:
    st.dataframe([{ui.tr("reminders.page.col_name"): row["name"], ui.tr("reminders.page.col_uscc"): row["uscc"],
                   ui.tr("reminders.page.col_status"): ui.tr(f"reminders.status.{row['status']}"),
                   ui.tr("reminders.page.col_phone"): row["phone"],
                   ui.tr("reminders.page.col_reminded_at"): ui.format_datetime(row["reminded_at"]),
                   ui.tr("reminders.page.col_channel"):
                       ui.tr(f"reminders.channel.{row['channel']}") if row["channel"] else "",
                   ui.tr("reminders.page.col_today"): ui.tr("reminders.page.yes") if row["reminded_today"] else ""}
                  for row in targets], hide_index=True)


def send_form(targets: list[dict]) -> None:
    webhook = reminders.webhook_url()
    left, right = st.columns(2)
    channel = left.radio(ui.tr("reminders.page.channel"), list(reminders.CHANNELS), key="reminder_channel",
                         format_func=lambda c: ui.tr(f"reminders.channel.{c}"))
    text_lang = right.selectbox(ui.tr("reminders.page.language"), ["zh", "en"], key="reminder_lang",
                                format_func=lambda code: ui.tr(f"lang.{code}"))
    base = access_slips.base_url(db)
    if channel == reminders.WEBHOOK:
        if not webhook:
            st.info(ui.md(ui.tr("reminders.page.webhook_missing")))
            return
        st.caption(ui.tr_md("reminders.page.webhook_target", url=webhook))
    trial_ok = True
    if access_slips.is_loopback(base):
        st.error(ui.tr_md("roster_admin.codes.loopback_warning", base=base), icon=":material/link_off:")
        trial_ok = channel != reminders.WEBHOOK and st.checkbox(ui.tr("roster_admin.codes.confirm_loopback"),
                                                                key="reminder_trial")
    confirmed = st.checkbox(ui.tr("reminders.page.confirm"), key="reminder_confirm")
    label = ui.tr("reminders.page.button_webhook" if channel == reminders.WEBHOOK else "reminders.page.button")
    due = [row for row in targets if not row["reminded_today"]]
    if not due:
        st.caption(ui.tr("reminders.page.all_today"))
    if not st.button(label, type="primary", key="send_reminders", disabled=not (confirmed and trial_ok and due)):
        return
    bar = st.progress(0.0, text=ui.tr("reminders.page.working"))

    def progress(done: int, total: int) -> None:
        if done == total or done % max(1, total // 50) == 0:
            bar.progress(done / total, text=ui.tr("reminders.page.progress", done=done, total=total))

    try:
        result = reminders.send_reminders(ui.db(), me, channel, text_lang, progress=progress)
    except QipingError as error:
        bar.empty()
        ui.show_error(error)
        return
    if result.file is not None and result.sent:
        suffix = "csv" if channel == reminders.SMS_CSV else "html"
        kind = "sms_csv" if channel == reminders.SMS_CSV else "letters"
        st.session_state[REMINDER_FILE] = {kind: result.file,
                                           "file": f"reminders_{progress_round}_{clock.today().isoformat()}.{suffix}"}
    st.session_state["reminder_flash"] = (result.ok, result.message(lang))
    st.rerun()


def reminders_section() -> None:
    st.subheader(ui.tr("reminders.page.heading"))
    st.caption(ui.tr("reminders.page.explained"))
    flash = st.session_state.pop("reminder_flash", None)
    if flash:
        (st.success if flash[0] else st.error)(ui.md(flash[1]))
    reminder_file()
    targets = reminders.reminder_targets(db, me)
    if not targets:
        st.info(ui.tr("reminders.page.none"))
        return
    st.markdown(ui.tr_md("reminders.page.targets", count=len(targets),
                         not_started=sum(r["status"] == reminders.NOT_STARTED for r in targets),
                         unfinished=sum(r["status"] == reminders.UNFINISHED for r in targets),
                         today=sum(r["reminded_today"] for r in targets)))
    reminder_table(targets)
    send_form(targets)


progress_round = progress["round"]
if permissions.allowed(me, "reminders.send"):
    reminders_section()
