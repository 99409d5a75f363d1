"""Casework pages through Streamlit's AppTest on the demo county: the privacy
promise on every agency page and notice, and the main flows end to end."""
import json
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from conftest import ADMIN_ACTOR, DISCIPLINE_ACTOR
from surveys.casework import appeals
from surveys.casework import cases
from surveys.demo import casework as demo_casework
from surveys.results import finalise
from surveys.reports import notices
from surveys.collection import rounds
from surveys.core.actors import AGENCY, ENTERPRISE, Actor
from surveys.storage.db import connect

PAGES = Path(__file__).resolve().parents[2] / "app_pages"
TIMEOUT = 60
def picker(at, key: str):
    """The case picker: its widget key carries a fingerprint of its option texts (ui.pick)."""
    return next(box for box in at.selectbox if (box.key or "").startswith(f"{key}:"))


AGENCY_PAGES = ["agency_cases", "agency_appeals", "agency_problems"]


def agency(code: str) -> Actor:
    return Actor(role=AGENCY, id=code.lower(), name=code.lower(), agency_code=code)


@pytest.fixture
def county(demo_path, monkeypatch):
    """The demo county with its casework history; the app reads the same file."""
    monkeypatch.setenv("QIPING_DB", str(demo_path))
    db = connect(demo_path)
    demo_casework.advance_demo_cases(db)
    yield db
    db.close()


def page(name: str, who: Actor) -> AppTest:
    at = AppTest.from_file(str(next(PAGES.rglob(f"{name}.py"))), default_timeout=TIMEOUT)
    at.session_state["actor"] = who
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def page_text(at: AppTest) -> str:
    """Everything the page shows: values, labels, options, table cells."""
    parts: list[str] = []

    def walk(node) -> None:
        for attr in ("value", "label", "options", "body", "help", "placeholder"):
            try:
                value = getattr(node, attr)
            except Exception:  # some elements have no such property
                continue
            if isinstance(value, pd.DataFrame):
                parts.append(value.to_csv())
            elif value is not None and not callable(value):
                parts.append(str(value))
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at._tree)
    return "\n".join(parts)


def button(at: AppTest, label: str):
    return next(b for b in at.button if b.label == label)


def roster(db) -> list[tuple[str, str, str]]:
    return db.execute("SELECT uscc, name, contact_phone FROM enterprises").fetchall()


def consented(db, code: str) -> set[str]:
    """Enterprises that agreed to be contacted by this agency about a problem: their name may show."""
    return {r[0] for r in db.execute("SELECT enterprise FROM problems WHERE agency = ? AND may_contact = 1", [code])}


def assert_no_rater_identity(db, text: str, allowed: set[str] = frozenset()) -> None:
    for uscc, name, phone in roster(db):
        assert uscc not in text, uscc
        if uscc not in allowed:
            assert name not in text, name
            assert phone not in text, phone


# --- privacy ------------------------------------------------------------------------

@pytest.mark.parametrize("code", ["SCJG", "GHZY", "ZJW", "CZJ"])
def test_no_agency_page_shows_who_rated_it(county, code):
    rounds.close_round(county, ADMIN_ACTOR, "2026Q4")  # opens the appeal window: ratings listed one by one
    allowed = consented(county, code)
    texts = []
    for name in AGENCY_PAGES:
        at = page(name, agency(code))
        texts.append(page_text(at))
        if name == "agency_cases":
            for (case_id,) in county.execute("SELECT id FROM cases WHERE agency = ?", [code]).fetchall():
                picker(at, "agency_case").set_value(case_id).run()
                texts.append(page_text(at))
    text = "\n".join(texts)
    assert "2026" in text  # the pages did draw their content
    assert_no_rater_identity(county, text, allowed)
    if code == "CZJ":
        assert "乱评" not in text and "误评" in text  # its appeal is listed, by number only


def test_no_notice_names_an_enterprise(county):
    for case in county.query("SELECT * FROM cases"):
        html = notices.notice_html(county, agency(case["agency"]), case["id"])
        assert_no_rater_identity(county, html)


def test_the_consented_contact_is_shown_to_that_agency_only(county):
    allowed = consented(county, "GHZY")
    assert allowed
    name = county.execute("SELECT name FROM enterprises WHERE uscc = ?", [next(iter(allowed))]).fetchone()[0]
    assert name in page_text(page("agency_problems", agency("GHZY")))
    assert name not in page_text(page("agency_problems", agency("SCJG")))


