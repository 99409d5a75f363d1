"""Many enterprises at once through the real server: does every save arrive?

Starts one ``streamlit run`` on a fresh demo county (QIPING_DEMO=1, an empty
QIPING_DB) and drives it with simulated enterprises over Streamlit's own
websocket protocol (bench/streamlit_client.py). Each enterprise opens the app,
signs in with its demo access code (QP-DEMO-0001…), chooses a few agencies and
then saves and revises its ratings, one interaction (one script run) every
``interval`` seconds, until the time is up. The offered load is
sessions / interval interactions per second; past what one server process can
serve, interactions queue and the achieved rate stays behind.

Afterwards the database is read: every save the enterprise was told had
succeeded must be there with its ratings (lost = 0), no save the enterprise was
told had failed may be there, and each (enterprise, agency) has one row. Every
answer is classified: confirmed, the clear "could not store, press save again"
message, an exception drawn on the page, another error, or no answer in time.

    python bench/bench_load.py [--sessions 75] [--rates 5,10,15,25] [--seconds 40]

prints one row per offered rate: sessions, interactions per second offered and
achieved, p50/p95 latency of an interaction, saves confirmed, busy messages,
exceptions, other errors, timeouts, lost. The saturation point is the highest
offered rate whose achieved rate is within 90 % of it.
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator
from unittest import mock

HERE = Path(__file__).resolve().parent
APP_DIR = HERE.parent
sys.path[:0] = [str(HERE), str(APP_DIR)]

import i18n  # noqa: E402
from streamlit_client import ERROR, SUCCESS, NoAnswer, Page, StreamlitSession, string_state, strings_state  # noqa: E402
from surveys.participants import hashing
from surveys.collection import questionnaire  # noqa: E402
from surveys.storage import db as storage  # noqa: E402

LANG = "zh"
LEVEL_TEXT = {level: i18n.t(f"levels.{level}", LANG) for level in questionnaire.LEVELS}
BUSY_TEXT = i18n.t("errors.storage_busy", LANG)


def demo_code(n: int) -> str:
    return f"QP-DEMO-{n:04d}"


@dataclass
class Interaction:
    kind: str            # open, sign_in, choose, pick, save
    started: float
    seconds: float | None
    outcome: str         # ok, confirmed, busy, exception, error, no_answer
    detail: str = ""


@dataclass
class Save:
    session: int
    code: str
    agency: str
    token: str           # the comment, unique to this save
    ratings: dict[str, int]
    outcome: str


@dataclass
class Ledger:
    """What the clients saw, to hold the database to."""
    interactions: list[Interaction] = field(default_factory=list)
    saves: list[Save] = field(default_factory=list)
    sessions_with_exception: set[int] = field(default_factory=set)
    revisions_before: dict[tuple[str, str], int] = field(default_factory=dict)  # (uscc, agency) -> revision
    choices: dict[str, list[str]] = field(default_factory=dict)  # access code -> agencies chosen and stored


def classify(page: Page, confirmations: tuple[str, ...] = ()) -> tuple[str, str]:
    """What the enterprise was told: an exception, the busy message, another error, a confirmation."""
    if page.exceptions():
        return "exception", page.exceptions()[0]
    errors = page.alerts(ERROR)
    if BUSY_TEXT in errors:
        return "busy", BUSY_TEXT
    if errors:
        return "error", errors[0]
    if confirmations and not set(confirmations) & set(page.alerts(SUCCESS)):
        return "error", "no confirmation shown: " + " / ".join(page.alerts(SUCCESS) + page.headings())
    return ("confirmed" if confirmations else "ok"), ""


class Enterprise:
    """One simulated enterprise in its own browser session."""

    def __init__(self, number: int, url: str, labels: dict[str, str], items: dict[str, str],
                 ledger: Ledger, interval: float, deadline: float, agencies: int, timeout: float):
        self.number, self.code = number, demo_code(number)
        self.session = StreamlitSession(url, timeout=timeout)
        self.labels, self.codes = labels, {label: code for code, label in labels.items()}
        self.items = items                       # item code -> its question text
        self.ledger, self.interval, self.deadline = ledger, interval, deadline
        self.agency_count = agencies
        self.random = random.Random(number)
        self.next_at = time.monotonic()
        self.saves = 0

    async def act(self, kind: str, action, confirmations: tuple[str, ...] = ()) -> tuple[str, Page | None]:
        """Wait for this session's next turn, then do one interaction and note how it went."""
        delay = self.next_at - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        self.next_at = max(self.next_at + self.interval, time.monotonic())
        started = time.monotonic()
        try:
            page = await action()
        except (NoAnswer, OSError) as error:
            self.ledger.interactions.append(Interaction(kind, started, None, "no_answer", str(error)))
            return "no_answer", None
        outcome, detail = classify(page, confirmations)
        self.ledger.interactions.append(Interaction(kind, started, time.monotonic() - started, outcome, detail))
        if outcome == "exception":
            self.ledger.sessions_with_exception.add(self.number)
        return outcome, page

    async def run(self) -> None:
        try:
            await self._journey()
        finally:
            await self.session.close()

    def over(self) -> bool:
        return time.monotonic() >= self.deadline

    async def _journey(self) -> None:
        # the first interaction is at a random moment of the first interval, so sessions spread out
        self.next_at += self.random.uniform(0, self.interval)
        outcome, page = await self.act("open", self.session.open)
        while outcome != "no_answer" and page.widget("chosen_agencies") is None and not self.over():
            outcome, page = await self.act("sign_in", lambda: self._sign_in(page))
        if page is None or page.widget("chosen_agencies") is None:
            return
        chosen = self.random.sample(sorted(self.labels), self.agency_count)
        outcome, page = await self.act("choose", lambda: self._choose(page, chosen))
        # not stored (busy): the selection stays on the page, with a button to store it as it is
        while outcome == "busy" and page.widget("retry_choice") is not None and not self.over():
            outcome, page = await self.act("choose", lambda: self.session.rerun(
                trigger=page.widget("retry_choice").id))
        if outcome != "ok":
            return
        self.ledger.choices[self.code] = chosen
        if page.widget("start_rating") is not None:  # "done choosing": the rating step
            outcome, page = await self.act("choose", lambda: self.session.rerun(
                trigger=page.widget("start_rating").id))
            if outcome != "ok":
                return
        while page is not None and not self.over():
            agency = self._agency_on_page(page)
            if agency is None:
                # every chosen agency rated: the done state, whose buttons open one to revise
                revise = [e for e in page.of_kind("button") if "-revise_" in e.id]
                if not revise:
                    return
                button = self.random.choice(revise).id
                outcome, page = await self.act("pick", lambda: self.session.rerun(trigger=button))
                continue
            if self.saves >= self.agency_count and self.random.random() < 0.5:
                other = self.random.choice([c for c in chosen if c != agency])
                outcome, page = await self.act("pick", lambda: self._pick(page, other))
                continue
            page = await self._save(page, agency)

    async def _sign_in(self, page: Page) -> Page:
        code_box = page.labelled("text_input", i18n.t("signin.access_code", LANG))
        submit = next(e for e in page.of_kind("button") if "FormSubmitter:enterprise_sign_in" in e.id)
        return await self.session.rerun([string_state(code_box.id, self.code)], trigger=submit.id)

    async def _choose(self, page: Page, chosen: list[str]) -> Page:
        box = page.widget("chosen_agencies")
        return await self.session.rerun([strings_state(box.id, [self.labels[c] for c in chosen])])

    async def _pick(self, page: Page, agency: str) -> Page:
        box = page.widget("rating_agency")
        return await self.session.rerun([string_state(box.id, self.labels[agency])])

    @staticmethod
    def _agency_on_page(page: Page) -> str | None:
        button = next((e for e in page.of_kind("button") if "-save_" in e.id), None)
        return button.id.rsplit("-save_", 1)[1] if button else None

    async def _save(self, page: Page, agency: str) -> Page | None:
        """Fill in the rating form of ``agency`` and press save; on the busy message press again."""
        ratings = {item: self.random.choice(questionnaire.LEVELS) for item in self.items}
        token = f"load-{self.number}-{self.saves}"
        self.saves += 1
        values = [string_state(page.widget(f"r_{agency}_{item}").id, LEVEL_TEXT[level])
                  for item, level in ratings.items()]
        values.append(string_state(page.widget(f"c_{agency}").id, token))
        label = self.labels[agency]
        done = (i18n.t("survey.saved", LANG, agency=label), i18n.t("survey.revised", LANG, agency=label))
        button = page.widget(f"save_{agency}").id
        outcome, answer = await self.act("save", lambda: self.session.rerun(values, trigger=button), done)
        self.ledger.saves.append(Save(self.number, self.code, agency, token, ratings, outcome))
        # The answers stay on the page after the busy message: pressing save again sends them
        # as they are (the values are held, like the browser's form).
        while outcome == "busy" and not self.over():
            outcome, answer = await self.act("save", lambda: self.session.rerun(trigger=button), done)
            self.ledger.saves.append(Save(self.number, self.code, agency, token, ratings, outcome))
        return answer


