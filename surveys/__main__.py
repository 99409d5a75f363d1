"""Command line for operators: ``python -m surveys init-admin | backup | restore | verify``."""
from __future__ import annotations

import argparse
import getpass
import os
import sys
from pathlib import Path

from i18n import t
from surveys import startup
from surveys.participants import accounts
from surveys.storage import backup
from surveys.results import integrity
from surveys.storage.db import connect, database_path
from surveys.core.errors import QipingError


def init_admin(args) -> int:
    lang = os.environ.get("QIPING_LANG", "zh")
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass(t("cli.password_prompt", lang))
        if getpass.getpass(t("cli.password_again", lang)) != password:
            print(t("account.passwords_differ", lang), file=sys.stderr)
            return 1
    db = startup.prepare()
    try:
        accounts.create_first_admin(db, args.username, password)
    except QipingError as error:
        print(error.message(lang), file=sys.stderr)
        return 1
    print(t("cli.admin_created", lang, username=args.username.strip().lower()))
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
    if not path.is_file():
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
    args = parser.parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
