"""Several counties in one deployment (issue 16 item 1): each county's data in its own file,
chosen by the address (?county=<slug>) once per browser session; nothing of one county is
reachable from another — not its accounts, not its data, not by changing the address."""
import re
import sqlite3
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from app_pages import navigation
from surveys import startup
from surveys.core import counties
from surveys.core.actors import ADMIN, AGENCY, CITY, DISCIPLINE, ENTERPRISE, Actor
from surveys.core.errors import InvalidInput, PermissionDenied
from surveys.participants import accounts
from surveys.results import city as city_results
from surveys.storage.db import connect, write_transaction
from tests.conftest import copy_database

TIMEOUT = 60
APP = str(Path(__file__).resolve().parents[2] / "streamlit_app.py")
B_MARK = "平武"  # every name in county B carries it; nothing at county A may show it
B_ADMIN, B_PASSWORD, B_CODE = "pingwu-admin", "pingwu-password-1", "QP-PINGWU-0001"
CITY_USER, CITY_PASSWORD = "city", "city-password-1"


@pytest.fixture(scope="module")
def county_b_template(demo_template, tmp_path_factory):
    """County B: the demo built from another seed under another name, every agency's and
    enterprise's name marked, with an administrator and an access code of its own."""
    path = tmp_path_factory.mktemp("county_b") / "b.db"
    db = startup.prepare(path)
    from surveys.demo import county as demo
    demo.build_demo_county(db, seed=20261201, county_name=B_MARK + "县")
    first = db.execute("SELECT uscc FROM enterprises ORDER BY uscc LIMIT 1").fetchone()[0]
    with write_transaction(db):
        db.execute("UPDATE agencies SET name_zh = ? || name_zh, name_en = ? || name_en", [B_MARK, B_MARK])
        db.execute("UPDATE enterprises SET name = ? || name", [B_MARK])
        accounts.insert_staff(db, B_ADMIN, B_PASSWORD, ADMIN, None, B_MARK + "管理员")
        accounts.set_access_code(db, first, B_CODE)
    db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    return path


@pytest.fixture
def two_counties(demo_template, county_b_template, tmp_path, monkeypatch):
    """A deployment of two counties: A is the demo county (青川县), B the marked one."""
    copy_database(demo_template, tmp_path / "a.db")
    copy_database(county_b_template, tmp_path / "b.db")
    config = tmp_path / "counties.toml"
    config.write_text('[counties.a]\nname = "青川县"\ndb = "a.db"\n\n'
                      f'[counties.b]\nname = "{B_MARK}县"\ndb = "b.db"\n\n'
                      '[cities.city]\nname = "广元市"\ndb = "city.db"\ncovers = ["a", "b"]\n', encoding="utf-8")
    city = startup.prepare_city(tmp_path / "city.db")
    with write_transaction(city):
        accounts.insert_city_account(city, CITY_USER, CITY_PASSWORD, "市营商办")
    city.close()
    monkeypatch.setenv("QIPING_COUNTIES", str(config))
    monkeypatch.delenv("QIPING_DB", raising=False)
    return tmp_path


def open_app(address: str | None = None, **state) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    if address:
        at.query_params["county"] = address
    for key, value in state.items():
        at.session_state[key] = value
    at.run()
    assert not at.exception, at.exception
    return at


def everything_shown(at) -> str:
    """Every text a reader could see: words, tables, metrics, choices, the sidebar."""
    parts = [str(e.value) for kind in ("title", "header", "subheader", "markdown", "caption", "info", "success",
                                       "error", "warning", "text", "code") for e in at.get(kind)]
    parts += [frame.value.to_string() for frame in at.dataframe]
    parts += [table.value.to_string() for table in at.table]
    parts += [f"{m.label} {m.value}" for m in at.metric]
    parts += [" ".join(map(str, box.options)) for box in [*at.selectbox, *at.multiselect, *at.radio]]
    parts += [str(e.value) for e in at.sidebar.caption]
    return "\n".join(parts)


def signed_in(at) -> bool:
    return any(b.label == "退出登录" for b in at.sidebar.button)


def sign_in_staff(at, username, password):
    at.tabs[1].text_input[0].input(username)
    at.tabs[1].text_input[1].input(password)
    next(b for b in at.tabs[1].button if b.label == "登录").click()
    at.run()


