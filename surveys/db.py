"""Opening the database: pragmas, migrations, and the write transaction."""
from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Iterator

import sqlite_utils

from surveys.migrations import migrate

DEFAULT_DB_PATH = Path(__file__).resolve().parent.parent / "data" / "qiping.db"
BUSY_TIMEOUT_MS = 10_000


def database_path() -> Path:
    return Path(os.environ.get("QIPING_DB") or DEFAULT_DB_PATH)


def connect(path: str | Path | None = None) -> sqlite_utils.Database:
    """Open (and if needed create and migrate) the database at ``path``."""
    path = Path(path) if path is not None else database_path()
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


@contextlib.contextmanager
def write_transaction(db: sqlite_utils.Database) -> Iterator[sqlite_utils.Database]:
    """One all-or-nothing write.

    BEGIN IMMEDIATE takes the write lock up front, so concurrent writers wait
    on the busy timeout instead of failing when a read turns into a write.
    Nested use joins the outer transaction (sqlite-utils' own writes inside
    become savepoints).
    """
    if db.conn.in_transaction:
        with db.atomic():
            yield db
        return
    db.conn.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        db.rollback()
        raise
    db.conn.execute("COMMIT")
