"""Backups: `python -m surveys backup FILE` while the app writes, and a restore
that gives back exactly what was there."""
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

pytestmark = pytest.mark.sqlite_only  # SQLite's online backup API; on PostgreSQL, pg_dump (docs/deployment.md)

from conftest import FULL, dump, enterprise_actor
from surveys.storage import backup
from surveys.collection import responses
from surveys.storage.db import connect
from surveys.core.errors import InvalidInput

ROOT = Path(__file__).resolve().parents[2]


def cli(*args, db_path):
    env = dict(os.environ, QIPING_DB=str(db_path), QIPING_LANG="en")
    return subprocess.run([sys.executable, "-m", "surveys", *args], capture_output=True, text=True,
                          env=env, cwd=ROOT, timeout=120)


def test_backup_and_restore_give_back_exactly_what_was_there(demo_path, tmp_path):
    live = connect(demo_path)
    original = dump(live)
    result = cli("backup", str(tmp_path / "copy.db"), db_path=demo_path)
    assert result.returncode == 0, result.stderr
    assert "Backed up" in result.stdout
    # the county changes after the backup…
    live.execute("DELETE FROM response_ratings")
    live.execute("UPDATE agencies SET name_en = 'changed'")
    assert dump(live) != original
    live.close()
    # …and the restore brings it back exactly
    result = cli("restore", str(tmp_path / "copy.db"), db_path=demo_path)
    assert result.returncode == 0, result.stderr
    assert dump(connect(demo_path)) == original


def test_backup_while_the_app_writes_is_consistent(demo_path, tmp_path):
    db = connect(demo_path)
    uscc = db.execute("SELECT uscc FROM enterprises LIMIT 1").fetchone()[0]
    agencies = [r[0] for r in db.execute("SELECT code FROM agencies")]
    stop = threading.Event()

    def keep_writing():
        writer = connect(demo_path)
        me = enterprise_actor(uscc)
        while not stop.is_set():
            for code in agencies:
                responses.save_response(writer, me, "2026Q4", code, FULL, "still writing")

    thread = threading.Thread(target=keep_writing)
    thread.start()
    try:
        for n in range(3):
            backup.backup_database(demo_path, tmp_path / f"b{n}.db")
    finally:
        stop.set()
        thread.join()
    for n in range(3):
        copy = connect(tmp_path / f"b{n}.db")
        assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        # every response in the copy has all its ratings: no half-saved answer
        incomplete = copy.execute(
            "SELECT count(*) FROM responses r WHERE (SELECT count(*) FROM response_ratings WHERE response_id = r.id) <> 5"
        ).fetchone()[0]
        assert incomplete == 0


def test_backup_refuses_to_overwrite_and_names_missing_files(demo_path, tmp_path):
    target = tmp_path / "b.db"
    backup.backup_database(demo_path, target)
    with pytest.raises(InvalidInput) as caught:
        backup.backup_database(demo_path, target)
    assert caught.value.key == "backup.target_exists"
    backup.backup_database(demo_path, target, overwrite=True)
    with pytest.raises(InvalidInput):
        backup.restore_database(tmp_path / "missing.db", demo_path)
    result = cli("backup", str(target), db_path=demo_path)
    assert result.returncode == 1 and "--overwrite" in result.stderr


def test_a_damaged_backup_is_not_restored(demo_path, tmp_path):
    target = tmp_path / "b.db"
    backup.backup_database(demo_path, target)
    data = bytearray(target.read_bytes())
    data[len(data) // 2: len(data) // 2 + 4096] = b"\x00" * 4096
    target.write_bytes(bytes(data))
    before = dump(connect(demo_path))
    with pytest.raises(Exception):
        backup.restore_database(target, demo_path)
    assert dump(connect(demo_path)) == before
