"""The closed loop (issue 15 items 1–2): the enterprise rates the agency's answer, 不满意 reopens
the ticket with a new deadline and counts against the agency, an unrated answer closes as 默认满意
after the county's working days (holidays skipped), the county sets every deadline, an overdue
step is reminded and then escalated to the discipline office, and a case's rectification is
reviewed (passed / redo) before it closes."""
from datetime import date, datetime, timezone

import pytest

from conftest import ADMIN_ACTOR, AGENCY_ACTOR, DISCIPLINE_ACTOR, FULL, dump, make_world
from surveys.casework import cases
from surveys.casework import deadlines
from surveys.casework import escalation
from surveys.casework import next_steps
from surveys.casework import problems
from surveys.casework import views
from surveys.collection import responses
from surveys.collection import rounds
from surveys.core import clock
from surveys.core.errors import InvalidInput, PermissionDenied
from test_cases import SCJG_ACTOR, county_with_cases

MONDAY = datetime(2026, 11, 2, 2, 0, tzinfo=timezone.utc)  # 10:00 in the county


def on(day: str) -> None:
    clock.freeze(datetime.fromisoformat(f"{day}T02:00:00+00:00"))


@pytest.fixture
def people(db):
    clock.freeze(MONDAY)
    people = make_world(db, enterprises=3)
    for who in people[:2]:
        responses.save_response(db, who, "2026Q4", "FGW", FULL)
    return people


def ratings(db) -> list[tuple]:
    return [tuple(r) for r in db.execute(
        "SELECT problem_id, rating, answer_late, comment FROM problem_ratings ORDER BY id").fetchall()]


# --- the rater judges the fix -----------------------------------------------------------

def test_a_ticket_has_a_contact_deadline_and_the_complex_fix_deadline_until_it_is_sized(db, people):
    problem_id = problems.raise_problem(db, people[0], "FGW", "备案慢")
    ticket = problems.get_problem(db, problem_id)
    assert (ticket["contact_due_on"], ticket["due_on"], ticket["complexity"]) == ("2026-11-03", "2026-11-23", None)
    problems.contact_problem(db, AGENCY_ACTOR, problem_id, problems.SIMPLE, "电话联系了")
    ticket = problems.get_problem(db, problem_id)
    # simple: 5 working days from the day it was raised (Mon 2 Nov → Mon 9 Nov)
    assert (ticket["complexity"], ticket["due_on"]) == ("simple", "2026-11-09")
    with pytest.raises(InvalidInput):
        problems.contact_problem(db, AGENCY_ACTOR, problem_id, problems.COMPLEX)
    with pytest.raises(InvalidInput):
        problems.contact_problem(db, AGENCY_ACTOR, problems.raise_problem(db, people[1], "FGW", "x"), "medium")


def test_dissatisfied_reopens_with_a_new_deadline_and_counts_against_the_agency(db, people):
    problem_id = problems.raise_problem(db, people[0], "FGW", "备案慢")
    problems.contact_problem(db, AGENCY_ACTOR, problem_id, problems.SIMPLE)
    on("2026-11-11")  # after the simple deadline (9 Nov): the answer is late
    problems.answer_problem(db, AGENCY_ACTOR, problem_id, "已办")
    problems.rate_problem(db, people[0], problem_id, problems.DISSATISFIED, "没有解决")
    ticket = problems.get_problem(db, problem_id)
    # reopened, due 5 working days (simple) after the rating: Wed 11 Nov → Wed 18 Nov
    assert (ticket["status"], ticket["times_not_solved"], ticket["due_on"]) == ("open", 1, "2026-11-18")
    assert ratings(db) == [(problem_id, "dissatisfied", 1, "没有解决")]
    on("2026-11-12")
    problems.answer_problem(db, AGENCY_ACTOR, problem_id, "已重新办理")
    problems.rate_problem(db, people[0], problem_id, problems.BASICALLY_SATISFIED)
    assert problems.get_problem(db, problem_id)["status"] == "solved"
    assert ratings(db)[-1] == (problem_id, "basically_satisfied", 0, "")
    agency_view = problems.agency_problems(db, AGENCY_ACTOR)[0]
    assert agency_view["times_not_solved"] == 1 and "enterprise" not in agency_view


def test_only_the_raiser_rates_only_an_answer_and_only_with_a_known_rating(db, people):
    problem_id = problems.raise_problem(db, people[0], "FGW", "备案慢")
    with pytest.raises(InvalidInput):
        problems.rate_problem(db, people[0], problem_id, problems.SATISFIED)  # not answered yet
    problems.answer_problem(db, AGENCY_ACTOR, problem_id, "已办")
    before = dump(db)
    for who, rating, error in ((people[1], problems.SATISFIED, PermissionDenied),
                               (AGENCY_ACTOR, problems.SATISFIED, PermissionDenied),
                               (people[0], problems.DEFAULT_SATISFIED, InvalidInput),
                               (people[0], "great", InvalidInput)):
        with pytest.raises(error):
            problems.rate_problem(db, who, problem_id, rating)
    assert dump(db) == before


