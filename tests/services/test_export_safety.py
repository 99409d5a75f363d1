"""Formula-injection neutralisation: every dangerous start is defused, numbers stay numbers."""
import datetime as dt

import pandas as pd
import pytest

from surveys.storage.export_safety import safe_cell, safe_frame


@pytest.mark.parametrize("text", [
    "=1+1", "+1", "-1", "@SUM(A1)", '=HYPERLINK("http://x","y")',
    " =1+1", "   +cmd", "\t=1", "\r=1", "\n-2", "\t", "\r",
    "＝1+1", "＋1", "－1", "＠x", "　＝1",  # full-width forms, full-width space
])
def test_dangerous_text_gets_a_leading_apostrophe(text):
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize("text", ["", "发改委", "a=b", "1-2", "ok @ home", " ", "'=already"])
def test_harmless_text_is_unchanged(text):
    assert safe_cell(text) == text


@pytest.mark.parametrize("value", [0, -3, 2.5, -0.5, None, True, dt.date(2026, 1, 1)])
def test_non_text_values_are_unchanged(value):
    out = safe_cell(value)
    assert out is value or out == value
    assert type(out) is type(value)


def test_safe_frame_defuses_text_columns_and_labels_and_keeps_numbers():
    df = pd.DataFrame({"name": ["=evil()", "良好", None], "score": [-1.5, 80.0, 70.0],
                       "-label": ["x", "+y", "@z"]})
    out = safe_frame(df)
    assert list(out["name"][:2]) == ["'=evil()", "良好"]
    assert pd.isna(out["name"][2])
    assert list(out["score"]) == [-1.5, 80.0, 70.0]
    assert out["score"].dtype == df["score"].dtype
    assert list(out.columns) == ["name", "score", "'-label"]
    assert list(out["'-label"]) == ["x", "'+y", "'@z"]
    assert df["name"][0] == "=evil()"  # the original is untouched


# --- every export, end to end ----------------------------------------------------------

import csv  # noqa: E402
import io  # noqa: E402
import json  # noqa: E402
import re  # noqa: E402
from pathlib import Path  # noqa: E402

import openpyxl  # noqa: E402

from conftest import ADMIN_ACTOR  # noqa: E402
from surveys.reports import audit_view
from surveys.collection import monitoring
from surveys.collection import reminders
from surveys.collection import paper_returns
from surveys.collection import questionnaire_admin
from surveys.participants import registry
from surveys.collection import rounds
from surveys.reports import workbook  # noqa: E402
from surveys.reports import annual_report  # noqa: E402
from surveys.reports import monthly_documents  # noqa: E402
from surveys.core import clock  # noqa: E402
from surveys.storage.export_safety import is_dangerous  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
STARTS = ["=", "+", "-", "@"]


def hostile(start: str, what: str) -> str:
    return f'{start}HYPERLINK("http://evil.example/{what}","HOSTILE")'


def xlsx_cells(data: bytes) -> list:
    book = openpyxl.load_workbook(io.BytesIO(data))  # formulas kept as formulas, not their cached values
    return [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row if cell.value is not None]


def csv_cells(data: bytes) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(data.decode("utf-8-sig"))) for cell in row]


def assert_safe_and_holds_the_hostile_text(data: bytes, kind: str) -> None:
    if kind == "xlsx":
        cells = xlsx_cells(data)
        assert [c.coordinate for c in cells if c.data_type == "f"] == []
        texts = [c.value for c in cells if isinstance(c.value, str)]
    else:
        texts = csv_cells(data)
    assert [t for t in texts if is_dangerous(t)] == []
    assert any(t.startswith("'") and "HOSTILE" in t for t in texts), "the hostile text never reached this export"


