"""Dozens of enterprises at once through the real server (Streamlit's websocket,
bench/streamlit_client.py), while another connection holds the database's write
lock for longer than SQLite's own wait: a save may be slow or refused with the
clear message, never lost, never an exception. A small version of
bench/bench_load.py."""
import asyncio
import sqlite3
import threading
import time

import pytest

from bench import bench_load
from tests.browser_support import start_server

SESSIONS = 30
RATE = 10.0            # interactions per second offered, all sessions together
SECONDS = 24
HOLD_AFTER, HOLD_FOR = 4.0, 11.0   # longer than SQLite's busy timeout (10 s)
WRITE_WAIT_SECONDS = "2"          # the server's write budget: shorter than the hold


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with pytest.MonkeyPatch.context() as env:
        env.setenv("QIPING_WRITE_WAIT_SECONDS", WRITE_WAIT_SECONDS)
        running = start_server(tmp_path_factory.mktemp("overload"))
    yield running
    running.stop()


def hold_write_lock_later(db_path, held: threading.Event) -> threading.Thread:
    def hold():
        time.sleep(HOLD_AFTER)
        conn = sqlite3.connect(db_path, isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
        held.set()
        time.sleep(HOLD_FOR)
        conn.rollback()
        conn.close()
    return threading.Thread(target=hold)


@pytest.mark.sqlite_only  # holds SQLite's write lock from outside the app; on PostgreSQL: tests/services/test_postgres.py
def test_many_sessions_with_the_write_lock_held_elsewhere_lose_nothing_and_see_no_exception(server):
    held = threading.Event()
    holder = hold_write_lock_later(server.db_path, held)
    try:
        ledger = asyncio.run(bench_load.drive(server.url, server.db_path, SESSIONS, RATE, SECONDS,
                                              on_start=holder.start))
    finally:
        if holder.is_alive():
            holder.join()
    checked = bench_load.check_database(server.db_path, ledger)
    row = bench_load.summarise(ledger, SESSIONS, RATE, checked)
    print(row)

    assert held.is_set()
    outcomes = [(i.kind, i.outcome, i.detail) for i in ledger.interactions]
    assert [o for o in outcomes if o[1] in ("exception", "error", "no_answer")] == []
    assert row["busy"] > 0        # the held lock did reach the enterprises ...
    assert row["saves_confirmed"] > 0  # ... and saves went through around it
    assert checked == {"lost": 0, "stored_refused": 0, "duplicated": 0, "integrity": "ok"}
    # every enterprise was told something: its save confirmed, or the clear message
    told = {s.session for s in ledger.saves if s.outcome in ("confirmed", "busy")}
    assert told == set(range(1, SESSIONS + 1)), server.log_tail()
