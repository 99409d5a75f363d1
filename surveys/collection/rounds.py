"""Evaluation rounds (评议轮次): draft → open → closed → finalised → published.

This module owns the lifecycle: the statuses and their groups, the one writer
of a round's status (``set_status``, which finalisation and publishing call
too) and what happens next at each step (``next_steps``).

Only an open round, up to the end of its closing date in county time, accepts
or changes responses; after that the round closes itself
(``close_overdue_rounds``, run in the background by every app process).
At most one round is open at a time, so an enterprise always knows which
quarter it is answering for.
"""
from __future__ import annotations

import sqlite3
from datetime import date, timedelta

import sqlite_utils

from scoring.rounds import parse_round_label
from surveys.core import audit
from surveys.core import clock
from surveys.collection import questionnaire
from surveys.core.actors import SYSTEM, Actor
from surveys.storage.db import write_transaction
from surveys.core.errors import InvalidInput, NotFound, RoundNotOpen, Term
from surveys.core.permissions import requires



class Status:
    """A round's status, as stored in ``rounds.status`` (DESIGN §5)."""
    DRAFT, OPEN, CLOSED, FINALISED, PUBLISHED = "draft", "open", "closed", "finalised", "published"


STATUSES = (Status.DRAFT, Status.OPEN, Status.CLOSED, Status.FINALISED, Status.PUBLISHED)  # life order
# The groups the rest of the system asks about; nowhere else spells statuses out.
BEFORE_CLOSE = (Status.DRAFT, Status.OPEN)          # still being prepared or collecting
IN_PROGRESS = (Status.OPEN, Status.CLOSED)          # started, results not stored yet
FINALISED = (Status.FINALISED, Status.PUBLISHED)    # results stored
COLLECTION_ENDED = (Status.CLOSED, *FINALISED)      # no more answers: appeals and exclusions can be decided
STARTED = (*IN_PROGRESS, *FINALISED)                # everything past draft
# Each status is reached from exactly one other: the lifecycle is a line.
PREVIOUS = dict(zip(STATUSES[1:], STATUSES[:-1]))
# DESIGN §4.9: a round ranks (and flags) county-wide, the default, or within each agency group.
RANKING_SCOPES = ("county", "group")
# What the administrator's next step does, for the rounds page (catalogue keys).
NEXT_STEP_TEXT = {
    Status.DRAFT: "rounds.open_explained",
    Status.OPEN: "rounds.close_explained",
    Status.CLOSED: "finalise.explained",
    Status.FINALISED: "finalise.publish_explained",
    Status.PUBLISHED: "finalise.refinalise_help",
}


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


def status_in(group: tuple[str, ...], column: str = "status") -> str:
    """SQL condition: ``column`` holds one of the statuses of ``group`` (constants, never user input)."""
    return f"{column} IN ({', '.join(repr(status) for status in group)})"


def next_steps(status: str) -> str:
    """Catalogue key of what happens next to a round in ``status``, for the rounds page."""
    return NEXT_STEP_TEXT[status]


def open_round(db: sqlite_utils.Database) -> dict | None:
    rows = list(db.query("SELECT * FROM rounds WHERE status = ? ORDER BY name DESC LIMIT 1", [Status.OPEN]))
    return rows[0] if rows else None


def _parse_date(value: str | date, field: str) -> str:
    if isinstance(value, date):
        return value.isoformat()
    try:
        return date.fromisoformat(str(value)).isoformat()
    except ValueError:
        raise InvalidInput("rounds.bad_date", field=field, value=value) from None


def _ranking_scope(value) -> str:
    scope = str(value or "").strip().lower()
    if scope not in RANKING_SCOPES:
        raise InvalidInput("groups.bad_scope", value=value, choices=" / ".join(RANKING_SCOPES))
    return scope


@requires("rounds.manage")
def create_round(db, actor: Actor, name: str, opens_on, closes_on, ranking_scope: str = "county") -> None:
    name = name.strip().upper()
    parse_round_name(name)
    opens, closes = _parse_date(opens_on, "opens_on"), _parse_date(closes_on, "closes_on")
    if closes < opens:
        raise InvalidInput("rounds.closes_before_opens")
    scope = _ranking_scope(ranking_scope)
    with write_transaction(db):
        if db.execute("SELECT 1 FROM rounds WHERE name = ?", [name]).fetchone():
            raise InvalidInput("rounds.exists", name=name)
        db.execute(
            "INSERT INTO rounds (name, status, opens_on, closes_on, created_at, ranking_scope) VALUES (?, ?, ?, ?, ?, ?)",
            [name, Status.DRAFT, opens, closes, clock.now_iso(), scope],
        )
        audit.record(db, actor, "round.created", name, opens_on=opens, closes_on=closes, ranking_scope=scope)