@pytest.mark.parametrize("start", STARTS)
def test_the_paper_template_neutralises_item_texts_and_agency_names(db, start):
    registry.import_agencies(db, ADMIN_ACTOR, f"code,name_zh\nFGW,{hostile(start, 'agency')}\n".encode(), "a.csv")
    items = [{"code": "efficiency", "zh": hostile(start, "item"), "en": hostile(start, "item_en"), "weight": 1},
             {"code": "attitude", "zh": "服务态度", "en": "Attitude", "weight": 1}]
    questionnaire_admin.create_version(db, ADMIN_ACTOR, 1, "问卷", "Form", items)
    data = paper_returns.blank_template(db, ADMIN_ACTOR, "zh")
    assert_safe_and_holds_the_hostile_text(data, "xlsx")
    header = [c.value for c in openpyxl.load_workbook(io.BytesIO(data)).worksheets[0][1]]
    assert header[4] == "'" + hostile(start, "item").split(":")[0]  # the item's short label, defused


def test_a_template_with_a_defused_item_header_still_imports(db):
    from conftest import make_world
    make_world(db, open_round=False)
    items = [{"code": "efficiency", "zh": "=HYPERLINK效率", "en": "=Efficiency", "weight": 1}]
    version = questionnaire_admin.create_version(db, ADMIN_ACTOR, 1, "问卷", "Form", items)
    rounds.create_round(db, ADMIN_ACTOR, "2026Q4", "2026-11-01", "2099-12-31")
    rounds.start_round(db, ADMIN_ACTOR, "2026Q4", questionnaire_version=version)
    book = openpyxl.load_workbook(io.BytesIO(paper_returns.blank_template(db, ADMIN_ACTOR, "zh")))
    sheet = book.worksheets[0]
    uscc = db.execute("SELECT uscc FROM enterprises ORDER BY uscc").fetchone()[0]
    sheet.append(["2026Q4", uscc, "FGW", "", 5])
    buffer = io.BytesIO()
    book.save(buffer)
    assert paper_returns.import_paper_returns(db, ADMIN_ACTOR, buffer.getvalue(), "p.xlsx")["added"] == 1


def make_everything_hostile(db) -> None:
    """Agency and enterprise names, contacts, item texts and an audited file name, all starting a formula."""
    for number, code in enumerate([r[0] for r in db.execute("SELECT code FROM agencies")]):
        db.execute("UPDATE agencies SET name_zh = ?, name_en = ? WHERE code = ?",
                   [hostile(STARTS[number % 4], code), hostile(STARTS[(number + 1) % 4], code), code])
    db.execute("UPDATE enterprises SET name = ?, industry = ?, contact_person = ?, contact_phone = ?",
               [hostile("=", "name"), hostile("+", "industry"), hostile("-", "contact"), hostile("@", "phone")])
    for version, definition in list(db.execute("SELECT version, definition FROM questionnaires")):
        items = json.loads(definition)
        for number, item in enumerate(items):
            item["zh"], item["en"] = hostile(STARTS[number % 4], item["code"]), hostile("@", item["code"])
        db.execute("UPDATE questionnaires SET definition = ? WHERE version = ?", [json.dumps(items), version])
    registry.import_agencies(db, ADMIN_ACTOR, b"code,name_zh\nZZ,x\n", hostile("=", "file") + ".csv")


def finalised_round(db) -> str:
    return [r["name"] for r in rounds.list_rounds(db) if r["status"] in ("finalised", "published")][-1]


def city_workbook(db) -> bytes:
    """The city office's workbook over a deployment whose one county is this database."""
    from unittest import mock
    from surveys.core import counties
    from surveys.core.actors import Actor
    from surveys.results import city
    path = Path(db.conn.execute("PRAGMA database_list").fetchone()[2])
    here = counties.County("here", "Here", path)
    office = counties.County("city", "City", path.parent / "city.db", covers=("here",))
    published = [r["name"] for r in rounds.list_rounds(db) if r["status"] == "published"][-1]
    with mock.patch.object(counties, "load", return_value={"here": here}):
        return city.city_workbook(db, Actor(role="city", id="city", name="City"), office, published, "zh")


