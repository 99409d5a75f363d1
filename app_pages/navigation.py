"""The navigation as data: every page with its title, icon, menu section and who sees it, and
each role's home page. streamlit_app.py draws it; tests read it without running the app.

Who sees a page is a condition of the permission table (permissions.meets): the capability
the page is for, or a tuple of them, all needed, "!" marking one whose holder a fuller page
serves instead. The services check again: hiding a page is not the protection.
"""
from __future__ import annotations

from dataclasses import dataclass

from surveys.core.actors import ADMIN, AGENCY, CITY, DISCIPLINE, ENTERPRISE, Actor
from surveys.core.permissions import meets

# Menu sections in order; titles are nav.section.<name> in the catalogue. Folders hold a
# role's pages; sections say what a page is for, so an administrator's results and an
# agency's results sit under the same heading.
SECTIONS = ("survey", "results", "follow_up", "administration", "account")


@dataclass(frozen=True)
class PageEntry:
    path: str
    title_key: str
    icon: str
    section: str
    shown_when: str | tuple[str, ...]


PAGES = [
    PageEntry("app_pages/enterprise/survey.py", "nav.survey", ":material/edit_note:", "survey", "responses.submit"),
    PageEntry("app_pages/enterprise/enterprise_problems.py", "nav.enterprise_problems", ":material/report:",
              "survey", "problems.raise"),
    PageEntry("app_pages/enterprise/my_history.py", "nav.my_history", ":material/history:", "survey",
              "responses.view_own"),
    PageEntry("app_pages/shared/agency_dashboard.py", "nav.agency_dashboard", ":material/monitoring:", "results",
              "results.view_agency"),
    PageEntry("app_pages/shared/county_overview.py", "nav.county_overview", ":material/dashboard:", "results",
              "results.view_all"),
    # the ranking with one's own agency marked; the county overview ranks for those acting on every agency
    PageEntry("app_pages/agency/ranking.py", "nav.ranking", ":material/leaderboard:", "results",
              ("ranking.view", "!agencies.all")),
    # the year's assessment: one's own agency's year for an agency, every agency's for the county
    PageEntry("app_pages/shared/annual.py", "nav.annual", ":material/workspace_premium:", "results", "ranking.view"),
    PageEntry("app_pages/shared/reports.py", "nav.reports", ":material/description:", "results", "reports.export"),
    PageEntry("app_pages/agency/agency_cases.py", "nav.agency_cases", ":material/assignment:", "follow_up",
              "cases.view_own"),
    PageEntry("app_pages/agency/agency_appeals.py", "nav.agency_appeals", ":material/gavel:", "follow_up",
              "appeals.lodge"),
    PageEntry("app_pages/agency/agency_problems.py", "nav.agency_problems", ":material/build:", "follow_up",
              "problems.answer"),
    PageEntry("app_pages/discipline/case_inbox.py", "nav.case_inbox", ":material/inbox:", "follow_up",
              "cases.review"),
    PageEntry("app_pages/discipline/appeals_review.py", "nav.appeals_review", ":material/balance:", "follow_up",
              "appeals.decide"),
    # every problem, and who raised one (the page's reveal form)
    PageEntry("app_pages/discipline/problems_overview.py", "nav.problems_overview", ":material/pending_actions:",
              "follow_up", ("problems.view_all", "rater.reveal")),
    # coaching and stuffing signals: the discipline office only, never an agency or the administrator
    PageEntry("app_pages/discipline/signals.py", "nav.signals", ":material/policy:", "follow_up", "signals.review"),
    # the month's casework: the whole county, or an agency's own line (surveys/reports/monthly.py)
    PageEntry("app_pages/shared/monthly_bulletin.py", "nav.monthly_bulletin", ":material/calendar_view_month:",
              "follow_up", "monthly.view"),
    PageEntry("app_pages/admin/rounds_admin.py", "nav.rounds", ":material/event:", "administration",
              "rounds.manage"),
    PageEntry("app_pages/admin/annual_admin.py", "nav.annual_admin", ":material/fact_check:", "administration",
              "annual.manage"),
    PageEntry("app_pages/admin/monitoring.py", "nav.monitoring", ":material/query_stats:", "administration",
              "monitoring.view"),
    PageEntry("app_pages/admin/paper_returns.py", "nav.paper_returns", ":material/upload_file:", "administration",
              "paper.import"),
    PageEntry("app_pages/admin/exclusions_admin.py", "nav.exclusions", ":material/block:", "administration",
              "exclusions.manage"),
    PageEntry("app_pages/admin/roster_admin.py", "nav.roster", ":material/groups:", "administration",
              "roster.manage"),
    PageEntry("app_pages/admin/groups_admin.py", "nav.groups", ":material/category:", "administration",
              "groups.manage"),
    PageEntry("app_pages/admin/accounts_admin.py", "nav.accounts_admin", ":material/manage_accounts:",
              "administration", "accounts.manage"),
    PageEntry("app_pages/admin/questionnaires_admin.py", "nav.questionnaires", ":material/quiz:", "administration",
              "questionnaires.manage"),
    PageEntry("app_pages/admin/calendar_admin.py", "nav.calendar", ":material/calendar_month:", "administration",
              "calendar.manage"),
    PageEntry("app_pages/admin/audit_log.py", "nav.audit_log", ":material/receipt_long:", "administration",
              "audit.view"),
    PageEntry("app_pages/city/city_ranking.py", "nav.city_ranking", ":material/leaderboard:", "results",
              "city.view"),
    PageEntry("app_pages/shared/account.py", "nav.account", ":material/person:", "account", "accounts.own_password"),
]
SIGN_IN = PageEntry("app_pages/shared/sign_in.py", "nav.sign_in", ":material/login:", "account", ())
# Where each role lands after signing in: its daily work.
HOME = {ENTERPRISE: "app_pages/enterprise/survey.py", AGENCY: "app_pages/shared/agency_dashboard.py",
        DISCIPLINE: "app_pages/discipline/case_inbox.py", ADMIN: "app_pages/admin/rounds_admin.py",
        CITY: "app_pages/city/city_ranking.py"}


def pages_for(actor: Actor) -> dict[str, list[PageEntry]]:
    """The pages ``actor`` sees, by section, in menu order (empty sections left out)."""
    shown = [page for page in PAGES if meets(actor, page.shown_when)]
    return {section: [page for page in shown if page.section == section]
            for section in SECTIONS if any(page.section == section for page in shown)}


def pages_of_role(role: str) -> list[PageEntry]:
    """Every page an account of ``role`` sees, in menu order."""
    return [page for pages in pages_for(Actor(role=role, id=role)).values() for page in pages]
