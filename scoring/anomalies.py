"""Signals a reviewer may want to look at. They are reported, never used to exclude.

Kinds (one row each, columns ``ANOMALY_COLUMNS``):

* ``all_lowest`` — in one round, an enterprise gave the lowest level to every
  item it answered for every agency it rated, and rated at least
  ``anomaly_min_agencies`` agencies (a grudge, or a protest vote).
* ``all_highest`` — the same with the highest level (inflated ratings, which the
  national 好差评 rules forbid and look for).
* ``identical_answers`` — in one round, an enterprise gave the same complete
  answer vector to at least ``anomaly_identical_min_agencies`` agencies
  (straight-lining: answering without reading). Not reported again for an
  enterprise already reported as all_lowest/all_highest that round.
* ``burst`` — within one agency-round, at least ``anomaly_burst_min_responses``
  responses share one complete answer vector and make up at least
  ``anomaly_burst_min_share`` of that agency-round's responses (organised
  rating campaigns).

``count`` is the number of responses (or agencies) involved, ``total`` what it
is out of, ``answers`` the shared answer vector as "r1,r2,…" in item order (or
empty). The locale catalogue words each kind: ``scoring.anomaly.<kind>``.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from scoring.config import DEFAULT_CONFIG, ScoringConfig
from scoring.scores import rating_array

ANOMALY_COLUMNS = ["kind", "round", "enterprise", "agency", "count", "total", "answers"]


def detect_anomalies(
    responses: pd.DataFrame, items: list[str], config: ScoringConfig = DEFAULT_CONFIG
) -> pd.DataFrame:
    """All anomaly signals in ``responses``, sorted by kind, round, enterprise, agency."""
    ratings = np.column_stack([rating_array(responses, item, config) for item in items]) if len(responses) else None
    if ratings is None:
        return pd.DataFrame(columns=ANOMALY_COLUMNS)
    rows = _answer_table(responses, ratings, config)
    extremes = _uniform_raters(rows, config)
    found = [extremes, _identical_answers(rows, extremes, config), _bursts(rows, config)]
    found = [frame for frame in found if not frame.empty]
    if not found:
        return pd.DataFrame(columns=ANOMALY_COLUMNS)
    result = pd.concat(found, ignore_index=True)[ANOMALY_COLUMNS]
    return result.sort_values(["kind", "round", "enterprise", "agency"], na_position="first", ignore_index=True)


def _answer_table(responses: pd.DataFrame, ratings: np.ndarray, config: ScoringConfig) -> pd.DataFrame:
    """One row per response that answered something, with its answer vector as text."""
    answered = ~np.isnan(ratings)
    keep = answered.any(axis=1)
    ratings, answered = ratings[keep], answered[keep]
    table = responses.loc[keep, ["round", "enterprise", "agency"]].reset_index(drop=True)
    table["all_lowest"] = np.where(answered, ratings == config.lowest_level, True).all(axis=1)
    table["all_highest"] = np.where(answered, ratings == config.highest_level, True).all(axis=1)
    table["complete"] = answered.all(axis=1)
    levels = np.nan_to_num(ratings, nan=0).astype(np.int64).astype(str)
    table["answers"] = [",".join(vector) for vector in levels]
    return table


def _uniform_raters(rows: pd.DataFrame, config: ScoringConfig) -> pd.DataFrame:
    by_rater = rows.groupby(["round", "enterprise"], sort=False).agg(
        total=("agency", "nunique"), all_lowest=("all_lowest", "all"), all_highest=("all_highest", "all")
    )
    enough = by_rater["total"] >= config.anomaly_min_agencies
    frames = []
    for kind in ("all_lowest", "all_highest"):
        hits = by_rater[enough & by_rater[kind]].reset_index()
        frames.append(hits.assign(kind=kind, agency=None, count=hits["total"], answers=None))
    return pd.concat(frames, ignore_index=True)[ANOMALY_COLUMNS]


def _identical_answers(rows: pd.DataFrame, extremes: pd.DataFrame, config: ScoringConfig) -> pd.DataFrame:
    complete = rows[rows["complete"]]
    per_vector = complete.groupby(["round", "enterprise", "answers"], sort=False)["agency"].nunique()
    totals = rows.groupby(["round", "enterprise"], sort=False)["agency"].nunique()
    hits = per_vector[per_vector >= config.anomaly_identical_min_agencies].rename("count").reset_index()
    already = pd.MultiIndex.from_frame(extremes[["round", "enterprise"]])
    hits = hits[~pd.MultiIndex.from_frame(hits[["round", "enterprise"]]).isin(already)]
    hits = hits.join(totals.rename("total"), on=["round", "enterprise"])
    return hits.assign(kind="identical_answers", agency=None)[ANOMALY_COLUMNS]


def _bursts(rows: pd.DataFrame, config: ScoringConfig) -> pd.DataFrame:
    totals = rows.groupby(["round", "agency"], sort=False).size().rename("total")
    complete = rows[rows["complete"]]
    per_vector = complete.groupby(["round", "agency", "answers"], sort=False).size().rename("count").reset_index()
    per_vector = per_vector.join(totals, on=["round", "agency"])
    hits = per_vector[
        (per_vector["count"] >= config.anomaly_burst_min_responses)
        & (per_vector["count"] >= config.anomaly_burst_min_share * per_vector["total"])
    ]
    return hits.assign(kind="burst", enterprise=None)[ANOMALY_COLUMNS]
