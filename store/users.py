"""Users of the app and their counted log-in failures: rows of `users` and `login_failures`
(store/sql/007_users.sql, 009_login_failures.sql).

Storage only: `engine.clients.users` decides who may be added, which password is good enough
and how failures slow log-ins down. Password hashes are written and read here, never shown:
every public read leaves them out.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

import duckdb

from store.db import scalar, transaction

SINGLE_USER = "single-user"  # who writes while no user exists (single-user mode)
CONFLICT_RETRIES = 8
PUBLIC_COLUMNS = (
    "user_name, role, client_id, disabled, failed_logins, last_login_at, password_set_at,"
    " created_by, created_at"
)
# Counting failures is a read-then-write; one at a time in this process (other processes wait
# for DuckDB's file lock).
_COUNT_LOCK = threading.Lock()
T = TypeVar("T")


def count_users(con: duckdb.DuckDBPyConnection, *, enabled_only: bool = False) -> int:
    """How many users exist (0 means the app runs in single-user mode)."""
    where = " WHERE NOT disabled" if enabled_only else ""
    return int(scalar(con, f"SELECT count(*) FROM users{where}"))


def count_enabled_admins(con: duckdb.DuckDBPyConnection) -> int:
    """How many enabled users have the role admin."""
    return int(scalar(con, "SELECT count(*) FROM users WHERE role = 'admin' AND NOT disabled"))


def get_user(con: duckdb.DuckDBPyConnection, name: str) -> dict | None:
    """One user as a dict (without the password hash), or None."""
    cursor = con.execute(f"SELECT {PUBLIC_COLUMNS} FROM users WHERE user_name = ?", [name])
    rows = cursor.fetchall()
    if not rows:
        return None
    return dict(zip([c[0] for c in cursor.description], rows[0], strict=True))


def list_users(con: duckdb.DuckDBPyConnection) -> list[dict]:
    """Every user, by name (without password hashes)."""
    cursor = con.execute(f"SELECT {PUBLIC_COLUMNS} FROM users ORDER BY user_name")
    columns = [c[0] for c in cursor.description]
    return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def credentials(con: duckdb.DuckDBPyConnection, name: str) -> tuple[str, bool] | None:
    """(password_hash, disabled) of a user, or None for an unknown name."""
    rows = con.execute(
        "SELECT password_hash, disabled FROM users WHERE user_name = ?", [name]
    ).fetchall()
    return (rows[0][0], rows[0][1]) if rows else None


def insert_user(
    con: duckdb.DuckDBPyConnection,
    name: str,
    role: str,
    client_id: str | None,
    password_hash: str,
    *,
    created_by: str,
) -> None:
    """Insert one user row."""
    with transaction(con):
        con.execute(
            "INSERT INTO users (user_name, role, client_id, password_hash, created_by)"
            " VALUES (?, ?, ?, ?, ?)",
            [name, role, client_id, password_hash, created_by],
        )


def update_disabled(con: duckdb.DuckDBPyConnection, name: str, disabled: bool) -> None:
    """Set a user's disabled flag and clear its failed log-in count."""
    with transaction(con):
        con.execute(
            "UPDATE users SET disabled = ?, failed_logins = 0 WHERE user_name = ?",
            [disabled, name],
        )


def update_password(con: duckdb.DuckDBPyConnection, name: str, password_hash: str) -> None:
    """Store a new password hash and forget the user's failed log-ins from every address."""
    with transaction(con):
        con.execute(
            "UPDATE users SET password_hash = ?, password_set_at = current_timestamp,"
            " failed_logins = 0, last_failed_at = NULL WHERE user_name = ?",
            [password_hash, name],
        )
        con.execute("DELETE FROM login_failures WHERE scope = 'name' AND user_name = ?", [name])


def counted(con: duckdb.DuckDBPyConnection, work: Callable[[], T]) -> T:
    """`work()` in one transaction, one at a time in this process; a write-write conflict with
    another writer of the same rows is rolled back and tried again."""
    with _COUNT_LOCK:
        for attempt in range(CONFLICT_RETRIES - 1):
            try:
                with transaction(con):
                    return work()
            except duckdb.TransactionException as exc:
                if "conflict" not in str(exc).lower():
                    raise
                time.sleep(0.005 * 2**attempt)
        with transaction(con):
            return work()


def forget_failures_before(con: duckdb.DuckDBPyConnection, before: datetime) -> None:
    """Delete the failure counts last updated before `before` (call inside `counted`)."""
    con.execute("DELETE FROM login_failures WHERE last_failed_at < ?", [before])


def failure_counts(
    con: duckdb.DuckDBPyConnection, name: str, address: str
) -> dict[str, tuple[int, datetime]]:
    """{"name": (failures, last), "address": (failures, last)} counted for this name at this
    address and for this address over all names; a scope without failures is left out."""
    rows = con.execute(
        "SELECT scope, failures, last_failed_at FROM login_failures"
        " WHERE address = ? AND ((scope = 'name' AND user_name = ?)"
        " OR (scope = 'address' AND user_name = ''))",
        [address, name],
    ).fetchall()
    return {scope: (n, at) for scope, n, at in rows}


def count_failure(
    con: duckdb.DuckDBPyConnection, name: str, address: str, now: datetime
) -> dict[str, tuple[int, datetime]]:
    """Count one failure for the name at the address, for the address and on the user's row
    (call inside `counted`); the counts after it, as `failure_counts` gives them."""
    rows = con.execute(
        "INSERT INTO login_failures (scope, address, user_name, failures, last_failed_at)"
        " VALUES ('name', ?, ?, 1, ?), ('address', ?, '', 1, ?)"
        " ON CONFLICT DO UPDATE SET failures = login_failures.failures + 1,"
        " last_failed_at = excluded.last_failed_at"
        " RETURNING scope, failures, last_failed_at",
        [address, name, now, address, now],
    ).fetchall()
    con.execute(
        "UPDATE users SET failed_logins = failed_logins + 1, last_failed_at = ?"
        " WHERE user_name = ?",
        [now, name],
    )
    return {scope: (n, at) for scope, n, at in rows}


def record_login(
    con: duckdb.DuckDBPyConnection, name: str, address: str, now: datetime, password_hash: str
) -> None:
    """A good log-in (call inside `counted`): forget this name's failures from this address,
    take one counted failure back from the address, and record the log-in and its hash."""
    con.execute(
        "DELETE FROM login_failures WHERE scope = 'name' AND address = ? AND user_name = ?",
        [address, name],
    )
    con.execute(
        "UPDATE login_failures SET failures = greatest(failures - 1, 0)"
        " WHERE scope = 'address' AND address = ? AND user_name = ''",
        [address],
    )
    con.execute(
        "UPDATE users SET failed_logins = 0, last_failed_at = NULL, last_login_at = ?,"
        " password_hash = ? WHERE user_name = ?",
        [now, password_hash, name],
    )
