"""Shared fixtures: a real SQLite database per test, and the demo county."""
from __future__ import annotations

import os
import sqlite3

import pytest

# The suite hashes hundreds of access codes: argon2 at its lowest cost here
# (production cost is checked in test_accounts). No test relies on demo mode.
os.environ["QIPING_HASH_COST"] = "test"
os.environ.setdefault("QIPING_DEMO", "0")
# Rounds are closed by the tests that mean to, not by a background thread mid-test.
os.environ["QIPING_AUTOCLOSE_SECONDS"] = "0"

from datetime import datetime  # noqa: E402

from tests import pg_support  # noqa: E402

if pg_support.TEST_DATABASE_URL:
    pg_support.use_postgres()

from surveys import startup
from surveys.core import clock
from surveys.demo import county as demo  # noqa: E402
from surveys.core.actors import ADMIN, AGENCY, DISCIPLINE, ENTERPRISE, Actor  # noqa: E402
from surveys.storage.db import connect  # noqa: E402

ADMIN_ACTOR = Actor(role=ADMIN, id="admin", name="admin")
DISCIPLINE_ACTOR = Actor(role=DISCIPLINE, id="discipline", name="discipline")
AGENCY_ACTOR = Actor(role=AGENCY, id="fgw", name="FGW", agency_code="FGW")


# Every test runs at this county moment unless it pins another: no test depends on the
# day it runs. A Friday in 2026Q4, a year chinese-calendar knows; the demo county built
# now has 2024Q4–2026Q3 finished and 2026Q4 open (closing 2026-12-31).
PINNED_NOW = datetime(2026, 11, 20, 10, 0, tzinfo=clock.COUNTY_TIME)


@pytest.fixture(autouse=True)
def _pinned_clock():
    clock.freeze(PINNED_NOW)
    yield
    clock.freeze(None)


@pytest.fixture
def loopback():
    """Streamlit set to listen on this computer only, as ./run.sh starts the demo (a demo on
    every interface serves nothing: surveys/demo/guard.py)."""
    from streamlit import config
    previous = config.get_option("server.address")
    config.set_option("server.address", "127.0.0.1")
    yield
    config.set_option("server.address", previous)


@pytest.fixture(scope="session")
def empty_template(tmp_path_factory):
    """An empty database migrated once for the run: each test's copy skips the migrations."""
    path = tmp_path_factory.mktemp("empty") / "empty.db"
    clock.freeze(PINNED_NOW)
    database = startup.prepare(path)
    database.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    database.close()
    pg_support.keep(path)
    return path


@pytest.fixture
def db(empty_template, tmp_path):
    """An empty, migrated database with the questionnaire versions loaded."""
    database = startup.prepare(copy_database(empty_template, tmp_path / "test.db"))
    yield database
    database.close()


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory):
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    clock.freeze(PINNED_NOW)
    database = startup.prepare(path)
    demo.build_demo_county(database)
    database.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    database.close()
    pg_support.keep(path)
    return path


def pytest_sessionfinish(session, exitstatus):
    pg_support.end_run()


def pytest_collection_modifyitems(config, items):
    if pg_support.TEST_DATABASE_URL:
        skip = pytest.mark.skip(reason="SQLite's own (files, backup API, locks): not run on PostgreSQL")
        for item in items:
            if item.get_closest_marker("sqlite_only"):
                item.add_marker(skip)


@pytest.fixture(autouse=True, scope="module")
def _drop_test_databases():
    """On PostgreSQL, the databases a module's tests made are dropped after it (hundreds would fill the
    disk); after the module, not each test, since a module's server keeps what it made in one test."""
    if not pg_support.TEST_DATABASE_URL:
        yield
        return
    before = pg_support.test_databases()
    yield
    pg_support.drop_databases(pg_support.test_databases() - before - pg_support.KEPT)


def copy_database(source_path, target_path):
    """A consistent copy through SQLite's backup API (the template may be open elsewhere)."""
    if pg_support.TEST_DATABASE_URL:
        return pg_support.copy_database(source_path, target_path)
    source, target = sqlite3.connect(source_path), sqlite3.connect(target_path)
    source.backup(target)
    source.close()
    target.close()
    return target_path


@pytest.fixture
def demo_path(demo_template, tmp_path):
    """A private copy of the demo county database file."""
    return copy_database(demo_template, tmp_path / "demo.db")


@pytest.fixture(scope="module")
def demo_copy(demo_template, tmp_path_factory):
    """One copy of the demo county shared by a module's tests that only read it."""
    database = connect(copy_database(demo_template, tmp_path_factory.mktemp("module") / "demo.db"))
    yield database
    database.close()


def open_page(script, database_path, monkeypatch, actor=None, timeout: float = 30, **state):
    """A page run once as ``actor`` (the administrator by default) on the database at
    ``database_path``, with ``state`` in its session (``lang="en"``); it must not show an exception."""
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("QIPING_DB", str(database_path))
    return run_page(script, actor or ADMIN_ACTOR, timeout, **state)


def run_page(script, actor, timeout: float = 30, **state):
    """A page run once as ``actor`` on the database QIPING_DB names, with ``state`` in its session;
    it must not show an exception."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(script), default_timeout=timeout)
    at.session_state["actor"] = actor
    for key, value in state.items():
        at.session_state[key] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.fixture
def demo_db(demo_path):
    database = connect(demo_path)
    yield database
    database.close()


def enterprise_actor(uscc: str) -> Actor:
    return Actor(role=ENTERPRISE, id=uscc, name=uscc)


def dump(database) -> list[str]:
    """Every row of every table, to show that a refused operation changed nothing."""
    return list(database.conn.iterdump())


def make_world(db, enterprises: int = 3, open_round: bool = True):
    """Two agencies, some enterprises, and (unless told not to) round 2026Q4 open, closing far ahead."""
    from surveys.collection import rounds
    from surveys.participants.uscc import make_uscc

    db["agencies"].insert_all([
        {"code": "FGW", "name_zh": "县发展改革委", "name_en": "DRC", "category": "approval"},
        {"code": "SCJG", "name_zh": "县市场监管局", "name_en": "Market Supervision", "category": "approval"},
    ])
    usccs = [make_uscc(f"91511022MA{i:07d}") for i in range(1, enterprises + 1)]
    db["enterprises"].insert_all([{"uscc": u, "name": f"企业{i}"} for i, u in enumerate(usccs, 1)])
    if open_round:
        rounds.create_round(db, ADMIN_ACTOR, "2026Q4", "2026-11-01", "2099-12-31")
        rounds.start_round(db, ADMIN_ACTOR, "2026Q4")
    return [enterprise_actor(u) for u in usccs]


FULL = {"efficiency": 5, "attitude": 4, "lawfulness": 4, "integrity": 5, "convenience": 3}


@pytest.fixture
def world(db):
    return make_world(db)
