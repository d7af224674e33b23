"""Analysts' corrections in a snapshot: which feedback rows apply (training rows only) and which
are skipped, each with its reason."""

from __future__ import annotations

import math

import pandas as pd

from engine.training.snapshot_format import SnapshotError, as_date

FEEDBACK_COLUMNS = ("fund_id", "as_of", "corrected_grade")


def feedback_items(
    feedback: pd.DataFrame | None, dates: list[str], rows: pd.DataFrame
) -> tuple[list, list]:
    """(applied, skipped) feedback items for the snapshot `rows` on rating dates `dates` (ISO).

    An item applies to the training row of its (fund, as_of); the last item per row wins. A fund
    in the validation or test split keeps the experts' grade: held-out labels are what a model
    is judged against, and an accepted AI grade there would be the parent model's own answer.
    """
    if feedback is None or len(feedback) == 0:
        return [], []
    missing = [c for c in FEEDBACK_COLUMNS if c not in feedback.columns]
    if missing:
        raise SnapshotError(
            f"feedback needs columns {', '.join(FEEDBACK_COLUMNS)} (and optionally weight); "
            f"missing: {', '.join(missing)}"
        )
    split_of = dict(zip(rows["fund_id"], rows["split"], strict=True))
    present = set(zip(rows["fund_id"], rows["as_of"], strict=True))
    if len(dates) == 1:
        other_date = f"as_of is not the snapshot's {dates[0]}"
    else:
        other_date = f"as_of is not one of the snapshot's rating dates ({', '.join(dates)})"
    applied: dict[tuple[str, str], dict] = {}
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
        when = as_date(item["as_of"]).isoformat()
        entry = {"fund_id": fund_id, "as_of": when, "corrected_grade": int(grade), "weight": weight}
        split = split_of.get(fund_id)
        if when not in dates:
            skipped.append({**entry, "reason": other_date})
        elif split is None:
            skipped.append({**entry, "reason": "fund not in the snapshot"})
        elif split != "train":
            reason = f"held out: the fund is in the {split} split, whose labels stay the experts'"
            skipped.append({**entry, "reason": reason})
        elif (fund_id, when) not in present:
            skipped.append({**entry, "reason": f"the fund has no row on {when} in the snapshot"})
        else:
            key = (fund_id, when)
            if key in applied:
                skipped.append({**applied[key], "reason": "superseded by a later row"})
            applied[key] = entry
    return [applied[k] for k in sorted(applied)], skipped
