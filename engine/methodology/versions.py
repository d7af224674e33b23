"""Saved methodology versions: immutable, numbered per id, one active version per client.

The rules over the plain storage of `store.methodologies`: a version is saved only when the
document passes `check`; versions are numbered 1, 2, 3, … per methodology id and never changed
or deleted (editing means saving the next version); saving a body identical to the latest
version (ignoring its "version" field) returns that version instead of adding a duplicate. The
active version is kept per client ('*' = the default for every client without its own), and a
methodology written for one client (its "client" field) can be active only for that client.
"""

from __future__ import annotations

import hashlib
import json

import duckdb
import pandas as pd

from engine.methodology.core import MethodologyError, check
from store import methodologies as stored
from store.methodologies import ALL_CLIENTS

__all__ = [
    "ALL_CLIENTS",
    "active",
    "body_sha256",
    "get",
    "list_versions",
    "save_version",
    "set_active",
]


def body_sha256(doc: dict) -> str:
    """SHA-256 of the canonical JSON of `doc` without its "version" (sorted keys, no spaces)."""
    body = {k: v for k, v in doc.items() if k != "version"}
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def save_version(
    con: duckdb.DuckDBPyConnection,
    doc: dict,
    *,
    created_by: str,
    note: str | None = None,
    source_file: str | None = None,
) -> int:
    """Validate `doc` and store it as the next version of its id; returns the version number.

    Raises MethodologyError (nothing written) when `doc` is invalid. The document's own
    "version" is ignored: the store numbers versions 1, 2, 3, … per methodology id. The body
    saved is a copy, so later edits of `doc` by the caller change nothing stored.
    """
    check(doc)
    sha = body_sha256(doc)
    methodology_id = doc["id"]
    latest = stored.latest_version(con, methodology_id)
    if latest is not None and latest[1] == sha:
        return latest[0]
    version = latest[0] + 1 if latest is not None else 1
    stored.insert_version(
        con,
        methodology_id=methodology_id,
        version=version,
        name=doc["name"],
        language=doc["language"],
        client=doc.get("client"),
        body=json.dumps({**doc, "version": version}, ensure_ascii=False),
        sha256=sha,
        source_file=source_file,
        note=note,
        created_by=created_by,
    )
    return version


def list_versions(
    con: duckdb.DuckDBPyConnection, methodology_id: str | None = None
) -> pd.DataFrame:
    """Saved versions (all ids, or one), newest first per id, with `active_for` (clients, sorted)."""
    return stored.list_versions(con, methodology_id)


def get(con: duckdb.DuckDBPyConnection, methodology_id: str, version: int | None = None) -> dict:
    """The document of a saved version (the latest when `version` is None), "version" filled in.

    Raises MethodologyError naming the methodology, or the version and the latest one.
    """
    latest = stored.latest_version(con, methodology_id)
    if latest is None:
        raise MethodologyError(f"no methodology '{methodology_id}' is saved")
    body = stored.get_body(con, methodology_id, latest[0] if version is None else version)
    if body is None:
        raise MethodologyError(
            f"methodology '{methodology_id}' has no version {version} (latest {latest[0]})"
        )
    return json.loads(body)


def set_active(
    con: duckdb.DuckDBPyConnection,
    methodology_id: str,
    version: int,
    client: str = ALL_CLIENTS,
    *,
    set_by: str,
) -> None:
    """Make a saved version the active one for `client` ('*' = the default for all clients).

    Refuses an unknown version, and a version written for another client (its "client" field).
    """
    doc = get(con, methodology_id, version)
    written_for = doc.get("client")
    if written_for is not None and written_for != client:
        raise MethodologyError(
            f"methodology '{methodology_id}' v{version} is written for client '{written_for}'; "
            f"it cannot be made active for '{client}'"
        )
    stored.set_active(con, methodology_id, version, client, set_by)


def active(con: duckdb.DuckDBPyConnection, client: str = ALL_CLIENTS) -> tuple[str, int] | None:
    """(methodology_id, version) active for `client`, falling back to '*'; None when neither is set."""
    return stored.active(con, client)
