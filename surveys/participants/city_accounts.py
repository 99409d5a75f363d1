"""A city office's accounts (issue 16 item 2), kept in the city office's own small database
(surveys/storage/city_schema/city_staff.sql), apart from every county's.

Who manages them: the deployment's operator — whoever runs the server and keeps the counties file
(QIPING_COUNTIES) — with ``python -m surveys city-account …``, as ``init-admin`` makes a county's
first administrator. No county administrator can: a county's accounts page works on its own file
only, and a county must not decide who reads every county's results. A city user changes their own
password on the account page (accounts.change_password). Every change is audited in the city
office's own audit log; a deactivated account or a replaced password ends its open sessions at
their next click (app_pages/ui.py end_deactivated_session, end_superseded_session).
"""
from __future__ import annotations

import sqlite_utils

from surveys import startup
from surveys.core import audit
from surveys.core import counties as county_config
from surveys.core.actors import SYSTEM
from surveys.core.errors import InvalidInput, NotFound
from surveys.participants import hashing
from surveys.participants import accounts
from surveys.participants.accounts import check_new_password, check_username, insert_city_account
from surveys.participants.roster_admin import clean_text
from surveys.storage.db import write_transaction


def open_city(slug: str, known: dict[str, county_config.County] | None = None) -> sqlite_utils.Database:
    """The city office ``slug``'s own database (QIPING_COUNTIES' ``[cities.<slug>]``), ready."""
    known = county_config.load() if known is None else known
    if not known:
        raise InvalidInput("city_accounts.no_counties_file")
    place = known.get(slug)
    if place is None or not place.is_city:
        raise InvalidInput("city_accounts.unknown_city", city=slug,
                           cities=", ".join(s for s, c in known.items() if c.is_city) or "—")
    return startup.prepare_city(place.db)


def _account(db, username: str) -> dict:
    row = next(db.query("SELECT username, display_name, active FROM city_staff WHERE username = ?",
                        [str(username).strip().lower()]), None)
    if row is None:
        raise NotFound("city_accounts.not_found", username=username)
    return row


def add_account(db, username: str, password: str, display_name: str = "") -> str:
    """A new city office account; refused if the username is taken. Returns the username as stored."""
    username = check_username(username)
    display_name = clean_text(display_name, "display_name")
    check_new_password(password)
    with write_transaction(db):
        if db.execute("SELECT 1 FROM city_staff WHERE username = ?", [username]).fetchone():
            raise InvalidInput("accounts.username_taken", username=username)
        insert_city_account(db, username, password, display_name)
        audit.record(db, SYSTEM, "city_staff.created", username)
    return username


def set_active(db, username: str, active: bool) -> None:
    """Deactivate (cannot sign in any more; open sessions end) or reactivate a city office account."""
    with write_transaction(db):
        account = _account(db, username)
        if bool(account["active"]) == active:
            key = "roster_admin.staff.already_active" if active else "roster_admin.staff.already_inactive"
            raise InvalidInput(key, username=account["username"])
        db.execute("UPDATE city_staff SET active = ? WHERE username = ?", [int(active), account["username"]])
        audit.record(db, SYSTEM, "city_staff.reactivated" if active else "city_staff.deactivated",
                     account["username"])


def set_password(db, username: str, password: str) -> None:
    """The operator sets a new password (the holder forgot it); a lock-out on the account is lifted."""
    check_new_password(password)
    with write_transaction(db):
        account = _account(db, username)
        db.execute("UPDATE city_staff SET password_hash = ? WHERE username = ?",
                   [hashing.hash_password(password), account["username"]])
        accounts.lift_lock_out(db, account["username"])
        audit.record(db, SYSTEM, "city_staff.password_reset", account["username"])


def list_accounts(db) -> list[dict]:
    """Every account of the city office, without its password hash."""
    return list(db.query("SELECT username, display_name, active FROM city_staff ORDER BY active DESC, username"))
