"""Keeping the rosters by hand: agencies and enterprises added, edited,
deactivated, reactivated, deleted only without history — and the roster page."""
import json
from pathlib import Path

import pytest

from surveys.storage import tabular

from conftest import ADMIN_ACTOR, AGENCY_ACTOR, DISCIPLINE_ACTOR, FULL, dump, enterprise_actor, open_page
from surveys.participants import accounts
from surveys.participants import registry
from surveys.collection import responses
from surveys.participants import roster_admin
from surveys.core.errors import InvalidInput, NotFound, PermissionDenied, SignInRefused, Term
from surveys.participants.uscc import make_uscc

PAGE = str(Path(__file__).resolve().parents[2] / "app_pages" / "admin" / "roster_admin.py")
NEW_USCC = make_uscc("91511022MA9999991")
NOT_ADMIN = [AGENCY_ACTOR, DISCIPLINE_ACTOR, enterprise_actor(NEW_USCC)]


def audit_rows(db, action):
    return [(r[0], json.loads(r[1])) for r in db.execute(
        "SELECT target, detail FROM audit_log WHERE action = ? ORDER BY id", [action])]


def agency(db, code):
    return db.execute("SELECT code, name_zh, name_en, group_code, active FROM agencies WHERE code = ?",
                      [code]).fetchone()


# --- agencies ---------------------------------------------------------------------

def test_admin_adds_an_agency_and_it_is_offered_in_the_survey(db):
    assert roster_admin.add_agency(db, ADMIN_ACTOR, " sw ", "县商务局", "Commerce Bureau", "service") == "SW"
    assert agency(db, "SW") == ("SW", "县商务局", "Commerce Bureau", "service", 1)
    assert [a["code"] for a in registry.list_agencies(db)] == ["SW"]
    assert audit_rows(db, "agency.added") == [
        ("SW", {"name_zh": "县商务局", "name_en": "Commerce Bureau", "group": "service"})]


@pytest.mark.parametrize("code, name_zh, name_en, group, key, field", [
    ("", "县商务局", "", "approval", "roster_admin.required", "code"),
    ("S-W", "县商务局", "", "approval", "roster_admin.bad_agency_code", "code"),
    ("A" * 21, "县商务局", "", "approval", "roster_admin.too_long", "code"),
    ("SW", "  ", "", "approval", "roster_admin.required", "name_zh"),
    ("SW", "局" * 101, "", "approval", "roster_admin.too_long", "name_zh"),
    ("SW", "县商务局", "Commerce\nBureau", "approval", "roster_admin.control_character", "name_en"),
    ("SW", "县商务局", "", "bureau", "groups.unknown_group", "group_code"),
])
def test_bad_agency_input_names_the_field_and_stores_nothing(db, code, name_zh, name_en, group, key, field):
    before = dump(db)
    with pytest.raises(InvalidInput) as caught:
        roster_admin.add_agency(db, ADMIN_ACTOR, code, name_zh, name_en, group)
    assert caught.value.key == key
    assert caught.value.values["field"] == Term(f"roster_admin.field.{field}")
    label_zh = {"code": "部门代码", "name_zh": "部门名称", "name_en": "英文名称", "group_code": "分组"}[field]
    assert f"“{label_zh}”" in caught.value.message("zh")
    assert dump(db) == before


def test_an_agency_code_is_used_once(db, world):
    before = dump(db)
    with pytest.raises(InvalidInput) as caught:
        roster_admin.add_agency(db, ADMIN_ACTOR, "fgw", "另一个发改委")
    assert caught.value.key == "roster_admin.agency_exists"
    assert "县发展改革委" in caught.value.message("zh")
    assert dump(db) == before


def test_admin_edits_names_and_group_and_the_audit_says_what_changed(db, world):
    roster_admin.update_agency(db, ADMIN_ACTOR, "fgw", "县发展和改革委员会", "DRC", "服务类")  # a group's name does
    assert agency(db, "FGW") == ("FGW", "县发展和改革委员会", "DRC", "service", 1)
    assert audit_rows(db, "agency.updated") == [
        ("FGW", {"name_zh": ["县发展改革委", "县发展和改革委员会"], "group_code": ["approval", "service"]})]