# --- the database, afterwards ---------------------------------------------------
# Read through the app's own connect(), so that the check follows the back-end the app used
# (an SQLite file, or with QIPING_DATABASE_URL that file's schema on PostgreSQL).

@contextlib.contextmanager
def reading(db_path: Path) -> Iterator:
    database = storage.connect(db_path)
    try:
        yield database
    finally:
        database.close()


def open_round(db_path: Path) -> str:
    with reading(db_path) as database:
        return database.execute("SELECT name FROM rounds WHERE status = 'open'").fetchone()[0]


def agency_labels(db_path: Path) -> dict[str, str]:
    """Agency code -> the name the survey shows for it (Chinese)."""
    with reading(db_path) as database:
        return dict(database.execute("SELECT code, name_zh FROM agencies WHERE active = 1").fetchall())


def revisions(db_path: Path) -> dict[tuple[str, str], int]:
    """The revision of every response in the open round (the demo county has some already)."""
    round_name = open_round(db_path)
    with reading(db_path) as database:
        return {(uscc, agency): revision for uscc, agency, revision in database.execute(
            "SELECT enterprise, agency, revision FROM responses WHERE round = ?", [round_name]).fetchall()}


def usccs_for_codes(db_path: Path, codes: set[str]) -> dict[str, str]:
    """Demo access code -> the enterprise's USCC, hashed as the server hashes it."""
    with reading(db_path) as database:
        salt = bytes.fromhex(database.execute(
            "SELECT value FROM settings WHERE name = 'access_code_salt'").fetchone()[0])
        found = {}
        with mock.patch.dict(os.environ, {"QIPING_HASH_COST": "test"}):
            for code in codes:
                digest = hashing.access_code_digest(salt, hashing.normalise_code(code))
                found[code] = database.execute("SELECT uscc FROM enterprises WHERE access_code_hash = ?",
                                               [digest]).fetchone()[0]
        return found


