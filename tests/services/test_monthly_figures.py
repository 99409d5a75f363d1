"""The monthly bulletin's arithmetic on hand-built casework: month boundaries in county time,
on time and late, overdue at the cut-off, working days across holidays, rates and ties.
Pure: no database."""
from __future__ import annotations

from datetime import date, datetime

import pandas as pd
import pytest

from surveys.core import clock
from surveys.core.workdays import WorkingCalendar
from surveys.reports import monthly_figures as mf

# a long holiday: 1–7 October off, Saturday 10 October a make-up working day
CALENDAR = WorkingCalendar(
    holidays=frozenset(date(2026, 10, d) for d in range(1, 8)),
    workdays=frozenset({date(2026, 10, 10)}),
    entered_years=frozenset({2026}),
)
LATER = datetime(2027, 6, 1, tzinfo=clock.UTC)  # every month below is finished


def item(ref, agency="A", opened="2026-12-01T02:00:00+00:00", closed="", due="2026-12-20", kind=mf.CASE):
    return {"kind": kind, "ref": ref, "agency": agency, "opened_at": opened, "closed_at": closed, "due_on": due}


def frame(*rows) -> pd.DataFrame:
    return pd.DataFrame(list(rows), columns=mf.ITEM_COLUMNS)


NO_STEPS = pd.DataFrame(columns=mf.STEP_COLUMNS)


def figures(items, year=2026, month=12, now=LATER, agencies=("A",), steps=NO_STEPS) -> pd.DataFrame:
    return mf.agency_figures(items, steps, list(agencies), mf.month_period(year, month, now)).set_index("agency")


# --- the month in county time -------------------------------------------------------------

def test_a_case_closed_at_2330_on_the_last_day_in_china_counts_in_that_month():
    closed_late_evening = item(1, opened="2026-12-01T02:00:00+00:00", closed="2026-12-31T15:30:00+00:00",
                               due="2026-12-31")
    december, january = figures(frame(closed_late_evening)), figures(frame(closed_late_evening), 2027, 1)
    assert december.loc["A", "closed"] == 1 and december.loc["A", "on_time"] == 1
    assert january.loc["A", "closed"] == 0


def test_midnight_in_china_starts_the_next_month():
    just_after = item(1, opened="2026-11-30T16:00:00+00:00", closed="2026-12-31T16:00:00+00:00", due="2027-01-15")
    assert figures(frame(just_after), 2026, 11).loc["A", "opened"] == 0  # 00:00 on 1 December in China
    assert figures(frame(just_after), 2026, 12).loc["A", "opened"] == 1
    assert figures(frame(just_after), 2026, 12).loc["A", "closed"] == 0
    assert figures(frame(just_after), 2027, 1).loc["A", "closed"] == 1


def test_closing_on_the_due_date_is_on_time_and_the_next_county_day_late():
    on_due_day = item(1, closed="2026-12-10T15:59:00+00:00", due="2026-12-10")  # 23:59 on the 10th in China
    next_day = item(2, closed="2026-12-10T16:01:00+00:00", due="2026-12-10")  # 00:01 on the 11th
    row = figures(frame(on_due_day, next_day)).loc["A"]
    assert (row["closed"], row["on_time"], row["late"]) == (2, 1, 1)


# --- overdue at the cut-off ---------------------------------------------------------------

def test_a_finished_month_counts_what_is_still_open_after_its_last_day_ends():
    due_last_day = item(1, due="2026-12-31")
    due_next_month = item(2, due="2027-01-04")
    closed_in_january = item(3, due="2026-12-15", closed="2027-01-05T02:00:00+00:00")
    closed_before = item(4, due="2026-12-15", closed="2026-12-14T02:00:00+00:00")
    row = figures(frame(due_last_day, due_next_month, closed_in_january, closed_before)).loc["A"]
    assert row["overdue"] == 2  # 1 (its due date ended with the month) and 3 (open at the cut-off)
    listed = mf.overdue_list(frame(due_last_day, due_next_month, closed_in_january, closed_before), NO_STEPS,
                             mf.month_period(2026, 12, LATER), CALENDAR)
    assert sorted(listed["ref"]) == [1, 3]


def test_the_current_month_is_cut_off_now_and_today_s_deadline_is_not_yet_missed():
    now = clock.at_county(date(2026, 12, 10), 10)
    due_yesterday, due_today = item(1, due="2026-12-09"), item(2, due="2026-12-10")
    closed_later = item(3, due="2026-12-01", closed="2026-12-20T02:00:00+00:00")  # after "now": not yet
    closed_this_moment = item(4, due="2026-12-31", closed=now.astimezone(clock.UTC).isoformat())
    period = mf.month_period(2026, 12, now)
    assert period.current and period.cutoff > now and period.cutoff_day == date(2026, 12, 10)
    row = figures(frame(due_yesterday, due_today, closed_later, closed_this_moment), now=now).loc["A"]
    assert (row["overdue"], row["closed"]) == (2, 1)  # what happened at "now" itself has happened


def test_an_item_opened_after_the_month_is_not_overdue_in_it():
    opened_later = item(1, opened="2027-01-04T02:00:00+00:00", due="2026-12-01")
    assert figures(frame(opened_later)).loc["A", "overdue"] == 0


def test_a_ticket_answered_and_waiting_for_its_enterprise_is_not_the_agency_s_delay():
    ticket = item(7, kind=mf.PROBLEM, opened="2026-12-01T02:00:00+00:00", due="2026-12-10")
    answered = {"kind": mf.PROBLEM, "ref": 7, "at": "2026-12-08T02:00:00+00:00", "waiting": False}
    sent_back = {"kind": mf.PROBLEM, "ref": 7, "at": "2027-01-05T02:00:00+00:00", "waiting": True}
    steps = pd.DataFrame([answered, sent_back], columns=mf.STEP_COLUMNS)
    assert figures(frame(ticket), steps=steps).loc["A", "problem_overdue"] == 0  # answered at December's end
    assert figures(frame(ticket), 2027, 1, steps=steps).loc["A", "problem_overdue"] == 1  # back with the agency


