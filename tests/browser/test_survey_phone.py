"""The enterprise's survey on a phone (issue 13 item 1): a 390 x 844 touch screen, signed in
by the letter's link, three agencies rated one after another to the done state, every tap
counted, every save confirmed inside the screen.

The screenshots of the phone survey in the README (docs/screenshots/survey_phone_*.png) are
taken here, into tests/browser/artifacts/ (copy them over when the survey's look changes).
"""
from __future__ import annotations

import pytest

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

from surveys.collection import questionnaire  # noqa: E402
from tests import browser_support as bs  # noqa: E402  (needs playwright)

pytestmark = pytest.mark.browser

server, browser = bs.server, bs.browser  # shared fixtures: one server per module

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True,
         "device_scale_factor": 2}
AGENCIES = ["FGW", "SCJG", "SWJ"]  # in the order the survey lists them (by code)
MIN_TAP = 44  # px, each side of a tap target


class Taps:
    """Every tap the enterprise makes, counted."""

    def __init__(self):
        self.count = 0

    def __call__(self, target) -> None:
        target.tap()
        self.count += 1


def agency_names(server, lang: str) -> dict[str, str]:
    """The demo county's agency names (data/agencies.csv, which the demo is built from)."""
    import csv

    with (bs.APP_DIR / "data" / "agencies.csv").open(encoding="utf-8") as f:
        return {row["code"]: row[f"name_{lang}"] for row in csv.DictReader(f)}


def check_scale(page, lang: str, item: dict) -> None:
    """The five levels in one row, in the catalogue's order, each at least 44 x 44 px."""
    group = bs.radio_group(page, lang, item)
    boxes = []
    for level in questionnaire.LEVELS:
        option = group.locator('[data-testid="stRadioOption"]').filter(has=page.get_by_text(bs.level_name(lang, level), exact=True))
        box = option.bounding_box()
        assert box is not None
        assert box["width"] >= MIN_TAP and box["height"] >= MIN_TAP, (item["code"], level, box)
        assert box["x"] >= 0 and box["x"] + box["width"] <= page.viewport_size["width"], (item["code"], level, box)
        boxes.append(box)
    middles = [b["y"] + b["height"] / 2 for b in boxes]
    assert max(middles) - min(middles) < 2, f"the scale of {item['code']} wraps: {boxes}"
    assert [b["x"] for b in boxes] == sorted(b["x"] for b in boxes), "the scale's order is lost"


def rate_agency(page, lang: str, tap: Taps, level: int, check: bool = False) -> None:
    for item in bs.questionnaire_items():
        group = bs.radio_group(page, lang, item)
        if check:
            check_scale(page, lang, item)
        tap(group.locator('[data-testid="stRadioOption"]').filter(has=page.get_by_text(bs.level_name(lang, level), exact=True)))
        expect(group.get_by_role("radio", name=bs.level_name(lang, level), exact=True)).to_be_checked()


def test_three_agencies_rated_on_a_phone_each_save_confirmed_in_view_to_the_done_state(browser, server):
    lang, text = "zh", bs.catalogue("zh")
    names = agency_names(server, lang)
    context = bs.new_context(browser, **PHONE)
    try:
        page = context.new_page()
        page.goto(f"{server.url}/?code=QP-DEMO-0003")  # the letter's link
        bs.wait_for(page, bs.main(page).get_by_role("heading", name=text["survey"]["step_choose"]))
        bs.settle(page)
        tap = Taps()
        taps_per_agency = []

        # Step 1: one tap per agency on its pill; no "Select all" anywhere, in any language.
        picker = bs.main(page).locator('[data-testid="stButtonGroup"]')
        expect(page.get_by_text("Select all")).to_have_count(0)
        for code in AGENCIES:
            pill = picker.get_by_role("button", name=names[code], exact=True)
            box = pill.bounding_box()
            assert box and box["height"] >= MIN_TAP, box
            tap(pill)
            bs.settle(page)
        tap(bs.main(page).get_by_role("button", name=bs.text("survey.phone.start", lang, count=3)))
        first_heading = bs.main(page).get_by_role(
            "heading", name=bs.text("survey.phone.heading", lang, position=1, total=3, agency=names[AGENCIES[0]]))
        bs.wait_for(page, first_heading)
        expect(first_heading).to_be_in_viewport()  # the rating step is brought up, not left below
        choosing = tap.count  # three pills and "done choosing"

        for number, code in enumerate(AGENCIES):
            before = tap.count
            rate_agency(page, lang, tap, level=5 - number, check=number == 0)
            tap(bs.main(page).get_by_role("button", name=text["survey"]["save"]))
            confirmation = bs.main(page).get_by_text(text["survey"]["saved"].format(agency=names[code]), exact=True)
            bs.wait_for(page, confirmation)
            bs.settle(page)
            expect(confirmation).to_be_in_viewport()  # at the top of the screen, not above it
            taps_per_agency.append(tap.count - before)
            if number + 1 < len(AGENCIES):
                following = AGENCIES[number + 1]
                heading = bs.main(page).get_by_role("heading", name=bs.text(
                    "survey.phone.heading", lang, position=number + 2, total=3, agency=names[following]))
                expect(heading).to_be_in_viewport()  # the next agency's name, in view with the confirmation
                expect(bs.main(page).get_by_role("progressbar")).to_be_in_viewport()
                if number == 0:
                    bs.screenshot_viewport(page, "survey_phone_zh.png")

        done = bs.main(page).get_by_text(bs.text("survey.phone.done_title", lang), exact=True)
        expect(done).to_be_in_viewport()
        for code in AGENCIES:
            expect(bs.main(page).get_by_role("button", name=bs.text("survey.phone.revise", lang,
                                                                     agency=names[code]))).to_be_visible()
        bs.screenshot_viewport(page, "survey_phone_done_zh.png")
        stored = bs.responses_of(server.db_path, bs.enterprise_for_code(server.db_path, "QP-DEMO-0003")["uscc"])
        assert [(r["agency"], set(r["ratings"].values())) for r in stored] == [
            (code, {5 - number}) for number, code in enumerate(AGENCIES)]

        # Revising from the done state: one tap opens the agency, its answers are there.
        tap(bs.main(page).get_by_role("button", name=bs.text("survey.phone.revise", lang, agency=names["SCJG"])))
        bs.wait_for(page, bs.main(page).get_by_role("button", name=text["survey"]["save_revision"]))
        bs.expect_ratings_shown(page, lang, {item["code"]: 4 for item in bs.questionnaire_items()})

        # the figures for the note (pytest -s shows them)
        print(f"\ntaps on a phone: choosing {choosing} (a pill each, then done choosing); per agency {taps_per_agency};"
              f" first agency {choosing - len(AGENCIES) + 1 + taps_per_agency[0]} (its pill, done choosing, rating),"
              f" each next {1 + taps_per_agency[1]} (its pill, rating)")
        assert taps_per_agency == [len(bs.questionnaire_items()) + 1] * 3  # five levels and save, no more
        assert bs.exception_shown(page) is None
    finally:
        context.close()


