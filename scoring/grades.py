"""Grades from rounded scores (§4.4), with the optional poor-grade safeguard."""
from __future__ import annotations

import numpy as np
import pandas as pd

from scoring.config import DEFAULT_CONFIG, ScoringConfig

GOOD, FAIR, POOR, INSUFFICIENT = "good", "fair", "poor", "insufficient"
GRADES = (GOOD, FAIR, POOR, INSUFFICIENT)


def assign_grades(scores_df: pd.DataFrame, config: ScoringConfig = DEFAULT_CONFIG) -> pd.Series:
    """good | fair | poor | insufficient per row of ``scores_df`` (columns n, score; ci_high if the safeguard is on).

    The grade uses the rounded ``score``, the one people see (§4.3): 79.95
    rounds to 80.0 and is good. Fewer than ``min_responses`` responses is
    insufficient whatever the score, and so is a missing score (§4.10: no
    panel reached its minimum).

    With ``config.poor_only_if_interval_below_fair`` a score below the fair
    threshold is graded poor only when the interval's upper bound is below the
    threshold too; otherwise fair (see ``poor_is_uncertain``).
    """
    score = scores_df["score"].to_numpy(dtype=float)
    # §4.10: enough responses but no panel with enough of its own leaves no score: insufficient too.
    enough = (scores_df["n"].to_numpy() >= config.min_responses) & ~np.isnan(score)
    below_fair = score < config.fair_threshold
    if config.poor_only_if_interval_below_fair:
        below_fair &= ~poor_is_uncertain(scores_df, config).to_numpy()
    grade = np.select(
        [~enough, score >= config.good_threshold, score >= config.fair_threshold, below_fair],
        [INSUFFICIENT, GOOD, FAIR, POOR],
        default=FAIR,  # below the threshold but not established: the safeguard's fair
    )
    return pd.Series(grade, index=scores_df.index, name="grade", dtype="str")


def poor_is_uncertain(scores_df: pd.DataFrame, config: ScoringConfig = DEFAULT_CONFIG) -> pd.Series:
    """True where the score is below the fair threshold but its interval reaches the threshold.

    Such a poor grade rests on too little evidence to be sure at
    ``config.confidence``; the safeguard grades it fair instead. A missing
    interval (n < 2) counts as uncertain.
    """
    score = scores_df["score"].to_numpy(dtype=float)
    ci_high = scores_df["ci_high"].to_numpy(dtype=float)
    enough = scores_df["n"].to_numpy() >= config.min_responses
    reaches_fair = ~(ci_high < config.fair_threshold)  # NaN counts as reaching
    uncertain = enough & (score < config.fair_threshold) & reaches_fair
    return pd.Series(uncertain, index=scores_df.index, name="uncertain")
