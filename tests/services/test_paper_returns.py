"""Paper returns: preview, every bad row named, nothing stored until clean, one
transaction, source 'paper', the existing-answer rule, the blank template."""
import io
import json
from datetime import datetime, timezone
from pathlib import Path

import openpyxl
import pytest

from surveys.storage import tabular

from conftest import ADMIN_ACTOR, AGENCY_ACTOR, DISCIPLINE_ACTOR, FULL, dump, enterprise_actor, make_world, open_page
from surveys.core import audit
from surveys.core import clock
from surveys.collection import paper_returns
from surveys.collection import responses
from surveys.core.actors import Actor
from surveys.core.errors import ImportRefused, InvalidInput, PermissionDenied, RoundNotOpen
from surveys.participants.uscc import make_uscc

ITEMS = ["efficiency", "attitude", "lawfulness", "integrity", "convenience"]
HEADER = "round,enterprise,agency,comment," + ",".join(ITEMS)
ZH_HEADER = "轮次,统一社会信用代码,部门,意见建议,办理时效,服务态度,依法公开,廉洁自律,便利程度"
PAGE = str(Path(__file__).resolve().parents[2] / "app_pages" / "admin" / "paper_returns.py")


@pytest.fixture
def world(db):
    enterprises = make_world(db, enterprises=4)
    return [e.id for e in enterprises]


def csv_bytes(lines, encoding="utf-8"):
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def row(uscc, agency="FGW", ratings="5,4,4,5,3", comment="", round_name="2026Q4"):
    return f"{round_name},{uscc},{agency},{comment},{ratings}"


def stored(db):
    return [dict(r) for r in db.query(
        """SELECT r.enterprise, r.agency, r.comment, r.source, r.revision,
                  group_concat(rr.item || '=' || rr.rating, ';') AS ratings
           FROM responses r JOIN response_ratings rr ON rr.response_id = r.id
           GROUP BY r.id ORDER BY r.enterprise, r.agency""")]


def problems_of(caught):
    return {(p.line, p.column, p.key) for p in caught.value.problems}


# --- clean files ---------------------------------------------------------------------

@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_a_clean_csv_in_each_encoding_imports_as_paper(db, world, encoding):
    data = csv_bytes([HEADER, row(world[0], comment="办事很快"), row(world[1], "SCJG", "1,2,3,4,5")], encoding)
    counts = paper_returns.import_paper_returns(db, ADMIN_ACTOR, data, "paper.csv")
    assert counts == {"added": 2, "replaced_online": 0, "replaced_paper": 0}
    saved = stored(db)
    assert [(s["enterprise"], s["agency"], s["source"], s["comment"]) for s in saved] == [
        (world[0], "FGW", "paper", "办事很快"), (world[1], "SCJG", "paper", "")]
    assert "efficiency=1" in saved[1]["ratings"] and "convenience=5" in saved[1]["ratings"]
    chosen = db.execute("SELECT count(*) FROM survey_choices WHERE round = '2026Q4'").fetchone()[0]
    assert chosen == 2  # chosen like an online answer, so monitoring counts it


def test_a_paper_file_is_also_a_file_the_scoring_command_line_reads(db, world, tmp_path):
    from scoring.io import read_responses
    data = csv_bytes([HEADER, row(world[0], comment="好"), row(world[1], "SCJG")])
    paper_returns.import_paper_returns(db, ADMIN_ACTOR, data, "p.csv")
    (tmp_path / "p.csv").write_bytes(data)
    loaded = read_responses(tmp_path / "p.csv")
    assert loaded.items == ITEMS and len(loaded.frame) == 2


def test_the_template_filled_in_imports_with_its_chinese_headers(db, world):
    book = openpyxl.load_workbook(io.BytesIO(paper_returns.blank_template(db, ADMIN_ACTOR)))
    sheet = book.worksheets[0]
    sheet.append(["2026Q4", world[0], "县发展改革委", "", 5, 5, 4, 4, 5])   # agency by Chinese name
    sheet.append(["2026Q4", world[1], "Market Supervision", "", 3, 3, 3, 3, 3])  # by English name
    sheet.append(["2026q4", world[2].lower(), "scjg", "好", 4, 4, 4, 4, 4])  # lower case everywhere
    buffer = io.BytesIO()
    book.save(buffer)
    counts = paper_returns.import_paper_returns(db, ADMIN_ACTOR, buffer.getvalue(), "paper.xlsx")
    assert counts["added"] == 3
    assert [(s["enterprise"], s["agency"]) for s in stored(db)] == sorted(
        [(world[0], "FGW"), (world[1], "SCJG"), (world[2], "SCJG")])


