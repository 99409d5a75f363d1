"""When the database stays locked past the write budget, the survey says so in the
reader's language and keeps what the enterprise entered, so pressing again stores it.

The lock is held from another connection, as a long write elsewhere would."""
import sqlite3
from pathlib import Path

import pytest

# SQLite's write lock held from outside the app; on PostgreSQL the same refusals: tests/services/test_overload.py
pytestmark = pytest.mark.sqlite_only
from streamlit.testing.v1 import AppTest

import i18n
from surveys.participants import accounts

TIMEOUT = 60
APP = str(Path(__file__).resolve().parents[2] / "streamlit_app.py")
BUSY = i18n.t("errors.storage_busy", "zh")


@pytest.fixture
def app(demo_path, monkeypatch, loopback):
    monkeypatch.setenv("QIPING_DB", str(demo_path))
    monkeypatch.setenv("QIPING_DEMO", "1")
    monkeypatch.setenv("QIPING_WRITE_WAIT_SECONDS", "0.3")
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    at.text_input[0].input("QP-DEMO-0001")
    next(b for b in at.button if b.label == i18n.t("signin.submit")).click()
    at.run()
    assert not at.exception
    return at


class WriteLock:
    """The write lock of the database file, held by another connection."""

    def __init__(self, path):
        self.conn = sqlite3.connect(path, isolation_level=None)
        self.conn.execute("BEGIN IMMEDIATE")

    def release(self):
        self.conn.rollback()
        self.conn.close()


def open_round(path) -> str:
    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT name FROM rounds WHERE status = 'open'").fetchone()[0]


def errors(at) -> list[str]:
    return [e.value for e in at.error]


def test_a_choice_that_could_not_be_stored_says_so_and_can_be_stored_as_it_is(app, demo_path):
    lock = WriteLock(demo_path)
    try:
        app.pills(key="chosen_agencies").set_value(["FGW", "SCJG"]).run()
    finally:
        lock.release()
    assert not app.exception
    assert BUSY in errors(app)
    assert app.pills(key="chosen_agencies").value == ["FGW", "SCJG"]  # the selection stays on the page
    again = next(b for b in app.button if b.label == i18n.t("survey.save_choice_again"))
    again.click().run()
    assert not app.exception and BUSY not in errors(app)
    assert [b for b in app.button if b.label == i18n.t("survey.save_choice_again")] == []
    with sqlite3.connect(demo_path) as conn:
        chosen = {r[0] for r in conn.execute("SELECT agency FROM survey_choices WHERE round = ? AND enterprise = ?",
                                             [open_round(demo_path), app.session_state["actor"].id])}
    assert {"FGW", "SCJG"} <= chosen


def test_a_save_that_could_not_be_stored_keeps_the_answers_for_pressing_again(app, demo_path):
    app.pills(key="chosen_agencies").set_value(["FGW"]).run()
    app.button(key="start_rating").click().run()
    for radio in app.radio:
        radio.set_value(2)
    app.text_area[0].input("系统忙时填写的意见")
    save = next(b for b in app.button if b.label == i18n.t("survey.save"))
    lock = WriteLock(demo_path)
    try:
        save.click().run()
    finally:
        lock.release()
    assert not app.exception
    assert BUSY in errors(app)
    assert [radio.value for radio in app.radio] == [2] * len(app.radio)  # the answers are still there
    assert app.text_area[0].value == "系统忙时填写的意见"
    with sqlite3.connect(demo_path) as conn:
        assert conn.execute("SELECT count(*) FROM responses WHERE comment = ?",
                            ["系统忙时填写的意见"]).fetchone()[0] == 0  # nothing half-written

    next(b for b in app.button if b.label == i18n.t("survey.save")).click().run()
    assert not app.exception and BUSY not in errors(app)
    assert any(s.value == i18n.t("survey.saved", agency="县发展改革委") for s in app.success)
    with sqlite3.connect(demo_path) as conn:
        response_id, revision = conn.execute("SELECT id, revision FROM responses WHERE comment = ?",
                                             ["系统忙时填写的意见"]).fetchone()
        ratings = {r[0] for r in conn.execute("SELECT rating FROM response_ratings WHERE response_id = ?",
                                              [response_id])}
    assert revision == 1 and ratings == {2}


def test_signing_in_needs_no_write_lock_when_there_is_no_failure_to_clear(demo_db, demo_path, monkeypatch):
    monkeypatch.setenv("QIPING_WRITE_WAIT_SECONDS", "0.3")
    lock = WriteLock(demo_path)
    try:
        who = accounts.sign_in_enterprise(demo_db, "QP-DEMO-0002", "session:test")
    finally:
        lock.release()
    assert who.role == "enterprise"
