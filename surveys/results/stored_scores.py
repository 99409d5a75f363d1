"""Each response's §4.2 score, stored in the transaction that saves it (table ``response_scores``,
migration 16), so that the first view of a round in progress in a process reads 300,000 stored
scores instead of pivoting and scoring 1,500,000 ratings (issue 16 item 5; surveys/results/open_round.py).

A stored score is used only while it is the score of the response as it stands: the row carries the
response's revision (every save raises it: surveys/collection/responses.py) and a fingerprint of what
a score depends on (the questionnaire's items and weights, the rules; ``rules_key``). A response
without such a row — written by a bulk generator, or scored before the county changed its rules —
is scored from its ratings as before (``open_round``). A withdrawn response takes its row with it
(ON DELETE CASCADE), so an id a later answer takes again finds none. The score is computed by the
same function on the same numbers as a batch (``scoring.response_scores``, element by element), so it
is exactly what scoring the round afresh gives; exclusions do not touch it (privacy.py decides what
counts). Only rounds in progress are read from here: finalisation scores its sealed inputs.
"""
from __future__ import annotations

import hashlib
import json

import pandas as pd
import sqlite_utils

import scoring
from surveys.collection import questionnaire

TABLE = "response_scores"
_UPSERT = (f"INSERT INTO {TABLE} (response_id, revision, rules, score) VALUES (?, ?, ?, ?)"
           " ON CONFLICT (response_id) DO UPDATE SET revision = excluded.revision, rules = excluded.rules,"
           " score = excluded.score")


def _finalise():
    from surveys.results import finalise  # finalise reads this package's modules: import when used
    return finalise


def rules_key(form: questionnaire.Questionnaire, config: scoring.ScoringConfig) -> str:
    """A fingerprint of what a response's score rests on: the items, their weights and the rules."""
    rules = {"version": form.version, "items": form.item_codes, "weights": form.weights, "config": config.to_dict()}
    return hashlib.sha256(json.dumps(rules, sort_keys=True, default=str).encode()).hexdigest()[:32]


def round_rules(db: sqlite_utils.Database, round_row: dict) -> tuple[questionnaire.Questionnaire, scoring.ScoringConfig]:
    """The questionnaire and rules a response of ``round_row`` is scored with (as open_round scores it)."""
    form = questionnaire.get_questionnaire(db, round_row["questionnaire_version"] or 1)
    return form, _finalise().scoring_config(db, round_row)


def score_of(form: questionnaire.Questionnaire, config: scoring.ScoringConfig, ratings: dict) -> float | None:
    """One response's score from its ratings (item -> level), None when no item is answered."""
    frame = pd.DataFrame([{item: ratings.get(item) for item in form.item_codes}], dtype=float)
    value = scoring.response_scores(frame, form.item_codes, form.weights, config).iloc[0]
    return None if pd.isna(value) else float(value)


def store(db: sqlite_utils.Database, round_row: dict, response_id: int, revision: int, ratings: dict) -> None:
    """Store the score of a response just saved (inside the caller's transaction)."""
    form, config = round_rules(db, round_row)
    db.execute(_UPSERT, [response_id, revision, rules_key(form, config), score_of(form, config, ratings)])


def store_round(db: sqlite_utils.Database, round_row: dict) -> int:
    """Store the score of every response of a round that has ratings (a bulk load, or migration 16's
    Python step for rounds in progress), scored as a batch; returns how many."""
    form, config = round_rules(db, round_row)
    wide = _finalise().wide_ratings(db, "1 = 1", [round_row["name"]], form.item_codes, ["id"])
    if wide.empty:
        return 0
    ratings = wide[form.item_codes].apply(pd.to_numeric, errors="coerce").astype(float)
    scores = scoring.response_scores(ratings, form.item_codes, form.weights, config)
    revisions = dict(db.execute("SELECT id, revision FROM responses WHERE round = ?", [round_row["name"]]).fetchall())
    key = rules_key(form, config)
    rows = [(int(i), revisions[int(i)], key, None if pd.isna(s) else float(s)) for i, s in zip(wide["id"], scores)]
    db.conn.executemany(_UPSERT, rows)
    return len(rows)


def store_existing(db: sqlite_utils.Database) -> None:
    """Migration 16's Python step: the scores of the responses of every round in progress."""
    from surveys.collection import rounds
    for row in db.query(f"SELECT * FROM rounds WHERE {rounds.status_in(rounds.IN_PROGRESS)}"):
        store_round(db, row)
