"""The dashboards' data: who may see what, comments only with enough responses,
insufficient rounds never shown as scores, rounds in progress, and the cache key."""
import pandas as pd
import pytest

from conftest import ADMIN_ACTOR, AGENCY_ACTOR, DISCIPLINE_ACTOR, enterprise_actor, make_world
from surveys.results import dashboards
from surveys.results import exclusions
from surveys.results import finalise
from surveys.collection import responses
from surveys.collection import rounds
from surveys.core.actors import AGENCY, Actor
from surveys.core.errors import NotFound, PermissionDenied

ITEMS = ["efficiency", "attitude", "lawfulness", "integrity", "convenience"]
SCJG_ACTOR = Actor(role=AGENCY, id="scjg", name="SCJG", agency_code="SCJG")


def rate(level: int, **overrides) -> dict:
    return {item: overrides.get(item, level) for item in ITEMS}


def answer(db, round_name, enterprises, agency, levels, comments=None):
    comments = comments or [""] * len(levels)
    for who, level, comment in zip(enterprises, levels, comments):
        responses.save_response(db, who, round_name, agency, rate(level), comment)


def open_round(db, name):
    rounds.create_round(db, ADMIN_ACTOR, name, "2026-01-01", "2099-12-31")
    rounds.start_round(db, ADMIN_ACTOR, name)


def finish(db, name, publish=False):
    rounds.close_round(db, ADMIN_ACTOR, name)
    finalise.finalise_round(db, ADMIN_ACTOR, name)
    if publish:
        finalise.publish_round(db, ADMIN_ACTOR, name)


@pytest.fixture
def county(db):
    """2026Q1 published (FGW good with 6 responses; SCJG 3 responses: too few to grade),
    2026Q2 finalised, not published (FGW fair, SCJG poor), 2026Q3 open."""
    firms = make_world(db, enterprises=8, open_round=False)
    open_round(db, "2026Q1")
    answer(db, "2026Q1", firms, "FGW", [5] * 6, ["very quick", "=cmd", "", "helpful", "", ""])
    answer(db, "2026Q1", firms, "SCJG", [2, 2, 3], ["slow", "rude", ""])
    finish(db, "2026Q1", publish=True)
    open_round(db, "2026Q2")
    answer(db, "2026Q2", firms, "FGW", [4] * 6, ["b", "a", "c", "", "", ""])
    answer(db, "2026Q2", firms, "SCJG", [2] * 6)
    finish(db, "2026Q2")
    open_round(db, "2026Q3")
    answer(db, "2026Q3", firms, "FGW", [5, 5], ["too early to show", ""])
    return firms


# --- permissions ------------------------------------------------------------------

def test_agency_sees_its_own_page(db, county):
    board = dashboards.agency_dashboard(db, AGENCY_ACTOR, "FGW")
    assert board.agency["code"] == "FGW"
    assert list(board.results["round"]) == ["2026Q1", "2026Q2"]


@pytest.mark.parametrize("code", ["SCJG", "NOPE", ""])
def test_agency_is_refused_any_other_agency_without_learning_whether_it_exists(db, county, code):
    with pytest.raises(PermissionDenied) as refused:
        dashboards.agency_dashboard(db, AGENCY_ACTOR, code)
    assert refused.value.key == "dashboards.not_your_agency"
    for lang in ("zh", "en"):
        assert not code or code not in refused.value.message(lang)


def test_agency_choices_are_only_its_own(db, county):
    assert [a["code"] for a in dashboards.agency_choices(db, AGENCY_ACTOR)] == ["FGW"]
    assert [a["code"] for a in dashboards.agency_choices(db, DISCIPLINE_ACTOR)] == ["FGW", "SCJG"]


@pytest.mark.parametrize("who", [ADMIN_ACTOR, DISCIPLINE_ACTOR])
def test_administrator_and_discipline_office_open_any_agency(db, county, who):
    assert dashboards.agency_dashboard(db, who, "SCJG").agency["code"] == "SCJG"
    with pytest.raises(NotFound):
        dashboards.agency_dashboard(db, who, "NOPE")


