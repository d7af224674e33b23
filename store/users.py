"""Users of the app: add, list, disable/enable, set a password, verify a log-in.

Passwords are hashed with argon2id (`argon2-cffi`'s `PasswordHasher`, RFC 9106 low-memory
parameters, a random salt per hash); the plain text is never stored, and a new one must pass
`engine.clients.password_policy`. Failed log-ins are counted per typed name and client address, and per
address over all names (`login_failures`), whether the name exists or not. After
`free_attempts` failures each further try must wait `base_s * 2 ** (failures - free_attempts)`
seconds (at most `max_s`) after the last failure; a try made sooner is refused without checking
the password. An unknown name, a wrong password and a throttled try do the same argon2 work and
give the same answers, and `login` answers every refusal no sooner than `min_refusal_s`.
"""

from __future__ import annotations

import re
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TypeVar

import duckdb
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from engine.clients.password_policy import password_refusal
from store.db import connect, scalar, transaction
from store.home import Home

ROLES = ("analyst", "admin", "client")
SINGLE_USER = "single-user"  # who writes while no user exists (single-user mode)
NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{1,31}$")
LOCAL_ADDRESS = "local"  # the client address where none is known (e.g. a browser on localhost)
KEY_LENGTH = 64  # typed names and addresses are counted by their first 64 characters
CONFLICT_RETRIES = 8

_hasher = PasswordHasher()
# Verified against when the user is unknown or the try is throttled, so that every refusal
# costs one argon2 verification.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))
# Counting failures is a read-then-write; one at a time in this process (other processes wait
# for DuckDB's file lock).
_COUNT_LOCK = threading.Lock()
T = TypeVar("T")


@dataclass(frozen=True)
class Throttle:
    """Exponential back-off once `free_attempts` failures are counted."""

    free_attempts: int
    base_s: float = 2.0
    max_s: float = 300.0

    def wait(self, failures: int, last_failed_at: datetime | None, now: datetime) -> float:
        """Seconds still to wait before the next try (0 when it may try now)."""
        if failures < self.free_attempts or last_failed_at is None:
            return 0.0
        delay = min(self.base_s * 2 ** (failures - self.free_attempts), self.max_s)
        return max(0.0, delay - (now - last_failed_at).total_seconds())


@dataclass(frozen=True)
class LoginPolicy:
    """How log-in failures slow further tries down."""

    per_name: Throttle = field(default_factory=lambda: Throttle(free_attempts=3))
    per_address: Throttle = field(default_factory=lambda: Throttle(free_attempts=20))
    min_refusal_s: float = 0.5  # `login` answers no refusal sooner, whatever its reason
    forget_after_s: float = 24 * 3600.0  # failures older than this no longer count


POLICY = LoginPolicy()

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


def _check_password(password: str, name: str) -> str:
    refusal = password_refusal(password, name)
    if refusal is not None:
        raise UserError(refusal.message)
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
    _check_password(password, name)
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
    """Replace a user's password (and forget its failed log-ins from every address)."""
    _require(con, name)
    _check_password(password, name)
    with transaction(con):
        con.execute(
            "UPDATE users SET password_hash = ?, password_set_at = current_timestamp,"
            " failed_logins = 0, last_failed_at = NULL WHERE user_name = ?",
            [hash_password(password), name],
        )
        con.execute("DELETE FROM login_failures WHERE scope = 'name' AND user_name = ?", [name])
    return _require(con, name)


def _counted(con: duckdb.DuckDBPyConnection, work: Callable[[], T]) -> T:
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


