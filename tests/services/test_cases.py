"""Escalation cases: every state-machine step with what it records, every refusal
(wrong state, wrong role, not your agency, missing details), due dates and
overdue, the discipline office's inbox and evidence, and the printable notices."""
from datetime import date, datetime, timezone

import pytest

from conftest import ADMIN_ACTOR, AGENCY_ACTOR, DISCIPLINE_ACTOR, dump, enterprise_actor, make_world
from surveys.casework import cases
from surveys.casework import views as casework
from surveys.core import clock
from surveys.results import finalise
from surveys.reports import notices
from surveys.collection import responses
from surveys.collection import rounds
from surveys.core import workdays
from surveys.core.actors import AGENCY, Actor
from surveys.core.errors import InvalidInput, NotFound, PermissionDenied

ITEMS = ["efficiency", "attitude", "lawfulness", "integrity", "convenience"]
SCJG_ACTOR = Actor(role=AGENCY, id="scjg", name="SCJG", agency_code="SCJG")
OPENED = datetime(2026, 3, 2, 2, 0, tzinfo=timezone.utc)  # a Monday


def rate(level: int) -> dict:
    return {item: level for item in ITEMS}


def play_round(db, name, enterprises, levels_by_agency, comments=None):
    rounds.create_round(db, ADMIN_ACTOR, name, "2026-01-01", "2099-12-31")
    rounds.start_round(db, ADMIN_ACTOR, name)
    for agency, levels in levels_by_agency.items():
        for index, (who, level) in enumerate(zip(enterprises, levels)):
            comment = (comments or {}).get((agency, index), "")
            responses.save_response(db, who, name, agency, rate(level), comment)
    rounds.close_round(db, ADMIN_ACTOR, name)
    finalise.finalise_round(db, ADMIN_ACTOR, name)


def county_with_cases(db) -> dict[str, int]:
    """FGW fair (reminder) in 2026Q2; SCJG poor in 2026Q1 (interview) and 2026Q2 (referral).
    Returns the case id per action (the 2026Q2 cases, and the 2026Q1 interview)."""
    clock.freeze(OPENED)
    people = make_world(db, enterprises=8, open_round=False)
    play_round(db, "2026Q1", people, {"FGW": [5] * 6, "SCJG": [2] * 6},
               comments={("SCJG", 0): "窗口推诿", ("SCJG", 1): "<b>要跑三次</b>"})
    play_round(db, "2026Q2", people, {"FGW": [4] * 6, "SCJG": [2] * 5 + [3]})
    found = {c["action"]: c["id"] for c in db.query("SELECT * FROM cases ORDER BY id")}
    assert set(found) == {"reminder", "interview", "referral"}
    return found


@pytest.fixture
def county(db):
    return county_with_cases(db)


def status_of(db, case_id):
    return cases.get_case(db, case_id)["status"]


# --- the three paths --------------------------------------------------------------

def test_reminder_path_records_who_when_and_what(db, county):
    case_id = county["reminder"]
    assert status_of(db, case_id) == "notice_issued"
    clock.freeze(datetime(2026, 3, 3, 1, 0, tzinfo=timezone.utc))
    cases.advance_case(db, AGENCY_ACTOR, case_id, "acknowledged", "已签收")
    cases.advance_case(db, AGENCY_ACTOR, case_id, "rectification_received", "压缩审批时限")
    clock.freeze(datetime(2026, 3, 10, 1, 0, tzinfo=timezone.utc))
    cases.advance_case(db, DISCIPLINE_ACTOR, case_id, "closed", "核实办结")
    case = cases.get_case(db, case_id)
    assert case["status"] == "closed" and case["closed_at"].startswith("2026-03-10")
    events = cases.case_events(db, case_id)
    assert [(e["step"], e["actor"], e["note"]) for e in events] == [
        ("notice_issued", "admin:admin", ""), ("acknowledged", "agency:fgw", "已签收"),
        ("rectification_received", "agency:fgw", "压缩审批时限"), ("closed", "discipline:discipline", "核实办结")]
    assert events[2]["details"] == {"late": False} and events[3]["at"].startswith("2026-03-10")
    audit = [r[0] for r in db.execute("SELECT action FROM audit_log WHERE target = ?", [f"case/{case_id}"])]
    assert audit == ["case.opened", "case.acknowledged", "case.rectification_received", "case.closed"]


