"""How far can a grade be trusted? Simulated agencies with a known true score.

    python bench/bench_fairness.py            # 5,000 simulated agencies per cell (about 35 s)
    python bench/bench_fairness.py --quick    # 1,000 per cell, for a fast look

Model (documented in docs/scoring.md):

* An agency has a true score T (50, 55, …, 95 points) and is rated by n
  enterprises (n = 5, 8, 10, 15, 20, 30, 40) in each of two consecutive rounds.
* Each enterprise forms a latent opinion per item: T + its own bias b + noise e,
  with b ~ N(0, 8) shared by all its items (some raters are harsh, some kind) and
  e ~ N(0, 12) per item. It ticks the nearest level:
  level = clip(round(latent / 25) + 1, 1, 5), i.e. the level whose points
  (0, 25, 50, 75, 100) are closest to its opinion. Four items, none left blank.
* The simulated responses go through the real engine, ``grade_rounds``, once
  with the county's rule (default) and once with the optional safeguard
  ``poor_only_if_interval_below_fair``.

Printed per n: how often an agency whose true score is 65 or more is graded
poor in a round (pooled over T = 65…95, and at T = 65, the hardest case), how
often it is referred (poor in both rounds), and — the price of the safeguard —
how often a truly poor agency (T = 50) is still graded poor.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from anywhere

from scoring import POOR, REFERRAL, ScoringConfig, grade_rounds  # noqa: E402

TRUE_SCORES = list(range(50, 100, 5))
RESPONSE_COUNTS = [5, 8, 10, 15, 20, 30, 40]
ITEMS = ["efficiency", "attitude", "lawfulness", "integrity"]
RATER_BIAS_SD = 8.0
ITEM_NOISE_SD = 12.0
ROUNDS = ("2026Q1", "2026Q2")
MISGRADE_TARGET_PCT = 2.0  # issue 3: add a safeguard if the default exceeds this at n >= 8
SEED = 20260401

DEFAULT = ScoringConfig()
SAFEGUARD = ScoringConfig(poor_only_if_interval_below_fair=True)


def simulate_responses(true_score: float, n: int, agencies: int, rng: np.random.Generator) -> pd.DataFrame:
    """Two rounds of ``n`` responses for each of ``agencies`` agencies sharing one true score."""
    rows = agencies * len(ROUNDS) * n
    bias = rng.normal(0.0, RATER_BIAS_SD, size=(rows, 1))
    latent = true_score + bias + rng.normal(0.0, ITEM_NOISE_SD, size=(rows, len(ITEMS)))
    levels = np.clip(np.rint(latent / 25.0) + 1, 1, 5)
    agency = np.repeat(np.arange(agencies), len(ROUNDS) * n)
    round_index = np.tile(np.repeat(np.arange(len(ROUNDS)), n), agencies)
    frame = pd.DataFrame({"round": np.array(ROUNDS)[round_index], "enterprise": np.arange(rows), "agency": agency})
    for j, item in enumerate(ITEMS):
        frame[item] = levels[:, j]
    return frame


def grade_outcomes(responses: pd.DataFrame, config: ScoringConfig, agencies: int) -> tuple[float, float, float]:
    """(share of agency-rounds graded poor, share of agencies referred in round 2, mean score)."""
    result = grade_rounds(responses, ITEMS, config=config)
    poor = (result["grade"] == POOR).mean()
    referred = (result["action"] == REFERRAL).sum() / agencies
    return float(poor), float(referred), float(result["mean"].mean())


def simulate(agencies: int) -> pd.DataFrame:
    """One row per (n, true score) with poor and referral rates under both rule sets."""
    records = []
    for n in RESPONSE_COUNTS:
        for true_score in TRUE_SCORES:
            rng = np.random.default_rng([SEED, n, true_score])
            responses = simulate_responses(true_score, n, agencies, rng)
            poor, referred, mean = grade_outcomes(responses, DEFAULT, agencies)
            poor_sg, referred_sg, _ = grade_outcomes(responses, SAFEGUARD, agencies)
            records.append({"n": n, "true": true_score, "mean_score": mean, "poor": poor, "referred": referred,
                            "poor_safeguard": poor_sg, "referred_safeguard": referred_sg})
    return pd.DataFrame(records)


def summary_table(cells: pd.DataFrame) -> pd.DataFrame:
    """Per n, in percent: misgrading of agencies with T ≥ 65, and detection at T = 50."""
    good_enough = cells[cells["true"] >= 65].groupby("n")
    at_65 = cells[cells["true"] == 65].set_index("n")
    at_50 = cells[cells["true"] == 50].set_index("n")
    table = pd.DataFrame(
        {
            "poor|T>=65": good_enough["poor"].mean(),
            "poor|T>=65 safeguard": good_enough["poor_safeguard"].mean(),
            "referred|T>=65": good_enough["referred"].mean(),
            "referred|T>=65 safeguard": good_enough["referred_safeguard"].mean(),
            "poor|T=65": at_65["poor"],
            "poor|T=65 safeguard": at_65["poor_safeguard"],
            "referred|T=65": at_65["referred"],
            "referred|T=65 safeguard": at_65["referred_safeguard"],
            "poor|T=50": at_50["poor"],
            "poor|T=50 safeguard": at_50["poor_safeguard"],
        }
    )
    return table * 100


def main(quick: bool = False, verbose: bool = True) -> list[dict]:
    """Run the simulation; print the table (unless not ``verbose``) and return it as rows."""
    agencies = 1_000 if quick else 5_000
    started = time.perf_counter()
    cells = simulate(agencies)
    table = summary_table(cells)
    if verbose:
        _print(table, cells, agencies, time.perf_counter() - started)
    return _rows(table)


def _rows(table: pd.DataFrame) -> list[dict]:
    rows = []
    for n, values in table.iterrows():
        for column, figure in values.items():
            is_target = column.startswith("poor|T>=65") and n >= 8
            rows.append({
                "name": f"fairness {column}, n={n}",
                "figure": round(float(figure), 2),
                "unit": "%",
                "reference": MISGRADE_TARGET_PCT if is_target else None,
                "ratio": round(float(figure) / MISGRADE_TARGET_PCT, 3) if is_target else None,
                "target": f"<= {MISGRADE_TARGET_PCT}% at n >= 8" if is_target else "",
            })
    return rows


def _print(table: pd.DataFrame, cells: pd.DataFrame, agencies: int, seconds: float) -> None:
    print(f"{agencies:,} simulated agencies per (n, true score), two rounds each; "
          f"rater bias N(0,{RATER_BIAS_SD:g}), item noise N(0,{ITEM_NOISE_SD:g}); {len(ITEMS)} items.")
    print("Percent of agency-rounds graded poor / agencies referred (poor in both rounds):")
    print("  default = the county's rule; safeguard = poor only if the 95% interval lies below 60.")
    print(table.to_string(float_format=lambda v: f"{v:6.2f}"))
    scale = cells.groupby("true")["mean_score"].mean()
    print("Mean rated score by true score (the 0-100 scale is coarse near the ends):")
    print("  " + "  ".join(f"T={t}: {s:.1f}" for t, s in scale.items()))
    print(f"({seconds:.1f} s)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1,000 simulated agencies per cell instead of 5,000")
    main(quick=parser.parse_args().quick)
