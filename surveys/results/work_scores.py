"""Work-assessment scores (工作考核得分, DESIGN §4.11): one score from 0 to 100 per year and
agency, entered by hand or imported from a CSV/XLSX file by the administrator.

The year's composite is ``a × survey + (1 − a) × work``; an agency without a work
score for the year is graded on its survey score alone. An import is all or
nothing: a file with any bad row imports nothing and names every row, column and
problem. Every change is audited with the score before and after; a score changed
after the year was finalised shows on the administrator's page until the year is
finalised again (surveys/results/annual.py).
"""
from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass

import sqlite_utils

from surveys.core import audit
from surveys.core import clock
from surveys.core.actors import Actor
from surveys.core.errors import ImportRefused, InvalidInput, NotFound, ProblemList, RowProblem
from surveys.core.paths import DATA_DIR
from surveys.core.permissions import requires
from surveys.storage.db import write_transaction
from surveys.storage.tabular import read_table

LOWEST, HIGHEST = 0.0, 100.0
FIRST_YEAR, LAST_YEAR = 2000, 2100  # a typo like 20205 is refused, not stored
# the file's columns: field -> the headers accepted for it (lower case), Chinese and English
with (DATA_DIR / "work_score_columns.toml").open("rb") as _f:
    COLUMNS = {field: tuple(names) for field, names in tomllib.load(_f).items()}


@dataclass(frozen=True)
class WorkScore:
    year: int
    agency: str
    work_score: float


def check_year(value) -> int:
    """A calendar year as a whole number within reason, or a refusal naming what was given."""
    try:
        year = int(str(value).strip())
    except ValueError:
        raise InvalidInput("annual.errors.bad_year", value=value) from None
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise InvalidInput("annual.errors.bad_year", value=value)
    return year


def _score_problem(text: str) -> tuple[float | None, str | None]:
    """(the score, None), or (None, the catalogue key of what is wrong with it)."""
    if text is None or not str(text).strip():  # None: the form's number left empty
        return None, "import.required"
    try:
        score = float(str(text).strip())
    except ValueError:
        return None, "annual.errors.score_not_number"
    if math.isnan(score) or not LOWEST <= score <= HIGHEST:
        return None, "annual.errors.score_out_of_range"
    return score, None


def _agency_codes(db: sqlite_utils.Database) -> dict[str, str]:
    """What a file may name an agency by (its code, any case; its Chinese name) -> its code."""
    known = {}
    for code, name_zh in db.execute("SELECT code, name_zh FROM agencies"):
        known[code.upper()] = code
        known[name_zh.strip()] = code
    return known


def _store(db, actor: Actor, score: WorkScore, source: str) -> None:
    before = db.execute("SELECT work_score FROM work_scores WHERE year = ? AND agency = ?",
                        [score.year, score.agency]).fetchone()
    db.execute(
        "INSERT INTO work_scores (year, agency, work_score, entered_at, entered_by) VALUES (?, ?, ?, ?, ?)"
        " ON CONFLICT (year, agency) DO UPDATE SET work_score = excluded.work_score,"
        " entered_at = excluded.entered_at, entered_by = excluded.entered_by",
        [score.year, score.agency, score.work_score, clock.now_iso(), actor.audit_name])
    audit.record(db, actor, "work_score.entered", f"year/{score.year}/{score.agency}",
                 before=before[0] if before else None, after=score.work_score, source=source)


@requires("annual.manage")
def enter_work_score(db: sqlite_utils.Database, actor: Actor, year, agency: str, work_score) -> WorkScore:
    """Enter (or correct) one agency's work-assessment score for a year."""
    checked_year = check_year(year)
    code = _agency_codes(db).get(str(agency).strip().upper()) or _agency_codes(db).get(str(agency).strip())
    if code is None:
        raise NotFound("annual.errors.unknown_agency", agency=agency)
    score, problem = _score_problem(work_score)
    if problem:
        raise InvalidInput(problem if problem != "import.required" else "annual.errors.score_needed",
                           value=work_score)
    entered = WorkScore(checked_year, code, score)
    with write_transaction(db):
        _store(db, actor, entered, "form")
    return entered


@requires("annual.manage")
def remove_work_score(db: sqlite_utils.Database, actor: Actor, year, agency: str) -> None:
    """Take an agency's work score for a year away (it is then graded on its survey score alone)."""
    checked_year = check_year(year)
    with write_transaction(db):
        before = db.execute("SELECT work_score FROM work_scores WHERE year = ? AND agency = ?",
                            [checked_year, agency]).fetchone()
        if before is None:
            raise NotFound("annual.errors.no_work_score", year=checked_year, agency=agency)
        db.execute("DELETE FROM work_scores WHERE year = ? AND agency = ?", [checked_year, agency])
        audit.record(db, actor, "work_score.removed", f"year/{checked_year}/{agency}", before=before[0])


def _columns(header: list[str]) -> dict[str, str]:
    mapping = {}
    for field, names in COLUMNS.items():
        found = next((h for h in header if h.strip().lower() in names), None)
        if found is not None:
            mapping[field] = found
    missing = [field for field in COLUMNS if field not in mapping]
    if missing:
        raise ImportRefused([RowProblem(1, " / ".join(COLUMNS[f][:3]), "import.missing_column") for f in missing])
    return mapping


def parse_work_scores(db: sqlite_utils.Database, data: bytes, filename: str) -> list[WorkScore]:
    """The file's scores, or ImportRefused naming every bad row: its line, column and problem."""
    table = read_table(data, filename)
    mapping = _columns(table.header)
    known = _agency_codes(db)
    problems, scores, seen = ProblemList(), [], {}
    for line, row in table.rows:
        cells = {field: row.get(header, "").strip() for field, header in mapping.items()}
        bad_before = len(problems)
        try:
            year = check_year(cells["year"])
        except InvalidInput:
            problems.append(RowProblem(line, mapping["year"], "annual.errors.bad_year_cell"))
            year = None
        code = known.get(cells["agency"].upper()) or known.get(cells["agency"])
        if not cells["agency"]:
            problems.append(RowProblem(line, mapping["agency"], "import.required"))
        elif code is None:
            problems.append(RowProblem(line, mapping["agency"], "annual.errors.unknown_agency_cell"))
        score, problem = _score_problem(cells["work_score"])
        if problem:
            problems.append(RowProblem(line, mapping["work_score"], problem))
        if len(problems) > bad_before:
            continue
        if (year, code) in seen:
            problems.append(RowProblem(line, mapping["agency"], "import.duplicate", (("other", seen[(year, code)]),)))
            continue
        seen[(year, code)] = line
        scores.append(WorkScore(year, code, score))
    if problems:
        raise ImportRefused(problems)
    if not scores:
        raise InvalidInput("import.empty_file")
    return scores


@requires("annual.manage")
def import_work_scores(db: sqlite_utils.Database, actor: Actor, data: bytes, filename: str) -> dict:
    """Import a file of ``year, agency, work_score`` rows: all of them, or none with the reasons."""
    scores = parse_work_scores(db, data, filename)
    with write_transaction(db):
        for score in scores:
            _store(db, actor, score, f"file:{filename}")
        audit.record(db, actor, "work_scores.imported", filename, rows=len(scores),
                     years=sorted({s.year for s in scores}))
    return {"count": len(scores), "years": sorted({s.year for s in scores})}


@requires("annual.manage")
def work_scores(db: sqlite_utils.Database, actor: Actor, year) -> list[dict]:
    """Every work score entered for a year, by agency code, with who entered it and when."""
    return list(db.query("SELECT * FROM work_scores WHERE year = ? ORDER BY agency", [check_year(year)]))
