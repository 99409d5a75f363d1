"""The administrator's exclusion of a response (DESIGN §4.7): by its opaque number,
with a reason, never seeing who gave it (DESIGN §6) — the service and the page."""
import json
from pathlib import Path

import pytest

from conftest import ADMIN_ACTOR, FULL, dump, make_world, open_page
from surveys.results import exclusions
from surveys.results import finalise
from surveys.collection import rounds
from surveys.casework.views import numbered_responses
from surveys.core.errors import InvalidInput, NotFound

PAGE = str(Path(__file__).resolve().parents[2] / "app_pages" / "admin" / "exclusions_admin.py")
ROUND, AGENCY = "2026Q3", "SCJG"  # a finalised demo round


def counted(db, round_name, agency):
    return db.execute("SELECT count(*) FROM responses r WHERE r.round = ? AND r.agency = ?"
                      " AND r.id NOT IN (SELECT response_id FROM exclusions)", [round_name, agency]).fetchone()[0]


def test_the_administrator_sees_numbers_ratings_and_comments_and_nothing_about_who(demo_db):
    rows = exclusions.responses_to_decide(demo_db, ADMIN_ACTOR, ROUND, AGENCY)
    assert len(rows) == demo_db.execute("SELECT count(*) FROM responses WHERE round = ? AND agency = ?",
                                        [ROUND, AGENCY]).fetchone()[0] >= 3
    assert [r["number"] for r in rows] == list(range(1, len(rows) + 1))
    assert {key for r in rows for key in r} == {"number", "ratings", "comment", "score", "excluded", "reason"}
    usccs = {u for (u,) in demo_db.execute("SELECT uscc FROM enterprises")}
    assert not [v for r in rows for v in r.values() if isinstance(v, str) and v in usccs]


def test_excluding_a_number_excludes_that_response_with_its_reason_and_is_audited(demo_db):
    before = counted(demo_db, ROUND, AGENCY)
    target = next(r for r in numbered_responses(demo_db, ROUND, AGENCY) if r["number"] == 2)
    exclusions.exclude_numbered_response(demo_db, ADMIN_ACTOR, ROUND, AGENCY, 2, " 测试数据 ")
    assert counted(demo_db, ROUND, AGENCY) == before - 1
    assert demo_db.execute("SELECT reason, decided_by FROM exclusions WHERE response_id = ?",
                           [target["response_id"]]).fetchone() == ("测试数据", ADMIN_ACTOR.audit_name)
    row = next(r for r in exclusions.responses_to_decide(demo_db, ADMIN_ACTOR, ROUND, AGENCY) if r["number"] == 2)
    assert row["excluded"] and row["reason"] == "测试数据"
    action, detail = demo_db.execute("SELECT action, detail FROM audit_log ORDER BY id DESC LIMIT 1").fetchone()
    assert action == "response.excluded" and json.loads(detail) == {"reason": "测试数据"}


def test_a_finalised_round_waits_for_refinalisation_until_finalised_again(demo_db):
    assert exclusions.waiting_for_refinalisation(demo_db, ADMIN_ACTOR, ROUND) == 0
    exclusions.exclude_numbered_response(demo_db, ADMIN_ACTOR, ROUND, AGENCY, 1, "重复录入")
    assert exclusions.waiting_for_refinalisation(demo_db, ADMIN_ACTOR, ROUND) == 1
    finalise.finalise_round(demo_db, ADMIN_ACTOR, ROUND, "剔除一条重复录入的评价")
    assert exclusions.waiting_for_refinalisation(demo_db, ADMIN_ACTOR, ROUND) == 0


@pytest.mark.parametrize("number, reason, error, key", [
    (1, "  ", InvalidInput, "exclusions.reason_needed"),
    (999, "x", NotFound, "exclusions.no_such_number"),
])
def test_bad_requests_are_refused_and_store_nothing(demo_db, number, reason, error, key):
    before = dump(demo_db)
    with pytest.raises(error) as caught:
        exclusions.exclude_numbered_response(demo_db, ADMIN_ACTOR, ROUND, AGENCY, number, reason)
    assert caught.value.key == key
    assert dump(demo_db) == before


