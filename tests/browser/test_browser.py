"""Qiping in a real browser: a Streamlit server of its own, Chromium through Playwright.

Run with ``python -m pytest tests/browser/test_browser.py -q`` (or ``-m browser``).
The server runs the demo county in a throw-away database; every test has a
fresh browser context, so a fresh Streamlit session.
Screenshots of the survey page after saving go to tests/artifacts/ (git-ignored).
"""
from __future__ import annotations


import pytest

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

from surveys.participants.accounts import LOCK_MINUTES, MAX_FAILURES  # noqa: E402
from tests import browser_support as bs  # noqa: E402  (needs playwright)

pytestmark = pytest.mark.browser

ZH, EN = bs.catalogue("zh"), bs.catalogue("en")
ITEMS = [item["code"] for item in bs.questionnaire_items()]


server, browser = bs.server, bs.browser  # shared fixtures: one server per module


@pytest.fixture
def page(browser, server):
    with bs.app_tab(browser, server.url) as tab:
        yield tab


def test_chinese_rating_is_saved_and_survives_reload(page, server):
    code, agency_name = "QP-DEMO-0001", "县发展改革委"
    ratings = dict(zip(ITEMS, [5, 4, 3, 4, 2]))
    comment = "材料一次说清，跑了一次就办好了。"
    survey = ZH["survey"]

    bs.sign_in_enterprise(page, code)
    enterprise = bs.enterprise_for_code(server.db_path, code)
    expect(bs.sidebar(page)).to_contain_text(enterprise["name"])
    expect(bs.main(page).get_by_text(survey["nothing_chosen"])).to_be_visible()

    bs.choose_agency(page, "zh", agency_name, agency_name)
    expect(bs.main(page).get_by_text(bs.progress_text("zh", 0, 1))).to_be_visible()
    bs.rate(page, "zh", ratings)
    bs.comment_box(page, "zh").fill(comment)
    bs.main(page).get_by_role("button", name=survey["save"]).click()

    bs.wait_for(page, bs.main(page).get_by_text(survey["saved"].format(agency=agency_name)))
    expect(bs.main(page).get_by_text(bs.progress_text("zh", 1, 1))).to_be_visible(timeout=bs.TIMEOUT_MS)
    bs.wait_until_idle(page)
    bs.screenshot(page, "survey_saved_zh.png")

    # every chosen agency is rated: the done state, with a way to revise
    expect(bs.main(page).get_by_text(bs.text("survey.phone.done_title"), exact=True)).to_be_visible()

    # A reload is a new Streamlit session: sign in again, the saved rating is all there.
    page.reload()
    bs.wait_for_sign_in_page(page)
    bs.submit_access_code(page, code)
    bs.wait_for(page, bs.main(page).get_by_text(bs.text("survey.phone.done_title"), exact=True))
    expect(bs.main(page).get_by_text(bs.progress_text("zh", 1, 1))).to_be_visible(timeout=bs.TIMEOUT_MS)
    expect(bs.main(page).get_by_text(comment, exact=True)).to_be_visible()  # in the summary
    bs.revise_agency(page, "zh", agency_name)
    expect(bs.main(page).get_by_text(survey["last_saved"].split("{")[0])).to_be_visible()
    bs.expect_ratings_shown(page, "zh", ratings)
    expect(bs.comment_box(page, "zh")).to_have_value(comment)
    expect(bs.main(page).get_by_role("button", name=survey["save_revision"])).to_be_visible()
    expect(bs.main(page).get_by_role("combobox", name=bs.text("survey.phone.other_agency"))).to_have_value(
        agency_name)
    expect(bs.main(page).get_by_text(survey["mark_saved"], exact=True)).to_be_visible()

    rows = bs.responses_of(server.db_path, enterprise["uscc"])
    assert len(rows) == 1, rows
    assert rows[0]["agency"] == "FGW"
    assert rows[0]["ratings"] == ratings
    assert rows[0]["comment"] == comment
    assert rows[0]["revision"] == 1
    assert rows[0]["source"] == "online"


