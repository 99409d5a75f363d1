"""Excluding a response from every count (DESIGN §4.7): an upheld appeal or an
administrator's decision. The response stays stored and the reason on record."""
from __future__ import annotations

import sqlite_utils

from surveys import audit, clock
from surveys.actors import ADMIN, DISCIPLINE, Actor, require_role
from surveys.db import write_transaction
from surveys.errors import InvalidInput, NotFound


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


def exclude_response(db: sqlite_utils.Database, actor: Actor, response_id: int, reason: str) -> None:
    require_role(actor, ADMIN, DISCIPLINE)
    with write_transaction(db):
        insert_exclusion(db, actor, response_id, reason)
