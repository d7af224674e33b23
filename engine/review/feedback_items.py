"""The rules of one feedback action: the actions, their defaults, what makes one invalid, and
writing checked actions to the store (docs/review-format.md section 3)."""

from __future__ import annotations

import logging
import math
from typing import Any

import duckdb
import pandas as pd

from engine.methodology.core import GRADES
from store import feedback as stored

log = logging.getLogger(__name__)

ACTIONS = ("accept_ai", "keep_expert", "correct", "comment")
LABEL_ACTIONS = ("accept_ai", "correct")  # the actions that change a snapshot's label
ACCEPT_WEIGHT = 0.5  # an accepted AI grade counts half as much as a human label
CORRECT_WEIGHT = 1.0
DEFAULT_USER = "analyst"


class FeedbackError(ValueError):
    """A feedback action or retraining request is refused; the message says why in one line."""


# ---------------------------------------------------------------- checking actions


def is_grade(value: Any) -> bool:
    """Whether `value` is a grade 1-5 (an integer, possibly written as text or a float)."""
    if value is None or isinstance(value, bool):
        return False
    try:
        number = float(value)
    except (TypeError, ValueError):
        return False
    return math.isfinite(number) and number in GRADES


def clean_text(value: Any) -> str | None:
    """`value` as stripped text, None when missing or blank."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return None
    text = str(value).strip()
    return text or None


def item_problems(item: dict) -> list[tuple[str, str]]:
    """(column, message) for each thing wrong with one action (empty when it can be recorded)."""
    out = []
    action = item.get("action")
    if action not in ACTIONS:
        return [("action", f"action must be one of {', '.join(ACTIONS)}, got {action!r}")]
    grade = item.get("grade_after")
    if action == "correct":
        if not is_grade(grade):
            out.append(("grade", f"a correction needs a grade 1-5, got {grade!r}"))
        if clean_text(item.get("reason")) is None:
            out.append(("reason", "a correction needs a reason"))
    if action == "accept_ai" and not is_grade(grade):
        out.append(("grade", "the AI answer has no valid grade to accept (invalid output)"))
    if action == "comment" and clean_text(item.get("comment")) is None:
        out.append(("comment", "a comment needs text"))
    weight = item.get("weight")
    try:
        ok = weight is not None and math.isfinite(float(weight)) and float(weight) >= 0
    except (TypeError, ValueError):
        ok = False
    if not ok:
        out.append(("weight", f"weight must be a number >= 0, got {weight!r}"))
    return out


def new_item(
    fund_id: str,
    as_of: Any,
    action: str,
    *,
    grade: Any = None,
    ai_grade: Any = None,
    reason: Any = None,
    comment: Any = None,
    weight: float | None = None,
    evaluation_id: str | None = None,
    created_by: str | None = None,
) -> dict:
    """One new feedback row (store.feedback.NEW_COLUMNS) with the defaults filled in."""
    if action == "accept_ai" and grade is None:
        grade = ai_grade
    if weight is None:
        weight = ACCEPT_WEIGHT if action == "accept_ai" else CORRECT_WEIGHT
    return {
        "fund_id": str(fund_id),
        "as_of": pd.Timestamp(as_of).date().isoformat(),
        "evaluation_id": evaluation_id,
        "action": action,
        "grade_after": int(float(grade)) if action in LABEL_ACTIONS and is_grade(grade) else None,
        "ai_grade": int(float(ai_grade)) if is_grade(ai_grade) else None,
        "reason": clean_text(reason),
        "comment": clean_text(comment),
        "weight": weight,
        "created_by": clean_text(created_by) or DEFAULT_USER,
    }


def _check_funds(con: duckdb.DuckDBPyConnection, items: list[dict]) -> None:
    known = stored.known_funds(con, [i["fund_id"] for i in items])
    unknown = sorted({i["fund_id"] for i in items} - known)
    if unknown:
        raise FeedbackError(f"unknown fund(s): {', '.join(unknown[:5])}; load them first")


def expert_missing(con: duckdb.DuckDBPyConnection, items: list[dict]) -> list[int]:
    """Positions of keep_expert items whose fund has no expert rating on that date."""
    asked = [(n, i) for n, i in enumerate(items) if i["action"] == "keep_expert"]
    if not asked:
        return []
    frame = pd.DataFrame(
        {"n": [n for n, _ in asked], "fund_id": [i["fund_id"] for _, i in asked],
         "as_of": [i["as_of"] for _, i in asked]}
    )  # fmt: skip
    con.register("asked_ratings", frame)
    try:
        rows = con.execute(
            "SELECT a.n FROM asked_ratings a LEFT JOIN ratings r"
            " ON r.fund_id = a.fund_id AND r.as_of = CAST(a.as_of AS DATE)"
            " WHERE r.grade IS NULL ORDER BY a.n"
        ).fetchall()
    finally:
        con.unregister("asked_ratings")
    return [r[0] for r in rows]


def write_items(con: duckdb.DuckDBPyConnection, items: list[dict]) -> list[int]:
    """Check `items` (FeedbackError at the first wrong one) and append them; their ids."""
    for item in items:
        problems = item_problems(item)
        if problems:
            column, message = problems[0]
            raise FeedbackError(f"{item['fund_id']}: {message}")
    _check_funds(con, items)
    missing = expert_missing(con, items)
    if missing:
        item = items[missing[0]]
        raise FeedbackError(f"{item['fund_id']}: no expert grade on {item['as_of']} to keep")
    ids = stored.append(con, pd.DataFrame(items, columns=list(stored.NEW_COLUMNS)))
    log.info("recorded %d feedback item(s): %s", len(ids), ", ".join(map(str, ids[:10])))
    return ids
