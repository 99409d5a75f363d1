"""What the coaching signals cost on a large county round, against the existing anomaly signals.

A synthetic round of 30,000 responses (5 items, 40 agencies, answers saved over 27 days, each form
opened 5 s–10 min before its save) with four earlier rounds as history. Reference, measured in the
same run on the same round: ``scoring.detect_anomalies`` (straight-lining and bursts, no times).

    python bench/bench_coaching.py [--responses 30000]
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent)]

from scoring import detect_anomalies  # noqa: E402
from scoring.coaching import coaching_signals  # noqa: E402

ITEMS = [f"q{i}" for i in range(5)]
ROUNDS = ["2025Q3", "2025Q4", "2026Q1", "2026Q2", "2026Q3"]


def county(responses: int, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2026-07-01", tz="UTC")
    frames = []
    for index, round_name in enumerate(ROUNDS):
        frame = pd.DataFrame(rng.integers(3, 6, size=(responses, len(ITEMS))), columns=ITEMS)
        frame["response"] = np.arange(responses) + index * responses
        frame["round"] = round_name
        frame["agency"] = rng.choice([f"A{i:02d}" for i in range(40)], responses)
        frame["enterprise"] = rng.choice([f"E{i:05d}" for i in range(responses // 4)], responses)
        saved = start + pd.to_timedelta(rng.uniform(0, 27 * 86400, responses), unit="s")
        opened = saved - pd.to_timedelta(rng.uniform(5, 600, responses), unit="s")
        frame["saved_at"] = saved.strftime("%Y-%m-%dT%H:%M:%S+00:00")
        frame["opened_at"] = opened.strftime("%Y-%m-%dT%H:%M:%S+00:00")
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def best_of(runs: int, work) -> float:
    timings = []
    for _ in range(runs):
        began = time.perf_counter()
        work()
        timings.append(time.perf_counter() - began)
    return min(timings)


def main(responses: int = 30_000, runs: int = 3, verbose: bool = True) -> list[dict]:
    frame = county(responses)
    this_round = frame[frame["round"] == ROUNDS[-1]]
    coaching = best_of(runs, lambda: coaching_signals(frame, ITEMS, ROUNDS[-1], item_chars=100))
    anomalies = best_of(runs, lambda: detect_anomalies(this_round, ITEMS))
    rows = [{"name": f"coaching signals, round of {responses:,} with {len(ROUNDS) - 1} rounds of history",
             "seconds": coaching, "reference": anomalies, "ratio": coaching / anomalies}]
    if verbose:
        for row in rows:
            print(f"{row['name']}: {row['seconds'] * 1000:.0f} ms; detect_anomalies on the round "
                  f"{row['reference'] * 1000:.0f} ms; ratio {row['ratio']:.1f}×")
    return rows


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--responses", type=int, default=30_000)
    main(parser.parse_args().responses)
