"""Rating cycles in the store: plain SQL over `cycles` and `cycle_grades` (store/sql/010_cycles.sql).

A cycle's header is inserted when it starts (state "running"); its grades and its "finished"
state are written together by `finish` in one transaction. `engine.cycle` decides what is
written. Queries take `?` parameters.
"""

from __future__ import annotations

import json
from datetime import date

import duckdb
import pandas as pd

from store.db import scalar, transaction

CYCLE_COLUMNS = ("cycle_id", "as_of", "model", "run_id", "methodology_id", "methodology_version",
                 "state", "params", "evaluation_id", "n_funds", "n_routed", "message",
                 "created_by", "created_at", "finished_at")  # fmt: skip
GRADE_COLUMNS = ("cycle_id", "fund_id", "fund_name", "category", "model_grade", "rules_grade",
                 "tabular_grade", "self_agreement", "samples", "invalid", "route", "route_reasons",
                 "expert_grade", "expert_as_of", "analyst_grade", "analyst_by", "final_grade",
                 "source", "model_scores", "model_reasoning", "rules_scores")  # fmt: skip
OVERLAY_COLUMNS = ("analyst_grade", "analyst_by", "final_grade", "source")
_CYCLE_SELECT = ", ".join(
    f"CAST({c} AS VARCHAR) AS {c}" if c == "params" else c for c in CYCLE_COLUMNS
)


def _cycle(row: tuple | None) -> dict | None:
    if row is None:
        return None
    cycle = dict(zip(CYCLE_COLUMNS, row, strict=True))
    cycle["params"] = json.loads(cycle["params"]) if cycle["params"] else {}
    return cycle


def max_cycle_number(con: duckdb.DuckDBPyConnection) -> int:
    """The highest N of the recorded cycle-NNNN ids (0 when none)."""
    value = scalar(
        con,
        "SELECT max(TRY_CAST(regexp_extract(cycle_id, '^cycle-(\\d+)$', 1) AS INTEGER))"
        " FROM cycles",
    )
    return int(value or 0)


def insert_cycle(con: duckdb.DuckDBPyConnection, row: dict) -> None:
    """Record a starting cycle (state "running"); duckdb.ConstraintException when its id, or
    its (as_of, model, methodology) is taken."""
    con.execute(
        "INSERT INTO cycles (cycle_id, as_of, model, run_id, methodology_id, methodology_version,"
        " state, params, created_by) VALUES (?, ?, ?, ?, ?, ?, 'running', ?, ?)",
        [row["cycle_id"], row["as_of"], row["model"], row.get("run_id"), row["methodology_id"],
         int(row["methodology_version"]), json.dumps(row.get("params") or {}), row["created_by"]],
    )  # fmt: skip


def find_cycle(
    con: duckdb.DuckDBPyConnection,
    as_of: date | str,
    model: str,
    methodology_id: str,
    methodology_version: int,
) -> dict | None:
    """The cycle of (as_of, model, methodology version), whatever its state, or None."""
    rows = con.execute(
        f"SELECT {_CYCLE_SELECT} FROM cycles WHERE as_of = CAST(? AS DATE) AND model = ?"
        " AND methodology_id = ? AND methodology_version = ?",
        [str(as_of), model, methodology_id, int(methodology_version)],
    ).fetchall()
    return _cycle(rows[0] if rows else None)


def get_cycle(con: duckdb.DuckDBPyConnection, cycle_id: str) -> dict | None:
    """One cycle's header as a dict (params parsed), or None."""
    rows = con.execute(
        f"SELECT {_CYCLE_SELECT} FROM cycles WHERE cycle_id = ?", [cycle_id]
    ).fetchall()
    return _cycle(rows[0] if rows else None)


