"""The one rule of DESIGN §6 on what an agency may be shown.

*Counted.* A response counts when it has at least one answered item and is not
excluded (DESIGN §4.2, §4.7). Scoring (surveys/results/finalise.py), the dashboards,
the published ranking, appeals and the agency's cases all use this definition.

*Minimum.* No figure (mean, score, interval, item breakdown, answer shares)
and no comment resting on fewer than ``MIN_COUNTED`` counted responses reaches
an agency: not its own pages, the published ranking, the appeals list, its
cases or their notices. The count is taken *now*, not from the stored result:
a response excluded after finalisation no longer counts, and a stored score
that still includes it, with the excluded rating known to the agency from its
appeal, would give away the mean of the others.

*Panels* (DESIGN §4.10). A score rests on the responses of the panels its round weighs, so only
those count towards its minimum (a panel without a weight adds nothing to it); and each panel's
own score is a figure of its own, shown to an agency only with ``MIN_COUNTED`` counted responses
of that panel (``hide_thin_panels``).

The count of responses itself is shown (it says nothing about any rating).
Staff (administrator, discipline office) see every figure; what *they* may not
see is who gave which answer (surveys/casework/views.py, surveys/core/audit.py).
"""
from __future__ import annotations

import math

import pandas as pd

MIN_COUNTED = 3
FIGURES = ("mean", "score", "ci_low", "ci_high")  # a result's numbers that rest on the ratings


def counted_condition(alias: str = "r") -> str:
    """SQL condition: the response ``alias`` (a row of ``responses``) is counted."""
    return (f"{alias}.id NOT IN (SELECT response_id FROM exclusions)"
            f" AND EXISTS (SELECT 1 FROM response_ratings counted_rr WHERE counted_rr.response_id = {alias}.id)")


def is_counted(response: dict) -> bool:
    """The same rule for a response already read (``excluded`` flag and ``ratings`` dict)."""
    return not response["excluded"] and bool(response["ratings"])


def enough(counted: int) -> bool:
    """May something resting on ``counted`` counted responses be shown to an agency?"""
    return counted >= MIN_COUNTED


def counted_per_panel(db, round_name: str | None = None,
                      agency: str | None = None) -> dict[tuple[str, str, str], int]:
    """Counted responses per (round, agency, rater panel), optionally for one round and/or agency."""
    clauses, params = [counted_condition("r")], []
    for column, value in (("round", round_name), ("agency", agency)):
        if value is not None:
            clauses.append(f"r.{column} = ?")
            params.append(value)
    rows = db.execute(f"SELECT r.round, r.agency, e.panel, count(*) FROM responses r"
                      f" JOIN enterprises e ON e.uscc = r.enterprise WHERE {' AND '.join(clauses)}"
                      " GROUP BY r.round, r.agency, e.panel", params).fetchall()
    return {(name, code, panel): n for name, code, panel, n in rows}


def weighted_panels(db, round_name: str | None = None) -> dict[str, tuple[str, ...]]:
    """Per round (or for one), the rater panels its rules weigh (DESIGN §4.10): only their
    responses carry the round's scores, so only they count towards the minimum of those scores."""
    from surveys.results import finalise  # finalise reads this module: imported when called
    where, params = ("WHERE name = ?", [round_name]) if round_name is not None else ("", [])
    return {row["name"]: finalise.scoring_config(db, row).weighted_panels
            for row in db.query(f"SELECT * FROM rounds {where}", params)}


def counted_per_round_agency(db, round_name: str | None = None, agency: str | None = None) -> dict[tuple[str, str], int]:
    """Counted responses per (round, agency) of the panels the round weighs, optionally for one
    round and/or agency. A panel without a weight adds nothing to a score, so its responses do
    not make a score that rests on fewer raters look safe to show."""
    weighted = weighted_panels(db, round_name)
    counted: dict[tuple[str, str], int] = {}
    for (name, code, panel), n in counted_per_panel(db, round_name, agency).items():
        if panel in weighted.get(name, ()):
            counted[(name, code)] = counted.get((name, code), 0) + n
    return counted


def counted_in(db, round_name: str, agency: str) -> int:
    return counted_per_round_agency(db, round_name, agency).get((round_name, agency), 0)


def hide_thin_figures(results: pd.DataFrame, counted: dict[tuple[str, str], int]) -> pd.DataFrame:
    """``results`` (columns round, agency and any of FIGURES) with the figures of every
    (round, agency) below the minimum blanked out."""
    results = results.copy()
    thin = pd.Series([not enough(counted.get((name, code), 0))
                      for name, code in zip(results["round"], results["agency"])], index=results.index, dtype=bool)
    columns = [c for c in FIGURES if c in results.columns]
    if columns and thin.any():
        results[columns] = results[columns].astype(float)
        results.loc[thin, columns] = math.nan
    return results


def hide_thin_result(db, result: dict) -> dict:
    """One stored result (round, agency, figures) as an agency may see it."""
    if enough(counted_in(db, result["round"], result["agency"])):
        return result
    return {**result, **{name: None for name in FIGURES if name in result}}


def hide_thin_panels(panel_results: pd.DataFrame) -> pd.DataFrame:
    """Each panel's results (columns n, score) with the score of every panel resting on fewer than
    ``MIN_COUNTED`` counted responses blanked: the minimum holds per panel (DESIGN §4.10, §6)."""
    panel_results = panel_results.copy()
    thin = ~panel_results["n"].map(lambda n: enough(int(n))).astype(bool)
    panel_results["score"] = panel_results["score"].astype(float).mask(thin)
    return panel_results


# the standard rates (surveys/reports/rates.py) that rest on the ratings of responses, and what they count
RESPONSE_RATES = ("good", "bad")


def hide_thin_rates(rates: pd.DataFrame) -> pd.DataFrame:
    """An agency's rates (scoring/rates.py's table) with 好评率 and 差评率 blanked in every period
    whose counted responses are below the minimum: one or two raters' answers would show through.
    Recompute any change after this, so that no change is taken from a blanked figure."""
    rates = rates.copy()
    thin = ~rates["responses"].map(enough).astype(bool)
    if thin.any():
        rates[list(RESPONSE_RATES)] = rates[list(RESPONSE_RATES)].astype(float)
        rates.loc[thin, list(RESPONSE_RATES)] = math.nan
    return rates
