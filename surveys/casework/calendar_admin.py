"""The working calendar the administrator keeps (DESIGN §5): a year's statutory holidays and
make-up working days entered from the State Council's schedule, checked line by line, and
the open casework deadlines a new schedule would move — listed, never moved: a deadline
already issued stays as it was issued. Counting working days is surveys/core/workdays.py.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

import sqlite_utils

from surveys.casework import cases, problems
from surveys.core import audit, clock
from surveys.core.actors import Actor
from surveys.core.errors import ImportRefused, InvalidInput, RowProblem, Term
from surveys.core.permissions import requires
from surveys.core.workdays import HOLIDAY, WORKDAY, WorkingCalendar, load_calendar, missing_years
from surveys.storage.db import write_transaction


@requires("calendar.view")
def calendar_warning(db: sqlite_utils.Database, actor: Actor) -> list[int]:
    """The years the administrator and the discipline office are warned about."""
    return missing_years(db)


# --- the administrator's page -----------------------------------------------------

@dataclass(frozen=True)
class YearSchedule:
    year: int
    holidays: tuple[date, ...]
    workdays: tuple[date, ...]
    source: str
    entered_by: str = ""
    entered_at: str = ""


@requires("calendar.view")
def year_schedule(db: sqlite_utils.Database, actor: Actor, year: int) -> YearSchedule:
    """A year's holidays and make-up days as they stand, and where (and from whom) they come."""
    calendar = load_calendar(db)
    entered = db.execute("SELECT entered_by, entered_at FROM calendar_years WHERE year = ?", [year]).fetchone()
    return YearSchedule(year, tuple(sorted(d for d in calendar.holidays if d.year == year)),
                        tuple(sorted(d for d in calendar.workdays if d.year == year)), calendar.source(year),
                        *(entered or ("", "")))


# a range: "..", "~", a full-width tilde, the Chinese "to", an en or em dash
_RANGE = re.compile("^(\\S+?)\\s*(?:\\.\\.|~|\uff5e|\u81f3|\u2013|\u2014)\\s*(\\S+)$")


def _problem(line: int, field: str, key: str, **values) -> RowProblem:
    return RowProblem(line, Term(f"calendar.fields.{field}"), key, tuple(values.items()))


def _parse_day(text: str, line: int, field: str, problems: list) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        problems.append(_problem(line, field, "calendar.errors.bad_date", value=text))
        return None


def parse_days(text: str, field: str, year: int, problems: list) -> dict[date, int]:
    """Dates, one entry per line: ``2027-02-06`` or a range ``2027-02-06..2027-02-13``; ``#`` starts a note.

    Returns each day with the line it came from."""
    days: dict[date, int] = {}
    for line_no, raw in enumerate(text.splitlines(), start=1):
        entry = raw.split("#", 1)[0].strip()
        if not entry:
            continue
        match = _RANGE.match(entry)
        first_text, last_text = match.groups() if match else (entry, entry)
        first = _parse_day(first_text, line_no, field, problems)
        last = _parse_day(last_text, line_no, field, problems)
        if first is None or last is None:
            continue
        if last < first or (last - first).days > 31:
            problems.append(_problem(line_no, field, "calendar.errors.bad_range", value=entry))
            continue
        for offset in range((last - first).days + 1):
            day = first + timedelta(days=offset)
            if day.year != year:
                problems.append(_problem(line_no, field, "calendar.errors.other_year",
                                         value=day.isoformat(), year=year))
                break
            days.setdefault(day, line_no)
    return days


def _check_schedule(holidays: dict[date, int], workdays: dict[date, int], problems: list) -> None:
    """A day cannot be both; a make-up working day is a Saturday or Sunday."""
    for day in sorted(holidays.keys() & workdays.keys()):
        problems.append(_problem(workdays[day], "workdays", "calendar.errors.both", value=day.isoformat()))
    for day in sorted(workdays):
        if day.weekday() < 5:
            problems.append(_problem(workdays[day], "workdays", "calendar.errors.workday_not_weekend",
                                     value=day.isoformat()))


