"""The demo county: a deterministic, realistic county to explore and test with.

Filled only into a new, empty database and only while QIPING_DEMO is not 0.
It is built around the county's current quarter, on whatever day it is built:
the eight quarters before it are finished (finalised and published), agencies
following different paths through them, and the current quarter is the open
round, partly answered, closing at the quarter's end. Deputies and supervisors rate the last
finished round and the open one beside the enterprises, with weights on both (``_panel_rows``). Casework is dated
relative to today (``demo_casework``), so the story is the same on any date.
"""
from __future__ import annotations

import csv
import os
import random
import tomllib
from dataclasses import dataclass
from datetime import date, timedelta

import sqlite_utils

import scoring
from surveys.participants import accounts
from surveys.participants import panels
from surveys.core import clock
from surveys.demo import casework as demo_casework
from surveys.results import annual
from surveys.results import finalise
from surveys.results import stored_scores
from surveys.results import work_scores
from surveys.collection import questionnaire
from surveys.collection import rounds
from surveys.core import workdays
from surveys.core.actors import ADMIN, Actor
from surveys.storage.db import write_transaction
from surveys.participants.uscc import ALPHABET, make_uscc
from surveys.core.paths import DATA_DIR

DATA = DATA_DIR
SEED = 20261122
ENTERPRISES = 300
PAST_QUARTERS = 8
FRESH_ENTERPRISES = 10  # QP-DEMO-0001…0010 have not answered the open round yet
# The county ranks within agency groups (DESIGN §4.9) from the last finished quarter on: that
# round and the open one rank and flag per group, the earlier ones county-wide.
GROUP_RANKED_PAST = 1

# True scores per past round, oldest first. Agencies not named here drift around a level of their own.
PATHS = {
    "FGW": [88, 90, 87, 91, 89, 92, 90, 91],   # always good
    "SWJ": [90, 91, 93, 90, 92, 91, 93, 92],   # always good
    "ZJW": [88, 84, 78, 72, 66, 61, 56, 50],   # slipping
    "GHZY": [48, 52, 58, 66, 72, 78, 84, 88],  # recovering
    "SCJG": [72, 66, 48, 45, 64, 50, 46, 44],  # poor twice in a row, twice over
    "STHJ": [70, 68, 72, 69, 71, 70, 73, 68],  # steadily fair
    "NYNC": [62, 47, 60, 46, 58, 70, 74, 76],  # poor, too few answers, poor again
}
# (agency, index of the past round, oldest = 0) with too few responses to grade
SPARSE = {("SWW", 1), ("SWW", 4), ("NYNC", 2), ("KAFZ", 0), ("KAFZ", 1)}
# The last finished round's cases were opened this many working days ago: fewer than a
# deadline (15), so they are in progress; the round before's are long past theirs.
LAST_CASES_WORKING_DAYS_AGO = 10
EVALUATION_DAYS = 27  # a past round is open this many days before it closes
OPENED_AFTER_CLOSE = 7  # days from a round's close to its finalisation and cases
# Rater panels (DESIGN §4.10): deputies and CPPCC members, conduct supervisors. They rate the last
# finished round and the open one, whose rules weigh the panels; the earlier rounds stay enterprises
# alone, so the story of their grades is the same as before panels existed.
PANEL_RATERS = {"representative": 12, "supervisor": 8}
PANEL_WEIGHTS = {"enterprise": 50.0, "representative": 25.0, "supervisor": 25.0}
# Their own random stream, so the enterprises' data stay as they were; this one is chosen so that the
# weighted last round keeps every agency's grade, action and flag (only some ranks move), and with it
# the demo's story and casework.
PANEL_SEED = SEED + 15

# Issue 15 item 4: the open round carries one planted coaching pattern for the discipline office's
# signals page — this agency (steadily fair) suddenly gets a run of identical all-top answers, saved
# minutes apart, each within seconds of opening the form.
COACHED_AGENCY = "STHJ"
COACHED_ANSWERS = 8
COACHED_MINUTES_APART = 2
COACHED_SECONDS_TO_ANSWER = (5, 7, 6, 8, 5, 9, 6, 7)
DEMO_PASSWORDS = {"admin": "qiping-admin", "discipline": "qiping-discipline", "agency": "qiping-agency"}


def demo_enabled() -> bool:
    return os.environ.get("QIPING_DEMO", "1") != "0"


def demo_code(index: int) -> str:
    return f"QP-DEMO-{index:04d}"