def test_interview_path_records_date_attendees_notes_and_plan(db, county):
    case_id = county["interview"]
    assert status_of(db, case_id) == "to_schedule"
    cases.advance_case(db, DISCIPLINE_ACTOR, case_id, "scheduled", interview_on="2026-03-09", attendees="局长、分管副局长")
    clock.freeze(datetime(2026, 3, 9, 2, 0, tzinfo=timezone.utc))
    cases.advance_case(db, DISCIPLINE_ACTOR, case_id, "held", "指出问题，要求整改")
    # the plan is due 15 working days after the interview
    assert cases.get_case(db, case_id)["due_on"] == "2026-03-30"
    cases.advance_case(db, SCJG_ACTOR, case_id, "plan_received", "整改方案……")
    cases.advance_case(db, DISCIPLINE_ACTOR, case_id, "closed")
    events = {e["step"]: e for e in cases.case_events(db, case_id)}
    assert events["scheduled"]["details"] == {"interview_on": "2026-03-09", "attendees": "局长、分管副局长"}
    assert events["held"]["note"] == "指出问题，要求整改" and events["held"]["details"]["due_on"] == "2026-03-30"
    assert events["plan_received"]["details"] == {"late": False}
    assert status_of(db, case_id) == "closed"


def test_referral_path_records_the_outcome(db, county):
    case_id = county["referral"]
    assert status_of(db, case_id) == "referred"
    cases.advance_case(db, DISCIPLINE_ACTOR, case_id, "investigation_opened", "成立核查组")
    cases.advance_case(db, DISCIPLINE_ACTOR, case_id, "outcome_recorded", outcome="诫勉谈话")
    cases.advance_case(db, DISCIPLINE_ACTOR, case_id, "closed", "办结")
    steps = [(e["step"], e["details"]) for e in cases.case_events(db, case_id)]
    assert steps[2] == ("outcome_recorded", {"outcome": "诫勉谈话"}) and steps[-1][0] == "closed"


def test_steps_for_each_role(db, county):
    reminder = cases.get_case(db, county["reminder"])
    assert cases.steps_for(AGENCY_ACTOR, reminder) == ["acknowledged"]
    assert cases.steps_for(DISCIPLINE_ACTOR, reminder) == []
    assert cases.steps_for(SCJG_ACTOR, reminder) == []  # not its case
    assert cases.steps_for(DISCIPLINE_ACTOR, cases.get_case(db, county["referral"])) == ["investigation_opened"]


# --- refusals ---------------------------------------------------------------------

def refused(db, error, call, *args, **kwargs):
    """The call is refused with ``error`` and leaves the database as it was; returns the message."""
    before = dump(db)
    with pytest.raises(error) as caught:
        call(db, *args, **kwargs)
    assert dump(db) == before
    return caught.value.message("en")


def test_a_step_the_state_does_not_allow_is_refused_with_the_reason(db, county):
    message = refused(db, InvalidInput, cases.advance_case, AGENCY_ACTOR, county["reminder"],
                      "rectification_received", "报告")
    assert message == "The case is at 'notice issued'; the step 'rectification report received' is not possible from there."
    refused(db, InvalidInput, cases.advance_case, DISCIPLINE_ACTOR, county["referral"], "closed")
    refused(db, InvalidInput, cases.advance_case, DISCIPLINE_ACTOR, county["referral"], "no_such_step")


def test_a_step_of_the_other_role_is_refused(db, county):
    message = refused(db, PermissionDenied, cases.advance_case, DISCIPLINE_ACTOR, county["reminder"], "acknowledged")
    assert message == "This step is for the Agency to take."
    cases.advance_case(db, DISCIPLINE_ACTOR, county["interview"], "scheduled", interview_on="2026-03-09",
                       attendees="局长")
    message = refused(db, PermissionDenied, cases.advance_case, SCJG_ACTOR, county["interview"], "held", "记录")
    assert message == "This step is for the Discipline office to take."


def test_another_agencys_case_is_refused(db, county):
    message = refused(db, PermissionDenied, cases.advance_case, SCJG_ACTOR, county["reminder"], "acknowledged")
    assert message == "This case is not your agency's."


def test_enterprises_and_administrators_take_no_steps(db, county):
    refused(db, PermissionDenied, cases.advance_case, ADMIN_ACTOR, county["referral"], "investigation_opened")
    refused(db, PermissionDenied, cases.advance_case, enterprise_actor("91511022MA0000001X"), county["reminder"],
            "acknowledged")


def test_an_unknown_case_is_refused(db, county):
    assert refused(db, NotFound, cases.advance_case, DISCIPLINE_ACTOR, 9999, "closed") == "There is no case 9999."


