"""Enterprise problems (登记销号): registered, answered, and judged by the enterprise that raised them.

An enterprise that has rated an agency in the open round may report a concrete
problem it needs solved. The ticket goes to that agency with two deadlines
(surveys/casework/deadlines.py, county settings in working days): contact the
enterprise within 1 working day, and fix the problem within 5 (simple) or 15
(complex) working days of the day it was raised. The agency says which when it
contacts (``contact_problem``); until then, and when it answers without a
separate contact (an answer is a contact), the complex deadline stands.

The agency answers; the enterprise rates the answer (``rate_problem``): satisfied or
basically satisfied close the ticket (solved); dissatisfied reopens it with a new deadline counted
from that day (simple or complex as before) and counts against the agency
(``times_not_solved``, and in the rates). An answer the enterprise does not rate
within the set working days closes as satisfied by default, recorded as such by the system
(``close_unrated``). Every rating keeps the answer it judged and whether that
answer was late. A ticket still waiting for the agency after a deadline is
overdue; the background check reminds the agency, then escalates it to the
discipline office (surveys/casework/escalation.py).

Privacy: the agency sees the problem, never who raised it — unless the
enterprise ticked "you may contact us", and then only its name and contact.
Each step records the actor's role for display; the actor's name is kept for
the record but never shown to an agency. The audit log (the administrator's)
records an enterprise's steps by round only — not the ticket, not the agency:
the administrator reads every ticket, and raising one needs a rating of that
agency, so either would tie the enterprise to its ticket and its rating.
"""
from __future__ import annotations

from datetime import date

from surveys.core import audit
from surveys.casework import cases
from surveys.casework import deadlines
from surveys.core import clock
from surveys.collection import rounds
from surveys.core import workdays
from surveys.core.actors import SYSTEM, Actor
from surveys.storage.db import write_transaction
from surveys.core.errors import InvalidInput, NotFound, PermissionDenied, Term
from surveys.core.permissions import require, requires

DUE_WORKING_DAYS = deadlines.DEFAULTS["problem_complex_working_days"]
MAX_TEXT = 1000
OPEN, ANSWERED, SOLVED = "open", "answered", "solved"
SIMPLE, COMPLEX = "simple", "complex"
SIZES = (SIMPLE, COMPLEX)
# the enterprise's verdict on an answer, best first; the system's when it gives none in time
SATISFIED, BASICALLY_SATISFIED, DISSATISFIED = "satisfied", "basically_satisfied", "dissatisfied"
RATINGS = (SATISFIED, BASICALLY_SATISFIED, DISSATISFIED)
DEFAULT_SATISFIED = "default_satisfied"
CLOSING_RATINGS = (SATISFIED, BASICALLY_SATISFIED, DEFAULT_SATISFIED)
CONTACT, FIX = "contact", "fix"  # the two steps a ticket waits for the agency


def due_working_days(db) -> int:
    """The longest a problem may take: the complex deadline (what the enterprise is told)."""
    return deadlines.working_days(db, "problem_complex_working_days")


def size_working_days(db, complexity: str | None) -> int:
    name = "problem_simple_working_days" if complexity == SIMPLE else "problem_complex_working_days"
    return deadlines.working_days(db, name)


def overdue_step(problem: dict, on: date | None = None) -> str | None:
    """The step the agency is late with: contact (not contacted by its deadline) or fix
    (not answered by its deadline), or None."""
    if problem["status"] != OPEN:
        return None
    today = (on or clock.today()).isoformat()
    if problem.get("contacted_at") is None and (problem.get("contact_due_on") or problem["due_on"]) < today:
        return CONTACT
    return FIX if problem["due_on"] < today else None


def is_overdue(problem: dict, on: date | None = None) -> bool:
    return overdue_step(problem, on) is not None


def _event(db, problem_id: int, actor: Actor, step: str, note: str = "", late: bool = False) -> None:
    db.execute("INSERT INTO problem_events (problem_id, at, actor_role, actor, step, note, late)"
               " VALUES (?, ?, ?, ?, ?, ?, ?)",
               [problem_id, clock.now_iso(), actor.role, actor.audit_name, step, note, int(late)])


def _text(text: str, key: str) -> str:
    cleaned = cases.clean_text(text, MAX_TEXT)
    if not cleaned:
        raise InvalidInput(key)
    return cleaned


def get_problem(db, problem_id: int) -> dict:
    rows = list(db.query("SELECT * FROM problems WHERE id = ?", [problem_id]))
    if not rows:
        raise NotFound("casework.problems.not_found", problem=problem_id)
    return rows[0]


def _require_state(problem: dict, status: str) -> None:
    if problem["status"] != status:
        raise InvalidInput("casework.problems.wrong_state", status=Term(f"casework.problems.status.{problem['status']}"),
                           needed=Term(f"casework.problems.status.{status}"))


