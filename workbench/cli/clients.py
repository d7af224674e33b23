"""`python -m workbench client|model|release|api …`: client institutions, headless.

Thin layers over `engine.clients` (clients, registry, releases) and `workbench.api.app`
(docs/clients-format.md): `client create NAME --funds F1,F2 | --company NAME` prints the new
key once, `client list|revoke|key`, `model approve|retire|list` keep the model registry,
`release publish|list` freeze what a client sees, and `api` serves the REST API. Writes record
`--by NAME` (default: the OS user, else "single-user").
"""

from __future__ import annotations

import argparse
import getpass

from store.home import Home


def _default_by() -> str:
    try:
        return getpass.getuser() or "single-user"
    except (KeyError, OSError):
        return "single-user"


def _table(frame, columns: tuple[str, ...]) -> str:
    """A plain text table of `columns` (dates cut to the second), or '(none)'."""
    import pandas as pd

    if frame.empty:
        return "(none)"
    cells = [list(columns)]
    for row in frame[list(columns)].itertuples(index=False):
        cells.append(["-" if v is None or (not isinstance(v, str) and pd.isna(v))
                      else str(v)[:19] for v in row])  # fmt: skip
    widths = [max(len(r[i]) for r in cells) for i in range(len(columns))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
                     for r in cells)  # fmt: skip


def _records(frame) -> list[dict]:
    import json

    return json.loads(frame.to_json(orient="records", date_format="iso"))


# ---------------------------------------------------------------- client


def cmd_client_create(args: argparse.Namespace, home: Home) -> dict:
    """Create a client with its funds and print its first API key (shown only this once)."""
    from engine.clients.clients import create_client
    from store.db import connect

    funds = [f for f in args.funds.split(",")] if args.funds is not None else None
    with connect(home) as con:
        made = create_client(con, args.name, fund_ids=funds, company=args.company, by=args.by)
    return {
        **made,
        "summary": f"client {made['client_id']} ({made['name']}) with {made['n_funds']} funds\n"
        f"API key (shown once, keep it safe): {made['key']}",
    }


def cmd_client_list(args: argparse.Namespace, home: Home) -> dict:
    """Clients with their fund and active-key counts."""
    from engine.clients.clients import list_clients
    from store.db import connect

    with connect(home) as con:
        frame = list_clients(con)
    columns = ("client_id", "name", "n_funds", "n_keys", "disabled", "created_by", "created_at")
    return {"clients": _records(frame), "count": len(frame), "summary": _table(frame, columns)}


def cmd_client_revoke(args: argparse.Namespace, home: Home) -> dict:
    """Revoke every active API key of a client (or only --key KEY_ID)."""
    from engine.clients.clients import revoke_keys_of
    from store.db import connect

    with connect(home) as con:
        revoked = revoke_keys_of(con, args.client_id, args.key, by=args.by)
    return {"client_id": args.client_id, "revoked": revoked,
            "summary": f"{revoked} key(s) of {args.client_id} revoked"}  # fmt: skip


def cmd_client_key(args: argparse.Namespace, home: Home) -> dict:
    """Make a new API key for a client (printed once; older keys keep working until revoked)."""
    from engine.clients.clients import create_key
    from store.db import connect

    with connect(home) as con:
        made = create_key(con, args.client_id, by=args.by)
    return {**made, "summary": f"new API key for {made['client_id']} (shown once): {made['key']}"}


# ---------------------------------------------------------------- model


def cmd_model_approve(args: argparse.Namespace, home: Home) -> dict:
    """Approve a finished run's model for one client (--client) or for all clients."""
    from engine.clients.registry import approve
    from store.db import connect

    with connect(home) as con:
        row = approve(con, args.run_id, client_id=args.client, by=args.by, reason=args.reason)
    where = "all clients" if row["client_id"] == "*" else row["client_id"]
    return {**row, "summary": f"{row['run_id']} approved for {where} by {row['promoted_by']}"}


def cmd_model_retire(args: argparse.Namespace, home: Home) -> dict:
    """Retire an approved run (for --client, or everywhere); the previous approval comes back."""
    from engine.clients.registry import retire
    from store.db import connect

    with connect(home) as con:
        row = retire(con, args.run_id, client_id=args.client, by=args.by, reason=args.reason)
    where = "all clients" if row["client_id"] == "*" else row["client_id"]
    return {**row, "summary": f"{row['run_id']} retired for {where} by {row['promoted_by']}"}


def cmd_model_list(args: argparse.Namespace, home: Home) -> dict:
    """Every promoted model with its state per scope and its model-card facts."""
    from engine.clients.registry import list_models
    from store.db import connect

    with connect(home) as con:
        frame = list_models(con)
    columns = ("run_id", "scope", "state", "promoted_by", "promoted_at", "methodology_id",
               "methodology_version", "held_out_exact", "reason")  # fmt: skip
    return {"models": _records(frame), "count": len(frame), "summary": _table(frame, columns)}


# ---------------------------------------------------------------- release


