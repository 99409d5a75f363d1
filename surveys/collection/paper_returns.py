"""Paper returns (纸质问卷): the administrator imports answers that enterprises
gave on paper into the open round, each marked ``source = 'paper'``.

The file has the shape of the scoring command line's input (scoring/io.py):
one row per response with ``round``, ``enterprise`` (credit code), ``agency``
(code, or Chinese or English name), an optional ``comment`` and one column
per questionnaire item. The Chinese headers of the blank template are
accepted as well. It is read with the app's upload reader (surveys/storage/tabular.py:
CSV in UTF-8, UTF-8 with BOM or GB18030, or XLSX, with the line numbers a
person sees): unlike the command line, an import keeps the comment and
refuses blank ratings, so it does not go through ``read_responses``.

The rules are the online survey's (surveys/collection/responses.py): only the open round
before its closing date, every item rated 1–5, comments cleaned and capped;
the enterprise must be on the roster and active, the agency active. Problems
are listed with their line, column and reason (the first 50, the rest counted:
surveys/core/errors.py) and nothing is imported until the whole file is clean; a
clean file is written in one transaction. The upload reader's limits on size,
rows and columns, and its refusal of a wrong encoding, apply here too.

Meeting an existing answer — one response per (round, enterprise, agency):
a row for which the enterprise already has an answer, online or from an
earlier paper import, is refused, naming the row and where that answer came
from, unless the administrator ticks "replace". Then the paper answer
replaces it (a new revision, source 'paper') and the audit log records the
replaced response and its source. Refusing by default protects what an
enterprise typed itself: a paper form filled in before it answered online
must not silently overwrite the online answer.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

import sqlite_utils

import labels
from i18n import DEFAULT_LANGUAGE, LANGUAGES, t
from scoring.io import IGNORED_COLUMNS, REQUIRED_COLUMNS
from surveys.core import audit
from surveys.collection import questionnaire
from surveys.participants import registry
from surveys.collection import rounds
from surveys.core.actors import Actor
from surveys.storage.db import write_transaction
from surveys.core.errors import ImportRefused, InvalidInput, ProblemList, RoundNotOpen, RowProblem, Term
from surveys.storage.export_safety import safe_cell, workbook_bytes
from surveys.core.permissions import requires
from surveys.collection.responses import clean_comment, store_response
from surveys.storage.tabular import Table, read_table
from surveys.participants.uscc import LENGTH, normalise, validate_uscc

# the command line's column names (scoring/io.py), so one file serves both
REQUIRED_FIELDS = REQUIRED_COLUMNS
FIXED_FIELDS = (*REQUIRED_COLUMNS, *IGNORED_COLUMNS)
TEMPLATE_ROWS = 1000  # rows of the template whose rating cells Excel checks


@dataclass(frozen=True)
class PaperRow:
    """One clean row of the file, ready to store."""

    line: int
    enterprise: str
    enterprise_name: str
    agency: str
    ratings: dict
    comment: str
    replaces: str | None  # None: a new answer; 'online' or 'paper': the answer it replaces


@dataclass(frozen=True)
class PaperPreview:
    """What an import would do; nothing is stored by making one."""

    round: str
    version: int
    items: tuple[str, ...]
    rows: tuple[PaperRow, ...]

    def replacing(self, source: str) -> int:
        return sum(1 for row in self.rows if row.replaces == source)

    @property
    def new(self) -> int:
        return self.replacing(None)

    @property
    def counts(self) -> dict:
        return {"added": self.new, "replaced_online": self.replacing("online"),
                "replaced_paper": self.replacing("paper")}


# --- headers ----------------------------------------------------------------------

def _norm(text) -> str:
    return " ".join(str(text).split()).casefold()


def _short(text: str) -> str:
    """The label before the colon: 办理时效：事项是否… → 办理时效."""
    return text.replace("：", ":").split(":", 1)[0].strip()


def item_header(item: questionnaire.Item, form: questionnaire.Questionnaire, lang: str) -> str:
    """The template's header for an item: its short label, unless two items share it."""
    short = _short(item.text(lang))
    shorts = [_short(other.text(lang)) for other in form.items]
    return short if short and shorts.count(short) == 1 else item.text(lang)


def fixed_header(field: str, lang: str) -> str:
    return t(f"admin_ops.paper.header.{field}", lang)


