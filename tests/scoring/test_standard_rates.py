"""The standard rates (scoring/rates.py): each definition on a small hand-made county, the scopes
(agency, group, county), NaN rather than 0 without a denominator, and the change from the previous period."""
import math

import pandas as pd
import pytest

from scoring.rates import standard_rates, with_change


def frames(period="2026Q3"):
    invitations = pd.DataFrame([
        {"period": period, "agency": "A", "enterprise": "e1", "responded": True},
        {"period": period, "agency": "A", "enterprise": "e2", "responded": False},
        {"period": period, "agency": "B", "enterprise": "e2", "responded": True},
        {"period": period, "agency": "B", "enterprise": "e3", "responded": False},
    ])
    responses = pd.DataFrame([
        {"period": period, "agency": "A", "score": 75.0},   # mean rating 4: good
        {"period": period, "agency": "A", "score": 74.9},   # just below: neither
        {"period": period, "agency": "B", "score": 25.0},   # mean rating 2: bad
        {"period": period, "agency": "B", "score": 100.0},
    ])
    tickets = pd.DataFrame([
        {"period": period, "agency": "A", "rectified": True, "on_time": False},
        {"period": period, "agency": "A", "rectified": True, "on_time": True},
        {"period": period, "agency": "A", "rectified": False, "on_time": False},
    ])
    ratings = pd.DataFrame([
        {"period": period, "agency": "A", "rating": "dissatisfied"},
        {"period": period, "agency": "A", "rating": "satisfied"},
        {"period": period, "agency": "A", "rating": "basically_satisfied"},
        {"period": period, "agency": "A", "rating": "default_satisfied"},
    ])
    return invitations, responses, tickets, ratings


def row(table, unit, period="2026Q3"):
    return table[(table["unit"] == unit) & (table["period"] == period)].iloc[0]


def test_each_definition_per_agency():
    table = standard_rates(*frames())
    a = row(table, "A")
    assert (a["participation"], a["good"], a["bad"]) == (0.5, 0.5, 0.0)
    assert a["rectified"] == pytest.approx(2 / 3) and a["on_time"] == 0.5
    # 默认满意 is nobody's verdict: out of 回访满意率, in its own count and in the "incl. default" rate
    assert a["return_satisfied"] == pytest.approx(2 / 3) and a["default_ratings"] == 1
    assert a["return_satisfied_with_default"] == 0.75 and a["dissatisfied_ratings"] == 1
    b = row(table, "B")
    assert (b["good"], b["bad"]) == (0.5, 0.5)
    assert math.isnan(b["rectified"]) and math.isnan(b["return_satisfied"])  # no tickets: no rate, not 0


def test_the_county_counts_an_enterprise_once_and_groups_when_given():
    table = standard_rates(*frames(), agency_groups={"A": "approval", "B": "approval"})
    county = row(table, "county")
    # e1 answered A, e2 answered B (not A), e3 nothing: 2 of 3 enterprises
    assert (county["invited"], county["responded"]) == (3, 2)
    assert county["responses"] == 4 and county["good"] == 0.5 and county["bad"] == 0.25
    group = row(table, "approval")
    assert group["scope"] == "group" and group["invited"] == 3 and group["tickets"] == 3
    assert set(standard_rates(*frames())["scope"]) == {"agency", "county"}


def test_change_is_from_the_previous_period_that_has_the_rate():
    first = frames("2026Q2")
    later = frames("2026Q3")
    later_ratings = pd.DataFrame([{"period": "2026Q3", "agency": "A", "rating": "satisfied"}])
    table = with_change(standard_rates(pd.concat([first[0], later[0]]), pd.concat([first[1], later[1]]),
                                       pd.concat([first[2], later[2]]), pd.concat([first[3], later_ratings])))
    a = row(table, "A")
    assert a["return_satisfied_change"] == pytest.approx(1 - 2 / 3)
    assert a["good_change"] == 0
    assert math.isnan(row(table, "A", "2026Q2")["good_change"])


def test_empty_frames_give_an_empty_table():
    empty = [f.iloc[0:0] for f in frames()]
    assert standard_rates(*empty).empty


def test_rates_and_their_changes_read_as_percentages_half_up():
    import labels

    assert labels.rate_text(2 / 3) == "66.7%" and labels.rate_text(float("nan")) == "—"
    assert labels.rate_text(0.5, change=0.1665) == "50.0% (+16.7)"
    assert labels.rate_text(0.5, change=-0.0005) == "50.0% (−0.1)"
    assert labels.points_text(-0.065) == "-6.5 pp" and labels.points_text(None) == ""
