"""Opening the database: pragmas, migrations, and the write transaction."""
from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import random
import sqlite3
import threading
import time
from pathlib import Path
from typing import Iterator
from urllib.parse import urlsplit

import sqlite_utils

from surveys.core.errors import StorageBusy
from surveys.storage.migrations import migrate
from surveys.core.paths import DATA_DIR

DEFAULT_DB_PATH = DATA_DIR / "qiping.db"
# SQLite's own wait for a lock (reads meet one only in rare moments, such as a
# checkpoint when the last connection closes).
BUSY_TIMEOUT_MS = 10_000
# A write's attempts wait at most this long each inside SQLite, then back off and
# try again until the write budget is spent, so the budget holds.
WRITE_ATTEMPT_WAIT_MS = 1_000
WRITE_WAIT_SECONDS_DEFAULT = 20.0
BACKOFF_FIRST_S, BACKOFF_MAX_S = 0.02, 0.5


def database_path() -> Path:
    return Path(os.environ.get("QIPING_DB") or DEFAULT_DB_PATH)


def postgres_url() -> str | None:
    """QIPING_DATABASE_URL: PostgreSQL instead of SQLite files (DESIGN §7)."""
    return os.environ.get("QIPING_DATABASE_URL") or None


def connect(path: str | Path | None = None):
    """Open (and if needed create and migrate) the database at ``path``: that SQLite file, or with
    QIPING_DATABASE_URL the PostgreSQL schema named after it (surveys/storage/postgres.py)."""
    path = Path(path) if path is not None else database_path()
    if postgres_url():
        return _connect_postgres(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite_utils.Database(path)
    db.conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    db.conn.execute("PRAGMA foreign_keys = ON")
    if db.conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
        db.enable_wal()
    # WAL + NORMAL survives a process crash (only power loss may drop the last commit)
    db.conn.execute("PRAGMA synchronous = NORMAL")
    migrate(db)
    return db


_PREPARED: set = set()  # PostgreSQL places this process has created and migrated
_PREPARED_GUARD = threading.Lock()


def _connect_postgres(path: Path):
    """A connection to the county's schema; the first in this process creates and migrates it.
    Connections come from the process's pool, except in a database-per-file run (the test suite
    copies and drops databases, which nobody may hold open)."""
    from surveys.storage import postgres

    per_file = os.environ.get("QIPING_DATABASE_PER_FILE") == "1"
    where = postgres.address(postgres_url(), path, per_file=per_file)
    with _PREPARED_GUARD:
        copied = per_file and postgres.ensure_database(where.dsn, template=_migrated_template(where.dsn))
        if not copied and where not in _PREPARED:  # a copy of the template is migrated already
            postgres.ensure_database(where.dsn)
            postgres.ensure_compat_functions(where.dsn)
            postgres.prepare_schema(where)
            made = postgres.PostgresDatabase(where)
            try:
                migrate(made)
            finally:
                made.close()
            if not per_file:
                _PREPARED.add(where)
    return postgres.PostgresDatabase(where, None if per_file else postgres.pool_for(where), file=path)


def _migrated_template(dsn: str) -> str:
    """A database migrated once, copied for every new database of a database-per-file run (the test
    suite on PostgreSQL): a copy takes a tenth of a second, migrating anew a second."""
    from surveys.storage import migrations, postgres

    digest = hashlib.sha1("\0".join([*migrations.MIGRATIONS, postgres.COMPAT_FUNCTIONS]).encode()).hexdigest()[:12]
    name = f"qiping_template_{len(migrations.MIGRATIONS)}_{digest}"
    template = urlsplit(dsn)._replace(path=f"/{name}").geturl()
    with postgres.server_lock(dsn):  # another process may be making it: wait, then copy it
        if postgres.ensure_database(template):
            try:
                postgres.ensure_compat_functions(template)
                made_at = postgres.Address(template, "public")
                postgres.prepare_schema(made_at)
                made = postgres.PostgresDatabase(made_at)
                migrate(made)
                made.close()
            except BaseException:
                postgres.drop_database(template)
                raise
    return name


def read_only_query(path: str | Path, query: str, readable: frozenset[str]) -> tuple[list[str], list[tuple]]:
    """``query``'s columns and rows from the database at ``path``, read-only, refused with
    sqlite3.DatabaseError when it would read any table outside ``readable`` (the city office's
    one way into a county, surveys/results/city.py)."""
    if postgres_url():
        from surveys.storage import dialect

        tables = dialect.tables_read(query)
        if tables is None or tables - readable:
            raise sqlite3.DatabaseError(f"not authorized: {query}")
        db = connect(path)
        try:
            with db.read_only():
                cursor = db.execute(query)
                return [c[0] for c in cursor.description], cursor.fetchall()
        finally:
            db.close()
    connection = sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True)
    try:
        connection.set_authorizer(functools.partial(_reads_only, readable))
        cursor = connection.execute(query)
        return [c[0] for c in cursor.description], cursor.fetchall()
    finally:
        connection.close()