@requires("problems.raise")
def raise_problem(db, actor: Actor, agency: str, text: str, may_contact: bool = False) -> int:
    """Register the enterprise's problem with an agency it rated in the open round."""
    text = _text(text, "casework.problems.text_needed")
    with write_transaction(db):
        current = rounds.open_round(db)
        if current is None:
            raise InvalidInput("casework.problems.no_open_round")
        rounds.require_open(db, current["name"])
        if not db.execute("SELECT 1 FROM responses WHERE round = ? AND enterprise = ? AND agency = ?",
                          [current["name"], actor.id, agency]).fetchone():
            raise InvalidInput("casework.problems.rate_first")
        today = clock.today()
        contact_due = workdays.add_working_days(db, today, deadlines.working_days(db, "problem_contact_working_days"))
        due = workdays.add_working_days(db, today, due_working_days(db))
        problem_id = db.execute(
            "INSERT INTO problems (round, agency, enterprise, text, may_contact, raised_at, due_on, contact_due_on)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            [current["name"], agency, actor.id, text, int(bool(may_contact)), clock.now_iso(), due.isoformat(),
             contact_due.isoformat()]).fetchone()[0]
        _event(db, problem_id, actor, "raised", text)
        audit.record(db, actor, "problem.raised", current["name"])
    return problem_id


def _agency_ticket(db, actor: Actor, problem_id: int) -> dict:
    problem = get_problem(db, problem_id)
    require(actor, "problems.answer", resource=problem["agency"], not_yours="casework.problems.not_your_agency")
    _require_state(problem, OPEN)
    return problem


@requires("problems.answer")
def contact_problem(db, actor: Actor, problem_id: int, complexity: str, note: str = "") -> None:
    """The agency has contacted the enterprise and says whether the fix is simple or complex:
    the fix is then due that many working days after the problem was raised."""
    if complexity not in SIZES:
        raise InvalidInput("loop.problems.size_needed")
    note = cases.clean_text(note, MAX_TEXT)
    with write_transaction(db):
        problem = _agency_ticket(db, actor, problem_id)
        if problem["contacted_at"] is not None:
            raise InvalidInput("loop.problems.already_contacted")
        late = overdue_step(problem) == CONTACT
        raised_on = clock.county_date(problem["raised_at"])
        due = workdays.add_working_days(db, raised_on, size_working_days(db, complexity)).isoformat()
        db.execute("UPDATE problems SET contacted_at = ?, complexity = ?, due_on = ?, reminded_on = NULL,"
                   " escalated_on = NULL WHERE id = ?", [clock.now_iso(), complexity, due, problem_id])
        _event(db, problem_id, actor, f"contacted_{complexity}", note, late=late)
        audit.record(db, actor, "problem.contacted", f"problem/{problem_id}", complexity=complexity, due_on=due,
                     late=late)


@requires("problems.answer")
def answer_problem(db, actor: Actor, problem_id: int, answer: str) -> None:
    """The agency's answer: what it did about the problem (an answer is also a contact)."""
    answer = _text(answer, "casework.problems.answer_needed")
    with write_transaction(db):
        problem = _agency_ticket(db, actor, problem_id)
        late = problem["due_on"] < clock.today().isoformat()
        now = clock.now_iso()
        db.execute("UPDATE problems SET status = ?, answered_at = ?, contacted_at = coalesce(contacted_at, ?),"
                   " reminded_on = NULL, escalated_on = NULL WHERE id = ?", [ANSWERED, now, now, problem_id])
        _event(db, problem_id, actor, ANSWERED, answer, late=late)
        audit.record(db, actor, "problem.answered", f"problem/{problem_id}", late=late)


def _record_rating(db, problem: dict, rating: str, comment: str) -> None:
    """The rating of the ticket's latest answer, with when that answer came and whether it was late."""
    event_id, answered_at, late = db.execute(
        "SELECT id, at, late FROM problem_events WHERE problem_id = ? AND step = ? ORDER BY id DESC LIMIT 1",
        [problem["id"], ANSWERED]).fetchone()
    db.execute("INSERT INTO problem_ratings (problem_id, round, agency, rated_at, rating, comment, answer_event_id,"
               " answered_at, answer_late) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
               [problem["id"], problem["round"], problem["agency"], clock.now_iso(), rating, comment, event_id,
                answered_at, late])


@requires("problems.raise")
def rate_problem(db, actor: Actor, problem_id: int, rating: str, comment: str = "") -> None:
    """The enterprise judges the agency's answer: 满意 / 基本满意 solve the ticket; 不满意
    reopens it with a new deadline (counted from today, by its size) and counts against the agency."""
    if rating not in RATINGS:
        raise InvalidInput("loop.problems.rating_needed")
    comment = cases.clean_text(comment, MAX_TEXT)
    with write_transaction(db):
        problem = get_problem(db, problem_id)
        if problem["enterprise"] != actor.id:
            raise PermissionDenied("casework.problems.not_yours")
        _require_state(problem, ANSWERED)
        _record_rating(db, problem, rating, comment)
        if rating == DISSATISFIED:
            due = workdays.add_working_days(db, clock.today(), size_working_days(db, problem["complexity"]))
            db.execute("UPDATE problems SET status = ?, times_not_solved = times_not_solved + 1, due_on = ?,"
                       " reminded_on = NULL, escalated_on = NULL WHERE id = ?", [OPEN, due.isoformat(), problem_id])
        else:
            db.execute("UPDATE problems SET status = ?, closed_at = ? WHERE id = ?",
                       [SOLVED, clock.now_iso(), problem_id])
        _event(db, problem_id, actor, f"rated_{rating}", comment)
        audit.record(db, actor, f"problem.rated_{rating}", problem["round"])


