"""Command line for operators: ``python -m surveys init-admin``."""
from __future__ import annotations

import argparse
import getpass
import os
import sys

from i18n import t
from surveys import accounts, startup
from surveys.errors import QipingError


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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m surveys")
    commands = parser.add_subparsers(dest="command", required=True)
    admin = commands.add_parser("init-admin", help="create the first administrator of a real deployment")
    admin.add_argument("--username", default="admin")
    admin.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    admin.set_defaults(run=init_admin)
    args = parser.parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