@pytest.mark.parametrize("details, expected", [
    ({"attendees": "局长"}, "'Interview date' is not a valid date: None."),
    ({"interview_on": "next week", "attendees": "局长"}, "'Interview date' is not a valid date: next week."),
    ({"interview_on": "2026-03-09", "attendees": "  "}, "Fill in 'Attendees'."),
])
def test_scheduling_needs_a_date_and_attendees(db, county, details, expected):
    assert refused(db, InvalidInput, cases.advance_case, DISCIPLINE_ACTOR, county["interview"], "scheduled",
                   **details) == expected


def test_steps_that_record_text_need_it(db, county):
    cases.advance_case(db, DISCIPLINE_ACTOR, county["interview"], "scheduled", interview_on=date(2026, 3, 9),
                       attendees="局长")
    assert refused(db, InvalidInput, cases.advance_case, DISCIPLINE_ACTOR, county["interview"], "held",
                   " ") == "The step 'interview held' needs a text."
    cases.advance_case(db, AGENCY_ACTOR, county["reminder"], "acknowledged")
    refused(db, InvalidInput, cases.advance_case, AGENCY_ACTOR, county["reminder"], "rectification_received", "")
    cases.advance_case(db, DISCIPLINE_ACTOR, county["referral"], "investigation_opened")
    assert refused(db, InvalidInput, cases.advance_case, DISCIPLINE_ACTOR, county["referral"],
                   "outcome_recorded") == "Fill in 'Outcome of the investigation'."


def test_a_report_longer_than_the_limit_is_refused(db, county):
    cases.advance_case(db, AGENCY_ACTOR, county["reminder"], "acknowledged")
    message = refused(db, InvalidInput, cases.advance_case, AGENCY_ACTOR, county["reminder"],
                      "rectification_received", "改" * (cases.MAX_TEXT + 1))
    assert message == f"Too long: at most {cases.MAX_TEXT} characters, this has {cases.MAX_TEXT + 1}."


def test_closed_and_withdrawn_cases_take_no_more_steps(db, county):
    for step in ("investigation_opened", "outcome_recorded"):
        cases.advance_case(db, DISCIPLINE_ACTOR, county["referral"], step, outcome="x")
    cases.advance_case(db, DISCIPLINE_ACTOR, county["referral"], "closed")
    refused(db, InvalidInput, cases.advance_case, DISCIPLINE_ACTOR, county["referral"], "closed")
    with db.conn:
        cases.withdraw_case(db, ADMIN_ACTOR, county["reminder"], "refinalised")
    refused(db, InvalidInput, cases.advance_case, AGENCY_ACTOR, county["reminder"], "acknowledged")


# --- due dates ----------------------------------------------------------------------

def test_due_date_counts_working_days_and_the_setting(db, county):
    assert cases.get_case(db, county["reminder"])["due_on"] == "2026-03-23"  # 15 working days after Mon 2 March
    assert workdays.add_working_days(db, date(2026, 3, 6), 1) == date(2026, 3, 9)  # Friday -> Monday
    db.execute("INSERT INTO settings (name, value) VALUES ('case_due_working_days', '5')")
    assert cases.due_working_days(db) == 5


def test_overdue_cases_stand_out_and_a_late_report_is_marked(db, county):
    case_id = county["reminder"]
    assert not cases.is_overdue(cases.get_case(db, case_id))
    clock.freeze(datetime(2026, 3, 24, 2, 0, tzinfo=timezone.utc))  # the day after the deadline
    assert cases.is_overdue(cases.get_case(db, case_id))
    inbox = casework.inbox(db, DISCIPLINE_ACTOR)
    assert all(r["overdue"] for r in inbox[:3]) and casework.case_counts(db, DISCIPLINE_ACTOR)["overdue"] == 3
    cases.advance_case(db, AGENCY_ACTOR, case_id, "acknowledged")
    cases.advance_case(db, AGENCY_ACTOR, case_id, "rectification_received", "迟交的报告")
    assert cases.case_events(db, case_id)[-1]["details"] == {"late": True}
    cases.advance_case(db, DISCIPLINE_ACTOR, case_id, "closed")
    assert not cases.is_overdue(cases.get_case(db, case_id))
    assert casework.inbox(db, DISCIPLINE_ACTOR)[-1]["id"] == case_id  # finished cases go last


# --- inbox, evidence, the agency's view --------------------------------------------

