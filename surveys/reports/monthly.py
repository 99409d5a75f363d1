"""The monthly bulletin (月通报) of casework: cases and problem tickets per agency for a calendar
month in county time — opened, closed, on time, late, overdue — the rectification and on-time
rates, the ranking on handling and the month's overdue list. The arithmetic and its definitions
are in surveys/reports/monthly_figures.py (pure); this module reads the casework and decides who
sees what.

Who sees what: the administrator and the discipline office (``agencies.all``) see the whole
county and may export the PDF and the workbook (``reports.export``). An agency sees its own line —
its figures, its place in the ranking and its own overdue items — and nothing of other agencies:
the bulletin has no publishing step (a round's ranking reaches agencies only once published,
DESIGN §5), and the current month's figures change every day. Nothing here rests on ratings, so
the minimum of three responses (DESIGN §6) does not apply; no enterprise is named anywhere — a
ticket is shown by its number only.

Withdrawn cases (a re-finalisation no longer supports them) count nowhere.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pandas as pd
import sqlite_utils

import labels
from surveys.casework import cases, problems
from surveys.core import clock, workdays
from surveys.core.actors import Actor
from surveys.core.errors import InvalidInput
from surveys.core.permissions import allowed, requires
from surveys.participants import registry
from surveys.reports import monthly_figures as figures
from surveys.reports import rates
from surveys.reports.round_report import county_name

# a ticket's steps after which it waits for its agency (answered: for the enterprise; solved: done).
# Issue 15: the enterprise rates an answer — 不满意 sends it back, the others close it; a contact,
# reminder or escalation leaves it with the agency (the default). The old names stay for old records.
PROBLEM_WAITING_STEPS = {"raised": True, problems.ANSWERED: False, "not_solved": True, "confirmed_solved": False,
                         **{f"rated_{rating}": rating == problems.DISSATISFIED
                            for rating in (*problems.RATINGS, problems.DEFAULT_SATISFIED)}}


@dataclass(frozen=True)
class MonthlyBulletin:
    """One month's bulletin as its reader may see it, language-neutral."""

    period: figures.Period
    county: str
    whole_county: bool  # False: one agency's own line only
    agencies: dict[str, dict]  # code -> agencies row (names in both languages)
    table: pd.DataFrame  # monthly_figures.agency_figures, best rank first, unranked last
    overdue: pd.DataFrame  # monthly_figures.overdue_list
    totals: dict  # the county's line (whole county only; else the agency's own)
    ranked: int  # how many agencies the ranking holds
    # the standard rates of the month (surveys/reports/rates.py, issue 15): the county, groups and
    # agencies for those who see every agency, else the reader's own line
    rates: pd.DataFrame = field(default_factory=pd.DataFrame)
    groups: dict[str, dict] = field(default_factory=dict)  # agency group code -> row, to name the rates' groups

    @property
    def month(self) -> str:
        return f"{self.period.year:04d}-{self.period.month:02d}"

    def agency_name(self, code: str, lang: str) -> str:
        return labels.agency_name(self.agencies[code], lang) if code in self.agencies else code

    @property
    def empty(self) -> bool:
        return not any(self.totals[m] for m in figures.MEASURES)


def parse_month(text: str) -> tuple[int, int]:
    """``YYYY-MM`` → (year, month), or a refusal naming the value."""
    try:
        year, month = (int(part) for part in str(text).split("-"))
        date(year, month, 1)
    except ValueError:
        raise InvalidInput("monthly.errors.bad_month", value=text) from None
    return year, month


def _case_items(db: sqlite_utils.Database) -> list[dict]:
    return [{"kind": figures.CASE, **row} for row in db.query(
        "SELECT id AS ref, agency, opened_at, closed_at, due_on FROM cases WHERE status <> ?", [cases.WITHDRAWN])]