def national_day_ticket(db) -> tuple[list, int]:
    """A ticket answered on Tue 29 Sep 2026, just before the National Day holiday (1–7 Oct, 10 Oct worked)."""
    clock.freeze(datetime(2026, 9, 28, 2, 0, tzinfo=timezone.utc))
    people = make_world(db, enterprises=1, open_round=False)
    rounds.create_round(db, ADMIN_ACTOR, "2026Q3", "2026-09-01", "2099-12-31")
    rounds.start_round(db, ADMIN_ACTOR, "2026Q3")
    responses.save_response(db, people[0], "2026Q3", "FGW", FULL)
    problem_id = problems.raise_problem(db, people[0], "FGW", "节前的问题")
    on("2026-09-29")
    problems.answer_problem(db, AGENCY_ACTOR, problem_id, "已办")
    return people, problem_id


def test_an_unrated_answer_closes_as_default_satisfied_after_the_working_days_holidays_skipped(db):
    people, problem_id = national_day_ticket(db)
    # 5 working days after 29 Sep: 30 Sep, 8, 9, 10 (a make-up Saturday), 12 Oct
    assert problems.rating_due_on(db, problems.get_problem(db, problem_id)) == date(2026, 10, 12)
    on("2026-10-12")
    assert problems.close_unrated(db) == []
    on("2026-10-13")
    assert problems.close_unrated(db) == [problem_id]
    assert problems.close_unrated(db) == []  # once only
    ticket = problems.get_problem(db, problem_id)
    assert ticket["status"] == "solved"
    assert ratings(db) == [(problem_id, "default_satisfied", 0, "")]
    assert problems.my_problems(db, people[0])[0]["events"][-1]["step"] == "rated_default_satisfied"
    actions = [r[0] for r in db.execute("SELECT action FROM audit_log ORDER BY id")]
    assert actions[-1] == "problem.rated_default_satisfied"
    with pytest.raises(InvalidInput):  # too late for the enterprise now
        problems.rate_problem(db, people[0], problem_id, problems.DISSATISFIED)


def test_the_county_sets_the_deadlines(db, people):
    changed = deadlines.set_deadlines(db, ADMIN_ACTOR, {"problem_contact_working_days": 2,
                                                        "problem_simple_working_days": 3})
    assert changed == {"problem_contact_working_days": 2, "problem_simple_working_days": 3}
    assert deadlines.set_deadlines(db, ADMIN_ACTOR, {"problem_contact_working_days": 2}) == {}
    problem_id = problems.raise_problem(db, people[0], "FGW", "备案慢")
    assert problems.get_problem(db, problem_id)["contact_due_on"] == "2026-11-04"
    problems.contact_problem(db, AGENCY_ACTOR, problem_id, problems.SIMPLE)
    assert problems.get_problem(db, problem_id)["due_on"] == "2026-11-05"
    before = dump(db)
    with pytest.raises(InvalidInput) as caught:
        deadlines.set_deadlines(db, ADMIN_ACTOR, {"problem_simple_working_days": 0})
    assert caught.value.message("en") == \
        "'Problem: fix a simple problem' must be a whole number from 1 to 120; got 0."
    with pytest.raises(InvalidInput):
        deadlines.set_deadlines(db, ADMIN_ACTOR, {"nonsense": 3})
    for who in (DISCIPLINE_ACTOR, AGENCY_ACTOR, people[0]):
        with pytest.raises(PermissionDenied):
            deadlines.set_deadlines(db, who, {"problem_simple_working_days": 4})
    assert dump(db) == before


def test_the_old_single_problem_deadline_setting_still_sets_the_complex_one(db, people):
    db.execute("INSERT INTO settings (name, value) VALUES ('problem_due_working_days', '10')")
    assert deadlines.working_days(db, "problem_complex_working_days") == 10


# --- reminded, then escalated -------------------------------------------------------------

