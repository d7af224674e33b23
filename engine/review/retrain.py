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
from engine.training.config import rating_date_choice
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

    The snapshot is built as the parent's (methodology version, rating dates with the latest
    one `as_of` when given, language, seed, splits) with `for_snapshot` on its rating dates;
    feedback changes training labels only (validation and test keep the experts' grades). The
    new RunConfig records `parent_run_id` and the `feedback_ids` the snapshot applied.
    `from_parent_model` trains on from the parent's final model (no warm-up) instead of from
    the parent's starting model. Returns {run_id, parent_run_id, feedback_ids, applied,
    skipped, status}.
    """
    parent = runs.load_config(home, parent_run_id)
    when = pd.Timestamp(as_of).date().isoformat() if as_of is not None else parent.as_of
    one_date = rating_date_choice(parent.rating_dates) == "last"
    with connect(home) as con:
        items = for_snapshot(con, when if one_date else None, accept_weight=accept_weight)
    if items.empty:
        dates = when if one_date else f"the rating dates of {parent_run_id}"
        raise FeedbackError(
            f"no corrections or accepted AI grades on {dates} to train with: review an "
            "evaluation of that date first"
        )
    snapshot = snapshot_for(home, replace(parent, as_of=when), feedback=items)
    applied = snapshot.manifest["feedback"]["applied"]
    taken = {(a["fund_id"], a["as_of"]) for a in applied}
    keys = zip(items["fund_id"], items["as_of"], items["feedback_id"], strict=True)
    ids = [str(i) for f, d, i in keys if (f, d) in taken]
    if not ids:
        raise FeedbackError(
            f"none of the {len(items)} feedback items on {when} matches a training fund: "
            "validation and test funds keep the experts' grades, and funds without an expert "
            "rating or not eligible are left out"
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
