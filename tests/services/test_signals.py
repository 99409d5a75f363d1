"""Coaching and stuffing signals for the discipline office (issue 15 item 4): found on the demo's
planted pattern, with anonymised evidence, refused to every other role, never excluding anything;
an inquiry opened from a signal is recorded and audited; the survey records when a form was opened."""
import json
from datetime import timedelta

import pytest

from conftest import ADMIN_ACTOR, AGENCY_ACTOR, DISCIPLINE_ACTOR, FULL, PINNED_NOW, dump, enterprise_actor, make_world
from surveys.casework import signals
from surveys.collection import responses
from surveys.core import clock
from surveys.core.actors import AGENCY, Actor
from surveys.core.errors import InvalidInput, NotFound, PermissionDenied
from surveys.demo import county

OPEN_ROUND = "2026Q4"
COACHED = county.COACHED_AGENCY


@pytest.fixture(scope="module")
def found(demo_copy):
    return signals.round_signals(demo_copy, DISCIPLINE_ACTOR, OPEN_ROUND)


def coached(found, kind):
    return next(s for s in found if s["kind"] == kind and s["agency"] == COACHED)


# --- the demo's planted pattern -----------------------------------------------------------

def test_the_planted_coaching_pattern_shows_every_coaching_signal(found):
    assert {s["kind"] for s in found if s["agency"] == COACHED} >= {"identical_in_window", "too_fast",
                                                                    "top_share_jump"}
    assert coached(found, "too_fast")["count"] == county.COACHED_ANSWERS
    identical = coached(found, "identical_in_window")
    assert identical["count"] == county.COACHED_ANSWERS and identical["detail"]["answers"] == "5,5,5,5,5"
    jump = coached(found, "top_share_jump")["detail"]
    assert jump["share"] > jump["baseline"] + 0.25 and len(jump["history_rounds"]) == 4


def test_only_the_planted_agency_is_signalled_in_the_open_round(found):
    assert {s["agency"] for s in found} == {COACHED}


def test_evidence_is_numbered_timed_and_names_no_enterprise(found, demo_copy):
    fast = coached(found, "too_fast")
    assert len(fast["evidence"]) == county.COACHED_ANSWERS
    row = fast["evidence"][0]
    assert set(row) == {"agency", "number", "response_id", "saved_at", "source", "seconds", "ratings"}
    assert sorted(r["seconds"] for r in fast["evidence"]) == sorted(county.COACHED_SECONDS_TO_ANSWER)
    assert all(r["ratings"] == dict.fromkeys(FULL, 5) for r in fast["evidence"])
    usccs = [r[0] for r in demo_copy.execute("SELECT uscc FROM enterprises")]
    text = json.dumps(found, default=str)
    assert not any(uscc in text for uscc in usccs)
    # the numbers are those of the case evidence: the office can reveal the rater by them
    numbers = {r["response_id"]: r["number"] for r in signals.views.numbered_responses(demo_copy, OPEN_ROUND, COACHED)}
    assert all(numbers[r["response_id"]] == r["number"] for r in fast["evidence"])


def test_a_past_round_has_its_signals_too_with_the_existing_anomalies(demo_copy):
    rounds_ = signals.signal_rounds(demo_copy, DISCIPLINE_ACTOR)
    assert rounds_[0] == OPEN_ROUND and len(rounds_) == 9
    past = signals.round_signals(demo_copy, DISCIPLINE_ACTOR, rounds_[2])  # 2026Q2 has a demo burst
    assert "burst" in {s["kind"] for s in past}
    assert all(s["evidence"] for s in past)


# --- who may see them ---------------------------------------------------------------------

@pytest.mark.parametrize("actor", [AGENCY_ACTOR, Actor(role=AGENCY, id="sthj", name="STHJ", agency_code=COACHED),
                                   ADMIN_ACTOR, enterprise_actor("91511022MA0000001X")])
def test_every_other_role_is_refused_signals_and_inquiries(demo_path, actor):
    from surveys.storage.db import connect
    db = connect(demo_path)
    before = dump(db)
    for call in (lambda: signals.round_signals(db, actor, OPEN_ROUND),
                 lambda: signals.signal_rounds(db, actor),
                 lambda: signals.list_inquiries(db, actor),
                 lambda: signals.open_inquiry(db, actor, OPEN_ROUND, f"too_fast/{COACHED}/", "看看"),
                 lambda: signals.close_inquiry(db, actor, 1, "结论")):
        with pytest.raises(PermissionDenied):
            call()
    assert dump(db) == before


# --- inquiries ------------------------------------------------------------------------------