def test_enterprises_see_no_dashboard(db, county):
    firm = enterprise_actor(county[0].id)
    for call in (lambda: dashboards.agency_dashboard(db, firm, "FGW"), lambda: dashboards.county_overview(db, firm),
                 lambda: dashboards.ranking_rounds(db, firm), lambda: dashboards.agency_choices(db, firm)):
        with pytest.raises(PermissionDenied):
            call()


def test_county_overview_is_for_administrator_and_discipline_office_only(db, county):
    with pytest.raises(PermissionDenied):
        dashboards.county_overview(db, AGENCY_ACTOR)
    overview = dashboards.county_overview(db, DISCIPLINE_ACTOR)
    assert set(overview.results["round"]) == {"2026Q1", "2026Q2"}


def test_agencies_see_the_ranking_of_published_rounds_only(db, county):
    assert dashboards.ranking_rounds(db, AGENCY_ACTOR) == ["2026Q1"]
    assert dashboards.ranking_rounds(db, ADMIN_ACTOR) == ["2026Q2", "2026Q1"]
    with pytest.raises(PermissionDenied) as refused:
        dashboards.published_ranking(db, AGENCY_ACTOR, "2026Q2")
    assert refused.value.key == "dashboards.not_published"
    with pytest.raises(PermissionDenied):
        dashboards.published_ranking(db, AGENCY_ACTOR, "2026Q3")
    ranking = dashboards.published_ranking(db, AGENCY_ACTOR, "2026Q1")
    assert list(ranking["agency"]) == ["FGW", "SCJG"]  # ranked first, insufficient last
    assert "action" not in ranking.columns  # other agencies' actions are not published
    assert "action" in dashboards.published_ranking(db, ADMIN_ACTOR, "2026Q2").columns


def test_agency_learns_rank_and_flag_only_once_published(db, county):
    mine = dashboards.agency_dashboard(db, AGENCY_ACTOR, "FGW").results.set_index("round")
    assert mine.loc["2026Q1", "rank"] == 1 and mine.loc["2026Q1", "flag"] == "red"
    assert mine.loc["2026Q2", "rank"] is None and mine.loc["2026Q2", "flag"] is None
    staff = dashboards.agency_dashboard(db, ADMIN_ACTOR, "FGW").results.set_index("round")
    assert staff.loc["2026Q2", "rank"] == 1


# --- the round in progress -----------------------------------------------------------

def test_round_in_progress_shows_no_figures_to_the_agency(db, county):
    board = dashboards.agency_dashboard(db, AGENCY_ACTOR, "FGW")
    assert board.provisional.empty
    assert "2026Q3" not in set(board.items["round"]) | set(board.levels["round"]) | set(board.comments["round"])
    assert "2026Q3" not in board.counted
    assert board.rounds.set_index("name").loc["2026Q3", "in_progress"]


def test_staff_see_provisional_figures_of_the_round_in_progress(db, county):
    board = dashboards.agency_dashboard(db, DISCIPLINE_ACTOR, "FGW")
    assert list(board.provisional["round"]) == ["2026Q3"]
    assert board.provisional.iloc[0]["n"] == 2 and board.provisional.iloc[0]["score"] == 100.0
    trend = dashboards.trend_frame(board).set_index("round")
    assert trend.loc["2026Q3", "provisional"] == True  # noqa: E712
    assert trend.loc["2026Q2", "provisional"] == False  # noqa: E712


# --- comments ---------------------------------------------------------------------

