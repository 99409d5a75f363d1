"""The audit log page's services: filters by who, what, target and county date;
exports with safe cells; permission; and that no entry ever holds a rating."""
import io
import json
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest

from conftest import ADMIN_ACTOR, AGENCY_ACTOR, DISCIPLINE_ACTOR, FULL, dump, enterprise_actor, make_world, open_page
from surveys.core import audit
from surveys.reports import audit_view
from surveys.core import clock
from surveys.collection import paper_returns
from surveys.collection import responses
from surveys.core.actors import SYSTEM
from surveys.reports.audit_view import AuditFilter
from surveys.core.errors import InvalidInput, PermissionDenied

PAGE = str(Path(__file__).resolve().parents[2] / "app_pages" / "admin" / "audit_log.py")


def at(moment: str):
    clock.freeze(datetime.fromisoformat(moment))


@pytest.fixture
def log(db):
    """Five entries at known UTC moments (county time is UTC+8)."""
    at("2026-11-01T15:59:59+00:00")  # county 2026-11-01 23:59:59
    audit.record(db, ADMIN_ACTOR, "round.created", "2026Q4")
    at("2026-11-01T16:00:00+00:00")  # county 2026-11-02 00:00:00
    audit.record(db, ADMIN_ACTOR, "round.open", "2026Q4")
    at("2026-11-03T02:00:00+00:00")
    audit.record(db, DISCIPLINE_ACTOR, "case.opened", "case/1", round="2026Q4")
    audit.record(db, SYSTEM, "sign_in.failed", "ip:10.0.0.1")
    audit.record(db, ADMIN_ACTOR, "enterprises.imported", "100%_roster.csv", added=3, updated=0)
    clock.freeze(None)
    return db


def actions(entries):
    return [e["action"] for e in entries]


def test_everything_newest_first(log):
    assert actions(audit_view.search_audit(log, ADMIN_ACTOR)) == [
        "enterprises.imported", "sign_in.failed", "case.opened", "round.open", "round.created"]
    assert audit_view.count_audit(log, ADMIN_ACTOR) == 5
    assert len(audit_view.search_audit(log, ADMIN_ACTOR, limit=2)) == 2


def test_filter_by_actor_action_and_target(log):
    assert actions(audit_view.search_audit(log, ADMIN_ACTOR, AuditFilter(actor="discipline:discipline"))) == [
        "case.opened"]
    assert actions(audit_view.search_audit(log, ADMIN_ACTOR, AuditFilter(actions=("round.open", "round.created")))) == [
        "round.open", "round.created"]
    assert actions(audit_view.search_audit(log, ADMIN_ACTOR, AuditFilter(target="2026q4"))) == [
        "round.open", "round.created"]
    both = AuditFilter(actor="admin:admin", target="2026Q4", actions=("round.open",))
    assert actions(audit_view.search_audit(log, ADMIN_ACTOR, both)) == ["round.open"]


def test_percent_and_underscore_in_the_target_text_are_literal(log):
    assert actions(audit_view.search_audit(log, ADMIN_ACTOR, AuditFilter(target="100%_"))) == ["enterprises.imported"]
    assert audit_view.count_audit(log, ADMIN_ACTOR, AuditFilter(target="%")) == 1
    assert audit_view.count_audit(log, ADMIN_ACTOR, AuditFilter(target="_")) == 1


def test_date_range_is_in_county_days_both_ends_included(log):
    first_day = AuditFilter(date_from=date(2026, 11, 1), date_to=date(2026, 11, 1))
    assert actions(audit_view.search_audit(log, ADMIN_ACTOR, first_day)) == ["round.created"]
    from_second = AuditFilter(date_from=date(2026, 11, 2))
    assert audit_view.count_audit(log, ADMIN_ACTOR, from_second) == 4
    until_second = AuditFilter(date_to=date(2026, 11, 2))
    assert actions(audit_view.search_audit(log, ADMIN_ACTOR, until_second)) == ["round.open", "round.created"]


def test_bad_filters_are_refused_with_a_reason(log):
    with pytest.raises(InvalidInput) as caught:
        audit_view.search_audit(log, ADMIN_ACTOR, AuditFilter(date_from=date(2026, 11, 3), date_to=date(2026, 11, 1)))
    assert caught.value.message("zh") == "结束日期不能早于起始日期。"
    with pytest.raises(InvalidInput):
        audit_view.count_audit(log, ADMIN_ACTOR, AuditFilter(target="x" * 101))


def test_filter_choices_list_who_and_what_occurs(log):
    choices = audit_view.filter_choices(log, ADMIN_ACTOR)
    assert choices["actor"] == ["admin:admin", "discipline:discipline", "system:qiping"]
    assert "case.opened" in choices["action"] and len(choices["action"]) == 5


