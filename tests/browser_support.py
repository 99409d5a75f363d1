"""Helpers for the real-browser tests (tests/browser/test_browser.py).

A Streamlit server in a subprocess of its own (demo county, throw-away
database), Chromium through Playwright, and small page helpers that know
the app's widgets. Everything here waits for what the user would see,
never for fixed sleeps.
"""
from __future__ import annotations

import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import tomllib
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from unittest import mock

import pytest
from playwright.sync_api import Locator, Page, expect

from conftest import PINNED_NOW
from tests import pg_support

APP_DIR = Path(__file__).resolve().parent.parent
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
TIMEOUT_MS = 20_000          # one UI expectation on a shared machine
HEALTH_TIMEOUT_S = 60        # server start-up
OPEN_ROUND = "2026Q4"  # the demo's open round at PINNED_NOW

# The app's own texts, from its catalogue and questionnaire (not copied by hand).
_LOCALES = APP_DIR / "data" / "locales"


def catalogue(lang: str) -> dict:
    with (_LOCALES / lang / "app.toml").open("rb") as f:
        return tomllib.load(f)


def questionnaire_items() -> list[dict]:
    with (APP_DIR / "data" / "questionnaires" / "v1.toml").open("rb") as f:
        return tomllib.load(f)["items"]


# --- the server ---------------------------------------------------------------

def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class StreamlitServer:
    process: subprocess.Popen
    url: str
    db_path: Path
    log_path: Path

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def stop(self) -> None:
        """Terminate the whole process group (streamlit and anything it started)."""
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        # a child that outlived its leader would still be in the group
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def start_server(work_dir: Path, extra_env: dict[str, str] | None = None,
                 port: int | None = None) -> StreamlitServer:
    """Start ``streamlit run streamlit_app.py`` on a free port (or ``port``, known beforehand when a
    setting must name it) and wait until it is healthy (``extra_env``: more environment variables
    for the server, e.g. its settings)."""
    port = port or free_port()
    db_path = work_dir / "browser.db"
    log_path = work_dir / "streamlit.log"
    env = dict(os.environ)
    env.update({
        "QIPING_DB": str(db_path),
        "QIPING_DEMO": "1",
        "QIPING_HASH_COST": "test",
        # the server's county clock starts where every other test's is pinned, and runs on
        "QIPING_CLOCK_START": PINNED_NOW.isoformat(),
        "STREAMLIT_SERVER_HEADLESS": "true",
        "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false",
        **(extra_env or {}),
    })
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "streamlit_app.py",
             "--server.address", "127.0.0.1", "--server.port", str(port),
             # the working tree may be edited while the tests run: no "File change. Rerun" banner
             "--server.fileWatcherType", "none", "--server.runOnSave", "false"],
            cwd=APP_DIR, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    server = StreamlitServer(process, f"http://127.0.0.1:{port}", db_path, log_path)
    deadline = time.monotonic() + HEALTH_TIMEOUT_S
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited with {process.returncode}:\n{server.log_tail()}")
        try:
            with urllib.request.urlopen(f"{server.url}/_stcore/health", timeout=2) as answer:
                if answer.read().strip() == b"ok":
                    return server
        except OSError:
            pass
        if time.monotonic() > deadline:
            server.stop()
            raise RuntimeError(f"streamlit not healthy after {HEALTH_TIMEOUT_S} s:\n{server.log_tail()}")
        time.sleep(0.25)


# --- the database, read directly ----------------------------------------------

def start_counties_server(work_dir: Path) -> StreamlitServer:
    """The demo's deployment of two counties and their city office (data/demo_counties.toml, copied
    into ``work_dir`` so that every county's file is made there): each county at ?county=<slug>."""
    shutil.copy(APP_DIR / "data" / "demo_counties.toml", work_dir / "counties.toml")
    settings = {"QIPING_COUNTIES": str(work_dir / "counties.toml"), "QIPING_DEMO": "1", "QIPING_HASH_COST": "test"}
    _build_demo_counties(settings)
    return start_server(work_dir, extra_env=settings)


def _build_demo_counties(settings: dict[str, str]) -> None:
    """Each demo county built here, as the server would build it at its first visit (the same clock):
    a first page that builds two counties (and a city page reading both) would outlast the tests'
    wait for a page, on a loaded machine or on PostgreSQL."""
    from surveys import startup
    from surveys.core import clock, counties

    with mock.patch.dict(os.environ, settings):
        clock.freeze(PINNED_NOW)
        for county in (counties.load() or {}).values():
            if not county.is_city:
                startup.prepare(county.db, county.demo_seed, county.name, county.slug).close()


