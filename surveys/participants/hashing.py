"""Argon2 (argon2-cffi) for passwords and access codes; nothing is stored in clear.

Passwords use argon2id with a salt of their own. Access codes must also be
*found* by the code alone (an enterprise types only its code), so they are
hashed with argon2id under one random salt per installation: the hash is then
a stable lookup key, and still costs an attacker a full argon2 run per guess.
"""
from __future__ import annotations

import os
import secrets
from functools import lru_cache

import sqlite_utils
from argon2 import PasswordHasher, Type, low_level
from argon2.exceptions import InvalidHashError, VerificationError

from surveys.storage.db import write_transaction

# OWASP's argon2id profile (m=19 MiB, t=2, p=1). QIPING_HASH_COST=test lowers it
# for the test suite only, which hashes hundreds of codes per run.
PRODUCTION_COST = dict(time_cost=2, memory_cost=19456, parallelism=1)
TEST_COST = dict(time_cost=1, memory_cost=8, parallelism=1)


def cost() -> dict:
    return TEST_COST if os.environ.get("QIPING_HASH_COST") == "test" else PRODUCTION_COST


def hash_password(password: str) -> str:
    return PasswordHasher(**cost()).hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    try:
        return PasswordHasher().verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@lru_cache(maxsize=2)
def _dummy_hash(cost_items: tuple) -> str:
    return PasswordHasher(**dict(cost_items)).hash(secrets.token_hex(16))


def dummy_password_hash() -> str:
    """A real argon2id hash (of a random secret nobody knows) at today's cost, to verify
    a password against when the username is unknown: the answer then takes as long as
    for a real account, so timing does not tell which usernames exist."""
    return _dummy_hash(tuple(sorted(cost().items())))


def installation_salt(db: sqlite_utils.Database) -> bytes:
    """The installation's salt, made on first use. Read first: every sign-in needs
    it, and a write on each would make a crowd signing in queue for the write lock."""
    row = db.execute("SELECT value FROM settings WHERE name = 'access_code_salt'").fetchone()
    if row is None:
        with write_transaction(db):
            db.execute("INSERT INTO settings (name, value) VALUES ('access_code_salt', ?)"
                       " ON CONFLICT (name) DO NOTHING",
                       [secrets.token_hex(16)])
        row = db.execute("SELECT value FROM settings WHERE name = 'access_code_salt'").fetchone()
    return bytes.fromhex(row[0])


def access_code_digest(salt: bytes, code: str) -> str:
    raw = low_level.hash_secret_raw(
        secret=code.encode("utf-8"), salt=salt, hash_len=32, type=Type.ID, **cost()
    )
    return raw.hex()


def normalise_code(code: str) -> str:
    return "".join(str(code).split()).upper()


def new_access_code() -> str:
    """A fresh code, e.g. ``QP-7KQ2-M9XD-4T8H`` (about 75 bits, no look-alike characters)."""
    alphabet = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
    groups = ["".join(secrets.choice(alphabet) for _ in range(5)) for _ in range(3)]
    return "QP-" + "-".join(groups)