def test_inbox_filters_by_status_action_agency_and_round(db, county):
    assert {r["id"] for r in casework.inbox(db, DISCIPLINE_ACTOR, actions=["referral"])} == {county["referral"]}
    assert {r["id"] for r in casework.inbox(db, DISCIPLINE_ACTOR, agencies=["FGW"])} == {county["reminder"]}
    assert {r["id"] for r in casework.inbox(db, DISCIPLINE_ACTOR, round_names=["2026Q1"])} == {county["interview"]}
    assert {r["id"] for r in casework.inbox(db, DISCIPLINE_ACTOR, statuses=["to_schedule", "referred"])} == {
        county["interview"], county["referral"]}
    row = next(r for r in casework.inbox(db, DISCIPLINE_ACTOR) if r["id"] == county["reminder"])
    assert (row["grade"], row["score"], row["n"]) == ("fair", 75.0, 6)
    with pytest.raises(PermissionDenied):
        casework.inbox(db, AGENCY_ACTOR)


def test_case_evidence_has_everything_the_office_weighs(db, county):
    evidence = casework.case_evidence(db, DISCIPLINE_ACTOR, county["referral"])
    assert evidence["result"]["grade"] == "poor" and evidence["result"]["n"] == 6
    counts = {(d["item"], d["level"]): d["count"] for d in evidence["distribution"]}
    assert counts[("efficiency", 2)] == 5 and counts[("efficiency", 3)] == 1 and counts[("efficiency", 5)] == 0
    assert {r["item"]: r["mean_points"] for r in evidence["item_breakdown"]}["attitude"] == round(175 / 6, 1)
    assert [t["round"] for t in evidence["trend"]] == ["2026Q1", "2026Q2"]
    assert [c["id"] for c in evidence["earlier_cases"]] == [county["interview"]]
    assert [e["step"] for e in evidence["timeline"]] == ["referred"]
    assert evidence["steps"] == ["investigation_opened"]
    earlier = casework.case_evidence(db, DISCIPLINE_ACTOR, county["interview"])
    assert sorted(c["comment"] for c in earlier["comments"]) == ["<b>要跑三次</b>", "窗口推诿"]
    assert sorted(r["number"] for r in earlier["responses"]) == [1, 2, 3, 4, 5, 6]


def test_an_agency_sees_only_its_own_cases(db, county):
    mine = casework.agency_cases(db, SCJG_ACTOR)
    assert {c["id"] for c in mine} == {county["interview"], county["referral"]}
    assert all("responses" not in c and "comments" not in c for c in mine)
    with pytest.raises(PermissionDenied):
        casework.agency_case(db, SCJG_ACTOR, county["reminder"])
    assert casework.agency_case(db, AGENCY_ACTOR, county["reminder"])["steps"] == ["acknowledged"]


# --- notices ------------------------------------------------------------------------

def test_notice_states_agency_round_grade_score_action_and_deadline(db, county):
    page = notices.notice_html(db, DISCIPLINE_ACTOR, county["reminder"])
    for text in ("提醒通知书", "县发展改革委", "2026年第二季度", "一般", "75.0", "通知提醒", "2026年3月23日", "（盖章）"):
        assert text in page, text
    interview = notices.notice_html(db, DISCIPLINE_ACTOR, county["interview"])
    assert "约谈通知书" in interview and "另行通知" in interview
    cases.advance_case(db, DISCIPLINE_ACTOR, county["interview"], "scheduled", interview_on="2026-03-09",
                       attendees="局长 & <分管副局长>")
    interview = notices.notice_html(db, DISCIPLINE_ACTOR, county["interview"])
    assert "2026年3月9日" in interview and "局长 &amp; &lt;分管副局长&gt;" in interview
    referral = notices.notice_html(db, DISCIPLINE_ACTOR, county["referral"])
    assert "移交函" in referral and "2026年第一季度" in referral and "县市场监管局" in referral
    assert notices.notice_html(db, DISCIPLINE_ACTOR, county["reminder"], "en").count("reminder notice") >= 1


def test_notice_escapes_everything_and_names_no_enterprise(db, county):
    db.execute("UPDATE agencies SET name_zh = '<script>alert(1)</script>局' WHERE code = 'FGW'")
    page = notices.notice_html(db, DISCIPLINE_ACTOR, county["reminder"])
    assert "<script>" not in page and "&lt;script&gt;" in page
    names = [r[0] for r in db.execute("SELECT name FROM enterprises")] + [r[0] for r in db.execute(
        "SELECT uscc FROM enterprises")]
    assert not any(name in page for name in names)


def test_an_agency_gets_only_its_own_notices(db, county):
    assert "县发展改革委" in notices.notice_html(db, AGENCY_ACTOR, county["reminder"])
    with pytest.raises(PermissionDenied):
        notices.notice_html(db, SCJG_ACTOR, county["reminder"])
    with pytest.raises(PermissionDenied):
        notices.notice_html(db, enterprise_actor("91511022MA0000001X"), county["reminder"])
