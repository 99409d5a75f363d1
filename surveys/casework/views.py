"""What the casework pages read: the discipline office's inbox and the evidence
behind a case, an agency's own cases, and a round's responses under opaque numbers.

Opaque numbers: within one (round, agency) the responses are ordered by a keyed
hash of their id (key: setting ``response_number_key``, random per database)
and numbered 1..n. The number says nothing about who answered or when, and the
same enterprise gets unrelated numbers in different rounds and agencies.

Who learns what. The discipline office's evidence carries each response's id,
so that it can reveal the rater (surveys/casework/reveal.py, audited). The
administrator may read the evidence too, but without any response id: nothing
it can see ties an enterprise to a response (DESIGN §6). An agency sees its
case's score only while enough responses count (surveys/results/privacy.py).
"""
from __future__ import annotations

import hashlib

import pandas as pd

from scoring.rounding import round_half_up
import scoring
from surveys.casework import cases
from surveys.casework import problems
from surveys.results import finalise
from surveys.results import panel_results
from surveys.results import privacy
from surveys.collection import questionnaire
from surveys.collection import rounds
from surveys.core.actors import Actor
from surveys.core.permissions import allowed, require, requires


def _number_key(db) -> str:
    row = db.execute("SELECT value FROM settings WHERE name = 'response_number_key'").fetchone()
    return row[0] if row else ""


def numbered_responses(db, round_name: str, agency: str) -> list[dict]:
    """Every response of (round, agency), numbered opaquely, with ratings, comment,
    score and whether it is excluded. Carries ``response_id``: for services only."""
    key = _number_key(db)
    rows = list(db.query(
        """SELECT r.id, r.comment, (x.response_id IS NOT NULL) AS excluded
           FROM responses r LEFT JOIN exclusions x ON x.response_id = r.id
           WHERE r.round = ? AND r.agency = ?""", [round_name, agency]))
    ratings: dict[int, dict] = {}
    for response_id, item, rating in db.execute(
            """SELECT rr.response_id, rr.item, rr.rating FROM response_ratings rr
               JOIN responses r ON r.id = rr.response_id WHERE r.round = ? AND r.agency = ?""",
            [round_name, agency]):
        ratings.setdefault(response_id, {})[item] = rating

    def shuffle(row):
        return hashlib.sha256(f"{key}:{round_name}:{agency}:{row['id']}".encode()).hexdigest()

    ordered = sorted(rows, key=shuffle)
    scores = _response_points(db, round_name, [ratings.get(r["id"], {}) for r in ordered])
    return [{"number": i, "response_id": r["id"], "ratings": ratings.get(r["id"], {}), "comment": r["comment"],
             "excluded": bool(r["excluded"]), "score": score}
            for i, (r, score) in enumerate(zip(ordered, scores), start=1)]


def _form_and_config(db, round_name: str):
    round_row = rounds.get_round(db, round_name)
    form = questionnaire.get_questionnaire(db, round_row["questionnaire_version"] or 1)
    return form, finalise.scoring_config(db, round_row)


def _response_points(db, round_name: str, ratings: list[dict]) -> list[float | None]:
    if not ratings:
        return []
    form, config = _form_and_config(db, round_name)
    frame = pd.DataFrame([{item: r.get(item) for item in form.item_codes} for r in ratings], dtype=float)
    points = scoring.response_scores(frame, form.item_codes, form.weights, config)
    return [None if pd.isna(p) else round_half_up(float(p)) for p in points]


# --- the discipline office --------------------------------------------------------

def _result_lookup(db, agency: str | None = None) -> dict[tuple[str, str], dict]:
    """Stored results by (round, agency): every agency's, or ``agency``'s only (a province has 6,600)."""
    where, params = ("WHERE agency = ?", [agency]) if agency else ("", [])
    return {(r["round"], r["agency"]): r for r in db.query(f"SELECT * FROM current_results {where}", params)}


def _with_result(case: dict, results: dict) -> dict:
    result = results.get((case["round"], case["agency"]), {})
    return {**case, "score": result.get("score"), "grade": result.get("grade"), "n": result.get("n"),
            "overdue": cases.is_overdue(case),
            "escalated": bool(case.get("escalated_on")) and case["status"] not in cases.FINISHED}


# the inbox's order: the gravest follow-up first (DESIGN §1: referral > interview > reminder)
SEVERITY = {"referral": 0, "interview": 1, "reminder": 2}


@requires("cases.view_all")
def inbox(db, actor: Actor, statuses=None, actions=None, agencies=None, round_names=None) -> list[dict]:
    """Cases matching every given filter (None = any): open before finished, escalated ones
    (surveys/casework/escalation.py) first, then by how grave the action is (referrals,
    interviews, reminders — SEVERITY), overdue first within each, then by due date."""
    results = _result_lookup(db)
    rows = [_with_result(c, results) for c in db.query("SELECT * FROM cases ORDER BY id")]
    wanted = [(statuses, "status"), (actions, "action"), (agencies, "agency"), (round_names, "round")]
    rows = [r for r in rows if all(not chosen or r[field] in chosen for chosen, field in wanted)]
    return sorted(rows, key=lambda r: (r["status"] in cases.FINISHED, not r["escalated"],
                                       SEVERITY.get(r["action"], len(SEVERITY)), not r["overdue"], r["due_on"],
                                       r["id"]))


