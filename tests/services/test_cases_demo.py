"""The demo county's casework history (surveys/demo/casework.py), on a demo copy."""
import pytest

from conftest import DISCIPLINE_ACTOR, dump
from surveys.casework import appeals
from surveys.casework import cases
from surveys.core import clock
from surveys.demo import county as demo
from surveys.demo import casework as demo_casework
from surveys.casework import problems


@pytest.fixture
def demo_cases(demo_db):
    demo_casework.advance_demo_cases(demo_db)
    return demo_db


def by_round(db) -> dict[str, list[dict]]:
    found: dict[str, list[dict]] = {}
    for case in db.query("SELECT * FROM cases WHERE status <> 'withdrawn' ORDER BY id"):
        found.setdefault(case["round"], []).append(case)
    return found


def test_older_rounds_are_closed_with_notes_and_recent_ones_in_progress(demo_cases):
    rounds_cases = by_round(demo_cases)
    for name in demo.past_rounds(demo_cases)[:-2]:
        assert {c["status"] for c in rounds_cases[name]} == {"closed"}, name
    second_last = {c["status"] for c in rounds_cases[demo.past_rounds(demo_cases)[-2]]}
    assert "closed" in second_last and second_last - {"closed"}
    last = rounds_cases[demo.past_rounds(demo_cases)[-1]]
    assert {"notice_issued", "acknowledged", "rectification_received", "referred"} <= {c["status"] for c in last}
    closed = next(c for c in rounds_cases[demo.past_rounds(demo_cases)[0]] if c["action"] == "interview")
    events = cases.case_events(demo_cases, closed["id"])
    assert [e["step"] for e in events] == ["to_schedule", "scheduled", "held", "plan_received", "closed"]
    assert all(e["note"] or e["details"] for e in events[1:])
    assert events[1]["details"]["attendees"] and events[1]["at"] < events[-1]["at"] < clock.now_iso()


def test_the_history_is_dated_in_the_past_and_some_cases_are_overdue(demo_cases):
    now = clock.now_iso()
    assert demo_cases.execute("SELECT max(at) FROM case_events").fetchone()[0] <= now
    opened = demo_cases.execute("SELECT opened_at FROM cases WHERE round = '2024Q4' LIMIT 1").fetchone()[0]
    assert opened.startswith("2025-02")
    overdue = [c for c in demo_cases.query("SELECT * FROM cases") if cases.is_overdue(c)]
    assert overdue and all(c["round"] == demo.past_rounds(demo_cases)[-2] for c in overdue)


def test_one_referral_waits_for_the_browser_journey(demo_cases):
    waiting = [c for c in demo_cases.query("SELECT * FROM cases WHERE action = 'referral' AND status = 'referred'")]
    assert len(waiting) == 1 and waiting[0]["round"] == demo.past_rounds(demo_cases)[-1]


def test_a_pending_appeal_and_problems_at_every_stage(demo_cases):
    pending = appeals.appeals_for_review(demo_cases, DISCIPLINE_ACTOR, "pending")
    assert len(pending) == 1 and pending[0]["round"] == demo.past_rounds(demo_cases)[-1]
    statuses = [t["status"] for t in problems.problems_overview(demo_cases, DISCIPLINE_ACTOR, include_solved=True)]
    assert sorted(statuses) == ["open", "open", "open", "solved"]
    reopened = [t for t in problems.problems_overview(demo_cases, DISCIPLINE_ACTOR) if t["times_not_solved"]]
    assert len(reopened) == 1


def test_it_runs_once_only(demo_cases):
    before = dump(demo_cases)
    demo_casework.advance_demo_cases(demo_cases)
    assert dump(demo_cases) == before
