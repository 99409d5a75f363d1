"""Reminders (催报) to the enterprises that have not answered the open round, or not finished it
(chose agencies but has not rated them all), delivered three ways: a CSV for the county's SMS
platform (phone, name, message), printable letters (six to an A4 sheet, like the access slips),
or an outbound webhook to an SMS/WeChat gateway (``QIPING_REMINDER_WEBHOOK``).

Every reminder carries the enterprise's personal sign-in link and its QR code. Access codes are
stored only as hashes, so no old code can be printed again: each reminder issues a **new** code
for that enterprise, and the old one (from the letter, or an earlier reminder) stops working —
the reminder says so. A code is stored only together with the record of its reminder, so an
enterprise never holds a link that does not work: the CSV and the letters are recorded as they
are made (the administrator then uploads or prints them); through the gateway, a code is stored
only after the gateway accepted that message, so a failed message leaves the enterprise's old code
working and nothing recorded as sent.

Nobody is reminded twice in one county day: the ``reminders`` table holds one row per round,
enterprise and county date (a UNIQUE constraint), and a second attempt that day is skipped and
counted. A reminder says nothing about ratings (DESIGN §6): it names the enterprise, the round,
its closing date, whether the enterprise has started, the link and the county's contact.
"""
from __future__ import annotations

import html
import json
import os
import socket
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Callable
from urllib.parse import urlsplit

import pandas as pd
import sqlite_utils

from i18n import DEFAULT_LANGUAGE, t
from surveys.collection import rounds
from surveys.core import audit, clock
from surveys.core.actors import Actor
from surveys.core.errors import InvalidInput, NotFound
from surveys.core.permissions import requires
from surveys.participants import hashing, panels
from surveys.reports import access_slips
from surveys.storage.db import write_transaction
from surveys.storage.export_safety import csv_bytes

SMS_CSV, LETTER, WEBHOOK = "sms_csv", "letter", "webhook"
CHANNELS = (SMS_CSV, LETTER, WEBHOOK)
NOT_STARTED, UNFINISHED = "not_started", "unfinished"
WEBHOOK_ENV, WEBHOOK_TOKEN_ENV, WEBHOOK_TIMEOUT_ENV = (
    "QIPING_REMINDER_WEBHOOK", "QIPING_REMINDER_WEBHOOK_TOKEN", "QIPING_REMINDER_WEBHOOK_TIMEOUT")
WEBHOOK_TIMEOUT_DEFAULT = 10.0


# --- who is reminded ------------------------------------------------------------------

def _open_round(db: sqlite_utils.Database) -> dict:
    current = rounds.open_round(db)
    if current is None:
        raise NotFound("reminders.no_open_round")
    return current


def _targets(db: sqlite_utils.Database, round_name: str) -> list[dict]:
    """Active enterprises that have saved no answer, or have chosen an agency they have not
    rated; with their phone and their latest reminder in the round."""
    rows = db.query(
        """SELECT e.uscc, e.name, e.panel, e.contact_person, e.contact_phone,
                  (SELECT count(*) FROM responses r WHERE r.round = :round AND r.enterprise = e.uscc) AS answered,
                  (SELECT count(*) FROM survey_choices c WHERE c.round = :round AND c.enterprise = e.uscc
                     AND NOT EXISTS (SELECT 1 FROM responses r WHERE r.round = c.round
                                       AND r.enterprise = c.enterprise AND r.agency = c.agency)) AS unrated,
                  (SELECT max(m.at) FROM reminders m WHERE m.round = :round AND m.enterprise = e.uscc) AS reminded_at,
                  (SELECT count(*) FROM reminders m WHERE m.round = :round AND m.enterprise = e.uscc) AS reminders
           FROM enterprises e
           WHERE e.active = 1
           ORDER BY e.name, e.uscc""",
        {"round": round_name})
    today = clock.today().isoformat()
    found = []
    for row in rows:
        if row["answered"] and not row["unrated"]:
            continue  # finished: every agency it chose is rated
        row["status"] = UNFINISHED if row["answered"] else NOT_STARTED
        last = _last_reminder(db, round_name, row["uscc"]) if row["reminders"] else None
        row["channel"] = last["channel"] if last else None
        row["reminded_today"] = bool(last and last["county_day"] == today)
        row["phone"] = sms_phone(row["contact_phone"])
        found.append(row)
    return found


