"""Sign-in for enterprises (access code) and staff (username + password),
with lock-out after repeated failures, and the accounts themselves."""
from __future__ import annotations

import hashlib
import re
from dataclasses import replace
from datetime import datetime, timedelta

import sqlite_utils

from surveys.core import audit
from surveys.core import clock
from surveys.participants import hashing
from surveys.core.actors import ADMIN, AGENCY, CITY, DISCIPLINE, ENTERPRISE, SYSTEM, Actor
from surveys.storage.db import write_transaction
from surveys.core.errors import InvalidInput, Moment, NotFound, SignInRefused
from surveys.core.permissions import requires
from surveys.participants.roster_admin import clean_text

MAX_FAILURES = 5           # per client for access codes; per (account, client) for passwords
CLIENT_MAX_FAILURES = 20   # wrong passwords per client, whatever the accounts tried
# Wrong passwords for one account from all clients together. Generous on purpose: it
# only stops guessing spread over many addresses, and a stranger needs at least
# ACCOUNT_MAX_FAILURES / MAX_FAILURES addresses to lock the real user out with it.
ACCOUNT_MAX_FAILURES = 100
LOCK_MINUTES = 15
MIN_PASSWORD_LENGTH = 10
USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,31}")
# Roles that sign in with a username and password (a staff account); what each may do is
# surveys/core/permissions.py.
STAFF_ROLES = (ADMIN, DISCIPLINE, AGENCY)


# --- lock-out ---------------------------------------------------------------
# Failures are counted under keys, each with its own limit; a key with as many
# failures in the last LOCK_MINUTES as its limit refuses sign-in until the newest
# of them is LOCK_MINUTES old.

def _recent_failures(db: sqlite_utils.Database, key: str) -> list[datetime]:
    since = (clock.now() - timedelta(minutes=LOCK_MINUTES)).isoformat(timespec="seconds")
    rows = db.execute(
        "SELECT at FROM sign_in_failures WHERE key = ? AND at > ? ORDER BY at", [key, since]
    ).fetchall()
    return [datetime.fromisoformat(r[0]) for r in rows]


def locked_until(db: sqlite_utils.Database, key: str, limit: int = MAX_FAILURES) -> datetime | None:
    failures = _recent_failures(db, key)
    if len(failures) >= limit:
        return failures[-1] + timedelta(minutes=LOCK_MINUTES)
    return None


def _refuse_if_locked(db: sqlite_utils.Database, limits: dict[str, int]) -> None:
    locks = [until for key, limit in limits.items() if (until := locked_until(db, key, limit)) is not None]
    if locks:
        until = max(locks)
        raise SignInRefused("signin.locked", minutes=LOCK_MINUTES,
                            until=Moment(until.isoformat(timespec="seconds")))


def _record_failure(db: sqlite_utils.Database, limits: dict[str, int], wrong_key: str) -> SignInRefused:
    """Store the failure under every key (committed, though the sign-in fails) and say
    how many tries are left before the first of them locks."""
    now = clock.now_iso()
    with write_transaction(db):
        for key in limits:
            db.execute("INSERT INTO sign_in_failures (key, at) VALUES (?, ?)", [key, now])
        audit.record(db, SYSTEM, "sign_in.failed", next(iter(limits)))
    remaining = min(limit - len(_recent_failures(db, key)) for key, limit in limits.items())
    if remaining <= 0:
        return SignInRefused("signin.now_locked", minutes=LOCK_MINUTES)
    return SignInRefused(wrong_key, remaining=remaining, minutes=LOCK_MINUTES)


def _clear_failures(db: sqlite_utils.Database, key: str) -> None:
    # Most sign-ins have no failures to clear: no write for them, so a crowd
    # signing in at once does not queue for the write lock.
    if db.execute("SELECT 1 FROM sign_in_failures WHERE key = ? LIMIT 1", [key]).fetchone() is None:
        return
    with write_transaction(db):
        db.execute("DELETE FROM sign_in_failures WHERE key = ?", [key])


