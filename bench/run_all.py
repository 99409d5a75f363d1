"""Run every benchmark and print one table (the README's performance table).

    python bench/run_all.py [--quick]

Each benchmark compares against a reference measured in the same run, because
these machines are shared and noisy: read the ratio column first.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]

import bench_fairness  # noqa: E402
import bench_import_limits  # noqa: E402
import bench_reminders  # noqa: E402
import bench_save_ratings  # noqa: E402
import bench_scoring_cli_speed  # noqa: E402
import bench_scoring_speed  # noqa: E402
import bench_sign_in  # noqa: E402


def benchmarks(quick: bool):
    yield "save ratings", lambda: bench_save_ratings.main(runs=50 if quick else 200)
    yield "scoring speed", lambda: bench_scoring_speed.main(quick=quick, verbose=False)
    yield "scoring command line", lambda: bench_scoring_cli_speed.main(rows=200_000 if quick else 1_000_000,
                                                                       verbose=False)
    yield "sign-in timing", lambda: bench_sign_in.main(runs=20 if quick else 40, verbose=False)
    yield "fairness", lambda: [r for r in bench_fairness.main(quick=quick, verbose=False)
                                if r["name"].endswith(("n=5", "n=8", "n=10", "n=20", "n=40"))]
    yield "import limits", lambda: bench_import_limits.main(verbose=False)
    yield "reminders", lambda: bench_reminders.main(enterprises=30 if quick else 60, verbose=False)
    import bench_survey_cpu  # the real server's CPU per survey save (half a minute)
    yield "survey cpu", lambda: bench_survey_cpu.table_rows(bench_survey_cpu.run(runs=10 if quick else 20))
    import bench_load  # the real server under many sessions (a few minutes)
    yield "load", lambda: bench_load.table_rows(
        bench_load.run(sessions=40 if quick else 75, rates=[5, 10] if quick else [5, 10, 15, 25],
                       seconds=20 if quick else 40, verbose=False))
    import bench_scale  # several processes behind nginx against one (several minutes; needs nginx)
    yield "scale", lambda: bench_scale.table_rows(bench_scale.run(
        processes=[2] if quick else [2, 3], backends=["sqlite"], rates=[25, 50] if quick else [25, 50, 75, 100],
        seconds=10 if quick else 20, sessions=40 if quick else 50)[0])
    try:
        import bench_pages
    except ImportError:
        return
    yield "pages", lambda: bench_pages.main(runs=5 if quick else 15, large=not quick)


def number(value, digits: int = 2) -> str:
    if value is None or value == "":
        return ""
    return f"{value:,.{digits}f}" if isinstance(value, (int, float)) else str(value)


def print_table(rows: list[dict]) -> None:
    print("| benchmark | figure | reference (same run) | ratio | target |")
    print("|---|---|---|---|---|")
    for row in rows:
        unit = row.get("unit", "")
        reference = number(row.get("reference"))
        print(f"| {row['name']} | {number(row['figure'])} {unit} | {reference + ' ' + unit if reference else ''} "
              f"| {number(row.get('ratio')) + 'x' if row.get('ratio') else ''} | {row.get('target', '')} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller runs, for a first look")
    quick = parser.parse_args().quick
    rows = []
    for name, run in benchmarks(quick):
        started = time.perf_counter()
        rows += run()
        print(f"# {name}: {time.perf_counter() - started:.1f} s", file=sys.stderr)
    print_table(rows)


if __name__ == "__main__":
    main()
