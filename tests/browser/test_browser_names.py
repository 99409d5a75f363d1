"""In a real browser: an agency and a staff member named with Markdown image and link
syntax show as typed, and no viewer's browser asks for the address in the name.

Run with ``python -m pytest tests/browser/test_browser_names.py -q`` (or ``-m browser``).
"""
from __future__ import annotations


import pytest

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

from tests import browser_support as bs  # noqa: E402  (needs playwright)

pytestmark = pytest.mark.browser

ZH = bs.catalogue("zh")
PAYLOAD = " ![x](http://evil.example/p.png) [点我](http://evil.example/)"
NAME = "县发展改革委" + PAYLOAD

server, browser = bs.server, bs.browser  # shared fixtures: one server per module


def make_names_hostile(db_path) -> None:
    """As an import of such a roster would leave them (the demo county exists once the
    sign-in page has been drawn; nothing is cached before anyone signs in)."""
    conn = bs.open_server_database(db_path)
    with conn:
        conn.execute("UPDATE agencies SET name_zh = ? WHERE code = 'FGW'", [NAME])
        conn.execute("UPDATE staff SET display_name = ? WHERE username = 'fgw'", [NAME])
    conn.close()


def test_a_hostile_agency_name_loads_nothing_and_shows_as_typed(browser, server):
    context = bs.new_context(browser)
    asked: list[str] = []
    context.on("request", lambda request: asked.append(request.url))
    page = context.new_page()
    try:
        bs.open_app(page, server.url)
        make_names_hostile(server.db_path)
        bs.sign_in_staff(page, "fgw", "qiping-agency")
        heading = bs.main(page).get_by_role("heading", level=3).filter(has_text="县发展改革委").first
        bs.wait_for(page, heading)
        bs.settle(page)
        for where in (bs.main(page), bs.sidebar(page)):
            expect(where.locator('img[src*="evil.example"]')).to_have_count(0)
            expect(where.locator('a[href*="evil.example"]')).to_have_count(0)
        assert not [url for url in asked if "evil.example" in url]
        # shown as typed (bare addresses carry an invisible word joiner, so no autolink forms)
        assert heading.inner_text().replace("\u2060", "") == NAME
        caption = bs.sidebar(page).get_by_text("县发展改革委 ![x](")
        assert PAYLOAD.strip() in caption.inner_text().replace("\u2060", "")
        assert bs.exception_shown(page) is None
    finally:
        context.close()