def test_an_overdue_ticket_is_reminded_then_escalated_into_the_discipline_inbox(db, people):
    problem_id = problems.raise_problem(db, people[0], "FGW", "备案慢")  # contact due Tue 3 Nov
    on("2026-11-03")
    assert escalation.run_checks(db)["problems_reminded"] == []
    on("2026-11-04")
    assert escalation.run_checks(db)["problems_reminded"] == [problem_id]
    assert escalation.run_checks(db)["problems_reminded"] == []  # once
    assert next_steps.agency_next_step(db, AGENCY_ACTOR)["overdue_marks"] == {"reminded": 1, "escalated": 0}
    assert views.escalations(db, DISCIPLINE_ACTOR) == []
    on("2026-11-05")  # the grace: one working day after the reminder
    assert escalation.run_checks(db)["problems_escalated"] == []
    on("2026-11-06")
    assert escalation.run_checks(db)["problems_escalated"] == [problem_id]
    [row] = views.escalations(db, DISCIPLINE_ACTOR)
    assert (row["kind"], row["id"], row["agency"], row["step"], row["escalated_on"]) == (
        "problem", problem_id, "FGW", "contact", "2026-11-06")
    assert "enterprise" not in row
    assert next_steps.discipline_next_step(db, DISCIPLINE_ACTOR)["escalated"] == 1
    assert next_steps.agency_next_step(db, AGENCY_ACTOR)["overdue_marks"] == {"reminded": 0, "escalated": 1}
    steps = [e["step"] for e in problems.agency_problems(db, AGENCY_ACTOR)[0]["events"]]
    assert steps == ["raised", "reminded_contact", "escalated_contact"]
    audited = [r[0] for r in db.execute("SELECT action FROM audit_log WHERE actor = 'system:qiping' ORDER BY id")]
    assert audited[-2:] == ["problem.reminded", "problem.escalated"]
    problems.contact_problem(db, AGENCY_ACTOR, problem_id, problems.COMPLEX)  # late, but done
    assert views.escalations(db, DISCIPLINE_ACTOR) == []
    assert problems.agency_problems(db, AGENCY_ACTOR)[0]["events"][-1]["late"] == 1


def test_the_check_runs_in_the_background_loop_once_across_processes(tmp_path, db, people):
    problems.raise_problem(db, people[0], "FGW", "备案慢")
    on("2026-11-04")
    path = db.conn.execute("PRAGMA database_list").fetchone()[2]
    first, second = escalation.check_due(path), escalation.check_due(path)
    assert len(first["problems_reminded"]) == 1 and second["problems_reminded"] == []


def test_an_overdue_agency_case_step_is_reminded_then_escalated_first_in_the_inbox(db):
    found = county_with_cases(db)  # opened Mon 2 Mar 2026, due 15 working days later
    due = cases.get_case(db, found["reminder"])["due_on"]
    day_after = date.fromisoformat(due).toordinal() + 1
    clock.freeze(datetime.fromordinal(day_after).replace(hour=2, tzinfo=timezone.utc))
    marked = escalation.run_checks(db)
    # the reminder waits for the agency; the referral and the interview wait for the discipline office
    assert marked["cases_reminded"] == [found["reminder"]]
    clock.freeze(datetime.fromordinal(day_after + 7).replace(hour=2, tzinfo=timezone.utc))
    assert escalation.run_checks(db)["cases_escalated"] == [found["reminder"]]
    inbox = views.inbox(db, DISCIPLINE_ACTOR)
    assert inbox[0]["id"] == found["reminder"] and inbox[0]["escalated"]
    assert [e["kind"] for e in views.escalations(db, DISCIPLINE_ACTOR)] == ["case"]
    cases.advance_case(db, AGENCY_ACTOR, found["reminder"], "acknowledged")
    assert views.escalations(db, DISCIPLINE_ACTOR) == []
    assert [e["step"] for e in cases.case_events(db, found["reminder"])][-3:] == [
        "reminded", "escalated", "acknowledged"]


# --- the discipline office reviews the rectification -------------------------------------

def test_a_rectification_is_reviewed_passed_or_redone_before_the_case_closes(db):
    found = county_with_cases(db)
    case_id = found["reminder"]
    cases.advance_case(db, AGENCY_ACTOR, case_id, "acknowledged")
    cases.advance_case(db, AGENCY_ACTOR, case_id, "rectification_received", "压缩审批时限")
    assert set(cases.steps_for(DISCIPLINE_ACTOR, cases.get_case(db, case_id))) == {"closed", "rectification_redo"}
    with pytest.raises(InvalidInput):  # redo says what to redo
        cases.advance_case(db, DISCIPLINE_ACTOR, case_id, "rectification_redo", "")
    clock.freeze(datetime(2026, 3, 4, 2, 0, tzinfo=timezone.utc))
    cases.advance_case(db, DISCIPLINE_ACTOR, case_id, "rectification_redo", "没有时限表")
    case = cases.get_case(db, case_id)
    assert (case["status"], case["due_on"]) == ("rectification_redo", "2026-03-25")
    assert cases.steps_for(AGENCY_ACTOR, case) == ["rectification_received"]
    cases.advance_case(db, AGENCY_ACTOR, case_id, "rectification_received", "补上时限表")
    cases.advance_case(db, DISCIPLINE_ACTOR, case_id, "closed")
    reviews = [(e["step"], e["details"].get("review")) for e in cases.case_events(db, case_id)
               if "review" in e["details"]]
    assert reviews == [("rectification_redo", "redo"), ("closed", "passed")]
    interview = found["interview"]
    for step, who, extra in (("scheduled", DISCIPLINE_ACTOR, {"interview_on": "2026-03-05", "attendees": "局长"}),
                             ("held", DISCIPLINE_ACTOR, {}), ("plan_received", SCJG_ACTOR, {})):
        cases.advance_case(db, who, interview, step, "记录", **extra)
    assert set(cases.steps_for(DISCIPLINE_ACTOR, cases.get_case(db, interview))) == {"closed", "plan_redo"}