@requires("cases.view_all")
def escalations(db, actor: Actor) -> list[dict]:
    """What the background check escalated and the agency has still not done, for the top of the
    discipline office's inbox: cases by severity, then problem tickets; the longest-escalated first
    within each. A ticket shows its agency and step, never who raised it."""
    rows = [{"kind": "case", "id": c["id"], "agency": c["agency"], "action": c["action"], "status": c["status"],
             "due_on": c["due_on"], "escalated_on": c["escalated_on"], "order": SEVERITY.get(c["action"], 3)}
            for c in db.query("SELECT * FROM cases WHERE escalated_on IS NOT NULL AND status NOT IN (?, ?)",
                              list(cases.FINISHED))]
    for ticket in db.query("SELECT * FROM problems WHERE escalated_on IS NOT NULL AND status = ?", [problems.OPEN]):
        rows.append({"kind": "problem", "id": ticket["id"], "agency": ticket["agency"], "action": None,
                     "status": ticket["status"], "step": problems.overdue_step(ticket) or problems.FIX,
                     "due_on": ticket["due_on"], "escalated_on": ticket["escalated_on"], "order": len(SEVERITY)})
    return sorted(rows, key=lambda r: (r["order"], r["escalated_on"], r["id"]))


@requires("cases.view_all")
def case_counts(db, actor: Actor) -> dict[str, int]:
    """Open (neither closed nor withdrawn) and overdue cases, for the inbox's headline."""
    rows = inbox(db, actor)
    return {"open": sum(r["status"] not in cases.FINISHED for r in rows), "overdue": sum(r["overdue"] for r in rows)}


def _distribution(form, counted: list[dict]) -> list[dict]:
    counts = {(item, level): 0 for item in form.item_codes for level in questionnaire.LEVELS}
    for response in counted:
        for item, level in response["ratings"].items():
            if (item, level) in counts:
                counts[(item, level)] += 1
    return [{"item": item, "level": level, "count": count} for (item, level), count in counts.items()]


def _item_breakdown(form, config, counted: list[dict]) -> list[dict]:
    """Each item's mean points over the counted responses that answered it."""
    frame = pd.DataFrame([{i: r["ratings"].get(i) for i in form.item_codes} for r in counted],
                         columns=form.item_codes, dtype=float)
    rows = []
    for item in form.item_codes:
        points = scoring.response_scores(frame, [item], None, config).dropna() if len(frame) else pd.Series([])
        rows.append({"item": item, "answers": int(points.size),
                     "mean_points": round_half_up(float(points.mean())) if points.size else None})
    return rows


def trend(db, agency: str) -> list[dict]:
    """The agency's stored result in every finalised round, oldest first."""
    return list(db.query(
        "SELECT round, n, score, ci_low, ci_high, grade, action FROM current_results WHERE agency = ? ORDER BY round",
        [agency]))


@requires("cases.view_all")
def case_evidence(db, actor: Actor, case_id: int) -> dict:
    """Everything the discipline office weighs on one case."""
    case = cases.get_case(db, case_id)
    case = _with_result(case, _result_lookup(db, case["agency"]))
    form, config = _form_and_config(db, case["round"])
    responses = numbered_responses(db, case["round"], case["agency"])
    counted = [r for r in responses if privacy.is_counted(r)]
    if not allowed(actor, "rater.reveal"):  # only who may reveal a rater gets the ids to reveal by
        responses = [{k: v for k, v in r.items() if k != "response_id"} for r in responses]
    result = next((r for r in finalise.current_results(db, case["round"]) if r["agency"] == case["agency"]), None)
    return {
        "case": case,
        "result": result,
        "items": [{"code": i.code, "zh": i.zh, "en": i.en} for i in form.items],
        "distribution": _distribution(form, counted),
        "item_breakdown": _item_breakdown(form, config, counted),
        "trend": trend(db, case["agency"]),
        # each panel's score beside the combined one (§4.10): the office sees every figure
        "panels": panel_results.panel_rows(db, rounds.get_round(db, case["round"]), case["agency"], hide_thin=False),
        "responses": responses,
        "comments": [{"number": r["number"], "comment": r["comment"]} for r in counted if r["comment"]],
        "earlier_cases": [c for c in inbox(db, actor, agencies=[case["agency"]])
                          if c["round"] < case["round"] or (c["round"] == case["round"] and c["id"] < case_id)],
        "timeline": cases.case_events(db, case_id),
        "steps": cases.steps_for(actor, case),
    }


def detail_items(details: dict) -> list[tuple[str, object, bool]]:
    """A step's details for display: (catalogue key of the label, value, is it a date)."""
    items = []
    for name, value in details.items():
        if name == "late":
            if value:
                items.append(("casework.late_mark", "", False))
        elif name == "review":  # the discipline office's review of a report: passed or redo
            items.append((f"loop.review.{value}", "", False))
        else:
            items.append((f"casework.fields.{name}", value, name in cases.DATE_DETAILS or name == "due_on"))
    return items


# --- the agency -----------------------------------------------------------------

@requires("cases.view_own")
def agency_cases(db, actor: Actor) -> list[dict]:
    """The acting agency's own cases, newest round first, each with its result and timeline."""
    results = _result_lookup(db, actor.agency_code)
    rows = [_with_result(c, results) for c in db.query(
        "SELECT * FROM cases WHERE agency = ? ORDER BY round DESC, id DESC", [actor.agency_code])]
    rows = [privacy.hide_thin_result(db, row) for row in rows]
    for row in rows:
        row["timeline"] = cases.case_events(db, row["id"])
        row["steps"] = cases.steps_for(actor, row)
    return rows


@requires("cases.view_own")
def agency_case(db, actor: Actor, case_id: int) -> dict:
    case = cases.get_case(db, case_id)
    require(actor, "cases.view_own", resource=case["agency"], not_yours="cases.not_your_agency")
    return next(c for c in agency_cases(db, actor) if c["id"] == case_id)
