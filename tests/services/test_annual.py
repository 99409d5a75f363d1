"""The year's assessment (DESIGN §4.11) in the app: work scores entered and imported (bad rows
refused with their line, column and problem), the veto from a referral whose investigation found
fault, finalising refused or confirmed on missing quarters, the rules pinned, history kept on
re-finalisation, and agencies seeing a year only once it is published."""
import json

import pytest

from conftest import ADMIN_ACTOR, AGENCY_ACTOR, DISCIPLINE_ACTOR, dump, make_world
from surveys.casework import cases
from surveys.collection import responses, rounds
from surveys.core.actors import AGENCY, Actor
from surveys.core.errors import ImportRefused, InvalidInput, NotFound, PermissionDenied
from surveys.results import annual, finalise, work_scores

ITEMS = ["efficiency", "attitude", "lawfulness", "integrity", "convenience"]
SCJG_ACTOR = Actor(role=AGENCY, id="scjg", name="scjg", agency_code="SCJG")


def run_quarter(db, county, name, levels: dict[str, int], publish=True):
    """One round of ``name``: six answers per agency at the given level, closed, finalised (and published)."""
    rounds.create_round(db, ADMIN_ACTOR, name, "2025-01-01", "2099-12-31")
    rounds.start_round(db, ADMIN_ACTOR, name)
    for agency, level in levels.items():
        for who in county[:6]:
            responses.save_response(db, who, name, agency, {item: level for item in ITEMS})
    rounds.close_round(db, ADMIN_ACTOR, name)
    finalise.finalise_round(db, ADMIN_ACTOR, name)
    if publish:
        finalise.publish_round(db, ADMIN_ACTOR, name)


@pytest.fixture
def county(db):
    return make_world(db, enterprises=6, open_round=False)


def year_2025(db, county, scjg=(2, 2, 4, 4), quarters=(1, 2, 3, 4), publish_last=True):
    """FGW 100 every quarter; SCJG 25, 25 (poor twice: a referral from 2025Q2), then 75, 75."""
    for quarter in quarters:
        run_quarter(db, county, f"2025Q{quarter}", {"FGW": 5, "SCJG": scjg[quarter - 1]},
                    publish=publish_last or quarter != quarters[-1])


def record_outcome(db, fault_found):
    referral = next(c for c in db.query("SELECT * FROM cases WHERE action = 'referral'"))
    cases.advance_case(db, DISCIPLINE_ACTOR, referral["id"], "investigation_opened")
    finding = {} if fault_found is None else {cases.FAULT_FOUND: fault_found}
    cases.advance_case(db, DISCIPLINE_ACTOR, referral["id"], "outcome_recorded", outcome="诫勉谈话", **finding)
    return referral["id"]


def result(db, year, agency):
    return next(r for r in annual.current_year_results(db, year) if r["agency"] == agency)


# --- work scores ------------------------------------------------------------------

def test_a_work_score_is_entered_corrected_and_audited(db, county):
    work_scores.enter_work_score(db, ADMIN_ACTOR, 2025, "fgw", "88.5")
    work_scores.enter_work_score(db, ADMIN_ACTOR, 2025, "县发展改革委", 90)  # by name, a correction
    assert [(r["agency"], r["work_score"]) for r in work_scores.work_scores(db, ADMIN_ACTOR, 2025)] == [("FGW", 90.0)]
    audit = [json.loads(d) for (d,) in db.execute("SELECT detail FROM audit_log WHERE action = 'work_score.entered'")]
    assert [(a["before"], a["after"]) for a in audit] == [(None, 88.5), (88.5, 90.0)]
    for year, agency, score in ((2025, "FGW", 100.5), (2025, "FGW", "abc"), (2025, "NOPE", 50), (225, "FGW", 50)):
        with pytest.raises((InvalidInput, NotFound)):
            work_scores.enter_work_score(db, ADMIN_ACTOR, year, agency, score)
    with pytest.raises(InvalidInput) as empty:
        work_scores.enter_work_score(db, ADMIN_ACTOR, 2025, "FGW", None)  # the form's number left empty
    assert empty.value.message("en") == "Enter the work score (0–100)."
    with pytest.raises(PermissionDenied):
        work_scores.enter_work_score(db, DISCIPLINE_ACTOR, 2025, "FGW", 50)


