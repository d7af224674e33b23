"""The training process: `python -m engine.training.worker RUN_DIR [--resume]`.

Started in the background by `engine.training.runs.start` (never a thread of the app). It reads only its
run folder (config.json and the frozen snapshot) and writes only there: status.json,
events.jsonl, checkpoints/, sft_model/, model/ (docs/training-format.md section 4). It never
opens the DuckDB file.

Steps, top to bottom:
1. queue: wait for the device (an exclusive `flock` on `runs/.queue-<device>.lock`; oldest
   queued run first); status "queued" meanwhile; a stop flag while queued cancels the run;
2. supervised warm-up (TRL SFTTrainer) on the training split with `engine.llm.warmup` targets,
   saved as sft_model/ (so "warm-up only" can be evaluated later);
3. reinforcement learning with the four rewards of `engine.llm.rewards`, weighted per run: TRL's
   GRPOTrainer, or RLOOTrainer when the run's `algorithm` is "rloo" (same data, rewards,
   callbacks and checkpoints; the phase is named "grpo" in events and status either way);
4. the final model (LoRA merged) in model/, status "finished" with the final figures.
`RunCallback` appends every logged key to events.jsonl, keeps status.json current, measures
validation agreement every `eval_every` steps and stops gracefully (checkpoint first) when the
`stop` file appears or on SIGTERM. `--resume` continues the phase it stopped in from its last
checkpoint. Any error: status "failed" with a one-line message, the traceback in log.txt.
On a machine with several GPUs the training part runs under `accelerate launch --multi_gpu`
(ranks other than 0 write nothing); this process keeps the queue lock and the status.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from engine.jobs.device_lock import device_turn, lock_path
from engine.llm.device import DeviceError, gpu_count, resolve_device, use_bf16
from engine.llm.models import load, resolve
from engine.llm.output import completion_text, cut_end_tokens
from engine.llm.validation import evaluate_model
from engine.training.config import RunConfig, TrainingError
from engine.training.folder import RunFolder, is_complete, now_iso, parse_time

log = logging.getLogger("engine.training.worker")

QUEUE_POLL_S = 0.5
SAMPLES_PER_EVENT = 4
EVAL_BATCH = 16
CHECKPOINTING_FROM_PARAMS = 50e6  # smaller models: recomputing activations only costs time
REPO_ROOT = Path(__file__).resolve().parents[2]


class StopRequested(Exception):
    """The stop flag appeared before training began."""


def is_main_process() -> bool:
    return int(os.environ.get("RANK", "0")) == 0


# ---------------------------------------------------------------- hardware


def use_vllm(config: RunConfig, device: str) -> bool:
    available = device == "cuda" and importlib.util.find_spec("vllm") is not None
    if config.use_vllm == "on" and not available:
        raise TrainingError("vLLM was asked for, but it needs a GPU and the vllm package")
    return available if config.use_vllm == "auto" else config.use_vllm == "on"


# ---------------------------------------------------------------- the queue


def _queued_before_me(folder: RunFolder, device: str) -> bool:
    """Whether another live run on this device has been waiting longer (FIFO queue)."""
    mine = folder.read_status()
    key = (mine.get("queued_at") or "", folder.run_id)
    for other in folder.root.parent.iterdir():
        if other == folder.root or not (other / "status.json").is_file():
            continue
        peer = RunFolder(other)
        try:
            status = peer.read_status()
        except (OSError, ValueError):
            continue
        if status.get("state") != "queued" or status.get("device") != device:
            continue
        if (status.get("queued_at") or "", peer.run_id) < key and peer.process_alive():
            return True
    return False


@contextlib.contextmanager
def device_queue(folder: RunFolder, device: str) -> Iterator[bool]:
    """Hold the device's lock for the block (True), or False if stopped while waiting; runs
    queued earlier on the device go first."""
    with device_turn(
        lock_path(folder.root.parent, device),
        folder.run_id,
        folder.stop_flag.exists,
        poll=QUEUE_POLL_S,
        ahead=lambda: _queued_before_me(folder, device),
    ) as acquired:
        yield acquired


# ---------------------------------------------------------------- data


def load_data(folder: RunFolder) -> dict[str, list[dict]]:
    """The frozen snapshot's splits as lists of row dicts."""
    from engine.training.snapshot import load_snapshot, to_hf_datasets

    datasets = to_hf_datasets(load_snapshot(folder.snapshot))
    return {name: [dict(r) for r in datasets[name]] for name in datasets}


def _dataset(rows: list[dict]):
    from datasets import Dataset

    return Dataset.from_list(rows)