def _vocabulary() -> dict:
    with (DATA / "demo_county.toml").open("rb") as f:
        return tomllib.load(f)


def _agencies() -> list[dict]:
    """The demo roster, each agency in its group (DESIGN §4.9): the four enforcement agencies
    (market supervision, ecology and environment, emergency management, transport) in 执法类."""
    with (DATA / "agencies.csv").open(encoding="utf-8") as f:
        return [{"code": row["code"], "name_zh": row["name_zh"], "name_en": row["name_en"],
                 "group_code": row["group"], "category": row["group"], "active": 1} for row in csv.DictReader(f)]


def _enterprises(rng: random.Random, vocab: dict) -> list[dict]:
    names = [(p, ind, w) for p in vocab["name_prefixes"] for ind in vocab["industries"] for w in ind["words"]]
    rng.shuffle(names)
    enterprises = []
    for index, (prefix, industry, word) in enumerate(names[:ENTERPRISES], start=1):
        body = "91" + vocab["region_code"] + "".join(rng.choice(ALPHABET) for _ in range(9))
        person = rng.choice(vocab["surnames"]) + rng.choice(vocab["given_names"])
        enterprises.append({
            "uscc": make_uscc(body[:17]),
            "name": f"{vocab['county']}{prefix}{word}{vocab['company_suffix']}",
            "industry": industry["zh"],
            "contact_person": person,
            "contact_phone": f"13{rng.randint(0, 9)}{rng.randint(10_000_000, 99_999_999)}",
            "index": index,
        })
    return enterprises


def _true_score(rng: random.Random, code: str, round_index: int, levels: dict) -> float:
    if code in PATHS:
        return PATHS[code][round_index]
    levels.setdefault(code, rng.uniform(74, 95))
    return levels[code] + rng.gauss(0, 3)


def _rating(rng: random.Random, latent: float) -> int:
    rules = scoring.DEFAULT_CONFIG  # round() is fine here: this draws a rating, it shows no score
    return max(rules.lowest_level, min(rules.highest_level, round(latent / rules.points_per_level) + rules.lowest_level))


def _grade_word(ratings: list[int]) -> str:
    """The grade a response's ratings would earn under the default rules: picks a fitting comment."""
    rules = scoring.DEFAULT_CONFIG
    points = sum((r - rules.lowest_level) * rules.points_per_level for r in ratings) / len(ratings)
    return scoring.GOOD if points >= rules.good_threshold else scoring.FAIR if points >= rules.fair_threshold else scoring.POOR


def _responses_for(rng, vocab, items, round_name, agency, true_score, raters):
    rows = []
    for uscc in raters:
        bias = rng.gauss(0, 6)
        ratings = {item: _rating(rng, true_score + bias + rng.gauss(0, 10)) for item in items}
        kind = _grade_word(list(ratings.values()))
        comment = rng.choice(vocab["comments"][kind]) if rng.random() < 0.3 else ""
        rows.append((round_name, uscc, agency, comment, ratings))
    return rows


def _insert_responses(db, rows, created_at: str) -> None:
    """A round's demo answers in three statements (numbered here, inside the caller's write
    transaction): a statement per answer costs a round trip each on PostgreSQL."""
    first = db.execute("SELECT coalesce(max(id), 0) + 1 FROM responses").fetchone()[0]
    numbered = list(enumerate(rows, start=first))
    db.conn.executemany(
        "INSERT INTO responses (id, round, enterprise, agency, comment, source, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?, 'online', ?, ?)",
        [(i, round_name, uscc, agency, comment, created_at, created_at)
         for i, (round_name, uscc, agency, comment, _) in numbered])
    db.conn.executemany(
        "INSERT INTO response_ratings (response_id, item, rating) VALUES (?, ?, ?)",
        [(i, item, rating) for i, (*_, ratings) in numbered for item, rating in ratings.items()])
    db.conn.executemany(
        "INSERT INTO survey_choices (round, enterprise, agency) VALUES (?, ?, ?)"
        " ON CONFLICT (round, enterprise, agency) DO NOTHING",
        [(round_name, uscc, agency) for _, (round_name, uscc, agency, _, _) in numbered])


@dataclass(frozen=True)
class DemoDates:
    """When everything in the demo happened, counted back from the day it is built."""

    today: date
    past_rounds: list[str]  # oldest first
    open_round: str
    windows: dict[str, tuple[date, date]]  # round -> (opens_on, closes_on)
    cases_opened: dict[str, date]  # past round -> the day it was finalised and its cases opened


