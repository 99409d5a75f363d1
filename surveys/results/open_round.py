"""The counted responses of a round in progress, each with its §4.2 score, kept in the process and
brought up to date by what was saved since (issue 16: 300,000 answers a round, and every view of the
county overview right after a save counted them all again, reading and pivoting every rating).

What is kept, per database file and round, under ``dashboards.results_version`` (so a change of rules,
questionnaire, round status or exclusions starts afresh): every counted response (privacy.py's rule)
by id, with its agency, enterprise and score (``scoring.response_scores``, NaN when no item is
answered), and every response's revision, enterprise and agency. A view first looks at the audit
log's latest entry and the round's number of responses and largest id (every save, revision and
withdrawal is audited): unchanged, nothing more is read. Else it compares the number, largest id and
sum of revisions with what is kept: unchanged, nothing is read;
grown by new answers only, those are read; else every (id, revision) pair is compared (no rating
read). Only responses new or with a new revision (a save always raises it:
surveys/collection/responses.py) are scored again. A withdrawn answer (audited as
``response.withdrawn``) frees its id, which a later answer may take with the same revision, so after
one the round is counted afresh. Only rounds in progress are kept; a database in memory is not (each
connection is its own). The invitations (who chose or answered which agency) come from the responses
kept and the choices nobody answered.
"""
from __future__ import annotations

import dataclasses
import threading
from dataclasses import dataclass

import pandas as pd
import sqlite_utils

import scoring
from surveys.collection import questionnaire
from surveys.results import privacy
from surveys.results import stored_scores

COLUMNS = ["id", "round", "agency", "enterprise", "score"]
ROUNDS_KEPT = 4  # a few counties' rounds in progress per process


@dataclass(frozen=True)
class _Kept:
    version: str             # dashboards.results_version when counted
    scores: pd.DataFrame     # COLUMNS, indexed by id: the counted responses
    responses: pd.DataFrame  # every response of the round (counted or not), by id: revision, enterprise, agency
    written: tuple           # the round's responses when counted: number, largest id, sum of revisions
    last_audit: int          # the audit log's latest entry when counted
    glance: tuple = ()       # results_version, last_audit, number of responses and largest id when counted


MOST_REREAD = 5000  # more answers saved since than this: the round is counted afresh
WITHDRAWN = "response.withdrawn"  # surveys/collection/responses.py withdraw_response
RESPONSE_COLUMNS = ["id", "revision", "enterprise", "agency"]


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
    return wide[COLUMNS].set_index("id", drop=False).rename_axis(None).rename_axis(columns=None)


def _written(db, round_name: str) -> tuple:
    return tuple(db.execute("SELECT count(*), coalesce(max(id), 0), coalesce(sum(revision), 0) FROM responses"
                            " WHERE round = ?", [round_name]).fetchone())


def _responses(db, round_name: str, ids: list[int] | None = None) -> pd.DataFrame:
    """The round's responses (``ids``: those only), RESPONSE_COLUMNS, by id."""
    only = f" AND id IN ({', '.join('?' for _ in ids)})" if ids is not None else ""
    rows = db.execute(f"SELECT {', '.join(RESPONSE_COLUMNS)} FROM responses WHERE round = ?{only}",
                      [round_name, *(ids or [])]).fetchall()
    return pd.DataFrame(rows, columns=RESPONSE_COLUMNS).set_index("id", drop=False).rename_axis(None).sort_index()


def _last_audit(db) -> int:
    return db.execute("SELECT coalesce(max(id), 0) FROM audit_log").fetchone()[0]


def _afresh(db, round_row: dict, version: str, last_audit: int) -> _Kept:
    responses, scores = _read_round(db, round_row)
    written = (len(responses), int(responses["id"].max()) if len(responses) else 0,
               int(responses["revision"].sum()))
    return _Kept(version, scores, responses, written, last_audit)