def cmd_release_publish(args: argparse.Namespace, home: Home) -> dict:
    """Freeze the client's approved model's evaluation of its funds as its next release."""
    from engine.clients.releases import publish
    from engine.evaluation.jobs import sync
    from store.db import connect

    sync(home)  # import evaluations that finished in the background
    as_of = args.as_of.isoformat() if args.as_of else None
    with connect(home) as con:
        release = publish(
            con, args.client, as_of=as_of, by=args.by, note=args.note, allow_partial=args.partial
        )
    return {
        **{k: str(v) if k in ("as_of", "published_at") else v for k, v in release.items()},
        "summary": f"release {release['version']} of {release['client_id']}: "
        f"{release['n_funds']} funds graded by {release['run_id']} as of {release['as_of']} "
        f"({release['evaluation_id']})"
        + (f"; {len(release['missing'])} funds without a grade" if release["missing"] else ""),
    }


def cmd_release_list(args: argparse.Namespace, home: Home) -> dict:
    """Published releases, newest first (of one client with --client)."""
    from engine.clients.releases import list_releases
    from store.db import connect

    with connect(home) as con:
        frame = list_releases(con, args.client)
    columns = ("client_id", "version", "run_id", "as_of", "n_funds", "evaluation_id",
               "published_by", "published_at")  # fmt: skip
    return {"releases": _records(frame), "count": len(frame), "summary": _table(frame, columns)}


# ---------------------------------------------------------------- api


def cmd_api(args: argparse.Namespace, home: Home) -> dict:
    """Serve the client REST API with uvicorn until interrupted."""
    from workbench.api.app import serve

    if not 0 < args.port < 65536:
        raise ValueError(f"--port must be 1-65535, got {args.port}")
    serve(home, host=args.host, port=args.port)
    return {"host": args.host, "port": args.port, "summary": "API stopped"}


def add_parsers(
    sub: argparse._SubParsersAction, common: argparse.ArgumentParser, date_type
) -> None:
    """Register `client`, `model`, `release` and `api` on the main parser."""
    by = argparse.ArgumentParser(add_help=False)
    by.add_argument("--by", default=_default_by(), help="who makes the change (default: OS user)")

    group = sub.add_parser("client", help="client institutions and their API keys")
    csub = group.add_subparsers(dest="action", required=True, parser_class=type(group))
    p = csub.add_parser("create", parents=[common, by], help=cmd_client_create.__doc__)
    p.add_argument("name", metavar="NAME")
    funds = p.add_mutually_exclusive_group(required=True)
    funds.add_argument("--funds", metavar="F1,F2", help="the client's fund ids, comma-separated")
    funds.add_argument("--company", metavar="NAME", help="all funds of a management company")
    p.set_defaults(func=cmd_client_create)
    p = csub.add_parser("list", parents=[common], help=cmd_client_list.__doc__)
    p.set_defaults(func=cmd_client_list)
    p = csub.add_parser("revoke", parents=[common, by], help=cmd_client_revoke.__doc__)
    p.add_argument("client_id", metavar="CLIENT_ID")
    p.add_argument("--key", metavar="KEY_ID", help="revoke only this key")
    p.set_defaults(func=cmd_client_revoke)
    p = csub.add_parser("key", parents=[common, by], help=cmd_client_key.__doc__)
    p.add_argument("client_id", metavar="CLIENT_ID")
    p.set_defaults(func=cmd_client_key)

    group = sub.add_parser("model", help="the model registry: approve, retire, list")
    msub = group.add_subparsers(dest="action", required=True, parser_class=type(group))
    for name, func in (("approve", cmd_model_approve), ("retire", cmd_model_retire)):
        p = msub.add_parser(name, parents=[common, by], help=func.__doc__)
        p.add_argument("run_id", metavar="RUN_ID")
        p.add_argument("--client", default="*", metavar="CLIENT_ID", help="default: all clients")
        p.add_argument("--reason", required=True, help="why (recorded)")
        p.set_defaults(func=func)
    p = msub.add_parser("list", parents=[common], help=cmd_model_list.__doc__)
    p.set_defaults(func=cmd_model_list)

    group = sub.add_parser("release", help="releases: publish, list")
    rsub = group.add_subparsers(dest="action", required=True, parser_class=type(group))
    p = rsub.add_parser("publish", parents=[common, by], help=cmd_release_publish.__doc__)
    p.add_argument("--client", required=True, metavar="CLIENT_ID")
    p.add_argument("--as-of", type=date_type, help="latest evaluation date to use (YYYY-MM-DD)")
    p.add_argument("--note", help="a note kept with the release")
    p.add_argument(
        "--partial", action="store_true", help="publish even if some funds have no grade"
    )
    p.set_defaults(func=cmd_release_publish)
    p = rsub.add_parser("list", parents=[common], help=cmd_release_list.__doc__)
    p.add_argument("--client", metavar="CLIENT_ID", help="only this client")
    p.set_defaults(func=cmd_release_list)

    p = sub.add_parser("api", parents=[common], help=cmd_api.__doc__)
    p.add_argument("--host", default="127.0.0.1", help="default 127.0.0.1 (loopback only)")
    p.add_argument("--port", type=int, default=8000, help="default 8000")
    p.set_defaults(func=cmd_api)