def demo_dates(db: sqlite_utils.Database, today: date | None = None) -> DemoDates:
    """The open round is the current quarter (closing at its end); the eight before it are finished.

    The last finished round's cases were opened ``LAST_CASES_WORKING_DAYS_AGO`` working days
    ago, a week after it closed; each earlier round closed a quarter (91 days) before the next.
    """
    today = today or clock.today()
    current = rounds.quarter_of(today)
    first_day, last_day = rounds.quarter_bounds(current)
    calendar = workdays.load_calendar(db)
    last_cases = calendar.working_days_before(today, LAST_CASES_WORKING_DAYS_AGO)
    past, windows, opened = [], {}, {}
    quarter_start = first_day
    for back in range(PAST_QUARTERS):
        quarter_start = rounds.quarter_bounds(rounds.quarter_of(quarter_start - timedelta(days=1)))[0]
        name = rounds.quarter_of(quarter_start)
        closes = last_cases - timedelta(days=OPENED_AFTER_CLOSE + 91 * back)
        windows[name] = (closes - timedelta(days=EVALUATION_DAYS), closes)
        opened[name] = closes + timedelta(days=OPENED_AFTER_CLOSE)
        past.insert(0, name)
    last_close = windows[past[-1]][1]
    windows[current] = (min(today, max(first_day, last_close + timedelta(days=1))), last_day)
    return DemoDates(today, past, current, windows, opened)


def past_rounds(db: sqlite_utils.Database) -> list[str]:
    """The demo's finished rounds as built today (oldest first)."""
    return demo_dates(db).past_rounds


def _round_rows(db, rng, vocab, agencies, enterprises, dates: DemoDates):
    items = questionnaire.get_questionnaire(db, 1).item_codes
    levels: dict = {}
    usccs = [e["uscc"] for e in enterprises]
    for index, round_name in enumerate(dates.past_rounds):
        opens, closes = dates.windows[round_name]
        scope = "group" if index >= len(dates.past_rounds) - GROUP_RANKED_PAST else "county"
        db.execute("INSERT INTO rounds (name, status, questionnaire_version, opens_on, closes_on, created_at,"
                   " opened_at, closed_at, ranking_scope) VALUES (?, ?, 1, ?, ?, ?, ?, ?, ?)",
                   [round_name, rounds.Status.CLOSED, opens.isoformat(), closes.isoformat(), _at(opens, 9), _at(opens, 9),
                    clock.end_of_county_day(closes).isoformat(timespec="seconds"), scope])
        for agency in agencies:
            code = agency["code"]
            n = rng.randint(2, 4) if (code, index) in SPARSE else rng.randint(8, 30)
            rows = _responses_for(rng, vocab, items, round_name, code, _true_score(rng, code, index, levels),
                                  rng.sample(usccs, n))
            _insert_responses(db, rows, _at(closes, 10))
    opens, closes = dates.windows[dates.open_round]
    started = min(_at(opens, 9), clock.now_iso())
    db.execute("INSERT INTO rounds (name, status, questionnaire_version, opens_on, closes_on, created_at,"
               " opened_at, ranking_scope) VALUES (?, ?, 1, ?, ?, ?, ?, 'group')",
               [dates.open_round, rounds.Status.OPEN, opens.isoformat(), closes.isoformat(), started, started])
    answering = usccs[FRESH_ENTERPRISES:]
    for agency in agencies:
        code = agency["code"]
        true = PATHS.get(code, [levels.get(code, 80)])[-1]
        rows = _responses_for(rng, vocab, items, dates.open_round, code, true,
                              rng.sample(answering, rng.randint(3, 12)))
        _insert_responses(db, rows, clock.now_iso())


def demo_panel_code(panel: str, index: int) -> str:
    """A panel rater's demo access code: QP-DEMO-R001 (deputies), QP-DEMO-S001 (supervisors)."""
    return f"QP-DEMO-{panels.CODE_PREFIX[panel]}{index:03d}"


