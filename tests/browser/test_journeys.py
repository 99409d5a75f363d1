"""Real-browser journeys of the staff roles (issue 7 item 1; the browser "done when"
of issues 5 and 6), on the demo county in Chromium through Playwright.

1. the discipline office works the demo's open referral to closed and prints its notice;
2. an agency answers a reminder (acknowledges, sends its rectification report);
3. an appeal is upheld and the administrator re-finalises the round: new grade, history kept;
4. an agency reads its own trend and cannot reach the county overview;
5. the language switch works on every page of every role.

Plus a check that the case picker keeps its case after a step and a language switch
(a keyed select box whose option texts change used to fall back to the first case).

One Streamlit server (a fresh demo county) for the module; every test has a fresh
browser context, so a fresh Streamlit session. The journeys touch different demo
records (SCJG's referral, STHJ's reminder, the pending appeal), so they do not depend
on each other's order. Expected texts come from the catalogue (bs.text); what the
database holds afterwards is read with sqlite3. Screenshots: tests/artifacts/journey_*.png.
"""
from __future__ import annotations

import ast
import json
import re

import pytest

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

import labels
from surveys.casework import cases
from surveys.collection import rounds  # noqa: E402
from surveys.core.actors import AGENCY, Actor  # noqa: E402
from surveys.core.permissions import ROLE_CAPABILITIES  # noqa: E402
from app_pages import navigation  # noqa: E402
from tests import browser_support as bs  # noqa: E402  (needs playwright)

pytestmark = pytest.mark.browser

ZH, EN = "zh", "en"
T = bs.text
LAST_ROUND = "2026Q3"  # the demo's last finalised round: its cases are at every stage
STHJ = Actor(role=AGENCY, id="sthj", name="sthj", agency_code="STHJ")


def round_label(name: str, lang: str = ZH) -> str:
    return labels.round_label(name, lang)


def agency_name(server, code: str, lang: str = ZH) -> str:
    return bs.query(server.db_path, f"SELECT name_{lang} AS name FROM agencies WHERE code = ?", [code])[0]["name"]


def one(rows: list[dict]) -> dict:
    assert len(rows) == 1, rows
    return rows[0]


# --- fixtures -----------------------------------------------------------------------

server, browser = bs.server, bs.browser  # shared fixtures: one server per module


@pytest.fixture
def page(browser, server):
    with bs.app_tab(browser, server.url, accept_downloads=True) as tab:
        yield tab


# --- 1. the discipline office works a referral to closed ---------------------------

