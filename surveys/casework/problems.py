"""Enterprise problems (登记销号): registered, answered, and closed only when the
enterprise says so.

An enterprise that has rated an agency in the open round may report a concrete
problem it needs solved. The ticket goes to that agency with a deadline
(setting ``problem_due_working_days``, default 15 working days). The agency
answers; the enterprise confirms solved (closed) or not solved (back to the
agency, same deadline, counted). A ticket still waiting for the agency after
its deadline is overdue; an answer after it is marked late.

Privacy: the agency sees the problem, never who raised it — unless the
enterprise ticked "you may contact us", and then only its name and contact.
Each step records the actor's role for display; the actor's name is kept for
the record but never shown to an agency. The audit log (the administrator's)
records an enterprise's steps by round only — not the ticket, not the agency:
the administrator reads every ticket, and raising one needs a rating of that
agency, so either would tie the enterprise to its ticket and its rating.
"""
from __future__ import annotations

from surveys.core import audit
from surveys.casework import cases
from surveys.core import clock
from surveys.collection import rounds
from surveys.core import workdays
from surveys.core.actors import Actor
from surveys.storage.db import write_transaction
from surveys.core.errors import InvalidInput, NotFound, PermissionDenied, Term
from surveys.core.permissions import require, requires

DUE_WORKING_DAYS = 15
MAX_TEXT = 1000
OPEN, ANSWERED, SOLVED = "open", "answered", "solved"


def due_working_days(db) -> int:
    return cases.configured_int(db, "problem_due_working_days", DUE_WORKING_DAYS)


def is_overdue(problem: dict) -> bool:
    return problem["status"] == OPEN and problem["due_on"] < clock.today().isoformat()


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
        due = workdays.add_working_days(db, clock.today(), due_working_days(db)).isoformat()
        problem_id = db.execute(
            "INSERT INTO problems (round, agency, enterprise, text, may_contact, raised_at, due_on)"
            " VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
            [current["name"], agency, actor.id, text, int(bool(may_contact)), clock.now_iso(), due]).fetchone()[0]
        _event(db, problem_id, actor, "raised", text)
        audit.record(db, actor, "problem.raised", current["name"])
    return problem_id


@requires("problems.answer")
def answer_problem(db, actor: Actor, problem_id: int, answer: str) -> None:
    """The agency's answer: what it did about the problem."""
    answer = _text(answer, "casework.problems.answer_needed")
    with write_transaction(db):
        problem = get_problem(db, problem_id)
        require(actor, "problems.answer", resource=problem["agency"], not_yours="casework.problems.not_your_agency")
        _require_state(problem, OPEN)
        late = is_overdue(problem)
        db.execute("UPDATE problems SET status = ? WHERE id = ?", [ANSWERED, problem_id])
        _event(db, problem_id, actor, ANSWERED, answer, late=late)
        audit.record(db, actor, "problem.answered", f"problem/{problem_id}", late=late)


@requires("problems.raise")
def confirm_problem(db, actor: Actor, problem_id: int, solved: bool, note: str = "") -> None:
    """The enterprise says whether the answer solved it; not solved sends it back, deadline kept."""
    note = cases.clean_text(note, MAX_TEXT)
    with write_transaction(db):
        problem = get_problem(db, problem_id)
        if problem["enterprise"] != actor.id:
            raise PermissionDenied("casework.problems.not_yours")
        _require_state(problem, ANSWERED)
        if solved:
            db.execute("UPDATE problems SET status = ?, closed_at = ? WHERE id = ?",
                       [SOLVED, clock.now_iso(), problem_id])
        else:
            db.execute("UPDATE problems SET status = ?, times_not_solved = times_not_solved + 1 WHERE id = ?",
                       [OPEN, problem_id])
        step = "confirmed_solved" if solved else "not_solved"
        _event(db, problem_id, actor, step, note)
        audit.record(db, actor, f"problem.{step}", problem["round"])


def _events(db, problem_id: int) -> list[dict]:
    """The ticket's steps as anyone may see them: role, step, note, when, late — never the actor's name."""
    return list(db.query("SELECT at, actor_role, step, note, late FROM problem_events"
                         " WHERE problem_id = ? ORDER BY id", [problem_id]))


def _shown(db, problem: dict, with_contact: bool) -> dict:
    """A ticket without the enterprise; with its name and contact only if it agreed (and ``with_contact``)."""
    row = {k: v for k, v in problem.items() if k != "enterprise"}
    row["raised_at"] = problem["raised_at"][:10]  # the day is enough; a minute could point to someone
    row["overdue"] = is_overdue(problem)
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
