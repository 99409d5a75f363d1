"""What rests on finalised rounds is counted once and kept (issue 16 item 5): the standard rates'
finalised part, the overview's response counts and a finalised round's panel scores are kept under
``dashboards.results_version``, so a saved answer recounts the round in progress only, and what is
counted in parts equals what the whole was (the rates' row-form readers, counted in one go)."""
import pandas as pd
import pytest

from conftest import ADMIN_ACTOR, DISCIPLINE_ACTOR, FULL
from scoring import rates as standard
from surveys.collection import responses
from surveys.collection import rounds
from surveys.core.actors import AGENCY, ENTERPRISE, Actor
from surveys.reports import rates
from surveys.results import dashboards
from surveys.results import exclusions
from surveys.results import finalise
from surveys.results import open_round
from surveys.results import panel_results
from surveys.results import rate_counts

OPEN = "2026Q4"


@pytest.fixture
def counted(monkeypatch):
    """Every round whose answers are counted afresh, in the order they are counted."""
    seen: list[str] = []
    real_rates, real_panels, real_responses = rates._answer_counts, panel_results._panel_scores, \
        dashboards._response_counts

    def answer_counts(db, round_rows, *args, **kwargs):
        seen.extend(f"rates {r['name']}" for r in round_rows)
        return real_rates(db, round_rows, *args, **kwargs)

    def panel_scores(db, round_row, agency=None):
        seen.append(f"panels {round_row['name']}")
        return real_panels(db, round_row, agency)

    def response_counts(db, names):
        seen.extend(f"responses {name}" for name in names)
        return real_responses(db, names)

    def scored(db, round_row, extra="", params=()):
        frame = real_scored(db, round_row, extra, params)
        seen.append(f"{'saved since' if extra else 'every answer'} {round_row['name']}: {len(frame)}")
        return frame

    real_scored = open_round._scored
    monkeypatch.setattr(open_round, "_scored", scored)
    monkeypatch.setattr(rates, "_answer_counts", answer_counts)
    monkeypatch.setattr(panel_results, "_panel_scores", panel_scores)
    monkeypatch.setattr(dashboards, "_response_counts", response_counts)
    return seen


def an_unanswered_pair(db) -> tuple[str, str]:
    return db.execute(
        """SELECT e.uscc, a.code FROM enterprises e, agencies a WHERE e.active = 1 AND e.panel = 'enterprise'
           AND a.active = 1 AND NOT EXISTS (SELECT 1 FROM responses r WHERE r.round = ?
           AND r.enterprise = e.uscc AND r.agency = a.code) LIMIT 1""", [OPEN]).fetchone()


def latest_finalised(db) -> str:
    return db.execute("SELECT max(name) FROM rounds WHERE status IN ('finalised', 'published')").fetchone()[0]


def figures(db) -> tuple:
    return (rates.county_rates(db, ADMIN_ACTOR), rates.county_rates(db, ADMIN_ACTOR, rates.MONTH),
            dashboards.county_response_rates(db, DISCIPLINE_ACTOR),
            panel_results.round_panel_scores(db, rounds.get_round(db, latest_finalised(db))))


def test_a_saved_answer_recounts_the_round_in_progress_only(demo_db, counted):
    before = figures(demo_db)
    finalised = {r["name"] for r in rates._rounds_counted(demo_db, finalised_only=True)}
    assert {f"rates {name}" for name in finalised} <= set(counted)  # the first view counts every round (by month)
    counted.clear()
    firm, agency = an_unanswered_pair(demo_db)
    responses.save_response(demo_db, Actor(ENTERPRISE, firm), OPEN, agency, FULL, "")
    after = figures(demo_db)
    # nothing finalised counted again, and of the round in progress only the answer saved since is read
    assert set(counted) == {f"rates {OPEN}", f"saved since {OPEN}: 1"}
    county_before = before[0][(before[0]["unit"] == "county") & (before[0]["period"] == OPEN)].iloc[0]
    county_after = after[0][(after[0]["unit"] == "county") & (after[0]["period"] == OPEN)].iloc[0]
    assert county_after["responses"] == county_before["responses"] + 1  # and the new answer counts at once
    open_rates = after[2].set_index("round")
    assert open_rates.loc[OPEN, "responses"] == before[2].set_index("round").loc[OPEN, "responses"] + 1


