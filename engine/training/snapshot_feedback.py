"""Analysts' corrections in a snapshot: which feedback rows apply and which are skipped."""

from __future__ import annotations

import math
from datetime import date

import pandas as pd

from engine.training.snapshot_format import SnapshotError, as_date

FEEDBACK_COLUMNS = ("fund_id", "as_of", "corrected_grade")


def feedback_items(
    feedback: pd.DataFrame | None, as_of: date, rows: pd.DataFrame
) -> tuple[list, list]:
    """(applied, skipped) feedback items for this snapshot; applied carry the previous grade."""
    if feedback is None or len(feedback) == 0:
        return [], []
    missing = [c for c in FEEDBACK_COLUMNS if c not in feedback.columns]
    if missing:
        raise SnapshotError(
            f"feedback needs columns {', '.join(FEEDBACK_COLUMNS)} (and optionally weight); "
            f"missing: {', '.join(missing)}"
        )
    in_snapshot = set(rows["fund_id"])
    applied: dict[str, dict] = {}
    skipped = []
    for number, item in enumerate(feedback.to_dict("records"), start=1):
        fund_id, grade = str(item["fund_id"]), item["corrected_grade"]
        weight = item.get("weight")
        weight = 1.0 if weight is None or pd.isna(weight) else float(weight)
        if pd.isna(grade) or float(grade) not in (1, 2, 3, 4, 5):
            raise SnapshotError(
                f"feedback row {number} ({fund_id}): corrected_grade {grade!r} is not an integer 1-5"
            )
        if not math.isfinite(weight) or weight < 0:
            raise SnapshotError(
                f"feedback row {number} ({fund_id}): weight {weight!r} is not a number >= 0"
            )
        when = as_date(item["as_of"])
        entry = {
            "fund_id": fund_id,
            "as_of": when.isoformat(),
            "corrected_grade": int(grade),
            "weight": weight,
        }
        if when != as_of:
            skipped.append({**entry, "reason": f"as_of is not the snapshot's {as_of}"})
        elif fund_id not in in_snapshot:
            skipped.append({**entry, "reason": "fund not in the snapshot"})
        else:
            if fund_id in applied:
                skipped.append({**applied[fund_id], "reason": "superseded by a later row"})
            applied[fund_id] = entry
    return sorted(applied.values(), key=lambda d: d["fund_id"]), skipped