def test_a_work_score_file_imports_every_row_in_one_go(db, county):
    data = "年度,部门代码,工作考核得分\n2025,FGW,92\n2025,县市场监管局,71.5\n2024,SCJG,60\n".encode("utf-8")
    assert work_scores.import_work_scores(db, ADMIN_ACTOR, data, "work.csv") == {"count": 3, "years": [2024, 2025]}
    stored = [(r[0], r[1], r[2]) for r in db.execute("SELECT year, agency, work_score FROM work_scores ORDER BY 1, 2")]
    assert stored == [(2024, "SCJG", 60.0), (2025, "FGW", 92.0), (2025, "SCJG", 71.5)]
    assert db.execute("SELECT count(*) FROM audit_log WHERE action = 'work_scores.imported'").fetchone()[0] == 1


def test_a_file_with_bad_rows_imports_nothing_and_names_each_row_column_and_problem(db, county):
    data = ("year,agency,work_score\n2025,FGW,92\n20x5,FGW,90\n2025,NOPE,80\n2025,SCJG,120\n"
            "2025,SCJG,abc\n2025,FGW,91\n2025,SCJG,\n").encode("utf-8")
    before = dump(db)
    with pytest.raises(ImportRefused) as refused:
        work_scores.import_work_scores(db, ADMIN_ACTOR, data, "work.csv")
    assert refused.value.details("en") == [
        "Line 3, column 'year': the year must be four digits, e.g. 2025",
        "Line 4, column 'agency': no such agency (give its code or its full name)",
        "Line 5, column 'work_score': the work score must be between 0 and 100",
        "Line 6, column 'work_score': the work score must be a number",
        "Line 7, column 'agency': same as line 2",
        "Line 8, column 'work_score': must not be empty",
    ]
    assert refused.value.total == 6
    assert dump(db) == before


def test_a_file_without_the_score_column_is_refused_by_its_header(db, county):
    with pytest.raises(ImportRefused) as refused:
        work_scores.import_work_scores(db, ADMIN_ACTOR, b"year,agency\n2025,FGW\n", "work.csv")
    (line,) = refused.value.details("zh")
    assert line.startswith("第 1 行") and "work_score" in line


# --- finalising a year ------------------------------------------------------------

def test_the_year_is_graded_from_published_quarters_work_scores_and_pinned_rules(db, county):
    year_2025(db, county)
    work_scores.enter_work_score(db, ADMIN_ACTOR, 2025, "FGW", 80)
    assert annual.finalise_year(db, ADMIN_ACTOR, 2025) is True
    fgw, scjg = result(db, 2025, "FGW"), result(db, 2025, "SCJG")
    # FGW: survey 100, composite 0.7 × 100 + 0.3 × 80 = 94; SCJG: (25 + 25 + 75 + 75) / 4 = 50, poor
    assert (fgw["quarters"], fgw["survey_score"], fgw["work_score"], fgw["score"], fgw["grade"], fgw["rank"]) == \
        (4, 100.0, 80.0, 94.0, "good", 1)
    assert (scjg["survey_score"], scjg["work_score"], scjg["score"], scjg["grade"], scjg["rank"]) == \
        (50.0, None, 50.0, "poor", 2)
    assert scjg["vetoed"] == 0  # a referral under investigation vetoes nothing
    (stored,) = annual.finalisation_history(db, ADMIN_ACTOR, 2025)
    assert json.loads(stored["rounds_used"]) == ["2025Q1", "2025Q2", "2025Q3", "2025Q4"]
    assert json.loads(stored["config"])["good_threshold"] == 80.0
    assert db.execute("SELECT count(*) FROM audit_log WHERE action = 'year.finalised'").fetchone()[0] == 1


