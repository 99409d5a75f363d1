"""Roster import: every bad row named, nothing half-imported, three encodings and XLSX."""
import io

import openpyxl
import pytest

from conftest import ADMIN_ACTOR, AGENCY_ACTOR, dump
from surveys.participants import registry
from surveys.core.errors import ImportRefused, InvalidInput, PermissionDenied
from surveys.participants.uscc import make_uscc

GOOD_1 = make_uscc("91511022MA0000001")
GOOD_2 = make_uscc("91511022MA0000002")
HEADER = "统一社会信用代码,企业名称,行业,联系人,联系电话"


def csv_bytes(lines, encoding="utf-8"):
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def good_lines():
    return [HEADER, f"{GOOD_1},青川县金山建材有限公司,建材,王伟,13800000001",
            f"{GOOD_2},青川县白云食品有限公司,食品加工,李芳,13800000002"]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_csv_in_each_encoding_imports(db, encoding):
    result = registry.import_enterprises(db, ADMIN_ACTOR, csv_bytes(good_lines(), encoding), "roster.csv")
    assert result == {"added": 2, "updated": 0, "unchanged": 0}
    names = [r[0] for r in db.execute("SELECT name FROM enterprises ORDER BY uscc")]
    assert names == ["青川县金山建材有限公司", "青川县白云食品有限公司"]


def test_xlsx_imports(db):
    book = openpyxl.Workbook()
    sheet = book.active
    for line in good_lines():
        sheet.append(line.split(","))
    buffer = io.BytesIO()
    book.save(buffer)
    registry.import_enterprises(db, ADMIN_ACTOR, buffer.getvalue(), "roster.xlsx")
    assert db.execute("SELECT count(*) FROM enterprises").fetchone()[0] == 2


def test_english_headers_in_any_order_import(db):
    lines = ["name,uscc", f"A 公司,{GOOD_1}"]
    registry.import_enterprises(db, ADMIN_ACTOR, csv_bytes(lines), "r.csv")
    assert db.execute("SELECT name FROM enterprises").fetchone()[0] == "A 公司"


def test_reimport_updates_existing_enterprises(db):
    registry.import_enterprises(db, ADMIN_ACTOR, csv_bytes(good_lines()), "r.csv")
    lines = [HEADER, f"{GOOD_1},新名称有限公司,建材,王伟,13800000009"]
    assert registry.import_enterprises(db, ADMIN_ACTOR, csv_bytes(lines), "r.csv") == {"added": 0, "updated": 1, "unchanged": 0}
    assert db.execute("SELECT name FROM enterprises WHERE uscc = ?", [GOOD_1]).fetchone()[0] == "新名称有限公司"


def test_bad_rows_are_all_listed_and_nothing_is_imported(db):
    registry.import_enterprises(db, ADMIN_ACTOR, csv_bytes(good_lines()[:2]), "r.csv")
    before = dump(db)
    lines = [HEADER,
             f"{GOOD_2},好公司,建材,,",                    # line 2: fine on its own
             f"{GOOD_2[:17]}X,坏校验码公司,,,",           # line 3: wrong check character
             "91511022MA00000,太短公司,,,",               # line 4: wrong length
             f"{GOOD_2[:5]}O{GOOD_2[6:]},非法字符公司,,,",  # line 5: illegal character
             f"{GOOD_2},,,,",                             # line 6: duplicate of 2, empty name
             ]
    with pytest.raises(ImportRefused) as caught:
        registry.import_enterprises(db, ADMIN_ACTOR, csv_bytes(lines), "r.csv")
    problems = {(p.line, p.key) for p in caught.value.problems}
    assert problems == {(3, "uscc.wrong_check"), (4, "uscc.wrong_length"), (5, "uscc.illegal_character"),
                        (6, "import.duplicate"), (6, "import.required")}
    messages = caught.value.details("zh")
    assert any(m.startswith("第 3 行，“统一社会信用代码”列") for m in messages)
    assert any("与第 2 行重复" in m for m in messages)
    assert any(m.startswith("Line 6, column '企业名称'") for m in caught.value.details("en"))
    assert dump(db) == before


def test_missing_required_column_is_named(db):
    with pytest.raises(ImportRefused) as caught:
        registry.import_enterprises(db, ADMIN_ACTOR, csv_bytes(["企业名称", "某公司"]), "r.csv")
    assert caught.value.problems[0].line == 1
    assert "统一社会信用代码" in caught.value.problems[0].column


def test_unreadable_files_are_refused_clearly(db):
    with pytest.raises(InvalidInput) as caught:
        registry.import_enterprises(db, ADMIN_ACTOR, b"\xff\xfe\x00\xd8\x00\xdc\xff", "r.csv")
    assert caught.value.key in ("import.bad_encoding", "import.missing_column")
    with pytest.raises(InvalidInput) as caught:
        registry.import_enterprises(db, ADMIN_ACTOR, b"not a zip", "r.xlsx")
    assert caught.value.key == "import.bad_xlsx"
    with pytest.raises(InvalidInput) as caught:
        registry.import_enterprises(db, ADMIN_ACTOR, b"", "r.csv")
    assert caught.value.key == "import.empty_file"
    with pytest.raises(InvalidInput) as caught:
        registry.import_enterprises(db, ADMIN_ACTOR, b"a,b", "r.pdf")
    assert caught.value.key == "import.unknown_type"


def test_only_an_administrator_imports(db):
    with pytest.raises(PermissionDenied):
        registry.import_enterprises(db, AGENCY_ACTOR, csv_bytes(good_lines()), "r.csv")
    assert db.execute("SELECT count(*) FROM enterprises").fetchone()[0] == 0