def list_cycles(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every cycle's header, newest as_of first (then newest id)."""
    return con.execute(
        f"SELECT {_CYCLE_SELECT} FROM cycles ORDER BY as_of DESC, cycle_id DESC"
    ).df()


def set_state(
    con: duckdb.DuckDBPyConnection, cycle_id: str, state: str, message: str | None = None
) -> None:
    """Mark a cycle running (again, on resume) or failed, with a one-line message."""
    con.execute(
        "UPDATE cycles SET state = ?, message = ? WHERE cycle_id = ?", [state, message, cycle_id]
    )


def set_evaluation(con: duckdb.DuckDBPyConnection, cycle_id: str, evaluation_id: str) -> None:
    """Note the evaluation that holds the cycle's model answers."""
    con.execute("UPDATE cycles SET evaluation_id = ? WHERE cycle_id = ?", [evaluation_id, cycle_id])


def finish(
    con: duckdb.DuckDBPyConnection, cycle_id: str, grades: pd.DataFrame, message: str
) -> None:
    """Write the cycle's grades (GRADE_COLUMNS but cycle_id) and mark it finished, in one
    transaction; grades written before (an earlier attempt) are replaced."""
    frame = grades.assign(cycle_id=cycle_id)[list(GRADE_COLUMNS)]
    frame = frame.astype({"route_reasons": object})
    frame["route_reasons"] = [list(r) for r in frame["route_reasons"]]
    with transaction(con):
        con.execute("DELETE FROM cycle_grades WHERE cycle_id = ?", [cycle_id])
        con.register("new_cycle_grades", frame)
        try:
            con.execute(
                f"INSERT INTO cycle_grades ({', '.join(GRADE_COLUMNS)})"
                f" SELECT {', '.join(GRADE_COLUMNS)} FROM new_cycle_grades"
            )
        finally:
            con.unregister("new_cycle_grades")
        con.execute(
            "UPDATE cycles SET state = 'finished', finished_at = current_timestamp,"
            " n_funds = ?, n_routed = ?, message = ? WHERE cycle_id = ?",
            [len(frame), int((frame["route"] == "analyst").sum()), message, cycle_id],
        )


def grades(con: duckdb.DuckDBPyConnection, cycle_id: str) -> pd.DataFrame:
    """A cycle's rows by fund (JSON columns as text, route_reasons as lists)."""
    selected = ", ".join(
        f"CAST({c} AS VARCHAR) AS {c}" if c in ("model_scores", "rules_scores") else c
        for c in GRADE_COLUMNS
    )
    frame = con.execute(
        f"SELECT {selected} FROM cycle_grades WHERE cycle_id = ? ORDER BY fund_id", [cycle_id]
    ).df()
    for column in ("model_grade", "rules_grade", "tabular_grade", "expert_grade",
                   "analyst_grade", "final_grade"):  # fmt: skip
        frame[column] = frame[column].astype("Int64")
    frame["route_reasons"] = [list(r) for r in frame["route_reasons"]]
    return frame


def update_overlay(con: duckdb.DuckDBPyConnection, cycle_id: str, changed: pd.DataFrame) -> int:
    """Set analyst_grade, analyst_by, final_grade and source of the funds in `changed` (one
    transaction); how many rows changed."""
    if changed.empty:
        return 0
    frame = changed[["fund_id", *OVERLAY_COLUMNS]].astype(object)
    frame = frame.where(pd.notna(frame), None)
    with transaction(con):
        con.register("cycle_overlay", frame)
        try:
            con.execute(
                "UPDATE cycle_grades g SET analyst_grade = CAST(o.analyst_grade AS INTEGER),"
                " analyst_by = o.analyst_by, final_grade = CAST(o.final_grade AS INTEGER),"
                " source = o.source FROM cycle_overlay o"
                " WHERE g.cycle_id = ? AND g.fund_id = o.fund_id",
                [cycle_id],
            )
        finally:
            con.unregister("cycle_overlay")
    return len(frame)


def previous_cycle(
    con: duckdb.DuckDBPyConnection, as_of: date | str, model: str, methodology_id: str
) -> dict | None:
    """The finished cycle of the latest earlier as_of under the same methodology id, the same
    model first; None before the first."""
    rows = con.execute(
        f"SELECT {_CYCLE_SELECT} FROM cycles WHERE state = 'finished'"
        " AND as_of < CAST(? AS DATE) AND methodology_id = ?"
        " ORDER BY as_of DESC, model = ? DESC, cycle_id DESC LIMIT 1",
        [str(as_of), methodology_id, model],
    ).fetchall()
    return _cycle(rows[0] if rows else None)


# ---------------------------------------------------------------- inputs of a cycle


def month_last_nav_dates(con: duckdb.DuckDBPyConnection) -> list[date]:
    """The last NAV date of each month with NAVs, oldest first."""
    rows = con.execute(
        "SELECT max(date) FROM nav GROUP BY date_trunc('month', date) ORDER BY 1"
    ).fetchall()
    return [r[0] for r in rows]


def latest_expert_grades(con: duckdb.DuckDBPyConnection, as_of: date | str) -> pd.DataFrame:
    """fund_id, expert_grade, expert_as_of: each fund's latest expert rating on or before as_of."""
    frame = con.execute(
        "SELECT fund_id, grade AS expert_grade, as_of AS expert_as_of FROM ratings"
        " WHERE as_of <= CAST(? AS DATE)"
        " QUALIFY row_number() OVER (PARTITION BY fund_id ORDER BY as_of DESC) = 1"
        " ORDER BY fund_id",
        [str(as_of)],
    ).df()
    frame["expert_grade"] = frame["expert_grade"].astype("Int64")
    return frame


def analyst_grades(con: duckdb.DuckDBPyConnection, as_of: date | str) -> pd.DataFrame:
    """fund_id, analyst_grade, analyst_by of the funds an analyst graded at as_of: the effective
    review decision with a grade (feedback), else the expert rating dated as_of."""
    frame = con.execute(
        """
        WITH decided AS (
            SELECT fund_id, grade_after AS grade, created_by AS analyst
            FROM feedback WHERE action <> 'comment' AND as_of = CAST(? AS DATE)
            QUALIFY row_number() OVER (PARTITION BY fund_id ORDER BY feedback_id DESC) = 1
        ), rated AS (
            SELECT fund_id, grade, coalesce(analyst, 'expert') AS analyst
            FROM ratings WHERE as_of = CAST(? AS DATE)
        )
        SELECT fund_id, coalesce(d.grade, r.grade) AS analyst_grade,
               CASE WHEN d.grade IS NOT NULL THEN d.analyst ELSE r.analyst END AS analyst_by
        FROM decided d FULL JOIN rated r USING (fund_id)
        WHERE coalesce(d.grade, r.grade) IS NOT NULL
        ORDER BY fund_id
        """,
        [str(as_of), str(as_of)],
    ).df()
    frame["analyst_grade"] = frame["analyst_grade"].astype("Int64")
    return frame
