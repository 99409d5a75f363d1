"""How long a refused staff sign-in takes for a real username and for an unknown one.

At production argon2 cost. Both should take one argon2 verification, so that the
time does not tell which usernames exist. The failure counts are cleared before
each try, so no try is refused early by a lock-out.

    python bench/bench_sign_in.py [--runs 40]
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from unittest import mock

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from surveys import startup
from surveys.participants import accounts  # noqa: E402
from surveys.core.errors import SignInRefused  # noqa: E402


def refused_ms(db, username: str) -> float:
    db.execute("DELETE FROM sign_in_failures")
    db.conn.commit()
    start = time.perf_counter()
    try:
        accounts.sign_in_staff(db, username, "not the password", "ip:192.0.2.1")
    except SignInRefused:
        pass
    return (time.perf_counter() - start) * 1000


def main(runs: int = 40, verbose: bool = True) -> list[dict]:
    with mock.patch.dict(os.environ):  # put back afterwards
        os.environ.pop("QIPING_HASH_COST", None)
        os.environ["QIPING_DEMO"] = "0"  # a bare database; argon2 at production cost
        return _measure(runs, verbose)


def _measure(runs: int, verbose: bool) -> list[dict]:
    db = startup.prepare(Path(tempfile.mkdtemp()) / "bench.db")
    accounts.create_first_admin(db, "chief", "a strong password")
    medians = {}
    for username in ("chief", "nobody"):
        times = [refused_ms(db, username) for _ in range(runs)]
        medians[username] = statistics.median(times)
        if verbose:
            print(f"{username:>7}: median {medians[username]:.1f} ms, "
                  f"min {min(times):.1f} ms, max {max(times):.1f} ms ({runs} runs)")
    return [{"name": "refused staff sign-in, unknown username (production argon2, median)",
             "figure": medians["nobody"], "unit": "ms", "reference": medians["chief"],
             "ratio": medians["nobody"] / medians["chief"], "target": "about 1x a real username"}]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=40)
    main(parser.parse_args().runs)
