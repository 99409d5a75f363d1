"""Finalising a round (DESIGN §5): score its counted responses with the scoring
module, store every agency's result together with the rules used, and open a
case for every reminder, interview and referral — in one transaction.

Results are never overwritten: a re-finalisation (after an upheld appeal or an
exclusion) that changes anything stores a new finalisation and keeps the
earlier one in history. Finalising again with nothing changed stores nothing.
Because actions follow poor streaks, a change in one round is carried through
every later finalised round.
"""
from __future__ import annotations

import dataclasses
import json
import math

import pandas as pd
import sqlite_utils

import scoring
from surveys.core import audit
from surveys.casework import cases
from surveys.core import clock
from surveys.results import integrity
from surveys.results import privacy
from surveys.results import rate_counts
from surveys.collection import panel_weights
from surveys.collection import questionnaire
from surveys.collection import rounds
from surveys.core.actors import Actor
from surveys.storage.db import write_transaction
from surveys.core.errors import InvalidInput, Term
from surveys.core.permissions import requires
from surveys.participants import panels

RESULT_FIELDS = ["n", "mean", "score", "ci_low", "ci_high", "grade", "uncertain", "action", "flag", "rank",
                 "agency_group"]


def pinned_config(round_row: dict) -> dict | None:
    """The rules a finalised round was scored with, as pinned (None before its first finalisation)."""
    pinned = round_row.get("scoring_config")
    return json.loads(pinned) if pinned else None


def county_config(db: sqlite_utils.Database) -> scoring.ScoringConfig:
    """The county's current rules, before anything a round or a year pins."""
    row = db.execute("SELECT value FROM settings WHERE name = 'scoring_config'").fetchone()
    return scoring.ScoringConfig.from_dict(json.loads(row[0])) if row else scoring.DEFAULT_CONFIG


def scoring_config(db: sqlite_utils.Database, round_row: dict) -> scoring.ScoringConfig:
    """The round's pinned rules, or for a first finalisation the county's current rules with the
    ranking scope (DESIGN §4.9) and panel weights (§4.10; surveys/collection/panel_weights.py) the
    administrator set for the round, pinned together."""
    pinned = pinned_config(round_row)
    if pinned:
        return scoring.ScoringConfig.from_dict(pinned)
    county = county_config(db)
    changes = {}
    scope = round_row.get("ranking_scope")
    if scope:
        changes["ranking_scope"] = scope
    weights = panel_weights.round_weights(db, round_row["name"])
    if weights:
        changes["panel_weights"] = weights
    return dataclasses.replace(county, **changes) if changes else county


def ranking_scope(db: sqlite_utils.Database, round_row: dict) -> str:
    """'county' or 'group': how the round ranks and flags (pinned once it is finalised)."""
    return scoring_config(db, round_row).ranking_scope


def round_groups(db: sqlite_utils.Database, round_name: str) -> dict[str, str]:
    """Each agency's group for scoring a round: the group pinned with the round's stored results,
    so that a re-finalisation ranks the groups the round was finalised with; for an agency
    without a stored result (a first finalisation), the group it is in now."""
    groups = dict(db.execute("SELECT code, group_code FROM agencies").fetchall())
    groups.update(db.execute("SELECT agency, agency_group FROM current_results"
                             " WHERE round = ? AND agency_group IS NOT NULL", [round_name]).fetchall())
    return groups


def counted_responses(db: sqlite_utils.Database, round_name: str, items: list[str],
                      as_of: int | None = None, agency: str | None = None) -> pd.DataFrame:
    """One wide row per counted response (privacy.py's rule) with its rater's panel, plus an
    empty row for every active agency without any, so that it is graded insufficient.

    ``as_of`` (a finalisation id): the responses and agencies that finalisation
    counted instead, as sealed in ``finalisation_inputs`` (surveys/results/integrity.py),
    with their stored ratings — to recompute any finalisation in history.

    ``agency``: that agency's rows only (its padding row too), for figures computed per agency."""
    counted, params = (privacy.counted_condition("r"), [round_name]) if as_of is None else (
        "r.id IN (SELECT response_id FROM finalisation_inputs WHERE finalisation_id = ?)", [round_name, as_of])
    if agency is not None:
        counted, params = f"{counted} AND r.agency = ?", [*params, agency]
    keys = RATER_KEYS
    wide = wide_ratings(db, counted, params, items, keys)
    active = [r[0] for r in (db.execute("SELECT code FROM agencies WHERE active = 1") if as_of is None else db.execute(
        "SELECT agency FROM finalisation_inputs WHERE finalisation_id = ? AND response_id IS NULL", [as_of]))]
    if agency is not None:
        active = [code for code in active if code == agency]
    missing = sorted(set(active) - set(wide["agency"]))
    padding = pd.DataFrame({"id": None, "round": round_name, "enterprise": None, "panel": panels.ENTERPRISE,
                            "agency": missing})
    frames = [f for f in (wide, padding) if len(f)]
    combined = pd.concat(frames, ignore_index=True) if frames else wide
    for item in items:
        combined[item] = pd.to_numeric(combined[item], errors="coerce").astype(float)
    combined["group"] = combined["agency"].map(round_groups(db, round_name)).astype(object)
    return combined