def _last_reminder(db, round_name: str, uscc: str) -> dict | None:
    rows = list(db.query("SELECT channel, county_day, at FROM reminders WHERE round = ? AND enterprise = ?"
                         " ORDER BY at DESC, id DESC LIMIT 1", [round_name, uscc]))
    return rows[0] if rows else None


def sms_phone(value: str | None) -> str:
    """The roster's phone as an SMS platform takes it: digits only, a +86 / 0086 prefix dropped
    (``+86 138-0000-0000`` → ``13800000000``); empty when there is none."""
    digits = "".join(ch for ch in str(value or "") if ch.isdigit())
    for prefix in ("0086", "86"):
        if digits.startswith(prefix) and len(digits) == len(prefix) + 11:
            digits = digits[len(prefix):]
    return digits


@requires("reminders.send")
def reminder_targets(db, actor: Actor) -> list[dict]:
    """The enterprises a reminder would go to now (the open round): status (not started or
    unfinished), the phone an SMS goes to, when each was last reminded and by which channel,
    and whether that was today (county date) — then it is skipped until tomorrow."""
    return _targets(db, _open_round(db)["name"])


# --- what a reminder says ---------------------------------------------------------------

@dataclass(frozen=True)
class Reminder:
    """One enterprise's reminder, as made: its new code and link, and the text it carries."""
    uscc: str
    name: str
    phone: str
    status: str
    code: str
    link: str
    text: str
    panel: str = panels.ENTERPRISE  # a deputy's or supervisor's letter is worded for a person



def _wording(panel: str, part: str) -> str:
    """Catalogue prefix of a reminder's words: an enterprise is addressed as an enterprise, a deputy
    or a supervisor (DESIGN §4.10) as a person."""
    return f"reminders.{part}" if panel == panels.ENTERPRISE else f"panels.reminder.{part}"


def reminder_text(name: str, status: str, link: str, details: access_slips.LetterDetails, lang: str,
                  panel: str = panels.ENTERPRISE) -> str:
    """The message: who it is for, the round and its closing date, that the rater has not
    (or not fully) answered, the link, that it replaces earlier codes, and whom to ask.
    Nothing about any rating."""
    parts = [t("reminders.text.heading_county", lang, county=details.county) if details.county
             else t("reminders.text.heading", lang)]
    round_label = details.round_label or ""
    wording = _wording(panel, "text")
    if details.closes_on:
        parts.append(t(f"{wording}.{status}_closing", lang, name=name, round=round_label,
                       date=clock.format_date(details.closes_on, lang)))
    else:
        parts.append(t(f"{wording}.{status}", lang, name=name, round=round_label))
    parts.append(t("reminders.text.link", lang, link=link))
    parts.append(t("reminders.text.replaces", lang))
    if details.contact:
        parts.append(t("reminders.text.contact", lang, contact=details.contact))
    return "".join(parts)


# --- sending ------------------------------------------------------------------------------

@dataclass
class ReminderResult:
    """What one send did. ``sent`` are recorded; the others are not."""
    channel: str
    sent: list[Reminder] = field(default_factory=list)
    skipped_today: int = 0  # reminded earlier this county day
    no_phone: int = 0  # no phone on the roster: nothing to send an SMS to (a letter still can)
    failed: int = 0  # the gateway refused or did not answer
    not_attempted: int = 0  # left after the gateway stopped answering
    problem: tuple[str, dict] | None = None  # the gateway's failure, as a catalogue key and values
    file: bytes | str | None = None  # the CSV (bytes) or the letters (HTML)

    def message(self, lang: str = DEFAULT_LANGUAGE) -> str:
        """The result for the administrator: counts of every kind, and the gateway's failure."""
        parts = [t(f"reminders.result.sent_{self.channel}", lang, count=len(self.sent))]
        if self.skipped_today:
            parts.append(t("reminders.result.skipped_today", lang, count=self.skipped_today))
        if self.no_phone:
            parts.append(t("reminders.result.no_phone", lang, count=self.no_phone))
        if self.failed or self.not_attempted:
            parts.append(t("reminders.result.failed", lang, failed=self.failed, left=self.not_attempted))
        if self.problem:
            key, values = self.problem
            parts.append(t(key, lang, **values))
        return " ".join(parts)

    @property
    def ok(self) -> bool:
        return not (self.failed or self.not_attempted)


