"""`python -m workbench user add|list|disable|enable|password …`: the app's users, headless.

Thin layers over `engine.clients.users`. Without `--password-stdin`, `add` and `password`
generate a one-time password and print it once; only its argon2id hash is stored.
"""

from __future__ import annotations

import argparse
import sys

from engine.clients.users import (
    UserError,
    add_user,
    count_users,
    generate_password,
    list_users,
    set_disabled,
    set_password,
)
from store.db import connect
from store.home import Home

CLI_USER = "cli"  # who the command line records as the author of its writes


class UserCliError(ValueError):
    """A bad user request: one line, exit status 2."""


def _translate(func):
    """Run a command, turning engine.clients.users errors into one-line CLI errors."""

    def command(args: argparse.Namespace, home: Home) -> dict:
        try:
            return func(args, home)
        except UserError as exc:
            raise UserCliError(str(exc)) from exc

    command.__doc__ = func.__doc__
    return command


def _password(args: argparse.Namespace) -> tuple[str, bool]:
    """(password, generated): one line from stdin with --password-stdin, else a new one."""
    if getattr(args, "password_stdin", False):
        line = sys.stdin.readline().rstrip("\r\n")
        if not line:
            raise UserCliError("--password-stdin: no password on standard input")
        return line, False
    return generate_password(), True


def _plain(user: dict) -> dict:
    return {k: (v.isoformat(sep=" ") if hasattr(v, "isoformat") else v) for k, v in user.items()}


@_translate
def cmd_user_add(args: argparse.Namespace, home: Home) -> dict:
    """Add a user (analyst | admin | client); prints a generated password once."""
    password, generated = _password(args)
    with connect(home) as con:
        user = add_user(
            con, args.name, args.role, password, client_id=args.client, created_by=CLI_USER
        )
    result = {"user": _plain(user)}
    if generated:
        result["password"] = password
        result["summary"] = (
            f"user '{user['user_name']}' ({user['role']}) added; one-time password: {password}\n"
            "(shown once: note it now; change it with `user password NAME --password-stdin`)"
        )
    else:
        result["summary"] = f"user '{user['user_name']}' ({user['role']}) added"
    return result


@_translate
def cmd_user_list(args: argparse.Namespace, home: Home) -> dict:
    """List the users (never their password hashes)."""
    with connect(home) as con:
        users = [_plain(u) for u in list_users(con)]
    lines = [
        f"{u['user_name']:<20} {u['role']:<8} {u['client_id'] or '-':<8} "
        f"{'disabled' if u['disabled'] else 'enabled':<9} last log-in {u['last_login_at'] or '-'}"
        for u in users
    ]
    if not users:
        lines = ["no users: the app runs in single-user mode (add one: user add NAME --role admin)"]
    return {"users": users, "summary": "\n".join(lines)}


def _set_disabled(args: argparse.Namespace, home: Home, disabled: bool) -> dict:
    with connect(home) as con:
        user = set_disabled(con, args.name, disabled)
    word = "disabled" if disabled else "enabled"
    return {"user": _plain(user), "summary": f"user '{args.name}' {word}"}


@_translate
def cmd_user_disable(args: argparse.Namespace, home: Home) -> dict:
    """Disable a user: it can no longer log in (its records keep its name)."""
    return _set_disabled(args, home, True)


@_translate
def cmd_user_enable(args: argparse.Namespace, home: Home) -> dict:
    """Enable a disabled user again."""
    return _set_disabled(args, home, False)


@_translate
def cmd_user_password(args: argparse.Namespace, home: Home) -> dict:
    """Set a user's password (generated and printed once without --password-stdin)."""
    password, generated = _password(args)
    with connect(home) as con:
        user = set_password(con, args.name, password)
    result = {"user": _plain(user), "summary": f"password of '{args.name}' changed"}
    if generated:
        result["password"] = password
        result["summary"] += f"; one-time password: {password} (shown once)"
    return result


def create_first_admin(home: Home, name: str = "admin") -> dict | None:
    """Create the admin `name` with a generated password if the store has no user; the
    {"user", "password"} to print once, or None when users exist already."""
    with connect(home) as con:
        if count_users(con):
            return None
        password = generate_password()
        user = add_user(con, name, "admin", password, created_by=CLI_USER)
    return {"user": _plain(user), "password": password}