def test_a_response_is_excluded_once(demo_db):
    exclusions.exclude_numbered_response(demo_db, ADMIN_ACTOR, ROUND, AGENCY, 1, "测试")
    with pytest.raises(InvalidInput) as caught:
        exclusions.exclude_numbered_response(demo_db, ADMIN_ACTOR, ROUND, AGENCY, 1, "again")
    assert caught.value.key == "exclusions.number_already"
    assert "第 1 号评价已经被剔除" in caught.value.message("zh")


def test_an_open_round_is_not_offered_nor_decided(demo_db):
    assert "2026Q4" not in [r["name"] for r in exclusions.decidable_rounds(demo_db, ADMIN_ACTOR)]
    with pytest.raises(InvalidInput) as caught:
        exclusions.responses_to_decide(demo_db, ADMIN_ACTOR, "2026Q4", AGENCY)
    assert caught.value.key == "exclusions.round_not_closed"
    with pytest.raises(InvalidInput):
        exclusions.exclude_numbered_response(demo_db, ADMIN_ACTOR, "2026Q4", AGENCY, 1, "x")


def test_fewer_than_three_responses_are_neither_shown_nor_excluded(db):
    from surveys.collection import responses
    people = make_world(db)
    for person in people[:2]:
        responses.save_response(db, person, "2026Q4", "FGW", FULL)
    rounds.close_round(db, ADMIN_ACTOR, "2026Q4")
    assert exclusions.responses_to_decide(db, ADMIN_ACTOR, "2026Q4", "FGW") == []
    with pytest.raises(InvalidInput) as caught:
        exclusions.exclude_numbered_response(db, ADMIN_ACTOR, "2026Q4", "FGW", 1, "x")
    assert caught.value.key == "exclusions.too_few"


# --- the page ---------------------------------------------------------------------------

@pytest.fixture
def page(demo_path, monkeypatch):
    return open_page(PAGE, demo_path, monkeypatch)


def choose(at, label, value):
    next(s for s in at.selectbox if s.label == label).set_value(value).run()
    assert not at.exception


def test_page_explains_itself_and_shows_responses_only_by_number(page, demo_db):
    assert page.title[0].value == "剔除评价"
    assert "永远看不到某家企业对某个部门的评价" in page.info[1].value  # info[0]: the next step
    rounds_offered = next(s for s in page.selectbox if s.label == "评议轮次").options
    assert "2026Q4" not in " ".join(rounds_offered)
    choose(page, "评议轮次", ROUND)
    choose(page, "部门", AGENCY)
    table = page.dataframe[0].value
    assert list(table["编号"]) == list(range(1, len(table) + 1))
    shown = " ".join(str(v) for v in table.to_numpy().ravel())
    enterprises = list(demo_db.execute("SELECT uscc, name FROM enterprises"))
    assert not [u for u, n in enterprises if u in shown or n in shown]


def test_page_refuses_without_confirmation_then_excludes_with_a_reason(page, demo_db):
    choose(page, "评议轮次", ROUND)
    choose(page, "部门", AGENCY)
    page.text_area[0].input("与第 3 号为同一份纸质问卷重复录入")
    page.button[0].click().run()
    assert page.error[0].value == "请先勾选确认。"
    assert demo_db.execute("SELECT count(*) FROM exclusions").fetchone()[0] == 0
    page.checkbox[0].check()
    page.button[0].click().run()
    assert not page.exception
    assert page.success[0].value == "第 1 号评价已剔除，原因已记录。"
    assert "重新定级" in page.warning[0].value
    row = page.dataframe[0].value.iloc[0]
    assert row["状态"] == "已剔除" and row["剔除原因"] == "与第 3 号为同一份纸质问卷重复录入"


def test_page_says_why_an_agency_with_fewer_than_three_responses_is_not_shown(db, tmp_path, monkeypatch):
    from surveys.collection import responses
    people = make_world(db)
    for person in people[:2]:
        responses.save_response(db, person, "2026Q4", "FGW", FULL, "很好")
    rounds.close_round(db, ADMIN_ACTOR, "2026Q4")
    at = open_page(PAGE, tmp_path / "test.db", monkeypatch)
    assert at.info[-1].value.startswith("这个部门在本轮的评价少于 3 条")
    assert not at.dataframe and not at.button
