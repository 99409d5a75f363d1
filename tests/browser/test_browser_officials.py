"""In a real browser: Streamlit's own English texts (the file uploader's button and size limit,
a multiselect's placeholder, "Select all" and "No results") read in Chinese in the Chinese UI
(app_pages/ui.py, builtin_texts) and in English again after switching to English; and the
official pages open with the reader's next step.

Run with ``python -m pytest tests/browser/test_browser_officials.py -q`` (or ``-m browser``).
"""
from __future__ import annotations

import pytest

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

from tests import browser_support as bs  # noqa: E402  (needs playwright)

pytestmark = pytest.mark.browser

T = bs.text
browser = bs.browser
server = bs.module_server("officials")


def test_the_roster_upload_reads_in_chinese_and_back_in_english(browser, server):
    with bs.app_tab(browser, server.url) as page:
        bs.sign_in_staff(page, "admin", "qiping-admin")
        bs.open_page(page, T("nav.roster"), T("roster.title"))
        main = bs.main(page)
        expect(main.get_by_text(T("next_step.label")).first).to_be_visible()
        search = main.get_by_role("textbox", name=T("roster_admin.search"))
        search.press_sequentially("县")  # a text box under way shows how to apply it
        instructions = main.locator('[data-testid="InputInstructions"]')
        expect(instructions.get_by_text(T("streamlit.press_enter_apply"))).to_be_visible()
        assert "Press Enter" not in instructions.inner_text()
        search.fill("")
        search.press("Enter")
        bs.settle(page)
        main.get_by_role("tab", name=T("roster.import_heading")).click()
        uploader = main.locator('[data-testid="stFileUploader"]')
        expect(uploader.get_by_role("button", name=T("streamlit.upload"), exact=True)).to_be_visible()
        limit = T("streamlit.per_file", size="{size}").split("{size}")[0]  # "每个文件不超过 "
        expect(uploader.get_by_text(limit)).to_be_visible()
        shown = uploader.inner_text()
        for english in ("Upload", "per file", "Drag and drop", "Browse files"):
            assert english not in shown, shown
        page.screenshot(path="/tmp/officials_shots/roster_upload_zh.png")
        bs.switch_language(page, "en")
        bs.settle(page)
        bs.main(page).get_by_role("tab", name=T("roster.import_heading", "en")).click()
        uploader = bs.main(page).locator('[data-testid="stFileUploader"]')
        expect(uploader.get_by_role("button", name="Upload", exact=True)).to_be_visible()
        expect(uploader.get_by_text("per file")).to_be_visible()
        assert "上传" not in uploader.inner_text()


def test_an_agency_picker_reads_in_chinese(browser, server):
    with bs.app_tab(browser, server.url) as page:
        bs.sign_in_staff(page, "discipline", "qiping-discipline")
        main = bs.main(page)
        expect(main.get_by_text(T("next_step.label")).first).to_be_visible()
        picker = main.locator('[data-testid="stMultiSelect"]').filter(has_text=T("casework.inbox.filter_agency"))
        expect(picker.get_by_role("button", name=T("streamlit.open"), exact=True)).to_be_visible()
        html = picker.evaluate("e => e.outerHTML")
        assert T("streamlit.choose_options") in html
        for english in ("Choose options", 'aria-label="Open"'):
            assert english not in html, english
        picker.get_by_role("combobox").click()
        options = page.get_by_role("option")
        expect(options.filter(has_text=T("streamlit.select_all"))).to_have_count(1)
        expect(options.filter(has_text="Select all")).to_have_count(0)
        page.screenshot(path="/tmp/officials_shots/agency_picker_zh.png")
        picker.get_by_role("combobox").press_sequentially("zzzz-nothing")
        expect(page.get_by_text(T("streamlit.no_results"), exact=True)).to_be_visible()
        expect(page.get_by_text("No results", exact=True)).to_have_count(0)
        page.keyboard.press("Escape")
