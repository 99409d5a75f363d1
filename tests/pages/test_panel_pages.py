"""Rater panels on the pages (AppTest): the administrator sets a round's panel weights and is told
plainly when they are wrong; the roster page offers the panel roster and counts each panel; a
deputy's survey says which panel it rates as."""
from __future__ import annotations

from pathlib import Path

import pytest

from conftest import ADMIN_ACTOR, enterprise_actor, make_world, open_page
from surveys import startup
from surveys.collection import panel_weights
from surveys.participants import panels

PAGES = Path(__file__).resolve().parents[2] / "app_pages"
PANEL_FILE = "评议人编号,姓名,评议人类别\r\n,张代表,两代表一委员\r\n,李监督,行风监督员\r\n".encode()


@pytest.fixture
def small_county(tmp_path):
    path = tmp_path / "county.db"
    database = startup.prepare(path)
    make_world(database)
    panels.import_panel_raters(database, ADMIN_ACTOR, PANEL_FILE, "panels.csv")
    database.close()
    return path


def stored_weights(path):
    database = startup.prepare(path)
    try:
        return panel_weights.round_weights(database, "2026Q4")
    finally:
        database.close()


def test_the_administrator_sets_an_open_rounds_panel_weights(small_county, monkeypatch):
    at = open_page(PAGES / "admin/rounds_admin.py", small_county, monkeypatch, lang="en")
    assert any("This round's weights: Enterprises 100%" in c.value for c in at.caption)
    at.number_input(key="weight_2026Q4_enterprise").set_value(50.0)
    at.number_input(key="weight_2026Q4_representative").set_value(25.0)
    at.number_input(key="weight_2026Q4_supervisor").set_value(25.0)
    at.button[[b.label for b in at.button].index("Save weights")].click().run()
    assert not at.exception
    assert any("The panel weights of 2026 Q4 are saved." in s.value for s in at.success)
    assert any("Enterprises 50%, Deputies and CPPCC members 25%, Conduct supervisors 25%" in c.value
               for c in at.caption)
    assert stored_weights(small_county) == {"enterprise": 50.0, "representative": 25.0, "supervisor": 25.0}


def test_weights_not_adding_up_are_refused_on_the_page(small_county, monkeypatch):
    at = open_page(PAGES / "admin/rounds_admin.py", small_county, monkeypatch)
    at.number_input(key="weight_2026Q4_representative").set_value(30.0)
    at.button[[b.label for b in at.button].index("保存权重")].click().run()
    assert any("权重合计为 130，须为 100。" in e.value for e in at.error)
    assert stored_weights(small_county) is None


def test_the_roster_page_offers_the_panel_roster_and_counts_each_panel(small_county, monkeypatch):
    at = open_page(PAGES / "admin/roster_admin.py", small_county, monkeypatch)
    assert any("在册评议人：企业 3，两代表一委员 1，行风监督员 1" in c.value for c in at.caption)
    roster = at.dataframe[0].value
    assert set(roster["评议人类别"]) == {"企业", "两代表一委员", "行风监督员"}
    kinds = at.radio[0]
    assert "两代表一委员、行风监督员" in kinds.options
    kinds.set_value("panel_raters").run()
    assert not at.exception
    assert any("自动编为 R0001、S0001" in c.value for c in at.caption)


def test_a_deputy_reads_which_panel_it_rates_as(small_county, monkeypatch):
    at = open_page(PAGES / "enterprise/survey.py", small_county, monkeypatch, actor=enterprise_actor("R0001"))
    assert any("您以“两代表一委员”身份评议" in i.value for i in at.info)


def test_an_enterprise_reads_no_panel_line(small_county, monkeypatch):
    from surveys.participants.uscc import make_uscc
    at = open_page(PAGES / "enterprise/survey.py", small_county, monkeypatch,
                   actor=enterprise_actor(make_uscc("91511022MA0000001")))
    assert not any("身份评议" in i.value for i in at.info)


# --- the dashboards and the case evidence on the demo county -------------------------------

def thin_supervisors(demo_path):
    """(agency, round) of the demo's last finished round where fewer than three supervisors answered."""
    from surveys.demo import county as demo
    from surveys.storage.db import connect
    database = connect(demo_path)
    try:
        last = demo.past_rounds(database)[-1]
        counts = privacy_counts(database, last)
        thin = sorted(code for (code, panel), n in counts.items() if panel == "supervisor" and n < 3)
        thick = sorted(code for (code, panel), n in counts.items() if panel == "supervisor" and n >= 3)
        return last, thin, thick
    finally:
        database.close()


def privacy_counts(database, round_name):
    from surveys.results import privacy
    return {(code, panel): n for (_, code, panel), n in privacy.counted_per_panel(database, round_name).items()}


def agency_actor(code):
    from surveys.core.actors import AGENCY, Actor
    return Actor(role=AGENCY, id=code.lower(), name=code, agency_code=code)


def tables_text(at) -> str:
    return "\n".join(t.value.to_string() for t in at.table)


def test_an_agency_reads_each_panels_score_and_a_thin_panel_withheld(demo_path, monkeypatch):
    last, thin, _ = thin_supervisors(demo_path)
    assert thin, "the demo gives some agency fewer than three supervisors' answers"
    at = open_page(PAGES / "shared/agency_dashboard.py", demo_path, monkeypatch, actor=agency_actor(thin[0]),
                   timeout=60)
    assert any("各类评议人得分" in m.value for m in at.markdown)
    shown = tables_text(at)
    assert "两代表一委员" in shown and "行风监督员" in shown and "综合得分" in shown
    assert "不足 3 份，不显示" in shown


def test_the_discipline_office_reads_every_panels_figure_in_a_cases_evidence(demo_path, monkeypatch):
    from conftest import DISCIPLINE_ACTOR
    from surveys.storage.db import connect
    last, thin, _ = thin_supervisors(demo_path)
    database = connect(demo_path)
    case_id = database.execute("SELECT id FROM cases WHERE round = ? ORDER BY id LIMIT 1", [last]).fetchone()[0]
    database.close()
    at = open_page(PAGES / "discipline/case_inbox.py", demo_path, monkeypatch, actor=DISCIPLINE_ACTOR, timeout=60)
    next(b for b in at.selectbox if (b.key or "").startswith("inbox_case:")).set_value(case_id).run()
    assert not at.exception
    shown = tables_text(at)
    assert "行风监督员" in shown and "不足" not in shown  # staff see every figure


def test_the_county_overview_and_monitoring_show_the_panels(demo_path, monkeypatch):
    at = open_page(PAGES / "shared/county_overview.py", demo_path, monkeypatch, timeout=60)
    assert "两代表一委员" in tables_text(at)
    at = open_page(PAGES / "admin/monitoring.py", demo_path, monkeypatch, timeout=60)
    assert any("各类评议人填报情况" in m.value for m in at.markdown)
    assert "行风监督员" in tables_text(at)


def test_the_rounds_page_states_a_finalised_rounds_pinned_weights(demo_path, monkeypatch):
    at = open_page(PAGES / "admin/rounds_admin.py", demo_path, monkeypatch, timeout=60)
    assert any("定稿时固定的类别权重：企业 50%，两代表一委员 25%，行风监督员 25%" in c.value for c in at.caption)
    # the open round's own weights, in its form
    assert at.number_input(key="weight_2026Q4_representative").value == 25.0
