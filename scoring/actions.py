"""Actions over time (§4.5): reminder, interview, referral."""
from __future__ import annotations

import numpy as np
import pandas as pd

from scoring.config import DEFAULT_CONFIG, ScoringConfig
from scoring.grades import FAIR, GOOD, INSUFFICIENT, POOR
from scoring.rounds import round_ordinal

NONE, REMINDER, INTERVIEW, REFERRAL = "none", "reminder", "interview", "referral"
ACTIONS = (NONE, REMINDER, INTERVIEW, REFERRAL)  # in rising severity
FOLLOW_UPS = ACTIONS[1:]  # the actions that open a case for the discipline office


def assign_actions(grades_df: pd.DataFrame, config: ScoringConfig = DEFAULT_CONFIG) -> pd.Series:
    """The action each row's grade triggers (columns round, agency, grade).

    Each agency's rounds are taken in time order, skipping insufficient rounds:
    a round without enough responses is not a time the agency was graded, so
    it neither starts nor breaks a streak of poor grades. good → none, fair →
    reminder, poor → interview, or referral when the previous graded round
    was poor too (a third poor in a row is again a referral).
    """
    grade = grades_df["grade"].to_numpy(dtype=object)
    unknown = ~np.isin(grade, [GOOD, FAIR, POOR, INSUFFICIENT])
    if unknown.any():
        raise ValueError(f"unknown grade {grade[unknown][0]!r}")
    _refuse_duplicates(grades_df)
    action = np.full(len(grades_df), NONE, dtype=object)
    graded = np.flatnonzero(grade != INSUFFICIENT)
    if graded.size == 0:
        return pd.Series(action, index=grades_df.index, name="action", dtype="str")
    agency = pd.factorize(grades_df["agency"])[0]
    ordinal = round_ordinal(grades_df["round"])
    in_time_order = graded[np.lexsort((ordinal[graded], agency[graded]))]  # by agency, then time
    sorted_grade, sorted_agency = grade[in_time_order], agency[in_time_order]
    same_agency = np.r_[False, sorted_agency[1:] == sorted_agency[:-1]]
    previous_poor = same_agency & np.r_[False, sorted_grade[:-1] == POOR]
    action[in_time_order] = np.select(
        [sorted_grade == GOOD, sorted_grade == FAIR, previous_poor],
        [NONE, REMINDER, REFERRAL],
        default=INTERVIEW,
    )
    return pd.Series(action, index=grades_df.index, name="action", dtype="str")


def _refuse_duplicates(grades_df: pd.DataFrame) -> None:
    duplicated = grades_df.duplicated(["round", "agency"])
    if duplicated.any():
        first = grades_df[duplicated].iloc[0]
        raise ValueError(f"two grades for round {first['round']!r}, agency {first['agency']!r}")
