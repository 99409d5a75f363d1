"""Red / yellow / blue flags within a round (DESIGN §1, §4.6).

Ranking: graded agencies (not insufficient) of a round, ordered by
1. the rounded score, higher first (the score people see, as for grades);
2. the number of responses, more first (a score resting on more enterprises is firmer);
3. the width of the interval, narrower first (same reason), taken to 0.001 points
   so that float noise cannot decide it.
Agencies equal on all three share a rank (competition ranking, 1-2-2-4). Flags
never depend on the agency code or on row order. With ``ranking_scope = "group"``
and a ``group`` column (§4.9), everything here happens within each (round,
group) instead of within each round (``scoring.groups.ranking_partition``).

* red: rank within the top ``flag_top_n`` (3), counted from the top; a tie at
  the boundary gives red to everyone in the tie, so there may be more than 3.
* yellow: rank within the bottom ``flag_bottom_n`` (3), counted from the bottom
  the same way, and the agency missed the bar (graded fair or poor). An agency
  graded good is never yellow. When the top and bottom overlap (few graded
  agencies) yellow wins: a unit is not praised and warned in the same quarter.
* blue: every other graded agency.
* None: insufficient.

``assign_ranks`` gives the same ranking as numbers (1 = best) for publication.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from scoring.config import DEFAULT_CONFIG, ScoringConfig
from scoring.grades import FAIR, INSUFFICIENT, POOR
from scoring.groups import ranking_partition

RED, YELLOW, BLUE = "red", "yellow", "blue"
WIDTH_DECIMALS = 3


def assign_ranks(graded_df: pd.DataFrame, config: ScoringConfig = DEFAULT_CONFIG) -> pd.Series:
    """The published ranking: 1 = best within each round, ties share a rank; None for insufficient.

    Same order and tie rule as the flags (module docstring), so a flag can always
    be read off the rank shown next to it. Values are Python ints (object dtype)
    so that they store as whole numbers.
    """
    ranks = np.full(len(graded_df), None, dtype=object)
    graded = (graded_df["grade"] != INSUFFICIENT).to_numpy()
    if graded.any():
        ranks[graded] = [int(r) for r in _competition_rank(*_rank_keys(graded_df[graded], config), best_first=True)]
    return pd.Series(ranks, index=graded_df.index, name="rank", dtype=object)


def assign_flags(graded_df: pd.DataFrame, config: ScoringConfig = DEFAULT_CONFIG) -> pd.Series:
    """red | yellow | blue | None per row (columns round, agency, n, score, grade; ci_low/ci_high if present)."""
    flags = np.full(len(graded_df), None, dtype=object)
    graded = (graded_df["grade"] != INSUFFICIENT).to_numpy()
    if graded.any():
        rows = graded_df[graded]
        keys = _rank_keys(rows, config)
        top_rank = _competition_rank(*keys, best_first=True)
        bottom_rank = _competition_rank(*keys, best_first=False)
        missed_bar = rows["grade"].isin([FAIR, POOR]).to_numpy()
        flags[graded] = np.where(
            missed_bar & (bottom_rank <= config.flag_bottom_n),
            YELLOW,
            np.where(top_rank <= config.flag_top_n, RED, BLUE),
        )
    return pd.Series(flags, index=graded_df.index, name="flag", dtype=object)  # object keeps None


def _rank_keys(rows: pd.DataFrame, config: ScoringConfig) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(ranking partition code, score, n, interval width) — higher score, more n, narrower width rank first."""
    if {"ci_low", "ci_high"} <= set(rows.columns):
        width = np.round((rows["ci_high"] - rows["ci_low"]).to_numpy(dtype=float), WIDTH_DECIMALS)
        width = np.where(np.isnan(width), np.inf, width)  # no interval: least firm
    else:
        width = np.zeros(len(rows))
    return ranking_partition(rows, config), rows["score"].to_numpy(dtype=float), rows["n"].to_numpy(dtype=float), width


def _competition_rank(round_code, score, n, width, best_first: bool) -> np.ndarray:
    """1-based rank within each partition (round, or round and group), counted from the best (or the worst); ties share the lower number."""
    sign = 1.0 if best_first else -1.0
    sort_keys = np.column_stack([-sign * score, -sign * n, sign * width])
    order = np.lexsort((sort_keys[:, 2], sort_keys[:, 1], sort_keys[:, 0], round_code))
    rounds, keys = round_code[order], sort_keys[order]
    index = np.arange(len(order))
    new_round = np.r_[True, rounds[1:] != rounds[:-1]]
    new_tie = new_round | np.r_[True, (keys[1:] != keys[:-1]).any(axis=1)]
    round_start = np.maximum.accumulate(np.where(new_round, index, 0))
    tie_start = np.maximum.accumulate(np.where(new_tie, index, 0))
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = tie_start - round_start + 1
    return rank
