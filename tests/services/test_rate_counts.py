"""The counts behind the response-based standard rates, stored with every finalisation (issue 16
item 2): what a city office ranks counties by without reading a response. They equal the county's
own rates of that round (surveys/reports/rates.py), are kept per finalisation, filled in for
finalisations made before migration 15, and recomputed by verify."""
import pytest

from conftest import ADMIN_ACTOR, DISCIPLINE_ACTOR, make_world
from test_finalise import run_round
from scoring import rates as standard
from surveys.reports import rates
from surveys.results import exclusions, finalise, integrity, rate_counts
from surveys.storage import migrations
from surveys.storage.db import connect


def stored_rows(db, finalisation_id: int) -> dict[tuple[str, str], tuple]:
    frame = rate_counts.stored(db, finalisation_id)
    return {(r.scope, r.unit): tuple(int(getattr(r, c)) for c in standard.RESPONSE_COUNTS)
            for r in frame.itertuples(index=False)}


def current_finalisation(db, round_name: str) -> int:
    return db.execute("SELECT id FROM finalisations WHERE round = ? AND is_current = 1", [round_name]).fetchone()[0]


def test_stored_counts_equal_the_countys_own_rates_of_each_round(demo_copy):
    table = rates.rate_table(demo_copy)
    finalised = list(demo_copy.query("SELECT id, round FROM finalisations WHERE is_current = 1 ORDER BY round"))
    assert len(finalised) >= 4
    for row in finalised:
        own = table[(table["period"] == row["round"]) & table["scope"].isin([standard.AGENCY, standard.COUNTY])]
        expected = {(r["scope"], r["unit"]): tuple(int(r[c]) for c in standard.RESPONSE_COUNTS)
                    for r in own.to_dict("records") if r["invited"] or r["responses"]}
        assert stored_rows(demo_copy, row["id"]) == expected, row["round"]
        county = expected[(standard.COUNTY, standard.COUNTY)]
        assert county[0] > 0 and county[2] > county[0]  # several agencies per enterprise: not a sum of agencies


@pytest.fixture
def finalised_world(db):
    """FGW rated 5, 5, 4, 3, 2, 1 by six enterprises; SCJG 1, 1, 5 by the first three; a seventh chose
    FGW without answering."""
    who = make_world(db, enterprises=8, open_round=False)
    run_round(db, "2026Q1", who[:6], {"FGW": [5, 5, 4, 3, 2, 1], "SCJG": [1, 1, 5]}, close=False)
    db.execute("INSERT INTO survey_choices (round, enterprise, agency) VALUES ('2026Q1', ?, 'FGW')", [who[6].id])
    from surveys.collection import rounds
    rounds.close_round(db, ADMIN_ACTOR, "2026Q1")
    finalise.finalise_round(db, ADMIN_ACTOR, "2026Q1")
    return db


def test_counts_follow_the_definitions_of_docs_rates(finalised_world):
    rows = stored_rows(finalised_world, current_finalisation(finalised_world, "2026Q1"))
    # invited, responded, responses, good (level 4 or above), bad (level 2 or below)
    assert rows == {("agency", "FGW"): (7, 6, 6, 3, 2), ("agency", "SCJG"): (3, 3, 3, 1, 2),
                    ("county", "county"): (7, 6, 9, 4, 4)}


def test_a_refinalisation_stores_its_own_counts_and_keeps_the_earlier(finalised_world):
    db = finalised_world
    first = current_finalisation(db, "2026Q1")
    excluded = db.execute("SELECT id FROM responses WHERE agency = 'SCJG' ORDER BY id LIMIT 1").fetchone()[0]
    exclusions.exclude_response(db, DISCIPLINE_ACTOR, excluded, "duplicate")
    finalise.finalise_round(db, ADMIN_ACTOR, "2026Q1", reason="exclusion")
    second = current_finalisation(db, "2026Q1")
    assert second != first
    assert stored_rows(db, first)[("agency", "SCJG")] == (3, 3, 3, 1, 2)
    assert stored_rows(db, second)[("agency", "SCJG")] == (3, 2, 2, 1, 1)  # invited still, not counted
    assert integrity.verify(db).ok


def test_verify_names_a_stored_count_changed_by_hand(finalised_world):
    db = finalised_world
    fid = current_finalisation(db, "2026Q1")
    db.execute("UPDATE finalisation_rate_counts SET good_responses = good_responses + 1"
               " WHERE finalisation_id = ? AND unit IN ('FGW', 'county')", [fid])
    found = {(m.check, m.agency) for m in integrity.verify(db).mismatches}
    assert found == {("rate_counts", "FGW"), ("rate_counts", None)}


def test_finalisations_made_before_migration_15_get_their_counts(demo_path, monkeypatch):
    before = connect(demo_path)
    expected = {fid: stored_rows(before, fid) for (fid,) in before.execute("SELECT id FROM finalisations")}
    before.conn.execute("DROP TABLE finalisation_rate_counts")
    before.conn.execute("PRAGMA user_version = 14")
    before.close()
    monkeypatch.setattr(migrations, "MIGRATIONS", migrations.MIGRATIONS[:15])
    migrated = connect(demo_path)  # migration 15 and its Python step
    assert migrations.schema_version(migrated) == 15
    assert {fid: stored_rows(migrated, fid) for fid in expected} == expected and expected
    assert integrity.verify(migrated).ok
