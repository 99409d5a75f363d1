"""Report data and the Excel workbook of a finalised round (demo county)."""
from __future__ import annotations

import re
import zipfile
from io import BytesIO

import pytest
from openpyxl import load_workbook

import labels
from surveys.results import finalise
from surveys.reports import round_report as reports
from surveys.collection import rounds
from surveys.reports import workbook
from surveys.core.errors import InvalidInput, NotFound, PermissionDenied
from tests.conftest import ADMIN_ACTOR, AGENCY_ACTOR, DISCIPLINE_ACTOR, dump, enterprise_actor

ROUND = "2026Q3"
SHEETS_ZH = ["封面", "结果", "排名", "处理", "参评率", "标准指标"]
SHEETS_EN = ["Cover", "Results", "Ranking", "Actions", "Response rates", "Standard rates"]
USCC = re.compile(r"(?<![\d.])[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}")  # not the digits of a number (openpyxl writes 17 of them)


@pytest.fixture(scope="module")
def zh_workbook(demo_copy):
    return workbook.round_workbook(demo_copy, ADMIN_ACTOR, ROUND, "zh")


def sheet_rows(data: bytes, sheet: str) -> list[tuple]:
    return list(load_workbook(BytesIO(data))[sheet].iter_rows(values_only=True))


def all_text(data: bytes) -> str:
    """Every XML part of the .xlsx, i.e. everything a reader of the file could find."""
    with zipfile.ZipFile(BytesIO(data)) as archive:
        return "".join(archive.read(n).decode("utf-8", "replace") for n in archive.namelist())


# --- who may export -------------------------------------------------------------

@pytest.mark.parametrize("who", [AGENCY_ACTOR, enterprise_actor("91511022MA0000001X")])
def test_agency_and_enterprise_may_not_export(demo_db, who):
    before = dump(demo_db)
    with pytest.raises(PermissionDenied):
        reports.exportable_rounds(demo_db, who)
    for export in (reports.round_report, reports.report_version):
        with pytest.raises(PermissionDenied):
            export(demo_db, who, ROUND)
    with pytest.raises(PermissionDenied):
        workbook.round_workbook(demo_db, who, ROUND, "zh")
    assert dump(demo_db) == before


def test_discipline_office_may_export(demo_copy):
    data = workbook.round_workbook(demo_copy, DISCIPLINE_ACTOR, ROUND, "zh")
    assert load_workbook(BytesIO(data)).sheetnames == SHEETS_ZH


def test_a_round_that_is_not_finalised_is_refused_with_its_status(demo_copy):
    with pytest.raises(InvalidInput) as refusal:
        workbook.round_workbook(demo_copy, ADMIN_ACTOR, "2026Q4", "zh")
    assert refusal.value.key == "reports.not_finalised"
    assert "2026Q4" in refusal.value.message("zh") and "进行中" in refusal.value.message("zh")
    with pytest.raises(NotFound):
        reports.round_report(demo_copy, ADMIN_ACTOR, "2019Q1")


def test_exportable_rounds_are_the_finalised_and_published_ones(demo_copy):
    names = [r["name"] for r in reports.exportable_rounds(demo_copy, DISCIPLINE_ACTOR)]
    assert names[0] == ROUND and "2024Q4" in names and "2026Q4" not in names


# --- the report data -------------------------------------------------------------

def test_report_gathers_ranked_results_cases_rates_and_trend(demo_copy):
    report = reports.round_report(demo_copy, ADMIN_ACTOR, ROUND)
    assert len(report.results) == 22
    ranks = [r["rank"] for r in report.results if r["rank"] is not None]
    assert ranks == sorted(ranks) and ranks[0] == 1
    assert sum(report.grade_counts().values()) == 22
    assert {c["action"] for c in report.cases} <= {"reminder", "interview", "referral"}
    assert len(report.cases) == sum(1 for r in report.results if r["action"] != "none")
    stored = demo_copy.execute("SELECT count(DISTINCT enterprise), count(*) FROM responses WHERE round = ?",
                               [ROUND]).fetchone()
    assert (report.overall["enterprises_answered"], report.overall["responses"]) == stored
    assert report.overall["active_enterprises"] == 320  # every active rater: 300 enterprises, 20 of the panels
    assert sorted(report.trend["round"].unique())[-1] == ROUND
    assert set(report.trend["round"]) <= {r["name"] for r in reports.exportable_rounds(demo_copy, ADMIN_ACTOR)}
    assert report.config["good_threshold"] == 80.0


