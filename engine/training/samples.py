"""Sample recording: the reward functions wrapped to write a `samples` event every N steps and,
at a few GRPO steps, a `group` event (one prompt's answers with rewards and advantages,
`engine.training.groups`)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from engine.llm.output import completion_text
from engine.training.config import RunConfig
from engine.training.folder import RunFolder
from engine.training.groups import GROUP_KIND, group_record, group_steps
from engine.training.ranks import is_main_process, world_size

log = logging.getLogger("engine.training.worker")  # the training process's log

SAMPLES_PER_EVENT = 4
COLUMNS = ("fund_id", "expert_grade", "sample_weight")


class RewardRecorder:
    """Wraps the reward functions: same scores, plus a `samples` event every N steps and a
    `group` event at the steps of `groups.group_steps` (the run's settings: `config`, else
    the run folder's config.json)."""

    def __init__(
        self, folder: RunFolder, names: list[str], every: int, config: RunConfig | None = None
    ) -> None:
        self.folder, self.names, self.every = folder, names, every
        self.latest: dict[str, list[float]] = {}
        self._config = config

    @property
    def config(self) -> RunConfig:
        if self._config is None:
            self._config = RunConfig.from_json(self.folder.config.read_text(encoding="utf-8"))
        return self._config

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
        if not is_main_process():
            return
        state = kwargs.get("trainer_state")
        step = (state.global_step if state is not None else 0) + 1  # the step being trained
        if step == 1 or step % self.every == 0:
            self._record_samples(step, completions, kwargs)
        if step in group_steps(self.config):
            self._record_group(step, completions, kwargs)

    def _record_samples(self, step: int, completions: list, kwargs: dict) -> None:
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

    def _record_group(self, step: int, completions: list, kwargs: dict) -> None:
        columns = {c: kwargs[c] for c in COLUMNS if isinstance(kwargs.get(c), list)}
        record = group_record(
            self.config,
            [completion_text(c) for c in completions],
            {k: self.latest[k] for k in self.names if k in self.latest},
            columns,
            processes=world_size(),
        )
        if record is None:
            log.info("GRPO step %d: the batch does not start with a whole group", step)
            return
        self.folder.append_event(GROUP_KIND, "grpo", step, **record)


def _column(kwargs: dict, name: str, i: int) -> Any:
    values = kwargs.get(name)
    return values[i] if isinstance(values, list) and i < len(values) else None
