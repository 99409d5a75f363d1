"""Agencies and enterprises: listing, and roster import from CSV or XLSX.

An import checks every row first. One bad row refuses the whole file, listing
every problem with its line and column; a clean file is written in one
transaction.
"""
from __future__ import annotations

import tomllib
from pathlib import Path

import sqlite_utils

from surveys import audit
from surveys.actors import ADMIN, Actor, require_role
from surveys.db import write_transaction
from surveys.errors import ImportRefused, InvalidInput, ProblemList, RowProblem
from surveys.tabular import Table, read_table
from surveys.uscc import validate_uscc

MAX_NAME = 100

def _accepted_headers() -> dict:
    with (Path(__file__).resolve().parent.parent / "data" / "roster_columns.toml").open("rb") as f:
        return tomllib.load(f)


ENTERPRISE_COLUMNS = {field: tuple(names) for field, names in _accepted_headers()["enterprises"].items()}
ENTERPRISE_REQUIRED = ("uscc", "name")
AGENCY_COLUMNS = {field: tuple(names) for field, names in _accepted_headers()["agencies"].items()}
AGENCY_REQUIRED = ("code", "name_zh")


def list_agencies(db: sqlite_utils.Database, active_only: bool = True) -> list[dict]:
    where = "WHERE active = 1" if active_only else ""
    return list(db.query(f"SELECT * FROM agencies {where} ORDER BY code"))


def agency_name(agency: dict, lang: str) -> str:
    return agency["name_en"] if lang == "en" and agency["name_en"] else agency["name_zh"]


def get_enterprise(db: sqlite_utils.Database, uscc: str) -> dict | None:
    rows = list(db.query("SELECT uscc, name, industry FROM enterprises WHERE uscc = ?", [uscc]))
    return rows[0] if rows else None


# --- import -------------------------------------------------------------------

def _map_columns(table: Table, spec: dict, required: tuple) -> dict[str, str]:
    """field -> the file's header for it; a missing required column refuses the file."""
    mapping = {}
    for field, names in spec.items():
        for header in table.header:
            if header.strip().lower() in names:
                mapping[field] = header
                break
    missing = [" / ".join(spec[f][:2]) for f in required if f not in mapping]
    if missing:
        raise ImportRefused([RowProblem(1, m, "import.missing_column") for m in missing])
    return mapping


def _field(row: dict, mapping: dict, field: str) -> str:
    header = mapping.get(field)
    return row.get(header, "").strip() if header else ""


def _check_name(line, column, value, problems) -> None:
    if not value:
        problems.append(RowProblem(line, column, "import.required"))
    elif len(value) > MAX_NAME:
        problems.append(RowProblem(line, column, "import.too_long", (("maximum", MAX_NAME),)))


def parse_enterprise_roster(table: Table) -> list[dict]:
    mapping = _map_columns(table, ENTERPRISE_COLUMNS, ENTERPRISE_REQUIRED)
    problems = ProblemList()
    seen: dict[str, int] = {}
    records = []
    for line, row in table.rows:
        record = {f: _field(row, mapping, f) for f in ENTERPRISE_COLUMNS}
        try:
            record["uscc"] = validate_uscc(record["uscc"])
        except InvalidInput as exc:
            problems.append(RowProblem(line, mapping["uscc"], exc.key, tuple(exc.values.items())))
        else:
            if record["uscc"] in seen:
                problems.append(RowProblem(line, mapping["uscc"], "import.duplicate",
                                           (("other", seen[record["uscc"]]),)))
            seen.setdefault(record["uscc"], line)
        _check_name(line, mapping["name"], record["name"], problems)
        records.append(record)
    if problems:
        raise ImportRefused(problems)
    return records


def parse_agency_roster(table: Table) -> list[dict]:
    mapping = _map_columns(table, AGENCY_COLUMNS, AGENCY_REQUIRED)
    problems = ProblemList()
    seen: dict[str, int] = {}
    records = []
    for line, row in table.rows:
        record = {f: _field(row, mapping, f) for f in AGENCY_COLUMNS}
        record["code"] = record["code"].upper()
        if not record["code"].isascii() or not record["code"].isalnum():
            problems.append(RowProblem(line, mapping["code"], "import.bad_agency_code"))
        elif record["code"] in seen:
            problems.append(RowProblem(line, mapping["code"], "import.duplicate",
                                       (("other", seen[record["code"]]),)))
        seen.setdefault(record["code"], line)
        _check_name(line, mapping["name_zh"], record["name_zh"], problems)
        record["category"] = record["category"] or "approval"
        records.append(record)
    if problems:
        raise ImportRefused(problems)
    return records


def _counts(db, table: str, key: str, keys: list[str]) -> tuple[int, int]:
    existing = sum(
        1 for k in keys if db.execute(f"SELECT 1 FROM {table} WHERE {key} = ?", [k]).fetchone()
    )
    return len(keys) - existing, existing


def _import_roster(db, actor: Actor, data: bytes, filename: str, parse, table: str, key: str) -> dict:
    """Check every row of the file, then add or update them all in one transaction."""
    require_role(actor, ADMIN)
    records = parse(read_table(data, filename))
    with write_transaction(db):
        added, updated = _counts(db, table, key, [r[key] for r in records])
        db[table].upsert_all(records, pk=key)
        audit.record(db, actor, f"{table}.imported", filename, added=added, updated=updated)
    return {"added": added, "updated": updated}


def import_enterprises(db, actor: Actor, data: bytes, filename: str) -> dict:
    """Add or update the enterprises of a roster file; returns {'added': n, 'updated': m}."""
    return _import_roster(db, actor, data, filename, parse_enterprise_roster, "enterprises", "uscc")


def import_agencies(db, actor: Actor, data: bytes, filename: str) -> dict:
    """Add or update the agencies of a roster file; returns {'added': n, 'updated': m}."""
    return _import_roster(db, actor, data, filename, parse_agency_roster, "agencies", "code")


def roster_counts(db: sqlite_utils.Database, actor: Actor) -> dict:
    require_role(actor, ADMIN)
    return {
        "agencies": db.execute("SELECT count(*) FROM agencies WHERE active = 1").fetchone()[0],
        "enterprises": db.execute("SELECT count(*) FROM enterprises WHERE active = 1").fetchone()[0],
    }
