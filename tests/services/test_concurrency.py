"""Many enterprises saving and revising at once, through the service layer."""
import random
import threading

from conftest import make_world
from surveys.collection import responses
from surveys.storage.db import connect

WORKERS = 50
OPERATIONS = 1000
ITEMS = ["efficiency", "attitude", "lawfulness", "integrity", "convenience"]


def ratings_for(op: int) -> dict:
    """Each operation writes a rating vector that identifies it, so a mix would show."""
    digits = [(op // 5 ** k) % 5 + 1 for k in range(5)]
    return dict(zip(ITEMS, digits))


def test_fifty_workers_save_and_revise_without_loss_or_mix(db, tmp_path):
    people = make_world(db, enterprises=10)
    path = db.conn.execute("PRAGMA database_list").fetchone()[2]
    pairs = [(who, agency) for who in people for agency in ("FGW", "SCJG")]
    plan = [(op, *random.Random(op).choice(pairs)) for op in range(OPERATIONS)]
    chunks = [plan[i::WORKERS] for i in range(WORKERS)]
    errors = []

    def work(chunk):
        conn = connect(path)
        try:
            for op, who, agency in chunk:
                responses.save_response(conn, who, "2026Q4", agency, ratings_for(op), f"op-{op}")
        except Exception as exc:  # collected and asserted below: a worker must not fail
            errors.append(exc)
        finally:
            conn.close()

    threads = [threading.Thread(target=work, args=(chunk,)) for chunk in chunks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []

    check = connect(path)
    assert check.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    ops_per_pair = {}
    for op, who, agency in plan:
        ops_per_pair.setdefault((who.id, agency), []).append(op)
    stored = check.execute("SELECT id, enterprise, agency, comment, revision FROM responses").fetchall()
    assert len(stored) == len(ops_per_pair)  # every saved pair exactly once
    for response_id, uscc, agency, comment, revision in stored:
        ops = ops_per_pair[(uscc, agency)]
        assert revision == len(ops)  # no revision lost
        op = int(comment.removeprefix("op-"))
        assert op in ops
        ratings = dict(check.execute("SELECT item, rating FROM response_ratings WHERE response_id = ?",
                                     [response_id]).fetchall())
        assert ratings == ratings_for(op)  # the ratings belong to the same revision as the comment
    audited = check.execute("SELECT count(*) FROM audit_log WHERE action LIKE 'response.%'").fetchone()[0]
    assert audited == OPERATIONS
