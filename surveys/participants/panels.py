"""Rater panels (DESIGN §4.10): who rates besides enterprises, and the roster of those raters.

Every rater belongs to one panel: enterprises (the default), deputies to the people's congress
and CPPCC members (panel ``representative``) and appointed conduct supervisors (panel
``supervisor``). Raters of every panel are rows of the one table
``enterprises`` (migration 9), so they sign in, answer the survey, raise problems and are
reminded exactly as enterprises are. A panel rater has no credit code: its key is a rater code
the county gives or the import makes (R0001 for representatives, S0001 for supervisors), 2–16
letters and digits, so it is never mistaken for an 18-character credit code.

The roster file of panel raters is checked whole before anything is written, like the
enterprise roster (registry.py): one bad row refuses the file, naming its line, column and
problem; the preview says field by field what would change.
"""
from __future__ import annotations

import re

import sqlite_utils

from i18n import LANGUAGES, t
from scoring.config import ENTERPRISE, PANELS, REPRESENTATIVE, SUPERVISOR
from surveys.core import audit
from surveys.core.actors import Actor
from surveys.core.errors import ImportRefused, ProblemList, RowProblem, Term
from surveys.core.permissions import requires
from surveys.participants.registry import MAX_NAME, RosterChange, RosterPreview, _accepted_headers, _map_columns
from surveys.participants.roster_admin import MAX_PHONE, PHONE_CHARACTERS
from surveys.storage.db import write_transaction
from surveys.storage.tabular import read_table

# The panels and their order (every page lists them so) are scoring's: one owner for the codes.
OTHER_PANELS = (REPRESENTATIVE, SUPERVISOR)  # raters without a credit code, kept on this roster
CODE_PREFIX = {REPRESENTATIVE: "R", SUPERVISOR: "S"}  # of the codes the import makes
CODE_DIGITS = 4
RATER_CODE = re.compile(r"[A-Z0-9]{2,16}")
CREDIT_CODE_LENGTH = 18  # an enterprise's key; a rater code is never this long
# Headers accepted in a panel roster file, per field (data/roster_columns.toml): English first, Chinese second.
COLUMNS = {field: tuple(names) for field, names in _accepted_headers()["panel_raters"].items()}
REQUIRED = ("name", "panel")
DEFAULTS = {"contact_person": "", "contact_phone": ""}


def panel_of(db: sqlite_utils.Database, rater: str) -> str:
    """The panel of a rater (an enterprise's credit code or a panel rater's code)."""
    row = db.execute("SELECT panel FROM enterprises WHERE uscc = ?", [rater]).fetchone()
    return row[0] if row else ENTERPRISE


def key_label(rater: str) -> str:
    """Catalogue key of what a rater's key is called on paper: a credit code (18 characters, the
    enterprise panel only, migration 9) or a rater code."""
    return "roster_admin.slip.uscc" if len(rater) == CREDIT_CODE_LENGTH else "panels.slip.code"


PERSON_WORDED = ("heading", "heading_county", "intro_round", "intro", "privacy", "keep_safe")


def slip_key(rater: str, part: str) -> str:
    """Catalogue key of a part of an access slip: a deputy's or supervisor's is worded for a person."""
    if len(rater) != CREDIT_CODE_LENGTH and part in PERSON_WORDED:
        return f"panels.slip.{part}"
    return f"roster_admin.slip.{part}"


def _panel_words() -> dict[str, str]:
    """Every way a file may name a panel: its code, and its name in each language."""
    words = {}
    for panel in OTHER_PANELS:
        words[panel] = panel
        for lang in LANGUAGES:
            words[t(f"panels.name.{panel}", lang).strip().lower()] = panel
            words[t(f"panels.short.{panel}", lang).strip().lower()] = panel
    return words


def _check_row(line: int, record: dict, mapping: dict, words: dict, problems: ProblemList) -> None:
    panel = words.get(record["panel"].lower())
    if panel is None:
        problems.append(RowProblem(line, mapping["panel"], "panels.import.bad_panel",
                                   (("value", record["panel"]),)))
    else:
        record["panel"] = panel
    if record.get("code"):
        record["code"] = record["code"].upper()
        if not RATER_CODE.fullmatch(record["code"]):
            problems.append(RowProblem(line, mapping["code"], "panels.import.bad_code",
                                       (("value", record["code"]),)))
    if not record["name"]:
        problems.append(RowProblem(line, mapping["name"], "import.required"))
    elif len(record["name"]) > MAX_NAME:
        problems.append(RowProblem(line, mapping["name"], "import.too_long", (("maximum", MAX_NAME),)))
    phone = record.get("contact_phone", "")
    if len(phone) > MAX_PHONE or not PHONE_CHARACTERS.match(phone):
        problems.append(RowProblem(line, mapping["contact_phone"], "panels.import.bad_phone",
                                   (("value", phone),)))