def test_an_exclusion_in_a_finalised_round_counts_it_again(demo_db, counted):
    figures(demo_db)
    latest = latest_finalised(demo_db)
    counted.clear()
    response = demo_db.execute("SELECT id FROM responses WHERE round = ? ORDER BY id LIMIT 1", [latest]).fetchone()[0]
    exclusions.exclude_response(demo_db, ADMIN_ACTOR, response, "重复提交")
    figures(demo_db)
    assert f"rates {latest}" in counted and f"panels {latest}" in counted and f"responses {latest}" in counted


def recounted(db) -> pd.DataFrame:
    """Every finalised round's invitation and response counts read and scored from the ratings."""
    counts = rates._answer_counts(db, rates._rounds_counted(db, finalised_only=True), rates.ROUND,
                                  rates.agency_groups(db))
    return counts.sort_values(["period", "scope", "unit"], ignore_index=True)


def by_round_from_storage(db) -> pd.DataFrame:
    dashboards.forget_finalised()
    return rates.finalised_answer_counts(db, rates.ROUND).sort_values(["period", "scope", "unit"],
                                                                        ignore_index=True)


def test_the_first_view_by_round_takes_the_finalised_rounds_from_their_stored_counts(demo_db, counted):
    rates.county_rates(demo_db, ADMIN_ACTOR)
    assert [c for c in counted if c.startswith("rates")] == [f"rates {OPEN}"]  # the finalised rounds: stored


def test_stored_counts_give_what_a_recount_from_the_ratings_gives(demo_db):
    finalised = rates._rounds_counted(demo_db, finalised_only=True)
    assert len(finalised) >= 4 and all(rate_counts.standing(demo_db, row) is not None for row in finalised)
    assert rates.agency_groups(demo_db)  # the demo's agencies are in groups: the groups' rows are checked too
    from_storage = by_round_from_storage(demo_db)
    assert set(from_storage["scope"]) == set(rates.SCOPES)
    pd.testing.assert_frame_equal(from_storage, recounted(demo_db), check_dtype=False)


def test_an_exclusion_awaiting_refinalisation_is_counted_from_the_ratings_until_then(demo_db, counted):
    latest = rounds.get_round(demo_db, latest_finalised(demo_db))
    response = demo_db.execute("SELECT id FROM responses WHERE round = ? ORDER BY id LIMIT 1",
                               [latest["name"]]).fetchone()[0]
    before = by_round_from_storage(demo_db)
    exclusions.exclude_response(demo_db, ADMIN_ACTOR, response, "重复提交")
    assert rate_counts.standing(demo_db, latest) is None  # the finalisation counted it, today it is not
    counted.clear()
    pending = by_round_from_storage(demo_db)
    assert counted == [f"rates {latest['name']}"]  # that round alone is read again
    pd.testing.assert_frame_equal(pending, recounted(demo_db), check_dtype=False)
    def county_responses(frame):
        return frame[(frame["period"] == latest["name"]) & (frame["scope"] == standard.COUNTY)].iloc[0]["responses"]
    assert county_responses(pending) == county_responses(before) - 1  # the excluded response no longer counts
    finalise.finalise_round(demo_db, ADMIN_ACTOR, latest["name"], "复核后排除")
    assert rate_counts.standing(demo_db, rounds.get_round(demo_db, latest["name"])) is not None
    counted.clear()
    pd.testing.assert_frame_equal(by_round_from_storage(demo_db), pending, check_dtype=False)
    assert counted == []  # stored again with the re-finalisation


def test_what_is_kept_cannot_be_changed_by_its_reader(demo_db):
    first = rates.finalised_answer_counts(demo_db, rates.ROUND)
    first.loc[:, "responses"] = -1
    assert (rates.finalised_answer_counts(demo_db, rates.ROUND)["responses"] >= 0).all()


def whole(db, kind: str, finalised_only: bool = False) -> pd.DataFrame:
    """The rates counted in one go from the row-form readers, as before the split."""
    names = [r["name"] for r in rates._rounds_counted(db, finalised_only)]
    rows = rates._rounds_counted(db, finalised_only)
    invitations = rates._invitations(db, names) if kind == rates.ROUND else pd.DataFrame(
        columns=["period", "agency", "enterprise", "responded"])
    table = standard.standard_rates(invitations, rates._response_scores(db, rows, kind),
                                    rates._tickets(db, kind), rates._ratings(db, kind), rates.agency_groups(db))
    return standard.with_change(table)


