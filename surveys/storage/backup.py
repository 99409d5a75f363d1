"""Backups through SQLite's online backup API: safe while the app is running,
because SQLite copies a consistent snapshot page by page under its own locks."""
from __future__ import annotations

import sqlite3
from pathlib import Path

from surveys.core.errors import InvalidInput


def _check_integrity(connection: sqlite3.Connection, path: Path) -> None:
    result = connection.execute("PRAGMA integrity_check").fetchone()[0]
    if result != "ok":
        raise InvalidInput("backup.damaged", path=str(path), result=result)


def _refuse_on_postgres() -> None:
    """On PostgreSQL the server's own tools keep the backups (pg_dump), not a copy of a file."""
    from surveys.storage.db import postgres_url
    if postgres_url():
        raise InvalidInput("backup.on_postgres")


def backup_database(source: Path, target: Path, overwrite: bool = False) -> int:
    """Copy the live database ``source`` to ``target``; returns the number of pages copied."""
    _refuse_on_postgres()
    source, target = Path(source), Path(target)
    if not source.exists():
        raise InvalidInput("backup.no_database", path=str(source))
    if target.exists() and not overwrite:
        raise InvalidInput("backup.target_exists", path=str(target))
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    with sqlite3.connect(source) as live, sqlite3.connect(partial) as copy:
        live.execute("PRAGMA busy_timeout = 10000")
        live.backup(copy)
        copy.execute("PRAGMA journal_mode = DELETE")  # one self-contained file
        _check_integrity(copy, target)
        pages = copy.execute("PRAGMA page_count").fetchone()[0]
    live.close()
    copy.close()
    partial.replace(target)  # a crash mid-backup never leaves a half file under the real name
    return pages


def restore_database(backup: Path, target: Path) -> None:
    """Replace the contents of ``target`` with the backup (stop the app first)."""
    _refuse_on_postgres()
    backup, target = Path(backup), Path(target)
    if not backup.exists():
        raise InvalidInput("backup.no_backup", path=str(backup))
    with sqlite3.connect(backup) as source:
        _check_integrity(source, backup)
        with sqlite3.connect(target) as live:
            live.execute("PRAGMA busy_timeout = 10000")
            source.backup(live)
        live.close()
    source.close()
