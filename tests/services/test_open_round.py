"""The round in progress' counted responses kept in the process (surveys/results/open_round.py, issue 16):
after every kind of write — a new answer, a revised one, a withdrawn one, an answer taking a withdrawn
one's id — what is kept equals counting the round afresh, and so do the rates and response counts
the county overview shows."""
import pandas as pd

from conftest import DISCIPLINE_ACTOR, FULL
from test_finalised_cache import OPEN, an_unanswered_pair, whole
from surveys.collection import responses
from surveys.collection import rounds
from surveys.core.actors import ENTERPRISE, Actor
from surveys.reports import rates
from surveys.results import dashboards
from surveys.results import open_round


def check_same_as_afresh(db) -> pd.DataFrame:
    row = rounds.get_round(db, OPEN)
    kept = open_round.counted_scores(db, row)
    pd.testing.assert_frame_equal(kept, open_round._scored(db, row).reset_index(drop=True))
    pd.testing.assert_frame_equal(rates.rate_table(db, rates.ROUND), whole(db, rates.ROUND))
    shown = dashboards.county_response_rates(db, DISCIPLINE_ACTOR).set_index("round").loc[OPEN]
    assert (shown["responses"], shown["enterprises"]) == tuple(dashboards._response_counts(db, [OPEN])[0][1:])
    return kept


def test_what_is_kept_follows_every_write_of_the_round(demo_db, monkeypatch):
    scored = []
    real = open_round._scored
    monkeypatch.setattr(open_round, "_scored", lambda db, row, extra="", params=(): scored.append(len(params))
                        or real(db, row, extra, params))
    first = check_same_as_afresh(demo_db)
    firm, agency = an_unanswered_pair(demo_db)
    enterprise = Actor(ENTERPRISE, firm)
    scored.clear()
    responses.save_response(demo_db, enterprise, OPEN, agency, FULL, "")
    added = check_same_as_afresh(demo_db)
    assert len(added) == len(first) + 1
    # what is kept read the new answer alone (one id); the rates and response counts read nothing more;
    # the 0 is this test's own count afresh
    assert scored == [1, 0]
    responses.save_response(demo_db, enterprise, OPEN, agency, {item: 1 for item in FULL}, "")
    revised = check_same_as_afresh(demo_db)
    new_id = set(added["id"]) - set(first["id"])
    assert added.set_index("id").loc[list(new_id), "score"].iloc[0] != \
        revised.set_index("id").loc[list(new_id), "score"].iloc[0]
    responses.withdraw_response(demo_db, enterprise, OPEN, agency)
    assert len(check_same_as_afresh(demo_db)) == len(first)
    other_firm, other_agency = an_unanswered_pair(demo_db)
    responses.save_response(demo_db, Actor(ENTERPRISE, other_firm), OPEN, other_agency, FULL, "")
    assert len(check_same_as_afresh(demo_db)) == len(first) + 1  # may take the withdrawn answer's id


def test_a_change_of_results_version_counts_the_round_afresh(demo_db, monkeypatch):
    check_same_as_afresh(demo_db)
    monkeypatch.setattr(dashboards, "results_version", lambda db: "another")
    read = []
    real = open_round._read_round
    monkeypatch.setattr(open_round, "_read_round", lambda db, row: read.append(row["name"]) or real(db, row))
    open_round.counted_scores(demo_db, rounds.get_round(demo_db, OPEN))
    assert read == [OPEN]  # the whole round read again
