"""The counts behind the response-based standard rates (参评率, 好评率, 差评率; scoring/rates.py),
stored with every finalisation for each agency and for the county (table ``finalisation_rate_counts``,
migration 15), so that a city office (surveys/results/city.py) ranks counties by their rates while
reading no response (issue 16 item 2).

They are computed from what the finalisation counted — its sealed inputs (``finalisation_inputs``,
surveys/results/integrity.py) and its pinned rules — with the same arithmetic as the county's own
rates (surveys/reports/rates.py → scoring/rates.py ``standard_rates``): at finalisation those inputs
are exactly the round's counted responses, so the stored counts equal the county's rates of that
round. Being a function of sealed rows, ``python -m surveys verify`` recomputes and compares them.

The ticket-based rates (rectified, on time, return satisfied) are not stored: tickets are raised, answered and
rated long after a round is finalised, so a count taken at finalisation would soon be wrong, and
reading the live tickets would put the city office into a county's casework.
"""
from __future__ import annotations

import json

import pandas as pd
import sqlite_utils

import scoring
from scoring import rates as standard
from surveys.collection import questionnaire
from surveys.results import privacy

TABLE = "finalisation_rate_counts"
COLUMNS = ["scope", "unit", *standard.RESPONSE_COUNTS]


def _finalise():
    from surveys.results import finalise  # finalise calls this module: import when used
    return finalise


def _invitations(db, finalisation: dict) -> pd.DataFrame:
    """Who was invited to rate which agency in the round (chose it, or answered it on paper too), and
    whether the finalisation counted a response of theirs for it. Read as three plain lists — the
    round's responses, the finalisation's inputs, the choices nobody answered — and matched here: a
    province's 300,000 invitations a round, looked up one by one, took minutes (issue 16)."""
    name = finalisation["round"]
    answered = pd.DataFrame(db.execute("SELECT id, agency, enterprise FROM responses WHERE round = ?",
                                       [name]).fetchall(), columns=["id", "agency", "enterprise"])
    inputs = [i for (i,) in db.execute("SELECT response_id FROM finalisation_inputs"
                                       " WHERE finalisation_id = ? AND response_id IS NOT NULL", [finalisation["id"]])]
    chosen = pd.DataFrame(db.execute(
        """SELECT c.agency, c.enterprise FROM survey_choices c WHERE c.round = ? AND NOT EXISTS (
               SELECT 1 FROM responses r WHERE r.round = c.round AND r.enterprise = c.enterprise
               AND r.agency = c.agency)""", [name]).fetchall(), columns=["agency", "enterprise"])
    frame = pd.concat([answered.assign(responded=answered["id"].isin(inputs)).drop(columns="id"),
                       chosen.assign(responded=False)], ignore_index=True)
    return frame.assign(period=name, responded=frame["responded"].astype(bool))


def _scores(db, finalisation: dict) -> pd.DataFrame:
    """Each response the finalisation counted, with its §4.2 score under the finalisation's rules."""
    form = questionnaire.get_questionnaire(db, finalisation["questionnaire_version"])
    config = scoring.ScoringConfig.from_dict(json.loads(finalisation["config"]))
    wide = _finalise().counted_responses(db, finalisation["round"], form.item_codes, as_of=finalisation["id"])
    wide = wide.dropna(subset=["id"])
    if wide.empty:
        return pd.DataFrame(columns=["period", "agency", "score"])
    wide = wide.assign(score=scoring.response_scores(wide, form.item_codes, form.weights, config))
    return wide.assign(period=finalisation["round"])[["period", "agency", "score"]].dropna(subset=["score"])


def compute(db: sqlite_utils.Database, finalisation: dict) -> pd.DataFrame:
    """One row per agency and one for the county: the response-based counts of ``finalisation``
    (a row of ``finalisations``, sealed), in COLUMNS, sorted by scope and unit."""
    config = scoring.ScoringConfig.from_dict(json.loads(finalisation["config"]))
    none = pd.DataFrame(columns=["period", "agency", "rectified", "on_time"])
    table = standard.standard_rates(_invitations(db, finalisation), _scores(db, finalisation), none,
                                    pd.DataFrame(columns=["period", "agency", "rating"]), config=config)
    table = table[table["scope"].isin([standard.AGENCY, standard.COUNTY])]
    return table[COLUMNS].sort_values(["scope", "unit"], ignore_index=True)


