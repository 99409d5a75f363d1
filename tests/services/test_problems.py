"""Enterprise problems (登记销号): raised with a rating, answered by the agency,
confirmed solved or sent back by the enterprise, watched by the discipline
office; the agency never learns who raised one unless it agreed."""
from datetime import datetime, timezone

import pytest

from conftest import ADMIN_ACTOR, AGENCY_ACTOR, DISCIPLINE_ACTOR, FULL, dump, make_world
from surveys.core import clock
from surveys.casework import problems
from surveys.collection import responses
from surveys.collection import rounds
from surveys.core.actors import AGENCY, Actor
from surveys.core.errors import InvalidInput, PermissionDenied

SCJG_ACTOR = Actor(role=AGENCY, id="scjg", name="SCJG", agency_code="SCJG")
MONDAY = datetime(2026, 11, 2, 2, 0, tzinfo=timezone.utc)


@pytest.fixture
def people(db):
    clock.freeze(MONDAY)
    people = make_world(db, enterprises=3)
    for who in people[:2]:
        responses.save_response(db, who, "2026Q4", "FGW", FULL)
    return people


def refused(db, error, call, *args, **kwargs):
    before = dump(db)
    with pytest.raises(error) as caught:
        call(db, *args, **kwargs)
    assert dump(db) == before
    return caught.value.message("en")


def identity_of(db, who) -> list[str]:
    return list(db.execute("SELECT uscc, name FROM enterprises WHERE uscc = ?", [who.id]).fetchone())


def test_a_problem_becomes_a_ticket_with_a_deadline(db, people):
    problem_id = problems.raise_problem(db, people[0], "FGW", "  项目备案两个月没有结果  ")
    ticket = problems.get_problem(db, problem_id)
    assert (ticket["status"], ticket["text"], ticket["due_on"], ticket["round"]) == (
        "open", "项目备案两个月没有结果", "2026-11-23", "2026Q4")
    assert problems.my_problems(db, people[0])[0]["id"] == problem_id
    assert problems.my_problems(db, people[1]) == []


def test_raising_needs_a_rating_of_that_agency_in_the_open_round(db, people):
    assert refused(db, InvalidInput, problems.raise_problem, people[2], "FGW", "问题") == \
        "Rate this agency in this quarter's survey first, then report a problem."
    refused(db, InvalidInput, problems.raise_problem, people[0], "SCJG", "问题")
    assert refused(db, InvalidInput, problems.raise_problem, people[0], "FGW", " ") == "Describe the problem to solve."
    refused(db, InvalidInput, problems.raise_problem, people[0], "FGW", "长" * (problems.MAX_TEXT + 1))
    for who in (AGENCY_ACTOR, DISCIPLINE_ACTOR, ADMIN_ACTOR):
        refused(db, PermissionDenied, problems.raise_problem, who, "FGW", "问题")
    rounds.close_round(db, ADMIN_ACTOR, "2026Q4")
    assert refused(db, InvalidInput, problems.raise_problem, people[0], "FGW", "问题") == \
        "No evaluation is open; problems are reported with a rating."


def test_the_agency_sees_the_problem_but_not_who_raised_it(db, people):
    problems.raise_problem(db, people[0], "FGW", "匿名的问题")
    problems.raise_problem(db, people[1], "FGW", "可以联系的问题", may_contact=True)
    shown = problems.agency_problems(db, AGENCY_ACTOR)
    anonymous = next(t for t in shown if t["text"] == "匿名的问题")
    assert anonymous["contact"] is None and "enterprise" not in anonymous
    assert not any(part in repr(anonymous) for part in identity_of(db, people[0]))
    consented = next(t for t in shown if t["text"] == "可以联系的问题")
    assert consented["contact"]["name"] == "企业2"
    assert problems.agency_problems(db, SCJG_ACTOR) == []
    # the discipline office's overview hides the raiser the same way (revealing is its own, logged step)
    overview = problems.problems_overview(db, DISCIPLINE_ACTOR)
    assert not any(part in repr(overview) for part in identity_of(db, people[0]))
    with pytest.raises(PermissionDenied):
        problems.problems_overview(db, AGENCY_ACTOR)


