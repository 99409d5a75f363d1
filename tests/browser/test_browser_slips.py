"""In a real browser: the administrator issues a code and downloads the slips; the QR code
photographed from the slip as Chromium draws it decodes (zxing-cpp) to the enterprise's own
link, and that link, opened on a phone, signs the enterprise in. The printed sheet holds six
slips to an A4 page with nothing cut off.

Run with ``python -m pytest tests/browser/test_browser_slips.py -q`` (or ``-m browser``).
"""
from __future__ import annotations

import re

import pytest

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect
pytest.importorskip("zxingcpp")  # decodes the QR codes (bs.decode_qr)


from surveys.reports import access_slips  # noqa: E402
from surveys.reports.access_slips import IssuedCode, LetterDetails  # noqa: E402
from tests import browser_support as bs  # noqa: E402  (needs playwright)

pytestmark = pytest.mark.browser

T = bs.text
browser = bs.browser


# the app at an address known before it starts, so that its slips can name it
# (on this computer: the slips are a trial, and the page says so)
server = bs.module_server("slips", bs.start_server_at_its_own_address)


def download_a_slip(page, server, path) -> str:
    """As the administrator: issue a new code to an enterprise and download its slip;
    returns the enterprise's credit code."""
    bs.open_app(page, server.url)  # (the demo county exists once the sign-in page is drawn)
    bs.sign_in_staff(page, "admin", "qiping-admin")
    uscc = bs.query(server.db_path, "SELECT uscc FROM enterprises WHERE active = 1 ORDER BY uscc LIMIT 1")[0]["uscc"]
    bs.open_page(page, T("nav.accounts_admin"), T("nav.accounts_admin"))
    main = bs.main(page)
    main.get_by_role("tab", name=T("roster_admin.tab_codes")).click()
    # the link leads back to this computer: said before anything is issued
    warning = T("roster_admin.codes.loopback_warning", base=server.url).split("（")[0]
    expect(main.get_by_text(warning)).to_have_count(1)
    search = main.get_by_role("textbox", name=T("roster_admin.search"))
    search.fill(uscc)
    search.press("Enter")
    # the search has run once the enterprise is the one chosen (its confirmation box is keyed by it)
    chosen = main.get_by_role("combobox", name=T("roster_admin.choose_enterprise"))
    expect(chosen).to_have_value(re.compile(uscc))
    bs.settle(page)
    main.get_by_text(T("roster_admin.codes.confirm_rotate_one")).click()
    expect(main.get_by_role("checkbox", name=T("roster_admin.codes.confirm_rotate_one"))).to_be_checked()
    issue = main.get_by_role("button", name=T("roster_admin.codes.issue_one_button"), exact=True)
    bs.wait_for(page, issue)
    bs.settle(page)
    issue.click()
    bs.wait_for(page, main.get_by_text(T("roster_admin.codes.issued", count=1)))
    bs.settle(page)
    download = main.get_by_role("button", name=T("roster_admin.codes.download"))
    expect(download).to_be_disabled()  # a trial sheet: not before the tick
    main.get_by_text(T("roster_admin.codes.confirm_loopback")).click()
    expect(download).to_be_enabled(timeout=bs.TIMEOUT_MS)
    with page.expect_download() as downloaded:
        download.click()
    downloaded.value.save_as(path)
    return uscc


def test_the_qr_code_on_a_downloaded_slip_opens_a_signed_in_survey_on_a_phone(browser, server, tmp_path):
    office = bs.new_context(browser, accept_downloads=True)
    try:
        uscc = download_a_slip(office.new_page(), server, tmp_path / "slips.html")
        sheet = office.new_page()
        sheet.goto((tmp_path / "slips.html").as_uri())
        expect(sheet.locator("section.slip")).to_have_count(1)
        qr = sheet.locator("section.slip figure svg")
        expect(qr).to_be_visible()
        (link,) = bs.decode_qr(qr.screenshot())
        printed = sheet.locator("section.slip .link a").inner_text()
    finally:
        office.close()
    assert link == printed and link.startswith(f"{server.url}/?code=")
    code = link.split("?code=", 1)[1]
    assert bs.enterprise_for_code(server.db_path, code)["uscc"] == uscc

    bs.expect_survey_on_a_phone(browser, link)


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("key", ["91511022MA000000{n:02d}", "R{n:04d}"], ids=["enterprise", "deputy"])
def test_six_slips_fill_each_printed_a4_page_and_none_is_cut_off(browser, lang, key):
    # an enterprise's slip (an 18-character credit code) and a deputy's (a rater code, worded for a person)
    longest = "四川省广元市青川县" + "金山恒通新型建筑材料科技" + "有限责任公司"  # a long real-world name
    issued = [IssuedCode(key.format(n=n), longest, f"QP-AAAAA-BBBBB-{n:05d}") for n in range(8)]
    details = LetterDetails("2026年第四季度" if lang == "zh" else "2026 Q4", "2026-12-31", "青川县",
                            "县经济信息委 企业服务科 0839-7200000（工作日 9:00–17:00）")
    sheet = access_slips.render_slips(issued, details, lang, base="http://localhost:8501")  # with the trial line
    assert bs.printed_sheet(browser, sheet) == (0, 2)  # nothing cut off; 6 + 2 to two A4 pages
