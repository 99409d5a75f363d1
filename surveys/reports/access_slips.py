"""Access codes for the quarterly letters: issued in bulk, printed six slips to an A4 sheet.

Codes are stored only as hashes, so a printed sheet can only hold codes issued
in the same action: ``issue_access_codes`` returns the plaintext codes once,
and ``render_slips`` turns them into a printable HTML sheet right then. The
audit log records who issued codes to whom, never a code itself.

Each slip carries the enterprise's personal sign-in link twice: printed, and as
a QR code a phone camera opens straight into the signed-in survey. The link is
only as good as ``QIPING_BASE_URL``: while that still points at this computer
(``is_loopback``) the administrator is warned, and the slips say they are for a
trial only.
"""
from __future__ import annotations

import html
import ipaddress
import os
from dataclasses import dataclass
from datetime import date
from typing import Callable
from urllib.parse import quote, urlsplit

import segno
import sqlite_utils

import labels
from i18n import t
from surveys.core import audit
from surveys.core import clock
from surveys.participants import hashing, panels
from surveys.reports import round_report as reports
from surveys.collection import rounds
from surveys.core.actors import Actor
from surveys.storage.db import write_transaction
from surveys.core.errors import InvalidInput
from surveys.core.permissions import requires
from surveys.core.plain_text import plain_text

DEFAULT_BASE_URL = "http://localhost:8501"
CONTACT_SETTING = "letter_contact"  # who enterprises call about the letter: set by the administrator
MAX_CONTACT = 200
MISSING, ALL = "missing", "all"
SCOPES = (MISSING, ALL)


@dataclass(frozen=True)
class IssuedCode:
    uscc: str
    name: str
    code: str


def base_url(db=None) -> str:
    """Where the app is reached from outside (QIPING_BASE_URL), without a trailing slash; for
    ``db``, a county of a deployment of several (its ``county_slug`` setting), that county's address."""
    base = (os.environ.get("QIPING_BASE_URL") or DEFAULT_BASE_URL).strip().rstrip("/")
    row = db.execute("SELECT value FROM settings WHERE name = 'county_slug'").fetchone() if db is not None else None
    return f"{base}/?county={quote(row[0], safe='')}" if row else base


def sign_in_link(code: str, base: str | None = None) -> str:
    """The link printed in the letter; opening it signs the enterprise in (at its county's address)."""
    base = base if base is not None else base_url()
    joined = f"{base}&" if "?" in base else f"{base}/?"
    return f"{joined}code={quote(code, safe='')}"


def is_loopback(base: str) -> bool:
    """True when the link leads back to the computer it is opened on (localhost, 127.x, ::1):
    printed on a letter, it would open nothing on the enterprise's phone."""
    host = (urlsplit(base if "//" in base else f"//{base}").hostname or "").lower()
    if host == "localhost" or host.endswith(".localhost") or not host:
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified


def letter_contact(db: sqlite_utils.Database) -> str:
    """The contact printed on every slip (office, telephone …); empty until the administrator sets it."""
    row = db.execute("SELECT value FROM settings WHERE name = ?", [CONTACT_SETTING]).fetchone()
    return row[0] if row else ""


@requires("access_codes.issue")
def set_letter_contact(db, actor: Actor, contact: str) -> str:
    """Keep the contact for the slips (one line of plain text; empty clears it)."""
    contact = " ".join(plain_text(contact, MAX_CONTACT, "roster_admin.codes.contact_too_long").split())
    with write_transaction(db):
        db.execute("INSERT INTO settings (name, value) VALUES (?, ?)"
                   " ON CONFLICT (name) DO UPDATE SET value = excluded.value", [CONTACT_SETTING, contact])
        audit.record(db, actor, "letters.contact_set", CONTACT_SETTING, contact=contact)
    return contact


@requires("access_codes.issue")
def code_counts(db: sqlite_utils.Database, actor: Actor) -> dict:
    """Active enterprises, and how many of them have an access code."""
    active, with_code = db.execute(
        "SELECT count(*), count(access_code_hash) FROM enterprises WHERE active = 1").fetchone()
    return {"active": active, "with_code": with_code, "without_code": active - with_code}


def _targets(db, scope: str) -> list[dict]:
    only_missing = "AND access_code_hash IS NULL" if scope == MISSING else ""
    return list(db.query(
        f"SELECT uscc, name, access_code_hash IS NOT NULL AS had_code FROM enterprises"
        f" WHERE active = 1 {only_missing} ORDER BY name, uscc"))


