"""Rater panels in finalisation and on the dashboards (DESIGN §4.10, §6): the panel column reaches
scoring, the weights are pinned, a small round's result matches the rule worked by hand, and no
panel's figure resting on fewer than three counted responses reaches an agency."""
import dataclasses
import json

import pandas as pd
import pytest

import scoring
from conftest import ADMIN_ACTOR, AGENCY_ACTOR, DISCIPLINE_ACTOR, make_world
from surveys.collection import panel_weights, responses, rounds
from surveys.core.actors import AGENCY, Actor
from surveys.core.errors import InvalidInput, PermissionDenied
from surveys.participants import accounts, panels
from surveys.results import finalise, panel_results, privacy

ITEMS = ["efficiency", "attitude", "lawfulness", "integrity", "convenience"]
WEIGHTS = {"enterprise": 50, "representative": 25, "supervisor": 25}
PANEL_FILE = ("评议人编号,姓名,评议人类别\r\nR0001,甲,两代表一委员\r\nR0002,乙,两代表一委员\r\n"
              "R0003,丙,两代表一委员\r\nS0001,丁,行风监督员\r\n").encode()


def rate(level: int) -> dict:
    return {item: level for item in ITEMS}


def rater(db, code):
    return accounts.sign_in_enterprise(db, accounts.issue_access_code(db, ADMIN_ACTOR, code), f"client-{code}")


@pytest.fixture
def county(db):
    """Round 2026Q4 open with weights 50/25/25. FGW: five enterprises (100, 100, 75, 75, 50 points:
    mean 80), three deputies (50, 50, 25: mean 41.67) and one supervisor (0). SCJG: five
    enterprises at 100 and nothing else."""
    companies = make_world(db, enterprises=5)
    panels.import_panel_raters(db, ADMIN_ACTOR, PANEL_FILE, "panels.csv")
    panel_weights.set_panel_weights(db, ADMIN_ACTOR, "2026Q4", WEIGHTS)
    for who, level in zip(companies, [5, 5, 4, 4, 3]):
        responses.save_response(db, who, "2026Q4", "FGW", rate(level))
        responses.save_response(db, who, "2026Q4", "SCJG", rate(5))
    for code, level in (("R0001", 3), ("R0002", 3), ("R0003", 2), ("S0001", 1)):
        responses.save_response(db, rater(db, code), "2026Q4", "FGW", rate(level))
    rounds.close_round(db, ADMIN_ACTOR, "2026Q4")
    return companies


def result_of(db, agency):
    return next(r for r in finalise.current_results(db, "2026Q4") if r["agency"] == agency)


def test_finalisation_weighs_the_panels_as_worked_by_hand(db, county):
    finalise.finalise_round(db, ADMIN_ACTOR, "2026Q4")
    fgw = result_of(db, "FGW")
    # the supervisor's one answer is below the per-panel minimum of 3: enterprises and deputies count,
    # (50 × 80 + 25 × 41.666…) / 75 = 67.22… → 67.2; n counts every weighted panel's responses: 5 + 3 + 1
    assert (fgw["n"], fgw["score"], fgw["grade"]) == (9, 67.2, "fair")
    scjg = result_of(db, "SCJG")
    assert (scjg["n"], scjg["score"], scjg["grade"]) == (5, 100.0, "good")


def test_the_weights_are_pinned_at_finalisation(db, county):
    finalise.finalise_round(db, ADMIN_ACTOR, "2026Q4")
    pinned = json.loads(rounds.get_round(db, "2026Q4")["scoring_config"])
    assert pinned["panel_weights"] == {"enterprise": 50.0, "representative": 25.0, "supervisor": 25.0}
    # the county's rules change later; the round keeps its own and re-finalising changes nothing
    db.execute("INSERT INTO settings (name, value) VALUES ('scoring_config', ?)",
               [json.dumps({"panel_weights": {"enterprise": 1.0}})])
    assert finalise.finalise_round(db, ADMIN_ACTOR, "2026Q4", "check") == []
    assert result_of(db, "FGW")["score"] == 67.2
    with pytest.raises(InvalidInput):
        panel_weights.set_panel_weights(db, ADMIN_ACTOR, "2026Q4", {"enterprise": 100})


