"""The agency groups page, the rounds page's ranking scope and the ranking pages' groups (AppTest, demo county)."""
from pathlib import Path

from conftest import ADMIN_ACTOR, open_page
from surveys.collection import rounds
from surveys.participants import registry
from surveys.storage.db import connect

PAGES = Path(__file__).resolve().parents[2] / "app_pages"
GROUPS_PAGE = PAGES / "admin" / "groups_admin.py"
TIMEOUT = 60


def texts(at) -> str:
    return " ".join(str(e.value) for kind in ("caption", "success", "error", "markdown", "info", "warning")
                    for e in getattr(at, kind))


def stored(demo_path, sql, params=()):
    db = connect(demo_path)
    try:
        return db.execute(sql, params).fetchall()
    finally:
        db.close()


def test_the_page_lists_the_groups_in_order_with_their_agencies(demo_path, monkeypatch):
    at = open_page(GROUPS_PAGE, demo_path, monkeypatch, timeout=TIMEOUT)
    assert at.title[0].value == "部门分组"
    groups = at.dataframe[0].value
    assert list(groups["中文名称"]) == ["审批类", "执法类", "服务类", "公用事业"]
    assert list(groups["部门数（在用/全部）"]) == ["12 / 12", "4 / 4", "3 / 3", "3 / 3"]
    members = at.dataframe[1].value
    assert dict(zip(members["部门代码"], members["分组"]))["SCJG"] == "执法类"
    # every group of the demo is in use: none offers a delete button, each says why
    assert "不能删除" in texts(at)
    assert not [b for b in at.button if b.key and b.key.startswith("delete_group_")]


def test_admin_renames_a_group_and_it_reads_so_everywhere(demo_path, monkeypatch):
    at = open_page(GROUPS_PAGE, demo_path, monkeypatch, timeout=TIMEOUT, lang="en")
    at.selectbox(key="group_chosen").select("utility").run()
    at.text_input(key="g_zh_utility").input("公用事业单位")
    at.button(key="FormSubmitter:edit_group_utility-Save names").click().run()
    assert not at.exception
    assert "Group utility saved." in [s.value for s in at.success]
    assert list(at.dataframe[0].value["Name (Chinese)"])[-1] == "公用事业单位"
    overview = open_page(PAGES / "shared" / "county_overview.py", demo_path, monkeypatch, timeout=TIMEOUT)
    assert "公用事业单位" in overview.button_group(key="overview_groups").options


def test_admin_adds_a_group_moves_it_up_and_deletes_it(demo_path, monkeypatch):
    at = open_page(GROUPS_PAGE, demo_path, monkeypatch, timeout=TIMEOUT, lang="en")
    at.text_input(key="new_group_code").input("tax")
    at.text_input(key="new_group_zh").input("税务类")
    at.button(key="add_group_submit").click().run()
    assert "Group tax added." in [s.value for s in at.success]
    at.selectbox(key="group_chosen").select("tax").run()
    at.button(key="up_tax").click().run()
    assert list(at.dataframe[0].value["Code"]) == ["approval", "enforcement", "service", "tax", "utility"]
    at.selectbox(key="group_chosen").select("tax").run()
    at.checkbox(key="confirm_delete_group_tax").check().run()
    at.button(key="delete_group_tax").click().run()
    assert "Group tax deleted." in [s.value for s in at.success]
    assert [g[0] for g in stored(demo_path, "SELECT code FROM agency_groups ORDER BY position")] == [
        "approval", "enforcement", "service", "utility"]


def test_admin_moves_an_agency_to_another_group(demo_path, monkeypatch):
    at = open_page(GROUPS_PAGE, demo_path, monkeypatch, timeout=TIMEOUT, lang="en")
    at.selectbox(key="member_agency").select("XZFW")
    at.selectbox(key="member_group").select("approval")
    at.button(key="FormSubmitter:move_agency-Change group").click().run()
    assert not at.exception
    assert any("moved to 'Approval'" in s.value for s in at.success)
    assert stored(demo_path, "SELECT group_code FROM agencies WHERE code = 'XZFW'") == [("approval",)]


def test_the_rounds_page_sets_the_open_rounds_scope_and_a_new_rounds(demo_path, monkeypatch):
    at = open_page(PAGES / "admin" / "rounds_admin.py", demo_path, monkeypatch, timeout=TIMEOUT, lang="en")
    radio = at.radio(key="scope_choice_2026Q4")
    assert radio.value == "group"  # the demo's open round ranks within groups
    radio.set_value("county")
    at.button(key="FormSubmitter:scope_2026Q4-Save ranking scope").click().run()
    assert not at.exception and "Ranking scope saved." in [s.value for s in at.success]
    assert stored(demo_path, "SELECT ranking_scope FROM rounds WHERE name = '2026Q4'") == [("county",)]
    at.radio(key="new_round_scope").set_value("group")
    # the form proposes the next quarter without a round: 2027Q1
    at.button(key="FormSubmitter:create_round-Create (draft)").click().run()
    assert not at.exception
    assert stored(demo_path, "SELECT ranking_scope FROM rounds WHERE status = 'draft'") == [("group",)]


def test_the_agency_ranking_page_shows_its_group_and_place_in_it(demo_path, monkeypatch):
    from surveys.core.actors import AGENCY, Actor
    actor = Actor(role=AGENCY, id="scjg", name="scjg", agency_code="SCJG")
    at = open_page(PAGES / "agency" / "ranking.py", demo_path, monkeypatch, actor=actor, timeout=TIMEOUT, lang="en")
    boxes = [b.value for kind in ("success", "warning", "info") for b in getattr(at, kind)]
    assert any(text.startswith("Within Enforcement:") and "4 of 4" in text for text in boxes), boxes
    tables = [frame.value for frame in at.dataframe]
    assert [set(t["Group"]) for t in tables] == [{"Approval"}, {"Enforcement"}, {"Service"}, {"Utility"}]
    mine = tables[1][tables[1]["Your agency"] != ""]
    assert list(mine["Rank"]) == ["4"]
