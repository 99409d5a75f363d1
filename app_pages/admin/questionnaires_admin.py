"""Administrator: questionnaire versions, the rounds that use them, and new versions."""
from __future__ import annotations

import pandas as pd
import streamlit as st

import labels
from app_pages import next_step
from app_pages import ui
from surveys.collection import questionnaire_admin
from surveys.collection import rounds
from surveys.core.errors import QipingError

db = ui.db()
me = ui.actor()
lang = ui.lang()
st.title(ui.tr("admin_ops.questionnaires.title"))
st.caption(ui.tr("admin_ops.questionnaires.caption"))
next_step.show()

if "questionnaire_flash" in st.session_state:
    st.success(st.session_state.pop("questionnaire_flash"))

versions = questionnaire_admin.list_versions(db, me)
FIELDS = questionnaire_admin.ITEM_FIELDS


def field_label(field: str) -> str:
    return ui.tr(f"admin_ops.questionnaires.field.{field}")


def used_by_text(entry: dict) -> str:
    if not entry["rounds"]:
        return ui.tr("admin_ops.questionnaires.unused")
    round_names = ui.tr("list_separator").join(labels.round_label(name, lang) for name in entry["rounds"])
    return ui.tr("admin_ops.questionnaires.used_by", rounds=round_names)


st.subheader(ui.tr("admin_ops.questionnaires.versions_heading"))
for entry in versions:
    form = entry["form"]
    with st.expander(ui.tr_md("admin_ops.questionnaires.version_label", version=form.version, title=form.title(lang)),
                     expanded=entry is versions[0]):
        st.caption(used_by_text(entry))
        st.dataframe(pd.DataFrame([{field_label("code"): i.code, field_label(lang): i.text(lang),
                                    field_label("weight"): i.weight} for i in form.items]), hide_index=True)

st.subheader(ui.tr("admin_ops.questionnaires.new_heading"))
st.caption(ui.tr("admin_ops.questionnaires.new_explained"))
by_number = {entry["version"]: entry for entry in versions}
base_number = st.selectbox(ui.tr("admin_ops.questionnaires.base"), list(by_number),
                           format_func=lambda v: ui.tr("admin_ops.questionnaires.version_label", version=v,
                                                       title=by_number[v]["form"].title(lang)))
base = by_number[base_number]
title_zh = st.text_input(field_label("title_zh"), value=base["form"].title_zh, key=f"title_zh_{base_number}")
title_en = st.text_input(field_label("title_en"), value=base["form"].title_en, key=f"title_en_{base_number}")
st.caption(ui.tr("admin_ops.questionnaires.editor_help"))
edited = st.data_editor(
    pd.DataFrame([{"code": i.code, "zh": i.zh, "en": i.en, "weight": i.weight} for i in base["form"].items],
                 columns=list(FIELDS)),
    num_rows="dynamic", hide_index=True, key=f"items_{base_number}",
    column_config={
        "code": st.column_config.TextColumn(field_label("code"), help=ui.tr("admin_ops.questionnaires.code_help")),
        "zh": st.column_config.TextColumn(field_label("zh"), width="large"),
        "en": st.column_config.TextColumn(field_label("en"), width="large"),
        "weight": st.column_config.NumberColumn(field_label("weight"), min_value=0.0,
                                                help=ui.tr("admin_ops.questionnaires.weight_help")),
    },
)
items = edited.astype(object).where(edited.notna(), None).to_dict("records")  # empty cells as None


def save(step, *args, done_key: str) -> None:
    try:
        result = step(db, me, *args, title_zh, title_en, items)
    except QipingError as error:
        ui.show_error(error)
    else:
        st.session_state["questionnaire_flash"] = ui.tr(done_key, version=result or base_number)
        st.rerun()


if st.button(ui.tr("admin_ops.questionnaires.create_button"), type="primary"):
    save(questionnaire_admin.create_version, base_number, done_key="admin_ops.questionnaires.created")
if base["in_use"]:
    st.caption(ui.tr("admin_ops.questionnaires.in_use_note", version=base_number))
elif st.checkbox(ui.tr("admin_ops.questionnaires.confirm_update", version=base_number)):
    if st.button(ui.tr("admin_ops.questionnaires.update_button", version=base_number)):
        save(questionnaire_admin.update_version, base_number, done_key="admin_ops.questionnaires.updated")
