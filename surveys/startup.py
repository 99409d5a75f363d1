"""Bringing a database to life: schema, questionnaire versions, demo county."""
from __future__ import annotations

from pathlib import Path

import sqlite_utils

from surveys.storage import db as database
from surveys.demo import county as demo
from surveys.collection import questionnaire


def prepare(path: str | Path | None = None, demo_seed: int | None = None,
            county_name: str | None = None) -> sqlite_utils.Database:
    """Open the database, migrated, with every questionnaire version, and the
    demo county if it is new and demo mode is on (in a deployment of several counties,
    built from the county's own seed under its own name)."""
    db = database.connect(path)
    questionnaire.sync_questionnaires(db)
    if demo.demo_enabled() and demo.is_empty(db):
        demo.build_demo_county(db, seed=demo_seed, county_name=county_name)
    return db