@requires("access_codes.issue")
def issue_access_codes(db, actor: Actor, scope: str,
                       progress: Callable[[int, int], None] | None = None) -> list[IssuedCode]:
    """New codes for every active enterprise without one (``missing``) or for all of
    them (``all``: every old code stops working). Returns the plaintext codes — the
    only time they exist outside the letter."""
    if scope not in SCOPES:
        raise InvalidInput("roster_admin.codes.bad_scope", scope=scope)
    with write_transaction(db):
        salt = hashing.installation_salt(db)  # may create the salt: a write
    targets = _targets(db, scope)
    # Hashing is the slow part (argon2, tens of ms per code): done before taking the write lock.
    prepared = []
    for done, target in enumerate(targets, 1):
        code = hashing.new_access_code()
        prepared.append((target, code, hashing.access_code_digest(salt, code)))
        if progress is not None:
            progress(done, len(targets))
    return _store_codes(db, actor, scope, prepared)


def _store_codes(db, actor: Actor, scope: str, prepared: list) -> list[IssuedCode]:
    only_missing = " AND access_code_hash IS NULL" if scope == MISSING else ""
    issued = []
    with write_transaction(db):
        for target, code, digest in prepared:
            # an enterprise deactivated (or given a code) meanwhile is left as it now is
            cursor = db.execute(f"UPDATE enterprises SET access_code_hash = ? WHERE uscc = ? AND active = 1"
                                f"{only_missing}", [digest, target["uscc"]])
            if cursor.rowcount == 1:
                issued.append(IssuedCode(target["uscc"], target["name"], code))
                audit.record(db, actor, "enterprise.access_code_issued", target["uscc"],
                             bulk=scope, replaced=bool(target["had_code"]))
        audit.record(db, actor, "enterprises.access_codes_issued", scope, count=len(issued))
    return issued


# --- the printable sheet ----------------------------------------------------------

SLIPS_PER_SHEET = 6  # 2 × 3 on A4: room for a QR code a phone reads from arm's length, and the texts

STYLE = """
@page { size: A4; margin: 8mm; }
body { font-family: "Noto Sans CJK SC", "Noto Serif CJK SC", "Source Han Sans SC", "Microsoft YaHei",
       "PingFang SC", "SimSun", sans-serif; color: #000; font-size: 8pt; line-height: 1.35; margin: 0; }
p { margin: 0; }
/* one sheet = one A4 page of 2 × 3 slips; the dashed outlines of the slips are the cut lines */
.sheet { display: grid; grid-template-columns: repeat(2, minmax(0, 1fr)); grid-template-rows: repeat(3, minmax(0, 1fr));
         width: 194mm; height: 280mm; break-after: page; page-break-after: always; }
.sheet:last-child { break-after: auto; page-break-after: auto; }
.slip { outline: 0.3mm dashed #555; outline-offset: -0.15mm; padding: 3.5mm 4.5mm; overflow: hidden; }
h1 { font-size: 10pt; margin: 0 0 0.8mm; }
.middle { display: flex; gap: 2mm; align-items: flex-start; margin-top: 1mm; }
.facts { flex: 1; min-width: 0; }
.name { font-weight: bold; font-size: 9.5pt; word-break: break-all; margin-bottom: 0.5mm; }
.code { font-family: "DejaVu Sans Mono", Consolas, monospace; font-size: 11pt; font-weight: bold;
        border: 0.3mm solid #000; padding: 0 1mm; display: inline-block; white-space: nowrap; }
figure { margin: 0; width: 30mm; flex: none; text-align: center; font-size: 7pt; }
figure svg { width: 30mm; height: 30mm; display: block; }
.how, .link, .trial, .contact { margin-top: 1mm; }
.link { font-family: "DejaVu Sans Mono", Consolas, monospace; font-size: 7pt; word-break: break-all; }
.contact { font-weight: bold; }
.note { font-size: 6.5pt; margin-top: 1mm; color: #222; }
.trial { border: 0.4mm solid #000; font-weight: bold; padding: 0.3mm 1mm; }
@media screen { body { background: #eee; } .sheet { background: #fff; margin: 1em auto; padding: 8mm; } }
"""


