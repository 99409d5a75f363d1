"""The audit log: who did what, when. Written inside the caller's transaction,
so an action and its record commit or vanish together.

The log is a hash chain (issue 15 item 5; the recipe is in docs/integrity.md):
each entry's ``hash`` is sha256 over the canonical JSON of its own fields and the
previous entry's hash, so changing or deleting an entry breaks every hash after
it. The previous hash is read inside the write transaction, which holds SQLite's
write lock (BEGIN IMMEDIATE, surveys/storage/db.py), so concurrent writers still
make one straight line.
"""
from __future__ import annotations

import hashlib
import json

import sqlite_utils

from surveys.core import clock
from surveys.core.actors import Actor

# the "previous hash" of the first entry
GENESIS = "0" * 64
# the fields an entry's hash covers, as stored (``detail`` is the stored JSON text, byte for byte)
HASHED_FIELDS = ("id", "at", "actor", "action", "target", "detail")


def canonical_json(value) -> bytes:
    """The one serialisation every digest of the record hashes: sorted keys, no spaces, UTF-8."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def sha256_hex(value) -> str:
    return hashlib.sha256(canonical_json(value)).hexdigest()


def entry_hash(entry: dict, previous_hash: str) -> str:
    """sha256 of {"prev": previous_hash, id, at, actor, action, target, detail} as canonical JSON."""
    return sha256_hex({"prev": previous_hash, **{field: entry[field] for field in HASHED_FIELDS}})


def chain_head(db: sqlite_utils.Database) -> tuple[int, str]:
    """The newest entry's id and hash (0 and GENESIS for an empty log)."""
    row = db.execute("SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1").fetchone()
    return (row[0], row[1] or GENESIS) if row else (0, GENESIS)


def _append(db: sqlite_utils.Database, actor: Actor, action: str, target: str, detail: dict) -> None:
    last_id, last_hash = chain_head(db)
    entry = {"id": last_id + 1, "at": clock.now_iso(), "actor": actor.audit_name, "action": action,
             "target": target, "detail": json.dumps(detail, ensure_ascii=False)}
    db.execute("INSERT INTO audit_log (id, at, actor, action, target, detail, hash) VALUES (?, ?, ?, ?, ?, ?, ?)",
               [*(entry[f] for f in HASHED_FIELDS), entry_hash(entry, last_hash)])


def record(db: sqlite_utils.Database, actor: Actor, action: str, target: str = "", **detail) -> None:
    if db.conn.in_transaction:
        _append(db, actor, action, target, detail)
        return
    # reading the head and appending must not be split by another writer
    from surveys.storage.db import write_transaction
    with write_transaction(db):
        _append(db, actor, action, target, detail)


def chain_existing(db: sqlite_utils.Database) -> int:
    """Give every entry without a hash its place in the chain, oldest first (the migration
    that introduced the chain; entries are never unhashed after it). Returns how many."""
    previous = GENESIS
    sealed = 0
    for row in list(db.query(f"SELECT {', '.join(HASHED_FIELDS)}, hash FROM audit_log ORDER BY id")):
        if row["hash"] is None:
            row["hash"] = entry_hash(row, previous)
            db.execute("UPDATE audit_log SET hash = ? WHERE id = ?", [row["hash"], row["id"]])
            sealed += 1
        previous = row["hash"]
    return sealed


def first_broken_entry(db: sqlite_utils.Database) -> tuple[dict | None, int, tuple[int, str, str]]:
    """Walk the chain: the first entry whose hash does not match (with ``missing``: the ids
    absent just before it, if any), how many entries matched, and the last matching entry's
    (id, at, hash)."""
    previous, expected_id, checked = GENESIS, 1, 0
    head = (0, "", GENESIS)
    for row in db.query(f"SELECT {', '.join(HASHED_FIELDS)}, hash FROM audit_log ORDER BY id"):
        missing = list(range(expected_id, row["id"]))
        if missing or row["hash"] != entry_hash(row, previous):
            return {**row, "missing": missing}, checked, head
        previous, expected_id, checked = row["hash"], row["id"] + 1, checked + 1
        head = (row["id"], row["at"], row["hash"])
    return None, checked, head


def entries(db: sqlite_utils.Database, limit: int = 200) -> list[dict]:
    return list(db.query("SELECT * FROM audit_log ORDER BY id DESC LIMIT ?", [limit]))
