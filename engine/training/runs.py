"""Training runs from the app's and the CLI's side: create, start, stop, resume, watch, recover.

A run is a folder `runs/<run_id>/` (docs/training-format.md section 4) and a background process
`python -m engine.training.worker RUN_DIR` (see `engine.training.worker`). This module never trains: it freezes the
dataset into the folder, launches and signals the process, reads the folder (status, events)
and records runs in the store, which it alone writes (the process never opens the database).

- `create_run` → "created"; `start` → "queued" (waiting for the device) → "running";
  `stop` writes the `stop` flag: the process checkpoints and ends "stopped" (a queued run is
  cancelled); `resume` starts a stopped or failed run again from its last checkpoint.
- `recover` marks runs whose process is gone (app or machine restart, kill) as "failed" and
  resumable when there is a checkpoint; `list_runs` calls it, the app calls it on start.
- `sync` copies each folder's status into the store's `runs` table.
"""

from __future__ import annotations

import json
import logging
import shutil
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from engine.jobs import ids, liveness
from engine.jobs.jsonfiles import now_iso, parse_time
from engine.jobs.launch import launch
from engine.jobs.wait import wait_until
from engine.training.config import RunConfig, TrainingError
from engine.training.folder import ACTIVE_STATES, END_STATES, RunFolder, is_complete
from engine.training.snapshot import snapshot_for, write_snapshot
from store import runs as stored
from store.db import connect
from store.home import Home

log = logging.getLogger(__name__)

RUN_ID_RE = ids.id_pattern("run")
STOP_ACK_S = 3.0
POLL_S = 0.5
DIED = RunFolder.DIED


def run_folder(home: Home, run_id: str) -> RunFolder:
    """The folder of an existing run; TrainingError for an unknown id."""
    if not RUN_ID_RE.match(run_id or ""):
        raise TrainingError(f"'{run_id}' is not a run id (run-0001, run-0002, …)")
    folder = RunFolder(home.runs / run_id)
    if not folder.config.is_file():
        raise TrainingError(f"there is no run {run_id} in {home.runs}")
    return folder


# ---------------------------------------------------------------- create


def create_run(
    home: Home, config: RunConfig, *, snapshot=None, feedback=None, created_by: str | None = None
) -> str:
    """Freeze the dataset into a new run folder, record the run; returns its id.

    Empty `methodology_id` = the active methodology; empty version = its active version if it
    is the active methodology, else its latest; empty `as_of` = the latest rating date. `snapshot` (an `engine.training.snapshot.Snapshot`) is used as given;
    `feedback` (a table of expert corrections) goes to `snapshot_for`.
    """
    config = replace(config).check()
    home.ensure()
    with connect(home) as con:
        recorded = stored.max_run_number(con)
    if snapshot is None:
        snapshot = snapshot_for(home, config, feedback=feedback)
    manifest = snapshot.manifest
    run_id, root = ids.reserve(home.runs, "run", recorded)
    folder = RunFolder(root)
    config = replace(
        config,
        run_id=run_id,
        methodology_id=manifest["methodology_id"],
        methodology_version=int(manifest["methodology_version"]),
        as_of=str(manifest["as_of"]),
        language=manifest.get("language", config.language),
    )
    try:
        write_snapshot(snapshot, folder.snapshot)
        folder.config.write_text(config.to_json(), encoding="utf-8")
        folder.write_status(state="created", created_at=now_iso(), total_steps=config.total_steps)
        with connect(home) as con:
            stored.insert_run(
                con,
                run_id=run_id,
                model=config.model,
                methodology_id=config.methodology_id,
                methodology_version=config.methodology_version,
                as_of=config.as_of,
                language=config.language,
                snapshot_sha256=snapshot.sha256,
                parent_run_id=config.parent_run_id,
                config=config.to_json(),
                state="created",
                created_by=created_by,
            )
    except BaseException:
        shutil.rmtree(folder.root, ignore_errors=True)
        raise
    log.info(
        "created %s (%s, %s v%s)",
        run_id,
        config.model,
        config.methodology_id,
        config.methodology_version,
    )
    return run_id


def load_config(home: Home, run_id: str) -> RunConfig:
    return RunConfig.from_json(run_folder(home, run_id).config.read_text(encoding="utf-8"))


# ---------------------------------------------------------------- start, stop, resume


