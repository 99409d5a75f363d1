"""The "next step" line of every official page: what each official is expected to do now,
computed from the demo county's data (tests/conftest.py pins the clock to 2026-11-20)."""
from datetime import date

from app_pages import next_step as next_step_page
from conftest import ADMIN_ACTOR, DISCIPLINE_ACTOR
from surveys.casework import cases
from surveys.casework import next_steps
from surveys.casework import problems
from surveys.casework import views as casework
from surveys.collection import monitoring
from surveys.collection import rounds
from surveys.core.actors import AGENCY, Actor


def agency(code: str) -> Actor:
    return Actor(role=AGENCY, id=code.lower(), name=code, agency_code=code)


def test_the_agency_is_told_how_many_cases_wait_for_its_report_and_the_first_deadline(demo_copy):
    for row in demo_copy.query("SELECT DISTINCT agency FROM cases"):
        who = agency(row["agency"])
        mine = casework.agency_cases(demo_copy, who)
        waiting = [c for c in mine if c["steps"]]
        step = next_steps.agency_next_step(demo_copy, who)
        if waiting:
            assert step["kind"] == "cases_waiting"
            assert step["count"] == len(waiting)
            assert step["first_due"] == min(c["due_on"] for c in waiting)
            assert step["overdue"] == sum(c["overdue"] for c in waiting)
        elif any(c["status"] not in cases.FINISHED for c in mine):
            assert step["kind"] == "cases_with_discipline"
        else:
            assert step["kind"] in ("round_open", "nothing")
    assert any(next_steps.agency_next_step(demo_copy, agency(r["agency"]))["kind"] == "cases_waiting"
               for r in demo_copy.query("SELECT DISTINCT agency FROM cases"))


def test_an_agency_without_cases_is_pointed_at_the_open_round(demo_copy):
    with_cases = {r["agency"] for r in demo_copy.query("SELECT DISTINCT agency FROM cases")}
    code = next(r["code"] for r in demo_copy.query("SELECT code FROM agencies") if r["code"] not in with_cases)
    current = rounds.open_round(demo_copy)
    step = next_steps.agency_next_step(demo_copy, agency(code))
    assert {k: v for k, v in step.items() if k not in ("problems", "overdue_marks")} == {
        "kind": "round_open", "round": current["name"], "closes_on": current["closes_on"]}


def test_the_agency_is_told_of_problem_tickets_waiting_for_its_answer(demo_copy):
    agencies = [r["code"] for r in demo_copy.query("SELECT code FROM agencies")]
    told = {}
    for code in agencies:
        who = agency(code)
        waiting = [p for p in problems.agency_problems(demo_copy, who) if p["status"] == problems.OPEN]
        told[code] = next_steps.agency_next_step(demo_copy, who)["problems"]
        assert told[code]["count"] == len(waiting)
        assert told[code]["overdue"] == sum(bool(p["overdue"]) for p in waiting)
        assert told[code]["first_due"] == min((p["due_on"] for p in waiting), default=None)
    assert any(t["count"] for t in told.values()), "the demo county has open tickets to tell of"


def test_the_agency_line_names_waiting_tickets_even_when_no_case_waits():
    step = {"kind": "nothing", "problems": {"count": 2, "overdue": 1, "first_due": "2026-11-18"}}
    text = next_step_page._agency(step)
    assert "2" in text and "企业反映的问题" in text and "目前没有" not in text


def test_the_discipline_office_counts_the_referrals_it_must_decide(demo_copy):
    step = next_steps.discipline_next_step(demo_copy, DISCIPLINE_ACTOR)
    mine = [c for c in casework.inbox(demo_copy, DISCIPLINE_ACTOR)
            if c["status"] not in cases.FINISHED and cases.steps_for(DISCIPLINE_ACTOR, c)]
    assert step["kind"] == "decide"
    assert step["referrals"] == sum(c["action"] == "referral" for c in mine) > 0
    assert step["interviews"] == sum(c["action"] == "interview" for c in mine)
    assert step["reminders"] == sum(c["action"] == "reminder" for c in mine)
    assert step["overdue"] == sum(c["overdue"] for c in mine)


def test_the_administrator_sees_the_open_round_its_closing_date_and_response_rate(demo_copy):
    step = next_steps.admin_next_step(demo_copy, ADMIN_ACTOR)
    progress = monitoring.round_progress(demo_copy, ADMIN_ACTOR)
    assert step == {"kind": "round_open", "round": "2026Q4", "closes_on": "2026-12-31", "rate": progress["rate"]}
    assert 0 < step["rate"] < 1


def test_with_no_round_open_the_administrator_is_told_what_to_do_with_the_newest(demo_path):
    from surveys.storage.db import connect

    db = connect(demo_path)
    db.execute("UPDATE rounds SET status = 'closed' WHERE name = '2026Q4'")
    db.conn.commit()
    assert next_steps.admin_next_step(db, ADMIN_ACTOR) == {"kind": "round_closed", "round": "2026Q4"}
    db.execute("UPDATE rounds SET status = 'published' WHERE name = '2026Q4'")
    db.conn.commit()
    assert next_steps.admin_next_step(db, ADMIN_ACTOR) == {"kind": "create_round", "round": "2027Q1"}
    db.close()


def test_the_inbox_puts_referrals_first_then_interviews_then_reminders(demo_copy):
    rows = [r for r in casework.inbox(demo_copy, DISCIPLINE_ACTOR) if r["status"] not in cases.FINISHED]
    order = [casework.SEVERITY[r["action"]] for r in rows]
    assert order == sorted(order)
    assert rows[0]["action"] == "referral"
    assert any(r["overdue"] for r in rows if r["action"] == "reminder")  # the overdue reminders come after
    for severity in set(order):  # overdue first within one action
        group = [r["overdue"] for r in rows if casework.SEVERITY[r["action"]] == severity]
        assert group == sorted(group, reverse=True)


def test_the_discipline_office_is_reminded_of_its_open_inquiries(demo_db):
    from surveys.casework import signals
    from surveys.collection import rounds as round_service
    round_name = round_service.open_round(demo_db)["name"]
    assert next_steps.discipline_next_step(demo_db, DISCIPLINE_ACTOR).get("inquiries", 0) == 0
    signal = signals.round_signals(demo_db, DISCIPLINE_ACTOR, round_name)[0]
    signals.open_inquiry(demo_db, DISCIPLINE_ACTOR, round_name, signal["key"], "上门核实")
    step = next_steps.discipline_next_step(demo_db, DISCIPLINE_ACTOR)
    assert step["kind"] == "decide" and step["inquiries"] == 1
    assert "1 件由异常信号启动的核查尚未办结" in next_step_page._discipline(step)
