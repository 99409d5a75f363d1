"""Appeals: the window after closing, what the agency sees (never the rater),
every refusal, and an upheld appeal that excludes the rating and — after the
administrator re-finalises — changes the grade, with history kept."""
from datetime import datetime, timedelta, timezone

import pytest

from conftest import ADMIN_ACTOR, AGENCY_ACTOR, DISCIPLINE_ACTOR, dump, enterprise_actor, make_world
from surveys.casework import appeals
from surveys.casework import cases
from surveys.casework import views as casework
from surveys.core import clock
from surveys.results import exclusions
from surveys.results import finalise
from surveys.results import privacy
from surveys.collection import responses
from surveys.collection import rounds
from surveys.core.actors import AGENCY, Actor
from surveys.core.errors import InvalidInput, NotFound, PermissionDenied

ITEMS = ["efficiency", "attitude", "lawfulness", "integrity", "convenience"]
SCJG_ACTOR = Actor(role=AGENCY, id="scjg", name="SCJG", agency_code="SCJG")
CLOSED_AT = datetime(2026, 4, 10, 2, 0, tzinfo=timezone.utc)


def at(days: float) -> None:
    clock.freeze(CLOSED_AT + timedelta(days=days))


@pytest.fixture
def county(db):
    """2026Q1 closed on 10 April: FGW has five 4s and one 1 (the rating it will appeal), SCJG six 5s."""
    people = make_world(db, enterprises=6, open_round=False)
    clock.freeze(CLOSED_AT - timedelta(days=20))
    rounds.create_round(db, ADMIN_ACTOR, "2026Q1", "2026-01-01", "2099-12-31")
    rounds.start_round(db, ADMIN_ACTOR, "2026Q1")
    for index, who in enumerate(people):
        level = 1 if index == 2 else 4
        responses.save_response(db, who, "2026Q1", "FGW", {i: level for i in ITEMS}, "乱评" if level == 1 else "")
        responses.save_response(db, who, "2026Q1", "SCJG", {i: 5 for i in ITEMS})
    at(0)
    rounds.close_round(db, ADMIN_ACTOR, "2026Q1")
    at(1)
    return people


def lowest(db, agency="FGW") -> dict:
    return min(appeals.responses_for_appeal(db, AGENCY_ACTOR if agency == "FGW" else SCJG_ACTOR, "2026Q1", agency),
               key=lambda r: r["score"])


def refused(db, error, call, *args):
    before = dump(db)
    with pytest.raises(error) as caught:
        call(db, *args)
    assert dump(db) == before
    return caught.value.message("en")


def test_the_agency_sees_ratings_comment_and_a_number_only(db, county):
    rows = appeals.responses_for_appeal(db, AGENCY_ACTOR, "2026Q1", "FGW")
    assert sorted(r["number"] for r in rows) == [1, 2, 3, 4, 5, 6]
    assert all(set(r) == {"number", "ratings", "comment", "score", "excluded", "appealed"} for r in rows)
    text = repr(rows)
    for uscc, name in db.execute("SELECT uscc, name FROM enterprises"):
        assert uscc not in text and name not in text
    assert lowest(db)["comment"] == "乱评" and lowest(db)["score"] == 0.0
    assert appeals.responses_for_appeal(db, AGENCY_ACTOR, "2026Q1", "FGW") == rows  # stable numbers


def test_numbers_do_not_follow_the_order_of_answering(db, county):
    db.execute("UPDATE settings SET value = 'fixed-test-key' WHERE name = 'response_number_key'")
    numbered = casework.numbered_responses(db, "2026Q1", "FGW")
    by_id = sorted(numbered, key=lambda r: r["response_id"])
    assert [r["number"] for r in by_id] != [1, 2, 3, 4, 5, 6]
    other = {r["response_id"]: r["number"] for r in casework.numbered_responses(db, "2026Q1", "SCJG")}
    fgw_of = {db.execute("SELECT enterprise FROM responses WHERE id = ?", [r["response_id"]]).fetchone()[0]:
              r["number"] for r in numbered}
    scjg_of = {db.execute("SELECT enterprise FROM responses WHERE id = ?", [i]).fetchone()[0]: n
               for i, n in other.items()}
    assert fgw_of != scjg_of  # the same enterprise gets unrelated numbers per agency


def test_appeal_inside_the_window_is_lodged(db, county):
    number = lowest(db)["number"]
    appeal_id = appeals.lodge_appeal(db, AGENCY_ACTOR, "2026Q1", "FGW", number, "所述事项不归本委办理")
    appeal = appeals.get_appeal(db, appeal_id)
    assert (appeal["status"], appeal["reason"], appeal["lodged_by"]) == ("pending", "所述事项不归本委办理", "agency:fgw")
    assert lowest(db)["appealed"] is True
    mine = appeals.my_appeals(db, AGENCY_ACTOR)
    assert [(a["number"], a["comment"]) for a in mine] == [(number, "乱评")] and "response_id" not in mine[0]
    assert db.execute("SELECT count(*) FROM audit_log WHERE action = 'appeal.lodged'").fetchone()[0] == 1


