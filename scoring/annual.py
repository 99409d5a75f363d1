"""The year (年考核, DESIGN §4.11): annual score, the optional composite with a work assessment, the veto.

From the published quarterly results of a calendar year, per agency:

* ``quarters``: its graded quarters (grade not insufficient);
* ``survey_score``: the mean of those quarters' published scores, rounded half
  up to one decimal; missing with fewer than 2 graded quarters (→ insufficient);
* ``work_score``: the work-assessment score (0–100) the administrator entered, if any;
* ``score``: with a work score, ``a × survey_score + (1 − a) × work_score``
  rounded half up (``a`` = ``annual_survey_weight``, 0.7), else the survey score;
* ``grade``: rule 4's thresholds on ``score`` (insufficient without a score);
  a vetoed agency (一票否决: a referral that year whose investigation found
  fault) is graded poor whatever its score, even without one;
* ``rank``: competition ranking by score within the year (1, 2, 2, 4), vetoed
  agencies after all others (among themselves by score, a missing score last);
  None for an insufficient agency that is not vetoed.

All arithmetic on scores is exact (published scores and weights are taken as
the decimals they are written as), so half-up rounding never slips on float error.
"""
from __future__ import annotations

from fractions import Fraction

import numpy as np
import pandas as pd

from scoring.config import DEFAULT_CONFIG, ScoringConfig
from scoring.grades import FAIR, GOOD, GRADES, INSUFFICIENT, POOR
from scoring.rounding import tenths_half_up_exact
from scoring.rounds import parse_round_label

YEAR_COLUMNS = ["year", "agency", "quarters", "survey_score", "work_score", "score", "grade", "rank"]
MIN_QUARTERS = 2  # §4.11: fewer graded quarters → insufficient


def grade_year(
    quarterly: pd.DataFrame,
    work: pd.DataFrame | None = None,
    veto: pd.DataFrame | None = None,
    config: ScoringConfig = DEFAULT_CONFIG,
) -> pd.DataFrame:
    """One row per (year, agency) in ``quarterly``, sorted by year then agency; columns ``YEAR_COLUMNS``.

    ``quarterly``: published results, columns ``round`` (YYYYQn), ``agency``,
    ``score``, ``grade``; with a ``group`` column the result gains ``group``
    (the agency's group in its last quarter of the year) and ``group_rank``
    (the same ranking within (year, group)). ``work``: columns ``year, agency,
    work_score``; ``veto``: columns ``year, agency``. Rows of ``work`` and
    ``veto`` for a (year, agency) without quarterly results are ignored.
    Raises ValueError for a round label that is not YYYYQn, an unknown grade,
    a graded quarter without a score, or a (round, agency) or (year, agency) given twice.
    """
    quarters = _quarters(quarterly)
    year = _per_year(quarters)
    year["work_score"] = _work_scores(year, work)
    vetoed = _vetoed(year, veto)
    year["score"] = [_composite(s, w, config) for s, w in zip(year["survey_score"], year["work_score"])]
    year["grade"] = np.where(vetoed, POOR, _grades(year["score"].to_numpy(dtype=float), config))
    year["rank"] = _year_ranks(year, vetoed, ["year"])
    columns = list(YEAR_COLUMNS)
    if "group" in quarters.columns:
        year["group_rank"] = _year_ranks(year, vetoed, ["year", "group"])
        columns += ["group", "group_rank"]
    return year[columns]


def _quarters(quarterly: pd.DataFrame) -> pd.DataFrame:
    missing = [c for c in ("round", "agency", "score", "grade") if c not in quarterly.columns]
    if missing:
        raise ValueError(f"quarterly results need columns {missing}")
    parsed = [parse_round_label(label) for label in quarterly["round"]]
    bad = [label for label, p in zip(quarterly["round"], parsed) if p is None]
    if bad:
        raise ValueError(f"round label {bad[0]!r} is not in YYYYQn form")
    unknown = ~quarterly["grade"].isin(GRADES)
    if unknown.any():
        raise ValueError(f"unknown grade {quarterly['grade'][unknown].iloc[0]!r}")
    repeated = quarterly.duplicated(["round", "agency"])
    if repeated.any():
        first = quarterly[repeated].iloc[0]
        raise ValueError(f"two results for round {first['round']!r}, agency {first['agency']!r}")
    frame = pd.DataFrame({
        "year": [p[0] for p in parsed],
        "quarter": [p[1] for p in parsed],
        "agency": quarterly["agency"].to_numpy(),
        "score": pd.to_numeric(quarterly["score"]).to_numpy(dtype=float),
        "graded": (quarterly["grade"] != INSUFFICIENT).to_numpy(),
    })
    unscored = frame["graded"] & frame["score"].isna()
    if unscored.any():
        raise ValueError(f"agency {frame['agency'][unscored].iloc[0]!r} is graded without a score")
    if "group" in quarterly.columns:
        frame["group"] = quarterly["group"].to_numpy()
    return frame


