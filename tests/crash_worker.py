"""Run one operation against a database and get killed in the middle of it.

Used by test_crash.py: ``python tests/crash_worker.py MODE DB [FILE]``. With
QIPING_CRASH_PAUSE=1 the worker announces "INSIDE" on stdout from within the
operation's transaction (when it writes the audit record) and waits there, so
the test can kill it at that exact point; without it, the test kills it at a
random moment.
"""
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from surveys.core import audit
from surveys.results import finalise
from surveys.participants import registry
from surveys.collection import responses  # noqa: E402
from surveys.core.actors import ADMIN, ENTERPRISE, Actor  # noqa: E402
from surveys.storage.db import connect  # noqa: E402

ADMIN_ACTOR = Actor(role=ADMIN, id="crash-test")
ITEMS = ["efficiency", "attitude", "lawfulness", "integrity", "convenience"]


def pause_inside_transactions() -> None:
    original = audit.record

    def record_then_wait(db, *args, **kwargs):
        original(db, *args, **kwargs)
        if db.conn.in_transaction:
            print("INSIDE", flush=True)
            time.sleep(60)

    audit.record = record_then_wait


def main(mode: str, path: str, file: str | None = None) -> None:
    if os.environ.get("QIPING_CRASH_PAUSE") == "1":
        pause_inside_transactions()
    db = connect(path)
    print("READY", flush=True)
    if mode == "import":
        registry.import_enterprises(db, ADMIN_ACTOR, Path(file).read_bytes(), "roster.csv")
    elif mode == "save":
        usccs = [r[0] for r in db.execute("SELECT uscc FROM enterprises ORDER BY uscc")]
        agencies = [r[0] for r in db.execute("SELECT code FROM agencies ORDER BY code")]
        n = 0
        while True:
            for uscc in usccs:
                for agency in agencies:
                    n += 1
                    ratings = {item: (n + i) % 5 + 1 for i, item in enumerate(ITEMS)}
                    responses.save_response(db, Actor(role=ENTERPRISE, id=uscc), "2026Q4", agency, ratings, f"n{n}")
    elif mode == "finalise":
        finalise.finalise_round(db, ADMIN_ACTOR, "2026Q4")
    print("DONE", flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:])