def test_the_window_is_ten_working_days_after_closing_and_configurable(db, county):
    number = lowest(db)["number"]
    # closed on Friday 10 April 2026: ten working days later is Friday 24 April
    assert appeals.appealable_rounds(db, AGENCY_ACTOR) == [
        {"round": "2026Q1", "status": "closed", "window_ends": "2026-04-24"}]
    at(15)
    message = refused(db, InvalidInput, appeals.lodge_appeal, AGENCY_ACTOR, "2026Q1", "FGW", number, "理由")
    assert message == "The appeal period for round 2026Q1 ended on 2026-04-24 (10 working days after closing)."
    assert appeals.appealable_rounds(db, AGENCY_ACTOR) == []
    db.execute("INSERT INTO settings (name, value) VALUES ('appeal_window_days', '15')")
    appeals.lodge_appeal(db, AGENCY_ACTOR, "2026Q1", "FGW", number, "理由")


def test_no_appeal_before_the_round_closes(db):
    people = make_world(db, enterprises=3)
    for who in people:
        responses.save_response(db, who, "2026Q4", "FGW", {i: 3 for i in ITEMS})
    message = refused(db, InvalidInput, appeals.lodge_appeal, AGENCY_ACTOR, "2026Q4", "FGW", 1, "理由")
    assert message == "Round 2026Q4 is 'open'; appeals open once it has closed."


def test_another_agencys_ratings_cannot_be_seen_or_appealed(db, county):
    message = refused(db, PermissionDenied, appeals.lodge_appeal, AGENCY_ACTOR, "2026Q1", "SCJG", 1, "理由")
    assert message == "You can only appeal ratings of your own agency."
    with pytest.raises(PermissionDenied):
        appeals.responses_for_appeal(db, AGENCY_ACTOR, "2026Q1", "SCJG")
    for who in (DISCIPLINE_ACTOR, ADMIN_ACTOR, enterprise_actor("91511022MA0000001X")):
        refused(db, PermissionDenied, appeals.lodge_appeal, who, "2026Q1", "FGW", 1, "理由")


def test_appealing_twice_an_unknown_number_or_without_reason_is_refused(db, county):
    number = lowest(db)["number"]
    assert refused(db, InvalidInput, appeals.lodge_appeal, AGENCY_ACTOR, "2026Q1", "FGW", number, "  ") == \
        "An appeal needs a reason."
    assert refused(db, NotFound, appeals.lodge_appeal, AGENCY_ACTOR, "2026Q1", "FGW", 7, "理由") == \
        "Round 2026Q1 has no rating no. 7."
    appeals.lodge_appeal(db, AGENCY_ACTOR, "2026Q1", "FGW", number, "理由")
    assert refused(db, InvalidInput, appeals.lodge_appeal, AGENCY_ACTOR, "2026Q1", "FGW", number, "再次") == \
        f"Rating no. {number} has been appealed already; each rating can be appealed once."


def test_fewer_than_three_ratings_cannot_be_listed_or_appealed(db):
    people = make_world(db, enterprises=2, open_round=False)
    rounds.create_round(db, ADMIN_ACTOR, "2026Q1", "2026-01-01", "2099-12-31")
    rounds.start_round(db, ADMIN_ACTOR, "2026Q1")
    for who in people:
        responses.save_response(db, who, "2026Q1", "FGW", {i: 1 for i in ITEMS}, "只有两家")
    rounds.close_round(db, ADMIN_ACTOR, "2026Q1")
    assert appeals.responses_for_appeal(db, AGENCY_ACTOR, "2026Q1", "FGW") == []
    refused(db, InvalidInput, appeals.lodge_appeal, AGENCY_ACTOR, "2026Q1", "FGW", 1, "理由")



def three_ratings_one_excluded(db):
    """2026Q1 closed: three FGW ratings with comments, one of them excluded by the administrator."""
    people = make_world(db, enterprises=3, open_round=False)
    clock.freeze(CLOSED_AT - timedelta(days=20))
    rounds.create_round(db, ADMIN_ACTOR, "2026Q1", "2026-01-01", "2099-12-31")
    rounds.start_round(db, ADMIN_ACTOR, "2026Q1")
    for level, who in zip((1, 3, 5), people):
        responses.save_response(db, who, "2026Q1", "FGW", {i: level for i in ITEMS}, f"comment {level}")
    at(0)
    rounds.close_round(db, ADMIN_ACTOR, "2026Q1")
    at(1)
    excluded = db.execute("SELECT id FROM responses WHERE comment = 'comment 5'").fetchone()[0]
    exclusions.exclude_response(db, ADMIN_ACTOR, excluded, "duplicate paper return")