@pytest.mark.parametrize("kind", rates.PERIOD_KINDS)
def test_the_rates_counted_in_parts_equal_the_whole(demo_db, kind):
    firm, agency = an_unanswered_pair(demo_db)
    responses.save_response(demo_db, Actor(ENTERPRISE, firm), OPEN, agency, FULL, "")
    pd.testing.assert_frame_equal(rates.rate_table(demo_db, kind), whole(demo_db, kind))
    pd.testing.assert_frame_equal(rates.rate_table(demo_db, kind), whole(demo_db, kind))  # kept, still equal
    pd.testing.assert_frame_equal(rates.rate_table(demo_db, kind, finalised_only=True),
                                  whole(demo_db, kind, finalised_only=True))


def test_invitations_counted_in_the_database_equal_those_counted_in_pandas(demo_db):
    names = [r["name"] for r in rates._rounds_counted(demo_db, False)]
    no = rates._empty_frames()
    in_pandas = standard.standard_counts(rates._invitations(demo_db, names), *no[1:], rates.agency_groups(demo_db))
    in_sql = rates._invitation_counts(demo_db, names)
    keys = ["period", "scope", "unit"]
    pd.testing.assert_frame_equal(in_sql.sort_values(keys, ignore_index=True),
                                  in_pandas.sort_values(keys, ignore_index=True), check_dtype=False)
    assert in_sql["invited"].sum() > 0


def test_one_agencys_rates_read_from_its_rows_alone_equal_its_rows_of_the_whole(demo_db):
    everything = rates.rate_table(demo_db, rates.ROUND)
    mine = everything[(everything["scope"] == standard.AGENCY) & (everything["unit"] == "SCJG")]
    staff = rates.agency_rates(demo_db, DISCIPLINE_ACTOR, "SCJG")
    pd.testing.assert_frame_equal(staff.reset_index(drop=True), mine.reset_index(drop=True))
    agency = rates.agency_rates(demo_db, Actor(AGENCY, "scjg", agency_code="SCJG"), "SCJG")
    assert set(agency["period"]) <= set(mine["period"]) and len(agency)


def test_a_rounds_bulletin_rates_leave_out_later_rounds_and_stay_the_same(demo_db):
    for period in [r["name"] for r in rates._rounds_counted(demo_db, True)][-2:]:
        table = rates.rate_table(demo_db, rates.ROUND)
        expected = table[table["period"] == period]
        shown = rates.rates_for_reader(demo_db, ADMIN_ACTOR, rates.ROUND, period)
        key = ["scope", "unit"]
        pd.testing.assert_frame_equal(shown.sort_values(key, ignore_index=True),
                                      expected.sort_values(key, ignore_index=True))


def test_one_agencys_panel_scores_and_responses_read_alone_equal_its_rows_of_the_whole(demo_db):
    panel_rounds = [name for (name,) in demo_db.execute(
        "SELECT DISTINCT r.round FROM responses r JOIN enterprises e ON e.uscc = r.enterprise"
        " WHERE e.panel <> 'enterprise'")]
    assert panel_rounds  # the demo has rounds rated by other panels too
    items = list(FULL)
    for name in [*panel_rounds, OPEN]:
        round_row = rounds.get_round(demo_db, name)
        whole_scores = panel_results.round_panel_scores(demo_db, round_row)
        whole_responses = finalise.counted_responses(demo_db, name, items)
        for code in ("SCJG", "FGW", *whole_scores["agency"].unique()[:3]):
            alone = panel_results.round_panel_scores(demo_db, round_row, code)
            pd.testing.assert_frame_equal(alone.reset_index(drop=True),
                                          whole_scores[whole_scores["agency"] == code].reset_index(drop=True))
            pd.testing.assert_frame_equal(
                finalise.counted_responses(demo_db, name, items, agency=code).reset_index(drop=True),
                whole_responses[whole_responses["agency"] == code].reset_index(drop=True))


def test_finalised_rounds_response_counts_from_their_stored_counts_equal_counting_them(demo_db, counted):
    finalised = [r["name"] for r in rates._rounds_counted(demo_db, finalised_only=True)]
    shown = dashboards.county_response_rates(demo_db, DISCIPLINE_ACTOR).set_index("round")
    assert not [c for c in counted if c.startswith("responses")]  # none counted from the responses
    expected = {name: (n, firms) for name, n, firms in dashboards._response_counts(demo_db, finalised)}
    assert {name: (shown.loc[name, "responses"], shown.loc[name, "enterprises"]) for name in finalised} == expected
