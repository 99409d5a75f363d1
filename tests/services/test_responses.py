"""The enterprise's survey through the service layer."""
from datetime import datetime, timezone

import pytest

from conftest import ADMIN_ACTOR, AGENCY_ACTOR, FULL, dump
from surveys.core import clock
from surveys.collection import responses
from surveys.collection import rounds
from surveys.core.errors import InvalidInput, NotFound, PermissionDenied, RoundNotOpen


def ratings_of(db, round_name, uscc, agency):
    return dict(db.execute(
        "SELECT rr.item, rr.rating FROM responses r JOIN response_ratings rr ON rr.response_id = r.id"
        " WHERE r.round = ? AND r.enterprise = ? AND r.agency = ?", [round_name, uscc, agency]))


def test_save_then_revise_replaces_the_answer_and_is_audited(db, world):
    me = world[0]
    assert responses.save_response(db, me, "2026Q4", "FGW", FULL, "很好") == 1
    worse = dict(FULL, efficiency=1)
    assert responses.save_response(db, me, "2026Q4", "FGW", worse, "其实超时了") == 2
    assert ratings_of(db, "2026Q4", me.id, "FGW") == worse
    row = db.execute("SELECT comment, revision FROM responses").fetchone()
    assert row == ("其实超时了", 2)
    assert db.execute("SELECT count(*) FROM responses").fetchone()[0] == 1
    audit = [r[0] for r in db.execute("SELECT action FROM audit_log WHERE actor = ?", [me.audit_name])]
    assert audit == ["response.saved", "response.revised"]


def test_state_shows_chosen_and_saved(db, world):
    me = world[0]
    responses.choose_agencies(db, me, "2026Q4", ["FGW", "SCJG"])
    responses.save_response(db, me, "2026Q4", "SCJG", FULL)
    state = responses.my_round(db, me, "2026Q4")
    assert state["chosen"] == ["FGW", "SCJG"]
    assert set(state["saved"]) == {"SCJG"} and state["saved"]["SCJG"]["ratings"] == FULL


def test_choosing_again_keeps_agencies_already_rated(db, world):
    me = world[0]
    responses.save_response(db, me, "2026Q4", "FGW", FULL)
    responses.choose_agencies(db, me, "2026Q4", ["SCJG"])
    assert responses.my_round(db, me, "2026Q4")["chosen"] == ["FGW", "SCJG"]


def test_enterprises_never_see_each_other(db, world):
    first, second = world[0], world[1]
    responses.save_response(db, first, "2026Q4", "FGW", FULL, "secret")
    assert responses.my_round(db, second, "2026Q4")["saved"] == {}


def test_closed_round_refuses_and_stores_nothing(db, world):
    me = world[0]
    responses.save_response(db, me, "2026Q4", "FGW", FULL)
    rounds.close_round(db, ADMIN_ACTOR, "2026Q4")
    before = dump(db)
    with pytest.raises(RoundNotOpen) as caught:
        responses.save_response(db, me, "2026Q4", "FGW", dict(FULL, efficiency=1))
    assert "已截止" in caught.value.message("zh") and "closed" in caught.value.message("en")
    with pytest.raises(RoundNotOpen):
        responses.save_response(db, me, "2026Q4", "SCJG", FULL)
    with pytest.raises(RoundNotOpen):
        responses.withdraw_response(db, me, "2026Q4", "FGW")
    assert dump(db) == before


def test_round_past_its_closing_date_refuses(db, world):
    rounds.create_round(db, ADMIN_ACTOR, "2027Q1", "2027-04-01", "2027-04-30")
    rounds.close_round(db, ADMIN_ACTOR, "2026Q4")
    rounds.start_round(db, ADMIN_ACTOR, "2027Q1")
    clock.freeze(datetime(2027, 5, 1, 8, tzinfo=timezone.utc))
    with pytest.raises(RoundNotOpen) as caught:
        responses.save_response(db, world[0], "2027Q1", "FGW", FULL)
    assert caught.value.key == "rounds.past_closing"


@pytest.mark.parametrize("bad", [
    {**FULL, "efficiency": 6}, {**FULL, "efficiency": 0}, {**FULL, "efficiency": "5"},
    {**FULL, "efficiency": 4.5}, {**FULL, "efficiency": True},
    {k: v for k, v in FULL.items() if k != "integrity"}, {**FULL, "bribery": 3},
])
def test_bad_ratings_are_refused(db, world, bad):
    before = dump(db)
    with pytest.raises(InvalidInput):
        responses.save_response(db, world[0], "2026Q4", "FGW", bad)
    assert dump(db) == before


def test_comment_is_plain_text_and_limited(db, world):
    responses.save_response(db, world[0], "2026Q4", "FGW", FULL, "  <b>粗体</b>\x00\x1b[31m\r\n第二行  ")
    assert db.execute("SELECT comment FROM responses").fetchone()[0] == "<b>粗体</b>[31m\n第二行"
    with pytest.raises(InvalidInput) as caught:
        responses.save_response(db, world[1], "2026Q4", "FGW", FULL, "长" * 501)
    assert caught.value.values == {"maximum": 500, "length": 501}


def test_unknown_or_inactive_agency_is_refused(db, world):
    with pytest.raises(NotFound):
        responses.save_response(db, world[0], "2026Q4", "NOPE", FULL)
    db.execute("UPDATE agencies SET active = 0 WHERE code = 'SCJG'")
    with pytest.raises(NotFound):
        responses.save_response(db, world[0], "2026Q4", "SCJG", FULL)


def test_only_enterprises_answer(db, world):
    with pytest.raises(PermissionDenied):
        responses.save_response(db, AGENCY_ACTOR, "2026Q4", "FGW", FULL)
    with pytest.raises(PermissionDenied):
        responses.my_round(db, ADMIN_ACTOR, "2026Q4")


def test_withdraw_removes_the_rating(db, world):
    me = world[0]
    responses.save_response(db, me, "2026Q4", "FGW", FULL)
    responses.withdraw_response(db, me, "2026Q4", "FGW")
    assert responses.my_round(db, me, "2026Q4") == {"chosen": [], "saved": {}}
    assert db.execute("SELECT count(*) FROM response_ratings").fetchone()[0] == 0


def test_past_ratings_show_only_own_closed_rounds(db, world):
    me, other = world[0], world[1]
    responses.save_response(db, me, "2026Q4", "FGW", FULL, "mine")
    responses.save_response(db, other, "2026Q4", "FGW", FULL, "theirs")
    assert responses.my_past_ratings(db, me) == []  # still open: it's the survey, not history
    rounds.close_round(db, ADMIN_ACTOR, "2026Q4")
    past = responses.my_past_ratings(db, me)
    assert [(p["round"], p["agency"], p["comment"]) for p in past] == [("2026Q4", "FGW", "mine")]


def test_an_excluded_response_cannot_be_withdrawn_and_the_refusal_says_why(db, world):
    from surveys.results import exclusions
    me = world[0]
    responses.save_response(db, me, "2026Q4", "FGW", FULL)
    response_id = db.execute("SELECT id FROM responses").fetchone()[0]
    exclusions.exclude_response(db, ADMIN_ACTOR, response_id, "test entry by the office")
    before = dump(db)
    with pytest.raises(InvalidInput) as caught:
        responses.withdraw_response(db, me, "2026Q4", "FGW")
    assert caught.value.key == "survey.withdraw_excluded"
    assert "剔除" in caught.value.message("zh") and "excluded" in caught.value.message("en")
    assert dump(db) == before
