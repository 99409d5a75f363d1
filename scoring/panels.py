"""Rater panels (DESIGN §4.10): which panel a response belongs to, and how panel scores combine.

Every rater belongs to one panel (``PANELS``): enterprises (the default),
两代表一委员 (``representative``) and 行风监督员 (``supervisor``). A round's
rules give each panel a weight (``ScoringConfig.panel_weights``); a panel
without a positive weight counts nowhere.

Per (round, agency): ``n`` counts the responses of every weighted panel; the
score is the weight-normalised mean of the means of the weighted panels that
have at least ``min_panel_responses`` responses (weights re-normalised over
those panels; none → no score). With a single weighted panel the per-panel
minimum does not apply, so the default (enterprises alone) is exactly rule 3.

The arithmetic here works on (group × panel) arrays of counts, means and
centred sums of squares; ``scoring.scores`` builds them from the rows.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from scoring.config import DEFAULT_CONFIG, ENTERPRISE, PANELS, REPRESENTATIVE, SUPERVISOR, ScoringConfig

__all__ = ["ENTERPRISE", "PANELS", "REPRESENTATIVE", "SUPERVISOR", "PanelCombination", "combine_panels", "panel_codes"]


def panel_codes(responses: pd.DataFrame) -> np.ndarray | None:
    """Each row's panel as its index in ``PANELS``; None when there is no ``panel`` column (all enterprises).

    A blank (empty, whitespace or missing) panel is an enterprise's. Raises
    ValueError naming the first value that is not a panel code.
    """
    if "panel" not in responses.columns:
        return None
    labels = responses["panel"]
    text = labels.astype("string").str.strip().fillna("")
    codes = pd.Index(PANELS).get_indexer(text.replace("", ENTERPRISE))
    unknown = codes < 0
    if unknown.any():
        raise ValueError(f"panel {labels[unknown].iloc[0]!r} is not one of {', '.join(PANELS)}")
    return codes.astype(np.int64)


def panel_weight_array(config: ScoringConfig, n_panels: int) -> np.ndarray:
    """Weights of the first ``n_panels`` of ``PANELS`` (0 for a panel without one)."""
    return np.array([config.panel_weights.get(panel, 0.0) for panel in PANELS[:n_panels]], dtype=float)


@dataclass(frozen=True)
class PanelCombination:
    """§4.10 applied to every (round, agency) group; arrays have one entry per group."""

    n: np.ndarray  # responses of the weighted panels
    mean: np.ndarray  # weight-normalised mean of the counted panels' means; NaN when none counts
    counted: np.ndarray  # (groups × panels) bool: the panel's mean enters the score
    weights: np.ndarray  # (groups × panels) normalised weights of the counted panels (0 elsewhere)
    single: np.ndarray  # exactly one panel counts: its n, mean and spread are the group's (rule 3)
    single_panel: np.ndarray  # which panel that is (meaningless where ``single`` is False)


def combine_panels(n: np.ndarray, mean: np.ndarray, config: ScoringConfig = DEFAULT_CONFIG) -> PanelCombination:
    """The §4.10 rule on per-(group, panel) counts and means (shape groups × panels, panels in ``PANELS`` order)."""
    weight = panel_weight_array(config, n.shape[1])
    weighted = weight > 0
    # With one weighted panel the per-panel minimum does not apply: any counted response makes a score.
    minimum = 1 if len(config.weighted_panels) == 1 else config.min_panel_responses
    counted = weighted & (n >= minimum)
    total_weight = (counted * weight).sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        normalised = np.where(counted, weight / total_weight, 0.0)
    single = counted.sum(axis=1) == 1
    single_panel = counted.argmax(axis=1)
    own_mean = np.take_along_axis(mean, single_panel[:, None], axis=1)[:, 0]
    combined = (normalised * np.where(counted, mean, 0.0)).sum(axis=1)
    # A single counted panel keeps its own mean, bit for bit: the default gives exactly today's numbers.
    mean_out = np.where(single, own_mean, np.where(counted.any(axis=1), combined, np.nan))
    return PanelCombination(
        n=(n * weighted).sum(axis=1).astype(np.int64),
        mean=mean_out,
        counted=counted,
        weights=normalised,
        single=single,
        single_panel=single_panel,
    )
