"""Administrator: the agency and enterprise rosters — search, add, edit,
deactivate — and importing them from a file."""
from __future__ import annotations

import streamlit as st

import labels
from app_pages import next_step
from app_pages import panel_support
from app_pages import ui
from surveys.participants import panels
from surveys.participants import registry
from surveys.participants import roster_admin
from surveys.core.errors import QipingError
from surveys.participants.uscc import normalise

db = ui.db()
me = ui.actor()
st.title(ui.tr("roster.title"))
st.caption(ui.tr("roster_admin.caption"))
next_step.show()


def field(name: str) -> str:
    return ui.tr(f"roster_admin.field.{name}")


def run(step, *args, done: str) -> None:
    ui.run_step(step, *args, done=done, flash="roster_flash")


def status_text(active) -> str:
    return ui.tr("roster_admin.status.active" if active else "roster_admin.status.inactive")


def yes_no(value) -> str:
    return ui.tr("roster_admin.yes" if value else "roster_admin.no")


def activation(kind: str, ident: str, active: bool, setter) -> None:
    """Deactivate (explained, with a confirmation) or reactivate one agency or enterprise."""
    if active:
        st.caption(ui.tr(f"roster_admin.{kind}_deactivate_explained"))
        if st.checkbox(ui.tr("roster_admin.confirm_deactivate", ident=ident), key=f"confirm_off_{kind}_{ident}"):
            if st.button(ui.tr("roster_admin.deactivate"), key=f"off_{kind}_{ident}"):
                run(setter, ident, False, done=ui.tr("roster_admin.deactivated", ident=ident))
    else:
        st.caption(ui.tr(f"roster_admin.{kind}_reactivate_explained"))
        if st.button(ui.tr("roster_admin.reactivate"), key=f"on_{kind}_{ident}"):
            run(setter, ident, True, done=ui.tr("roster_admin.reactivated", ident=ident))


# --- enterprises ------------------------------------------------------------------

def enterprise_table(rows: list[dict]) -> None:
    st.dataframe(
        [{field("uscc"): r["uscc"], field("name"): r["name"],
          ui.tr("panels.roster.col_panel"): panel_support.panel_name(r["panel"]), field("industry"): r["industry"],
          field("contact_person"): r["contact_person"], field("contact_phone"): r["contact_phone"],
          ui.tr("roster_admin.col_status"): status_text(r["active"]),
          ui.tr("roster_admin.col_has_code"): yes_no(r["has_code"])} for r in rows],
        hide_index=True,
    )


def enterprise_editor(row: dict) -> None:
    uscc = row["uscc"]
    with st.form(f"edit_enterprise_{uscc}"):
        st.markdown(f"**{ui.tr('roster_admin.edit_enterprise', uscc=uscc)}**")
        values = [st.text_input(field(f), value=row[f], key=f"e_{f}_{uscc}") for f in roster_admin.ENTERPRISE_FIELDS]
        if st.form_submit_button(ui.tr("roster_admin.save_changes"), type="primary"):
            run(roster_admin.update_enterprise, uscc, *values, done=ui.tr("roster_admin.saved", ident=uscc))
    activation("enterprise", uscc, bool(row["active"]), roster_admin.set_enterprise_active)


def enterprise_adder() -> None:
    with st.expander(ui.tr("roster_admin.add_enterprise")):
        with st.form("add_enterprise", clear_on_submit=False):
            uscc = st.text_input(field("uscc"), help=ui.tr("roster_admin.uscc_help"), key="new_uscc")
            values = [st.text_input(field(f), key=f"new_{f}") for f in roster_admin.ENTERPRISE_FIELDS]
            if st.form_submit_button(ui.tr("roster_admin.add_button"), type="primary", key="add_enterprise_submit"):
                run(roster_admin.add_enterprise, uscc, *values, done=ui.tr("roster_admin.added", ident=normalise(uscc)))


