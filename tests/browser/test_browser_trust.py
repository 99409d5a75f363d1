"""Sign-in trust in a real browser: the letter's link, and the lock-out behind a
reverse proxy that a client cannot talk its way around.

The server trusts one reverse proxy (QIPING_TRUSTED_PROXY=1); tests/forwarding_proxy.py
plays it, appending the browser's address to X-Forwarded-For as nginx does.
"""
from __future__ import annotations

import re
import time

import pytest

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

from surveys.participants.accounts import LOCK_MINUTES, MAX_FAILURES  # noqa: E402
from tests import browser_support as bs  # noqa: E402  (needs playwright)
from tests.forwarding_proxy import ForwardingProxy  # noqa: E402

pytestmark = pytest.mark.browser

browser = bs.browser


server = bs.module_server("trust", extra_env={"QIPING_TRUSTED_PROXY": "1"})


def proxy_in_front_of(server) -> ForwardingProxy:
    proxy = ForwardingProxy(int(server.url.rsplit(":", 1)[1]))
    proxy.start()
    return proxy


@pytest.fixture
def context(browser):
    opened = bs.new_context(browser)
    yield opened
    opened.close()


def signed_out_for_good(page) -> None:
    bs.wait_for_sign_in_page(page)
    bs.settle(page)
    expect(bs.sidebar(page).get_by_role("button", name=bs.text("signin.sign_out"))).to_have_count(0)
    expect(bs.main(page).get_by_role("heading", name=bs.text("survey.step_choose"))).to_have_count(0)


def test_link_sign_in_then_sign_out_and_reload_stays_signed_out(context, server):
    page = context.new_page()
    page.goto(f"{server.url}/?code=QP-DEMO-0021")
    # signed in: the sidebar offers to sign out (the survey itself may open at any of its steps)
    bs.wait_for(page, bs.sidebar(page).get_by_role("button", name=bs.text("signin.sign_out")))
    bs.settle(page)
    expect(page).not_to_have_url(re.compile(r"code="))  # the code has left the address bar

    bs.sign_out(page)
    signed_out_for_good(page)
    page.go_back()  # the browser's history still holds the letter's address
    expect(page).not_to_have_url(re.compile(r"code="))  # the app has seen it (and taken it out again)
    signed_out_for_good(page)
    page.reload()
    signed_out_for_good(page)
    expect(page).not_to_have_url(re.compile(r"code="))
    assert bs.exception_shown(page) is None


def test_a_fake_first_hop_per_try_does_not_escape_the_lock_out(context, server):
    proxy = proxy_in_front_of(server)
    try:
        page = context.new_page()
        text = bs.catalogue("zh")["signin"]
        for attempt in range(1, MAX_FAILURES + 1):
            # every try a new session claiming to come from somewhere else
            context.set_extra_http_headers({"X-Forwarded-For": f"192.0.2.{attempt}"})
            bs.open_app(page, proxy.url)
            bs.submit_access_code(page, f"QP-WRONG-{attempt:04d}")
            if attempt < MAX_FAILURES:
                message = text["wrong_code"].format(remaining=MAX_FAILURES - attempt, minutes=LOCK_MINUTES)
            else:
                message = text["now_locked"].format(minutes=LOCK_MINUTES)
            bs.wait_for(page, bs.main(page).get_by_text(message))
            bs.wait_until_idle(page)

        context.set_extra_http_headers({"X-Forwarded-For": "192.0.2.99"})
        bs.open_app(page, proxy.url)
        bs.submit_access_code(page, "QP-DEMO-0022")  # the right code, from a "new" address: still locked
        expect(bs.main(page).get_by_role("alert").filter(has_text=text["locked"].split("{")[0])).to_be_visible()
        expect(bs.sidebar(page).get_by_role("button", name=text["sign_out"])).to_have_count(0)
    finally:
        proxy.stop()
    # the fake hops did reach the app, and the failures were all counted against the one
    # address the proxy appended
    assert {f"192.0.2.{n}" for n in (*range(1, MAX_FAILURES + 1), 99)} <= set(proxy.received)
    keys = {row["key"] for row in bs.query(server.db_path, "SELECT key FROM sign_in_failures")}
    assert keys == {"code:ip:127.0.0.1"}


def test_a_proxy_without_the_setting_is_named_in_the_servers_log(context, tmp_path):
    plain = bs.start_server(tmp_path)  # QIPING_TRUSTED_PROXY not set
    proxy = proxy_in_front_of(plain)
    try:
        page = context.new_page()
        warning = bs.text("ops.proxy_unconfigured")
        bs.open_app(page, plain.url)  # straight to the app: nothing to say
        bs.settle(page)
        assert warning not in plain.log_path.read_text(errors="replace")
        for _ in range(2):
            bs.open_app(page, proxy.url)
            bs.settle(page)
        deadline = time.monotonic() + bs.TIMEOUT_MS / 1000
        while warning not in plain.log_path.read_text(errors="replace") and time.monotonic() < deadline:
            time.sleep(0.2)
        assert plain.log_path.read_text(errors="replace").count(warning) == 1, plain.log_tail()
    finally:
        proxy.stop()
        plain.stop()
