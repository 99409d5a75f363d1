"""Two browser sessions of the same enterprise save the same rating at the same
moment: the stored answer is one of the two, whole — never a mix."""

import pytest

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

from tests import browser_support as bs  # noqa: E402

pytestmark = pytest.mark.browser
ITEMS = [item["code"] for item in bs.questionnaire_items()]
CODE, AGENCY = "QP-DEMO-0004", "县发展改革委"


server = bs.server  # shared fixture: one server per module


def signed_in_tab(browser, server):
    context = bs.new_context(browser)
    tab = context.new_page()
    bs.open_app(tab, server.url)
    bs.sign_in_enterprise(tab, CODE)
    return context, tab


def test_same_enterprise_in_two_sessions_ends_with_one_whole_answer(server):
    expect.set_options(timeout=bs.TIMEOUT_MS)
    survey = bs.catalogue("zh")["survey"]
    answers = {"first": (dict.fromkeys(ITEMS, 5), "first session"),
               "second": (dict.fromkeys(ITEMS, 1), "second session")}
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=bs.CHROMIUM, headless=True, args=bs.CHROMIUM_ARGS)
        first_context, first = signed_in_tab(browser, server)
        bs.choose_agency(first, "zh", AGENCY, AGENCY)
        second_context, second = signed_in_tab(browser, server)  # sees the agency already chosen
        bs.wait_for(second, bs.rating_form(second))
        for tab, key in ((first, "first"), (second, "second")):
            ratings, comment = answers[key]
            bs.rate(tab, "zh", ratings)
            bs.comment_box(tab, "zh").fill(comment)
        # both press save before either has finished
        first.get_by_role("button", name=survey["save"]).click(no_wait_after=True)
        second.get_by_role("button", name=survey["save"]).click(no_wait_after=True)
        for tab in (first, second):
            done = bs.main(tab).get_by_text(survey["saved"].format(agency=AGENCY)).or_(
                bs.main(tab).get_by_text(survey["revised"].format(agency=AGENCY)))
            bs.wait_for(tab, done)
            assert bs.exception_shown(tab) is None
        first_context.close()
        second_context.close()
        browser.close()

    uscc = bs.enterprise_for_code(server.db_path, CODE)["uscc"]
    rows = bs.responses_of(server.db_path, uscc)
    assert len(rows) == 1
    stored = (rows[0]["ratings"], rows[0]["comment"])
    assert stored in list(answers.values())  # one of the two, whole
    assert rows[0]["revision"] == 2  # both saves happened, one after the other
