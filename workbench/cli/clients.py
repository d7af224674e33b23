"""`python -m workbench client|model|release|api …`: client institutions, headless.

Thin layers over `engine.clients` (clients, registry, releases) and `workbench.api.app`
(docs/clients-format.md): `client create NAME --funds F1,F2 | --company NAME` prints the new
key once, `client list|revoke|key`, `model approve|retire|list` keep the model registry,
`release publish|list` freeze what a client sees, and `api` serves the REST API. Writes record
`--by NAME` (default: the OS user, else "single-user").
"""

from __future__ import annotations

import argparse
import json

import pandas as pd

from engine.clients.clients import create_client, create_key, list_clients, revoke_keys_of
from engine.clients.registry import approve, list_models, retire
from engine.clients.releases import list_releases, publish
from engine.evaluation.jobs import sync
from store.db import connect
from store.home import Home
from workbench.api.app import serve


def _table(frame, columns: tuple[str, ...]) -> str:
    """A plain text table of `columns` (dates cut to the second), or '(none)'."""
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
    return json.loads(frame.to_json(orient="records", date_format="iso"))


# ---------------------------------------------------------------- client


def cmd_client_create(args: argparse.Namespace, home: Home) -> dict:
    """Create a client with its funds and print its first API key (shown only this once)."""
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
    with connect(home) as con:
        frame = list_clients(con)
    columns = ("client_id", "name", "n_funds", "n_keys", "disabled", "created_by", "created_at")
    return {"clients": _records(frame), "count": len(frame), "summary": _table(frame, columns)}


def cmd_client_revoke(args: argparse.Namespace, home: Home) -> dict:
    """Revoke every active API key of a client (or only --key KEY_ID)."""
    with connect(home) as con:
        revoked = revoke_keys_of(con, args.client_id, args.key, by=args.by)
    return {"client_id": args.client_id, "revoked": revoked,
            "summary": f"{revoked} key(s) of {args.client_id} revoked"}  # fmt: skip


def cmd_client_key(args: argparse.Namespace, home: Home) -> dict:
    """Make a new API key for a client (printed once; older keys keep working until revoked)."""
    with connect(home) as con:
        made = create_key(con, args.client_id, by=args.by)
    return {**made, "summary": f"new API key for {made['client_id']} (shown once): {made['key']}"}


# ---------------------------------------------------------------- model


def cmd_model_approve(args: argparse.Namespace, home: Home) -> dict:
    """Approve a finished run's model for one client (--client) or for all clients."""
    with connect(home) as con:
        row = approve(con, args.run_id, client_id=args.client, by=args.by, reason=args.reason)
    where = "all clients" if row["client_id"] == "*" else row["client_id"]
    return {**row, "summary": f"{row['run_id']} approved for {where} by {row['promoted_by']}"}


def cmd_model_retire(args: argparse.Namespace, home: Home) -> dict:
    """Retire an approved run (for --client, or everywhere); the previous approval comes back."""
    with connect(home) as con:
        row = retire(con, args.run_id, client_id=args.client, by=args.by, reason=args.reason)
    where = "all clients" if row["client_id"] == "*" else row["client_id"]
    return {**row, "summary": f"{row['run_id']} retired for {where} by {row['promoted_by']}"}


def cmd_model_list(args: argparse.Namespace, home: Home) -> dict:
    """Every promoted model with its state per scope and its model-card facts."""
    with connect(home) as con:
        frame = list_models(con)
    columns = ("run_id", "scope", "state", "promoted_by", "promoted_at", "methodology_id",
               "methodology_version", "held_out_exact", "reason")  # fmt: skip
    return {"models": _records(frame), "count": len(frame), "summary": _table(frame, columns)}


# ---------------------------------------------------------------- release


def cmd_release_publish(args: argparse.Namespace, home: Home) -> dict:
    """Freeze the client's approved model's evaluation of its funds as its next release."""
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
    with connect(home) as con:
        frame = list_releases(con, args.client)
    columns = ("client_id", "version", "run_id", "as_of", "n_funds", "evaluation_id",
               "published_by", "published_at")  # fmt: skip
    return {"releases": _records(frame), "count": len(frame), "summary": _table(frame, columns)}


# ---------------------------------------------------------------- api


def cmd_api(args: argparse.Namespace, home: Home) -> dict:
    """Serve the client REST API with uvicorn until interrupted."""
    if not 0 < args.port < 65536:
        raise ValueError(f"--port must be 1-65535, got {args.port}")
    serve(home, host=args.host, port=args.port)
    return {"host": args.host, "port": args.port, "summary": "API stopped"}
