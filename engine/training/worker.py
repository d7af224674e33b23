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
On a machine with several GPUs, or on a CPU with `processes` > 1, the training part runs under
`accelerate launch` with one rank per GPU or per CPU process (gloo); ranks other than 0 write
nothing, and this process keeps the queue lock and the status.

This module wires the process together; the parts are in engine/training/: device_queue (1),
phases (2-4: the `RunTrainer`), callbacks, samples, validation, lora, hardware, ranks,
run_data, and figures (the final figures of step 4).
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import signal
import subprocess
import sys
import traceback
from pathlib import Path

from engine.jobs.jsonfiles import now_iso
from engine.llm.device import DeviceError, gpu_count, resolve_device
from engine.training.config import RunConfig, TrainingError
from engine.training.device_queue import device_queue
from engine.training.figures import final_figures, peak_memory_mb
from engine.training.folder import RunFolder
from engine.training.phases import RunTrainer

log = logging.getLogger("engine.training.worker")

REPO_ROOT = Path(__file__).resolve().parents[2]


class StopRequested(Exception):
    """The stop flag appeared before training began."""


# ---------------------------------------------------------------- entry points


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if isinstance(exc, TrainingError | DeviceError) else f"{type(exc).__name__}: {text}"


def _train_here(folder: RunFolder, config: RunConfig, device: str, resume: bool) -> str:
    return RunTrainer(folder, config, device, resume).run()


def rank_count(config: RunConfig, device: str) -> int:
    """How many training processes: one per GPU on CUDA, the run's `processes` on a CPU."""
    return gpu_count(device) if device == "cuda" else max(1, int(config.processes))


def _train_in_ranks(folder: RunFolder, device: str, ranks: int, resume: bool) -> str:
    """The training part under `accelerate launch` with `ranks` processes: one per GPU (NCCL),
    or CPU processes that talk over gloo (the trainers' `use_cpu` makes accelerate pick it)."""
    command = [
        sys.executable, "-m", "accelerate.commands.launch", "--multi_gpu",
        "--num_processes", str(ranks), "--num_machines", "1",
        "--dynamo_backend", "no", "-m", "engine.training.worker", str(folder.root), "--worker",
    ] + (["--resume"] if resume else [])  # fmt: skip
    log.info("launching %d ranks on %s: %s", ranks, device, " ".join(command))
    done = subprocess.run(command, cwd=REPO_ROOT, check=False)
    if done.returncode:
        raise TrainingError(
            f"the {ranks} training processes failed (exit status {done.returncode}); see log.txt"
        )
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
            ranks = rank_count(config, device)
            folder.write_status(processes=ranks)
            if ranks > 1:
                outcome = _train_in_ranks(folder, device, ranks, resume)
            else:
                outcome = _train_here(folder, config, device, resume)
        if outcome == "stopped":
            raise StopRequested()
        final = {
            **final_figures(folder),
            "algorithm": config.algorithm,
            "peak_memory_mb": peak_memory_mb(device),
            "processes": ranks,
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