def start_server_at_its_own_address(work_dir: Path) -> StreamlitServer:
    """A server whose QIPING_BASE_URL is its own address, known before it starts, so that the
    links it prints (slips, reminder letters) lead back to it; on this computer they are a trial."""
    port = free_port()
    return start_server(work_dir, port=port, extra_env={"QIPING_BASE_URL": f"http://127.0.0.1:{port}"})


# The phone: 390×844, touch.
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


def decode_qr(png: bytes) -> list[str]:
    """The texts of the QR codes in an image, read as a phone camera would (zxing-cpp)."""
    import io

    import zxingcpp
    from PIL import Image

    return [found.text for found in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))]


def expect_survey_on_a_phone(browser, link: str) -> None:
    """``link`` opened on a phone shows the signed-in survey, without an exception."""
    phone = new_context(browser, **PHONE)
    try:
        page = phone.new_page()
        page.goto(link)
        wait_for(page, main(page).get_by_role("heading", name=text("survey.step_choose")))
        assert exception_shown(page) is None
    finally:
        phone.close()


def printed_sheet(browser, html: str) -> tuple[int, int]:
    """A sheet of slips or letters printed to PDF: (slips cut off, A4 pages)."""
    import io

    from pypdf import PdfReader

    context = browser.new_context()
    try:
        page = context.new_page()
        page.set_content(html)
        page.emulate_media(media="print")
        cut_off = page.locator("section.slip").evaluate_all(
            "slips => slips.filter(s => s.scrollHeight > s.clientHeight + 1).length")
        return cut_off, len(PdfReader(io.BytesIO(page.pdf(prefer_css_page_size=True))).pages)
    finally:
        context.close()


def open_server_database(db_path: Path):
    """The server's database, read (or set up) as the test's own: the SQLite file, or on the suite's
    PostgreSQL pass the database the server made of that file's name (rows by name either way)."""
    if not pg_support.TEST_DATABASE_URL:
        conn = sqlite3.connect(db_path, timeout=10)
        conn.row_factory = sqlite3.Row
        return conn
    from surveys.storage.db import connect
    return _NamedRowsConnection(connect(db_path))


class _Row(tuple):
    """A row by position or by column name, as sqlite3.Row (dict(row) gives name -> value)."""

    def __new__(cls, values, names):
        row = super().__new__(cls, values)
        row._names = names
        return row

    def keys(self):
        return list(self._names)

    def __getitem__(self, key):
        return super().__getitem__(self._names.index(key) if isinstance(key, str) else key)


class _NamedRowsConnection:
    """The app's PostgreSQL connection with sqlite3's few calls the browser tests make."""

    def __init__(self, database):
        self.database = database

    def execute(self, sql: str, params=()):
        from surveys.storage.postgres import _Rows
        cursor = self.database.conn.execute(sql, list(params))
        names = [column[0] for column in cursor.description or []]
        return _Rows([_Row(values, names) for values in cursor.fetchall()], cursor.description)

    def __enter__(self):
        self._transaction = self.database.atomic()
        self._transaction.__enter__()
        return self

    def __exit__(self, *exc):
        return self._transaction.__exit__(*exc)

    def close(self):
        self.database.close()


def enterprise_for_code(db_path: Path, code: str) -> dict:
    """The enterprise row whose access code is ``code`` (hashed as the server hashes it)."""
    from surveys.participants import hashing

    conn = open_server_database(db_path)
    try:
        salt = bytes.fromhex(conn.execute(
            "SELECT value FROM settings WHERE name = 'access_code_salt'").fetchone()[0])
        with mock.patch.dict(os.environ, {"QIPING_HASH_COST": "test"}):
            digest = hashing.access_code_digest(salt, hashing.normalise_code(code))
        rows = conn.execute("SELECT uscc, name FROM enterprises WHERE access_code_hash = ?", [digest]).fetchall()
        assert len(rows) == 1, f"{len(rows)} enterprises have access code {code}"
        return dict(rows[0])
    finally:
        conn.close()