def test_a_group_that_does_not_exist_is_refused_naming_the_groups_there_are(db, world):
    with pytest.raises(InvalidInput) as caught:
        roster_admin.update_agency(db, ADMIN_ACTOR, "SCJG", "县市场监管局", "", "tax")
    assert caught.value.message("en") == (
        "'Group' 'tax' is not one of the agency groups: approval (审批类) / enforcement (执法类) / "
        "service (服务类) / utility (公用事业).")


def test_editing_an_unknown_agency_is_refused(db, world):
    with pytest.raises(NotFound) as caught:
        roster_admin.update_agency(db, ADMIN_ACTOR, "NOPE", "x", "", "approval")
    assert "NOPE" in caught.value.message("en")


def test_bad_edit_names_the_field_and_changes_nothing(db, world):
    before = dump(db)
    with pytest.raises(InvalidInput) as caught:
        roster_admin.update_agency(db, ADMIN_ACTOR, "FGW", "", "DRC", "approval")
    assert caught.value.message("en") == "'Agency name (Chinese)' must not be empty."
    assert dump(db) == before


def test_deactivated_agency_leaves_the_survey_and_comes_back(db, world):
    roster_admin.set_agency_active(db, ADMIN_ACTOR, "FGW", False)
    assert [a["code"] for a in registry.list_agencies(db)] == ["SCJG"]
    with pytest.raises(InvalidInput) as caught:
        roster_admin.set_agency_active(db, ADMIN_ACTOR, "FGW", False)
    assert caught.value.key == "roster_admin.agency_already_inactive"
    roster_admin.set_agency_active(db, ADMIN_ACTOR, "FGW", True)
    assert [a["code"] for a in registry.list_agencies(db)] == ["FGW", "SCJG"]
    assert [r[0] for r in db.execute("SELECT action FROM audit_log WHERE target = 'FGW' ORDER BY id")] == [
        "agency.deactivated", "agency.reactivated"]


def test_an_agency_without_history_may_be_deleted(db, world):
    roster_admin.add_agency(db, ADMIN_ACTOR, "OOPS", "误录部门")
    roster_admin.delete_agency(db, ADMIN_ACTOR, "OOPS")
    assert agency(db, "OOPS") is None
    assert audit_rows(db, "agency.deleted") == [("OOPS", {"name_zh": "误录部门"})]


def test_an_agency_with_responses_is_never_deleted(db, world):
    responses.save_response(db, world[0], "2026Q4", "FGW", FULL)
    before = dump(db)
    with pytest.raises(InvalidInput) as caught:
        roster_admin.delete_agency(db, ADMIN_ACTOR, "FGW")
    assert caught.value.key == "roster_admin.agency_has_history"
    assert caught.value.values["responses"] == 1
    assert "只能停用" in caught.value.message("zh")
    assert dump(db) == before


def test_an_agency_with_results_and_cases_is_never_deleted(demo_db):
    with pytest.raises(InvalidInput) as caught:
        roster_admin.delete_agency(demo_db, ADMIN_ACTOR, "FGW")
    assert caught.value.values["results"] > 0 and caught.value.values["responses"] > 0
    case_agency = demo_db.execute("SELECT agency FROM cases LIMIT 1").fetchone()[0]
    with pytest.raises(InvalidInput) as caught:
        roster_admin.delete_agency(demo_db, ADMIN_ACTOR, case_agency)
    assert caught.value.values["cases"] > 0
    assert agency(demo_db, case_agency) is not None


def test_an_agency_with_staff_accounts_is_not_deleted(db, world):
    accounts.create_staff(db, ADMIN_ACTOR, "fgw", "a good password", "agency", "FGW")
    with pytest.raises(InvalidInput) as caught:
        roster_admin.delete_agency(db, ADMIN_ACTOR, "FGW")
    assert caught.value.key == "roster_admin.agency_has_staff" and caught.value.values["count"] == 1


def test_a_reference_from_any_other_table_also_counts_as_history(db, world):
    # a table added by a later migration (appeals, problems …) that points at agencies
    db.execute("CREATE TABLE later_things (agency TEXT REFERENCES agencies(code))")
    db.execute("INSERT INTO later_things VALUES ('SCJG')")
    db.conn.commit()
    with pytest.raises(InvalidInput) as caught:
        roster_admin.delete_agency(db, ADMIN_ACTOR, "SCJG")
    assert caught.value.key == "roster_admin.agency_referenced"
    assert agency(db, "SCJG") is not None and not audit_rows(db, "agency.deleted")


