"""The county clock and China's working calendar (DESIGN §5): date rules use the county's
date, deadlines skip statutory holidays and count make-up working days, a year nobody
knows falls back to Monday–Friday with a warning, and rounds close themselves."""
from __future__ import annotations

import os
import subprocess
import sys
import threading
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from conftest import ADMIN_ACTOR, DISCIPLINE_ACTOR, dump, enterprise_actor, make_world
from surveys.reports import audit_view
from surveys.collection import autoclose
from surveys.casework import cases
from surveys.core import clock
from surveys.casework import problems
from surveys.collection import responses
from surveys.collection import rounds
from surveys.casework import calendar_admin
from surveys.core import workdays
from surveys.core.errors import ImportRefused, PermissionDenied, RoundNotOpen

CST = clock.COUNTY_TIME
APP_DIR = Path(__file__).resolve().parents[2]
ITEMS = ("efficiency", "attitude", "lawfulness", "integrity", "convenience")


def FULL_AT(level: int) -> dict:
    return dict.fromkeys(ITEMS, level)


def at_county(*args) -> datetime:
    return datetime(*args, tzinfo=CST)


# --- the clock ----------------------------------------------------------------------

def test_today_is_the_county_date_not_the_utc_date():
    clock.freeze(datetime(2026, 12, 31, 16, 30, tzinfo=timezone.utc))  # 00:30 on 1 January in the county
    assert clock.today() == date(2027, 1, 1)
    assert clock.now_iso() == "2026-12-31T16:30:00+00:00"  # the database keeps UTC


def test_times_are_shown_in_county_time_the_chinese_or_english_way():
    stored = "2026-12-31T16:30:00+00:00"
    assert clock.format_datetime(stored, "zh") == "2027年1月1日 00:30"
    assert clock.format_datetime(stored, "en") == "2027-01-01 00:30"
    assert clock.format_date(stored, "zh") == "2027年1月1日"  # the county's day, not UTC's
    assert clock.format_date("2026-12-31", "zh") == "2026年12月31日"  # a plain date is already the county's


def test_the_clock_can_start_a_whole_process_at_a_given_moment(monkeypatch):
    import importlib
    monkeypatch.setenv("QIPING_CLOCK_START", "2027-03-01T09:00:00+08:00")
    try:
        fresh = importlib.reload(clock)
        fresh.freeze(None)
        assert fresh.today() == date(2027, 3, 1)
        assert fresh.now() >= at_county(2027, 3, 1, 9)
    finally:
        monkeypatch.delenv("QIPING_CLOCK_START")
        importlib.reload(clock)


# --- the year end: 31 December 23:30 in the county is still 31 December ---------------

@pytest.fixture
def year_end_round(db):
    make_world(db, open_round=False)
    rounds.create_round(db, ADMIN_ACTOR, "2026Q4", "2026-11-01", "2026-12-31")
    rounds.start_round(db, ADMIN_ACTOR, "2026Q4")
    return db


def test_a_round_accepts_answers_until_the_end_of_its_closing_date_in_the_county(year_end_round):
    db = year_end_round
    uscc = db.execute("SELECT uscc FROM enterprises LIMIT 1").fetchone()[0]
    clock.freeze(at_county(2026, 12, 31, 23, 30))  # 15:30 UTC
    responses.save_response(db, enterprise_actor(uscc), "2026Q4", "FGW", FULL_AT(5))
    clock.freeze(at_county(2027, 1, 1, 0, 30))  # still 31 December in UTC
    with pytest.raises(RoundNotOpen):
        responses.save_response(db, enterprise_actor(uscc), "2026Q4", "FGW", FULL_AT(4))


