"""Round labels ``YYYYQn`` and their time order."""
from __future__ import annotations

import re

import numpy as np
import pandas as pd

ROUND_PATTERN = re.compile(r"^\d{4}Q[1-4]$")


def is_round_label(value) -> bool:
    return isinstance(value, str) and ROUND_PATTERN.fullmatch(value) is not None


def round_ordinal(labels: pd.Series) -> np.ndarray:
    """Quarters counted from year 0 (``2026Q1`` → 8104), for sorting in time order.

    Raises ValueError naming the first label that is not ``YYYYQn``.
    """
    # A plain loop: there is one label per (round, agency), hundreds, not millions.
    ordinals = np.empty(len(labels), dtype=np.int64)
    for position, label in enumerate(labels):
        if not is_round_label(label):
            raise ValueError(f"round label {label!r} is not in YYYYQn form")
        ordinals[position] = int(label[:4]) * 4 + int(label[5]) - 1
    return ordinals