def test_an_excluded_rating_does_not_count_towards_the_minimum(db):
    """Three stored, two counted: the list shows nothing, and nothing can be appealed."""
    three_ratings_one_excluded(db)
    assert appeals.responses_for_appeal(db, AGENCY_ACTOR, "2026Q1", "FGW") == []
    message = refused(db, InvalidInput, appeals.lodge_appeal, AGENCY_ACTOR, "2026Q1", "FGW", 1, "理由")
    assert message == appeals_too_few_message()


def test_a_response_without_any_rating_does_not_count_towards_the_minimum(db):
    people = make_world(db, enterprises=3, open_round=False)
    clock.freeze(CLOSED_AT - timedelta(days=20))
    rounds.create_round(db, ADMIN_ACTOR, "2026Q1", "2026-01-01", "2099-12-31")
    rounds.start_round(db, ADMIN_ACTOR, "2026Q1")
    for who in people[:2]:
        responses.save_response(db, who, "2026Q1", "FGW", {i: 2 for i in ITEMS}, "两家之一")
    with db.conn:
        responses.store_response(db, "2026Q1", people[2].id, "FGW", {}, "空白问卷", "paper")
    at(0)
    rounds.close_round(db, ADMIN_ACTOR, "2026Q1")
    at(1)
    assert appeals.responses_for_appeal(db, AGENCY_ACTOR, "2026Q1", "FGW") == []


def test_my_appeals_hide_the_rating_once_too_few_count(db, county):
    """An appeal lodged with six ratings counted; the administrator then excludes four others."""
    number = lowest(db)["number"]
    appeals.lodge_appeal(db, AGENCY_ACTOR, "2026Q1", "FGW", number, "误评")
    assert appeals.my_appeals(db, AGENCY_ACTOR)[0]["comment"] == "乱评"
    others = [r[0] for r in db.execute("SELECT id FROM responses WHERE agency = 'FGW' AND comment = ''")][:4]
    for response_id in others:
        exclusions.exclude_response(db, ADMIN_ACTOR, response_id, "重复录入")
    mine = appeals.my_appeals(db, AGENCY_ACTOR)[0]
    assert (mine["number"], mine["status"]) == (number, "pending")
    assert (mine["ratings"], mine["comment"], mine["score"]) == ({}, None, None)


def appeals_too_few_message() -> str:
    return InvalidInput("casework.appeals.too_few", round="2026Q1", minimum=privacy.MIN_COUNTED).message("en")


def test_upholding_excludes_the_rating_with_the_reason(db, county):
    appeal_id = appeals.lodge_appeal(db, AGENCY_ACTOR, "2026Q1", "FGW", lowest(db)["number"], "误评")
    appeals.decide_appeal(db, DISCIPLINE_ACTOR, appeal_id, True, "经回访核实，该企业未在本委办理事项")
    appeal = appeals.get_appeal(db, appeal_id)
    assert (appeal["status"], appeal["decided_by"]) == ("upheld", "discipline:discipline")
    reason = db.execute("SELECT reason FROM exclusions WHERE response_id = ?", [appeal["response_id"]]).fetchone()[0]
    assert reason == f"appeal {appeal_id}: 经回访核实，该企业未在本委办理事项"
    shown = appeals.responses_for_appeal(db, AGENCY_ACTOR, "2026Q1", "FGW")
    assert [r["comment"] for r in shown if r["excluded"]] == ["乱评"]
    assert appeals.rounds_to_refinalise(db, DISCIPLINE_ACTOR) == []  # not finalised: finalising will leave it out


def test_rejecting_keeps_the_rating_and_deciding_twice_is_refused(db, county):
    appeal_id = appeals.lodge_appeal(db, AGENCY_ACTOR, "2026Q1", "FGW", lowest(db)["number"], "误评")
    assert refused(db, InvalidInput, appeals.decide_appeal, DISCIPLINE_ACTOR, appeal_id, False, "") == \
        "A decision needs a reason."
    refused(db, PermissionDenied, appeals.decide_appeal, AGENCY_ACTOR, appeal_id, True, "自己决定")
    refused(db, PermissionDenied, appeals.decide_appeal, ADMIN_ACTOR, appeal_id, True, "管理员")
    appeals.decide_appeal(db, DISCIPLINE_ACTOR, appeal_id, False, "评价内容属实")
    assert db.execute("SELECT count(*) FROM exclusions").fetchone()[0] == 0
    message = refused(db, InvalidInput, appeals.decide_appeal, DISCIPLINE_ACTOR, appeal_id, True, "改判")
    assert message == f"Appeal {appeal_id} has been decided already (rejected); it cannot be decided again."
    assert refused(db, NotFound, appeals.decide_appeal, DISCIPLINE_ACTOR, 999, True, "x") == "There is no appeal 999."