@requires("problems.raise")
def confirm_problem(db, actor: Actor, problem_id: int, solved: bool, note: str = "") -> None:
    """Solved / not solved, as before issue 15: the same as rating 满意 / 不满意."""
    rate_problem(db, actor, problem_id, SATISFIED if solved else DISSATISFIED, note)


def rating_due_on(db, problem: dict) -> date | None:
    """The last day the enterprise may rate the answer; after it the answer counts as 默认满意."""
    if problem["status"] != ANSWERED or not problem["answered_at"]:
        return None
    return workdays.add_working_days(db, clock.county_date(problem["answered_at"]),
                                     deadlines.working_days(db, "problem_rating_working_days"))


def close_unrated(db) -> list[int]:
    """Close as 默认满意 every answer not rated by its last day (the system does it, on record).
    One write transaction: run by several processes at once, each answer is closed once."""
    closed = []
    with write_transaction(db):
        today = clock.today()
        for problem in list(db.query("SELECT * FROM problems WHERE status = ?", [ANSWERED])):
            last_day = rating_due_on(db, problem)
            if last_day is None or last_day >= today:
                continue
            _record_rating(db, problem, DEFAULT_SATISFIED, "")
            db.execute("UPDATE problems SET status = ?, closed_at = ? WHERE id = ?",
                       [SOLVED, clock.now_iso(), problem["id"]])
            _event(db, problem["id"], SYSTEM, f"rated_{DEFAULT_SATISFIED}")
            audit.record(db, SYSTEM, f"problem.rated_{DEFAULT_SATISFIED}", f"problem/{problem['id']}",
                         last_day=last_day.isoformat())
            closed.append(problem["id"])
    return closed


def _events(db, problem_id: int) -> list[dict]:
    """The ticket's steps as anyone may see them: role, step, note, when, late — never the actor's name."""
    return list(db.query("SELECT at, actor_role, step, note, late FROM problem_events"
                         " WHERE problem_id = ? ORDER BY id", [problem_id]))


def _shown(db, problem: dict, with_contact: bool) -> dict:
    """A ticket without the enterprise; with its name and contact only if it agreed (and ``with_contact``)."""
    row = {k: v for k, v in problem.items() if k != "enterprise"}
    row["raised_at"] = problem["raised_at"][:10]  # the day is enough; a minute could point to someone
    row["overdue"] = is_overdue(problem)
    row["overdue_step"] = overdue_step(problem)
    row["escalated"] = bool(problem.get("escalated_on")) and problem["status"] == OPEN
    row["events"] = [{**e, "at": e["at"][:10]} for e in _events(db, problem["id"])]
    row["contact"] = None
    if with_contact and problem["may_contact"]:
        contact = db.execute("SELECT name, contact_person, contact_phone FROM enterprises WHERE uscc = ?",
                             [problem["enterprise"]]).fetchone()
        row["contact"] = {"name": contact[0], "person": contact[1], "phone": contact[2]}
    return row


@requires("problems.raise")
def my_problems(db, actor: Actor) -> list[dict]:
    """The enterprise's own tickets, newest first."""
    rows = db.query("SELECT * FROM problems WHERE enterprise = ? ORDER BY id DESC", [actor.id])
    return [_shown(db, p, with_contact=False) for p in rows]


@requires("problems.answer")
def agency_problems(db, actor: Actor) -> list[dict]:
    """Tickets for the acting agency: waiting for it first, then overdue, then by deadline."""
    rows = db.query("SELECT * FROM problems WHERE agency = ? ORDER BY id DESC", [actor.agency_code])
    shown = [_shown(db, p, with_contact=True) for p in rows]
    return sorted(shown, key=lambda p: (p["status"] != OPEN, not p["overdue"], p["due_on"]))


@requires("problems.view_all")
def problems_overview(db, actor: Actor, include_solved: bool = False) -> list[dict]:
    """Every agency's tickets for the discipline office: overdue first; the raiser stays
    hidden (as from the agency) unless it agreed to be contacted or is revealed."""
    rows = db.query("SELECT * FROM problems ORDER BY id DESC")
    shown = [_shown(db, p, with_contact=True) for p in rows if include_solved or p["status"] != SOLVED]
    return sorted(shown, key=lambda p: (not p["overdue"], p["status"] == SOLVED, p["due_on"]))


@requires("problems.view_all")
def problem_counts(db, actor: Actor) -> dict[str, int]:
    rows = problems_overview(db, actor)
    return {"open": len(rows), "overdue": sum(p["overdue"] for p in rows),
            "waiting": sum(p["status"] == OPEN for p in rows)}