def webhook_url() -> str:
    return (os.environ.get(WEBHOOK_ENV) or "").strip()


def webhook_timeout() -> float:
    return float(os.environ.get(WEBHOOK_TIMEOUT_ENV) or WEBHOOK_TIMEOUT_DEFAULT)


def _check_webhook_url(url: str) -> None:
    if not url:
        raise InvalidInput("reminders.webhook_not_configured", env=WEBHOOK_ENV)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInput("reminders.webhook_bad_url", env=WEBHOOK_ENV, url=url)


@requires("reminders.send")
def send_reminders(db, actor: Actor, channel: str, lang: str = DEFAULT_LANGUAGE,
                   usccs: list[str] | None = None,
                   progress: Callable[[int, int], None] | None = None) -> ReminderResult:
    """Remind the enterprises of ``reminder_targets`` (only those in ``usccs`` when given) through
    ``channel``: ``sms_csv`` (the CSV in the result's ``file``), ``letter`` (the printable HTML in
    ``file``) or ``webhook`` (one POST per enterprise to ``QIPING_REMINDER_WEBHOOK``). Each
    reminder issues a new access code (the old one stops working). Enterprises reminded earlier
    this county day are skipped and counted; so are, for SMS and the gateway, those without a
    phone. Through the gateway a link that leads back to this computer is refused (it would
    open nothing on a phone)."""
    if channel not in CHANNELS:
        raise InvalidInput("reminders.bad_channel", channel=channel)
    if lang not in ("zh", "en"):
        raise InvalidInput("reminders.bad_language", language=lang)
    current = _open_round(db)
    base = access_slips.base_url(db)
    if channel == WEBHOOK:
        _check_webhook_url(webhook_url())
        if access_slips.is_loopback(base):
            raise InvalidInput("reminders.webhook_loopback", base=base)
    result = ReminderResult(channel)
    targets = _targets(db, current["name"])
    if usccs is not None:
        wanted = set(usccs)
        targets = [row for row in targets if row["uscc"] in wanted]
    chosen = []
    for row in targets:
        if row["reminded_today"]:
            result.skipped_today += 1
        elif channel != LETTER and not row["phone"]:
            result.no_phone += 1
        else:
            chosen.append(row)
    details = access_slips.letter_details(db, current["name"], lang)
    with write_transaction(db):
        salt = hashing.installation_salt(db)  # may create the salt: a write
    # argon2 is the slow part (tens of ms a code): done before taking the write lock
    prepared = []
    steps = len(chosen) * (2 if channel == WEBHOOK else 1)  # through the gateway: codes, then messages
    for done, row in enumerate(chosen, 1):
        code = hashing.new_access_code()
        link = access_slips.sign_in_link(code, base)
        reminder = Reminder(row["uscc"], row["name"], row["phone"], row["status"], code, link,
                            reminder_text(row["name"], row["status"], link, details, lang, row["panel"]),
                            row["panel"])
        prepared.append((reminder, hashing.access_code_digest(salt, code)))
        if progress is not None:
            progress(done, steps)
    if channel == WEBHOOK:
        _post_all(db, actor, current["name"], prepared, result,
                  (lambda done: progress(len(chosen) + done, steps)) if progress is not None else None)
    else:
        with write_transaction(db):
            for reminder, digest in prepared:
                if _record(db, actor, current["name"], channel, reminder, digest):
                    result.sent.append(reminder)
                else:
                    result.skipped_today += 1  # someone else reminded it meanwhile
            _summary(db, actor, current["name"], result)
        result.file = (sms_csv(result.sent, lang) if channel == SMS_CSV
                       else render_letters(result.sent, details, lang, base))
    return result


