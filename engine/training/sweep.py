"""Hyper-parameter sweep: the founders' sensitivity study of `num_generations` × reward weights.

`grid(num_generations, weight_sets)` is every combination, in order (generations outer);
`sweep_configs(base, grid)` turns it into one `RunConfig` per point (the training batch follows
the group size: whole groups of about 8 answers). `launch` validates every config first (nothing
is created when one is invalid), freezes the dataset once (every run of a sweep learns from the
same snapshot, so differences come from the settings alone), creates and starts one run per
point — they queue for the device and train one after another — and records the sweep as
`sweeps/<sweep_id>.json` in the state folder. `results` reads each run's status and final
figures into one table.
"""

from __future__ import annotations

import itertools
import json
import logging
import math
import re
from dataclasses import asdict, dataclass, replace
from typing import Any

import pandas as pd

from engine.jobs.jsonfiles import now_iso, write_json_atomic
from engine.llm.rewards import REWARD_FUNCTIONS
from engine.training import runs
from engine.training.config import RunConfig, TrainingError, parse_weights
from engine.training.snapshot import snapshot_for
from store.home import Home

log = logging.getLogger(__name__)

SWEEPS_DIR = "sweeps"
SWEEP_ID_RE = re.compile(r"^sweep-(\d{4,})$")
BATCH_TARGET = 8  # answers per optimisation step the training batch aims at
WEIGHT_TOLERANCE = 1e-6

# Named reward-weight presets (json_format, evaluation_accuracy, reasoning_quality, consistency).
WEIGHT_PRESETS: dict[str, dict[str, float]] = {
    "founders": {
        "json_format": 0.1,
        "evaluation_accuracy": 0.5,
        "reasoning_quality": 0.3,
        "consistency": 0.1,
    },
    "equal": {
        "json_format": 0.25,
        "evaluation_accuracy": 0.25,
        "reasoning_quality": 0.25,
        "consistency": 0.25,
    },
    "accuracy": {
        "json_format": 0.1,
        "evaluation_accuracy": 0.7,
        "reasoning_quality": 0.1,
        "consistency": 0.1,
    },
    "reasoning": {
        "json_format": 0.1,
        "evaluation_accuracy": 0.3,
        "reasoning_quality": 0.5,
        "consistency": 0.1,
    },
}

# Columns of `results` (final figures of each run; empty until the run has finished).
RESULT_COLUMNS = [
    "run_id",
    "num_generations",
    "reward_weights",
    "state",
    "progress",
    "reward",
    "qwk",
    "exact",
    "within_one",
    "invalid_share",
    "qwk_before_grpo",
    "sec_per_grpo_step",
    "wall_s",
]


@dataclass(frozen=True)
class SweepPoint:
    """One combination of the grid."""

    num_generations: int
    reward_weights: dict[str, float]

    @property
    def label(self) -> str:
        return f"G={self.num_generations} · {weights_label(self.reward_weights)}"


