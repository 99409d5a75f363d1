"""The test suite on PostgreSQL (issue 16): ``QIPING_TEST_DATABASE_URL=postgresql://…/postgres``
runs every test with each database file it names turned into a PostgreSQL database of its own
(QIPING_DATABASE_PER_FILE), copied from a migrated template; what a test made is dropped after it."""
from __future__ import annotations

import os

import psycopg

TEST_DATABASE_URL = os.environ.get("QIPING_TEST_DATABASE_URL") or None


def use_postgres() -> None:
    os.environ["QIPING_DATABASE_URL"] = TEST_DATABASE_URL
    os.environ["QIPING_DATABASE_PER_FILE"] = "1"


def _address(path):
    from surveys.storage import postgres
    return postgres.address(TEST_DATABASE_URL, path, per_file=True)


def copy_database(source_path, target_path):
    from surveys.storage import postgres
    postgres.copy_database(_address(source_path).dsn, _address(target_path).dsn)
    return target_path


def test_databases() -> set[str]:
    with psycopg.connect(TEST_DATABASE_URL, autocommit=True) as raw:
        return {r[0] for r in raw.execute("SELECT datname FROM pg_database WHERE datname LIKE 'q\\_%'")}


def drop_databases(names) -> None:
    from psycopg import sql
    with psycopg.connect(TEST_DATABASE_URL, autocommit=True) as raw:
        for name in names:
            raw.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def storage_env() -> dict[str, str]:
    """The variables that send a subprocess to the same back-end as the test (none on SQLite)."""
    return {k: os.environ[k] for k in ("QIPING_DATABASE_URL", "QIPING_DATABASE_PER_FILE") if k in os.environ}