def sign_in_enterprise(at, code):
    at.tabs[0].text_input[0].input(code)
    next(b for b in at.tabs[0].button if b.label == "登录").click()
    at.run()


# --- the configuration ------------------------------------------------------------------

def test_without_a_counties_file_the_deployment_is_one_county(monkeypatch):
    monkeypatch.delenv("QIPING_COUNTIES", raising=False)
    assert counties.load() is None


def test_the_counties_file_names_each_county_and_its_own_file(tmp_path):
    known = counties.parse('[counties.a]\nname = "甲县"\ndb = "a.db"\n[counties.b]\nname = "乙县"\n'
                           'db = "/srv/b.db"\ndemo_seed = 7\n', tmp_path)
    assert list(known) == ["a", "b"]
    assert known["a"].db == (tmp_path / "a.db").resolve() and known["b"].db == Path("/srv/b.db")
    assert known["b"].demo_seed == 7 and known["a"].name == "甲县"


@pytest.mark.parametrize("text, key, values", [
    ('[counties.a]\nname = "甲"\ndb = "x.db"\n[counties.b]\nname = "乙"\ndb = "x.db"\n',
     "counties.shared_file", {"first": "a", "second": "b"}),
    ('[counties.A1]\nname = "甲"\ndb = "a.db"\n', "counties.bad_slug", {"where": "counties.A1"}),
    ('[counties.a]\ndb = "a.db"\n', "counties.missing_field", {"where": "counties.a", "field": "name"}),
    ('[counties.a]\nname = "甲"\n', "counties.missing_field", {"where": "counties.a", "field": "db"}),
    ("title = 1\n", "counties.none", {}),
])
def test_a_wrong_counties_file_is_refused_naming_the_county_and_field(tmp_path, text, key, values):
    with pytest.raises(InvalidInput) as refused:
        counties.parse(text, tmp_path)
    assert refused.value.key == key and refused.value.values == values


def test_the_demo_offers_two_counties_and_their_city_office():
    known = counties.load(Path(__file__).resolve().parents[2] / "data" / "demo_counties.toml")
    assert [(c.slug, c.is_city) for c in known.values()] == [("qingchuan", False), ("pingwu", False),
                                                             ("city", True)]
    assert [c.slug for c in counties.city_covering(known["city"], known)] == ["qingchuan", "pingwu"]
    assert len({c.db for c in known.values()}) == 3


# --- choosing a county by the address -----------------------------------------------------

def test_without_a_county_in_the_address_the_app_asks_which_and_signs_in_no_one(two_counties):
    at = open_app()
    assert at.title[0].value == "请选择县"
    links = " ".join(m.value for m in at.markdown)
    assert "(?county=a)" in links and "(?county=b)" in links
    assert not at.text_input  # no sign-in form: no county's accounts are consulted
    assert "county" not in at.session_state


def test_an_unknown_county_in_the_address_is_not_a_county(two_counties):
    at = open_app("../b")
    assert at.title[0].value == "请选择县" and "county" not in at.session_state


def test_each_county_signs_in_its_own_accounts_only(two_counties):
    at_a = open_app("a")
    assert "当前县：青川县" in everything_shown(at_a)
    sign_in_staff(at_a, B_ADMIN, B_PASSWORD)  # county B's administrator
    assert not signed_in(at_a)
    sign_in_enterprise(at_a, B_CODE)  # county B's access code
    assert not signed_in(at_a)
    at_b = open_app("b")
    sign_in_staff(at_b, B_ADMIN, B_PASSWORD)
    assert signed_in(at_b) and B_MARK in everything_shown(at_b)


def test_changing_the_address_after_sign_in_does_not_change_the_county(two_counties):
    at = open_app("a")
    sign_in_staff(at, "admin", "qiping-admin")
    assert signed_in(at) and at.title[0].value == "评议轮次"
    at.query_params["county"] = "b"
    at.run()
    assert signed_in(at) and at.session_state["county"] == "a"
    assert at.query_params["county"] == ["a"] or at.query_params["county"] == "a"  # the address put back
    assert B_MARK not in everything_shown(at)


