"""Administrator: staff accounts (create, reset password, deactivate) and the
enterprises' access codes (issue, rotate, print the slips for the letters)."""
from __future__ import annotations

import streamlit as st

import labels
from app_pages import next_step
from app_pages import ui
from surveys.reports import access_slips
from surveys.participants import accounts
from surveys.participants import registry
from surveys.collection import rounds
from surveys.participants import roster_admin
from surveys.reports.access_slips import IssuedCode
from surveys.core.errors import QipingError

db = ui.db()
me = ui.actor()
lang = ui.lang()
st.title(ui.tr("nav.accounts_admin"))
st.caption(ui.tr("roster_admin.accounts_caption"))
next_step.show()

SHEET = "issued_sheet"  # the codes just issued, kept in this session until the administrator clears them


def run(step, *args, done: str) -> None:
    ui.run_step(step, *args, done=done, flash="accounts_flash")


def passwords(prefix: str, label_key: str) -> tuple[str, str]:
    rule = ui.tr("account.password_rule", minimum=accounts.MIN_PASSWORD_LENGTH)
    first = st.text_input(ui.tr(label_key), type="password", help=rule, key=f"{prefix}_pw")
    again = st.text_input(ui.tr("account.repeat_password"), type="password", key=f"{prefix}_pw2")
    return first, again


# --- staff ------------------------------------------------------------------------

agency_names = {a["code"]: labels.agency_name(a, lang) for a in registry.list_agencies(db, active_only=False)}


def staff_table(rows: list[dict]) -> None:
    st.dataframe(
        [{ui.tr("roster_admin.field.username"): r["username"],
          ui.tr("roster_admin.field.display_name"): r["display_name"],
          ui.tr("roster_admin.field.role"): ui.tr(f"roles.{r['role']}"),
          ui.tr("roster_admin.field.agency"): agency_names.get(r["agency_code"], r["agency_code"] or ""),
          ui.tr("roster_admin.col_status"): ui.tr("roster_admin.status.active" if r["active"]
                                                  else "roster_admin.status.inactive")} for r in rows],
        hide_index=True,
    )


def staff_creator() -> None:
    with st.expander(ui.tr("roster_admin.staff.create_heading"), expanded=False):
        role = st.radio(ui.tr("roster_admin.field.role"), list(accounts.STAFF_ROLES), horizontal=True,
                        format_func=lambda r: ui.tr(f"roles.{r}"), key="new_staff_role")
        st.caption(ui.tr(f"roster_admin.staff.role_help.{role}"))
        with st.form("create_staff", clear_on_submit=False):
            username = st.text_input(ui.tr("roster_admin.field.username"), help=ui.tr("roster_admin.staff.username_help"),
                                     key="new_staff_username")
            display_name = st.text_input(ui.tr("roster_admin.field.display_name"), key="new_staff_display")
            agency = None
            if role == "agency":
                active = [a["code"] for a in registry.list_agencies(db)]
                agency = st.selectbox(ui.tr("roster_admin.field.agency"), active, key="new_staff_agency",
                                      format_func=lambda c: ui.tr("roster_admin.option", name=agency_names[c], ident=c))
            first, again = passwords("new_staff", "roster_admin.staff.password")
            if st.form_submit_button(ui.tr("roster_admin.staff.create_button"), type="primary"):
                if first != again:
                    st.error(ui.tr("account.passwords_differ"))
                else:
                    run(accounts.create_staff, username, first, role, agency, display_name,
                        done=ui.tr("roster_admin.staff.created", username=username.strip().lower()))


def staff_manager(row: dict) -> None:
    username = row["username"]
    with st.form(f"reset_{username}", clear_on_submit=True):
        st.markdown(f"**{ui.tr('roster_admin.staff.reset_heading', username=username)}**")
        st.caption(ui.tr("roster_admin.staff.reset_explained"))
        first, again = passwords(f"reset_{username}", "account.new_password")
        if st.form_submit_button(ui.tr("roster_admin.staff.reset_button")):
            if first != again:
                st.error(ui.tr("account.passwords_differ"))
            else:
                run(accounts.reset_password, username, first,
                    done=ui.tr("roster_admin.staff.password_reset", username=username))
    if username == me.id:
        st.caption(ui.tr("roster_admin.staff.this_is_you"))
    elif row["active"]:
        st.caption(ui.tr("roster_admin.staff.deactivate_explained"))
        if st.checkbox(ui.tr("roster_admin.confirm_deactivate", ident=username), key=f"confirm_off_staff_{username}"):
            if st.button(ui.tr("roster_admin.deactivate"), key=f"off_staff_{username}"):
                run(accounts.set_staff_active, username, False, done=ui.tr("roster_admin.deactivated", ident=username))
    elif st.button(ui.tr("roster_admin.reactivate"), key=f"on_staff_{username}"):
        run(accounts.set_staff_active, username, True, done=ui.tr("roster_admin.reactivated", ident=username))


