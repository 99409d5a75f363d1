"""Evaluation rounds (评议轮次): draft → open → closed → finalised → published.

Only an open round, up to the end of its closing date in county time, accepts
or changes responses; after that the round closes itself
(``close_overdue_rounds``, run in the background by every app process).
At most one round is open at a time, so an enterprise always knows which
quarter it is answering for.
"""
from __future__ import annotations

from datetime import date, timedelta

import sqlite_utils

from scoring.rounds import parse_round_label
from surveys import audit, clock, questionnaire
from surveys.actors import ADMIN, SYSTEM, Actor, require_role
from surveys.db import write_transaction
from surveys.errors import InvalidInput, NotFound, RoundNotOpen, Term

STATUSES = ("draft", "open", "closed", "finalised", "published")


def parse_round_name(name: str) -> tuple[int, int]:
    """(year, quarter) of a round name typed by a person; InvalidInput naming it otherwise."""
    parsed = parse_round_label(name.strip())
    if parsed is None:
        raise InvalidInput("rounds.bad_name", name=name)
    return parsed


def get_round(db: sqlite_utils.Database, name: str) -> dict:
    rows = list(db.query("SELECT * FROM rounds WHERE name = ?", [name]))
    if not rows:
        raise NotFound("rounds.not_found", name=name)
    return rows[0]


def list_rounds(db: sqlite_utils.Database) -> list[dict]:
    return list(db.query("SELECT * FROM rounds ORDER BY name DESC"))


def open_round(db: sqlite_utils.Database) -> dict | None:
    rows = list(db.query("SELECT * FROM rounds WHERE status = 'open' ORDER BY name DESC LIMIT 1"))
    return rows[0] if rows else None


def _parse_date(value: str | date, field: str) -> str:
    if isinstance(value, date):
        return value.isoformat()
    try:
        return date.fromisoformat(str(value)).isoformat()
    except ValueError:
        raise InvalidInput("rounds.bad_date", field=field, value=value) from None


def create_round(db, actor: Actor, name: str, opens_on, closes_on) -> None:
    require_role(actor, ADMIN)
    name = name.strip().upper()
    parse_round_name(name)
    opens, closes = _parse_date(opens_on, "opens_on"), _parse_date(closes_on, "closes_on")
    if closes < opens:
        raise InvalidInput("rounds.closes_before_opens")
    with write_transaction(db):
        if db.execute("SELECT 1 FROM rounds WHERE name = ?", [name]).fetchone():
            raise InvalidInput("rounds.exists", name=name)
        db.execute(
            "INSERT INTO rounds (name, status, opens_on, closes_on, created_at) VALUES (?, 'draft', ?, ?, ?)",
            [name, opens, closes, clock.now_iso()],
        )
        audit.record(db, actor, "round.created", name, opens_on=opens, closes_on=closes)


def _move(db, actor: Actor, name: str, from_status: str, to_status: str, **columns) -> None:
    """One lifecycle step, refused unless the round is in ``from_status``."""
    with write_transaction(db):
        current = get_round(db, name)
        if current["status"] != from_status:
            raise InvalidInput("rounds.wrong_status", name=name, status=Term(f"rounds.status.{current['status']}"),
                               needed=Term(f"rounds.status.{from_status}"))
        assignments = ", ".join(f"{col} = ?" for col in ["status", *columns])
        db.execute(f"UPDATE rounds SET {assignments} WHERE name = ?", [to_status, *columns.values(), name])
        audit.record(db, actor, f"round.{to_status}", name, **columns)


def start_round(db, actor: Actor, name: str, questionnaire_version: int | None = None) -> None:
    """Open a draft round for responses, pinning its questionnaire version."""
    require_role(actor, ADMIN)
    version = questionnaire_version or questionnaire.latest_version(db)
    questionnaire.get_questionnaire(db, version)  # refuses an unknown version
    other = open_round(db)
    if other is not None and other["name"] != name:
        raise InvalidInput("rounds.another_open", name=other["name"])
    _move(db, actor, name, "draft", "open", questionnaire_version=version, opened_at=clock.now_iso())


def close_round(db, actor: Actor, name: str) -> None:
    require_role(actor, ADMIN)
    _move(db, actor, name, "open", "closed", closed_at=clock.now_iso())


def require_open(db: sqlite_utils.Database, name: str) -> dict:
    """The round, if it accepts responses now; otherwise RoundNotOpen saying why."""
    current = get_round(db, name)
    if current["status"] != "open":
        raise RoundNotOpen("rounds.not_open", name=name, status=Term(f"rounds.status.{current['status']}"))
    today = clock.today().isoformat()
    if current["closes_on"] and today > current["closes_on"]:
        raise RoundNotOpen("rounds.past_closing", name=name, closes_on=current["closes_on"])
    return current


def rounds_overview(db: sqlite_utils.Database, actor: Actor) -> list[dict]:
    """Every round with how many responses and distinct enterprises it has."""
    require_role(actor, ADMIN)
    return list(db.query(
        """SELECT r.*, count(s.id) AS responses, count(DISTINCT s.enterprise) AS enterprises
           FROM rounds r LEFT JOIN responses s ON s.round = r.name
           GROUP BY r.name ORDER BY r.name DESC"""
    ))


def quarter_of(day: date) -> str:
    """The round name of the quarter ``day`` falls in: 2026-11-20 → 2026Q4."""
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


def quarter_bounds(name: str) -> tuple[date, date]:
    """The first and last day of a round's quarter."""
    year, quarter = parse_round_name(name)
    first = date(year, quarter * 3 - 2, 1)
    following = date(year + (quarter == 4), quarter * 3 % 12 + 1, 1)
    return first, following - timedelta(days=1)


def close_overdue_rounds(db: sqlite_utils.Database) -> list[str]:
    """Close every open round whose closing date has ended in the county (the system does it, on record).

    One write transaction: when several app processes run this at once, the
    first closes the round and the others find nothing left to close. The
    round is recorded as closed at the end of its closing date, when it stopped
    accepting answers, however late the check ran.
    """
    with write_transaction(db):
        overdue = db.execute("SELECT name, closes_on FROM rounds WHERE status = 'open' AND closes_on < ?",
                             [clock.today().isoformat()]).fetchall()
        for name, closes_on in overdue:
            ended = clock.end_of_county_day(date.fromisoformat(closes_on)).isoformat(timespec="seconds")
            _move(db, SYSTEM, name, "open", "closed", closed_at=ended)
    return [name for name, _ in overdue]
