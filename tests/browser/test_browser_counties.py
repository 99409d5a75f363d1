"""In a real browser (issue 16): a deployment of two demo counties and their city office.
Each county is its own address; a session is one county's; the city office signs in at its own
address and sees the counties ranked, and its bulletin downloads; each of the city office's pages reads
in both languages and has no serious or critical accessibility violation of Qiping's own (the sweeps of
test_journeys and test_accessibility, which go over the single-county server's roles).

Run with ``python -m pytest tests/browser/test_browser_counties.py -q`` (or ``-m browser``).
"""
from __future__ import annotations

import io

import re

import pytest

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

from app_pages import navigation  # noqa: E402
from surveys.core import counties as county_config  # noqa: E402
from tests import browser_support as bs  # noqa: E402  (needs playwright)
from tests.browser.test_journeys import EN, ZH, shows_page  # noqa: E402

# also in the PostgreSQL pass of ./test.sh: the isolation of counties and the city's journey on the server back-end
pytestmark = [pytest.mark.browser, pytest.mark.postgres_browser]

T = bs.text
browser = bs.browser
server = bs.module_server("counties", bs.start_counties_server)


def test_each_county_is_its_own_address_and_a_session_stays_in_its_county(browser, server):
    with bs.app_tab(browser, f"{server.url}/?county=qingchuan") as page:
        expect(bs.sidebar(page).get_by_text(T("counties.this_county", name="青川县"))).to_be_visible()
        bs.sign_in_staff(page, "admin", "qiping-admin")
        expect(bs.sidebar(page).get_by_text(T("counties.this_county", name="青川县"))).to_be_visible()
        # the other county's address is another county: its sign-in page, not this session's
        bs.open_app(page, f"{server.url}/?county=pingwu")
        expect(bs.sidebar(page).get_by_text(T("counties.this_county", name="平武县"))).to_be_visible()
        expect(bs.sidebar(page).get_by_role("button", name=T("signin.sign_out"))).to_have_count(0)


def test_the_city_office_signs_in_at_its_address_and_downloads_its_bulletin(browser, server):
    import openpyxl

    context = bs.new_context(browser)
    try:
        page = context.new_page()
        bs.sign_in_city(page, server.url)
        expect(bs.main(page).get_by_role("heading", name=T("city.like_agencies"))).to_be_visible()
        with page.expect_download() as download:
            bs.main(page).get_by_role("button", name=T("city.download_xlsx")).click()
        book = openpyxl.load_workbook(io.BytesIO(open(download.value.path(), "rb").read()))
        counties = {row[1] for row in book.worksheets[0].iter_rows(min_row=2, values_only=True)}
        assert counties == {"青川县", "平武县"}
        assert bs.exception_shown(page) is None
        bs.screenshot(page, "city_ranking.png")
    finally:
        context.close()


def test_the_city_office_sees_the_ranking_with_rates_and_downloads_the_pdf(browser, server):
    """The city's journey: sign in at its address, the counties ranked with their standard rates, the PDF
    bulletin with the counties in rank order and their rates."""

    from pypdf import PdfReader

    context = bs.new_context(browser)
    try:
        page = context.new_page()
        bs.sign_in_city(page, server.url)
        expect(bs.main(page).get_by_text(T("city.rates_rule"))).to_be_visible()
        grid = bs.main(page).locator('[data-testid="stDataFrame"]').first
        expect(grid).to_be_visible()
        with page.expect_download() as download:
            bs.main(page).get_by_role("button", name=T("city.download_pdf")).click()
        assert download.value.suggested_filename.endswith(".pdf")
        reader = PdfReader(download.value.path())
        text = re.sub(r"[\s\x00]+", "", "".join(p.extract_text() for p in reader.pages))
        table = text.split(T("city.bulletin.ranking_heading"), 1)[1]
        assert T("loop.rates.good") in table and T("loop.rates.participation") in table
        positions = {name: table.index(name) for name in ("青川县", "平武县")}
        first = min(positions, key=positions.get)
        assert f"1{first}" in table  # the county listed first is ranked 1
        assert bs.exception_shown(page) is None
        bs.screenshot(page, "city_ranking_rates.png")
    finally:
        context.close()


