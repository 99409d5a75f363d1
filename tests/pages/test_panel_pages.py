"""Rater panels on the pages (AppTest): the administrator sets a round's panel weights and is told
plainly when they are wrong; the roster page offers the panel roster and counts each panel; a
deputy's survey says which panel it rates as."""
from __future__ import annotations

from pathlib import Path

import pytest

from conftest import ADMIN_ACTOR, enterprise_actor, make_world, open_page
from surveys import startup
from surveys.collection import rounds
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
        return rounds.get_round(database, "2026Q4")["panel_weights"]
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
    assert stored_weights(small_county) == '{"enterprise": 50.0, "representative": 25.0, "supervisor": 25.0}'


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
