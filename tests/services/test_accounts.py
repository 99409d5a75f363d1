"""Sign-in, lock-out and how secrets are stored."""
import subprocess
import sys
from pathlib import Path
from datetime import datetime, timedelta, timezone

import pytest

from tests import pg_support

from conftest import ADMIN_ACTOR, AGENCY_ACTOR, dump
from surveys.participants import accounts
from surveys.core import clock
from surveys.participants import hashing
from surveys.core.actors import ENTERPRISE
from surveys.core.errors import InvalidInput, PermissionDenied, SignInRefused

ROOT = Path(__file__).resolve().parents[2]
T0 = datetime(2026, 11, 22, 9, 0, tzinfo=timezone.utc)


@pytest.fixture
def enterprise(db, world):
    accounts.set_access_code(db, world[0].id, "QP-TEST-0001")
    return world[0]


def test_enterprise_signs_in_with_its_code_in_any_case(db, enterprise):
    who = accounts.sign_in_enterprise(db, " qp-test-0001 ", "client-a")
    assert who.role == ENTERPRISE and who.id == enterprise.id


def test_code_is_stored_only_as_an_argon2_hash(db, enterprise):
    everything = "\n".join(dump(db))
    assert "QP-TEST-0001" not in everything
    stored = db.execute("SELECT access_code_hash FROM enterprises WHERE uscc = ?", [enterprise.id]).fetchone()[0]
    salt = hashing.installation_salt(db)
    assert stored == hashing.access_code_digest(salt, "QP-TEST-0001")


def test_production_cost_is_owasp_argon2id(monkeypatch):
    monkeypatch.delenv("QIPING_HASH_COST")
    assert hashing.hash_password("a long password").startswith("$argon2id$v=19$m=19456,t=2,p=1$")


def test_five_wrong_codes_lock_the_client_for_fifteen_minutes(db, enterprise):
    clock.freeze(T0)
    for attempt in range(1, 5):
        with pytest.raises(SignInRefused) as caught:
            accounts.sign_in_enterprise(db, f"QP-WRONG-{attempt}", "client-a")
        assert caught.value.values["remaining"] == 5 - attempt
    with pytest.raises(SignInRefused) as caught:
        accounts.sign_in_enterprise(db, "QP-WRONG-5", "client-a")
    assert caught.value.key == "signin.now_locked"
    # the sixth attempt is refused even with the right code, and says for how long
    with pytest.raises(SignInRefused) as caught:
        accounts.sign_in_enterprise(db, "QP-TEST-0001", "client-a")
    assert caught.value.key == "signin.locked"
    assert "15 分钟" in caught.value.message("zh") and "15 minutes" in caught.value.message("en")
    # another client is not locked out by this one's mistakes
    assert accounts.sign_in_enterprise(db, "QP-TEST-0001", "client-b").id == enterprise.id
    clock.freeze(T0 + timedelta(minutes=16))
    assert accounts.sign_in_enterprise(db, "QP-TEST-0001", "client-a").id == enterprise.id


def test_a_successful_sign_in_resets_the_count(db, enterprise):
    for _ in range(4):
        with pytest.raises(SignInRefused):
            accounts.sign_in_enterprise(db, "nope", "c")
    accounts.sign_in_enterprise(db, "QP-TEST-0001", "c")
    with pytest.raises(SignInRefused) as caught:
        accounts.sign_in_enterprise(db, "nope", "c")
    assert caught.value.values["remaining"] == 4


def test_deactivated_enterprise_cannot_sign_in(db, enterprise):
    db.execute("UPDATE enterprises SET active = 0 WHERE uscc = ?", [enterprise.id])
    with pytest.raises(SignInRefused):
        accounts.sign_in_enterprise(db, "QP-TEST-0001", "c")


def test_issued_code_replaces_the_old_one(db, enterprise):
    code = accounts.issue_access_code(db, ADMIN_ACTOR, enterprise.id)
    assert code.startswith("QP-") and len(code) == 20
    assert accounts.sign_in_enterprise(db, code, "c").id == enterprise.id
    with pytest.raises(SignInRefused):
        accounts.sign_in_enterprise(db, "QP-TEST-0001", "c")
    with pytest.raises(PermissionDenied):
        accounts.issue_access_code(db, AGENCY_ACTOR, enterprise.id)


