"""Reading the files of ``python -m scoring annual``, with every problem found (§4.11).

* the quarterly results, in the ``grade`` command's output format: columns
  ``round``, ``agency``, ``score``, ``grade`` are used (``n``, ``action`` and any
  other column are ignored); a graded quarter needs its score;
* ``--work``: ``year, agency, work_score`` (0–100), at most one row per (year, agency);
* ``--veto``: ``year, agency``, at most one row per (year, agency).

A work score or veto for a (year, agency) without quarterly results is refused:
it is almost always a typo in the agency code, and would otherwise vanish.
Problems carry the line in the file (header = line 1) and the column, like
``scoring.io``; the command line words them and names the file.
"""
from __future__ import annotations

from decimal import Decimal, InvalidOperation
from pathlib import Path

import numpy as np
import pandas as pd

from scoring.config import DEFAULT_CONFIG, ScoringConfig
from scoring.grades import GRADES, INSUFFICIENT
from scoring.io import read_named_table
from scoring.problems import InputError, Problem
from scoring.rounds import ROUND_PATTERN

YEAR_PATTERN = r"\d{4}"


def read_quarterly(path: str | Path, config: ScoringConfig = DEFAULT_CONFIG) -> pd.DataFrame:
    """Quarterly results (round, agency, score as float or NaN, grade); InputError listing every problem."""
    frame, lines = read_named_table(path, ("round", "agency", "score", "grade"))
    problems = _blank(frame, lines, ["round", "agency", "grade"])
    bad_round = _mismatch(frame["round"], ROUND_PATTERN.pattern)
    problems += _each("bad_round", frame, lines, "round", bad_round)
    bad_grade = (frame["grade"] != "") & ~frame["grade"].isin(GRADES)
    problems += _each("bad_grade", frame, lines, "grade", bad_grade, grades=", ".join(GRADES))
    score, bad_score = _numbers(frame["score"], 0, config.max_score)
    problems += _each("bad_score", frame, lines, "score", bad_score, highest=_plain(config.max_score))
    graded = frame["grade"].isin(GRADES) & (frame["grade"] != INSUFFICIENT)
    problems += _each("missing_score", frame, lines, "score", graded & (frame["score"] == ""), grade=frame["grade"])
    problems += _repeats("duplicate_result", frame, lines, ["round", "agency"])
    if problems:
        raise InputError(_sorted(problems))
    if frame.empty:
        raise InputError([Problem("no_rows", {"path": str(path)})])
    return pd.DataFrame({"round": frame["round"], "agency": frame["agency"], "score": score, "grade": frame["grade"]})


def read_work(path: str | Path, known: pd.MultiIndex | None) -> pd.DataFrame:
    """Work-assessment scores (year as int, agency, work_score as float); each (year, agency) must be in ``known`` (unchecked when None)."""
    frame, lines = read_named_table(path, ("year", "agency", "work_score"))
    problems = _year_agency_problems(frame, lines, known)
    score, bad = _numbers(frame["work_score"], 0, 100)
    problems += _each("blank_value", frame, lines, "work_score", frame["work_score"] == "")
    problems += _each("bad_work_score", frame, lines, "work_score", bad)
    problems += _repeats("duplicate_work_score", frame, lines, ["year", "agency"])
    if problems:
        raise InputError(_sorted(problems))
    return pd.DataFrame({"year": frame["year"].astype(int), "agency": frame["agency"], "work_score": score})


def read_veto(path: str | Path, known: pd.MultiIndex | None) -> pd.DataFrame:
    """Vetoed (year as int, agency) pairs; each must be in ``known`` (unchecked when None)."""
    frame, lines = read_named_table(path, ("year", "agency"))
    problems = _year_agency_problems(frame, lines, known)
    problems += _repeats("duplicate_veto", frame, lines, ["year", "agency"])
    if problems:
        raise InputError(_sorted(problems))
    return pd.DataFrame({"year": frame["year"].astype(int), "agency": frame["agency"]})


def known_years(quarterly: pd.DataFrame) -> pd.MultiIndex:
    """The (year, agency) pairs that have quarterly results."""
    return pd.MultiIndex.from_arrays([quarterly["round"].str[:4].astype(int), quarterly["agency"]]).unique()


# --- checks ----------------------------------------------------------------------


def _year_agency_problems(frame: pd.DataFrame, lines: np.ndarray, known: pd.MultiIndex | None) -> list[Problem]:
    problems = _blank(frame, lines, ["year", "agency"])
    bad_year = _mismatch(frame["year"], YEAR_PATTERN)
    problems += _each("bad_year", frame, lines, "year", bad_year)
    if known is None:  # the results file has problems of its own: nothing to compare with
        return problems
    fine = ~bad_year & (frame["year"] != "") & (frame["agency"] != "")
    pairs = pd.MultiIndex.from_arrays([frame["year"].where(fine, "0").astype(int), frame["agency"]])
    unknown = fine & ~pairs.isin(known)
    problems += [
        Problem("unknown_year_agency", {"line": int(line), "year": year, "agency": agency})
        for line, year, agency in zip(lines[unknown.to_numpy()], frame["year"][unknown], frame["agency"][unknown])
    ]
    return problems


def _blank(frame: pd.DataFrame, lines: np.ndarray, columns: list[str]) -> list[Problem]:
    return [problem for column in columns for problem in _each("blank_value", frame, lines, column, frame[column] == "")]


def _mismatch(text: pd.Series, pattern: str) -> pd.Series:
    return (text != "") & ~text.str.fullmatch(pattern).fillna(False).astype(bool)


def _each(code: str, frame: pd.DataFrame, lines: np.ndarray, column: str, mask: pd.Series, **extra) -> list[Problem]:
    """One problem per row in ``mask``; an ``extra`` value that is a Series is taken row by row."""
    positions = np.flatnonzero(mask.to_numpy())
    return [
        Problem(code, {"line": int(lines[i]), "column": column, "value": frame[column].iloc[i],
                       **{k: (v.iloc[i] if isinstance(v, pd.Series) else v) for k, v in extra.items()}})
        for i in positions
    ]


def _numbers(text: pd.Series, lowest: float, highest: float) -> tuple[np.ndarray, pd.Series]:
    """Numbers (NaN for blank) and the mask of non-blank cells that are not a number in lowest..highest."""
    values = np.array([_number(value) for value in text], dtype=float)
    bad = (text != "").to_numpy() & ~((values >= lowest) & (values <= highest))
    values[bad] = np.nan
    return values, pd.Series(bad, index=text.index)


def _number(text: str) -> float:
    if not text:
        return np.nan
    try:
        value = Decimal(text)
    except (InvalidOperation, ValueError):
        return np.nan
    return float(value) if value.is_finite() else np.nan


def _repeats(code: str, frame: pd.DataFrame, lines: np.ndarray, keys: list[str]) -> list[Problem]:
    repeated = frame.duplicated(keys, keep="first").to_numpy()
    if not repeated.any():
        return []
    first_line = pd.Series(lines, index=frame.index).groupby([frame[k] for k in keys]).transform("first")
    return [
        Problem(code, {"line": int(lines[i]), "first_line": int(first_line.iloc[i]),
                       **{k: frame[k].iloc[i] for k in keys}})
        for i in np.flatnonzero(repeated)
    ]


def _plain(value: float) -> str:
    return f"{value:g}"


def _sorted(problems: list[Problem]) -> list[Problem]:
    return sorted(problems, key=lambda p: p.params.get("line", 0))
