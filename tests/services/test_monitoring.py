"""Response monitoring: rates overall and per agency, the call list and its exports,
permission, and that no page or export pairs an enterprise with its ratings."""
import io
from pathlib import Path

import openpyxl
import pytest
from streamlit.testing.v1 import AppTest

from conftest import ADMIN_ACTOR, AGENCY_ACTOR, DISCIPLINE_ACTOR, FULL, enterprise_actor, make_world
from surveys.collection import monitoring
from surveys.collection import responses
from surveys.collection import rounds
from surveys.core.errors import NotFound, PermissionDenied

PAGE = str(Path(__file__).resolve().parents[2] / "app_pages" / "admin" / "monitoring.py")


@pytest.fixture
def world(db):
    """Five enterprises: #1 rated FGW and SCJG, #2 rated FGW, #3 chose SCJG without rating,
    #4 did nothing, #5 is deactivated."""
    e = make_world(db, enterprises=5)
    responses.save_response(db, e[0], "2026Q4", "FGW", FULL)
    responses.save_response(db, e[0], "2026Q4", "SCJG", FULL)
    responses.save_response(db, e[1], "2026Q4", "FGW", FULL)
    responses.choose_agencies(db, e[2], "2026Q4", ["SCJG"])
    db["enterprises"].update(e[3].id, {"contact_person": "王伟", "contact_phone": "13800000004"})
    db.execute("UPDATE enterprises SET active = 0 WHERE uscc = ?", [e[4].id])
    return [x.id for x in e]


def test_rate_overall_is_answered_over_active_enterprises(db, world):
    progress = monitoring.round_progress(db, ADMIN_ACTOR)
    assert progress["round"] == "2026Q4"
    assert (progress["active_enterprises"], progress["answered"], progress["not_answered"]) == (4, 2, 2)
    assert progress["rate"] == 0.5
    assert (progress["responses"], progress["paper_responses"]) == (3, 0)


def test_per_agency_responses_and_chosen_but_unrated(db, world):
    agencies = {a["code"]: (a["responses"], a["chosen_unrated"])
                for a in monitoring.round_progress(db, ADMIN_ACTOR)["agencies"]}
    assert agencies == {"FGW": (2, 0), "SCJG": (1, 1)}
    assert [a["code"] for a in monitoring.round_progress(db, ADMIN_ACTOR)["agencies"]] == ["FGW", "SCJG"]


def test_an_enterprise_deactivated_after_answering_counts_in_neither_part(db, world):
    db.execute("UPDATE enterprises SET active = 0 WHERE uscc = ?", [world[1]])
    progress = monitoring.round_progress(db, ADMIN_ACTOR)
    assert (progress["active_enterprises"], progress["answered"]) == (3, 1)
    assert progress["agencies"][0]["responses"] == 2  # its answer still counts for the agency


def test_a_deactivated_agency_with_answers_stays_in_the_list(db, world):
    db.execute("UPDATE agencies SET active = 0 WHERE code = 'SCJG'")
    assert "SCJG" in [a["code"] for a in monitoring.round_progress(db, ADMIN_ACTOR)["agencies"]]


def test_non_responders_are_active_enterprises_without_any_answer_with_contacts(db, world):
    rows = monitoring.non_responders(db, ADMIN_ACTOR)
    assert [r["uscc"] for r in rows] == [world[2], world[3]]  # the one who started comes first
    assert rows[0]["chosen"] == 1 and rows[1]["chosen"] == 0
    assert (rows[1]["name"], rows[1]["contact_person"], rows[1]["contact_phone"]) == ("企业4", "王伟", "13800000004")


def test_nothing_pairs_an_enterprise_with_an_agency_or_a_rating(db, world):
    progress = monitoring.round_progress(db, ADMIN_ACTOR)
    assert set(progress["agencies"][0]) == {"code", "name_zh", "name_en", "active", "responses", "chosen_unrated"}
    for row in monitoring.non_responders(db, ADMIN_ACTOR):
        assert set(row) == {"uscc", "name", "industry", "contact_person", "contact_phone", "chosen",
                            "reminded_at", "reminder_channel", "reminders"}
    text = monitoring.call_list_csv(db, ADMIN_ACTOR).decode("utf-8-sig")
    assert world[0] not in text and world[1] not in text and "FGW" not in text