def _staff_limits(username: str, client: str) -> dict[str, int]:
    """Wrong passwords count against the (account, client) pair — so a stranger's
    guesses do not lock the real user out from elsewhere — against the client, and
    against the account with a generous ceiling. The pair comes first: it names the
    failure in the audit log."""
    return {f"user:{username}@{client}": MAX_FAILURES,
            f"staff-client:{client}": CLIENT_MAX_FAILURES,
            f"user:{username}": ACCOUNT_MAX_FAILURES}


# --- enterprises --------------------------------------------------------------

def sign_in_enterprise(db: sqlite_utils.Database, code: str, client: str) -> Actor:
    """The enterprise whose access code this is.

    A wrong code names no enterprise, so failures are counted per client (the
    browser session, or its address when known): five lock that client out.
    """
    key = f"code:{client}"
    _refuse_if_locked(db, {key: MAX_FAILURES})
    code = hashing.normalise_code(code)
    row = None
    if code:
        digest = hashing.access_code_digest(hashing.installation_salt(db), code)
        row = db.execute(
            "SELECT uscc, name, access_code_hash FROM enterprises WHERE access_code_hash = ? AND active = 1",
            [digest],
        ).fetchone()
    if row is None:
        raise _record_failure(db, {key: MAX_FAILURES}, "signin.wrong_code")
    _clear_failures(db, key)
    return Actor(role=ENTERPRISE, id=row[0], name=row[1], credential_stamp=_stamp(row[2]))


def set_access_code(db: sqlite_utils.Database, uscc: str, code: str) -> None:
    """Store ``code`` (hashed) as the enterprise's access code; caller holds the transaction."""
    digest = hashing.access_code_digest(hashing.installation_salt(db), hashing.normalise_code(code))
    cursor = db.execute("UPDATE enterprises SET access_code_hash = ? WHERE uscc = ?", [digest, uscc])
    if cursor.rowcount != 1:
        raise NotFound("errors.enterprise_not_found", uscc=uscc)


@requires("access_codes.issue")
def issue_access_code(db: sqlite_utils.Database, actor: Actor, uscc: str) -> str:
    """A new access code for the enterprise (the old one stops working); shown once."""
    code = hashing.new_access_code()
    with write_transaction(db):
        set_access_code(db, uscc, code)
        audit.record(db, actor, "enterprise.access_code_issued", uscc)
    return code


# --- staff --------------------------------------------------------------------

def sign_in_staff(db: sqlite_utils.Database, username: str, password: str, client: str) -> Actor:
    """The staff member with this username and password, signing in from ``client``
    (see ``sign_in_enterprise``)."""
    username = username.strip().lower()
    limits = _staff_limits(username, client)
    _refuse_if_locked(db, limits)
    row = db.execute(
        "SELECT username, password_hash, role, agency_code, display_name FROM staff"
        " WHERE username = ? AND active = 1",
        [username],
    ).fetchone()
    # an unknown username costs the same argon2 run as a real one
    matches = hashing.verify_password(row[1] if row else hashing.dummy_password_hash(), password)
    if row is None or not matches:
        raise _record_failure(db, limits, "signin.wrong_password")
    _clear_failures(db, next(iter(limits)))
    return Actor(role=row[2], id=row[0], name=row[4] or row[0], agency_code=row[3],
                 credential_stamp=_stamp(row[1]))


def sign_in_city(db: sqlite_utils.Database, username: str, password: str, client: str) -> Actor:
    """A city office's account, in the city office's own database (surveys/storage/city_schema),
    with the same lock-out as staff (see ``sign_in_staff``)."""
    username = username.strip().lower()
    limits = _staff_limits(username, client)
    _refuse_if_locked(db, limits)
    row = db.execute("SELECT username, password_hash, display_name FROM city_staff"
                     " WHERE username = ? AND active = 1", [username]).fetchone()
    matches = hashing.verify_password(row[1] if row else hashing.dummy_password_hash(), password)
    if row is None or not matches:
        raise _record_failure(db, limits, "signin.wrong_password")
    _clear_failures(db, next(iter(limits)))
    return Actor(role=CITY, id=row[0], name=row[2] or row[0], credential_stamp=_stamp(row[1]))