def test_discipline_office_works_the_demo_referral_to_closed_and_prints_its_notice(page, server, tmp_path):
    case = one(bs.query(server.db_path, "SELECT * FROM cases WHERE round = ? AND agency = 'SCJG'"
                        " AND action = 'referral'", [LAST_ROUND]))
    assert case["status"] == "referred", "the demo leaves SCJG's referral for the browser to work"
    result = one(bs.query(server.db_path, "SELECT * FROM current_results WHERE round = ? AND agency = 'SCJG'",
                          [LAST_ROUND]))
    scjg = agency_name(server, "SCJG")
    outcome = "核查属实：窗口推诿、超时办理。对责任人诫勉谈话，责令限期整改。"

    bs.sign_in_staff(page, "discipline", "qiping-discipline")
    main = bs.main(page)
    bs.wait_for(page, main.get_by_role("heading", name=T("casework.inbox.title"), level=1))  # its landing page
    bs.settle(page)

    def label(status: str) -> str:
        return T("casework.case_label", mark="", id=case["id"], agency=scjg, round=round_label(LAST_ROUND),
                 action=T("actions.referral"), status=T(f"cases.status.{status}"))

    def open_case(status: str) -> None:
        bs.pick_option(main, page, T("casework.inbox.pick_case"), f"#{case['id']} ", label(status))
        bs.wait_for(page, main.get_by_role("heading", level=3).filter(has_text=label(status)))
        bs.settle(page)

    open_case("referred")

    # The evidence: grade, score, interval and n as stored; the trend chart drawn.
    metrics = main.locator('[data-testid="stMetric"]')
    for name, value in [(T("casework.col.grade"), T(f"grades.{result['grade']}")),
                        (T("casework.col.score"), f"{result['score']:.1f}"),
                        (T("results.interval"), f"{result['ci_low']:.1f}–{result['ci_high']:.1f}"),
                        (T("results.n"), str(result["n"]))]:
        expect(metrics.filter(has_text=name).locator('[data-testid="stMetricValue"]')).to_have_text(value)
    evidence = main.get_by_role("tabpanel", name=T("casework.tab.evidence"))
    expect(evidence.get_by_text(T("casework.evidence.trend"))).to_be_visible()
    trend = evidence.locator('[data-testid="stVegaLiteChart"]').first
    bs.chart_rendered(trend)
    expect(trend.get_by_role("img")).to_contain_text(round_label(LAST_ROUND))
    bs.screenshot(page, "journey_1_referral_evidence_zh.png")

    # Each step of the referral, in order; the office's note and outcome go with them.
    steps = main.get_by_role("tabpanel", name=T("casework.tab.steps"))

    def take(step: str, fill: dict[str, str], tick: bool = False) -> None:
        # Re-opened through the picker before each step: after a step the picker keeps
        # the case's old label and the next click jumps to another case (see
        # test_inbox_keeps_the_case_open_after_a_step_and_a_language_switch, an app bug).
        open_case(previous[0])
        main.get_by_role("tab", name=T("casework.tab.steps")).click()
        form = steps.locator('[data-testid="stForm"]')
        expect(form.get_by_text(T("casework.step_heading", step=T(f"cases.status.{step}")))).to_be_visible()
        for field, value in fill.items():
            form.get_by_role("textbox", name=field, exact=True).fill(value)
        if tick:
            form.get_by_text(T("casework.confirm_step"), exact=True).click()
            expect(form.get_by_role("checkbox", name=T("casework.confirm_step"))).to_be_checked()
        bs.submit_and_wait(page, form.get_by_role("button", name=T(f"cases.status.{step}"), exact=True),
                           T("casework.step_done", step=T(f"cases.status.{step}")))
        if step != "closed":  # a closed case leaves the list of open cases
            bs.wait_for(page, main.get_by_role("heading", level=3).filter(has_text=label(step)))
        previous[0] = step

    previous = ["referred"]
    take("investigation_opened", {T("casework.fields.note"): "已成立核查组。"})
    take("outcome_recorded", {T("casework.fields.outcome"): outcome})

    # Closing is irreversible: without the tick it is refused and nothing changes.
    open_case("outcome_recorded")
    main.get_by_role("tab", name=T("casework.tab.steps")).click()
    steps.locator('[data-testid="stForm"]').get_by_role("button", name=T("cases.status.closed"), exact=True).click()
    expect(main.get_by_text(T("casework.confirm_needed"), exact=True)).to_be_attached()  # maybe in a hidden tab
    bs.settle(page)
    main.get_by_role("tab", name=T("casework.tab.steps")).click()  # the run may have reset the tabs
    expect(steps.get_by_text(T("casework.confirm_needed"), exact=True)).to_be_visible()
    assert bs.query(server.db_path, "SELECT status FROM cases WHERE id = ?", [case["id"]])[0]["status"] \
        == "outcome_recorded"
    take("closed", {T("casework.fields.note"): "处理结果已反馈，办结。"}, tick=True)

    # A closed case leaves the open inbox; with finished cases shown it is there, closed.
    main.get_by_text(T("casework.inbox.show_finished"), exact=True).click()
    expect(main.get_by_role("switch", name=T("casework.inbox.show_finished"))).to_be_checked()
    bs.settle(page)
    open_case("closed")
    main.get_by_role("tab", name=T("casework.tab.steps")).click()
    expect(steps.get_by_text(T("casework.no_steps"))).to_be_visible()

    # The printable notice: agency, round and deadline, in Chinese.
    main.get_by_role("tab", name=T("casework.tab.notice")).click()
    notice_tab = main.get_by_role("tabpanel", name=T("casework.tab.notice"))
    with page.expect_download() as download:
        notice_tab.get_by_role("button", name=T("casework.notice_download",
                                                title=T("casework.notice.title.referral"))).click()
    assert download.value.suggested_filename == f"notice-{LAST_ROUND}-SCJG-{case['id']}.html"
    notice = tmp_path / "notice.html"
    download.value.save_as(notice)
    html = notice.read_text(encoding="utf-8")
    due = case["due_on"]
    deadline = T("date.format", year=int(due[:4]), month=int(due[5:7]), day=int(due[8:10]))
    for expected in (scjg, round_label(LAST_ROUND), deadline, T("casework.notice.title.referral")):
        assert expected in html, f"{expected!r} missing from the notice"
    main.get_by_role("tab", name=T("casework.tab.timeline")).click()
    bs.settle(page)
    bs.screenshot(page, "journey_1_referral_closed_zh.png")

    closed = one(bs.query(server.db_path, "SELECT * FROM cases WHERE id = ?", [case["id"]]))
    assert closed["status"] == "closed" and closed["closed_at"]
    events = bs.query(server.db_path, "SELECT * FROM case_events WHERE case_id = ? ORDER BY id", [case["id"]])
    assert [e["step"] for e in events] == ["referred", "investigation_opened", "outcome_recorded", "closed"]
    assert {e["actor"] for e in events[1:]} == {"discipline:discipline"}
    assert json.loads(events[2]["details"]) == {"outcome": outcome}
    assert events[1]["note"] == "已成立核查组。" and events[3]["note"] == "处理结果已反馈，办结。"
    audited = [r["action"] for r in bs.query(server.db_path, "SELECT action FROM audit_log WHERE target = ?"
                                             " ORDER BY id", [f"case/{case['id']}"])]
    assert audited[-3:] == ["case.investigation_opened", "case.outcome_recorded", "case.closed"]


