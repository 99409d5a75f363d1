"""In a real browser: the administrator makes reminder letters on the monitoring page and
downloads them; the QR code photographed from a letter as Chromium draws it decodes (zxing-cpp)
to the enterprise's new link, which signs it in on a phone; the reminder is recorded as a letter;
the printed letters fit six to an A4 page.

Run with ``python -m pytest tests/browser/test_browser_reminders.py -q`` (or ``-m browser``).
"""
from __future__ import annotations


import pytest

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect
pytest.importorskip("zxingcpp")  # decodes the QR codes (bs.decode_qr)


from surveys.collection import reminders  # noqa: E402
from surveys.reports.access_slips import LetterDetails  # noqa: E402
from tests import browser_support as bs  # noqa: E402  (needs playwright)

pytestmark = pytest.mark.browser

T = bs.text
browser = bs.browser


# the app at an address known before it starts, so that the letters can name it (on this
# computer: a trial, to be ticked)
server = bs.module_server("reminders", bs.start_server_at_its_own_address)


def make_letters(page, server, path) -> None:
    bs.open_app(page, server.url)
    bs.sign_in_staff(page, "admin", "qiping-admin")
    bs.open_page(page, T("nav.monitoring"), T("admin_ops.monitoring.title"))
    main = bs.main(page)
    bs.wait_for(page, main.get_by_role("heading", name=T("reminders.page.heading")))
    main.get_by_text(T("reminders.channel.letter"), exact=True).click()
    bs.settle(page)
    main.get_by_text(T("roster_admin.codes.confirm_loopback")).click()
    main.get_by_text(T("reminders.page.confirm")).click()
    button = main.get_by_role("button", name=T("reminders.page.button"))
    expect(button).to_be_enabled(timeout=bs.TIMEOUT_MS)
    bs.settle(page)
    button.click()
    download = main.get_by_role("button", name=T("reminders.page.download_letters"))
    expect(download).to_be_visible(timeout=60_000)  # a new code and a QR code per enterprise
    with page.expect_download() as downloaded:
        download.click()
    downloaded.value.save_as(path)


def test_a_reminder_letters_qr_code_opens_a_signed_in_survey_and_the_reminder_is_recorded(browser, server, tmp_path):
    office = bs.new_context(browser, accept_downloads=True)
    try:
        make_letters(office.new_page(), server, tmp_path / "letters.html")
        due = bs.query(server.db_path, "SELECT e.uscc FROM enterprises e WHERE e.active = 1 AND NOT EXISTS"
                       " (SELECT 1 FROM responses r WHERE r.round = ? AND r.enterprise = e.uscc)", [bs.OPEN_ROUND])
        sheet = office.new_page()
        sheet.goto((tmp_path / "letters.html").as_uri())
        expect(sheet.locator("section.slip.reminder")).to_have_count(len(due))
        first = sheet.locator("section.slip.reminder").first
        uscc = first.get_attribute("data-uscc")
        (link,) = bs.decode_qr(first.locator("figure svg").screenshot())
        printed = first.locator(".link a").inner_text()
    finally:
        office.close()
    assert link == printed and link.startswith(f"{server.url}/?code=")
    assert bs.enterprise_for_code(server.db_path, link.split("?code=", 1)[1])["uscc"] == uscc
    (row,) = bs.query(server.db_path, "SELECT channel, county_day FROM reminders WHERE enterprise = ?", [uscc])
    assert row["channel"] == "letter"

    bs.expect_survey_on_a_phone(browser, link)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_six_reminder_letters_fill_each_printed_a4_page_and_none_is_cut_off(browser, lang):
    longest = "四川省广元市青川县" + "金山恒通新型建筑材料科技" + "有限责任公司"
    sent = [reminders.Reminder(f"91511022MA00000{n:02d}", longest, "13800000000",
                               reminders.UNFINISHED if n % 2 else reminders.NOT_STARTED,
                               f"QP-AAAAA-BBBBB-{n:05d}", f"http://localhost:8501/?code=QP-AAAAA-BBBBB-{n:05d}", "")
            for n in range(8)]
    details = LetterDetails("2026年第四季度" if lang == "zh" else "2026 Q4", "2026-12-31", "青川县",
                            "县经济信息委 企业服务科 0839-7200000（工作日 9:00–17:00）")
    letters = reminders.render_letters(sent, details, lang, base="http://localhost:8501")  # with the trial line
    assert bs.printed_sheet(browser, letters) == (0, 2)  # nothing cut off; 6 + 2 to two A4 pages