def _per_year(quarters: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for (year, agency), rows_of in quarters.sort_values("quarter").groupby(["year", "agency"], sort=True):
        scores = rows_of.loc[rows_of["graded"], "score"]
        row = {"year": int(year), "agency": agency, "quarters": len(scores), "survey_score": _mean_half_up(scores)}
        if "group" in rows_of.columns:
            row["group"] = rows_of["group"].iloc[-1]  # its group in the year's last quarter
        rows.append(row)
    columns = ["year", "agency", "quarters", "survey_score"] + (["group"] if "group" in quarters.columns else [])
    frame = pd.DataFrame(rows, columns=columns)
    return frame.astype({"year": np.int64, "quarters": np.int64, "survey_score": float})


def _mean_half_up(scores: pd.Series) -> float:
    if len(scores) < MIN_QUARTERS:
        return np.nan
    exact = sum((_written(s) for s in scores), Fraction(0)) / len(scores)
    return tenths_half_up_exact(exact) / 10


def _work_scores(year: pd.DataFrame, work: pd.DataFrame | None) -> np.ndarray:
    if work is None or work.empty:
        return np.full(len(year), np.nan)
    keys = pd.DataFrame({"year": work["year"].astype(int).to_numpy(), "agency": work["agency"].to_numpy()})
    repeated = keys.duplicated()
    if repeated.any():
        first = keys[repeated].iloc[0]
        raise ValueError(f"two work scores for year {first['year']}, agency {first['agency']!r}")
    values = pd.Series(pd.to_numeric(work["work_score"]).to_numpy(dtype=float), index=pd.MultiIndex.from_frame(keys))
    return values.reindex(pd.MultiIndex.from_frame(year[["year", "agency"]])).to_numpy(dtype=float)


def _vetoed(year: pd.DataFrame, veto: pd.DataFrame | None) -> np.ndarray:
    if veto is None or veto.empty:
        return np.zeros(len(year), dtype=bool)
    keys = pd.MultiIndex.from_arrays([veto["year"].astype(int).to_numpy(), veto["agency"].to_numpy()])
    return pd.MultiIndex.from_frame(year[["year", "agency"]]).isin(keys)


def _composite(survey: float, work_score: float, config: ScoringConfig) -> float:
    if np.isnan(survey) or np.isnan(work_score):
        return survey
    a = _written(config.annual_survey_weight)
    return tenths_half_up_exact(a * _written(survey) + (1 - a) * _written(work_score)) / 10


def _grades(score: np.ndarray, config: ScoringConfig) -> np.ndarray:
    return np.select(
        [np.isnan(score), score >= config.good_threshold, score >= config.fair_threshold],
        [INSUFFICIENT, GOOD, FAIR],
        default=POOR,
    )


def _year_ranks(year: pd.DataFrame, vetoed: np.ndarray, within: list[str]) -> pd.Series:
    """Competition ranks within ``within``: graded by score, then vetoed by score (missing last); None otherwise."""
    ranks = np.full(len(year), None, dtype=object)
    score = year["score"].to_numpy(dtype=float)
    ranked = vetoed | ~np.isnan(score)
    keys = [year[column].astype(object).where(year[column].notna(), "\x00none") for column in within]
    for _, positions in pd.Series(np.arange(len(year))).groupby(keys, sort=False):
        positions = positions.to_numpy()
        positions = positions[ranked[positions]]
        # Sort key: vetoed last; then higher score first; a vetoed agency without a score last of all.
        key = list(zip(vetoed[positions], -np.nan_to_num(score[positions], nan=-np.inf)))
        order = sorted(range(len(positions)), key=key.__getitem__)
        for place, index in enumerate(order):
            tied = place > 0 and key[index] == key[order[place - 1]]
            ranks[positions[index]] = ranks[positions[order[place - 1]]] if tied else place + 1
    return pd.Series(ranks, index=year.index, dtype=object)


def _written(value: float) -> Fraction:
    """A number as the decimal it is written as (45.1 is exactly 451/10)."""
    return Fraction(repr(float(value)))
