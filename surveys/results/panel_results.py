"""Each rater panel's score beside the combined one (DESIGN §4.10), with who may see what.

A panel's score is the mean of its counted response scores (``scoring.panel_scores``), computed
from the responses as they count *now* (an exclusion after finalisation counts at once) with
the round's rules (pinned at finalisation, else the county's with the round's panel weights).
The privacy minimum holds per panel (DESIGN §6, surveys/results/privacy.py): an agency sees no
panel's score resting on fewer than ``privacy.MIN_COUNTED`` counted responses, only its count.
Staff (administrator, discipline office) see every figure. Agencies see finalised rounds only;
staff also rounds in progress.

A round rated by enterprises alone, with no other panel weighted, has nothing to show here:
its combined score is the enterprises' score.
"""
from __future__ import annotations

import pandas as pd
import sqlite_utils

import scoring
from surveys.collection import questionnaire
from surveys.collection import rounds
from surveys.core.actors import Actor
from surveys.core.errors import PermissionDenied
from surveys.core.permissions import allowed, require, requires
from surveys.participants import panels
from surveys.results import dashboards
from surveys.results import finalise
from surveys.results import privacy

COLUMNS = ["round", "agency", "panel", "n", "score"]


def round_panel_scores(db: sqlite_utils.Database, round_row: dict, agency: str | None = None) -> pd.DataFrame:
    """Every agency's score per panel in a round (``COLUMNS``), every figure (for staff and services);
    ``agency``: that agency's rows only, scored from its responses alone (a panel's score rests on
    its own agency's responses only). A finalised round's are kept while what they rest on stays the
    same (dashboards.kept_while_finalised: exclusions and the roster change them, a saved answer in
    the round in progress does not)."""
    if round_row["status"] in rounds.FINALISED:
        return dashboards.kept_while_finalised(db, "panel_results.round_panel_scores", (round_row["name"], agency),
                                               lambda: _panel_scores(db, round_row, agency))
    return _panel_scores(db, round_row, agency)


def _panel_scores(db: sqlite_utils.Database, round_row: dict, agency: str | None = None) -> pd.DataFrame:
    if not round_row.get("questionnaire_version"):
        return pd.DataFrame(columns=COLUMNS)
    form = questionnaire.get_questionnaire(db, round_row["questionnaire_version"])
    config = finalise.scoring_config(db, round_row)
    responses = finalise.counted_responses(db, round_row["name"], form.item_codes, agency=agency)
    responses = responses[responses["id"].notna()]
    if responses.empty:
        return pd.DataFrame(columns=COLUMNS)
    return scoring.panel_scores(responses, form.item_codes, form.weights, config)[COLUMNS]


def weight_shares(config: scoring.ScoringConfig) -> dict[str, float]:
    """Each weighted panel's share of the score in percent (weights need not be given as percentages)."""
    total = sum(config.panel_weights.values())
    return {panel: 100 * weight / total for panel, weight in config.panel_weights.items() if weight > 0}


def panel_rows(db: sqlite_utils.Database, round_row: dict, agency: str, hide_thin: bool) -> list[dict]:
    """One row per panel that rated the agency or is weighted, in the panels' order: panel, weight
    (percent, 0 when the round does not weigh it), n, score, shown (False: below the minimum and
    ``hide_thin``; the score is then None). Empty when only enterprises rate and count."""
    config = finalise.scoring_config(db, round_row)
    shares = weight_shares(config)
    frame = round_panel_scores(db, round_row, agency)
    frame = frame[frame["agency"] == agency]
    if hide_thin:
        frame = privacy.hide_thin_panels(frame)
    by_panel = {row["panel"]: row for row in frame.to_dict("records")}
    present = [p for p in panels.PANELS if p in by_panel or p in shares]
    if present == [panels.ENTERPRISE]:
        return []
    rows = []
    for panel in present:
        row = by_panel.get(panel, {"n": 0, "score": None})
        score = None if pd.isna(row["score"]) else float(row["score"])
        rows.append({"panel": panel, "weight": shares.get(panel, 0.0), "n": int(row["n"]), "score": score,
                     "shown": not hide_thin or privacy.enough(int(row["n"])), "minimum": privacy.MIN_COUNTED})
    return rows


@requires("results.view_agency")
def agency_panel_scores(db: sqlite_utils.Database, actor: Actor, code: str, round_name: str) -> list[dict]:
    """An agency's panel scores in a round, as ``actor`` may see them (``panel_rows``): agency staff
    their own agency in finalised rounds, below-minimum panels blanked; staff any agency and round."""
    require(actor, "results.view_agency", resource=code, not_yours="dashboards.not_your_agency")
    round_row = rounds.get_round(db, round_name)
    staff = allowed(actor, "results.view_all")
    if round_row["status"] not in (rounds.STARTED if staff else rounds.FINALISED):
        raise PermissionDenied("dashboards.not_published", round=round_name)
    return panel_rows(db, round_row, code, hide_thin=not staff)


@requires("results.view_all")
def county_panel_scores(db: sqlite_utils.Database, actor: Actor, round_name: str) -> pd.DataFrame:
    """Every agency's score per panel in a round (staff: every figure), one column per panel that rated."""
    if not _other_panels_rated(db, round_name):  # enterprises alone: nothing to show, nothing to score
        return pd.DataFrame()
    frame = round_panel_scores(db, rounds.get_round(db, round_name))
    if frame.empty or set(frame["panel"]) == {panels.ENTERPRISE}:
        return pd.DataFrame()
    return frame.pivot(index="agency", columns="panel", values="score").reindex(
        columns=[p for p in panels.PANELS if p in set(frame["panel"])])


def _other_panels_rated(db: sqlite_utils.Database, round_name: str) -> bool:
    """Whether any rater outside the enterprises' panel gave a counted response in the round:
    looked up from the few panel raters (CROSS JOIN: SQLite keeps that order), not the round's
    300,000 responses (issue 16)."""
    return bool(db.execute(
        f"""SELECT EXISTS (SELECT 1 FROM enterprises e CROSS JOIN responses r
                           ON r.round = ? AND r.enterprise = e.uscc
                           WHERE e.panel <> ? AND {privacy.counted_condition("r")})""",
        [round_name, panels.ENTERPRISE]).fetchone()[0])