def test_overview_lists_every_agency_with_history_and_staff(demo_db):
    roster_admin.add_agency(demo_db, ADMIN_ACTOR, "NEW", "新部门")
    rows = {r["code"]: r for r in roster_admin.agencies_overview(demo_db, ADMIN_ACTOR)}
    assert len(rows) == 23
    assert rows["FGW"]["has_history"] and rows["FGW"]["staff"] == 1
    assert not rows["NEW"]["has_history"] and rows["NEW"]["staff"] == 0


# --- enterprises -------------------------------------------------------------------

def test_admin_adds_an_enterprise_with_a_valid_credit_code(db):
    added = roster_admin.add_enterprise(db, ADMIN_ACTOR, NEW_USCC.lower(), " 青川县新材料有限公司 ", "建材",
                                        "王伟", "0839-1234567")
    assert added == NEW_USCC
    row = db.execute("SELECT name, industry, contact_person, contact_phone, active FROM enterprises").fetchone()
    assert row == ("青川县新材料有限公司", "建材", "王伟", "0839-1234567", 1)
    assert audit_rows(db, "enterprise.added") == [(NEW_USCC, {"name": "青川县新材料有限公司"})]


@pytest.mark.parametrize("uscc, name, phone, key", [
    (NEW_USCC[:17] + ("0" if NEW_USCC[17] != "0" else "1"), "某公司", "", "uscc.wrong_check"),
    (NEW_USCC[:10], "某公司", "", "uscc.wrong_length"),
    (NEW_USCC, "", "", "roster_admin.required"),
    (NEW_USCC, "某公司", "call me", "roster_admin.bad_phone"),
    (NEW_USCC, "某公司", "1" * 31, "roster_admin.too_long"),
])
def test_bad_enterprise_input_is_refused_and_stores_nothing(db, uscc, name, phone, key):
    before = dump(db)
    with pytest.raises(InvalidInput) as caught:
        roster_admin.add_enterprise(db, ADMIN_ACTOR, uscc, name, contact_phone=phone)
    assert caught.value.key == key
    message = caught.value.message("zh")
    assert any(label in message for label in ("统一社会信用代码", "企业名称", "联系电话"))
    assert dump(db) == before


def test_an_enterprise_is_on_the_roster_once(db, world):
    with pytest.raises(InvalidInput) as caught:
        roster_admin.add_enterprise(db, ADMIN_ACTOR, world[0].id, "重复公司")
    assert caught.value.key == "roster_admin.enterprise_exists" and "企业1" in caught.value.message("zh")


def test_admin_edits_an_enterprise_and_the_audit_keeps_old_and_new(db, world):
    roster_admin.update_enterprise(db, ADMIN_ACTOR, world[0].id, "企业1（更名）", "食品加工", "李芳", "13800000001")
    row = db.execute("SELECT name, industry, contact_person, contact_phone FROM enterprises WHERE uscc = ?",
                     [world[0].id]).fetchone()
    assert row == ("企业1（更名）", "食品加工", "李芳", "13800000001")
    (target, detail), = audit_rows(db, "enterprise.updated")
    assert target == world[0].id and detail["name"] == ["企业1", "企业1（更名）"]
    with pytest.raises(NotFound):
        roster_admin.update_enterprise(db, ADMIN_ACTOR, NEW_USCC, "无此企业")


def test_a_deactivated_enterprise_cannot_sign_in_until_reactivated(db, world):
    code = accounts.issue_access_code(db, ADMIN_ACTOR, world[0].id)
    roster_admin.set_enterprise_active(db, ADMIN_ACTOR, world[0].id, False)
    with pytest.raises(SignInRefused):
        accounts.sign_in_enterprise(db, code, "client")
    with pytest.raises(InvalidInput) as caught:
        roster_admin.set_enterprise_active(db, ADMIN_ACTOR, world[0].id, False)
    assert caught.value.key == "roster_admin.enterprise_already_inactive"
    roster_admin.set_enterprise_active(db, ADMIN_ACTOR, world[0].id, True)
    assert accounts.sign_in_enterprise(db, code, "client").id == world[0].id


