"""The year's assessment (年考核, DESIGN §4.11): finalising and publishing a calendar year.

A year is finalised like a round (surveys/results/finalise.py): the scoring
module (``scoring.grade_year``) grades every agency from the year's PUBLISHED
quarterly results, the work-assessment scores the administrator entered
(surveys/results/work_scores.py) and the veto; the results are stored with the
rules used (pinned at the first finalisation), a re-finalisation that changes
anything stores a new finalisation and keeps the earlier one in history, and
publishing makes the year visible to agencies.

Which quarters: the four rounds YYYYQ1…Q4. A round of the year that exists but
is not published yet refuses the finalisation (its results may still change),
and so does a quarter that has not ended. A past quarter without any round (a
county that started mid-year, a skipped quarter) is allowed once the
administrator confirms it: the finalisation records which quarters were missing
and the report says so — an agency needs 2 graded quarters either way.

The veto (one-vote veto): an agency with a referral case from one of the year's
rounds whose investigation found fault — the discipline office records the
finding with the outcome (``cases.FAULT_FOUND`` on the ``outcome_recorded``
step) — is graded poor for the year. A withdrawn referral vetoes nothing; an
outcome recorded without a finding, or a referral still under investigation,
vetoes nothing and is listed as a warning before finalising.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field

import pandas as pd
import sqlite_utils

import scoring
from scoring.actions import REFERRAL
from surveys.casework import cases
from surveys.collection import rounds
from surveys.core import audit
from surveys.core import clock
from surveys.core.actors import Actor
from surveys.core.errors import InvalidInput, NotFound
from surveys.core.permissions import allowed, covers_agency, require, requires
from surveys.results import finalise
from surveys.results import privacy
from surveys.results.work_scores import check_year
from surveys.storage.db import write_transaction

RESULT_FIELDS = ["quarters", "survey_score", "work_score", "score", "grade", "rank", "vetoed", "veto_cases",
                 "agency_group", "group_rank"]


def year_quarters(year: int) -> list[str]:
    return [f"{year}Q{quarter}" for quarter in range(1, 5)]


@dataclass
class YearReadiness:
    """What finalising a year would rest on, and what stands in its way."""

    year: int
    published: list[str] = field(default_factory=list)       # rounds whose results count
    unpublished: list[dict] = field(default_factory=list)    # rounds of the year not published: refuse
    not_over: list[str] = field(default_factory=list)        # quarters not ended, no round: refuse
    missing: list[str] = field(default_factory=list)         # past quarters with no round: confirm
    no_finding: list[dict] = field(default_factory=list)     # referral outcomes without a finding: warn
    under_investigation: list[dict] = field(default_factory=list)  # referrals without an outcome: warn

    @property
    def blocked(self) -> bool:
        return bool(self.unpublished or self.not_over or not self.published)


def _readiness(db: sqlite_utils.Database, year: int) -> YearReadiness:
    readiness = YearReadiness(year)
    statuses = dict(db.execute(f"SELECT name, status FROM rounds WHERE name IN ({', '.join('?' * 4)})",
                               year_quarters(year)).fetchall())
    today = clock.today()
    for quarter in year_quarters(year):
        status = statuses.get(quarter)
        if status == rounds.Status.PUBLISHED:
            readiness.published.append(quarter)
        elif status is not None:
            readiness.unpublished.append({"round": quarter, "status": status})
        elif rounds.quarter_bounds(quarter)[1] >= today:
            readiness.not_over.append(quarter)
        else:
            readiness.missing.append(quarter)
    for referral in referral_outcomes(db, year):
        if referral["outcome_at"] is None:
            readiness.under_investigation.append(referral)
        elif referral["fault_found"] is None:
            readiness.no_finding.append(referral)
    return readiness


def referral_outcomes(db: sqlite_utils.Database, year: int) -> list[dict]:
    """Every standing referral case of the year's rounds with its investigation's outcome, if recorded:
    case, round, agency, outcome, fault_found (True, False, or None when no finding was recorded)."""
    rows = db.execute(
        f"""SELECT c.id, c.round, c.agency, c.status, e.details, e.at FROM cases c
            LEFT JOIN case_events e ON e.case_id = c.id AND e.step = ?
            WHERE c.action = ? AND c.status <> ? AND c.round IN ({', '.join('?' * 4)})
            ORDER BY c.agency, c.round, c.id""",
        [cases.FINDING_STEP, REFERRAL, cases.WITHDRAWN, *year_quarters(year)]).fetchall()
    found = []
    for case_id, round_name, agency, status, details, at in rows:
        recorded = json.loads(details) if details else {}
        found.append({"case": case_id, "round": round_name, "agency": agency, "status": status,
                      "outcome": recorded.get("outcome", ""), "outcome_at": at,
                      "fault_found": recorded.get(cases.FAULT_FOUND)})
    return found


def veto_cases(db: sqlite_utils.Database, year: int) -> dict[str, list[int]]:
    """DESIGN §4.11 veto: agency -> its referral cases of the year whose investigation found fault."""
    vetoes: dict[str, list[int]] = {}
    for referral in referral_outcomes(db, year):
        if referral["fault_found"] is True:
            vetoes.setdefault(referral["agency"], []).append(referral["case"])
    return vetoes


def year_config(db: sqlite_utils.Database, year: int) -> scoring.ScoringConfig:
    """The year's pinned rules, or the county's current rules for a first finalisation."""
    row = db.execute("SELECT config FROM annual_years WHERE year = ?", [year]).fetchone()
    if row:
        return scoring.ScoringConfig.from_dict(json.loads(row[0]))
    return finalise.county_config(db)


GROUP_COLUMN = "group_code"  # agencies.group_code, once agency groups (DESIGN §4.9) are in the schema


def _quarterly(db: sqlite_utils.Database, published: list[str]) -> pd.DataFrame:
    """The published quarterly results, with each agency's group (as it is at finalisation) where the
    county keeps groups, so that the year is ranked within each group too (§4.11 "and group")."""
    rows = db.execute(f"SELECT round, agency, score, grade FROM current_results WHERE round IN "
                      f"({', '.join('?' * len(published))}) ORDER BY round, agency", published).fetchall()
    frame = pd.DataFrame(rows, columns=["round", "agency", "score", "grade"])
    if GROUP_COLUMN in db["agencies"].columns_dict:
        groups = dict(db.execute(f"SELECT code, {GROUP_COLUMN} FROM agencies").fetchall())
        frame["group"] = frame["agency"].map(groups)
    return frame


def _work(db: sqlite_utils.Database, year: int) -> pd.DataFrame | None:
    rows = db.execute("SELECT year, agency, work_score FROM work_scores WHERE year = ? ORDER BY agency",
                      [year]).fetchall()
    return pd.DataFrame(rows, columns=["year", "agency", "work_score"]) if rows else None


def compute_year(db: sqlite_utils.Database, year: int, readiness: YearReadiness,
                 config: scoring.ScoringConfig) -> list[dict]:
    """The year's results as records, graded by the scoring module (the one owner of §4.11's arithmetic)."""
    vetoes = veto_cases(db, year)
    veto = pd.DataFrame({"year": year, "agency": sorted(vetoes)}) if vetoes else None
    result = scoring.grade_year(_quarterly(db, readiness.published), work=_work(db, year), veto=veto,
                                config=config)
    records = []
    for row in result.to_dict("records"):
        records.append({
            "year": year, "agency": row["agency"], "quarters": int(row["quarters"]),
            **{name: _plain(row.get(name)) for name in ("survey_score", "work_score", "score", "grade", "rank")},
            "vetoed": int(row["agency"] in vetoes), "veto_cases": json.dumps(vetoes.get(row["agency"], [])),
            "agency_group": _plain(row.get("group")), "group_rank": _plain(row.get("group_rank")),
        })
    return records


def _plain(value):
    """A frame's value as the database keeps it: NaN/NA → None, numpy scalars → Python ones."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    if hasattr(value, "item"):
        return _plain(value.item())
    return value


