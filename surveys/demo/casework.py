"""The demo county's casework history: cases moved along realistic paths, an
appeal waiting for a decision, and enterprise problems at every stage.

Called once, after the demo's finalisation (which ran on the day each round's
cases were opened, a week after it closed). The demo's quarters happened in
the past, so each step is taken through the ordinary services with the clock
set to the day it would have happened, counted in working days from the
case's opening (never later than now): whether a step was on time or late,
and which cases are overdue today, is the same on whatever day the demo is
built. Then:

- cases of rounds older than the last two: closed, with plausible notes;
- the second-to-last round: mostly done, some stuck in the middle (overdue);
- the last round: at every stage; its first referral (by agency code) is left
  at "referred" for the discipline office to take through in the browser, and
  reminders are spread over their first three states;
- an appeal from the last round's fair agency whose score would rise most
  without its lowest rating, lodged inside the window and not yet decided;
- four problem tickets in the open round: open, answered, solved, not solved;
- this month's handling, so that the current month's monthly bulletin always has something on
  time, late and overdue whatever the date: today, one overdue case of the second-to-last round is
  answered and closed (late) and one acknowledged reminder of the last round is answered and closed
  within its deadline (on time); the other overdue cases stay overdue.
"""
from __future__ import annotations

import contextlib
import tomllib
from datetime import date

import sqlite_utils

from scoring.actions import INTERVIEW, REFERRAL, REMINDER
from surveys.casework import appeals
from surveys.casework import cases
from surveys.casework import views as casework
from surveys.core import clock
from surveys.casework import problems
from surveys.collection import rounds
from surveys.core import workdays
from surveys.core.actors import AGENCY, DISCIPLINE, ENTERPRISE, Actor
from surveys.core.paths import DATA_DIR

DATA = DATA_DIR / "demo_casework.toml"
DISCIPLINE_DEMO = Actor(role=DISCIPLINE, id="discipline", name="discipline")
# working days after opening for each step, by action; the deadline is 15 working days
# (for an interview's plan, 15 after the interview is held)
TIMING = {
    REMINDER: {"acknowledged": 2, "rectification_received": 12, "closed": 16},
    INTERVIEW: {"scheduled": 3, "held": 8, "plan_received": 20, "closed": 26},
    REFERRAL: {"investigation_opened": 5, "outcome_recorded": 40, "closed": 45},
}
# The referrals whose investigation finds fault (and so veto the agency's year, DESIGN §4.11): the
# agency that was poor twice in a row, twice over; the other referrals' investigations find none.
FAULT_FOUND_AGENCIES = {"SCJG"}
# every fourth reminder's report comes in after its deadline (marked late, on record)
LATE_REMINDER = {"acknowledged": 4, "rectification_received": 18, "closed": 21}


def _notes() -> dict:
    with DATA.open("rb") as f:
        return tomllib.load(f)


@contextlib.contextmanager
def on_day(day: date):
    """Take the steps inside at 09:30 county time on ``day``, or now if that is later
    (demo history only); the clock is restored after."""
    saved = clock.frozen()
    moment = min(clock.at_county(day, 9, 30), clock.now())
    clock.freeze(moment)
    try:
        yield
    finally:
        clock.freeze(saved)


def _agency_actor(code: str) -> Actor:
    return Actor(role=AGENCY, id=code.lower(), name=code.lower(), agency_code=code)


def _pick(options: list[str], index: int) -> str:
    return options[index % len(options)]


def _outcome(agency: str, notes: dict, index: int) -> dict:
    """A referral's outcome and its finding: fault found for FAULT_FOUND_AGENCIES only."""
    n = notes["notes"]
    if agency in FAULT_FOUND_AGENCIES:
        return {"outcome": _pick(n["outcome"], index), cases.FAULT_FOUND: True}
    return {"outcome": _pick(n["outcome_no_fault"], index), cases.FAULT_FOUND: False}