def test_search_by_name_or_code_piece_and_by_status(db, world):
    roster_admin.set_enterprise_active(db, ADMIN_ACTOR, world[2].id, False)
    accounts.issue_access_code(db, ADMIN_ACTOR, world[1].id)
    assert [r["uscc"] for r in roster_admin.search_enterprises(db, ADMIN_ACTOR, "企业2")] == [world[1].id]
    by_code = roster_admin.search_enterprises(db, ADMIN_ACTOR, world[0].id[-6:].lower())
    assert [r["uscc"] for r in by_code] == [world[0].id]
    assert len(roster_admin.search_enterprises(db, ADMIN_ACTOR)) == 3
    assert [r["uscc"] for r in roster_admin.search_enterprises(db, ADMIN_ACTOR, "", "inactive")] == [world[2].id]
    active = roster_admin.search_enterprises(db, ADMIN_ACTOR, "", "active")
    assert {r["uscc"]: r["has_code"] for r in active} == {world[0].id: 0, world[1].id: 1}
    assert roster_admin.search_enterprises(db, ADMIN_ACTOR, "%") == []  # no wildcards


# --- permissions -------------------------------------------------------------------

OPERATIONS = [
    (roster_admin.add_agency, ("NEW", "新部门")),
    (roster_admin.update_agency, ("FGW", "x", "", "approval")),
    (roster_admin.set_agency_active, ("FGW", False)),
    (roster_admin.delete_agency, ("SCJG",)),
    (roster_admin.agencies_overview, ()),
    (roster_admin.add_enterprise, (NEW_USCC, "新企业")),
    (roster_admin.update_enterprise, (None, "x")),
    (roster_admin.set_enterprise_active, (None, False)),
    (roster_admin.search_enterprises, ("",)),
]


@pytest.mark.parametrize("who", NOT_ADMIN, ids=lambda a: a.role)
@pytest.mark.parametrize("operation, args", OPERATIONS, ids=lambda o: getattr(o, "__name__", ""))
def test_only_an_administrator_may_keep_the_rosters(db, world, who, operation, args):
    args = tuple(world[0].id if a is None else a for a in args)
    before = dump(db)
    with pytest.raises(PermissionDenied):
        operation(db, who, *args)
    assert dump(db) == before


# --- the page ----------------------------------------------------------------------

@pytest.fixture
def page(demo_path, monkeypatch):
    return open_page(PAGE, demo_path, monkeypatch)


def by_key(widgets, key):
    return next(w for w in widgets if w.key == key)


def button(at, label):
    return next(b for b in at.button if b.label == label)


def test_page_explains_itself_and_lists_the_roster(page):
    assert page.title[0].value == "部门与企业名录"
    assert "有评议记录的部门和企业不能删除" in page.caption[0].value
    # the raters of every panel: 300 enterprises, 12 deputies and 8 supervisors
    assert len(page.dataframe[0].value) == 320 and len(page.dataframe[1].value) == 22


def test_page_searches_and_edits_an_enterprise(page, demo_db):
    target = demo_db.execute("SELECT uscc, name FROM enterprises ORDER BY uscc LIMIT 1").fetchone()
    by_key(page.text_input, "enterprise_query").input(target[0][-8:]).run()
    assert list(page.dataframe[0].value["统一社会信用代码"]) == [target[0]]
    by_key(page.text_input, f"e_contact_phone_{target[0]}").input("0839-7654321")
    next(b for b in page.button if b.label == "保存修改").click().run()
    assert not page.exception and f"已保存 {target[0]} 的修改。" in [s.value for s in page.success]
    assert demo_db.execute("SELECT contact_phone FROM enterprises WHERE uscc = ?", [target[0]]).fetchone()[0] \
        == "0839-7654321"


def test_page_refuses_a_bad_credit_code_and_names_the_problem(page, demo_db):
    by_key(page.text_input, "new_uscc").input("91511022MA0000001X")
    by_key(page.text_input, "new_name").input("新公司")
    by_key(page.button, "add_enterprise_submit").click().run()
    assert any("校验码错误" in e.value for e in page.error)
    assert demo_db.execute("SELECT count(*) FROM enterprises WHERE panel = 'enterprise'").fetchone()[0] == 300