def test_a_round_of_enterprises_alone_scores_as_before_panels(db):
    """Without weights only enterprises count, and the result is scoring's on the responses without
    any panel column: exactly the result before panels existed."""
    companies = make_world(db, enterprises=6)
    panels.import_panel_raters(db, ADMIN_ACTOR, PANEL_FILE, "panels.csv")
    for who, level in zip(companies, [5, 4, 4, 3, 2, 5]):
        responses.save_response(db, who, "2026Q4", "FGW", rate(level))
    responses.save_response(db, rater(db, "R0001"), "2026Q4", "FGW", rate(1))  # weighs nothing
    rounds.close_round(db, ADMIN_ACTOR, "2026Q4")
    finalise.finalise_round(db, ADMIN_ACTOR, "2026Q4")
    form_items = ITEMS
    wide = finalise.counted_responses(db, "2026Q4", form_items)
    enterprises_only = wide[wide["panel"] == "enterprise"].drop(columns=["panel"])
    expected = scoring.grade_rounds(enterprises_only, form_items, None, scoring.DEFAULT_CONFIG)
    fgw = result_of(db, "FGW")
    want = expected[expected["agency"] == "FGW"].iloc[0]
    fields = ["n", "score", "ci_low", "ci_high", "grade", "action", "rank"]
    def plain(value):  # results are stored to six decimals
        value = value.item() if hasattr(value, "item") else value
        return round(value, 6) if isinstance(value, float) else value

    assert [fgw[f] for f in fields] == [plain(want[f]) for f in fields]
    assert (fgw["n"], fgw["score"], fgw["grade"]) == (6, 70.8, "fair")  # (100+75+75+50+25+100) / 6


def test_the_panel_column_reaches_scoring(db, county):
    wide = finalise.counted_responses(db, "2026Q4", ITEMS)
    counts = wide[wide["id"].notna()].groupby(["agency", "panel"]).size().to_dict()
    assert counts == {("FGW", "enterprise"): 5, ("FGW", "representative"): 3, ("FGW", "supervisor"): 1,
                      ("SCJG", "enterprise"): 5}


# --- panel scores and the minimum per panel ------------------------------------------------

def test_an_agency_sees_its_panels_but_not_one_below_the_minimum(db, county):
    finalise.finalise_round(db, ADMIN_ACTOR, "2026Q4")
    rows = panel_results.agency_panel_scores(db, AGENCY_ACTOR, "FGW", "2026Q4")
    assert [(r["panel"], r["weight"], r["n"], r["score"], r["shown"]) for r in rows] == [
        ("enterprise", 50.0, 5, 80.0, True),
        ("representative", 25.0, 3, 41.7, True),
        ("supervisor", 25.0, 1, None, False),
    ]


def test_staff_see_every_panels_figure(db, county):
    finalise.finalise_round(db, ADMIN_ACTOR, "2026Q4")
    for staff in (ADMIN_ACTOR, DISCIPLINE_ACTOR):
        rows = panel_results.agency_panel_scores(db, staff, "FGW", "2026Q4")
        assert [(r["panel"], r["score"], r["shown"]) for r in rows][-1] == ("supervisor", 0.0, True)


def test_the_minimum_is_counted_now_so_an_exclusion_hides_a_panel(db, county):
    from surveys.results import exclusions
    finalise.finalise_round(db, ADMIN_ACTOR, "2026Q4")
    deputy = db.execute("SELECT id FROM responses WHERE enterprise = 'R0003'").fetchone()[0]
    exclusions.exclude_response(db, ADMIN_ACTOR, deputy, "duplicate paper form")
    rows = panel_results.agency_panel_scores(db, AGENCY_ACTOR, "FGW", "2026Q4")
    assert [(r["panel"], r["n"], r["shown"]) for r in rows][1] == ("representative", 2, False)


def test_an_agency_sees_no_round_in_progress_nor_another_agency(db, county):
    with pytest.raises(PermissionDenied):
        panel_results.agency_panel_scores(db, AGENCY_ACTOR, "FGW", "2026Q4")  # closed, not finalised
    finalise.finalise_round(db, ADMIN_ACTOR, "2026Q4")
    with pytest.raises(PermissionDenied):
        panel_results.agency_panel_scores(db, AGENCY_ACTOR, "SCJG", "2026Q4")


