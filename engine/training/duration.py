"""How long a run will take on this machine, before it starts.

A step's cost grows with the work it does: a warm-up step with its batch of examples, an RL
step with the answers it generates (`effective_generation_batch`) times their length in tokens
(`max_completion_length`, which an untrained model fills). The pace per unit of work is measured:

- from this home's finished runs of the same model on the same device (their events' step
  times, `figures.step_pace`), the median over the runs;
- else from `reference_pace.json`: paces measured by `bench/bench_train.py --write-pace` on a
  2-core CPU (the machine class CI and a newcomer's laptop have), named as such.

An estimate covers the training steps; loading the model and validation passes come on top.
"""

from __future__ import annotations

import json
import statistics
from dataclasses import dataclass
from pathlib import Path

from engine.training.config import RunConfig
from engine.training.figures import step_pace
from engine.training.folder import RunFolder

REFERENCE_PACE = Path(__file__).with_name("reference_pace.json")
MINUTE = 60.0


@dataclass(frozen=True)
class Pace:
    """Seconds per unit of work: a warm-up example, an RL answer token."""

    sft_s_per_example: float | None
    rl_s_per_token: float | None
    basis: str


@dataclass(frozen=True)
class Estimate:
    """The expected wall time of a run's training steps, and what it rests on."""

    seconds: float
    sft_seconds: float
    rl_seconds: float
    basis: str

    @property
    def minutes(self) -> float:
        return self.seconds / MINUTE


def rl_tokens_per_step(config: RunConfig) -> int:
    """Answer tokens one RL step may generate: answers per step times their longest length."""
    return config.effective_generation_batch * config.max_completion_length


def run_pace(folder: RunFolder, config: RunConfig) -> tuple[float | None, float | None]:
    """(s per warm-up example, s per RL answer token) measured in one run's events."""
    events, _ = folder.read_events()
    train = [e for e in events if e.get("kind") == "train"]
    sft = step_pace([e for e in train if e.get("phase") == "sft"])
    rl = step_pace([e for e in train if e.get("phase") == "grpo"])
    return (
        sft / config.sft_batch_size if sft is not None else None,
        rl / rl_tokens_per_step(config) if rl is not None else None,
    )


def measured_pace(runs_dir: Path, model: str, device: str) -> Pace | None:
    """The median pace of the finished runs of `model` on `device` under `runs_dir`."""
    sft, rl, used = [], [], 0
    for root in sorted(runs_dir.glob("run-*")) if runs_dir.is_dir() else []:
        folder = RunFolder(root)
        status = folder.read_status()
        if status.get("state") != "finished" or status.get("device") != device:
            continue
        try:
            config = RunConfig.from_json(folder.config.read_text(encoding="utf-8"))
        except (OSError, ValueError, TypeError):
            continue
        if config.model != model:
            continue
        one_sft, one_rl = run_pace(folder, config)
        sft += [one_sft] if one_sft is not None else []
        rl += [one_rl] if one_rl is not None else []
        used += 1
    if not sft and not rl:
        return None
    return Pace(
        statistics.median(sft) if sft else None,
        statistics.median(rl) if rl else None,
        f"measured: {used} finished run{'s' if used != 1 else ''} of {model} on {device} here",
    )


def reference_pace(model: str, device: str, path: Path = REFERENCE_PACE) -> Pace | None:
    """The benchmark's pace of `model` on `device`, if it was measured."""
    try:
        table = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    found = table.get("paces", {}).get(model, {}).get(device)
    if not found:
        return None
    return Pace(
        found.get("sft_s_per_example"),
        found.get("rl_s_per_token"),
        f"reference: {table.get('machine', 'a reference machine')}, "
        f"measured {found.get('measured', '?')} by bench/bench_train.py",
    )


def estimate(config: RunConfig, device: str, runs_dir: Path) -> Estimate | None:
    """The expected wall time of `config`'s training steps on `device`; None when no pace of
    this model on this device is known (or a phase that runs has no pace)."""
    pace = measured_pace(runs_dir, config.model, device) or reference_pace(config.model, device)
    if pace is None:
        return None
    needs_sft = config.sft_steps > 0
    needs_rl = config.max_steps > 0
    if (needs_sft and pace.sft_s_per_example is None) or (needs_rl and pace.rl_s_per_token is None):
        return None
    sft = config.sft_steps * config.sft_batch_size * (pace.sft_s_per_example or 0.0)
    rl = config.max_steps * rl_tokens_per_step(config) * (pace.rl_s_per_token or 0.0)
    return Estimate(round(sft + rl, 1), round(sft, 1), round(rl, 1), pace.basis)
