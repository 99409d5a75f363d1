"""Excluding a response from every count (DESIGN §4.7): an upheld appeal or an
administrator's decision. The response stays stored and the reason on record.

The administrator decides on responses as the agencies' appeals do: by the
opaque number a response has within its (round, agency) (surveys/casework/views.py),
seeing its ratings, comment and score and nothing else — not the enterprise,
not when or how it answered (DESIGN §6: the administrator knows who answered,
never how a given enterprise rated a given agency). For the same reason only
rounds whose collection has ended are offered: while a round is open, watching
the list grow as one enterprise answers would tell whose response is new. And
as for agencies, nothing is shown for an agency with fewer than 3 responses.
"""
from __future__ import annotations

import sqlite_utils

from surveys.core import audit
from surveys.casework import cases
from surveys.core import clock
from surveys.results import privacy
from surveys.collection import rounds
from surveys.core.actors import Actor
from surveys.casework.views import numbered_responses
from surveys.storage.db import write_transaction
from surveys.core.errors import InvalidInput, NotFound, Term
from surveys.core.permissions import requires

MAX_REASON = 1000


def insert_exclusion(db: sqlite_utils.Database, actor: Actor, response_id: int, reason: str) -> None:
    """Record the exclusion; the caller checks permission and holds the transaction."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("exclusions.reason_needed")
    if not db.execute("SELECT 1 FROM responses WHERE id = ?", [response_id]).fetchone():
        raise NotFound("exclusions.no_response", response=response_id)
    if db.execute("SELECT 1 FROM exclusions WHERE response_id = ?", [response_id]).fetchone():
        raise InvalidInput("exclusions.already", response=response_id)
    db.execute("INSERT INTO exclusions (response_id, reason, decided_by, at) VALUES (?, ?, ?, ?)",
               [response_id, reason, actor.audit_name, clock.now_iso()])
    audit.record(db, actor, "response.excluded", f"response/{response_id}", reason=reason)


@requires("responses.exclude")
def exclude_response(db: sqlite_utils.Database, actor: Actor, response_id: int, reason: str) -> None:
    with write_transaction(db):
        insert_exclusion(db, actor, response_id, reason)


# --- the administrator's page ------------------------------------------------------------

@requires("exclusions.manage")
def decidable_rounds(db: sqlite_utils.Database, actor: Actor) -> list[dict]:
    """Rounds whose collection has ended, newest first."""
    return [r for r in rounds.list_rounds(db) if r["status"] in rounds.COLLECTION_ENDED]


def _decidable_round(db, round_name: str) -> dict:
    round_row = rounds.get_round(db, round_name)
    if round_row["status"] not in rounds.COLLECTION_ENDED:
        raise InvalidInput("exclusions.round_not_closed", round=round_name,
                           status=Term(f"rounds.status.{round_row['status']}"))
    return round_row


def _reasons(db, round_name: str, agency: str) -> dict[int, dict]:
    return {r["response_id"]: r for r in db.query(
        """SELECT x.response_id, x.reason, x.decided_by, x.at FROM exclusions x
           JOIN responses r ON r.id = x.response_id WHERE r.round = ? AND r.agency = ?""", [round_name, agency])}


@requires("exclusions.manage")
def responses_to_decide(db, actor: Actor, round_name: str, agency: str) -> list[dict]:
    """The agency's responses in the round under their numbers: ratings, comment, score, and
    whether (and why) each is excluded. Empty below 3 responses."""
    _decidable_round(db, round_name)
    rows = numbered_responses(db, round_name, agency)
    if not privacy.enough(sum(privacy.is_counted(r) for r in rows)):
        return []
    reasons = _reasons(db, round_name, agency)
    return [{"number": r["number"], "ratings": r["ratings"], "comment": r["comment"], "score": r["score"],
             "excluded": r["excluded"], "reason": reasons.get(r["response_id"], {}).get("reason", "")}
            for r in rows]


@requires("exclusions.manage")
def exclude_numbered_response(db, actor: Actor, round_name: str, agency: str, number: int, reason: str) -> None:
    """The administrator excludes response ``number`` of the agency in the round, with a reason."""
    reason = cases.clean_text(reason, MAX_REASON)
    if not reason:
        raise InvalidInput("exclusions.reason_needed")
    with write_transaction(db):
        _decidable_round(db, round_name)
        rows = numbered_responses(db, round_name, agency)
        if not privacy.enough(sum(privacy.is_counted(r) for r in rows)):
            raise InvalidInput("exclusions.too_few", round=round_name, agency=agency,
                               minimum=privacy.MIN_COUNTED)
        target = next((r for r in rows if r["number"] == number), None)
        if target is None:
            raise NotFound("exclusions.no_such_number", number=number, round=round_name, agency=agency)
        if target["excluded"]:
            raise InvalidInput("exclusions.number_already", number=number, agency=agency)
        insert_exclusion(db, actor, target["response_id"], reason)


@requires("exclusions.manage")
def waiting_for_refinalisation(db, actor: Actor, round_name: str) -> int:
    """Responses excluded since the round's current finalisation: its stored grades still
    count them until the administrator finalises it again (rounds page). Counted, not
    dated: the finalisation recorded how many responses it counted."""
    stored = db.execute("SELECT responses_counted FROM finalisations WHERE round = ? AND is_current = 1",
                        [round_name]).fetchone()
    if stored is None:
        return 0
    now = db.execute(f"SELECT count(*) FROM responses r WHERE r.round = ? AND {privacy.counted_condition('r')}",
                     [round_name]).fetchone()[0]
    return max(stored[0] - now, 0)
