"""Appeals (申诉复核): an agency asks the discipline office to exclude one rating
of its own that it believes mistaken or malicious.

Window: from the round's close until ``appeal_window_days`` (setting, default
10) working days of China's calendar after the county day of ``rounds.closed_at``. The agency picks the response by
its opaque number in that round (surveys/casework/views.py) and sees only its item
ratings and comment: no enterprise, no time, no source, no id — and nothing at
all while the round has fewer counted responses for it than privacy.py allows
(excluded ones do not count). Each response may be appealed once, and each
appeal decided once. The discipline office gets the response's id with an
appeal (to reveal the rater, with a reason); the administrator does not.

Upholding excludes the response (exclusions.insert_exclusion, same
transaction, the reason kept). If the round is already finalised, its stored
grade does not change by itself: the administrator re-finalises it (rounds
page, finalise.finalise_round with a reason), which keeps the earlier result in
history and carries the change into later rounds. We chose not to re-finalise
from the discipline office's decision, so that finalising stays with the
administrator alone; ``rounds_to_refinalise`` lists what is waiting.
"""
from __future__ import annotations

from datetime import date

from surveys.core import audit
from surveys.casework import cases
from surveys.core import clock
from surveys.results import exclusions
from surveys.results import finalise
from surveys.results import privacy
from surveys.collection import rounds
from surveys.core import workdays
from surveys.core.actors import Actor
from surveys.casework.views import numbered_responses
from surveys.storage.db import write_transaction
from surveys.core.errors import InvalidInput, NotFound, Term
from surveys.core.permissions import allowed, require, requires

WINDOW_DAYS = 10
MAX_REASON = 1000


def window_days(db) -> int:
    return cases.configured_int(db, "appeal_window_days", WINDOW_DAYS)


def window_end(db, round_row: dict) -> date | None:
    """The last day appeals are accepted for a round (``window_days`` working days after the
    county day it closed); None while it has not closed."""
    if round_row["status"] not in rounds.COLLECTION_ENDED or not round_row["closed_at"]:
        return None
    return workdays.add_working_days(db, clock.county_date(round_row["closed_at"]), window_days(db))


@requires("appeals.lodge")
def appealable_rounds(db, actor: Actor) -> list[dict]:
    """Rounds whose appeal window is open today, each with its last day."""
    today = clock.today()
    found = []
    for row in rounds.list_rounds(db):
        end = window_end(db, row)
        if end is not None and today <= end:
            found.append({"round": row["name"], "status": row["status"], "window_ends": end.isoformat()})
    return found


def _own_agency(actor: Actor, agency: str) -> None:
    require(actor, "appeals.lodge", resource=agency, not_yours="casework.appeals.not_your_agency")


def _enough_counted(rows: list[dict]) -> bool:
    return privacy.enough(sum(privacy.is_counted(r) for r in rows))


@requires("appeals.lodge")
def responses_for_appeal(db, actor: Actor, round_name: str, agency: str) -> list[dict]:
    """The agency's rated responses in a round as it may see them: number, ratings,
    comment, score, and whether each is excluded or appealed already.

    Nothing else: not the enterprise, not when, not how. Empty when the round
    has too few counted responses for the agency (privacy.py; DESIGN §6).
    """
    _own_agency(actor, agency)
    rows = numbered_responses(db, round_name, agency)
    if not _enough_counted(rows):
        return []
    appealed = {r[0] for r in db.execute("SELECT response_id FROM appeals WHERE round = ? AND agency = ?",
                                         [round_name, agency])}
    return [{"number": r["number"], "ratings": r["ratings"], "comment": r["comment"], "score": r["score"],
             "excluded": r["excluded"], "appealed": r["response_id"] in appealed} for r in rows if r["ratings"]]


def _check_window(db, round_name: str) -> None:
    round_row = rounds.get_round(db, round_name)
    end = window_end(db, round_row)
    if end is None:
        raise InvalidInput("casework.appeals.round_not_closed", round=round_name,
                           status=Term(f"rounds.status.{round_row['status']}"))
    if clock.today() > end:
        raise InvalidInput("casework.appeals.window_over", round=round_name, end=end.isoformat(),
                           days=window_days(db))


