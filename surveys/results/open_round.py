"""The counted responses of a round in progress, each with its §4.2 score, kept in the process and
brought up to date by what was saved since (issue 16: 300,000 answers a round, and every view of the
county overview right after a save counted them all again, reading and pivoting every rating).

What is kept, per database file and round, under ``dashboards.results_version`` (so a change of rules,
questionnaire, round status or exclusions starts afresh): every counted response (privacy.py's rule)
by id, with its agency, enterprise and score (``scoring.response_scores``, NaN when no item is
answered), and the revision of each of the round's responses. A view reads the round's (id, revision)
pairs — no rating — and scores again only the responses that are new or have a new revision (a save
always raises it: surveys/collection/responses.py), dropping those no longer there. A withdrawn answer
(audited as ``response.withdrawn``) frees its id, which a later answer may take with the same revision,
so after one the round is counted afresh. Only rounds in progress are kept; a database in memory is
not (each connection is its own).
"""
from __future__ import annotations

import threading
from dataclasses import dataclass

import pandas as pd
import sqlite_utils

import scoring
from surveys.collection import questionnaire
from surveys.results import privacy

COLUMNS = ["id", "round", "agency", "enterprise", "score"]
ROUNDS_KEPT = 4  # a few counties' rounds in progress per process


@dataclass(frozen=True)
class _Kept:
    version: str           # dashboards.results_version when counted
    scores: pd.DataFrame   # COLUMNS, indexed by id
    revisions: pd.Series   # every response of the round (counted or not): id -> revision
    last_audit: int        # the audit log's latest entry when counted


MOST_REREAD = 5000  # more answers saved since than this: the round is counted afresh
WITHDRAWN = "response.withdrawn"  # surveys/collection/responses.py withdraw_response


_kept: dict[tuple[str, str], _Kept] = {}
_lock = threading.Lock()


def _dashboards():
    from surveys.results import dashboards  # dashboards reads this module: import when used
    return dashboards


def _finalise():
    from surveys.results import finalise  # finalise reads dashboards' neighbours: import when used
    return finalise


def _scored(db, round_row: dict, extra: str = "", params: tuple = ()) -> pd.DataFrame:
    """The round's counted responses (those of ``extra``, an SQL condition on ``r``, only), scored."""
    form = questionnaire.get_questionnaire(db, round_row["questionnaire_version"] or 1)
    wide = _finalise().wide_ratings(db, privacy.counted_condition("r") + extra, [round_row["name"], *params],
                                    form.item_codes, ["id", "round", "agency", "enterprise"])
    if wide.empty:
        return pd.DataFrame(columns=COLUMNS).set_index("id", drop=False)
    ratings = wide[form.item_codes].apply(pd.to_numeric, errors="coerce").astype(float)
    wide = wide.assign(score=scoring.response_scores(ratings, form.item_codes, form.weights,
                                                     _finalise().scoring_config(db, round_row)))
    return wide[COLUMNS].set_index("id", drop=False).rename_axis(None)


def _revisions(db, round_name: str) -> pd.Series:
    rows = db.execute("SELECT id, revision FROM responses WHERE round = ?", [round_name]).fetchall()
    return pd.DataFrame(rows, columns=["id", "revision"]).set_index("id")["revision"].sort_index()


def _last_audit(db) -> int:
    return db.execute("SELECT coalesce(max(id), 0) FROM audit_log").fetchone()[0]


def counted_scores(db: sqlite_utils.Database, round_row: dict) -> pd.DataFrame:
    """Every counted response of ``round_row`` (a round in progress): COLUMNS, sorted by id."""
    dashboards = _dashboards()
    path = dashboards.database_file(db)
    if path is None:
        return _scored(db, round_row).reset_index(drop=True)
    version, name = dashboards.results_version(db), round_row["name"]
    last_audit = _last_audit(db)
    revisions = _revisions(db, name)
    with _lock:
        kept = _kept.get((path, name))
    withdrawn = kept is not None and db.execute(
        "SELECT EXISTS (SELECT 1 FROM audit_log WHERE id > ? AND action = ?)", [kept.last_audit, WITHDRAWN]
    ).fetchone()[0]
    if kept is not None and kept.version == version and not withdrawn:
        changed = revisions.index[revisions.ne(kept.revisions.reindex(revisions.index)).to_numpy()]
    if kept is None or kept.version != version or withdrawn or len(changed) > MOST_REREAD:
        scores = _scored(db, round_row)
    else:
        marks = ", ".join("?" for _ in changed)
        fresh = _scored(db, round_row, f" AND r.id IN ({marks})", tuple(int(i) for i in changed)) \
            if len(changed) else kept.scores.iloc[:0]
        old = kept.scores[~kept.scores.index.isin(changed) & kept.scores.index.isin(revisions.index)]
        scores = pd.concat([f for f in (old, fresh) if len(f)] or [old]).sort_index()
    with _lock:
        _kept[(path, name)] = _Kept(version, scores, revisions, last_audit)
        while len(_kept) > ROUNDS_KEPT:
            _kept.pop(next(iter(_kept)))
    return scores.reset_index(drop=True)


def forget() -> None:
    """Empty what is kept (a benchmark's cold run; ``dashboards.forget_finalised`` calls it)."""
    with _lock:
        _kept.clear()