def test_auto_close_waits_for_the_county_midnight_and_records_when_it_closed(year_end_round):
    db = year_end_round
    clock.freeze(at_county(2026, 12, 31, 23, 59))
    assert rounds.close_overdue_rounds(db) == []
    clock.freeze(at_county(2027, 1, 1, 0, 1))
    assert rounds.close_overdue_rounds(db) == ["2026Q4"]
    row = rounds.get_round(db, "2026Q4")
    assert row["status"] == "closed"
    assert clock.to_county(row["closed_at"]) == at_county(2027, 1, 1, 0, 0)
    entries = [e for e in audit_view.search_audit(db, ADMIN_ACTOR) if e["action"] == "round.closed"]
    assert len(entries) == 1 and entries[0]["actor"] == "system:qiping"


def test_the_background_check_closes_a_round_without_anyone_visiting(year_end_round, tmp_path):
    db = year_end_round
    clock.freeze(at_county(2027, 1, 2, 8, 0))
    stop = threading.Event()
    thread = autoclose.start(tmp_path / "test.db", interval=0.05, stop=stop)
    try:
        for _ in range(200):
            if rounds.get_round(db, "2026Q4")["status"] == "closed":
                break
            stop.wait(0.05)
        assert rounds.get_round(db, "2026Q4")["status"] == "closed"
    finally:
        stop.set()
        thread.join(timeout=5)
    assert not thread.is_alive()


CLOSE_ONCE = "import sys; from surveys.collection import autoclose; print(','.join(autoclose.close_due_rounds(sys.argv[1])))"


def test_several_processes_closing_at_once_close_the_round_once(year_end_round, tmp_path):
    env = {**os.environ, "QIPING_CLOCK_START": at_county(2027, 1, 1, 0, 5).isoformat()}
    workers = [subprocess.Popen([sys.executable, "-c", CLOSE_ONCE, str(tmp_path / "test.db")], cwd=APP_DIR,
                                env=env, stdout=subprocess.PIPE, text=True) for _ in range(4)]
    closed = [w.communicate(timeout=120)[0].strip() for w in workers]
    assert sorted(closed) == ["", "", "", "2026Q4"]
    entries = [e for e in audit_view.search_audit(year_end_round, ADMIN_ACTOR) if e["action"] == "round.closed"]
    assert len(entries) == 1


# --- China's working calendar ------------------------------------------------------------

def test_national_day_is_skipped_and_its_make_up_saturday_counts(db):
    calendar = workdays.load_calendar(db)
    # 2026: 1–7 October off; Sunday 20 September and Saturday 10 October are working days
    assert not calendar.is_working_day(date(2026, 10, 5))  # a Monday in the holiday
    assert calendar.is_working_day(date(2026, 10, 10))  # a Saturday, worked
    assert calendar.is_working_day(date(2026, 9, 20))  # a Sunday, worked
    # 15 working days from Wednesday 30 September 2026: 8, 9, 10(Sat), 12–16, 19–23, 26, 27 October
    assert workdays.add_working_days(db, date(2026, 9, 30), 15) == date(2026, 10, 27)
    # Monday–Friday would have said 21 October, six days early
    assert date(2026, 9, 30) + timedelta(days=21) == date(2026, 10, 21)


def test_spring_festival_is_skipped_and_its_make_up_days_count(db):
    calendar = workdays.load_calendar(db)
    # 2026: 15–23 February off; Saturday 14 and Saturday 28 February are working days
    assert calendar.is_working_day(date(2026, 2, 14)) and calendar.is_working_day(date(2026, 2, 28))
    assert not calendar.is_working_day(date(2026, 2, 16))
    # from Friday 13 February: 14(Sat), 24, 25, 26, 27, 28(Sat), 2–6 March, 9–12 March
    assert workdays.add_working_days(db, date(2026, 2, 13), 6) == date(2026, 2, 28)
    assert workdays.add_working_days(db, date(2026, 2, 13), 15) == date(2026, 3, 12)