# --- the discipline office's flows ------------------------------------------------------

def referral_waiting(db) -> int:
    return db.execute("SELECT id FROM cases WHERE action = 'referral' AND status = 'referred'").fetchone()[0]


def test_discipline_takes_the_demo_referral_to_closed(county):
    case_id = referral_waiting(county)
    at = page("case_inbox", DISCIPLINE_ACTOR)
    assert at.metric[1].value != "0"  # overdue cases counted
    picker(at, "inbox_case").set_value(case_id).run()
    assert at.get("download_button")  # the notice is there to print
    button(at, "已立案调查").click().run()
    next(t for t in at.text_area if t.label == "调查处理结果").input("诫勉谈话，责令整改")
    button(at, "已记录处理结果").click().run()
    assert cases.get_case(county, case_id)["status"] == "outcome_recorded"
    picker(at, "inbox_case").set_value(case_id).run()
    button(at, "已办结").click().run()
    assert any("请先勾选确认" in e.value for e in at.error)
    assert cases.get_case(county, case_id)["status"] == "outcome_recorded"
    next(c for c in at.checkbox if c.label.startswith("我确认办结本案")).check()
    button(at, "已办结").click().run()
    assert not at.exception
    assert cases.get_case(county, case_id)["status"] == "closed"
    steps = [e["step"] for e in cases.case_events(county, case_id)]
    assert steps == ["referred", "investigation_opened", "outcome_recorded", "closed"]


def test_case_page_shows_the_evidence_and_a_refused_step_says_why(county):
    at = page("case_inbox", DISCIPLINE_ACTOR)
    text = page_text(at)
    for heading in ("该部门历次得分（颜色表示等次）", "各指标的评价分布", "企业评语", "该部门以前的案件"):
        assert heading in text
    assert len(at.get("vega_lite_chart")) == 2
    # a case waiting for the agency offers the office no step, and says so
    waiting = county.execute("SELECT id FROM cases WHERE status = 'notice_issued' LIMIT 1").fetchone()[0]
    picker(at, "inbox_case").set_value(waiting).run()
    assert any("正等待被评议部门办理" in i.value for i in at.info)


def test_reveal_asks_a_reason_and_is_logged(county):
    at = page("case_inbox", DISCIPLINE_ACTOR)
    next(c for c in at.checkbox if c.label.startswith("我确认因上述原因查看")).check()
    button(at, "查看企业").click().run()
    assert any("查看评价企业必须写明原因" in e.value for e in at.error)
    next(t for t in at.text_area if t.label == "查看原因（必填）").input("上门回访核实")
    next(c for c in at.checkbox if c.label.startswith("我确认因上述原因查看")).check()
    button(at, "查看企业").click().run()
    shown = [d.value for d in at.dataframe if "统一社会信用代码" in d.value.columns]
    assert shown and shown[0].iloc[0]["统一社会信用代码"] in {r[0] for r in roster(county)}
    detail = county.execute("SELECT detail FROM audit_log WHERE action = 'rater.revealed'").fetchone()[0]
    assert json.loads(detail)["reason"] == "上门回访核实"


def test_upholding_the_demo_appeal_then_refinalising_changes_the_grade(county):
    appeal = appeals.appeals_for_review(county, DISCIPLINE_ACTOR, "pending")[0]
    before = next(r for r in finalise.current_results(county, appeal["round"]) if r["agency"] == appeal["agency"])
    at = page("appeals_review", DISCIPLINE_ACTOR)
    at.radio[0].set_value("uphold")
    next(t for t in at.text_area if t.label == "决定理由").input("经回访核实，为误评")
    next(c for c in at.checkbox if c.label.startswith("我确认这一决定")).check()
    button(at, "作出决定").click().run()
    assert any("成立" in s.value for s in at.success)
    assert any("请管理员" in w.value for w in at.warning)  # tells the administrator to re-finalise
    finalise.finalise_round(county, ADMIN_ACTOR, appeal["round"], f"appeal {appeal['id']} upheld")
    after = next(r for r in finalise.current_results(county, appeal["round"]) if r["agency"] == appeal["agency"])
    assert after["n"] == before["n"] - 1 and after["score"] > before["score"]
    assert len(finalise.finalisation_history(county, appeal["round"])) == 2  # the earlier result is kept
    assert not any("请管理员" in w.value for w in page("appeals_review", DISCIPLINE_ACTOR).warning)