def _panel_raters(rng: random.Random, vocab: dict) -> dict[str, list[dict]]:
    """Deputies R0001… and supervisors S0001…, per panel, as roster rows."""
    raters: dict[str, list[dict]] = {}
    for panel, count in PANEL_RATERS.items():
        for index in range(1, count + 1):
            person = rng.choice(vocab["surnames"]) + rng.choice(vocab["given_names"])
            raters.setdefault(panel, []).append({
                "uscc": f"{panels.CODE_PREFIX[panel]}{index:0{panels.CODE_DIGITS}d}", "panel": panel,
                "name": f"{person}（{vocab['panel_titles'][panel]}）",
                "contact_phone": f"13{rng.randint(0, 9)}{rng.randint(10_000_000, 99_999_999)}"})
    return raters


def _enterprise_mean(db, round_name: str, agency: str) -> float:
    """The enterprises' mean rating of an agency in a round, in points: the panels rate around it."""
    row = db.execute("""SELECT avg(rr.rating) FROM responses r JOIN response_ratings rr ON rr.response_id = r.id
                        WHERE r.round = ? AND r.agency = ?""", [round_name, agency]).fetchone()
    rules = scoring.DEFAULT_CONFIG
    return ((row[0] or 4) - rules.lowest_level) * rules.points_per_level


def _panel_rows(db, vocab, agencies, dates: DemoDates) -> None:
    """The panels' raters, their answers in the weighted rounds and those rounds' weights. A few
    agencies get fewer than three supervisors' answers, so the dashboards show a panel's score
    withheld for the privacy minimum."""
    rng = random.Random(PANEL_SEED)
    raters = _panel_raters(rng, vocab)
    for rows in raters.values():
        db["enterprises"].insert_all(rows)
        for index, row in enumerate(rows, start=1):
            accounts.set_access_code(db, row["uscc"], demo_panel_code(row["panel"], index))
    items = questionnaire.get_questionnaire(db, 1).item_codes
    weighted = [dates.past_rounds[-1], dates.open_round]
    for round_name in weighted:
        db.conn.executemany("INSERT INTO round_panel_weights (round, panel, weight) VALUES (?, ?, ?)",
                            [(round_name, panel, weight) for panel, weight in PANEL_WEIGHTS.items()])
        # the open round's panel answers came in on its first day (or now, if that is earlier), apart
        # from the enterprises' latest answers, as the deputies' and supervisors' sessions were
        when = (_at(dates.windows[round_name][1], 11) if round_name != dates.open_round
                else min(clock.at_county(dates.windows[round_name][0], 11), clock.now()).isoformat(timespec="seconds"))
        for agency in agencies:
            code = agency["code"]
            true = _enterprise_mean(db, round_name, code)
            for panel, low, high in (("representative", 3, 7), ("supervisor", 1, 5)):
                codes = [r["uscc"] for r in raters[panel]]
                rows = _responses_for(rng, vocab, items, round_name, code, true, rng.sample(codes, rng.randint(low, high)))
                _insert_responses(db, rows, when)

def _plant_coaching(db, round_name: str, enterprises: list[dict]) -> None:
    """A coached run in the open round (see COACHED_AGENCY): the last enterprises of the roster that
    have answered the round but not rated that agency each give it every item's top level, the last
    saved now. Who has answered stays as it was (the response rate, the call list), and no random
    numbers are drawn, so the rest of the demo is exactly as without it."""
    items = questionnaire.get_questionnaire(db, 1).item_codes
    answered = {r[0] for r in db.execute("SELECT enterprise FROM responses WHERE round = ?", [round_name])}
    rated = {r[0] for r in db.execute("SELECT enterprise FROM responses WHERE round = ? AND agency = ?",
                                      [round_name, COACHED_AGENCY])}
    raters = [e["uscc"] for e in reversed(enterprises)
              if e["uscc"] in answered and e["uscc"] not in rated][:COACHED_ANSWERS]
    now = clock.now()
    for index, (uscc, seconds) in enumerate(zip(raters, COACHED_SECONDS_TO_ANSWER)):
        saved = now - timedelta(minutes=COACHED_MINUTES_APART * (len(raters) - 1 - index))
        opened = saved - timedelta(seconds=seconds)
        response_id = db.execute(
            "INSERT INTO responses (round, enterprise, agency, comment, source, created_at, updated_at, opened_at)"
            " VALUES (?, ?, ?, '', 'online', ?, ?, ?) RETURNING id",
            [round_name, uscc, COACHED_AGENCY, *[t.isoformat(timespec="seconds") for t in (saved, saved, opened)]],
        ).fetchone()[0]
        db.conn.executemany("INSERT INTO response_ratings (response_id, item, rating) VALUES (?, ?, ?)",
                            [(response_id, item, scoring.DEFAULT_CONFIG.highest_level) for item in items])
        db.execute("INSERT INTO survey_choices (round, enterprise, agency) VALUES (?, ?, ?)"
                   " ON CONFLICT (round, enterprise, agency) DO NOTHING", [round_name, uscc, COACHED_AGENCY])