# --- 2. an agency answers a reminder ------------------------------------------------

def test_agency_acknowledges_a_reminder_and_sends_its_rectification_report(page, server, tmp_path):
    case = one(bs.query(server.db_path, "SELECT * FROM cases WHERE round = ? AND agency = 'STHJ'"
                        " AND action = 'reminder'", [LAST_ROUND]))
    assert case["status"] == "notice_issued", "the demo leaves STHJ's reminder at its first step"
    report = "针对企业反映的“办理时限长”：审批环节由5个压减为3个，承诺时限缩短为12个工作日。责任人：分管副局长。"
    round_zh, action_zh = round_label(LAST_ROUND), T("actions.reminder")

    bs.sign_in_staff(page, "sthj", "qiping-agency")
    main = bs.main(page)
    bs.open_page(page, T("nav.agency_cases"), T("casework.agency_cases.title"))
    waiting = [c for c in bs.query(server.db_path, "SELECT * FROM cases WHERE agency = 'STHJ'")
               if cases.steps_for(STHJ, c)]
    expect(main.get_by_text(T("casework.agency_cases.waiting", count=len(waiting)), exact=True)).to_be_visible()

    def label(status: str) -> str:
        return T("casework.agency_cases.label", mark="", round=round_zh, action=action_zh,
                 status=T(f"cases.status.{status}"))

    bs.pick_option(main, page, T("casework.agency_cases.pick"), round_zh, label("notice_issued"))
    bs.wait_for(page, main.get_by_role("heading", level=3).filter(has_text=label("notice_issued")))
    bs.settle(page)
    expect(main.get_by_text(T("casework.agency_cases.what_next.reminder"))).to_be_visible()

    # Its own notice can be downloaded here too.
    with page.expect_download() as download:
        main.get_by_role("button", name=T("casework.notice_download",
                                          title=T("casework.notice.title.reminder"))).click()
    download.value.save_as(tmp_path / "reminder.html")
    assert agency_name(server, "STHJ") in (tmp_path / "reminder.html").read_text(encoding="utf-8")

    # Acknowledge; then the report form appears. (Picked again first: after a step the
    # picker keeps the old label — the app bug shown by
    # test_inbox_keeps_the_case_open_after_a_step_and_a_language_switch.)
    form = main.locator('[data-testid="stForm"]')
    form.get_by_role("textbox", name=T("casework.fields.note"), exact=True).fill("已签收，主要负责人已批示。")
    bs.submit_and_wait(page, form.get_by_role("button", name=T("casework.agency_cases.button.acknowledged")),
                       T("casework.step_done", step=T("cases.status.acknowledged")))
    bs.wait_for(page, main.get_by_role("heading", level=3).filter(has_text=label("acknowledged")))
    bs.pick_option(main, page, T("casework.agency_cases.pick"), round_zh, label("acknowledged"))
    bs.settle(page)
    form.get_by_role("textbox", name=T("casework.fields.report_reminder"), exact=True).fill(report)
    bs.submit_and_wait(page, form.get_by_role("button",
                                              name=T("casework.agency_cases.button.rectification_received")),
                       T("casework.step_done", step=T("cases.status.rectification_received")))

    # Now it waits for the discipline office: no form left, the status says the report arrived.
    bs.wait_for(page, main.get_by_role("heading", level=3).filter(has_text=label("rectification_received")))
    expect(main.locator('[data-testid="stForm"]')).to_have_count(0)
    bs.screenshot(page, "journey_2_reminder_answered_zh.png")

    answered = one(bs.query(server.db_path, "SELECT * FROM cases WHERE id = ?", [case["id"]]))
    assert answered["status"] == "rectification_received" and answered["closed_at"] is None
    events = bs.query(server.db_path, "SELECT * FROM case_events WHERE case_id = ? ORDER BY id", [case["id"]])
    assert [(e["step"], e["actor"]) for e in events] == [
        ("notice_issued", events[0]["actor"]), ("acknowledged", "agency:sthj"),
        ("rectification_received", "agency:sthj")]
    assert events[1]["note"] == "已签收，主要负责人已批示。"
    assert events[2]["note"] == report
    assert json.loads(events[2]["details"]) == {"late": False}