def test_the_address_without_a_county_lists_the_counties_by_their_addresses(browser, server):
    context = bs.new_context(browser)
    try:
        page = context.new_page()
        page.goto(server.url)
        bs.wait_for(page, bs.main(page).get_by_role("heading", name=T("counties.choose_title")))
        for name, slug in (("青川县", "qingchuan"), ("平武县", "pingwu"), ("广元市", "city")):
            assert bs.main(page).get_by_role("link", name=name).get_attribute("href").endswith(f"?county={slug}")
        expect(page.get_by_role("tab", name=T("signin.enterprise_tab"))).to_have_count(0)
        link = bs.main(page).get_by_role("link", name="平武县")
        if link.get_attribute("target") == "_blank":  # Streamlit opens a Markdown link in a new tab
            with context.expect_page() as opened:
                link.click()
            target = opened.value
        else:
            link.click()
            target = page
        bs.wait_for_sign_in_page(target)
        expect(bs.sidebar(target).get_by_text(T("counties.this_county", name="平武县"))).to_be_visible()
    finally:
        context.close()


def test_every_city_page_reads_in_both_languages_with_no_serious_accessibility_violation(browser, server):
    """As test_journeys and test_accessibility do for the single county's roles: each page of the city
    office's menu opened from the menu in Chinese, switched to English and back, and axe-core run on it in
    both languages; axe also on the address without a county (the chooser) and on the city's sign-in page.
    A serious or critical violation fails unless it is Streamlit's own markup (test_accessibility's list)."""
    axe_sync = pytest.importorskip("axe_playwright_python.sync_playwright")
    from tests.browser.test_accessibility import BLOCKING, run_axe, streamlit_own

    axe = axe_sync.Axe()
    pages = [(page.path, page.title_key) for page in navigation.pages_of_role("city")]
    assert [path for path, _ in pages] == ["app_pages/city/city_ranking.py", "app_pages/shared/account.py"]
    # the deployment's own names (Chinese data) may stand in the English page's text
    names = tuple(c.name for c in county_config.load(bs.APP_DIR / "data" / "demo_counties.toml").values())
    checked: list[tuple[str, str]] = []
    ours: list[str] = []
    broken: list[str] = []

    def check(page, where: str, lang: str) -> None:
        response = run_axe(page, axe)
        checked.append((where, lang))
        ours.extend(f"{where} · {lang} · {v['id']} ({v['impact']}) · {' '.join(map(str, n['target']))}\n"
                    f"    {n.get('html', '')[:300]}\n    {n.get('failureSummary', '')[:400]}"
                    for v in response["violations"] if v["impact"] in BLOCKING
                    for n in v["nodes"] if streamlit_own(v["id"], n) is None)

    context = bs.new_context(browser)
    try:
        page = context.new_page()
        page.goto(server.url)
        bs.wait_for(page, bs.main(page).get_by_role("heading", name=T("counties.choose_title")))
        check(page, "county chooser", ZH)
        page.goto(f"{server.url}/?county=city")
        bs.wait_for(page, page.locator('[data-testid="stForm"]').get_by_role("textbox", name=T("signin.username")))
        check(page, "city sign-in", ZH)
        bs.sign_in_city(page, server.url)
        menu = bs.sidebar(page).get_by_role("navigation").get_by_role("link")
        expect(menu).to_have_text([re.compile(re.escape(T(key)) + "$") for _, key in pages])
        for path, nav_key in pages:
            bs.sidebar(page).get_by_role("link", name=T(nav_key, ZH), exact=True).click()
            problems = shows_page(page, path, nav_key, ZH, names)
            if not problems:
                check(page, path, ZH)
                bs.switch_language(page, EN)
                problems = shows_page(page, path, nav_key, EN, names)
            if not problems:
                check(page, path, EN)
                bs.switch_language(page, ZH)
                problems = shows_page(page, path, nav_key, ZH, names)
            broken += [f"{path} · {p}" for p in problems]
            if problems:  # the session is in an unknown state
                break
        bs.screenshot(page, "city_last_page_zh.png")
    finally:
        context.close()
    assert broken == [], "city pages broken by the language switch:\n" + "\n".join(broken)
    assert checked == [("county chooser", ZH), ("city sign-in", ZH)] + [
        (path, lang) for path, _ in pages for lang in (ZH, EN)]
    assert ours == [], "serious or critical accessibility violations on the city's pages:\n" + "\n".join(ours)
