"""The standard rates read from the database (surveys/reports/rates.py): the closed loop's tickets
and ratings move them, per round and per month; an agency sees only its own, response-based rates
only from finalised rounds and above the privacy minimum; the change from the previous period."""
import math
from datetime import datetime, timezone

import pytest

import labels

from conftest import ADMIN_ACTOR, AGENCY_ACTOR, DISCIPLINE_ACTOR, FULL, make_world
from surveys.casework import problems
from surveys.collection import responses
from surveys.collection import rounds
from surveys.core import clock
from surveys.core.actors import AGENCY, Actor
from surveys.core.errors import PermissionDenied
from surveys.reports import rates
from surveys.results import finalise


def one(table, unit="FGW", period=None):
    rows = table[table["unit"] == unit]
    return (rows[rows["period"] == period] if period else rows).iloc[-1]


@pytest.fixture
def county(db):
    clock.freeze(datetime(2026, 11, 2, 2, 0, tzinfo=timezone.utc))
    people = make_world(db, enterprises=4)
    low = {item: 2 for item in FULL}
    for who, answers in zip(people, (FULL, FULL, low)):
        responses.save_response(db, who, "2026Q4", "FGW", answers)
    responses.save_response(db, people[0], "2026Q4", "SCJG", FULL)
    return people


def test_the_loop_moves_the_county_rates(db, county):
    problem_id = problems.raise_problem(db, county[0], "FGW", "备案慢")
    before = one(rates.county_rates(db, ADMIN_ACTOR))
    assert before["tickets"] == 1 and before["rectified"] == 0 and math.isnan(before["return_satisfied"])
    clock.freeze(datetime(2026, 11, 25, 2, 0, tzinfo=timezone.utc))  # after the complex deadline (23 Nov)
    problems.answer_problem(db, AGENCY_ACTOR, problem_id, "已办")
    problems.rate_problem(db, county[0], problem_id, problems.DISSATISFIED, "没解决")
    middle = one(rates.county_rates(db, DISCIPLINE_ACTOR))
    assert (middle["rectified"], middle["return_satisfied"]) == (0, 0)
    problems.answer_problem(db, AGENCY_ACTOR, problem_id, "重新办了")
    problems.rate_problem(db, county[0], problem_id, problems.SATISFIED)
    after = one(rates.county_rates(db, ADMIN_ACTOR))
    assert (after["rectified"], after["on_time"], after["return_satisfied"]) == (1, 1, 0.5)
    # FGW: invited = the three that answered it; good: 2 of 3; bad: 1 of 3
    assert (after["participation"], after["good"], after["bad"]) == (1, pytest.approx(2 / 3), pytest.approx(1 / 3))
    county_row = one(rates.county_rates(db, ADMIN_ACTOR), unit="county")
    assert county_row["invited"] == 3 and county_row["responses"] == 4
    # both agencies are in the default group (DESIGN §4.9): the group's line is theirs together
    group = one(rates.county_rates(db, ADMIN_ACTOR), unit="approval")
    assert group["scope"] == "group" and group["responses"] == 4 and group["tickets"] == 1
    by_month = rates.county_rates(db, ADMIN_ACTOR, rates.MONTH)
    assert set(by_month["period"]) == {"2026-11"} and math.isnan(one(by_month)["participation"])


def test_an_agency_sees_its_own_rates_only_with_the_minimum_and_finalised_rounds(db, county):
    # round open: the agency sees no response-based rate yet
    assert rates.agency_rates(db, AGENCY_ACTOR, "FGW").empty
    assert not rates.county_rates(db, ADMIN_ACTOR).empty  # the office sees the round in progress
    rounds.close_round(db, ADMIN_ACTOR, "2026Q4")
    finalise.finalise_round(db, ADMIN_ACTOR, "2026Q4")
    own = one(rates.agency_rates(db, AGENCY_ACTOR, "FGW"))
    assert own["good"] == pytest.approx(2 / 3) and own["responses"] == 3
    with pytest.raises(PermissionDenied):
        rates.agency_rates(db, AGENCY_ACTOR, "SCJG")
    with pytest.raises(PermissionDenied):
        rates.county_rates(db, AGENCY_ACTOR)
    # SCJG has one counted response: below the minimum its 好评率 is blank for the agency, not for the office
    scjg = Actor(role=AGENCY, id="scjg", name="SCJG", agency_code="SCJG")
    assert math.isnan(one(rates.agency_rates(db, scjg, "SCJG"), unit="SCJG")["good"])
    assert one(rates.agency_rates(db, DISCIPLINE_ACTOR, "SCJG"), unit="SCJG")["good"] == 1


def test_the_monthly_bulletin_carries_the_months_rates_to_its_reader(db, county):
    from surveys.reports import monthly, monthly_documents
    import io
    from openpyxl import load_workbook

    problem_id = problems.raise_problem(db, county[0], "FGW", "备案慢")
    problems.answer_problem(db, AGENCY_ACTOR, problem_id, "已办")
    problems.rate_problem(db, county[0], problem_id, problems.BASICALLY_SATISFIED)
    bulletin = monthly.monthly_bulletin(db, ADMIN_ACTOR, 2026, 11)
    assert list(bulletin.rates["unit"][:1]) == ["county"]
    assert one(bulletin.rates)["return_satisfied"] == 1 and one(bulletin.rates)["rectified"] == 1
    own = monthly.monthly_bulletin(db, AGENCY_ACTOR, 2026, 11).rates
    assert set(own["unit"]) == {"FGW"} and math.isnan(own.iloc[0]["good"])  # round not finalised yet
    book = load_workbook(io.BytesIO(monthly_documents.monthly_workbook(db, ADMIN_ACTOR, 2026, 11, "zh")))
    sheet = list(book["标准指标"].iter_rows(values_only=True))
    assert sheet[0][0] == "范围" and sheet[1][0] == "全县"
    assert monthly_documents.monthly_pdf(db, ADMIN_ACTOR, 2026, 11, "en").startswith(b"%PDF")


def test_the_quarterly_bulletin_ends_with_the_rounds_standard_rates(demo_copy):
    import re
    from io import BytesIO
    from pypdf import PdfReader
    from surveys.reports import bulletin

    data = bulletin.round_bulletin(demo_copy, ADMIN_ACTOR, "2026Q3", "zh")
    text = re.sub(r"[\s\x00]+", "", "".join(page.extract_text() for page in PdfReader(BytesIO(data)).pages))
    assert "五、标准指标（好差评）" in text
    tail = text.split("五、标准指标（好差评）", 1)[1]
    assert "全县" in tail and "回访满意率" in tail and "参评率" in tail
    county = one(rates.county_rates(demo_copy, ADMIN_ACTOR), unit="county", period="2026Q3")
    assert labels.rate_text(county["good"], change=county["good_change"]).replace(" ", "") in tail
