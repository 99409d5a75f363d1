"""The agency groups (DESIGN §4.9), kept by the administrator: approval, enforcement,
service and utility to begin with (migration 8, with their Chinese names), added to,
renamed and put in order here.

A group's code is its identity: stored results keep the code of the group their
agency was in when the round was finalised, so renaming a group renames it in
history too, while deleting one is refused as long as any agency, active or not,
or any stored result still belongs to it. Which group each agency is in is part
of the roster (``roster_admin.set_agency_group``, the roster import's group column).
"""
from __future__ import annotations

import sqlite_utils

from surveys.core import audit
from surveys.core.actors import Actor
from surveys.core.errors import InvalidInput, NotFound
from surveys.core.permissions import requires
from surveys.participants.registry import list_groups
from surveys.participants.roster_admin import clean_text
from surveys.storage.db import write_transaction

MAX_GROUP_CODE = 20
MAX_GROUP_NAME = 30


def _code(value) -> str:
    code = clean_text(value, "group_code", required=True, maximum=MAX_GROUP_CODE).lower()
    if not (code.isascii() and code.replace("_", "").isalnum()):
        raise InvalidInput("groups.bad_code", value=code)
    return code


def _names(name_zh, name_en) -> dict:
    return {"name_zh": clean_text(name_zh, "group_name_zh", required=True, maximum=MAX_GROUP_NAME),
            "name_en": clean_text(name_en, "group_name_en", maximum=MAX_GROUP_NAME)}


def _get(db: sqlite_utils.Database, code: str) -> dict:
    rows = list(db.query("SELECT * FROM agency_groups WHERE code = ?", [str(code).strip().lower()]))
    if not rows:
        raise NotFound("groups.not_found", code=code)
    return rows[0]


def _refuse_duplicate_name(db, names: dict, except_code: str | None = None) -> None:
    """Two groups with one name could not be told apart on a page or in an import file."""
    for group in list_groups(db):
        if group["code"] == except_code:
            continue
        for field in ("name_zh", "name_en"):
            if names[field] and names[field].casefold() == group[field].casefold():
                raise InvalidInput("groups.name_taken", name=names[field], code=group["code"])


def usage(db: sqlite_utils.Database, code: str) -> dict[str, int]:
    """How many agencies (active or not) and stored results belong to a group."""
    agencies = db.execute("SELECT count(*) FROM agencies WHERE group_code = ?", [code]).fetchone()[0]
    results = db.execute("SELECT count(*) FROM results WHERE agency_group = ?", [code]).fetchone()[0]
    return {"agencies": agencies, "results": results}


@requires("groups.manage")
def groups_overview(db: sqlite_utils.Database, actor: Actor) -> list[dict]:
    """Every group in order, with its agencies (active ones and all) and whether it may be deleted."""
    rows = list_groups(db)
    for row in rows:
        row.update(usage(db, row["code"]))
        row["active_agencies"] = db.execute("SELECT count(*) FROM agencies WHERE group_code = ? AND active = 1",
                                            [row["code"]]).fetchone()[0]
        row["in_use"] = bool(row["agencies"] or row["results"])
    return rows


@requires("groups.manage")
def add_group(db, actor: Actor, code: str, name_zh: str, name_en: str = "") -> str:
    """A new group, placed last."""
    record = {"code": _code(code), **_names(name_zh, name_en)}
    with write_transaction(db):
        existing = list(db.query("SELECT name_zh FROM agency_groups WHERE code = ?", [record["code"]]))
        if existing:
            raise InvalidInput("groups.exists", code=record["code"], name=existing[0]["name_zh"])
        _refuse_duplicate_name(db, record)
        record["position"] = db.execute("SELECT coalesce(max(position), 0) + 1 FROM agency_groups").fetchone()[0]
        db["agency_groups"].insert(record)
        audit.record(db, actor, "group.added", record["code"], name_zh=record["name_zh"], name_en=record["name_en"])
    return record["code"]


@requires("groups.manage")
def rename_group(db, actor: Actor, code: str, name_zh: str, name_en: str = "") -> None:
    """New names for a group (its code stays, and with it every agency and result that belongs to it)."""
    names = _names(name_zh, name_en)
    with write_transaction(db):
        current = _get(db, code)
        _refuse_duplicate_name(db, names, except_code=current["code"])
        changed = {k: [current[k], v] for k, v in names.items() if current[k] != v}
        if not changed:
            return
        db.execute("UPDATE agency_groups SET name_zh = ?, name_en = ? WHERE code = ?",
                   [names["name_zh"], names["name_en"], current["code"]])
        audit.record(db, actor, "group.renamed", current["code"], **changed)


@requires("groups.manage")
def reorder_groups(db, actor: Actor, codes: list[str]) -> None:
    """Put the groups in the order given, which must name every group once."""
    wanted = [str(c).strip().lower() for c in codes]
    with write_transaction(db):
        stored = [g["code"] for g in list_groups(db)]
        if sorted(wanted) != sorted(stored):
            raise InvalidInput("groups.order_incomplete", given=" / ".join(wanted), groups=" / ".join(stored))
        if wanted == stored:
            return
        for position, code in enumerate(wanted, 1):
            db.execute("UPDATE agency_groups SET position = ? WHERE code = ?", [position, code])
        audit.record(db, actor, "group.reordered", "agency_groups", order=wanted)


@requires("groups.manage")
def move_group(db, actor: Actor, code: str, step: int) -> None:
    """One place up (step -1) or down (+1); at either end it stays where it is."""
    order = [g["code"] for g in list_groups(db)]
    current = _get(db, code)["code"]
    index = order.index(current)
    target = max(0, min(len(order) - 1, index + (1 if step > 0 else -1)))
    order[index], order[target] = order[target], order[index]
    reorder_groups(db, actor, order)


@requires("groups.manage")
def delete_group(db, actor: Actor, code: str) -> None:
    """Delete a group nobody belongs to; one with agencies or stored results is refused, saying how many."""
    with write_transaction(db):
        current = _get(db, code)
        used = usage(db, current["code"])
        if used["agencies"]:
            raise InvalidInput("groups.in_use_agencies", name=current["name_zh"], count=used["agencies"])
        if used["results"]:
            raise InvalidInput("groups.in_use_results", name=current["name_zh"], count=used["results"])
        if db.execute("SELECT count(*) FROM agency_groups").fetchone()[0] <= 1:
            raise InvalidInput("groups.last_group", name=current["name_zh"])
        db.execute("DELETE FROM agency_groups WHERE code = ?", [current["code"]])
        audit.record(db, actor, "group.deleted", current["code"], name_zh=current["name_zh"])
