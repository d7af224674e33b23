"""Client institutions (위탁사), their funds, API keys and the API audit log
(store/sql/006_clients.sql, docs/clients-format.md sections 1-2).

A key reads `lgk_<key_id>_<secret>`: `key_id` is public (12 hex characters, the row's id),
`secret` is `secrets.token_urlsafe(32)` (256 random bits). Only a random salt and
SHA-256(salt + secret) are stored; the key is shown once, when it is made. With 256 bits of
entropy a brute-force search is hopeless even against a fast hash, so a slow password hash
would only cost API throughput. Verification compares digests with `hmac.compare_digest`.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

import duckdb
import pandas as pd

from store.db import scalar, transaction

KEY_PREFIX = "lgk_"
KEY_RE = re.compile(r"^lgk_([0-9a-f]{12})_([A-Za-z0-9_-]{20,})$")
CLIENT_ID_RE = re.compile(r"^c-(\d{4,})$")
AUDIT_COLUMNS = ("called_at", "key_id", "client_id", "method", "path", "status", "duration_ms",
                 "address", "calls")  # fmt: skip


class ClientError(ValueError):
    """A client, its funds or a key cannot be made or changed; one line says why."""


# ---------------------------------------------------------------- keys


def _digest(salt: str, secret: str) -> str:
    return hashlib.sha256(bytes.fromhex(salt) + secret.encode("utf-8")).hexdigest()


def split_key(key: str) -> tuple[str, str] | None:
    """(key_id, secret) of a well-formed key; None for anything else."""
    match = KEY_RE.match((key or "").strip())
    return (match.group(1), match.group(2)) if match else None


def _new_key(con: duckdb.DuckDBPyConnection, client_id: str, by: str) -> dict:
    key_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    salt = secrets.token_hex(16)
    con.execute(
        "INSERT INTO api_keys (key_id, client_id, salt, key_hash, created_by) VALUES (?, ?, ?, ?, ?)",
        [key_id, client_id, salt, _digest(salt, secret), by],
    )
    return {"client_id": client_id, "key_id": key_id, "key": f"{KEY_PREFIX}{key_id}_{secret}"}


def create_key(con: duckdb.DuckDBPyConnection, client_id: str, *, by: str) -> dict:
    """A new key for a client: {"client_id", "key_id", "key"}; the key is not kept anywhere."""
    _require(con, client_id)
    with transaction(con):
        return _new_key(con, client_id, by)


def list_keys(con: duckdb.DuckDBPyConnection, client_id: str | None = None) -> pd.DataFrame:
    """The keys (never their hashes), newest first; `active` is false once revoked."""
    return con.execute(
        "SELECT key_id, client_id, created_at, created_by, revoked_at, revoked_by,"
        " revoked_at IS NULL AS active FROM api_keys WHERE (? IS NULL OR client_id = ?)"
        " ORDER BY created_at DESC, key_id",
        [client_id, client_id],
    ).df()


def revoke_key(con: duckdb.DuckDBPyConnection, key_id: str, *, by: str) -> bool:
    """Revoke one key; False when it is unknown or already revoked."""
    with transaction(con):
        found = scalar(
            con, "SELECT count(*) FROM api_keys WHERE key_id = ? AND revoked_at IS NULL", [key_id]
        )
        if found:
            con.execute(
                "UPDATE api_keys SET revoked_at = current_timestamp, revoked_by = ?"
                " WHERE key_id = ?",
                [by, key_id],
            )
    return bool(found)


def revoke_client_keys(con: duckdb.DuckDBPyConnection, client_id: str, *, by: str) -> int:
    """Revoke every active key of a client; how many were revoked."""
    _require(con, client_id)
    with transaction(con):
        count = int(
            scalar(
                con,
                "SELECT count(*) FROM api_keys WHERE client_id = ? AND revoked_at IS NULL",
                [client_id],
            )
        )
        con.execute(
            "UPDATE api_keys SET revoked_at = current_timestamp, revoked_by = ?"
            " WHERE client_id = ? AND revoked_at IS NULL",
            [by, client_id],
        )
    return count


def key_record(con: duckdb.DuckDBPyConnection, key_id: str) -> dict | None:
    """{"key_id", "client_id", "salt", "key_hash", "active"} of a key (for verification caches)."""
    rows = con.execute(
        "SELECT k.key_id, k.client_id, k.salt, k.key_hash,"
        " k.revoked_at IS NULL AND NOT coalesce(c.disabled, true) AS active"
        " FROM api_keys k LEFT JOIN clients c USING (client_id) WHERE k.key_id = ?",
        [key_id],
    ).fetchall()
    if not rows:
        return None
    return dict(zip(("key_id", "client_id", "salt", "key_hash", "active"), rows[0], strict=True))


def check_secret(record: dict | None, secret: str) -> bool:
    """True when `record` is active and its hash is that of `secret` (constant-time compare)."""
    if not record or not record["active"]:
        return False
    return hmac.compare_digest(_digest(record["salt"], secret), record["key_hash"])


def verify_key(con: duckdb.DuckDBPyConnection, key: str) -> dict | None:
    """{"key_id", "client_id"} for an active key of an enabled client; None otherwise."""
    parts = split_key(key)
    if parts is None:
        return None
    record = key_record(con, parts[0])
    if not check_secret(record, parts[1]):
        return None
    return {"key_id": record["key_id"], "client_id": record["client_id"]}


# ---------------------------------------------------------------- clients and their funds


def _require(con: duckdb.DuckDBPyConnection, client_id: str) -> None:
    if not scalar(con, "SELECT count(*) FROM clients WHERE client_id = ?", [client_id]):
        raise ClientError(f"there is no client {client_id} (see: python -m workbench client list)")


def funds_of_company(con: duckdb.DuckDBPyConnection, company: str) -> list[str]:
    """Fund ids of a management company (funds.company_id), sorted."""
    rows = con.execute(
        "SELECT fund_id FROM funds WHERE company_id = ? ORDER BY fund_id", [company]
    ).fetchall()
    return [r[0] for r in rows]


def _checked_funds(con: duckdb.DuckDBPyConnection, fund_ids: list[str]) -> list[str]:
    wanted = sorted({f.strip() for f in fund_ids if f and f.strip()})
    if not wanted:
        raise ClientError("a client needs at least one fund (--funds F1,F2 or --company NAME)")
    known = {
        r[0]
        for r in con.execute(
            "SELECT fund_id FROM funds WHERE list_contains(?, fund_id)", [wanted]
        ).fetchall()
    }
    missing = [f for f in wanted if f not in known]
    if missing:
        shown = ", ".join(missing[:5]) + (" …" if len(missing) > 5 else "")
        raise ClientError(f"unknown fund id(s): {shown}")
    return wanted


def _next_client_id(con: duckdb.DuckDBPyConnection) -> str:
    value = scalar(
        con,
        "SELECT max(TRY_CAST(regexp_extract(client_id, '^c-(\\d+)$', 1) AS INTEGER)) FROM clients",
    )
    return f"c-{int(value or 0) + 1:04d}"


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
    if scalar(con, "SELECT count(*) FROM clients WHERE name = ?", [name]):
        raise ClientError(f"a client named '{name}' exists already")
    with transaction(con):
        client_id = _next_client_id(con)
        con.execute(
            "INSERT INTO clients (client_id, name, created_by) VALUES (?, ?, ?)",
            [client_id, name, by],
        )
        con.execute(
            "INSERT INTO client_funds (client_id, fund_id, added_by) SELECT ?, unnest(?), ?",
            [client_id, funds, by],
        )
        key = _new_key(con, client_id, by)
    return {"client_id": client_id, "name": name, "key_id": key["key_id"], "key": key["key"],
            "n_funds": len(funds)}  # fmt: skip


def list_clients(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Clients with their fund and active-key counts, by id."""
    return con.execute(
        "SELECT c.client_id, c.name, c.created_at, c.created_by, c.disabled,"
        " (SELECT count(*) FROM client_funds f WHERE f.client_id = c.client_id) AS n_funds,"
        " (SELECT count(*) FROM api_keys k WHERE k.client_id = c.client_id"
        "   AND k.revoked_at IS NULL) AS n_keys"
        " FROM clients c ORDER BY c.client_id"
    ).df()