def integrity(database) -> str:
    """SQLite's own check of the file; PostgreSQL has none to ask for (n/a)."""
    if os.environ.get("QIPING_DATABASE_URL"):
        return "n/a"
    return database.execute("PRAGMA integrity_check").fetchone()[0]


def check_database(db_path: Path, ledger: Ledger) -> dict:
    """Hold the database to what the clients were told.

    lost: a confirmed save whose answer is not what is stored (nor overwritten by a
    later save of the same enterprise and agency); stored_refused: a save the
    enterprise was told had failed, stored all the same; duplicated: more than one
    row for an (enterprise, agency)."""
    round_name = open_round(db_path)
    usccs = usccs_for_codes(db_path, {s.code for s in ledger.saves} | set(ledger.choices))
    by_pair: dict[tuple[str, str], list[Save]] = {}
    for save in ledger.saves:
        by_pair.setdefault((usccs[save.code], save.agency), []).append(save)
    lost = stored_refused = duplicated = 0
    with reading(db_path) as conn:
        for (uscc, agency), saves in by_pair.items():
            rows = conn.execute("SELECT id, comment, revision FROM responses WHERE round = ? AND enterprise = ?"
                                " AND agency = ?", [round_name, uscc, agency]).fetchall()
            duplicated += max(0, len(rows) - 1)
            confirmed = [s for s in saves if s.outcome == "confirmed"]
            maybe = [s for s in saves if s.outcome in ("no_answer", "exception", "error")]
            refused = [s for s in saves if s.outcome == "busy"]
            if not rows:
                lost += len(confirmed)
                continue
            response_id, comment, revision = rows[0]
            ratings = dict(conn.execute("SELECT item, rating FROM response_ratings WHERE response_id = ?",
                                        [response_id]).fetchall())
            tokens = [s.token for s in saves]
            last_confirmed = max((tokens.index(s.token) for s in confirmed), default=-1)
            stored = next((s for s in reversed(saves) if s.token == comment), None)
            if stored is None or tokens.index(comment) < last_confirmed or stored.ratings != ratings:
                lost += 1
            # every confirmed save is a revision; a refused one must not be
            confirmed_revisions = len({s.token for s in confirmed}) + ledger.revisions_before.get((uscc, agency), 0)
            if revision < confirmed_revisions:
                lost += confirmed_revisions - revision
            if revision > confirmed_revisions + len(maybe):
                stored_refused += revision - confirmed_revisions - len(maybe)
            if refused and comment in {s.token for s in refused} - {s.token for s in confirmed + maybe}:
                stored_refused += 1
        for code, chosen in ledger.choices.items():  # a choice the enterprise saw stored is there
            stored = {r[0] for r in conn.execute(
                "SELECT agency FROM survey_choices WHERE round = ? AND enterprise = ?", [round_name, usccs[code]])}
            lost += len(set(chosen) - stored)
        checked_integrity = integrity(conn)
    return {"lost": lost, "stored_refused": stored_refused, "duplicated": duplicated, "integrity": checked_integrity}


