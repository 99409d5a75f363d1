"""Finalisation: results stored with their rules, cases opened, history kept,
nothing partial, nothing changed by finalising twice."""
import json

import pytest

from conftest import ADMIN_ACTOR, AGENCY_ACTOR, DISCIPLINE_ACTOR, dump, make_world
from surveys.casework import cases
from surveys.results import exclusions
from surveys.results import finalise
from surveys.collection import responses
from surveys.collection import rounds
from surveys.core.errors import InvalidInput, PermissionDenied

ITEMS = ["efficiency", "attitude", "lawfulness", "integrity", "convenience"]


def rate(level: int) -> dict:
    return {item: level for item in ITEMS}


def run_round(db, name, enterprises, levels_by_agency, close=True):
    """Finalise earlier closed rounds, open ``name``, let enterprises answer (levels per agency), close it."""
    if not db.execute("SELECT 1 FROM rounds WHERE name = ?", [name]).fetchone():
        rounds.create_round(db, ADMIN_ACTOR, name, "2026-01-01", "2099-12-31")
    for (earlier,) in db.execute("SELECT name FROM rounds WHERE name < ? AND status = 'closed'", [name]).fetchall():
        finalise.finalise_round(db, ADMIN_ACTOR, earlier)
    if rounds.get_round(db, name)["status"] == "draft":
        rounds.start_round(db, ADMIN_ACTOR, name)
    for agency, levels in levels_by_agency.items():
        for who, level in zip(enterprises, levels):
            responses.save_response(db, who, name, agency, rate(level))
    if close:
        rounds.close_round(db, ADMIN_ACTOR, name)


@pytest.fixture
def county(db):
    return make_world(db, enterprises=8, open_round=False)


def result_of(db, round_name, agency):
    return next(r for r in finalise.current_results(db, round_name) if r["agency"] == agency)


def test_finalise_stores_results_rules_and_cases(db, county):
    # FGW: 6 x level 5 -> 100 good; SCJG: 6 x level 2 -> 25 poor (first time: interview)
    run_round(db, "2026Q1", county, {"FGW": [5] * 6, "SCJG": [2] * 6})
    assert finalise.finalise_round(db, ADMIN_ACTOR, "2026Q1") == ["2026Q1"]
    fgw, scjg = result_of(db, "2026Q1", "FGW"), result_of(db, "2026Q1", "SCJG")
    assert (fgw["n"], fgw["score"], fgw["grade"], fgw["action"]) == (6, 100.0, "good", "none")
    assert (scjg["n"], scjg["score"], scjg["grade"], scjg["action"]) == (6, 25.0, "poor", "interview")
    assert fgw["rank"] == 1 and scjg["rank"] == 2
    round_row = rounds.get_round(db, "2026Q1")
    assert round_row["status"] == "finalised"
    assert json.loads(round_row["scoring_config"])["good_threshold"] == 80.0
    open_cases = cases.active_cases(db, "2026Q1")
    assert [(c["agency"], c["action"], c["status"]) for c in open_cases] == [("SCJG", "interview", "to_schedule")]


def test_agency_without_responses_is_insufficient(db, county):
    run_round(db, "2026Q1", county, {"FGW": [4] * 3})
    finalise.finalise_round(db, ADMIN_ACTOR, "2026Q1")
    assert (result_of(db, "2026Q1", "FGW")["grade"], result_of(db, "2026Q1", "SCJG")["n"]) == ("insufficient", 0)
    assert cases.active_cases(db, "2026Q1") == []


def test_finalising_twice_changes_nothing(db, county):
    run_round(db, "2026Q1", county, {"FGW": [5, 4, 4, 3, 5, 4], "SCJG": [2, 3, 2, 2, 1, 3]})
    finalise.finalise_round(db, ADMIN_ACTOR, "2026Q1")
    before = dump(db)
    assert finalise.finalise_round(db, ADMIN_ACTOR, "2026Q1", reason="check") == []
    assert dump(db) == before


def test_poor_twice_in_a_row_is_referred(db, county):
    run_round(db, "2026Q1", county, {"SCJG": [2] * 6})
    run_round(db, "2026Q2", county, {"SCJG": [1] * 6})
    finalise.finalise_round(db, ADMIN_ACTOR, "2026Q2")
    assert result_of(db, "2026Q2", "SCJG")["action"] == "referral"


