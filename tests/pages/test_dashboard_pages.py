"""The dashboard pages through Streamlit's AppTest, on the demo county."""
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from conftest import ADMIN_ACTOR, AGENCY_ACTOR, DISCIPLINE_ACTOR, enterprise_actor, make_world
from surveys.results import dashboards, finalise
from surveys.collection import responses, rounds
from surveys.core.actors import AGENCY, Actor
from surveys.storage.db import connect
from bench import province_data
from charts import county
from app_pages import dashboard_support as support

PAGES = Path(__file__).resolve().parents[2] / "app_pages"
TIMEOUT = 60
SCJG_ACTOR = Actor(role=AGENCY, id="scjg", name="SCJG", agency_code="SCJG")
ITEMS = ["efficiency", "attitude", "lawfulness", "integrity", "convenience"]


def page(name: str, path, monkeypatch, actor, lang: str = "zh", **state) -> AppTest:
    monkeypatch.setenv("QIPING_DB", str(path))
    at = AppTest.from_file(str(next(PAGES.rglob(f"{name}.py"))), default_timeout=TIMEOUT)
    at.session_state["actor"] = actor
    at.session_state["lang"] = lang
    for key, value in state.items():
        at.session_state[key] = value
    at.run()
    assert not at.exception, at.exception
    return at


def texts(at) -> str:
    kinds = ("title", "subheader", "markdown", "caption", "info", "success", "error", "warning", "text")
    return "\n".join(str(e.value) for kind in kinds for e in at.get(kind))


def metrics(at) -> dict:
    return {m.label: m.value for m in at.metric}


def charts_drawn(at) -> int:
    return len(at.get("vega_lite_chart"))


# --- the agency's page ----------------------------------------------------------------

def test_agency_sees_its_own_results_and_cannot_pick_another(demo_path, monkeypatch):
    # even when the session was set to open another agency, staff of FGW see FGW
    at = page("agency_dashboard", demo_path, monkeypatch, AGENCY_ACTOR, dashboard_agency="SCJG")
    assert not at.selectbox
    assert "县发展改革委" in [s.value for s in at.subheader]
    assert "县市场监管局" not in texts(at)
    shown = metrics(at)
    # the demo's last finished round ranks within groups: FGW among the 12 approval agencies
    assert shown["等次"] == "好" and shown["组内排名"].endswith("/ 12")
    assert "所属分组：审批类" in [c.value for c in at.caption]
    assert "2026年第四季度尚未定级" in texts(at)
    assert "暂定数据" not in texts(at)  # no provisional figures for agencies
    assert charts_drawn(at) == 3
    comments = at.dataframe[-1].value
    assert list(comments.columns) == ["轮次", "意见"]


def test_administrator_picks_any_agency_and_sees_provisional_figures(demo_path, monkeypatch):
    at = page("agency_dashboard", demo_path, monkeypatch, ADMIN_ACTOR, lang="en")
    at.selectbox(key="dashboard_agency").select("SCJG").run()
    assert not at.exception
    assert "County Market Supervision Bureau" in [s.value for s in at.subheader]
    shown = metrics(at)
    # the last finished round ranks within groups: SCJG is last of the four enforcement agencies
    assert shown["Grade"] == "poor" and shown["Rank in group"] == "4 / 4"
    assert "Provisional" in texts(at)


def test_the_overview_opens_an_agency_through_the_session(demo_path, monkeypatch):
    at = page("agency_dashboard", demo_path, monkeypatch, DISCIPLINE_ACTOR, dashboard_agency="NYNC")
    assert at.selectbox(key="dashboard_agency").value == "NYNC"
    assert "县农业农村委" in [s.value for s in at.subheader]


def test_an_agency_page_without_finalised_rounds_says_so(db, tmp_path, monkeypatch):
    make_world(db, enterprises=2)
    at = page("agency_dashboard", tmp_path / "test.db", monkeypatch, AGENCY_ACTOR, lang="en")
    assert "No round has been finalised yet" in texts(at)


# --- the county overview --------------------------------------------------------------

