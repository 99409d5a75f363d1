"""Response scores (§4.1–4.2) and agency-round scores with their interval (§4.3, §4.8).

Responses are wide: ``round``, ``enterprise``, ``agency`` and one column per
item holding a rating (whole number, lowest..highest level) or NaN.

Speed matters (scores are recomputed on page views, and a province-sized file
has a million rows), so the work is done on numpy arrays: a few passes per item
column, in cache-sized chunks, for the response scores; group codes from
``pd.factorize`` and sums per (round, agency) from ``np.bincount``.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd

from scoring.config import DEFAULT_CONFIG, ScoringConfig
from scoring.exact import exact_group_mean
from scoring.rounding import SCALE, tenths_half_up, tenths_half_up_exact
from scoring.tdist import t_quantile

SCORE_COLUMNS = ["round", "agency", "n", "mean", "score", "ci_low", "ci_high"]
# Rows are processed in chunks small enough for a chunk's temporaries to stay in
# the CPU cache: the work is a handful of cheap passes per item, so it is bound
# by memory traffic, and chunking cuts the time of a million rows by a third.
CHUNK_ROWS = 1 << 16
PARALLEL_MIN_ROWS = 200_000


def response_scores(
    responses: pd.DataFrame,
    items: list[str],
    weights: dict[str, float] | None = None,
    config: ScoringConfig = DEFAULT_CONFIG,
) -> pd.Series:
    """Each response's weighted mean of its answered items, in points; NaN when no item is answered."""
    columns = item_columns(responses, items)
    scores = _score_array(columns, item_weight_array(items, weights), items, config)
    return pd.Series(scores, index=responses.index, name="score")


