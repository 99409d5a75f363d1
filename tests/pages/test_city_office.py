"""The city office, continued (issue 16 item 2): its counties ranked with their standard rates from
the counts each county stores at finalisation, its bulletin as PDF beside the Excel one, its accounts
kept by the operator and its own password change; and a single county without QIPING_COUNTIES exactly
as before."""
import io
import re

import pandas as pd
import pytest
from pypdf import PdfReader

from app_pages import navigation
from scoring import rates as standard
from surveys import __main__ as cli
from surveys.core import counties
from surveys.core.actors import ADMIN, CITY, Actor
from surveys.core.errors import InvalidInput, PermissionDenied, SignInRefused
from surveys.participants import accounts, city_accounts
from surveys.reports import city_bulletin, rates
from surveys.results import city
from surveys.storage.db import connect
from tests.pages.test_counties import (B_MARK, CITY_PASSWORD, CITY_USER, county_b_template, everything_shown,  # noqa: F401
                                       open_app, sign_in_city, signed_in, two_counties)

CITY_ACTOR = Actor(role=CITY, id=CITY_USER, name=CITY_USER)


def newest_round(known) -> str:
    return sorted(city.city_results(None, CITY_ACTOR, known["city"])["round"])[-1]


def pdf_text(data: bytes) -> str:
    """The PDF's text without whitespace (pypdf puts a NUL before each of fpdf2's CID glyphs)."""
    return re.sub(r"[\s\x00]+", "", "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages))


# --- the rates in the ranking ---------------------------------------------------------------

def test_each_countys_rates_in_the_ranking_are_its_own_rates_of_the_round(two_counties):
    known = counties.load()
    round_name = newest_round(known)
    results = city.city_results(None, CITY_ACTOR, known["city"])
    ranking = city.county_ranking(results, round_name, city.city_rate_counts(None, CITY_ACTOR, known["city"]))
    assert list(ranking["county"]) == list(city.county_ranking(results, round_name)["county"])  # same order
    for slug in ("a", "b"):
        db = connect(known[slug].db)
        own = rates.rate_table(db)
        db.close()
        county = own[(own["period"] == round_name) & (own["scope"] == standard.COUNTY)].iloc[0]
        line = ranking.set_index("county").loc[slug]
        for rate, column in city.RATE_COLUMN.items():
            assert line[column] == pytest.approx(county[rate]), (slug, rate)
        assert 0 < line["good_rate"] < 1


def test_rates_come_from_summed_counts_and_a_county_without_counts_shows_none():
    results = pd.DataFrame([("x", "X县", "R", "A", "good", 90.0), ("y", "Y县", "R", "A", "poor", 40.0)],
                           columns=["county", "county_name", "round", "agency", "grade", "score"])
    counts = pd.DataFrame([("x", "R", 10, 5, 8, 6, 1), ("x", "Q", 1, 1, 1, 1, 0)], columns=city.RATE_COLUMNS)
    ranking = city.county_ranking(results, "R", counts).set_index("county")
    assert ranking.loc["x", ["participation_rate", "good_rate", "bad_rate"]].tolist() == [0.5, 0.75, 0.125]
    assert ranking.loc["y", ["participation_rate", "good_rate", "bad_rate"]].isna().all()
    assert list(ranking.index) == ["x", "y"]


def test_the_city_reader_reads_the_stored_counts_and_still_no_response(two_counties):
    frame = city.read_published(two_counties / "a.db", city.PUBLISHED_RATE_COUNTS)
    assert len(frame) and set(frame.columns) == {"round", *standard.RESPONSE_COUNTS}
    with pytest.raises(Exception, match="not authorized|prohibited"):
        city.read_published(two_counties / "a.db", "SELECT c.* FROM finalisation_rate_counts c"
                                                     " JOIN finalisation_inputs i ON i.finalisation_id = c.finalisation_id")


# --- the PDF bulletin ----------------------------------------------------------------------

def test_the_city_pdf_lists_the_counties_in_rank_order_with_their_rates_and_no_rater_data(two_counties):
    known = counties.load()
    round_name = newest_round(known)
    data = city_bulletin.city_bulletin(None, CITY_ACTOR, known["city"], round_name, "zh")
    assert data.startswith(b"%PDF")
    text = pdf_text(data)
    ranking = city.county_ranking(city.city_results(None, CITY_ACTOR, known["city"]), round_name,
                                  city.city_rate_counts(None, CITY_ACTOR, known["city"]))
    names = list(ranking["county_name"])
    table = text.split("二、各县排名", 1)[1]
    assert [table.index(name) for name in names] == sorted(table.index(name) for name in names)
    first = ranking.iloc[0]
    assert f"1{first['county_name']}" in table and "参评率" in table and "好评率" in table
    from labels import rate_text
    assert rate_text(first["good_rate"]) in table
    assert "县市场监管局" in text and "三、各县好评部门占比与好评率" in text
    # nothing of a rater or a response: no enterprise's name or credit code, no comment, no access code
    db = connect(known["a"].db)
    enterprises = db.execute("SELECT uscc, name FROM enterprises").fetchall()
    comments = [c for (c,) in db.execute("SELECT comment FROM responses WHERE length(comment) > 6")]
    db.close()
    assert comments and enterprises
    assert not [u for u, n in enterprises if u in text or re.sub(r"\s", "", n) in text]
    assert not [c for c in comments if re.sub(r"\s", "", c) in text]
    assert "QP-" not in text


def test_only_the_city_office_may_have_its_pdf(two_counties):
    known = counties.load()
    with pytest.raises(PermissionDenied):
        city_bulletin.city_bulletin(None, Actor(role=ADMIN, id="admin"), known["city"], "2026Q3", "zh")


def test_the_english_pdf_and_its_name(two_counties):
    known = counties.load()
    round_name = newest_round(known)
    text = pdf_text(city_bulletin.city_bulletin(None, CITY_ACTOR, known["city"], round_name, "en"))
    assert "2.Countiesranked" in text and "Goodratingrate" in text
    assert city_bulletin.bulletin_filename(round_name, "en") == f"city-bulletin-{round_name}.pdf"


# --- the page ----------------------------------------------------------------------------------

def test_the_city_page_shows_the_rates_and_downloads_both_bulletins(two_counties):
    at = open_app("city")
    sign_in_city(at, CITY_USER, CITY_PASSWORD)
    ranking = at.dataframe[0].value
    assert {"参评率", "好评率", "差评率"} <= set(ranking.columns)
    assert all(re.fullmatch(r"\d+\.\d%", value) for value in ranking["好评率"])
    downloads = {b.label: b for b in at.get("download_button")}
    assert set(downloads) == {"下载全市通报（PDF）", "下载全市通报（Excel）"}
    assert "参评率、好评率、差评率按各县定稿时存储的计数计算" in everything_shown(at)


def test_the_city_excel_has_the_rates_as_percentages(two_counties):
    import openpyxl

    known = counties.load()
    book = openpyxl.load_workbook(io.BytesIO(city.city_workbook(None, CITY_ACTOR, known["city"],
                                                                newest_round(known), "zh")))
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    good = rows[0].index("好评率（%）")
    assert rows[1:] and all(isinstance(row[good], (int, float)) and 0 < row[good] <= 100 for row in rows[1:])


# --- accounts ---------------------------------------------------------------------------------

def test_a_city_user_changes_their_own_password_on_the_account_page(two_counties):
    at = open_app("city")
    sign_in_city(at, CITY_USER, CITY_PASSWORD)
    at.switch_page("app_pages/shared/account.py")
    at.run()
    assert not at.exception
    boxes = at.text_input
    boxes[0].input(CITY_PASSWORD)
    boxes[1].input("a-new-city-password")
    boxes[2].input("a-new-city-password")
    next(b for b in at.button if b.label == "修改密码").click()
    at.run()
    assert [s.value for s in at.success] == ["密码已修改。"] and signed_in(at)
    city_db = connect(two_counties / "city.db")
    with pytest.raises(SignInRefused):
        accounts.sign_in_city(city_db, CITY_USER, CITY_PASSWORD, "test")
    assert accounts.sign_in_city(city_db, CITY_USER, "a-new-city-password", "test").role == CITY
    actions = [a for (a,) in city_db.execute("SELECT action FROM audit_log WHERE target = ?", [CITY_USER])]
    city_db.close()
    assert "city_staff.password_changed" in actions


def run_cli(monkeypatch, capsys, *args, stdin: str = "") -> tuple[int, str, str]:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = cli.main(["city-account", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_the_operator_adds_resets_and_deactivates_a_city_account(two_counties, monkeypatch, capsys):
    monkeypatch.setenv("QIPING_LANG", "en")
    code, out, _ = run_cli(monkeypatch, capsys, "add", "Wang", "--city", "city", "--name", "王科长",
                           "--password-stdin", stdin="wang-password-1\n")
    assert code == 0 and "wang" in out
    db = connect(two_counties / "city.db")
    who = accounts.sign_in_city(db, "wang", "wang-password-1", "test")
    assert who.name == "王科长"
    code, _, err = run_cli(monkeypatch, capsys, "add", "wang", "--city", "city", "--password-stdin",
                           stdin="wang-password-2\n")
    assert code == 1 and "wang" in err  # taken
    assert run_cli(monkeypatch, capsys, "password", "wang", "--city", "city", "--password-stdin",
                   stdin="wang-password-2\n")[0] == 0
    assert accounts.credential_stamp(db, who) != who.credential_stamp  # the open session ends
    assert run_cli(monkeypatch, capsys, "deactivate", "wang", "--city", "city")[0] == 0
    assert not accounts.still_active(db, who)
    with pytest.raises(SignInRefused):
        accounts.sign_in_city(db, "wang", "wang-password-2", "test")
    code, out, _ = run_cli(monkeypatch, capsys, "list", "--city", "city")
    assert code == 0 and "wang\t王科长\tdeactivated" in out
    actions = [a for (a,) in db.execute("SELECT action FROM audit_log WHERE target = 'wang' ORDER BY id")]
    db.close()
    assert actions == ["city_staff.created", "city_staff.password_reset", "city_staff.deactivated"]


@pytest.mark.parametrize("args, problem", [
    (("add", "x", "--city", "a", "--password-stdin"), "no city office a"),   # a county, not a city
    (("add", "bad name!", "--city", "city", "--password-stdin"), "bad name!"),
    (("add", "short", "--city", "city", "--password-stdin"), "10 characters"),
    (("deactivate", "nobody", "--city", "city"), "nobody"),
    (("deactivate", "--city", "city"), "username"),
])
def test_a_wrong_city_account_command_says_what_is_wrong(two_counties, monkeypatch, capsys, args, problem):
    monkeypatch.setenv("QIPING_LANG", "en")
    code, _, err = run_cli(monkeypatch, capsys, *args, stdin="shortpw\n" if "short" in args else "long-enough-1\n")
    assert code == 1 and problem in err


def test_city_accounts_need_a_counties_file(monkeypatch):
    monkeypatch.delenv("QIPING_COUNTIES", raising=False)
    with pytest.raises(InvalidInput) as refused:
        city_accounts.open_city("city")
    assert refused.value.key == "city_accounts.no_counties_file"


# --- a single county stays as it was ------------------------------------------------------------

def test_a_single_county_without_a_counties_file_is_as_before(demo_path, monkeypatch):
    """No QIPING_COUNTIES: no county chooser, no county in the address or the sidebar, the one file at
    QIPING_DB, the usual sign-in with its two tabs, and no city page for anyone."""
    from streamlit.testing.v1 import AppTest

    from tests.pages.test_counties import APP, TIMEOUT
    monkeypatch.delenv("QIPING_COUNTIES", raising=False)
    monkeypatch.setenv("QIPING_DB", str(demo_path))
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    assert not at.exception
    shown = everything_shown(at)
    assert "请选择县" not in shown and "当前县" not in shown and "市级入口" not in shown
    assert len(at.tabs) == 2 and "county" not in at.session_state and "county" not in at.query_params
    at.tabs[1].text_input[0].input("admin")
    at.tabs[1].text_input[1].input("qiping-admin")
    next(b for b in at.tabs[1].button if b.label == "登录").click()
    at.run()
    assert signed_in(at) and at.title[0].value == "评议轮次" and "当前县" not in everything_shown(at)
    for role in (ADMIN, "discipline", "agency", "enterprise"):
        who = Actor(role=role, id="x", agency_code="SCJG" if role == "agency" else None)
        assert "app_pages/city/city_ranking.py" not in [p.path for s in navigation.pages_for(who).values() for p in s]
    assert not (demo_path.parent / "city.db").exists()
