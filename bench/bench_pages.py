"""How long the dashboard pages take to run, next to a bare page, measured with
Streamlit's AppTest in the same process and run.

Two counties:
* the demo county (22 agencies, 300 enterprises, ~3,500 responses over nine rounds);
* a county ten times its size in every dimension: 220 agencies, 3,000 enterprises
  and ~35,000 responses with the same rounds (eight finalised and published through
  the real finalisation, one open), generated here with a fixed seed.

For each county three scripts are run, interleaved so that they share the
machine's load: a bare page (``st.title`` only), the county overview signed in as
the discipline office, and an agency's page signed in as that agency's staff.
Every run is a fresh AppTest (a new session, as a user opening the page). The
first run of each page fills the caches; the figure is the median of the runs
after it (data unchanged, so served from the caches keyed on the data version),
and the first (cold) run is reported too.
Targets (issue 6): both pages under 1 s and within 5x of the bare page.

    python bench/bench_pages.py [--runs 15] [--skip-large]
"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from unittest import mock

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QIPING_HASH_COST", "test")  # the demo's access codes: hashing is not measured here

from streamlit.testing.v1 import AppTest  # noqa: E402

from surveys import startup
from surveys.results import finalise
from surveys.collection import questionnaire  # noqa: E402
from surveys.core.actors import ADMIN, AGENCY, DISCIPLINE, Actor  # noqa: E402
from surveys.participants.uscc import make_uscc  # noqa: E402

PAGES = ROOT / "app_pages"
TARGET_MS = 1000.0
TARGET_RATIO = 5.0
SCALE = 10
PAST_ROUNDS = ["2024Q4", "2025Q1", "2025Q2", "2025Q3", "2025Q4", "2026Q1", "2026Q2", "2026Q3"]
OPEN_ROUND = "2026Q4"
BARE_PAGE = 'import streamlit as st\nst.title("bare")\n'


# --- the counties -------------------------------------------------------------------

def demo_county(path: Path) -> Path:
    os.environ["QIPING_DEMO"] = "1"
    startup.prepare(path).close()
    return path


def large_county(path: Path, scale: int = SCALE, seed: int = 20261122) -> Path:
    """``scale`` times the demo county: agencies, enterprises and responses."""
    os.environ["QIPING_DEMO"] = "0"
    rng = random.Random(seed)
    db = startup.prepare(path)
    agencies = [{"code": f"A{i:03d}", "name_zh": f"部门{i:03d}", "name_en": f"Agency {i:03d}",
                 "category": ("approval", "service", "utility")[i % 3]} for i in range(22 * scale)]
    usccs = [make_uscc(f"91511022MB{i:07d}") for i in range(300 * scale)]
    db["agencies"].insert_all(agencies)
    db["enterprises"].insert_all({"uscc": u, "name": f"企业{i}"} for i, u in enumerate(usccs))
    items = questionnaire.get_questionnaire(db, 1).item_codes
    levels = {a["code"]: rng.uniform(55, 95) for a in agencies}
    with db.conn:
        for round_name in [*PAST_ROUNDS, OPEN_ROUND]:
            status = "open" if round_name == OPEN_ROUND else "closed"
            db.execute("INSERT INTO rounds (name, status, questionnaire_version, opens_on, closes_on, created_at)"
                       " VALUES (?, ?, 1, '2024-01-01', '2099-12-31', '2024-01-01')", [round_name, status])
            for agency in agencies:
                n = rng.randint(3, 12) if round_name == OPEN_ROUND else rng.randint(2, 30)
                _answer(db, rng, round_name, agency["code"], rng.sample(usccs, n), items, levels[agency["code"]])
    organiser = Actor(role=ADMIN, id="bench")
    for round_name in PAST_ROUNDS:
        finalise.finalise_round(db, organiser, round_name)
        finalise.publish_round(db, organiser, round_name)
    db.close()
    return path


def _answer(db, rng, round_name, agency, raters, items, level) -> None:
    for uscc in raters:
        response_id = db.execute(
            "INSERT INTO responses (round, enterprise, agency, comment, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, '2024-01-01', '2024-01-01') RETURNING id",
            [round_name, uscc, agency, "办事效率有待提高" if rng.random() < 0.3 else ""]).fetchone()[0]
        db.conn.executemany("INSERT INTO response_ratings (response_id, item, rating) VALUES (?, ?, ?)",
                            [(response_id, item, max(1, min(5, round((level + rng.gauss(0, 15)) / 25) + 1)))
                             for item in items])


# --- timing --------------------------------------------------------------------------

def run_page(script: Path, db_path: Path, actor: Actor | None) -> float:
    os.environ["QIPING_DB"] = str(db_path)
    at = AppTest.from_file(str(script), default_timeout=120)
    if actor is not None:
        at.session_state["actor"] = actor
    start = time.perf_counter()
    at.run()
    elapsed = time.perf_counter() - start
    if at.exception:
        raise RuntimeError(f"{script.name} failed: {at.exception[0].value}")
    return elapsed


def measure(label: str, db_path: Path, agency: str, bare: Path, runs: int) -> list[dict]:
    pages = {
        "bare page": (bare, None),
        "county overview (discipline office)": (PAGES / "shared" / "county_overview.py", Actor(DISCIPLINE, "discipline")),
        f"agency page ({agency}, its own staff)": (PAGES / "shared" / "agency_dashboard.py",
                                                    Actor(AGENCY, agency.lower(), agency_code=agency)),
    }
    cold = {name: run_page(script, db_path, actor) for name, (script, actor) in pages.items()}
    warm: dict[str, list[float]] = {name: [] for name in pages}
    for _ in range(runs):  # interleaved: the three share the machine's load
        for name, (script, actor) in pages.items():
            warm[name].append(run_page(script, db_path, actor))
    bare_ms = statistics.median(warm["bare page"]) * 1000
    rows = [{"name": f"{label}: bare page, median", "figure": bare_ms, "unit": "ms"}]
    for name in list(pages)[1:]:
        median_ms = statistics.median(warm[name]) * 1000
        rows.append({"name": f"{label}: {name}, median", "figure": median_ms, "unit": "ms",
                     "reference": f"bare page {bare_ms:.0f} ms", "ratio": median_ms / bare_ms,
                     "target": f"< {TARGET_MS:.0f} ms, <= {TARGET_RATIO:.0f}x bare"})
        rows.append({"name": f"{label}: {name}, first run (cold caches)", "figure": cold[name] * 1000,
                     "unit": "ms"})
    return rows


def main(runs: int = 15, large: bool = True) -> list[dict]:
    with mock.patch.dict(os.environ), tempfile.TemporaryDirectory() as tmp:  # settings put back afterwards
        tmp = Path(tmp)
        bare = tmp / "bare_page.py"
        bare.write_text(BARE_PAGE, encoding="utf-8")
        rows = measure("demo county (22 agencies)", demo_county(tmp / "demo.db"), "SCJG", bare, runs)
        if large:
            start = time.perf_counter()
            path = large_county(tmp / "large.db")
            built = time.perf_counter() - start
            rows += measure(f"10x county ({22 * SCALE} agencies, {300 * SCALE} enterprises)", path, "A007",
                            bare, runs)
            rows.append({"name": "10x county: generating and finalising it", "figure": built, "unit": "s"})
    return rows


def print_rows(rows: list[dict]) -> None:
    for row in rows:
        ratio = f"{row['ratio']:.2f}x" if "ratio" in row else ""
        print(f"{row['name']:<92} {row['figure']:>9.1f} {row['unit']:<3} {ratio:>6}  {row.get('target', '')}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--skip-large", action="store_true")
    arguments = parser.parse_args()
    print_rows(main(arguments.runs, large=not arguments.skip_large))
