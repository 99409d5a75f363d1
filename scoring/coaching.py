"""Coaching and stuffing signals (issue 15 item 4): patterns that organised or
bought ratings leave behind. Like ``scoring.anomalies`` they are reported for the
discipline office to look at, never used to exclude anything by themselves.

Input: one row per response with the columns ``response`` (its id), ``round``,
``agency``, ``saved_at`` (when it was first saved), ``opened_at`` (when the rater
opened that agency's form; missing for paper returns and older answers) and one
column per item with the rating (1–5, missing when not answered); optionally
``source``: rows from ``paper`` carry the time they were entered, not answered, so the
time-based signals leave them out. Round names sort in time order ("2026Q1" < "2026Q2").

Kinds (one row each, columns ``SIGNAL_COLUMNS``; ``responses`` lists the ids of the
responses that make the signal, so the caller can show them as evidence):

* ``top_share_jump`` — this round's share of top ratings for an agency is far above
  its own previous rounds: at least ``min_jump`` higher, and ``min_z`` standard
  errors above (the error of a share at the history's level with this round's
  count). Needs ``min_responses`` this round and ``min_history_responses`` before.
* ``identical_in_window`` — at least ``min_identical`` responses for one agency with
  the same complete answers, all saved within ``window_minutes``, making up at least
  ``min_window_share`` of the agency's responses saved in that span (five identical
  answers among a hundred saved in the same half hour are no pattern).
* ``too_fast`` — at least ``min_fast`` responses for one agency saved sooner after
  opening the form than reading it allows: the items' text at
  ``chars_per_second`` plus ``seconds_per_item`` to choose each answer.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

SIGNAL_COLUMNS = ["kind", "round", "agency", "count", "total", "responses", "detail"]
KINDS = ("top_share_jump", "identical_in_window", "too_fast")


@dataclass(frozen=True)
class SignalRules:
    """Thresholds of the coaching signals. Defaults are deliberately cautious: a signal
    asks for a look, so it should rarely fire on honest answers."""

    top_level: int = 5  # "top ratings": 非常满意; 4 would make it 满意及以上
    min_responses: int = 5  # this round's responses before a share means anything
    min_history_responses: int = 10  # the agency's earlier responses the baseline rests on
    history_rounds: int = 4  # how many earlier rounds make the baseline
    min_jump: float = 0.25  # the share must rise by at least this much (0.25 = 25 points)...
    min_z: float = 3.0  # ...and by at least this many standard errors
    window_minutes: float = 30.0
    min_identical: int = 5
    min_window_share: float = 1 / 3
    chars_per_second: float = 8.0  # fast reading of Chinese text
    seconds_per_item: float = 1.5  # the least time to tap one answer
    min_fast: int = 3

    def __post_init__(self):
        for name in ("min_responses", "min_history_responses", "history_rounds", "min_identical", "min_fast"):
            if getattr(self, name) < 1:
                raise ValueError(f"SignalRules.{name} must be at least 1, not {getattr(self, name)}")
        for name in ("window_minutes", "chars_per_second", "min_z"):
            if not getattr(self, name) > 0:
                raise ValueError(f"SignalRules.{name} must be above 0, not {getattr(self, name)}")
        if not 0 <= self.min_window_share <= 1:
            raise ValueError(f"SignalRules.min_window_share must be in [0, 1], not {self.min_window_share}")
        if not 0 < self.min_jump <= 1:
            raise ValueError(f"SignalRules.min_jump must be in (0, 1], not {self.min_jump}")


DEFAULT_RULES = SignalRules()


def coaching_signals(responses: pd.DataFrame, items: list[str], round_name: str, item_chars: int,
                     rules: SignalRules = DEFAULT_RULES) -> pd.DataFrame:
    """Every coaching signal of ``round_name`` (earlier rounds in ``responses`` serve as
    history), sorted by kind and agency. ``item_chars``: the length of the items' text."""
    timed = responses[responses["source"] != "paper"] if "source" in responses else responses
    found = [top_share_jumps(responses, items, round_name, rules),
             identical_in_window(timed, items, round_name, rules),
             too_fast(timed, round_name, reading_floor(item_chars, len(items), rules), rules)]
    found = [frame for frame in found if not frame.empty]
    if not found:
        return _empty()
    return pd.concat(found, ignore_index=True).sort_values(["kind", "agency"], ignore_index=True)[SIGNAL_COLUMNS]


