"""The monthly bulletin page (AppTest) on the demo county, pinned to 20 November 2026."""
from __future__ import annotations

from pathlib import Path

from surveys.core.actors import Actor
from surveys.reports import monthly
from tests.conftest import ADMIN_ACTOR, DISCIPLINE_ACTOR, open_page

PAGE = Path(__file__).resolve().parents[2] / "app_pages" / "shared" / "monthly_bulletin.py"


def metric_values(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_the_administrator_sees_the_current_month_chart_table_overdue_list_and_downloads(demo_path, monkeypatch):
    at = open_page(PAGE, demo_path, monkeypatch, ADMIN_ACTOR, lang="zh")
    assert at.title[0].value == "月通报：案件与问题办理情况"
    assert at.selectbox[0].value == "2026-11"  # the current month, county time
    assert at.selectbox[0].options[0] == "2026年11月"
    figures = metric_values(at)
    assert figures["逾期未办结"] == "2" and figures["超期办结"] == "1" and figures["整改率"] == "60.0%"
    assert "截至" in at.caption[1].value  # the month is not over: figures up to now
    agencies, overdue = at.dataframe[0].value, at.dataframe[1].value
    assert list(agencies.columns[:5]) == ["办理排名", "部门", "整改率", "按时办结率", "案件受理"]
    assert "整改率 = 办结 ÷（办结 + 逾期未办结）" in at.caption[2].value  # the definition, on the page
    assert agencies.iloc[0]["办理排名"] == "1"
    assert list(overdue["逾期工作日"]) == [56, 56]
    assert len(at.get("vega_lite_chart")) == 1
    definitions = at.expander[0]
    assert definitions.label == "口径说明"
    assert "23:30" in definitions.markdown[0].value and "1、2、2、4" in definitions.markdown[0].value
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels == ["下载月通报 PDF", "下载月通报 Excel"]
    assert not at.error


def test_choosing_a_finished_month_shows_its_figures_at_its_end(demo_path, monkeypatch):
    at = open_page(PAGE, demo_path, monkeypatch, DISCIPLINE_ACTOR, lang="en")
    at.selectbox[0].set_value("2026-08").run()
    assert not at.exception
    assert "end of" in at.caption[1].value
    assert at.selectbox[0].options[:2] == ["November 2026", "October 2026"]
    assert int(metric_values(at)["Opened"]) > 0


def test_an_agency_sees_its_own_line_and_rank_and_no_downloads(demo_path, monkeypatch):
    from surveys.storage.db import connect

    with connect(demo_path) as db:
        bulletin = monthly.monthly_bulletin(db, ADMIN_ACTOR, 2026, 11)
    late = bulletin.overdue.loc[0, "agency"]
    staff = Actor(role="agency", id=late.lower(), name=late, agency_code=late)
    at = open_page(PAGE, demo_path, monkeypatch, staff, lang="zh")
    assert len(at.dataframe[0].value) == 1
    assert set(at.dataframe[1].value["部门"]) == {bulletin.agency_name(late, "zh")}
    rank = bulletin.table.set_index("agency").loc[late, "rank"]
    assert f"列第 {rank} 名" in at.info[-1].value
    assert not at.get("download_button") and not at.get("vega_lite_chart")
    assert not at.error