def get_client(con: duckdb.DuckDBPyConnection, client_id: str) -> dict | None:
    """A client's row (client_id, name, created_at, created_by, disabled) or None."""
    rows = con.execute(
        "SELECT client_id, name, created_at, created_by, disabled FROM clients WHERE client_id = ?",
        [client_id],
    ).fetchall()
    keys = ("client_id", "name", "created_at", "created_by", "disabled")
    return dict(zip(keys, rows[0], strict=True)) if rows else None


def set_disabled(
    con: duckdb.DuckDBPyConnection, client_id: str, disabled: bool, *, by: str
) -> None:
    """Disable (its keys stop working) or enable a client. `by` is accepted for the record."""
    _require(con, client_id)
    with transaction(con):
        con.execute("UPDATE clients SET disabled = ? WHERE client_id = ?", [disabled, client_id])


def client_funds(con: duckdb.DuckDBPyConnection, client_id: str) -> list[str]:
    """The client's fund ids, sorted (empty for an unknown client)."""
    rows = con.execute(
        "SELECT fund_id FROM client_funds WHERE client_id = ? ORDER BY fund_id", [client_id]
    ).fetchall()
    return [r[0] for r in rows]


def set_client_funds(
    con: duckdb.DuckDBPyConnection, client_id: str, fund_ids: list[str], *, by: str
) -> int:
    """Replace the client's funds; how many it has now."""
    _require(con, client_id)
    funds = _checked_funds(con, fund_ids)
    with transaction(con):
        con.execute("DELETE FROM client_funds WHERE client_id = ?", [client_id])
        con.execute(
            "INSERT INTO client_funds (client_id, fund_id, added_by) SELECT ?, unnest(?), ?",
            [client_id, funds, by],
        )
    return len(funds)


