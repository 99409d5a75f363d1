"""A province-size database, generated in bulk (issue 16 item 5): by default 2,200 agencies
in the four groups, 100,000 enterprises and 300,000 responses in each of three rounds (two
finalised and published through the real finalisation, one open), with a fixed seed.

Rows are written with executemany in one transaction per table (ids given, no RETURNING per
row), so the default build takes about a minute on these machines; smaller sizes are options.
Used by bench/bench_province.py and, small, by the tests that check the charts and the bulletin
at many agencies.

    python bench/province_data.py PATH [--agencies 2200] [--responses 300000] [--rounds 3]
"""
from __future__ import annotations

import argparse
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from surveys import startup  # noqa: E402
from surveys.collection import questionnaire  # noqa: E402
from surveys.core.actors import ADMIN, Actor  # noqa: E402
from surveys.participants.uscc import make_uscc  # noqa: E402
from surveys.results import finalise  # noqa: E402
from surveys.results import stored_scores  # noqa: E402

AGENCIES, RESPONSES, ROUNDS = 2200, 300_000, 3
ALL_ROUNDS = ["2025Q3", "2025Q4", "2026Q1", "2026Q2", "2026Q3", "2026Q4"]
GROUPS = ("approval", "enforcement", "service", "utility")
STAMP = "2026-01-01T00:00:00+08:00"
COMMENT = "办事效率有待提高"


def round_names(rounds: int) -> list[str]:
    """The last ``rounds`` quarters of ALL_ROUNDS, oldest first: all finalised but the last, which is open."""
    if not 2 <= rounds <= len(ALL_ROUNDS):
        raise ValueError(f"rounds: between 2 and {len(ALL_ROUNDS)}, not {rounds}")
    return ALL_ROUNDS[-rounds:]


def agency_rows(count: int) -> list[dict]:
    return [{"code": f"P{i:04d}", "name_zh": f"部门{i:04d}", "name_en": f"Agency {i:04d}",
             "category": GROUPS[i % len(GROUPS)], "group_code": GROUPS[i % len(GROUPS)]} for i in range(count)]


def build(path: Path, agencies: int = AGENCIES, responses: int = RESPONSES, rounds: int = ROUNDS,
          seed: int = 20261205) -> Path:
    """Writes the province at ``path`` (a new file) and returns it."""
    os.environ["QIPING_DEMO"] = "0"
    rng = random.Random(seed)
    db = startup.prepare(path)
    names = round_names(rounds)
    agency_list = agency_rows(agencies)
    enterprises = max(responses // 3, 200)
    usccs = [make_uscc(f"91510000MB{i:07d}") for i in range(enterprises)]
    items = questionnaire.get_questionnaire(db, 1).item_codes
    levels = [rng.uniform(50, 95) for _ in agency_list]
    with db.conn:
        db["agencies"].insert_all(agency_list, batch_size=5000)
        db.conn.executemany("INSERT INTO enterprises (uscc, name) VALUES (?, ?)",
                            ((u, f"企业{i}") for i, u in enumerate(usccs)))
        next_id = 1
        for round_name in names:
            status = "open" if round_name == names[-1] else "closed"
            db.execute("INSERT INTO rounds (name, status, questionnaire_version, opens_on, closes_on, created_at)"
                       " VALUES (?, ?, 1, '2025-01-01', '2099-12-31', ?)", [round_name, status, STAMP])
            next_id = _answer_round(db, rng, round_name, agency_list, levels, usccs, items, responses, next_id)
        # the open round's scores, as each answer's save would have stored it (surveys/results/stored_scores.py)
        stored_scores.store_round(db, next(db.query("SELECT * FROM rounds WHERE name = ?", [names[-1]])))
    organiser = Actor(role=ADMIN, id="bench")
    for round_name in names[:-1]:
        finalise.finalise_round(db, organiser, round_name)
        finalise.publish_round(db, organiser, round_name)
    db.close()
    return path


def _answer_round(db, rng, round_name, agency_list, levels, usccs, items, responses, next_id) -> int:
    """``responses`` responses spread over the agencies (a few agencies too thin to grade);
    each agency's raters are distinct enterprises, so (round, enterprise, agency) stays unique."""
    per_agency = responses // len(agency_list)
    response_rows, rating_rows = [], []
    for index, agency in enumerate(agency_list):
        n = rng.randint(1, 4) if index % 97 == 0 else max(1, per_agency + rng.randint(-per_agency // 3, per_agency // 3))
        start = rng.randrange(len(usccs))
        for k in range(min(n, len(usccs))):
            uscc = usccs[(start + k * 7919) % len(usccs)]  # a prime stride: distinct raters
            response_rows.append((next_id, round_name, uscc, agency["code"], COMMENT if rng.random() < 0.1 else "",
                                  STAMP, STAMP))
            level = levels[index]
            rating_rows.extend((next_id, item, max(1, min(5, round((level + rng.gauss(0, 15)) / 25) + 1)))
                               for item in items)
            next_id += 1
    db.conn.executemany("INSERT INTO responses (id, round, enterprise, agency, comment, created_at, updated_at)"
                        " VALUES (?, ?, ?, ?, ?, ?, ?)", response_rows)
    db.conn.executemany("INSERT INTO response_ratings (response_id, item, rating) VALUES (?, ?, ?)", rating_rows)
    return next_id


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("path", type=Path)
    parser.add_argument("--agencies", type=int, default=AGENCIES)
    parser.add_argument("--responses", type=int, default=RESPONSES, help="responses in each round")
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    arguments = parser.parse_args()
    if arguments.path.exists():
        sys.exit(f"{arguments.path}: exists already; give a new file")
    began = time.perf_counter()
    build(arguments.path, arguments.agencies, arguments.responses, arguments.rounds)
    print(f"{arguments.path}: {arguments.agencies} agencies, {arguments.responses} responses a round, "
          f"{arguments.rounds} rounds in {time.perf_counter() - began:.1f} s")