def parse_schedule(year: int, holidays_text: str, workdays_text: str) -> tuple[set[date], set[date]]:
    """The administrator's text, checked whole; refused with every problem named."""
    if not 2000 <= year <= 2100:
        raise InvalidInput("calendar.errors.bad_year", year=year)
    problems: list = []
    holidays = parse_days(holidays_text, "holidays", year, problems)
    workdays = parse_days(workdays_text, "workdays", year, problems)
    _check_schedule(holidays, workdays, problems)
    if problems:
        raise ImportRefused(problems)
    return set(holidays), set(workdays)


def _with_year(calendar: WorkingCalendar, year: int, holidays: set[date], workdays: set[date]) -> WorkingCalendar:
    return WorkingCalendar(
        frozenset({d for d in calendar.holidays if d.year != year} | holidays),
        frozenset({d for d in calendar.workdays if d.year != year} | workdays),
        calendar.entered_years | {year})


def _open_deadlines(db) -> list[dict]:
    """Every deadline still running, with the day its count started."""
    found = []
    for case in db.query("SELECT id, agency, action, opened_at, due_on FROM cases WHERE status NOT IN (?, ?)",
                         list(cases.FINISHED)):
        started = db.execute("SELECT max(at) FROM case_events WHERE case_id = ?"
                             " AND json_extract(details, '$.due_on') IS NOT NULL", [case["id"]]).fetchone()[0]
        found.append({"kind": "case", "id": case["id"], "agency": case["agency"], "action": case["action"],
                      "from": clock.county_date(started or case["opened_at"]), "due_on": case["due_on"]})
    for problem in db.query("SELECT id, agency, raised_at, due_on FROM problems WHERE status <> ?",
                            [problems.SOLVED]):
        found.append({"kind": "problem", "id": problem["id"], "agency": problem["agency"], "action": "",
                      "from": clock.county_date(problem["raised_at"]), "due_on": problem["due_on"]})
    return found


@requires("calendar.manage")
def deadlines_that_would_change(db, actor: Actor, year: int, holidays: set[date],
                                workdays: set[date]) -> list[dict]:
    """Open deadlines whose working-day count the proposed schedule would move (they are not moved)."""
    current = load_calendar(db)
    proposed = _with_year(current, year, holidays, workdays)
    changed = []
    for deadline in _open_deadlines(db):
        due = date.fromisoformat(deadline["due_on"])
        count = current.working_days_between(deadline["from"], due)
        would_be = proposed.add_working_days(deadline["from"], count)
        if would_be != due:
            changed.append({**deadline, "from": deadline["from"].isoformat(), "would_be": would_be.isoformat()})
    return changed


@requires("calendar.manage")
def enter_year(db, actor: Actor, year: int, holidays: set[date], workdays: set[date]) -> None:
    """Store a year's schedule; it replaces the library's for that year. Issued deadlines stay as they are."""
    problems: list = []
    _check_schedule(dict.fromkeys(holidays, 1), dict.fromkeys(workdays, 1), problems)
    if problems or any(d.year != year for d in holidays | workdays):
        raise InvalidInput("calendar.errors.not_checked", year=year)  # pages go through parse_schedule first
    with write_transaction(db):
        db.execute("DELETE FROM calendar_days WHERE year = ?", [year])
        db.execute("INSERT INTO calendar_years (year, entered_by, entered_at) VALUES (?, ?, ?)"
                   " ON CONFLICT (year) DO UPDATE SET entered_by = excluded.entered_by, entered_at = excluded.entered_at",
                   [year, actor.audit_name, clock.now_iso()])
        db.conn.executemany("INSERT INTO calendar_days (day, year, kind) VALUES (?, ?, ?)",
                            [(d.isoformat(), year, HOLIDAY) for d in sorted(holidays)]
                            + [(d.isoformat(), year, WORKDAY) for d in sorted(workdays)])
        audit.record(db, actor, "calendar.year_entered", str(year),
                     holidays=[d.isoformat() for d in sorted(holidays)],
                     workdays=[d.isoformat() for d in sorted(workdays)])
