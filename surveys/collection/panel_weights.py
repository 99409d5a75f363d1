"""A round's panel weights (DESIGN §4.10): how much each rater panel counts in the round's score.

The administrator sets them as percentages while the round is a draft or open (enterprises
50 / representatives 25 / supervisors 25); until then a round counts enterprises alone, the
county's rule. Finalisation reads them through ``surveys.results.finalise.scoring_config`` and
pins them with the rest of the round's rules, so a later change never moves a stored grade.
Only panels with a positive weight are stored: a panel without one counts nowhere.
"""
from __future__ import annotations

import math

import sqlite_utils

from surveys.collection import rounds
from surveys.core import audit
from surveys.core.actors import Actor
from surveys.core.errors import InvalidInput, Term
from surveys.core.permissions import requires
from surveys.participants.panels import ENTERPRISE, PANELS
from surveys.storage.db import write_transaction

TOTAL = 100  # the weights are percentages of the round's score
DEFAULT_WEIGHTS = {ENTERPRISE: float(TOTAL)}


def round_weights(db: sqlite_utils.Database, name: str) -> dict[str, float] | None:
    """The weights the administrator set for round ``name`` (positive ones, panels in order), or None."""
    stored = dict(db.execute("SELECT panel, weight FROM round_panel_weights WHERE round = ?", [name]).fetchall())
    return {panel: float(stored[panel]) for panel in PANELS if panel in stored} or None


def weights_shown(db: sqlite_utils.Database, name: str) -> dict[str, float]:
    """Every panel's weight for the rounds page: the round's own, or enterprises alone."""
    weights = round_weights(db, name) or DEFAULT_WEIGHTS
    return {panel: float(weights.get(panel, 0.0)) for panel in PANELS}


def _panel_term(panel: str) -> Term:
    return Term(f"panels.name.{panel}")


def check_weights(weights: dict) -> dict[str, float]:
    """The positive weights, as floats; InvalidInput naming the panel and the problem otherwise:
    an unknown panel, a weight that is not a number from 0 to 100, none above 0, a total not 100."""
    checked = {}
    for panel, value in weights.items():
        if panel not in PANELS:
            raise InvalidInput("panels.weights.unknown_panel", panel=panel, known=" / ".join(PANELS))
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise InvalidInput("panels.weights.not_a_number", panel_name=_panel_term(panel), value=value)
        if not 0 <= value <= TOTAL:
            raise InvalidInput("panels.weights.out_of_range", panel_name=_panel_term(panel), value=value,
                               maximum=TOTAL)
        if value > 0:
            checked[panel] = float(value)
    if not checked:
        raise InvalidInput("panels.weights.none_positive")
    total = sum(checked.values())
    if not math.isclose(total, TOTAL, abs_tol=1e-9):
        raise InvalidInput("panels.weights.wrong_total", total=f"{total:g}", expected=TOTAL)
    return checked


@requires("rounds.manage")
def set_panel_weights(db: sqlite_utils.Database, actor: Actor, name: str, weights: dict) -> dict[str, float]:
    """Set a draft or open round's panel weights (percentages adding up to 100); returns what was stored."""
    checked = check_weights(weights)
    with write_transaction(db):
        current = rounds.get_round(db, name)
        if current["status"] not in rounds.BEFORE_CLOSE:
            raise InvalidInput("panels.weights.round_closed", name=name,
                               status=Term(f"rounds.status.{current['status']}"))
        before = round_weights(db, name)
        db.execute("DELETE FROM round_panel_weights WHERE round = ?", [name])
        db.conn.executemany("INSERT INTO round_panel_weights (round, panel, weight) VALUES (?, ?, ?)",
                            [(name, panel, weight) for panel, weight in checked.items()])
        audit.record(db, actor, "round.panel_weights_set", name, before=before, after=checked)
    return checked
