"""Questionnaire versions: listing with the rounds that use them, new versions from
old ones, checks on every item field, and a used version never edited."""
from pathlib import Path

import pytest

from conftest import ADMIN_ACTOR, AGENCY_ACTOR, DISCIPLINE_ACTOR, dump, enterprise_actor, make_world, open_page
from surveys.core import audit
from surveys.collection import questionnaire
from surveys.collection import questionnaire_admin
from surveys.collection import responses
from surveys.collection import rounds
from surveys.core.errors import InvalidInput, NotFound, PermissionDenied

PAGE = str(Path(__file__).resolve().parents[2] / "app_pages" / "admin" / "questionnaires_admin.py")


def v1_items(db):
    return [{"code": i.code, "zh": i.zh, "en": i.en, "weight": i.weight}
            for i in questionnaire.get_questionnaire(db, 1).items]


def edited_items(db):
    items = v1_items(db)[:4]  # drop convenience
    items[0]["zh"] = "办理时效：是否按承诺时限办结"
    items[0]["weight"] = 2.0
    items.append({"code": "online_service", "zh": "网上办理：能否全程网办", "en": "Online: could it be done online?",
                  "weight": None})
    return items


def test_versions_are_listed_with_items_and_the_rounds_using_them(db):
    make_world(db, enterprises=1)
    versions = questionnaire_admin.list_versions(db, ADMIN_ACTOR)
    assert [(v["version"], v["rounds"], v["in_use"]) for v in versions] == [(1, ["2026Q4"], True)]
    assert versions[0]["form"].item_codes[0] == "efficiency"


def test_a_new_version_is_made_from_an_old_one(db):
    version = questionnaire_admin.create_version(db, ADMIN_ACTOR, 1, "问卷（第2版）", "Questionnaire v2",
                                                 edited_items(db))
    assert version == 2
    form = questionnaire.get_questionnaire(db, 2)
    assert form.title_zh == "问卷（第2版）"
    assert form.item_codes == ["efficiency", "attitude", "lawfulness", "integrity", "online_service"]
    assert form.weights == {"efficiency": 2.0, "attitude": 1.0, "lawfulness": 1.0, "integrity": 1.0,
                            "online_service": 1.0}  # a blank weight counts as 1
    assert form.items[0].zh == "办理时效：是否按承诺时限办结"
    assert questionnaire.get_questionnaire(db, 1).items[0].zh.startswith("办理时效：事项是否")  # the old one stays
    entry = audit.entries(db)[0]
    assert (entry["action"], entry["target"]) == ("questionnaire.created", "v2")
    assert '"base": 1' in entry["detail"]


def test_a_round_opened_with_the_new_version_asks_its_items(db):
    make_world(db, enterprises=1, open_round=False)
    questionnaire_admin.create_version(db, ADMIN_ACTOR, 1, "第2版", "v2", edited_items(db))
    rounds.create_round(db, ADMIN_ACTOR, "2027Q1", "2027-01-01", "2099-01-31")
    rounds.start_round(db, ADMIN_ACTOR, "2027Q1", 2)
    uscc = db.execute("SELECT uscc FROM enterprises").fetchone()[0]
    ratings = {code: 4 for code in questionnaire.get_questionnaire(db, 2).item_codes}
    assert responses.save_response(db, enterprise_actor(uscc), "2027Q1", "FGW", ratings) == 1
    assert [v["rounds"] for v in questionnaire_admin.list_versions(db, ADMIN_ACTOR)] == [["2027Q1"], []]


