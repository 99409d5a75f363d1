"""A finalised round's report data, gathered once for the workbook and the bulletin.

Only the administrator and the discipline office may export (DESIGN §2). The
report holds agency-level figures only: no enterprise is named or identified
anywhere in it (DESIGN §6). Everything is read from what finalisation stored,
with the rules pinned to the round, so a report never recomputes a grade.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

import pandas as pd
import sqlite_utils

import labels
import scoring
from i18n import t
from surveys.core import clock
from surveys.participants import registry
from surveys.collection import rounds
from surveys.core.actors import Actor
from surveys.core.errors import InvalidInput, Term
from surveys.core.permissions import requires
from surveys.reports import rates

COUNTY_SETTING = "county_name"


@dataclass(frozen=True)
class RoundReport:
    """Everything a report of one finalised round shows, language-neutral."""

    round: dict  # the rounds row
    county: str  # empty when the county has not been named in settings
    finalisation: dict  # the current finalisation: id, at, actor, reason, questionnaire_version ...
    config: dict  # the rules pinned to this finalisation
    agencies: dict[str, dict]  # code -> agencies row (names in both languages)
    results: list[dict]  # current_results rows, best rank first, unranked last
    cases: list[dict]  # every case of the round with its status
    response_rates: list[dict]  # per agency: responses, excluded, counted, share of active enterprises
    overall: dict  # enterprises that answered, active enterprises, share, responses
    trend: pd.DataFrame = field(repr=False)  # round, agency, score, grade for finalised rounds up to this one
    groups: dict[str, dict] = field(default_factory=dict)  # agency group code -> row, in the administrator's order
    # the round's standard rates (surveys/reports/rates.py, issue 15): county, groups, agencies, with change
    standard_rates: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)

    @property
    def name(self) -> str:
        return self.round["name"]

    def agency_name(self, code: str, lang: str) -> str:
        return labels.agency_name(self.agencies[code], lang)

    @property
    def per_group(self) -> bool:
        """Whether the round ranked and flagged within each agency group (DESIGN §4.9), as pinned."""
        return self.config.get("ranking_scope", "county") == "group"

    def group_name(self, code: str | None, lang: str) -> str:
        return labels.group_name(code, self.groups, lang)

    def results_by_group(self) -> list[tuple[str | None, list[dict]]]:
        """The results split by the group pinned with each, groups in the administrator's order
        (a group no longer on the list after them), each part in ranking order."""
        order = list(self.groups)
        present = list(dict.fromkeys(r["agency_group"] for r in self.results))
        present.sort(key=lambda g: (g not in order, order.index(g) if g in order else 0, str(g)))
        return [(g, [r for r in self.results if r["agency_group"] == g]) for g in present]

    def grade_counts(self) -> dict[str, int]:
        counts = dict.fromkeys(scoring.GRADES, 0)
        for r in self.results:
            counts[r["grade"]] += 1
        return counts


@requires("reports.export")
def exportable_rounds(db: sqlite_utils.Database, actor: Actor) -> list[dict]:
    """Finalised and published rounds, newest first."""
    return [r for r in rounds.list_rounds(db) if r["status"] in rounds.FINALISED]


def _finalised_round(db: sqlite_utils.Database, name: str) -> dict:
    round_row = rounds.get_round(db, name)
    if round_row["status"] not in rounds.FINALISED:
        raise InvalidInput("reports.not_finalised", name=name, status=Term(f"rounds.status.{round_row['status']}"))
    return round_row


def _current_finalisation(db: sqlite_utils.Database, name: str) -> dict:
    return next(iter(db.query("SELECT * FROM finalisations WHERE round = ? AND is_current = 1", [name])))


class ReportVersion(NamedTuple):
    """What a generated report depends on, cheap to read: a cached report is valid while
    this stays the same, so re-finalising, publishing or a case step makes a fresh one."""

    finalisation_id: int
    status: str
    last_case_step: int
    finalised_at: str  # when the current results were stored
    responses_counted: int


@requires("reports.export")
def report_version(db: sqlite_utils.Database, actor: Actor, name: str) -> ReportVersion:
    round_row = _finalised_round(db, name)
    finalisation = _current_finalisation(db, name)
    last_step = db.execute(
        "SELECT max(e.id) FROM case_events e JOIN cases c ON c.id = e.case_id WHERE c.round = ?", [name]
    ).fetchone()[0]
    return ReportVersion(finalisation["id"], round_row["status"], last_step or 0, finalisation["at"],
                         finalisation["responses_counted"])


def county_name(db: sqlite_utils.Database) -> str:
    row = db.execute("SELECT value FROM settings WHERE name = ?", [COUNTY_SETTING]).fetchone()
    return row[0] if row else ""


def _ranked_results(db: sqlite_utils.Database, name: str) -> list[dict]:
    return list(db.query(
        "SELECT * FROM current_results WHERE round = ? ORDER BY rank IS NULL, rank, score DESC, agency", [name]))


def _cases(db: sqlite_utils.Database, name: str) -> list[dict]:
    return list(db.query(
        """SELECT id, agency, action, status, opened_at, due_on, closed_at FROM cases
           WHERE round = ? ORDER BY CASE action WHEN 'referral' THEN 0 WHEN 'interview' THEN 1 ELSE 2 END,
           agency, id""", [name]))


def _active_enterprises(db: sqlite_utils.Database) -> int:
    return db.execute("SELECT count(*) FROM enterprises WHERE active = 1").fetchone()[0]


def _response_rates(db: sqlite_utils.Database, name: str, results: list[dict]) -> tuple[list[dict], dict]:
    """Responses per agency against the active enterprises, and the county's overall rate.

    Counts only: a count per agency never narrows down to who answered.
    """
    active = _active_enterprises(db)
    counts = {row[0]: (row[1], row[2]) for row in db.execute(
        """SELECT r.agency, count(*), count(x.response_id) FROM responses r
           LEFT JOIN exclusions x ON x.response_id = r.id WHERE r.round = ? GROUP BY r.agency""", [name])}
    per_agency = []
    for result in sorted(results, key=lambda r: r["agency"]):
        responses, excluded = counts.get(result["agency"], (0, 0))
        per_agency.append({"agency": result["agency"], "responses": responses, "excluded": excluded,
                           "counted": result["n"], "active_enterprises": active,
                           "share": responses / active if active else None})
    answered, responses = db.execute(
        "SELECT count(DISTINCT enterprise), count(*) FROM responses WHERE round = ?", [name]).fetchone()
    overall = {"enterprises_answered": answered, "active_enterprises": active, "responses": responses,
               "share": answered / active if active else None}
    return per_agency, overall


def _trend(db: sqlite_utils.Database, name: str) -> pd.DataFrame:
    rows = db.execute(
        f"""SELECT c.round, c.agency, c.score, c.grade FROM current_results c JOIN rounds r ON r.name = c.round
           WHERE c.round <= ? AND {rounds.status_in(rounds.FINALISED, "r.status")} ORDER BY c.round, c.agency""",
        [name]).fetchall()
    return pd.DataFrame(rows, columns=["round", "agency", "score", "grade"])


@requires("reports.export")
def round_report(db: sqlite_utils.Database, actor: Actor, name: str) -> RoundReport:
    """Gather a finalised round's report; refused to agencies and enterprises."""
    round_row = _finalised_round(db, name)
    finalisation = _current_finalisation(db, name)
    results = _ranked_results(db, name)
    per_agency, overall = _response_rates(db, name, results)
    return RoundReport(
        round=round_row,
        county=county_name(db),
        finalisation=finalisation,
        config=json.loads(finalisation["config"]),
        agencies={a["code"]: a for a in registry.list_agencies(db, active_only=False)},
        results=results,
        cases=_cases(db, name),
        response_rates=per_agency,
        overall=overall,
        trend=_trend(db, name),
        groups={g["code"]: g for g in registry.list_groups(db)},
        standard_rates=rates.rates_for_reader(db, actor, rates.ROUND, name),
    )


