"""A process killed (SIGKILL) in the middle of an import, a save or a
finalisation leaves a consistent database holding all or none of that work."""
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path


from conftest import ADMIN_ACTOR, PINNED_NOW, dump
from surveys.collection import rounds
from surveys.storage.db import connect
from surveys.participants.uscc import make_uscc

WORKER = Path(__file__).resolve().parents[1] / "crash_worker.py"


def start(mode, db_path, *extra, pause=True):
    # the worker's clock starts where the tests' is pinned: the demo's open round is open on any day
    env = dict(os.environ, QIPING_CRASH_PAUSE="1" if pause else "0", QIPING_CLOCK_START=PINNED_NOW.isoformat())
    process = subprocess.Popen([sys.executable, str(WORKER), mode, str(db_path), *map(str, extra)],
                               stdout=subprocess.PIPE, text=True, env=env)
    assert process.stdout.readline().strip() == "READY"
    return process


def kill_when_inside(process):
    line = process.stdout.readline().strip()
    assert line == "INSIDE", line
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)


def consistent(db_path):
    db = connect(db_path)
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    return db


def roster_file(tmp_path, count):
    lines = ["uscc,name"] + [f"{make_uscc(f'91511099MA{i:07d}')},Crash Test Enterprise {i}" for i in range(count)]
    path = tmp_path / "roster.csv"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def new_enterprises(db):
    return db.execute("SELECT count(*) FROM enterprises WHERE name LIKE 'Crash Test%'").fetchone()[0]


def test_import_killed_inside_its_transaction_imports_nothing(demo_path, tmp_path):
    before = dump(connect(demo_path))
    kill_when_inside(start("import", demo_path, roster_file(tmp_path, 2000)))
    db = consistent(demo_path)
    assert new_enterprises(db) == 0
    assert dump(db) == before


def test_import_killed_at_random_moments_is_all_or_nothing(demo_path, tmp_path):
    roster = roster_file(tmp_path, 5000)
    outcomes = set()
    for attempt in range(4):
        process = start("import", demo_path, roster, pause=False)
        time.sleep(random.Random(attempt).uniform(0.0, 0.6))
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        count = new_enterprises(consistent(demo_path))
        assert count in (0, 5000)
        outcomes.add(count)
    assert outcomes  # at least one run observed; which outcome depends on timing


def test_save_killed_inside_keeps_earlier_answers_and_drops_the_interrupted_one(demo_path):
    before = dump(connect(demo_path))
    kill_when_inside(start("save", demo_path))
    db = consistent(demo_path)
    # the interrupted save left nothing: not its response row, not its ratings, not its audit record
    assert dump(db) == before


def test_saves_killed_at_a_random_moment_leave_only_whole_answers(demo_path):
    process = start("save", demo_path, pause=False)
    time.sleep(1.0)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    db = consistent(demo_path)
    saved = db.execute("SELECT count(*) FROM responses WHERE comment LIKE 'n%' AND round = '2026Q4'").fetchone()[0]
    assert saved > 0
    partial = db.execute("SELECT count(*) FROM responses r WHERE "
                         "(SELECT count(*) FROM response_ratings WHERE response_id = r.id) <> 5").fetchone()[0]
    assert partial == 0


def test_finalise_killed_inside_leaves_the_round_closed_without_results(demo_path):
    db = connect(demo_path)
    rounds.close_round(db, ADMIN_ACTOR, "2026Q4")
    before = dump(db)
    db.close()
    kill_when_inside(start("finalise", demo_path))
    db = consistent(demo_path)
    assert dump(db) == before
    assert rounds.get_round(db, "2026Q4")["status"] == "closed"
    assert db.execute("SELECT count(*) FROM finalisations WHERE round = '2026Q4'").fetchone()[0] == 0
    # and it can be finalised afterwards, completely
    process = start("finalise", demo_path, pause=False)
    assert process.stdout.readline().strip() == "DONE"
    process.wait(timeout=30)
    db = consistent(demo_path)
    assert rounds.get_round(db, "2026Q4")["status"] == "finalised"
    assert db.execute("SELECT count(*) FROM current_results WHERE round = '2026Q4'").fetchone()[0] == 22
