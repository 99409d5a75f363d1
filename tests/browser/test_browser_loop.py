"""The closed loop in Chromium (issue 15, the first "done when"): an enterprise raises a problem, the
agency answers late, the enterprise rates it 不满意, it reopens, the agency fixes it, the enterprise
rates 满意 — and the standard rates on the county overview change accordingly.

Time: the module's server runs the county clock from PINNED_NOW (Fri 20 Nov 2026); the problem is
raised there. "Late" needs the clock past the ticket's deadline (complex: 15 working days, 11 Dec),
so a second server on the same database runs the clock from 24 days later (Mon 14 Dec): the agency
answers there, late, after the background check has reminded it; the rest of the journey happens
there too. Expected figures are computed by the rates service from the database the servers share;
texts come from the catalogue. Screenshots: tests/artifacts/loop_*.png.
"""
from __future__ import annotations

import time
from datetime import timedelta

import pytest

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

import labels  # noqa: E402
from surveys.core.actors import DISCIPLINE, Actor  # noqa: E402
from surveys.reports import rates  # noqa: E402
from surveys.storage.db import connect  # noqa: E402
from tests import browser_support as bs  # noqa: E402  (needs playwright)

pytestmark = pytest.mark.browser

T = bs.text
CODE, AGENCY_CODE = "QP-DEMO-0001", "FGW"
PROBLEM = "企业投资项目备案已经提交两周，系统里一直显示待审核。"
LATER = timedelta(days=24)  # Mon 14 Dec 2026: past the complex deadline (11 Dec)
WATCHED = ("rectified", "return_satisfied")
OFFICE = Actor(role=DISCIPLINE, id="discipline", name="discipline")

server, browser = bs.server, bs.browser  # the module's server: a fresh demo county, the clock at PINNED_NOW


@pytest.fixture(scope="module")
def later_server(server):
    """A second server on the same database, its county clock 24 days on, with the background check
    (which the tests otherwise turn off) every 2 seconds: it reminds the agency of the overdue ticket."""
    running = bs.start_server(server.db_path.parent,
                              extra_env={"QIPING_CLOCK_START": (bs.PINNED_NOW + LATER).isoformat(),
                                         "QIPING_AUTOCLOSE_SECONDS": "2"})
    yield running
    running.stop()


def ticket(server, problem_id: int) -> dict:
    return bs.query(server.db_path, "SELECT * FROM problems WHERE id = ?", [problem_id])[0]


def wait_until(check, what: str, seconds: float = 20):
    """Poll the database until ``check()`` is true (the app has written what the page confirmed)."""
    deadline = time.monotonic() + seconds
    while not (found := check()):
        if time.monotonic() > deadline:
            raise AssertionError(f"not written in {seconds} s: {what}")
        time.sleep(0.2)
    return found


def service_rates(server) -> dict[str, str]:
    """The county's rates of the open round as the overview should show them."""
    db = connect(server.db_path)
    try:
        table = rates.county_rates(db, OFFICE)
    finally:
        db.close()
    row = table[(table["scope"] == "county") & (table["period"] == bs.OPEN_ROUND)].iloc[0]
    return {rate: labels.rate_text(row[rate]) for rate in WATCHED}


def overview_rates(page) -> dict[str, str]:
    """The county's rates on the overview's headline metrics (the newest period: the open round)."""
    bs.open_page(page, T("nav.county_overview"), T("dashboards.overview.title"))
    headline = bs.main(page).locator(".st-key-overview_rates_table_headline")
    bs.wait_for(page, headline)
    shown = {}
    for rate in WATCHED:
        metric = headline.locator('[data-testid="stMetric"]').filter(
            has=page.get_by_text(T(f"loop.rates.{rate}"), exact=True))
        shown[rate] = metric.locator('[data-testid="stMetricValue"]').inner_text().strip()
    return shown


def ticket_box(page, problem_id: int):
    return bs.main(page).locator(f".st-key-ticket_{problem_id}")


def enterprise_rates(page, problem_id: int, rating: str, comment: str) -> None:
    bs.open_page(page, T("nav.enterprise_problems"), T("casework.enterprise_problems.title"))
    box = ticket_box(page, problem_id)
    bs.wait_for(page, box.get_by_role("button", name=T("loop.problems.rate_button")))
    box.locator('[data-testid="stRadioOption"]').filter(
        has=page.get_by_text(T(f"loop.rating.{rating}"), exact=True)).click()
    if comment:
        box.get_by_role("textbox", name=T("loop.problems.comment")).fill(comment)
    box.get_by_role("button", name=T("loop.problems.rate_button")).click()


def agency_answers(page, problem_id: int, answer: str) -> None:
    bs.open_page(page, T("nav.agency_problems"), T("casework.agency_problems.title"))
    box = ticket_box(page, problem_id)
    bs.wait_for(page, box.get_by_role("button", name=T("casework.agency_problems.answer_button")))
    box.get_by_role("textbox", name=T("casework.agency_problems.answer_label")).fill(answer)
    box.get_by_role("button", name=T("casework.agency_problems.answer_button")).click()