def enterprises_tab() -> None:
    st.caption(ui.tr("roster_admin.enterprises_help"))
    search, status = st.columns([3, 1])
    query = search.text_input(ui.tr("roster_admin.search"), placeholder=ui.tr("roster_admin.search_placeholder"),
                              key="enterprise_query")
    which = status.selectbox(ui.tr("roster_admin.status_filter"), ["all", "active", "inactive"],
                             format_func=lambda s: ui.tr(f"roster_admin.status.{s}"), key="enterprise_status")
    rows = roster_admin.search_enterprises(db, me, query, which)
    st.caption(ui.tr("roster_admin.found", count=len(rows)))
    if rows:
        enterprise_table(rows)
        by_uscc = {r["uscc"]: r for r in rows}
        chosen = st.selectbox(ui.tr("roster_admin.choose_enterprise"), list(by_uscc), key="enterprise_chosen",
                              format_func=lambda u: ui.tr("roster_admin.option", name=by_uscc[u]["name"], ident=u))
        enterprise_editor(by_uscc[chosen])
    enterprise_adder()


# --- agencies ---------------------------------------------------------------------

GROUPS = {g["code"]: g for g in registry.list_groups(db)}


def group_text(code: str) -> str:
    return labels.group_name(code, GROUPS, ui.lang())


def agency_table(rows: list[dict]) -> None:
    st.dataframe(
        [{field("code"): r["code"], field("name_zh"): r["name_zh"], field("name_en"): r["name_en"],
          field("group_code"): group_text(r["group_code"]), ui.tr("roster_admin.col_status"): status_text(r["active"]),
          ui.tr("roster_admin.col_staff"): r["staff"],
          ui.tr("roster_admin.col_history"): yes_no(r["has_history"])} for r in rows],
        hide_index=True,
    )


def group_choice(current: str | None, key: str) -> str:
    """The agency groups the administrator keeps (page 'Agency groups'), in their order."""
    options = list(GROUPS)
    if current and current not in options:
        options.append(current)
    names = {g: group_text(g) for g in options}  # bound now, not read later
    return st.selectbox(field("group_code"), options, index=options.index(current) if current else 0,
                        format_func=names.get, key=key)


def agency_deleter(row: dict) -> None:
    code = row["code"]
    if row["has_history"] or row["staff"]:
        st.caption(ui.tr("roster_admin.cannot_delete", ident=code))
        return
    st.caption(ui.tr("roster_admin.delete_explained"))
    if st.checkbox(ui.tr("roster_admin.confirm_delete", ident=code), key=f"confirm_delete_{code}"):
        if st.button(ui.tr("roster_admin.delete"), key=f"delete_{code}"):
            run(roster_admin.delete_agency, code, done=ui.tr("roster_admin.deleted", ident=code))


def agency_editor(row: dict) -> None:
    code = row["code"]
    with st.form(f"edit_agency_{code}"):
        st.markdown(f"**{ui.tr('roster_admin.edit_agency', code=code)}**")
        name_zh = st.text_input(field("name_zh"), value=row["name_zh"], key=f"a_zh_{code}")
        name_en = st.text_input(field("name_en"), value=row["name_en"], key=f"a_en_{code}")
        group = group_choice(row["group_code"], key=f"a_group_{code}")
        if st.form_submit_button(ui.tr("roster_admin.save_changes"), type="primary"):
            run(roster_admin.update_agency, code, name_zh, name_en, group, done=ui.tr("roster_admin.saved", ident=code))
    activation("agency", code, bool(row["active"]), roster_admin.set_agency_active)
    agency_deleter(row)


def agency_adder() -> None:
    with st.expander(ui.tr("roster_admin.add_agency")):
        with st.form("add_agency"):
            code = st.text_input(field("code"), help=ui.tr("roster_admin.code_help"), key="new_code")
            name_zh = st.text_input(field("name_zh"), key="new_name_zh")
            name_en = st.text_input(field("name_en"), key="new_name_en")
            group = group_choice(None, key="new_agency_group")
            if st.form_submit_button(ui.tr("roster_admin.add_button"), type="primary", key="add_agency_submit"):
                run(roster_admin.add_agency, code, name_zh, name_en, group,
                    done=ui.tr("roster_admin.added", ident=code.strip().upper()))


def agencies_tab() -> None:
    st.caption(ui.tr("roster_admin.agencies_help"))
    rows = roster_admin.agencies_overview(db, me)
    agency_table(rows)
    if rows:
        by_code = {r["code"]: r for r in rows}
        chosen = st.selectbox(ui.tr("roster_admin.choose_agency"), list(by_code), key="agency_chosen",
                              format_func=lambda c: ui.tr("roster_admin.option", name=by_code[c]["name_zh"], ident=c))
        agency_editor(by_code[chosen])
    agency_adder()


# --- import -----------------------------------------------------------------------