def _reserve(
    con: duckdb.DuckDBPyConnection, name: str, address: str, now: datetime, policy: LoginPolicy
) -> tuple[bool, float]:
    """(throttled, seconds to wait): count this try as a failure unless it must wait.

    The try is counted before its password is checked (and forgiven if it is right), so that
    parallel tries can never check more passwords than the throttle allows.
    """

    def work() -> tuple[bool, float]:
        con.execute(
            "DELETE FROM login_failures WHERE last_failed_at < ?",
            [now - timedelta(seconds=policy.forget_after_s)],
        )
        rows = con.execute(
            "SELECT scope, failures, last_failed_at FROM login_failures"
            " WHERE address = ? AND ((scope = 'name' AND user_name = ?)"
            " OR (scope = 'address' AND user_name = ''))",
            [address, name],
        ).fetchall()
        wait = _wait(policy, {scope: (n, at) for scope, n, at in rows}, now)
        if wait > 0:
            return True, wait
        counted = con.execute(
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
        return False, _wait(policy, {scope: (n, at) for scope, n, at in counted}, now)

    return _counted(con, work)


def _wait(policy: LoginPolicy, counts: dict[str, tuple[int, datetime]], now: datetime) -> float:
    """The longer of the per-name and the per-address wait for these (failures, last) counts."""
    name_n, name_at = counts.get("name", (0, None))
    addr_n, addr_at = counts.get("address", (0, None))
    return max(
        policy.per_name.wait(name_n, name_at, now), policy.per_address.wait(addr_n, addr_at, now)
    )


def _forgive(
    con: duckdb.DuckDBPyConnection, name: str, address: str, now: datetime, new_hash: str
) -> None:
    """A good log-in: forget this name's failures from this address, take its reserved count
    back from the address, and record the log-in."""

    def work() -> None:
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
            [now, new_hash, name],
        )

    _counted(con, work)


def _hash_matches(stored: str, password: str) -> bool:
    """Whether `password` matches the argon2 hash `stored` (one full verification either way)."""
    try:
        return _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def verify_login(
    con: duckdb.DuckDBPyConnection,
    name: str,
    password: str,
    *,
    address: str | None = None,
    now: datetime | None = None,
    policy: LoginPolicy | None = None,
) -> LoginResult:
    """Check a name and password typed at `address`; count the failure or record the log-in.

    An unknown name, a wrong password and a throttled try each verify one argon2 hash, count
    alike and give the same answers (`bad` or `throttled` with the same wait), so none of them
    tells whether the name exists. `disabled` is answered only to the right password.
    """
    now = now or datetime.now()
    policy = policy or POLICY
    name = (name or "").strip()[:KEY_LENGTH]
    address = (address or LOCAL_ADDRESS).strip()[:KEY_LENGTH] or LOCAL_ADDRESS
    password = password if isinstance(password, str) else ""
    rows = con.execute(
        "SELECT password_hash, disabled FROM users WHERE user_name = ?", [name]
    ).fetchall()
    throttled, wait = _reserve(con, name, address, now, policy)
    if throttled:
        _hash_matches(_DUMMY_HASH, password)
        return LoginResult(False, reason="throttled", retry_after_s=wait)
    stored, disabled = rows[0] if rows else (_DUMMY_HASH, False)
    if not _hash_matches(stored, password) or not rows:
        return LoginResult(False, reason="bad", retry_after_s=wait)
    if disabled:
        return LoginResult(False, reason="disabled")
    new_hash = _hasher.hash(password) if _hasher.check_needs_rehash(stored) else stored
    _forgive(con, name, address, now, new_hash)
    return LoginResult(True, user=get_user(con, name))


def login(
    home: Home,
    name: str,
    password: str,
    *,
    address: str | None = None,
    policy: LoginPolicy | None = None,
) -> LoginResult:
    """`verify_login` in its own short connection; a refusal of any kind is answered no
    sooner than `policy.min_refusal_s` after the try began (waited out with the file closed)."""
    policy = policy or POLICY
    started = time.monotonic()
    with connect(home) as con:
        result = verify_login(con, name, password, address=address, policy=policy)
    if not result.ok:
        time.sleep(max(0.0, policy.min_refusal_s - (time.monotonic() - started)))
    return result