# ---------------------------------------------------------------- callback and rewards


def _agree_any(flag: bool) -> bool:
    """`flag` from any rank (all ranks must stop at the same step)."""
    import torch.distributed as dist

    if not (dist.is_available() and dist.is_initialized()):
        return flag
    import torch

    value = torch.tensor([1.0 if flag else 0.0])
    if dist.get_backend() == "nccl":
        value = value.cuda()
    dist.all_reduce(value, op=dist.ReduceOp.MAX)
    return bool(value.item() > 0)


def _make_callback(folder: RunFolder, phase: str, config: RunConfig, evaluate: Callable | None):
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
            stop = _agree_any(folder.stop_flag.exists())
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


def _use_callback(trainer, callback) -> None:
    """Our callback instead of the console printer (events.jsonl has every logged value)."""
    from transformers.trainer_callback import PrinterCallback, ProgressCallback

    trainer.remove_callback(PrinterCallback)
    trainer.remove_callback(ProgressCallback)
    trainer.add_callback(callback)


class RewardRecorder:
    """Wraps the reward functions: same scores, plus a `samples` event every N steps."""

    def __init__(self, folder: RunFolder, names: list[str], every: int) -> None:
        self.folder, self.names, self.every = folder, names, every
        self.latest: dict[str, list[float]] = {}

    def wrap(self, name: str, func: Callable) -> Callable:
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


# ---------------------------------------------------------------- the phases


