"""The one-stop scoring used by the app's finalisation and by the command line."""
from __future__ import annotations

import pandas as pd

from scoring.actions import assign_actions
from scoring.config import DEFAULT_CONFIG, ScoringConfig
from scoring.flags import assign_flags, assign_ranks
from scoring.grades import assign_grades, poor_is_uncertain
from scoring.groups import agency_groups
from scoring.scores import agency_round_scores

RESULT_COLUMNS = ["round", "agency", "n", "mean", "score", "ci_low", "ci_high", "grade", "uncertain", "action", "flag", "rank"]


def grade_rounds(
    responses: pd.DataFrame,
    items: list[str],
    weights: dict[str, float] | None = None,
    config: ScoringConfig = DEFAULT_CONFIG,
    history: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Scores, grades, actions and flags for every (round, agency) in ``responses``.

    ``history`` holds earlier graded rounds (columns round, agency, grade) that
    are not in ``responses`` — for example the pinned grades of past rounds when
    one round is finalised — so that actions follow poor streaks across them.
    History rows for a (round, agency) that ``responses`` also has are ignored:
    the fresh grade wins. Only rows of ``responses`` are returned, sorted by
    round then agency, with columns ``RESULT_COLUMNS``; ``uncertain`` marks a
    score below the fair threshold whose interval reaches it (see
    ``poor_is_uncertain``); ``rank`` is the published ranking within the round
    (1 = best, None for insufficient; see ``assign_ranks``).

    Optional columns of ``responses``: ``panel`` (§4.10, see ``scoring.panels``)
    and ``group`` (§4.9, the agency's group code). With a ``group`` column the
    result ends with a ``group`` column, and ``config.ranking_scope == "group"``
    ranks and flags within each (round, group).
    """
    groups = agency_groups(responses)
    result = agency_round_scores(responses, items, weights, config)
    if groups is not None:
        result = result.merge(groups, on=["round", "agency"], how="left", validate="one_to_one")
    result["grade"] = assign_grades(result, config)
    result["uncertain"] = poor_is_uncertain(result, config)
    result["action"] = _actions_with_history(result, history, config)
    result["flag"] = assign_flags(result, config)
    result["rank"] = assign_ranks(result, config)
    return result[RESULT_COLUMNS + (["group"] if groups is not None else [])]


def _actions_with_history(result: pd.DataFrame, history: pd.DataFrame | None, config: ScoringConfig) -> pd.Series:
    current = result[["round", "agency", "grade"]]
    if history is None or history.empty:
        return assign_actions(current, config)
    past = history[["round", "agency", "grade"]]
    seen = pd.MultiIndex.from_frame(current[["round", "agency"]])
    past = past[~pd.MultiIndex.from_frame(past[["round", "agency"]]).isin(seen)]
    combined = pd.concat([current, past], ignore_index=True)
    actions = assign_actions(combined, config)
    return pd.Series(actions.iloc[: len(current)].to_numpy(), index=result.index, name="action")