def test_every_bad_item_field_is_named_and_nothing_is_stored(db):
    before = dump(db)
    items = [
        {"code": "Bad Code", "zh": "甲", "en": "A", "weight": 1},       # 1: not snake_case
        {"code": "1st", "zh": "乙", "en": "B", "weight": 0},            # 2: starts with a digit; weight 0
        {"code": "ok_item", "zh": "", "en": "C", "weight": -1},         # 3: no Chinese; negative weight
        {"code": "ok_item", "zh": "丁", "en": "D\nE", "weight": "x"},   # 4: repeated code; control char; not a number
        {"code": "comment", "zh": "戊" * 201, "en": "F", "weight": float("inf")},  # 5: reserved; too long; infinite
        {"code": "double__under", "zh": "己", "en": "G", "weight": 101},  # 6: double underscore; above the maximum
    ]
    with pytest.raises(questionnaire_admin.ItemsRefused) as caught:
        questionnaire_admin.create_version(db, ADMIN_ACTOR, 1, "标题", "Title", items)
    assert {(p.line, p.column, p.key.rsplit(".", 1)[1]) for p in caught.value.problems} == {
        (1, "code", "bad_code"), (2, "code", "bad_code"), (2, "weight", "bad_weight"),
        (3, "zh", "required"), (3, "weight", "bad_weight"),
        (4, "code", "duplicate_code"), (4, "en", "control_character"), (4, "weight", "bad_weight"),
        (5, "code", "reserved_code"), (5, "zh", "too_long"), (5, "weight", "bad_weight"),
        (6, "code", "bad_code"), (6, "weight", "bad_weight"),
    }
    zh = caught.value.details("zh")
    assert "第 4 行，“代码”列：代码“ok_item”与第 3 行重复" in zh
    assert any(m.startswith("Line 1, column 'Code': code 'Bad Code' is not valid") for m in caught.value.details("en"))
    assert caught.value.message("zh") == "指标表有 13 处错误，未保存。请改正后再保存。"
    assert dump(db) == before


def test_titles_and_item_count_are_checked(db):
    before = dump(db)
    with pytest.raises(InvalidInput) as caught:
        questionnaire_admin.create_version(db, ADMIN_ACTOR, 1, " ", "Title", v1_items(db))
    assert caught.value.message("zh") == "中文标题不能为空。"
    with pytest.raises(InvalidInput) as caught:
        questionnaire_admin.create_version(db, ADMIN_ACTOR, 1, "标题", "T" * 101, v1_items(db))
    assert caught.value.key == "admin_ops.questionnaires.bad_title"
    with pytest.raises(InvalidInput) as caught:  # rows left empty in the editor are not items
        questionnaire_admin.create_version(db, ADMIN_ACTOR, 1, "标题", "Title", [{"code": None, "zh": float("nan")}])
    assert caught.value.key == "admin_ops.questionnaires.no_items"
    many = [{"code": f"item_{n}", "zh": "甲", "en": "A"} for n in range(31)]
    with pytest.raises(InvalidInput) as caught:
        questionnaire_admin.create_version(db, ADMIN_ACTOR, 1, "标题", "Title", many)
    assert caught.value.key == "admin_ops.questionnaires.too_many_items"
    with pytest.raises(NotFound):
        questionnaire_admin.create_version(db, ADMIN_ACTOR, 9, "标题", "Title", v1_items(db))
    assert dump(db) == before


def test_a_version_used_by_a_round_is_never_edited(db):
    make_world(db, enterprises=1)
    before = dump(db)
    with pytest.raises(InvalidInput) as caught:
        questionnaire_admin.update_version(db, ADMIN_ACTOR, 1, "改", "changed", edited_items(db))
    assert caught.value.message("zh") == "第 1 版已被轮次 2026Q4 使用，不能修改。请以它为基础新建版本。"
    assert dump(db) == before


def test_an_unused_version_can_be_corrected_until_a_round_uses_it(db):
    make_world(db, enterprises=1, open_round=False)
    questionnaire_admin.create_version(db, ADMIN_ACTOR, 1, "第2版", "v2", v1_items(db))
    questionnaire_admin.update_version(db, ADMIN_ACTOR, 2, "第2版（修订）", "v2 fixed", edited_items(db))
    assert questionnaire.get_questionnaire(db, 2).title_zh == "第2版（修订）"
    assert audit.entries(db)[0]["action"] == "questionnaire.updated"
    rounds.create_round(db, ADMIN_ACTOR, "2027Q1", "2027-01-01", "2099-01-31")
    rounds.start_round(db, ADMIN_ACTOR, "2027Q1", 2)
    with pytest.raises(InvalidInput):
        questionnaire_admin.update_version(db, ADMIN_ACTOR, 2, "再改", "again", v1_items(db))
    assert questionnaire.get_questionnaire(db, 2).title_zh == "第2版（修订）"