def _problem_items(db: sqlite_utils.Database) -> list[dict]:
    return [{"kind": figures.PROBLEM, **row} for row in db.query(
        "SELECT id AS ref, agency, raised_at AS opened_at, closed_at, due_on FROM problems")]


def _problem_steps(db: sqlite_utils.Database) -> pd.DataFrame:
    rows = [{"kind": figures.PROBLEM, "ref": ref, "at": at, "waiting": PROBLEM_WAITING_STEPS.get(step, True)}
            for ref, at, step in db.execute("SELECT problem_id, at, step FROM problem_events ORDER BY id")]
    return pd.DataFrame(rows, columns=figures.STEP_COLUMNS)


def casework_frames(db: sqlite_utils.Database) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every case (but withdrawn ones) and ticket as items, and the tickets' steps."""
    items = pd.DataFrame(_case_items(db) + _problem_items(db), columns=figures.ITEM_COLUMNS)
    items["closed_at"] = items["closed_at"].fillna("")
    return items, _problem_steps(db)


def _ordered(table: pd.DataFrame) -> pd.DataFrame:
    key = table["rank"].map(lambda r: 10**9 if r is None or pd.isna(r) else r)
    return table.assign(_key=key).sort_values(["_key", "agency"], kind="stable").drop(columns="_key") \
        .reset_index(drop=True)


@requires("monthly.view")
def monthly_bulletin(db: sqlite_utils.Database, actor: Actor, year: int, month: int) -> MonthlyBulletin:
    """The month's bulletin: the whole county for those acting on every agency, else the agency's own line."""
    period = figures.month_period(year, month, clock.now())
    agencies = {a["code"]: a for a in registry.list_agencies(db, active_only=False)}
    items, steps = casework_frames(db)
    shown = [code for code, a in agencies.items() if a["active"] or code in set(items["agency"])]
    table = _ordered(figures.agency_figures(items, steps, shown, period))
    overdue = figures.overdue_list(items, steps, period, workdays.load_calendar(db))
    whole = allowed(actor, "agencies.all")
    ranked = int(table["rank"].notna().sum())
    if whole:
        totals = figures.county_totals(table)
    else:
        table = table[table["agency"] == actor.agency_code].reset_index(drop=True)
        overdue = overdue[overdue["agency"] == actor.agency_code].reset_index(drop=True)
        totals = figures.county_totals(table)
    standard = rates.rates_for_reader(db, actor, rates.MONTH, f"{year:04d}-{month:02d}")
    groups = {g["code"]: g for g in registry.list_groups(db)}
    return MonthlyBulletin(period, county_name(db), whole, agencies, table, overdue, totals, ranked, standard, groups)


@requires("monthly.view")
def available_months(db: sqlite_utils.Database, actor: Actor) -> list[str]:
    """``YYYY-MM`` from the current month (county time) back to the month of the first casework, newest first."""
    first = db.execute("SELECT min(m) FROM (SELECT min(opened_at) AS m FROM cases"
                       " UNION ALL SELECT min(raised_at) FROM problems)").fetchone()[0]
    today = clock.today()
    start = clock.county_date(first) if first else today
    months, year, month = [], today.year, today.month
    while (year, month) >= (start.year, start.month):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return months


@requires("monthly.view")
def bulletin_version(db: sqlite_utils.Database, actor: Actor, year: int, month: int) -> tuple:
    """What a month's figures depend on, cheap to read (for caching a generated file): the latest case
    and ticket step, and for the current month the county day (overdue grows with the days)."""
    last_case = db.execute("SELECT max(id) FROM case_events").fetchone()[0] or 0
    last_problem = db.execute("SELECT max(id) FROM problem_events").fetchone()[0] or 0
    # the standard rates also rest on the responses and what is excluded
    responses = db.execute("SELECT count(*), max(updated_at), (SELECT count(*) FROM exclusions)"
                           " FROM responses").fetchone()
    period = figures.month_period(year, month, clock.now())
    return last_case, last_problem, tuple(responses), clock.today().isoformat() if period.current else ""