# --- the case picker keeps its case after a step and a language switch ---------------------

QUICK_MS = 2_000  # the run has settled: what is not there now will not come


def open_inbox_case(page, server, code: str) -> dict:
    """Sign in as the discipline office and open the last round's case of agency ``code``."""
    case = one(bs.query(server.db_path, "SELECT * FROM cases WHERE round = ? AND agency = ?", [LAST_ROUND, code]))
    bs.sign_in_staff(page, "discipline", "qiping-discipline")
    main = bs.main(page)
    bs.wait_for(page, main.get_by_role("heading", name=T("casework.inbox.title"), level=1))
    bs.settle(page)
    bs.pick_option(main, page, T("casework.inbox.pick_case"), f"#{case['id']} ", f"#{case['id']} ")
    bs.wait_for(page, main.get_by_role("heading", level=3).filter(has_text=f"#{case['id']} "))
    bs.settle(page)
    return case


def test_inbox_keeps_the_case_open_after_a_step_and_a_language_switch(page, server):
    """ZJW's referral (investigation opened in the demo): after recording the outcome the
    picker names the case as it now is, and closing it at once applies to the same case.
    Then another reminder of the round, switched to English: the picker names it in English."""
    case = open_inbox_case(page, server, "ZJW")
    assert case["status"] == "investigation_opened"
    main = bs.main(page)
    picker = main.get_by_role("combobox", name=T("casework.inbox.pick_case"))
    steps = main.get_by_role("tabpanel", name=T("casework.tab.steps"))
    main.get_by_role("tab", name=T("casework.tab.steps")).click()
    form = steps.locator('[data-testid="stForm"]')
    form.get_by_role("textbox", name=T("casework.fields.outcome"), exact=True).fill("批评教育，全县通报。")
    bs.submit_and_wait(page, form.get_by_role("button", name=T("cases.status.outcome_recorded"), exact=True),
                       T("casework.step_done", step=T("cases.status.outcome_recorded")))
    expect(picker).to_have_value(re.compile(f"#{case['id']} .*{T('cases.status.outcome_recorded')}$"),
                                 timeout=QUICK_MS)

    main.get_by_role("tab", name=T("casework.tab.steps")).click()
    form.get_by_text(T("casework.confirm_step"), exact=True).click()
    form.get_by_role("button", name=T("cases.status.closed"), exact=True).click()
    closed_flash = main.get_by_text(T("casework.step_done", step=T("cases.status.closed")), exact=True)
    another_case = main.get_by_role("heading", level=3).filter(has_not_text=f"#{case['id']} ")
    bs.wait_for(page, closed_flash.or_(another_case).first)  # the run the click started has shown its result
    bs.settle(page)
    expect(closed_flash).to_be_visible(timeout=QUICK_MS)
    assert bs.query(server.db_path, "SELECT status FROM cases WHERE id = ?", [case["id"]])[0]["status"] == "closed"

    # a reminder of the last round still in the inbox (the demo closes one of them in the current month)
    other_case = bs.query(server.db_path, "SELECT * FROM cases WHERE round = ? AND action = 'reminder'"
                          " AND status != 'closed' ORDER BY agency LIMIT 1", [LAST_ROUND])[0]
    bs.pick_option(main, page, T("casework.inbox.pick_case"), f"#{other_case['id']} ", f"#{other_case['id']} ")
    bs.wait_for(page, main.get_by_role("heading", level=3).filter(has_text=f"#{other_case['id']} "))
    bs.settle(page)
    bs.switch_language(page, EN)
    bs.wait_for(page, main.get_by_role("heading", name=T("casework.inbox.title", EN), level=1))
    bs.settle(page)
    expect(main.get_by_role("combobox", name=T("casework.inbox.pick_case", EN))).to_have_value(
        re.compile(f"#{other_case['id']} {re.escape(agency_name(server, other_case['agency'], EN))} "),
        timeout=QUICK_MS)


