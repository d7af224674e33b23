"""Arguments of the `users` command group; the commands live in workbench/cli/users.py."""

from __future__ import annotations

import argparse

PASSWORD_STDIN_HELP = (
    "read the password from standard input (refused when short, common, blank or the user name)"
)


def add_parsers(
    sub: argparse._SubParsersAction, common: argparse.ArgumentParser, date_type
) -> None:
    """Register `user add|list|disable|enable|password` on the main parser."""
    group = sub.add_parser("user", help="users of the app: add, list, disable, enable, password")
    usub = group.add_subparsers(dest="action", required=True, parser_class=type(group))

    p = usub.add_parser(
        "add",
        parents=[common],
        help="Add a user (analyst | admin | client); prints a generated password once.",
    )
    p.add_argument("name", metavar="NAME")
    p.add_argument("--role", required=True, choices=["analyst", "admin", "client"])
    p.add_argument("--client", metavar="CLIENT_ID", help="the client a client user belongs to")
    p.add_argument("--password-stdin", action="store_true", help=PASSWORD_STDIN_HELP)
    p.set_defaults(func="users:cmd_user_add")

    p = usub.add_parser(
        "list", parents=[common], help="List the users (never their password hashes)."
    )
    p.set_defaults(func="users:cmd_user_list")

    p = usub.add_parser(
        "disable",
        parents=[common],
        help="Disable a user: it can no longer log in (its records keep its name).",
    )
    p.add_argument("name", metavar="NAME")
    p.set_defaults(func="users:cmd_user_disable")

    p = usub.add_parser("enable", parents=[common], help="Enable a disabled user again.")
    p.add_argument("name", metavar="NAME")
    p.set_defaults(func="users:cmd_user_enable")

    p = usub.add_parser(
        "password",
        parents=[common],
        help="Set a user's password (generated and printed once without --password-stdin).",
    )
    p.add_argument("name", metavar="NAME")
    p.add_argument("--password-stdin", action="store_true", help=PASSWORD_STDIN_HELP)
    p.set_defaults(func="users:cmd_user_password")
