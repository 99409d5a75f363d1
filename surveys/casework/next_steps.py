"""What each official is expected to do now, computed from the data, for the one
"next step" line at the top of every page of the agency, the discipline office and
the administrator (DESIGN §8: every screen says what is expected and what happens next).

Each function returns a small dict: ``kind`` names the situation (the page turns it
into catalogue text ``next_step.<role>.<kind>``), the other keys are the figures in it.
"""
from __future__ import annotations

from datetime import timedelta

from surveys.casework import cases
from surveys.casework import problems
from surveys.casework import views
from surveys.collection import monitoring
from surveys.collection import rounds
from surveys.core import clock
from surveys.core.actors import Actor
from surveys.core.permissions import allowed, requires


@requires("cases.view_own")
def agency_next_step(db, actor: Actor) -> dict:
    """The agency's own open work: cases waiting for its report (how many, the first due,
    how many overdue); else cases the discipline office is working on; else the open round.
    Problem tickets waiting for its answer ride along (``problems``): an enterprise's ticket
    has its own deadline whatever the cases say."""
    step = _agency_case_step(db, actor)
    step["problems"] = _problems_waiting(db, actor)
    step["overdue_marks"] = _overdue_marks(db, actor.agency_code)
    return step


def _overdue_marks(db, agency: str) -> dict[str, int]:
    """The agency's overdue steps the background check has reminded, and those it has escalated
    to the discipline office (surveys/casework/escalation.py), cases and tickets together."""
    marks = {"reminded": 0, "escalated": 0}
    for table, still_open in (("cases", f"status NOT IN ('{cases.CLOSED}', '{cases.WITHDRAWN}')"),
                              ("problems", f"status = '{problems.OPEN}'")):
        escalated, reminded = db.execute(
            f"SELECT count(escalated_on), count(reminded_on) - count(escalated_on) FROM {table}"
            f" WHERE agency = ? AND {still_open} AND reminded_on IS NOT NULL", [agency]).fetchone()
        marks["escalated"] += escalated
        marks["reminded"] += reminded
    return marks


def _problems_waiting(db, actor: Actor) -> dict:
    if not allowed(actor, "problems.answer"):
        return {"count": 0, "overdue": 0, "first_due": None}
    waiting = [p for p in problems.agency_problems(db, actor) if p["status"] == problems.OPEN]
    return {"count": len(waiting), "overdue": sum(bool(p["overdue"]) for p in waiting),
            "first_due": min((p["due_on"] for p in waiting), default=None)}


def _agency_case_step(db, actor: Actor) -> dict:
    mine = views.agency_cases(db, actor)
    waiting = sorted((c for c in mine if c["steps"]), key=lambda c: (c["due_on"], c["id"]))
    if waiting:
        return {"kind": "cases_waiting", "count": len(waiting), "first_due": waiting[0]["due_on"],
                "overdue": sum(bool(c["overdue"]) for c in waiting)}
    with_discipline = [c for c in mine if c["status"] not in cases.FINISHED]
    if with_discipline:
        return {"kind": "cases_with_discipline", "count": len(with_discipline)}
    current = rounds.open_round(db)
    if current:
        return {"kind": "round_open", "round": current["name"], "closes_on": current["closes_on"]}
    return {"kind": "nothing"}


@requires("cases.review")
def discipline_next_step(db, actor: Actor) -> dict:
    """The cases waiting for the discipline office's own step, by action (gravest first),
    how many of them are overdue, the appeals waiting for a decision, and the overdue agency
    steps escalated to it (cases and problem tickets)."""
    open_cases = [c for c in views.inbox(db, actor) if c["status"] not in cases.FINISHED]
    mine = [c for c in open_cases if cases.steps_for(actor, c)]
    pending_appeals = db.execute("SELECT count(*) FROM appeals WHERE status = 'pending'").fetchone()[0]
    by_action = {action: sum(c["action"] == action for c in mine) for action in views.SEVERITY}
    escalated = len(views.escalations(db, actor))
    inquiries = _open_inquiries(db, actor)
    if not mine and not pending_appeals and not escalated and not inquiries:
        return {"kind": "waiting_for_agencies" if open_cases else "nothing", "open": len(open_cases)}
    return {"kind": "decide", "referrals": by_action["referral"], "interviews": by_action["interview"],
            "reminders": by_action["reminder"], "overdue": sum(bool(c["overdue"]) for c in mine),
            "appeals": pending_appeals, "escalated": escalated, "inquiries": inquiries}


def _open_inquiries(db, actor: Actor) -> int:
    """Inquiries the office opened from a coaching signal and has not closed with a finding."""
    if not allowed(actor, "signals.review"):
        return 0
    from surveys.casework import signals  # signals reads cases through views, as this module does
    return sum(row["status"] == "open" for row in signals.list_inquiries(db, actor))


@requires("rounds.manage")
def admin_next_step(db, actor: Actor) -> dict:
    """Where the round cycle stands: the open round with its closing date and response rate;
    else the newest round waiting to be finalised or published; else the quarter to create next."""
    current = rounds.open_round(db)
    if current:
        progress = monitoring.round_progress(db, actor, current["name"])
        return {"kind": "round_open", "round": current["name"], "closes_on": current["closes_on"],
                "rate": progress["rate"]}
    for row in sorted(rounds.list_rounds(db), key=lambda r: r["name"], reverse=True):
        if row["status"] in (rounds.Status.CLOSED, rounds.Status.FINALISED):
            return {"kind": f"round_{row['status']}", "round": row["name"]}
        if row["status"] == rounds.Status.DRAFT:
            return {"kind": "round_draft", "round": row["name"]}
    names = {r["name"] for r in rounds.list_rounds(db)}
    quarter = rounds.quarter_of(clock.today())
    while quarter in names:
        quarter = rounds.quarter_of(rounds.quarter_bounds(quarter)[1] + timedelta(days=1))
    return {"kind": "create_round", "round": quarter}