def _record(db, actor: Actor, round_name: str, channel: str, reminder: Reminder, digest: str) -> bool:
    """Record one reminder and store its new code; False (and nothing written) when the
    enterprise was reminded today already or has left the roster. Inside the caller's transaction."""
    cursor = db.execute(
        "INSERT INTO reminders (round, enterprise, county_day, channel, at, actor) VALUES (?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (round, enterprise, county_day) DO NOTHING",
        [round_name, reminder.uscc, clock.today().isoformat(), channel, clock.now_iso(), actor.audit_name])
    if cursor.rowcount != 1:
        return False
    updated = db.execute("UPDATE enterprises SET access_code_hash = ? WHERE uscc = ? AND active = 1",
                         [digest, reminder.uscc])
    if updated.rowcount != 1:
        db.execute("DELETE FROM reminders WHERE round = ? AND enterprise = ? AND county_day = ?",
                   [round_name, reminder.uscc, clock.today().isoformat()])
        return False
    audit.record(db, actor, "enterprise.reminded", reminder.uscc, round=round_name, channel=channel,
                 code_replaced=True)
    return True


def _summary(db, actor: Actor, round_name: str, result: ReminderResult) -> None:
    audit.record(db, actor, "reminders.sent", round_name, channel=result.channel, sent=len(result.sent),
                 skipped_today=result.skipped_today, no_phone=result.no_phone, failed=result.failed,
                 not_attempted=result.not_attempted)


# --- the gateway ---------------------------------------------------------------------------

class GatewayDown(Exception):
    """The gateway failed in a way that will fail the next message too: stop the batch."""

    def __init__(self, key: str, **values):
        super().__init__(key)
        self.key, self.values = key, values


def webhook_payload(reminder: Reminder, round_name: str) -> dict:
    """The JSON body one message is POSTed with."""
    return {"to": reminder.phone, "name": reminder.name, "text": reminder.text, "link": reminder.link,
            "round": round_name, "enterprise": reminder.uscc, "kind": "qiping.reminder"}


def _post(url: str, payload: dict, timeout: float) -> None:
    """POST one message; raises GatewayDown (5xx, timeout, unreachable) or ValueError (4xx: this
    message was refused)."""
    headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": "qiping-reminders"}
    token = (os.environ.get(WEBHOOK_TOKEN_ENV) or "").strip()
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, data=json.dumps(payload, ensure_ascii=False).encode("utf-8"),
                                     headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            answer.read(65536)
    except urllib.error.HTTPError as error:
        if error.code >= 500:
            raise GatewayDown("reminders.gateway.status", status=error.code) from error
        raise ValueError(error.code) from error
    except (TimeoutError, socket.timeout) as error:
        raise GatewayDown("reminders.gateway.timeout", seconds=f"{timeout:g}") from error
    except urllib.error.URLError as error:
        if isinstance(error.reason, (TimeoutError, socket.timeout)):
            raise GatewayDown("reminders.gateway.timeout", seconds=f"{timeout:g}") from error
        raise GatewayDown("reminders.gateway.unreachable", reason=str(error.reason)) from error
    except OSError as error:  # connection reset, refused mid-way
        raise GatewayDown("reminders.gateway.unreachable", reason=str(error)) from error


def _post_all(db, actor: Actor, round_name: str, prepared: list, result: ReminderResult,
              posted: Callable[[int], None] | None = None) -> None:
    """One POST per enterprise; each accepted message is recorded (with its new code) at once, in
    its own transaction. A refused message (4xx) is counted and the batch goes on; a gateway that
    fails (5xx, timeout, unreachable) stops the batch: the rest are counted as not attempted."""
    url, timeout = webhook_url(), webhook_timeout()
    for index, (reminder, digest) in enumerate(prepared):
        try:
            _post(url, webhook_payload(reminder, round_name), timeout)
        except GatewayDown as down:
            result.failed += 1
            result.not_attempted = len(prepared) - index - 1
            result.problem = (down.key, down.values)
            break
        except ValueError as refused:
            result.failed += 1
            result.problem = ("reminders.gateway.refused", {"status": refused.args[0], "name": reminder.name})
            continue
        with write_transaction(db):
            if _record(db, actor, round_name, WEBHOOK, reminder, digest):
                result.sent.append(reminder)
            else:
                result.skipped_today += 1
        if posted is not None:
            posted(index + 1)
    with write_transaction(db):
        _summary(db, actor, round_name, result)