def _comparable(records: list[dict]) -> dict[str, tuple]:
    return {r["agency"]: tuple(round(r[f], 6) if isinstance(r[f], float) else r[f] for f in RESULT_FIELDS)
            for r in records}


def current_year_results(db: sqlite_utils.Database, year: int) -> list[dict]:
    return list(db.query("SELECT * FROM current_annual_results WHERE year = ? ORDER BY rank IS NULL, rank,"
                         " score DESC, agency", [year]))


def _refuse_if_blocked(readiness: YearReadiness, missing_confirmed: bool) -> None:
    year = readiness.year
    if readiness.unpublished:
        listed = ", ".join(f"{r['round']}" for r in readiness.unpublished)
        raise InvalidInput("annual.errors.rounds_unpublished", year=year, rounds=listed)
    if readiness.not_over:
        raise InvalidInput("annual.errors.not_over", year=year, quarters=", ".join(readiness.not_over))
    if not readiness.published:
        raise InvalidInput("annual.errors.no_published_rounds", year=year)
    if readiness.missing and not missing_confirmed:
        raise InvalidInput("annual.errors.quarters_missing", year=year, quarters=", ".join(readiness.missing),
                           published=len(readiness.published))


def _store(db, actor: Actor, year: int, readiness: YearReadiness, config, records: list[dict],
           reason: str) -> int:
    first = db.execute("SELECT 1 FROM annual_years WHERE year = ?", [year]).fetchone() is None
    if first:  # the rules are pinned to the year once, at its first finalisation
        db.execute("INSERT INTO annual_years (year, config, finalised_at) VALUES (?, ?, ?)",
                   [year, json.dumps(config.to_dict()), clock.now_iso()])
    db.execute("UPDATE annual_finalisations SET is_current = 0 WHERE year = ? AND is_current = 1", [year])
    finalisation_id = db.execute(
        "INSERT INTO annual_finalisations (year, at, actor, reason, config, rounds_used, quarters_missing)"
        " VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
        [year, clock.now_iso(), actor.audit_name, reason, json.dumps(config.to_dict()),
         json.dumps(readiness.published), json.dumps(readiness.missing)]).fetchone()[0]
    db["annual_results"].insert_all([{"finalisation_id": finalisation_id, **r} for r in records])
    return finalisation_id