def test_signing_out_does_not_free_the_session_to_another_county(two_counties):
    at = open_app("a")
    sign_in_staff(at, "admin", "qiping-admin")
    next(b for b in at.sidebar.button if b.label == "退出登录").click()
    at.run()
    at.query_params["county"] = "b"
    at.run()
    sign_in_staff(at, B_ADMIN, B_PASSWORD)
    assert not signed_in(at) and "当前县：青川县" in everything_shown(at)


def _a_enterprise(folder) -> Actor:
    db = connect(folder / "a.db")
    uscc = db.execute("SELECT uscc FROM enterprises ORDER BY uscc LIMIT 1").fetchone()[0]
    db.close()
    return Actor(role=ENTERPRISE, id=uscc, name=uscc)


ROLES = {
    ADMIN: lambda folder: Actor(role=ADMIN, id="admin", name="admin"),
    DISCIPLINE: lambda folder: Actor(role=DISCIPLINE, id="discipline", name="discipline"),
    AGENCY: lambda folder: Actor(role=AGENCY, id="scjg", name="县市场监管局", agency_code="SCJG"),
    ENTERPRISE: _a_enterprise,
}


@pytest.mark.parametrize("role", list(ROLES))
def test_no_page_of_any_role_at_county_a_shows_anything_of_county_b(two_counties, role):
    """Every page each role sees, opened in a session of county A whose address names county B:
    each shows county A's data (the session stays signed in) and nothing of B."""
    who = ROLES[role](two_counties)
    at = open_app("b", county="a", actor=who)
    assert signed_in(at), everything_shown(at)
    pages = [page.path for section in navigation.pages_for(who).values() for page in section]
    assert pages
    for path in pages:
        at.switch_page(path)
        at.query_params["county"] = "b"
        at.run()
        assert not at.exception, (path, at.exception)
        shown = everything_shown(at)
        assert signed_in(at) and B_MARK not in shown, path
    assert at.session_state["county"] == "a"


# --- the city office (issue 16 item 2) ----------------------------------------------------

def sign_in_city(at, username, password):
    at.text_input[0].input(username)
    at.text_input[1].input(password)
    next(b for b in at.button if b.label == "登录").click()
    at.run()


def test_the_city_office_sees_its_counties_ranked_and_like_agencies_side_by_side(two_counties):
    at = open_app("city")
    sign_in_city(at, CITY_USER, CITY_PASSWORD)
    assert signed_in(at) and at.title[0].value == "各县评议结果排名"
    assert "市级入口：广元市" in everything_shown(at)
    ranking, like = at.dataframe[0].value, at.dataframe[1].value
    assert set(ranking["县"]) == {"青川县", f"{B_MARK}县"} and list(ranking["名次"]) == [1, 2]
    assert {"青川县", f"{B_MARK}县"} <= set(like.columns) and "SCJG" in set(like["部门代码"])
    assert [b.label for b in at.get("download_button")] == ["下载全市通报（PDF）", "下载全市通报（Excel）"]
    # only the city's own page and its own account: no county page, no response, no case is in its navigation
    pages = [p.path for section in navigation.pages_for(at.session_state["actor"]).values() for p in section]
    assert pages == ["app_pages/city/city_ranking.py", "app_pages/shared/account.py"]


def test_the_city_and_its_counties_sign_in_only_their_own_accounts(two_counties):
    at_city = open_app("city")
    sign_in_city(at_city, "admin", "qiping-admin")  # county A's administrator
    assert not signed_in(at_city)
    at_a = open_app("a")
    sign_in_staff(at_a, CITY_USER, CITY_PASSWORD)
    assert not signed_in(at_a)


def test_the_city_office_reads_published_results_only(two_counties):
    known = counties.load()
    a = known["a"]
    results = city_results.published_results([a])
    db = connect(a.db)
    published = {row[0] for row in db.execute("SELECT name FROM rounds WHERE status = 'published'")}
    unpublished = {row[0] for row in db.execute("SELECT name FROM rounds WHERE status <> 'published'")}
    db.close()
    assert set(results["round"]) == published and unpublished and not (set(results["round"]) & unpublished)
    assert list(results.columns) == city_results.COLUMNS


@pytest.mark.parametrize("table", ["responses", "response_ratings", "staff", "enterprises", "cases", "problems", "reveals",
                                   "audit_log", "exclusions"])
