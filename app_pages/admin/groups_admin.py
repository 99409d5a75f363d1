"""Administrator: the agency groups (DESIGN §4.9) — the list in order (add, rename,
move up or down, delete one nobody belongs to) and which group each agency is in."""
from __future__ import annotations

import streamlit as st

import labels
from app_pages import next_step
from app_pages import ui
from surveys.participants import groups
from surveys.participants import roster_admin

db = ui.db()
me = ui.actor()
lang = ui.lang()
st.title(ui.tr("groups.admin.title"))
st.caption(ui.tr("groups.admin.caption"))
next_step.show()
FLASH = "groups_flash"


def run(step, *args, done: str) -> None:
    ui.run_step(step, *args, done=done, flash=FLASH)


def group_list(rows: list[dict]) -> None:
    st.subheader(ui.tr("groups.admin.list_heading"))
    st.dataframe(
        [{ui.tr("groups.admin.col_order"): index, ui.tr("groups.admin.col_code"): r["code"],
          ui.tr("groups.admin.col_name_zh"): r["name_zh"], ui.tr("groups.admin.col_name_en"): r["name_en"],
          ui.tr("groups.admin.col_agencies"): f"{r['active_agencies']} / {r['agencies']}",
          ui.tr("groups.admin.col_results"): r["results"]} for index, r in enumerate(rows, 1)],
        hide_index=True,
    )


def group_editor(row: dict, first: bool, last: bool) -> None:
    code = row["code"]
    with st.form(f"edit_group_{code}"):
        st.markdown(f"**{ui.tr_md('groups.admin.edit_heading', code=code)}**")
        name_zh = st.text_input(ui.tr("roster_admin.field.group_name_zh"), value=row["name_zh"], key=f"g_zh_{code}")
        name_en = st.text_input(ui.tr("roster_admin.field.group_name_en"), value=row["name_en"], key=f"g_en_{code}")
        if st.form_submit_button(ui.tr("groups.admin.save"), type="primary"):
            run(groups.rename_group, code, name_zh, name_en, done=ui.tr("groups.admin.saved", code=code))
    up, down = st.columns(2)
    if up.button(ui.tr("groups.admin.move_up"), key=f"up_{code}", disabled=first):
        run(groups.move_group, code, -1, done=ui.tr("groups.admin.moved"))
    if down.button(ui.tr("groups.admin.move_down"), key=f"down_{code}", disabled=last):
        run(groups.move_group, code, 1, done=ui.tr("groups.admin.moved"))
    group_deleter(row)


def group_deleter(row: dict) -> None:
    code = row["code"]
    if row["in_use"]:
        st.caption(ui.tr("groups.admin.cannot_delete", code=code, agencies=row["agencies"], results=row["results"]))
        return
    st.caption(ui.tr("groups.admin.delete_explained"))
    if st.checkbox(ui.tr("groups.admin.confirm_delete", code=code), key=f"confirm_delete_group_{code}"):
        if st.button(ui.tr("groups.admin.delete"), key=f"delete_group_{code}"):
            run(groups.delete_group, code, done=ui.tr("groups.admin.deleted", code=code))


def group_adder() -> None:
    with st.expander(ui.tr("groups.admin.add_heading")):
        with st.form("add_group"):
            code = st.text_input(ui.tr("roster_admin.field.group_code"), help=ui.tr("groups.admin.code_help"),
                                 key="new_group_code")
            name_zh = st.text_input(ui.tr("roster_admin.field.group_name_zh"), key="new_group_zh")
            name_en = st.text_input(ui.tr("roster_admin.field.group_name_en"), key="new_group_en")
            if st.form_submit_button(ui.tr("groups.admin.add_button"), type="primary", key="add_group_submit"):
                run(groups.add_group, code, name_zh, name_en,
                    done=ui.tr("groups.admin.added", code=code.strip().lower()))


def members(rows: list[dict]) -> None:
    """Each agency's group, and moving one agency to another group."""
    st.subheader(ui.tr("groups.admin.members_heading"))
    st.caption(ui.tr("groups.admin.members_caption"))
    by_code = {r["code"]: r for r in rows}
    agencies = roster_admin.agencies_overview(db, me)
    st.dataframe(
        [{ui.tr("roster_admin.field.code"): a["code"], ui.tr("groups.admin.agency"): labels.agency_name(a, lang),
          ui.tr("groups.group"): labels.group_name(a["group_code"], by_code, lang),
          ui.tr("roster_admin.col_status"): ui.tr("roster_admin.status.active" if a["active"]
                                                  else "roster_admin.status.inactive")} for a in agencies],
        hide_index=True,
    )
    if not agencies:
        return
    names = {a["code"]: labels.agency_name(a, lang) for a in agencies}
    current = {a["code"]: a["group_code"] for a in agencies}
    with st.form("move_agency"):
        left, right = st.columns(2)
        # labels bound now: a format function must not read the session later (AppTest calls it outside a run)
        agency_labels = {c: ui.tr("roster_admin.option", name=names[c], ident=c) for c in names}
        group_labels = {g: labels.group_name(g, by_code, lang) for g in by_code}
        agency = left.selectbox(ui.tr("groups.admin.agency"), list(names), key="member_agency",
                                format_func=agency_labels.get)
        group = right.selectbox(ui.tr("groups.admin.move_agency"), list(by_code), key="member_group",
                                format_func=group_labels.get)
        if st.form_submit_button(ui.tr("groups.admin.move_agency_button"), type="primary"):
            if current.get(agency) != group:
                run(roster_admin.set_agency_group, agency, group,
                    done=ui.tr_md("groups.admin.agency_moved", agency=names[agency],
                               group=labels.group_name(group, by_code, lang)))


ui.show_flash(FLASH)
rows = groups.groups_overview(db, me)
group_list(rows)
if rows:
    by_code = {r["code"]: r for r in rows}
    order = list(by_code)
    options = {c: ui.tr("groups.admin.option", name=labels.group_name(c, by_code, lang), code=c) for c in order}
    chosen = st.selectbox(ui.tr("groups.admin.choose"), order, key="group_chosen", format_func=options.get)
    group_editor(by_code[chosen], first=chosen == order[0], last=chosen == order[-1])
group_adder()
members(rows)
