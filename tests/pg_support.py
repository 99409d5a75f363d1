"""The test suite on PostgreSQL (issue 16): ``QIPING_TEST_DATABASE_URL=postgresql://…/postgres``
runs every test with each database file it names turned into a PostgreSQL database of its own
(QIPING_DATABASE_PER_FILE), copied from a migrated template; what a test made is dropped after it."""
from __future__ import annotations

import os
import uuid

import psycopg

TEST_DATABASE_URL = os.environ.get("QIPING_TEST_DATABASE_URL") or None


def use_postgres() -> None:
    os.environ["QIPING_DATABASE_URL"] = TEST_DATABASE_URL
    os.environ["QIPING_DATABASE_PER_FILE"] = "1"
    os.environ.setdefault("QIPING_DATABASE_PREFIX", f"{uuid.uuid4().hex[:8]}_")


def _address(path):
    from surveys.storage import postgres
    return postgres.address(TEST_DATABASE_URL, path, per_file=True)


KEPT: set[str] = set()  # the session's databases (the demo template), dropped at the end of the run


def keep(path) -> None:
    if TEST_DATABASE_URL:
        KEPT.add(database_name(path))


def database_name(path) -> str:
    return _address(path).dsn.rsplit("/", 1)[1].split("?")[0]


def end_run() -> None:
    """This run's databases dropped (those a crash left behind included)."""
    if TEST_DATABASE_URL and os.environ.get("QIPING_DATABASE_PREFIX"):
        drop_databases(test_databases())


def copy_database(source_path, target_path):
    from surveys.storage import postgres
    postgres.copy_database(_address(source_path).dsn, _address(target_path).dsn)
    return target_path


def test_databases() -> set[str]:
    with psycopg.connect(TEST_DATABASE_URL, autocommit=True) as raw:
        prefix = "q_" + os.environ["QIPING_DATABASE_PREFIX"]
        return {r[0] for r in raw.execute("SELECT datname FROM pg_database WHERE starts_with(datname, %s)", (prefix,))}


def drop_databases(names) -> None:
    from psycopg import sql
    with psycopg.connect(TEST_DATABASE_URL, autocommit=True) as raw:
        for name in names:
            raw.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def storage_env() -> dict[str, str]:
    """The variables that send a subprocess to the same back-end as the test (none on SQLite)."""
    return {k: os.environ[k] for k in ("QIPING_DATABASE_URL", "QIPING_DATABASE_PER_FILE", "QIPING_DATABASE_PREFIX") if k in os.environ}
