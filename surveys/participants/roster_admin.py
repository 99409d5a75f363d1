"""Keeping the rosters by hand: agencies and enterprises added, edited,
deactivated and reactivated one at a time (the file import is in registry.py).

An agency or enterprise with history is never deleted — its past responses,
results and cases must keep pointing at it — so the way out is deactivation:
a deactivated agency is no longer offered in the survey nor graded, a
deactivated enterprise can no longer sign in. Only an agency without any
history may be deleted (one added by mistake).
"""
from __future__ import annotations

import re
import sqlite3
import unicodedata

import sqlite_utils

from surveys.core import audit
from surveys.core.actors import Actor
from surveys.storage.db import write_transaction
from surveys.core.errors import InvalidInput, NotFound, Term
from surveys.core.permissions import requires
from surveys.participants.registry import MAX_NAME, default_group, group_choices, group_lookup, list_groups
from surveys.participants.uscc import normalise, validate_uscc

MAX_AGENCY_CODE = 20
MAX_PHONE = 30
PHONE_CHARACTERS = re.compile(r"^[0-9+\-() ]*$")
ENTERPRISE_FIELDS = ("name", "industry", "contact_person", "contact_phone")
# Tables whose rows are an agency's history: any row here forbids deleting it.
AGENCY_HISTORY = {"responses": "agency", "results": "agency", "cases": "agency", "survey_choices": "agency"}


# --- field checks (shared with the staff accounts) -----------------------------

def field_term(field: str) -> Term:
    return Term(f"roster_admin.field.{field}")


def clean_text(value, field: str, required: bool = False, maximum: int = MAX_NAME) -> str:
    """One line of text as typed, trimmed; refused with the field's name when empty
    (if required), too long, or holding line breaks or control characters."""
    text = str(value or "").strip()
    if required and not text:
        raise InvalidInput("roster_admin.required", field=field_term(field))
    if len(text) > maximum:
        raise InvalidInput("roster_admin.too_long", field=field_term(field), maximum=maximum, length=len(text))
    if any(unicodedata.category(ch)[0] == "C" for ch in text):
        raise InvalidInput("roster_admin.control_character", field=field_term(field))
    return text


def _agency_code(value) -> str:
    code = clean_text(value, "code", required=True, maximum=MAX_AGENCY_CODE).upper()
    if not (code.isascii() and code.isalnum()):
        raise InvalidInput("roster_admin.bad_agency_code", field=field_term("code"), value=code)
    return code


def checked_group(db, value) -> str:
    """The code of one of the stored agency groups (DESIGN §4.9), given its code or name;
    refused naming the groups there are."""
    text = clean_text(value, "group_code", required=True)
    groups = list_groups(db)
    code = group_lookup(groups).get(text.casefold())
    if code is None:
        raise InvalidInput("groups.unknown_group", field=field_term("group_code"), value=text,
                           choices=group_choices(groups))
    return code


def _phone(value) -> str:
    phone = clean_text(value, "contact_phone", maximum=MAX_PHONE)
    if not PHONE_CHARACTERS.match(phone):
        raise InvalidInput("roster_admin.bad_phone", field=field_term("contact_phone"), value=phone)
    return phone


# --- agencies -------------------------------------------------------------------

def _get_agency(db: sqlite_utils.Database, code: str) -> dict:
    rows = list(db.query("SELECT * FROM agencies WHERE code = ?", [str(code).strip().upper()]))
    if not rows:
        raise NotFound("roster_admin.agency_not_found", code=code)
    return rows[0]


def agency_history(db: sqlite_utils.Database, code: str) -> dict[str, int]:
    """How many rows of each history table point at the agency."""
    return {table: db.execute(f"SELECT count(*) FROM {table} WHERE {column} = ?", [code]).fetchone()[0]
            for table, column in AGENCY_HISTORY.items()}


@requires("roster.manage")
def agencies_overview(db: sqlite_utils.Database, actor: Actor) -> list[dict]:
    """Every agency, active or not, with its number of staff accounts and whether it has history."""
    rows = list(db.query(
        """SELECT a.*, (SELECT count(*) FROM staff s WHERE s.agency_code = a.code) AS staff
           FROM agencies a ORDER BY a.active DESC, a.code"""))
    for row in rows:
        row["has_history"] = any(agency_history(db, row["code"]).values())
    return rows


