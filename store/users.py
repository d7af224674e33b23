"""Users of the app: add, list, disable/enable, set a password, verify a log-in.

Passwords are hashed with argon2id (`argon2-cffi`'s `PasswordHasher`, RFC 9106 low-memory
parameters, a random salt per hash); the plain text is never stored. Repeated failed log-ins
slow down: after `FREE_ATTEMPTS` consecutive failures each further try must wait
`THROTTLE_BASE_S * 2 ** (failures - FREE_ATTEMPTS)` seconds (at most `THROTTLE_MAX_S`) after the
last failure, and a try made sooner is refused without checking the password.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime

import duckdb
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from store.db import scalar, transaction

ROLES = ("analyst", "admin", "client")
SINGLE_USER = "single-user"  # who writes while no user exists (single-user mode)
NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{1,31}$")
MIN_PASSWORD_LENGTH = 8
FREE_ATTEMPTS = 3
THROTTLE_BASE_S = 2.0
THROTTLE_MAX_S = 300.0

_hasher = PasswordHasher()
# Verified against when the user is unknown, so that a wrong name costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))

PUBLIC_COLUMNS = (
    "user_name, role, client_id, disabled, failed_logins, last_login_at, password_set_at,"
    " created_by, created_at"
)


class UserError(ValueError):
    """A refused user operation (bad name, role, password, unknown user), in one line."""


@dataclass(frozen=True)
class LoginResult:
    """The outcome of a log-in: `user` when ok, else `reason` (bad | disabled | throttled)."""

    ok: bool
    user: dict | None = None
    reason: str | None = None
    retry_after_s: float = 0.0


def generate_password() -> str:
    """A random one-time password (16 URL-safe characters, 96 bits)."""
    return secrets.token_urlsafe(12)


def hash_password(password: str) -> str:
    """The argon2id PHC string of `password` (salt and parameters included)."""
    return _hasher.hash(password)


def _check_name(name: str) -> str:
    name = (name or "").strip()
    if not NAME_PATTERN.match(name):
        raise UserError(
            f"'{name}' is not a valid user name: 2-32 characters, lower-case letters, digits, "
            "'.', '_' or '-', starting with a letter or digit"
        )
    if name == SINGLE_USER:
        raise UserError(f"'{SINGLE_USER}' is reserved for the single-user mode")
    return name


def _check_password(password: str) -> str:
    if not isinstance(password, str) or len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
    return password


def _client_exists(con: duckdb.DuckDBPyConnection, client_id: str) -> bool:
    has_table = scalar(
        con,
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'clients'",
    )
    if not has_table:
        return False
    return bool(scalar(con, "SELECT count(*) FROM clients WHERE client_id = ?", [client_id]))


def count_users(con: duckdb.DuckDBPyConnection, *, enabled_only: bool = False) -> int:
    """How many users exist (0 means the app runs in single-user mode)."""
    where = " WHERE NOT disabled" if enabled_only else ""
    return int(scalar(con, f"SELECT count(*) FROM users{where}"))


def add_user(
    con: duckdb.DuckDBPyConnection,
    name: str,
    role: str,
    password: str,
    *,
    client_id: str | None = None,
    created_by: str,
) -> dict:
    """Create a user; a client user must name an existing client. Returns the user (no hash)."""
    name = _check_name(name)
    if role not in ROLES:
        raise UserError(f"unknown role '{role}'; choose one of {', '.join(ROLES)}")
    if role == "client":
        if not client_id:
            raise UserError("a client user needs --client CLIENT_ID")
        if not _client_exists(con, client_id):
            raise UserError(f"no client '{client_id}': create it first (client create NAME)")
    elif client_id:
        raise UserError(f"only a client user belongs to a client, not a user with role {role}")
    _check_password(password)
    if get_user(con, name) is not None:
        raise UserError(f"a user named '{name}' already exists")
    with transaction(con):
        con.execute(
            "INSERT INTO users (user_name, role, client_id, password_hash, created_by)"
            " VALUES (?, ?, ?, ?, ?)",
            [name, role, client_id if role == "client" else None, hash_password(password),
             created_by],
        )  # fmt: skip
    return get_user(con, name)  # type: ignore[return-value]


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


def _require(con: duckdb.DuckDBPyConnection, name: str) -> dict:
    user = get_user(con, name)
    if user is None:
        raise UserError(f"no user named '{name}'")
    return user


def set_disabled(con: duckdb.DuckDBPyConnection, name: str, disabled: bool) -> dict:
    """Disable (or enable) a user; refuses to disable the last enabled admin."""
    user = _require(con, name)
    if disabled and user["role"] == "admin" and not user["disabled"]:
        admins = scalar(con, "SELECT count(*) FROM users WHERE role = 'admin' AND NOT disabled")
        if admins <= 1:
            raise UserError(f"'{name}' is the last enabled admin: add another admin first")
    with transaction(con):
        con.execute(
            "UPDATE users SET disabled = ?, failed_logins = 0 WHERE user_name = ?",
            [disabled, name],
        )
    return _require(con, name)


def set_password(con: duckdb.DuckDBPyConnection, name: str, password: str) -> dict:
    """Replace a user's password (and clear its failed log-ins)."""
    _require(con, name)
    _check_password(password)
    with transaction(con):
        con.execute(
            "UPDATE users SET password_hash = ?, password_set_at = current_timestamp,"
            " failed_logins = 0, last_failed_at = NULL WHERE user_name = ?",
            [hash_password(password), name],
        )
    return _require(con, name)


def throttle_wait(failures: int, last_failed_at: datetime | None, now: datetime) -> float:
    """Seconds a user must still wait before the next try (0 when it may try now)."""
    if failures < FREE_ATTEMPTS or last_failed_at is None:
        return 0.0
    delay = min(THROTTLE_BASE_S * 2 ** (failures - FREE_ATTEMPTS), THROTTLE_MAX_S)
    waited = (now - last_failed_at).total_seconds()
    return max(0.0, delay - waited)


def verify_login(
    con: duckdb.DuckDBPyConnection, name: str, password: str, *, now: datetime | None = None
) -> LoginResult:
    """Check a name and password; record the failure or the log-in.

    An unknown name and a wrong password give the same answer (`bad`), after the same work.
    """
    now = now or datetime.now()
    rows = con.execute(
        "SELECT password_hash, disabled, failed_logins, last_failed_at FROM users"
        " WHERE user_name = ?",
        [(name or "").strip()],
    ).fetchall()
    if not rows:
        try:
            _hasher.verify(_DUMMY_HASH, password or "")
        except VerificationError:
            pass
        return LoginResult(False, reason="bad")
    stored, disabled, failures, last_failed_at = rows[0]
    name = name.strip()
    wait = throttle_wait(failures, last_failed_at, now)
    if wait > 0:
        return LoginResult(False, reason="throttled", retry_after_s=wait)
    try:
        _hasher.verify(stored, password or "")
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        with transaction(con):
            con.execute(
                "UPDATE users SET failed_logins = failed_logins + 1, last_failed_at = ?"
                " WHERE user_name = ?",
                [now, name],
            )
        return LoginResult(False, reason="bad", retry_after_s=throttle_wait(failures + 1, now, now))
    if disabled:
        return LoginResult(False, reason="disabled")
    new_hash = _hasher.hash(password) if _hasher.check_needs_rehash(stored) else stored
    with transaction(con):
        con.execute(
            "UPDATE users SET failed_logins = 0, last_failed_at = NULL, last_login_at = ?,"
            " password_hash = ? WHERE user_name = ?",
            [now, new_hash, name],
        )
    return LoginResult(True, user=get_user(con, name))