def test_a_referral_whose_investigation_found_fault_vetoes_the_year(db, county):
    year_2025(db, county, scjg=(2, 2, 5, 5))  # SCJG's survey score (25+25+100+100)/4 = 62.5 would be fair
    case_id = record_outcome(db, fault_found=True)
    annual.finalise_year(db, ADMIN_ACTOR, 2025)
    scjg = result(db, 2025, "SCJG")
    assert (scjg["score"], scjg["grade"], scjg["vetoed"], json.loads(scjg["veto_cases"])) == \
        (62.5, "poor", 1, [case_id])
    assert result(db, 2025, "FGW")["rank"] == 1 and scjg["rank"] == 2  # after every other agency


def test_no_fault_found_or_no_finding_vetoes_nothing_and_no_finding_is_a_warning(db, county):
    year_2025(db, county, scjg=(2, 2, 5, 5))
    record_outcome(db, fault_found=None)
    readiness = annual.year_readiness(db, ADMIN_ACTOR, 2025)
    assert [r["agency"] for r in readiness.no_finding] == ["SCJG"] and not readiness.blocked
    annual.finalise_year(db, ADMIN_ACTOR, 2025)
    assert (result(db, 2025, "SCJG")["grade"], result(db, 2025, "SCJG")["vetoed"]) == ("fair", 0)
    with pytest.raises(InvalidInput):  # a finding must be yes or no, never a word that reads as one
        cases._checked_details("outcome_recorded", "", {"outcome": "x", cases.FAULT_FOUND: "no"})


def test_a_round_of_the_year_not_yet_published_refuses_the_year_by_name(db, county):
    year_2025(db, county, publish_last=False)
    before = dump(db)
    with pytest.raises(InvalidInput) as refused:
        annual.finalise_year(db, ADMIN_ACTOR, 2025, missing_confirmed=True)
    assert "2025Q4" in refused.value.message("en") and "not published" in refused.value.message("en")
    assert dump(db) == before


def test_a_quarter_without_a_round_needs_confirming_and_is_recorded(db, county):
    year_2025(db, county, quarters=(2, 3, 4), scjg=(4, 4, 4, 4))
    with pytest.raises(InvalidInput) as refused:
        annual.finalise_year(db, ADMIN_ACTOR, 2025)
    assert "2025Q1" in refused.value.message("en")
    assert annual.finalise_year(db, ADMIN_ACTOR, 2025, missing_confirmed=True)
    (stored,) = annual.finalisation_history(db, ADMIN_ACTOR, 2025)
    assert json.loads(stored["quarters_missing"]) == ["2025Q1"]
    assert result(db, 2025, "FGW")["quarters"] == 3


def test_a_year_not_over_is_refused(db, county):
    with pytest.raises(InvalidInput) as refused:
        annual.finalise_year(db, ADMIN_ACTOR, 2026, missing_confirmed=True)  # the clock is in 2026Q4
    assert "2026Q4" in refused.value.message("en")


def test_refinalising_needs_a_reason_keeps_history_and_the_pinned_rules(db, county):
    year_2025(db, county)
    annual.finalise_year(db, ADMIN_ACTOR, 2025)
    db.execute("INSERT INTO settings (name, value) VALUES ('scoring_config', ?)",
               [json.dumps({"good_threshold": 99.0})])  # the county's rules change later
    work_scores.enter_work_score(db, ADMIN_ACTOR, 2025, "FGW", 60)
    assert annual.work_scores_changed_since(db, ADMIN_ACTOR, 2025)
    with pytest.raises(InvalidInput):
        annual.finalise_year(db, ADMIN_ACTOR, 2025)
    assert annual.finalise_year(db, ADMIN_ACTOR, 2025, reason="work score corrected") is True
    fgw = result(db, 2025, "FGW")
    assert (fgw["score"], fgw["grade"]) == (88.0, "good")  # 0.7 × 100 + 0.3 × 60, by the pinned 80
    history = annual.finalisation_history(db, ADMIN_ACTOR, 2025)
    assert [(h["is_current"], h["reason"]) for h in history] == [(0, ""), (1, "work score corrected")]
    earlier = annual.results_of_finalisation(db, ADMIN_ACTOR, history[0]["id"])
    assert next(r for r in earlier if r["agency"] == "FGW")["score"] == 100.0
    before = dump(db)
    assert annual.finalise_year(db, ADMIN_ACTOR, 2025, reason="again") is False  # nothing changed
    assert dump(db) == before


