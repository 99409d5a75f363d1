"""PostgreSQL as the server back-end (DESIGN §7, issue 16 item 3).

The translation is checked everywhere; what needs a server runs when the suite runs on PostgreSQL
(QIPING_TEST_DATABASE_URL, the second pass of ./test.sh): each county a schema apart, one write lock
and one sign-in lock-out shared by every process, rounds closed once when several processes check,
and a process's pool of connections."""
from __future__ import annotations

import subprocess
import sys
import threading
import uuid
from pathlib import Path

import pytest

from surveys.core.errors import StorageBusy
from surveys.storage import db as database
from surveys.storage import dialect, migrations
from tests import pg_support
from tests.conftest import ADMIN_ACTOR

ROOT = Path(__file__).resolve().parents[2]
on_postgres = pytest.mark.skipif(not pg_support.TEST_DATABASE_URL,
                                 reason="needs the suite's PostgreSQL server (QIPING_TEST_DATABASE_URL)")


def test_a_glob_check_becomes_a_regular_expression():
    translated = dialect.to_postgres("CREATE TABLE r (name TEXT CHECK (name GLOB '[0-9][0-9]Q[1-4]*'))")
    assert "name ~ '^[0-9][0-9]Q[1-4].*$'" in translated


def test_insert_or_ignore_and_sqlite_truth_are_said_the_postgresql_way():
    assert dialect.to_postgres("INSERT OR IGNORE INTO t (a) VALUES (?)").endswith("ON CONFLICT DO NOTHING")
    condition = dialect.to_postgres("SELECT count(*) FROM t WHERE active AND x = ?")
    assert "COALESCE(NOT CAST(active AS TEXT) IN ('0', '0.0', 'false', ''), FALSE) AND x = %s" in condition
    assert "'a%%'" in dialect.to_postgres("SELECT 1 FROM t WHERE a LIKE 'a%' AND b = ?")
    assert "'a%'" in dialect.to_postgres("SELECT 1 FROM t WHERE a LIKE 'a%'", with_parameters=False)


def test_every_migration_translates_or_has_a_postgresql_override():
    names = sorted(p.name for p in migrations.SCHEMA_DIR.glob("*.sql"))
    for override in (migrations.SCHEMA_DIR / "postgres").glob("*.sql"):
        assert override.name in names, f"{override.name} overrides no migration"
    for number, script in enumerate(migrations.MIGRATIONS, start=1):
        if number in migrations.POSTGRES_OVERRIDES:
            continue
        for statement in migrations._statements(script):
            if not statement.strip().upper().startswith("PRAGMA"):
                assert dialect.to_postgres(statement, with_parameters=False), (number, statement)


@pytest.fixture
def shared_server(monkeypatch):
    """The deployment's way, not the suite's: one database, each county a schema in it, pooled."""
    name = f"q_shared_{uuid.uuid4().hex[:12]}"
    url = pg_support.TEST_DATABASE_URL.rsplit("/", 1)[0] + f"/{name}"
    monkeypatch.setenv("QIPING_DATABASE_URL", url)
    monkeypatch.delenv("QIPING_DATABASE_PER_FILE", raising=False)
    yield url
    from surveys.storage import postgres
    for where in [w for w in postgres._POOLS if w.dsn == url]:
        postgres._POOLS.pop(where).close()
    database._PREPARED.difference_update({w for w in database._PREPARED if w.dsn == url})
    pg_support.drop_databases([name])


@on_postgres
def test_each_county_is_a_schema_of_its_own(shared_server, tmp_path):
    alpha, beta = database.connect(tmp_path / "alpha.db"), database.connect(tmp_path / "beta.db")
    alpha["agencies"].insert({"code": "FGW", "name_zh": "发改委", "name_en": "DRC", "category": "approval"})
    assert alpha.execute("SELECT count(*) FROM agencies").fetchone()[0] == 1
    assert beta.execute("SELECT count(*) FROM agencies").fetchone()[0] == 0
    assert alpha.execute("SELECT current_schema()").fetchone()[0] == "alpha"
    assert beta.execute("SELECT current_schema()").fetchone()[0] == "beta"
    alpha.close()
    beta.close()


@on_postgres
def test_a_process_keeps_a_few_connections_and_returns_them_clean(shared_server, tmp_path, monkeypatch):
    monkeypatch.setenv("QIPING_DATABASE_POOL", "3")
    path = tmp_path / "pooled.db"
    first = database.connect(path)
    first.conn.execute("BEGIN")
    first["agencies"].insert({"code": "FGW", "name_zh": "发改委", "name_en": "DRC", "category": "approval"})
    first.close()  # left in a transaction: rolled back on its way to the pool
    connections = [database.connect(path) for _ in range(3)]
    assert all(c.execute("SELECT count(*) FROM agencies").fetchone()[0] == 0 for c in connections)
    for c in connections:
        c.close()
    for _ in range(20):
        database.connect(path).close()
    for _ in range(20):  # as a page leaves its script run's connection: back to the pool when collected
        database.connect(path).execute("SELECT 1")
    again = database.connect(path)
    backends = again.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()").fetchone()[0]
    again.close()
    assert backends <= 3 + 1  # the pool's three and the server connection that creates databases