def _at(day: date, hour: int) -> str:
    return clock.at_county(day, hour).isoformat(timespec="seconds")


def _staff(db, agencies) -> None:
    accounts.insert_staff(db, "admin", DEMO_PASSWORDS["admin"], "admin", None, "admin")
    accounts.insert_staff(db, "discipline", DEMO_PASSWORDS["discipline"], "discipline", None, "discipline")
    for agency in agencies:
        accounts.insert_staff(db, agency["code"].lower(), DEMO_PASSWORDS["agency"], "agency",
                              agency["code"], agency["name_zh"])


def is_empty(db: sqlite_utils.Database) -> bool:
    return not db.execute("SELECT 1 FROM agencies UNION ALL SELECT 1 FROM staff LIMIT 1").fetchone()


def build_demo_county(db: sqlite_utils.Database, seed: int | None = None,
                      county_name: str | None = None) -> bool:
    """Fill an empty database with the demo county; returns False if it was not empty.
    ``seed`` and ``county_name``: a second demo county of a deployment of several (its
    enterprises and answers drawn from its own random stream, under its own name)."""
    rng = random.Random(SEED if seed is None else seed)
    vocab = _vocabulary()
    if county_name:
        vocab = {**vocab, "county": county_name}
    agencies = _agencies()
    with write_transaction(db):
        if not is_empty(db):
            return False
        db.execute("INSERT INTO settings (name, value) VALUES ('county_name', ?)"
                   " ON CONFLICT (name) DO UPDATE SET value = excluded.value", [vocab["county"]])
        db.execute("INSERT INTO settings (name, value) VALUES ('letter_contact', ?)"
                   " ON CONFLICT (name) DO UPDATE SET value = excluded.value", [vocab["letter_contact"]])
        db["agencies"].insert_all(agencies)
        enterprises = _enterprises(rng, vocab)
        db["enterprises"].insert_all([{k: v for k, v in e.items() if k != "index"} for e in enterprises])
        for e in enterprises:
            accounts.set_access_code(db, e["uscc"], demo_code(e["index"]))
        _staff(db, agencies)
        dates = demo_dates(db)
        _round_rows(db, rng, vocab, agencies, enterprises, dates)
        _panel_rows(db, vocab, agencies, dates)
        _plant_coaching(db, dates.open_round, enterprises)
        stored_scores.store_existing(db)  # the open round's scores, as each answer's save stores it
        _finalise_and_publish_past(db, dates)
        demo_casework.advance_demo_cases(db)
        _finish_last_year(db, dates)
    return True


def _finalise_and_publish_past(db, dates: DemoDates) -> None:
    """The finished quarters go through the same finalisation as a real one, a week after each
    closed (so their cases are opened, and their deadlines counted, from that day)."""
    organiser = Actor(role=ADMIN, id="demo-setup", name="demo-setup")
    for round_name in dates.past_rounds:
        with demo_casework.on_day(dates.cases_opened[round_name]):
            finalise.finalise_round(db, organiser, round_name)
            finalise.publish_round(db, organiser, round_name)


def demo_work_score(code: str, year: int) -> float:
    """An agency's work-assessment score for a year: 70–98 in half points, the same on every build."""
    return random.Random(f"{SEED}-{year}-{code}").randrange(140, 197) / 2


def _finish_last_year(db, dates: DemoDates) -> None:
    """The previous calendar year's four quarters are among the finished ones: its work scores are
    entered and the year is finalised and published (DESIGN §4.11), a week into the quarter after."""
    year = dates.today.year - 1
    last_quarter = f"{year}Q4"
    if last_quarter not in dates.cases_opened:
        return
    organiser = Actor(role=ADMIN, id="demo-setup", name="demo-setup")
    day = workdays.add_working_days(db, dates.cases_opened[last_quarter], 5)
    with demo_casework.on_day(day):
        for (code,) in db.execute("SELECT code FROM agencies WHERE active = 1 ORDER BY code").fetchall():
            work_scores.enter_work_score(db, organiser, year, code, demo_work_score(code, year))
        annual.finalise_year(db, organiser, year)
        annual.publish_year(db, organiser, year)