RATER_KEYS = ["id", "round", "enterprise", "panel", "agency"]  # panel: the rater's (§4.10)


def wide_ratings(db: sqlite_utils.Database, counted: str, params: list, items: list[str],
                 keys: list[str]) -> pd.DataFrame:
    """The responses of a round (``params``: its name, then those of ``counted``, an SQL condition on
    ``r`` such as privacy.py's) one row each, by id: ``keys`` (of RATER_KEYS) then one column per item (its rating, missing when not answered). Pivoted in the database, one
    GROUP BY over the ratings in their index's order: reading one row per rating into pandas and
    pivoting there took seconds a round at 300,000 responses (issue 16)."""
    picks = "".join(", max(CASE WHEN rr.item = ? THEN rr.rating END)" for _ in items)
    ratings = db.execute(
        f"""SELECT rr.response_id{picks} FROM response_ratings rr
            WHERE rr.response_id IN (SELECT r.id FROM responses r WHERE r.round = ? AND {counted})
            GROUP BY rr.response_id ORDER BY rr.response_id""", [*items, *params]).fetchall()
    if not ratings:
        return pd.DataFrame(columns=[*keys, *items])
    raters = db.execute(
        f"""SELECT r.id, r.round, r.enterprise, e.panel, r.agency FROM responses r
            JOIN enterprises e ON e.uscc = r.enterprise
            WHERE r.round = ? AND {counted} ORDER BY r.id""", params).fetchall()
    left = pd.DataFrame(raters, columns=RATER_KEYS)[keys]
    right = pd.DataFrame(ratings, columns=["id", *items])
    return left.merge(right, on="id", how="inner", sort=False).rename_axis(columns="item")  # as a pivot names it


def graded_history(db: sqlite_utils.Database, before_round: str, as_of: int | None = None) -> pd.DataFrame:
    """Earlier rounds' grades: the current ones, or ``as_of`` a finalisation id those then
    current (each earlier round's newest finalisation before it)."""
    if as_of is None:
        rows = db.execute("SELECT round, agency, grade FROM current_results WHERE round < ?", [before_round])
    else:
        rows = db.execute(
            """SELECT r.round, r.agency, r.grade FROM results r
               WHERE r.round < ? AND r.finalisation_id = (SELECT max(f.id) FROM finalisations f
                                                          WHERE f.round = r.round AND f.id < ?)""",
            [before_round, as_of])
    rows = rows.fetchall()
    return pd.DataFrame(rows, columns=["round", "agency", "grade"])


def compute_results(db: sqlite_utils.Database, round_row: dict,
                    as_of: int | None = None) -> tuple[pd.DataFrame, scoring.ScoringConfig, int]:
    """Score the round; ``as_of`` a finalisation id, exactly as that finalisation did (verify)."""
    form = questionnaire.get_questionnaire(db, round_row["questionnaire_version"])
    config = scoring_config(db, round_row)
    responses = counted_responses(db, round_row["name"], form.item_codes, as_of)
    result = scoring.grade_rounds(responses, form.item_codes, form.weights, config,
                                  history=graded_history(db, round_row["name"], as_of))
    groups = responses.drop_duplicates("agency").set_index("agency")["group"]
    result["agency_group"] = result["agency"].map(groups).astype(object)
    counted = int(responses["id"].notna().sum())
    return result, config, counted


def _comparable(value):
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, float):
        return round(value, 6)
    if hasattr(value, "item"):  # numpy scalar
        return _comparable(value.item())
    return value


def _result_map(records: list[dict]) -> dict[str, tuple]:
    return {r["agency"]: tuple(_comparable(r[f]) for f in RESULT_FIELDS) for r in records}


def current_results(db: sqlite_utils.Database, round_name: str) -> list[dict]:
    return list(db.query("SELECT * FROM current_results WHERE round = ? ORDER BY agency", [round_name]))


