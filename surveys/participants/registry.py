"""Agencies and enterprises: listing, and roster import from CSV or XLSX.

An import checks every row first. One bad row refuses the whole file, listing
its problems with their line and column; a clean file is written in one
transaction. Columns the file lacks leave stored values alone, and a preview
says field by field what an import would change.
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass

import sqlite_utils

from surveys.core import audit
from surveys.core.actors import Actor
from surveys.storage.db import write_transaction
from surveys.core.errors import ImportRefused, InvalidInput, ProblemList, RowProblem
from surveys.core.permissions import requires
from surveys.storage.tabular import Table, read_table
from surveys.participants.uscc import validate_uscc
from surveys.core.paths import DATA_DIR

MAX_NAME = 100

def _accepted_headers() -> dict:
    with (DATA_DIR / "roster_columns.toml").open("rb") as f:
        return tomllib.load(f)


ENTERPRISE_COLUMNS = {field: tuple(names) for field, names in _accepted_headers()["enterprises"].items()}
ENTERPRISE_REQUIRED = ("uscc", "name")
AGENCY_COLUMNS = {field: tuple(names) for field, names in _accepted_headers()["agencies"].items()}
AGENCY_REQUIRED = ("code", "name_zh")


def list_agencies(db: sqlite_utils.Database, active_only: bool = True) -> list[dict]:
    where = "WHERE active = 1" if active_only else ""
    return list(db.query(f"SELECT * FROM agencies {where} ORDER BY code"))


# --- agency groups (DESIGN §4.9): read here, kept in surveys/participants/groups.py -----

def list_groups(db: sqlite_utils.Database) -> list[dict]:
    """The agency groups in the administrator's order: code, name_zh, name_en, position."""
    return list(db.query("SELECT code, name_zh, name_en, position FROM agency_groups ORDER BY position, code"))


def default_group(db: sqlite_utils.Database) -> str:
    """The group a new agency joins when nobody says which: the first of the list."""
    row = db.execute("SELECT code FROM agency_groups ORDER BY position, code LIMIT 1").fetchone()
    return row[0] if row else "approval"


def group_lookup(groups: list[dict]) -> dict[str, str]:
    """Every way a person may write a group (its code, Chinese or English name, any case) -> its code."""
    lookup = {}
    for group in groups:
        for spelling in (group["code"], group["name_zh"], group["name_en"]):
            if spelling:
                lookup.setdefault(spelling.strip().casefold(), group["code"])
    return lookup


def group_choices(groups: list[dict]) -> str:
    """The groups as a refusal lists them: "approval (审批类) / enforcement (执法类) …"."""
    return " / ".join(f"{g['code']} ({g['name_zh']})" for g in groups)


def get_enterprise(db: sqlite_utils.Database, uscc: str) -> dict | None:
    rows = list(db.query("SELECT uscc, name, industry FROM enterprises WHERE uscc = ?", [uscc]))
    return rows[0] if rows else None


# --- import -------------------------------------------------------------------
#
# A roster file says what it knows: a column that is not in the file leaves the
# stored value alone (a file of only credit code and name renames enterprises
# and touches nothing else), while a column that is there, even with an empty
# cell, is what the file says. A new record takes the defaults for what the
# file lacks. The preview lists every change field by field before anything is
# written; the import checks the file again inside its transaction.

ENTERPRISE_DEFAULTS = {"industry": "", "contact_person": "", "contact_phone": ""}
AGENCY_DEFAULTS = {"name_en": "", "group_code": "approval"}  # group: the first of the list, see _defaults


@dataclass(frozen=True)
class RosterChange:
    """What importing one row does: a new record, changed fields, or nothing."""

    line: int
    key: str  # credit code or agency code
    name: str  # the name it will have
    status: str  # 'new', 'changed' or 'unchanged'
    changes: tuple[tuple[str, str, str], ...]  # (field, stored value, value from the file)


