"""Questionnaire versions: defined in ``data/questionnaires/v*.toml``, copied
into the database at start-up, and pinned by every round when it opens."""
from __future__ import annotations

import json
import logging
import tomllib
from dataclasses import dataclass
from pathlib import Path

import sqlite_utils

from scoring.config import RATING_LEVELS
from surveys.core.errors import NotFound
from surveys.core.paths import DATA_DIR

QUESTIONNAIRE_DIR = DATA_DIR / "questionnaires"
LEVELS = RATING_LEVELS  # kept by scoring: 5 = 非常满意 very satisfied … 1 = 非常不满意 very dissatisfied


@dataclass(frozen=True)
class Item:
    code: str
    zh: str
    en: str
    weight: float = 1.0

    def text(self, lang: str) -> str:
        return self.en if lang == "en" else self.zh


@dataclass(frozen=True)
class Questionnaire:
    version: int
    title_zh: str
    title_en: str
    items: tuple[Item, ...]

    def title(self, lang: str) -> str:
        return self.title_en if lang == "en" else self.title_zh

    @property
    def item_codes(self) -> list[str]:
        return [item.code for item in self.items]

    @property
    def weights(self) -> dict[str, float]:
        return {item.code: item.weight for item in self.items}


def load_definition(path: Path) -> dict:
    with path.open("rb") as f:
        return tomllib.load(f)


def sync_questionnaires(db: sqlite_utils.Database, directory: Path = QUESTIONNAIRE_DIR) -> None:
    """Copy versions that the database does not have yet; existing ones are never changed.

    A file whose version number the database already holds with other items (an
    administrator made that version in the app) is skipped with a warning in the
    log: the database is the record, and the file needs the next free number.
    """
    for path in sorted(directory.glob("v*.toml")):
        definition = load_definition(path)
        stored = db.execute("SELECT definition FROM questionnaires WHERE version = ?",
                            [definition["version"]]).fetchone()
        if stored is not None:
            if json.loads(stored[0]) != definition["items"]:
                logging.getLogger(__name__).warning(
                    "questionnaire file %s: version %s exists with other items; file not loaded",
                    path.name, definition["version"])
            continue
        db.execute(
            "INSERT INTO questionnaires (version, title_zh, title_en, definition)"
            " VALUES (?, ?, ?, ?) ON CONFLICT (version) DO NOTHING",
            [definition["version"], definition["title_zh"], definition["title_en"],
             json.dumps(definition["items"], ensure_ascii=False)],
        )


def version_numbers(db: sqlite_utils.Database) -> list[int]:
    """Every questionnaire version, newest first."""
    return [row[0] for row in db.execute("SELECT version FROM questionnaires ORDER BY version DESC")]


def latest_version(db: sqlite_utils.Database) -> int:
    row = db.execute("SELECT max(version) FROM questionnaires").fetchone()
    if row[0] is None:
        raise NotFound("errors.no_questionnaire")
    return row[0]


def get_questionnaire(db: sqlite_utils.Database, version: int) -> Questionnaire:
    row = db.execute(
        "SELECT version, title_zh, title_en, definition FROM questionnaires WHERE version = ?",
        [version],
    ).fetchone()
    if row is None:
        raise NotFound("errors.no_questionnaire")
    items = tuple(Item(**{k: d[k] for k in ("code", "zh", "en", "weight")}) for d in json.loads(row[3]))
    return Questionnaire(version=row[0], title_zh=row[1], title_en=row[2], items=items)