def test_upheld_exclusion_refinalises_with_history_and_cascades(db, county):
    # SCJG: Q1 five poor answers and one dissenting -> poor; Q2 poor -> referral
    run_round(db, "2026Q1", county, {"SCJG": [2, 2, 2, 2, 2, 1]})
    run_round(db, "2026Q2", county, {"SCJG": [2] * 6})
    finalise.finalise_round(db, ADMIN_ACTOR, "2026Q2")
    assert result_of(db, "2026Q2", "SCJG")["action"] == "referral"
    # excluding two Q1 answers leaves 4 responses: Q1 becomes insufficient, so Q2 is a first poor
    ids = [r[0] for r in db.execute("SELECT id FROM responses WHERE round = '2026Q1' ORDER BY id LIMIT 2")]
    for response_id in ids:
        exclusions.exclude_response(db, DISCIPLINE_ACTOR, response_id, "appeal upheld: wrong agency")
    with pytest.raises(InvalidInput):
        finalise.finalise_round(db, ADMIN_ACTOR, "2026Q1")  # a re-finalisation needs a reason
    changed = finalise.finalise_round(db, ADMIN_ACTOR, "2026Q1", reason="appeals upheld")
    assert changed == ["2026Q1", "2026Q2"]
    assert result_of(db, "2026Q1", "SCJG")["grade"] == "insufficient"
    assert result_of(db, "2026Q2", "SCJG")["action"] == "interview"
    history = finalise.finalisation_history(db, "2026Q1")
    assert [(h["is_current"], h["reason"]) for h in history] == [(0, ""), (1, "appeals upheld")]
    old = db.execute("SELECT grade FROM results WHERE finalisation_id = ? AND agency = 'SCJG'",
                     [history[0]["id"]]).fetchone()[0]
    assert old == "poor"  # earlier results kept
    statuses = {(c["round"], c["action"]): c["status"] for c in db.query("SELECT * FROM cases")}
    assert statuses == {("2026Q1", "interview"): "withdrawn", ("2026Q2", "referral"): "withdrawn",
                        ("2026Q2", "interview"): "to_schedule"}
    audit = [r[0] for r in db.execute("SELECT action FROM audit_log WHERE action LIKE 'round.results%'")]
    assert len(audit) == 4


def test_failure_half_way_leaves_nothing(db, county, monkeypatch):
    run_round(db, "2026Q1", county, {"SCJG": [2] * 6})
    before = dump(db)

    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(cases, "open_case", broken)
    with pytest.raises(RuntimeError):
        finalise.finalise_round(db, ADMIN_ACTOR, "2026Q1")
    assert dump(db) == before
    assert rounds.get_round(db, "2026Q1")["status"] == "closed"


def test_lifecycle_refusals(db, county):
    run_round(db, "2026Q1", county, {"FGW": [5] * 5}, close=False)
    with pytest.raises(InvalidInput):
        finalise.finalise_round(db, ADMIN_ACTOR, "2026Q1")  # still open
    rounds.close_round(db, ADMIN_ACTOR, "2026Q1")
    with pytest.raises(PermissionDenied):
        finalise.finalise_round(db, AGENCY_ACTOR, "2026Q1")
    with pytest.raises(InvalidInput):
        finalise.publish_round(db, ADMIN_ACTOR, "2026Q1")  # not finalised yet
    rounds.create_round(db, ADMIN_ACTOR, "2026Q2", "2026-07-01", "2026-07-31")
    rounds.start_round(db, ADMIN_ACTOR, "2026Q2")
    rounds.close_round(db, ADMIN_ACTOR, "2026Q2")
    with pytest.raises(InvalidInput) as caught:
        finalise.finalise_round(db, ADMIN_ACTOR, "2026Q2")
    assert caught.value.key == "finalise.earlier_first"
    finalise.finalise_round(db, ADMIN_ACTOR, "2026Q1")
    finalise.publish_round(db, ADMIN_ACTOR, "2026Q1")
    assert rounds.get_round(db, "2026Q1")["status"] == "published"


def test_overdue_open_round_closes_itself(db, county):
    from datetime import datetime, timezone
    from surveys.core import clock
    rounds.create_round(db, ADMIN_ACTOR, "2026Q1", "2026-04-01", "2026-04-30")
    rounds.start_round(db, ADMIN_ACTOR, "2026Q1")
    clock.freeze(datetime(2026, 4, 30, 12, tzinfo=timezone.utc))
    assert rounds.close_overdue_rounds(db) == []
    clock.freeze(datetime(2026, 5, 1, 0, 1, tzinfo=timezone.utc))
    assert rounds.close_overdue_rounds(db) == ["2026Q1"]
    assert rounds.get_round(db, "2026Q1")["status"] == "closed"
    assert db.execute("SELECT actor FROM audit_log WHERE action = 'round.closed'").fetchone()[0] == "system:qiping"