def _accepted_names(form: questionnaire.Questionnaire) -> dict[str, str]:
    """Every header name the file may use (normalised) → field or item code."""
    names: dict[str, str] = {}
    for field in FIXED_FIELDS:
        names[field] = field
        for lang in LANGUAGES:
            aliases = t(f"admin_ops.paper.header_alias.{field}", lang).split("|")
            for name in (fixed_header(field, lang), *aliases):
                names[_norm(name)] = field
    for item in form.items:
        for lang in LANGUAGES:
            for name in (item.code, item.text(lang), item_header(item, form, lang)):
                names.setdefault(_norm(name), item.code)
                names.setdefault(_norm(safe_cell(name)), item.code)  # as the template wrote it
    names.pop("", None)
    return names


def _column_has_content(table: Table, header: str) -> bool:
    return any(row.get(header, "") for _, row in table.rows)


def _map_columns(table: Table, form: questionnaire.Questionnaire) -> dict[str, str]:
    """Field or item code → the file's header; refuses unknown, repeated and missing columns."""
    accepted = _accepted_names(form)
    mapping: dict[str, str] = {}
    problems: list[RowProblem] = []
    for position, header in enumerate(table.header, start=1):
        if not header.strip():
            if _column_has_content(table, header):
                problems.append(RowProblem(1, f"#{position}", "admin_ops.paper.unnamed_column"))
            continue
        field = accepted.get(_norm(header))
        if field is None:
            problems.append(RowProblem(1, header, "admin_ops.paper.unknown_column",
                                       (("version", form.version),)))
        elif field in mapping:
            problems.append(RowProblem(1, header, "admin_ops.paper.duplicate_column",
                                       (("other", mapping[field]),)))
        else:
            mapping[field] = header
    needed = [*REQUIRED_FIELDS, *form.item_codes]
    for field in needed:
        if field not in mapping:
            label = fixed_header(field, DEFAULT_LANGUAGE) if field in FIXED_FIELDS else item_header(
                next(i for i in form.items if i.code == field), form, DEFAULT_LANGUAGE)
            problems.append(RowProblem(1, f"{field} / {label}", "import.missing_column"))
    if problems:
        raise ImportRefused(problems)
    return mapping


# --- rows -----------------------------------------------------------------------

def _level_words() -> dict[str, int]:
    """The five levels in words, in either language: 非常满意 → 5."""
    return {_norm(t(f"levels.{level}", lang)): level for level in questionnaire.LEVELS for lang in LANGUAGES}


def parse_rating(text: str) -> int | None:
    """A level from a cell: 1–5 (also 4.0 or full-width ４) or its words; None if not a level."""
    word = _level_words().get(_norm(text))
    if word is not None:
        return word
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        return None
    if not value.is_finite() or value != value.to_integral_value():
        return None
    level = int(value)
    return level if level in questionnaire.LEVELS else None


class _Roster:
    """The roster and the round's existing answers, looked up once per file."""

    def __init__(self, db: sqlite_utils.Database, round_name: str):
        self.enterprises = {r["uscc"]: r for r in db.query("SELECT uscc, name, active FROM enterprises")}
        self.agencies: dict[str, dict] = {}
        for agency in registry.list_agencies(db, active_only=False):
            for name in (agency["name_en"], agency["name_zh"], agency["code"]):
                if name:
                    self.agencies[_norm(name)] = agency  # the code wins over a name that looks like one
        self.existing = {(r[0], r[1]): r[2] for r in db.execute(
            "SELECT enterprise, agency, source FROM responses WHERE round = ?", [round_name])}


