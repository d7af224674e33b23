"""An evaluation job's folder (`evaluations/<evaluation_id>/`) from the app's side: its status
file, launching `python -m engine.evaluation.worker FOLDER`, telling whether the process lives, and
marking jobs whose process died as failed. No DuckDB, no torch.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from engine.evaluation.worker import STATUS
from store.home import Home

log = logging.getLogger(__name__)

ACTIVE_STATES = ("queued", "running")
END_STATES = ("finished", "stopped", "failed")
LAUNCH_GRACE_S = 30.0
REPO_ROOT = Path(__file__).resolve().parents[2]
# CPU threads that wait passively: the job often shares the cores with a training run or the
# app, and busy-waiting OpenMP threads then slow generation down ~25x (measured on 2 busy cores:
# 0.3 instead of 8 funds/s one at a time); passive waiting costs little on an idle machine.
OMP_WAIT_POLICY = "PASSIVE"
DIED = "the evaluation process died (app or machine restart, or killed)"

_children: dict[str, subprocess.Popen] = {}  # job processes this process started


def evaluations_dir(home: Home) -> Path:
    """Where background evaluations keep their folders."""
    return home.root / "evaluations"


def write_status(folder: Path, **changes: Any) -> dict:
    from engine.training.folder import now_iso, write_json_atomic

    status = read_status(folder)
    status.update(changes, updated_at=now_iso())
    write_json_atomic(folder / STATUS, status)
    return status


def read_status(folder: Path) -> dict:
    try:
        return json.loads((folder / STATUS).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except json.JSONDecodeError:  # replaced atomically, so only ever a passing glitch
        time.sleep(0.05)
        return json.loads((folder / STATUS).read_text(encoding="utf-8"))


def launch(folder: Path) -> None:
    """Start `python -m engine.evaluation.worker FOLDER` detached, its output in log.txt."""
    from engine.training.folder import now_iso

    command = [sys.executable, "-m", "engine.evaluation.worker", str(folder)]
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    env.setdefault("OMP_WAIT_POLICY", OMP_WAIT_POLICY)
    write_status(folder, launched_at=now_iso())
    with (folder / "log.txt").open("a", encoding="utf-8") as out:
        child = subprocess.Popen(
            command,
            cwd=REPO_ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    _children[folder.name] = child
    (folder / "pid").write_text(str(child.pid))
    log.info("started %s (pid %d)", folder.name, child.pid)


def alive(folder: Path, status: dict) -> bool:
    """Whether the folder's job process lives (or was launched a moment ago)."""
    from engine.training.folder import parse_time

    child = _children.get(folder.name)
    if child is not None:
        if child.poll() is None:
            return True
        del _children[folder.name]
    pid = status.get("pid")
    if not pid:
        try:
            pid = int((folder / "pid").read_text().strip())
        except (OSError, ValueError):
            pid = None
    if pid:
        try:
            args = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
        except OSError:
            args = []
        if "engine.evaluation.worker" in args and str(folder) in args:
            return True
        return False
    launched = parse_time(status.get("launched_at"))
    return launched is not None and time.time() - launched < LAUNCH_GRACE_S


def _last_log_line(folder: Path) -> str:
    try:
        lines = (folder / "log.txt").read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return ""
    return next((line.strip() for line in reversed(lines) if line.strip()), "")


def recover(home: Home) -> list[str]:
    """Mark jobs that say queued/running but whose process is gone as failed; their ids."""
    from engine.training.folder import now_iso

    found = []
    root = evaluations_dir(home)
    for folder in sorted(root.iterdir()) if root.is_dir() else []:
        status = read_status(folder)
        if status.get("state") not in ACTIVE_STATES or alive(folder, status):
            continue
        last = _last_log_line(folder)
        write_status(
            folder,
            state="failed",
            finished_at=now_iso(),
            message=DIED + (f"; last log line: {last[:200]}" if last else ""),
        )
        found.append(folder.name)
        log.warning("%s: %s", folder.name, DIED)
    return found