@dataclass(frozen=True)
class LetterDetails:
    """What every slip of one sheet says besides the enterprise's own code."""
    round_label: str | None = None
    closes_on: date | str | None = None  # the round's closing date (county date)
    county: str = ""
    contact: str = ""


def letter_details(db: sqlite_utils.Database, round_name: str | None, lang: str) -> LetterDetails:
    """The round (its label and closing date), county and contact the slips print."""
    round_row = rounds.get_round(db, round_name) if round_name else None
    return LetterDetails(
        round_label=labels.round_label(round_name, lang) if round_name else None,
        closes_on=round_row["closes_on"] if round_row else None,
        county=reports.county_name(db), contact=letter_contact(db))


def qr_svg(link: str) -> str:
    """The link as a QR code in inline SVG: vector, so it prints sharp at any size; quiet zone included,
    and its own white ground (a scanner needs light around the modules whatever is behind them)."""
    return segno.make(link, error="m", micro=False).svg_inline(
        omitsize=True, svgclass="qr", lineclass=None, light="#fff")


def _facts(entry: IssuedCode, details: LetterDetails, lang: str, text) -> str:
    def fact(label_key: str, value: str) -> str:
        return f'<p class="fact">{text("roster_admin.slip.fact", label=t(label_key, lang), value=value)}</p>'

    rows = [f'<p class="name">{html.escape(entry.name)}</p>', fact(panels.key_label(entry.uscc), entry.uscc)]
    if details.round_label:
        rows.append(fact("roster_admin.slip.round", details.round_label))
    if details.closes_on:
        rows.append(fact("roster_admin.slip.closes",
                         t("roster_admin.slip.closes_by", lang, date=clock.format_date(details.closes_on, lang))))
    rows.append(f'<p class="fact">{text("roster_admin.slip.code")}</p><p><span class="code">{html.escape(entry.code)}</span></p>')
    return "".join(rows)


def _slip(entry: IssuedCode, details: LetterDetails, lang: str, base: str) -> str:
    def text(key: str, **values) -> str:
        return html.escape(t(key, lang, **values))

    def worded(name: str) -> str:  # a deputy's or supervisor's slip is worded for a person (DESIGN §4.10)
        return panels.slip_key(entry.uscc, name)

    link = sign_in_link(entry.code, base)
    heading = (text(worded("heading_county"), county=details.county) if details.county
               else text(worded("heading")))
    intro = (text(worded("intro_round"), round=details.round_label) if details.round_label
             else text(worded("intro")))
    contact = (f'<p class="contact">{text("roster_admin.slip.contact", contact=details.contact)}</p>'
               if details.contact else "")
    trial = f'<p class="trial">{text("roster_admin.slip.trial")}</p>' if is_loopback(base) else ""
    return (f'<section class="slip" data-uscc="{html.escape(entry.uscc)}"><h1>{heading}</h1>'
            f'<p class="intro">{intro}</p>'
            f'<div class="middle"><div class="facts">{_facts(entry, details, lang, text)}</div>'
            f'<figure role="img" aria-label="{text("roster_admin.slip.qr_label")}">{qr_svg(link)}'
            f'<figcaption>{text("roster_admin.slip.scan")}</figcaption></figure></div>'
            f'<p class="how">{text("roster_admin.slip.how", base=base)}</p>'
            f'<p class="link"><a href="{html.escape(link)}">{html.escape(link)}</a></p>{trial}{contact}'
            f'<p class="note">{text(worded("privacy"))} {text(worded("keep_safe"))}</p></section>')


def render_slips(issued: list[IssuedCode], details: LetterDetails | None = None, lang: str = "zh",
                 base: str | None = None) -> str:
    """A printable HTML sheet, six slips to each A4 page; every text is HTML-escaped."""
    base = base if base is not None else base_url()
    details = details or LetterDetails()
    title = html.escape(t("roster_admin.slip.title", lang, count=len(issued)))
    slips = [_slip(entry, details, lang, base) for entry in issued]
    sheets = "\n".join('<div class="sheet">' + "".join(slips[start:start + SLIPS_PER_SHEET]) + "</div>"
                       for start in range(0, len(slips), SLIPS_PER_SHEET))
    html_lang = "zh-CN" if lang == "zh" else lang
    return (f'<!DOCTYPE html>\n<html lang="{html_lang}"><head><meta charset="utf-8"><title>{title}</title>'
            f"<style>{STYLE}</style></head><body>\n{sheets}\n</body></html>\n")