# Every function that makes a CSV or XLSX for someone to download, with what it returns.
EXPORTS = {
    "city.city_workbook": (city_workbook, "xlsx"),
    "paper_returns.blank_template": (lambda db: paper_returns.blank_template(db, ADMIN_ACTOR, "zh"), "xlsx"),
    "monitoring.call_list_csv": (lambda db: monitoring.call_list_csv(db, ADMIN_ACTOR, "zh"), "csv"),
    "monitoring.call_list_xlsx": (lambda db: monitoring.call_list_xlsx(db, ADMIN_ACTOR, "en"), "xlsx"),
    "audit_view.export_csv": (lambda db: audit_view.export_csv(db, ADMIN_ACTOR), "csv"),
    "audit_view.export_xlsx": (lambda db: audit_view.export_xlsx(db, ADMIN_ACTOR), "xlsx"),
    "workbook.round_workbook": (lambda db: workbook.round_workbook(db, ADMIN_ACTOR, finalised_round(db), "zh"), "xlsx"),
    "reminders.sms_csv": (lambda db: reminder_csv(db), "csv"),
    "annual_report.annual_workbook": (lambda db: annual_report.annual_workbook(db, ADMIN_ACTOR, finished_year(db), "zh"),
                                      "xlsx"),
    "monthly_documents.monthly_workbook": (
        lambda db: monthly_documents.monthly_workbook(db, ADMIN_ACTOR, *county_month(), "zh"), "xlsx"),
}


def finished_year(db) -> int:
    return db.execute("SELECT max(year) FROM annual_years").fetchone()[0]


def county_month() -> tuple[int, int]:
    today = clock.today()
    return today.year, today.month


def reminder_csv(db) -> bytes:
    """The SMS platform's file of reminders: hostile names, and phones an SMS can go to."""
    db.execute("UPDATE enterprises SET contact_phone = '13800000000'")
    return reminders.send_reminders(db, ADMIN_ACTOR, reminders.SMS_CSV, "zh").file


@pytest.mark.parametrize("name", EXPORTS)
def test_every_export_neutralises_every_cell(demo_db, name):
    make_everything_hostile(demo_db)
    export, kind = EXPORTS[name]
    assert_safe_and_holds_the_hostile_text(export(demo_db), kind)


def test_every_download_in_the_app_is_one_of_the_tested_exports_or_not_a_spreadsheet():
    """A new CSV or XLSX download must join EXPORTS above; other downloads say their type."""
    exported = {name.split(".")[-1] for name in EXPORTS}
    passed_on = {"reports.py": "round_workbook", "annual_support.py": "annual_workbook",
                 "monthly_bulletin.py": "monthly_workbook"}  # a page that builds its bytes first and hands them on
    unchecked = []
    for page in sorted((ROOT / "app_pages").rglob("*.py")):
        if page.name in passed_on:
            assert passed_on[page.name] in page.read_text(encoding="utf-8")
            continue
        for call in re.findall(r"download_button\((.*?)\)\n", page.read_text(encoding="utf-8"), re.S):
            spreadsheet = "spreadsheet" in call or "csv" in call or "xlsx" in call
            if spreadsheet and not any(re.search(rf"\b{n}\b", call) for n in exported):
                unchecked.append(f"{page.name}: {call[:80]}")
    assert unchecked == []


def test_only_export_safety_writes_spreadsheet_bytes():
    writers = re.compile(r"\.save\(|to_csv\(|to_excel\(|csv\.writer|csv\.DictWriter|ExcelWriter")
    offenders = [f"{path.relative_to(ROOT)}:{number}"
                 for folder in ("surveys", "app_pages", "charts")
                 for path in sorted((ROOT / folder).rglob("*.py")) if path.name != "export_safety.py"
                 for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
                 if writers.search(line.split("#", 1)[0])]
    assert offenders == []