@on_postgres
def test_one_write_lock_for_every_connection(db, tmp_path, monkeypatch):
    """As SQLite's one writer per file: a second connection waits for the first writer, and past
    the write budget is told to try again, with nothing half-written."""
    monkeypatch.setenv("QIPING_WRITE_WAIT_SECONDS", "0.5")
    other = database.connect(tmp_path / "test.db")
    holding, release = threading.Event(), threading.Event()

    def hold():
        with database.write_transaction(db):
            db.execute("INSERT INTO settings (name, value) VALUES ('held', '1')")
            holding.set()
            release.wait(10)

    writer = threading.Thread(target=hold)
    writer.start()
    holding.wait(10)
    with pytest.raises(StorageBusy):
        with database.write_transaction(other):
            other.execute("INSERT INTO settings (name, value) VALUES ('second', '1')")
    release.set()
    writer.join()
    with database.write_transaction(other):
        other.execute("INSERT INTO settings (name, value) VALUES ('second', '1')")
    names = {r[0] for r in other.execute("SELECT name FROM settings WHERE name IN ('held', 'second')")}
    assert names == {"held", "second"}
    other.close()


def _in_another_process(code: str, path: Path) -> subprocess.CompletedProcess:
    env = {"PATH": "/usr/bin:/bin", "QIPING_HASH_COST": "test", "QIPING_DEMO": "0", "QIPING_AUTOCLOSE_SECONDS": "0",
           "QIPING_DB": str(path), **pg_support.storage_env()}
    return subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)


@on_postgres
def test_a_lock_out_earned_in_one_process_holds_in_another(db, tmp_path):
    from surveys.core.errors import SignInRefused
    from surveys.participants import accounts

    accounts.create_staff(db, ADMIN_ACTOR, "chief", "a strong password", "admin")
    wrong = ("from surveys.storage.db import connect\nfrom surveys.participants import accounts\n"
             "db = connect()\nfor _ in range(accounts.MAX_FAILURES):\n"
             "    try: accounts.sign_in_staff(db, 'chief', 'wrong', 'phone')\n    except Exception: pass\n")
    result = _in_another_process(wrong, tmp_path / "test.db")
    assert result.returncode == 0, result.stderr
    with pytest.raises(SignInRefused):
        accounts.sign_in_staff(db, "chief", "a strong password", "phone")
    assert accounts.sign_in_staff(db, "chief", "a strong password", "desk").id == "chief"


@on_postgres
def test_two_processes_close_a_due_round_once(db, tmp_path):
    from surveys.collection import rounds
    from surveys.core import clock

    rounds.create_round(db, ADMIN_ACTOR, "2026Q4", "2026-10-01", "2026-11-10")
    rounds.start_round(db, ADMIN_ACTOR, "2026Q4")
    check = ("from surveys.core import clock\nfrom datetime import datetime\n"
             f"clock.freeze(datetime.fromisoformat({clock.now().isoformat()!r}))\n"
             "from surveys.collection import autoclose\nprint(autoclose.close_due_rounds(autoclose.database.database_path()))\n")
    env_path = tmp_path / "test.db"
    processes = [subprocess.Popen([sys.executable, "-c", check], cwd=ROOT, text=True, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE,
                                  env={"PATH": "/usr/bin:/bin", "QIPING_DB": str(env_path), "QIPING_DEMO": "0",
                                       **pg_support.storage_env()}) for _ in range(2)]
    outputs = [p.communicate(timeout=120) for p in processes]
    assert all(p.returncode == 0 for p in processes), outputs
    assert sorted(out.strip() for out, _ in outputs) == ["['2026Q4']", "[]"]
    assert db.execute("SELECT status FROM rounds WHERE name = '2026Q4'").fetchone()[0] == "closed"
    audited = db.execute("SELECT count(*) FROM audit_log WHERE target = '2026Q4' AND action LIKE '%close%'").fetchone()[0]
    assert audited == 1


def test_on_postgresql_a_file_backup_is_refused_with_the_servers_own_tools_named(monkeypatch, tmp_path):
    from surveys.core.errors import InvalidInput
    from surveys.storage import backup

    monkeypatch.setenv("QIPING_DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none")
    for attempt in (lambda: backup.backup_database(tmp_path / "a.db", tmp_path / "b.db"),
                    lambda: backup.restore_database(tmp_path / "b.db", tmp_path / "a.db")):
        with pytest.raises(InvalidInput) as refused:
            attempt()
        assert "pg_dump" in refused.value.message("en")
