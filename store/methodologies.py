"""Methodology versions in the store: immutable, numbered per id, one active version per client.

A saved version is never changed or deleted: editing means saving the next version. Saving a
body identical to the latest version (ignoring its "version" field) returns that version
instead of adding a duplicate. `methodology_active` holds one row per client ('*' = the default
for every client without its own). Each function that writes is one transaction.
"""

from __future__ import annotations

import hashlib
import json

import duckdb
import pandas as pd

from engine.methodology import MethodologyError, check
from store.db import scalar, transaction

ALL_CLIENTS = "*"


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
    "version" is ignored: the store numbers versions 1, 2, 3, … per methodology id.
    """
    check(doc)
    sha = body_sha256(doc)
    methodology_id = doc["id"]
    with transaction(con):
        latest = con.execute(
            "SELECT version, sha256 FROM methodologies WHERE methodology_id = ?"
            " ORDER BY version DESC LIMIT 1",
            [methodology_id],
        ).fetchall()
        if latest and latest[0][1] == sha:
            return int(latest[0][0])
        version = int(latest[0][0]) + 1 if latest else 1
        body = json.dumps({**doc, "version": version}, ensure_ascii=False)
        con.execute(
            "INSERT INTO methodologies (methodology_id, version, name, language, client, body,"
            " sha256, source_file, note, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                methodology_id,
                version,
                doc["name"],
                doc["language"],
                doc.get("client"),
                body,
                sha,
                source_file,
                note,
                created_by,
            ],
        )
    return version


def list_versions(
    con: duckdb.DuckDBPyConnection, methodology_id: str | None = None
) -> pd.DataFrame:
    """Saved versions (all ids, or one), newest first per id, with `active_for` (clients, sorted)."""
    return con.execute(
        """
        SELECT m.methodology_id, m.version, m.name, m.language, m.client, m.note,
               m.source_file, m.created_by, m.created_at, m.sha256,
               (SELECT string_agg(a.client, ', ' ORDER BY a.client) FROM methodology_active a
                WHERE a.methodology_id = m.methodology_id AND a.version = m.version) AS active_for
        FROM methodologies m
        WHERE ? IS NULL OR m.methodology_id = ?
        ORDER BY m.methodology_id, m.version DESC
        """,
        [methodology_id, methodology_id],
    ).df()


def get(con: duckdb.DuckDBPyConnection, methodology_id: str, version: int | None = None) -> dict:
    """The document of a saved version (the latest when `version` is None), "version" filled in."""
    latest = scalar(
        con, "SELECT max(version) FROM methodologies WHERE methodology_id = ?", [methodology_id]
    )
    if latest is None:
        raise MethodologyError(f"no methodology '{methodology_id}' is saved")
    body = scalar(
        con,
        "SELECT body FROM methodologies WHERE methodology_id = ? AND version = ?",
        [methodology_id, latest if version is None else version],
    )
    if body is None:
        raise MethodologyError(
            f"methodology '{methodology_id}' has no version {version} (latest {latest})"
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
    with transaction(con):
        con.execute(
            "INSERT OR REPLACE INTO methodology_active (client, methodology_id, version, set_by,"
            " set_at) VALUES (?, ?, ?, ?, current_timestamp)",
            [client, methodology_id, version, set_by],
        )


def active(con: duckdb.DuckDBPyConnection, client: str = ALL_CLIENTS) -> tuple[str, int] | None:
    """(methodology_id, version) active for `client`, falling back to '*'; None when neither is set."""
    rows = con.execute(
        "SELECT methodology_id, version FROM methodology_active WHERE client IN (?, ?)"
        " ORDER BY client = ? LIMIT 1",
        [client, ALL_CLIENTS, ALL_CLIENTS],
    ).fetchall()
    return (rows[0][0], int(rows[0][1])) if rows else None