def test_zh_headers_in_csv_and_level_words_and_full_width_digits_are_read(db, world):
    data = csv_bytes([ZH_HEADER, f"2026Q4,{world[0]},FGW,,非常满意,５,4.0,Satisfied,1"])
    paper_returns.import_paper_returns(db, ADMIN_ACTOR, data, "p.csv")
    assert set(stored(db)[0]["ratings"].split(";")) == {
        "efficiency=5", "attitude=5", "lawfulness=4", "integrity=4", "convenience=1"}


def test_comment_is_cleaned_like_an_online_comment(db, world):
    data = csv_bytes([HEADER, row(world[0], comment="  办事\x07快  ")])
    paper_returns.import_paper_returns(db, ADMIN_ACTOR, data, "p.csv")
    assert stored(db)[0]["comment"] == "办事快"


# --- preview ----------------------------------------------------------------------

def test_preview_counts_new_and_replacing_and_stores_nothing(db, world):
    responses.save_response(db, enterprise_actor(world[0]), "2026Q4", "FGW", FULL)
    paper_returns.import_paper_returns(db, ADMIN_ACTOR, csv_bytes([HEADER, row(world[1])]), "first.csv")
    before = dump(db)
    data = csv_bytes([HEADER, row(world[0]), row(world[1]), row(world[2])])
    preview = paper_returns.preview_paper_returns(db, ADMIN_ACTOR, data, "p.csv", replace=True)
    assert (preview.round, preview.version, len(preview.rows)) == ("2026Q4", 1, 3)
    assert preview.counts == {"added": 1, "replaced_online": 1, "replaced_paper": 1}
    assert [(r.line, r.replaces) for r in preview.rows] == [(2, "online"), (3, "paper"), (4, None)]
    assert preview.rows[2].enterprise_name == "企业3"
    assert dump(db) == before


# --- refusals: every bad row named, nothing stored --------------------------------------

def test_every_bad_row_is_listed_with_line_column_and_reason_and_nothing_is_stored(db, world):
    db.execute("UPDATE enterprises SET active = 0 WHERE uscc = ?", [world[3]])
    db.execute("UPDATE agencies SET active = 0 WHERE code = 'SCJG'")
    before = dump(db)
    unknown = make_uscc("91511022MA9999999")
    lines = [HEADER,
             row(world[0]),                                 # 2: fine
             row(world[1], round_name="2026Q3"),            # 3: not the open round
             row(world[1][:17] + "X", "FGW"),               # 4: wrong check character
             row(unknown),                                  # 5: not on the roster
             row(world[3]),                                 # 6: deactivated enterprise
             row(world[1], "NOSUCH"),                       # 7: unknown agency
             row(world[1], "SCJG"),                         # 8: deactivated agency
             row(world[2], ratings="6,4,abc,,4"),           # 9: out of range, not a number, blank
             row(world[2], "县发展改革委", comment="长" * 501),  # 10: comment too long
             row(world[0], "fgw"),                          # 11: same pair as line 2
             ",,,,5,5,5,5,5",                               # 12: required cells empty
             ]
    with pytest.raises(ImportRefused) as caught:
        paper_returns.import_paper_returns(db, ADMIN_ACTOR, csv_bytes(lines), "p.csv")
    assert problems_of(caught) == {
        (3, "round", "admin_ops.paper.wrong_round"),
        (4, "enterprise", "uscc.wrong_check"),
        (5, "enterprise", "admin_ops.paper.enterprise_unknown"),
        (6, "enterprise", "admin_ops.paper.enterprise_inactive"),
        (7, "agency", "admin_ops.paper.agency_unknown"),
        (8, "agency", "admin_ops.paper.agency_inactive"),
        (9, "efficiency", "admin_ops.paper.bad_rating"),
        (9, "lawfulness", "admin_ops.paper.bad_rating"),
        (9, "integrity", "admin_ops.paper.rating_missing"),
        (10, "comment", "survey.comment_too_long"),
        (10, "agency", "admin_ops.paper.duplicate_pair"),  # the name is the same agency as line 9's code
        (11, "agency", "admin_ops.paper.duplicate_pair"),
        (12, "round", "import.required"), (12, "enterprise", "import.required"),
        (12, "agency", "import.required"),
    }
    zh = caught.value.details("zh")
    assert "第 3 行，“round”列：轮次“2026Q3”不对：只能录入进行中的轮次 2026Q4" in zh
    assert any(m.startswith("第 9 行，“efficiency”列：评价“6”无效") for m in zh)
    assert any(m.startswith("第 11 行") and "与第 2 行是同一企业对同一部门的评价" in m for m in zh)
    assert any(m.startswith("Line 7, column 'agency': no agency has the code or name 'NOSUCH'")
               for m in caught.value.details("en"))
    assert caught.value.message("zh").startswith("文件有 15 处错误，未导入任何数据")
    # the preview refuses the same way
    with pytest.raises(ImportRefused):
        paper_returns.preview_paper_returns(db, ADMIN_ACTOR, csv_bytes(lines), "p.csv")
    assert dump(db) == before