def _step_arguments(step: str, held_on: date, notes: dict, index: int, agency: str) -> tuple[str, dict]:
    n = notes["notes"]
    return {
        "acknowledged": (_pick(n["acknowledged"], index), {}),
        "rectification_received": (_pick(n["rectification"], index), {}),
        "scheduled": ("", {"interview_on": held_on,
                           "attendees": _pick(n["attendees"], index)}),
        "held": (_pick(n["held"], index), {}),
        "plan_received": (_pick(n["plan"], index), {}),
        "investigation_opened": (_pick(n["investigation"], index), {}),
        "outcome_recorded": ("", _outcome(agency, notes, index)),
    }.get(step, ("", {}))


def _closing_note(action: str, notes: dict, index: int) -> str:
    return _pick(notes["notes"][f"close_{action}"], index)


def _timing(action: str, index: int) -> dict[str, int]:
    return LATE_REMINDER if action == REMINDER and index % 4 == 3 else TIMING[action]


def _take_path(db, case: dict, stop_at: str, notes: dict, index: int) -> None:
    """Walk the case's state machine up to (and including) ``stop_at``."""
    calendar = workdays.load_calendar(db)
    opened = clock.county_date(case["opened_at"])
    day = {step: calendar.add_working_days(opened, n) for step, n in _timing(case["action"], index).items()}
    status = case["status"]
    while status != stop_at:
        step, role = next(iter(cases.next_steps(case["action"], status).items()))
        who = DISCIPLINE_DEMO if role == DISCIPLINE else _agency_actor(case["agency"])
        if step == cases.CLOSED:
            note, details = _closing_note(case["action"], notes, index), {}
        else:
            note, details = _step_arguments(step, day.get("held", opened), notes, index, case["agency"])
        with on_day(day[step]):
            cases.advance_case(db, who, case["id"], step, note, **details)
        status = step


def _target(case: dict, age: int, index: int, keep_first_referral: bool, keep_reminder: str | None) -> str:
    """Where a case of a round ``age`` rounds back from the last one stops."""
    action, first = case["action"], cases.STATE_MACHINES[case["action"]][0]
    if age >= 2:
        return cases.CLOSED
    if age == 1:
        middle = {REMINDER: "acknowledged", INTERVIEW: "plan_received", REFERRAL: "outcome_recorded"}
        return middle[action] if index % 3 == 0 else cases.CLOSED
    if action == REFERRAL:
        return first if keep_first_referral else "investigation_opened"
    if action == INTERVIEW:
        return "scheduled"
    if case["agency"] == keep_reminder:
        return first
    return ["notice_issued", "acknowledged", "rectification_received"][index % 3]


def _appeal_target(db, round_name: str) -> tuple[str, int] | None:
    """The fair agency of the round whose score gains most without its lowest response, and that response."""
    best = None
    fair = [r[0] for r in db.execute("SELECT agency FROM current_results WHERE round = ? AND grade = 'fair'",
                                     [round_name])]
    for agency in fair:
        rows = [r for r in casework.numbered_responses(db, round_name, agency) if r["score"] is not None]
        if len(rows) < 6:
            continue
        lowest = min(rows, key=lambda r: r["score"])
        rest = [r["score"] for r in rows if r is not lowest]
        gain = sum(rest) / len(rest)
        if best is None or gain > best[0]:
            best = (gain, agency, lowest["number"])
    return (best[1], best[2]) if best else None


def _lodge_demo_appeal(db, round_row: dict, agency_and_number, notes: dict) -> None:
    if agency_and_number is None:
        return
    agency, number = agency_and_number
    with on_day(workdays.add_working_days(db, clock.county_date(round_row["closed_at"]), 3)):
        appeals.lodge_appeal(db, _agency_actor(agency), round_row["name"], agency, number, notes["appeal"]["reason"])


