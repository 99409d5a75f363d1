"""In a real browser (issue 16): a deployment of two demo counties and their city office.
Each county is its own address; a session is one county's; the city office signs in at its own
address and sees the counties ranked, and its bulletin downloads.

Run with ``python -m pytest tests/browser/test_browser_counties.py -q`` (or ``-m browser``).
"""
from __future__ import annotations

import io
import shutil

import pytest

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

from tests import browser_support as bs  # noqa: E402  (needs playwright)

pytestmark = pytest.mark.browser

T = bs.text
browser = bs.browser


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    bs.require_chromium()
    work = tmp_path_factory.mktemp("counties")
    shutil.copy(bs.APP_DIR / "data" / "demo_counties.toml", work / "counties.toml")
    running = bs.start_server(work, extra_env={"QIPING_COUNTIES": str(work / "counties.toml")})
    yield running
    running.stop()


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
        page.goto(f"{server.url}/?county=city")
        form = page.locator('[data-testid="stForm"]')
        bs.wait_for(page, form.get_by_role("textbox", name=T("signin.username")))
        form.get_by_role("textbox", name=T("signin.username")).fill("city")
        form.get_by_label(T("signin.password"), exact=True).fill("qiping-city")
        form.get_by_role("button", name=T("signin.submit")).click()
        bs.wait_for(page, bs.main(page).get_by_role("heading", name=T("city.title")))
        bs.wait_until_idle(page)
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
    import re

    from pypdf import PdfReader

    context = bs.new_context(browser)
    try:
        page = context.new_page()
        page.goto(f"{server.url}/?county=city")
        form = page.locator('[data-testid="stForm"]')
        bs.wait_for(page, form.get_by_role("textbox", name=T("signin.username")))
        form.get_by_role("textbox", name=T("signin.username")).fill("city")
        form.get_by_label(T("signin.password"), exact=True).fill("qiping-city")
        form.get_by_role("button", name=T("signin.submit")).click()
        bs.wait_for(page, bs.main(page).get_by_role("heading", name=T("city.title")))
        bs.wait_until_idle(page)
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