def test_days_overdue_are_working_days_and_skip_the_holiday_but_count_the_make_up_day():
    due_before_holiday = item(1, opened="2026-09-01T02:00:00+00:00", due="2026-09-30")
    listed = mf.overdue_list(frame(due_before_holiday), NO_STEPS, mf.month_period(2026, 10, LATER), CALENDAR)
    # October 2026: 22 weekdays, 5 of them holidays (1, 2, 5, 6, 7), plus Saturday the 10th
    assert listed.loc[0, "days_overdue"] == 22 - 5 + 1
    mid_holiday = mf.month_period(2026, 10, clock.at_county(date(2026, 10, 8), 9))
    assert mf.overdue_list(frame(due_before_holiday), NO_STEPS, mid_holiday, CALENDAR).loc[0, "days_overdue"] == 1


def test_the_overdue_list_puts_the_longest_overdue_first():
    rows = frame(item(1, agency="A", due="2026-12-28"), item(2, agency="B", due="2026-12-01"),
                 item(3, agency="B", due="2026-12-28", kind=mf.PROBLEM))
    listed = mf.overdue_list(rows, NO_STEPS, mf.month_period(2026, 12, LATER), CALENDAR)
    assert list(listed["ref"]) == [2, 1, 3]
    assert list(listed.columns) == mf.OVERDUE_COLUMNS


# --- rates and the ranking ----------------------------------------------------------------

def test_rectification_rate_is_closed_over_closed_and_overdue_and_on_time_rate_is_over_closed():
    rows = frame(
        item(1, closed="2026-12-05T02:00:00+00:00", due="2026-12-10"),
        item(2, closed="2026-12-06T02:00:00+00:00", due="2026-12-10", kind=mf.PROBLEM),
        item(3, closed="2026-12-20T02:00:00+00:00", due="2026-12-10"),
        item(4, due="2026-12-10"),
        item(5, due="2027-01-10"),  # open, not yet due: counts in neither
    )
    row = figures(rows).loc["A"]
    assert (row["opened"], row["closed"], row["on_time"], row["late"], row["overdue"]) == (5, 3, 2, 1, 1)
    assert (row["case_closed"], row["problem_closed"]) == (2, 1)
    assert row["rectification_rate"] == pytest.approx(3 / 4)
    assert row["on_time_rate"] == pytest.approx(2 / 3)


def test_an_agency_with_nothing_to_rate_has_no_rate_and_no_rank():
    table = figures(frame(item(1, agency="A", due="2027-02-01")), agencies=("A", "B"))
    assert table.loc["A", "opened"] == 1 and table.loc["B", "opened"] == 0
    for agency in "AB":
        assert pd.isna(table.loc[agency, "rectification_rate"]) and table.loc[agency, "rank"] is None


def test_ties_share_the_better_rank_and_the_next_rank_skips():
    closed_on_time = dict(closed="2026-12-05T02:00:00+00:00", due="2026-12-10")
    rows = frame(
        item(1, agency="A", **closed_on_time), item(2, agency="A", due="2026-12-10"),  # 1/2, on time 1
        item(3, agency="B", **closed_on_time), item(4, agency="B", due="2026-12-10"),  # the same: ties with A
        item(5, agency="C", **closed_on_time),  # 1/1: first
        item(6, agency="D", due="2026-12-10"),  # 0/1, no on-time rate
        item(7, agency="E", closed="2026-12-20T02:00:00+00:00", due="2026-12-10"),
        item(8, agency="E", due="2026-12-10"),  # 1/2 like A and B, but late: after them
    )
    table = figures(rows, agencies=("A", "B", "C", "D", "E"))
    assert table["rank"].to_dict() == {"C": 1, "A": 2, "B": 2, "E": 4, "D": 5}


def test_fewer_overdue_breaks_a_tie_of_rates():
    closed = dict(closed="2026-12-05T02:00:00+00:00", due="2026-12-10")
    rows = frame(item(1, agency="A", **closed), item(2, agency="A", due="2026-12-10"),
                 *[item(10 + i, agency="B", **closed) for i in range(2)],
                 *[item(20 + i, agency="B", due="2026-12-10") for i in range(2)])
    table = figures(rows, agencies=("A", "B"))  # both 50 % and 100 % on time; A has 1 overdue, B 2
    assert table["rank"].to_dict() == {"A": 1, "B": 2}


def test_county_totals_sum_the_counts_and_rate_the_sums():
    rows = frame(item(1, agency="A", closed="2026-12-05T02:00:00+00:00", due="2026-12-10"),
                 item(2, agency="B", due="2026-12-10"))
    totals = mf.county_totals(figures(rows, agencies=("A", "B")).reset_index())
    assert (totals["closed"], totals["overdue"], totals["rectification_rate"], totals["on_time_rate"]) == (1, 1, 0.5, 1.0)


def test_no_casework_at_all_gives_zeros():
    table = figures(frame(), agencies=("A",))
    assert table.loc["A", ["opened", "closed", "overdue"]].tolist() == [0, 0, 0]
    assert mf.overdue_list(frame(), NO_STEPS, mf.month_period(2026, 12, LATER), CALENDAR).empty


def test_a_month_out_of_range_is_refused():
    with pytest.raises(ValueError):
        mf.month_period(2026, 13, LATER)