def test_english_rating_then_revision(page, server):
    code, agency_name = "QP-DEMO-0002", "County Taxation Bureau"
    first = dict(zip(ITEMS, [4, 4, 4, 4, 4]))
    revised = dict(first, attitude=1)
    comment = "Two trips; the second clerk explained everything."
    survey = EN["survey"]

    bs.sign_in_enterprise(page, code)
    enterprise = bs.enterprise_for_code(server.db_path, code)
    bs.sidebar(page).get_by_role("radio", name=EN["lang"]["en"]).click()
    bs.wait_for(page, bs.main(page).get_by_role("heading", name=survey["step_choose"]))
    expect(bs.sidebar(page).get_by_role("radio", name=EN["lang"]["en"])).to_be_checked()
    expect(bs.sidebar(page).get_by_role("link", name=EN["nav"]["survey"])).to_be_visible()
    expect(bs.sidebar(page).get_by_role("button", name=EN["signin"]["sign_out"])).to_be_visible()
    expect(bs.main(page).get_by_text(survey["nothing_chosen"])).to_be_visible()
    expect(bs.main(page).get_by_text(ZH["survey"]["step_choose"])).to_have_count(0)

    bs.choose_agency(page, "en", "Taxation", agency_name)
    expect(bs.main(page).get_by_text(bs.progress_text("en", 0, 1))).to_be_visible()
    bs.rate(page, "en", first)
    bs.comment_box(page, "en").fill(comment)
    bs.main(page).get_by_role("button", name=survey["save"]).click()
    bs.wait_for(page, bs.main(page).get_by_text(survey["saved"].format(agency=agency_name)))
    expect(bs.main(page).get_by_text(bs.progress_text("en", 1, 1))).to_be_visible(timeout=bs.TIMEOUT_MS)
    bs.wait_until_idle(page)
    bs.screenshot(page, "survey_saved_en.png")

    rows = bs.responses_of(server.db_path, enterprise["uscc"])
    assert [(r["agency"], r["revision"], r["ratings"]) for r in rows] == [("SWJ", 1, first)]

    # Revise one rating from the done state: the form offers "Save changes".
    bs.revise_agency(page, "en", agency_name)
    bs.expect_ratings_shown(page, "en", first)
    bs.rate(page, "en", revised)
    bs.main(page).get_by_role("button", name=survey["save_revision"]).click()
    bs.wait_for(page, bs.main(page).get_by_text(survey["revised"].format(agency=agency_name)))
    expect(bs.main(page).get_by_text("(revision 2)")).to_be_visible(timeout=bs.TIMEOUT_MS)
    bs.wait_until_idle(page)
    bs.revise_agency(page, "en", agency_name)
    bs.expect_ratings_shown(page, "en", revised)
    bs.screenshot(page, "survey_revised_en.png")

    rows = bs.responses_of(server.db_path, enterprise["uscc"])
    assert len(rows) == 1, rows
    assert rows[0]["agency"] == "SWJ"
    assert rows[0]["revision"] == 2
    assert rows[0]["ratings"] == revised
    assert rows[0]["comment"] == comment


def test_sixth_access_code_after_five_wrong_ones_is_refused(page, server):
    text = ZH["signin"]
    assert (MAX_FAILURES, LOCK_MINUTES) == (5, 15)
    for attempt in range(1, MAX_FAILURES + 1):
        bs.submit_access_code(page, f"QP-WRONG-{attempt:04d}")
        if attempt < MAX_FAILURES:
            message = text["wrong_code"].format(remaining=MAX_FAILURES - attempt, minutes=LOCK_MINUTES)
        else:
            message = text["now_locked"].format(minutes=LOCK_MINUTES)
        bs.wait_for(page, bs.main(page).get_by_text(message))
        bs.wait_until_idle(page)

    bs.submit_access_code(page, "QP-DEMO-0003")  # the right code, too late
    locked = bs.main(page).get_by_role("alert").filter(has_text=text["locked"].split("{")[0])
    expect(locked).to_be_visible(timeout=bs.TIMEOUT_MS)
    bs.wait_until_idle(page)
    message = locked.inner_text()
    assert "锁定" in message and "15" in message, message

    # Not signed in: still the sign-in page, no survey, no sign-out button.
    expect(bs.main(page).get_by_role("heading", name=text["title"])).to_be_visible()
    expect(bs.main(page).get_by_text(ZH["survey"]["step_choose"])).to_have_count(0)
    expect(bs.sidebar(page).get_by_role("button", name=text["sign_out"])).to_have_count(0)
    enterprise = bs.enterprise_for_code(server.db_path, "QP-DEMO-0003")
    assert bs.responses_of(server.db_path, enterprise["uscc"]) == []


def test_staff_see_the_pages_of_their_role(page):
    nav, signin = ZH["nav"], ZH["signin"]

    bs.sign_in_staff(page, "admin", "qiping-admin")
    bs.wait_for(page, bs.main(page).get_by_role("heading", name=ZH["rounds"]["title"]))
    expect(bs.sidebar(page).get_by_role("link", name=nav["rounds"])).to_be_visible()
    expect(bs.sidebar(page).get_by_role("link", name=nav["survey"])).to_have_count(0)
    expect(bs.main(page).get_by_text(ZH["survey"]["step_choose"])).to_have_count(0)
    expect(bs.sidebar(page)).to_contain_text(signin["signed_in_as"].format(role=ZH["roles"]["admin"], name="admin"))

    bs.sidebar(page).get_by_role("button", name=signin["sign_out"]).click()
    bs.wait_for_sign_in_page(page)

    bs.sign_in_staff(page, "fgw", "qiping-agency")
    bs.wait_for(page, bs.sidebar(page).get_by_role("link", name=nav["agency_dashboard"]))
    bs.sidebar(page).get_by_role("link", name=nav["account"]).click()
    bs.wait_for(page, bs.main(page).get_by_role("heading", name=ZH["account"]["title"]))
    expect(bs.main(page).get_by_text(ZH["account"]["who"].format(username="fgw", role=ZH["roles"]["agency"]))) \
        .to_be_visible()
    expect(page.get_by_text(nav["rounds"])).to_have_count(0)
    expect(page.get_by_role("link", name=nav["rounds"])).to_have_count(0)
    expect(bs.main(page).get_by_text(ZH["survey"]["step_choose"])).to_have_count(0)