def responses_of(db_path: Path, uscc: str, round_name: str = OPEN_ROUND) -> list[dict]:
    """Every response row of the enterprise in the round, with its ratings."""
    conn = open_server_database(db_path)
    try:
        rows = conn.execute(
            "SELECT id, agency, comment, revision, source FROM responses WHERE enterprise = ? AND round = ?"
            " ORDER BY agency", [uscc, round_name]).fetchall()
        found = []
        for row in rows:
            ratings = dict(conn.execute(
                "SELECT item, rating FROM response_ratings WHERE response_id = ?", [row["id"]]).fetchall())
            found.append(dict(row, ratings=ratings))
        return found
    finally:
        conn.close()


# --- the page -----------------------------------------------------------------

def main(page: Page) -> Locator:
    return page.locator('[data-testid="stMain"]')


def sidebar(page: Page) -> Locator:
    return page.locator('[data-testid="stSidebar"]')


def new_context(browser, **options):
    """A browser context as the tests use it: a desktop window in Chinese, the tests' timeout."""
    expect.set_options(timeout=TIMEOUT_MS)
    context = browser.new_context(**{"viewport": {"width": 1280, "height": 1000}, "locale": "zh-CN", **options})
    context.set_default_timeout(TIMEOUT_MS)
    return context


@contextmanager
def app_tab(browser, url: str, **options):
    """A tab on the app in a context of its own; fails if the app showed an exception."""
    context = new_context(browser, **options)
    try:
        tab = context.new_page()
        open_app(tab, url)
        yield tab
        crash = exception_shown(tab)
        assert crash is None, f"the app showed an exception:\n{crash}"
    finally:
        context.close()


def open_app(page: Page, url: str) -> None:
    page.goto(url)
    wait_for_sign_in_page(page)


def wait_for_sign_in_page(page: Page) -> None:
    expect(page.get_by_role("tab", name=catalogue("zh")["signin"]["enterprise_tab"])
           .or_(page.get_by_role("tab", name=catalogue("en")["signin"]["enterprise_tab"]))).to_be_visible(
        timeout=TIMEOUT_MS)
    expect(page.locator('[data-testid="stTextInput"] input').first).to_be_editable(timeout=TIMEOUT_MS)


def wait_for(page: Page, target: Locator) -> None:
    """Wait until ``target`` is visible, failing at once (with the traceback the app
    shows) if the script run raised instead."""
    crash = page.locator('[data-testid="stException"]')
    expect(target.or_(crash).first).to_be_visible(timeout=TIMEOUT_MS)
    if crash.count():
        pytest.fail("the app raised an exception:\n" + crash.first.inner_text(), pytrace=False)
    expect(target).to_be_visible(timeout=TIMEOUT_MS)


def exception_shown(page: Page) -> str | None:
    """The text of an exception the app shows on the page, if any."""
    crash = page.locator('[data-testid="stException"]')
    return crash.first.inner_text() if crash.count() else None


def wait_until_idle(page: Page) -> None:
    """Streamlit shows its status widget ("Running…") while a script run is under way."""
    expect(page.locator('[data-testid="stStatusWidget"]')).to_have_count(0, timeout=TIMEOUT_MS)


def enterprise_form(page: Page) -> Locator:
    return page.locator('[data-testid="stForm"]').filter(
        has=page.get_by_role("textbox", name=catalogue("zh")["signin"]["access_code"]))


def submit_access_code(page: Page, code: str) -> None:
    """Type ``code`` into the enterprise sign-in form (Chinese UI) and press 登录."""
    text = catalogue("zh")["signin"]
    form = enterprise_form(page)
    form.get_by_role("textbox", name=text["access_code"]).fill(code)
    form.get_by_role("button", name=text["submit"]).click()


def sign_in_enterprise(page: Page, code: str) -> None:
    """Sign in with ``code`` and wait for the survey: its first step, or the rating form or
    the done state of an enterprise that has chosen its agencies before."""
    submit_access_code(page, code)
    wait_for(page, main(page).get_by_role("heading", name=catalogue("zh")["survey"]["step_choose"])
             .or_(main(page).locator(".st-key-rating_form, .st-key-survey_done")).first)
    wait_until_idle(page)