def a_reminder_opened_at(db, moment: datetime, people=None) -> int:
    """Round 2026Q3 rated fair for FGW, finalised at ``moment``: its reminder case."""
    from surveys.results import finalise
    people = people or make_world(db, enterprises=5, open_round=False)
    clock.freeze(moment - timedelta(days=20))
    rounds.create_round(db, ADMIN_ACTOR, "2026Q3", "2026-01-01", "2099-12-31")
    rounds.start_round(db, ADMIN_ACTOR, "2026Q3")
    for who in people:
        responses.save_response(db, who, "2026Q3", "FGW", FULL_AT(4))
    rounds.close_round(db, ADMIN_ACTOR, "2026Q3")
    clock.freeze(moment)
    finalise.finalise_round(db, ADMIN_ACTOR, "2026Q3")
    return db.execute("SELECT id FROM cases WHERE agency = 'FGW' AND action = 'reminder'").fetchone()[0]


def test_a_case_opened_before_national_day_is_due_after_the_holiday_and_not_late_inside_it(db):
    case_id = a_reminder_opened_at(db, at_county(2026, 9, 30, 10, 0))
    assert cases.get_case(db, case_id)["due_on"] == "2026-10-27"
    clock.freeze(at_county(2026, 10, 23, 10, 0))  # a Monday–Friday count would call this late
    assert not cases.is_overdue(cases.get_case(db, case_id))


def test_a_year_nobody_knows_falls_back_to_monday_to_friday_and_warns(db):
    unknown = max(workdays.LIBRARY_YEARS) + 1
    clock.freeze(at_county(unknown, 3, 2, 10, 0))
    monday = date(unknown, 3, 2) - timedelta(days=date(unknown, 3, 2).weekday())
    assert workdays.add_working_days(db, monday, 5) == monday + timedelta(days=7)
    assert calendar_admin.calendar_warning(db, ADMIN_ACTOR) == [unknown]
    assert calendar_admin.calendar_warning(db, DISCIPLINE_ACTOR) == [unknown]
    with pytest.raises(PermissionDenied):
        calendar_admin.calendar_warning(db, enterprise_actor("x"))


def test_the_last_known_year_warns_when_its_deadlines_reach_into_the_next(db):
    last = max(workdays.LIBRARY_YEARS)
    clock.freeze(at_county(last, 6, 1, 10, 0))
    assert workdays.missing_years(db) == []
    clock.freeze(at_county(last, 12, 1, 10, 0))
    assert workdays.missing_years(db) == [last + 1]


def test_the_administrator_enters_a_year_and_deadlines_follow_it(db):
    year = max(workdays.LIBRARY_YEARS) + 1
    saturday = _a_saturday(year, 3)
    holidays, makeup = calendar_admin.parse_schedule(
        year, f"{year}-01-01..{year}-01-03  # 元旦\n{year}-02-08 ~ {year}-02-12\n",
        f"{saturday.isoformat()}  # 调休\n")
    assert len(holidays) == 8 and makeup == {saturday}
    calendar_admin.enter_year(db, ADMIN_ACTOR, year, holidays, makeup)
    calendar = workdays.load_calendar(db)
    assert calendar.source(year) == workdays.ENTERED
    weekday_off = next(d for d in holidays if d.weekday() < 5)
    assert not calendar.is_working_day(weekday_off)
    assert calendar.is_working_day(saturday)
    clock.freeze(at_county(year, 3, 2, 10, 0))
    assert workdays.missing_years(db) == []
    assert any(e["action"] == "calendar.year_entered" for e in audit_view.search_audit(db, ADMIN_ACTOR))


def _a_saturday(year: int, month: int) -> date:
    day = date(year, month, 1)
    return day + timedelta(days=(5 - day.weekday()) % 7)


def test_a_bad_schedule_is_refused_naming_the_line_field_and_problem(db):
    with pytest.raises(ImportRefused) as refused:
        calendar_admin.parse_schedule(2027, "2027-01-01\n2027-13-01\n2026-12-31", "2027-02-10")
    messages = [m.lower() for m in refused.value.details("en")]
    assert any("line 2" in m and "2027-13-01" in m for m in messages), messages
    assert any("line 3" in m and "2026-12-31" in m for m in messages), messages
    assert any("2027-02-10" in m and "saturday or sunday" in m for m in messages), messages
    assert workdays.load_calendar(db).source(2027) != workdays.ENTERED


