"""Response monitoring (填报进度) for the open round: how many enterprises have
answered, how each agency stands, and who still has to be called.

The administrator runs the roster, so enterprise names and contact details
appear here; which enterprise rated which agency, and with what, never does:
per agency only counts are given, and the call list holds only enterprises
that have saved no answer at all.
"""
from __future__ import annotations


import pandas as pd
import sqlite_utils

from i18n import DEFAULT_LANGUAGE, t
from surveys.core import clock
from surveys.collection import rounds
from surveys.core.actors import Actor
from surveys.core.errors import NotFound
from surveys.storage.export_safety import csv_bytes, xlsx_bytes
from surveys.core.permissions import requires
from surveys.participants import panels

CALL_LIST_COLUMNS = ("uscc", "name", "industry", "contact_person", "contact_phone", "chosen",
                     "reminded_at", "reminder_channel", "reminders")


def _round(db: sqlite_utils.Database, round_name: str | None) -> dict:
    if round_name is not None:
        return rounds.get_round(db, round_name)
    current = rounds.open_round(db)
    if current is None:
        raise NotFound("admin_ops.monitoring.no_open_round")
    return current


def _agency_progress(db: sqlite_utils.Database, round_name: str) -> list[dict]:
    """Per agency: responses saved, and enterprises that chose it but have not rated it yet."""
    return list(db.query(
        """SELECT a.code, a.name_zh, a.name_en, a.active,
                  (SELECT count(*) FROM responses r WHERE r.round = :round AND r.agency = a.code) AS responses,
                  (SELECT count(*) FROM survey_choices c
                     WHERE c.round = :round AND c.agency = a.code AND NOT EXISTS (
                       SELECT 1 FROM responses r WHERE r.round = c.round
                         AND r.enterprise = c.enterprise AND r.agency = c.agency)) AS chosen_unrated
           FROM agencies a
           WHERE a.active = 1 OR EXISTS (SELECT 1 FROM responses r WHERE r.round = :round AND r.agency = a.code)
           ORDER BY responses DESC, a.code""",
        {"round": round_name},
    ))


@requires("monitoring.view")
def round_progress(db, actor: Actor, round_name: str | None = None) -> dict:
    """The response rate of a round (the open one unless named), overall and per agency.

    The overall rate is enterprises that answered at least one agency, divided
    by active enterprises; an enterprise deactivated after answering is in
    neither, so the rate never exceeds 100 %. Deputies and supervisors are
    counted per panel (``panel_progress``), not here.
    """
    current = _round(db, round_name)
    name = current["name"]
    active = db.execute("SELECT count(*) FROM enterprises WHERE active = 1 AND panel = ?",
                        [panels.ENTERPRISE]).fetchone()[0]
    answered = db.execute(
        """SELECT count(DISTINCT r.enterprise) FROM responses r JOIN enterprises e ON e.uscc = r.enterprise
           WHERE r.round = ? AND e.active = 1 AND e.panel = ?""", [name, panels.ENTERPRISE]).fetchone()[0]
    total, paper = db.execute(
        "SELECT count(*), coalesce(sum(source = 'paper'), 0) FROM responses WHERE round = ?", [name]).fetchone()
    return {
        "round": name, "status": current["status"], "closes_on": current["closes_on"],
        "active_enterprises": active, "answered": answered, "not_answered": active - answered,
        "rate": answered / active if active else 0.0,
        "responses": total, "paper_responses": paper,
        "agencies": _agency_progress(db, name),
    }


@requires("monitoring.view")
def panel_progress(db, actor: Actor, round_name: str | None = None) -> list[dict]:
    """Per rater panel (DESIGN §4.10), in the panels' order: active raters, those of them that
    answered at least one agency in the round, and the rate; a panel without raters is left out."""
    name = _round(db, round_name)["name"]
    rows = {r["panel"]: r for r in db.query(
        """SELECT e.panel, count(*) AS active,
                  sum(EXISTS (SELECT 1 FROM responses r WHERE r.round = ? AND r.enterprise = e.uscc)) AS answered
           FROM enterprises e WHERE e.active = 1 GROUP BY e.panel""", [name])}
    return [{**rows[panel], "rate": rows[panel]["answered"] / rows[panel]["active"]}
            for panel in panels.PANELS if panel in rows]