def _reads_only(readable, action, table, column, database, source):
    """SQLite's authoriser: a SELECT reading the ``readable`` tables, nothing else."""
    if action == sqlite3.SQLITE_SELECT or action == sqlite3.SQLITE_FUNCTION:
        return sqlite3.SQLITE_OK
    if action == sqlite3.SQLITE_READ and table in readable:
        return sqlite3.SQLITE_OK
    return sqlite3.SQLITE_DENY


def write_wait_seconds() -> float:
    """How long a write may wait for its turn before the user is told to try again
    (QIPING_WRITE_WAIT_SECONDS)."""
    return float(os.environ.get("QIPING_WRITE_WAIT_SECONDS") or WRITE_WAIT_SECONDS_DEFAULT)


def is_lock_contention(error: BaseException) -> bool:
    """SQLITE_BUSY or SQLITE_LOCKED in any variant: another writer has the database."""
    if not isinstance(error, sqlite3.OperationalError):
        return False
    code = getattr(error, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
    return "locked" in str(error) or "busy" in str(error)


def _with_retries(db: sqlite_utils.Database, statement: str, deadline: float) -> None:
    """Execute ``statement``; on lock contention wait a little longer each time (with
    jitter, so waiters do not retry in step) and execute it again, until ``deadline``."""
    pause = BACKOFF_FIRST_S
    while True:
        left_ms = int((deadline - time.monotonic()) * 1000)
        db.conn.execute(f"PRAGMA busy_timeout = {max(0, min(WRITE_ATTEMPT_WAIT_MS, left_ms))}")
        try:
            db.conn.execute(statement)
            return
        except sqlite3.OperationalError as error:
            if not is_lock_contention(error):
                raise
            left = deadline - time.monotonic()
            if left <= 0:
                raise StorageBusy() from error
        time.sleep(min(left, pause * random.uniform(0.5, 1.5)))
        pause = min(pause * 2, BACKOFF_MAX_S)


# Writers of one server process queue here, one lock per database file. SQLite's
# busy handler is sleep-and-poll with no queue: a waiting writer wakes up to 100 ms
# after the lock was freed and has often lost it to a newer writer by then, so
# under a steady stream of saves some writers wait far longer than others. A
# thread lock hands over at once, in arrival order near enough, and SQLite's wait
# is left to writers in other processes (the command line, a backup).
_WRITER_QUEUES: dict[str, threading.RLock] = {}
_WRITER_QUEUES_GUARD = threading.Lock()


def _writer_queue(db: sqlite_utils.Database) -> threading.RLock:
    file = db.conn.execute("PRAGMA database_list").fetchone()[2] or f"memory:{id(db.conn)}"
    with _WRITER_QUEUES_GUARD:
        return _WRITER_QUEUES.setdefault(file, threading.RLock())


@contextlib.contextmanager
def _turn_to_write(db: sqlite_utils.Database, deadline: float) -> Iterator[None]:
    queue = _writer_queue(db)
    if not queue.acquire(timeout=max(0.0, deadline - time.monotonic())):
        raise StorageBusy()
    try:
        yield
    finally:
        queue.release()


@contextlib.contextmanager
def write_transaction(db: sqlite_utils.Database) -> Iterator[sqlite_utils.Database]:
    """One all-or-nothing write, which under load may be slow but is never half-done.

    BEGIN IMMEDIATE takes the write lock up front: a deferred transaction that
    reads first and then writes fails at once with SQLITE_BUSY(_SNAPSHOT) when
    another writer committed in between — SQLite does not run its busy handler
    there. Holding the write lock, the statements inside meet no other writer
    (WAL mode), so contention shows at BEGIN IMMEDIATE and at COMMIT: both are
    retried with back-off until the write budget (``write_wait_seconds``) is
    spent; then the transaction is rolled back and ``StorageBusy`` tells the user,
    in their language, to press again. Lock contention anywhere else also rolls
    everything back and becomes ``StorageBusy``; other errors roll back and pass.

    Nested use joins the outer transaction (sqlite-utils' own writes inside
    become savepoints).
    """
    if db.conn.in_transaction:
        with db.atomic():
            yield db
        return
    deadline = time.monotonic() + write_wait_seconds()
    with _turn_to_write(db, deadline):
        try:
            _with_retries(db, "BEGIN IMMEDIATE", deadline)
            try:
                yield db
                _with_retries(db, "COMMIT", deadline)
            except BaseException as error:
                db.rollback()
                if is_lock_contention(error):
                    raise StorageBusy() from error
                raise
        finally:
            db.conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