# --- 3. an appeal upheld, the round re-finalised -------------------------------------

def test_upheld_appeal_and_refinalised_round_recompute_the_grade_and_keep_history(page, server):
    from surveys.casework import views as casework
    from surveys.storage.db import connect

    appeal = one(bs.query(server.db_path, "SELECT * FROM appeals WHERE status = 'pending'"))
    round_name, code = appeal["round"], appeal["agency"]
    database = connect(server.db_path)  # read only: the number the page shows for the response
    try:
        number = next(r["number"] for r in casework.numbered_responses(database, round_name, code)
                      if r["response_id"] == appeal["response_id"])
    finally:
        database.close()
    before = one(bs.query(server.db_path, "SELECT * FROM current_results WHERE round = ? AND agency = ?",
                          [round_name, code]))
    old_finalisation = one(bs.query(server.db_path, "SELECT * FROM finalisations WHERE round = ?"
                                    " AND is_current = 1", [round_name]))
    decision = "经核实，该企业所述事项由其他部门办理，评价对象错误，申诉成立。"
    refinalise_reason = "申诉成立，已剔除评价"

    # The discipline office upholds the appeal with a reason.
    bs.sign_in_staff(page, "discipline", "qiping-discipline")
    main = bs.main(page)
    bs.open_page(page, T("nav.appeals_review"), T("casework.appeals_review.title"))
    heading = T("casework.appeals_review.heading", appeal=appeal["id"], agency=agency_name(server, code),
                round=round_label(round_name), number=number)
    # the appeal's bordered box: the innermost block holding its heading and its form
    card = main.locator('[data-testid="stVerticalBlock"]').filter(has=page.get_by_text(heading, exact=True)) \
        .filter(has=page.locator('[data-testid="stForm"]')).last
    expect(card.get_by_text(heading, exact=True)).to_be_visible()
    expect(card.get_by_text(appeal["reason"], exact=True)).to_be_visible()
    form = card.locator('[data-testid="stForm"]')
    form.get_by_text(T("casework.appeals_review.uphold"), exact=True).click()
    expect(form.get_by_role("radio", name=T("casework.appeals_review.uphold"))).to_be_checked()
    form.get_by_role("textbox", name=T("casework.appeals_review.decision_reason")).fill(decision)
    form.get_by_text(T("casework.appeals_review.confirm"), exact=True).click()
    bs.submit_and_wait(page, form.get_by_role("button", name=T("casework.appeals_review.button")),
                       T("casework.appeals_review.upheld", appeal=appeal["id"]))
    waiting_zh = T("casework.appeals_review.refinalise", round=round_label(round_name), appeals=appeal["id"])
    expect(main.get_by_text(waiting_zh, exact=True)).to_be_visible()
    bs.screenshot(page, "journey_3_appeal_upheld_zh.png")
    upheld = one(bs.query(server.db_path, "SELECT * FROM appeals WHERE id = ?", [appeal["id"]]))
    assert (upheld["status"], upheld["decision_reason"]) == ("upheld", decision)
    assert bs.query(server.db_path, "SELECT count(*) AS n FROM exclusions WHERE response_id = ?",
                    [appeal["response_id"]])[0]["n"] == 1
    bs.sign_out(page)

    # The administrator is told which round waits, and re-finalises it with a reason.
    bs.sign_in_staff(page, "admin", "qiping-admin")
    bs.wait_for(page, main.get_by_role("heading", name=T("rounds.title"), level=1))
    bs.settle(page)
    waiting = T("finalise.appeals_waiting", round=round_label(round_name), appeals=appeal["id"])
    expect(main.get_by_text(waiting, exact=True)).to_be_visible()
    status = bs.query(server.db_path, "SELECT status FROM rounds WHERE name = ?", [round_name])[0]["status"]
    expander = main.locator('[data-testid="stExpander"]').filter(
        has_text=T("finalise.round_expander", round=round_label(round_name), status=T(f"rounds.status.{status}")))
    expander.locator("summary").click()
    expander.get_by_role("textbox", name=T("finalise.refinalise_reason")).fill(refinalise_reason)
    bs.submit_and_wait(page, expander.get_by_role("button", name=T("finalise.refinalise_button"), exact=True),
                       T("finalise.refinalised"))
    expect(main.get_by_text(waiting, exact=True)).to_have_count(0)
    bs.screenshot(page, "journey_3_round_refinalised_zh.png")

    # A new finalisation is current, the old one is kept with its results; the agency's
    # n went down by one and its score changed.
    history = bs.query(server.db_path, "SELECT * FROM finalisations WHERE round = ? ORDER BY id", [round_name])
    assert [f["id"] for f in history if f["is_current"]] == [history[-1]["id"]]
    assert history[-1]["id"] > old_finalisation["id"] and history[-1]["reason"] == refinalise_reason
    assert old_finalisation["id"] in [f["id"] for f in history]
    kept = one(bs.query(server.db_path, "SELECT * FROM results WHERE finalisation_id = ? AND agency = ?",
                        [old_finalisation["id"], code]))
    assert (kept["n"], kept["score"]) == (before["n"], before["score"])
    after = one(bs.query(server.db_path, "SELECT * FROM current_results WHERE round = ? AND agency = ?",
                         [round_name, code]))
    assert after["n"] == before["n"] - 1
    assert after["score"] != before["score"]
    assert after["score"] > before["score"], "the excluded rating was the agency's lowest"
    # and the agency's open cases of the round follow the new result's action
    open_actions = [c["action"] for c in bs.query(
        server.db_path, "SELECT action FROM cases WHERE round = ? AND agency = ? AND status NOT IN (?, ?)",
        [round_name, code, cases.CLOSED, cases.WITHDRAWN])]
    assert open_actions == ([] if after["action"] == "none" else [after["action"]]), (before, after, open_actions)