LOW_RESPONSE_RATE = 0.5  # below this, closing asks the administrator to look twice


@requires("monitoring.view")
def close_check(db, actor: Actor, round_name: str) -> dict:
    """What the administrator sees before closing a round: is it early, and how many answered."""
    progress = round_progress(db, actor, round_name)
    today = clock.today()
    early = progress["closes_on"] is not None and today.isoformat() <= progress["closes_on"]
    return {**progress, "today": today.isoformat(), "early": early,
            "low": progress["rate"] < LOW_RESPONSE_RATE, "threshold": LOW_RESPONSE_RATE}


@requires("monitoring.view")
def non_responders(db, actor: Actor, round_name: str | None = None) -> list[dict]:
    """Active enterprises with no saved answer in the round, with the roster's contact
    details, how many agencies each has chosen without rating (it has started), and its
    latest reminder in the round (when, which channel) and how many it has had."""
    name = _round(db, round_name)["name"]
    return list(db.query(
        """SELECT e.uscc, e.name, e.industry, e.contact_person, e.contact_phone,
                  (SELECT count(*) FROM survey_choices c WHERE c.round = :round AND c.enterprise = e.uscc) AS chosen,
                  m.at AS reminded_at, m.channel AS reminder_channel,
                  (SELECT count(*) FROM reminders n WHERE n.round = :round AND n.enterprise = e.uscc) AS reminders
           FROM enterprises e
           LEFT JOIN reminders m ON m.id = (SELECT n.id FROM reminders n WHERE n.round = :round
                                              AND n.enterprise = e.uscc ORDER BY n.at DESC, n.id DESC LIMIT 1)
           WHERE e.active = 1
             AND NOT EXISTS (SELECT 1 FROM responses r WHERE r.round = :round AND r.enterprise = e.uscc)
           ORDER BY chosen DESC, e.name, e.uscc""",
        {"round": name},
    ))


# --- the call list --------------------------------------------------------------

def call_list_frame(rows: list[dict], lang: str = DEFAULT_LANGUAGE) -> pd.DataFrame:
    """The call list with headers in ``lang``; cells are made formula-safe on export."""
    def cell(row: dict, column: str):
        if column == "reminded_at":  # county time, the reader's way; empty when never reminded
            return clock.format_datetime(row[column], lang)
        if column == "reminder_channel":
            return t(f"reminders.channel.{row[column]}", lang) if row[column] else ""
        return row[column]

    frame = pd.DataFrame([{c: cell(row, c) for c in CALL_LIST_COLUMNS} for row in rows],
                         columns=list(CALL_LIST_COLUMNS))
    return frame.rename(columns={c: t(f"admin_ops.monitoring.column.{c}", lang) for c in CALL_LIST_COLUMNS})


@requires("monitoring.view")
def call_list_csv(db, actor: Actor, lang: str = DEFAULT_LANGUAGE, round_name: str | None = None) -> bytes:
    """CSV in UTF-8 with a BOM, so that Excel on a Chinese Windows opens it right."""
    return csv_bytes(call_list_frame(non_responders(db, actor, round_name), lang))


@requires("monitoring.view")
def call_list_xlsx(db, actor: Actor, lang: str = DEFAULT_LANGUAGE, round_name: str | None = None) -> bytes:
    return xlsx_bytes(call_list_frame(non_responders(db, actor, round_name), lang),
                      t("admin_ops.monitoring.call_list_sheet", lang), widths=(22, 36, 14, 12, 16, 14, 20, 14, 10))