def sign_in_city(page: Page, url: str, username: str = "city", password: str = "qiping-city") -> None:
    """At the city office's address (a server of start_counties_server): its own sign-in form, then its
    ranking page, drawn."""
    page.goto(f"{url}/?county=city")
    form = page.locator('[data-testid="stForm"]')
    wait_for(page, form.get_by_role("textbox", name=text("signin.username")))
    form.get_by_role("textbox", name=text("signin.username")).fill(username)
    form.get_by_label(text("signin.password"), exact=True).fill(password)
    form.get_by_role("button", name=text("signin.submit")).click()
    wait_for(page, main(page).get_by_role("heading", name=text("city.title")))
    wait_until_idle(page)


def sign_in_staff(page: Page, username: str, password: str) -> None:
    text = catalogue("zh")["signin"]
    page.get_by_role("tab", name=text["staff_tab"]).click()
    form = page.locator('[data-testid="stForm"]').filter(has=page.get_by_role("textbox", name=text["username"]))
    expect(form).to_be_visible(timeout=TIMEOUT_MS)
    form.get_by_role("textbox", name=text["username"]).fill(username)
    form.get_by_label(text["password"], exact=True).fill(password)
    form.get_by_role("button", name=text["submit"]).click()
    wait_for(page, sidebar(page).get_by_role("button", name=text["sign_out"]))
    wait_until_idle(page)


def choose_agency(page: Page, lang: str, search: str, name: str) -> None:
    """Tap the agency ``name`` among the survey's pills (``search``: unused since the
    picker shows every agency), say "done choosing", and wait for the rating form."""
    wait_until_idle(page)
    pill = main(page).locator('[data-testid="stButtonGroup"]').get_by_role("button", name=name, exact=True)
    pill.click()
    settle(page)
    main(page).locator(".st-key-start_rating").get_by_role("button").click()
    wait_for(page, rating_form(page))
    settle(page)


def rating_form(page: Page) -> Locator:
    """The survey's rating form (one agency's items, comment and save button)."""
    return main(page).locator(".st-key-rating_form")


def revise_agency(page: Page, lang: str, name: str) -> None:
    """From the survey's done state, open the agency ``name`` for revision."""
    main(page).get_by_role("button", name=text("survey.phone.revise", lang, agency=name)).click()
    wait_for(page, main(page).get_by_role("button", name=catalogue(lang)["survey"]["save_revision"]))
    settle(page)


def progress_text(lang: str, rated: int, chosen: int) -> str:
    return catalogue(lang)["survey"]["progress"].format(rated=rated, chosen=chosen)


def radio_group(page: Page, lang: str, item: dict) -> Locator:
    return main(page).get_by_role("radiogroup", name=item[lang], exact=True)


def level_name(lang: str, level: int) -> str:
    return catalogue(lang)["levels"][str(level)]


def rate(page: Page, lang: str, ratings: dict[str, int]) -> None:
    """Click the level for every item of the questionnaire (ratings by item code)."""
    for item in questionnaire_items():
        group = radio_group(page, lang, item)
        name = level_name(lang, ratings[item["code"]])
        group.locator('[data-testid="stRadioOption"]').filter(
            has=page.get_by_text(name, exact=True)).click()
        expect(group.get_by_role("radio", name=name, exact=True)).to_be_checked(timeout=TIMEOUT_MS)


def expect_ratings_shown(page: Page, lang: str, ratings: dict[str, int]) -> None:
    for item in questionnaire_items():
        group = radio_group(page, lang, item)
        for level, name in catalogue(lang)["levels"].items():
            radio = group.get_by_role("radio", name=name, exact=True)
            if int(level) == ratings[item["code"]]:
                expect(radio).to_be_checked(timeout=TIMEOUT_MS)
            else:
                expect(radio).not_to_be_checked(timeout=TIMEOUT_MS)


def comment_box(page: Page, lang: str) -> Locator:
    return main(page).get_by_role("textbox", name=catalogue(lang)["survey"]["comment"])


def screenshot(page: Page, name: str) -> Path:
    """The whole page: Streamlit scrolls inside its main area, so a "full page"
    screenshot would show only the window; make the window as tall as the content."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    size = page.viewport_size
    height = page.evaluate("""() => Math.max(...['[data-testid="stMain"]', '[data-testid="stAppViewContainer"]']
        .map(s => document.querySelector(s)).filter(Boolean).map(e => e.scrollHeight))""")
    page.set_viewport_size({"width": size["width"], "height": max(size["height"], min(int(height), 6000))})
    try:
        main(page).evaluate("e => e.scrollTo(0, 0)")
        wait_until_idle(page)
        page.screenshot(path=str(path), full_page=True, animations="disabled")
    finally:
        page.set_viewport_size(size)
    return path


# --- helpers for the journeys (tests/browser/test_journeys.py) ---------------------------

def text(key: str, lang: str = "zh", **values) -> str:
    """Any catalogue text (every file of data/locales/<lang>/), as the app shows it."""
    import i18n

    return i18n.t(key, lang, **values)


def require_chromium() -> None:
    """Skip without Debian's Chromium — but in CI a missing browser is a failure."""
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail(f"CI needs Debian's Chromium at {CHROMIUM}")
        pytest.skip(f"browser tests need Debian's Chromium at {CHROMIUM}, which is not installed")