def staff_tab() -> None:
    st.caption(ui.tr("roster_admin.staff.help"))
    rows = accounts.list_staff(db, me)
    staff_table(rows)
    by_name = {r["username"]: r for r in rows}
    chosen = st.selectbox(ui.tr("roster_admin.staff.choose"), list(by_name), key="staff_chosen",
                          format_func=lambda u: ui.tr("roster_admin.option", name=by_name[u]["display_name"] or u,
                                                      ident=u))
    if chosen:
        staff_manager(by_name[chosen])
    staff_creator()


# --- access codes -------------------------------------------------------------------

def letter_round() -> str | None:
    """The round the letters open: the open one, or one still in draft."""
    candidates = [r["name"] for r in rounds.list_rounds(db) if r["status"] in rounds.BEFORE_CLOSE]
    if not candidates:
        st.info(ui.tr("roster_admin.codes.no_round"))
        return None
    return st.selectbox(ui.tr("roster_admin.codes.round"), candidates, key="slip_round",
                        format_func=lambda name: labels.round_label(name, lang))


def keep_sheet(issued: list[IssuedCode], round_name: str | None, slip_lang: str) -> None:
    details = access_slips.letter_details(db, round_name, slip_lang)
    with st.spinner(ui.tr("roster_admin.codes.drawing")):  # a QR code per slip: seconds for a whole county
        sheet_html = access_slips.render_slips(issued, details, slip_lang, access_slips.base_url(db))
    st.session_state[SHEET] = {
        "html": sheet_html,
        "count": len(issued),
        "single": issued[0] if len(issued) == 1 else None,
        "file": f"access-codes-{round_name or 'slips'}.html",
        "base": access_slips.base_url(db),  # the base the slips were drawn with, not whatever it is later
    }


def loopback_confirmed(base: str, key: str) -> bool:
    """Slips whose link leads back to this computer are for a trial only: said loudly, and
    downloaded only once the administrator has ticked that they know."""
    if not access_slips.is_loopback(base):
        return True
    st.error(ui.tr_md("roster_admin.codes.loopback_warning", base=base), icon=":material/link_off:")
    return st.checkbox(ui.tr("roster_admin.codes.confirm_loopback"), key=key)


def issued_sheet() -> None:
    """The codes of the last issue, with the sheet to download: shown until cleared."""
    sheet = st.session_state.get(SHEET)
    if not sheet:
        return
    with st.container(border=True):
        st.success(ui.tr("roster_admin.codes.issued", count=sheet["count"]))
        st.warning(ui.tr("roster_admin.codes.shown_once"))
        single = sheet["single"]
        if single is not None:
            st.text(ui.tr("roster_admin.codes.code_for", ident=single.uscc))
            st.code(single.code, language=None)
            st.code(access_slips.sign_in_link(single.code, sheet["base"]), language=None)
        if sheet["count"]:
            confirmed = loopback_confirmed(sheet["base"], "confirm_loopback_sheet")
            st.download_button(ui.tr("roster_admin.codes.download"), sheet["html"], file_name=sheet["file"],
                               mime="text/html", type="primary", on_click="ignore", icon=":material/print:",
                               disabled=not confirmed, key="download_sheet")
            st.caption(ui.tr("roster_admin.codes.print_help"))
        if st.button(ui.tr("roster_admin.codes.clear"), key="clear_sheet"):
            del st.session_state[SHEET]
            st.rerun()


def letter_contact_setting() -> None:
    """The contact every slip prints; without one the enterprise has nobody to call."""
    current = access_slips.letter_contact(db)
    with st.form("letter_contact_form", border=False):
        contact = st.text_input(ui.tr("roster_admin.codes.contact"), value=current, key="letter_contact",
                                help=ui.tr("roster_admin.codes.contact_help"),
                                max_chars=access_slips.MAX_CONTACT)
        if st.form_submit_button(ui.tr("roster_admin.codes.contact_save")):
            run(access_slips.set_letter_contact, contact, done=ui.tr("roster_admin.codes.contact_saved"))
    if not current:
        st.warning(ui.tr("roster_admin.codes.contact_missing"))