def _empty() -> pd.DataFrame:
    return pd.DataFrame(columns=SIGNAL_COLUMNS)


def _ratings(responses: pd.DataFrame, items: list[str]) -> np.ndarray:
    try:
        return responses[items].to_numpy(dtype=float)
    except (TypeError, ValueError):  # text in a rating column: not a rating
        return responses[items].apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)


def top_shares(responses: pd.DataFrame, items: list[str], top_level: int) -> pd.Series:
    """Each response's share of its answered items rated ``top_level`` or above (NaN: none answered)."""
    ratings = _ratings(responses, items)
    answered = (~np.isnan(ratings)).sum(axis=1)
    top = (ratings >= top_level).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return pd.Series(np.where(answered > 0, top / np.maximum(answered, 1), np.nan), index=responses.index)


def top_share_jumps(responses: pd.DataFrame, items: list[str], round_name: str,
                    rules: SignalRules = DEFAULT_RULES) -> pd.DataFrame:
    """Agencies whose share of top ratings this round jumps far above their own history."""
    if responses.empty:
        return _empty()
    earlier_rounds = sorted(r for r in pd.unique(responses["round"]) if r < round_name)[-rules.history_rounds:]
    frame = responses[responses["round"].isin([*earlier_rounds, round_name])]
    frame = frame.assign(share=top_shares(frame, items, rules.top_level)).dropna(subset=["share"])
    current = frame[frame["round"] == round_name]
    history = frame[frame["round"] != round_name]
    now = current.groupby("agency")["share"].agg(["mean", "size"])
    before = history.groupby("agency")["share"].agg(["mean", "size"])
    rows = []
    for agency, (share, n) in now.iterrows():
        if agency not in before.index:
            continue
        baseline, n_before = before.loc[agency, "mean"], int(before.loc[agency, "size"])
        if n < rules.min_responses or n_before < rules.min_history_responses:
            continue
        # a share's error at the baseline level; kept off 0 and 1 so a spotless history
        # does not make any change infinitely significant
        level = min(max(baseline, 0.5 / n_before), 1 - 0.5 / n_before)
        z = (share - baseline) / math.sqrt(level * (1 - level) / n)
        if share - baseline >= rules.min_jump and z >= rules.min_z:
            mine = current[current["agency"] == agency]
            top = mine[mine["share"] > baseline]
            rows.append({"kind": "top_share_jump", "round": round_name, "agency": agency, "count": len(top),
                         "total": int(n), "responses": sorted(int(r) for r in top["response"]),
                         "detail": {"share": float(share), "baseline": float(baseline), "z": float(z),
                                    "history_responses": n_before,
                                    "history_rounds": sorted(set(history.loc[history["agency"] == agency, "round"]))}})
    return pd.DataFrame(rows, columns=SIGNAL_COLUMNS) if rows else _empty()