@requires("rounds.manage")
def set_ranking_scope(db, actor: Actor, name: str, ranking_scope: str) -> None:
    """Whether a draft or open round ranks and flags county-wide or within each agency group
    (DESIGN §4.9). Fixed once collection ends: finalisation pins it with the round's rules."""
    scope = _ranking_scope(ranking_scope)
    with write_transaction(db):
        current = get_round(db, name)
        if current["status"] not in BEFORE_CLOSE:
            raise InvalidInput("groups.scope_fixed", name=name, status=Term(f"rounds.status.{current['status']}"))
        if current["ranking_scope"] == scope:
            return
        db.execute("UPDATE rounds SET ranking_scope = ? WHERE name = ?", [scope, current["name"]])
        audit.record(db, actor, "round.ranking_scope", current["name"], ranking_scope=[current["ranking_scope"], scope])


def set_status(db, actor: Actor, name: str, to_status: str, **columns) -> None:
    """Move a round one step along its life; the only writer of ``rounds.status``.

    Refused unless the round is in the status just before ``to_status``. The
    database itself refuses a second open round (migration 6); that refusal,
    should two administrators open rounds at the same moment, reads as the
    same message as the check before it. Not an entry point: its callers
    (start, close, finalise, publish, the automatic close) check the actor's
    permission first and pass the actor on for the audit log.
    """
    with write_transaction(db):
        current = get_round(db, name)
        needed = PREVIOUS[to_status]
        if current["status"] != needed:
            raise InvalidInput("rounds.wrong_status", name=name, status=Term(f"rounds.status.{current['status']}"),
                               needed=Term(f"rounds.status.{needed}"))
        assignments = ", ".join(f"{col} = ?" for col in ["status", *columns])
        try:
            with db.atomic():  # a savepoint: a refused UPDATE leaves the transaction usable
                db.execute(f"UPDATE rounds SET {assignments} WHERE name = ?", [to_status, *columns.values(), name])
        except sqlite3.IntegrityError:
            _refuse_second_open_round(db, name)
            raise
        audit.record(db, actor, f"round.{to_status}", name, **columns)


def _refuse_second_open_round(db, name: str) -> None:
    """Raise the user's message if another round is open (the unique index's refusal)."""
    other = open_round(db)
    if other is not None and other["name"] != name:
        raise InvalidInput("rounds.another_open", name=other["name"])


@requires("rounds.manage")
def start_round(db, actor: Actor, name: str, questionnaire_version: int | None = None) -> None:
    """Open a draft round for responses, pinning its questionnaire version."""
    version = questionnaire_version or questionnaire.latest_version(db)
    questionnaire.get_questionnaire(db, version)  # refuses an unknown version
    _refuse_second_open_round(db, name)  # the index behind it decides a race
    set_status(db, actor, name, Status.OPEN, questionnaire_version=version, opened_at=clock.now_iso())


@requires("rounds.manage")
def close_round(db, actor: Actor, name: str) -> None:
    set_status(db, actor, name, Status.CLOSED, closed_at=clock.now_iso())


def require_open(db: sqlite_utils.Database, name: str) -> dict:
    """The round, if it accepts responses now; otherwise RoundNotOpen saying why."""
    current = get_round(db, name)
    if current["status"] != Status.OPEN:
        raise RoundNotOpen("rounds.not_open", name=name, status=Term(f"rounds.status.{current['status']}"))
    today = clock.today().isoformat()
    if current["closes_on"] and today > current["closes_on"]:
        raise RoundNotOpen("rounds.past_closing", name=name, closes_on=current["closes_on"])
    return current


@requires("rounds.manage")
def rounds_overview(db: sqlite_utils.Database, actor: Actor) -> list[dict]:
    """Every round with how many responses and distinct enterprises it has."""
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
        overdue = db.execute("SELECT name, closes_on FROM rounds WHERE status = ? AND closes_on < ?",
                             [Status.OPEN, clock.today().isoformat()]).fetchall()
        for name, closes_on in overdue:
            ended = clock.end_of_county_day(date.fromisoformat(closes_on)).isoformat(timespec="seconds")
            set_status(db, SYSTEM, name, Status.CLOSED, closed_at=ended)
    return [name for name, _ in overdue]
