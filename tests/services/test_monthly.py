"""The monthly bulletin service on the demo county (pinned to 20 November 2026): who sees what,
figures that agree with the casework rules, the county-time boundary and withdrawn cases through
the database, and the PDF's text and the workbook's cells."""
from __future__ import annotations

import re
from datetime import datetime
from io import BytesIO

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from surveys import startup
from surveys.casework import cases, problems
from surveys.core import clock
from surveys.core.errors import InvalidInput, PermissionDenied
from surveys.demo import county as demo
from surveys.reports import monthly
from surveys.reports import monthly_documents as documents
from tests.conftest import ADMIN_ACTOR, AGENCY_ACTOR, DISCIPLINE_ACTOR, PINNED_NOW, dump, enterprise_actor

YEAR, MONTH = 2026, 11  # the pinned clock's month


@pytest.fixture(scope="module")
def demo_copy(demo_copy):
    demo_copy.execute("INSERT INTO settings (name, value) VALUES ('county_name', '青川县')"
                      " ON CONFLICT (name) DO UPDATE SET value = excluded.value")
    demo_copy.conn.commit()
    return demo_copy


@pytest.fixture(scope="module")
def november(demo_copy) -> monthly.MonthlyBulletin:
    clock.freeze(PINNED_NOW)  # module fixtures come before the per-test pinned clock
    return monthly.monthly_bulletin(demo_copy, ADMIN_ACTOR, YEAR, MONTH)


def pdf_text(data: bytes) -> str:
    """The PDF's text without whitespace (pypdf puts a NUL before each glyph of fpdf2's CID text)."""
    return re.sub(r"[\s\x00]+", "", "".join(page.extract_text() for page in PdfReader(BytesIO(data)).pages))


# --- the demo's current month ----------------------------------------------------------------

def test_the_demo_s_current_month_has_work_on_time_late_and_overdue(november):
    totals = november.totals
    assert november.period.current and not november.empty
    assert totals["on_time"] >= 1 and totals["late"] >= 1 and totals["overdue"] >= 1
    assert totals["closed"] == totals["on_time"] + totals["late"]
    assert totals["opened"] == totals["case_opened"] + totals["problem_opened"] > 0
    assert november.ranked >= 3


@pytest.mark.parametrize("moment", ["2026-10-01T00:30", "2027-03-01T09:40"])
def test_a_demo_built_at_the_very_start_of_a_month_still_has_work_on_time_late_and_overdue(tmp_path, moment):
    """The demo's casework is dated relative to the day it is built; on the first minutes of a month
    (here also the National Day holiday) the current month must not be empty."""
    now = datetime.fromisoformat(moment).replace(tzinfo=clock.COUNTY_TIME)
    clock.freeze(now)
    database = startup.prepare(tmp_path / "demo.db")
    try:
        demo.build_demo_county(database)
        totals = monthly.monthly_bulletin(database, ADMIN_ACTOR, now.year, now.month).totals
    finally:
        database.close()
    assert totals["on_time"] >= 1 and totals["late"] >= 1 and totals["overdue"] >= 1


def test_the_overdue_list_is_what_the_inbox_and_problem_list_call_overdue_today(demo_copy, november):
    expected = {("case", c["id"]) for c in demo_copy.query("SELECT * FROM cases") if cases.is_overdue(c)}
    expected |= {("problem", p["id"]) for p in demo_copy.query("SELECT * FROM problems") if problems.is_overdue(p)}
    assert {(r["kind"], r["ref"]) for _, r in november.overdue.iterrows()} == expected
    assert (november.overdue["days_overdue"] > 0).all()
    assert november.totals["overdue"] == len(expected)


def test_opened_and_closed_counts_agree_with_the_stored_county_dates(demo_copy, november):
    in_month = lambda value: value and clock.county_date(value).strftime("%Y-%m") == "2026-11"  # noqa: E731
    rows = list(demo_copy.query("SELECT * FROM cases WHERE status <> 'withdrawn'"))
    assert november.totals["case_opened"] == sum(bool(in_month(c["opened_at"])) for c in rows)
    assert november.totals["case_closed"] == sum(bool(in_month(c["closed_at"])) for c in rows)