def _store(db, actor: Actor, round_row: dict, result: pd.DataFrame, config, counted: int, reason: str) -> int:
    db.execute("UPDATE finalisations SET is_current = 0 WHERE round = ? AND is_current = 1", [round_row["name"]])
    finalisation_id = db.execute(
        "INSERT INTO finalisations (round, at, actor, reason, config, questionnaire_version, responses_counted)"
        " VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
        [round_row["name"], clock.now_iso(), actor.audit_name, reason, json.dumps(config.to_dict()),
         round_row["questionnaire_version"], counted],
    ).fetchone()[0]
    records = [{"finalisation_id": finalisation_id, "round": round_row["name"], "agency": r["agency"],
                **{f: _comparable(r[f]) for f in RESULT_FIELDS}} for r in result.to_dict("records")]
    for record in records:
        record["uncertain"] = int(bool(record["uncertain"]))
    db["results"].insert_all(records)
    return finalisation_id


def _sync_cases(db, actor: Actor, round_name: str, result: pd.DataFrame, finalisation_id: int) -> None:
    """One open case per action; a case whose action no longer stands is withdrawn."""
    wanted = {r["agency"]: r["action"] for r in result.to_dict("records") if r["action"] != scoring.NONE}
    for case in cases.active_cases(db, round_name):
        if wanted.get(case["agency"]) == case["action"]:
            del wanted[case["agency"]]
        else:
            cases.withdraw_case(db, actor, case["id"], "refinalised")
    for agency, action in sorted(wanted.items()):
        cases.open_case(db, actor, round_name, agency, action, finalisation_id)


def _finalise_one(db, actor: Actor, round_row: dict, reason: str) -> bool:
    """Recompute one round; store and sync cases only if anything changed."""
    result, config, counted = compute_results(db, round_row)
    before = _result_map(current_results(db, round_row["name"]))
    if before and before == _result_map(result.to_dict("records")):
        return False
    finalisation_id = _store(db, actor, round_row, result, config, counted, reason)
    _sync_cases(db, actor, round_row["name"], result, finalisation_id)
    if round_row["scoring_config"] is None:
        db.execute("UPDATE rounds SET scoring_config = ? WHERE name = ?",
                   [json.dumps(config.to_dict()), round_row["name"]])
    digest = integrity.seal_finalisation(db, finalisation_id)
    rate_counts.store(db, finalisation_id)  # from the inputs just sealed: what a city office ranks by
    audit.record(db, actor, "round.results_stored", round_row["name"], finalisation=finalisation_id,
                 reason=reason, responses=counted, digest=digest)
    return True


def _check_can_finalise(db, round_row: dict) -> None:
    if round_row["status"] not in rounds.COLLECTION_ENDED:
        raise InvalidInput("finalise.not_closed", name=round_row["name"],
                           status=Term(f"rounds.status.{round_row['status']}"))
    earlier = db.execute(
        f"SELECT name FROM rounds WHERE name < ? AND {rounds.status_in(rounds.IN_PROGRESS)} ORDER BY name LIMIT 1",
        [round_row["name"]]).fetchone()
    if earlier:
        raise InvalidInput("finalise.earlier_first", name=earlier[0])


@requires("rounds.finalise")
def finalise_round(db: sqlite_utils.Database, actor: Actor, name: str, reason: str = "") -> list[str]:
    """Finalise (or re-finalise) a round; returns the rounds whose stored results changed."""
    with write_transaction(db):
        round_row = rounds.get_round(db, name)
        _check_can_finalise(db, round_row)
        refinalising = round_row["status"] in rounds.FINALISED
        if refinalising and not reason.strip():
            raise InvalidInput("finalise.reason_needed")
        changed = [name] if _finalise_one(db, actor, round_row, reason.strip()) else []
        if not refinalising:
            rounds.set_status(db, actor, name, rounds.Status.FINALISED, finalised_at=clock.now_iso())
        later_rounds = list(db.query(
            f"SELECT * FROM rounds WHERE name > ? AND {rounds.status_in(rounds.FINALISED)} ORDER BY name", [name]))
        for later in later_rounds:
            if _finalise_one(db, actor, later, f"{name}: {reason.strip()}"):
                changed.append(later["name"])
    return changed


@requires("rounds.finalise")
def publish_round(db: sqlite_utils.Database, actor: Actor, name: str) -> None:
    """Make a finalised round's ranking visible to agencies."""
    rounds.set_status(db, actor, name, rounds.Status.PUBLISHED, published_at=clock.now_iso())


def finalisation_history(db: sqlite_utils.Database, name: str) -> list[dict]:
    return list(db.query("SELECT * FROM finalisations WHERE round = ? ORDER BY id", [name]))