def test_lifecycle_answered_not_solved_answered_again_solved(db, people):
    problem_id = problems.raise_problem(db, people[0], "FGW", "备案慢")
    problems.answer_problem(db, AGENCY_ACTOR, problem_id, "已办结备案")
    assert problems.get_problem(db, problem_id)["status"] == "answered"
    problems.confirm_problem(db, people[0], problem_id, False, "还没收到")
    ticket = problems.get_problem(db, problem_id)
    assert (ticket["status"], ticket["times_not_solved"], ticket["due_on"]) == ("open", 1, "2026-11-23")
    problems.answer_problem(db, AGENCY_ACTOR, problem_id, "已寄出回执")
    problems.confirm_problem(db, people[0], problem_id, True)
    ticket = problems.get_problem(db, problem_id)
    assert ticket["status"] == "solved" and ticket["closed_at"]
    events = problems.my_problems(db, people[0])[0]["events"]
    assert [(e["actor_role"], e["step"]) for e in events] == [
        ("enterprise", "raised"), ("agency", "answered"), ("enterprise", "rated_dissatisfied"),
        ("agency", "answered"), ("enterprise", "rated_satisfied")]
    assert all("actor" not in e for e in events)
    assert problems.problems_overview(db, DISCIPLINE_ACTOR) == []
    assert len(problems.problems_overview(db, DISCIPLINE_ACTOR, include_solved=True)) == 1


def test_refusals_wrong_agency_wrong_enterprise_wrong_state(db, people):
    problem_id = problems.raise_problem(db, people[0], "FGW", "备案慢")
    assert refused(db, PermissionDenied, problems.answer_problem, SCJG_ACTOR, problem_id, "不是我们") == \
        "This problem is not for your agency."
    refused(db, InvalidInput, problems.answer_problem, AGENCY_ACTOR, problem_id, "")
    assert refused(db, InvalidInput, problems.confirm_problem, people[0], problem_id, True) == \
        "The problem is 'waiting for the agency'; this is only possible when it is 'answered, waiting for the enterprise'."
    problems.answer_problem(db, AGENCY_ACTOR, problem_id, "已办")
    refused(db, InvalidInput, problems.answer_problem, AGENCY_ACTOR, problem_id, "再答一次")
    assert refused(db, PermissionDenied, problems.confirm_problem, people[1], problem_id, True) == \
        "Your enterprise did not report this problem."
    refused(db, PermissionDenied, problems.confirm_problem, AGENCY_ACTOR, problem_id, True)
    refused(db, PermissionDenied, problems.answer_problem, DISCIPLINE_ACTOR, problem_id, "代答")


def test_overdue_tickets_come_first_and_a_late_answer_is_marked(db, people):
    late_id = problems.raise_problem(db, people[0], "FGW", "早的问题")
    clock.freeze(datetime(2026, 11, 10, 2, 0, tzinfo=timezone.utc))
    fresh_id = problems.raise_problem(db, people[1], "FGW", "新的问题")
    problems.contact_problem(db, AGENCY_ACTOR, fresh_id, problems.COMPLEX)  # else its contact step is overdue
    clock.freeze(datetime(2026, 11, 24, 2, 0, tzinfo=timezone.utc))  # past the first deadline (23 Nov)
    overview = problems.problems_overview(db, DISCIPLINE_ACTOR)
    assert [(t["id"], t["overdue"]) for t in overview] == [(late_id, True), (fresh_id, False)]
    assert problems.problem_counts(db, DISCIPLINE_ACTOR) == {"open": 2, "overdue": 1, "waiting": 2}
    problems.answer_problem(db, AGENCY_ACTOR, late_id, "迟到的答复")
    assert problems.agency_problems(db, AGENCY_ACTOR)[-1]["events"][-1]["late"] == 1
    assert not problems.is_overdue(problems.get_problem(db, late_id))  # answered: the agency has done its part
