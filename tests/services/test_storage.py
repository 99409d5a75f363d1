"""The database itself: pragmas, migrations, and constraints that hold even
when code forgets to check."""
import re
import sqlite3
from pathlib import Path

import pytest

from surveys.storage.db import connect, write_transaction
from surveys.storage.migrations import MIGRATIONS, migrate, schema_version


@pytest.mark.sqlite_only
def test_new_database_is_migrated_with_wal_and_foreign_keys(tmp_path):
    db = connect(tmp_path / "x.db")
    assert schema_version(db) == len(MIGRATIONS)
    assert db.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert db.conn.execute("PRAGMA busy_timeout").fetchone()[0] >= 5000
    assert {"agencies", "enterprises", "staff", "rounds", "questionnaires", "responses",
            "response_ratings", "audit_log"} <= set(db.table_names())


def test_migrating_twice_changes_nothing(tmp_path):
    db = connect(tmp_path / "x.db")
    before = list(db.conn.iterdump())
    assert migrate(db) == len(MIGRATIONS)
    assert list(db.conn.iterdump()) == before


def test_database_path_comes_from_environment(tmp_path, monkeypatch):
    from surveys.storage.db import database_path
    monkeypatch.setenv("QIPING_DB", str(tmp_path / "elsewhere.db"))
    assert database_path() == tmp_path / "elsewhere.db"
    monkeypatch.delenv("QIPING_DB")
    assert database_path().name == "qiping.db"


def _seed(db):
    db.execute("INSERT INTO agencies (code, name_zh, name_en, category) VALUES ('FGW', 'x', 'x', 'approval')")
    db.execute("INSERT INTO enterprises (uscc, name) VALUES ('91350100M000100Y43', 'e')")
    db.execute("INSERT INTO rounds (name, status, created_at) VALUES ('2026Q4', 'open', 'now')")


def test_one_response_per_round_enterprise_agency_is_a_constraint(db):
    _seed(db)
    insert = ("INSERT INTO responses (round, enterprise, agency, created_at, updated_at)"
              " VALUES ('2026Q4', '91350100M000100Y43', 'FGW', 'now', 'now')")
    db.execute(insert)
    with pytest.raises(sqlite3.IntegrityError):
        db.execute(insert)


def test_foreign_keys_refuse_a_response_to_an_unknown_agency(db):
    _seed(db)
    with pytest.raises(sqlite3.IntegrityError):
        db.execute("INSERT INTO responses (round, enterprise, agency, created_at, updated_at)"
                   " VALUES ('2026Q4', '91350100M000100Y43', 'NOPE', 'now', 'now')")


def test_rating_outside_one_to_five_is_refused_by_the_schema(db):
    _seed(db)
    db.execute("INSERT INTO responses (id, round, enterprise, agency, created_at, updated_at)"
               " VALUES (1, '2026Q4', '91350100M000100Y43', 'FGW', 'now', 'now')")
    with pytest.raises(sqlite3.IntegrityError):
        db.execute("INSERT INTO response_ratings (response_id, item, rating) VALUES (1, 'speed', 6)")


def test_write_transaction_rolls_back_everything_on_error(db):
    with pytest.raises(RuntimeError):
        with write_transaction(db):
            db.execute("INSERT INTO agencies (code, name_zh, name_en, category) VALUES ('A', 'a', 'a', 'x')")
            db["agencies"].insert({"code": "B", "name_zh": "b", "name_en": "b", "category": "x"})
            raise RuntimeError("boom")
    assert db.execute("SELECT count(*) FROM agencies").fetchone()[0] == 0


def test_a_questionnaire_file_never_overwrites_a_version_in_the_database(db, tmp_path, caplog):
    import json as _json

    from surveys.collection import questionnaire
    db.execute("UPDATE questionnaires SET definition = ? WHERE version = 1", [_json.dumps([{"code": "x"}])])
    questionnaire.sync_questionnaires(db)
    assert _json.loads(db.execute("SELECT definition FROM questionnaires WHERE version = 1").fetchone()[0]) == [
        {"code": "x"}]
    assert "exists with other items" in caplog.text


def test_a_failed_commit_is_rolled_back_and_the_connection_stays_usable(db):
    """COMMIT itself can fail: here a foreign key checked only at COMMIT (deferred) is broken.

    Nothing of the transaction may stay behind, neither the valid row nor the
    broken one, and the next write on the same connection must work.
    """
    _seed(db)
    before = db.execute("SELECT count(*) FROM agencies").fetchone()[0]
    with pytest.raises(sqlite3.IntegrityError):
        with write_transaction(db):
            db.execute("PRAGMA defer_foreign_keys = ON")  # foreign keys checked at COMMIT only
            db.execute("INSERT INTO agencies (code, name_zh, name_en, category) VALUES ('OK', 'a', 'a', 'x')")
            db.execute("INSERT INTO responses (id, round, enterprise, agency, created_at, updated_at)"
                       " VALUES (7, '2026Q4', '91350100M000100Y43', 'NO-SUCH-AGENCY', 'now', 'now')")
    assert not db.conn.in_transaction
    assert db.execute("SELECT count(*) FROM agencies").fetchone()[0] == before
    assert db.execute("SELECT count(*) FROM responses WHERE id = 7").fetchone()[0] == 0
    with write_transaction(db):
        db.execute("INSERT INTO agencies (code, name_zh, name_en, category) VALUES ('NEXT', 'n', 'n', 'x')")
    assert db.execute("SELECT count(*) FROM agencies").fetchone()[0] == before + 1


def test_code_sql_uses_forms_postgresql_accepts_too():
    """ON CONFLICT rather than INSERT OR IGNORE/REPLACE, no GLOB (DESIGN §7: one adapter away).
    Shipped migrations are history and stay as they were."""
    sources = [*Path(__file__).resolve().parents[2].joinpath("surveys").rglob("*.py"),
               *sorted(Path(__file__).resolve().parents[2].joinpath("surveys", "schema").glob("*.sql"))[5:]]  # after the five shipped ones
    sqlite_only = re.compile(r"\bINSERT\s+OR\s+(IGNORE|REPLACE)\b|\bREPLACE\s+INTO\b|\bGLOB\b")
    translator = Path(__file__).resolve().parents[2] / "surveys" / "storage" / "dialect.py"  # it names them to translate them
    assert [p.name for p in sources if p != translator and sqlite_only.search(p.read_text(encoding="utf-8"))] == []


@pytest.mark.sqlite_only
def test_an_agencys_responses_are_counted_from_its_own_index_entries(tmp_path):
    # migration 16: without table statistics SQLite answered "round = ? AND agency = ?" from the
    # (round, enterprise, agency) key, reading all of a round's entries (issue 16: 60 ms a case at
    # province size); the plan of privacy.py's count must name the agency's index
    from surveys.results import privacy
    db = connect(tmp_path / "x.db")
    query = (f"SELECT r.round, r.agency, count(*) FROM responses r WHERE {privacy.counted_condition('r')}"
             " AND r.round = ? AND r.agency = ? GROUP BY r.round, r.agency")
    plan = " ".join(row[3] for row in db.conn.execute(f"EXPLAIN QUERY PLAN {query}", ["2026Q1", "FGW"]))
    assert "responses_agency_round (agency=? AND round=?)" in plan, plan
    alone = query.replace(" AND r.round = ?", "")
    plan = " ".join(row[3] for row in db.conn.execute(f"EXPLAIN QUERY PLAN {alone}", ["FGW"]))
    assert "responses_agency_round (agency=?)" in plan, plan