def test_a_round_of_enterprises_alone_has_no_panel_table(db, county):
    finalise.finalise_round(db, ADMIN_ACTOR, "2026Q4")
    scjg = Actor(role=AGENCY, id="scjg", name="SCJG", agency_code="SCJG")
    # SCJG was rated by enterprises only, but the round weighs the other panels: they are listed with n = 0
    rows = panel_results.agency_panel_scores(db, scjg, "SCJG", "2026Q4")
    assert [(r["panel"], r["n"]) for r in rows] == [("enterprise", 5), ("representative", 0), ("supervisor", 0)]


def test_county_panel_scores_for_staff(db, county):
    frame = panel_results.county_panel_scores(db, ADMIN_ACTOR, "2026Q4")
    assert list(frame.columns) == ["enterprise", "representative", "supervisor"]
    assert frame.loc["FGW"].tolist() == [80.0, 41.7, 0.0]
    assert pd.isna(frame.loc["SCJG", "representative"])
    with pytest.raises(PermissionDenied):
        panel_results.county_panel_scores(db, AGENCY_ACTOR, "2026Q4")


def test_only_weighted_panels_count_towards_a_scores_minimum(db):
    """Two enterprises and five unweighted deputies: the score rests on two responses, so it is
    thin for an agency, however many deputies answered."""
    companies = make_world(db, enterprises=2)
    panels.import_panel_raters(db, ADMIN_ACTOR, PANEL_FILE, "panels.csv")
    for who in companies:
        responses.save_response(db, who, "2026Q4", "FGW", rate(4))
    for code in ("R0001", "R0002", "R0003"):
        responses.save_response(db, rater(db, code), "2026Q4", "FGW", rate(4))
    assert privacy.counted_per_round_agency(db, "2026Q4") == {("2026Q4", "FGW"): 2}
    panel_weights.set_panel_weights(db, ADMIN_ACTOR, "2026Q4", {"enterprise": 50, "representative": 50})
    assert privacy.counted_per_round_agency(db, "2026Q4") == {("2026Q4", "FGW"): 5}


# --- the demo county ------------------------------------------------------------------------

def test_the_demo_weighs_panels_in_its_last_rounds_and_keeps_its_story(demo_copy):
    """The last finished round and the open one weigh enterprises 50 / deputies 25 / supervisors 25;
    the last round's grades, actions and flags are those of its enterprises alone (the demo's
    casework follows them), and some agencies have too few supervisors for an agency to see theirs."""
    from surveys.demo import county as demo
    last = demo.past_rounds(demo_copy)[-1]
    weighted = privacy.weighted_panels(demo_copy)
    assert weighted[last] == weighted["2026Q4"] == ("enterprise", "representative", "supervisor")
    assert all(weighted[name] == ("enterprise",) for name in demo.past_rounds(demo_copy)[:-1])
    wide = finalise.counted_responses(demo_copy, last, ITEMS)
    # the round's own rules (its ranking scope too), enterprises alone
    rules = dataclasses.replace(finalise.scoring_config(demo_copy, rounds.get_round(demo_copy, last)),
                                panel_weights={"enterprise": 1.0})
    alone = scoring.grade_rounds(wide[wide["panel"] == "enterprise"].drop(columns=["panel"]), ITEMS, None,
                                 rules, history=finalise.graded_history(demo_copy, last))
    stored = pd.DataFrame(finalise.current_results(demo_copy, last))
    story = ["agency", "grade", "action", "flag"]
    assert alone[story].astype(object).where(alone[story].notna(), None).sort_values("agency").values.tolist() == \
        stored[story].sort_values("agency").values.tolist()
    thin = [key for key, n in privacy.counted_per_panel(demo_copy, last).items() if key[2] == "supervisor" and n < 3]
    assert 1 <= len(thin) < 22


def test_the_round_workbook_states_the_pinned_panel_weights(demo_copy):
    import io
    import openpyxl
    from surveys.demo import county as demo
    from surveys.reports import workbook
    last = demo.past_rounds(demo_copy)[-1]
    book = openpyxl.load_workbook(io.BytesIO(workbook.round_workbook(demo_copy, ADMIN_ACTOR, last, "zh")))
    cover = [cell for row in book.worksheets[0].iter_rows(values_only=True) for cell in row if cell]
    assert "企业 50，两代表一委员 25，行风监督员 25" in cover
