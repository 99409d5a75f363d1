"""The annual report for the comprehensive assessment: the Excel cells and the PDF's text (pypdf),
in Chinese by default, on the demo county's finished year (the previous calendar year)."""
import io
import re

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from conftest import ADMIN_ACTOR, AGENCY_ACTOR, PINNED_NOW
from surveys.core.errors import NotFound
from surveys.reports import annual_report
from surveys.results import annual

YEAR = PINNED_NOW.year - 1


@pytest.fixture(scope="module")
def demo(demo_copy):
    return demo_copy


def ranked(db):
    return annual.current_year_results(db, YEAR)


def test_the_workbook_holds_the_year_rules_and_the_ranking_with_quarters_and_veto(demo):
    book = load_workbook(io.BytesIO(annual_report.annual_workbook(demo, ADMIN_ACTOR, YEAR, "zh")))
    cover, ranking = book.worksheets
    assert cover.title == "封面" and ranking.title == "年度排名"
    assert cover["A1"].value == f"青川县{YEAR}年度营商环境评议综合考核报告"
    cover_values = {row[0]: row[1] for row in cover.iter_rows(values_only=True) if row and row[0]}
    assert cover_values["年度"] == YEAR
    assert cover_values["使用的季度"] == "、".join(f"{YEAR}Q{q}" for q in range(1, 5))
    assert cover_values["满意度得分权重"] == 0.7 and cover_values["“好”的分数线"] == 80
    header = [c.value for c in ranking[1]]
    assert header == ["排名", "部门", "一季度", "二季度", "三季度", "四季度", "满意度得分", "工作考核得分",
                      "综合得分", "等次", "一票否决"]
    results = ranked(demo)
    rows = list(ranking.iter_rows(min_row=2, values_only=True))
    assert len(rows) == len(results)
    first, last = rows[0], rows[-1]
    top = results[0]
    assert first[0] == 1 and first[6:9] == (top["survey_score"], top["work_score"], top["score"])
    assert first[9] == "好" and first[10] is None
    # the vetoed agency: graded poor, ranked last, marked
    assert (last[1], last[9], last[10]) == ("县市场监管局", "差", "否决")
    assert ranking.cell(row=len(rows) + 1, column=11).fill.fgColor.rgb.endswith("B71C1C")
    # a quarter's published score as a number, an insufficient quarter in words
    quarters = annual.year_quarterly_table(demo, ADMIN_ACTOR, YEAR)
    fgw_row = next(r for r in rows if r[1] == "县发展改革委")
    assert fgw_row[2] == quarters["FGW"][f"{YEAR}Q1"]["score"]
    assert "样本不足" in [v for r in rows for v in r[2:6]]


def test_the_pdf_says_the_title_year_rules_and_every_agency_in_chinese(demo):
    reader = PdfReader(io.BytesIO(annual_report.annual_pdf(demo, ADMIN_ACTOR, YEAR, "zh")))
    text = "".join(page.extract_text() for page in reader.pages)
    flat = re.sub(r"[\s\x00]+", "", text)  # fpdf2's CJK text comes out with NULs between glyphs
    assert f"青川县{YEAR}年度营商环境评议综合考核报告" in flat
    assert "考核规则" in flat and "70%×满意度得分+30%×工作考核得分" in flat and "一票否决" in flat
    assert "年度排名" in flat and "否决" in flat
    for name in ("县发展改革委", "县市场监管局", "县科技局"):
        assert name in flat
    top = ranked(demo)[0]
    assert f"{top['score']:.1f}" in flat
    assert len(reader.pages) == 1  # the demo's 22 agencies fit on the first page with the rules


def test_an_agency_gets_the_report_only_once_the_year_is_published(demo_path):
    from surveys.storage.db import connect
    db = connect(demo_path)
    db.execute("UPDATE annual_years SET published_at = NULL")
    with pytest.raises(NotFound):
        annual_report.annual_pdf(db, AGENCY_ACTOR, YEAR, "zh")
    assert annual_report.annual_workbook(db, ADMIN_ACTOR, YEAR, "en")[:2] == b"PK"
    db.close()
