"""The working calendar and the county clock as the administrator and the discipline office
meet them (AppTest): the calendar page, the missing-year warning, the close check."""
from datetime import datetime
from pathlib import Path

from streamlit.testing.v1 import AppTest

from conftest import ADMIN_ACTOR, DISCIPLINE_ACTOR
from surveys.core import clock
from surveys.core import workdays
from surveys.storage.db import connect

APP_DIR = Path(__file__).resolve().parents[2]
TIMEOUT = 60


def run(script: str, path, monkeypatch, actor, lang="zh") -> AppTest:
    monkeypatch.setenv("QIPING_DB", str(path))
    at = AppTest.from_file(str(APP_DIR / script), default_timeout=TIMEOUT)
    at.session_state["actor"] = actor
    at.session_state["lang"] = lang
    at.session_state["last_seen"] = 9e18  # never idle
    at.run()
    assert not at.exception, at.exception
    return at


def warnings(at) -> str:
    return "\n".join(w.value for w in at.warning)


def test_no_warning_while_the_calendar_is_known(demo_path, monkeypatch):
    clock.freeze(datetime(2026, 6, 1, 10, tzinfo=clock.COUNTY_TIME))  # deadlines reach no further than 2026
    at = run("streamlit_app.py", demo_path, monkeypatch, ADMIN_ACTOR)
    assert "节假日安排尚未录入" not in warnings(at)


def test_administrator_and_discipline_office_are_warned_of_a_missing_year(demo_path, monkeypatch):
    unknown = max(workdays.LIBRARY_YEARS) + 1
    clock.freeze(datetime(unknown, 1, 5, 10, tzinfo=clock.COUNTY_TIME))
    for actor in (ADMIN_ACTOR, DISCIPLINE_ACTOR):
        at = run("streamlit_app.py", demo_path, monkeypatch, actor)
        assert f"{unknown} 年的节假日安排尚未录入" in warnings(at)


def test_the_administrator_enters_next_year_on_the_page(demo_path, monkeypatch):
    year = max(workdays.LIBRARY_YEARS) + 1
    clock.freeze(datetime(year - 1, 11, 20, 10, tzinfo=clock.COUNTY_TIME))
    at = run("app_pages/admin/calendar_admin.py", demo_path, monkeypatch, ADMIN_ACTOR, lang="en")
    at.selectbox[0].select(year).run()
    assert any("unknown" in w.value for w in at.warning)
    at.text_area[0].input(f"{year}-01-01\n{year}-02-06..{year}-02-13")
    saturday = next(d for d in (datetime(year, 1, d).date() for d in range(1, 15)) if d.weekday() == 5)
    at.text_area[1].input(saturday.isoformat())
    at.button[0].click().run()  # Check
    assert not at.exception and any(f"The {year} schedule is valid: 9 days off" in s.value for s in at.success)
    at.checkbox[0].check().run()
    next(b for b in at.button if b.label == f"Save the {year} schedule").click().run()
    assert not at.exception
    db = connect(demo_path)
    assert workdays.load_calendar(db).source(year) == workdays.ENTERED
    assert not workdays.is_working_day(db, datetime(year, 2, 10).date()) or datetime(year, 2, 10).weekday() >= 5


def test_a_bad_calendar_entry_is_refused_with_line_and_problem(demo_path, monkeypatch):
    at = run("app_pages/admin/calendar_admin.py", demo_path, monkeypatch, ADMIN_ACTOR, lang="en")
    year = at.selectbox[0].value
    at.text_area[0].input(f"{year}-01-01\n{year}-02-30")
    at.button[0].click().run()
    problems = at.dataframe[0].value.to_string()
    assert "Line 2" in problems and f"'{year}-02-30' is not a date" in problems


def test_closing_early_shows_the_date_and_the_response_rate(demo_path, monkeypatch):
    at = run("app_pages/admin/rounds_admin.py", demo_path, monkeypatch, ADMIN_ACTOR)
    shown = warnings(at)
    assert "截止日期是 2026年12月31日，今天是 2026年11月20日" in shown
    assert "填报率" in shown and "家企业已填报" in shown
    assert any(c.label == "我已看到上述情况，仍确认现在截止" for c in at.checkbox)


def test_the_new_round_form_proposes_the_next_quarter(demo_path, monkeypatch):
    at = run("app_pages/admin/rounds_admin.py", demo_path, monkeypatch, ADMIN_ACTOR)
    name = next(t for t in at.text_input if t.label in ("轮次名称", "Round name"))
    assert name.value == "2027Q1"  # 2026Q4 exists in the demo
    assert [d.value.isoformat() for d in at.date_input] == ["2027-01-01", "2027-03-31"]