def start(home: Home, run_id: str, *, resume: bool = False) -> dict:
    """Launch the training process for a run (detached); returns its status.

    The process queues for the device, so several runs may be started: they train one at a
    time per device, oldest first.
    """
    folder = run_folder(home, run_id)
    status = folder.read_status()
    state = status.get("state")
    if state in ACTIVE_STATES and liveness.alive(folder, status):
        raise TrainingError(f"{run_id} is already {state}")
    if state == "finished":
        raise TrainingError(f"{run_id} has finished; start a new run to train again")
    if resume and state not in ("stopped", "failed", *ACTIVE_STATES):
        raise TrainingError(f"{run_id} has not run yet ({state}): start it instead of resuming")
    if not resume and state not in ("created",):
        raise TrainingError(f"{run_id} has already run ({state}): resume it instead")
    folder.stop_flag.unlink(missing_ok=True)
    launch(
        folder,
        ("--resume",) if resume else (),
        note="resume" if resume else "start",
        state="queued",
        pid=None,
        message="starting",
        resumes=int(status.get("resumes", 0)) + (1 if resume else 0),
    )
    return status_of(home, run_id)


def stop(home: Home, run_id: str) -> dict:
    """Ask a run to stop: it checkpoints at the next step end and ends "stopped".

    A queued run is cancelled (it ends "stopped" without training); a run whose process is
    gone is recovered instead. Stopping an ended run changes nothing.
    """
    folder = run_folder(home, run_id)
    status = folder.read_status()
    state = status.get("state")
    if state in END_STATES:
        return status_of(home, run_id)
    if state == "created":
        folder.write_status(state="stopped", message="cancelled before it started", resumable=False)
        return status_of(home, run_id)
    folder.stop_flag.touch()
    if not liveness.alive(folder, status):
        recover(home)
        return status_of(home, run_id)
    if state == "queued":  # the waiting process notices within QUEUE_POLL_S
        deadline = time.monotonic() + STOP_ACK_S
        while time.monotonic() < deadline and folder.read_status().get("state") == "queued":
            time.sleep(0.1)
    return status_of(home, run_id)


def resume(home: Home, run_id: str) -> dict:
    """Start a stopped or failed run again, from the last checkpoint of the phase it was in."""
    folder = run_folder(home, run_id)
    recover(home)
    state = folder.read_status().get("state")
    if state not in ("stopped", "failed"):
        raise TrainingError(f"{run_id} is {state}: only a stopped or failed run can be resumed")
    return start(home, run_id, resume=True)


# ---------------------------------------------------------------- reading


def status_of(home: Home, run_id: str) -> dict[str, Any]:
    """status.json plus what a reader wants: run_id, alive, elapsed_s, eta_s, progress."""
    folder = run_folder(home, run_id)
    status = folder.read_status()
    state = status.get("state")
    alive = state in ACTIVE_STATES and liveness.alive(folder, status)
    if state == "running" and folder.stop_flag.exists():
        state = "stopping"
    out = {**status, "run_id": run_id, "state": state, "alive": alive}
    started = parse_time(status.get("started_at"))
    ended = parse_time(status.get("finished_at")) if state in END_STATES else None
    out["elapsed_s"] = round((ended or time.time()) - started, 1) if started else None
    out.update(_progress(folder, status))
    return out


def _progress(folder: RunFolder, status: dict) -> dict:
    """Steps done of all (warm-up + GRPO) and an ETA from the current phase's pace."""
    try:
        config = RunConfig.from_json(folder.config.read_text(encoding="utf-8"))
    except (OSError, TrainingError, ValueError):
        return {}
    phase, step = status.get("phase"), int(status.get("step") or 0)
    sft_done = config.sft_steps if (phase == "grpo" or is_complete(folder.sft_model)) else 0
    done = sft_done + step if phase == "grpo" else step if phase == "sft" else sft_done
    if status.get("state") == "finished":
        done = config.total_steps
    total = config.total_steps
    pace = status.get("sec_per_step")
    eta = None
    if status.get("state") in ("running", "stopping") and pace:
        left_sft = max(0, config.sft_steps - (step if phase == "sft" else sft_done))
        left_grpo = config.max_steps - (step if phase == "grpo" else 0)
        eta = round(pace * (left_sft + left_grpo), 1)  # one pace for both: a rough estimate
    return {
        "steps_done": done,
        "steps_total": total,
        "progress": done / total if total else 0.0,
        "eta_s": eta,
    }