# ---------------------------------------------------------------- audit log


def write_audit(con: duckdb.DuckDBPyConnection, rows: list[dict]) -> int:
    """Append audit rows (keys of AUDIT_COLUMNS; `calls` defaults to 1) in one statement; how
    many rows."""
    if not rows:
        return 0
    frame = pd.DataFrame([{c: r.get(c) for c in AUDIT_COLUMNS} for r in rows])
    frame["calls"] = frame["calls"].fillna(1)
    frame = frame.astype({"status": "int64", "duration_ms": "float64", "calls": "int64"})
    frame["called_at"] = pd.to_datetime(frame["called_at"])
    con.register("new_audit", frame)
    try:
        with transaction(con):
            con.execute(
                f"INSERT INTO api_audit ({', '.join(AUDIT_COLUMNS)})"
                f" SELECT {', '.join(AUDIT_COLUMNS)} FROM new_audit"
            )
    finally:
        con.unregister("new_audit")
    return len(frame)


def audit_log(
    con: duckdb.DuckDBPyConnection, *, client_id: str | None = None, limit: int = 500
) -> pd.DataFrame:
    """API calls, newest first (called_at, key_id, client_id, method, path, status, duration_ms,
    address, calls: how many calls the row stands for, more than 1 for summed anonymous calls)."""
    return con.execute(
        f"SELECT {', '.join(AUDIT_COLUMNS)} FROM api_audit WHERE (? IS NULL OR client_id = ?)"
        " ORDER BY called_at DESC LIMIT ?",
        [client_id, client_id, int(limit)],
    ).df()
