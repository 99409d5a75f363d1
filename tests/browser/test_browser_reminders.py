"""In a real browser: the administrator makes reminder letters on the monitoring page and
downloads them; the QR code photographed from a letter as Chromium draws it decodes (zxing-cpp)
to the enterprise's new link, which signs it in on a phone; the reminder is recorded as a letter;
the printed letters fit six to an A4 page.

Run with ``python -m pytest tests/browser/test_browser_reminders.py -q`` (or ``-m browser``).
"""
from __future__ import annotations

import io

import pytest

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect
zxingcpp = pytest.importorskip("zxingcpp")

from PIL import Image  # noqa: E402
from pypdf import PdfReader  # noqa: E402

from surveys.collection import reminders  # noqa: E402
from surveys.reports.access_slips import LetterDetails  # noqa: E402
from tests import browser_support as bs  # noqa: E402  (needs playwright)

pytestmark = pytest.mark.browser

T = bs.text
browser = bs.browser


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The app at an address known before it starts, so that the letters can name it (on this
    computer: a trial, to be ticked)."""
    bs.require_chromium()
    port = bs.free_port()
    running = bs.start_server(tmp_path_factory.mktemp("reminders"), port=port,
                              extra_env={"QIPING_BASE_URL": f"http://127.0.0.1:{port}"})
    yield running
    running.stop()


def decode(png: bytes) -> list[str]:
    return [found.text for found in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))]


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
    office = browser.new_context(viewport={"width": 1280, "height": 1000}, locale="zh-CN", accept_downloads=True)
    office.set_default_timeout(bs.TIMEOUT_MS)
    try:
        make_letters(office.new_page(), server, tmp_path / "letters.html")
        due = bs.query(server.db_path, "SELECT e.uscc FROM enterprises e WHERE e.active = 1 AND NOT EXISTS"
                       " (SELECT 1 FROM responses r WHERE r.round = ? AND r.enterprise = e.uscc)", [bs.OPEN_ROUND])
        sheet = office.new_page()
        sheet.goto((tmp_path / "letters.html").as_uri())
        expect(sheet.locator("section.slip.reminder")).to_have_count(len(due))
        first = sheet.locator("section.slip.reminder").first
        uscc = first.get_attribute("data-uscc")
        (link,) = decode(first.locator("figure svg").screenshot())
        printed = first.locator(".link a").inner_text()
    finally:
        office.close()
    assert link == printed and link.startswith(f"{server.url}/?code=")
    assert bs.enterprise_for_code(server.db_path, link.split("?code=", 1)[1])["uscc"] == uscc
    (row,) = bs.query(server.db_path, "SELECT channel, county_day FROM reminders WHERE enterprise = ?", [uscc])
    assert row["channel"] == "letter"

    phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                                locale="zh-CN")
    phone.set_default_timeout(bs.TIMEOUT_MS)
    try:
        page = phone.new_page()
        page.goto(link)
        bs.wait_for(page, bs.main(page).get_by_role("heading", name=T("survey.step_choose")))
        assert bs.exception_shown(page) is None
    finally:
        phone.close()


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
    context = browser.new_context()
    try:
        page = context.new_page()
        page.set_content(letters)
        page.emulate_media(media="print")
        cut_off = page.locator("section.slip").evaluate_all(
            "slips => slips.filter(s => s.scrollHeight > s.clientHeight + 1).length")
        assert cut_off == 0
        assert len(PdfReader(io.BytesIO(page.pdf(prefer_css_page_size=True))).pages) == 2  # 6 + 2
    finally:
        context.close()
