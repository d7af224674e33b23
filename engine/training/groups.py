"""GRPO groups: the answers sampled for one prompt, each with its rewards and its advantage,
so an analyst sees what the policy is paid for.

`advantages` repeats the trainer's arithmetic on a batch's weighted total rewards (groups of
`num_generations` consecutive answers):
- GRPO (TRL 1.16 `GRPOTrainer`, sum-then-normalise): reward minus the group's mean, divided by
  the group's (or the batch's) sample standard deviation + 1e-4 unless `scale_rewards` is
  "none"; an answer no reward function scored gets 0.
- GRPO with `advantage_floor` > 0 (`engine.training.phases.floored_advantages`, CoRPO): the
  baseline is max(group mean, floor) and an unscored answer's total is 0.
- RLOO (`RLOOTrainer`): reward minus the mean of the group's other answers (TRL's KL penalty,
  when `beta` > 0, is not in the recorded rewards: such records are marked not `exact`).
Every advantage is then multiplied by its fund's `sample_weight`, as the trainer does.

`group_record` builds the `group` event of one prompt (answers cut to `ANSWER_CHARS`);
`engine.training.samples.RewardRecorder` writes one at GRPO step 1, at the validation steps and
at the last step, at most `MAX_GROUPS` per run.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from engine.llm.validation import grade_of
from engine.training.config import RunConfig

EPS = 1e-4  # TRL's guard against a zero spread
ANSWER_CHARS = 1500
MAX_GROUPS = 24
GROUP_KIND = "group"
NAN = float("nan")


def weighted_totals(
    scores: dict[str, Sequence[float | None]], weights: dict[str, float]
) -> list[float]:
    """Σ_k weight_k × score_k per answer, scores of None left out; NaN where none scored."""
    names = [n for n in weights if n in scores]
    size = len(scores[names[0]]) if names else 0
    out = []
    for i in range(size):
        parts = [float(weights[n]) * float(scores[n][i]) for n in names if _number(scores[n][i])]
        out.append(math.fsum(parts) if parts else NAN)
    return out


def advantages(
    totals: Sequence[float],
    num_generations: int,
    *,
    algorithm: str = "grpo",
    scale_rewards: str = "group",
    advantage_floor: float = 0.0,
    weights: Sequence[float] | None = None,
) -> list[float]:
    """Each answer's advantage from the batch's weighted total rewards (module docstring)."""
    size = len(totals)
    if num_generations < 1 or size % num_generations:
        raise ValueError(f"{size} answers are not whole groups of {num_generations}")
    groups = [list(totals[i : i + num_generations]) for i in range(0, size, num_generations)]
    if algorithm == "rloo":
        out = [a for g in groups for a in _leave_one_out(g)]
    elif advantage_floor > 0:
        out = _floored(groups, advantage_floor, scale_rewards)
    else:
        out = _group_relative(groups, scale_rewards)
    out = [0.0 if a != a else a for a in out]
    if weights is not None:
        out = [a * float(w) for a, w in zip(out, weights, strict=True)]
    return out


def _group_relative(groups: list[list[float]], scale: str) -> list[float]:
    batch_std = _std([r for g in groups for r in g])
    out = []
    for group in groups:
        mean = _mean(group)
        spread = batch_std if scale == "batch" else _std(group)
        for r in group:
            out.append((r - mean) / (spread + EPS) if scale != "none" else r - mean)
    return out


def _floored(groups: list[list[float]], floor: float, scale: str) -> list[float]:
    groups = [[0.0 if r != r else r for r in g] for g in groups]
    batch_std = _std([r for g in groups for r in g])
    out = []
    for group in groups:
        baseline = max(_mean(group), floor)
        spread = batch_std if scale == "batch" else _std(group)
        for r in group:
            out.append(
                (r - baseline) / (spread + EPS) if scale in ("group", "batch") else r - baseline
            )
    return out


def _leave_one_out(group: list[float]) -> list[float]:
    scored = [r for r in group if r == r]
    if len(group) < 2:
        return [0.0] * len(group)
    out = []
    for r in group:
        others = len(scored) - (1 if r == r else 0)
        out.append(r - (math.fsum(scored) - (r if r == r else 0.0)) / others if others else NAN)
    return out


def group_record(
    config: RunConfig,
    completions: Sequence[str],
    scores: dict[str, Sequence[float | None]],
    columns: dict[str, Sequence[Any]],
    *,
    processes: int = 1,
) -> dict[str, Any] | None:
    """The `group` event's data for the first prompt of a batch: its fund, the expert's grade,
    and per answer its text (cut), grade, rewards, weighted total and advantage. None when the
    batch does not start with a whole group of one fund."""
    g = config.num_generations
    funds = list(columns.get("fund_id") or [None] * len(completions))
    if len(completions) < g or len(completions) % g or len(set(funds[:g])) != 1:
        return None
    names = [n for n in config.reward_weights if n in scores]
    totals = weighted_totals(scores, config.reward_weights)
    weights = [_weight(columns, i) for i in range(len(completions))]
    paid = advantages(
        totals, g, algorithm=config.algorithm, scale_rewards=config.scale_rewards,
        advantage_floor=config.advantage_floor, weights=weights,
    )  # fmt: skip
    group = [t for t in totals[:g] if t == t]
    answers = [
        {
            "completion": completions[i][:ANSWER_CHARS],
            "cut": len(completions[i]) > ANSWER_CHARS,
            "grade": grade_of(completions[i]),
            "rewards": {n: _clean(scores[n][i]) for n in names},
            "reward": _clean(totals[i]),
            "advantage": paid[i],
        }
        for i in range(g)
    ]
    exact = not (
        (config.algorithm == "rloo" and config.beta > 0)
        or (config.scale_rewards == "batch" and processes > 1 and config.algorithm != "rloo")
    )
    return {
        "fund_id": funds[0],
        "expert_grade": _first(columns, "expert_grade"),
        "sample_weight": weights[0],
        "mean_reward": _mean(group) if group else None,
        "reward_std": _clean(_std(group)) if group else None,
        "settings": {
            "algorithm": config.algorithm, "scale_rewards": config.scale_rewards,
            "advantage_floor": config.advantage_floor, "num_generations": g,
            "reward_weights": dict(config.reward_weights),
        },
        "exact": exact,
        "answers": answers,
    }  # fmt: skip


def group_steps(config: RunConfig) -> set[int]:
    """The GRPO steps whose first group is recorded: step 1, the validation steps (every
    `eval_every`, thinned to at most MAX_GROUPS in all) and the last step."""
    every = max(1, config.eval_every)
    passes = config.max_steps // every
    stride = every * max(1, math.ceil(passes / (MAX_GROUPS - 2)))
    return {1, config.max_steps, *range(stride, config.max_steps + 1, stride)}


def group_events(events: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The recorded groups in step order (the last record of a step wins)."""
    by_step = {int(e.get("step") or 0): e for e in events if e.get("kind") == GROUP_KIND}
    return [by_step[s] for s in sorted(by_step)]


def _mean(values: Sequence[float]) -> float:
    kept = [v for v in values if v == v]
    return math.fsum(kept) / len(kept) if kept else NAN


def _std(values: Sequence[float]) -> float:
    """Sample standard deviation (Bessel), NaN left out; NaN with fewer than two values."""
    kept = [v for v in values if v == v]
    if len(kept) < 2:
        return NAN
    mean = math.fsum(kept) / len(kept)
    return math.sqrt(math.fsum((v - mean) ** 2 for v in kept) / (len(kept) - 1))


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value == value


def _clean(value: Any) -> float | None:
    return float(value) if _number(value) else None


def _weight(columns: dict[str, Sequence[Any]], i: int) -> float:
    values = columns.get("sample_weight")
    value = values[i] if isinstance(values, Sequence) and i < len(values) else None
    return 1.0 if value is None else float(value)


def _first(columns: dict[str, Sequence[Any]], name: str) -> Any:
    values = columns.get(name)
    return values[0] if isinstance(values, Sequence) and values else None
