"""The evaluation process: `python -m engine.evaluation.worker FOLDER`.

Started in the background by `engine.evaluation.jobs.start_evaluation` for a language-model
evaluator. It reads only its folder (`evaluations/<evaluation_id>/`): `config.json` (model
folder, decoding settings, device) and `prompts.parquet` (fund_id, the conversational prompt
as JSON, the methodology's criterion ids), and writes only there: `status.json` (state,
done/total answers, ETA), `results.parquet` (one row per fund and sample, the columns of
`evaluation_results`) and its log. It never opens the DuckDB file; `engine.evaluation.jobs.sync`
imports the results once the state is finished, stopped or failed.

Generation is batched (`engine.llm.generate`: prompts sorted by length, their shared opening
run once, `batch_size` at a time, each answer cut at its end-of-turn token), greedy for sample
0; samples 1..k-1 are drawn at `temperature` (seeded per sample). Each answer is read with the
one parser (`engine.llm.rewards.parse_output`). On the CPU torch gets one thread per core.

The model is loaded before the prompts are read. A job may be launched before its prompts exist
(a rating cycle starts it first, so that loading overlaps the cycle's own work): it then waits
for `prompts.parquet` (written whole, by rename) and writes `generation_started_at` once it
begins. Asked to stop before its prompts came, or orphaned by the process that launched it, it
ends without answers and removes its folder (nothing else knows of it yet).
A `stop` file (or SIGTERM) ends the job after the current batch: the answers so far are kept
and the state is "stopped". Any error: "failed" with a one-line message, traceback in log.txt.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import signal
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import torch

from engine.evaluation.answers import read_answer
from engine.evaluation.folder import CONFIG, EvaluationFolder
from engine.jobs import device_lock
from engine.jobs.jsonfiles import now_iso
from engine.llm.device import resolve_device, resolve_dtype
from engine.llm.generate import generate, set_cpu_threads
from engine.llm.models import load
from store.evaluations import RESULT_COLUMNS  # column names only: the job never opens DuckDB

log = logging.getLogger("engine.evaluation.worker")

PROMPTS_POLL_S = 0.05
PROMPTS_WAIT_S = 3600.0  # the longest a job launched ahead of its prompts waits for them


class Abandoned(RuntimeError):
    """The job was launched ahead of its prompts and they will not come."""


class _Job:
    """One evaluation in this process: status file, stop flag, answers."""

    def __init__(self, folder: Path) -> None:
        self.folder = EvaluationFolder(Path(folder))
        self.config = json.loads(self.folder.config.read_text(encoding="utf-8"))
        self.rows: list[dict] = []
        self.total = 0
        self.done = 0
        self.t0 = time.monotonic()
        self.parent = os.getppid()

    def write_status(self, **changes: Any) -> None:
        self.folder.write_status(**changes)

    def stop_requested(self) -> bool:
        return self.folder.stop_requested()

    def progress(self, base: int) -> Callable[[int], None]:
        def report(made: int) -> None:
            self.done = base + made
            pace = (time.monotonic() - self.t0) / self.done if self.done else None
            eta = round(pace * (self.total - self.done), 1) if pace else None
            self.write_status(done=self.done, eta_s=eta, sec_per_answer=pace)

        return report

    def run(self) -> str:
        """'finished' or 'stopped'."""
        config = self.config
        device = resolve_device(config.get("device", "auto"))
        dtype = resolve_dtype(config.get("dtype", "auto"), device)
        threads = set_cpu_threads() if device == "cpu" else None
        self.write_status(
            state="running", device=device, dtype=dtype, message=f"loading the model on {device}"
        )
        log.info("loading the model on %s (%s, %s CPU threads)", device, dtype, threads)
        with self.device_turn(device) as acquired:
            if not acquired:
                self.save()
                return "stopped"
            return self._generate(device, dtype)

    def wait_for_prompts(self) -> pd.DataFrame:
        """The prompts file, once it exists; Abandoned when a stop is asked for first, the
        launching process ends, or PROMPTS_WAIT_S pass."""
        deadline = time.monotonic() + PROMPTS_WAIT_S
        while not self.folder.prompts.is_file():
            if self.stop_requested():
                raise Abandoned("stopped before the prompts were written")
            if os.getppid() != self.parent or time.monotonic() > deadline:
                raise Abandoned("the prompts never came")
            time.sleep(PROMPTS_POLL_S)
        return pd.read_parquet(self.folder.prompts)

    @contextlib.contextmanager
    def device_turn(self, device: str) -> Iterator[bool]:
        """On a GPU, wait until no training run holds it (engine.jobs.device_lock); else go at once."""
        if device != "cuda":
            yield True
            return

        def waiting(holder: str | None) -> None:
            self.write_status(message=f"waiting for the GPU: {holder or 'another job'} is using it")

        path = device_lock.lock_path(self.folder.root.parent.parent / "runs", device)
        with device_lock.device_turn(
            path, self.folder.job_id, self.stop_requested, waiting
        ) as acquired:
            yield acquired

    def _generate(self, device: str, dtype: str) -> str:
        """Load the model, then answer every prompt `samples` times; 'finished' or 'stopped'."""
        config = self.config
        samples = int(config["samples"])
        model, tokenizer = load(Path(config["model_folder"]), dtype=dtype, device=device)
        if not self.folder.prompts.is_file():
            self.write_status(message="model loaded, waiting for the prompts")
        frame = self.wait_for_prompts()
        prompts = [json.loads(p) for p in frame["prompt"]]
        criteria = [json.loads(c) if c else None for c in frame["criterion_ids"]]
        self.total = len(prompts) * samples
        log.info("evaluating %d funds x %d samples on %s", len(prompts), samples, device)
        self.write_status(
            message="generating", total=self.total, done=0, generation_started_at=_now()
        )
        self.t0 = time.monotonic()
        stopped = False
        for sample in range(samples):
            if sample and self.stop_requested():
                stopped = True
                break
            if sample:
                torch.manual_seed(int(config.get("seed", 0)) + sample)
            answers = generate(
                model,
                tokenizer,
                prompts,
                max_new_tokens=int(config["max_new_tokens"]),
                batch_size=int(config["batch_size"]),
                thinking=config.get("thinking"),
                sample=sample > 0,
                temperature=float(config.get("temperature", 1.0)),
                progress=self.progress(sample * len(prompts)),
                should_stop=self.stop_requested,
            )
            for fund_id, ids, answer in zip(frame["fund_id"], criteria, answers, strict=True):
                if answer is None:
                    continue
                text, latency = answer
                self.rows.append(
                    {"fund_id": fund_id, "sample": sample, **read_answer(text, ids),
                     "latency_ms": latency}
                )  # fmt: skip
            if any(a is None for a in answers):
                stopped = True
                break
        self.save()
        return "stopped" if stopped else "finished"

    def save(self) -> None:
        """Write the answers so far to results.parquet (replaced atomically)."""
        frame = pd.DataFrame(self.rows, columns=list(RESULT_COLUMNS))
        frame = frame.astype({"grade": "Int64", "sample": "int64", "latency_ms": "float64"})
        tmp = self.folder.results.with_name(f".{self.folder.results.name}.tmp")
        frame.to_parquet(tmp, index=False)
        os.replace(tmp, self.folder.results)


def _now() -> str:
    return now_iso()


def run(folder: Path) -> int:
    """The whole life of the evaluation process; its exit status."""
    job = _Job(folder)
    job.write_status(state="running", pid=os.getpid(), started_at=_now(), message="starting")
    signal.signal(signal.SIGTERM, lambda *_: job.folder.stop_flag.touch())
    try:
        state = job.run()
    except Abandoned as exc:
        log.info("evaluation abandoned: %s; removing %s", exc, job.folder.root)
        shutil.rmtree(job.folder.root, ignore_errors=True)
        return 0
    except BaseException as exc:  # noqa: BLE001 - every failure ends as a "failed" status
        log.error("evaluation failed:\n%s", traceback.format_exc())
        if job.rows:
            job.save()
        line = " ".join(str(exc).split()) or type(exc).__name__
        job.write_status(
            state="failed", finished_at=_now(), message=f"{type(exc).__name__}: {line}",
            eta_s=None,
        )  # fmt: skip
        return 1
    funds = len({r["fund_id"] for r in job.rows})
    job.write_status(
        state=state, finished_at=_now(), done=job.done, eta_s=None,
        message=f"{len(job.rows)} answers for {funds} funds"
        + (" (stopped on request)" if state == "stopped" else ""),
    )  # fmt: skip
    log.info("evaluation %s: %d answers", state, len(job.rows))
    return 0


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1 or not (Path(args[0]) / CONFIG).is_file():
        print("usage: python -m engine.evaluation.worker EVALUATION_FOLDER", file=sys.stderr)
        return 2
    return run(Path(args[0]))


if __name__ == "__main__":
    sys.exit(main())