def test_report_version_changes_with_a_refinalisation_and_a_case_step(demo_db):
    from surveys.casework import cases
    from surveys.results import exclusions

    before = reports.report_version(demo_db, ADMIN_ACTOR, ROUND)
    case = next(c for c in cases.active_cases(demo_db, ROUND) if c["action"] == "referral")
    cases.advance_case(demo_db, DISCIPLINE_ACTOR, case["id"], "investigation_opened", note="opened")
    after_step = reports.report_version(demo_db, ADMIN_ACTOR, ROUND)
    assert after_step.last_case_step > before.last_case_step
    assert after_step.finalisation_id == before.finalisation_id
    response = demo_db.execute("SELECT id FROM responses WHERE round = ? AND agency = 'SCJG' LIMIT 1",
                               [ROUND]).fetchone()[0]
    exclusions.exclude_response(demo_db, ADMIN_ACTOR, response, "appeal upheld")
    finalise.finalise_round(demo_db, ADMIN_ACTOR, ROUND, "appeal upheld")
    assert reports.report_version(demo_db, ADMIN_ACTOR, ROUND).finalisation_id > before.finalisation_id
    report = reports.round_report(demo_db, ADMIN_ACTOR, ROUND)
    scjg = next(r for r in report.response_rates if r["agency"] == "SCJG")
    assert scjg["excluded"] == 1 and scjg["counted"] == scjg["responses"] - 1


# --- the workbook ----------------------------------------------------------------

def test_workbook_has_the_five_sheets_with_chinese_headers(zh_workbook):
    assert load_workbook(BytesIO(zh_workbook)).sheetnames == SHEETS_ZH
    assert sheet_rows(zh_workbook, "结果")[0] == (
        "部门代码", "部门", "分组", "评价数", "得分", "95% 区间下限", "95% 区间上限", "等次",
        "等次存疑（区间跨越分界线）", "处理", "旗帜", "排名")
    # the demo's 2026Q3 ranks within groups: the ranking sheet leads with the group and the rank in it
    assert sheet_rows(zh_workbook, "排名")[0][:3] == ("分组", "组内排名", "部门")
    assert sheet_rows(zh_workbook, "处理")[0][:4] == ("案件编号", "部门", "处理", "办理状态")
    assert sheet_rows(zh_workbook, "参评率")[0] == ("部门", "评价条数", "剔除条数", "计入条数", "在册企业数", "参评率")


def test_workbook_in_english_when_the_page_is_english(demo_copy):
    data = workbook.round_workbook(demo_copy, ADMIN_ACTOR, ROUND, "en")
    assert load_workbook(BytesIO(data)).sheetnames == SHEETS_EN
    row = next(r for r in sheet_rows(data, "Results") if r[0] == "FGW")
    assert row[1] == "County Development and Reform Commission" and row[2] == "Approval" and row[7] == "good"


def test_a_known_agencys_row_matches_the_stored_result(demo_copy, zh_workbook):
    stored = next(r for r in finalise.current_results(demo_copy, ROUND) if r["agency"] == "SCJG")
    row = next(r for r in sheet_rows(zh_workbook, "结果") if r[0] == "SCJG")
    assert row[1] == "县市场监管局" and row[2] == "执法类" == stored["agency_group"].replace("enforcement", "执法类")
    assert row[3] == stored["n"] and row[4] == stored["score"]
    assert row[5] == pytest.approx(stored["ci_low"]) and row[6] == pytest.approx(stored["ci_high"])
    assert row[7] == "差" and row[9] == "移交纪委监委" and row[11] == stored["rank"]
    assert isinstance(row[4], float)  # numbers stay numbers, not text
    ranking = next(r for r in sheet_rows(zh_workbook, "排名") if r[2] == "县市场监管局")
    assert ranking[0] == "执法类" and ranking[1] == stored["rank"]
    assert ranking[6] == {"red": "红旗", "yellow": "黄旗", "blue": "蓝旗"}[stored["flag"]]
    action = next(r for r in sheet_rows(zh_workbook, "处理") if r[1] == "县市场监管局")
    assert action[2] == "移交纪委监委" and action[3] == "已移交"


def test_a_round_ranked_per_group_lists_its_ranking_group_by_group(zh_workbook):
    ranking = sheet_rows(zh_workbook, "排名")[1:]
    groups = [r[0] for r in ranking]
    assert list(dict.fromkeys(groups)) == ["审批类", "执法类", "服务类", "公用事业"]  # the administrator's order
    assert groups == sorted(groups, key=["审批类", "执法类", "服务类", "公用事业"].index)  # each group together
    cover = {r[0]: r[1] for r in sheet_rows(zh_workbook, "封面") if r and r[0]}
    assert cover["排名范围"] == "分组内排名"