def _check_against_roster(line: int, record: dict, mapping: dict, stored: dict, seen: dict,
                          problems: ProblemList) -> None:
    """A code given twice, or one that is another panel's rater, refuses the row."""
    code = record.get("code")
    if not code:
        return
    if code in seen:
        problems.append(RowProblem(line, mapping["code"], "import.duplicate", (("other", seen[code]),)))
    seen.setdefault(code, line)
    current = stored.get(code)
    if current is not None and record.get("panel") in OTHER_PANELS and current["panel"] != record["panel"]:
        problems.append(RowProblem(line, mapping["code"], "panels.import.other_panel",
                                   (("code", code), ("panel_name", _term(current["panel"])))))


def _term(panel: str) -> Term:
    return Term(f"panels.name.{panel}")


def _stored(db) -> dict[str, dict]:
    fields = ", ".join(["uscc", "panel", "name", "contact_person", "contact_phone"])
    return {r["uscc"]: r for r in db.query(f"SELECT {fields} FROM enterprises WHERE panel <> ?", [ENTERPRISE])}


def _next_codes(stored: dict, records: list[tuple[int, dict]]) -> None:
    """Give every row without a code the next free one of its panel (R0001, R0002 …), in file order."""
    taken = set(stored) | {r["code"] for _, r in records if r.get("code")}
    counters = {panel: 0 for panel in OTHER_PANELS}
    for _, record in records:
        if record.get("code"):
            continue
        panel = record["panel"]
        while True:
            counters[panel] += 1
            code = f"{CODE_PREFIX[panel]}{counters[panel]:0{CODE_DIGITS}d}"
            if code not in taken:
                break
        taken.add(code)
        record["code"] = code


def parse_panel_roster(db, data: bytes, filename: str) -> tuple[dict, list[tuple[int, dict]], dict]:
    """The column mapping, the checked rows (every one with a code) and the stored panel raters;
    ImportRefused lists every bad cell with its line and column."""
    table = read_table(data, filename)
    mapping = _map_columns(table, COLUMNS, REQUIRED)
    records = [(line, {field: row.get(header, "").strip() for field, header in mapping.items()})
               for line, row in table.rows]
    stored = _stored(db)
    words, problems, seen = _panel_words(), ProblemList(), {}
    for line, record in records:
        _check_row(line, record, mapping, words, problems)
        _check_against_roster(line, record, mapping, stored, seen, problems)
    if problems:
        raise ImportRefused(problems)
    _next_codes(stored, records)
    return mapping, records, stored


def _plan(mapping: dict, records: list[tuple[int, dict]], stored: dict) -> RosterPreview:
    rows = []
    for line, record in records:
        current = stored.get(record["code"])
        if current is None:
            values = {**DEFAULTS, **record}
            changes = tuple((f, "", values[f]) for f in COLUMNS if f != "code" and values[f])
            rows.append(RosterChange(line, record["code"], values["name"], "new", changes))
            continue
        changes = tuple((f, current[f], v) for f, v in record.items() if f != "code" and current[f] != v)
        rows.append(RosterChange(line, record["code"], record["name"], "changed" if changes else "unchanged",
                                 changes))
    kept = tuple(f for f in COLUMNS if f not in mapping and f != "code")
    return RosterPreview("panel_raters", tuple(mapping), kept, tuple(rows))


def _check_file(db, data: bytes, filename: str) -> RosterPreview:
    return _plan(*parse_panel_roster(db, data, filename))


@requires("roster.manage")
def preview_panel_raters(db, actor: Actor, data: bytes, filename: str) -> RosterPreview:
    """What importing a roster of representatives and supervisors would change. Stores nothing."""
    return _check_file(db, data, filename)


@requires("roster.manage")
def import_panel_raters(db, actor: Actor, data: bytes, filename: str) -> dict:
    """Add or update the panel raters of a roster file, in one transaction (checked again inside
    it); returns {'added', 'updated', 'unchanged'}."""
    with write_transaction(db):
        preview = _check_file(db, data, filename)
        for row in preview.rows:
            new = {f: value for f, _, value in row.changes}
            if row.status == "new":
                db["enterprises"].insert({**DEFAULTS, "uscc": row.key, **new})
                audit.record(db, actor, "panel_rater.added", row.key, panel=new["panel"])
            elif row.status == "changed":
                assignments = ", ".join(f"{f} = ?" for f in new)
                db.execute(f"UPDATE enterprises SET {assignments} WHERE uscc = ?", [*new.values(), row.key])
                audit.record(db, actor, "panel_rater.updated", row.key, file=filename,
                             **{f: [old, value] for f, old, value in row.changes})
        audit.record(db, actor, "panel_raters.imported", filename, **preview.counts)
    return preview.counts


@requires("roster.manage")
def panel_counts(db: sqlite_utils.Database, actor: Actor) -> dict[str, int]:
    """Active raters per panel, every panel listed (0 when it has none)."""
    rows = dict(db.execute("SELECT panel, count(*) FROM enterprises WHERE active = 1 GROUP BY panel").fetchall())
    return {panel: rows.get(panel, 0) for panel in PANELS}