@dataclass(frozen=True)
class RosterPreview:
    """What an import would do; nothing is stored by making one."""

    kind: str  # 'enterprises' or 'agencies'
    columns: tuple[str, ...]  # the fields the file has
    kept: tuple[str, ...]  # optional fields the file lacks: stored values stay as they are
    rows: tuple[RosterChange, ...]

    def count(self, status: str) -> int:
        return sum(1 for row in self.rows if row.status == status)

    @property
    def counts(self) -> dict:
        return {"added": self.count("new"), "updated": self.count("changed"), "unchanged": self.count("unchanged")}


@dataclass(frozen=True)
class _Roster:
    kind: str
    singular: str  # for audit actions: agency.updated, enterprise.updated
    key: str
    name: str
    columns: dict
    required: tuple
    defaults: dict


ENTERPRISE_ROSTER = _Roster("enterprises", "enterprise", "uscc", "name", ENTERPRISE_COLUMNS, ENTERPRISE_REQUIRED,
                            ENTERPRISE_DEFAULTS)
AGENCY_ROSTER = _Roster("agencies", "agency", "code", "name_zh", AGENCY_COLUMNS, AGENCY_REQUIRED, AGENCY_DEFAULTS)


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


def _check_name(line, column, value, problems) -> None:
    if not value:
        problems.append(RowProblem(line, column, "import.required"))
    elif len(value) > MAX_NAME:
        problems.append(RowProblem(line, column, "import.too_long", (("maximum", MAX_NAME),)))


def _file_records(table: Table, mapping: dict) -> list[tuple[int, dict]]:
    """(line, field -> text) for the fields the file has, and only those."""
    return [(line, {field: row.get(header, "").strip() for field, header in mapping.items()})
            for line, row in table.rows]


def parse_enterprise_roster(table: Table) -> tuple[dict, list[tuple[int, dict]]]:
    """The column mapping and the checked rows; ImportRefused lists every bad cell."""
    mapping = _map_columns(table, ENTERPRISE_COLUMNS, ENTERPRISE_REQUIRED)
    problems = ProblemList()
    seen: dict[str, int] = {}
    records = _file_records(table, mapping)
    for line, record in records:
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
    if problems:
        raise ImportRefused(problems)
    return mapping, records


def parse_agency_roster(table: Table, groups: list[dict] | None = None) -> tuple[dict, list[tuple[int, dict]]]:
    """The column mapping and the checked rows; ``groups`` (the stored list) checks the group column."""
    mapping = _map_columns(table, AGENCY_COLUMNS, AGENCY_REQUIRED)
    problems = ProblemList()
    seen: dict[str, int] = {}
    records = _file_records(table, mapping)
    for line, record in records:
        record["code"] = record["code"].upper()
        if not record["code"].isascii() or not record["code"].isalnum():
            problems.append(RowProblem(line, mapping["code"], "import.bad_agency_code"))
        elif record["code"] in seen:
            problems.append(RowProblem(line, mapping["code"], "import.duplicate",
                                       (("other", seen[record["code"]]),)))
        seen.setdefault(record["code"], line)
        _check_name(line, mapping["name_zh"], record["name_zh"], problems)
        if "group_code" in record:
            _check_group(line, mapping["group_code"], record, groups or [], problems)
    if problems:
        raise ImportRefused(problems)
    return mapping, records


def _check_group(line: int, column: str, record: dict, groups: list[dict], problems: ProblemList) -> None:
    """A group cell holds a group's code or name; a blank cell keeps the stored group (an agency
    always has one), anything else is refused naming the groups there are."""
    value = record["group_code"]
    if not value:
        del record["group_code"]
        return
    code = group_lookup(groups).get(value.casefold())
    if code is None:
        problems.append(RowProblem(line, column, "import.unknown_group",
                                   (("value", value), ("choices", group_choices(groups)))))
    else:
        record["group_code"] = code


def _defaults(db, roster: _Roster) -> dict:
    if roster is AGENCY_ROSTER:
        return {**roster.defaults, "group_code": default_group(db)}
    return roster.defaults