def test_problems_name_the_file_s_own_chinese_column(db, world):
    data = csv_bytes([ZH_HEADER, f"2026Q4,{world[0]},FGW,,5,5,7,5,5"])
    with pytest.raises(ImportRefused) as caught:
        paper_returns.preview_paper_returns(db, ADMIN_ACTOR, data, "p.csv")
    assert caught.value.details("zh") == ["第 2 行，“依法公开”列：评价“7”无效，应为 1–5 的整数（5 = 非常满意 … 1 = 非常不满意）"]


def test_header_problems_are_all_listed(db, world):
    lines = ["round,enterprise,comment,efficiency,attitude,attitude,lawfulness,integrity,speedy",
             row(world[0])]
    with pytest.raises(ImportRefused) as caught:
        paper_returns.preview_paper_returns(db, ADMIN_ACTOR, csv_bytes(lines), "p.csv")
    assert problems_of(caught) == {
        (1, "attitude", "admin_ops.paper.duplicate_column"),
        (1, "speedy", "admin_ops.paper.unknown_column"),
        (1, "agency / 部门", "import.missing_column"),
        (1, "convenience / 便利程度", "import.missing_column"),
    }


def test_a_header_only_file_and_an_empty_file_are_refused(db, world):
    with pytest.raises(InvalidInput) as caught:
        paper_returns.preview_paper_returns(db, ADMIN_ACTOR, csv_bytes([HEADER]), "p.csv")
    assert caught.value.key == "admin_ops.paper.no_rows"
    with pytest.raises(InvalidInput) as caught:
        paper_returns.preview_paper_returns(db, ADMIN_ACTOR, b"", "p.csv")
    assert caught.value.key == "import.empty_file"
    with pytest.raises(InvalidInput) as caught:
        paper_returns.preview_paper_returns(db, ADMIN_ACTOR, b"x", "p.pdf")
    assert caught.value.key == "import.unknown_type"


def test_no_open_round_refuses(db):
    make_world(db, enterprises=1, open_round=False)
    with pytest.raises(RoundNotOpen) as caught:
        paper_returns.preview_paper_returns(db, ADMIN_ACTOR, csv_bytes([HEADER]), "p.csv")
    assert caught.value.key == "admin_ops.paper.no_open_round"


def test_a_round_past_its_closing_date_refuses_and_stores_nothing(db, world):
    clock.freeze(datetime(2100, 1, 2, tzinfo=timezone.utc))
    before = dump(db)
    with pytest.raises(RoundNotOpen) as caught:
        paper_returns.import_paper_returns(db, ADMIN_ACTOR, csv_bytes([HEADER, row(world[0])]), "p.csv")
    assert caught.value.key == "rounds.past_closing"
    assert dump(db) == before


@pytest.mark.parametrize("who", [AGENCY_ACTOR, DISCIPLINE_ACTOR, Actor(role="enterprise", id="x")])
def test_only_the_administrator_may_preview_import_or_get_the_template(db, world, who):
    data = csv_bytes([HEADER, row(world[0])])
    before = dump(db)
    for call in (lambda: paper_returns.preview_paper_returns(db, who, data, "p.csv"),
                 lambda: paper_returns.import_paper_returns(db, who, data, "p.csv"),
                 lambda: paper_returns.blank_template(db, who)):
        with pytest.raises(PermissionDenied):
            call()
    assert dump(db) == before


# --- meeting an existing answer -----------------------------------------------------------

