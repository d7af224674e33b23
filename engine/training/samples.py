"""Sample recording: the reward functions wrapped to write a `samples` event every N steps."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from engine.llm.output import completion_text
from engine.training.folder import RunFolder
from engine.training.ranks import is_main_process

SAMPLES_PER_EVENT = 4


class RewardRecorder:
    """Wraps the reward functions: same scores, plus a `samples` event every N steps."""

    def __init__(self, folder: RunFolder, names: list[str], every: int) -> None:
        self.folder, self.names, self.every = folder, names, every
        self.latest: dict[str, list[float]] = {}

    def wrap(self, name: str, func: Callable) -> Callable:
        """`func` under `name`, remembering its scores for the samples event."""

        def reward(completions, **kwargs):
            scores = func(completions, **kwargs)
            self.latest[name] = list(scores)
            if name == self.names[-1]:
                self._maybe_record(completions, kwargs)
            return scores

        reward.__name__ = name  # TRL logs rewards/<__name__>/mean
        reward.__doc__ = func.__doc__
        return reward

    def _maybe_record(self, completions: list, kwargs: dict) -> None:
        state = kwargs.get("trainer_state")
        step = (state.global_step if state is not None else 0) + 1  # the step being trained
        if not is_main_process() or (step % self.every and step != 1):
            return
        n = len(completions)
        picks = sorted({round(i * n / SAMPLES_PER_EVENT) for i in range(SAMPLES_PER_EVENT)} - {n})
        samples = []
        for i in picks:
            samples.append(
                {
                    "prompt_fund": _column(kwargs, "fund_id", i),
                    "expert_grade": _column(kwargs, "expert_grade", i),
                    "completion": completion_text(completions[i]),
                    "rewards": {k: self.latest[k][i] for k in self.names if k in self.latest},
                }
            )
        self.folder.append_event("samples", "grpo", step, samples=samples)


def _column(kwargs: dict, name: str, i: int) -> Any:
    values = kwargs.get(name)
    return values[i] if isinstance(values, list) and i < len(values) else None
