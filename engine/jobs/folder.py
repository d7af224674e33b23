"""A job's folder: the files through which a background process and the app talk.

The job process writes status.json (and events.jsonl, when it keeps a history) while it lives;
the app and the CLI read them, and write status.json only before the process starts or after it
died. status.json is replaced atomically and read with a retry; events.jsonl is appended one
whole line per write, so a reader sees only complete lines (a last line without its newline is
left for the next read). The `stop` file asks the process to end early; `pid` is written by the
launcher. Each kind of job is a subclass that names its worker module and its states.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from engine.jobs.jsonfiles import clean_json, now_iso, read_json, write_json_atomic
from engine.jobs.liveness import is_job_process

LAUNCH_MARK = "=== "  # how the launcher's lines in log.txt begin


@dataclass(frozen=True)
class JobFolder:
    """The shared files of one job; subclasses set the class constants."""

    root: Path

    WORKER: ClassVar[str] = ""  # the module run as `python -m WORKER FOLDER`
    ACTIVE_STATES: ClassVar[tuple[str, ...]] = ("queued", "running")
    END_STATES: ClassVar[tuple[str, ...]] = ("stopped", "finished", "failed")
    MISSING_STATUS: ClassVar[dict[str, Any]] = {}  # read_status before anything was written
    DIED: ClassVar[str] = "the process died (app or machine restart, or killed)"

    @property
    def job_id(self) -> str:
        return self.root.name

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
    def stop_flag(self) -> Path:
        return self.root / "stop"

    @property
    def pid_file(self) -> Path:
        return self.root / "pid"

    # ------------------------------------------------------------ status

    def read_status(self) -> dict[str, Any]:
        """status.json as a dict (a copy of MISSING_STATUS before anything was written)."""
        status = read_json(self.status_file)
        return dict(self.MISSING_STATUS) if status is None else status

    def write_status(self, **changes: Any) -> dict[str, Any]:
        """Merge `changes` into status.json (atomic replace) and stamp `updated_at`."""
        status = self.read_status()
        status.update(changes)
        status["updated_at"] = now_iso()
        write_json_atomic(self.status_file, status)
        return status

    def stop_requested(self) -> bool:
        return self.stop_flag.exists()

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
        complete = data.split(b"\n")[:-1]  # the part after the last newline is being written
        events = [json.loads(raw) for raw in complete[since_line:] if raw.strip()]
        return events, len(complete)

    def trim_events(self, phase: str, after_step: int) -> int:
        """Drop `phase` events past `after_step` (a killed job's steps after its checkpoint)."""
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

    # ------------------------------------------------------------ the process

    def pid(self, status: dict[str, Any] | None = None) -> int | None:
        """The job's process id: from status.json (or `status`), else the launcher's pid file."""
        pid = (self.read_status() if status is None else status).get("pid")
        if pid:
            return int(pid)
        try:
            return int(self.pid_file.read_text().strip())
        except (OSError, ValueError):
            return None

    def process_alive(self) -> bool:
        """Whether this job's process is alive (not a zombie, not a reused pid)."""
        pid = self.pid()
        return pid is not None and is_job_process(pid, self.WORKER, self.root)

    def last_log_line(self) -> str:
        """The last line the process wrote to log.txt ("" when none)."""
        try:
            text = self.log.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        lines = (line.strip() for line in reversed(text.splitlines()))
        return next((line for line in lines if line and not line.startswith(LAUNCH_MARK)), "")

    def died_status(self) -> dict[str, Any]:
        """What status.json says besides state "failed" when the process is found dead."""
        return {"message": self.DIED}
