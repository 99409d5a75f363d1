"""Coaching and stuffing signals for the discipline office, and the inquiries it opens
from them (issue 15 item 4).

A signal asks for a look; it never excludes anything by itself (an exclusion stays
the discipline office's or administrator's decision with its reason, DESIGN §4.7).
Signals come from two pure sources: ``scoring.anomalies`` (straight-lining and bursts)
and ``scoring.coaching`` (a jump in the share of top ratings, identical answers in a
short window, answers faster than reading allows).

Who learns what (DESIGN §6). Only the discipline office holds ``signals.review``: an
agency never learns that a signal was raised against it, nor does the administrator.
The evidence is anonymised — each response by its opaque number within its agency
(``views.numbered_responses``, the numbers the case evidence uses), its time, speed and
ratings; it carries the response id only so that the office can use the audited reveal
(``reveal.reveal_rater``). Rater-level signals (one enterprise's answers across
agencies) name no enterprise either: their evidence is that enterprise's responses.

An inquiry stores its signal's evidence as it stood when opened; the audit log (the
administrator's) names only the inquiry's row, never the agency or the signal.
"""
from __future__ import annotations

import json

import numpy as np
import pandas as pd

import scoring
from scoring import coaching
from surveys.casework import cases
from surveys.casework import views
from surveys.collection import questionnaire
from surveys.collection import rounds
from surveys.core import audit
from surveys.core import clock
from surveys.core.actors import Actor
from surveys.core.errors import InvalidInput, NotFound
from surveys.core.permissions import requires
from surveys.results import finalise
from surveys.storage.db import write_transaction

OPEN, CLOSED = "open", "closed"
# the existing anomaly kinds (scoring.anomalies), then the coaching kinds; the page lists them in this order
KINDS = ("burst", "identical_in_window", "too_fast", "top_share_jump", "all_highest", "identical_answers",
         "all_lowest")


def _answers(db, round_name: str) -> pd.DataFrame:
    """Every response of this round and of the earlier rounds its history looks at, that answered
    something and is not excluded: one row each, with its ratings as columns."""
    wanted = [r[0] for r in db.execute("SELECT DISTINCT round FROM responses WHERE round <= ? ORDER BY round",
                                       [round_name])][-(coaching.DEFAULT_RULES.history_rounds + 1):]
    marks = ", ".join("?" for _ in wanted)
    rows = list(db.query(
        f"""SELECT r.id AS response, r.round, r.agency, r.enterprise, r.source, r.created_at AS saved_at,
                   r.opened_at, rr.item, rr.rating
            FROM responses r JOIN response_ratings rr ON rr.response_id = r.id
            WHERE r.round IN ({marks}) AND r.id NOT IN (SELECT response_id FROM exclusions)""", wanted))
    if not rows:
        return pd.DataFrame(columns=["response", "round", "agency", "enterprise", "source", "saved_at", "opened_at"])
    long = pd.DataFrame(rows)
    wide = long.pivot(index="response", columns="item", values="rating")
    facts = long.drop(columns=["item", "rating"]).drop_duplicates("response").set_index("response")
    return facts.join(wide).reset_index()


def _form(db, round_row: dict) -> questionnaire.Questionnaire:
    return questionnaire.get_questionnaire(db, round_row["questionnaire_version"] or 1)


def _signal_rows(db, round_row: dict) -> tuple[list[dict], pd.DataFrame]:
    """The round's signals as plain rows (response ids as evidence) and the answers they rest on."""
    round_name = round_row["name"]
    form = _form(db, round_row)
    answers = _answers(db, round_name)
    for item in form.item_codes:
        if item not in answers:
            answers[item] = np.nan
    this_round = answers[answers["round"] == round_name]
    item_chars = sum(len(item.zh) for item in form.items)  # the reading floor counts the Chinese text
    found = coaching.coaching_signals(answers, form.item_codes, round_name, item_chars)
    signals = [dict(row, key=_key(row)) for row in found.to_dict("records")]
    anomalies = scoring.detect_anomalies(this_round, form.item_codes, finalise.scoring_config(db, round_row))
    signals += [_anomaly(row, this_round, form.item_codes) for row in anomalies.to_dict("records")]
    return signals, this_round


def _key(row: dict) -> str:
    """A signal's name within its round, stable while the answers stay the same."""
    detail = row.get("detail") or {}
    return "/".join(str(part) for part in (row["kind"], row.get("agency") or "", detail.get("answers", "")))


def _anomaly(row: dict, this_round: pd.DataFrame, items: list[str]) -> dict:
    """An anomaly of scoring.anomalies with its responses as evidence, the enterprise left out."""
    mine = this_round
    if row["enterprise"] is not None and not pd.isna(row["enterprise"]):
        mine = mine[mine["enterprise"] == row["enterprise"]]
    if row["agency"] is not None and not pd.isna(row["agency"]):
        mine = mine[mine["agency"] == row["agency"]]
    if row["answers"]:
        vectors = mine[items].fillna(0).astype(int).astype(str).agg(",".join, axis=1)
        mine = mine[vectors == row["answers"]]
    agency = None if row["agency"] is None or pd.isna(row["agency"]) else row["agency"]
    signal = {"kind": row["kind"], "round": row["round"], "agency": agency, "count": int(row["count"]),
              "total": int(row["total"]), "responses": sorted(int(r) for r in mine["response"]),
              "detail": {"answers": row["answers"]} if row["answers"] else {}}
    # a rater-level signal has no agency: its key must still tell two raters apart, without naming either
    suffix = "" if agency else f"#{min(signal['responses'], default=0)}"
    return dict(signal, key=_key(signal) + suffix)


