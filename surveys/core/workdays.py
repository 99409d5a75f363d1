"""China's working calendar: the one place that counts working days.

Every deadline (cases, problem tickets, the appeal window) is counted in
working days of China's official calendar (DESIGN §5): statutory holidays are
off, make-up working days (on a weekend) are on. Known years come from the maintained
``chinese-calendar`` library; the State Council publishes next year's schedule
each November, so the administrator can enter (or correct) a year, which then
replaces the library's for that year. A year neither knows falls back to
Monday–Friday, and ``missing_years`` lets the pages say so.

The administrator's side — entering a year, and the open deadlines it would
move — is surveys/casework/calendar_admin.py.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import sqlite_utils
from chinese_calendar import constants as library

from surveys.core import clock

HOLIDAY, WORKDAY = "holiday", "workday"
ENTERED, LIBRARY, MISSING = "entered", "library", "missing"
LIBRARY_YEARS = frozenset(d.year for d in library.holidays)
# How far ahead a missing year matters: the longest deadline the county sets, with room.
LOOKAHEAD_DAYS = 60


@dataclass(frozen=True)
class WorkingCalendar:
    holidays: frozenset[date]
    workdays: frozenset[date]  # make-up working days on a weekend
    entered_years: frozenset[int]

    def source(self, year: int) -> str:
        if year in self.entered_years:
            return ENTERED
        return LIBRARY if year in LIBRARY_YEARS else MISSING

    def is_working_day(self, day: date) -> bool:
        if day in self.workdays:
            return True
        return day.weekday() < 5 and day not in self.holidays

    def add_working_days(self, start: date, days: int) -> date:
        """The day ``days`` working days after ``start`` (``start`` itself not counted)."""
        current = start
        while days > 0:
            current += timedelta(days=1)
            days -= self.is_working_day(current)
        return current

    def working_days_before(self, end: date, days: int) -> date:
        """The day from which ``end`` is ``days`` working days on (``add_working_days`` backwards)."""
        current = end
        while days > 0:
            current -= timedelta(days=1)
            days -= self.is_working_day(current)
        return current

    def working_days_between(self, start: date, end: date) -> int:
        """Working days after ``start`` up to and including ``end``."""
        return sum(self.is_working_day(start + timedelta(days=i)) for i in range(1, (end - start).days + 1))


def _library_days(table: dict, skip: set[int]) -> set[date]:
    return {day for day in table if day.year not in skip}


def load_calendar(db: sqlite_utils.Database) -> WorkingCalendar:
    """The calendar in force: the administrator's years, the library's for the rest."""
    entered = {row[0] for row in db.execute("SELECT year FROM calendar_years")}
    rows = db.execute("SELECT day, kind FROM calendar_days").fetchall()
    holidays = _library_days(library.holidays, entered) | {date.fromisoformat(d) for d, k in rows if k == HOLIDAY}
    workdays = _library_days(library.workdays, entered) | {date.fromisoformat(d) for d, k in rows if k == WORKDAY}
    return WorkingCalendar(frozenset(holidays), frozenset(workdays), frozenset(entered))


def add_working_days(db: sqlite_utils.Database, start: date, days: int) -> date:
    """Every deadline of the system is counted here."""
    return load_calendar(db).add_working_days(start, days)


def is_working_day(db: sqlite_utils.Database, day: date) -> bool:
    return load_calendar(db).is_working_day(day)


def missing_years(db: sqlite_utils.Database, on: date | None = None) -> list[int]:
    """Years the county's deadlines reach from ``on`` (today) for which no calendar is known."""
    on = on or clock.today()
    calendar = load_calendar(db)
    years = range(on.year, (on + timedelta(days=LOOKAHEAD_DAYS)).year + 1)
    return [year for year in years if calendar.source(year) == MISSING]
