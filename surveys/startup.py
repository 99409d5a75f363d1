"""Bringing a database to life: schema, questionnaire versions, demo county."""
from __future__ import annotations

import i18n

from pathlib import Path

import sqlite_utils

from surveys.storage import db as database
from surveys.demo import county as demo
from surveys.collection import questionnaire


def prepare(path: str | Path | None = None, demo_seed: int | None = None,
            county_name: str | None = None, county_slug: str | None = None) -> sqlite_utils.Database:
    """Open the database, migrated, with every questionnaire version, and the
    demo county if it is new and demo mode is on (in a deployment of several counties,
    built from the county's own seed under its own name)."""
    db = database.connect(path)
    questionnaire.sync_questionnaires(db)
    if county_slug is not None:  # its letters' links lead to its own address (?county=<slug>)
        with database.write_transaction(db):
            db.execute("INSERT INTO settings (name, value) VALUES ('county_slug', ?)"
                       " ON CONFLICT (name) DO UPDATE SET value = excluded.value", [county_slug])
    if demo.demo_enabled() and demo.is_empty(db):
        demo.build_demo_county(db, seed=demo_seed, county_name=county_name)
    return db


CITY_SCHEMA = Path(__file__).resolve().parent / "storage" / "city_schema" / "city_staff.sql"
DEMO_CITY_ACCOUNT = ("city", "qiping-city")  # the demo city office's sign-in, shown on its sign-in page


def prepare_city(path: str | Path) -> sqlite_utils.Database:
    """Open a city office's own database: the usual migrations (its sign-in lock-out uses them;
    it holds no county's data) and its accounts table; the demo city office's account in demo mode."""
    from surveys.participants import accounts

    db = database.connect(path)
    with database.write_transaction(db):
        db.execute(CITY_SCHEMA.read_text(encoding="utf-8"))  # one CREATE TABLE IF NOT EXISTS
        if demo.demo_enabled():
            accounts.insert_city_account(db, *DEMO_CITY_ACCOUNT, display_name=i18n.t("counties.demo_city_name"))
    return db
