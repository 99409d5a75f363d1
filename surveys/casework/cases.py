"""Escalation cases: the follow-up of every reminder, interview and referral.

Each action has its own state machine; each step names who may take it and
what it must record (an interview's date and attendees, its notes, a referral's
outcome, the agency's rectification report). Finalisation opens a case for
every action; a re-finalisation that changes an agency's action withdraws the
open case it no longer supports.

Due dates: a case is due a number of working days after it opens (setting
``case_due_working_days``, default 15); once an interview is held, the
agency's rectification plan is due that many working days after it. A case
not closed or withdrawn whose due date has passed is overdue. The agency may
still submit late; the step is then marked late.
"""
from __future__ import annotations

import json
from datetime import date

from scoring.actions import INTERVIEW, REFERRAL, REMINDER
from surveys.core import audit
from surveys.core import clock
from surveys.core import workdays
from surveys.core.actors import AGENCY, DISCIPLINE, Actor
from surveys.storage.db import write_transaction
from surveys.core.errors import InvalidInput, NotFound, PermissionDenied, Term
from surveys.core.permissions import allowed, covers_agency, require, requires
from surveys.core.plain_text import plain_text

CLOSED, WITHDRAWN = "closed", "withdrawn"
FINISHED = (CLOSED, WITHDRAWN)
DUE_WORKING_DAYS = 15
MAX_TEXT = 2000  # a note, an interview's notes, a rectification report

# action -> (first status, {status: {next status: role that takes the step}})
STATE_MACHINES: dict[str, tuple[str, dict[str, dict[str, str]]]] = {
    REMINDER: ("notice_issued", {
        "notice_issued": {"acknowledged": AGENCY},
        "acknowledged": {"rectification_received": AGENCY},
        "rectification_received": {CLOSED: DISCIPLINE, "rectification_redo": DISCIPLINE},
        "rectification_redo": {"rectification_received": AGENCY},
    }),
    INTERVIEW: ("to_schedule", {
        "to_schedule": {"scheduled": DISCIPLINE},
        "scheduled": {"held": DISCIPLINE},
        "held": {"plan_received": AGENCY},
        "plan_received": {CLOSED: DISCIPLINE, "plan_redo": DISCIPLINE},
        "plan_redo": {"plan_received": AGENCY},
    }),
    REFERRAL: ("referred", {
        "referred": {"investigation_opened": DISCIPLINE},
        "investigation_opened": {"outcome_recorded": DISCIPLINE},
        "outcome_recorded": {CLOSED: DISCIPLINE},
    }),
}


# Whose step it is (above) and what lets an account take it: the capability that party's role holds.
STEP_CAPABILITY = {AGENCY: "cases.answer", DISCIPLINE: "cases.review"}


def may_take(actor: Actor, party: str) -> bool:
    return allowed(actor, STEP_CAPABILITY[party])


# what a step must record: a note, and/or named details
NOTE_REQUIRED = {"held", "rectification_received", "plan_received", "rectification_redo", "plan_redo"}
DETAILS_REQUIRED = {"scheduled": ("interview_on", "attendees"), "outcome_recorded": ("outcome",)}
DATE_DETAILS = {"interview_on"}
# A referral's outcome may carry the investigation's finding, yes or no: did it find fault?
# The year's veto (DESIGN §4.11, surveys/results/annual.py) reads it; an outcome recorded
# without it (before it was asked) is no finding, and vetoes nothing.
FAULT_FOUND = "fault_found"
FINDING_STEP = "outcome_recorded"
# the agency's report that answers a case, by action
REPORT_STEPS = {REMINDER: "rectification_received", INTERVIEW: "plan_received"}
# the discipline office's review of a report (issue 15): closing records it as passed; redo sends
# the report back to the agency with a new deadline. A case with a report closes only after review.
REDO_STEPS = {"rectification_redo", "plan_redo"}
REVIEW_PASSED, REVIEW_REDO = "passed", "redo"


def configured_int(db, name: str, default: int) -> int:
    """A whole-number county setting (table ``settings``), or its default."""
    row = db.execute("SELECT value FROM settings WHERE name = ?", [name]).fetchone()
    try:
        return int(row[0]) if row else default
    except ValueError:
        return default


def due_working_days(db) -> int:
    return configured_int(db, "case_due_working_days", DUE_WORKING_DAYS)


