"""Retraining: a new run with its parent's settings and the analysts' feedback in its data."""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

import pandas as pd

from engine.llm import models
from engine.review.decisions import for_snapshot
from engine.review.feedback_items import FeedbackError
from engine.training import runs
from engine.training.snapshot import snapshot_for
from store.db import connect
from store.home import Home

log = logging.getLogger(__name__)


def retrain(
    home: Home,
    parent_run_id: str,
    *,
    as_of: Any = None,
    accept_weight: float | None = None,
    from_parent_model: bool = False,
    changes: dict | None = None,
    start: bool = True,
    created_by: str | None = None,
) -> dict:
    """A new run with the parent's settings and the analysts' feedback applied to its data.

    The snapshot is built as the parent's (methodology version, rating date unless `as_of`,
    language, seed, splits) with `for_snapshot` at that date; the new RunConfig records
    `parent_run_id` and the `feedback_ids` the snapshot applied. `from_parent_model` trains on
    from the parent's final model (no warm-up) instead of from the parent's starting model.
    Returns {run_id, parent_run_id, feedback_ids, applied, skipped, status}.
    """
    parent = runs.load_config(home, parent_run_id)
    when = pd.Timestamp(as_of).date().isoformat() if as_of is not None else parent.as_of
    with connect(home) as con:
        items = for_snapshot(con, when, accept_weight=accept_weight)
    if items.empty:
        raise FeedbackError(
            f"no corrections or accepted AI grades on {when} to train with: review an "
            "evaluation of that date first"
        )
    snapshot = snapshot_for(home, replace(parent, as_of=when), feedback=items)
    applied = snapshot.manifest["feedback"]["applied"]
    taken = {a["fund_id"] for a in applied}
    ids = [
        str(i) for f, i in zip(items["fund_id"], items["feedback_id"], strict=True) if f in taken
    ]
    if not ids:
        raise FeedbackError(
            f"none of the {len(items)} feedback items on {when} matches a fund of the training "
            "data (funds without an expert rating or not eligible are left out)"
        )
    config = replace(
        parent, run_id="", as_of=when, parent_run_id=parent_run_id, feedback_ids=ids,
        **(changes or {}),
    )  # fmt: skip
    if from_parent_model:
        model = runs.run_folder(home, parent_run_id).model
        if not model.is_dir():
            raise FeedbackError(f"{parent_run_id} has no final model to continue from")
        config = replace(config, model=str(model), sft_steps=0)
    run_id = runs.create_run(home, config, snapshot=snapshot, created_by=created_by)
    status = None
    if start:
        models.resolve(home, config.model)
        status = runs.start(home, run_id)
    log.info("%s: retraining %s with %d feedback items", run_id, parent_run_id, len(ids))
    return {
        "run_id": run_id,
        "parent_run_id": parent_run_id,
        "feedback_ids": ids,
        "applied": applied,
        "skipped": snapshot.manifest["feedback"]["skipped"],
        "status": status,
    }
