"""The scoring command line next to DuckDB on the same CSV file (issue 14 item 5).

    python bench/bench_scoring_cli_speed.py                 # 1,000,000 rows, best of 3
    python bench/bench_scoring_cli_speed.py --rows 200000 --repeats 5

Writes a responses CSV (seeded: 5 items, 40 agencies, 8 rounds, 5% blank
items, 0.5% blank responses, ~39 MB for a million rows) to the temporary
folder once, then times, taking turns, two fresh processes on it:

* ours: ``python -m scoring grade FILE`` (read, check every cell, score, grade, print);
* DuckDB: ``read_csv`` + the same per-(round, agency) n and mean response score
  in SQL, printed as CSV (DuckDB checks far less: no line numbers, no duplicate
  responses, no rating range).

Both include starting Python and importing their libraries. Figures: best
wall time of each, the ratio (target: ours within 2× DuckDB) and each
process's peak resident memory (``ru_maxrss`` of that child).
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_scoring_speed import ITEMS, build_responses, duckdb_sql  # noqa: E402

RATIO_TARGET = 2.0
DUCKDB_SCRIPT = """
import sys, duckdb
con = duckdb.connect()
path = sys.argv[1].replace("'", "''")
con.execute(f"CREATE VIEW responses AS SELECT * FROM read_csv('{path}', header = true)")
sys.stdout.write(con.execute(sys.argv[2]).df().to_csv(index=False))
"""


def responses_csv(rows: int) -> Path:
    """The benchmark file, written once per size (seeded, so always the same bytes)."""
    path = Path(tempfile.gettempdir()) / f"qiping_bench_responses_{rows}.csv"
    if not path.exists():
        frame = build_responses(rows)
        for item in ITEMS:
            frame[item] = frame[item].astype("Int64")  # 4, not 4.0; blank for missing
        partial = path.with_suffix(".partial")
        frame.to_csv(partial, index=False)
        partial.replace(path)
    return path


def run_child(argv: list[str]) -> tuple[float, float]:
    """(wall seconds, peak resident MB) of one child process; its output is thrown away."""
    start = time.perf_counter()
    child = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    error = child.stderr.read().decode()
    child.stderr.close()
    if child.returncode != 0:
        raise SystemExit(f"{argv[:4]} failed: {error}")
    return seconds, usage.ru_maxrss / 1024  # Linux reports KB


def main(rows: int = 1_000_000, repeats: int = 3, verbose: bool = True) -> list[dict]:
    path = responses_csv(rows)
    commands = {
        "ours": [sys.executable, "-m", "scoring", "grade", str(path)],
        "duckdb": [sys.executable, "-c", DUCKDB_SCRIPT, str(path), duckdb_sql(ITEMS)],
    }
    best = {name: (float("inf"), 0.0) for name in commands}
    for _ in range(repeats):  # taking turns, so a burst of load from elsewhere hits both alike
        for name, argv in commands.items():
            seconds, peak = run_child(argv)
            if seconds < best[name][0]:
                best[name] = (seconds, peak)
    ours, duck = best["ours"], best["duckdb"]
    size = path.stat().st_size / 1e6
    label = f"{rows:,} rows ({size:.0f} MB CSV)"
    rows_out = [
        {"name": f"python -m scoring grade, {label}", "figure": round(ours[0] * 1000, 1), "unit": "ms",
         "reference": round(duck[0] * 1000, 1), "ratio": round(ours[0] / duck[0], 3),
         "target": f"<= {RATIO_TARGET:.0f}x DuckDB read_csv + group by (fresh processes)"},
        {"name": f"peak memory of python -m scoring grade, {label}", "figure": round(ours[1]), "unit": "MB",
         "reference": round(duck[1]), "ratio": round(ours[1] / duck[1], 3), "target": "for information"},
    ]
    if verbose:
        print(f"{'python -m scoring grade, ' + label:<62} {ours[0]:7.3f} s   peak {ours[1]:6.0f} MB")
        print(f"{'DuckDB read_csv + group by, same file':<62} {duck[0]:7.3f} s   peak {duck[1]:6.0f} MB")
        print(f"{'ratio ours / DuckDB':<62} {ours[0] / duck[0]:7.2f}     (target <= {RATIO_TARGET:.1f}; best of {repeats})")
    return rows_out


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows in the CSV (default 1,000,000)")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each, best taken (default 3)")
    args = parser.parse_args()
    main(args.rows, args.repeats)
