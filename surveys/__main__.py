"""Command line for operators: ``python -m surveys init-admin | backup | restore | verify | city-account``."""
from __future__ import annotations

import argparse
import getpass
import os
import sys
from pathlib import Path

from i18n import t
from surveys import startup
from surveys.participants import accounts
from surveys.participants import city_accounts
from surveys.storage import backup
from surveys.results import integrity
from surveys.storage.db import connect, database_path, postgres_url
from surveys.core.errors import QipingError


def read_password(args, lang: str) -> str | None:
    """The new password: a line of standard input, or typed twice (None when the two differ)."""
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    password = getpass.getpass(t("cli.password_prompt", lang))
    if getpass.getpass(t("cli.password_again", lang)) != password:
        print(t("account.passwords_differ", lang), file=sys.stderr)
        return None
    return password


def init_admin(args) -> int:
    lang = os.environ.get("QIPING_LANG", "zh")
    password = read_password(args, lang)
    if password is None:
        return 1
    db = startup.prepare()
    try:
        accounts.create_first_admin(db, args.username, password)
    except QipingError as error:
        print(error.message(lang), file=sys.stderr)
        return 1
    print(t("cli.admin_created", lang, username=args.username.strip().lower()))
    return 0


def city_account_command(args) -> int:
    """A city office's accounts, kept by the deployment's operator (surveys/participants/city_accounts.py)."""
    lang = os.environ.get("QIPING_LANG", "zh")
    try:
        db = city_accounts.open_city(args.city)
    except QipingError as error:
        print(error.message(lang), file=sys.stderr)
        return 1
    try:
        if args.action == "list":
            for row in city_accounts.list_accounts(db):
                state = t("city_accounts.active" if row["active"] else "city_accounts.inactive", lang)
                print(f"{row['username']}\t{row['display_name']}\t{state}")
            return 0
        if not args.username:
            print(t("city_accounts.username_needed", lang), file=sys.stderr)
            return 1
        if args.action in ("add", "password"):
            password = read_password(args, lang)
            if password is None:
                return 1
            if args.action == "add":
                city_accounts.add_account(db, args.username, password, args.name)
            else:
                city_accounts.set_password(db, args.username, password)
        else:
            city_accounts.set_active(db, args.username, args.action == "reactivate")
    except QipingError as error:
        print(error.message(lang), file=sys.stderr)
        return 1
    finally:
        db.close()
    print(t(f"city_accounts.done.{args.action}", lang, username=args.username.strip().lower(), city=args.city))
    return 0


def backup_command(args) -> int:
    lang = os.environ.get("QIPING_LANG", "zh")
    try:
        pages = backup.backup_database(database_path(), args.file, overwrite=args.overwrite)
    except QipingError as error:
        print(error.message(lang), file=sys.stderr)
        return 1
    print(t("backup.done", lang, path=args.file, pages=pages))
    return 0


def restore_command(args) -> int:
    lang = os.environ.get("QIPING_LANG", "zh")
    try:
        backup.restore_database(args.file, database_path())
    except QipingError as error:
        print(error.message(lang), file=sys.stderr)
        return 1
    print(t("backup.restored", lang, path=args.file))
    return 0


def verify_command(args) -> int:
    """Check the audit chain and recompute every finalisation (docs/integrity.md)."""
    lang = os.environ.get("QIPING_LANG", "zh")
    path = Path(args.db) if args.db else database_path()
    if not postgres_url() and not path.is_file():
        print(t("integrity.no_database", lang, path=str(path)), file=sys.stderr)
        return 1
    db = connect(path)
    try:
        report = integrity.verify(db)
        broken_anchors = [(i, h) for i, h in args.anchor if not integrity.anchor_holds(db, i, h)]
    finally:
        db.close()
    ok = report.ok and not broken_anchors
    for line in integrity.report_lines(report, lang):
        print(line, file=sys.stdout if ok else sys.stderr)
    for entry_id, entry_hash in broken_anchors:
        print(t("integrity.anchor_broken", lang, id=entry_id, hash=entry_hash), file=sys.stderr)
    return 0 if ok else 1


def anchor(text: str) -> tuple[int, str]:
    """ID:HASH, an audit entry's chain position as an evidence file prints it."""
    entry_id, _, entry_hash = text.partition(":")
    if not entry_id.strip().isdigit() or len(entry_hash.strip()) != 64:
        raise argparse.ArgumentTypeError(t("integrity.anchor_format", os.environ.get("QIPING_LANG", "zh"),
                                           value=text))
    return int(entry_id), entry_hash.strip()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m surveys")
    commands = parser.add_subparsers(dest="command", required=True)
    admin = commands.add_parser("init-admin", help="create the first administrator of a real deployment")
    admin.add_argument("--username", default="admin")
    admin.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    admin.set_defaults(run=init_admin)
    save = commands.add_parser("backup", help="copy the database (QIPING_DB) to FILE; safe while the app runs")
    save.add_argument("file")
    save.add_argument("--overwrite", action="store_true")
    save.set_defaults(run=backup_command)
    restore = commands.add_parser("restore", help="replace the database (QIPING_DB) with backup FILE; stop the app first")
    restore.add_argument("file")
    restore.set_defaults(run=restore_command)
    check = commands.add_parser("verify", help="check the audit hash chain and recompute every finalisation")
    check.add_argument("--db", help="the database file (default: QIPING_DB)")
    check.add_argument("--anchor", action="append", type=anchor, default=[], metavar="ID:HASH",
                       help="an audit entry's id and hash kept outside the database (an evidence file's "
                            "chain position): it must still be there, unchanged")
    check.set_defaults(run=verify_command)
    city = commands.add_parser("city-account", help="add, deactivate, reactivate or list a city office's accounts, "
                                                    "or set one's password (QIPING_COUNTIES names the city)")
    city.add_argument("action", choices=["add", "deactivate", "reactivate", "password", "list"])
    city.add_argument("username", nargs="?", default="")
    city.add_argument("--city", required=True, help="the city office's slug ([cities.<slug>] in QIPING_COUNTIES)")
    city.add_argument("--name", default="", help="the account's display name (add)")
    city.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    city.set_defaults(run=city_account_command)
    args = parser.parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
