"""Analysts' feedback in the store: plain SQL over `feedback` (store/sql/005_feedback.sql).

Append-only: this module inserts rows and reads them; nothing here (or anywhere) updates or
deletes a feedback row, so the table is the audit trail. `engine.review.feedback` decides what is
written. Queries take `?` parameters; each write is one transaction.

The label of a (fund, as_of) is its effective decision's `grade_after` (the latest non-comment
row), else the expert grade in `ratings`. `append` computes each new row's `grade_before` from
that label in SQL (rows earlier in the same batch count), and a `keep_expert` row's
`grade_after` is the expert grade.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from store.db import transaction

COLUMNS = (
    "feedback_id",
    "fund_id",
    "as_of",
    "evaluation_id",
    "action",
    "grade_before",
    "grade_after",
    "ai_grade",
    "reason",
    "comment",
    "weight",
    "created_by",
    "created_at",
)
# What `append` takes: one row per action, in the order they happen.
NEW_COLUMNS = (
    "fund_id",
    "as_of",
    "evaluation_id",
    "action",
    "grade_after",
    "ai_grade",
    "reason",
    "comment",
    "weight",
    "created_by",
)
_SELECT = ", ".join(COLUMNS)

# The effective decision per (fund, as_of): its latest non-comment row.
EFFECTIVE_SQL = """
    SELECT * FROM feedback WHERE action <> 'comment'
    QUALIFY row_number() OVER (PARTITION BY fund_id, as_of ORDER BY feedback_id DESC) = 1
"""

_APPEND_SQL = f"""
    WITH items AS (
        SELECT n.*, r.grade AS expert_grade
        FROM new_feedback n
        LEFT JOIN ratings r ON r.fund_id = n.fund_id AND r.as_of = CAST(n.as_of AS DATE)
    ),
    labelled AS (
        SELECT *,
               CASE action WHEN 'keep_expert' THEN expert_grade
                           WHEN 'comment' THEN NULL
                           ELSE grade_after END AS label_after
        FROM items
    ),
    chained AS (
        SELECT l.*,
               last_value(CASE WHEN action <> 'comment' THEN label_after END IGNORE NULLS)
                   OVER (PARTITION BY fund_id, as_of ORDER BY position
                         ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS batch_label
        FROM labelled l
    )
    INSERT INTO feedback (fund_id, as_of, evaluation_id, action, grade_before, grade_after,
                          ai_grade, reason, comment, weight, created_by)
    SELECT c.fund_id, CAST(c.as_of AS DATE), c.evaluation_id, c.action,
           coalesce(c.batch_label, d.grade_after, c.expert_grade),
           c.label_after, c.ai_grade, c.reason, c.comment, c.weight, c.created_by
    FROM chained c
    LEFT JOIN ({EFFECTIVE_SQL}) d ON d.fund_id = c.fund_id AND d.as_of = CAST(c.as_of AS DATE)
    ORDER BY c.position
    RETURNING feedback_id
"""


def append(con: duckdb.DuckDBPyConnection, items: pd.DataFrame) -> list[int]:
    """Insert `items` (NEW_COLUMNS, in order) as new feedback rows in one transaction.

    Returns the new feedback ids in the order of `items`.
    """
    if items.empty:
        return []
    frame = items[list(NEW_COLUMNS)].copy()
    frame["as_of"] = pd.to_datetime(frame["as_of"]).dt.date.astype(str)
    for column in ("grade_after", "ai_grade"):
        frame[column] = frame[column].astype("Int64")
    frame["weight"] = frame["weight"].astype(float)
    frame["position"] = range(len(frame))
    with transaction(con):
        con.register("new_feedback", frame)
        try:
            ids = [row[0] for row in con.execute(_APPEND_SQL).fetchall()]
        finally:
            con.unregister("new_feedback")
    return sorted(ids)


def list_feedback(
    con: duckdb.DuckDBPyConnection,
    fund_id: str | None = None,
    as_of: str | None = None,
    evaluation_id: str | None = None,
) -> pd.DataFrame:
    """Feedback rows, oldest first, optionally for one fund, date or evaluation."""
    return con.execute(
        f"SELECT {_SELECT} FROM feedback"
        " WHERE (? IS NULL OR fund_id = ?) AND (? IS NULL OR as_of = CAST(? AS DATE))"
        " AND (? IS NULL OR evaluation_id = ?) ORDER BY feedback_id",
        [fund_id, fund_id, as_of, as_of, evaluation_id, evaluation_id],
    ).df()


def effective(con: duckdb.DuckDBPyConnection, as_of: str | None = None) -> pd.DataFrame:
    """The effective decision per (fund, as_of), optionally for one date; by fund."""
    return con.execute(
        f"SELECT {_SELECT} FROM ({EFFECTIVE_SQL})"
        " WHERE (? IS NULL OR as_of = CAST(? AS DATE)) ORDER BY fund_id, as_of",
        [as_of, as_of],
    ).df()


def known_funds(con: duckdb.DuckDBPyConnection, fund_ids: list[str]) -> set[str]:
    """Which of `fund_ids` are in the funds table."""
    frame = pd.DataFrame({"fund_id": list(dict.fromkeys(fund_ids))})
    con.register("asked_funds", frame)
    try:
        rows = con.execute("SELECT fund_id FROM asked_funds JOIN funds USING (fund_id)").fetchall()
    finally:
        con.unregister("asked_funds")
    return {r[0] for r in rows}


def count(con: duckdb.DuckDBPyConnection) -> int:
    """How many feedback rows there are."""
    return int(con.execute("SELECT count(*) FROM feedback").fetchall()[0][0])


def decisions(con: duckdb.DuckDBPyConnection, as_of: str) -> pd.DataFrame:
    """Per fund with feedback at `as_of`: its effective decision (decision_id, decision,
    decided_grade, decided_by, decided_at; NULL when only comments) and n_feedback (all rows)."""
    return con.execute(
        f"""
        SELECT n.fund_id, d.feedback_id AS decision_id, d.action AS decision,
               d.grade_after AS decided_grade, d.created_by AS decided_by,
               d.created_at AS decided_at, n.n_feedback
        FROM (SELECT fund_id, count(*) AS n_feedback FROM feedback
              WHERE as_of = CAST(? AS DATE) GROUP BY fund_id) n
        LEFT JOIN ({EFFECTIVE_SQL}) d ON d.fund_id = n.fund_id AND d.as_of = CAST(? AS DATE)
        ORDER BY n.fund_id
        """,
        [as_of, as_of],
    ).df()
