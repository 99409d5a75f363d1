"""Uploads are someone else's files: limits on size, rows and columns refused
before the file is read whole, problems listed up to a point, and text in the
wrong encoding refused instead of stored as mojibake. Memory is measured by
bench/bench_import_limits.py, not here."""
import io
import re
import unicodedata
import zipfile

import openpyxl
import pytest

from conftest import ADMIN_ACTOR, dump, make_world
from surveys.collection import paper_returns
from surveys.participants import registry
from surveys.storage import tabular
from surveys.core.errors import ImportRefused, InvalidInput
from surveys.participants.uscc import make_uscc

GOOD = make_uscc("91511022MA0000001")


def xlsx_with(cells: dict[str, str], dimension: str | None = None) -> bytes:
    """An XLSX holding ``cells`` (e.g. {"A1": "uscc"}), its declared size replaced by ``dimension``."""
    book = openpyxl.Workbook()
    sheet = book.active
    for ref, value in cells.items():
        sheet[ref] = value
    buffer = io.BytesIO()
    book.save(buffer)
    if dimension is None:
        return buffer.getvalue()
    source = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = re.sub(rb'<dimension ref="[^"]*" ?/>', f'<dimension ref="{dimension}"/>'.encode(), data)
            target.writestr(info, data)
    return out.getvalue()


ROSTER = {"A1": "uscc", "B1": "name", "A2": GOOD, "B2": "青川县金山建材有限公司"}


# --- XLSX: the declared size is not trusted, the real one is limited ----------------------

def test_a_sheet_claiming_to_fill_every_cell_is_read_for_the_cells_it_has(db):
    data = xlsx_with(ROSTER, dimension="A1:XFD1048576")
    table = tabular.read_table(data, "r.xlsx")
    assert table.header == ["uscc", "name"]
    assert [line for line, _ in table.rows] == [2]
    assert registry.import_enterprises(db, ADMIN_ACTOR, data, "r.xlsx")["added"] == 1


def test_a_sheet_with_a_cell_in_its_last_row_is_refused_at_the_row_limit(db):
    data = xlsx_with({**ROSTER, "A1048576": "x"}, dimension="A1:XFD1048576")
    before = dump(db)
    with pytest.raises(InvalidInput) as caught:
        registry.import_enterprises(db, ADMIN_ACTOR, data, "r.xlsx")
    assert caught.value.key == "import.too_many_rows"
    assert caught.value.values == {"line": tabular.MAX_ROWS + 2, "maximum": tabular.MAX_ROWS}
    assert "20000" in caught.value.message("zh") and "split" in caught.value.message("en").lower()
    assert dump(db) == before


def test_a_sheet_with_a_cell_in_its_last_column_is_refused_at_the_column_limit(db):
    data = xlsx_with({**ROSTER, "XFD2": "x"}, dimension="A1:XFD1048576")
    with pytest.raises(InvalidInput) as caught:
        registry.import_enterprises(db, ADMIN_ACTOR, data, "r.xlsx")
    assert caught.value.key == "import.too_many_columns"
    assert caught.value.values == {"line": 2, "found": 16384, "maximum": tabular.MAX_COLUMNS}


def test_an_xlsx_that_unpacks_to_too_much_is_refused_before_it_is_opened(monkeypatch):
    data = xlsx_with(ROSTER)
    monkeypatch.setattr(tabular, "MAX_UNPACKED_BYTES", 1000)
    with pytest.raises(InvalidInput) as caught:
        tabular.read_table(data, "r.xlsx")
    assert caught.value.key == "import.too_large_unpacked"


# --- CSV: size and rows ---------------------------------------------------------------

def test_a_file_over_the_size_limit_is_refused_unread(db):
    data = b"uscc,name\n" + b"x" * tabular.MAX_BYTES
    with pytest.raises(InvalidInput) as caught:
        registry.import_enterprises(db, ADMIN_ACTOR, data, "r.csv")
    assert caught.value.key == "import.too_large"
    assert caught.value.values == {"size": "5.0", "maximum": "5.0"}
    assert "5.0 MB" in caught.value.message("zh")


