"""Reading analysts' decisions: the audit trail, the effective decisions a snapshot applies,
an evaluation's review table (disagreements first) and whether a decision is in a model."""

from __future__ import annotations

from typing import Any

import duckdb
import pandas as pd

from engine.review.feedback_items import LABEL_ACTIONS
from store import evaluations
from store import feedback as stored


def history(con: duckdb.DuckDBPyConnection, fund_id: str | None = None, as_of: Any = None):
    """The audit trail (oldest first), optionally of one fund and date."""
    when = None if as_of is None else pd.Timestamp(as_of).date().isoformat()
    return stored.list_feedback(con, fund_id, when)


def for_snapshot(
    con: duckdb.DuckDBPyConnection, as_of: Any = None, *, accept_weight: float | None = None
) -> pd.DataFrame:
    """The effective `correct` / `accept_ai` decisions as `snapshot_for(feedback=…)` takes them.

    Columns fund_id, as_of (ISO), corrected_grade, weight, feedback_id; `keep_expert` adds
    nothing. `accept_weight` overrides the weight recorded with each accepted AI grade.
    """
    when = None if as_of is None else pd.Timestamp(as_of).date().isoformat()
    frame = stored.effective(con, when)
    frame = frame[frame["action"].isin(LABEL_ACTIONS)].reset_index(drop=True)
    weight = frame["weight"].astype(float)
    if accept_weight is not None:
        weight = weight.where(frame["action"] != "accept_ai", float(accept_weight))
    return pd.DataFrame(
        {
            "fund_id": frame["fund_id"].astype(str),
            "as_of": pd.to_datetime(frame["as_of"]).dt.date.astype(str),
            "corrected_grade": frame["grade_after"].astype("int64"),
            "weight": weight,
            "feedback_id": frame["feedback_id"].astype("int64"),
        }
    )


def review_table(con: duckdb.DuckDBPyConnection, evaluation_id: str) -> pd.DataFrame:
    """One row per fund of an evaluation (its greedy answer), disagreements first.

    `store.evaluations.results` plus the fund's effective decision (`store.feedback.decisions`)
    and: `invalid` (the answer has no valid grade), `gap` = |AI grade - expert grade| (NaN
    when either is missing). Order: invalid answers first, then the largest gap, then funds
    without an expert grade, each by fund_id.
    """
    frame = evaluations.results(con, evaluation_id)
    if frame.empty:
        return frame.assign(invalid=pd.Series(dtype=bool), gap=pd.Series(dtype=float))
    as_of = pd.Timestamp(frame["as_of"].iloc[0]).date().isoformat()
    decided = stored.decisions(con, as_of)
    frame = frame.merge(decided, on="fund_id", how="left")
    frame["n_feedback"] = frame["n_feedback"].fillna(0).astype(int)
    return disagreements_first(frame)


def disagreements_first(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` (grade, expert_grade, parse_status) with `invalid` and `gap`, sorted as
    `review_table` says."""
    out = frame.copy()
    out["invalid"] = out["grade"].isna() | (out["parse_status"] != "ok")
    ai = pd.to_numeric(out["grade"], errors="coerce").astype(float)
    expert = pd.to_numeric(out["expert_grade"], errors="coerce").astype(float)
    out["gap"] = (ai - expert).abs()
    rank = out["invalid"].map({True: 0, False: 1}) + expert.isna().astype(int) * 2
    out = out.assign(_rank=rank, _gap=-out["gap"].fillna(-1))
    out = out.sort_values(["_rank", "_gap", "fund_id"], kind="stable")
    return out.drop(columns=["_rank", "_gap"]).reset_index(drop=True)


def model_status(decision_ids: pd.Series, decisions: pd.Series, trained: dict[int, dict]):
    """Per fund: (state, run_id) of its effective decision: 'none' (no decision), 'not_needed'
    (kept the expert grade), 'pending' (in no run yet), else the run's state ('finished' = in a
    trained model) and id."""
    out = []
    for fid, action in zip(decision_ids, decisions, strict=True):
        if fid is None or pd.isna(fid):
            out.append(("none", None))
        elif action == "keep_expert":
            out.append(("not_needed", None))
        elif int(fid) in trained:
            run = trained[int(fid)]
            out.append((run["state"] or "pending", run["run_id"]))
        else:
            out.append(("pending", None))
    return out