def test_an_existing_online_answer_refuses_the_row_unless_replace_is_ticked(db, world):
    responses.save_response(db, enterprise_actor(world[0]), "2026Q4", "FGW", FULL, "网上写的")
    before = dump(db)
    data = csv_bytes([HEADER, row(world[1]), row(world[0], ratings="1,1,1,1,1", comment="纸上写的")])
    with pytest.raises(ImportRefused) as caught:
        paper_returns.import_paper_returns(db, ADMIN_ACTOR, data, "p.csv")
    assert problems_of(caught) == {(3, "agency", "admin_ops.paper.existing_answer")}
    assert caught.value.details("zh") == [
        f"第 3 行，“agency”列：企业 {world[0]} 本轮已有对部门 FGW 的网上评价。如以这份纸质问卷为准，请勾选“替换已有评价”"]
    assert dump(db) == before  # the clean row 2 is not imported either

    counts = paper_returns.import_paper_returns(db, ADMIN_ACTOR, data, "p.csv", replace=True)
    assert counts == {"added": 1, "replaced_online": 1, "replaced_paper": 0}
    replaced = next(s for s in stored(db) if s["enterprise"] == world[0])
    assert (replaced["source"], replaced["revision"], replaced["comment"]) == ("paper", 2, "纸上写的")
    assert replaced["ratings"].count("=1") == 5
    entry = next(e for e in audit.entries(db) if e["action"] == "response.paper_replaced")
    assert json.loads(entry["detail"])["replaced_source"] == "online"


def test_an_earlier_paper_answer_follows_the_same_rule(db, world):
    paper_returns.import_paper_returns(db, ADMIN_ACTOR, csv_bytes([HEADER, row(world[0])]), "a.csv")
    again = csv_bytes([HEADER, row(world[0], ratings="2,2,2,2,2")])
    with pytest.raises(ImportRefused) as caught:
        paper_returns.import_paper_returns(db, ADMIN_ACTOR, again, "b.csv")
    assert "纸质问卷评价" in caught.value.details("zh")[0]
    assert paper_returns.import_paper_returns(db, ADMIN_ACTOR, again, "b.csv", replace=True)["replaced_paper"] == 1


def test_an_answer_saved_online_after_the_preview_is_not_overwritten(db, world):
    data = csv_bytes([HEADER, row(world[0])])
    assert paper_returns.preview_paper_returns(db, ADMIN_ACTOR, data, "p.csv").new == 1
    responses.save_response(db, enterprise_actor(world[0]), "2026Q4", "FGW", FULL)
    with pytest.raises(ImportRefused):
        paper_returns.import_paper_returns(db, ADMIN_ACTOR, data, "p.csv")
    assert stored(db)[0]["source"] == "online"


def test_the_enterprise_can_still_revise_a_paper_answer_online(db, world):
    paper_returns.import_paper_returns(db, ADMIN_ACTOR, csv_bytes([HEADER, row(world[0])]), "p.csv")
    assert responses.save_response(db, enterprise_actor(world[0]), "2026Q4", "FGW", FULL) == 2
    assert stored(db)[0]["source"] == "online"


# --- one transaction, audited, no ratings in the log ---------------------------------------

def test_a_failure_half_way_leaves_nothing(db, world, monkeypatch):
    before = dump(db)
    calls = []

    def failing_record(*args, **kwargs):
        calls.append(args)
        if len(calls) == 2:
            raise RuntimeError("disk full")
        return audit_record(*args, **kwargs)

    audit_record = audit.record
    monkeypatch.setattr(paper_returns.audit, "record", failing_record)
    with pytest.raises(RuntimeError):
        paper_returns.import_paper_returns(db, ADMIN_ACTOR, csv_bytes([HEADER, row(world[0]), row(world[1])]), "p.csv")
    assert dump(db) == before


def test_the_import_is_audited_without_any_rating(db, world):
    data = csv_bytes([HEADER, row(world[0], ratings="1,2,3,4,5"), row(world[1], "SCJG")])
    paper_returns.import_paper_returns(db, ADMIN_ACTOR, data, "纸质.csv")
    entries = audit.entries(db)
    summary = next(e for e in entries if e["action"] == "paper_returns.imported")
    assert (summary["actor"], summary["target"]) == ("admin:admin", "2026Q4")
    assert json.loads(summary["detail"]) == {"file": "纸质.csv", "added": 2, "replaced_online": 0, "replaced_paper": 0}
    per_response = [e for e in entries if e["action"] == "response.paper_saved"]
    assert [e["target"] for e in per_response] == ["2026Q4", "2026Q4"]  # the round: no agency, no response
    for entry in per_response:
        detail = json.loads(entry["detail"])
        assert set(detail) == {"revision", "enterprise", "line", "replaced_source"}
        assert not any(item in entry["detail"] for item in ITEMS)


# --- the blank template ----------------------------------------------------------------