@requires("appeals.lodge")
def lodge_appeal(db, actor: Actor, round_name: str, agency: str, number: int, reason: str) -> int:
    """Appeal response ``number`` of the agency in the round; returns the appeal's id."""
    _own_agency(actor, agency)
    reason = cases.clean_text(reason, MAX_REASON)
    if not reason:
        raise InvalidInput("casework.appeals.reason_needed")
    with write_transaction(db):
        _check_window(db, round_name)
        rows = numbered_responses(db, round_name, agency)
        if not _enough_counted(rows):
            raise InvalidInput("casework.appeals.too_few", round=round_name, minimum=privacy.MIN_COUNTED)
        target = next((r for r in rows if r["number"] == number and r["ratings"]), None)
        if target is None:
            raise NotFound("casework.appeals.no_such_number", number=number, round=round_name)
        if db.execute("SELECT 1 FROM appeals WHERE response_id = ?", [target["response_id"]]).fetchone():
            raise InvalidInput("casework.appeals.already_appealed", number=number)
        if target["excluded"]:
            raise InvalidInput("casework.appeals.already_excluded", number=number)
        appeal_id = db.execute(
            "INSERT INTO appeals (response_id, round, agency, reason, lodged_by, lodged_at)"
            " VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
            [target["response_id"], round_name, agency, reason, actor.audit_name, clock.now_iso()]).fetchone()[0]
        audit.record(db, actor, "appeal.lodged", f"appeal/{appeal_id}", round=round_name, agency=agency,
                     number=number, reason=reason)
    return appeal_id


def get_appeal(db, appeal_id: int) -> dict:
    rows = list(db.query("SELECT * FROM appeals WHERE id = ?", [appeal_id]))
    if not rows:
        raise NotFound("casework.appeals.not_found", appeal=appeal_id)
    return rows[0]


def _with_response(db, appeal: dict, rows: list[dict] | None = None) -> dict:
    """The appeal with its response's number, ratings and comment (never the enterprise)."""
    rows = numbered_responses(db, appeal["round"], appeal["agency"]) if rows is None else rows
    response = next(r for r in rows if r["response_id"] == appeal["response_id"])
    shown = {k: v for k, v in appeal.items() if k != "response_id"}
    return {**shown, "number": response["number"], "ratings": response["ratings"],
            "comment": response["comment"], "score": response["score"]}


@requires("appeals.lodge")
def my_appeals(db, actor: Actor) -> list[dict]:
    """The agency's appeals; the rating's content only while its round still has enough
    counted responses (an exclusion since the appeal may have taken it below the minimum)."""
    found = []
    for appeal in db.query("SELECT * FROM appeals WHERE agency = ? ORDER BY id DESC", [actor.agency_code]):
        rows = numbered_responses(db, appeal["round"], appeal["agency"])
        shown = _with_response(db, appeal, rows)
        if not _enough_counted(rows):
            shown.update(ratings={}, comment=None, score=None)
        found.append(shown)
    return found


@requires("appeals.view_all")
def appeals_for_review(db, actor: Actor, status: str | None = None) -> list[dict]:
    """Appeals for review, pending first. The discipline office also gets each one's
    ``response_id``, to reveal the rater; the administrator never does (DESIGN §6)."""
    rows = db.query("SELECT * FROM appeals ORDER BY status <> 'pending', id DESC")
    linked = allowed(actor, "rater.reveal")
    return [{**_with_response(db, a), **({"response_id": a["response_id"]} if linked else {})} for a in rows
            if status is None or a["status"] == status]


@requires("appeals.decide")
def decide_appeal(db, actor: Actor, appeal_id: int, uphold: bool, reason: str) -> None:
    """Uphold (exclude the response, same transaction) or reject, with a reason; once only."""
    reason = cases.clean_text(reason, MAX_REASON)
    if not reason:
        raise InvalidInput("casework.appeals.decision_reason_needed")
    with write_transaction(db):
        appeal = get_appeal(db, appeal_id)
        if appeal["status"] != "pending":
            raise InvalidInput("casework.appeals.already_decided", appeal=appeal_id,
                               status=Term(f"casework.appeals.status.{appeal['status']}"))
        status = "upheld" if uphold else "rejected"
        current = db.execute("SELECT id FROM finalisations WHERE round = ? AND is_current = 1",
                             [appeal["round"]]).fetchone()
        db.execute("UPDATE appeals SET status = ?, decided_by = ?, decided_at = ?, decision_reason = ?,"
                   " upheld_on_finalisation = ? WHERE id = ?",
                   [status, actor.audit_name, clock.now_iso(), reason,
                    current[0] if uphold and current else None, appeal_id])
        if uphold:
            exclusions.insert_exclusion(db, actor, appeal["response_id"], f"appeal {appeal_id}: {reason}")
        audit.record(db, actor, f"appeal.{status}", f"appeal/{appeal_id}", reason=reason)


@requires("appeals.view_all")
def rounds_to_refinalise(db, actor: Actor) -> list[dict]:
    """Finalised rounds with an appeal upheld after their current finalisation:
    the administrator re-finalises them (the stored grade is still the old one)."""
    return list(db.query(
        f"""SELECT a.round, group_concat(a.id) AS appeals, max(a.decided_at) AS last_upheld
           FROM appeals a JOIN rounds r ON r.name = a.round
           JOIN finalisations f ON f.id = a.upheld_on_finalisation AND f.is_current = 1
           WHERE a.status = 'upheld' AND {rounds.status_in(rounds.FINALISED, "r.status")}
           GROUP BY a.round ORDER BY a.round"""))