def test_staff_sign_in_and_account_lock(db, world):
    accounts.create_staff(db, ADMIN_ACTOR, "fgw", "a good password", "agency", "FGW", "县发展改革委")
    who = accounts.sign_in_staff(db, "FGW ", "a good password", "client-a")
    assert (who.role, who.agency_code) == ("agency", "FGW")
    assert "a good password" not in "\n".join(dump(db))
    clock.freeze(T0)
    for _ in range(5):
        with pytest.raises(SignInRefused):
            accounts.sign_in_staff(db, "fgw", "wrong", "client-a")
    with pytest.raises(SignInRefused) as caught:
        accounts.sign_in_staff(db, "fgw", "a good password", "client-a")
    assert caught.value.key == "signin.locked"
    clock.freeze(T0 + timedelta(minutes=15, seconds=1))
    assert accounts.sign_in_staff(db, "fgw", "a good password", "client-a").id == "fgw"


def test_unknown_user_gets_the_same_answer_as_a_wrong_password(db):
    with pytest.raises(SignInRefused) as caught:
        accounts.sign_in_staff(db, "nobody", "whatever", "client-a")
    assert caught.value.key == "signin.wrong_password"


def test_an_unknown_username_costs_the_same_argon2_verification(db, world, monkeypatch):
    accounts.create_staff(db, ADMIN_ACTOR, "fgw", "a good password", "agency", "FGW")
    verified = []
    real_verify = hashing.verify_password

    def counting_verify(stored_hash, password):
        verified.append(stored_hash)
        return real_verify(stored_hash, password)

    monkeypatch.setattr(hashing, "verify_password", counting_verify)
    for username in ("fgw", "nobody"):
        with pytest.raises(SignInRefused):
            accounts.sign_in_staff(db, username, "wrong password", "client-a")
    real, dummy = verified
    # the same kind of hash with the same cost: argon2id, memory, time and parallelism
    assert dummy != real and dummy.split("$")[:4] == real.split("$")[:4]
    assert dummy.startswith("$argon2id$")


def wrong_password(db, username: str, client: str) -> SignInRefused:
    with pytest.raises(SignInRefused) as caught:
        accounts.sign_in_staff(db, username, "a wrong password", client)
    return caught.value


def test_a_strangers_guesses_do_not_lock_the_real_user_out(db, world):
    accounts.create_staff(db, ADMIN_ACTOR, "admin2", "the real password", "admin")
    clock.freeze(T0)
    for _ in range(accounts.MAX_FAILURES):
        wrong_password(db, "admin2", "ip:203.0.113.9")
    # the stranger's client is locked out of this account, even with the right password
    with pytest.raises(SignInRefused) as caught:
        accounts.sign_in_staff(db, "admin2", "the real password", "ip:203.0.113.9")
    assert caught.value.key == "signin.locked"
    # the real user, from their own client, is not
    assert accounts.sign_in_staff(db, "admin2", "the real password", "ip:198.51.100.20").id == "admin2"
    # nor is the count from their client touched by the stranger's
    assert wrong_password(db, "admin2", "ip:198.51.100.20").values["remaining"] == accounts.MAX_FAILURES - 1


def test_one_client_guessing_across_accounts_is_locked_out_of_all_of_them(db, world):
    accounts.create_staff(db, ADMIN_ACTOR, "admin2", "the real password", "admin")
    clock.freeze(T0)
    for number in range(accounts.CLIENT_MAX_FAILURES - 1):
        wrong_password(db, f"guess{number}", "ip:203.0.113.9")
    assert wrong_password(db, "admin2", "ip:203.0.113.9").key == "signin.now_locked"
    with pytest.raises(SignInRefused) as caught:
        accounts.sign_in_staff(db, "admin2", "the real password", "ip:203.0.113.9")
    assert caught.value.key == "signin.locked"
    assert accounts.sign_in_staff(db, "admin2", "the real password", "ip:198.51.100.20").id == "admin2"
    clock.freeze(T0 + timedelta(minutes=accounts.LOCK_MINUTES, seconds=1))
    assert accounts.sign_in_staff(db, "admin2", "the real password", "ip:203.0.113.9").id == "admin2"


def test_guesses_spread_over_many_clients_meet_the_accounts_ceiling(db, world):
    accounts.create_staff(db, ADMIN_ACTOR, "admin2", "the real password", "admin")
    clock.freeze(T0)
    clients = accounts.ACCOUNT_MAX_FAILURES // accounts.MAX_FAILURES
    assert clients >= 10  # a stranger needs that many addresses to lock the account for everyone
    for number in range(clients):
        for _ in range(accounts.MAX_FAILURES):
            wrong_password(db, "admin2", f"ip:203.0.113.{number}")
    with pytest.raises(SignInRefused) as caught:
        accounts.sign_in_staff(db, "admin2", "the real password", "ip:198.51.100.20")
    assert caught.value.key == "signin.locked"


