"""API keys: how they are made, read and checked (docs/clients-format.md section 2).

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
from dataclasses import dataclass

import duckdb

from store.clients import key_record

KEY_PREFIX = "lgk_"
KEY_RE = re.compile(r"^lgk_([0-9a-f]{12})_([A-Za-z0-9_-]{20,})$")


@dataclass(frozen=True)
class NewKey:
    """A freshly made key: what the store keeps (key_id, salt, key_hash) and the key itself."""

    key_id: str
    salt: str
    key_hash: str
    key: str


def _digest(salt: str, secret: str) -> str:
    return hashlib.sha256(bytes.fromhex(salt) + secret.encode("utf-8")).hexdigest()


def make_key() -> NewKey:
    """A new random key with its salt and hash (nothing is stored)."""
    key_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    salt = secrets.token_hex(16)
    return NewKey(key_id, salt, _digest(salt, secret), f"{KEY_PREFIX}{key_id}_{secret}")


def split_key(key: str) -> tuple[str, str] | None:
    """(key_id, secret) of a well-formed key; None for anything else."""
    match = KEY_RE.match((key or "").strip())
    return (match.group(1), match.group(2)) if match else None


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