def insert_city_account(db, username: str, password: str, display_name: str = "") -> None:
    """A city office's account (set up with the deployment; the caller holds the transaction)."""
    check_new_password(password)
    db.execute("INSERT INTO city_staff (username, password_hash, display_name) VALUES (?, ?, ?)"
               " ON CONFLICT (username) DO NOTHING",
               [username.strip().lower(), hashing.hash_password(password), display_name])


def check_new_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput("accounts.password_too_short", minimum=MIN_PASSWORD_LENGTH)


def insert_staff(db, username: str, password: str, role: str, agency_code: str | None = None,
                 display_name: str = "") -> None:
    """Insert a staff account; the caller checks permission and holds the transaction."""
    if role not in STAFF_ROLES:
        raise InvalidInput("accounts.unknown_role", role=role)
    if (role == AGENCY) != bool(agency_code):
        raise InvalidInput("accounts.agency_needed")
    if db.execute("SELECT 1 FROM staff WHERE username = ?", [username]).fetchone():
        raise InvalidInput("accounts.username_taken", username=username)
    db.execute(
        "INSERT INTO staff (username, password_hash, role, agency_code, display_name)"
        " VALUES (?, ?, ?, ?, ?)",
        [username, hashing.hash_password(password), role, agency_code, display_name],
    )


def check_username(username: str) -> str:
    username = str(username).strip().lower()
    if not USERNAME.fullmatch(username):
        raise InvalidInput("roster_admin.staff.bad_username", value=username)
    return username


def _check_agency(db, agency_code: str | None) -> None:
    """An agency account must belong to an agency that exists and is in use."""
    if agency_code and not db.execute(
            "SELECT 1 FROM agencies WHERE code = ? AND active = 1", [agency_code]).fetchone():
        raise InvalidInput("roster_admin.staff.agency_unknown", code=agency_code)


@requires("accounts.manage")
def create_staff(db, actor: Actor, username: str, password: str, role: str,
                 agency_code: str | None = None, display_name: str = "") -> None:
    username = check_username(username)
    display_name = clean_text(display_name, "display_name")
    check_new_password(password)
    with write_transaction(db):
        _check_agency(db, agency_code)
        insert_staff(db, username, password, role, agency_code, display_name)
        audit.record(db, actor, "staff.created", username, role=role, agency=agency_code)


def create_first_admin(db, username: str, password: str) -> None:
    """For a real deployment (``python -m surveys init-admin``): only while no administrator exists."""
    username = username.strip().lower()
    check_new_password(password)
    with write_transaction(db):
        if db.execute("SELECT 1 FROM staff WHERE role = 'admin' AND active = 1").fetchone():
            raise InvalidInput("accounts.admin_exists")
        insert_staff(db, username, password, ADMIN, None, username)
        audit.record(db, SYSTEM, "staff.first_admin_created", username)


@requires("accounts.own_password")
def change_password(db, actor: Actor, old_password: str, new_password: str) -> Actor:
    """Change one's own password. Every other session opened with the old one ends
    at its next click; the returned actor carries the new stamp for this session. A city office's
    account is in its own database's ``city_staff`` (``db`` is then the city office's file)."""
    table = "city_staff" if actor.role == CITY else "staff"
    row = db.execute(f"SELECT password_hash FROM {table} WHERE username = ? AND active = 1", [actor.id]).fetchone()
    if row is None or not hashing.verify_password(row[0], old_password):
        raise InvalidInput("accounts.old_password_wrong")
    check_new_password(new_password)
    new_hash = hashing.hash_password(new_password)
    with write_transaction(db):
        db.execute(f"UPDATE {table} SET password_hash = ? WHERE username = ?", [new_hash, actor.id])
        audit.record(db, actor, f"{table}.password_changed", actor.id)
    return replace(actor, credential_stamp=_stamp(new_hash))


# --- staff administration (administrator only) ----------------------------------

@requires("accounts.manage")
def list_staff(db, actor: Actor) -> list[dict]:
    """Every staff account, without its password hash."""
    return list(db.query(
        "SELECT username, display_name, role, agency_code, active FROM staff ORDER BY active DESC, role, username"))