# --- 4. an agency reads its own trend, and only its own ------------------------------

def test_agency_reads_its_own_trend_and_cannot_reach_the_overview(page, server):
    own = agency_name(server, "SCJG")
    others = [r["name_zh"] for r in bs.query(server.db_path, "SELECT name_zh FROM agencies WHERE code <> 'SCJG'")]

    bs.sign_in_staff(page, "scjg", "qiping-agency")
    main = bs.main(page)
    bs.wait_for(page, main.get_by_role("heading", name=T("dashboards.agency.title"), level=1))  # its landing page
    bs.wait_for(page, main.get_by_role("heading", name=own, exact=True))
    bs.settle(page)
    expect(main.get_by_text(T("dashboards.agency.latest_heading", round=round_label(LAST_ROUND)))).to_be_visible()

    charts = main.locator('[data-testid="stVegaLiteChart"]')
    expect(charts).to_have_count(3)  # score over the rounds, items, levels
    for index in range(3):
        bs.chart_rendered(charts.nth(index))
    expect(charts.first.get_by_role("img")).to_contain_text(round_label(LAST_ROUND))

    # Its own agency only: no picker, no overview in the menu, no other agency named.
    expect(main.get_by_role("combobox", name=T("dashboards.agency.pick"))).to_have_count(0)
    expect(main.get_by_role("combobox")).to_have_count(0)
    expect(bs.sidebar(page).get_by_role("link", name=T("nav.county_overview"))).to_have_count(0)
    shown = main.inner_text()
    assert [name for name in others if name in shown] == []
    bs.screenshot(page, "journey_4_agency_trend_zh.png")

    # The overview's address, typed in: Streamlit knows no such page for this session,
    # says so, and the overview never shows; signed in again it is still SCJG's own page.
    page.goto(f"{server.url}/county_overview")
    expect(page.get_by_role("dialog", name="Page not found")).to_be_visible()
    bs.wait_for_sign_in_page(page)
    expect(main.get_by_role("heading", name=T("dashboards.overview.title"))).to_have_count(0)
    page.keyboard.press("Escape")
    bs.sign_in_staff(page, "scjg", "qiping-agency")
    bs.wait_for(page, main.get_by_role("heading", name=own, exact=True))
    expect(main.get_by_role("heading", name=T("dashboards.overview.title"))).to_have_count(0)
    assert "/county_overview" not in page.url


