"""How long one enterprise takes to save its ratings of 20 agencies.

Each run is one enterprise saving 20 agencies one after another through the
service layer (validation, upsert, ratings, audit log: one transaction per
agency, as in the survey). The reference is sqlite-utils inserting the same
rows into the same schema, also one transaction per agency, in the same
process and run. Target: p95 under 50 ms and within 3x of the reference.

    python bench/bench_save_ratings.py [--runs 200]
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from surveys import startup
from surveys.collection import responses
from surveys.collection import rounds  # noqa: E402
from surveys.core.actors import ADMIN, ENTERPRISE, Actor  # noqa: E402
from surveys.participants.uscc import make_uscc  # noqa: E402

AGENCIES = 20
RATINGS = {"efficiency": 5, "attitude": 4, "lawfulness": 4, "integrity": 5, "convenience": 3}
ADMIN_ACTOR = Actor(role=ADMIN, id="bench")


def build(path: Path, enterprises: int):
    os.environ["QIPING_DEMO"] = "0"  # a bare county, not the demo one
    db = startup.prepare(path)
    db["agencies"].insert_all({"code": f"A{i:02d}", "name_zh": f"部门{i}", "name_en": f"Agency {i}",
                               "category": "approval"} for i in range(AGENCIES))
    usccs = [make_uscc(f"91511022MA{i:07d}") for i in range(enterprises)]
    db["enterprises"].insert_all({"uscc": u, "name": f"企业{i}"} for i, u in enumerate(usccs))
    rounds.create_round(db, ADMIN_ACTOR, "2026Q4", "2026-11-01", "2099-12-31")
    rounds.start_round(db, ADMIN_ACTOR, "2026Q4")
    return db, usccs


def service_run(db, uscc: str) -> float:
    me = Actor(role=ENTERPRISE, id=uscc)
    start = time.perf_counter()
    for i in range(AGENCIES):
        responses.save_response(db, me, "2026Q4", f"A{i:02d}", RATINGS, "办事快")
    return time.perf_counter() - start


def raw_run(db, uscc: str, first_id: int) -> float:
    start = time.perf_counter()
    for i in range(AGENCIES):
        with db.atomic():
            db["responses"].insert({"id": first_id + i, "round": "2026Q4", "enterprise": uscc,
                                    "agency": f"A{i:02d}", "comment": "办事快", "created_at": "t",
                                    "updated_at": "t"})
            db["response_ratings"].insert_all(
                {"response_id": first_id + i, "item": k, "rating": v} for k, v in RATINGS.items())
    return time.perf_counter() - start


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main(runs: int = 200) -> list[dict]:
    with tempfile.TemporaryDirectory() as tmp:
        service_db, service_usccs = build(Path(tmp) / "service.db", runs)
        raw_db, raw_usccs = build(Path(tmp) / "raw.db", runs)
        service, raw = [], []
        for n in range(runs):  # interleaved, so both see the same machine load
            service.append(service_run(service_db, service_usccs[n]))
            raw.append(raw_run(raw_db, raw_usccs[n], 1_000_000 + n * AGENCIES))
        revise = [service_run(service_db, service_usccs[n]) for n in range(min(runs, 50))]
    ms = 1000
    service_p95, raw_p95 = percentile(service, 0.95) * ms, percentile(raw, 0.95) * ms
    service_median, raw_median = statistics.median(service) * ms, statistics.median(raw) * ms
    rows = [
        {"name": "save 20 agencies (service), median", "figure": service_median, "unit": "ms",
         "reference": raw_median, "ratio": service_median / raw_median, "target": "<= 3x"},
        {"name": "save 20 agencies (service), p95", "figure": service_p95, "unit": "ms",
         "reference": raw_p95, "ratio": service_p95 / raw_p95, "target": "< 50 ms, <= 3x"},
        {"name": "revise 20 agencies (service), p95", "figure": percentile(revise, 0.95) * ms, "unit": "ms",
         "reference": raw_p95, "ratio": percentile(revise, 0.95) * ms / raw_p95, "target": "< 50 ms"},
    ]
    return rows


def print_rows(rows: list[dict]) -> None:
    print(f"{'':<40} {'figure':>9}     {'raw sqlite-utils insert':>24} {'ratio':>7}  target")
    for row in rows:
        print(f"{row['name']:<40} {row['figure']:>9.2f} {row['unit']:<3} {row['reference']:>24.2f} "
              f"{row['ratio']:>6.2f}x  {row['target']}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=200)
    print_rows(main(parser.parse_args().runs))
