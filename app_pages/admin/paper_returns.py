"""Administrator: import answers that enterprises gave on paper into the open round."""
from __future__ import annotations

import pandas as pd
import streamlit as st

import labels
from app_pages import next_step
from app_pages import ui
from surveys.collection import paper_returns
from surveys.collection import questionnaire
from surveys.participants import registry
from surveys.collection import rounds
from surveys.core.errors import QipingError

db = ui.db()
me = ui.actor()
lang = ui.lang()
st.title(ui.tr("admin_ops.paper.title"))
st.caption(ui.tr("admin_ops.paper.caption"))
next_step.show()

if "paper_flash" in st.session_state:
    st.success(st.session_state.pop("paper_flash"))

current = rounds.open_round(db)
if current is None:
    st.info(ui.tr("admin_ops.paper.no_open_round"))
else:
    st.info(ui.tr("admin_ops.paper.target", round=labels.round_label(current["name"], lang),
                  closes_on=ui.format_date(current["closes_on"]), version=current["questionnaire_version"]))

st.subheader(ui.tr("admin_ops.paper.step_template"))
st.caption(ui.tr("admin_ops.paper.template_help"))
st.download_button(ui.tr("admin_ops.paper.template_button"), data=paper_returns.blank_template(db, me, "zh"),
                   file_name=f"paper_returns_{current['name'] if current else 'template'}.xlsx",
                   mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                   icon=":material/download:")

st.subheader(ui.tr("admin_ops.paper.step_upload"))
st.caption(ui.tr("admin_ops.paper.upload_help"))
# a new key after each import empties the uploader
upload_key = f"paper_upload_{st.session_state.get('paper_imports', 0)}"
upload = ui.table_upload(ui.tr("admin_ops.paper.file"), upload_key)
replace = st.checkbox(ui.tr("admin_ops.paper.replace"), help=ui.tr("admin_ops.paper.replace_help"),
                      key=f"replace_{upload_key}")


def preview_table(preview: paper_returns.PaperPreview) -> pd.DataFrame:
    agencies = {a["code"]: a for a in registry.list_agencies(db, active_only=False)}
    form = questionnaire.get_questionnaire(db, preview.version)
    item_names = {item.code: paper_returns.item_header(item, form, lang) for item in form.items}
    status = {None: ui.tr("admin_ops.paper.status_new"), "online": ui.tr("admin_ops.paper.status_online"),
              "paper": ui.tr("admin_ops.paper.status_paper")}
    return pd.DataFrame([{
        ui.tr("admin_ops.paper.col_line"): row.line,
        ui.tr("admin_ops.paper.col_status"): status[row.replaces],
        ui.tr("admin_ops.paper.col_enterprise"): row.enterprise,
        ui.tr("admin_ops.paper.col_enterprise_name"): row.enterprise_name,
        ui.tr("admin_ops.paper.col_agency"): labels.agency_name(agencies[row.agency], lang),
        **{item_names[code]: rating for code, rating in row.ratings.items()},
        ui.tr("admin_ops.paper.col_comment"): row.comment,
    } for row in preview.rows])


def do_import(data: bytes, name: str) -> None:
    try:
        counts = paper_returns.import_paper_returns(db, me, data, name, replace)
    except QipingError as error:
        ui.show_error(error)
    else:
        st.session_state["paper_flash"] = ui.tr("admin_ops.paper.imported", **counts)
        st.session_state["paper_imports"] = st.session_state.get("paper_imports", 0) + 1
        st.rerun()


if upload is not None:
    data = upload.getvalue()
    try:
        with st.spinner(ui.tr("admin_ops.paper.checking")):
            preview = paper_returns.preview_paper_returns(db, me, data, upload.name, replace)
    except QipingError as error:
        ui.show_error(error)
    else:
        st.subheader(ui.tr("admin_ops.paper.step_preview"))
        cols = st.columns(4)
        cols[0].metric(ui.tr("admin_ops.paper.rows"), len(preview.rows))
        cols[1].metric(ui.tr("admin_ops.paper.new"), preview.new)
        cols[2].metric(ui.tr("admin_ops.paper.replacing_online"), preview.replacing("online"))
        cols[3].metric(ui.tr("admin_ops.paper.replacing_paper"), preview.replacing("paper"))
        st.dataframe(preview_table(preview), hide_index=True)
        st.caption(ui.tr("admin_ops.paper.import_explained"))
        if st.checkbox(ui.tr("admin_ops.paper.confirm", count=len(preview.rows)), key=f"confirm_{upload_key}"):
            if st.button(ui.tr("admin_ops.paper.import_button"), type="primary"):
                do_import(data, upload.name)