def _read_round(db, round_row: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every response of the round (RESPONSE_COLUMNS, by id) and its counted ones scored (COLUMNS, by
    id), in one read: each with the score stored when it was saved (stored_scores.py), the few without
    a valid one scored from their ratings."""
    name = round_row["name"]
    form, config = stored_scores.round_rules(db, round_row)
    key = stored_scores.rules_key(form, config)
    rows = db.execute(
        f"""SELECT r.id, r.revision, r.enterprise, r.agency, ({privacy.counted_condition("r")}) AS counted,
                   s.score, s.response_id IS NOT NULL AS stored
            FROM responses r LEFT JOIN {stored_scores.TABLE} s
              ON s.response_id = r.id AND s.revision = r.revision AND s.rules = ?
            WHERE r.round = ? ORDER BY r.id""", [key, name]).fetchall()
    frame = pd.DataFrame(rows, columns=[*RESPONSE_COLUMNS, "counted", "score", "stored"])
    frame = frame.astype({"counted": bool, "stored": bool, "score": float}).set_index("id", drop=False).rename_axis(None)
    counted = frame[frame["counted"]]
    scores = counted[counted["stored"]].assign(round=name)[COLUMNS]
    if not counted["stored"].all():  # written without the save transaction, or scored under other rules
        missing = _scored(db, round_row, f" AND NOT EXISTS (SELECT 1 FROM {stored_scores.TABLE} s WHERE"
                          " s.response_id = r.id AND s.revision = r.revision AND s.rules = ?)", (key,))
        scores = pd.concat([f for f in (scores, missing) if len(f)] or [scores]).sort_index()
    return frame[RESPONSE_COLUMNS], scores


def _brought_up_to_date(db, round_row: dict, kept: _Kept, written: tuple, last_audit: int) -> _Kept | None:
    """``kept`` with the responses written since read and scored; None when the round must be counted
    afresh (an answer withdrawn, or too many saved since)."""
    name = round_row["name"]
    if db.execute("SELECT EXISTS (SELECT 1 FROM audit_log WHERE id > ? AND action = ?)",
                  [kept.last_audit, WITHDRAWN]).fetchone()[0]:
        return None
    if kept.written == written:
        return dataclasses.replace(kept, last_audit=last_audit)  # written since: other rounds only
    new = _responses_after(db, name, kept.written[1])
    if written == (kept.written[0] + len(new), max(kept.written[1], int(new["id"].max()) if len(new) else 0),
                   kept.written[2] + int(new["revision"].sum())):  # new answers only
        changed, responses = new, pd.concat([f for f in (kept.responses, new) if len(f)] or [kept.responses])
    else:  # answers revised too: compare every revision (no rating read)
        revisions = dict(db.execute("SELECT id, revision FROM responses WHERE round = ?", [name]).fetchall())
        known = kept.responses["revision"].to_dict()
        ids = [i for i, revision in revisions.items() if known.get(i) != revision]
        if len(ids) > MOST_REREAD:
            return None
        changed = _responses(db, name, ids) if ids else kept.responses.iloc[:0]
        gone = [*ids, *(i for i in known if i not in revisions)]
        responses = pd.concat([f for f in (kept.responses.drop(index=gone, errors="ignore"), changed) if len(f)]
                              or [kept.responses.iloc[:0]]).sort_index()
        kept = dataclasses.replace(kept, scores=kept.scores.drop(index=gone, errors="ignore"))
    if len(changed) > MOST_REREAD:
        return None
    ids = [int(i) for i in changed["id"]]
    fresh = _scored(db, round_row, f" AND r.id IN ({', '.join('?' for _ in ids)})", tuple(ids)) \
        if ids else kept.scores.iloc[:0]
    old = kept.scores.drop(index=ids, errors="ignore")
    scores = pd.concat([f for f in (old, fresh) if len(f)] or [old]).sort_index()
    return _Kept(kept.version, scores, responses, written, last_audit)


def _responses_after(db, round_name: str, last_id: int) -> pd.DataFrame:
    rows = db.execute(f"SELECT {', '.join(RESPONSE_COLUMNS)} FROM responses WHERE round = ? AND id > ? ORDER BY id",
                      [round_name, last_id]).fetchall()
    return pd.DataFrame(rows, columns=RESPONSE_COLUMNS).set_index("id", drop=False).rename_axis(None)


def _state(db: sqlite_utils.Database, round_row: dict) -> _Kept:
    dashboards = _dashboards()
    path, name = dashboards.database_file(db), round_row["name"]
    version, last_audit = dashboards.results_version(db), _last_audit(db)
    if path is None:
        return _afresh(db, round_row, version, last_audit)
    # at a glance (from the round's index): every save, revision and withdrawal is audited
    glance = (version, last_audit, *db.execute("SELECT count(*), coalesce(max(id), 0) FROM responses WHERE round = ?",
                                               [name]).fetchone())
    with _lock:
        kept = _kept.get((path, name))
    if kept is not None and kept.glance == glance:
        return kept  # nothing written since
    written = _written(db, name)
    state = None
    if kept is not None and kept.version == version:
        state = _brought_up_to_date(db, round_row, kept, written, last_audit)
    if state is None:
        state = _afresh(db, round_row, version, last_audit)
    state = dataclasses.replace(state, glance=glance)
    with _lock:
        _kept[(path, name)] = state
        while len(_kept) > ROUNDS_KEPT:
            _kept.pop(next(iter(_kept)))
    return state


def counted_scores(db: sqlite_utils.Database, round_row: dict) -> pd.DataFrame:
    """Every counted response of ``round_row`` (a round in progress): COLUMNS, sorted by id."""
    return _state(db, round_row).scores.reset_index(drop=True)


def invitations(db: sqlite_utils.Database, round_row: dict) -> pd.DataFrame:
    """Who was invited to rate which agency in the round (it chose the agency, or answered it), and
    whether it gave a counted response for it: period, agency, enterprise, responded — the frame
    scoring/rates.py ``standard_counts`` counts, from the responses kept and the choices nobody
    answered (read each time: no rating, and few once a round is answered)."""
    state, name = _state(db, round_row), round_row["name"]
    unanswered = db.execute(
        """SELECT c.agency, c.enterprise FROM survey_choices c WHERE c.round = ? AND NOT EXISTS (
               SELECT 1 FROM responses r WHERE r.round = c.round AND r.enterprise = c.enterprise AND r.agency = c.agency)""",
        [name]).fetchall()
    answered = state.responses[["agency", "enterprise"]].assign(responded=state.responses.index.isin(state.scores.index))
    chosen = pd.DataFrame(unanswered, columns=["agency", "enterprise"]).assign(responded=False)
    frame = pd.concat([f for f in (answered, chosen) if len(f)] or [answered], ignore_index=True)
    return frame.assign(period=name, responded=frame["responded"].astype(bool))[
        ["period", "agency", "enterprise", "responded"]]


def forget() -> None:
    """Empty what is kept (a benchmark's cold run; ``dashboards.forget_finalised`` calls it)."""
    with _lock:
        _kept.clear()
