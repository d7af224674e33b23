"""Analysts' feedback on AI grades and how it flows into the next training run.

docs/review-format.md section 3 is the contract. Rules:

- Actions. `accept_ai` (the AI grade becomes the label, with the accept weight, default 0.5:
  an accepted AI grade counts less than a human correction), `keep_expert` (the expert grade
  stays; adds nothing to the data), `correct` (a grade 1-5 chosen by the analyst, with a
  required reason) and `comment` (text only; never changes the label). Every action is a new
  row with who, when, the label before and after; rows are never changed or deleted.
- Effective decision of a (fund, as_of): its latest non-comment row. `for_snapshot` turns the
  effective `correct` and `accept_ai` decisions into the table `engine.training.snapshot.snapshot_for`
  takes (`feedback=`).
- Decisions change training labels only: a fund in the validation or test split keeps the
  experts' grade (an accepted AI grade there would grade the parent model against itself).
  The weight counts in training: the warm-up counts the example `weight` times in its loss,
  RL scales the answers' advantages by it (`engine.training.phases`).
- Retraining (`retrain`): the parent run's settings, a snapshot with the feedback applied, and
  in the new run's RunConfig `parent_run_id` and `feedback_ids` (the ids the snapshot applied).
- A decision "is in a trained model" when its feedback_id is in a finished run's feedback_ids.
- Imports (`import_file`): a CSV or Excel file of actions (fund_id, as_of, action, grade,
  reason, comment; optionally weight, evaluation_id), all or nothing, refused with row numbers
  as a spreadsheet shows them (the header is row 1), like `engine.data.ingest`.

The parts are in engine/review/: feedback_items (the actions' rules and writing them),
decisions (reading them), lineage (runs and the decisions they took), retrain and
feedback_import; this module records actions and keeps every name importable from here.
"""

from __future__ import annotations

import json
from typing import Any

import pandas as pd

from engine.review.decisions import (
    disagreements_first,
    for_snapshot,
    history,
    model_status,
    review_table,
)
from engine.review.feedback_import import (
    DATE_RE,
    FIRST_DATA_ROW,
    FORMATS,
    IMPORT_COLUMNS,
    IMPORT_OPTIONAL,
    MAX_PROBLEMS_SHOWN,
    import_file,
)
from engine.review.feedback_items import (
    ACCEPT_WEIGHT,
    ACTIONS,
    CORRECT_WEIGHT,
    DEFAULT_USER,
    LABEL_ACTIONS,
    FeedbackError,
    is_grade,
    item_problems,
    new_item,
    write_items,
)
from engine.review.lineage import lineage, lineage_text, trained_feedback
from engine.review.retrain import retrain
from store import feedback as stored
from store.db import connect
from store.home import Home

__all__ = [
    "ACCEPT_WEIGHT",
    "ACTIONS",
    "CORRECT_WEIGHT",
    "DATE_RE",
    "DEFAULT_USER",
    "FIRST_DATA_ROW",
    "FORMATS",
    "IMPORT_COLUMNS",
    "IMPORT_OPTIONAL",
    "LABEL_ACTIONS",
    "MAX_PROBLEMS_SHOWN",
    "FeedbackError",
    "accept_all",
    "as_records",
    "disagreements_first",
    "for_snapshot",
    "history",
    "import_file",
    "item_problems",
    "lineage",
    "lineage_text",
    "model_status",
    "record",
    "retrain",
    "review_table",
    "trained_feedback",
]


def record(
    home: Home,
    fund_id: str,
    as_of: Any,
    action: str,
    *,
    grade: int | None = None,
    ai_grade: int | None = None,
    reason: str | None = None,
    comment: str | None = None,
    weight: float | None = None,
    evaluation_id: str | None = None,
    created_by: str | None = None,
) -> int:
    """Record one action on a fund's grade at `as_of`; returns its feedback_id.

    `grade` is the corrected grade (`correct`) or the accepted AI grade (`accept_ai`, default
    `ai_grade`). Raises FeedbackError for an unknown action or fund, a correction without grade
    or reason, an accepted invalid answer, a comment without text.
    """
    item = new_item(
        fund_id, as_of, action, grade=grade, ai_grade=ai_grade, reason=reason, comment=comment,
        weight=weight, evaluation_id=evaluation_id, created_by=created_by,
    )  # fmt: skip
    with connect(home) as con:
        return write_items(con, [item])[0]


def accept_all(
    home: Home,
    rows: pd.DataFrame,
    as_of: Any,
    *,
    evaluation_id: str | None = None,
    created_by: str | None = None,
    weight: float = ACCEPT_WEIGHT,
    only_undecided: bool = True,
) -> dict:
    """Accept the AI grade of every fund in `rows` (fund_id, ai_grade): one row per fund, one
    transaction. Skipped: funds whose AI answer is invalid (no grade to accept) and, with
    `only_undecided`, funds an analyst has already decided on at `as_of` (a bulk action never
    overrides a correction).

    Returns {"feedback_ids", "accepted", "skipped": [fund_id, ...], "already_decided": [...]}.
    """
    frame = rows.drop_duplicates("fund_id")
    valid = frame["ai_grade"].map(is_grade)
    when = pd.Timestamp(as_of).date().isoformat()
    with connect(home) as con:
        decided = set(stored.effective(con, when)["fund_id"]) if only_undecided else set()
        open_ = valid & ~frame["fund_id"].isin(decided)
        items = [
            new_item(f, when, "accept_ai", ai_grade=g, weight=weight, evaluation_id=evaluation_id,
                  created_by=created_by)
            for f, g in zip(frame.loc[open_, "fund_id"], frame.loc[open_, "ai_grade"], strict=True)
        ]  # fmt: skip
        ids = write_items(con, items) if items else []
    return {
        "feedback_ids": ids,
        "accepted": len(ids),
        "skipped": [str(f) for f in frame.loc[~valid, "fund_id"]],
        "already_decided": [str(f) for f in frame.loc[valid & ~open_, "fund_id"]],
    }


def as_records(frame: pd.DataFrame) -> list[dict]:
    """A feedback frame as JSON-ready dicts (as_of as YYYY-MM-DD, created_at as ISO text)."""
    out = frame.copy()
    if "as_of" in out:
        out["as_of"] = pd.to_datetime(out["as_of"]).dt.strftime("%Y-%m-%d")
    if "created_at" in out:
        out["created_at"] = pd.to_datetime(out["created_at"]).dt.strftime("%Y-%m-%dT%H:%M:%S")
    return json.loads(out.to_json(orient="records", force_ascii=False))