def clean_text(text: str | None, maximum: int = MAX_TEXT) -> str:
    return plain_text(text, maximum, "casework.errors.too_long")


def is_overdue(case: dict, on: date | None = None) -> bool:
    return case["status"] not in FINISHED and case["due_on"] < (on or clock.today()).isoformat()


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
    due = workdays.add_working_days(db, clock.today(), due_working_days(db))
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


def steps_for(actor: Actor, case: dict) -> list[str]:
    """The steps this actor may take on the case now (none for another agency's case)."""
    if not covers_agency(actor, case["agency"]):
        return []
    return [step for step, party in next_steps(case["action"], case["status"]).items() if may_take(actor, party)]


def _checked_details(to_status: str, note: str, details: dict) -> tuple[str, dict]:
    """The step's note and details, cleaned, or a refusal naming what is missing or wrong."""
    note = clean_text(note)
    if to_status in NOTE_REQUIRED and not note:
        raise InvalidInput("casework.errors.note_needed", step=Term(f"cases.status.{to_status}"))
    checked = {}
    for name in DETAILS_REQUIRED.get(to_status, ()):
        value = details.get(name)
        if name in DATE_DETAILS:
            try:
                checked[name] = (value if isinstance(value, date) else date.fromisoformat(str(value))).isoformat()
            except ValueError:
                raise InvalidInput("casework.errors.bad_date", field=Term(f"casework.fields.{name}"),
                                   value=value) from None
        else:
            checked[name] = clean_text(value)
            if not checked[name]:
                raise InvalidInput("casework.errors.detail_needed", field=Term(f"casework.fields.{name}"))
    if to_status == FINDING_STEP and details.get(FAULT_FOUND) is not None:
        if not isinstance(details[FAULT_FOUND], bool):  # "no" or 0 must never read as a finding of fault
            raise InvalidInput("casework.errors.bad_finding", value=details[FAULT_FOUND])
        checked[FAULT_FOUND] = details[FAULT_FOUND]
    return note, checked


@requires("cases.advance")
def advance_case(db, actor: Actor, case_id: int, to_status: str, note: str = "", **details) -> None:
    """Take one step of the case's state machine, if the actor's role may take it.

    Refused with the reason: another agency's case, a step the current state
    does not allow, a step that belongs to the other role, or missing details.
    """
    with write_transaction(db):
        case = get_case(db, case_id)
        require(actor, "cases.advance", resource=case["agency"], not_yours="cases.not_your_agency")
        steps = next_steps(case["action"], case["status"])
        if to_status not in steps:
            raise InvalidInput("cases.step_not_allowed", status=Term(f"cases.status.{case['status']}"),
                               step=Term(f"cases.status.{to_status}"))
        if not may_take(actor, steps[to_status]):
            raise PermissionDenied("cases.step_belongs_to", role=Term(f"roles.{steps[to_status]}"))
        note, checked = _checked_details(to_status, note, details)
        if to_status in REPORT_STEPS.values():
            checked["late"] = is_overdue(case)
        due_on = case["due_on"]
        if to_status == CLOSED and case["status"] in REPORT_STEPS.values():
            checked["review"] = REVIEW_PASSED
        if to_status in REDO_STEPS:
            checked["review"] = REVIEW_REDO
        if to_status == "held" or to_status in REDO_STEPS:  # the (new) report is due counted from today
            due_on = workdays.add_working_days(db, clock.today(), due_working_days(db)).isoformat()
            checked["due_on"] = due_on
        closed_at = clock.now_iso() if to_status == CLOSED else None
        # a step taken ends its reminder and escalation; the timeline keeps them
        db.execute("UPDATE cases SET status = ?, closed_at = ?, due_on = ?, reminded_on = NULL, escalated_on = NULL"
                   " WHERE id = ?", [to_status, closed_at, due_on, case_id])
        _event(db, case_id, actor, to_status, note, **checked)
        audit.record(db, actor, f"case.{to_status}", f"case/{case_id}", **checked)


def case_events(db, case_id: int) -> list[dict]:
    """The case's timeline, oldest first, each step's details decoded."""
    rows = list(db.query("SELECT * FROM case_events WHERE case_id = ? ORDER BY id", [case_id]))
    for row in rows:
        row["details"] = json.loads(row["details"] or "{}")
    return rows