def test_page_deactivates_an_enterprise_after_confirmation(page, demo_db):
    first = page.selectbox(key="enterprise_chosen").value
    by_key(page.checkbox, f"confirm_off_enterprise_{first}").check().run()
    by_key(page.button, f"off_enterprise_{first}").click().run()
    assert demo_db.execute("SELECT active FROM enterprises WHERE uscc = ?", [first]).fetchone()[0] == 0


def test_page_adds_then_deletes_an_agency(page, demo_db):
    by_key(page.text_input, "new_code").input("oops")
    by_key(page.text_input, "new_name_zh").input("误录部门")
    by_key(page.button, "add_agency_submit").click().run()
    assert "已新增 OOPS。" in [s.value for s in page.success]
    page.selectbox(key="agency_chosen").select("OOPS").run()
    by_key(page.checkbox, "confirm_delete_OOPS").check().run()
    by_key(page.button, "delete_OOPS").click().run()
    assert not page.exception and agency(demo_db, "OOPS") is None


def test_page_offers_only_deactivation_for_an_agency_with_history(page):
    page.selectbox(key="agency_chosen").select("FGW").run()
    assert any("不能删除，只能停用" in c.value for c in page.caption)
    assert not any(b.key == "delete_FGW" for b in page.button)


def test_page_in_english_shows_no_raw_catalogue_keys(demo_path, monkeypatch):
    at = open_page(PAGE, demo_path, monkeypatch, lang="en")
    shown = [e.value for kind in ("title", "caption", "markdown") for e in at.get(kind)]
    shown += [w.label for w in (*at.button, *at.checkbox, *at.text_input, *at.selectbox)]
    shown += list(at.dataframe[1].value.columns) + list(at.dataframe[1].value.iloc[0])
    assert at.title[0].value == "Agencies and enterprises"
    assert not [s for s in shown if "roster_admin." in str(s)]


def test_page_previews_a_partial_roster_field_by_field_then_imports_on_confirmation(page, demo_db):
    uscc, name, industry, person = demo_db.execute(
        "SELECT uscc, name, industry, contact_person FROM enterprises ORDER BY uscc LIMIT 1").fetchone()
    page.file_uploader[0].set_value(("rename.csv", f"uscc,name\n{uscc},改名后的公司\n".encode(), "text/csv"))
    page.run()
    assert not page.exception
    assert [m.value for m in page.metric][2:] == ["0", "1", "0"]  # after the two roster counts: new, changed, same
    # info[0] is the page's next-step line
    assert page.info[1].value == "文件里没有这些列，已有记录的原值保持不变：行业、联系人、联系电话。"
    changes = page.dataframe[-1].value
    assert changes.to_dict("records") == [{"行号": 2, "代码": uscc, "名称": "改名后的公司", "变化": "修改",
                                           "字段": "企业名称", "原值": name, "新值": "改名后的公司"}]
    assert demo_db.execute("SELECT name FROM enterprises WHERE uscc = ?", [uscc]).fetchone()[0] == name
    assert not [b for b in page.button if b.label == "导入"]  # not before the confirmation
    next(c for c in page.checkbox if c.label.startswith("我已核对以上变化（1 条记录）")).check().run()
    button(page, "导入").click().run()
    assert not page.exception
    assert page.success[0].value == "导入完成：新增 0 条，修改 1 条，0 条无变化。"
    assert demo_db.execute("SELECT name, industry, contact_person FROM enterprises WHERE uscc = ?",
                           [uscc]).fetchone() == ("改名后的公司", industry, person)


def test_page_refuses_a_big5_file_saying_how_to_save_it(page, demo_db):
    before = dump(demo_db)
    uscc = make_uscc("91511022MA9999992")
    page.file_uploader[0].set_value(("big5.csv", f"uscc,name\n{uscc},青川縣的公司\n".encode("big5"), "text/csv"))
    page.run()
    assert not page.exception
    assert page.error[0].value.startswith("第 2 行，“name”列有不存在的字符")
    assert "CSV UTF-8" in page.error[0].value
    assert not [b for b in page.button if b.label == "导入"]
    assert dump(demo_db) == before


def test_the_uploader_states_the_limit_the_import_enforces(page):
    # Streamlit's own box would say "Limit 10MB per file" while the import refuses over 5 MB
    assert page.file_uploader[0].proto.max_upload_size_mb == tabular.MAX_BYTES // (1024 * 1024) == 5