# --- running a load ---------------------------------------------------------------

async def drive(url: str, db_path: Path, sessions: int, rate: float, seconds: float,
                first_code: int = 1, agencies: int = 3, timeout: float = 60.0,
                on_start: Callable[[], None] | None = None) -> Ledger:
    """``sessions`` enterprises (codes from ``first_code`` on) at ``rate`` interactions per
    second in all, for ``seconds``; sessions still busy at the end finish their interaction.
    ``on_start`` is called as the sessions start (after the server has built the county)."""
    warm_up = StreamlitSession(url, timeout=timeout)   # the first run builds the demo county
    await warm_up.open()
    await warm_up.close()
    if on_start is not None:
        on_start()
    labels = agency_labels(db_path)
    items = _item_codes()
    ledger = Ledger(revisions_before=revisions(db_path))
    deadline = time.monotonic() + seconds
    interval = sessions / rate
    enterprises = [Enterprise(first_code + n, url, labels, items, ledger, interval, deadline, agencies, timeout)
                   for n in range(sessions)]
    await asyncio.gather(*(e.run() for e in enterprises))
    return ledger


def _item_codes() -> dict[str, str]:
    import tomllib

    with (APP_DIR / "data" / "questionnaires" / "v1.toml").open("rb") as f:
        return {item["code"]: item["zh"] for item in tomllib.load(f)["items"]}


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def summarise(ledger: Ledger, sessions: int, rate: float, checked: dict) -> dict:
    answered = [i for i in ledger.interactions if i.seconds is not None]
    if ledger.interactions:
        first = min(i.started for i in ledger.interactions)
        last = max(i.started + (i.seconds or 0) for i in ledger.interactions)
        span = max(last - first, 1e-9)
    else:
        span = 1e-9
    count = lambda outcome: sum(1 for i in ledger.interactions if i.outcome == outcome)  # noqa: E731
    latencies = [i.seconds for i in answered]
    return {
        "sessions": sessions, "offered": rate, "achieved": len(answered) / span,
        "interactions": len(ledger.interactions),
        "p50": percentile(latencies, 0.50), "p95": percentile(latencies, 0.95),
        "saves_confirmed": sum(1 for s in ledger.saves if s.outcome == "confirmed"),
        "busy": count("busy"), "exceptions": count("exception"), "errors": count("error"),
        "no_answer": count("no_answer"), "sessions_with_exception": len(ledger.sessions_with_exception),
        **checked,
    }


