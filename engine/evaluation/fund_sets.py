"""Which funds an evaluation's figures rest on: training funds among them, and identical sets.

- `split_run(evaluator, selection, run_id)` / `training_run_of(meta)`: the run whose training
  split decides which funds are in-sample (the evaluator's own run, else the run it was
  evaluated for comparison with, else the run of a `test:<run_id>` selection).
- `training_funds(home, run_id, fund_ids)`: how many of the funds that run trained on.
- `fund_set_id(as_of, fund_ids)`: a short name of a fund set at a rating date; two evaluations
  rank side by side only when theirs are equal (`engine.evaluation.leaderboard.leaderboard`).
- `training_note(n, run_id)` / `shared_note(counts)`: the one-line notes the leaderboard shows.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

from engine.evaluation.evaluators import EvaluationError, Evaluator, run_snapshot
from engine.training.snapshot import SnapshotError
from store.home import Home


def split_run(evaluator: Evaluator, selection: str, run_id: str | None = None) -> str | None:
    """The run whose training split matters for `evaluator` on `selection` (None: no run)."""
    kind, _, arg = selection.partition(":")
    return evaluator.run_id or run_id or (arg if kind == "test" else None)


def training_run_of(meta: dict[str, Any]) -> str | None:
    """`split_run` of a stored evaluation (its row, settings parsed)."""
    settings = meta.get("settings") or {}
    kind, _, arg = str(meta.get("selection") or "").partition(":")
    return meta.get("run_id") or settings.get("split_run") or (arg if kind == "test" else None)


def training_ids(home: Home, run_id: str) -> set[str] | None:
    """The fund ids of `run_id`'s training split; None when its snapshot cannot be read."""
    try:
        frame = run_snapshot(home, run_id).frames["train"]
    except (EvaluationError, SnapshotError, OSError, ValueError, KeyError):
        return None
    return {str(f) for f in frame["fund_id"]}


def training_funds(home: Home, run_id: str | None, fund_ids: Iterable[str]) -> int | None:
    """How many of `fund_ids` `run_id` trained on (0 without a run; None when unknown)."""
    if not run_id:
        return 0
    train = training_ids(home, run_id)
    if train is None:
        return None
    return sum(str(f) in train for f in set(fund_ids))


def stored_training_funds(meta: dict[str, Any]) -> int | None:
    """The training funds counted in a stored evaluation's selection when it was started."""
    value = (meta.get("settings") or {}).get("training_funds_in_selection")
    return int(value) if value is not None else None


def fund_set_id(as_of: Any, fund_ids: Iterable[str]) -> str:
    """'2025-12-31:7:3f9a1c0b': the rating date, how many funds and a hash of their ids."""
    funds = sorted({str(f) for f in fund_ids})
    digest = hashlib.sha256("\n".join(funds).encode()).hexdigest()[:8]
    return f"{str(as_of)[:10]}:{len(funds)}:{digest}"


def training_note(n: int | None, run_id: str | None) -> str:
    """'includes 43 training funds of run-0001' ('' with none; 'training funds of … unknown')."""
    if not run_id or n == 0:
        return ""
    if n is None:
        return f"training funds of {run_id} unknown (its split cannot be read)"
    return f"includes {n} training fund{'s' if n != 1 else ''} of {run_id}"


def shared_note(counts: dict[str, int]) -> str:
    """'the funds include training funds of run-0001 (43)' for an evaluator without those runs."""
    shown = [f"{run} ({n})" for run, n in counts.items() if n]
    return f"the funds include training funds of {', '.join(shown)}" if shown else ""