def batch_for(num_generations: int) -> int:
    """A training batch of whole groups, about `BATCH_TARGET` answers (8 → 8, 4 → 8, 3 → 6)."""
    return num_generations * max(1, BATCH_TARGET // num_generations)


def weights_label(weights: dict[str, float]) -> str:
    """'10/50/30/10': the weights as points out of 100, in reward order."""
    return "/".join(f"{100 * float(weights.get(name, 0)):g}" for name in REWARD_FUNCTIONS)


def weight_sum_problem(weights: dict[str, float]) -> str | None:
    """A sentence when the weights do not add up to 1 (they are shares of 100 points)."""
    try:
        total = sum(float(v) for v in weights.values())
    except (TypeError, ValueError):
        return None  # RunConfig.problems names non-numbers
    if math.isfinite(total) and abs(total - 1) <= WEIGHT_TOLERANCE:
        return None
    return f"the reward weights must add up to 1 (100 points), they add up to {total:g}"


# ---------------------------------------------------------------- the grid


def parse_generations(text: str) -> list[int]:
    """'4,8' → [4, 8] (order kept, repeats dropped)."""
    values: list[int] = []
    for part in (p.strip() for p in str(text).split(",")):
        if not part:
            continue
        try:
            number = int(part)
        except ValueError:
            raise TrainingError(f"num_generations must be whole numbers, got '{part}'") from None
        if number < 2:
            raise TrainingError(
                f"num_generations must be at least 2 (GRPO compares answers), got {number}"
            )
        if number not in values:
            values.append(number)
    if not values:
        raise TrainingError("give at least one num_generations value, e.g. 4,8")
    return values


def parse_weight_sets(text: str) -> list[dict[str, float]]:
    """Weight sets separated by ';': each a preset name (founders, equal, accuracy, reasoning)
    or four numbers '0.1,0.5,0.3,0.1' in reward order (or 'json_format=0.1,…')."""
    sets: list[dict[str, float]] = []
    for part in (p.strip() for p in str(text).split(";")):
        if not part:
            continue
        weights = dict(WEIGHT_PRESETS[part]) if part in WEIGHT_PRESETS else parse_weights(part)
        if weights not in sets:
            sets.append(weights)
    if not sets:
        raise TrainingError(
            "give at least one set of reward weights, e.g. '0.1,0.5,0.3,0.1;0.25,0.25,0.25,0.25'"
        )
    return sets


def grid(num_generations: list[int], weight_sets: list[dict[str, float]]) -> list[SweepPoint]:
    """Every (num_generations, weights) combination, generations outer, repeats dropped."""
    points: list[SweepPoint] = []
    for generations, weights in itertools.product(num_generations, weight_sets):
        point = SweepPoint(int(generations), {k: float(v) for k, v in weights.items()})
        if point not in points:
            points.append(point)
    return points


def sweep_configs(base: RunConfig, points: list[SweepPoint]) -> list[RunConfig]:
    """One config per point: `base` with the point's group size, weights and a matching batch.

    A base without an explicit generation batch gets a training batch of whole groups
    (`batch_for`); raises TrainingError naming every invalid point (weights not adding up to 1
    included).
    """
    configs, problems = [], []
    for point in points:
        config = replace(
            base,
            run_id="",
            num_generations=point.num_generations,
            reward_weights=dict(point.reward_weights),
        )
        if base.generation_batch_size is None:
            config = replace(config, per_device_train_batch_size=batch_for(point.num_generations))
        found = config.problems()
        weight_problem = weight_sum_problem(point.reward_weights)
        if weight_problem is not None and weight_problem not in found:  # RunConfig names it too
            found.append(weight_problem)
        problems += [f"{point.label}: {p}" for p in found]
        configs.append(config)
    if problems:
        raise TrainingError("invalid sweep settings: " + "; ".join(problems))
    return configs


# ---------------------------------------------------------------- launching


def _sweeps_dir(home: Home):
    return home.root / SWEEPS_DIR


def _next_sweep_id(home: Home) -> str:
    folder = _sweeps_dir(home)
    folder.mkdir(parents=True, exist_ok=True)
    numbers = [
        int(m.group(1)) for p in folder.glob("sweep-*.json") if (m := SWEEP_ID_RE.match(p.stem))
    ]
    return f"sweep-{max(numbers, default=0) + 1:04d}"


def launch(
    home: Home,
    base: RunConfig,
    num_generations: list[int],
    weight_sets: list[dict[str, float]],
    *,
    start: bool = True,
    created_by: str | None = None,
) -> dict[str, Any]:
    """Create (and with `start`, queue) one run per grid point; returns the sweep record.

    Everything is checked before anything is created. The record, `sweeps/<sweep_id>.json`,
    holds the base settings, the grid and the run id of each point.
    """
    points = grid(num_generations, weight_sets)
    configs = sweep_configs(base, points)
    snapshot = snapshot_for(home, base)  # one frozen dataset for every run of the sweep
    sweep_id = _next_sweep_id(home)
    record: dict[str, Any] = {
        "sweep_id": sweep_id,
        "created_at": now_iso(),
        "base": asdict(base),
        "num_generations": [p.num_generations for p in points],
        "snapshot_sha256": snapshot.sha256,
        "runs": [],
    }
    path = _sweeps_dir(home) / f"{sweep_id}.json"
    try:
        for point, config in zip(points, configs, strict=True):
            run_id = runs.create_run(home, config, snapshot=snapshot, created_by=created_by)
            record["runs"].append(
                {
                    "run_id": run_id,
                    "num_generations": point.num_generations,
                    "reward_weights": point.reward_weights,
                }
            )
            write_json_atomic(path, record)  # a failure half-way still lists what was created
        if start:
            for item in record["runs"]:
                runs.start(home, item["run_id"])
    finally:
        if record["runs"]:
            write_json_atomic(path, record)
    log.info("%s: %d runs (%s)", sweep_id, len(points), ", ".join(p.label for p in points))
    return record


# ---------------------------------------------------------------- reading


def list_sweeps(home: Home) -> list[dict[str, Any]]:
    """Every sweep record, newest first."""
    folder = _sweeps_dir(home)
    found = []
    for path in folder.glob("sweep-*.json") if folder.is_dir() else []:
        if SWEEP_ID_RE.match(path.stem):
            found.append(json.loads(path.read_text(encoding="utf-8")))
    return sorted(found, key=lambda r: r["sweep_id"], reverse=True)


def get_sweep(home: Home, sweep_id: str | None = None) -> dict[str, Any]:
    """One sweep record (the newest when `sweep_id` is None); TrainingError when there is none."""
    sweeps = list_sweeps(home)
    if not sweeps:
        raise TrainingError("there is no sweep yet: start one with `python -m workbench sweep`")
    if sweep_id is None:
        return sweeps[0]
    for record in sweeps:
        if record["sweep_id"] == sweep_id:
            return record
    known = ", ".join(r["sweep_id"] for r in sweeps)
    raise TrainingError(f"there is no sweep {sweep_id} (sweeps: {known})")


def sweep_of_runs(home: Home) -> dict[str, str]:
    """run_id → the sweep it belongs to."""
    return {item["run_id"]: r["sweep_id"] for r in list_sweeps(home) for item in r["runs"]}


def results(home: Home, record: dict[str, Any]) -> pd.DataFrame:
    """One row per run of the sweep: its point, state, progress and final figures.

    Figures come from the run's final status (`engine.training.figures.final_figures`): reward = the mean
    total reward over the last GRPO steps, per-reward means as `reward/<name>`, validation
    agreement at the end (qwk, exact, within_one, invalid_share) and before GRPO (qwk).
    """
    rows = []
    for item in record["runs"]:
        try:
            status = runs.status_of(home, item["run_id"])
        except TrainingError:  # the run folder was deleted
            status = {"state": "missing"}
        final = status.get("final") or {}
        agreement = final.get("agreement_final") or {}
        before = final.get("agreement_before_grpo") or {}
        row = {
            "run_id": item["run_id"],
            "num_generations": item["num_generations"],
            "reward_weights": weights_label(item["reward_weights"]),
            "state": status.get("state"),
            "progress": status.get("progress"),
            "reward": final.get("reward"),
            "qwk": agreement.get("qwk"),
            "exact": agreement.get("exact"),
            "within_one": agreement.get("within_one"),
            "invalid_share": agreement.get("invalid_share"),
            "qwk_before_grpo": before.get("qwk"),
            "sec_per_grpo_step": final.get("sec_per_grpo_step"),
            "wall_s": final.get("wall_s"),
        }
        for name in REWARD_FUNCTIONS:
            row[f"reward/{name}"] = (final.get("rewards") or {}).get(name)
        rows.append(row)
    columns = RESULT_COLUMNS + [f"reward/{name}" for name in REWARD_FUNCTIONS]
    return pd.DataFrame(rows, columns=columns)