def agency_round_scores(
    responses: pd.DataFrame,
    items: list[str],
    weights: dict[str, float] | None = None,
    config: ScoringConfig = DEFAULT_CONFIG,
) -> pd.DataFrame:
    """One row per (round, agency) present in ``responses``, sorted by round then agency.

    Columns: ``n`` responses with at least one answered item; ``mean`` of their
    scores, unrounded; ``score``, the mean rounded half up to one decimal (NaN
    when n is 0); ``ci_low``/``ci_high``, the two-sided t-interval of the mean
    at ``config.confidence``, clipped to the score range (NaN when n < 2).
    """
    columns = item_columns(responses, items)
    item_weights = item_weight_array(items, weights)
    if len(responses) == 0:
        return _empty_scores()
    groups, scores = _groups_and_scores(responses, columns, item_weights, items, config)
    n, mean, sum_sq, present = _group_sums(groups.codes, scores, groups.size)
    present = np.flatnonzero(present)
    n, mean, sum_sq = n[present], mean[present], sum_sq[present]
    score = _rounded_scores(mean, n, present, groups.codes, columns, item_weights, config)
    ci_low, ci_high = _t_interval(n, mean, sum_sq, config)
    n_agencies = len(groups.agencies)
    return pd.DataFrame(
        {
            "round": groups.rounds.take(present // n_agencies).to_numpy(),
            "agency": groups.agencies.take(present % n_agencies).to_numpy(),
            "n": n,
            "mean": mean,
            "score": score,
            "ci_low": ci_low,
            "ci_high": ci_high,
        }
    )


# --- items and weights ----------------------------------------------------------


def item_columns(responses: pd.DataFrame, items: list[str]) -> list[np.ndarray]:
    """Each item column as floats, NaN for unanswered (not yet checked: see ``_check_levels``)."""
    if not items:
        raise ValueError("at least one item is needed")
    missing = [item for item in items if item not in responses.columns]
    if missing:
        raise ValueError(f"no column for items {missing}")
    columns = []
    for item in items:
        try:
            columns.append(responses[item].to_numpy(dtype=np.float64, na_value=np.nan))
        except (TypeError, ValueError):
            raise ValueError(f"item {item!r} holds values that are not ratings") from None
    return columns


def item_weight_array(items: list[str], weights: dict[str, float] | None) -> np.ndarray:
    if weights is None:
        return np.ones(len(items))
    missing = [item for item in items if item not in weights]
    if missing:
        raise ValueError(f"no weight for items {missing}")
    array = np.array([float(weights[item]) for item in items])
    # A zero weight would let a response that answered only that item divide by zero.
    if not (np.isfinite(array).all() and (array > 0).all()):
        raise ValueError("weights must be positive and finite")
    return array


def rating_array(responses: pd.DataFrame, item: str, config: ScoringConfig) -> np.ndarray:
    """One item column as checked floats, NaN for unanswered."""
    (ratings,) = item_columns(responses, [item])
    _check_levels(ratings, np.fmax(ratings, config.lowest_level), item, config)
    return ratings


def _check_levels(ratings: np.ndarray, levels: np.ndarray, item: str, config: ScoringConfig) -> None:
    """Refuse anything but whole levels; ``levels`` is ``ratings`` with NaN filled in."""
    if len(ratings) == 0:
        return
    lowest = np.fmin.reduce(ratings)  # skips NaN; NaN only if nothing is answered
    in_range = np.isnan(lowest) or (lowest >= config.lowest_level and np.fmax.reduce(ratings) <= config.highest_level)
    if not (in_range and np.array_equal(levels, np.rint(levels))):
        raise ValueError(f"item {item!r} holds ratings outside {config.lowest_level}..{config.highest_level} or not whole")


# --- response scores ---------------------------------------------------------------


def _score_array(columns, item_weights, items, config) -> np.ndarray:
    """Per row: the weighted mean points of its answered items; NaN when none is answered."""
    # An unanswered item is filled in at the lowest level, so subtracting the lowest
    # level of every item leaves the answered ones: Σ w (r − lowest).
    offset = config.lowest_level * item_weights.sum()
    scores = np.empty(len(columns[0]))
    for start in range(0, len(scores), CHUNK_ROWS):
        chunk = slice(start, start + CHUNK_ROWS)
        weighted_levels = np.zeros(len(scores[chunk]))
        answered = np.zeros(len(scores[chunk]))
        for item, column, weight in zip(items, columns, item_weights):
            _add_item(column[chunk], weight, item, config, weighted_levels, answered)
        weighted_levels -= offset
        weighted_levels *= config.points_per_level
        with np.errstate(invalid="ignore", divide="ignore"):
            np.divide(weighted_levels, answered, out=scores[chunk])  # 0 / 0 → NaN: not a response
    return scores


def _add_item(ratings, weight, item, config, weighted_levels, answered) -> None:
    """Add one item's weighted level and answered weight to the row totals (in place)."""
    levels = np.fmax(ratings, config.lowest_level)  # fmax skips NaN: unanswered → lowest level
    _check_levels(ratings, levels, item, config)
    is_answered = ratings == ratings  # NaN is the only value unequal to itself
    if weight != 1.0:  # equal weights (the default) skip two multiplications
        levels *= weight
        is_answered = is_answered * weight
    weighted_levels += levels
    answered += is_answered


def _groups_and_scores(responses, columns, item_weights, items, config) -> tuple["_Groups", np.ndarray]:
    """Group codes and response scores; for big inputs, side by side on two threads.

    Hashing the round and agency labels is a third of the work and both pandas
    (Arrow strings) and numpy release the GIL while doing it, so a second thread
    takes ~25% off a million rows. Small inputs are not worth a thread.
    """
    if len(responses) < PARALLEL_MIN_ROWS:
        return _group_codes(responses), _score_array(columns, item_weights, items, config)
    with ThreadPoolExecutor(max_workers=1) as pool:
        groups = pool.submit(_group_codes, responses)
        scores = _score_array(columns, item_weights, items, config)
        return groups.result(), scores


# --- groups ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Groups:
    codes: np.ndarray  # per row: round code * number of agencies + agency code
    rounds: pd.Index  # sorted; for YYYYQn labels lexical order is time order
    agencies: pd.Index  # sorted

    @property
    def size(self) -> int:
        return len(self.rounds) * len(self.agencies)


def _group_codes(responses: pd.DataFrame) -> _Groups:
    for column in ("round", "agency"):
        if column not in responses.columns:
            raise ValueError(f"responses need a {column!r} column")
    round_codes, rounds = pd.factorize(responses["round"], sort=True)
    agency_codes, agencies = pd.factorize(responses["agency"], sort=True)
    if (round_codes < 0).any() or (agency_codes < 0).any():
        raise ValueError("every response needs a round and an agency")
    return _Groups(round_codes.astype(np.int64) * len(agencies) + agency_codes, pd.Index(rounds), pd.Index(agencies))


def _group_sums(codes, scores, size) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per group: n, mean and centred sum of squares of the response scores that count, and presence.

    §4.2: a response with no answered item (NaN score) is not a response. Such
    rows go to a spare bin (index ``size``) that is dropped, which is cheaper
    than filtering every array; they still make their group present, with n = 0.
    """
    uncounted = np.isnan(scores)
    any_uncounted = bool(uncounted.any())
    bins = np.where(uncounted, size, codes) if any_uncounted else codes
    n = np.bincount(bins, minlength=size + 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.bincount(bins, scores, minlength=size + 1) / n
    # Two passes (deviations from the group mean) so identical scores give exactly zero spread.
    deviations = scores - mean[bins]
    sum_sq = np.bincount(bins, deviations * deviations, minlength=size + 1)
    present = n[:size] > 0
    if any_uncounted:
        present |= np.bincount(codes[uncounted], minlength=size) > 0
    return n[:size], mean[:size], sum_sq[:size], present


# --- rounding and interval -------------------------------------------------------------


def _rounded_scores(mean, n, group_ids, codes, columns, item_weights, config) -> np.ndarray:
    """Means rounded half up to one decimal; the few near a half are recomputed exactly."""
    tenths, unsure = tenths_half_up(mean)
    unsure = np.flatnonzero(unsure & (n > 0))
    if unsure.size:
        rows = np.flatnonzero(np.isin(codes, group_ids[unsure]))
        rows = rows[np.argsort(codes[rows], kind="stable")]  # one pass, then split by group
        starts = np.searchsorted(codes[rows], group_ids[unsure])
        for position, group_rows in zip(unsure, np.split(rows, starts[1:])):
            ratings = np.column_stack([column[group_rows] for column in columns])
            tenths[position] = tenths_half_up_exact(exact_group_mean(ratings, item_weights, config))
    return np.where(n > 0, tenths / SCALE, np.nan)


def _t_interval(n, mean, sum_sq, config) -> tuple[np.ndarray, np.ndarray]:
    """mean ± t(1 − α/2, n − 1) · s / √n, clipped to 0..max score; NaN when n < 2."""
    p = (1 + config.confidence) / 2
    quantile = np.full(len(n), np.nan)
    for count in np.unique(n[n >= 2]):
        quantile[n == count] = t_quantile(p, int(count) - 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        half_width = quantile * np.sqrt(sum_sq / (n - 1)) / np.sqrt(n)
    low = np.clip(mean - half_width, 0.0, config.max_score)
    high = np.clip(mean + half_width, 0.0, config.max_score)
    return low, high


def _empty_scores() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "round": pd.Series(dtype=object),
            "agency": pd.Series(dtype=object),
            "n": pd.Series(dtype=np.int64),
            **{column: pd.Series(dtype=float) for column in SCORE_COLUMNS[3:]},
        }
    )