def test_a_csv_over_the_row_limit_is_refused_where_reading_stopped(db):
    lines = ["uscc,name"] + [f"{GOOD},某公司"] * 100_000  # 3 MB: under the size limit
    with pytest.raises(InvalidInput) as caught:
        registry.import_enterprises(db, ADMIN_ACTOR, "\n".join(lines).encode(), "r.csv")
    assert caught.value.key == "import.too_many_rows"
    assert caught.value.values["line"] == tabular.MAX_ROWS + 2
    assert db.execute("SELECT count(*) FROM enterprises").fetchone()[0] == 0


def test_blank_lines_count_towards_the_row_limit_but_not_as_rows(monkeypatch):
    monkeypatch.setattr(tabular, "MAX_ROWS", 5)
    assert len(tabular.read_table(b"a,b\n\n\n1,2\n\n\n", "r.csv").rows) == 1
    with pytest.raises(InvalidInput):
        tabular.read_table(b"a,b\n" + b"\n" * 5 + b"1,2\n", "r.csv")


def test_a_csv_line_over_the_column_limit_is_refused():
    data = ("uscc,name\n" + GOOD + ",x" + ",y" * tabular.MAX_COLUMNS + "\n").encode()
    with pytest.raises(InvalidInput) as caught:
        tabular.read_table(data, "r.csv")
    assert caught.value.key == "import.too_many_columns" and caught.value.values["line"] == 2


def test_a_paper_return_file_meets_the_same_limits(db):
    make_world(db)
    data = ("round,enterprise,agency\n" + "2026Q4,x,FGW\n" * (tabular.MAX_ROWS + 1)).encode()
    with pytest.raises(InvalidInput) as caught:
        paper_returns.preview_paper_returns(db, ADMIN_ACTOR, data, "p.csv")
    assert caught.value.key == "import.too_many_rows"


# --- many problems: the first ones listed, the rest counted ------------------------------

def test_a_file_of_bad_rows_lists_the_first_fifty_problems_and_counts_the_rest(db):
    lines = ["uscc,name"] + [f"bad{i},名称" for i in range(500)]
    with pytest.raises(ImportRefused) as caught:
        registry.import_enterprises(db, ADMIN_ACTOR, "\n".join(lines).encode(), "r.csv")
    refused = caught.value
    assert refused.total == 500 and len(refused.problems) == 50
    assert refused.message("zh").startswith("文件有 500 处错误")
    details = refused.details("zh")
    assert len(details) == 51
    assert details[0].startswith("第 2 行") and details[49].startswith("第 51 行")
    assert details[50] == "……另有 450 处错误未列出。请先改正以上错误后重新上传。"


# --- the wrong encoding --------------------------------------------------------------------

BIG5_NAME = "青川縣的建材有限公司"  # 的 is AA BA in Big5: a private-use character when read as GB18030


def test_a_big5_roster_is_refused_naming_the_line_column_and_encoding(db):
    data = f"uscc,name\n{GOOD},{BIG5_NAME}\n".encode("big5")
    misread = data.decode("gb18030")  # the premise: Big5 bytes are valid GB18030 …
    assert any(unicodedata.category(ch) in ("Co", "Cn") for ch in misread)  # … that reads as no real text
    before = dump(db)
    with pytest.raises(InvalidInput) as caught:
        registry.import_enterprises(db, ADMIN_ACTOR, data, "roster.csv")
    assert caught.value.key == "import.wrong_encoding"
    assert caught.value.values["line"] == 2 and caught.value.values["column"] == "name"
    assert caught.value.values["encoding"] == "GB18030"
    message = caught.value.message("zh")
    assert "第 2 行，“name”列" in message and "UTF-8" in message and "另存为" in message
    assert dump(db) == before


def test_the_same_roster_saved_as_utf8_or_gb18030_imports(db):
    text = f"uscc,name\n{GOOD},{BIG5_NAME}\n"
    for encoding in ("utf-8", "gb18030"):
        registry.import_enterprises(db, ADMIN_ACTOR, text.encode(encoding), "roster.csv")
        assert db.execute("SELECT name FROM enterprises").fetchone()[0] == BIG5_NAME


def test_a_wrong_encoding_in_the_header_names_the_column_by_position():
    data = f"{BIG5_NAME},name\n{GOOD},x\n".encode("big5")
    with pytest.raises(InvalidInput) as caught:
        tabular.read_table(data, "r.csv")
    assert caught.value.values["line"] == 1 and caught.value.values["column"] == "#1"
