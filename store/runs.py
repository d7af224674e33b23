"""Training runs in the store: plain SQL over `runs` (store/sql/003_runs.sql).

Storage only: `engine.training.runs` decides what is written. The run folder is the source of truth for
a run's progress; this table is its history, updated by `engine.training.runs.sync` from the app or CLI
(never by the training process). Queries take `?` parameters; each write is one transaction.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from store.db import scalar, transaction

COLUMNS = (
    "run_id",
    "created_at",
    "model",
    "methodology_id",
    "methodology_version",
    "as_of",
    "language",
    "snapshot_sha256",
    "parent_run_id",
    "config",
    "state",
    "message",
    "started_at",
    "finished_at",
    "final",
)


def insert_run(
    con: duckdb.DuckDBPyConnection,
    *,
    run_id: str,
    model: str,
    methodology_id: str,
    methodology_version: int,
    as_of: str,
    language: str,
    snapshot_sha256: str,
    parent_run_id: str | None,
    config: str,
    state: str,
    created_by: str | None = None,
) -> None:
    """Record a new run (one transaction); duckdb.ConstraintException if the id is taken."""
    with transaction(con):
        con.execute(
            "INSERT INTO runs (run_id, model, methodology_id, methodology_version, as_of,"
            " language, snapshot_sha256, parent_run_id, config, state, created_by)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                run_id,
                model,
                methodology_id,
                methodology_version,
                as_of,
                language,
                snapshot_sha256,
                parent_run_id,
                config,
                state,
                created_by,
            ],
        )


def update_states(con: duckdb.DuckDBPyConnection, rows: list[tuple]) -> int:
    """Set (state, message, started_at, finished_at, final) per run_id, all in one transaction.

    `rows` holds (run_id, state, message, started_at, finished_at, final JSON or None); only
    rows that differ from the table are written. Returns how many runs changed.
    """
    if not rows:
        return 0
    frame = pd.DataFrame(
        rows, columns=["run_id", "state", "message", "started_at", "finished_at", "final"]
    )
    for column in ("started_at", "finished_at"):
        frame[column] = pd.to_datetime(frame[column], utc=True).dt.tz_localize(None)
    with transaction(con):
        con.register("run_states", frame)
        try:
            changed = scalar(
                con,
                "SELECT count(*) FROM runs r JOIN run_states s USING (run_id)"
                " WHERE r.state IS DISTINCT FROM s.state OR r.message IS DISTINCT FROM s.message"
                " OR r.started_at IS DISTINCT FROM s.started_at"
                " OR r.finished_at IS DISTINCT FROM s.finished_at"
                " OR r.final IS DISTINCT FROM s.final",
            )
            con.execute(
                "UPDATE runs SET state = s.state, message = s.message, started_at = s.started_at,"
                " finished_at = s.finished_at, final = s.final FROM run_states s"
                " WHERE runs.run_id = s.run_id"
            )
        finally:
            con.unregister("run_states")
    return int(changed or 0)


def list_runs(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every recorded run, newest first."""
    return con.execute(
        f"SELECT {', '.join(COLUMNS)} FROM runs ORDER BY created_at DESC, run_id DESC"
    ).df()


def get_run(con: duckdb.DuckDBPyConnection, run_id: str) -> dict | None:
    """One run's row as a dict, or None."""
    cursor = con.execute(f"SELECT {', '.join(COLUMNS)} FROM runs WHERE run_id = ?", [run_id])
    row = cursor.fetchone()
    return dict(zip(COLUMNS, row, strict=True)) if row else None


def max_run_number(con: duckdb.DuckDBPyConnection) -> int:
    """The highest N of the recorded run-NNNN ids (0 when none)."""
    value = scalar(
        con,
        "SELECT max(TRY_CAST(regexp_extract(run_id, '^run-(\\d+)$', 1) AS INTEGER)) FROM runs",
    )
    return int(value or 0)