def test_actors_and_actions_are_worded_in_both_languages():
    assert audit_view.actor_label("admin:admin") == "管理员：admin"
    assert audit_view.actor_label("system:qiping", "en") == "System: qiping"
    assert audit_view.actor_label("robot:x") == "robot:x"
    assert audit_view.action_label("round.open") == "开始评议"
    assert audit_view.action_label("paper_returns.imported", "en") == "Paper returns file imported"
    assert audit_view.action_label("case.held") == "案件进展：已约谈"
    assert audit_view.action_label("problem.reopened") == "problem.reopened"  # not worded: shown as its code
    assert audit_view.detail_text('{"a": 1, "b": "x", "c": null, "d": ["p", "q"]}') == 'a=1; b=x; d=["p", "q"]'


@pytest.mark.parametrize("who", [AGENCY_ACTOR, DISCIPLINE_ACTOR, enterprise_actor("x")])
def test_only_the_administrator_reads_or_exports_the_log(log, who):
    for call in (audit_view.search_audit, audit_view.count_audit, audit_view.filter_choices,
                 audit_view.export_csv, audit_view.export_xlsx):
        with pytest.raises(PermissionDenied):
            call(log, who)


def test_csv_export_has_a_bom_county_times_and_safe_cells(log):
    audit.record(log, ADMIN_ACTOR, "enterprises.imported", "=HYPERLINK(\"http://x\")", note="@cmd")
    data = audit_view.export_csv(log, ADMIN_ACTOR, AuditFilter(actions=("enterprises.imported",)))
    assert data.startswith(b"\xef\xbb\xbf")
    lines = data.decode("utf-8-sig").splitlines()
    assert lines[0] == "时间,操作人,操作,对象,详情"
    assert lines[1].split(",")[3].startswith("\"'=HYPERLINK")
    assert lines[2].startswith("2026-11-03 10:00:00,管理员：admin,导入企业名录,100%_roster.csv,added=3; updated=0")


def test_xlsx_export_holds_every_match_with_safe_cells(log):
    audit.record(log, ADMIN_ACTOR, "enterprises.imported", "-1+2")
    book = openpyxl.load_workbook(io.BytesIO(audit_view.export_xlsx(log, ADMIN_ACTOR, lang="en")))
    rows = list(book["Audit log"].iter_rows(values_only=True))
    assert rows[0] == ("Time", "Who", "Action", "Target", "Detail")
    assert len(rows) == 7
    assert rows[1][3] == "'-1+2"
    assert rows[-1][:3] == ("2026-11-01 23:59:59", "Administrator: admin", "Round created")


def test_no_entry_ever_holds_a_rating(db):
    """Online saves, revisions, withdrawals and paper imports: the log names rounds, never ratings."""
    enterprises = make_world(db, enterprises=2)
    distinctive = {"efficiency": 1, "attitude": 2, "lawfulness": 3, "integrity": 4, "convenience": 5}
    responses.save_response(db, enterprises[0], "2026Q4", "FGW", distinctive, "意见")
    responses.save_response(db, enterprises[0], "2026Q4", "FGW", FULL)
    responses.withdraw_response(db, enterprises[0], "2026Q4", "FGW")
    header = "round,enterprise,agency,efficiency,attitude,lawfulness,integrity,convenience"
    data = f"{header}\n2026Q4,{enterprises[1].id},SCJG,1,2,3,4,5\n".encode()
    paper_returns.import_paper_returns(db, ADMIN_ACTOR, data, "p.csv")
    for entry in audit_view.search_audit(db, ADMIN_ACTOR):
        detail = json.loads(entry["detail"])
        assert not any("rating" in key or key in distinctive for key in detail), entry
    assert audit_view.count_audit(db, ADMIN_ACTOR, AuditFilter(actions=("response.paper_saved",))) == 1


def test_searching_changes_nothing(log):
    before = dump(log)
    audit_view.search_audit(log, ADMIN_ACTOR, AuditFilter(target="'; DROP TABLE audit_log; --"))
    audit_view.export_csv(log, ADMIN_ACTOR)
    assert dump(log) == before


# --- the page ---------------------------------------------------------------------------

@pytest.fixture
def page(demo_path, monkeypatch):
    return open_page(PAGE, demo_path, monkeypatch)


def test_page_shows_the_log_with_chinese_times_and_filters(page):
    assert not page.exception
    assert page.title[0].value == "操作日志"
    table = page.dataframe[0].value
    assert list(table.columns) == ["时间", "操作人", "操作", "对象", "详情"]
    assert "年" in table.iloc[0, 0] and "月" in table.iloc[0, 0]
    total = len(table)
    page.multiselect[0].select("round.published").run()
    assert not page.exception
    filtered = page.dataframe[0].value
    assert 0 < len(filtered) < total and set(filtered["操作"]) == {"发布排名"}
    assert [b.label for b in page.download_button] == ["导出 CSV", "导出 Excel"]


def test_page_refuses_a_reversed_date_range(page):
    page.date_input[0].set_value(date(2026, 12, 2))
    page.date_input[1].set_value(date(2026, 12, 1))
    page.run()
    assert not page.exception
    assert page.error[0].value == "结束日期不能早于起始日期。"
    assert not page.dataframe


def test_page_filters_by_target_text(page):
    page.text_input[0].input("2025Q1").run()
    assert not page.exception
    targets = list(page.dataframe[0].value["对象"])
    assert targets and all("2025Q1" in target for target in targets)
