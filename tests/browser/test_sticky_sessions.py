"""Two app processes behind nginx (deploy/nginx.conf, issue 16): a browser stays with one of them.

Streamlit keeps a session's state in the process that serves its websocket, and a file offered by
st.download_button waits in that process's memory for the browser's GET (/media/…). Without
sticky sessions that GET reaches the other process about half the time and finds nothing; with
them, every download of a signed-in session arrives, run after run.

Run with ``python -m pytest tests/browser/test_sticky_sessions.py -q`` (or ``-m browser``).
Needs Debian's nginx and Chromium (skipped without them, except in CI).
"""
from __future__ import annotations

import csv
import os
import re
import urllib.request

import pytest

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

from bench import bench_scale  # noqa: E402
from deploy.proxy import NGINX, Nginx  # noqa: E402
from tests import browser_support as bs  # noqa: E402  (needs playwright)

pytestmark = pytest.mark.browser

T = bs.text
# the audit log's "target contains" filter before each export (each change a rerun); every one matches,
# and each matches another number of entries than the one before (the count drawn tells the rerun is there)
FILTERS = ["case/", "", "2026Q", "year/"]


def require_nginx() -> None:
    """Skip without Debian's nginx — but in CI a missing nginx is a failure."""
    if not os.path.exists(NGINX):
        if os.environ.get("CI"):
            pytest.fail(f"CI needs Debian's nginx at {NGINX}")
        pytest.skip(f"the sticky-session test needs Debian's nginx at {NGINX}, which is not installed")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """Two app processes on one demo county (built once, by the first), nginx in front: the
    address the browser opens is nginx's."""
    bs.require_chromium()
    require_nginx()
    work = tmp_path_factory.mktemp("sticky")
    with bench_scale.processes_on(work, work / "sticky.db", 2, {"QIPING_TRUSTED_PROXY": "1"}) as servers:
        with Nginx([int(s.url.rsplit(":", 1)[1]) for s in servers], work) as proxy:
            yield proxy


browser = bs.browser


def upstreams_by_route(proxy: Nginx) -> dict[str, set[str]]:
    """The processes (host:port) that answered each route, from nginx's access log."""
    found: dict[str, set[str]] = {}
    for line in (proxy.work_dir / "access.log").read_text().splitlines():
        match = re.search(r"upstream=(\S+) route=(\S+)", line)
        if match:
            found.setdefault(match.group(2), set()).add(match.group(1))
    return found


def route_cookies(answer) -> list[str]:
    """The answer's Set-Cookie headers for the route (Streamlit sets its own XSRF cookie too)."""
    return [c for c in answer.headers.get_all("Set-Cookie") or [] if c.startswith("qiping_route=")]


def test_the_first_answer_sets_the_route_and_each_route_keeps_to_one_process(server):
    with urllib.request.urlopen(f"{server.url}/_stcore/health") as answer:
        cookies = route_cookies(answer)
    assert len(cookies) == 1 and re.fullmatch(r"qiping_route=[0-9a-f]{32}; Path=/; HttpOnly; SameSite=Lax",
                                              cookies[0]), cookies
    routes = [f"route-{n}" for n in range(20)]
    for route in routes:
        for _ in range(3):
            request = urllib.request.Request(f"{server.url}/_stcore/health",
                                             headers={"Cookie": f"qiping_route={route}"})
            with urllib.request.urlopen(request) as answer:
                assert answer.read().strip() == b"ok"
                assert route_cookies(answer) == []  # the browser has its route already
    served = upstreams_by_route(server)
    assert all(len(served[route]) == 1 for route in routes), served
    # both processes take routes: the browser test below is not passing because only one answers
    assert {next(iter(served[route])) for route in routes} == {f"127.0.0.1:{p}" for p in server.upstream_ports}


def export_count(page) -> "playwright_api.Locator":
    """The audit log's caption "showing the latest n of m matching entries", drawn by each run."""
    text = re.escape(T("admin_ops.audit_log.count", shown="SHOWN", total="TOTAL"))
    return bs.main(page).get_by_text(re.compile(text.replace("SHOWN", r"\d+").replace("TOTAL", r"\d+")))


def matching_total(count_text: str) -> int:
    """m of the caption's "n of m" (its last number)."""
    return int(re.findall(r"\d+", count_text)[-1])


def media_gets(proxy: Nginx, route: str) -> list[tuple[str, str, str]]:
    """(file, status, process) of each GET of a file (/media/…) the route made, from nginx's access log
    (the browser asks twice for each download: Streamlit's check of the address, then the download)."""
    found = []
    for line in (proxy.work_dir / "access.log").read_text().splitlines():
        match = re.search(r'"GET /media/(\S+) [^"]*" (\d+) .*upstream=(\S+) route=(\S+)', line)
        if match and match.group(4) == route:
            found.append(match.group(1, 2, 3))
    return found


def test_a_signed_in_session_downloads_again_and_again_across_reruns(browser, server):
    """The administrator exports the audit log once per filter, the filter changed between (each change a
    rerun): every file arrives, from the process that made it, and holds what that run showed."""
    context = bs.new_context(browser, accept_downloads=True)
    try:
        page = context.new_page()
        bs.open_app(page, server.url)
        bs.sign_in_staff(page, "admin", "qiping-admin")
        bs.open_page(page, T("nav.audit_log"), T("admin_ops.audit_log.title"))
        target = bs.main(page).get_by_role("textbox", name=T("admin_ops.audit_log.filter_target"))
        count = export_count(page)
        for n, text in enumerate(FILTERS):
            shown_before = count.inner_text()
            target.fill(text)
            target.press("Enter")
            # the rerun has drawn its count (the run may not have started when Enter returns: a click
            # then would press the previous run's button, whose file Streamlit revokes when this run ends)
            expect(count).not_to_have_text(shown_before)
            bs.settle(page)
            total = matching_total(count.inner_text())
            button = bs.main(page).get_by_role("button", name=T("admin_ops.audit_log.download_csv"))
            with page.expect_download() as download:
                button.click()
            assert download.value.failure() is None, f"download {n + 1} failed: {download.value.failure()}"
            assert download.value.suggested_filename == "audit_log.csv"
            with open(download.value.path(), encoding="utf-8-sig", newline="") as f:
                rows = list(csv.DictReader(f))
            # this run's export: every entry the caption counts, each one matching the filter
            targets = [row[T("admin_ops.audit_log.column.target")] for row in rows]
            assert len(rows) == total and all(text.lower() in t.lower() for t in targets), (n, total, targets[:5])
            bs.settle(page)
            expect(bs.sidebar(page).get_by_role("button", name=T("signin.sign_out"))).to_be_visible()
        assert bs.exception_shown(page) is None
        route = next(c["value"] for c in context.cookies() if c["name"] == "qiping_route")
        # every file fetched by the session's one process, each GET answered
        gets = media_gets(server, route)
        assert len({file for file, _, _ in gets}) == len(FILTERS), gets
        assert {status for _, status, _ in gets} == {"200"} and len({process for _, _, process in gets}) == 1, gets
    finally:
        context.close()