# --- how figures read in a report (shared by the workbook and the bulletin) -----

def local_datetime(iso: str | None) -> datetime | None:
    """A stored UTC timestamp in county time, without tzinfo (what Excel can hold)."""
    if not iso:
        return None
    return clock.to_county(iso).replace(tzinfo=None)


def date_text(iso: str | None, lang: str) -> str:
    return clock.format_date(iso, lang)


def datetime_text(iso: str | None, lang: str) -> str:
    return clock.format_datetime(iso, lang)


def percent_text(share) -> str:
    return "" if share is None else f"{share:.1%}"


def term(kind: str, code: str | None, lang: str) -> str:
    """A grade, action, flag or case status in words (``kind`` is grades, actions, flags, cases.status)."""
    return t(f"{kind}.{code}", lang) if code else ""


def rate_unit_name(report: RoundReport, row, lang: str) -> str:
    """Who a standard-rates row is about: the county, a group or an agency (bulletin and workbook)."""
    from scoring import rates as standard
    if row["scope"] == standard.COUNTY:
        return t("loop.rates.county", lang)
    if row["scope"] == standard.GROUP:
        return t("loop.rates.group", lang, group=report.group_name(row["unit"], lang))
    return report.agency_name(row["unit"], lang) if row["unit"] in report.agencies else str(row["unit"])
