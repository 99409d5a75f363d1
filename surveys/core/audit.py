"""The audit log: who did what, when. Written inside the caller's transaction,
so an action and its record commit or vanish together."""
from __future__ import annotations

import json

import sqlite_utils

from surveys.core import clock
from surveys.core.actors import Actor


def record(db: sqlite_utils.Database, actor: Actor, action: str, target: str = "", **detail) -> None:
    db.execute(
        "INSERT INTO audit_log (at, actor, action, target, detail) VALUES (?, ?, ?, ?, ?)",
        [clock.now_iso(), actor.audit_name, action, target, json.dumps(detail, ensure_ascii=False)],
    )


def entries(db: sqlite_utils.Database, limit: int = 200) -> list[dict]:
    return list(db.query("SELECT * FROM audit_log ORDER BY id DESC LIMIT ?", [limit]))