def test_the_city_reader_cannot_read_a_response_a_comment_or_a_rater(two_counties, table):
    """The one reader refuses any other table, whatever the query says (SQLite's authoriser)."""
    with pytest.raises(sqlite3.DatabaseError, match="not authorized|prohibited"):
        city_results.read_published(two_counties / "a.db", f"SELECT * FROM {table}")
    with pytest.raises(sqlite3.DatabaseError):
        city_results.read_published(two_counties / "a.db", "DELETE FROM results")


def test_the_city_module_queries_only_the_published_results_tables():
    text = Path(city_results.__file__).read_text(encoding="utf-8")
    named = set(re.findall(r"(?:FROM|JOIN)\s+(\w+)", text))
    assert named and named <= city_results.READABLE_TABLES


def test_counties_are_ranked_by_share_graded_good_then_average_score():
    import pandas as pd
    rows = [("x", "X县", "2026Q3", "A", "good", 90), ("x", "X县", "2026Q3", "B", "poor", 50),
            ("y", "Y县", "2026Q3", "A", "good", 81), ("y", "Y县", "2026Q3", "B", "fair", 70),
            ("y", "Y县", "2026Q3", "C", "insufficient", None),
            ("z", "Z县", "2026Q3", "A", "good", 85), ("z", "Z县", "2026Q3", "B", "fair", 75)]
    results = pd.DataFrame(rows, columns=["county", "county_name", "round", "agency", "grade", "score"])
    results["name_zh"] = results["agency"]
    ranking = city_results.county_ranking(results, "2026Q3")
    assert list(ranking["county"]) == ["z", "y", "x"]  # 50 % each: by average score 80 > 75.5 > 70
    assert list(ranking["graded"]) == [2, 2, 2] and list(ranking["good_share"]) == [50.0] * 3
    assert list(ranking["poor_share"]) == [0.0, 0.0, 50.0]
    like = city_results.like_agencies(results, "2026Q3")
    assert like.set_index("agency").loc["C", "Y县"] != like.set_index("agency").loc["C", "Y县"]  # blank


def test_the_city_bulletin_workbook_has_the_ranking_and_like_agencies_formula_safe(two_counties):
    import io

    import openpyxl

    db = connect(two_counties / "a.db")
    with write_transaction(db):
        db.execute("UPDATE agencies SET name_zh = '=1+1' WHERE code = 'SCJG'")  # a name typed as a formula
    db.close()
    known = counties.load()
    who = Actor(role=CITY, id=CITY_USER, name=CITY_USER)
    round_name = sorted(city_results.city_results(None, who, known["city"])["round"])[-1]
    book = openpyxl.load_workbook(io.BytesIO(
        city_results.city_workbook(None, who, known["city"], round_name, "zh")))
    ranking, like = book.worksheets
    assert [row[1] for row in ranking.iter_rows(min_row=2, values_only=True)] and \
        {row[1] for row in ranking.iter_rows(min_row=2, values_only=True)} == {"青川县", f"{B_MARK}县"}
    names = {row[0]: row[1] for row in like.iter_rows(min_row=2, values_only=True)}
    assert names["SCJG"] == "'=1+1"
    with pytest.raises(PermissionDenied):
        city_results.city_workbook(None, Actor(role=ADMIN, id="admin"), known["city"], round_name, "zh")


def test_a_countys_letters_lead_to_its_own_address_and_sign_in_there(two_counties):
    from surveys.reports import access_slips

    open_app("a")  # the first visit prepares every county's file
    db = connect(two_counties / "a.db")
    base = access_slips.base_url(db)
    db.close()
    assert base == "http://localhost:8501/?county=a"
    assert access_slips.sign_in_link("QP-DEMO-0011", base) == "http://localhost:8501/?county=a&code=QP-DEMO-0011"
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.query_params["county"] = "a"
    at.query_params["code"] = "QP-DEMO-0011"
    at.run()
    assert signed_in(at) and "code" not in at.query_params and at.session_state["county"] == "a"


def test_a_single_county_keeps_its_links_as_they_were(db):
    from surveys.reports import access_slips

    assert access_slips.base_url(db) == access_slips.base_url() == "http://localhost:8501"
    assert access_slips.sign_in_link("QP-1", access_slips.base_url(db)) == "http://localhost:8501/?code=QP-1"
