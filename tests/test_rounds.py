"""The round lifecycle as far as the foundation takes it: draft → open → closed."""
import pytest

from conftest import ADMIN_ACTOR, DISCIPLINE_ACTOR, dump
from surveys import rounds
from surveys.errors import InvalidInput, PermissionDenied


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
    assert rounds.round_label("2026Q4", "zh") == "2026年第四季度"
    assert rounds.round_label("2026Q4", "en") == "2026 Q4"