def status(home: Home, run_id: str) -> dict[str, Any]:
    """A run's status (see `status_of`)."""
    return status_of(home, run_id)


def read_events(home: Home, run_id: str, since_line: int = 0) -> tuple[list[dict], int]:
    """New events of a run from line `since_line` (live curves poll with the returned line).

    A resumed run rewrites its events file once (dropping steps after the checkpoint it goes
    back to); `status["resumes"]` counts resumes, so a reader re-reads from 0 when it changes.
    """
    return run_folder(home, run_id).read_events(since_line)


def list_runs(home: Home) -> list[dict[str, Any]]:
    """Every run (folders and store), newest first, after `recover`."""
    home.ensure()
    recover(home)
    sync(home)
    out = {}
    for path in sorted(home.runs.iterdir(), reverse=True):
        if RUN_ID_RE.match(path.name) and (path / "config.json").is_file():
            out[path.name] = _listed(home, path)
    with connect(home) as con:
        recorded = stored.list_runs(con)
    for row in recorded.to_dict("records"):
        if row["run_id"] not in out:  # the folder was deleted: the history remains
            out[row["run_id"]] = {
                "run_id": row["run_id"],
                "state": row["state"],
                "model": row["model"],
                "methodology_id": row["methodology_id"],
                "methodology_version": row["methodology_version"],
                "folder": None,
                "message": "the run folder is gone",
            }
    return sorted(out.values(), key=lambda r: r["run_id"], reverse=True)


def _listed(home: Home, path: Path) -> dict[str, Any]:
    """One run of the list; an unreadable config.json shows as the run with a note, not an error."""
    status = status_of(home, path.name)
    try:
        config = RunConfig.from_json((path / "config.json").read_text(encoding="utf-8"))
    except (OSError, TrainingError, TypeError, ValueError) as exc:
        note = f"its config.json cannot be read: {' '.join(str(exc).split())}"
        return {"run_id": path.name, **status, "folder": str(path), "note": note}
    out = {**_summary(config), **status, "folder": str(path)}
    if config.ignored_keys:
        out["note"] = f"unknown settings ignored: {', '.join(config.ignored_keys)}"
    return out


def _summary(config: RunConfig) -> dict:
    return {
        "model": config.model,
        "methodology_id": config.methodology_id,
        "methodology_version": config.methodology_version,
        "as_of": config.as_of,
        "language": config.language,
        "sft_steps": config.sft_steps,
        "max_steps": config.max_steps,
        "algorithm": config.algorithm,
        "num_generations": config.num_generations,
        "learning_rate": config.learning_rate,
        "reward_weights": config.reward_weights,
        "parent_run_id": config.parent_run_id,
    }


def wait(home: Home, run_id: str, timeout: float | None = None, poll: float = POLL_S) -> dict:
    """Block until the run ends (or its process dies, or `timeout` seconds pass); its status."""
    run_folder(home, run_id)

    def read() -> dict:
        current = status_of(home, run_id)
        if current["state"] in ACTIVE_STATES and not current["alive"]:
            recover(home)
            current = status_of(home, run_id)
        return current

    return wait_until(read, lambda s: s["state"] not in ACTIVE_STATES, timeout, poll)


# ---------------------------------------------------------------- recovery and the store


def recover(home: Home) -> list[str]:
    """Mark runs that say queued/running/stopping but whose process is gone as failed.

    Resumable when a checkpoint or the warm-up model exists. Returns the recovered run ids.
    """
    return liveness.recover(RunFolder(path) for path in ids.job_dirs(home.runs, RUN_ID_RE))


def sync(home: Home) -> int:
    """Copy every run folder's state, times and final figures into the store; returns changes."""
    rows = []
    for path in ids.job_dirs(home.runs, RUN_ID_RE):
        current = RunFolder(path).read_status()
        final = current.get("final")
        rows.append(
            (
                path.name,
                current.get("state", "created"),
                current.get("message") or None,
                current.get("started_at"),
                current.get("finished_at") if current.get("state") in END_STATES else None,
                json.dumps(final, ensure_ascii=False) if final else None,
            )
        )
    with connect(home) as con:
        known = set(stored.list_runs(con)["run_id"])
        return stored.update_states(con, [r for r in rows if r[0] in known])