def test_the_table_lists_ranked_agencies_first_in_rank_order(november):
    ranks = [r for r in november.table["rank"] if r is not None]
    assert ranks == sorted(ranks) and ranks[0] == 1
    assert list(november.table["rank"][:len(ranks)]) == ranks


def test_the_months_offered_run_from_the_first_casework_to_this_month(demo_copy):
    months = monthly.available_months(demo_copy, ADMIN_ACTOR)
    assert months[0] == "2026-11" and months == sorted(months, reverse=True)
    first = demo_copy.execute("SELECT min(opened_at) FROM cases").fetchone()[0]
    assert months[-1] == clock.county_date(first).strftime("%Y-%m")


# --- through the database: the boundary and withdrawn cases -----------------------------------

def test_a_case_closed_at_2330_china_time_on_31_october_counts_in_october(demo_db):
    case_id = demo_db.execute("SELECT id FROM cases WHERE status = 'closed' ORDER BY id LIMIT 1").fetchone()[0]
    demo_db.execute("UPDATE cases SET closed_at = '2026-10-31T15:30:00+00:00', due_on = '2026-10-31' WHERE id = ?",
                    [case_id])
    demo_db.conn.commit()
    october = monthly.monthly_bulletin(demo_db, ADMIN_ACTOR, 2026, 10)
    november = monthly.monthly_bulletin(demo_db, ADMIN_ACTOR, 2026, 11)
    before_oct = october.totals["case_on_time"]
    demo_db.execute("UPDATE cases SET closed_at = '2026-10-31T16:00:00+00:00' WHERE id = ?", [case_id])
    demo_db.conn.commit()
    assert monthly.monthly_bulletin(demo_db, ADMIN_ACTOR, 2026, 10).totals["case_on_time"] == before_oct - 1
    assert monthly.monthly_bulletin(demo_db, ADMIN_ACTOR, 2026, 11).totals["case_late"] == \
        november.totals["case_late"] + 1  # 00:00 on 1 November, a day after its due date


def test_a_withdrawn_case_counts_nowhere(demo_db):
    overdue = next(c for c in demo_db.query("SELECT * FROM cases") if cases.is_overdue(c))
    before = monthly.monthly_bulletin(demo_db, ADMIN_ACTOR, YEAR, MONTH)
    demo_db.execute("UPDATE cases SET status = 'withdrawn' WHERE id = ?", [overdue["id"]])
    demo_db.conn.commit()
    after = monthly.monthly_bulletin(demo_db, ADMIN_ACTOR, YEAR, MONTH)
    assert after.totals["overdue"] == before.totals["overdue"] - 1
    assert overdue["id"] not in set(after.overdue["ref"])


# --- who sees what -----------------------------------------------------------------------------

def test_the_discipline_office_sees_the_whole_county_like_the_administrator(demo_copy, november):
    seen = monthly.monthly_bulletin(demo_copy, DISCIPLINE_ACTOR, YEAR, MONTH)
    assert seen.whole_county and seen.totals == november.totals
    assert len(seen.table) == len(november.table) > 1


def test_an_agency_sees_its_own_line_rank_and_overdue_items_only(demo_copy, november):
    agency = november.overdue.loc[0, "agency"]
    staff = AGENCY_ACTOR.__class__(role="agency", id=agency.lower(), name=agency, agency_code=agency)
    own = monthly.monthly_bulletin(demo_copy, staff, YEAR, MONTH)
    assert not own.whole_county
    assert list(own.table["agency"]) == [agency]
    assert set(own.overdue["agency"]) == {agency}
    county_line = november.table[november.table["agency"] == agency].iloc[0]
    assert own.table.iloc[0]["rank"] == county_line["rank"] and own.ranked == november.ranked
    assert own.totals["overdue"] == county_line["overdue"]


def test_an_agency_may_not_export_and_an_enterprise_sees_nothing(demo_db):
    before = dump(demo_db)
    for call in (lambda: documents.monthly_pdf(demo_db, AGENCY_ACTOR, YEAR, MONTH, "zh"),
                 lambda: documents.monthly_workbook(demo_db, AGENCY_ACTOR, YEAR, MONTH, "zh"),
                 lambda: monthly.monthly_bulletin(demo_db, enterprise_actor("91511022MA0000001X"), YEAR, MONTH)):
        with pytest.raises(PermissionDenied):
            call()
    assert dump(demo_db) == before


