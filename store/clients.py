"""Client institutions (위탁사), their funds, API keys and the API audit log
(store/sql/006_clients.sql, docs/clients-format.md sections 1-2).

Storage only: `engine.clients.clients` and `engine.clients.keys` decide what may be made or
changed and how keys are made and checked. A key's row holds its salt and hash, never the key.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from store.db import scalar, transaction

AUDIT_COLUMNS = ("called_at", "key_id", "client_id", "method", "path", "status", "duration_ms",
                 "address", "calls")  # fmt: skip


# ---------------------------------------------------------------- keys


def _insert_key(
    con: duckdb.DuckDBPyConnection, client_id: str, key_id: str, salt: str, key_hash: str, by: str
) -> None:
    con.execute(
        "INSERT INTO api_keys (key_id, client_id, salt, key_hash, created_by) VALUES (?, ?, ?, ?, ?)",
        [key_id, client_id, salt, key_hash, by],
    )


def insert_key(
    con: duckdb.DuckDBPyConnection,
    client_id: str,
    key_id: str,
    salt: str,
    key_hash: str,
    *,
    by: str,
) -> None:
    """Insert one key row (its salt and hash) for a client."""
    with transaction(con):
        _insert_key(con, client_id, key_id, salt, key_hash, by)


def list_keys(con: duckdb.DuckDBPyConnection, client_id: str | None = None) -> pd.DataFrame:
    """The keys (never their hashes), newest first; `active` is false once revoked."""
    return con.execute(
        "SELECT key_id, client_id, created_at, created_by, revoked_at, revoked_by,"
        " revoked_at IS NULL AS active FROM api_keys WHERE (? IS NULL OR client_id = ?)"
        " ORDER BY created_at DESC, key_id",
        [client_id, client_id],
    ).df()


def client_has_key(con: duckdb.DuckDBPyConnection, client_id: str, key_id: str) -> bool:
    """Whether the key (revoked or not) belongs to the client."""
    return bool(
        scalar(
            con,
            "SELECT count(*) FROM api_keys WHERE key_id = ? AND client_id = ?",
            [key_id, client_id],
        )
    )


def mark_key_revoked(con: duckdb.DuckDBPyConnection, key_id: str, *, by: str) -> bool:
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


def mark_client_keys_revoked(con: duckdb.DuckDBPyConnection, client_id: str, *, by: str) -> int:
    """Revoke every active key of a client; how many were revoked."""
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


def active_key_records(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, str, str]]:
    """(key_id, client_id, salt, key_hash) of every key that verifies: not revoked, of an
    enabled client; by key id (what `store.key_file` writes for the API)."""
    return con.execute(
        "SELECT k.key_id, k.client_id, k.salt, k.key_hash FROM api_keys k"
        " JOIN clients c USING (client_id) WHERE k.revoked_at IS NULL AND NOT c.disabled"
        " ORDER BY k.key_id"
    ).fetchall()


# ---------------------------------------------------------------- clients and their funds


def all_client_ids(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Every client id, sorted."""
    return [r[0] for r in con.execute("SELECT client_id FROM clients ORDER BY 1").fetchall()]


def client_exists(con: duckdb.DuckDBPyConnection, client_id: str) -> bool:
    """Whether the client exists (False while the clients table is not there)."""
    has_table = scalar(
        con,
        "SELECT count(*) FROM information_schema.tables"
        " WHERE table_catalog = current_database() AND table_name = 'clients'",
    )
    if not has_table:
        return False
    return bool(scalar(con, "SELECT count(*) FROM clients WHERE client_id = ?", [client_id]))


def client_name_taken(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    """Whether a client has this name."""
    return bool(scalar(con, "SELECT count(*) FROM clients WHERE name = ?", [name]))


def funds_of_company(con: duckdb.DuckDBPyConnection, company: str) -> list[str]:
    """Fund ids of a management company (funds.company_id), sorted."""
    rows = con.execute(
        "SELECT fund_id FROM funds WHERE company_id = ? ORDER BY fund_id", [company]
    ).fetchall()
    return [r[0] for r in rows]


def known_funds(con: duckdb.DuckDBPyConnection, fund_ids: list[str]) -> set[str]:
    """Those of `fund_ids` that are in the funds table."""
    rows = con.execute(
        "SELECT fund_id FROM funds WHERE list_contains(?, fund_id)", [fund_ids]
    ).fetchall()
    return {r[0] for r in rows}


def _next_client_id(con: duckdb.DuckDBPyConnection) -> str:
    value = scalar(
        con,
        "SELECT max(TRY_CAST(regexp_extract(client_id, '^c-(\\d+)$', 1) AS INTEGER)) FROM clients",
    )
    return f"c-{int(value or 0) + 1:04d}"


def insert_client(
    con: duckdb.DuckDBPyConnection,
    name: str,
    fund_ids: list[str],
    *,
    key_id: str,
    salt: str,
    key_hash: str,
    by: str,
) -> str:
    """Insert a client under the next free id `c-NNNN`, its funds and its first key, in one
    transaction; the new client id."""
    with transaction(con):
        client_id = _next_client_id(con)
        con.execute(
            "INSERT INTO clients (client_id, name, created_by) VALUES (?, ?, ?)",
            [client_id, name, by],
        )
        con.execute(
            "INSERT INTO client_funds (client_id, fund_id, added_by) SELECT ?, unnest(?), ?",
            [client_id, fund_ids, by],
        )
        _insert_key(con, client_id, key_id, salt, key_hash, by)
    return client_id


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


def update_disabled(con: duckdb.DuckDBPyConnection, client_id: str, disabled: bool) -> None:
    """Set a client's disabled flag."""
    with transaction(con):
        con.execute("UPDATE clients SET disabled = ? WHERE client_id = ?", [disabled, client_id])


def client_funds(con: duckdb.DuckDBPyConnection, client_id: str) -> list[str]:
    """The client's fund ids, sorted (empty for an unknown client)."""
    rows = con.execute(
        "SELECT fund_id FROM client_funds WHERE client_id = ? ORDER BY fund_id", [client_id]
    ).fetchall()
    return [r[0] for r in rows]


def replace_client_funds(
    con: duckdb.DuckDBPyConnection, client_id: str, fund_ids: list[str], *, by: str
) -> None:
    """Replace the client's funds with `fund_ids` in one transaction."""
    with transaction(con):
        con.execute("DELETE FROM client_funds WHERE client_id = ?", [client_id])
        con.execute(
            "INSERT INTO client_funds (client_id, fund_id, added_by) SELECT ?, unnest(?), ?",
            [client_id, fund_ids, by],
        )


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