def issue_one(round_name: str | None, slip_lang: str) -> None:
    st.markdown(f"**{ui.tr('roster_admin.codes.one_heading')}**")
    query = st.text_input(ui.tr("roster_admin.search"), placeholder=ui.tr("roster_admin.search_placeholder"),
                          key="code_query")
    rows = roster_admin.search_enterprises(db, me, query, "active")
    if not rows:
        st.caption(ui.tr("roster_admin.found", count=0))
        return
    by_uscc = {r["uscc"]: r for r in rows}
    uscc = st.selectbox(ui.tr("roster_admin.choose_enterprise"), list(by_uscc), key="code_enterprise",
                        format_func=lambda u: ui.tr("roster_admin.option", name=by_uscc[u]["name"], ident=u))
    row = by_uscc[uscc]
    if row["has_code"]:
        st.caption(ui.tr("roster_admin.codes.has_code"))
        ready = st.checkbox(ui.tr("roster_admin.codes.confirm_rotate_one"), key=f"confirm_rotate_{uscc}")
    else:
        st.caption(ui.tr("roster_admin.codes.no_code"))
        ready = True
    if ready and st.button(ui.tr("roster_admin.codes.issue_one_button"), key="issue_one"):
        try:
            code = accounts.issue_access_code(ui.db(), me, uscc)
        except QipingError as error:
            ui.show_error(error)
        else:
            keep_sheet([IssuedCode(uscc, row["name"], code)], round_name, slip_lang)
            st.rerun()


def issue_many(round_name: str | None, slip_lang: str) -> None:
    st.markdown(f"**{ui.tr('roster_admin.codes.bulk_heading')}**")
    counts = access_slips.code_counts(db, me)
    scope = st.radio(ui.tr("roster_admin.codes.scope"), list(access_slips.SCOPES), key="code_scope",
                     format_func=lambda s: ui.tr(f"roster_admin.codes.scope_{s}", **counts))
    ready = True
    if scope == access_slips.ALL:
        st.warning(ui.tr("roster_admin.codes.rotate_all_warning", count=counts["with_code"]))
        ready = st.checkbox(ui.tr("roster_admin.codes.confirm_rotate_all"), key="confirm_rotate_all")
    nothing_to_do = scope == access_slips.MISSING and counts["without_code"] == 0
    if ready and st.button(ui.tr("roster_admin.codes.bulk_button"), type="primary", key="issue_many",
                           disabled=nothing_to_do):
        bar = st.progress(0.0, text=ui.tr("roster_admin.codes.working"))

        def progress(done: int, total: int) -> None:
            if done == total or done % max(1, total // 50) == 0:  # about 50 updates, not one per code
                bar.progress(done / total, text=ui.tr("roster_admin.codes.progress", done=done, total=total))

        try:
            issued = access_slips.issue_access_codes(ui.db(), me, scope, progress=progress)
        except QipingError as error:
            ui.show_error(error)
        else:
            keep_sheet(issued, round_name, slip_lang)
            st.rerun()


def codes_tab() -> None:
    st.caption(ui.tr("roster_admin.codes.help"))
    st.info(ui.tr("roster_admin.codes.stored_as_hash"))
    issued_sheet()
    left, right = st.columns(2)
    with left:
        round_name = letter_round()
    with right:
        slip_lang = st.selectbox(ui.tr("roster_admin.codes.slip_language"), ["zh", "en"], key="slip_lang",
                                 format_func=lambda code: ui.tr(f"lang.{code}"))
    letter_contact_setting()
    if SHEET not in st.session_state and access_slips.is_loopback(access_slips.base_url(db)):
        # said before any code is issued, not only on the sheet (which says it itself)
        st.error(ui.tr_md("roster_admin.codes.loopback_warning", base=access_slips.base_url(db)),
                 icon=":material/link_off:")
    counts = access_slips.code_counts(db, me)
    a, b, c = st.columns(3)
    a.metric(ui.tr("roster_admin.codes.active"), counts["active"])
    b.metric(ui.tr("roster_admin.codes.with_code"), counts["with_code"])
    c.metric(ui.tr("roster_admin.codes.without_code"), counts["without_code"])
    with st.container(border=True):
        issue_one(round_name, slip_lang)
    with st.container(border=True):
        issue_many(round_name, slip_lang)


ui.show_flash("accounts_flash")

staff, codes = st.tabs([ui.tr("roster_admin.tab_staff"), ui.tr("roster_admin.tab_codes")])
with staff:
    staff_tab()
with codes:
    codes_tab()