# --- 5. the language switch on every page of every role -------------------------------

def pages_by_role() -> dict[str, list[tuple[str, str]]]:
    """(page file, nav key) for each role, in menu order: the app's own navigation. The city office
    is left out: it signs in only in a deployment of several counties, which this server is not
    (its pages get the language switch and axe in tests/browser/test_browser_counties.py)."""
    return {role: [(page.path, page.title_key) for page in navigation.pages_of_role(role)]
            for role in ROLE_CAPABILITIES if role != "city"}


TITLE_CALL = re.compile(r'st\.title\(ui\.tr\("([\w.]+)"')
TITLE_VALUES = {"round": lambda lang: round_label(bs.OPEN_ROUND, lang)}


def titles(path: str, lang: str) -> list[str]:
    """The texts the page's st.title(...) calls can show in ``lang``."""
    found = []
    for key in TITLE_CALL.findall((bs.APP_DIR / path).read_text(encoding="utf-8")):
        placeholders = re.findall(r"{(\w+)}", T(key, lang))
        found.append(T(key, lang, **{name: TITLE_VALUES[name](lang) for name in placeholders}))
    return found


# A catalogue key shown as it is (i18n falls back to the key when it has no text).
RAW_KEY = re.compile(r"\b(?:app|lang|nav|signin|survey|history|account|rounds|roster|finalise|results|grades"
                     r"|actions|flags|levels|cases|casework|dashboards|reports|admin_ops|scoring|errors|import"
                     r"|exclusions|backup|city|counties)\.[a-z_][\w.]*[a-z0-9_]\b")
CJK = re.compile(r"[\u3400-\u9fff]")
# Chinese that belongs in an English page: none (a notice file is a Chinese document by
# design, but its download button is labelled in the page's language).
CHINESE_BY_DESIGN: list[str] = []
# What the app itself writes on a page (data such as agency or enterprise names and
# comments are the users' own and may be Chinese in English): headings, captions,
# labels, buttons, tabs, expanders, alerts.
CHROME = ('[data-testid="stHeading"], [data-testid="stCaptionContainer"], [data-testid="stWidgetLabel"],'
          ' [data-testid="stTab"], [data-testid="stExpander"] summary, [data-testid="stMetricLabel"],'
          ' [data-testid="stAlertContentInfo"], [data-testid="stAlertContentWarning"],'
          ' [data-testid="stBaseButton-secondary"], [data-testid="stBaseButton-primary"]')


