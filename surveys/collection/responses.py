"""An enterprise's answers: which agencies it dealt with, its rating of each,
revisions while the round is open, and its own past ratings.

One response per (round, enterprise, agency) is a UNIQUE constraint in the
schema; saving again revises that response in one transaction.

The audit log (the administrator's) records that an enterprise saved, revised
or withdrew an answer in a round — never for which agency, never the response's
id: together with an agency's figures either would tell the administrator how
that enterprise rated it (DESIGN §6). The link stays in ``responses``, which
only the discipline office's audited reveal turns into a name.
"""
from __future__ import annotations

from datetime import datetime, timezone

from surveys.core import audit
from surveys.core import clock
from surveys.collection import questionnaire
from surveys.collection import rounds
from surveys.core.actors import Actor
from surveys.storage.db import write_transaction
from surveys.core.errors import InvalidInput, NotFound
from surveys.core.permissions import requires
from surveys.core.plain_text import plain_text
from surveys.results import stored_scores

MAX_COMMENT = 500


def clean_comment(text: str | None) -> str:
    return plain_text(text, MAX_COMMENT, "survey.comment_too_long")


def _check_ratings(form: questionnaire.Questionnaire, ratings: dict) -> dict[str, int]:
    checked = {}
    for item in form.items:
        value = ratings.get(item.code)
        if value is None:
            raise InvalidInput("survey.item_missing", item=item.code)
        if isinstance(value, bool) or not isinstance(value, int) or value not in questionnaire.LEVELS:
            raise InvalidInput("survey.bad_rating", item=item.code, value=value)
        checked[item.code] = value
    unknown = set(ratings) - set(checked)
    if unknown:
        raise InvalidInput("survey.unknown_item", item=", ".join(sorted(unknown)))
    return checked


def _require_active_agency(db, agency: str) -> None:
    if not db.execute("SELECT 1 FROM agencies WHERE code = ? AND active = 1", [agency]).fetchone():
        raise NotFound("errors.agency_not_found", code=agency)


def store_response(db, round_name: str, enterprise: str, agency: str, ratings: dict[str, int],
                   comment: str, source: str, opened_at: str | None = None) -> tuple[int, int]:
    """Insert or revise one checked response with its ratings; the caller holds the
    transaction and has checked the round, the agency and the ratings.
    ``opened_at`` (when the form was opened) is kept from the first save only: with
    ``created_at`` it times the first reading, which is what the speed signal asks about.
    Returns (response id, revision)."""
    now = clock.now_iso()
    response_id, revision = db.execute(
        """INSERT INTO responses (round, enterprise, agency, comment, source, created_at, updated_at, opened_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (round, enterprise, agency) DO UPDATE SET
             comment = excluded.comment, source = excluded.source,
             revision = responses.revision + 1, updated_at = excluded.updated_at
           RETURNING id, revision""",
        [round_name, enterprise, agency, comment, source, now, now, opened_at],
    ).fetchone()
    db.execute("DELETE FROM response_ratings WHERE response_id = ?", [response_id])
    db.conn.executemany("INSERT INTO response_ratings (response_id, item, rating) VALUES (?, ?, ?)",
                        [(response_id, item, rating) for item, rating in ratings.items()])
    # its score, kept with it: the first view of the round in a process reads it instead of the ratings
    stored_scores.store(db, rounds.get_round(db, round_name), response_id, revision, ratings)
    db.execute("INSERT INTO survey_choices (round, enterprise, agency) VALUES (?, ?, ?)"
               " ON CONFLICT (round, enterprise, agency) DO NOTHING",
               [round_name, enterprise, agency])
    return response_id, revision


@requires("responses.submit")
def choose_agencies(db, actor: Actor, round_name: str, agencies: list[str]) -> None:
    """Record the agencies the enterprise dealt with this quarter.

    An agency already rated stays chosen: withdrawing a rating is its own step.
    """
    with write_transaction(db):
        rounds.require_open(db, round_name)
        for code in agencies:
            _require_active_agency(db, code)
        db.execute("DELETE FROM survey_choices WHERE round = ? AND enterprise = ?", [round_name, actor.id])
        rated = {r[0] for r in db.execute(
            "SELECT agency FROM responses WHERE round = ? AND enterprise = ?", [round_name, actor.id])}
        for code in sorted(set(agencies) | rated):
            db.execute("INSERT INTO survey_choices (round, enterprise, agency) VALUES (?, ?, ?)",
                       [round_name, actor.id, code])