PANEL_RATERS = "panel_raters"  # deputies, CPPCC members and supervisors (surveys/participants/panels.py)
IMPORTERS = {"enterprises": registry.import_enterprises, "agencies": registry.import_agencies,
             PANEL_RATERS: panels.import_panel_raters}
PREVIEWERS = {"enterprises": registry.preview_enterprises, "agencies": registry.preview_agencies,
              PANEL_RATERS: panels.preview_panel_raters}


def kind_text(kind: str) -> str:
    return ui.tr("panels.roster.kind") if kind == PANEL_RATERS else ui.tr(f"roster.kind_{kind}")


def change_field(kind: str, name: str) -> str:
    return ui.tr(f"panels.field.{name}") if kind == PANEL_RATERS else field(name)


def change_value(name: str, value: str) -> str:
    """A panel's code as its name; every other value as the file has it."""
    return panel_support.panel_name(value) if name == "panel" and value else value


def change_table(preview: registry.RosterPreview) -> list[dict]:
    """One line per changed field, old → new; an unchanged row has none."""
    status = {s: ui.tr(f"roster.change_{s}") for s in ("new", "changed")}
    return [{ui.tr("roster.col_line"): row.line, ui.tr("roster.col_key"): row.key, ui.tr("roster.col_name"): row.name,
             ui.tr("roster.col_change"): status[row.status], ui.tr("roster.col_field"): change_field(preview.kind, name),
             ui.tr("roster.col_old"): change_value(name, old), ui.tr("roster.col_new"): change_value(name, new)}
            for row in preview.rows for name, old, new in row.changes]


def show_preview(kind: str, preview: registry.RosterPreview, data: bytes, name: str, upload_key: str) -> None:
    st.subheader(ui.tr("roster.preview_heading"))
    cols = st.columns(3)
    for column, status in zip(cols, ("new", "changed", "unchanged")):
        column.metric(ui.tr(f"roster.count_{status}"), preview.count(status))
    if preview.kept:
        kept = ui.tr("roster.list_separator").join(change_field(preview.kind, f) for f in preview.kept)
        st.info(ui.tr("roster.kept_columns", fields=kept))
    changes = change_table(preview)
    if not changes:
        st.caption(ui.tr("roster.nothing_changes"))
        return
    st.dataframe(changes, hide_index=True)
    if st.checkbox(ui.tr("roster.confirm", count=preview.count("new") + preview.count("changed")),
                   key=f"confirm_{upload_key}"):
        if st.button(ui.tr("roster.import_button"), type="primary", key=f"import_{upload_key}"):
            importer = IMPORTERS[kind]
            try:
                result = importer(db, me, data, name)
            except QipingError as error:
                ui.show_error(error)
            else:
                st.session_state["roster_flash"] = ui.tr("roster.imported", **result)
                st.session_state["roster_imports"] = st.session_state.get("roster_imports", 0) + 1
                st.rerun()


def import_tab() -> None:
    st.caption(ui.tr("roster.import_help"))
    kind = st.radio(ui.tr("roster.kind"), list(IMPORTERS), horizontal=True, format_func=kind_text)
    st.caption(ui.tr("panels.roster.columns" if kind == PANEL_RATERS else f"roster.columns_{kind}"))
    # a new key after each import empties the uploader
    upload_key = f"upload_{kind}_{st.session_state.get('roster_imports', 0)}"
    upload = ui.table_upload(ui.tr("roster.file"), upload_key)
    if upload is None:
        return
    data = upload.getvalue()
    previewer = PREVIEWERS[kind]
    try:
        with st.spinner(ui.tr("roster.checking")):
            preview = previewer(db, me, data, upload.name)
    except QipingError as error:
        ui.show_error(error)
    else:
        show_preview(kind, preview, data, upload.name, upload_key)


ui.show_flash("roster_flash")

counts = registry.roster_counts(db, me)
left, right = st.columns(2)
left.metric(ui.tr("roster.agencies"), counts["agencies"])
right.metric(ui.tr("roster.enterprises"), counts["enterprises"])
st.caption(ui.tr("panels.roster.counts", **panels.panel_counts(db, me)))

enterprises, agencies, imports = st.tabs([ui.tr("roster_admin.tab_enterprises"), ui.tr("roster_admin.tab_agencies"),
                                          ui.tr("roster.import_heading")])
with enterprises:
    enterprises_tab()
with agencies:
    agencies_tab()
with imports:
    import_tab()