def test_upheld_appeal_on_a_finalised_round_changes_the_grade_when_refinalised(db, county):
    finalise.finalise_round(db, ADMIN_ACTOR, "2026Q1")
    before = next(r for r in finalise.current_results(db, "2026Q1") if r["agency"] == "FGW")
    assert (before["score"], before["grade"], before["action"]) == (62.5, "fair", "reminder")
    reminder = next(c for c in cases.active_cases(db, "2026Q1") if c["agency"] == "FGW")
    appeal_id = appeals.lodge_appeal(db, AGENCY_ACTOR, "2026Q1", "FGW", lowest(db)["number"], "误评")
    at(3)
    appeals.decide_appeal(db, DISCIPLINE_ACTOR, appeal_id, True, "核实为误评")
    waiting = appeals.rounds_to_refinalise(db, DISCIPLINE_ACTOR)
    assert [(w["round"], w["appeals"]) for w in waiting] == [("2026Q1", str(appeal_id))]
    at(4)
    assert finalise.finalise_round(db, ADMIN_ACTOR, "2026Q1", f"appeal {appeal_id} upheld") == ["2026Q1"]
    after = next(r for r in finalise.current_results(db, "2026Q1") if r["agency"] == "FGW")
    assert (after["n"], after["score"], after["grade"], after["action"]) == (5, 75.0, "fair", "reminder")
    assert len(finalise.finalisation_history(db, "2026Q1")) == 2
    assert appeals.rounds_to_refinalise(db, DISCIPLINE_ACTOR) == []
    assert cases.get_case(db, reminder["id"])["status"] == "notice_issued"  # the action still stands


def test_an_upheld_appeal_can_lift_the_grade_and_withdraw_the_case(db):
    """Six ratings: five at level 5 minus one item, one all-1 — fair; without the all-1, good."""
    people = make_world(db, enterprises=6, open_round=False)
    clock.freeze(CLOSED_AT)
    rounds.create_round(db, ADMIN_ACTOR, "2026Q1", "2026-01-01", "2099-12-31")
    rounds.start_round(db, ADMIN_ACTOR, "2026Q1")
    for index, who in enumerate(people):
        ratings = {i: 1 for i in ITEMS} if index == 0 else {**{i: 5 for i in ITEMS}, "convenience": 4}
        responses.save_response(db, who, "2026Q1", "FGW", ratings)
    rounds.close_round(db, ADMIN_ACTOR, "2026Q1")
    finalise.finalise_round(db, ADMIN_ACTOR, "2026Q1")
    assert next(r for r in finalise.current_results(db, "2026Q1") if r["agency"] == "FGW")["grade"] == "fair"
    number = lowest(db)["number"]
    appeal_id = appeals.lodge_appeal(db, AGENCY_ACTOR, "2026Q1", "FGW", number, "误评")
    appeals.decide_appeal(db, DISCIPLINE_ACTOR, appeal_id, True, "核实为误评")
    finalise.finalise_round(db, ADMIN_ACTOR, "2026Q1", "appeal upheld")
    result = next(r for r in finalise.current_results(db, "2026Q1") if r["agency"] == "FGW")
    assert (result["grade"], result["action"]) == ("good", "none")
    assert [c["status"] for c in db.query("SELECT * FROM cases WHERE agency = 'FGW'")] == ["withdrawn"]


def test_an_agency_case_shows_no_score_once_too_few_responses_count(db, county):
    """The reminder of 2026Q1 stays open while its score, stored from six responses, would
    rest on two once four are excluded: the agency's case list and notice leave it out."""
    from surveys.reports import notices
    finalise.finalise_round(db, ADMIN_ACTOR, "2026Q1")
    case = casework.agency_cases(db, AGENCY_ACTOR)[0]
    assert case["score"] == 62.5 and "62.5" in notices.notice_html(db, AGENCY_ACTOR, case["id"])
    for (response_id,) in db.execute("SELECT id FROM responses WHERE agency = 'FGW' LIMIT 4").fetchall():
        exclusions.exclude_response(db, ADMIN_ACTOR, response_id, "重复录入")
    case = casework.agency_cases(db, AGENCY_ACTOR)[0]
    assert case["score"] is None and case["grade"] == "fair"
    assert "62.5" not in notices.notice_html(db, AGENCY_ACTOR, case["id"])
    assert "62.5" in notices.notice_html(db, DISCIPLINE_ACTOR, case["id"])  # the office sees it all
    assert casework.inbox(db, DISCIPLINE_ACTOR)[0]["score"] == 62.5