def test_overview_for_the_discipline_office(demo_path, monkeypatch):
    at = page("county_overview", demo_path, monkeypatch, DISCIPLINE_ACTOR)
    assert at.title[0].value == "全县总览"
    assert at.selectbox(key="overview_round").value == "2026Q3"
    assert at.selectbox(key="overview_round").options[0] == "2026年第三季度"
    # the demo's last finished round ranks within groups: one table (and chart) per group, in order
    tables = [frame.value for frame in at.dataframe[:4]]
    assert [len(t) for t in tables] == [12, 4, 3, 3]
    assert [set(t["分组"]) for t in tables] == [{"审批类"}, {"执法类"}, {"服务类"}, {"公用事业"}]
    ranking = tables[0]
    assert list(ranking["排名"][:3]) == ["1", "2", "3"]  # text: "不参加排名" for the unranked
    assert all(t["排名"].iloc[0] == "1" for t in tables)  # each group has its own first place
    assert {"等次", "处理", "旗帜", "未办结案件"} <= set(ranking.columns)
    assert charts_drawn(at) == 4 + 3
    moves = at.dataframe[4].value
    assert int(moves.to_numpy().sum()) == 22


def test_overview_filters_by_agency_group(demo_path, monkeypatch):
    at = page("county_overview", demo_path, monkeypatch, ADMIN_ACTOR, lang="en")
    at.button_group(key="overview_groups").set_value(["utility"]).run()
    assert not at.exception
    assert len(at.dataframe[0].value) == 3  # power, water, gas


def test_overview_is_refused_to_an_agency(demo_path, monkeypatch):
    at = page("county_overview", demo_path, monkeypatch, AGENCY_ACTOR, lang="en")
    assert at.error and "may not" in at.error[0].value
    assert not at.dataframe


def test_a_new_finalisation_shows_up_at_once(demo_path, monkeypatch):
    at = page("county_overview", demo_path, monkeypatch, ADMIN_ACTOR)
    assert at.selectbox(key="overview_round").options[0] == "2026年第三季度"
    db = connect(demo_path)
    rounds.close_round(db, ADMIN_ACTOR, "2026Q4")
    finalise.finalise_round(db, ADMIN_ACTOR, "2026Q4")
    db.close()
    at.run()
    assert at.selectbox(key="overview_round").options[0] == "2026年第四季度"
    assert "尚未定级" not in texts(at)
    # the agency page too: its latest round is now 2026Q4
    agency = page("agency_dashboard", demo_path, monkeypatch, DISCIPLINE_ACTOR, dashboard_agency="FGW")
    assert "最近一轮：2026年第四季度" in texts(agency)


def test_a_saved_answer_leaves_the_published_results_cached_and_a_finalisation_clears_them(
        demo_path, monkeypatch):
    # the overview reads the finalised results through dashboards._results: count the reads
    reads = []
    real = dashboards._results
    monkeypatch.setattr(dashboards, "_results", lambda db, agency=None: reads.append(agency) or real(db, agency))
    at = page("county_overview", demo_path, monkeypatch, DISCIPLINE_ACTOR)
    assert reads == [None]
    db = connect(demo_path)
    firm = db.execute("SELECT uscc FROM enterprises WHERE panel = 'enterprise' AND active = 1 LIMIT 1").fetchone()[0]
    responses.save_response(db, enterprise_actor(firm), "2026Q4", "FGW", {item: 5 for item in ITEMS}, "")
    at.run()
    assert not at.exception and reads == [None]  # served from the cache: the answer changed no result
    rounds.close_round(db, ADMIN_ACTOR, "2026Q4")
    finalise.finalise_round(db, ADMIN_ACTOR, "2026Q4")
    db.close()
    at.run()
    assert reads == [None, None]  # read again after the finalisation
    assert at.selectbox(key="overview_round").options[0] == "2026年第四季度"