def _get_staff(db, username: str) -> dict:
    rows = list(db.query("SELECT username, role, active FROM staff WHERE username = ?",
                         [str(username).strip().lower()]))
    if not rows:
        raise NotFound("roster_admin.staff.not_found", username=username)
    return rows[0]


def lift_lock_out(db, username: str) -> None:
    """Forget the failed sign-ins counted against ``username``, from any address (keys user:NAME[@ADDR])."""
    key = f"user:{username}"
    db.execute("DELETE FROM sign_in_failures WHERE key = ? OR substr(key, 1, length(?)) = ?", [key, key + "@", key + "@"])


@requires("accounts.manage")
def reset_password(db, actor: Actor, username: str, new_password: str) -> None:
    """The administrator sets a new password (the holder forgot it); a lock-out on the
    account is lifted with it."""
    check_new_password(new_password)
    with write_transaction(db):
        account = _get_staff(db, username)
        db.execute("UPDATE staff SET password_hash = ? WHERE username = ?",
                   [hashing.hash_password(new_password), account["username"]])
        lift_lock_out(db, account["username"])
        audit.record(db, actor, "staff.password_reset", account["username"])


@requires("accounts.manage")
def set_staff_active(db, actor: Actor, username: str, active: bool) -> None:
    """Deactivate (cannot sign in any more) or reactivate a staff account. An
    administrator cannot lock themself out, nor leave the county without one."""
    with write_transaction(db):
        account = _get_staff(db, username)
        if bool(account["active"]) == active:
            key = "roster_admin.staff.already_active" if active else "roster_admin.staff.already_inactive"
            raise InvalidInput(key, username=account["username"])
        if not active:
            _refuse_removing_admin(db, actor, account)
        db.execute("UPDATE staff SET active = ? WHERE username = ?", [int(active), account["username"]])
        audit.record(db, actor, "staff.reactivated" if active else "staff.deactivated", account["username"])


def _refuse_removing_admin(db, actor: Actor, account: dict) -> None:
    if account["username"] == actor.id:
        raise InvalidInput("roster_admin.staff.cannot_deactivate_self")
    others = db.execute("SELECT count(*) FROM staff WHERE role = 'admin' AND active = 1 AND username <> ?",
                        [account["username"]]).fetchone()[0]
    if account["role"] == ADMIN and others == 0:
        raise InvalidInput("roster_admin.staff.last_admin", username=account["username"])


def still_active(db, actor: Actor) -> bool:
    """Whether a signed-in enterprise's or staff member's account is still in use, so
    that a deactivation can end a session that is already open."""
    if actor.role == ENTERPRISE:
        row = db.execute("SELECT active FROM enterprises WHERE uscc = ?", [actor.id]).fetchone()
    elif actor.role in STAFF_ROLES:
        row = db.execute("SELECT active FROM staff WHERE username = ?", [actor.id]).fetchone()
    elif actor.role == CITY:
        row = db.execute("SELECT active FROM city_staff WHERE username = ?", [actor.id]).fetchone()
    else:
        return False
    return bool(row and row[0])


# --- sessions opened with a credential that has since changed ---------------------

def _stamp(stored_hash: str) -> str:
    """A fingerprint of a stored password or access-code hash. It changes whenever the
    credential does, by whichever path (reset, rotation, bulk issue, own change), so a
    session remembers it at sign-in and is ended once it no longer matches."""
    return hashlib.sha256(stored_hash.encode("utf-8")).hexdigest()[:16]


def credential_stamp(db, actor: Actor) -> str | None:
    """The stamp of the actor's current credential; None for an account not in use
    or (an enterprise) without an access code."""
    if actor.role == ENTERPRISE:
        row = db.execute("SELECT access_code_hash FROM enterprises WHERE uscc = ? AND active = 1",
                         [actor.id]).fetchone()
    elif actor.role in STAFF_ROLES:
        row = db.execute("SELECT password_hash FROM staff WHERE username = ? AND active = 1",
                         [actor.id]).fetchone()
    elif actor.role == CITY:
        row = db.execute("SELECT password_hash FROM city_staff WHERE username = ? AND active = 1",
                         [actor.id]).fetchone()
    else:
        return None
    return _stamp(row[0]) if row and row[0] else None