class _RowChecker:
    """Checks one row after another, collecting every problem."""

    def __init__(self, roster: _Roster, mapping: dict, form, round_name: str, replace: bool):
        self.roster, self.mapping, self.form = roster, mapping, form
        self.round_name, self.replace = round_name, replace
        self.problems = ProblemList()
        self.seen: dict[tuple[str, str], int] = {}

    def problem(self, line: int, field: str, key: str, **values) -> None:
        self.problems.append(RowProblem(line, self.mapping[field], key, tuple(values.items())))

    def check(self, line: int, cells: dict[str, str]) -> PaperRow | None:
        before = len(self.problems)
        self._round(line, cells["round"])
        enterprise = self._enterprise(line, cells["enterprise"])
        agency = self._agency(line, cells["agency"])
        comment = self._comment(line, cells.get("comment", ""))
        ratings = {item: self._rating(line, item, cells[item]) for item in self.form.item_codes}
        replaces = self._existing(line, enterprise, agency) if enterprise and agency else None
        if len(self.problems) > before:
            return None
        return PaperRow(line, enterprise["uscc"], enterprise["name"], agency["code"], ratings, comment, replaces)

    def _round(self, line: int, text: str) -> None:
        if not text:
            self.problem(line, "round", "import.required")
        elif text.upper() != self.round_name:
            self.problem(line, "round", "admin_ops.paper.wrong_round", value=text, open=self.round_name)

    def _enterprise(self, line: int, text: str) -> dict | None:
        if not text:
            self.problem(line, "enterprise", "import.required")
            return None
        uscc = normalise(text)
        if len(uscc) == LENGTH or uscc not in self.roster.enterprises:  # not a deputy's or supervisor's code
            try:
                uscc = validate_uscc(text)
            except InvalidInput as exc:
                self.problem(line, "enterprise", exc.key, **exc.values)
                return None
        enterprise = self.roster.enterprises.get(uscc)
        if enterprise is None:
            self.problem(line, "enterprise", "admin_ops.paper.enterprise_unknown", uscc=uscc)
        elif not enterprise["active"]:
            self.problem(line, "enterprise", "admin_ops.paper.enterprise_inactive", uscc=uscc, name=enterprise["name"])
            return None
        return enterprise

    def _agency(self, line: int, text: str) -> dict | None:
        if not text:
            self.problem(line, "agency", "import.required")
            return None
        agency = self.roster.agencies.get(_norm(text))
        if agency is None:
            self.problem(line, "agency", "admin_ops.paper.agency_unknown", value=text)
        elif not agency["active"]:
            self.problem(line, "agency", "admin_ops.paper.agency_inactive", code=agency["code"], name=agency["name_zh"])
            return None
        return agency

    def _comment(self, line: int, text: str) -> str:
        try:
            return clean_comment(text)
        except InvalidInput as exc:
            self.problem(line, "comment", exc.key, **exc.values)
            return ""

    def _rating(self, line: int, item: str, text: str) -> int | None:
        if not text:
            self.problem(line, item, "admin_ops.paper.rating_missing")
            return None
        level = parse_rating(text)
        if level is None:
            self.problem(line, item, "admin_ops.paper.bad_rating", value=text)
        return level

    def _existing(self, line: int, enterprise: dict, agency: dict) -> str | None:
        pair = (enterprise["uscc"], agency["code"])
        if pair in self.seen:
            self.problem(line, "agency", "admin_ops.paper.duplicate_pair", other=self.seen[pair])
            return None
        self.seen[pair] = line
        source = self.roster.existing.get(pair)
        if source is not None and not self.replace:
            self.problem(line, "agency", "admin_ops.paper.existing_answer", uscc=pair[0], agency=pair[1],
                         source=Term(f"admin_ops.paper.source.{source}"))
        return source


def _open_round(db: sqlite_utils.Database) -> dict:
    current = rounds.open_round(db)
    if current is None:
        raise RoundNotOpen("admin_ops.paper.no_open_round")
    return rounds.require_open(db, current["name"])  # refuses a round past its closing date


def _check(db: sqlite_utils.Database, table: Table, replace: bool) -> PaperPreview:
    current = _open_round(db)
    form = questionnaire.get_questionnaire(db, current["questionnaire_version"])
    mapping = _map_columns(table, form)
    if not table.rows:
        raise InvalidInput("admin_ops.paper.no_rows")
    checker = _RowChecker(_Roster(db, current["name"]), mapping, form, current["name"], replace)
    rows = []
    for line, raw in table.rows:
        cells = {field: raw.get(header, "").strip() for field, header in mapping.items()}
        row = checker.check(line, cells)
        if row is not None:
            rows.append(row)
    if checker.problems:
        raise ImportRefused(checker.problems)
    return PaperPreview(current["name"], form.version, tuple(form.item_codes), tuple(rows))


@requires("paper.import")
def preview_paper_returns(db, actor: Actor, data: bytes, filename: str, replace: bool = False) -> PaperPreview:
    """What importing the file would do, or ImportRefused listing its problems. Stores nothing."""
    return _check(db, read_table(data, filename), replace)


# --- import -----------------------------------------------------------------------

@requires("paper.import")
def import_paper_returns(db, actor: Actor, data: bytes, filename: str, replace: bool = False) -> dict:
    """Import a clean file in one transaction; returns {'added', 'replaced_online', 'replaced_paper'}.

    The file is checked again inside the transaction, so an answer saved online
    between preview and import is not overwritten unnoticed.
    """
    table = read_table(data, filename)
    with write_transaction(db):
        preview = _check(db, table, replace)
        for row in preview.rows:
            _, revision = store_response(db, preview.round, row.enterprise, row.agency, row.ratings,
                                         row.comment, "paper")
            # who answered on paper and what it replaced; not the agency, the response or the ratings,
            # so the log never ties an enterprise to how it rated (see surveys/collection/responses.py)
            audit.record(db, actor, "response.paper_replaced" if row.replaces else "response.paper_saved",
                         preview.round, revision=revision, enterprise=row.enterprise, line=row.line,
                         replaced_source=row.replaces)
        audit.record(db, actor, "paper_returns.imported", preview.round, file=filename, **preview.counts)
    return preview.counts


