"""The county clock: the one place that says what time and what day it is.

The county keeps China Standard Time; every date rule (closing, appeal
windows, deadlines, "late", "overdue", lock-out expiry) uses the county's
date, and every time shown to a person is county time. The database keeps
UTC, as ISO strings (``2026-12-31T15:30:00+00:00``); plain dates
(``2026-12-31``) are county dates.

Tests pin the clock with ``freeze``. A whole process (the server the browser
tests drive, a demo recorded for a screenshot) can start its clock at a given
moment with ``QIPING_CLOCK_START`` (ISO time); it then runs forward from there.
"""
from __future__ import annotations

import os
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from i18n import t

COUNTY_TIME = ZoneInfo("Asia/Shanghai")
UTC = timezone.utc

_frozen: datetime | None = None


def _start_offset() -> timedelta:
    start = os.environ.get("QIPING_CLOCK_START", "").strip()
    if not start:
        return timedelta(0)
    moment = datetime.fromisoformat(start)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=COUNTY_TIME)
    return moment - datetime.now(UTC)


_offset = _start_offset()


def now() -> datetime:
    """This moment, in UTC (what the database stores)."""
    return _frozen or datetime.now(UTC) + _offset


def now_iso() -> str:
    return now().isoformat(timespec="seconds")


def county_now() -> datetime:
    return now().astimezone(COUNTY_TIME)


def today() -> date:
    """The county's date now: what every date rule compares against."""
    return county_now().date()


def freeze(moment: datetime | None) -> None:
    """Pin the clock (tests only); ``None`` lets it run again."""
    global _frozen
    if moment is not None and moment.tzinfo is None:
        raise ValueError("freeze() needs an aware datetime")
    _frozen = moment.astimezone(UTC) if moment is not None else None


def frozen() -> datetime | None:
    return _frozen


def at_county(day: date, hour: int = 0, minute: int = 0) -> datetime:
    """A county wall-clock moment, in UTC."""
    return datetime.combine(day, time(hour, minute), COUNTY_TIME).astimezone(UTC)


def start_of_county_day(day: date) -> datetime:
    return at_county(day)


def end_of_county_day(day: date) -> datetime:
    """The first moment after ``day`` in the county (a closing date's deadline)."""
    return at_county(day + timedelta(days=1))


def to_county(value: str | datetime) -> datetime:
    """A stored timestamp in county time; a timestamp without zone is UTC (legacy rows)."""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(COUNTY_TIME)


def county_date(value: str | date | datetime | None) -> date | None:
    """The county's date of a stored value: a plain date is already one; a timestamp is converted."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime) or (isinstance(value, str) and "T" in value):
        return to_county(value).date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def format_date(value: str | date | datetime | None, lang: str) -> str:
    """A county date the way people read it: 2026年12月31日 / 31 Dec 2026."""
    day = county_date(value)
    if day is None:
        return ""
    return t("date.format", lang, year=day.year, month=day.month, day=day.day)


def format_datetime(value: str | datetime | None, lang: str) -> str:
    """A stored moment in county time, the way people read it (never raw ISO or UTC)."""
    if value is None or value == "":
        return ""
    moment = to_county(value)
    return t("date.format_time", lang, year=moment.year, month=moment.month, day=moment.day,
             hour=f"{moment.hour:02d}", minute=f"{moment.minute:02d}")