# --- the CSV and the letters ------------------------------------------------------------------

CSV_COLUMNS = ("phone", "name", "message")


def sms_csv(sent: list[Reminder], lang: str = DEFAULT_LANGUAGE) -> bytes:
    """The SMS platform's file: phone, name, message text; UTF-8 with a BOM, every cell formula-safe."""
    frame = pd.DataFrame([{"phone": r.phone, "name": r.name, "message": r.text} for r in sent],
                         columns=list(CSV_COLUMNS), dtype=object)
    return csv_bytes(frame.rename(columns={c: t(f"reminders.csv.{c}", lang) for c in CSV_COLUMNS}))


def _letter(reminder: Reminder, details: access_slips.LetterDetails, lang: str, base: str) -> str:
    def text(key: str, **values) -> str:
        return html.escape(t(key, lang, **values))

    heading = (text("reminders.letter.heading_county", county=details.county) if details.county
               else text("reminders.letter.heading"))
    intro = f"{_wording(reminder.panel, 'letter')}.{reminder.status}"
    key_label = t(panels.key_label(reminder.uscc), lang)  # a credit code, or a deputy's or supervisor's code
    facts = [f'<p class="name">{html.escape(reminder.name)}</p>',
             f'<p class="fact">{text("roster_admin.slip.fact", label=key_label, value=reminder.uscc)}</p>']
    if details.round_label:
        facts.append(f'<p class="fact">{text("roster_admin.slip.fact", label=t("roster_admin.slip.round", lang), value=details.round_label)}</p>')
    if details.closes_on:
        closes = t("roster_admin.slip.closes_by", lang, date=clock.format_date(details.closes_on, lang))
        facts.append(f'<p class="fact">{text("roster_admin.slip.fact", label=t("roster_admin.slip.closes", lang), value=closes)}</p>')
    facts.append(f'<p class="fact">{text("reminders.letter.new_code")}</p>'
                 f'<p><span class="code">{html.escape(reminder.code)}</span></p>')
    trial = f'<p class="trial">{text("roster_admin.slip.trial")}</p>' if access_slips.is_loopback(base) else ""
    contact = (f'<p class="contact">{text("roster_admin.slip.contact", contact=details.contact)}</p>'
               if details.contact else "")
    return (f'<section class="slip reminder" data-uscc="{html.escape(reminder.uscc)}"><h1>{heading}</h1>'
            f'<p class="intro">{text(intro)}</p>'
            f'<div class="middle"><div class="facts">{"".join(facts)}</div>'
            f'<figure role="img" aria-label="{text("roster_admin.slip.qr_label")}">{access_slips.qr_svg(reminder.link)}'
            f'<figcaption>{text("roster_admin.slip.scan")}</figcaption></figure></div>'
            f'<p class="how">{text("reminders.letter.replaces")}</p>'
            f'<p class="link"><a href="{html.escape(reminder.link)}">{html.escape(reminder.link)}</a></p>'
            f'{trial}{contact}<p class="note">{text("roster_admin.slip.privacy")}</p></section>')


def render_letters(sent: list[Reminder], details: access_slips.LetterDetails | None = None,
                   lang: str = DEFAULT_LANGUAGE, base: str | None = None) -> str:
    """Printable reminder letters, six to an A4 sheet with the slips' dashed cut lines; all text escaped."""
    base = base if base is not None else access_slips.base_url()
    details = details or access_slips.LetterDetails()
    letters = [_letter(reminder, details, lang, base) for reminder in sent]
    per = access_slips.SLIPS_PER_SHEET
    sheets = "\n".join('<div class="sheet">' + "".join(letters[start:start + per]) + "</div>"
                       for start in range(0, len(letters), per))
    title = html.escape(t("reminders.letter.title", lang, count=len(sent)))
    html_lang = "zh-CN" if lang == "zh" else lang
    return (f'<!DOCTYPE html>\n<html lang="{html_lang}"><head><meta charset="utf-8"><title>{title}</title>'
            f"<style>{access_slips.STYLE}</style></head><body>\n{sheets}\n</body></html>\n")


def channel_label(channel: str, lang: str) -> str:
    return t(f"reminders.channel.{channel}", lang)