def test_agencies_see_a_year_once_published_and_only_their_own_veto_cases(db, county):
    year_2025(db, county, scjg=(2, 2, 5, 5))
    record_outcome(db, fault_found=True)
    annual.finalise_year(db, ADMIN_ACTOR, 2025)
    assert annual.annual_years(db, AGENCY_ACTOR) == []
    with pytest.raises(NotFound):
        annual.year_results(db, AGENCY_ACTOR, 2025)
    assert [r["year"] for r in annual.annual_years(db, DISCIPLINE_ACTOR)] == [2025]
    with pytest.raises(PermissionDenied):
        annual.publish_year(db, DISCIPLINE_ACTOR, 2025)
    annual.publish_year(db, ADMIN_ACTOR, 2025)
    with pytest.raises(InvalidInput):
        annual.publish_year(db, ADMIN_ACTOR, 2025)
    seen_by_fgw = {r["agency"]: r for r in annual.year_results(db, AGENCY_ACTOR, 2025)}
    assert seen_by_fgw["SCJG"]["vetoed"] == 1 and seen_by_fgw["SCJG"]["veto_cases"] == []
    assert annual.year_results(db, SCJG_ACTOR, 2025)[1]["veto_cases"] != []
    with pytest.raises(PermissionDenied):
        annual.agency_quarters(db, AGENCY_ACTOR, "SCJG", 2025)
    assert [q["round"] for q in annual.agency_quarters(db, AGENCY_ACTOR, "FGW", 2025)] == \
        ["2025Q1", "2025Q2", "2025Q3", "2025Q4"]
    with pytest.raises(PermissionDenied):
        annual.veto_reasons(db, AGENCY_ACTOR, 2025)


def test_a_finding_recorded_after_finalising_is_flagged_until_the_year_is_finalised_again(db, county):
    year_2025(db, county, scjg=(2, 2, 5, 5))
    annual.finalise_year(db, ADMIN_ACTOR, 2025)
    assert annual.would_change(db, ADMIN_ACTOR, 2025) is False
    record_outcome(db, fault_found=True)
    assert annual.would_change(db, ADMIN_ACTOR, 2025) is True
    annual.finalise_year(db, ADMIN_ACTOR, 2025, reason="referral investigated: fault found")
    assert annual.would_change(db, ADMIN_ACTOR, 2025) is False
    assert result(db, 2025, "SCJG")["vetoed"] == 1


def test_where_the_county_keeps_agency_groups_the_year_is_ranked_within_each_group_too(db, county):
    if annual.GROUP_COLUMN not in db["agencies"].columns_dict:  # before agency groups' migration is merged
        db.execute(f"ALTER TABLE agencies ADD COLUMN {annual.GROUP_COLUMN} TEXT NOT NULL DEFAULT 'approval'")
    db.execute(f"UPDATE agencies SET {annual.GROUP_COLUMN} = 'service' WHERE code = 'SCJG'")
    year_2025(db, county)
    annual.finalise_year(db, ADMIN_ACTOR, 2025)
    fgw, scjg = result(db, 2025, "FGW"), result(db, 2025, "SCJG")
    assert (fgw["agency_group"], fgw["rank"], fgw["group_rank"]) == ("approval", 1, 1)
    assert (scjg["agency_group"], scjg["rank"], scjg["group_rank"]) == ("service", 2, 1)
