"""What a finished run reports: its final figures from the events, and its peak memory."""

from __future__ import annotations

import resource
import time
from typing import Any

from engine.jobs.jsonfiles import parse_time
from engine.training.collapse import findings
from engine.training.folder import RunFolder


def step_pace(train_events: list[dict]) -> float | None:
    """Wall seconds per RL step from the train events' times (generation included, which TRL's
    own `step_time` counts for GRPO but not for RLOO); a pause longer than ten typical steps (a
    stop and resume) is left out. None with fewer than two steps."""
    points = [
        (e["step"], parse_time(e.get("time"))) for e in train_events if e.get("time") is not None
    ]
    gaps = [
        (t2 - t1) / (s2 - s1)
        for (s1, t1), (s2, t2) in zip(points, points[1:], strict=False)
        if s2 > s1 and t1 is not None and t2 is not None
    ]
    if not gaps:
        return None
    typical = sorted(gaps)[len(gaps) // 2]
    kept = [g for g in gaps if g <= 10 * max(typical, 1.0)]
    return sum(kept) / len(kept)


def evals_by_stage(events: list[dict]) -> dict[str, dict]:
    """The latest validation pass (`eval` event) of each stage: untrained, sft, training, final."""
    return {e.get("stage"): e for e in events if e.get("kind") == "eval"}


def final_figures(folder: RunFolder) -> dict[str, Any]:
    """What a finished run reports: rewards, the share of groups with no reward spread and the
    policy's entropy at the end (means of the last 10 steps), agreement after warm-up and at
    the end, and the warnings of `engine.training.collapse` in words."""
    events, _ = folder.read_events()
    train = [e for e in events if e["kind"] == "train" and e["phase"] == "grpo"]
    tail = train[-10:]
    reward_keys = sorted(
        {k for e in tail for k in e if k.startswith("rewards/") and k.endswith("/mean")}
    )

    def mean(key: str) -> float | None:
        values = [e[key] for e in tail if isinstance(e.get(key), int | float)]
        return sum(values) / len(values) if values else None

    evals = evals_by_stage(events)
    strip = ("time", "phase", "kind", "examples")
    status = folder.read_status()
    started = parse_time(status.get("started_at"))
    return {
        "grpo_steps": train[-1]["step"] if train else 0,
        "reward": mean("reward"),
        "rewards": {k.split("/")[1]: mean(k) for k in reward_keys},
        "frac_reward_zero_std": mean("frac_reward_zero_std"),
        "entropy": mean("entropy"),
        "sec_per_grpo_step": step_pace(train) or mean("step_time"),
        "agreement_before_grpo": {
            k: v
            for k, v in (evals.get("sft") or evals.get("untrained") or {}).items()
            if k not in strip
        },
        "agreement_final": {k: v for k, v in evals.get("final", {}).items() if k not in strip},
        "wall_s": round(time.time() - started, 1) if started else None,
        "warnings": [f.text for f in findings(events)],
    }


def peak_memory_mb(device: str) -> float | None:
    """Peak memory of this process's training: the GPU's allocator peak on CUDA, else the
    process's peak resident set (Linux `ru_maxrss`, kB); None where neither can be read."""
    try:
        if device == "cuda":
            import torch

            return round(torch.cuda.max_memory_allocated() / 2**20, 1)
        return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    except Exception:  # noqa: BLE001 — a figure to show, never a reason to fail the run
        return None