def test_an_inquiry_opened_from_a_signal_is_kept_and_audited_without_naming_the_agency(demo_db):
    signal = coached(signals.round_signals(demo_db, DISCIPLINE_ACTOR, OPEN_ROUND), "identical_in_window")
    exclusions = demo_db.execute("SELECT count(*) FROM exclusions").fetchone()[0]
    inquiry = signals.open_inquiry(demo_db, DISCIPLINE_ACTOR, OPEN_ROUND, signal["key"], "八条满分两分钟一条，上门核实")
    [row] = signals.list_inquiries(demo_db, DISCIPLINE_ACTOR, OPEN_ROUND)
    assert (row["id"], row["agency"], row["status"], row["opened_by"]) == (inquiry, COACHED, "open",
                                                                         "discipline:discipline")
    assert row["evidence"]["key"] == signal["key"]
    assert len(row["evidence"]["evidence"]) == county.COACHED_ANSWERS
    entry = demo_db.execute("SELECT action, target, detail FROM audit_log WHERE action = 'inquiry.opened'").fetchone()
    assert entry == ("inquiry.opened", f"inquiry/{inquiry}", "{}")  # the administrator's log: no agency, no signal
    # the signal now names its inquiry, and a second inquiry on it is refused
    again = coached(signals.round_signals(demo_db, DISCIPLINE_ACTOR, OPEN_ROUND), "identical_in_window")
    assert again["inquiry"] == inquiry
    with pytest.raises(InvalidInput) as refused:
        signals.open_inquiry(demo_db, DISCIPLINE_ACTOR, OPEN_ROUND, signal["key"], "再开一次")
    assert refused.value.key == "signals.already_open"
    # a signal never excludes anything by itself
    assert demo_db.execute("SELECT count(*) FROM exclusions").fetchone()[0] == exclusions

    signals.close_inquiry(demo_db, DISCIPLINE_ACTOR, inquiry, "已核实：部门工作人员现场指导填写")
    [row] = signals.list_inquiries(demo_db, DISCIPLINE_ACTOR, OPEN_ROUND)
    assert row["status"] == "closed" and row["finding"].startswith("已核实")
    assert demo_db.execute("SELECT count(*) FROM audit_log WHERE action = 'inquiry.closed' AND target = ?",
                           [f"inquiry/{inquiry}"]).fetchone()[0] == 1
    with pytest.raises(InvalidInput):
        signals.close_inquiry(demo_db, DISCIPLINE_ACTOR, inquiry, "again")


@pytest.mark.parametrize("key, note, error", [("too_fast/STHJ/", "", InvalidInput),
                                               ("too_fast/STHJ/", "   ", InvalidInput),
                                               ("too_fast/FGW/", "核实", NotFound)])
def test_an_inquiry_needs_a_note_and_a_current_signal(demo_db, key, note, error):
    before = dump(demo_db)
    with pytest.raises(error):
        signals.open_inquiry(demo_db, DISCIPLINE_ACTOR, OPEN_ROUND, key, note)
    assert dump(demo_db) == before


# --- timing recorded with the save -----------------------------------------------------------

def opened_and_saved(db, enterprise, agency="FGW"):
    return db.execute("SELECT opened_at, created_at FROM responses WHERE enterprise = ? AND agency = ?",
                      [enterprise.id, agency]).fetchone()


def test_the_opening_time_is_stored_with_the_first_save_and_kept_on_revision(db):
    who = make_world(db)[0]
    opened = clock.now() - timedelta(seconds=40)
    responses.save_response(db, who, OPEN_ROUND, "FGW", FULL, opened_at=opened.isoformat())
    assert opened_and_saved(db, who) == (opened.isoformat(timespec="seconds"), clock.now_iso())
    clock.freeze(PINNED_NOW + timedelta(hours=1))
    responses.save_response(db, who, OPEN_ROUND, "FGW", FULL, opened_at=clock.now_iso())
    assert opened_and_saved(db, who)[0] == opened.isoformat(timespec="seconds")


@pytest.mark.parametrize("opened_at", [None, "", "yesterday", "2026-11-20T01:00:00",  # no zone
                                       (PINNED_NOW + timedelta(minutes=5)).isoformat()])  # after the save
def test_an_unusable_opening_time_is_dropped_not_the_answer(db, opened_at):
    who = make_world(db)[0]
    assert responses.save_response(db, who, OPEN_ROUND, "FGW", FULL, opened_at=opened_at) == 1
    assert opened_and_saved(db, who)[0] is None


def test_a_time_in_county_time_is_stored_in_utc(db):
    who = make_world(db)[0]
    opened = (PINNED_NOW - timedelta(seconds=30)).astimezone(clock.COUNTY_TIME)
    responses.save_response(db, who, OPEN_ROUND, "FGW", FULL, opened_at=opened.isoformat())
    assert opened_and_saved(db, who)[0].endswith("+00:00")


def test_only_the_discipline_office_holds_the_signals():
    from surveys.core.permissions import roles_holding
    assert roles_holding("signals.review") == ["discipline"]


def test_a_paper_return_has_no_opening_time(db):
    from surveys.collection import paper_returns
    from test_paper_returns import HEADER, csv_bytes, row
    who = make_world(db)[0]
    paper_returns.import_paper_returns(db, ADMIN_ACTOR, csv_bytes([HEADER, row(who.id)]), "paper.csv")
    assert db.execute("SELECT source, opened_at FROM responses").fetchone() == ("paper", None)


def test_a_round_without_answers_has_no_signals(db):
    make_world(db)
    assert signals.round_signals(db, DISCIPLINE_ACTOR, OPEN_ROUND) == []
    with pytest.raises(NotFound):
        signals.round_signals(db, DISCIPLINE_ACTOR, "2030Q1")
