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
from fractions import Fraction

import numpy as np
import pandas as pd

from scoring.config import DEFAULT_CONFIG, PANELS, ScoringConfig
from scoring.exact import exact_group_mean
from scoring.panels import combine_panels, panel_codes
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

    Columns: ``n`` responses with at least one answered item (of the weighted
    panels, §4.10); ``mean`` of their scores, unrounded (with several counted
    panels, the weight-normalised mean of the panel means); ``score``, the mean
    rounded half up to one decimal (NaN when nothing counts); ``ci_low``/``ci_high``,
    the two-sided t-interval of the mean at ``config.confidence``, clipped to the
    score range (NaN when n < 2). An optional ``panel`` column names each
    response's panel (see ``scoring.panels``); without it every response is an
    enterprise's and this is rule 3 exactly.
    """
    cells = _cell_stats(responses, items, weights, config)
    if cells is None:
        return _empty_scores()
    combination = combine_panels(cells.n, cells.mean, config)
    present = cells.present.any(axis=1)
    keep = np.flatnonzero(present)
    score = _rounded_combined(combination, cells, keep, config)
    ci_low, ci_high = _combined_interval(combination, cells, keep, config)
    rounds, agencies = cells.labels(keep)
    return pd.DataFrame(
        {
            "round": rounds,
            "agency": agencies,
            "n": combination.n[keep],
            "mean": combination.mean[keep],
            "score": score,
            "ci_low": ci_low,
            "ci_high": ci_high,
        }
    )


def panel_scores(
    responses: pd.DataFrame,
    items: list[str],
    weights: dict[str, float] | None = None,
    config: ScoringConfig = DEFAULT_CONFIG,
) -> pd.DataFrame:
    """Each panel's own result per (round, agency): columns ``round, agency, panel, n, score``.

    One row for every panel present in the data for that (round, agency),
    weighted or not, sorted by round, agency and ``PANELS`` order. ``score`` is
    the panel's mean response score rounded half up to one decimal (NaN when
    n is 0). Privacy minimums are the caller's business: this only computes.
    """
    cells = _cell_stats(responses, items, weights, config)
    if cells is None:
        return pd.DataFrame({"round": pd.Series(dtype=object), "agency": pd.Series(dtype=object),
                             "panel": pd.Series(dtype=object), "n": pd.Series(dtype=np.int64),
                             "score": pd.Series(dtype=float)})
    group, panel = np.nonzero(cells.present)  # row-major: by group, then panel order
    cell_ids = group * cells.n_panels + panel
    tenths = _exact_tenths(cells, cells.mean.ravel()[cell_ids], cells.n.ravel()[cell_ids], cell_ids)
    rounds, agencies = cells.labels(group)
    return pd.DataFrame(
        {
            "round": rounds,
            "agency": agencies,
            "panel": np.asarray(PANELS, dtype=object)[panel],
            "n": cells.n.ravel()[cell_ids].astype(np.int64),
            "score": tenths,
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


@dataclass(frozen=True)
class _Cells:
    """Counted responses per (round, agency, panel) cell; arrays are (groups × panels)."""

    groups: "_Groups"
    n_panels: int
    codes: np.ndarray  # per row: group code * n_panels + panel code
    columns: list[np.ndarray]
    item_weights: np.ndarray
    n: np.ndarray
    mean: np.ndarray
    sum_sq: np.ndarray
    present: np.ndarray  # the cell has rows, counted or not
    config: ScoringConfig

    def labels(self, group_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        n_agencies = len(self.groups.agencies)
        return (self.groups.rounds.take(group_ids // n_agencies).to_numpy(),
                self.groups.agencies.take(group_ids % n_agencies).to_numpy())


def _cell_stats(responses, items, weights, config) -> _Cells | None:
    columns = item_columns(responses, items)
    item_weights = item_weight_array(items, weights)
    if len(responses) == 0:
        return None
    panel = panel_codes(responses)
    groups, scores = _groups_and_scores(responses, columns, item_weights, items, config)
    # Without a panel column every response is an enterprise's: one panel, and the codes stay as they were.
    n_panels = 1 if panel is None else len(PANELS)
    codes = groups.codes if panel is None else groups.codes * n_panels + panel
    n, mean, sum_sq, present = _group_sums(codes, scores, groups.size * n_panels)
    shape = (groups.size, n_panels)
    return _Cells(groups, n_panels, codes, columns, item_weights, n.reshape(shape), mean.reshape(shape),
                  sum_sq.reshape(shape), present.reshape(shape), config)


def _rounded_combined(combination, cells: _Cells, keep: np.ndarray, config) -> np.ndarray:
    """The combined means of groups ``keep`` rounded half up; those near a half are recomputed exactly."""
    mean = combination.mean[keep]
    tenths, unsure = tenths_half_up(mean)
    for position in np.flatnonzero(unsure & ~np.isnan(mean)):
        group = keep[position]
        panels = np.flatnonzero(combination.counted[group])
        cell_ids = group * cells.n_panels + panels
        exact = _exact_cell_means(cells, cell_ids)
        panel_weights = [Fraction(repr(config.panel_weights[PANELS[p]])) for p in panels]
        value = sum(w * m for w, m in zip(panel_weights, exact)) / sum(panel_weights)
        tenths[position] = tenths_half_up_exact(value)
    return np.where(np.isnan(mean), np.nan, tenths / SCALE)


def _exact_tenths(cells: _Cells, mean: np.ndarray, n: np.ndarray, cell_ids: np.ndarray) -> np.ndarray:
    """Cell means rounded half up to one decimal (NaN where n is 0), exact near a half."""
    tenths, unsure = tenths_half_up(mean)
    unsure = np.flatnonzero(unsure & (n > 0))
    if unsure.size:
        exact = _exact_cell_means(cells, cell_ids[unsure])
        tenths[unsure] = [tenths_half_up_exact(value) for value in exact]
    return np.where(n > 0, tenths / SCALE, np.nan)


def _exact_cell_means(cells: _Cells, cell_ids: np.ndarray) -> list[Fraction]:
    """Exact mean response score of each cell (which must have counted responses)."""
    rows = np.flatnonzero(np.isin(cells.codes, cell_ids))
    rows = rows[np.argsort(cells.codes[rows], kind="stable")]  # one pass, then split by cell
    order = np.argsort(cell_ids)
    starts = np.searchsorted(cells.codes[rows], cell_ids[order])
    means = [None] * len(cell_ids)
    for position, cell_rows in zip(order, np.split(rows, starts[1:])):
        ratings = np.column_stack([column[cell_rows] for column in cells.columns])
        means[position] = exact_group_mean(ratings, cells.item_weights, cells.config)
    return means


def _combined_interval(combination, cells: _Cells, keep: np.ndarray, config) -> tuple[np.ndarray, np.ndarray]:
    """The t-interval of each kept group's mean.

    One counted panel: the usual interval of its mean (rule 3, §4.8). Several:
    the weighted mean of independent panel means has variance Σ w²·s²/n, and
    its degrees of freedom come from Welch–Satterthwaite (rounded down).
    """
    single = combination.single[keep]
    panel = combination.single_panel[keep]
    n_one = cells.n[keep, panel]
    sum_sq_one = cells.sum_sq[keep, panel]
    low, high = _t_interval(np.where(single, n_one, 0), combination.mean[keep], np.where(single, sum_sq_one, 0.0), config)
    several = np.flatnonzero(~single & ~np.isnan(combination.mean[keep]))
    if several.size:
        groups = keep[several]
        n, weight = cells.n[groups].astype(float), combination.weights[groups]
        with np.errstate(invalid="ignore", divide="ignore"):
            variance_of_mean = np.where(weight > 0, weight**2 * cells.sum_sq[groups] / ((n - 1) * n), 0.0)
            total = variance_of_mean.sum(axis=1)
            df = total**2 / np.where(weight > 0, variance_of_mean**2 / (n - 1), 0.0).sum(axis=1)
        low[several], high[several] = _welch_interval(combination.mean[groups], total, df, config)
    return low, high


def _welch_interval(mean, variance, df, config) -> tuple[np.ndarray, np.ndarray]:
    p = (1 + config.confidence) / 2
    half_width = np.full(len(mean), np.nan)
    for position in range(len(mean)):
        if variance[position] == 0:
            half_width[position] = 0.0  # every panel unanimous: no spread at all
        elif np.isfinite(variance[position]) and np.isfinite(df[position]):
            half_width[position] = t_quantile(p, max(1, int(df[position]))) * np.sqrt(variance[position])
    return (np.clip(mean - half_width, 0.0, config.max_score), np.clip(mean + half_width, 0.0, config.max_score))


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
