"""Revealing a rater (DESIGN §6): the discipline office, and only it, may learn
which enterprise gave a response — or raised a problem ticket — to visit it for
follow-up. Every reveal needs a reason and is written to the audit log and to
the ``reveals`` table, in the same transaction as the look-up.

The audit log is the administrator's, so its entry names the reveal (its row
in ``reveals``), who and why — not the enterprise, not the response: the link
itself stays in ``reveals``, which only the discipline office reads."""
from __future__ import annotations

from surveys.core import audit
from surveys.casework import cases
from surveys.core import clock
from surveys.core.actors import Actor
from surveys.storage.db import write_transaction
from surveys.core.errors import InvalidInput, NotFound
from surveys.core.permissions import requires

MAX_REASON = 500


def _enterprise(db, uscc: str) -> dict:
    rows = list(db.query(
        "SELECT uscc, name, industry, contact_person, contact_phone FROM enterprises WHERE uscc = ?", [uscc]))
    return rows[0]


def _reveal(db, actor: Actor, reason: str, subject: str, lookup, **link) -> dict:
    reason = cases.clean_text(reason, MAX_REASON)
    if not reason:
        raise InvalidInput("casework.reveal.reason_needed")
    with write_transaction(db):
        uscc = lookup()
        reveal_id = db.execute(
            "INSERT INTO reveals (at, actor, reason, response_id, problem_id, enterprise)"
            " VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
            [clock.now_iso(), actor.audit_name, reason, link.get("response_id"), link.get("problem_id"), uscc],
        ).fetchone()[0]
        audit.record(db, actor, "rater.revealed", f"reveal/{reveal_id}", reason=reason, subject=subject)
        return _enterprise(db, uscc)


@requires("rater.reveal")
def reveal_rater(db, actor: Actor, response_id: int, reason: str) -> dict:
    """The enterprise behind a response: name, credit code, industry and contact."""
    def lookup():
        row = db.execute("SELECT enterprise FROM responses WHERE id = ?", [response_id]).fetchone()
        if row is None:
            raise NotFound("exclusions.no_response", response=response_id)
        return row[0]

    return _reveal(db, actor, reason, "response", lookup, response_id=response_id)


@requires("rater.reveal")
def reveal_problem_raiser(db, actor: Actor, problem_id: int, reason: str) -> dict:
    """The enterprise behind a problem ticket."""
    def lookup():
        row = db.execute("SELECT enterprise FROM problems WHERE id = ?", [problem_id]).fetchone()
        if row is None:
            raise NotFound("casework.problems.not_found", problem=problem_id)
        return row[0]

    return _reveal(db, actor, reason, "problem", lookup, problem_id=problem_id)


@requires("rater.reveal")
def reveal_history(db, actor: Actor, limit: int = 50) -> list[dict]:
    """Earlier reveals, newest first: who, when, why (for the discipline office's own record)."""
    return list(db.query("SELECT * FROM reveals ORDER BY id DESC LIMIT ?", [limit]))