def opening_time(opened_at, now: datetime) -> str | None:
    """``opened_at`` as stored (UTC ISO), or None when it cannot be a time the form was opened:
    not a time with its zone, or later than the save. Timing only feeds a signal, so an
    unusable one is dropped rather than refusing the enterprise's answer."""
    if isinstance(opened_at, str):
        try:
            opened_at = datetime.fromisoformat(opened_at)
        except ValueError:
            return None
    if not isinstance(opened_at, datetime) or opened_at.tzinfo is None or opened_at > now:
        return None
    return opened_at.astimezone(timezone.utc).isoformat(timespec="seconds")


@requires("responses.submit")
def save_response(db, actor: Actor, round_name: str, agency: str, ratings: dict, comment: str = "",
                  source: str = "online", opened_at: str | datetime | None = None) -> int:
    """Save (or revise) the enterprise's rating of one agency; returns its revision number.
    ``opened_at``: when this session first showed the agency's form (for the speed signal)."""
    comment = clean_comment(comment)
    opened_at = opening_time(opened_at, clock.now())
    with write_transaction(db):
        current = rounds.require_open(db, round_name)
        _require_active_agency(db, agency)
        form = questionnaire.get_questionnaire(db, current["questionnaire_version"])
        checked = _check_ratings(form, ratings)
        response_id, revision = store_response(db, round_name, actor.id, agency, checked, comment, source,
                                              opened_at)
        action = "response.saved" if revision == 1 else "response.revised"
        audit.record(db, actor, action, round_name, revision=revision)
    return revision


@requires("responses.submit")
def withdraw_response(db, actor: Actor, round_name: str, agency: str) -> None:
    """Take back a rating (the enterprise did not deal with that agency after all)."""
    with write_transaction(db):
        rounds.require_open(db, round_name)
        row = db.execute("SELECT id FROM responses WHERE round = ? AND enterprise = ? AND agency = ?",
                         [round_name, actor.id, agency]).fetchone()
        if row is None:
            raise NotFound("survey.no_response", agency=agency)
        if db.execute("SELECT 1 FROM exclusions WHERE response_id = ?", [row[0]]).fetchone():
            # the exclusion and its reason stay on record (DESIGN §4.7), so the response stays too
            raise InvalidInput("survey.withdraw_excluded", agency=agency)
        db.execute("DELETE FROM responses WHERE id = ?", [row[0]])
        db.execute("DELETE FROM survey_choices WHERE round = ? AND enterprise = ? AND agency = ?",
                   [round_name, actor.id, agency])
        audit.record(db, actor, "response.withdrawn", round_name)


def _my_responses(db, enterprise: str, round_names: list[str]) -> dict[tuple[str, str], dict]:
    if not round_names:
        return {}
    marks = ", ".join("?" for _ in round_names)
    found: dict[tuple[str, str], dict] = {}
    for row in db.query(
        f"""SELECT r.id, r.round, r.agency, r.comment, r.revision, r.updated_at, rr.item, rr.rating
            FROM responses r JOIN response_ratings rr ON rr.response_id = r.id
            WHERE r.enterprise = ? AND r.round IN ({marks}) ORDER BY r.round, r.agency""",
        [enterprise, *round_names],
    ):
        entry = found.setdefault((row["round"], row["agency"]), {
            "round": row["round"], "agency": row["agency"], "comment": row["comment"],
            "revision": row["revision"], "updated_at": row["updated_at"], "ratings": {}})
        entry["ratings"][row["item"]] = row["rating"]
    return found


@requires("responses.submit")
def my_round(db, actor: Actor, round_name: str) -> dict:
    """What the enterprise has chosen and saved in a round: chosen codes, responses by agency."""
    chosen = [r[0] for r in db.execute(
        "SELECT agency FROM survey_choices WHERE round = ? AND enterprise = ? ORDER BY agency",
        [round_name, actor.id])]
    saved = {agency: entry for (_, agency), entry in _my_responses(db, actor.id, [round_name]).items()}
    return {"chosen": chosen, "saved": saved}


@requires("responses.view_own")
def my_past_ratings(db, actor: Actor) -> list[dict]:
    """The enterprise's own ratings in every round that no longer accepts answers."""
    past = [r["name"] for r in db.query(f"SELECT name FROM rounds WHERE {rounds.status_in(rounds.COLLECTION_ENDED)}")]
    return list(_my_responses(db, actor.id, past).values())
