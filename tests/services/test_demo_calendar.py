"""The demo county follows the calendar: built on any day, its open round is the current
quarter, closing no earlier than today; the eight before it are finished; every stored due
date is a working day of China's calendar; the history lies in the past with the same mix
of on-time, late and overdue work; and the same seed tells the same story."""
import json
from datetime import date, datetime, timedelta, timezone

import pytest

from surveys import startup
from surveys.casework import cases
from surveys.core import clock
from surveys.demo import county as demo
from surveys.collection import rounds
from surveys.core import workdays

CST = clock.COUNTY_TIME
# a pinned-clock date of each kind: the year end in UTC and in the county, National Day,
# Spring Festival, the first day of a quarter, a year the library does not know
MOMENTS = [
    datetime(2026, 12, 31, 15, 30, tzinfo=timezone.utc),  # 23:30 on 31 December in the county
    datetime(2026, 12, 31, 16, 30, tzinfo=timezone.utc),  # 00:30 on 1 January 2027 in the county
    datetime(2026, 10, 3, 10, 0, tzinfo=CST),  # inside National Day
    datetime(2026, 2, 18, 10, 0, tzinfo=CST),  # inside Spring Festival
    datetime(2025, 7, 1, 0, 5, tzinfo=CST),  # the first minutes of a quarter
    datetime(2028, 5, 17, 10, 0, tzinfo=CST),  # a year chinese-calendar does not know
]


def built_on(moment: datetime, path):
    clock.freeze(moment)
    db = startup.prepare(path)
    assert demo.build_demo_county(db)
    return db


@pytest.fixture(scope="module", params=MOMENTS, ids=lambda m: m.isoformat())
def demo_on(request, tmp_path_factory):
    db = built_on(request.param, tmp_path_factory.mktemp("demo") / "demo.db")
    yield request.param, db
    clock.freeze(None)
    db.close()


@pytest.fixture(autouse=True)
def _same_moment(demo_on):
    clock.freeze(demo_on[0])


def test_the_open_round_is_the_current_quarter_closing_no_earlier_than_today(demo_on):
    moment, db = demo_on
    today = moment.astimezone(CST).date()
    current = rounds.open_round(db)
    assert current["name"] == rounds.quarter_of(today)
    assert current["opens_on"] <= today.isoformat() <= current["closes_on"]
    assert current["closes_on"] == rounds.quarter_bounds(current["name"])[1].isoformat()
    rounds.require_open(db, current["name"])  # answers are accepted today


def test_the_eight_quarters_before_it_are_finished(demo_on):
    moment, db = demo_on
    past = [r["name"] for r in db.query("SELECT name FROM rounds WHERE status = 'published' ORDER BY name")]
    assert len(past) == 8
    expected, first = [], rounds.quarter_bounds(rounds.quarter_of(moment.astimezone(CST).date()))[0]
    for _ in range(8):
        first = rounds.quarter_bounds(rounds.quarter_of(first - timedelta(days=1)))[0]
        expected.insert(0, rounds.quarter_of(first))
    assert past == expected
    closes = [r["closed_at"] for r in db.query("SELECT closed_at FROM rounds WHERE status = 'published' ORDER BY name")]
    assert closes == sorted(closes) and closes[-1] < clock.now_iso()


def test_every_stored_due_date_is_a_working_day(demo_on):
    _, db = demo_on
    calendar = workdays.load_calendar(db)
    due = [r[0] for r in db.execute("SELECT due_on FROM cases UNION ALL SELECT due_on FROM problems")]
    assert due and all(calendar.is_working_day(date.fromisoformat(d)) for d in due)


def test_the_history_is_in_the_past(demo_on):
    _, db = demo_on
    now = clock.now_iso()
    for table, column in [("case_events", "at"), ("cases", "opened_at"), ("problem_events", "at"),
                          ("appeals", "lodged_at"), ("finalisations", "at"), ("audit_log", "at"),
                          ("responses", "updated_at")]:
        latest = db.execute(f"SELECT max({column}) FROM {table}").fetchone()[0]
        assert latest is not None and latest <= now, (table, latest, now)


def test_the_same_mix_of_on_time_late_and_overdue_work(demo_on):
    _, db = demo_on
    past = demo.past_rounds(db)
    all_cases = list(db.query("SELECT * FROM cases"))
    overdue = [c for c in all_cases if cases.is_overdue(c)]
    assert overdue and {c["round"] for c in overdue} == {past[-2]}
    assert not [c for c in all_cases if c["round"] == past[-1] and cases.is_overdue(c)]
    events = [(step, json.loads(details)) for step, details in db.execute("SELECT step, details FROM case_events")]
    late = sum(1 for _, details in events if details.get("late"))
    on_time = sum(1 for step, details in events if step == "rectification_received" and not details.get("late"))
    assert late > 0 and on_time > 0
    pending = db.execute("SELECT round FROM appeals WHERE status = 'pending'").fetchall()
    assert [r[0] for r in pending] == [past[-1]]
    waiting = db.execute("SELECT round FROM cases WHERE action = 'referral' AND status = 'referred'").fetchall()
    assert [r[0] for r in waiting] == [past[-1]]


def test_same_seed_same_story_on_any_date(demo_on, tmp_path):
    _, db = demo_on
    reference = built_on(datetime(2026, 11, 20, 10, tzinfo=CST), tmp_path / "reference.db")

    def story(database):
        rows = database.execute(
            "SELECT r.agency, r.comment, group_concat(x.rating, '') FROM responses r"
            " JOIN response_ratings x ON x.response_id = r.id GROUP BY r.id ORDER BY r.id").fetchall()
        grades = database.execute(
            "SELECT agency, grade, action FROM current_results ORDER BY round, agency").fetchall()
        return rows, grades

    assert story(db) == story(reference)