@requires("annual.manage")
def year_readiness(db: sqlite_utils.Database, actor: Actor, year) -> YearReadiness:
    """What finalising ``year`` would use, and what refuses or needs confirming (for the page)."""
    return _readiness(db, check_year(year))


@requires("annual.manage")
def finalise_year(db: sqlite_utils.Database, actor: Actor, year, reason: str = "",
                  missing_confirmed: bool = False) -> bool:
    """Finalise (or re-finalise, with a reason) a year; returns whether its stored results changed."""
    year = check_year(year)
    reason = reason.strip()
    with write_transaction(db):
        readiness = _readiness(db, year)
        _refuse_if_blocked(readiness, missing_confirmed)
        refinalising = db.execute("SELECT 1 FROM annual_years WHERE year = ?", [year]).fetchone() is not None
        if refinalising and not reason:
            raise InvalidInput("annual.errors.reason_needed", year=year)
        config = year_config(db, year)
        records = compute_year(db, year, readiness, config)
        stored = _current_finalisation(db, year)
        if (stored and json.loads(stored["rounds_used"]) == readiness.published
                and _comparable(current_year_results(db, year)) == _comparable(records)):
            return False
        finalisation_id = _store(db, actor, year, readiness, config, records, reason)
        audit.record(db, actor, "year.finalised", f"year/{year}", finalisation=finalisation_id, reason=reason,
                     rounds=readiness.published, quarters_missing=readiness.missing,
                     vetoed=sorted(r["agency"] for r in records if r["vetoed"]))
    return True