def test_a_closed_round_can_be_named_and_no_open_round_is_said_plainly(db, world):
    rounds.close_round(db, ADMIN_ACTOR, "2026Q4")
    with pytest.raises(NotFound) as caught:
        monitoring.round_progress(db, ADMIN_ACTOR)
    assert caught.value.message("zh").startswith("目前没有进行中的轮次")
    with pytest.raises(NotFound):
        monitoring.non_responders(db, ADMIN_ACTOR)
    assert monitoring.round_progress(db, ADMIN_ACTOR, "2026Q4")["answered"] == 2


def test_an_empty_roster_gives_a_zero_rate_not_an_error(db):
    rounds.create_round(db, ADMIN_ACTOR, "2026Q4", "2026-11-01", "2099-12-31")
    rounds.start_round(db, ADMIN_ACTOR, "2026Q4")
    assert monitoring.round_progress(db, ADMIN_ACTOR)["rate"] == 0.0


@pytest.mark.parametrize("who", [AGENCY_ACTOR, DISCIPLINE_ACTOR, enterprise_actor("x")])
def test_only_the_administrator_sees_progress_and_the_call_list(db, world, who):
    for call in (monitoring.round_progress, monitoring.non_responders, monitoring.call_list_csv,
                 monitoring.call_list_xlsx):
        with pytest.raises(PermissionDenied):
            call(db, who)


def test_call_list_csv_has_a_bom_chinese_headers_and_safe_cells(db, world):
    db["enterprises"].update(world[3], {"contact_person": "=HYPERLINK(\"http://x\",\"y\")", "name": "@企业"})
    data = monitoring.call_list_csv(db, ADMIN_ACTOR)
    assert data.startswith(b"\xef\xbb\xbf")
    lines = data.decode("utf-8-sig").splitlines()
    assert lines[0] == "统一社会信用代码,企业名称,行业,联系人,联系电话,已选部门数,最近提醒时间,提醒方式,提醒次数"
    assert lines[2].startswith(f"{world[3]},'@企业,,\"'=HYPERLINK(")
    assert monitoring.call_list_csv(db, ADMIN_ACTOR, "en").decode("utf-8-sig").startswith("Credit code,Enterprise")


def test_call_list_xlsx_opens_with_safe_cells(db, world):
    db["enterprises"].update(world[3], {"contact_person": "+cmd|' /C calc'!A0"})
    book = openpyxl.load_workbook(io.BytesIO(monitoring.call_list_xlsx(db, ADMIN_ACTOR)))
    sheet = book["催报名单"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:2] == ("统一社会信用代码", "企业名称")
    assert rows[2][3] == "'+cmd|' /C calc'!A0"
    assert all(not (isinstance(v, str) and v.startswith("=")) for r in rows for v in r)
    assert sheet.cell(row=3, column=1).data_type == "s"


# --- the page ---------------------------------------------------------------------------

def run_page(demo_path, monkeypatch):
    monkeypatch.setenv("QIPING_DB", str(demo_path))
    at = AppTest.from_file(PAGE, default_timeout=30)
    at.session_state["actor"] = ADMIN_ACTOR
    return at.run()


def test_page_shows_rates_chart_and_call_list(demo_path, monkeypatch):
    at = run_page(demo_path, monkeypatch)
    assert not at.exception
    assert at.title[0].value == "填报进度"
    assert at.subheader[0].value == "2026年第四季度（截止日期 2026年12月31日）"
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["回复率"] == "39%" and metrics["已填报企业"] == "118 / 300"
    assert len(at.get("vega_lite_chart")) == 1
    call_list = at.dataframe[1].value
    assert len(call_list) == 182 and "联系电话" in call_list.columns
    assert [b.label for b in at.download_button] == ["下载催报名单（CSV）", "下载催报名单（Excel）"]


def test_page_without_an_open_round_says_so(demo_path, monkeypatch):
    from surveys.storage.db import connect
    database = connect(demo_path)
    rounds.close_round(database, ADMIN_ACTOR, "2026Q4")
    database.close()
    at = run_page(demo_path, monkeypatch)
    assert not at.exception
    assert at.info[1].value.startswith("目前没有进行中的轮次")  # info[0]: the next step
    assert not at.metric