@pytest.mark.parametrize("who", [AGENCY_ACTOR, DISCIPLINE_ACTOR, enterprise_actor("x")])
def test_only_the_administrator_manages_versions(db, who):
    before = dump(db)
    with pytest.raises(PermissionDenied):
        questionnaire_admin.list_versions(db, who)
    with pytest.raises(PermissionDenied):
        questionnaire_admin.create_version(db, who, 1, "标题", "Title", v1_items(db))
    with pytest.raises(PermissionDenied):
        questionnaire_admin.update_version(db, who, 1, "标题", "Title", v1_items(db))
    assert dump(db) == before


@pytest.mark.parametrize("code", ["speed", "speed_2", "a1_b2", "x" * 40])
def test_snake_case_codes_are_accepted(db, code):
    items = [{"code": code, "zh": "甲", "en": "A", "weight": 1}]
    assert questionnaire_admin.create_version(db, ADMIN_ACTOR, 1, "标题", "Title", items) == 2


# --- the page ---------------------------------------------------------------------------

@pytest.fixture
def page(demo_path, monkeypatch):
    return open_page(PAGE, demo_path, monkeypatch)


def test_page_lists_versions_with_their_rounds(page):
    assert not page.exception
    assert page.title[0].value == "问卷版本"
    assert page.expander[0].label == "第 1 版：行政效能评议问卷（第1版）"
    assert page.caption[1].value.startswith("使用该版本的轮次：2024年第四季度、2025年第一季度")
    assert "办理时效" in page.dataframe[0].value.iloc[0, 1]
    assert "第 1 版已被轮次使用，不能修改" in "\n".join(c.value for c in page.caption)
    assert not [c for c in page.checkbox if "直接修改" in c.label]


def test_page_saves_a_copy_as_a_new_version(page, demo_path):
    page.text_input[0].set_value("行政效能评议问卷（第2版）")
    next(b for b in page.button if b.label == "保存为新版本").click().run()
    assert not page.exception
    assert page.success[0].value.startswith("已保存为第 2 版")
    assert page.expander[0].label == "第 2 版：行政效能评议问卷（第2版）"
    assert page.expander[0].caption[0].value == "尚未被任何轮次使用，可以修改。"


def edit_table(page, edited_rows=None, added_rows=None, deleted_rows=None):
    page.session_state["items_1"] = {"edited_rows": edited_rows or {}, "added_rows": added_rows or [],
                                     "deleted_rows": deleted_rows or []}


def test_page_names_every_bad_cell_and_saves_nothing(page, demo_path):
    edit_table(page, edited_rows={0: {"code": "Bad Code"}, 1: {"weight": 0}})
    page.run()
    next(b for b in page.button if b.label == "保存为新版本").click().run()
    assert not page.exception
    assert page.error[0].value == "指标表有 2 处错误，未保存。请改正后再保存。"
    problems = list(page.dataframe[-1].value.iloc[:, 0])
    assert problems[0].startswith("第 1 行，“代码”列：代码“Bad Code”无效")
    assert problems[1].startswith("第 2 行，“权重”列：权重“0")
    assert [e.label for e in page.expander] == ["第 1 版：行政效能评议问卷（第1版）"]


def test_page_saves_added_and_removed_items_as_a_new_version(page, demo_path):
    edit_table(page, added_rows=[{"code": "online_service", "zh": "网上办理：能否全程网办", "en": "Online"}],
               deleted_rows=[4])
    page.run()
    next(b for b in page.button if b.label == "保存为新版本").click().run()
    assert not page.exception
    from surveys.storage.db import connect
    database = connect(demo_path)
    form = questionnaire.get_questionnaire(database, 2)
    database.close()
    assert form.item_codes == ["efficiency", "attitude", "lawfulness", "integrity", "online_service"]
    assert form.weights["online_service"] == 1.0
