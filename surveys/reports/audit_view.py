"""Reading the audit log (surveys/core/audit.py writes it): who did what, when,
filtered by who, what, target and date, and exported as CSV or XLSX.

The audit log is the administrator's. Its entries hold who acted, on what,
and facts such as a revision number — never ratings, and never anything that
ties an enterprise to how it rated: an enterprise's entries name the round,
not the agency or the response, and a reveal names neither the enterprise nor
the response (the services that write it keep them out; tests/services/test_audit_log.py
and tests/services/test_admin_privacy.py check that).
Dates are the county's (China Standard Time); the log keeps UTC.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd

import i18n
from i18n import DEFAULT_LANGUAGE, t
from surveys.core.actors import Actor
from surveys.core.errors import InvalidInput
from surveys.core import clock
from surveys.storage.export_safety import csv_bytes, xlsx_bytes
from surveys.core.permissions import requires

MAX_TARGET_TEXT = 100
EXPORT_COLUMNS = ("at", "actor", "action", "target", "detail")


@dataclass(frozen=True)
class AuditFilter:
    actor: str | None = None  # an exact audit name, e.g. "admin:admin"
    actions: tuple[str, ...] = ()  # any of these; empty = every action
    target: str = ""  # text the target contains
    date_from: date | None = None  # county dates, both ends included
    date_to: date | None = None


def _utc_start(day: date) -> str:
    """The UTC moment a county day begins, in the log's format."""
    return clock.start_of_county_day(day).isoformat(timespec="seconds")


def _where(flt: AuditFilter) -> tuple[str, list]:
    if flt.date_from and flt.date_to and flt.date_from > flt.date_to:
        raise InvalidInput("admin_ops.audit_log.dates_reversed")
    if len(flt.target) > MAX_TARGET_TEXT:
        raise InvalidInput("admin_ops.audit_log.target_too_long", maximum=MAX_TARGET_TEXT)
    clauses, params = [], []
    if flt.actor:
        clauses.append("actor = ?")
        params.append(flt.actor)
    if flt.actions:
        clauses.append(f"action IN ({', '.join('?' for _ in flt.actions)})")
        params.extend(flt.actions)
    if flt.target.strip():
        escaped = flt.target.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        clauses.append("target LIKE ? ESCAPE '\\'")
        params.append(f"%{escaped}%")
    if flt.date_from:
        clauses.append("at >= ?")
        params.append(_utc_start(flt.date_from))
    if flt.date_to:
        clauses.append("at < ?")
        params.append(_utc_start(flt.date_to + timedelta(days=1)))
    return ("WHERE " + " AND ".join(clauses)) if clauses else "", params


@requires("audit.view")
def search_audit(db, actor: Actor, flt: AuditFilter = AuditFilter(), limit: int | None = None) -> list[dict]:
    """Matching entries, newest first (at most ``limit``)."""
    where, params = _where(flt)
    tail = " LIMIT ?" if limit is not None else ""
    return list(db.query(f"SELECT * FROM audit_log {where} ORDER BY id DESC{tail}",
                         [*params, *([limit] if limit is not None else [])]))


@requires("audit.view")
def count_audit(db, actor: Actor, flt: AuditFilter = AuditFilter()) -> int:
    where, params = _where(flt)
    return db.execute(f"SELECT count(*) FROM audit_log {where}", params).fetchone()[0]


@requires("audit.view")
def filter_choices(db, actor: Actor) -> dict[str, list[str]]:
    """The actors and actions that occur in the log, for the filter lists."""
    return {column: [r[0] for r in db.execute(f"SELECT DISTINCT {column} FROM audit_log ORDER BY {column}")]
            for column in ("actor", "action")}


# --- wording ----------------------------------------------------------------------

def actor_label(audit_name: str, lang: str = DEFAULT_LANGUAGE) -> str:
    """``admin:admin`` → 管理员：admin; the system is named as such."""
    role, _, who = audit_name.partition(":")
    key = f"roles.{role}" if role != "system" else "admin_ops.audit_log.system"
    if key not in i18n.catalogue(lang):
        return audit_name
    return t("admin_ops.audit_log.actor_label", lang, role=t(key, lang), who=who)


def action_label(action: str, lang: str = DEFAULT_LANGUAGE) -> str:
    """The action in words when the catalogue has them, else its code."""
    key = f"admin_ops.audit_log.action.{action}"
    if key in i18n.catalogue(lang):
        return t(key, lang)
    kind, _, step = action.partition(".")
    if kind == "case" and f"cases.status.{step}" in i18n.catalogue(lang):  # a case moved to a new status
        return t("admin_ops.audit_log.case_moved", lang, status=t(f"cases.status.{step}", lang))
    return action


def detail_text(detail: str) -> str:
    """``{"a": 1, "b": "x"}`` → ``a=1; b=x`` (plain text for a table)."""
    try:
        values = json.loads(detail or "{}")
    except json.JSONDecodeError:
        return detail
    if not isinstance(values, dict):
        return detail
    return "; ".join(f"{k}={json.dumps(v, ensure_ascii=False) if isinstance(v, (list, dict)) else v}"
                     for k, v in values.items() if v not in (None, ""))


def county_time(iso: str) -> str:
    return clock.to_county(iso).strftime("%Y-%m-%d %H:%M:%S")


# --- export -----------------------------------------------------------------------

def audit_frame(entries: list[dict], lang: str = DEFAULT_LANGUAGE) -> pd.DataFrame:
    """Entries as a table with headers in ``lang``; times in county time."""
    rows = [{"at": county_time(e["at"]), "actor": actor_label(e["actor"], lang),
             "action": action_label(e["action"], lang), "target": e["target"], "detail": detail_text(e["detail"])}
            for e in entries]
    frame = pd.DataFrame(rows, columns=list(EXPORT_COLUMNS))
    return frame.rename(columns={c: t(f"admin_ops.audit_log.column.{c}", lang) for c in EXPORT_COLUMNS})


@requires("audit.view")
def export_csv(db, actor: Actor, flt: AuditFilter = AuditFilter(), lang: str = DEFAULT_LANGUAGE) -> bytes:
    """Every matching entry as CSV in UTF-8 with a BOM (Excel opens it right); cells formula-safe."""
    return csv_bytes(audit_frame(search_audit(db, actor, flt), lang))


@requires("audit.view")
def export_xlsx(db, actor: Actor, flt: AuditFilter = AuditFilter(), lang: str = DEFAULT_LANGUAGE) -> bytes:
    return xlsx_bytes(audit_frame(search_audit(db, actor, flt), lang), t("admin_ops.audit_log.sheet", lang),
                      widths=(20, 28, 24, 24, 60))
