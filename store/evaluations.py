"""Evaluations in the store: plain SQL over `evaluations` and `evaluation_results`
(store/sql/004_evaluations.sql, docs/review-format.md section 1).

Storage only: `engine.evaluation.jobs` decides what is written. A background evaluation's folder is
the source of truth while it runs; these tables are its record, written by the app or the CLI
(never by the job). Queries take `?` parameters; each function that writes is one transaction,
and results go in as one bulk `INSERT … SELECT` from a data frame or a Parquet file.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import duckdb
import pandas as pd

from store.db import scalar, transaction

COLUMNS = (
    "evaluation_id",
    "evaluator",
    "evaluator_kind",
    "run_id",
    "methodology_id",
    "methodology_version",
    "as_of",
    "selection",
    "samples",
    "state",
    "n_funds",
    "settings",
    "summary",
    "created_by",
    "created_at",
    "finished_at",
    "message",
)
RESULT_COLUMNS = (
    "fund_id",
    "sample",
    "grade",
    "scores",
    "reasoning",
    "thinking",
    "raw_output",
    "parse_status",
    "parse_error",
    "latency_ms",
)
_NEW = tuple(c for c in COLUMNS if c != "created_at")  # created_at: the default
_INSERT_RESULTS = (
    "INSERT INTO evaluation_results (evaluation_id, " + ", ".join(RESULT_COLUMNS) + ")"
    " SELECT ?, fund_id, CAST(sample AS INTEGER), CAST(grade AS INTEGER), CAST(scores AS JSON),"
    " reasoning, thinking, raw_output, parse_status, parse_error, CAST(latency_ms AS DOUBLE)"
)


def max_evaluation_number(con: duckdb.DuckDBPyConnection) -> int:
    """The highest N of the recorded eval-NNNN ids (0 when none)."""
    value = scalar(
        con,
        "SELECT max(TRY_CAST(regexp_extract(evaluation_id, '^eval-(\\d+)$', 1) AS INTEGER))"
        " FROM evaluations",
    )
    return int(value or 0)


def _insert_row(con: duckdb.DuckDBPyConnection, row: dict) -> None:
    values = [row.get(c) for c in _NEW]
    con.execute(
        f"INSERT INTO evaluations ({', '.join(_NEW)}) VALUES ({', '.join('?' for _ in _NEW)})",
        values,
    )


def _insert_results(con: duckdb.DuckDBPyConnection, evaluation_id: str, frame: pd.DataFrame) -> int:
    table = frame[list(RESULT_COLUMNS)]
    con.register("new_results", table)
    try:
        con.execute(_INSERT_RESULTS + " FROM new_results", [evaluation_id])
    finally:
        con.unregister("new_results")
    return len(table)


def insert_evaluation(
    con: duckdb.DuckDBPyConnection, row: dict, results: pd.DataFrame | None = None
) -> None:
    """Record an evaluation (keys of `COLUMNS` but created_at) and, if given, its results, in one
    transaction; duckdb.ConstraintException if the id is taken."""
    with transaction(con):
        _insert_row(con, row)
        if results is not None:
            _insert_results(con, row["evaluation_id"], results)


def update_state(
    con: duckdb.DuckDBPyConnection,
    evaluation_id: str,
    *,
    state: str,
    message: str | None,
    finished_at: datetime | None = None,
) -> bool:
    """Set state, message and finished_at; True when something changed (one transaction)."""
    with transaction(con):
        changed = scalar(
            con,
            "SELECT count(*) FROM evaluations WHERE evaluation_id = ? AND (state IS DISTINCT"
            " FROM ? OR message IS DISTINCT FROM ? OR finished_at IS DISTINCT FROM ?)",
            [evaluation_id, state, message, finished_at],
        )
        if changed:
            con.execute(
                "UPDATE evaluations SET state = ?, message = ?, finished_at = ?"
                " WHERE evaluation_id = ?",
                [state, message, finished_at, evaluation_id],
            )
    return bool(changed)


def import_results(
    con: duckdb.DuckDBPyConnection,
    evaluation_id: str,
    results: Path | pd.DataFrame | None,
    *,
    state: str,
    message: str | None,
    finished_at: datetime | None,
    n_funds: int | None,
    summary: str | None,
    settings: str | None,
) -> int:
    """Replace an evaluation's results with `results` (a Parquet file or a frame of
    RESULT_COLUMNS; None = none) and record its end, all in one transaction; the row count."""
    with transaction(con):
        con.execute("DELETE FROM evaluation_results WHERE evaluation_id = ?", [evaluation_id])
        count = 0
        if isinstance(results, Path):
            con.execute(_INSERT_RESULTS + " FROM read_parquet(?)", [evaluation_id, str(results)])
            count = int(
                scalar(
                    con,
                    "SELECT count(*) FROM evaluation_results WHERE evaluation_id = ?",
                    [evaluation_id],
                )
            )
        elif results is not None:
            count = _insert_results(con, evaluation_id, results)
        con.execute(
            "UPDATE evaluations SET state = ?, message = ?, finished_at = ?,"
            " n_funds = coalesce(?, n_funds),"
            " summary = ?, settings = coalesce(?, settings) WHERE evaluation_id = ?",
            [state, message, finished_at, n_funds, summary, settings, evaluation_id],
        )
    return count


def get_evaluation(con: duckdb.DuckDBPyConnection, evaluation_id: str) -> dict | None:
    """One evaluation's row as a dict (settings and summary as JSON text), or None."""
    cursor = con.execute(
        f"SELECT {', '.join(COLUMNS)} FROM evaluations WHERE evaluation_id = ?", [evaluation_id]
    )
    rows = cursor.fetchall()
    return dict(zip(COLUMNS, rows[0], strict=True)) if rows else None