def store(db: sqlite_utils.Database, finalisation_id: int) -> None:
    """Store a sealed finalisation's counts (inside its transaction)."""
    finalisation = next(db.query("SELECT * FROM finalisations WHERE id = ?", [finalisation_id]))
    rows = compute(db, finalisation).to_dict("records")
    for row in rows:
        db.execute(f"INSERT INTO {TABLE} (finalisation_id, {', '.join(COLUMNS)})"
                   f" VALUES (?, {', '.join('?' for _ in COLUMNS)})"
                   " ON CONFLICT (finalisation_id, scope, unit) DO NOTHING",
                   [finalisation_id, *(row[c] if isinstance(row[c], str) else int(row[c]) for c in COLUMNS)])


def store_existing(db: sqlite_utils.Database) -> None:
    """Migration 15's Python step: the counts of every finalisation already made, computed the same way."""
    for (finalisation_id,) in db.execute("SELECT id FROM finalisations WHERE digest IS NOT NULL ORDER BY id").fetchall():
        store(db, finalisation_id)


def stored(db: sqlite_utils.Database, finalisation_id: int) -> pd.DataFrame:
    """A finalisation's stored counts, in COLUMNS, sorted as ``compute``."""
    rows = db.execute(f"SELECT {', '.join(COLUMNS)} FROM {TABLE} WHERE finalisation_id = ? ORDER BY scope, unit",
                      [finalisation_id]).fetchall()
    return pd.DataFrame(rows, columns=COLUMNS)


def differing_units(db: sqlite_utils.Database, finalisation: dict) -> list[str]:
    """The units (agency codes, or 'county') whose stored counts differ from computing them again."""
    def by_unit(frame: pd.DataFrame) -> dict[str, tuple]:
        return {f"{r[0]}:{r[1]}": tuple(int(v) for v in r[2:]) for r in frame.itertuples(index=False)}
    fresh, kept = by_unit(compute(db, finalisation)), by_unit(stored(db, finalisation["id"]))
    return sorted(u.split(":", 1)[1] for u in set(fresh) | set(kept) if fresh.get(u) != kept.get(u))


def standing(db: sqlite_utils.Database, round_row: dict) -> tuple[dict, pd.DataFrame] | None:
    """A finalised round's current finalisation (id, round, counted: its counted responses) and its stored counts (as ``stored``) when
    they are what counting the round's responses again would give, else None (count them:
    surveys/reports/rates.py). Its invitations (``_invitations``) are then those of today too.

    They are when the finalisation was scored with the rules and questionnaire the round is counted
    with today (``finalise.scoring_config``) and counted the very responses that count today. The
    responses, ratings and choices of a round change only while it is open (responses.py and
    paper_returns.py require it), so after its finalisation only an exclusion (DESIGN §4.7) not yet
    followed by a re-finalisation can make them differ: the counted responses are compared, by number
    and by the sum of their ids, in the database (no rating read). This lets the county overview show
    a province's finalised rounds without reading their 300,000 answers each (issue 16)."""
    finalisation = db.execute(
        "SELECT id, questionnaire_version, config FROM finalisations"
        " WHERE round = ? AND is_current = 1 AND digest IS NOT NULL", [round_row["name"]]).fetchone()
    if finalisation is None:
        return None
    finalisation_id, version, config = finalisation
    if version != (round_row["questionnaire_version"] or 1) or \
            scoring.ScoringConfig.from_dict(json.loads(config)) != _finalise().scoring_config(db, round_row):
        return None
    sealed = db.execute("SELECT count(*), coalesce(sum(response_id), 0) FROM finalisation_inputs"
                        " WHERE finalisation_id = ? AND response_id IS NOT NULL", [finalisation_id]).fetchone()
    live = db.execute(f"SELECT count(*), coalesce(sum(r.id), 0) FROM responses r"
                      f" WHERE r.round = ? AND {privacy.counted_condition('r')}", [round_row["name"]]).fetchone()
    if tuple(sealed) != tuple(live):
        return None
    counts = stored(db, finalisation_id)
    if counts.empty and sealed[0]:
        return None
    return {"id": finalisation_id, "round": round_row["name"], "counted": sealed[0]}, counts


def kept_standing(db: sqlite_utils.Database, round_row: dict) -> tuple[dict, pd.DataFrame] | None:
    """``standing``, kept in the process while what it rests on stays the same
    (``dashboards.kept_while_finalised``: finalisations, exclusions, rounds and rules)."""
    from surveys.results import dashboards  # dashboards reads finalise, which calls this module
    return dashboards.kept_while_finalised(db, "rate_counts.standing", (round_row["name"],),
                                           lambda: standing(db, round_row))


def invitations(db: sqlite_utils.Database, finalisations: list[dict]) -> pd.DataFrame:
    """``_invitations`` of several finalisations (dicts with id and round), one frame: period, agency,
    enterprise, responded."""
    frames = [_invitations(db, f) for f in finalisations]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
        columns=["agency", "enterprise", "responded", "period"])
