"""The year's pages through Streamlit's AppTest on the demo county (its previous calendar year is
finalised and published, SCJG vetoed): an agency's own year and the published ranking, the
county's view with the grounds for vetoes, the administrator's work scores and re-finalisation,
and the finding a discipline office records with a referral's outcome."""
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

import labels
from conftest import ADMIN_ACTOR, DISCIPLINE_ACTOR, PINNED_NOW, run_page
from surveys.casework import cases
from surveys.core.actors import AGENCY, Actor
from surveys.results import annual

PAGES = Path(__file__).resolve().parents[2] / "app_pages"
TIMEOUT = 60
YEAR = PINNED_NOW.year - 1


def agency(code: str) -> Actor:
    return Actor(role=AGENCY, id=code.lower(), name=code.lower(), agency_code=code)


@pytest.fixture
def county(demo_path, demo_db, monkeypatch):
    monkeypatch.setenv("QIPING_DB", str(demo_path))
    return demo_db


def page(path: str, who: Actor, **state) -> AppTest:
    return run_page(PAGES / path, who, TIMEOUT, **state)


def table_cells(at: AppTest) -> list[str]:
    return [str(v) for frame in at.dataframe for v in frame.value.astype(str).to_numpy().ravel()]


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_an_agency_sees_its_own_year_its_quarters_and_the_published_ranking(county):
    at = page("shared/annual.py", agency("FGW"))
    mine = next(r for r in annual.current_year_results(county, YEAR) if r["agency"] == "FGW")
    shown = metrics(at)
    assert shown["综合得分"] == f"{mine['score']:.1f}" and shown["全县名次"] == str(mine["rank"])
    assert shown["等次"] == "好" and shown["工作考核得分"] == f"{mine['work_score']:.1f}"
    headings = [h.value for h in at.subheader]
    assert headings[:3] == ["本部门的年度结果", "本部门各季度结果", "全县年度排名"]
    assert "一票否决依据" not in headings and "定级历史" not in headings  # the county's view only
    cells = table_cells(at)
    assert f"{YEAR}年第一季度" in cells and "县市场监管局" in cells and "否决" in cells
    assert [b.proto.label for b in at.get("download_button")] == ["下载报告 PDF", "下载报告 Excel"]


def test_a_vetoed_agency_is_told_why(county):
    at = page("shared/annual.py", agency("SCJG"))
    assert any("一票否决" in e.value and "#" in e.value for e in at.error)
    assert metrics(at)["等次"] == "差"


def test_an_agency_sees_nothing_of_a_year_not_yet_published(county):
    county.execute("UPDATE annual_years SET published_at = NULL")
    at = page("shared/annual.py", agency("FGW"), lang="en")
    assert any("No annual results have been published yet" in i.value for i in at.info)
    assert not at.dataframe and not at.get("download_button")


def test_the_discipline_office_sees_every_agency_and_the_grounds_for_vetoes(county):
    at = page("shared/annual.py", DISCIPLINE_ACTOR)
    headings = [h.value for h in at.subheader]
    assert "各部门年度结果" in headings and "一票否决依据" in headings and "定级历史" in headings
    assert "本部门的年度结果" not in headings
    cells = table_cells(at)
    assert "认定存在问题（否决）" in cells and "未认定存在问题" in cells


def test_the_administrator_enters_a_work_score_and_finalises_the_year_again(county):
    at = page("admin/annual_admin.py", ADMIN_ACTOR, lang="en")
    at.selectbox(key="annual_admin_year").set_value(YEAR).run()
    assert any("published" in s.value for s in at.success)
    at.selectbox(key="work_agency").set_value("FGW")
    at.number_input(key="work_score_value").set_value(40.0)
    next(b for b in at.button if b.label == "Save the score").click().run()
    assert not at.exception
    assert any("Saved" in s.value for s in at.success)
    assert any("A work score changed after the year was finalised" in w.value for w in at.warning)
    at.text_input[0].input("work score corrected")
    next(b for b in at.button if b.label == "Finalise again").click().run()
    assert any(f"{YEAR} finalised." in s.value for s in at.success)
    history = annual.finalisation_history(county, ADMIN_ACTOR, YEAR)
    assert [h["reason"] for h in history] == ["", "work score corrected"]
    fgw = next(r for r in annual.current_year_results(county, YEAR) if r["agency"] == "FGW")
    assert fgw["work_score"] == 40.0


def test_the_administrator_is_told_why_a_year_in_progress_cannot_be_finalised(county):
    at = page("admin/annual_admin.py", ADMIN_ACTOR, lang="en")
    assert at.selectbox(key="annual_admin_year").value == PINNED_NOW.year
    open_round = labels.round_label(f"{PINNED_NOW.year}Q4", "en")
    assert any(e.value.startswith(f"{open_round}: open (not published") for e in at.error), [e.value for e in at.error]
    next(b for b in at.button if b.label == "Finalise the year").click().run()
    assert any("not published" in e.value for e in at.error)
    assert annual.finalisation_history(county, ADMIN_ACTOR, PINNED_NOW.year) == []


def test_the_discipline_office_records_the_finding_with_a_referrals_outcome(county):
    case_id = county.execute("SELECT id FROM cases WHERE action = 'referral' AND status = 'referred'").fetchone()[0]
    cases.advance_case(county, DISCIPLINE_ACTOR, case_id, "investigation_opened")
    at = page("discipline/case_inbox.py", DISCIPLINE_ACTOR)
    box = next(b for b in at.selectbox if (b.key or "").startswith("inbox_case:"))
    box.set_value(case_id).run()
    next(t for t in at.text_area if t.label == "调查处理结果").input("核查属实，责令整改")
    next(r for r in at.radio if r.label == "调查是否认定存在问题（过错）？").set_value(True)
    next(b for b in at.button if b.label == "已记录处理结果").click().run()
    assert not at.exception
    outcome = next(e for e in cases.case_events(county, case_id) if e["step"] == "outcome_recorded")
    assert outcome["details"] == {"outcome": "核查属实，责令整改", cases.FAULT_FOUND: True}