class RunTrainer:
    """One run's training in this process: warm-up, GRPO, final model."""

    def __init__(self, folder: RunFolder, config: RunConfig, device: str, resume: bool) -> None:
        self.folder, self.config, self.device, self.resume = folder, config, device, resume
        self.bf16 = use_bf16(config.bf16, device)
        self.vllm = use_vllm(config, device)
        self.checkpointing = config.gradient_checkpointing == "on"  # "auto": see _load
        self.eval_rows: list[dict] = []
        self.evals: dict[str, dict] = {}
        self.tokenizer = None

    # ------------------------------------------------------------ shared

    def _log_env(self) -> None:
        import torch
        import transformers
        import trl

        log.info(
            "run %s: torch %s, transformers %s, trl %s, device %s, bf16 %s, vllm %s, "
            "gradient checkpointing %s",
            self.folder.run_id, torch.__version__, transformers.__version__, trl.__version__,
            self.device, self.bf16, self.vllm, self.checkpointing,
        )  # fmt: skip

    def _load(self, path: Path):
        """(model, tokenizer) to train from `path`, left where the trainer will place them."""
        model, tokenizer = load(path, dtype="bfloat16" if self.bf16 else "float32", device=None)
        if self.config.gradient_checkpointing == "auto":
            self.checkpointing = model.num_parameters() >= CHECKPOINTING_FROM_PARAMS
        return model, tokenizer

    def _peft_config(self):
        if not self.config.lora:
            return None
        from peft import LoraConfig

        targets = self.config.lora_target_modules
        return LoraConfig(
            r=self.config.lora_r,
            lora_alpha=self.config.lora_alpha,
            lora_dropout=self.config.lora_dropout,
            target_modules=targets if targets == "all-linear" else targets.split(","),
            task_type="CAUSAL_LM",
        )

    def _batches(self, batch: int) -> dict[str, int]:
        """per_device_train_batch_size and gradient_accumulation_steps for `batch` per step."""
        micro = self.config.micro_batch_size or batch
        return {"per_device_train_batch_size": micro, "gradient_accumulation_steps": batch // micro}

    def _common_args(self, phase: str) -> dict[str, Any]:
        return {
            "output_dir": str(self.folder.phase_checkpoints(phase)),
            "logging_steps": 1,
            "save_strategy": "steps",
            "save_steps": self.config.save_every,
            "save_total_limit": 2,
            "report_to": "none",
            "use_cpu": self.device == "cpu",
            "bf16": self.bf16,
            "seed": self.config.seed,
            "disable_tqdm": True,
            "dataloader_num_workers": 0,
            "gradient_checkpointing": self.checkpointing,
        }

    def evaluate(self, model, phase: str, step: int, stage: str) -> dict | None:
        """Validation agreement of `model` now, as an `eval` event (main process only)."""
        if not is_main_process() or not self.eval_rows:
            return None
        started = time.monotonic()
        base = getattr(model, "module", model)
        figures, answers = evaluate_model(
            base,
            self.tokenizer,
            self.eval_rows,
            max_new_tokens=self.config.max_completion_length,
            thinking=self.config.thinking,
            batch_size=EVAL_BATCH,
        )
        figures["seconds"] = round(time.monotonic() - started, 2)
        examples = [cut_end_tokens(a) for a in answers[:2]]
        self.folder.append_event("eval", phase, step, stage=stage, **figures, examples=examples)
        self.evals[stage] = figures
        log.info("%s step %d (%s): validation agreement %s", phase, step, stage, figures)
        return figures

    def _save(self, model, target: Path) -> None:
        """Save `model` (LoRA merged) and the tokenizer to `target`, complete or not at all."""
        if not is_main_process():
            return
        from peft import PeftModel

        model = getattr(model, "module", model)
        if isinstance(model, PeftModel):
            model = model.merge_and_unload()
        partial = target.with_name(target.name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        model.save_pretrained(partial)
        self.tokenizer.save_pretrained(partial)
        shutil.rmtree(target, ignore_errors=True)
        partial.rename(target)

    def _resume_point(self, phase: str) -> str | None:
        checkpoint = self.folder.last_checkpoint(phase)
        if checkpoint is None:
            return None
        step = json.loads((checkpoint / "trainer_state.json").read_text())["global_step"]
        if is_main_process():
            dropped = self.folder.trim_events(phase, step)
            log.info(
                "resuming %s from %s (dropped %d later events)", phase, checkpoint.name, dropped
            )
        return str(checkpoint)

    # ------------------------------------------------------------ run

    def run(self) -> str:
        """'finished' or 'stopped'."""
        from store.home import Home

        self._log_env()
        folder, config = self.folder, self.config
        if is_main_process():
            folder.write_status(phase="prepare", message="preparing the model and the data")
        base = resolve(Home(folder.root.parent.parent), config.model)
        data = load_data(folder)
        self.eval_rows = data.get("validation", [])[: config.eval_max_funds]
        if not data.get("train"):
            raise TrainingError("the snapshot has no training funds")
        from engine.llm.warmup import phase_rows

        share = config.warmup_share if config.sft_steps > 0 else 1.0
        sft_rows, rl_rows = phase_rows(data["train"], share, config.seed)
        if config.sft_steps > 0 and not is_complete(folder.sft_model):
            if self.run_sft(base, sft_rows) == "stopped":
                return "stopped"
        start = folder.sft_model if is_complete(folder.sft_model) else base
        return self.run_rl(start, rl_rows)

    def run_sft(self, base: Path, train_rows: list[dict]) -> str:
        from trl import SFTConfig, SFTTrainer

        from engine.llm.warmup import sft_examples

        config = self.config
        model, self.tokenizer = self._load(base)
        examples = sft_examples(train_rows, thinking=config.thinking)
        for example in examples:
            example["chat_template_kwargs"] = {"enable_thinking": config.thinking}
        args = SFTConfig(
            max_steps=config.sft_steps,
            **self._batches(config.sft_batch_size),
            learning_rate=config.sft_learning_rate,
            lr_scheduler_type="cosine",
            warmup_steps=min(10, config.sft_steps // 10),
            completion_only_loss=True,
            max_length=None,
            **self._common_args("sft"),
        )
        trainer = SFTTrainer(
            model=model,
            args=args,
            train_dataset=_dataset(examples),
            processing_class=self.tokenizer,
            peft_config=self._peft_config(),
        )
        callback = _make_callback(self.folder, "sft", config, None)
        _use_callback(trainer, callback)
        resume_from = self._resume_point("sft") if self.resume else None
        if is_main_process():
            self.folder.write_status(
                phase="sft", step=0, max_steps=config.sft_steps, message="supervised warm-up"
            )
        trainer.train(resume_from_checkpoint=resume_from)
        if callback.stopped:
            return "stopped"
        self._save(trainer.model, self.folder.sft_model)
        shutil.rmtree(self.folder.phase_checkpoints("sft"), ignore_errors=True)
        return "done"

    def _rl_args(self, names: list[str]) -> dict[str, Any]:
        """The RL settings GRPOConfig and RLOOConfig share."""
        config = self.config
        extra: dict[str, Any] = {}
        if self.vllm:
            extra.update(use_vllm=True, vllm_mode="colocate")
        return {
            "max_steps": config.max_steps,
            "learning_rate": config.learning_rate,
            **self._batches(config.per_device_train_batch_size),
            "generation_batch_size": config.effective_generation_batch,
            "num_generations": config.num_generations,
            "max_completion_length": config.max_completion_length,
            "temperature": config.temperature,
            "beta": config.beta,
            "reward_weights": [float(config.reward_weights[n]) for n in names],
            "chat_template_kwargs": {"enable_thinking": config.thinking},
            "log_completions": False,
            **self._common_args("grpo"),
            **extra,
        }

    def _rl_trainer_classes(self):
        """(config class, trainer class, its extra settings) for the run's algorithm."""
        if self.config.algorithm == "rloo":
            from trl import RLOOConfig, RLOOTrainer

            # RLOO's advantage is the reward minus the mean of the group's other answers; it has
            # no loss_type / scale_rewards (those are GRPO's).
            return RLOOConfig, RLOOTrainer, {}
        from trl import GRPOConfig, GRPOTrainer

        settings = {"loss_type": self.config.loss_type, "scale_rewards": self.config.scale_rewards}
        return GRPOConfig, GRPOTrainer, settings

    def run_rl(self, start: Path, train_rows: list[dict]) -> str:
        """The RL phase (GRPO or RLOO) from `start`: validation before, during and after."""
        from engine.llm.rewards import REWARD_FUNCTIONS

        config, folder = self.config, self.folder
        model, self.tokenizer = self._load(start)
        names = list(REWARD_FUNCTIONS)
        recorder = RewardRecorder(folder, names, config.samples_every)
        rewards = [recorder.wrap(n, REWARD_FUNCTIONS[n]) for n in names]
        config_class, trainer_class, settings = self._rl_trainer_classes()
        args = config_class(**self._rl_args(names), **settings)
        trainer = trainer_class(
            model=model,
            reward_funcs=rewards,
            args=args,
            train_dataset=_dataset(train_rows),
            processing_class=self.tokenizer,
            peft_config=self._peft_config(),
        )
        callback = _make_callback(folder, "grpo", config, self.evaluate)
        _use_callback(trainer, callback)
        resume_from = self._resume_point("grpo") if self.resume else None
        if resume_from is None:
            stage = "sft" if is_complete(folder.sft_model) else "untrained"
            if is_main_process():
                folder.write_status(phase="eval", step=0, message="validation before RL")
            self.evaluate(trainer.model, "grpo", 0, stage)
        if is_main_process():
            folder.write_status(
                phase="grpo", step=0, max_steps=config.max_steps, algorithm=config.algorithm,
                message=f"{config.algorithm.upper()} training",
            )  # fmt: skip
        trainer.train(resume_from_checkpoint=resume_from)
        if callback.stopped:
            return "stopped"
        if is_main_process():
            folder.write_status(phase="eval", message="final validation")
        self.evaluate(trainer.model, "grpo", trainer.state.global_step, "final")
        self._save(trainer.model, folder.model)
        shutil.rmtree(folder.phase_checkpoints("grpo"), ignore_errors=True)
        return "finished"


# ---------------------------------------------------------------- final figures


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


def final_figures(folder: RunFolder) -> dict[str, Any]:
    """What a finished run reports: rewards at the end, agreement after warm-up and at the end."""
    events, _ = folder.read_events()
    train = [e for e in events if e["kind"] == "train" and e["phase"] == "grpo"]
    tail = train[-10:]
    reward_keys = sorted(
        {k for e in tail for k in e if k.startswith("rewards/") and k.endswith("/mean")}
    )

    def mean(key: str) -> float | None:
        values = [e[key] for e in tail if isinstance(e.get(key), int | float)]
        return sum(values) / len(values) if values else None

    evals = {e.get("stage"): e for e in events if e["kind"] == "eval"}
    strip = ("time", "phase", "kind", "examples")
    status = folder.read_status()
    started = parse_time(status.get("started_at"))
    return {
        "grpo_steps": train[-1]["step"] if train else 0,
        "reward": mean("reward"),
        "rewards": {k.split("/")[1]: mean(k) for k in reward_keys},
        "sec_per_grpo_step": step_pace(train) or mean("step_time"),
        "agreement_before_grpo": {
            k: v
            for k, v in (evals.get("sft") or evals.get("untrained") or {}).items()
            if k not in strip
        },
        "agreement_final": {k: v for k, v in evals.get("final", {}).items() if k not in strip},
        "wall_s": round(time.time() - started, 1) if started else None,
    }


def peak_memory_mb(device: str) -> float | None:
    """Peak memory of this process's training: the GPU's allocator peak on CUDA, else the
    process's peak resident set (Linux `ru_maxrss`, kB); None where neither can be read."""
    try:
        if device == "cuda":
            import torch

            return round(torch.cuda.max_memory_allocated() / 2**20, 1)
        import resource

        return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    except Exception:  # noqa: BLE001 — a figure to show, never a reason to fail the run
        return None


# ---------------------------------------------------------------- entry points


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if isinstance(exc, TrainingError | DeviceError) else f"{type(exc).__name__}: {text}"


def _train_here(folder: RunFolder, config: RunConfig, device: str, resume: bool) -> str:
    return RunTrainer(folder, config, device, resume).run()


def _train_on_gpus(folder: RunFolder, device: str, gpus: int, resume: bool) -> str:
    """The training part under `accelerate launch --multi_gpu` (one rank per GPU)."""
    command = [
        sys.executable, "-m", "accelerate.commands.launch", "--multi_gpu",
        "--num_processes", str(gpus), "-m", "engine.training.worker", str(folder.root), "--worker",
    ] + (["--resume"] if resume else [])  # fmt: skip
    log.info("launching %s", " ".join(command))
    done = subprocess.run(command, cwd=REPO_ROOT, check=False)
    if done.returncode:
        raise TrainingError(f"the GPU workers failed (exit status {done.returncode}); see log.txt")
    return "stopped" if folder.stop_flag.exists() else "finished"


def run(folder: RunFolder, resume: bool) -> int:
    """The whole life of the training process; returns its exit status."""
    try:
        config = RunConfig.from_json(folder.config.read_text(encoding="utf-8")).check()
        device = resolve_device(config.device)
        folder.write_status(
            state="queued", pid=os.getpid(), device=device, queued_at=now_iso(),
            message="waiting for the device", resumable=folder.resumable(),
        )  # fmt: skip
        with device_queue(folder, device) as acquired:
            if not acquired:
                raise StopRequested()
            status = folder.read_status()
            folder.write_status(
                state="running",
                started_at=status.get("started_at") or now_iso(),
                resumed_at=now_iso() if resume else status.get("resumed_at"),
                total_steps=config.total_steps,
                message="",
            )
            gpus = gpu_count(device)
            if gpus > 1:
                outcome = _train_on_gpus(folder, device, gpus, resume)
            else:
                outcome = _train_here(folder, config, device, resume)
        if outcome == "stopped":
            raise StopRequested()
        final = {
            **final_figures(folder),
            "algorithm": config.algorithm,
            "peak_memory_mb": peak_memory_mb(device),
        }
        folder.write_status(
            state="finished", phase="grpo", finished_at=now_iso(), resumable=False,
            message="finished", final=final,
        )  # fmt: skip
        folder.stop_flag.unlink(missing_ok=True)
        return 0
    except StopRequested:
        started = folder.read_status().get("state") != "queued"
        checkpoint = folder.last_checkpoint("grpo") or folder.last_checkpoint("sft")
        folder.write_status(
            state="stopped",
            finished_at=now_iso(),
            checkpoint=str(checkpoint) if checkpoint else None,
            resumable=folder.resumable(),
            message="stopped by request" if started else "cancelled before it started",
        )
        folder.stop_flag.unlink(missing_ok=True)
        return 0
    except BaseException as exc:  # noqa: BLE001 — every failure ends as status "failed"
        log.error("run failed:\n%s", traceback.format_exc())
        message = (
            "stopped by an interrupt" if isinstance(exc, KeyboardInterrupt) else _one_line(exc)
        )
        folder.write_status(
            state="failed", finished_at=now_iso(), message=message, resumable=folder.resumable()
        )
        return 1


def _stop_on_signal(folder: RunFolder) -> None:
    """SIGTERM/SIGINT = the stop flag: stop at the next step end, with a checkpoint."""

    def handler(signum, frame):  # noqa: ARG001
        log.warning("signal %d: stopping at the next step", signum)
        folder.stop_flag.touch()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m engine.training.worker", description=__doc__.splitlines()[0]
    )
    parser.add_argument("run_dir", metavar="RUN_DIR")
    parser.add_argument("--resume", action="store_true", help="continue from the last checkpoint")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    _quiet_libraries()
    folder = RunFolder(Path(args.run_dir).resolve())
    if args.worker:  # one rank under accelerate launch: train, write nothing but events (rank 0)
        config = RunConfig.from_json(folder.config.read_text(encoding="utf-8"))
        _train_here(folder, config, resolve_device(config.device), args.resume)
        return 0
    _stop_on_signal(folder)
    return run(folder, args.resume)


def _quiet_libraries() -> None:
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    with contextlib.suppress(Exception):
        import datasets

        datasets.disable_progress_bars()
    with contextlib.suppress(Exception):
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()


if __name__ == "__main__":
    sys.exit(main())