def test_the_template_is_in_chinese_with_a_sheet_explaining_columns_agencies_items_and_levels(db, world):
    book = openpyxl.load_workbook(io.BytesIO(paper_returns.blank_template(db, ADMIN_ACTOR)))
    returns, guide = book.worksheets
    assert returns.title == "纸质问卷录入" and guide.title == "填写说明"
    assert [c.value for c in returns[1]] == ZH_HEADER.split(",")
    assert returns.max_row == 1  # nothing below the header: rows are added from line 2
    assert returns.column_dimensions["B"].number_format == "@"  # credit codes stay text in Excel
    assert str(returns.data_validations.dataValidation[0].sqref) == "E2:I1001"  # ratings 1–5 only
    text = [str(v) for r in guide.iter_rows(values_only=True) for v in r if v is not None]
    assert "本模板用于 2026年第四季度（轮次代码 2026Q4），问卷第 1 版。" in text
    for expected in ("FGW", "县发展改革委", "SCJG", "县市场监管局", "非常满意", "非常不满意", "efficiency"):
        assert any(expected in t for t in text), expected


def test_without_an_open_round_the_template_follows_the_latest_version(db):
    make_world(db, enterprises=1, open_round=False)
    book = openpyxl.load_workbook(io.BytesIO(paper_returns.blank_template(db, ADMIN_ACTOR)))
    assert book.worksheets[1]["A2"].value == "目前没有进行中的轮次；本模板按最新的问卷第 1 版制作。"


def test_parse_rating_accepts_levels_only():
    assert [paper_returns.parse_rating(v) for v in ("5", " 1 ", "3.0", "５", "满意", "very satisfied")] == [
        5, 1, 3, 5, 4, 5]
    assert [paper_returns.parse_rating(v) for v in ("0", "6", "4.5", "NaN", "inf", "x", "-1")] == [None] * 7


# --- the page ---------------------------------------------------------------------------

@pytest.fixture
def page(demo_path, monkeypatch):
    return open_page(PAGE, demo_path, monkeypatch)


def demo_uscc(demo_path, index=0):
    from surveys.storage.db import connect
    database = connect(demo_path)
    try:
        return [r[0] for r in database.execute(
            "SELECT uscc FROM enterprises e WHERE NOT EXISTS (SELECT 1 FROM responses r WHERE r.enterprise = e.uscc"
            " AND r.round = '2026Q4') ORDER BY uscc")][index]
    finally:
        database.close()


def test_page_explains_itself_and_offers_the_template(page):
    assert not page.exception
    assert page.title[0].value == "纸质问卷录入"
    assert "2026年第四季度" in page.info[0].value
    assert page.download_button[0].label == "下载空白模板（Excel）"


def test_page_lists_every_problem_of_a_bad_file(page, demo_path):
    uscc = demo_uscc(demo_path)
    page.file_uploader[0].set_value(("p.csv", csv_bytes([HEADER, row(uscc, ratings="9,5,5,5,5")]), "text/csv"))
    page.run()
    assert not page.exception
    assert page.error[0].value.startswith("文件有 1 处错误")
    assert "第 2 行，“efficiency”列" in page.dataframe[0].value.iloc[0, 0]
    assert not [b for b in page.button if b.label == "录入"]


def test_page_previews_confirms_and_imports(page, demo_path):
    uscc = demo_uscc(demo_path)
    page.file_uploader[0].set_value(("p.csv", csv_bytes([HEADER, row(uscc, comment="=1+1")]), "text/csv"))
    page.run()
    assert not page.exception
    preview = page.dataframe[0].value
    assert list(preview["统一社会信用代码"]) == [uscc] and list(preview["意见建议"]) == ["=1+1"]
    assert [m.value for m in page.metric][:2] == ["1", "1"]
    next(c for c in page.checkbox if c.label.startswith("我已核对以上 1 条评价")).check().run()
    next(b for b in page.button if b.label == "录入").click().run()
    assert not page.exception
    assert page.success[0].value == "已录入：新增 1 条，替换网上评价 0 条，替换纸质评价 0 条。"
    from surveys.storage.db import connect
    database = connect(demo_path)
    assert database.execute("SELECT source FROM responses WHERE enterprise = ? AND round = '2026Q4'",
                            [uscc]).fetchone()[0] == "paper"
    database.close()


def test_the_uploader_states_the_limit_the_import_enforces(page):
    assert page.file_uploader[0].proto.max_upload_size_mb == tabular.MAX_BYTES // (1024 * 1024)