def test_english_phone_survey_keeps_the_scale_in_one_row(browser, server):
    lang = "en"
    names = agency_names(server, lang)
    context = bs.new_context(browser, **PHONE)
    try:
        page = context.new_page()
        page.goto(f"{server.url}/?code=QP-DEMO-0004")
        bs.wait_for(page, bs.main(page).get_by_role("heading", name=bs.text("survey.step_choose")))
        bs.settle(page)
        page.locator('[data-testid="stExpandSidebarButton"]').tap()
        bs.switch_language(page, lang)
        page.locator('[data-testid="stSidebarCollapseButton"] button, [data-testid="stSidebarCollapseButton"]'
                     ).first.tap()
        bs.wait_for(page, bs.main(page).get_by_role("heading", name=bs.text("survey.step_choose", lang)))
        bs.settle(page)
        expect(page.get_by_text("Select all")).to_have_count(0)
        bs.main(page).locator('[data-testid="stButtonGroup"]').get_by_role(
            "button", name=names["FGW"], exact=True).tap()
        bs.settle(page)
        bs.main(page).get_by_role("button", name=bs.text("survey.phone.start", lang, count=1)).tap()
        heading = bs.main(page).get_by_role("heading", name=bs.text(
            "survey.phone.heading", lang, position=1, total=1, agency=names["FGW"]))
        bs.wait_for(page, heading)
        bs.settle(page)
        for item in bs.questionnaire_items():
            check_scale(page, lang, item)
        rate_agency(page, lang, Taps(), level=4)
        bs.main(page).get_by_role("button", name=bs.text("survey.save", lang)).tap()
        done = bs.main(page).get_by_text(bs.text("survey.phone.done_title", lang), exact=True)
        bs.wait_for(page, done)
        bs.settle(page)
        expect(done).to_be_in_viewport()
        expect(bs.main(page).get_by_text(bs.text("survey.saved", lang, agency=names["FGW"]), exact=True)
               ).to_be_in_viewport()
        bs.screenshot_viewport(page, "survey_phone_done_en.png")
        bs.main(page).get_by_role("button", name=bs.text("survey.phone.revise", lang, agency=names["FGW"])).tap()
        bs.wait_for(page, bs.main(page).get_by_role("button", name=bs.text("survey.save_revision", lang)))
        bs.settle(page)
        bs.main(page).locator(".st-key-survey_top").evaluate("e => e.scrollIntoView({block: 'start'})")
        bs.screenshot_viewport(page, "survey_phone_en.png")
        assert bs.exception_shown(page) is None
    finally:
        context.close()


def test_the_survey_still_works_at_1366_px(browser, server):
    lang, text = "zh", bs.catalogue("zh")
    names = agency_names(server, lang)
    with bs.app_tab(browser, server.url, viewport={"width": 1366, "height": 768}) as page:
        bs.submit_access_code(page, "QP-DEMO-0005")
        bs.wait_for(page, bs.main(page).get_by_role("heading", name=text["survey"]["step_choose"]))
        bs.settle(page)
        bs.main(page).locator('[data-testid="stButtonGroup"]').get_by_role(
            "button", name=names["FGW"], exact=True).click()
        bs.settle(page)
        bs.main(page).get_by_role("button", name=bs.text("survey.phone.start", lang, count=1)).click()
        bs.wait_for(page, bs.main(page).get_by_role("heading", name=bs.text(
            "survey.phone.heading", lang, position=1, total=1, agency=names["FGW"])))
        bs.settle(page)
        for item in bs.questionnaire_items():
            check_scale(page, lang, item)
        bs.rate(page, lang, {item["code"]: 3 for item in bs.questionnaire_items()})
        bs.main(page).get_by_role("button", name=text["survey"]["save"]).click()
        done = bs.main(page).get_by_text(bs.text("survey.phone.done_title", lang), exact=True)
        bs.wait_for(page, done)
        expect(done).to_be_in_viewport()
