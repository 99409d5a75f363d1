"""Qiping 企评 — entry point: page config, language, sign-in, navigation by capability."""
from __future__ import annotations

import streamlit as st

import i18n
from app_pages import ui
from surveys.core.actors import ADMIN, AGENCY, DISCIPLINE, ENTERPRISE
from surveys.core.permissions import meets

st.session_state.setdefault("lang", i18n.DEFAULT_LANGUAGE)
st.set_page_config(page_title=ui.tr("app.name"), page_icon=":material/how_to_vote:", layout="wide")

# Pages in menu order, each listed for who meets its condition (permissions.meets):
# the capability the page is for, or a tuple of them — all needed, "!" marking one
# whose holder a fuller page serves instead. The services check again: hiding a
# page is not the protection. Every file listed exists (tests/structure/test_layers.py).
PAGES = [
    # (file, title key, icon, shown when)
    ("app_pages/enterprise/survey.py", "nav.survey", ":material/edit_note:", "responses.submit"),
    ("app_pages/enterprise/enterprise_problems.py", "nav.enterprise_problems", ":material/report:", "problems.raise"),
    ("app_pages/enterprise/my_history.py", "nav.my_history", ":material/history:", "responses.view_own"),
    ("app_pages/shared/agency_dashboard.py", "nav.agency_dashboard", ":material/monitoring:", "results.view_agency"),
    ("app_pages/shared/county_overview.py", "nav.county_overview", ":material/dashboard:", "results.view_all"),
    # the ranking with one's own agency marked; the county overview ranks for those acting on every agency
    ("app_pages/agency/ranking.py", "nav.ranking", ":material/leaderboard:", ("ranking.view", "!agencies.all")),
    ("app_pages/agency/agency_cases.py", "nav.agency_cases", ":material/assignment:", "cases.view_own"),
    ("app_pages/agency/agency_appeals.py", "nav.agency_appeals", ":material/gavel:", "appeals.lodge"),
    ("app_pages/agency/agency_problems.py", "nav.agency_problems", ":material/build:", "problems.answer"),
    ("app_pages/discipline/case_inbox.py", "nav.case_inbox", ":material/inbox:", "cases.review"),
    ("app_pages/discipline/appeals_review.py", "nav.appeals_review", ":material/balance:", "appeals.decide"),
    # every problem, and who raised one (the page's reveal form)
    ("app_pages/discipline/problems_overview.py", "nav.problems_overview", ":material/pending_actions:",
     ("problems.view_all", "rater.reveal")),
    ("app_pages/admin/rounds_admin.py", "nav.rounds", ":material/event:", "rounds.manage"),
    ("app_pages/admin/monitoring.py", "nav.monitoring", ":material/query_stats:", "monitoring.view"),
    ("app_pages/admin/paper_returns.py", "nav.paper_returns", ":material/upload_file:", "paper.import"),
    ("app_pages/admin/exclusions_admin.py", "nav.exclusions", ":material/block:", "exclusions.manage"),
    ("app_pages/shared/reports.py", "nav.reports", ":material/description:", "reports.export"),
    ("app_pages/admin/roster_admin.py", "nav.roster", ":material/groups:", "roster.manage"),
    ("app_pages/admin/accounts_admin.py", "nav.accounts_admin", ":material/manage_accounts:", "accounts.manage"),
    ("app_pages/admin/questionnaires_admin.py", "nav.questionnaires", ":material/quiz:", "questionnaires.manage"),
    ("app_pages/admin/calendar_admin.py", "nav.calendar", ":material/calendar_month:", "calendar.manage"),
    ("app_pages/admin/audit_log.py", "nav.audit_log", ":material/receipt_long:", "audit.view"),
    ("app_pages/shared/account.py", "nav.account", ":material/person:", "accounts.own_password"),
]
# Where each role lands after signing in: its daily work.
HOME = {ENTERPRISE: "app_pages/enterprise/survey.py", AGENCY: "app_pages/shared/agency_dashboard.py",
        DISCIPLINE: "app_pages/discipline/case_inbox.py", ADMIN: "app_pages/admin/rounds_admin.py"}


def language_switch() -> None:
    st.sidebar.segmented_control(
        ui.tr("lang.label"), options=list(i18n.LANGUAGES), key="lang",
        format_func=lambda code: i18n.t(f"lang.{code}", code), required=True,
        label_visibility="collapsed",
    )


def signed_in_sidebar(who) -> None:
    st.sidebar.caption(ui.tr_md("signin.signed_in_as", role=ui.tr(f"roles.{who.role}"), name=who.name))
    if st.sidebar.button(ui.tr("signin.sign_out"), icon=":material/logout:"):
        ui.sign_out()
        st.rerun()


def pages_for(who) -> list:
    if who is None:
        return [st.Page("app_pages/shared/sign_in.py", title=ui.tr("nav.sign_in"), icon=":material/login:")]
    return [st.Page(path, title=ui.tr(key), icon=icon, default=(path == HOME.get(who.role)))
            for path, key, icon, shown_when in PAGES if meets(who, shown_when)]


language_switch()
ui.demo_banner(ui.demo_exposure())
ui.warn_if_proxy_unconfigured()
ui.end_idle_session()
ui.end_deactivated_session()
ui.end_superseded_session()
who = ui.actor()
if who is not None:
    signed_in_sidebar(who)
    ui.warn_missing_calendar()
st.navigation(pages_for(who), expanded=True).run()  # every page listed, not "view more"