def page_problems(page, lang: str, names: tuple[str, ...] = ()) -> list[str]:
    """What is wrong with the page as shown: an exception, a raw catalogue key, or
    (in English) Chinese in the app's own text (``names``: names from the data, such as a
    county's, that the app's text may quote)."""
    problems = []
    crash = bs.exception_shown(page)
    if crash:
        problems.append("exception: " + crash.splitlines()[0][:200])
    shown = bs.main(page).inner_text() + "\n" + bs.sidebar(page).inner_text()
    problems += [f"raw catalogue key {key!r}" for key in sorted(set(RAW_KEY.findall(shown)))]
    if lang == EN:
        chrome = bs.main(page).locator(CHROME).all_inner_texts()
        for text in chrome:
            for allowed in (*CHINESE_BY_DESIGN, *names):
                text = text.replace(allowed, "")
            if CJK.search(text):
                problems.append(f"Chinese in English page: {text.strip()[:80]!r}")
    return problems


SIGN_IN = {"enterprise": None, "agency": ("scjg", "qiping-agency"),
           "discipline": ("discipline", "qiping-discipline"), "admin": ("admin", "qiping-admin")}


def shows_page(page, path: str, nav_key: str, lang: str, names: tuple[str, ...] = ()) -> list[str]:
    """Wait for the page's run in ``lang``: its title is the catalogue's text, the menu
    is in ``lang``, and nothing is broken (page_problems, with ``names``). Returns what is wrong."""
    expected = re.compile("^(" + "|".join(map(re.escape, titles(path, lang))) + ")$")
    heading = bs.main(page).get_by_role("heading", level=1)
    try:
        expect(heading.filter(has_text=expected).or_(page.locator('[data-testid="stException"]')).first) \
            .to_be_visible(timeout=bs.TIMEOUT_MS)
        bs.settle(page)
        expect(heading.first).to_have_text(expected)
        expect(bs.sidebar(page).get_by_role("link", name=T(nav_key, lang), exact=True)).to_be_visible()
    except (AssertionError, playwright_api.Error) as error:
        return [f"{lang}: {str(error).splitlines()[0][:200]}"] + [f"{lang}: {p}"
                                                                   for p in page_problems(page, lang, names)]
    return [f"{lang}: {p}" for p in page_problems(page, lang, names)]


def other(lang: str) -> str:
    return EN if lang == ZH else ZH


def sign_in_as(page, role: str) -> None:
    if role == "enterprise":
        bs.sign_in_enterprise(page, "QP-DEMO-0042")
    else:
        bs.sign_in_staff(page, *SIGN_IN[role])
    bs.settle(page)


def recover(page, server, role: str) -> None:
    """After a broken page: a fresh session in Chinese, signed in again."""
    bs.open_app(page, server.url)
    sign_in_as(page, role)


def test_language_switch_works_on_every_page_of_every_role(page, server):
    """Every page of every role's menu, each seen in both languages: opened from the
    menu in the language shown, then switched. The direction alternates (Chinese ->
    English on one page, English -> Chinese on the next), so each page costs two runs
    and each role ends back in Chinese. All failures are collected, then reported."""
    failures: list[str] = []
    roles = pages_by_role()
    assert set(roles) == {"enterprise", "agency", "discipline", "admin"}, roles
    for role in ("enterprise", "agency", "discipline", "admin"):
        sign_in_as(page, role)
        menu = bs.sidebar(page).get_by_role("navigation").get_by_role("link")
        # each link is its icon's name, then the title
        expect(menu).to_have_text([re.compile(re.escape(T(key)) + "$") for _, key in roles[role]])
        lang = ZH
        for path, nav_key in roles[role]:
            bs.sidebar(page).get_by_role("link", name=T(nav_key, lang), exact=True).click()
            problems = shows_page(page, path, nav_key, lang)
            if not problems:
                bs.switch_language(page, other(lang))
                problems = shows_page(page, path, nav_key, other(lang))
            failures += [f"{role} · {path} · {p}" for p in problems]
            if problems:  # carry on from a fresh session, in Chinese
                recover(page, server, role)
                lang = ZH
            else:
                lang = other(lang)
        if role == "admin":
            bs.screenshot(page, f"journey_5_admin_last_page_{lang}.png")
        if lang != ZH:
            bs.switch_language(page, ZH)
            failures += [f"{role} · {path} · {p}" for p in shows_page(page, path, nav_key, ZH)]
        bs.sign_out(page)
    assert failures == [], "pages broken by the language switch:\n" + "\n".join(failures)