def test_agency_roster_imports_and_refuses_bad_codes(db):
    lines = ["code,name_zh,name_en,category", "fgw,县发展改革委,DRC,approval", "SCJG,县市场监管局,MSB,approval"]
    assert registry.import_agencies(db, ADMIN_ACTOR, csv_bytes(lines), "a.csv") == {"added": 2, "updated": 0, "unchanged": 0}
    assert [a["code"] for a in registry.list_agencies(db)] == ["FGW", "SCJG"]
    with pytest.raises(ImportRefused) as caught:
        registry.import_agencies(db, ADMIN_ACTOR, csv_bytes(["code,name_zh", "X Y,名称", "FGW,"]), "a.csv")
    assert {(p.line, p.key) for p in caught.value.problems} == {(2, "import.bad_agency_code"), (3, "import.required")}


# --- a file says what it knows: missing columns leave stored values alone -------------------

def enterprise_row(db, uscc):
    return db.execute("SELECT name, industry, contact_person, contact_phone FROM enterprises WHERE uscc = ?",
                      [uscc]).fetchone()


def test_a_file_of_credit_code_and_name_renames_and_touches_nothing_else(db):
    registry.import_enterprises(db, ADMIN_ACTOR, csv_bytes(good_lines()), "r.csv")
    lines = ["统一社会信用代码,企业名称", f"{GOOD_1},青川县金山新材料有限公司", f"{GOOD_2},青川县白云食品有限公司"]
    assert registry.import_enterprises(db, ADMIN_ACTOR, csv_bytes(lines), "rename.csv") == {
        "added": 0, "updated": 1, "unchanged": 1}
    assert enterprise_row(db, GOOD_1) == ("青川县金山新材料有限公司", "建材", "王伟", "13800000001")
    assert enterprise_row(db, GOOD_2) == ("青川县白云食品有限公司", "食品加工", "李芳", "13800000002")


def test_a_column_that_is_there_says_what_it_says_even_when_empty(db):
    registry.import_enterprises(db, ADMIN_ACTOR, csv_bytes(good_lines()), "r.csv")
    registry.import_enterprises(db, ADMIN_ACTOR, csv_bytes(["uscc,name,contact_phone",
                                                            f"{GOOD_1},青川县金山建材有限公司,"]), "r.csv")
    assert enterprise_row(db, GOOD_1) == ("青川县金山建材有限公司", "建材", "王伟", "")


def test_a_new_enterprise_from_a_partial_file_takes_the_defaults(db):
    registry.import_enterprises(db, ADMIN_ACTOR, csv_bytes(["uscc,name", f"{GOOD_1},新公司"]), "r.csv")
    assert enterprise_row(db, GOOD_1) == ("新公司", "", "", "")


def test_an_agency_file_without_english_name_or_group_keeps_them(db):
    lines = ["code,name_zh,name_en,category", "FGW,县发展改革委,DRC,service"]  # an older file's category: the group
    registry.import_agencies(db, ADMIN_ACTOR, csv_bytes(lines), "a.csv")
    assert registry.import_agencies(db, ADMIN_ACTOR, csv_bytes(["code,name_zh", "FGW,县发展和改革委员会"]), "a.csv") == {
        "added": 0, "updated": 1, "unchanged": 0}
    registry.import_agencies(db, ADMIN_ACTOR, csv_bytes(["code,name_zh,group", "FGW,县发展和改革委员会,"]), "a.csv")
    assert db.execute("SELECT name_zh, name_en, group_code FROM agencies").fetchone() == (
        "县发展和改革委员会", "DRC", "service")
    registry.import_agencies(db, ADMIN_ACTOR, csv_bytes(["code,name_zh", "SCJG,县市场监管局"]), "a.csv")
    assert db.execute("SELECT name_en, group_code FROM agencies WHERE code = 'SCJG'").fetchone() == ("", "approval")


def test_the_preview_says_field_by_field_what_would_change_and_stores_nothing(db):
    registry.import_enterprises(db, ADMIN_ACTOR, csv_bytes(good_lines()), "r.csv")
    before = dump(db)
    lines = ["uscc,name,industry", f"{GOOD_1},青川县金山新材料有限公司,新材料", f"{GOOD_2},青川县白云食品有限公司,食品加工",
             f"{make_uscc('91511022MA0000003')},新来的公司,"]
    preview = registry.preview_enterprises(db, ADMIN_ACTOR, csv_bytes(lines), "r.csv")
    assert dump(db) == before
    assert preview.kept == ("contact_person", "contact_phone")
    assert preview.counts == {"added": 1, "updated": 1, "unchanged": 1}
    assert [(r.line, r.status, r.changes) for r in preview.rows] == [
        (2, "changed", (("name", "青川县金山建材有限公司", "青川县金山新材料有限公司"), ("industry", "建材", "新材料"))),
        (3, "unchanged", ()),
        (4, "new", (("name", "", "新来的公司"),)),
    ]


def test_each_changed_record_is_audited_with_old_and_new(db):
    import json
    registry.import_enterprises(db, ADMIN_ACTOR, csv_bytes(good_lines()), "r.csv")
    registry.import_enterprises(db, ADMIN_ACTOR, csv_bytes(["uscc,name", f"{GOOD_1},改名公司"]), "rename.csv")
    rows = [(r[0], r[1], json.loads(r[2])) for r in db.execute(
        "SELECT action, target, detail FROM audit_log WHERE action LIKE 'enterprise%' ORDER BY id")]
    assert rows == [
        ("enterprises.imported", "r.csv", {"added": 2, "updated": 0, "unchanged": 0}),
        ("enterprise.updated", GOOD_1, {"file": "rename.csv", "name": ["青川县金山建材有限公司", "改名公司"]}),
        ("enterprises.imported", "rename.csv", {"added": 0, "updated": 1, "unchanged": 0}),
    ]