def _evidence(db, round_name: str, response_ids: list[int], this_round: pd.DataFrame,
              items: list[str]) -> list[dict]:
    """Each response as the office sees it: agency, opaque number, when saved, seconds taken, ratings
    (in the questionnaire's order)."""
    wanted = this_round[this_round["response"].isin(response_ids)].copy()
    wanted["seconds"] = coaching.answer_seconds(wanted)
    numbers = {}
    for agency in sorted(set(wanted["agency"])):
        numbers.update({r["response_id"]: r for r in views.numbered_responses(db, round_name, agency)})
    rows = []
    for row in wanted.to_dict("records"):
        numbered = numbers[row["response"]]
        rows.append({"agency": row["agency"], "number": numbered["number"], "response_id": int(row["response"]),
                     "saved_at": row["saved_at"], "source": row["source"],
                     "seconds": None if pd.isna(row["seconds"]) else float(row["seconds"]),
                     "ratings": {item: numbered["ratings"].get(item) for item in items}})
    return sorted(rows, key=lambda r: (r["agency"], r["saved_at"], r["number"]))


def _signals(db, round_name: str) -> list[dict]:
    round_row = rounds.get_round(db, round_name)
    rows, this_round = _signal_rows(db, round_row)
    items = _form(db, round_row).item_codes
    signals = [{**{k: v for k, v in row.items() if k != "responses"},
                "evidence": _evidence(db, round_name, row["responses"], this_round, items)} for row in rows]
    return sorted(signals, key=lambda s: (KINDS.index(s["kind"]), s["agency"] or "", s["key"]))


@requires("signals.review")
def round_signals(db, actor: Actor, round_name: str) -> list[dict]:
    """The round's coaching and stuffing signals, each with its anonymised evidence and, when
    an inquiry was opened from it, that inquiry's id. Read only: nothing is excluded."""
    inquiries = {(r["signal"]): r["id"] for r in db.query(
        "SELECT id, signal FROM inquiries WHERE round = ? ORDER BY id", [round_name])}
    return [dict(signal, inquiry=inquiries.get(signal["key"])) for signal in _signals(db, round_name)]


@requires("signals.review")
def signal_rounds(db, actor: Actor) -> list[str]:
    """Rounds that have collected answers, newest first: the ones signals can be asked about."""
    return [r["name"] for r in rounds.list_rounds(db) if r["status"] != rounds.Status.DRAFT]


@requires("signals.review")
def open_inquiry(db, actor: Actor, round_name: str, signal_key: str, note: str) -> int:
    """Open an inquiry from one of the round's current signals, with the office's note.
    The evidence is taken here, not from the page, and kept as it stands now."""
    note = cases.clean_text(note)
    if not note:
        raise InvalidInput("signals.note_needed")
    with write_transaction(db):
        signal = next((s for s in _signals(db, round_name) if s["key"] == signal_key), None)
        if signal is None:
            raise NotFound("signals.not_found", signal=signal_key)
        already = db.execute("SELECT id FROM inquiries WHERE round = ? AND signal = ? AND status = ?",
                             [round_name, signal_key, OPEN]).fetchone()
        if already:
            raise InvalidInput("signals.already_open", inquiry=already[0])
        inquiry_id = db.execute(
            "INSERT INTO inquiries (round, agency, signal, evidence, note, opened_by, opened_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
            [round_name, signal["agency"], signal_key, json.dumps(signal, ensure_ascii=False, default=str), note,
             actor.audit_name, clock.now_iso()],
        ).fetchone()[0]
        audit.record(db, actor, "inquiry.opened", f"inquiry/{inquiry_id}")
    return inquiry_id


@requires("signals.review")
def close_inquiry(db, actor: Actor, inquiry_id: int, finding: str) -> None:
    """Close an open inquiry with what the office found."""
    finding = cases.clean_text(finding)
    if not finding:
        raise InvalidInput("signals.finding_needed")
    with write_transaction(db):
        row = db.execute("SELECT status FROM inquiries WHERE id = ?", [inquiry_id]).fetchone()
        if row is None:
            raise NotFound("signals.no_inquiry", inquiry=inquiry_id)
        if row[0] != OPEN:
            raise InvalidInput("signals.inquiry_closed", inquiry=inquiry_id)
        db.execute("UPDATE inquiries SET status = ?, closed_at = ?, finding = ? WHERE id = ?",
                   [CLOSED, clock.now_iso(), finding, inquiry_id])
        audit.record(db, actor, "inquiry.closed", f"inquiry/{inquiry_id}")


@requires("signals.review")
def list_inquiries(db, actor: Actor, round_name: str | None = None) -> list[dict]:
    """The office's inquiries, newest first, each with the evidence it was opened on."""
    where, args = ("WHERE round = ?", [round_name]) if round_name else ("", [])
    rows = list(db.query(f"SELECT * FROM inquiries {where} ORDER BY id DESC", args))
    for row in rows:
        row["evidence"] = json.loads(row["evidence"] or "{}")
    return rows
