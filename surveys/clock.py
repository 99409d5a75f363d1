"""The one place the services read the time, so tests can move it."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

# The county keeps China Standard Time; the database keeps UTC.
COUNTY_TIME = timezone(timedelta(hours=8))

_frozen: datetime | None = None


def now() -> datetime:
    return _frozen or datetime.now(timezone.utc)


def now_iso() -> str:
    return now().isoformat(timespec="seconds")


def freeze(moment: datetime | None) -> None:
    """Pin the clock (tests only); ``None`` lets it run again."""
    global _frozen
    _frozen = moment
