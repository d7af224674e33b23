"""The model registry: which trained run's model each client may see (docs/clients-format.md
section 3).

`model_promotions` is append-only: each row says a run became draft, approved or retired for a
client (or '*', all clients), who did it, when and why. For a scope S the current approved model
is the most recently approved run for S that has no later `retired` row for S or for '*'. So
approving B for X while A is approved for X supersedes A (history keeps it), and retiring B
makes A current again (unless A was retired meanwhile). A client's own approval beats the
all-clients one. Beside each model: its model-card facts (methodology, data snapshot hash,
agreement on the held-out split), read from `runs` and `evaluations`.

Storage only: `engine.clients.registry` decides which promotions are allowed.
"""

from __future__ import annotations

import json

import duckdb
import pandas as pd

from store.db import scalar, transaction

ALL_CLIENTS = "*"
PROMOTION_COLUMNS = ("run_id", "state", "client_id", "promoted_at", "promoted_by", "reason")

# Approved rows still standing: no later retirement of the run for the same scope or for '*'.
_STANDING = """
    SELECT p.run_id, p.client_id AS scope, p.promoted_at, p.promoted_by, p.reason, p.seq
    FROM model_promotions p
    WHERE p.state = 'approved'
      AND NOT EXISTS (
        SELECT 1 FROM model_promotions r
        WHERE r.run_id = p.run_id AND r.state = 'retired' AND r.seq > p.seq
          AND (r.client_id = p.client_id OR r.client_id = '*'))
"""


def run_state(con: duckdb.DuckDBPyConnection, run_id: str) -> str | None:
    """The recorded state of a run, or None for an unknown run."""
    return scalar(con, "SELECT state FROM runs WHERE run_id = ?", [run_id])


def is_standing(con: duckdb.DuckDBPyConnection, run_id: str, client_id: str) -> bool:
    """Whether the run is approved and not retired for the client (any client with '*')."""
    return bool(
        scalar(
            con,
            f"SELECT count(*) FROM ({_STANDING}) s WHERE s.run_id = ? AND (? = '*' OR s.scope = ?)",
            [run_id, client_id, client_id],
        )
    )


def insert_promotion(
    con: duckdb.DuckDBPyConnection, run_id: str, state: str, client_id: str, by: str, reason: str
) -> dict:
    """Append one promotion row under the next sequence number; the row as a dict."""
    with transaction(con):
        seq = int(scalar(con, "SELECT coalesce(max(seq), 0) + 1 FROM model_promotions"))
        con.execute(
            "INSERT INTO model_promotions (run_id, state, client_id, promoted_by, reason, seq)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            [run_id, state, client_id, by, reason, seq],
        )
        at = scalar(con, "SELECT promoted_at FROM model_promotions WHERE seq = ?", [seq])
    return {"run_id": run_id, "state": state, "client_id": client_id, "promoted_at": at,
            "promoted_by": by, "reason": reason}  # fmt: skip


def current_model(con: duckdb.DuckDBPyConnection, client_id: str) -> dict | None:
    """{"run_id", "scope", "promoted_at", "promoted_by", "reason"} of the model the client sees now: its own
    approval first, else the all-clients one; None when nothing is approved."""
    rows = con.execute(
        f"SELECT run_id, scope, promoted_at, promoted_by, reason FROM ({_STANDING}) s WHERE scope IN (?, '*')"
        " ORDER BY scope = '*', seq DESC LIMIT 1",
        [client_id],
    ).fetchall()
    keys = ("run_id", "scope", "promoted_at", "promoted_by", "reason")
    return dict(zip(keys, rows[0], strict=True)) if rows else None


def history(con: duckdb.DuckDBPyConnection, run_id: str | None = None) -> pd.DataFrame:
    """Every promotion row (run_id, state, client_id, promoted_at, promoted_by, reason), newest first."""
    return con.execute(
        f"SELECT {', '.join(PROMOTION_COLUMNS)} FROM model_promotions"
        " WHERE (? IS NULL OR run_id = ?) ORDER BY seq DESC",
        [run_id, run_id],
    ).df()


def card_facts(con: duckdb.DuckDBPyConnection, run_id: str) -> dict | None:
    """The model-card facts of a run: model, methodology id/version, snapshot hash, as_of,
    language, and `held_out` (exact, within_one, qwk, invalid_share, evaluation_id, n_funds of
    the newest finished evaluation of its final model on its test split; {} when none). None
    for an unknown run."""
    rows = con.execute(
        "SELECT model, methodology_id, methodology_version, snapshot_sha256, as_of, language,"
        " state FROM runs WHERE run_id = ?",
        [run_id],
    ).fetchall()
    if not rows:
        return None
    keys = ("model", "methodology_id", "methodology_version", "snapshot_sha256", "as_of",
            "language", "run_state")  # fmt: skip
    facts = dict(zip(keys, rows[0], strict=True))
    held = con.execute(
        "SELECT evaluation_id, n_funds, summary FROM evaluations WHERE evaluator = ?"
        " AND selection = ? AND state = 'finished' ORDER BY evaluation_id DESC LIMIT 1",
        [f"run:{run_id}", f"test:{run_id}"],
    ).fetchall()
    facts["held_out"] = {}
    if held:
        summary = json.loads(held[0][2]) if held[0][2] else {}
        facts["held_out"] = {
            "evaluation_id": held[0][0],
            "n_funds": held[0][1],
            **{k: summary.get(k) for k in ("exact", "within_one", "qwk", "invalid_share")},
        }
    return {"run_id": run_id, **facts}


def list_models(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """One row per (run, scope) ever promoted, newest first: its state now (approved = current
    for the scope, superseded, retired or draft), the last row's promoted_at/promoted_by/reason, and its card
    facts (model, methodology, snapshot hash, held-out exact agreement)."""
    frame = con.execute(
        f"""
        WITH last AS (
            SELECT run_id, client_id AS scope, state, promoted_at, promoted_by, reason, seq,
                   row_number() OVER (PARTITION BY run_id, client_id ORDER BY seq DESC) AS n
            FROM model_promotions
        ), standing AS ({_STANDING}),
        current AS (
            SELECT scope, arg_max(run_id, seq) AS run_id FROM standing GROUP BY scope
        )
        SELECT l.run_id, l.scope,
               CASE WHEN c.run_id IS NOT NULL THEN 'approved'
                    WHEN EXISTS (SELECT 1 FROM standing s WHERE s.run_id = l.run_id
                                 AND s.scope = l.scope) THEN 'superseded'
                    WHEN l.state = 'approved' THEN 'retired'
                    ELSE l.state END AS state,
               l.promoted_at, l.promoted_by, l.reason, r.model, r.methodology_id, r.methodology_version,
               r.snapshot_sha256, r.as_of,
               (SELECT TRY_CAST(json_extract(e.summary, '$.exact') AS DOUBLE) FROM evaluations e
                WHERE e.evaluator = 'run:' || l.run_id AND e.selection = 'test:' || l.run_id
                  AND e.state = 'finished' ORDER BY e.evaluation_id DESC LIMIT 1)
                 AS held_out_exact
        FROM last l
        LEFT JOIN current c ON c.scope = l.scope AND c.run_id = l.run_id
        LEFT JOIN runs r ON r.run_id = l.run_id
        WHERE l.n = 1
        ORDER BY l.seq DESC
        """
    ).df()
    return frame
