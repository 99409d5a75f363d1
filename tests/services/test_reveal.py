"""Revealing a rater: the discipline office only, a reason required, every reveal
audit-logged with its reason."""
import json

import pytest

from conftest import ADMIN_ACTOR, AGENCY_ACTOR, DISCIPLINE_ACTOR, FULL, dump, make_world
from surveys.casework import problems
from surveys.collection import responses
from surveys.casework import reveal
from surveys.core.errors import InvalidInput, NotFound, PermissionDenied


@pytest.fixture
def rated(db):
    people = make_world(db, enterprises=2)
    db.execute("UPDATE enterprises SET contact_person = '张三', contact_phone = '13800000000' WHERE uscc = ?",
               [people[0].id])
    responses.save_response(db, people[0], "2026Q4", "FGW", FULL, "很好")
    response_id = db.execute("SELECT id FROM responses").fetchone()[0]
    return people[0], response_id


def test_discipline_office_sees_name_code_and_contact_and_it_is_logged(db, rated):
    who, response_id = rated
    found = reveal.reveal_rater(db, DISCIPLINE_ACTOR, response_id, "上门回访核实评价")
    assert found == {"uscc": who.id, "name": "企业1", "industry": "", "contact_person": "张三",
                     "contact_phone": "13800000000"}
    # the administrator's log says who revealed, when and why; the link itself stays in reveals
    entry = db.execute("SELECT actor, action, target, detail FROM audit_log WHERE action = 'rater.revealed'").fetchone()
    reveal_id = db.execute("SELECT id FROM reveals").fetchone()[0]
    assert entry[:3] == ("discipline:discipline", "rater.revealed", f"reveal/{reveal_id}")
    assert json.loads(entry[3]) == {"reason": "上门回访核实评价", "subject": "response"}
    row = db.execute("SELECT actor, reason, response_id, enterprise FROM reveals").fetchone()
    assert row == ("discipline:discipline", "上门回访核实评价", response_id, who.id)


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_a_reveal_needs_a_reason(db, rated, reason):
    before = dump(db)
    with pytest.raises(InvalidInput) as caught:
        reveal.reveal_rater(db, DISCIPLINE_ACTOR, rated[1], reason)
    assert caught.value.message("en") == "Revealing a rater needs a reason."
    assert dump(db) == before


def test_only_the_discipline_office_may_reveal(db, rated):
    before = dump(db)
    for who in (AGENCY_ACTOR, ADMIN_ACTOR, rated[0]):
        with pytest.raises(PermissionDenied):
            reveal.reveal_rater(db, who, rated[1], "想知道")
        with pytest.raises(PermissionDenied):
            reveal.reveal_history(db, who)
    assert dump(db) == before


def test_an_unknown_response_is_refused_and_nothing_logged(db, rated):
    before = dump(db)
    with pytest.raises(NotFound):
        reveal.reveal_rater(db, DISCIPLINE_ACTOR, 999, "核实")
    assert dump(db) == before


def test_the_raiser_of_a_problem_can_be_revealed_too(db, rated):
    who, _ = rated
    problem_id = problems.raise_problem(db, who, "FGW", "审批超时")
    found = reveal.reveal_problem_raiser(db, DISCIPLINE_ACTOR, problem_id, "跟踪问题办理")
    assert found["uscc"] == who.id
    assert reveal.reveal_history(db, DISCIPLINE_ACTOR)[0]["problem_id"] == problem_id
    with pytest.raises(PermissionDenied):
        reveal.reveal_problem_raiser(db, AGENCY_ACTOR, problem_id, "想联系企业")