def test_a_month_written_wrongly_is_refused_naming_the_value():
    with pytest.raises(InvalidInput) as refusal:
        monthly.parse_month("2026-13")
    assert "2026-13" in refusal.value.message("zh")
    assert monthly.parse_month("2026-02") == (2026, 2)


# --- the documents -----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def zh_pdf(demo_copy) -> bytes:
    clock.freeze(PINNED_NOW)
    return documents.monthly_pdf(demo_copy, ADMIN_ACTOR, YEAR, MONTH, "zh")


@pytest.fixture(scope="module")
def zh_workbook(demo_copy):
    clock.freeze(PINNED_NOW)
    return load_workbook(BytesIO(documents.monthly_workbook(demo_copy, ADMIN_ACTOR, YEAR, MONTH, "zh")))


def test_the_pdf_is_in_chinese_with_the_headings_figures_and_overdue_cases(zh_pdf, november):
    reader = PdfReader(BytesIO(zh_pdf))
    assert reader.metadata.title == "青川县营商环境案件与问题办理情况月通报"
    assert reader.pages[0].mediabox.width > reader.pages[0].mediabox.height  # landscape
    text = pdf_text(zh_pdf)
    for heading in ("2026年11月", "一、总体情况", "二、各部门办理情况及排名", "三、办结与逾期", "四、逾期清单", "口径说明"):
        assert heading in text
    t = november.totals
    assert f"办结{t['closed']}件，其中按时办结{t['on_time']}件、超期办结{t['late']}件" in text
    for _, row in november.overdue.iterrows():
        assert f"案件{row['ref']}" in text or f"问题{row['ref']}" in text
    assert "整改率=办结÷（办结+逾期未办结）" in text


def test_the_pdf_names_no_enterprise(demo_copy, zh_pdf):
    text = pdf_text(zh_pdf)
    for uscc, name in demo_copy.execute("SELECT uscc, name FROM enterprises").fetchall():
        assert uscc not in text and name not in text


def test_the_workbook_has_three_chinese_sheets_and_the_figures_in_its_cells(zh_workbook, november):
    assert zh_workbook.sheetnames == ["汇总", "各部门", "逾期清单", "标准指标"]  # the last: issue 15
    agencies = list(zh_workbook["各部门"].iter_rows(values_only=True))
    assert agencies[0][:4] == ("办理排名", "部门", "案件受理", "案件办结")
    assert agencies[0][-2:] == ("整改率", "按时办结率")
    first = november.table.iloc[0]
    assert agencies[1][0] == 1 and agencies[1][1] == november.agency_name(first["agency"], "zh")
    assert agencies[1][-2] == pytest.approx(first["rectification_rate"])
    assert zh_workbook["各部门"].cell(row=2, column=13).number_format == "0.0%"
    assert len(agencies) == len(november.table) + 1
    overdue = list(zh_workbook["逾期清单"].iter_rows(values_only=True))
    assert overdue[0] == ("类别", "编号", "部门", "受理日期", "办理期限", "逾期工作日")
    assert [(r[1], r[5]) for r in overdue[1:]] == [(int(r["ref"]), int(r["days_overdue"]))
                                                  for _, r in november.overdue.iterrows()]
    summary = {row[0]: row[1] for row in zh_workbook["汇总"].iter_rows(values_only=True) if row and row[0]}
    assert summary["案件逾期未办结"] == november.totals["case_overdue"]
    assert summary["整改率"] == pytest.approx(november.totals["rectification_rate"])


def test_a_finished_month_s_documents_say_they_run_to_its_last_day_at_midnight(demo_copy):
    clock.freeze(PINNED_NOW)
    text = pdf_text(documents.monthly_pdf(demo_copy, ADMIN_ACTOR, 2026, 8, "zh"))
    assert "2026年8月" in text and "截至2026年8月31日24:00" in text


def test_the_english_documents(demo_copy):
    text = pdf_text(documents.monthly_pdf(demo_copy, ADMIN_ACTOR, YEAR, MONTH, "en"))
    assert "November2026" in text and "Overdue" in text
    book = load_workbook(BytesIO(documents.monthly_workbook(demo_copy, ADMIN_ACTOR, YEAR, MONTH, "en")))
    assert book.sheetnames == ["Summary", "Agencies", "Overdue", "Standard rates"]