def test_comments_only_for_rounds_with_at_least_three_counted_responses(db, county):
    fgw = dashboards.agency_dashboard(db, ADMIN_ACTOR, "FGW").comments
    assert list(fgw.columns) == ["round", "comment"]  # nothing about the rater
    assert sorted(fgw.loc[fgw["round"] == "2026Q1", "comment"]) == ["=cmd", "helpful", "very quick"]
    # the open round's comment exists, but 2 responses are too few even for staff
    assert "too early to show" not in set(fgw["comment"])
    scjg = dashboards.agency_dashboard(db, SCJG_ACTOR, "SCJG").comments
    assert list(scjg["comment"]) == ["rude", "slow"]  # exactly 3 responses: shown


def test_an_excluded_response_does_not_count_towards_the_comment_threshold(db, county):
    response_id = db.execute("SELECT id FROM responses WHERE agency = 'SCJG' AND round = '2026Q1'"
                             " AND comment = ''").fetchone()[0]
    exclusions.exclude_response(db, ADMIN_ACTOR, response_id, "duplicate paper return")
    board = dashboards.agency_dashboard(db, SCJG_ACTOR, "SCJG")
    assert board.counted["2026Q1"] == 2
    assert board.comments.empty


def test_excluded_comments_are_never_shown(db, county):
    response_id = db.execute("SELECT id FROM responses WHERE comment = 'helpful'").fetchone()[0]
    exclusions.exclude_response(db, ADMIN_ACTOR, response_id, "malicious")
    comments = dashboards.agency_dashboard(db, AGENCY_ACTOR, "FGW").comments
    assert "helpful" not in set(comments["comment"])


def test_comments_are_sorted_by_round_then_text_not_by_arrival(db, county):
    comments = dashboards.agency_dashboard(db, AGENCY_ACTOR, "FGW").comments
    assert list(comments["comment"]) == ["a", "b", "c", "=cmd", "helpful", "very quick"]


def test_agency_sees_no_breakdown_of_a_round_with_fewer_than_three_responses(db, county):
    rounds.close_round(db, ADMIN_ACTOR, "2026Q3")  # FGW has 2 responses in 2026Q3
    finalise.finalise_round(db, ADMIN_ACTOR, "2026Q3")
    mine = dashboards.agency_dashboard(db, AGENCY_ACTOR, "FGW")
    assert "2026Q3" not in set(mine.items["round"]) | set(mine.levels["round"])
    small = mine.results.set_index("round").loc["2026Q3"]
    assert small["grade"] == "insufficient" and small["n"] == 2 and pd.isna(small["score"])
    staff = dashboards.agency_dashboard(db, ADMIN_ACTOR, "FGW")
    assert "2026Q3" in set(staff.items["round"])
    assert staff.results.set_index("round").loc["2026Q3", "score"] == 100.0



# --- one privacy rule everywhere an agency looks (surveys/results/privacy.py) -----------------

def thin_world(db, scjg_levels):
    """2026Q1 published: FGW six responses, SCJG ``scjg_levels`` (one response each)."""
    firms = make_world(db, enterprises=6, open_round=False)
    open_round(db, "2026Q1")
    answer(db, "2026Q1", firms, "FGW", [5] * 6)
    answer(db, "2026Q1", firms, "SCJG", scjg_levels)
    finish(db, "2026Q1", publish=True)


@pytest.mark.parametrize("levels", [[2], [2, 4]])
def test_the_published_ranking_shows_no_figure_of_an_agency_with_one_or_two_responses(db, levels):
    thin_world(db, levels)
    ranking = dashboards.published_ranking(db, AGENCY_ACTOR, "2026Q1").set_index("agency")
    thin = ranking.loc["SCJG"]
    assert thin["n"] == len(levels)  # how many answered is no one's rating
    assert pd.isna(thin["score"]) and pd.isna(thin["ci_low"]) and pd.isna(thin["ci_high"])
    assert ranking.loc["FGW", "score"] == 100.0  # enough responses: shown
    staff = dashboards.published_ranking(db, ADMIN_ACTOR, "2026Q1").set_index("agency")
    assert pd.notna(staff.loc["SCJG", "score"])  # staff see every figure


