"""Under lock contention a save may be slow, never lost: write transactions wait
their turn and retry, and when they still cannot store the answer they say so in
the reader's language with nothing half-written.

Contention is made by hand: another connection holding the write lock, or a
connection whose COMMIT or statement reports "database is locked"."""
import sqlite3
import threading

import pytest

from tests import pg_support

import i18n
from conftest import FULL, dump, make_world
from surveys.storage import db as database
from surveys.collection import responses
from surveys.core.errors import StorageBusy

SHORT_BUSY_TIMEOUT_MS = 100  # SQLite's own wait, per attempt: far shorter than the lock is held


def busy_error(message: str = "database is locked", code: int = sqlite3.SQLITE_BUSY) -> sqlite3.OperationalError:
    error = sqlite3.OperationalError(message)
    error.sqlite_errorcode = code
    return error


class LockedConnection:
    """A connection whose statements starting with ``prefix`` report lock contention
    the first ``failures`` times (None: always), as SQLite does under load."""

    def __init__(self, conn: sqlite3.Connection, prefix: str, failures: int | None,
                 error: sqlite3.OperationalError | None = None):
        self._conn, self._prefix, self.failures = conn, prefix.upper(), failures
        self._error = error or busy_error()
        self.refused = 0

    def execute(self, sql: str, *args):
        if sql.lstrip().upper().startswith(self._prefix) and (self.failures is None or self.failures > 0):
            if self.failures is not None:
                self.failures -= 1
            self.refused += 1
            raise self._error
        return self._conn.execute(sql, *args)

    def __getattr__(self, name):
        return getattr(self._conn, name)


@pytest.fixture
def enterprise(db):
    return make_world(db, enterprises=3)[0]


@pytest.fixture
def path(db, enterprise):
    return db.conn.execute("PRAGMA database_list").fetchone()[2]


@pytest.fixture
def short_busy_timeout(monkeypatch):
    monkeypatch.setattr(database, "BUSY_TIMEOUT_MS", SHORT_BUSY_TIMEOUT_MS)


def hold_write_lock(path: str) -> sqlite3.Connection:
    """Another connection holding the county's write lock (SQLite's, or PostgreSQL's advisory lock)."""
    if pg_support.TEST_DATABASE_URL:
        holder = database.connect(path)  # rollback, close and execute as sqlite3's connection has them
    else:
        holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    return holder


def stored(db, enterprise) -> list[tuple]:
    return db.execute("SELECT agency, revision FROM responses WHERE enterprise = ?", [enterprise.id]).fetchall()


def test_a_save_waits_out_a_writer_that_holds_the_lock_longer_than_sqlites_busy_timeout(
        db, path, enterprise, short_busy_timeout):
    holder = hold_write_lock(path)
    release = threading.Timer(1.0, holder.rollback)  # 10x SQLite's wait, well inside the write budget
    release.start()
    conn = database.connect(path)
    try:
        revision = responses.save_response(conn, enterprise, "2026Q4", "FGW", FULL, "等了一会儿")
    finally:
        release.join()
        holder.close()
        conn.close()
    assert revision == 1
    assert stored(db, enterprise) == [("FGW", 1)]


def test_a_save_that_cannot_get_the_lock_within_its_budget_says_so_and_writes_nothing(
        db, path, enterprise, short_busy_timeout, monkeypatch):
    monkeypatch.setenv("QIPING_WRITE_WAIT_SECONDS", "0.5")
    before = dump(db)
    holder = hold_write_lock(path)
    conn = database.connect(path)
    try:
        with pytest.raises(StorageBusy) as refused:
            responses.save_response(conn, enterprise, "2026Q4", "FGW", FULL, "存不进去")
        assert not conn.conn.in_transaction
    finally:
        holder.rollback()
        holder.close()
        conn.close()
    assert refused.value.message("zh") == i18n.t("errors.storage_busy", "zh")
    assert refused.value.message("en") == i18n.t("errors.storage_busy", "en")
    assert refused.value.message("en") != "errors.storage_busy"  # the catalogue has it
    assert dump(db) == before


def test_a_commit_refused_for_lock_contention_is_retried(db, enterprise):
    flaky = LockedConnection(db.conn, "COMMIT", failures=2)
    db.conn = flaky
    revision = responses.save_response(db, enterprise, "2026Q4", "FGW", FULL, "第三次才提交")
    db.conn = flaky._conn
    assert flaky.refused == 2
    assert revision == 1
    assert not db.conn.in_transaction
    row = db.execute("SELECT id, comment FROM responses WHERE enterprise = ?", [enterprise.id]).fetchone()
    assert row[1] == "第三次才提交"
    assert dict(db.execute("SELECT item, rating FROM response_ratings WHERE response_id = ?",
                           [row[0]]).fetchall()) == FULL


def test_a_begin_immediate_refused_for_lock_contention_is_retried(db, enterprise):
    flaky = LockedConnection(db.conn, "BEGIN IMMEDIATE", failures=3,
                             error=busy_error(code=517))  # SQLITE_BUSY_SNAPSHOT: SQLite does not wait
    db.conn = flaky
    responses.choose_agencies(db, enterprise, "2026Q4", ["FGW", "SCJG"])
    db.conn = flaky._conn
    assert flaky.refused == 3
    assert responses.my_round(db, enterprise, "2026Q4")["chosen"] == ["FGW", "SCJG"]


def test_a_commit_that_stays_refused_rolls_everything_back(db, enterprise, monkeypatch):
    monkeypatch.setenv("QIPING_WRITE_WAIT_SECONDS", "0.3")
    before = dump(db)
    flaky = LockedConnection(db.conn, "COMMIT", failures=None)
    db.conn = flaky
    with pytest.raises(StorageBusy):
        responses.save_response(db, enterprise, "2026Q4", "FGW", FULL, "提交不了")
    db.conn = flaky._conn
    assert flaky.refused >= 2  # retried before giving up
    assert not db.conn.in_transaction
    assert dump(db) == before  # not the response, not its ratings, not the audit entry


def test_a_statement_refused_midway_rolls_back_the_whole_save(db, enterprise):
    before = dump(db)
    # the response and its ratings are written; then the audit entry meets a locked table
    flaky = LockedConnection(db.conn, "INSERT INTO audit_log", failures=None,
                             error=busy_error("database table is locked", code=sqlite3.SQLITE_LOCKED))
    db.conn = flaky
    with pytest.raises(StorageBusy):
        responses.save_response(db, enterprise, "2026Q4", "FGW", FULL, "写了一半")
    db.conn = flaky._conn
    assert not db.conn.in_transaction
    assert dump(db) == before


@pytest.mark.parametrize("error, contention", [
    (busy_error(), True),
    (busy_error(code=517), True),                                     # SQLITE_BUSY_SNAPSHOT
    (busy_error("database table is locked", sqlite3.SQLITE_LOCKED), True),
    (sqlite3.OperationalError("database is locked"), True),          # no error code attached
    (sqlite3.OperationalError("no such table: x"), False),
    (sqlite3.IntegrityError("UNIQUE constraint failed"), False),
])
def test_which_errors_count_as_lock_contention(error, contention):
    assert database.is_lock_contention(error) is contention