def list_evaluations(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every evaluation, newest first, with exact / within_one / qwk / invalid_share read from
    its summary (NULL until it has finished)."""
    return con.execute(
        f"SELECT {', '.join(COLUMNS)},"
        " TRY_CAST(json_extract(summary, '$.exact') AS DOUBLE) AS exact,"
        " TRY_CAST(json_extract(summary, '$.within_one') AS DOUBLE) AS within_one,"
        " TRY_CAST(json_extract(summary, '$.qwk') AS DOUBLE) AS qwk,"
        " TRY_CAST(json_extract(summary, '$.invalid_share') AS DOUBLE) AS invalid_share"
        " FROM evaluations ORDER BY evaluation_id DESC"
    ).df()


def results(
    con: duckdb.DuckDBPyConnection, evaluation_id: str, all_samples: bool = False
) -> pd.DataFrame:
    """An evaluation's answers with the fund (name, category, company) and the expert's rating
    at the evaluation's as_of (grade, analyst, comment; NULL when the expert did not rate it).

    One row per fund (the greedy answer, sample 0) unless `all_samples`. `self_consistency` is
    the share of the fund's samples whose grade is the fund's most frequent valid grade (an
    invalid answer never agrees; 0 when none is valid); NULL with a single sample.
    """
    return con.execute(
        """
        WITH answers AS (
            SELECT * FROM evaluation_results WHERE evaluation_id = ?
        ), counts AS (
            SELECT fund_id, grade, count(*) AS n FROM answers WHERE grade IS NOT NULL
            GROUP BY fund_id, grade
        ), per_fund AS (
            SELECT a.fund_id, count(*) AS k,
                   coalesce(max(c.n), 0) AS modal_n
            FROM (SELECT fund_id FROM answers) a
            LEFT JOIN (SELECT fund_id, max(n) AS n FROM counts GROUP BY fund_id) c USING (fund_id)
            GROUP BY a.fund_id
        )
        SELECT r.evaluation_id, r.fund_id, f.fund_name, f.category, f.company_id,
               coalesce(co.name, f.company_id) AS company, e.as_of, r.sample, r.grade,
               x.grade AS expert_grade, x.analyst AS expert_analyst, x.comment AS expert_comment,
               CAST(r.scores AS VARCHAR) AS scores, r.reasoning, r.thinking, r.raw_output,
               r.parse_status, r.parse_error, r.latency_ms,
               CASE WHEN p.k > 1 THEN p.modal_n / p.k END AS self_consistency
        FROM answers r
        JOIN evaluations e USING (evaluation_id)
        LEFT JOIN funds f ON f.fund_id = r.fund_id
        LEFT JOIN companies co ON co.company_id = f.company_id
        LEFT JOIN ratings x ON x.fund_id = r.fund_id AND x.as_of = e.as_of
        LEFT JOIN per_fund p ON p.fund_id = r.fund_id
        WHERE ? OR r.sample = 0
        ORDER BY r.fund_id, r.sample
        """,
        [evaluation_id, all_samples],
    ).df()


def expert_grades(con: duckdb.DuckDBPyConnection, as_of: str, fund_ids: list[str]) -> pd.DataFrame:
    """fund_id, category, expert_grade of the given funds rated at `as_of` (others left out)."""
    frame = pd.DataFrame({"fund_id": pd.Series(fund_ids, dtype=object)})
    con.register("wanted_funds", frame)
    try:
        return con.execute(
            "SELECT w.fund_id, f.category, x.grade AS expert_grade FROM wanted_funds w"
            " JOIN ratings x ON x.fund_id = w.fund_id AND x.as_of = CAST(? AS DATE)"
            " LEFT JOIN funds f ON f.fund_id = w.fund_id ORDER BY w.fund_id",
            [as_of],
        ).df()
    finally:
        con.unregister("wanted_funds")