COLUMNS = ["sessions", "offered", "achieved", "interactions", "p50", "p95", "saves_confirmed", "busy",
           "exceptions", "errors", "no_answer", "lost", "stored_refused", "duplicated"]


def print_row(row: dict, header: bool = False) -> None:
    def cell(value):
        return f"{value:.2f}" if isinstance(value, float) else ("-" if value is None else str(value))
    if header:
        print(" | ".join(COLUMNS))
    print(" | ".join(cell(row[c]) for c in COLUMNS), flush=True)


def saturation(rows: list[dict]) -> float | None:
    """The highest offered rate that was served (achieved within 90 % of offered)."""
    served = [r["offered"] for r in rows if r["achieved"] >= 0.9 * r["offered"]]
    return max(served) if served else None


def run(sessions: int, rates: list[float], seconds: float, agencies: int = 3, verbose: bool = True) -> list[dict]:
    """One server, one step per offered rate (fresh enterprises each step); a row per step."""
    if sessions * len(rates) > 300:
        raise ValueError("the demo county has 300 access codes: sessions x steps must be <= 300")
    sys.path.insert(0, str(APP_DIR / "tests"))  # browser_support imports the tests' conftest
    from browser_support import start_server

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        server = start_server(Path(tmp))
        try:
            for step, rate in enumerate(rates):
                ledger = asyncio.run(drive(server.url, server.db_path, sessions, rate, seconds,
                                           first_code=1 + step * sessions, agencies=agencies))
                rows.append(summarise(ledger, sessions, rate, check_database(server.db_path, ledger)))
                if verbose:
                    print_row(rows[-1], header=step == 0)
        finally:
            server.stop()
    return rows


def table_rows(rows: list[dict]) -> list[dict]:
    """The steps as rows of bench/run_all.py's table."""
    return [{"name": f"{r['sessions']} enterprises at once, offered {r['offered']:g}/s: achieved, p95",
             "figure": r["achieved"], "unit": "/s",
             "reference": None, "ratio": None,
             "target": f"p95 {r['p95']:.1f} s; lost {r['lost']}, exceptions {r['exceptions']}, "
                       f"busy messages {r['busy']} (lost = 0, exceptions = 0)"} for r in rows]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=75, help="simulated enterprises per step")
    parser.add_argument("--rates", default="5,10,15,25",
                        help="offered interactions per second, one step each (comma-separated)")
    parser.add_argument("--seconds", type=float, default=40, help="length of each step")
    parser.add_argument("--agencies", type=int, default=3, help="agencies each enterprise rates")
    args = parser.parse_args()
    try:
        rows = run(args.sessions, [float(r) for r in args.rates.split(",")], args.seconds, args.agencies)
    except ValueError as error:
        parser.error(str(error))
    print(f"saturation point: {saturation(rows) or 'below the lowest rate'} interactions/s offered")


if __name__ == "__main__":
    main()