# --- the agency's and the enterprise's flows -----------------------------------------------

def test_agency_acknowledges_a_reminder_and_submits_its_report(county):
    case_id = county.execute("SELECT id FROM cases WHERE agency = 'STHJ' AND status = 'notice_issued'").fetchone()[0]
    at = page("agency_cases", agency("STHJ"))
    picker(at, "agency_case").set_value(case_id).run()
    button(at, "签收").click().run()
    assert cases.get_case(county, case_id)["status"] == "acknowledged"
    next(t for t in at.text_area if t.label == "整改报告").input("压缩审批时限，公开办事指南")
    button(at, "提交整改报告").click().run()
    assert not at.exception
    assert cases.get_case(county, case_id)["status"] == "rectification_received"
    assert cases.case_events(county, case_id)[-1]["note"] == "压缩审批时限，公开办事指南"


def test_agency_lodges_an_appeal_after_the_round_closes(county):
    at = page("agency_appeals", agency("FGW"))
    assert any("目前没有处在申诉期内的轮次" in i.value for i in at.info)
    rounds.close_round(county, ADMIN_ACTOR, "2026Q4")
    at = page("agency_appeals", agency("FGW"))
    number = at.selectbox[1].value
    next(t for t in at.text_area if t.label == "申诉理由").input("所述事项不归本委办理")
    next(c for c in at.checkbox if c.label.startswith("我确认提出申诉")).check()
    button(at, "提交申诉").click().run()
    assert any("已提交" in s.value for s in at.success)
    mine = appeals.my_appeals(county, agency("FGW"))
    assert [(a["number"], a["status"]) for a in mine] == [(number, "pending")]


def test_enterprise_reports_a_problem_agency_answers_enterprise_confirms(county):
    uscc = county.execute("SELECT enterprise FROM responses WHERE round = '2026Q4' AND agency = 'FGW'"
                          " ORDER BY id LIMIT 1").fetchone()[0]
    enterprise = Actor(role=ENTERPRISE, id=uscc, name=uscc)
    report = page("enterprise_problems", enterprise)
    report.selectbox(key="problem_agency").set_value("FGW").run()
    report.text_area(key="problem_text").input("项目备案一个月没有结果")
    button(report, "提交问题").click().run()
    problem_id = county.execute("SELECT id FROM problems WHERE enterprise = ?", [uscc]).fetchone()[0]
    # the confirmation takes the form's place: there is no form left to send twice
    assert any(f"编号 {problem_id}" in s.value and "已转给" in s.value for s in report.success)
    assert not [b for b in report.button if b.label == "提交问题"]
    button(report, "再反映一个问题").click().run()
    assert report.text_area(key="problem_text").value == ""  # a fresh form for another problem

    agency_page = page("agency_problems", agency("FGW"))
    assert "项目备案一个月没有结果" in page_text(agency_page)
    next(t for t in agency_page.text_area if t.label == "答复（办理情况）").input("已办结备案")
    button(agency_page, "提交答复").click().run()
    assert county.execute("SELECT status FROM problems WHERE id = ?", [problem_id]).fetchone()[0] == "answered"

    mine = page("enterprise_problems", enterprise)
    assert "已办结备案" in page_text(mine)
    mine.radio(key=f"rating_{problem_id}").set_value("satisfied")
    button(mine, "提交评价").click().run()
    assert county.execute("SELECT status FROM problems WHERE id = ?", [problem_id]).fetchone()[0] == "solved"
    assert any("问题销号" in s.value for s in mine.success)

    overview = page("problems_overview", DISCIPLINE_ACTOR)
    assert "项目备案一个月没有结果" not in page_text(overview)  # solved ones are hidden unless asked for


def test_the_problems_overview_marks_an_escalated_ticket_as_the_inbox_does(county):
    problem_id = county.execute("SELECT id FROM problems WHERE status = 'open' ORDER BY id LIMIT 1").fetchone()[0]
    county.execute("UPDATE problems SET escalated_on = due_on WHERE id = ?", [problem_id])
    county.conn.commit()
    overview = page("problems_overview", DISCIPLINE_ACTOR)
    table = overview.dataframe[0].value
    row = table[table["编号"] == problem_id].iloc[0]
    assert "督办" in row.iloc[0]
    assert not any("督办" in str(v) for v in table[table["编号"] != problem_id].iloc[:, 0])
