"""Questionnaire versions for the administrator: list them with the rounds that
use them, make a new version from an old one, and correct a version that no
round has used yet.

A version a round has pinned is never edited — the round's results were (or
will be) scored with exactly its items and weights — so changing a used
version always means a new version number. Versions live in the
``questionnaires`` table; the files in data/questionnaires/ only seed it.
"""
from __future__ import annotations

import json
import math
import re
import unicodedata
from dataclasses import dataclass

import sqlite_utils

from i18n import DEFAULT_LANGUAGE, t
from surveys.core import audit
from surveys.collection import questionnaire
from surveys.core.actors import Actor
from surveys.storage.db import write_transaction
from surveys.core.errors import ImportRefused, InvalidInput, QipingError, RowProblem, Term
from surveys.core.permissions import requires

CODE = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$")  # snake_case: a column name in files and frames
MAX_CODE = 40
MAX_TEXT = 200
MAX_TITLE = 100
MAX_ITEMS = 30
MAX_WEIGHT = 100.0
# Column names that files (scoring/io.py) and the scoring frame already use.
RESERVED_CODES = frozenset({"id", "round", "enterprise", "agency", "comment", "source"})
ITEM_FIELDS = ("code", "zh", "en", "weight")


@dataclass(frozen=True)
class ItemProblem(RowProblem):
    """A problem in row ``line`` of the item table; ``column`` is a field (code, zh, en, weight)."""

    def message(self, lang: str = DEFAULT_LANGUAGE) -> str:
        column = t(f"admin_ops.questionnaires.field.{self.column}", lang)
        return RowProblem(self.line, column, self.key, self.values).message(lang)


class ItemsRefused(ImportRefused):
    """The item table has problems: every one listed, nothing stored."""

    def __init__(self, problems: list[RowProblem]):
        self.problems = problems
        self.total = len(problems)
        QipingError.__init__(self, "admin_ops.questionnaires.items_refused", count=len(problems))


def rounds_using(db: sqlite_utils.Database, version: int) -> list[str]:
    return [r[0] for r in db.execute(
        "SELECT name FROM rounds WHERE questionnaire_version = ? ORDER BY name", [version])]


@requires("questionnaires.manage")
def list_versions(db, actor: Actor) -> list[dict]:
    """Every version, newest first, with its items and the rounds that use it."""
    versions = []
    for (version,) in db.execute("SELECT version FROM questionnaires ORDER BY version DESC").fetchall():
        form = questionnaire.get_questionnaire(db, version)
        used_by = rounds_using(db, version)
        versions.append({"version": version, "form": form, "rounds": used_by, "in_use": bool(used_by)})
    return versions


# --- checks -----------------------------------------------------------------------

def _text(value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value).strip()


def _has_control(text: str) -> bool:
    return any(unicodedata.category(ch)[0] == "C" for ch in text)


def _title(value, field: str) -> str:
    title = _text(value)
    if not title:
        raise InvalidInput("admin_ops.questionnaires.title_required", field=Term(f"admin_ops.questionnaires.field.{field}"))
    if len(title) > MAX_TITLE or _has_control(title):
        raise InvalidInput("admin_ops.questionnaires.bad_title", field=Term(f"admin_ops.questionnaires.field.{field}"), maximum=MAX_TITLE)
    return title


def _weight(value, line: int, problems: list) -> float:
    if _text(value) == "":
        return 1.0  # equal weights unless said otherwise (DESIGN §4.2)
    try:
        weight = float(value)
    except (TypeError, ValueError):
        weight = math.nan
    if not (math.isfinite(weight) and 0 < weight <= MAX_WEIGHT):
        problems.append(ItemProblem(line, "weight", "admin_ops.questionnaires.bad_weight",
                                    (("value", _text(value)), ("maximum", MAX_WEIGHT))))
    return weight