def query(db_path: Path, sql: str, params: list | tuple = ()) -> list[dict]:
    """Rows of a read-only query on the server's database, as dicts."""
    conn = open_server_database(db_path)
    try:
        return [dict(row) for row in conn.execute(sql, list(params)).fetchall()]
    finally:
        conn.close()


def settle(page: Page) -> None:
    """Wait until the script run has finished and nothing on the page is left over
    from the previous run. Call it after waiting for what the action shows: right
    after a click the new run may not have started yet."""
    expect(page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]')).to_have_count(
        1, timeout=TIMEOUT_MS)
    expect(page.locator('[data-stale="true"]')).to_have_count(0, timeout=TIMEOUT_MS)
    wait_until_idle(page)


def open_page(page: Page, nav_title: str, heading: str) -> None:
    """Follow the sidebar link ``nav_title`` and wait for the page's title ``heading``."""
    sidebar(page).get_by_role("link", name=nav_title, exact=True).click()
    wait_for(page, main(page).get_by_role("heading", name=heading, exact=True, level=1))
    settle(page)


def switch_language(page: Page, lang: str) -> None:
    """Press the sidebar's language switch (its labels are the same in both languages)."""
    sidebar(page).get_by_role("radio", name=text(f"lang.{lang}", lang), exact=True).click()
    expect(sidebar(page).get_by_role("radio", name=text(f"lang.{lang}", lang), exact=True)).to_be_checked(
        timeout=TIMEOUT_MS)


def sign_out(page: Page, lang: str = "zh") -> None:
    sidebar(page).get_by_role("button", name=text("signin.sign_out", lang)).click()
    wait_for_sign_in_page(page)
    settle(page)


def pick_option(scope: Locator, page: Page, label: str, search: str, option_contains: str) -> str:
    """Type ``search`` into the selectbox labelled ``label`` and choose the one option
    whose text contains ``option_contains``; returns the option's text."""
    box = scope.get_by_role("combobox", name=label, exact=True)
    box.click()
    box.press("ControlOrMeta+a")  # typing replaces the text shown, not appends to it
    box.press_sequentially(search)
    option = page.get_by_role("option").filter(has_text=option_contains)
    expect(option).to_have_count(1, timeout=TIMEOUT_MS)
    chosen = option.inner_text()
    option.click()
    expect(box).to_have_value(chosen, timeout=TIMEOUT_MS)
    return chosen


def submit_and_wait(page: Page, button: Locator, done_text: str) -> None:
    """Press ``button`` and wait for the app to confirm with ``done_text``."""
    button.click()
    wait_for(page, main(page).get_by_text(done_text, exact=True))
    settle(page)


def chart_rendered(chart: Locator) -> None:
    """A Vega-Lite chart has been drawn (an SVG or canvas inside its container)."""
    expect(chart.locator("svg, canvas").first).to_be_visible(timeout=TIMEOUT_MS)


# --- fixtures shared by the browser test modules (import them into a module: each
# module then gets its own server with a fresh demo county) ---------------------------

def module_server(folder: str, start=start_server, **options):
    """A module's ``server`` fixture: ``start`` (start_server, start_counties_server …, with ``options``)
    in a fresh folder named after ``folder``, once for the module, stopped after it
    (``server = bs.module_server(…)``)."""
    @pytest.fixture(scope="module")
    def server(tmp_path_factory):
        require_chromium()
        running = start(tmp_path_factory.mktemp(folder), **options)
        yield running
        running.stop()
    return server


server = module_server("browser")


@pytest.fixture(scope="module")
def browser(server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def screenshot_viewport(page: Page, name: str) -> Path:
    """What the screen shows now (a phone's screen, say), as the user sees it."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    page.screenshot(path=str(path), animations="disabled")
    return path