def _plan(db, roster: _Roster, mapping: dict, records: list[tuple[int, dict]]) -> RosterPreview:
    """Compare every row of the file with what is stored."""
    fields = ", ".join([roster.key, *roster.columns])
    stored = {r[roster.key]: r for r in db.query(f"SELECT {fields} FROM {roster.kind}")}
    rows = []
    for line, record in records:
        current = stored.get(record[roster.key])
        if current is None:
            values = {**_defaults(db, roster), **record}
            changes = tuple((f, "", values[f]) for f in roster.columns if f != roster.key and values[f])
            rows.append(RosterChange(line, record[roster.key], values[roster.name], "new", changes))
            continue
        changes = tuple((f, current[f], v) for f, v in record.items() if f != roster.key and current[f] != v)
        rows.append(RosterChange(line, record[roster.key], record[roster.name],
                                 "changed" if changes else "unchanged", changes))
    kept = tuple(f for f in roster.columns if f not in mapping)
    return RosterPreview(roster.kind, tuple(mapping), kept, tuple(rows))


def _check_file(db, roster: _Roster, data: bytes, filename: str) -> RosterPreview:
    table = read_table(data, filename)
    parsed = parse_enterprise_roster(table) if roster is ENTERPRISE_ROSTER else \
        parse_agency_roster(table, list_groups(db))
    return _plan(db, roster, *parsed)


def _apply(db, actor: Actor, roster: _Roster, preview: RosterPreview, filename: str) -> None:
    defaults = _defaults(db, roster)
    for row in preview.rows:
        if row.status == "new":
            record = {**defaults, roster.key: row.key, **{f: new for f, _, new in row.changes}}
            if roster is AGENCY_ROSTER:
                record["category"] = record["group_code"]  # the old NOT NULL column: a copy of the group
            db[roster.kind].insert(record)
        elif row.status == "changed":
            assignments = ", ".join(f"{field} = ?" for field, _, _ in row.changes)
            db.execute(f"UPDATE {roster.kind} SET {assignments} WHERE {roster.key} = ?",
                       [*(new for _, _, new in row.changes), row.key])
            audit.record(db, actor, f"{roster.singular}.updated", row.key, file=filename,
                         **{field: [old, new] for field, old, new in row.changes})
    audit.record(db, actor, f"{roster.kind}.imported", filename, **preview.counts)


def _preview(db, actor: Actor, roster: _Roster, data: bytes, filename: str) -> RosterPreview:
    return _check_file(db, roster, data, filename)


def _import(db, actor: Actor, roster: _Roster, data: bytes, filename: str) -> dict:
    """Check the file against what is stored now and apply it, all in one transaction."""
    with write_transaction(db):
        preview = _check_file(db, roster, data, filename)
        _apply(db, actor, roster, preview, filename)
    return preview.counts


@requires("roster.manage")
def preview_enterprises(db, actor: Actor, data: bytes, filename: str) -> RosterPreview:
    """What importing an enterprise roster file would change, field by field. Stores nothing."""
    return _preview(db, actor, ENTERPRISE_ROSTER, data, filename)


@requires("roster.manage")
def preview_agencies(db, actor: Actor, data: bytes, filename: str) -> RosterPreview:
    """What importing an agency roster file would change, field by field. Stores nothing."""
    return _preview(db, actor, AGENCY_ROSTER, data, filename)


@requires("roster.manage")
def import_enterprises(db, actor: Actor, data: bytes, filename: str) -> dict:
    """Add or update the enterprises of a roster file; returns {'added', 'updated', 'unchanged'}."""
    return _import(db, actor, ENTERPRISE_ROSTER, data, filename)


@requires("roster.manage")
def import_agencies(db, actor: Actor, data: bytes, filename: str) -> dict:
    """Add or update the agencies of a roster file; returns {'added', 'updated', 'unchanged'}."""
    return _import(db, actor, AGENCY_ROSTER, data, filename)


@requires("roster.manage")
def roster_counts(db: sqlite_utils.Database, actor: Actor) -> dict:
    return {
        "agencies": db.execute("SELECT count(*) FROM agencies WHERE active = 1").fetchone()[0],
        # enterprises only: deputies and supervisors are counted per panel (panels.panel_counts)
        "enterprises": db.execute("SELECT count(*) FROM enterprises WHERE active = 1 AND panel = 'enterprise'"
                                  ).fetchone()[0],
    }