def _demo_problems(db, round_name: str, notes: dict) -> None:
    opened = clock.county_date(db.execute("SELECT opened_at FROM rounds WHERE name = ?",
                                          [round_name]).fetchone()[0])
    calendar = workdays.load_calendar(db)
    used: set[str] = set()
    for index, ticket in enumerate(notes["problems"]):
        rater = db.execute("SELECT enterprise FROM responses WHERE round = ? AND agency = ? ORDER BY id",
                           [round_name, ticket["agency"]]).fetchall()
        rater = next((r[0] for r in rater if r[0] not in used), None)
        if rater is None:
            continue
        used.add(rater)
        enterprise = Actor(role=ENTERPRISE, id=rater, name=rater)
        raised = calendar.add_working_days(opened, 1 + index)
        with on_day(raised):
            problem_id = problems.raise_problem(db, enterprise, ticket["agency"], ticket["text"], ticket["may_contact"])
            # the agency calls the enterprise the same day (issue 15's contact step) and keeps the
            # complex deadline, so the demo's deadlines read as they did before the contact step
            problems.contact_problem(db, _agency_actor(ticket["agency"]), problem_id, problems.COMPLEX)
        if "answer" in ticket:
            with on_day(calendar.add_working_days(raised, 2)):
                problems.answer_problem(db, _agency_actor(ticket["agency"]), problem_id, ticket["answer"])
        if "confirmed" in ticket:
            with on_day(calendar.add_working_days(raised, 4)):
                problems.confirm_problem(db, enterprise, problem_id, ticket["confirmed"] == "solved",
                                         ticket.get("not_solved_note", ""))


def advance_demo_cases(db: sqlite_utils.Database) -> None:
    """Give the demo county's cases, appeals and problems a plausible history."""
    already = db.execute("SELECT 1 FROM appeals UNION ALL SELECT 1 FROM problems UNION ALL"
                         " SELECT 1 FROM case_events GROUP BY case_id HAVING count(*) > 1 LIMIT 1").fetchone()
    if already:  # once only: the history is already there
        return
    notes = _notes()
    finished = [dict(r) for r in db.query(
        f"SELECT * FROM rounds WHERE {rounds.status_in(rounds.FINALISED)} ORDER BY name")]
    if not finished:
        return
    last = finished[-1]
    appeal_target = _appeal_target(db, last["name"])
    for age, round_row in enumerate(reversed(finished)):
        round_cases = list(db.query("SELECT * FROM cases WHERE round = ? AND status NOT IN (?, ?) ORDER BY agency",
                                    [round_row["name"], *cases.FINISHED]))
        first_referral = next((c["id"] for c in round_cases if c["action"] == REFERRAL), None)
        for index, case in enumerate(round_cases):
            stop_at = _target(case, age, index, case["id"] == first_referral,
                              appeal_target[0] if appeal_target else None)
            _take_path(db, case, stop_at, notes, index)
    _lodge_demo_appeal(db, last, appeal_target, notes)
    open_row = rounds.open_round(db)
    if open_row:
        _demo_problems(db, open_row["name"], notes)
    _this_months_handling(db, finished, notes)


def _close_today(db, case: dict, notes: dict, index: int) -> None:
    """Take the case through its remaining steps today (the current month, county time)."""
    status = case["status"]
    with on_day(clock.today()):
        while status != cases.CLOSED:
            step, role = next(iter(cases.next_steps(case["action"], status).items()))
            who = DISCIPLINE_DEMO if role == DISCIPLINE else _agency_actor(case["agency"])
            if step == cases.CLOSED:
                note, details = _closing_note(case["action"], notes, index), {}
            else:
                note, details = _step_arguments(step, clock.today(), notes, index, case["agency"])
            cases.advance_case(db, who, case["id"], step, note, **details)
            status = step


def _this_months_handling(db, finished: list[dict], notes: dict) -> None:
    """One case closed late and one on time today; at least one overdue case is left as it is."""
    if len(finished) < 2:
        return
    overdue = [c for c in db.query("SELECT * FROM cases WHERE round = ? ORDER BY agency, id",
                                   [finished[-2]["name"]]) if cases.is_overdue(c)]
    if len(overdue) >= 2:
        _close_today(db, overdue[0], notes, 0)
    acknowledged = list(db.query("SELECT * FROM cases WHERE round = ? AND action = ? AND status = 'acknowledged'"
                                 " ORDER BY agency, id", [finished[-1]["name"], REMINDER]))
    if len(acknowledged) >= 2 and not cases.is_overdue(acknowledged[-1]):
        _close_today(db, acknowledged[-1], notes, 1)