@requires("roster.manage")
def add_agency(db, actor: Actor, code: str, name_zh: str, name_en: str = "", group: str | None = None) -> str:
    """Add an agency to a group (the first of the list when none is given)."""
    record = {"code": _agency_code(code), "name_zh": clean_text(name_zh, "name_zh", required=True),
              "name_en": clean_text(name_en, "name_en")}
    with write_transaction(db):
        record["group_code"] = checked_group(db, group or default_group(db))
        record["category"] = record["group_code"]  # the old NOT NULL column: a copy of the group
        existing = list(db.query("SELECT name_zh FROM agencies WHERE code = ?", [record["code"]]))
        if existing:
            raise InvalidInput("roster_admin.agency_exists", code=record["code"], name=existing[0]["name_zh"])
        db["agencies"].insert(record)
        audit.record(db, actor, "agency.added", record["code"], name_zh=record["name_zh"],
                     name_en=record["name_en"], group=record["group_code"])
    return record["code"]


@requires("roster.manage")
def update_agency(db, actor: Actor, code: str, name_zh: str, name_en: str, group: str | None = None) -> None:
    """Change an agency's names and group (its code is its identity and stays; no group keeps its group).
    Results already stored keep the group the agency had when they were finalised."""
    with write_transaction(db):
        current = _get_agency(db, code)
        changes = {"name_zh": clean_text(name_zh, "name_zh", required=True),
                   "name_en": clean_text(name_en, "name_en"),
                   "group_code": checked_group(db, group) if group else current["group_code"]}
        db.execute("UPDATE agencies SET name_zh = ?, name_en = ?, group_code = ? WHERE code = ?",
                   [changes["name_zh"], changes["name_en"], changes["group_code"], current["code"]])
        audit.record(db, actor, "agency.updated", current["code"], **_changed(current, changes))


@requires("roster.manage")
def set_agency_group(db, actor: Actor, code: str, group: str) -> None:
    """Move one agency to another group (DESIGN §4.9). Rounds already finalised keep the group
    pinned with their results; the next finalisation uses the new one."""
    with write_transaction(db):
        current = _get_agency(db, code)
        group_code = checked_group(db, group)
        if group_code == current["group_code"]:
            return
        db.execute("UPDATE agencies SET group_code = ? WHERE code = ?", [group_code, current["code"]])
        audit.record(db, actor, "agency.group_changed", current["code"], group=[current["group_code"], group_code])


@requires("roster.manage")
def set_agency_active(db, actor: Actor, code: str, active: bool) -> None:
    with write_transaction(db):
        current = _get_agency(db, code)
        if bool(current["active"]) == active:
            key = "roster_admin.agency_already_active" if active else "roster_admin.agency_already_inactive"
            raise InvalidInput(key, code=current["code"])
        db.execute("UPDATE agencies SET active = ? WHERE code = ?", [int(active), current["code"]])
        audit.record(db, actor, "agency.reactivated" if active else "agency.deactivated", current["code"])


@requires("roster.manage")
def delete_agency(db, actor: Actor, code: str) -> None:
    """Delete an agency added by mistake; one with history or accounts can only be deactivated."""
    with write_transaction(db):
        current = _get_agency(db, code)
        history = agency_history(db, current["code"])
        if any(history.values()):
            raise InvalidInput("roster_admin.agency_has_history", code=current["code"], **history)
        staff = db.execute("SELECT count(*) FROM staff WHERE agency_code = ?", [current["code"]]).fetchone()[0]
        if staff:
            raise InvalidInput("roster_admin.agency_has_staff", code=current["code"], count=staff)
        try:
            db.execute("DELETE FROM agencies WHERE code = ?", [current["code"]])
        except sqlite3.IntegrityError:
            # a table added later (appeals, problems …) still points at it: that is history too
            raise InvalidInput("roster_admin.agency_referenced", code=current["code"]) from None
        audit.record(db, actor, "agency.deleted", current["code"], name_zh=current["name_zh"])


