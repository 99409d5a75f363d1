"""Administrator: the audit log — who did what, when — filtered and exported."""
from __future__ import annotations

import streamlit as st

from app_pages import next_step
from app_pages import ui
from surveys.reports import audit_view
from surveys.core.errors import QipingError

SHOWN = 500  # rows on screen; the export holds every match

db = ui.db()
me = ui.actor()
lang = ui.lang()
st.title(ui.tr("admin_ops.audit_log.title"))
st.caption(ui.tr("admin_ops.audit_log.caption"))
next_step.show()

choices = audit_view.filter_choices(db, me)
left, middle, right = st.columns(3)
who = left.selectbox(ui.tr("admin_ops.audit_log.filter_actor"), [None, *choices["actor"]],
                     format_func=lambda a: ui.tr("admin_ops.audit_log.everyone") if a is None
                     else audit_view.actor_label(a, lang))
actions = middle.multiselect(ui.tr("admin_ops.audit_log.filter_action"), choices["action"],
                             format_func=lambda a: audit_view.action_label(a, lang),
                             placeholder=ui.tr("admin_ops.audit_log.every_action"))
target = right.text_input(ui.tr("admin_ops.audit_log.filter_target"),
                          placeholder=ui.tr("admin_ops.audit_log.target_placeholder"))
left, right = st.columns(2)
date_from = left.date_input(ui.tr("admin_ops.audit_log.date_from"), value=None)
date_to = right.date_input(ui.tr("admin_ops.audit_log.date_to"), value=None)
flt = audit_view.AuditFilter(actor=who, actions=tuple(actions), target=target,
                             date_from=date_from, date_to=date_to)

try:
    total = audit_view.count_audit(db, me, flt)
    entries = audit_view.search_audit(db, me, flt, limit=SHOWN)
except QipingError as error:
    ui.show_error(error)
    st.stop()

st.caption(ui.tr("admin_ops.audit_log.count", shown=len(entries), total=total))
table = audit_view.audit_frame(entries, lang)
table[table.columns[0]] = [ui.format_datetime(e["at"]) for e in entries]  # the Chinese way in zh
st.dataframe(table, hide_index=True)


def deferred(export):
    """The export, built only when the button is clicked (on another thread: its own connection)."""
    def build() -> bytes:
        connection = ui.db()
        try:
            return export(connection, me, flt, lang)
        finally:
            connection.close()
    return build


# on_click="ignore": a click that also reran the page would lose the file now and then — Streamlit
# answers a deferred download over the websocket, and a run that starts before that answer has gone
# out drops it from the outgoing queue; the button then spins, disabled, until the page is reloaded
left, right = st.columns(2)
left.download_button(ui.tr("admin_ops.audit_log.download_csv"), data=deferred(audit_view.export_csv),
                     file_name="audit_log.csv", mime="text/csv", icon=":material/download:", disabled=not total,
                     on_click="ignore")
right.download_button(ui.tr("admin_ops.audit_log.download_xlsx"), data=deferred(audit_view.export_xlsx),
                      file_name="audit_log.xlsx", icon=":material/download:", disabled=not total,
                      mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", on_click="ignore")