def identical_in_window(responses: pd.DataFrame, items: list[str], round_name: str,
                        rules: SignalRules = DEFAULT_RULES) -> pd.DataFrame:
    """For each agency and complete answer vector, the most responses saved within one window."""
    current = responses[responses["round"] == round_name]
    if current.empty:
        return _empty()
    ratings = _ratings(current, items)
    saved = pd.to_datetime(current["saved_at"], utc=True, format="ISO8601").to_numpy(dtype="datetime64[ns]")
    agencies = current["agency"].to_numpy()
    complete = np.flatnonzero(~np.isnan(ratings).any(axis=1))
    if complete.size == 0:
        return _empty()
    # one number per distinct answer vector; only (agency, vector) groups big enough are looked at
    _, vector = np.unique(ratings[complete], axis=0, return_inverse=True)
    candidates = pd.DataFrame({"agency": agencies[complete], "vector": vector.ravel(), "saved": saved[complete],
                               "response": current["response"].to_numpy()[complete], "row": complete})
    sizes = candidates.groupby(["agency", "vector"])["row"].transform("size")
    candidates = candidates[sizes >= rules.min_identical].sort_values(["agency", "vector", "saved", "response"])
    if candidates.empty:
        return _empty()
    agency_times = {agency: np.sort(saved[agencies == agency]) for agency in set(candidates["agency"])}
    window = np.timedelta64(int(rules.window_minutes * 60 * 1e9), "ns")
    group_agency, group_vector = candidates["agency"].to_numpy(), candidates["vector"].to_numpy()
    times, ids, source_rows = (candidates[c].to_numpy() for c in ("saved", "response", "row"))
    new_group = (group_agency[1:] != group_agency[:-1]) | (group_vector[1:] != group_vector[:-1])
    starts = np.flatnonzero(np.r_[True, new_group])
    rows = []
    for start, stop in zip(starts, [*starts[1:], len(candidates)]):  # plain arrays: thousands of groups
        agency = group_agency[start]
        first, last = (start + offset for offset in _densest_window(times[start:stop], window))
        count = last - first
        in_span = _saved_between(agency_times[agency], times[first], times[last - 1])
        if count >= rules.min_identical and count >= rules.min_window_share * in_span:
            answers = ",".join(str(int(r)) for r in ratings[source_rows[start]])
            rows.append({"kind": "identical_in_window", "round": round_name, "agency": agency, "count": int(count),
                         "total": int((agencies == agency).sum()),
                         "responses": sorted(int(r) for r in ids[first:last]),
                         "detail": {"answers": answers, "first": _iso(times[first]), "last": _iso(times[last - 1]),
                                    "saved_in_span": in_span, "window_minutes": rules.window_minutes}})
    if not rows:
        return _empty()
    return pd.DataFrame(rows, columns=SIGNAL_COLUMNS).sort_values(["agency", "count"], ascending=[True, False],
                                                                  ignore_index=True)


def _densest_window(times: np.ndarray, window: np.timedelta64) -> tuple[int, int]:
    """[first, last) of the longest run of sorted ``times`` whose first and last are at most
    ``window`` apart; the earliest such run on a tie."""
    ends = np.searchsorted(times, times + window, side="right")
    first = int(np.argmax(ends - np.arange(len(times))))
    return first, int(ends[first])


def _saved_between(sorted_times: np.ndarray, first, last) -> int:
    return int(np.searchsorted(sorted_times, last, side="right") - np.searchsorted(sorted_times, first, side="left"))


def _iso(moment: np.datetime64) -> str:
    return pd.Timestamp(moment, tz="UTC").isoformat()


def reading_floor(item_chars: int, item_count: int, rules: SignalRules = DEFAULT_RULES) -> float:
    """The fewest seconds in which a form of ``item_count`` items totalling ``item_chars``
    characters can be read and answered."""
    return item_chars / rules.chars_per_second + item_count * rules.seconds_per_item


def answer_seconds(responses: pd.DataFrame) -> pd.Series:
    """Seconds from opening the form to saving it; NaN where the opening is not known."""
    if "opened_at" not in responses or responses.empty:
        return pd.Series(np.nan, index=responses.index, dtype=float)
    opened = pd.to_datetime(responses["opened_at"], utc=True, format="ISO8601", errors="coerce")
    saved = pd.to_datetime(responses["saved_at"], utc=True, format="ISO8601", errors="coerce")
    return (saved - opened).dt.total_seconds()


def too_fast(responses: pd.DataFrame, round_name: str, floor_seconds: float,
             rules: SignalRules = DEFAULT_RULES) -> pd.DataFrame:
    """Agencies with at least ``min_fast`` responses saved in under ``floor_seconds``."""
    current = responses[responses["round"] == round_name]
    if current.empty:
        return _empty()
    current = current.assign(seconds=answer_seconds(current))
    timed = current.dropna(subset=["seconds"])
    rows = []
    for agency, group in timed.groupby("agency", sort=True):
        fast = group[group["seconds"] < floor_seconds]
        if len(fast) >= rules.min_fast:
            rows.append({"kind": "too_fast", "round": round_name, "agency": agency, "count": len(fast),
                         "total": len(group), "responses": sorted(int(r) for r in fast["response"]),
                         "detail": {"floor_seconds": floor_seconds,
                                    "median_seconds": float(fast["seconds"].median())}})
    return pd.DataFrame(rows, columns=SIGNAL_COLUMNS) if rows else _empty()
