"""A run folder (`runs/<run_id>/`, docs/training-format.md section 4): its files and how to read
and write them safely from two processes.

The training process writes status.json and events.jsonl while it lives; the app and CLI read
them (and write status.json only before a process starts or after it died). status.json is
replaced atomically; events.jsonl is appended one whole line per write, so a reader sees only
complete lines (a last line without its newline is left for the next read). Light on purpose:
no torch, no DuckDB.
"""

from __future__ import annotations

import json
import math
import os
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

STATES = ("created", "queued", "running", "stopping", "stopped", "finished", "failed")
ACTIVE_STATES = ("queued", "running", "stopping")
END_STATES = ("stopped", "finished", "failed")
PHASES = ("prepare", "sft", "grpo", "eval")
CHECKPOINT_RE = re.compile(r"^checkpoint-(\d+)$")


def now_iso() -> str:
    """The current time, UTC, ISO 8601 with seconds."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def parse_time(text: str | None) -> float | None:
    """Seconds since the epoch from `now_iso` text (None for none)."""
    if not text:
        return None
    return datetime.fromisoformat(text).timestamp()


@dataclass(frozen=True)
class RunFolder:
    """The files of one run."""

    root: Path

    @property
    def run_id(self) -> str:
        return self.root.name

    @property
    def config(self) -> Path:
        return self.root / "config.json"

    @property
    def snapshot(self) -> Path:
        return self.root / "snapshot"

    @property
    def status_file(self) -> Path:
        return self.root / "status.json"

    @property
    def events(self) -> Path:
        return self.root / "events.jsonl"

    @property
    def log(self) -> Path:
        return self.root / "log.txt"

    @property
    def checkpoints(self) -> Path:
        return self.root / "checkpoints"

    @property
    def sft_model(self) -> Path:
        return self.root / "sft_model"

    @property
    def model(self) -> Path:
        return self.root / "model"

    @property
    def stop_flag(self) -> Path:
        return self.root / "stop"

    @property
    def pid_file(self) -> Path:
        return self.root / "pid"

    def phase_checkpoints(self, phase: str) -> Path:
        return self.checkpoints / phase

    # ------------------------------------------------------------ status

    def read_status(self) -> dict[str, Any]:
        """status.json as a dict ({"state": "created"} before anything was written)."""
        try:
            return json.loads(self.status_file.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {"state": "created"}
        except json.JSONDecodeError:  # never half-written (atomic replace), but be safe
            time.sleep(0.05)
            return json.loads(self.status_file.read_text(encoding="utf-8"))

    def write_status(self, **changes: Any) -> dict[str, Any]:
        """Merge `changes` into status.json (atomic replace) and stamp `updated_at`."""
        status = self.read_status()
        status.update(changes)
        status["updated_at"] = now_iso()
        write_json_atomic(self.status_file, status)
        return status

    # ------------------------------------------------------------ events

    def append_event(self, kind: str, phase: str, step: int, **data: Any) -> dict[str, Any]:
        """Append one event line {"time", "phase", "step", "kind", ...data}."""
        event = {"time": now_iso(), "phase": phase, "step": int(step), "kind": kind, **data}
        line = json.dumps(clean_json(event), ensure_ascii=False) + "\n"
        with self.events.open("a", encoding="utf-8") as handle:
            handle.write(line)
        return event

    def read_events(self, since_line: int = 0) -> tuple[list[dict[str, Any]], int]:
        """(events from line `since_line` on, the line to continue from next time)."""
        try:
            with self.events.open("rb") as handle:
                data = handle.read()
        except FileNotFoundError:
            return [], since_line
        lines = data.split(b"\n")
        complete = lines[:-1]  # the part after the last newline is still being written
        events = []
        for raw in complete[since_line:]:
            if raw.strip():
                events.append(json.loads(raw))
        return events, len(complete)

    def trim_events(self, phase: str, after_step: int) -> int:
        """Drop `phase` events past `after_step` (a killed run's steps after its checkpoint)."""
        events, _ = self.read_events()
        kept = [
            e for e in events if not (e.get("phase") == phase and e.get("step", 0) > after_step)
        ]
        dropped = len(events) - len(kept)
        if dropped:
            tmp = self.events.with_suffix(".tmp")
            tmp.write_text(
                "".join(json.dumps(e, ensure_ascii=False) + "\n" for e in kept), encoding="utf-8"
            )
            os.replace(tmp, self.events)
        return dropped

    # ------------------------------------------------------------ checkpoints and process

    def last_checkpoint(self, phase: str) -> Path | None:
        """The newest complete TRL checkpoint of `phase` (one with trainer_state.json)."""
        folder = self.phase_checkpoints(phase)
        if not folder.is_dir():
            return None
        found = []
        for child in folder.iterdir():
            match = CHECKPOINT_RE.match(child.name)
            if match and (child / "trainer_state.json").is_file():
                found.append((int(match.group(1)), child))
        return max(found)[1] if found else None

    def resumable(self) -> bool:
        """Whether a resume would not start from scratch (a checkpoint or the warm-up model)."""
        return bool(
            self.last_checkpoint("sft")
            or self.last_checkpoint("grpo")
            or is_complete(self.sft_model)
        )

    def pid(self) -> int | None:
        """The training process id: from status.json, else from the launcher's pid file."""
        pid = self.read_status().get("pid")
        if pid:
            return int(pid)
        try:
            return int(self.pid_file.read_text().strip())
        except (FileNotFoundError, ValueError):
            return None

    def process_alive(self) -> bool:
        """Whether this run's training process is alive (not a zombie, not a reused pid)."""
        pid = self.pid()
        return pid is not None and is_training_process(pid, self.root)


def is_complete(model_folder: Path) -> bool:
    """A saved model folder (written elsewhere and renamed into place when complete)."""
    return (model_folder / "config.json").is_file()


def is_training_process(pid: int, run_root: Path) -> bool:
    """Whether `pid` is a live `engine.training.worker` process for this run folder."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return _alive_without_proc(pid)
    if not cmdline:  # a zombie: exited, not yet reaped
        return False
    args = cmdline.decode(errors="replace").split("\0")
    return "engine.training.worker" in args and str(run_root) in args


def _alive_without_proc(pid: int) -> bool:
    if Path("/proc/self").exists():  # /proc exists, so the pid is gone
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def write_json_atomic(path: Path, data: Any) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(clean_json(data), ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(tmp, path)


def clean_json(value: Any) -> Any:
    """`value` with NaN/inf as None and numpy/torch scalars as Python numbers (strict JSON)."""
    if isinstance(value, dict):
        return {str(k): clean_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean_json(v) for v in value]
    if isinstance(value, bool) or value is None or isinstance(value, str | int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    item = getattr(value, "item", None)
    if callable(item):
        return clean_json(item())
    if isinstance(value, Path):
        return str(value)
    return str(value)
