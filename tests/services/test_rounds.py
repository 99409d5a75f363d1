"""The round lifecycle as far as the foundation takes it: draft → open → closed."""
import re
import sqlite3
from pathlib import Path

import pytest

import i18n
import labels

from conftest import ADMIN_ACTOR, DISCIPLINE_ACTOR, dump
from surveys.collection import rounds
from surveys.core.errors import InvalidInput, PermissionDenied


def test_create_open_close(db):
    rounds.create_round(db, ADMIN_ACTOR, "2027q1", "2027-04-01", "2027-04-30")
    assert rounds.get_round(db, "2027Q1")["status"] == "draft"
    rounds.start_round(db, ADMIN_ACTOR, "2027Q1")
    opened = rounds.get_round(db, "2027Q1")
    assert opened["status"] == "open" and opened["questionnaire_version"] == 1
    assert rounds.open_round(db)["name"] == "2027Q1"
    rounds.close_round(db, ADMIN_ACTOR, "2027Q1")
    assert rounds.get_round(db, "2027Q1")["status"] == "closed"
    assert rounds.open_round(db) is None
    actions = [r[0] for r in db.execute("SELECT action FROM audit_log ORDER BY id")]
    assert actions == ["round.created", "round.open", "round.closed"]


@pytest.mark.parametrize("name", ["2026Q5", "26Q1", "2026-Q1", "2026Q", "Q12026", ""])
def test_round_names_must_be_year_and_quarter(db, name):
    with pytest.raises(InvalidInput) as caught:
        rounds.create_round(db, ADMIN_ACTOR, name, "2027-01-01", "2027-01-31")
    assert caught.value.key == "rounds.bad_name"
    assert db.execute("SELECT count(*) FROM rounds").fetchone()[0] == 0


def test_steps_out_of_order_are_refused_and_change_nothing(db):
    rounds.create_round(db, ADMIN_ACTOR, "2027Q1", "2027-04-01", "2027-04-30")
    before = dump(db)
    with pytest.raises(InvalidInput) as caught:
        rounds.close_round(db, ADMIN_ACTOR, "2027Q1")
    assert "草稿" in caught.value.message("zh") and "draft" in caught.value.message("en")
    assert dump(db) == before
    rounds.start_round(db, ADMIN_ACTOR, "2027Q1")
    with pytest.raises(InvalidInput):
        rounds.start_round(db, ADMIN_ACTOR, "2027Q1")


def test_only_one_round_open_at_a_time(db):
    rounds.create_round(db, ADMIN_ACTOR, "2027Q1", "2027-04-01", "2027-04-30")
    rounds.create_round(db, ADMIN_ACTOR, "2027Q2", "2027-07-01", "2027-07-31")
    rounds.start_round(db, ADMIN_ACTOR, "2027Q1")
    with pytest.raises(InvalidInput) as caught:
        rounds.start_round(db, ADMIN_ACTOR, "2027Q2")
    assert caught.value.key == "rounds.another_open"


def test_dates_are_checked(db):
    with pytest.raises(InvalidInput):
        rounds.create_round(db, ADMIN_ACTOR, "2027Q1", "2027-05-01", "2027-04-30")
    with pytest.raises(InvalidInput):
        rounds.create_round(db, ADMIN_ACTOR, "2027Q1", "not a date", "2027-04-30")
    rounds.create_round(db, ADMIN_ACTOR, "2027Q1", "2027-04-01", "2027-04-01")  # a one-day round is fine
    with pytest.raises(InvalidInput) as caught:
        rounds.create_round(db, ADMIN_ACTOR, "2027Q1", "2027-04-01", "2027-04-30")
    assert caught.value.key == "rounds.exists"


def test_only_the_administrator_runs_rounds(db):
    with pytest.raises(PermissionDenied):
        rounds.create_round(db, DISCIPLINE_ACTOR, "2027Q1", "2027-04-01", "2027-04-30")


def test_round_labels_in_both_languages():
    assert labels.round_label("2026Q4", "zh") == "2026年第四季度"
    assert labels.round_label("2026Q4", "en") == "2026 Q4"


def test_the_database_itself_refuses_a_second_open_round(db):
    """Migration 6's partial unique index: even a write that skips the service's check fails."""
    rounds.create_round(db, ADMIN_ACTOR, "2027Q1", "2027-04-01", "2027-04-30")
    rounds.create_round(db, ADMIN_ACTOR, "2027Q2", "2027-07-01", "2027-07-31")
    rounds.start_round(db, ADMIN_ACTOR, "2027Q1")
    with pytest.raises(sqlite3.IntegrityError):
        db.conn.execute("UPDATE rounds SET status = 'open' WHERE name = '2027Q2'")
    assert rounds.get_round(db, "2027Q2")["status"] == "draft"


def test_a_race_to_open_a_second_round_reads_as_the_users_message(db, monkeypatch):
    """Two administrators pass the early check at once: the index refuses the second, who is told why."""
    rounds.create_round(db, ADMIN_ACTOR, "2027Q1", "2027-04-01", "2027-04-30")
    rounds.create_round(db, ADMIN_ACTOR, "2027Q2", "2027-07-01", "2027-07-31")
    rounds.start_round(db, ADMIN_ACTOR, "2027Q1")
    before = dump(db)
    real_open_round = rounds.open_round
    calls = iter([None])  # the early check sees nothing open, as in a race; later calls are real
    monkeypatch.setattr(rounds, "open_round", lambda db: next(calls, None) or real_open_round(db))
    with pytest.raises(InvalidInput) as caught:
        rounds.start_round(db, ADMIN_ACTOR, "2027Q2")
    assert caught.value.key == "rounds.another_open"
    assert "2027Q1" in caught.value.message("zh") and "2027Q1" in caught.value.message("en")
    assert dump(db) == before
    rounds.close_round(db, ADMIN_ACTOR, "2027Q1")  # the connection is still usable
    rounds.start_round(db, ADMIN_ACTOR, "2027Q2")
    assert rounds.open_round(db)["name"] == "2027Q2"


def test_every_status_has_a_next_step_and_one_predecessor():
    assert set(rounds.NEXT_STEP_TEXT) == set(rounds.STATUSES)
    assert [rounds.PREVIOUS.get(s) for s in rounds.STATUSES] == [None, *rounds.STATUSES[:-1]]
    for status in rounds.STATUSES:
        assert i18n.t(rounds.next_steps(status), "zh") != rounds.next_steps(status)  # the key exists


def test_only_the_lifecycle_writes_a_rounds_status():
    """``rounds.set_status`` is the one writer: no other module updates ``rounds.status``."""
    writers = [path for path in (Path(__file__).resolve().parents[2] / "surveys").rglob("*.py")
               if re.search(r"UPDATE\s+rounds\s+SET\s+status", path.read_text(encoding="utf-8"))
               or re.search(r"UPDATE rounds SET \{", path.read_text(encoding="utf-8"))]
    assert [p.name for p in writers] == ["rounds.py"]
