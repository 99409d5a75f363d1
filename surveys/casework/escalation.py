"""Overdue steps escalate themselves (issue 15 item 2): first a reminder to the agency, then the
discipline office's inbox — with no one having to look for them.

A problem ticket waiting for the agency (to contact or to fix) and a case waiting for the agency's
step are overdue the day after their deadline. The first background check that finds one overdue
records a reminder to the agency (the agency's next-step line and its pages show it); if the step is
still overdue more than ``escalation_grace_working_days`` working days after that reminder, the check
records it as escalated, and the discipline office's inbox lists it first. Taking the late step
clears both marks (the step's history keeps them). A case waiting for the discipline office itself is
not escalated: the office's own next-step line already counts its overdue cases.

The check runs in the background in every app process (surveys/collection/autoclose.py, the same
loop that closes rounds) and also closes unrated answers as satisfied by default (``problems.close_unrated``).
Each check is one write transaction, so several processes running it at once remind and escalate
each step exactly once; every reminder and escalation is audited as the system's.
"""
from __future__ import annotations

import logging
from datetime import date
from pathlib import Path

from surveys.casework import cases
from surveys.casework import deadlines
from surveys.casework import problems
from surveys.core import audit
from surveys.core import clock
from surveys.core import workdays
from surveys.core.actors import AGENCY, SYSTEM
from surveys.storage import db as database
from surveys.storage.db import write_transaction

log = logging.getLogger(__name__)
REMINDED, ESCALATED = "reminded", "escalated"


def next_mark(db, reminded_on: str | None, today: date) -> str | None:
    """What an overdue step gets now: a reminder if it has none, escalation once the grace after
    the reminder has passed, else nothing."""
    if reminded_on is None:
        return REMINDED
    grace = deadlines.working_days(db, "escalation_grace_working_days")
    last_day = workdays.add_working_days(db, date.fromisoformat(reminded_on), grace) if grace else \
        date.fromisoformat(reminded_on)
    return ESCALATED if last_day < today else None


def _agency_step_waiting(case: dict) -> bool:
    return AGENCY in cases.next_steps(case["action"], case["status"]).values()


def escalate_overdue(db) -> dict[str, list[int]]:
    """One check: remind or escalate every overdue agency step; returns the ids marked, by kind."""
    marked: dict[str, list[int]] = {"problems_reminded": [], "problems_escalated": [],
                                    "cases_reminded": [], "cases_escalated": []}
    with write_transaction(db):
        today = clock.today()
        for ticket in list(db.query("SELECT * FROM problems WHERE status = ? AND escalated_on IS NULL",
                                    [problems.OPEN])):
            step = problems.overdue_step(ticket, today)
            mark = step and next_mark(db, ticket["reminded_on"], today)
            if mark:
                _mark_problem(db, ticket, mark, step, today)
                marked[f"problems_{mark}"].append(ticket["id"])
        for case in list(db.query("SELECT * FROM cases WHERE escalated_on IS NULL")):
            mark = (cases.is_overdue(case, today) and _agency_step_waiting(case)
                    and next_mark(db, case["reminded_on"], today))
            if mark:
                _mark_case(db, case, mark, today)
                marked[f"cases_{mark}"].append(case["id"])
    return marked


def _mark_problem(db, ticket: dict, mark: str, step: str, today: date) -> None:
    column = "reminded_on" if mark == REMINDED else "escalated_on"
    db.execute(f"UPDATE problems SET {column} = ? WHERE id = ?", [today.isoformat(), ticket["id"]])
    db.execute("INSERT INTO problem_events (problem_id, at, actor_role, actor, step, note, late)"
               " VALUES (?, ?, ?, ?, ?, '', 0)",  # the step names the lateness; the mark is for the agency's own steps
               [ticket["id"], clock.now_iso(), SYSTEM.role, SYSTEM.audit_name, f"{mark}_{step}"])
    audit.record(db, SYSTEM, f"problem.{mark}", f"problem/{ticket['id']}", step=step, due_on=ticket["due_on"])


def _mark_case(db, case: dict, mark: str, today: date) -> None:
    column = "reminded_on" if mark == REMINDED else "escalated_on"
    db.execute(f"UPDATE cases SET {column} = ? WHERE id = ?", [today.isoformat(), case["id"]])
    db.execute("INSERT INTO case_events (case_id, at, actor, step, note, details) VALUES (?, ?, ?, ?, '', ?)",
               [case["id"], clock.now_iso(), SYSTEM.audit_name, mark, f'{{"due_on": "{case["due_on"]}"}}'])
    audit.record(db, SYSTEM, f"case.{mark}", f"case/{case['id']}", due_on=case["due_on"])


def run_checks(db) -> dict[str, list[int]]:
    """Everything the closed loop does by itself: 默认满意 for unrated answers, then reminders and escalations."""
    closed = problems.close_unrated(db)
    return {"problems_default_satisfied": closed, **escalate_overdue(db)}


def check_due(path: str | Path) -> dict[str, list[int]]:
    """One background check on the database at ``path``; a failure is logged and tried again next time."""
    try:
        db = database.connect(path)
        try:
            done = run_checks(db)
        finally:
            db.close()
    except Exception:  # the server must keep serving; the next check tries again
        log.exception("closed-loop check failed for %s", path)
        return {}
    if any(done.values()):
        log.info("closed-loop check: %s", {k: v for k, v in done.items() if v})
    return done
