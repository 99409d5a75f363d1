"""Exact (rational) group means, for the rare means that float error could misround.

Ratings are whole numbers and weights are taken as the decimals they are
written as, so a group mean is a fraction that ``fractions.Fraction`` holds
exactly. Rows are grouped by which items they answered (at most 2^items
patterns, usually one or two): within a pattern every row divides by the same
total weight, so integer column sums suffice and the fractions are few.
"""
from __future__ import annotations

from fractions import Fraction

import numpy as np

from scoring.config import ScoringConfig


def exact_group_mean(ratings: np.ndarray, weights: np.ndarray, config: ScoringConfig) -> Fraction | None:
    """The exact mean response score of the rows of ``ratings`` (NaN = unanswered); None if none count."""
    answered = ~np.isnan(ratings)
    above_lowest = np.where(answered, ratings - config.lowest_level, 0).astype(np.int64)
    pattern = answered @ (1 << np.arange(ratings.shape[1], dtype=np.int64))
    exact_weights = [_as_written(w) for w in weights]
    total, n = Fraction(0), 0
    for code in np.unique(pattern[pattern > 0]):  # pattern 0: nothing answered, not a response
        rows = pattern == code
        column_sums = above_lowest[rows].sum(axis=0)
        answered_weight = sum(w for w, a in zip(exact_weights, answered[rows][0]) if a)
        total += sum(w * int(s) for w, s in zip(exact_weights, column_sums)) / answered_weight
        n += int(rows.sum())
    return _as_written(config.points_per_level) * total / n if n else None


def _as_written(value: float) -> Fraction:
    return Fraction(repr(float(value)))