def test_a_late_answer_rated_dissatisfied_reopens_then_the_fix_is_rated_satisfied(browser, server, later_server):
    # The office reads the county's rates first.
    with bs.app_tab(browser, server.url) as office:
        bs.sign_in_staff(office, "discipline", "qiping-discipline")
        before = overview_rates(office)
    assert before == service_rates(server)

    # 20 Nov: the enterprise rates the agency, then raises a problem with it.
    with bs.app_tab(browser, server.url) as page:
        bs.sign_in_enterprise(page, CODE)
        name = bs.query(server.db_path, "SELECT name_zh FROM agencies WHERE code = ?", [AGENCY_CODE])[0]["name_zh"]
        bs.choose_agency(page, "zh", name, name)
        bs.rate(page, "zh", {item["code"]: 4 for item in bs.questionnaire_items()})
        bs.main(page).get_by_role("button", name=T("survey.save")).click()
        bs.wait_for(page, bs.main(page).get_by_text(T("survey.saved", agency=name)))
        bs.settle(page)
        bs.open_page(page, T("nav.enterprise_problems"), T("casework.enterprise_problems.title"))
        form = bs.main(page).locator('[data-testid="stForm"]')
        form.get_by_role("textbox", name=T("casework.problems.text")).fill(PROBLEM)
        form.get_by_role("button", name=T("casework.problems.raise_button")).click()
        uscc = bs.enterprise_for_code(server.db_path, CODE)["uscc"]
        problem_id = wait_until(lambda: [r["id"] for r in bs.query(
            server.db_path, "SELECT id FROM problems WHERE enterprise = ? AND text = ?", [uscc, PROBLEM])],
            "the problem")[0]
        bs.wait_for(page, bs.main(page).locator(".st-key-problem_raised_box"))
    raised = ticket(server, problem_id)
    assert (raised["due_on"], raised["contact_due_on"]) == ("2026-12-11", "2026-11-23")

    # 14 Dec: the agency signs in (the background check reminds it of the overdue ticket) and answers, late.
    with bs.app_tab(browser, later_server.url) as agency:
        bs.sign_in_staff(agency, AGENCY_CODE.lower(), "qiping-agency")
        wait_until(lambda: ticket(server, problem_id)["reminded_on"], "the reminder", seconds=30)
        agency_answers(agency, problem_id, "已联系企业，备案已退回补正，今日办结。")
        wait_until(lambda: ticket(server, problem_id)["status"] == "answered", "the late answer")
        bs.settle(agency)
        bs.screenshot(agency, "loop_1_late_answer_zh.png")
    answered = bs.query(server.db_path, "SELECT late FROM problem_events WHERE problem_id = ? AND step = 'answered'",
                        [problem_id])
    assert [e["late"] for e in answered] == [1]

    # The enterprise is not satisfied: the ticket reopens with a new deadline and counts against the agency.
    with bs.app_tab(browser, later_server.url) as page:
        bs.sign_in_enterprise(page, CODE)
        enterprise_rates(page, problem_id, "dissatisfied", "系统里还是待审核，没有解决。")
        reopened = wait_until(lambda: (t := ticket(server, problem_id))["status"] == "open" and t, "the reopening")
        assert reopened["times_not_solved"] == 1 and reopened["due_on"] > raised["due_on"]
        bs.wait_for(page, bs.main(page).get_by_text(
            T("loop.problems.rated_reopened", due=labels_date(reopened["due_on"])), exact=True))
        bs.settle(page)
        bs.screenshot(page, "loop_2_reopened_zh.png")

    # The agency sees it back, reopened, and fixes it.
    with bs.app_tab(browser, later_server.url) as agency:
        bs.sign_in_staff(agency, AGENCY_CODE.lower(), "qiping-agency")
        bs.open_page(agency, T("nav.agency_problems"), T("casework.agency_problems.title"))
        expect(ticket_box(agency, problem_id).get_by_text(
            T("loop.problems.reopened", count=1, due=labels_date(reopened["due_on"])))).to_be_visible(
            timeout=bs.TIMEOUT_MS)
        agency_answers(agency, problem_id, "已重新提交备案，系统显示已通过。")
        wait_until(lambda: ticket(server, problem_id)["status"] == "answered", "the second answer")
        bs.settle(agency)

    # The enterprise is satisfied: the ticket is solved.
    with bs.app_tab(browser, later_server.url) as page:
        bs.sign_in_enterprise(page, CODE)
        enterprise_rates(page, problem_id, "satisfied", "")
        wait_until(lambda: ticket(server, problem_id)["status"] == "solved", "the solving")
        bs.wait_for(page, bs.main(page).get_by_text(T("loop.problems.rated_closed"), exact=True))
        bs.settle(page)
        bs.screenshot(page, "loop_3_solved_zh.png")
    ratings = bs.query(server.db_path, "SELECT rating, answer_late FROM problem_ratings WHERE problem_id = ?"
                       " ORDER BY id", [problem_id])
    assert [(r["rating"], r["answer_late"]) for r in ratings] == [("dissatisfied", 1), ("satisfied", 0)]

    # The overview's rates have moved, to what the definitions give.
    with bs.app_tab(browser, later_server.url) as office:
        bs.sign_in_staff(office, "discipline", "qiping-discipline")
        after = overview_rates(office)
        bs.screenshot(office, "loop_4_overview_rates_zh.png")
    assert after == service_rates(server)
    assert after != before


def labels_date(iso: str) -> str:
    """A date as the pages print it in Chinese (the county's format)."""
    from surveys.core import clock

    return clock.format_date(iso, "zh")
