"""Methodology versions in the store: plain SQL over `methodologies` and `methodology_active`.

Storage only: the rules (validation, numbering, de-duplication, who may be active where) live
in `engine.methodology.versions`, which is what callers use. A saved row is never updated or
deleted; (methodology_id, version) is the primary key, so a version number can be taken once.
Queries take `?` parameters; each function that writes is one transaction.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from store.db import scalar, transaction

ALL_CLIENTS = "*"  # the methodology_active row that is the default for every client


def latest_version(con: duckdb.DuckDBPyConnection, methodology_id: str) -> tuple[int, str] | None:
    """(version, sha256) of the newest saved version of `methodology_id`; None when none is."""
    rows = con.execute(
        "SELECT version, sha256 FROM methodologies WHERE methodology_id = ?"
        " ORDER BY version DESC LIMIT 1",
        [methodology_id],
    ).fetchall()
    return (int(rows[0][0]), str(rows[0][1])) if rows else None


def insert_version(
    con: duckdb.DuckDBPyConnection,
    *,
    methodology_id: str,
    version: int,
    name: str,
    language: str,
    client: str | None,
    body: str,
    sha256: str,
    source_file: str | None,
    note: str | None,
    created_by: str,
) -> None:
    """Insert one version row (`body` is the JSON text, version included), in one transaction.

    Raises duckdb.ConstraintException when (methodology_id, version) is already taken.
    """
    with transaction(con):
        con.execute(
            "INSERT INTO methodologies (methodology_id, version, name, language, client, body,"
            " sha256, source_file, note, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                methodology_id,
                version,
                name,
                language,
                client,
                body,
                sha256,
                source_file,
                note,
                created_by,
            ],
        )


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


def get_body(con: duckdb.DuckDBPyConnection, methodology_id: str, version: int) -> str | None:
    """The stored JSON text of one version; None when that version is not saved."""
    return scalar(
        con,
        "SELECT body FROM methodologies WHERE methodology_id = ? AND version = ?",
        [methodology_id, version],
    )


def set_active(
    con: duckdb.DuckDBPyConnection, methodology_id: str, version: int, client: str, set_by: str
) -> None:
    """Record (methodology_id, version) as active for `client`, replacing its previous row."""
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