def test_an_exclusion_after_finalising_hides_the_figures_resting_on_it(db, county):
    """SCJG's 2026Q1 score was stored from 3 responses; once one is excluded, 2 count:
    neither its own page nor the ranking may show a score the agency could take apart."""
    response_id = db.execute("SELECT id FROM responses WHERE agency = 'SCJG' AND round = '2026Q1'"
                             " AND comment = 'slow'").fetchone()[0]
    exclusions.exclude_response(db, ADMIN_ACTOR, response_id, "duplicate paper return")
    own = dashboards.agency_dashboard(db, SCJG_ACTOR, "SCJG").results.set_index("round").loc["2026Q1"]
    assert pd.isna(own["score"]) and pd.isna(own["ci_low"])
    ranked = dashboards.published_ranking(db, AGENCY_ACTOR, "2026Q1").set_index("agency").loc["SCJG"]
    assert pd.isna(ranked["score"]) and pd.isna(ranked["ci_high"])


def test_a_response_without_any_answered_item_does_not_count(db, county):
    """Three stored SCJG responses in 2026Q3 would be enough, but one has no rating at all."""
    from surveys.collection.responses import store_response
    answer(db, "2026Q3", county, "SCJG", [1, 2], ["x", "y"])
    with db.conn:
        store_response(db, "2026Q3", county[2].id, "SCJG", {}, "z", "paper")
    finish(db, "2026Q3", publish=True)
    board = dashboards.agency_dashboard(db, SCJG_ACTOR, "SCJG")
    assert board.counted["2026Q3"] == 2
    assert "2026Q3" not in set(board.comments["round"])
    assert pd.isna(dashboards.published_ranking(db, AGENCY_ACTOR, "2026Q3").set_index("agency")
                   .loc["SCJG", "score"])


def test_no_module_keeps_its_own_minimum_or_counting_rule():
    """DESIGN §6: one rule, in one place — surveys/results/privacy.py."""
    import re
    from pathlib import Path
    root = Path(__file__).resolve().parents[2]
    for path in [*root.glob("surveys/**/*.py"), *root.glob("app_pages/**/*.py")]:
        if path.name == "privacy.py":
            continue
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"MIN_\w*RESPONSES\w*\s*=|COMMENT_MIN", text), path
        assert "NOT IN (SELECT response_id FROM exclusions)" not in text, path


# --- figures ----------------------------------------------------------------------

def test_insufficient_round_keeps_its_grade_and_is_skipped_for_the_change(db, county):
    board = dashboards.agency_dashboard(db, ADMIN_ACTOR, "SCJG")
    first = board.results.set_index("round").loc["2026Q1"]
    assert first["grade"] == "insufficient" and first["n"] == 3
    latest = dashboards.latest_summary(board)
    assert latest["round"] == "2026Q2" and latest["grade"] == "poor"
    assert latest["previous_round"] is None and latest["change"] is None  # 2026Q1 was not graded


def test_latest_summary_change_since_previous_graded_round(db, county):
    latest = dashboards.latest_summary(dashboards.agency_dashboard(db, AGENCY_ACTOR, "FGW"))
    assert (latest["round"], latest["previous_round"], latest["change"]) == ("2026Q2", "2026Q1", -25.0)
    assert latest["response_rate"] == pytest.approx(6 / 8)


def test_item_means_and_level_shares(db, county):
    board = dashboards.agency_dashboard(db, ADMIN_ACTOR, "SCJG")
    items = board.items[board.items["round"] == "2026Q1"].set_index("item")
    assert items.loc["efficiency", "mean_points"] == pytest.approx((25 + 25 + 50) / 3)
    assert items.loc["efficiency", "answers"] == 3
    levels = board.levels[board.levels["round"] == "2026Q1"].set_index("level")["share"]
    assert levels.to_dict() == pytest.approx({2: 2 / 3, 3: 1 / 3})
    assert board.item_labels["efficiency"] == {"zh": "办理时效", "en": "Speed"}