def test_a_password_reset_lifts_every_clients_lock_on_the_account(db, world):
    accounts.create_staff(db, ADMIN_ACTOR, "admin2", "the real password", "admin")
    for client in ("ip:203.0.113.1", "ip:203.0.113.2"):
        for _ in range(accounts.MAX_FAILURES):
            wrong_password(db, "admin2", client)
    accounts.reset_password(db, ADMIN_ACTOR, "admin2", "a new password")
    for client in ("ip:203.0.113.1", "ip:203.0.113.2"):
        assert accounts.sign_in_staff(db, "admin2", "a new password", client).id == "admin2"


def test_staff_rules(db, world):
    with pytest.raises(InvalidInput):
        accounts.create_staff(db, ADMIN_ACTOR, "x", "short", "admin")
    with pytest.raises(InvalidInput):
        accounts.create_staff(db, ADMIN_ACTOR, "x", "long enough pw", "agency")  # no agency
    with pytest.raises(PermissionDenied):
        accounts.create_staff(db, AGENCY_ACTOR, "x", "long enough pw", "admin")


def test_change_password(db, world):
    accounts.create_staff(db, ADMIN_ACTOR, "boss", "first password", "admin")
    me = accounts.sign_in_staff(db, "boss", "first password", "client-a")
    with pytest.raises(InvalidInput):
        accounts.change_password(db, me, "not it", "second password")
    accounts.change_password(db, me, "first password", "second password")
    assert accounts.sign_in_staff(db, "boss", "second password", "client-a").id == "boss"


def test_init_admin_command_creates_the_first_administrator_once(tmp_path):
    env = {"QIPING_DB": str(tmp_path / "real.db"), "QIPING_DEMO": "0", "QIPING_HASH_COST": "test",
           "QIPING_LANG": "en", "PATH": "/usr/bin:/bin", **pg_support.storage_env()}
    command = [sys.executable, "-m", "surveys", "init-admin", "--username", "Chief", "--password-stdin"]
    first = subprocess.run(command, input="a strong password\n", capture_output=True, text=True, env=env, cwd=ROOT)
    assert first.returncode == 0, first.stderr
    assert "Administrator chief created" in first.stdout
    again = subprocess.run(command, input="another password\n", capture_output=True, text=True, env=env, cwd=ROOT)
    assert again.returncode == 1 and "exists already" in again.stderr
    from surveys.storage.db import connect
    db = connect(tmp_path / "real.db")
    assert db.execute("SELECT count(*) FROM agencies").fetchone()[0] == 0  # no demo county
    assert accounts.sign_in_staff(db, "chief", "a strong password", "client-a").role == "admin"


def test_the_credential_stamp_changes_with_every_new_code_or_password(db, enterprise):
    from surveys.reports import access_slips

    who = accounts.sign_in_enterprise(db, "QP-TEST-0001", "c")
    assert who.credential_stamp == accounts.credential_stamp(db, who) is not None
    accounts.issue_access_code(db, ADMIN_ACTOR, enterprise.id)
    rotated = accounts.credential_stamp(db, who)
    assert rotated != who.credential_stamp
    access_slips.issue_access_codes(db, ADMIN_ACTOR, access_slips.ALL)
    assert accounts.credential_stamp(db, who) not in (rotated, who.credential_stamp)

    accounts.create_staff(db, ADMIN_ACTOR, "boss", "first password", "admin")
    me = accounts.sign_in_staff(db, "boss", "first password", "client-a")
    assert me.credential_stamp == accounts.credential_stamp(db, me)
    renewed = accounts.change_password(db, me, "first password", "second password")
    assert renewed == me and renewed.credential_stamp == accounts.credential_stamp(db, me) != me.credential_stamp
    accounts.reset_password(db, ADMIN_ACTOR, "boss", "third password")
    assert accounts.credential_stamp(db, me) != renewed.credential_stamp
    accounts.create_staff(db, ADMIN_ACTOR, "boss2", "first password", "admin")
    accounts.set_staff_active(db, ADMIN_ACTOR, "boss", False)
    assert accounts.credential_stamp(db, me) is None
