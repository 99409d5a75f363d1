"""Access codes for the quarterly letters: issued in bulk, printed one slip per enterprise.

Codes are stored only as hashes, so a printed sheet can only hold codes issued
in the same action: ``issue_access_codes`` returns the plaintext codes once,
and ``render_slips`` turns them into a printable HTML sheet right then. The
audit log records who issued codes to whom, never a code itself.
"""
from __future__ import annotations

import html
import os
from dataclasses import dataclass
from typing import Callable
from urllib.parse import quote

import sqlite_utils

from i18n import t
from surveys import audit, hashing
from surveys.actors import Actor
from surveys.db import write_transaction
from surveys.errors import InvalidInput
from surveys.permissions import requires

DEFAULT_BASE_URL = "http://localhost:8501"
MISSING, ALL = "missing", "all"
SCOPES = (MISSING, ALL)


@dataclass(frozen=True)
class IssuedCode:
    uscc: str
    name: str
    code: str


def base_url() -> str:
    """Where the app is reached from outside (QIPING_BASE_URL), without a trailing slash."""
    return (os.environ.get("QIPING_BASE_URL") or DEFAULT_BASE_URL).strip().rstrip("/")


def sign_in_link(code: str, base: str | None = None) -> str:
    """The link printed in the letter; opening it signs the enterprise in."""
    return f"{base if base is not None else base_url()}/?code={quote(code, safe='')}"


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

STYLE = """
@page { size: A4; margin: 20mm 18mm; }
body { font-family: "Noto Sans CJK SC", "Noto Serif CJK SC", "Source Han Sans SC", "Microsoft YaHei",
       "PingFang SC", "SimSun", sans-serif; color: #000; font-size: 12pt; line-height: 1.7; margin: 0; }
.slip { page-break-after: always; break-after: page; page-break-inside: avoid; }
.slip:last-child { page-break-after: auto; break-after: auto; }
h1 { font-size: 18pt; margin: 0 0 0.6em; }
table { border-collapse: collapse; margin: 0.8em 0; }
th { text-align: left; font-weight: normal; padding: 0.2em 1.2em 0.2em 0; white-space: nowrap; }
td { padding: 0.2em 0; }
.code { font-family: "DejaVu Sans Mono", Consolas, monospace; font-size: 20pt; font-weight: bold;
        letter-spacing: 0.08em; border: 1px dashed #000; padding: 0.1em 0.5em; display: inline-block; }
.link { font-family: "DejaVu Sans Mono", Consolas, monospace; word-break: break-all; }
.note { font-size: 10.5pt; }
@media screen { .slip { border: 1px solid #999; padding: 18mm; margin: 1em auto; max-width: 170mm; } }
"""


def _slip(entry: IssuedCode, round_label: str | None, lang: str, base: str) -> str:
    def text(key: str, **values) -> str:
        return html.escape(t(key, lang, **values))

    link = html.escape(sign_in_link(entry.code, base))
    intro = (text("roster_admin.slip.intro_round", name=entry.name, round=round_label) if round_label
             else text("roster_admin.slip.intro", name=entry.name))
    rows = [(text("roster_admin.slip.enterprise"), html.escape(entry.name)),
            (text("roster_admin.slip.uscc"), html.escape(entry.uscc))]
    if round_label:
        rows.append((text("roster_admin.slip.round"), html.escape(round_label)))
    rows.append((text("roster_admin.slip.code"), f'<span class="code">{html.escape(entry.code)}</span>'))
    table = "".join(f"<tr><th>{label}</th><td>{value}</td></tr>" for label, value in rows)
    return (f'<section class="slip"><h1>{text("roster_admin.slip.heading")}</h1><p>{intro}</p>'
            f"<table>{table}</table>"
            f'<p>{text("roster_admin.slip.how", base=base)}</p>'
            f'<p class="link"><a href="{link}">{link}</a></p>'
            f'<p class="note">{text("roster_admin.slip.privacy")}</p>'
            f'<p class="note">{text("roster_admin.slip.keep_safe")}</p></section>')


def render_slips(issued: list[IssuedCode], round_label: str | None = None, lang: str = "zh",
                 base: str | None = None) -> str:
    """A printable HTML sheet, one enterprise per page; every text is HTML-escaped."""
    base = base if base is not None else base_url()
    title = html.escape(t("roster_admin.slip.title", lang, count=len(issued)))
    slips = "\n".join(_slip(entry, round_label, lang, base) for entry in issued)
    html_lang = "zh-CN" if lang == "zh" else lang
    return (f'<!DOCTYPE html>\n<html lang="{html_lang}"><head><meta charset="utf-8"><title>{title}</title>'
            f"<style>{STYLE}</style></head><body>\n{slips}\n</body></html>\n")