def test_open_cases_are_counted(db, county):
    assert dashboards.agency_dashboard(db, SCJG_ACTOR, "SCJG").open_cases == 1  # the interview of 2026Q2
    assert dashboards.agency_dashboard(db, AGENCY_ACTOR, "FGW").open_cases == 1  # the reminder of 2026Q2


def test_grade_transitions_count_agencies_per_pair_of_grades(db, county):
    results = dashboards.county_overview(db, ADMIN_ACTOR).results
    moves = dashboards.grade_transitions(results, "2026Q1", "2026Q2")
    assert moves.loc["good", "fair"] == 1 and moves.loc["insufficient", "poor"] == 1
    assert int(moves.to_numpy().sum()) == 2
    assert list(moves.index) == list(moves.columns) == ["good", "fair", "poor", "insufficient"]


def test_response_rates_per_round(db, county):
    rates = dashboards.county_response_rates(db, ADMIN_ACTOR).set_index("round")
    assert rates.loc["2026Q1", "enterprises"] == 6 and rates.loc["2026Q1", "responses"] == 9
    assert rates.loc["2026Q1", "rate"] == pytest.approx(6 / 8)
    assert rates.loc["2026Q3", "in_progress"]


# --- the cache key ----------------------------------------------------------------

def test_data_version_changes_with_every_change_the_dashboards_show(db, county):
    seen = {dashboards.data_version(db)}

    def changed() -> bool:
        version = dashboards.data_version(db)
        fresh = version not in seen
        seen.add(version)
        return fresh

    assert not changed()  # reading changes nothing
    dashboards.agency_dashboard(db, ADMIN_ACTOR, "FGW")
    assert not changed()
    responses.save_response(db, county[2], "2026Q3", "FGW", rate(3), "")
    assert changed()
    responses.save_response(db, county[2], "2026Q3", "FGW", rate(4), "revised")
    assert changed()
    finish(db, "2026Q3")
    assert changed()
    finalise.publish_round(db, ADMIN_ACTOR, "2026Q2")
    assert changed()
    exclusions.exclude_response(db, ADMIN_ACTOR, 1, "mistake")
    assert changed()
    db.execute("UPDATE rounds SET status = 'published' WHERE name = '2026Q3'")  # even without the audit log
    assert changed()


def test_a_saved_answer_leaves_the_results_version_and_a_finalisation_moves_it(db, county):
    before = dashboards.results_version(db)
    responses.save_response(db, county[2], "2026Q3", "FGW", rate(3), "")
    responses.save_response(db, county[2], "2026Q3", "FGW", rate(4), "revised")
    responses.withdraw_response(db, county[2], "2026Q3", "FGW")
    assert dashboards.results_version(db) == before  # the published results are not touched by answers
    finish(db, "2026Q3")
    finalised = dashboards.results_version(db)
    assert finalised != before
    finalise.publish_round(db, ADMIN_ACTOR, "2026Q3")
    assert dashboards.results_version(db) != finalised
    db.execute("UPDATE agencies SET name_zh = '改名' WHERE code = 'FGW'")  # a renamed agency, even unaudited
    assert dashboards.results_version(db) not in {before, finalised}


def test_only_what_rests_on_finalised_results_is_cached_under_the_results_version():
    # agencies see finalised rounds only; the administrator and discipline office also a round in progress
    assert dashboards.reads_finalised_only(dashboards.agency_dashboard, AGENCY_ACTOR)
    assert not dashboards.reads_finalised_only(dashboards.agency_dashboard, ADMIN_ACTOR)
    for service in (dashboards.county_overview, dashboards.published_ranking, dashboards.ranking_rounds):
        assert dashboards.reads_finalised_only(service, DISCIPLINE_ACTOR)
    assert not dashboards.reads_finalised_only(dashboards.county_response_rates, ADMIN_ACTOR)
