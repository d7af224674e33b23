"""Users of the app: add, disable/enable, set a password, verify a log-in.

Passwords are hashed with argon2id (`argon2-cffi`'s `PasswordHasher`, RFC 9106 low-memory
parameters, a random salt per hash); the plain text is never stored, and a new one must pass
`engine.clients.password_policy`. Failed log-ins are counted per typed name and client address, and per
address over all names (`login_failures`), whether the name exists or not. After
`free_attempts` failures each further try must wait `base_s * 2 ** (failures - free_attempts)`
seconds (at most `max_s`) after the last failure; a try made sooner is refused without checking
the password. An unknown name, a wrong password and a throttled try do the same argon2 work and
give the same answers, and `login` answers every refusal no sooner than `min_refusal_s`.
The rows themselves are read and written by `store.users`.
"""

from __future__ import annotations

import re
import secrets
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import duckdb
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from engine.clients.password_policy import password_refusal
from store import users as user_store
from store.clients import client_exists
from store.db import connect
from store.home import Home
from store.users import SINGLE_USER, count_users, get_user, list_users

__all__ = [
    "LOCAL_ADDRESS", "POLICY", "ROLES", "SINGLE_USER", "LoginPolicy", "LoginResult", "Throttle",
    "UserError", "add_user", "count_users", "generate_password", "get_user", "hash_password",
    "list_users", "login", "set_disabled", "set_password", "verify_login",
]  # fmt: skip

ROLES = ("analyst", "admin", "client")
NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{1,31}$")
LOCAL_ADDRESS = "local"  # the client address where none is known (e.g. a browser on localhost)
KEY_LENGTH = 64  # typed names and addresses are counted by their first 64 characters

_hasher = PasswordHasher()
# Verified against when the user is unknown or the try is throttled, so that every refusal
# costs one argon2 verification.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


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
        if not client_exists(con, client_id):
            raise UserError(f"no client '{client_id}': create it first (client create NAME)")
    elif client_id:
        raise UserError(f"only a client user belongs to a client, not a user with role {role}")
    _check_password(password, name)
    if get_user(con, name) is not None:
        raise UserError(f"a user named '{name}' already exists")
    user_store.insert_user(
        con, name, role, client_id if role == "client" else None, hash_password(password),
        created_by=created_by,
    )  # fmt: skip
    return get_user(con, name)  # type: ignore[return-value]


def _require(con: duckdb.DuckDBPyConnection, name: str) -> dict:
    user = get_user(con, name)
    if user is None:
        raise UserError(f"no user named '{name}'")
    return user


def set_disabled(con: duckdb.DuckDBPyConnection, name: str, disabled: bool) -> dict:
    """Disable (or enable) a user; refuses to disable the last enabled admin."""
    user = _require(con, name)
    if disabled and user["role"] == "admin" and not user["disabled"]:
        if user_store.count_enabled_admins(con) <= 1:
            raise UserError(f"'{name}' is the last enabled admin: add another admin first")
    user_store.update_disabled(con, name, disabled)
    return _require(con, name)


def set_password(con: duckdb.DuckDBPyConnection, name: str, password: str) -> dict:
    """Replace a user's password (and forget its failed log-ins from every address)."""
    _require(con, name)
    _check_password(password, name)
    user_store.update_password(con, name, hash_password(password))
    return _require(con, name)


def _reserve(
    con: duckdb.DuckDBPyConnection, name: str, address: str, now: datetime, policy: LoginPolicy
) -> tuple[bool, float]:
    """(throttled, seconds to wait): count this try as a failure unless it must wait.

    The try is counted before its password is checked (and forgiven if it is right), so that
    parallel tries can never check more passwords than the throttle allows.
    """

    def work() -> tuple[bool, float]:
        user_store.forget_failures_before(con, now - timedelta(seconds=policy.forget_after_s))
        wait = _wait(policy, user_store.failure_counts(con, name, address), now)
        if wait > 0:
            return True, wait
        return False, _wait(policy, user_store.count_failure(con, name, address, now), now)

    return user_store.counted(con, work)


def _wait(policy: LoginPolicy, counts: dict[str, tuple[int, datetime]], now: datetime) -> float:
    """The longer of the per-name and the per-address wait for these (failures, last) counts."""
    name_n, name_at = counts.get("name", (0, None))
    addr_n, addr_at = counts.get("address", (0, None))
    return max(
        policy.per_name.wait(name_n, name_at, now), policy.per_address.wait(addr_n, addr_at, now)
    )


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
    found = user_store.credentials(con, name)
    throttled, wait = _reserve(con, name, address, now, policy)
    if throttled:
        _hash_matches(_DUMMY_HASH, password)
        return LoginResult(False, reason="throttled", retry_after_s=wait)
    stored, disabled = found or (_DUMMY_HASH, False)
    if not _hash_matches(stored, password) or found is None:
        return LoginResult(False, reason="bad", retry_after_s=wait)
    if disabled:
        return LoginResult(False, reason="disabled")
    new_hash = _hasher.hash(password) if _hasher.check_needs_rehash(stored) else stored
    user_store.counted(con, lambda: user_store.record_login(con, name, address, now, new_hash))
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
