"""The closed loop's pages through AppTest on the demo county (issue 15): the enterprise rates an
answer and 不满意 sends it back, the agency records its contact and sees the ticket reopened, the
discipline inbox opens with what was escalated and reviews a report, the administrator sets the
deadlines, and the overview and the agency's dashboard show the standard rates."""
from datetime import timedelta

from conftest import ADMIN_ACTOR, DISCIPLINE_ACTOR
from surveys.casework import cases
from surveys.casework import escalation
from surveys.casework import problems
from surveys.core import clock
from surveys.core.actors import ENTERPRISE, Actor
from test_casework_pages import agency, button, county, page, page_text  # noqa: F401  (county: a fixture)


def fresh_ticket(db, code: str = "FGW") -> tuple[Actor, int]:
    """A new ticket with FGW from an enterprise that rated it and has raised none yet."""
    uscc = db.execute("SELECT enterprise FROM responses WHERE round = '2026Q4' AND agency = ? AND enterprise NOT IN"
                      " (SELECT enterprise FROM problems) ORDER BY id LIMIT 1", [code]).fetchone()[0]
    enterprise = Actor(role=ENTERPRISE, id=uscc, name=uscc)
    return enterprise, problems.raise_problem(db, enterprise, code, "营业执照变更要跑三趟")


def test_the_enterprise_rates_an_answer_dissatisfied_and_it_goes_back_with_a_new_deadline(county):
    enterprise, problem_id = fresh_ticket(county)
    problems.answer_problem(county, agency("FGW"), problem_id, "已经简化")
    mine = page("enterprise_problems", enterprise)
    assert "请在" in page_text(mine) and "默认满意" in page_text(mine)  # the rating's last day, and what follows
    mine.radio(key=f"rating_{problem_id}").set_value("dissatisfied")
    mine.text_input(key=f"rating_comment_{problem_id}").input("还是要跑三趟")
    button(mine, "提交评价").click().run()
    ticket = problems.get_problem(county, problem_id)
    assert (ticket["status"], ticket["times_not_solved"]) == ("open", 1)
    assert any("重新交办" in s.value for s in mine.success)
    assert "评价答复：不满意，重新交办" in page_text(mine) and "还是要跑三趟" in page_text(mine)

    agency_page = page("agency_problems", agency("FGW"))
    assert "企业对答复不满意 1 次，问题已重新交办" in page_text(agency_page)


def test_a_rating_without_a_choice_is_refused_and_stores_nothing(county):
    enterprise, problem_id = fresh_ticket(county)
    problems.answer_problem(county, agency("FGW"), problem_id, "已经简化")
    mine = page("enterprise_problems", enterprise)
    button(mine, "提交评价").click().run()
    assert problems.get_problem(county, problem_id)["status"] == "answered"
    assert any("请选择满意、基本满意或不满意" in e.value for e in mine.error)


def test_the_agency_records_its_contact_and_the_size_sets_the_deadline(county):
    _, problem_id = fresh_ticket(county)
    agency_page = page("agency_problems", agency("FGW"))
    agency_page.radio(key=f"size_{problem_id}").set_value("simple")
    button(agency_page, "登记已联系").click().run()
    ticket = problems.get_problem(county, problem_id)
    assert ticket["complexity"] == "simple" and ticket["contacted_at"]
    assert any(f"已登记联系问题 #{problem_id}" in s.value for s in agency_page.success)


def test_the_discipline_inbox_opens_with_the_escalated_ticket(county):
    _, problem_id = fresh_ticket(county)
    raised = clock.now()
    for days in (4, 8):  # raised Fri 20 Nov, contact due Mon 23: reminded Tue 24, escalated Sat 28
        clock.freeze(raised + timedelta(days=days))
        escalation.run_checks(county)
    assert problems.get_problem(county, problem_id)["escalated_on"]
    inbox = page("case_inbox", DISCIPLINE_ACTOR)
    escalated = [e.value for e in inbox.error if f"问题 #{problem_id}" in e.value]
    assert escalated and "未联系企业" in escalated[0]
    agency_page = page("agency_problems", agency("FGW"))
    assert "已移送纪委监委督办" in page_text(agency_page)


def test_the_discipline_office_reviews_a_report_passed_or_redo(county):
    case = next(c for c in county.query("SELECT * FROM cases WHERE status = 'rectification_received'"))
    inbox = page("case_inbox", DISCIPLINE_ACTOR)
    picker = next(box for box in inbox.selectbox if (box.key or "").startswith("inbox_case:"))
    picker.set_value(case["id"]).run()
    assert "整改复核" in page_text(inbox)
    labels = [b.label for b in inbox.button]
    assert "复核通过，办结" in labels and "复核不通过，退回重新整改" in labels
    for area in inbox.text_area:  # the redo's note: what is missing
        area.input("缺少时限表")
    button(inbox, "复核不通过，退回重新整改").click().run()
    assert cases.get_case(county, case["id"])["status"] == "rectification_redo"


def test_the_administrator_sets_the_deadlines(county):
    calendar = page("calendar_admin", ADMIN_ACTOR)
    calendar.number_input(key="deadline_problem_simple_working_days").set_value(4)
    button(calendar, "保存期限").click().run()
    assert county.execute("SELECT value FROM settings WHERE name = 'problem_simple_working_days'").fetchone()[0] == "4"
    assert any("已保存 1 项期限" in s.value for s in calendar.success)


def test_the_overview_and_the_agency_dashboard_show_the_standard_rates(county):
    overview = page("county_overview", DISCIPLINE_ACTOR)
    text = page_text(overview)
    assert "标准指标（好差评）" in text and "回访满意率" in text and "全县" in text
    dashboard = page("agency_dashboard", agency("FGW"))
    assert "标准指标（好差评）" in page_text(dashboard)