# --- enterprises ----------------------------------------------------------------

def _get_enterprise(db: sqlite_utils.Database, uscc: str) -> dict:
    rows = list(db.query(
        "SELECT uscc, name, industry, contact_person, contact_phone, active FROM enterprises WHERE uscc = ?",
        [normalise(uscc)]))
    if not rows:
        raise NotFound("errors.enterprise_not_found", uscc=uscc)
    return rows[0]


def _enterprise_details(name, industry, contact_person, contact_phone) -> dict:
    return {"name": clean_text(name, "name", required=True),
            "industry": clean_text(industry, "industry"),
            "contact_person": clean_text(contact_person, "contact_person"),
            "contact_phone": _phone(contact_phone)}


def _changed(before: dict, after: dict) -> dict:
    """Only what changed, as [old, new], for the audit log."""
    return {k: [before[k], v] for k, v in after.items() if before.get(k) != v}


@requires("roster.manage")
def search_enterprises(db: sqlite_utils.Database, actor: Actor, query: str = "",
                       status: str = "all") -> list[dict]:
    """The roster of raters of every panel (``panel``), filtered by a piece of the name or the credit
    or rater code, and by status ('all', 'active', 'inactive'); ``has_code`` says whether an access
    code is issued."""
    text = " ".join(str(query).split())
    conditions, values = [], []
    if text:
        conditions.append("(instr(name, ?) > 0 OR instr(uscc, ?) > 0)")
        values += [text, text.upper()]
    if status in ("active", "inactive"):
        conditions.append("active = ?")
        values.append(1 if status == "active" else 0)
    where = f"WHERE {' AND '.join(conditions)}" if conditions else ""
    return list(db.query(
        f"""SELECT uscc, name, panel, industry, contact_person, contact_phone, active,
                   access_code_hash IS NOT NULL AS has_code
            FROM enterprises {where} ORDER BY active DESC, name, uscc""", values))


@requires("roster.manage")
def add_enterprise(db, actor: Actor, uscc: str, name: str, industry: str = "",
                   contact_person: str = "", contact_phone: str = "") -> str:
    record = {"uscc": validate_uscc(uscc), **_enterprise_details(name, industry, contact_person, contact_phone)}
    with write_transaction(db):
        existing = list(db.query("SELECT name FROM enterprises WHERE uscc = ?", [record["uscc"]]))
        if existing:
            raise InvalidInput("roster_admin.enterprise_exists", uscc=record["uscc"], name=existing[0]["name"])
        db["enterprises"].insert(record)
        audit.record(db, actor, "enterprise.added", record["uscc"], name=record["name"])
    return record["uscc"]


@requires("roster.manage")
def update_enterprise(db, actor: Actor, uscc: str, name: str, industry: str = "",
                      contact_person: str = "", contact_phone: str = "") -> None:
    """Change an enterprise's name, industry and contacts (the credit code is its identity)."""
    changes = _enterprise_details(name, industry, contact_person, contact_phone)
    with write_transaction(db):
        current = _get_enterprise(db, uscc)
        db.execute(
            "UPDATE enterprises SET name = ?, industry = ?, contact_person = ?, contact_phone = ? WHERE uscc = ?",
            [*(changes[f] for f in ENTERPRISE_FIELDS), current["uscc"]])
        audit.record(db, actor, "enterprise.updated", current["uscc"], **_changed(current, changes))


@requires("roster.manage")
def set_enterprise_active(db, actor: Actor, uscc: str, active: bool) -> None:
    """Deactivate (it can no longer sign in; its past responses stay) or reactivate."""
    with write_transaction(db):
        current = _get_enterprise(db, uscc)
        if bool(current["active"]) == active:
            key = "roster_admin.enterprise_already_active" if active else "roster_admin.enterprise_already_inactive"
            raise InvalidInput(key, uscc=current["uscc"])
        db.execute("UPDATE enterprises SET active = ? WHERE uscc = ?", [int(active), current["uscc"]])
        audit.record(db, actor, "enterprise.reactivated" if active else "enterprise.deactivated", current["uscc"])
