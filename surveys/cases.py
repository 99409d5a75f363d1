"""Escalation cases: the follow-up of every reminder, interview and referral.

Each action has its own state machine; each step names who may take it.
Finalisation opens a case for every action; a re-finalisation that changes an
agency's action withdraws the open case it no longer supports.
"""
from __future__ import annotations

import json
from datetime import date, timedelta

from surveys import audit, clock
from surveys.actors import AGENCY, DISCIPLINE, Actor, require_role
from surveys.db import write_transaction
from surveys.errors import InvalidInput, NotFound, PermissionDenied, Term

CLOSED, WITHDRAWN = "closed", "withdrawn"
DUE_WORKING_DAYS = 15

# action -> (first status, {status: {next status: role that takes the step}})
STATE_MACHINES: dict[str, tuple[str, dict[str, dict[str, str]]]] = {
    "reminder": ("notice_issued", {
        "notice_issued": {"acknowledged": AGENCY},
        "acknowledged": {"rectification_received": AGENCY},
        "rectification_received": {CLOSED: DISCIPLINE},
    }),
    "interview": ("to_schedule", {
        "to_schedule": {"scheduled": DISCIPLINE},
        "scheduled": {"held": DISCIPLINE},
        "held": {"plan_received": AGENCY},
        "plan_received": {CLOSED: DISCIPLINE},
    }),
    "referral": ("referred", {
        "referred": {"investigation_opened": DISCIPLINE},
        "investigation_opened": {"outcome_recorded": DISCIPLINE},
        "outcome_recorded": {CLOSED: DISCIPLINE},
    }),
}


def add_working_days(start: date, days: int) -> date:
    """``days`` working days (Monday–Friday) after ``start``."""
    current = start
    while days > 0:
        current += timedelta(days=1)
        if current.weekday() < 5:
            days -= 1
    return current


def next_steps(action: str, status: str) -> dict[str, str]:
    return STATE_MACHINES[action][1].get(status, {})


def _event(db, case_id: int, actor: Actor, step: str, note: str = "", **details) -> None:
    db.execute(
        "INSERT INTO case_events (case_id, at, actor, step, note, details) VALUES (?, ?, ?, ?, ?, ?)",
        [case_id, clock.now_iso(), actor.audit_name, step, note, json.dumps(details, ensure_ascii=False)],
    )


def open_case(db, actor: Actor, round_name: str, agency: str, action: str, finalisation_id: int) -> int:
    """Open the case for an action; the caller (finalisation) holds the transaction."""
    first_status = STATE_MACHINES[action][0]
    opened = clock.now()
    due = add_working_days(opened.date(), DUE_WORKING_DAYS)
    case_id = db.execute(
        "INSERT INTO cases (round, agency, action, status, finalisation_id, opened_at, due_on)"
        " VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
        [round_name, agency, action, first_status, finalisation_id, opened.isoformat(timespec="seconds"),
         due.isoformat()],
    ).fetchone()[0]
    _event(db, case_id, actor, first_status)
    audit.record(db, actor, "case.opened", f"case/{case_id}", round=round_name, agency=agency, case_action=action)
    return case_id


def withdraw_case(db, actor: Actor, case_id: int, reason: str) -> None:
    """A re-finalisation no longer supports this case; the caller holds the transaction."""
    db.execute("UPDATE cases SET status = ?, closed_at = ? WHERE id = ?", [WITHDRAWN, clock.now_iso(), case_id])
    _event(db, case_id, actor, WITHDRAWN, reason)
    audit.record(db, actor, "case.withdrawn", f"case/{case_id}", reason=reason)


def active_cases(db, round_name: str) -> list[dict]:
    return list(db.query(
        "SELECT * FROM cases WHERE round = ? AND status NOT IN (?, ?)", [round_name, CLOSED, WITHDRAWN]))


def get_case(db, case_id: int) -> dict:
    rows = list(db.query("SELECT * FROM cases WHERE id = ?", [case_id]))
    if not rows:
        raise NotFound("cases.not_found", case=case_id)
    return rows[0]


def advance_case(db, actor: Actor, case_id: int, to_status: str, note: str = "", **details) -> None:
    """Take one step of the case's state machine, if the actor's role may take it."""
    require_role(actor, AGENCY, DISCIPLINE)
    with write_transaction(db):
        case = get_case(db, case_id)
        if actor.role == AGENCY and actor.agency_code != case["agency"]:
            raise PermissionDenied("cases.not_your_agency")
        allowed = next_steps(case["action"], case["status"])
        if to_status not in allowed:
            raise InvalidInput("cases.step_not_allowed", status=Term(f"cases.status.{case['status']}"),
                               step=Term(f"cases.status.{to_status}"))
        if allowed[to_status] != actor.role:
            raise PermissionDenied("cases.step_belongs_to", role=Term(f"roles.{allowed[to_status]}"))
        closed_at = clock.now_iso() if to_status == CLOSED else None
        db.execute("UPDATE cases SET status = ?, closed_at = ? WHERE id = ?", [to_status, closed_at, case_id])
        _event(db, case_id, actor, to_status, note, **details)
        audit.record(db, actor, f"case.{to_status}", f"case/{case_id}")


def case_events(db, case_id: int) -> list[dict]:
    return list(db.query("SELECT * FROM case_events WHERE case_id = ? ORDER BY id", [case_id]))