def test_the_overview_of_a_province_draws_groups_and_the_ranking_ends(tmp_path, monkeypatch):
    # more agencies than a chart draws one by one (charts/county.py), generated in bulk
    monkeypatch.setenv("QIPING_DEMO", "0")  # put back afterwards: the generator sets it
    path = province_data.build(tmp_path / "province.db", agencies=county.MAX_HEATMAP_AGENCIES + 40,
                               responses=(county.MAX_HEATMAP_AGENCIES + 40) * 8)
    at = page("county_overview", path, monkeypatch, DISCIPLINE_ACTOR, lang="en")
    assert "Grades of each group over the rounds" in str(at.get("vega_lite_chart")[1].proto.spec)
    assert "the best 30 and the worst 30" in str(at.get("vega_lite_chart")[0].proto.spec)
    # the table is drawn a page at a time, and its pages together show every agency once
    agencies = county.MAX_HEATMAP_AGENCIES + 40
    pages = -(-agencies // support.PAGE_ROWS)
    assert len(at.dataframe[0].value) == support.PAGE_ROWS
    picker = at.number_input(key=f"ranking_table_None_page_of_{pages}")
    assert (picker.min, picker.max, picker.value) == (1, pages, 1)
    shown = []
    for number in range(1, pages + 1):
        at.number_input(key=f"ranking_table_None_page_of_{pages}").set_value(number).run()
        assert not at.exception
        shown += list(at.dataframe[0].value["Agency"])
    assert sorted(shown) == [f"Agency {i:04d}" for i in range(agencies)]
    assert f"Rows 101–{agencies} of {agencies}" in texts(at)
    # the standard rates likewise: the county's line, the four groups' and every agency's
    lines = 1 + len(province_data.GROUPS) + agencies
    rates_pages = -(-lines // support.PAGE_ROWS)
    rates = []
    for number in range(1, rates_pages + 1):
        at.number_input(key=f"overview_rates_table_page_of_{rates_pages}").set_value(number).run()
        rates += list(at.dataframe[-1].value["Scope"])  # the last table of the page
    assert len(rates) == lines and set(rates) >= {f"Agency {i:04d}" for i in range(agencies)}



def test_published_ranking_marks_the_agencys_own_row(demo_path, monkeypatch):
    at = page("ranking", demo_path, monkeypatch, SCJG_ACTOR, lang="en")
    assert at.selectbox(key="ranking_round").value == "2026Q3"
    # 2026Q3 ranks within groups: last of the four enforcement agencies, with a yellow flag — bad news
    assert at.warning[0].value.startswith("Within Enforcement: Your agency ranks 4 of 4")
    assert not at.success
    table = at.dataframe[1].value  # the enforcement group's table
    assert list(table.loc[table["Your agency"] == "yours", "Agency"]) == ["County Market Supervision Bureau"]
    assert "Action" not in table.columns
    assert charts_drawn(at) == 4  # one ranking per group


def test_an_unpublished_round_is_not_in_the_agencys_ranking(demo_path, monkeypatch):
    db = connect(demo_path)
    rounds.close_round(db, ADMIN_ACTOR, "2026Q4")
    finalise.finalise_round(db, ADMIN_ACTOR, "2026Q4")
    db.close()
    at = page("ranking", demo_path, monkeypatch, AGENCY_ACTOR)
    assert at.selectbox(key="ranking_round").options[0] == "2026年第三季度"


def test_ranking_before_any_publication(db, tmp_path, monkeypatch):
    make_world(db, enterprises=2)
    at = page("ranking", tmp_path / "test.db", monkeypatch, AGENCY_ACTOR, lang="en")
    assert "No ranking has been published yet" in texts(at)


@pytest.mark.parametrize("name", ["agency_dashboard", "county_overview", "ranking"])
def test_pages_read_in_english(demo_path, monkeypatch, name):
    actor = AGENCY_ACTOR if name == "ranking" else ADMIN_ACTOR
    at = page(name, demo_path, monkeypatch, actor, lang="en")
    assert at.title[0].value in ("Agency results", "County overview", "County ranking")
    assert not any("\u4e00" <= ch <= "\u9fff" for ch in at.title[0].value + at.caption[0].value)


@pytest.mark.sqlite_only  # a PostgreSQL connection cannot tell what it wrote: the versions are asked each time
def test_the_data_versions_are_worked_out_once_per_run_until_the_run_writes(demo_db, monkeypatch):
    # a page asks for them once per cached call; at province size each costs tens of milliseconds
    asked = []
    real = dashboards.results_version
    monkeypatch.setattr(dashboards, "results_version", lambda db: asked.append(1) or real(db))
    first = (support._version(demo_db, "results"), support._version(demo_db, "data"))
    assert (support._version(demo_db, "results"), support._version(demo_db, "data")) == first
    assert len(asked) == 1 and first[1] == dashboards.data_version(demo_db)
    firm = demo_db.execute("SELECT uscc FROM enterprises WHERE panel = 'enterprise' AND active = 1 LIMIT 1").fetchone()[0]
    responses.save_response(demo_db, enterprise_actor(firm), "2026Q4", "FGW", {item: 5 for item in ITEMS}, "")
    after = (support._version(demo_db, "results"), support._version(demo_db, "data"))
    assert after[0] == first[0] and after[1] != first[1]  # a saved answer moves the data version only
    with demo_db.conn:
        demo_db.execute("UPDATE agencies SET name_en = 'Renamed' WHERE code = 'FGW'")  # a write made without the audit log
    assert support._version(demo_db, "results") != first[0]
