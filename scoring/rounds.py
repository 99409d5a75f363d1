"""Round labels ``YYYYQn`` and their time order.

This is the one place the round-name form is spelled out: the services
(``surveys.collection.rounds.parse_round_name``) and the labels people read
(``labels.round_label``) parse names through ``parse_round_label``.
"""
from __future__ import annotations

import re

import numpy as np
import pandas as pd

ROUND_PATTERN = re.compile(r"^(\d{4})Q([1-4])$")


def parse_round_label(value) -> tuple[int, int] | None:
    """``2026Q4`` → (2026, 4); None when ``value`` is not a round name."""
    match = ROUND_PATTERN.fullmatch(value) if isinstance(value, str) else None
    return (int(match.group(1)), int(match.group(2))) if match else None


def is_round_label(value) -> bool:
    return parse_round_label(value) is not None


def round_ordinal(labels: pd.Series) -> np.ndarray:
    """Quarters counted from year 0 (``2026Q1`` → 8104), for sorting in time order.

    Raises ValueError naming the first label that is not ``YYYYQn``.
    """
    # A plain loop: there is one label per (round, agency), hundreds, not millions.
    ordinals = np.empty(len(labels), dtype=np.int64)
    for position, label in enumerate(labels):
        parsed = parse_round_label(label)
        if parsed is None:
            raise ValueError(f"round label {label!r} is not in YYYYQn form")
        ordinals[position] = parsed[0] * 4 + parsed[1] - 1
    return ordinals