def test_only_the_administrator_enters_a_calendar(db):
    with pytest.raises(PermissionDenied):
        calendar_admin.enter_year(db, DISCIPLINE_ACTOR, 2027, set(), set())


def test_changing_the_calendar_keeps_issued_deadlines_and_says_which_would_move(db):
    people = make_world(db, enterprises=5, open_round=False)
    case_id = a_reminder_opened_at(db, at_county(2026, 11, 20, 10, 0), people)
    rounds.create_round(db, ADMIN_ACTOR, "2026Q4", "2026-11-01", "2099-12-31")
    rounds.start_round(db, ADMIN_ACTOR, "2026Q4")
    responses.save_response(db, people[0], "2026Q4", "FGW", FULL_AT(2))
    problem_id = problems.raise_problem(db, people[0], "FGW", "审批超时")
    issued = cases.get_case(db, case_id)["due_on"]
    assert issued == "2026-12-11"
    # a (fictitious) correction: 1–4 December 2026 off
    new_holidays = set(calendar_admin.year_schedule(db, ADMIN_ACTOR, 2026).holidays) | {
        date(2026, 12, d) for d in range(1, 5)}
    makeup = set(calendar_admin.year_schedule(db, ADMIN_ACTOR, 2026).workdays)
    changed = calendar_admin.deadlines_that_would_change(db, ADMIN_ACTOR, 2026, new_holidays, makeup)
    assert {(c["kind"], c["id"], c["would_be"]) for c in changed} == {
        ("case", case_id, "2026-12-17"), ("problem", problem_id, "2026-12-17")}
    calendar_admin.enter_year(db, ADMIN_ACTOR, 2026, new_holidays, makeup)
    assert cases.get_case(db, case_id)["due_on"] == issued  # not moved silently


def test_every_deadline_is_counted_by_the_one_calendar(db):
    """A case, a problem and the appeal window all skip National Day."""
    from surveys.casework import appeals
    make_world(db)
    uscc = db.execute("SELECT uscc FROM enterprises LIMIT 1").fetchone()[0]
    clock.freeze(at_county(2026, 9, 30, 10, 0))
    responses.save_response(db, enterprise_actor(uscc), "2026Q4", "FGW", FULL_AT(2))
    problem_id = problems.raise_problem(db, enterprise_actor(uscc), "FGW", "审批超时")
    assert problems.get_problem(db, problem_id)["due_on"] == "2026-10-27"
    rounds.close_round(db, ADMIN_ACTOR, "2026Q4")
    assert appeals.window_end(db, rounds.get_round(db, "2026Q4")) == date(2026, 10, 20)  # 10 working days


def test_refusing_a_calendar_changes_nothing(db):
    before = dump(db)
    with pytest.raises(ImportRefused):
        calendar_admin.parse_schedule(2027, "not a date", "")
    assert dump(db) == before


def test_the_lock_out_message_says_until_when_in_county_time(db):
    from surveys.participants import accounts
    from surveys.core.errors import SignInRefused
    clock.freeze(datetime(2026, 12, 2, 5, 20, tzinfo=timezone.utc))  # 13:20 in the county
    for attempt in range(5):
        with pytest.raises(SignInRefused):
            accounts.sign_in_enterprise(db, f"QP-WRONG-{attempt}", "client-a")
    with pytest.raises(SignInRefused) as caught:
        accounts.sign_in_enterprise(db, "QP-WRONG-6", "client-a")
    assert "2026年12月2日 13:35" in caught.value.message("zh")
    assert "2026-12-02 13:35" in caught.value.message("en")
    assert "UTC" not in caught.value.message("zh") and "+00:00" not in caught.value.message("en")