@requires("annual.manage")
def publish_year(db: sqlite_utils.Database, actor: Actor, year) -> None:
    """Make a finalised year's results visible to agencies."""
    year = check_year(year)
    with write_transaction(db):
        row = db.execute("SELECT published_at FROM annual_years WHERE year = ?", [year]).fetchone()
        if row is None:
            raise InvalidInput("annual.errors.not_finalised", year=year)
        if row[0]:
            raise InvalidInput("annual.errors.already_published", year=year)
        db.execute("UPDATE annual_years SET published_at = ? WHERE year = ?", [clock.now_iso(), year])
        audit.record(db, actor, "year.published", f"year/{year}")


def _current_finalisation(db, year: int) -> dict | None:
    rows = list(db.query("SELECT * FROM annual_finalisations WHERE year = ? AND is_current = 1", [year]))
    return rows[0] if rows else None


# --- reading ----------------------------------------------------------------------------

def _sees_unpublished(actor: Actor) -> bool:
    return allowed(actor, "results.view_all")


@requires("ranking.view")
def annual_years(db: sqlite_utils.Database, actor: Actor) -> list[dict]:
    """The finalised years, newest first (published ones only for an agency), with the current finalisation."""
    rows = list(db.query(
        "SELECT y.year, y.finalised_at, y.published_at, f.id AS finalisation_id, f.at, f.reason,"
        " f.rounds_used, f.quarters_missing FROM annual_years y"
        " JOIN annual_finalisations f ON f.year = y.year AND f.is_current = 1 ORDER BY y.year DESC"))
    if not _sees_unpublished(actor):
        rows = [r for r in rows if r["published_at"]]
    for row in rows:
        row["rounds_used"] = json.loads(row["rounds_used"])
        row["quarters_missing"] = json.loads(row["quarters_missing"])
    return rows


def _visible_year(db, actor: Actor, year: int) -> dict:
    for row in annual_years(db, actor):
        if row["year"] == year:
            return row
    raise NotFound("annual.errors.not_published" if not _sees_unpublished(actor) else "annual.errors.not_finalised",
                   year=year)


@requires("ranking.view")
def year_results(db: sqlite_utils.Database, actor: Actor, year) -> list[dict]:
    """The year's current results, ranked; an agency sees a published year only, and the veto's case
    numbers of its own agency only (the vetoed mark and grade are part of the published ranking)."""
    year = check_year(year)
    _visible_year(db, actor, year)
    results = current_year_results(db, year)
    for row in results:
        row["veto_cases"] = json.loads(row["veto_cases"]) if covers_agency(actor, row["agency"]) else []
    return results


@requires("ranking.view")
def year_info(db: sqlite_utils.Database, actor: Actor, year) -> dict:
    """The year's current finalisation, status and the rules pinned to it."""
    year = check_year(year)
    info = _visible_year(db, actor, year)
    info["config"] = year_config(db, year).to_dict()
    return info


@requires("results.view_agency")
def agency_quarters(db: sqlite_utils.Database, actor: Actor, agency: str, year) -> list[dict]:
    """An agency's quarterly results in the year (published rounds only without results.view_all), with
    figures resting on fewer than the privacy minimum blanked (DESIGN §6)."""
    require(actor, "results.view_agency", resource=agency, not_yours="dashboards.not_your_agency")
    year = check_year(year)
    visible = rounds.FINALISED if _sees_unpublished(actor) else (rounds.Status.PUBLISHED,)
    rows = list(db.query(
        f"""SELECT r.round, r.agency, r.n, r.score, r.grade, r.rank, r.flag FROM current_results r
            JOIN rounds ON rounds.name = r.round
            WHERE r.agency = ? AND r.round IN ({', '.join('?' * 4)}) AND {rounds.status_in(visible, 'rounds.status')}
            ORDER BY r.round""", [agency, *year_quarters(year)]))
    return [privacy.hide_thin_result(db, row) for row in rows]


