"""Quantiles of Student's t distribution, without SciPy.

The runtime does not depend on SciPy, and only a few quantiles are needed (one
per distinct number of responses), so we compute them here:

* up to ``EXACT_MAX_DF`` degrees of freedom, by bisection on the exact CDF for
  integer degrees of freedom (Abramowitz & Stegun 26.7.3–4, a finite series);
* beyond, by the Cornish–Fisher expansion around the normal quantile, whose
  error there is below 1e-9.
"""
from __future__ import annotations

import math
from functools import lru_cache
from statistics import NormalDist

EXACT_MAX_DF = 100


@lru_cache(maxsize=4096)
def t_quantile(p: float, df: int) -> float:
    """The p-quantile of t with ``df`` (≥ 1) degrees of freedom, for 0.5 ≤ p < 1."""
    if df < 1:
        raise ValueError("degrees of freedom must be at least 1")
    if not 0.5 <= p < 1:
        raise ValueError("p must be in [0.5, 1)")
    if df > EXACT_MAX_DF:
        return _cornish_fisher(p, df)
    target = 2 * p - 1  # P(|T| < t)
    low, high = 0.0, 1.0
    while _two_sided_cdf(high, df) < target:
        high *= 2
    for _ in range(200):
        mid = (low + high) / 2
        if _two_sided_cdf(mid, df) < target:
            low = mid
        else:
            high = mid
        if high - low < 1e-13 * high:
            break
    return (low + high) / 2


def _two_sided_cdf(t: float, df: int) -> float:
    """P(|T| < t) for integer df, A&S 26.7.3 (odd df) and 26.7.4 (even df)."""
    theta = math.atan(t / math.sqrt(df))
    c2 = math.cos(theta) ** 2
    s = math.sin(theta)
    if df % 2 == 0:
        term, total = 1.0, 1.0
        for k in range(2, df, 2):  # terms (1·3···(k−1))/(2·4···k) cos^k θ
            term *= c2 * (k - 1) / k
            total += term
        return s * total
    if df == 1:
        return 2 * theta / math.pi
    term = math.cos(theta)
    total = term
    for k in range(3, df - 1, 2):  # terms (2·4···(k−1))/(1·3···k) cos^k θ
        term *= c2 * (k - 1) / k
        total += term
    return 2 / math.pi * (theta + s * total)


def _cornish_fisher(p: float, df: int) -> float:
    z = NormalDist().inv_cdf(p)
    z2 = z * z
    terms = [
        z,
        z * (z2 + 1) / 4,
        z * (5 * z2**2 + 16 * z2 + 3) / 96,
        z * (3 * z2**3 + 19 * z2**2 + 17 * z2 - 15) / 384,
        z * (79 * z2**4 + 776 * z2**3 + 1482 * z2**2 - 1920 * z2 - 945) / 92160,
    ]
    return sum(term / df**i for i, term in enumerate(terms))
