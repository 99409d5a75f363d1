"""Numbered schema migrations, applied in order at start-up.

Each migration is a file ``surveys/storage/schema/NNNN_name.sql``; ``PRAGMA
user_version`` holds the number of the last one applied. Never edit a
migration that has shipped: add a new file with the next number.
"""
from __future__ import annotations

import importlib
import re
from pathlib import Path

import sqlite_utils

SCHEMA_DIR = Path(__file__).resolve().parent / "schema"
FILE_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


def load_migrations(directory: Path = SCHEMA_DIR) -> list[str]:
    files = sorted(p for p in directory.iterdir() if FILE_NAME.match(p.name))
    numbers = [int(FILE_NAME.match(p.name).group(1)) for p in files]
    if numbers != list(range(1, len(files) + 1)):
        raise RuntimeError(f"schema migrations must be numbered 1..n without gaps: {numbers}")
    return [p.read_text(encoding="utf-8") for p in files]


MIGRATIONS: list[str] = load_migrations()

# What PostgreSQL runs instead of a migration the translation cannot say (a table rebuilt the SQLite
# way, JSON edited in place): ``schema/postgres/NNNN_name.sql``, the same number and name.
POSTGRES_OVERRIDES: dict[int, str] = {
    int(p.name[:4]): p.read_text(encoding="utf-8") for p in (SCHEMA_DIR / "postgres").glob("*.sql")}


def migration_script(db, number: int) -> str:
    if getattr(db, "dialect", "sqlite") == "postgres" and number in POSTGRES_OVERRIDES:
        return POSTGRES_OVERRIDES[number]
    return MIGRATIONS[number - 1]

# Python steps that complete a migration inside its transaction, for what SQL cannot do
# (hashing the rows already there): "module:function", called with the database,
# imported only when its migration runs.
FOLLOW_UPS: dict[int, str] = {
    12: "surveys.results.integrity:seal_existing",
    15: "surveys.results.rate_counts:store_existing",
    16: "surveys.results.stored_scores:store_existing",
}


def _run_follow_up(db: sqlite_utils.Database, number: int) -> None:
    if number in FOLLOW_UPS:
        module, function = FOLLOW_UPS[number].split(":")
        getattr(importlib.import_module(module), function)(db)


def _statements(script: str) -> list[str]:
    without_comments = "\n".join(line for line in script.splitlines() if not line.lstrip().startswith("--"))
    return [s for s in without_comments.split(";") if s.strip()]


def schema_version(db: sqlite_utils.Database) -> int:
    return db.conn.execute("PRAGMA user_version").fetchone()[0]


def migrate(db: sqlite_utils.Database) -> int:
    """Apply every migration newer than the database; return the new version.

    Each migration and its version bump commit together, so a crash never
    leaves a half-applied schema.
    """
    current = schema_version(db)
    for number in range(current + 1, len(MIGRATIONS) + 1):
        script = migration_script(db, number)
        db.conn.execute("BEGIN IMMEDIATE")
        try:
            if schema_version(db) >= number:  # another process got there first
                db.conn.execute("ROLLBACK")
                continue
            for statement in _statements(script):
                db.conn.execute(statement)
            if hasattr(db.conn, "refresh_views"):
                db.conn.refresh_views()
            _run_follow_up(db, number)
            db.conn.execute(f"PRAGMA user_version = {number}")
            db.conn.execute("COMMIT")
        except BaseException:
            db.conn.execute("ROLLBACK")
            raise
    return schema_version(db)
