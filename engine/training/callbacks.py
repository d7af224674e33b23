"""The trainer callback of a run: events, status, validation every N steps, the stop flag."""

from __future__ import annotations

import time
from collections.abc import Callable

from engine.training.config import RunConfig
from engine.training.folder import RunFolder
from engine.training.ranks import agree_any, is_main_process


def make_callback(folder: RunFolder, phase: str, config: RunConfig, evaluate: Callable | None):
    """A `TrainerCallback` for `phase`; `evaluate(model, phase, step, stage)` runs every
    `config.eval_every` steps when given. Its `stopped` says whether the stop flag ended it."""
    from transformers import TrainerCallback

    class RunCallback(TrainerCallback):
        """Events for every log, status every step, validation every N steps, the stop flag."""

        def __init__(self) -> None:
            self.stopped = False
            self.t0 = time.monotonic()
            self.step0 = 0

        def on_train_begin(self, args, state, control, **kwargs):
            self.t0, self.step0 = time.monotonic(), state.global_step
            if is_main_process():
                folder.write_status(phase=phase, step=state.global_step, max_steps=state.max_steps)

        def on_log(self, args, state, control, logs=None, **kwargs):
            if not is_main_process() or not logs:
                return
            kind = "summary" if "train_runtime" in logs else "train"
            folder.append_event(kind, phase, state.global_step, **logs)

        def on_step_end(self, args, state, control, **kwargs):
            step = state.global_step
            done = step - self.step0
            per_step = (time.monotonic() - self.t0) / done if done else None
            stop = agree_any(folder.stop_flag.exists())
            if is_main_process():
                folder.write_status(
                    phase=phase,
                    step=step,
                    max_steps=state.max_steps,
                    sec_per_step=per_step,
                    state="stopping" if stop else "running",
                )
            if evaluate and step % config.eval_every == 0 and step < state.max_steps and not stop:
                evaluate(kwargs["model"], phase, step, "training")
            if stop:
                self.stopped = True
                control.should_save = True
                control.should_training_stop = True
            return control

    return RunCallback()


def use_callback(trainer, callback) -> None:
    """Our callback instead of the console printer (events.jsonl has every logged value)."""
    from transformers.trainer_callback import PrinterCallback, ProgressCallback

    trainer.remove_callback(PrinterCallback)
    trainer.remove_callback(ProgressCallback)
    trainer.add_callback(callback)