def test_cover_names_the_round_and_the_pinned_rules(zh_workbook):
    cover = {r[0]: r[1] for r in sheet_rows(zh_workbook, "封面") if r and r[0]}
    assert cover["评议轮次"] == "2026年第三季度 (2026Q3)"
    assert cover["状态"] == "已发布"
    assert cover["“好”的分数线"] == 80.0 and cover["定级所需最少评价数"] == 5
    assert cover["首次定级时间"] is not None


def test_response_rates_per_agency_and_overall(demo_copy, zh_workbook):
    rows = sheet_rows(zh_workbook, "参评率")
    fgw = next(r for r in rows if r[0] == "县发展改革委")
    count = demo_copy.execute("SELECT count(*) FROM responses WHERE round = ? AND agency = 'FGW'", [ROUND]).fetchone()[0]
    raters = 320  # every active rater answers for the rate: 300 enterprises, 12 deputies, 8 supervisors
    assert fgw[1] == count and fgw[4] == raters and fgw[5] == pytest.approx(count / raters)
    overall = rows[-1]
    answered = demo_copy.execute("SELECT count(DISTINCT enterprise) FROM responses WHERE round = ?",
                                 [ROUND]).fetchone()[0]
    assert overall[:4] == ("全县", answered, raters, pytest.approx(answered / raters))


def test_no_enterprise_identity_anywhere_in_the_file(demo_copy, zh_workbook):
    text = all_text(zh_workbook)
    enterprises = demo_copy.execute("SELECT uscc, name, contact_person, contact_phone FROM enterprises").fetchall()
    assert not USCC.search(text)
    for uscc, name, person, phone in enterprises:
        assert uscc not in text and name not in text
        assert not person or person not in text
        assert not phone or phone not in text


def test_every_text_cell_is_neutralised(demo_db):
    """An agency name someone typed as a formula reaches the workbook defused."""
    demo_db.execute("UPDATE agencies SET name_zh = '=HYPERLINK(\"http://x\",\"y\")', name_en = '+cmd' "
                    "WHERE code = 'FGW'")
    demo_db.conn.commit()
    for lang, sheet in (("zh", "结果"), ("en", "Results")):
        data = workbook.round_workbook(demo_db, ADMIN_ACTOR, ROUND, lang)
        book = load_workbook(BytesIO(data))
        cells = [c for ws in book for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
        assert not [c.coordinate for c in cells if c.value[:1] in "=+-@"]
        assert all(c.data_type != "f" for c in cells)
        row = next(r for r in sheet_rows(data, sheet) if r[0] == "FGW")
        assert row[1] in ("'=HYPERLINK(\"http://x\",\"y\")", "'+cmd")


def test_a_refinalised_round_shows_the_reason_on_the_cover(demo_db):
    from surveys.results import exclusions

    response = demo_db.execute("SELECT id FROM responses WHERE round = ? AND agency = 'FGW' LIMIT 1",
                               [ROUND]).fetchone()[0]
    exclusions.exclude_response(demo_db, ADMIN_ACTOR, response, "malicious")
    finalise.finalise_round(demo_db, ADMIN_ACTOR, ROUND, "-appeal upheld")
    cover = {r[0]: r[1] for r in sheet_rows(workbook.round_workbook(demo_db, ADMIN_ACTOR, ROUND, "zh"), "封面")
             if r and r[0]}
    assert cover["重新定级原因"] == "'-appeal upheld"  # admin-typed text is neutralised too


def test_round_labels_and_filenames():
    assert labels.round_label(ROUND, "zh") == "2026年第三季度"
    assert workbook.workbook_filename(ROUND, "zh").endswith("2026Q3.xlsx")


def test_the_workbook_carries_the_standard_rates_as_the_bulletin_does(demo_db):
    """Issue 15 item 3: the rates in the quarterly workbook too, the county first, each with its change."""
    import pandas as pd

    import i18n
    from scoring import rates as standard
    from surveys.reports.round_report import round_report
    name = [r["name"] for r in rounds.list_rounds(demo_db) if r["status"] == "published"][-1]
    report = round_report(demo_db, ADMIN_ACTOR, name)
    book = load_workbook(BytesIO(workbook.round_workbook(demo_db, ADMIN_ACTOR, name, "zh")))
    sheet = book["标准指标"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == i18n.t("loop.rates.scope", "zh") and rows[1][0] == i18n.t("loop.rates.county", "zh")
    county = report.standard_rates.iloc[0]
    for position, rate in enumerate(standard.RATES):
        stored = rows[1][1 + 2 * position]
        assert (stored is None) == pd.isna(county[rate])
        if stored is not None:
            assert stored == pytest.approx(float(county[rate]))
    assert len(rows) == 1 + len(report.standard_rates)
