"""Half-up rounding to one decimal, exact where it matters.

Binary floats cannot hold most decimals: the mean 43.75 may arrive as
43.749999999999993, and Python's ``round`` rounds half to even anyway. The
grade is taken from the rounded score (§4.3), so a wrong last digit can turn a
79.95 (good) into 79.9 (fair). We therefore round in two steps:

1. ``tenths_half_up`` rounds the float and says which values sit within
   ``BOUNDARY_TOLERANCE`` of a half (x.x5): only those can be rounded wrongly.
2. The caller recomputes those few means exactly (``fractions.Fraction``) and
   rounds them with ``tenths_half_up_exact``.
"""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
import math

import numpy as np

SCALE = 10  # one decimal
# Float error on a mean of scores in 0..100 is ~1e-12; a real mean that is not
# a half but lies this close to one is possible only for enormous groups, and
# even then the exact recomputation settles it.
BOUNDARY_TOLERANCE = 1e-6


def tenths_half_up(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(values rounded half up, in tenths as floats; mask of values too close to a half to trust)."""
    shifted = np.asarray(values, dtype=np.float64) * SCALE + 0.5
    tenths = np.floor(shifted + BOUNDARY_TOLERANCE)
    unsure = np.abs(shifted - np.round(shifted)) < BOUNDARY_TOLERANCE
    return tenths, unsure


def tenths_half_up_exact(value: Fraction) -> int:
    return math.floor(value * SCALE + Fraction(1, 2))


def round_half_up(value: float, decimals: int = 1) -> float:
    """Round a single number half up, taking a float as the decimal it prints as.

    ``round_half_up(41.25) == 41.3``, ``round_half_up(12.45) == 12.5`` (the float
    12.45 is slightly below 12.45, but it is what was written).
    """
    quantum = Decimal(1).scaleb(-decimals)
    return float(Decimal(repr(float(value))).quantize(quantum, rounding=ROUND_HALF_UP))


def round_half_up_array(values: np.ndarray) -> np.ndarray:
    """Vectorised one-decimal half-up rounding for display values (interval bounds)."""
    tenths, _ = tenths_half_up(values)
    return tenths / SCALE