@requires("ranking.view")
def year_quarterly_table(db: sqlite_utils.Database, actor: Actor, year) -> dict[str, dict[str, dict]]:
    """Every agency's quarterly results in the rounds the year's finalisation used (all published):
    agency -> round -> {score, grade}. An insufficient quarter's score is left out: it counted nowhere."""
    rounds_used = _visible_year(db, actor, check_year(year))["rounds_used"]
    table: dict[str, dict[str, dict]] = {}
    if not rounds_used:
        return table
    for row in db.query(f"SELECT round, agency, score, grade FROM current_results WHERE round IN "
                        f"({', '.join('?' * len(rounds_used))})", rounds_used):
        if row["grade"] == scoring.INSUFFICIENT:
            row["score"] = None
        table.setdefault(row["agency"], {})[row["round"]] = row
    return table


def group_names(db: sqlite_utils.Database, lang: str) -> dict[str, str]:
    """Agency groups' names in ``lang`` (the code itself where the county keeps no groups table)."""
    if "agency_groups" not in db.table_names():
        return {}
    return {code: (name_en if lang == "en" and name_en else name_zh)
            for code, name_zh, name_en in db.execute("SELECT code, name_zh, name_en FROM agency_groups")}


@requires("results.view_all")
def veto_reasons(db: sqlite_utils.Database, actor: Actor, year) -> list[dict]:
    """The year's referrals and their findings: what vetoes (fault found) and what does not yet."""
    return referral_outcomes(db, check_year(year))


@requires("results.view_all")
def finalisation_history(db: sqlite_utils.Database, actor: Actor, year) -> list[dict]:
    return list(db.query("SELECT * FROM annual_finalisations WHERE year = ? ORDER BY id", [check_year(year)]))


@requires("results.view_all")
def results_of_finalisation(db: sqlite_utils.Database, actor: Actor, finalisation_id: int) -> list[dict]:
    """One stored finalisation's results (current or from history)."""
    return list(db.query("SELECT * FROM annual_results WHERE finalisation_id = ? ORDER BY rank IS NULL, rank,"
                         " agency", [finalisation_id]))


@requires("annual.manage")
def work_scores_changed_since(db: sqlite_utils.Database, actor: Actor, year) -> bool:
    """Whether the year's work scores differ from those its current results used (finalise it again).
    Compared by value, not by time: entering the same score again changes nothing."""
    year = check_year(year)
    used = {r["agency"]: r["work_score"] for r in current_year_results(db, year)}
    if not used:
        return False
    entered = dict(db.execute("SELECT agency, work_score FROM work_scores WHERE year = ?", [year]).fetchall())
    return any(entered.get(agency) != score for agency, score in used.items())


@requires("annual.manage")
def would_change(db: sqlite_utils.Database, actor: Actor, year) -> bool:
    """Whether finalising the year again now would change its results: a quarter re-finalised after an
    appeal, a work score corrected, a referral's finding recorded since. False for a year not finalised
    or one that cannot be finalised now."""
    year = check_year(year)
    stored = _current_finalisation(db, year)
    readiness = _readiness(db, year)
    if stored is None or readiness.blocked:
        return False
    fresh = compute_year(db, year, readiness, year_config(db, year))
    return (json.loads(stored["rounds_used"]) != readiness.published
            or _comparable(current_year_results(db, year)) != _comparable(fresh))


@requires("annual.manage")
def candidate_years(db: sqlite_utils.Database, actor: Actor) -> list[int]:
    """Years the administrator may work on: every year with a round, newest first."""
    years = {int(name[:4]) for (name,) in db.execute("SELECT name FROM rounds")}
    years |= {row[0] for row in db.execute("SELECT year FROM annual_years")}
    return sorted(years or {clock.today().year}, reverse=True)
