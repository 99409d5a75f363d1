"""Each response's score stored by the transaction that saves it (surveys/results/stored_scores.py,
migration 16; issue 16 item 5): after every kind of write — a new answer, a revised one, a withdrawn
one, an answer taking a withdrawn one's id, an exclusion, a change of the county's rules — the
stored scores that stand equal scoring the round's ratings afresh, exactly, and the round in
progress is read from them without pivoting its ratings."""
import json

import pandas as pd

from conftest import ADMIN_ACTOR, FULL
from test_finalised_cache import OPEN, an_unanswered_pair
from surveys.collection import responses
from surveys.collection import rounds
from surveys.core.actors import ENTERPRISE, Actor
from surveys.results import exclusions
from surveys.results import finalise
from surveys.results import open_round
from surveys.results import stored_scores
from surveys.storage import migrations
from surveys.storage.db import connect, write_transaction


def standing(db) -> pd.Series:
    """The stored scores that stand (the response's revision, today's rules) of the open round's
    counted responses, by id."""
    row = rounds.get_round(db, OPEN)
    key = stored_scores.rules_key(*stored_scores.round_rules(db, row))
    rows = db.execute(
        """SELECT s.response_id, s.score FROM response_scores s JOIN responses r ON r.id = s.response_id
           WHERE r.round = ? AND s.revision = r.revision AND s.rules = ?""", [OPEN, key]).fetchall()
    return pd.Series({i: float("nan") if s is None else s for i, s in rows}, dtype=float).sort_index()


def check_equal_to_a_recount(db) -> pd.Series:
    """Every counted response has a standing stored score, equal to scoring its ratings afresh."""
    afresh = open_round._scored(db, rounds.get_round(db, OPEN))["score"].sort_index()
    stored = standing(db)
    assert set(afresh.index) <= set(stored.index)
    pd.testing.assert_series_equal(stored.loc[afresh.index], afresh, check_names=False, check_index_type=False)
    return afresh


def read_without_pivot(db, monkeypatch) -> pd.DataFrame:
    scored = []
    real = open_round._scored
    monkeypatch.setattr(open_round, "_scored", lambda *a, **k: scored.append(a) or real(*a, **k))
    _responses, scores = open_round._read_round(db, rounds.get_round(db, OPEN))
    monkeypatch.setattr(open_round, "_scored", real)
    assert scored == []  # every counted response's score came stored
    return scores


def test_stored_scores_equal_a_recount_after_every_kind_of_write(demo_db, monkeypatch):
    first = check_equal_to_a_recount(demo_db)
    assert len(first) > 100  # the demo's open round: stored when the demo county was built
    firm, agency = an_unanswered_pair(demo_db)
    enterprise = Actor(ENTERPRISE, firm)
    responses.save_response(demo_db, enterprise, OPEN, agency, FULL, "")
    added = check_equal_to_a_recount(demo_db)
    assert len(added) == len(first) + 1
    responses.save_response(demo_db, enterprise, OPEN, agency, {item: 1 for item in FULL}, "")
    new_id = (set(added.index) - set(first.index)).pop()
    revised = check_equal_to_a_recount(demo_db)
    assert revised[new_id] == 0.0 and added[new_id] == 80.0
    partial = dict(list(FULL.items())[:2])
    with write_transaction(demo_db):  # a partly answered paper form, as paper returns store it
        responses.store_response(demo_db, OPEN, firm, agency, partial, "", "paper")
    check_equal_to_a_recount(demo_db)
    responses.withdraw_response(demo_db, enterprise, OPEN, agency)
    assert demo_db.execute("SELECT count(*) FROM response_scores WHERE response_id = ?", [new_id]).fetchone()[0] == 0
    assert len(check_equal_to_a_recount(demo_db)) == len(first)
    other, other_agency = an_unanswered_pair(demo_db)
    responses.save_response(demo_db, Actor(ENTERPRISE, other), OPEN, other_agency, {item: 2 for item in FULL}, "")
    assert len(check_equal_to_a_recount(demo_db)) == len(first) + 1  # may take the withdrawn answer's id
    excluded = int(first.index[0])
    exclusions.exclude_response(demo_db, ADMIN_ACTOR, excluded, "test: a duplicate")
    after = check_equal_to_a_recount(demo_db)
    assert excluded not in after.index
    scores = read_without_pivot(demo_db, monkeypatch)
    pd.testing.assert_series_equal(scores["score"], after, check_names=False, check_index_type=False)


def test_a_change_of_rules_scores_afresh_until_saves_store_again(demo_db, monkeypatch):
    before = check_equal_to_a_recount(demo_db)
    config = {**finalise.county_config(demo_db).to_dict(), "points_per_level": 20.0}
    with demo_db.conn:
        demo_db.execute("INSERT INTO settings (name, value) VALUES ('scoring_config', ?)"
                        " ON CONFLICT (name) DO UPDATE SET value = excluded.value", [json.dumps(config)])
    assert standing(demo_db).empty  # stored under the old rules: none stands
    _responses, scores = open_round._read_round(demo_db, rounds.get_round(demo_db, OPEN))
    afresh = open_round._scored(demo_db, rounds.get_round(demo_db, OPEN))
    pd.testing.assert_frame_equal(scores, afresh)
    assert (scores["score"].dropna() <= 80.0).all() and not before.equals(scores["score"])
    firm, agency = an_unanswered_pair(demo_db)
    responses.save_response(demo_db, Actor(ENTERPRISE, firm), OPEN, agency, FULL, "")
    assert list(standing(demo_db)) == [64.0]  # the new answer's, under today's rules


def test_migration_16_stores_the_scores_of_rounds_in_progress(demo_path, monkeypatch):
    before = connect(demo_path)
    expected = check_equal_to_a_recount(before)
    before.conn.execute("DROP TABLE response_scores")
    before.conn.execute("DROP INDEX responses_agency_round")
    before.conn.execute("PRAGMA user_version = 15")
    before.close()
    monkeypatch.setattr(migrations, "MIGRATIONS", migrations.MIGRATIONS[:16])
    migrated = connect(demo_path)  # migration 16 and its Python step
    assert migrations.schema_version(migrated) == 16
    pd.testing.assert_series_equal(check_equal_to_a_recount(migrated), expected)
    finalised = migrated.execute("SELECT count(*) FROM response_scores s JOIN responses r ON r.id = s.response_id"
                                 " JOIN rounds o ON o.name = r.round WHERE o.status IN ('finalised', 'published')")
    assert finalised.fetchone()[0] == 0  # finalisation scores its sealed inputs: nothing stored for them