def _code(value, line: int, seen: dict, problems: list) -> str:
    code = _text(value)
    if not code:
        problems.append(ItemProblem(line, "code", "admin_ops.questionnaires.required"))
    elif len(code) > MAX_CODE or not CODE.match(code):
        problems.append(ItemProblem(line, "code", "admin_ops.questionnaires.bad_code", (("value", code), ("maximum", MAX_CODE))))
    elif code in RESERVED_CODES:
        problems.append(ItemProblem(line, "code", "admin_ops.questionnaires.reserved_code", (("value", code),)))
    elif code in seen:
        problems.append(ItemProblem(line, "code", "admin_ops.questionnaires.duplicate_code",
                                    (("value", code), ("other", seen[code]))))
    seen.setdefault(code, line)
    return code


def _wording(value, field: str, line: int, problems: list) -> str:
    text = _text(value)
    if not text:
        problems.append(ItemProblem(line, field, "admin_ops.questionnaires.required"))
    elif len(text) > MAX_TEXT:
        problems.append(ItemProblem(line, field, "admin_ops.questionnaires.too_long", (("maximum", MAX_TEXT),)))
    elif _has_control(text):
        problems.append(ItemProblem(line, field, "admin_ops.questionnaires.control_character"))
    return text


def check_items(items: list[dict]) -> list[dict]:
    """The items cleaned, in order; ItemsRefused naming every row and field that is wrong."""
    items = [item for item in items if any(_text(item.get(f)) for f in ITEM_FIELDS)]  # empty editor rows
    if not items:
        raise InvalidInput("admin_ops.questionnaires.no_items")
    if len(items) > MAX_ITEMS:
        raise InvalidInput("admin_ops.questionnaires.too_many_items", maximum=MAX_ITEMS, count=len(items))
    problems: list[RowProblem] = []
    seen: dict[str, int] = {}
    cleaned = []
    for line, item in enumerate(items, start=1):
        cleaned.append({
            "code": _code(item.get("code"), line, seen, problems),
            "zh": _wording(item.get("zh"), "zh", line, problems),
            "en": _wording(item.get("en"), "en", line, problems),
            "weight": _weight(item.get("weight"), line, problems),
        })
    if problems:
        raise ItemsRefused(problems)
    return cleaned


# --- writes -----------------------------------------------------------------------

def _definition(items: list[dict]) -> str:
    return json.dumps(items, ensure_ascii=False)


@requires("questionnaires.manage")
def create_version(db, actor: Actor, base_version: int, title_zh: str, title_en: str, items: list[dict]) -> int:
    """A new version (the next number) made from ``base_version``; returns its number."""
    title_zh, title_en = _title(title_zh, "title_zh"), _title(title_en, "title_en")
    cleaned = check_items(items)
    with write_transaction(db):
        base = questionnaire.get_questionnaire(db, base_version)  # refuses an unknown base
        version = questionnaire.latest_version(db) + 1
        db.execute("INSERT INTO questionnaires (version, title_zh, title_en, definition) VALUES (?, ?, ?, ?)",
                   [version, title_zh, title_en, _definition(cleaned)])
        audit.record(db, actor, "questionnaire.created", f"v{version}", base=base.version,
                     items=[item["code"] for item in cleaned])
    return version


@requires("questionnaires.manage")
def update_version(db, actor: Actor, version: int, title_zh: str, title_en: str, items: list[dict]) -> None:
    """Correct a version that no round has used; a used version is refused."""
    title_zh, title_en = _title(title_zh, "title_zh"), _title(title_en, "title_en")
    cleaned = check_items(items)
    with write_transaction(db):
        questionnaire.get_questionnaire(db, version)
        used_by = rounds_using(db, version)
        if used_by:
            raise InvalidInput("admin_ops.questionnaires.in_use", version=version, rounds=", ".join(used_by))
        db.execute("UPDATE questionnaires SET title_zh = ?, title_en = ?, definition = ? WHERE version = ?",
                   [title_zh, title_en, _definition(cleaned), version])
        audit.record(db, actor, "questionnaire.updated", f"v{version}", items=[item["code"] for item in cleaned])