# --- blank template -----------------------------------------------------------------

def _template_form(db: sqlite_utils.Database) -> tuple[str | None, questionnaire.Questionnaire]:
    """The open round and its questionnaire; without an open round, the latest version."""
    current = rounds.open_round(db)
    version = current["questionnaire_version"] if current else questionnaire.latest_version(db)
    return (current["name"] if current else None), questionnaire.get_questionnaire(db, version)


def _returns_sheet(sheet, form, round_name: str | None, lang: str) -> None:
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    headers = [fixed_header(f, lang) for f in FIXED_FIELDS] + [item_header(i, form, lang) for i in form.items]
    sheet.append(headers)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    for position, width in enumerate([10, 24, 18, 30] + [12] * len(form.items), start=1):
        sheet.column_dimensions[get_column_letter(position)].width = width
    for letter in "ABC":  # a text column, so Excel keeps an all-digit credit code whole
        sheet.column_dimensions[letter].number_format = "@"
    first, last = get_column_letter(len(FIXED_FIELDS) + 1), get_column_letter(len(headers))
    check = DataValidation(type="whole", operator="between", formula1="1", formula2="5", allow_blank=True,
                           showErrorMessage=True, error=t("admin_ops.paper.template.rating_error", lang))
    check.add(f"{first}2:{last}{TEMPLATE_ROWS + 1}")
    sheet.add_data_validation(check)


def _guide_sheet(sheet, db, form, round_name: str | None, lang: str) -> None:
    from openpyxl.styles import Font

    def heading(text: str) -> None:
        sheet.append([])
        sheet.append([text])
        sheet.cell(row=sheet.max_row, column=1).font = Font(bold=True)

    sheet.append([t("admin_ops.paper.template.guide_title", lang)])
    sheet["A1"].font = Font(bold=True, size=14)
    target = (t("admin_ops.paper.template.for_round", lang, round=labels.round_label(round_name, lang),
                name=round_name, version=form.version) if round_name
              else t("admin_ops.paper.template.no_round", lang, version=form.version))
    sheet.append([target])
    sheet.append([t("admin_ops.paper.template.rules", lang)])
    heading(t("admin_ops.paper.template.columns_heading", lang))
    for field in FIXED_FIELDS:
        sheet.append([fixed_header(field, lang), t(f"admin_ops.paper.template.explain.{field}", lang)])
    for item in form.items:
        sheet.append([item_header(item, form, lang), t("admin_ops.paper.template.explain.item", lang,
                                                       text=item.text(lang), code=item.code)])
    heading(t("admin_ops.paper.template.levels_heading", lang))
    for level in questionnaire.LEVELS:
        sheet.append([level, t(f"levels.{level}", lang)])
    heading(t("admin_ops.paper.template.agencies_heading", lang))
    sheet.append([t("admin_ops.paper.template.agency_code", lang), t("admin_ops.paper.template.agency_zh", lang),
                  t("admin_ops.paper.template.agency_en", lang)])
    for agency in registry.list_agencies(db):
        sheet.append([safe_cell(agency["code"]), safe_cell(agency["name_zh"]), safe_cell(agency["name_en"])])
    sheet.column_dimensions["A"].width = 22
    sheet.column_dimensions["B"].width = 60
    sheet.column_dimensions["C"].width = 40


@requires("paper.import")
def blank_template(db, actor: Actor, lang: str = DEFAULT_LANGUAGE) -> bytes:
    """An XLSX to fill in: the headers on the first sheet, and a second sheet
    explaining the columns, the five levels and the agencies' codes and names."""
    import openpyxl

    round_name, form = _template_form(db)
    book = openpyxl.Workbook()
    returns = book.active
    returns.title = t("admin_ops.paper.template.sheet_returns", lang)
    _returns_sheet(returns, form, round_name, lang)
    _guide_sheet(book.create_sheet(t("admin_ops.paper.template.sheet_guide", lang)), db, form, round_name, lang)
    return workbook_bytes(book)  # item texts and names are anyone's text: every cell made formula-safe
