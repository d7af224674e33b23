"""Arguments of the `clients` command group; the commands live in workbench/cli/clients.py."""

from __future__ import annotations

import argparse
import getpass


def _default_by() -> str:
    try:
        return getpass.getuser() or "single-user"
    except (KeyError, OSError):
        return "single-user"


def add_parsers(
    sub: argparse._SubParsersAction, common: argparse.ArgumentParser, date_type
) -> None:
    """Register `client`, `model`, `release` and `api` on the main parser."""
    by = argparse.ArgumentParser(add_help=False)
    by.add_argument("--by", default=_default_by(), help="who makes the change (default: OS user)")

    group = sub.add_parser("client", help="client institutions and their API keys")
    csub = group.add_subparsers(dest="action", required=True, parser_class=type(group))
    p = csub.add_parser(
        "create",
        parents=[common, by],
        help="Create a client with its funds and print its first API key (shown only this once).",
    )
    p.add_argument("name", metavar="NAME")
    funds = p.add_mutually_exclusive_group(required=True)
    funds.add_argument("--funds", metavar="F1,F2", help="the client's fund ids, comma-separated")
    funds.add_argument("--company", metavar="NAME", help="all funds of a management company")
    p.set_defaults(func="clients:cmd_client_create")
    p = csub.add_parser(
        "list", parents=[common], help="Clients with their fund and active-key counts."
    )
    p.set_defaults(func="clients:cmd_client_list")
    p = csub.add_parser(
        "revoke",
        parents=[common, by],
        help="Revoke every active API key of a client (or only --key KEY_ID).",
    )
    p.add_argument("client_id", metavar="CLIENT_ID")
    p.add_argument("--key", metavar="KEY_ID", help="revoke only this key")
    p.set_defaults(func="clients:cmd_client_revoke")
    p = csub.add_parser(
        "key",
        parents=[common, by],
        help="Make a new API key for a client (printed once; older keys keep working until revoked).",
    )
    p.add_argument("client_id", metavar="CLIENT_ID")
    p.set_defaults(func="clients:cmd_client_key")

    group = sub.add_parser("model", help="the model registry: approve, retire, list")
    msub = group.add_subparsers(dest="action", required=True, parser_class=type(group))
    approve_or_retire = (
        (
            "approve",
            "clients:cmd_model_approve",
            "Approve a finished run's model for one client (--client) or for all clients.",
        ),
        (
            "retire",
            "clients:cmd_model_retire",
            "Retire an approved run (for --client, or everywhere); the previous approval comes back.",
        ),
    )
    for name, func, text in approve_or_retire:
        p = msub.add_parser(name, parents=[common, by], help=text)
        p.add_argument("run_id", metavar="RUN_ID")
        p.add_argument("--client", default="*", metavar="CLIENT_ID", help="default: all clients")
        p.add_argument("--reason", required=True, help="why (recorded)")
        p.set_defaults(func=func)
    p = msub.add_parser(
        "list",
        parents=[common],
        help="Every promoted model with its state per scope and its model-card facts.",
    )
    p.set_defaults(func="clients:cmd_model_list")

    group = sub.add_parser("release", help="releases: publish, list")
    rsub = group.add_subparsers(dest="action", required=True, parser_class=type(group))
    p = rsub.add_parser(
        "publish",
        parents=[common, by],
        help="Freeze the client's approved model's evaluation of its funds as its next release.",
    )
    p.add_argument("--client", required=True, metavar="CLIENT_ID")
    p.add_argument("--as-of", type=date_type, help="latest evaluation date to use (YYYY-MM-DD)")
    p.add_argument("--note", help="a note kept with the release")
    p.add_argument(
        "--partial", action="store_true", help="publish even if some funds have no grade"
    )
    p.set_defaults(func="clients:cmd_release_publish")
    p = rsub.add_parser(
        "list",
        parents=[common],
        help="Published releases, newest first (of one client with --client).",
    )
    p.add_argument("--client", metavar="CLIENT_ID", help="only this client")
    p.set_defaults(func="clients:cmd_release_list")

    p = sub.add_parser(
        "api", parents=[common], help="Serve the client REST API with uvicorn until interrupted."
    )
    p.add_argument("--host", default="127.0.0.1", help="default 127.0.0.1 (loopback only)")
    p.add_argument("--port", type=int, default=8000, help="default 8000")
    p.set_defaults(func="clients:cmd_api")
