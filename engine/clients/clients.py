"""Client institutions (위탁사): making them, their funds and their keys, with the rules for
each (docs/clients-format.md sections 1-2). The rows are `store.clients`'s; the reads the
pages and the CLI show are that module's queries, passed through here.

Every change of keys or clients goes through `store.key_file.changing`, and every change of a
client's funds through `store.release_files.changing`, so that the files the API answers from
follow the store at once (docs/api-release-files.md)."""

from __future__ import annotations

import duckdb

from engine.clients.keys import make_key
from store import clients as client_store
from store import key_file, release_files
from store.clients import (
    audit_log,
    client_funds,
    funds_of_company,
    get_client,
    list_clients,
    list_keys,
)

__all__ = [
    "ClientError", "audit_log", "client_funds", "create_client", "create_key", "funds_of_company",
    "get_client", "list_clients", "list_keys", "require_client", "revoke_client_keys",
    "revoke_key", "revoke_keys_of", "set_client_funds", "set_disabled",
]  # fmt: skip


class ClientError(ValueError):
    """A client, its funds or a key cannot be made or changed; one line says why."""


def require_client(con: duckdb.DuckDBPyConnection, client_id: str) -> None:
    """Raise ClientError unless the client exists."""
    if not client_store.client_exists(con, client_id):
        raise ClientError(f"there is no client {client_id} (see: python -m workbench client list)")


def _checked_funds(con: duckdb.DuckDBPyConnection, fund_ids: list[str]) -> list[str]:
    wanted = sorted({f.strip() for f in fund_ids if f and f.strip()})
    if not wanted:
        raise ClientError("a client needs at least one fund (--funds F1,F2 or --company NAME)")
    known = client_store.known_funds(con, wanted)
    missing = [f for f in wanted if f not in known]
    if missing:
        shown = ", ".join(missing[:5]) + (" …" if len(missing) > 5 else "")
        raise ClientError(f"unknown fund id(s): {shown}")
    return wanted


def create_client(
    con: duckdb.DuckDBPyConnection,
    name: str,
    *,
    fund_ids: list[str] | None = None,
    company: str | None = None,
    by: str = "single-user",
) -> dict:
    """A new client with its funds and a first key: {"client_id", "name", "key_id", "key",
    "n_funds"}; the key is returned once and never stored."""
    name = (name or "").strip()
    if not name:
        raise ClientError("a client needs a name")
    if (fund_ids is None) == (company is None):
        raise ClientError("give the client's funds either as --funds F1,F2 or as --company NAME")
    if company is not None:
        fund_ids = funds_of_company(con, company)
        if not fund_ids:
            raise ClientError(f"management company '{company}' has no funds in the store")
    funds = _checked_funds(con, fund_ids or [])
    if client_store.client_name_taken(con, name):
        raise ClientError(f"a client named '{name}' exists already")
    key = make_key()
    with key_file.changing(con):
        client_id = client_store.insert_client(
            con, name, funds, key_id=key.key_id, salt=key.salt, key_hash=key.key_hash, by=by
        )
    release_files.refresh(con, [client_id])  # its funds, no release yet
    return {"client_id": client_id, "name": name, "key_id": key.key_id, "key": key.key,
            "n_funds": len(funds)}  # fmt: skip


def set_disabled(
    con: duckdb.DuckDBPyConnection, client_id: str, disabled: bool, *, by: str
) -> None:
    """Disable (its keys stop working) or enable a client. `by` is accepted for the record."""
    require_client(con, client_id)
    with key_file.changing(con):
        client_store.update_disabled(con, client_id, disabled)


def set_client_funds(
    con: duckdb.DuckDBPyConnection, client_id: str, fund_ids: list[str], *, by: str
) -> int:
    """Replace the client's funds; how many it has now."""
    require_client(con, client_id)
    funds = _checked_funds(con, fund_ids)
    with release_files.changing(con, client_id):
        client_store.replace_client_funds(con, client_id, funds, by=by)
    return len(funds)


def create_key(con: duckdb.DuckDBPyConnection, client_id: str, *, by: str) -> dict:
    """A new key for a client: {"client_id", "key_id", "key"}; the key is not kept anywhere."""
    require_client(con, client_id)
    key = make_key()
    with key_file.changing(con):
        client_store.insert_key(con, client_id, key.key_id, key.salt, key.key_hash, by=by)
    return {"client_id": client_id, "key_id": key.key_id, "key": key.key}


def revoke_key(con: duckdb.DuckDBPyConnection, key_id: str, *, by: str) -> bool:
    """Revoke one key; False when it is unknown or already revoked."""
    with key_file.changing(con):
        return client_store.mark_key_revoked(con, key_id, by=by)


def revoke_keys_of(
    con: duckdb.DuckDBPyConnection, client_id: str, key_id: str | None = None, *, by: str
) -> int:
    """Revoke one key of the client (`key_id`, which must be the client's) or all its active
    keys; how many were revoked."""
    if get_client(con, client_id) is None:
        raise ClientError(f"there is no client {client_id}")
    if key_id:
        if not client_store.client_has_key(con, client_id, key_id):
            raise ClientError(f"client {client_id} has no key {key_id}")
        return int(revoke_key(con, key_id, by=by))
    return revoke_client_keys(con, client_id, by=by)


def revoke_client_keys(con: duckdb.DuckDBPyConnection, client_id: str, *, by: str) -> int:
    """Revoke every active key of a client; how many were revoked."""
    require_client(con, client_id)
    with key_file.changing(con):
        return client_store.mark_client_keys_revoked(con, client_id, by=by)
