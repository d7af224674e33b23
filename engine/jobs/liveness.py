"""Whether a job's process lives, and marking the jobs whose process died as failed.

A job is alive while a process of its worker module runs with its folder on the command line
(read from /proc, so a zombie or a reused pid does not count), or for LAUNCH_GRACE_S after its
launch when its pid is not known yet. The processes this process started are also polled
directly (which reaps them).
"""

from __future__ import annotations

import logging
import os
import subprocess
import time
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine.jobs.jsonfiles import now_iso, parse_time

if TYPE_CHECKING:
    from engine.jobs.folder import JobFolder

log = logging.getLogger(__name__)

LAUNCH_GRACE_S = 30.0  # a just-launched process may not have written its pid yet

_children: dict[str, subprocess.Popen] = {}  # job processes this process started, by folder


def remember_child(root: Path, child: subprocess.Popen) -> None:
    """Note a job process this process started (polled by `alive`, reaped when it ends)."""
    _children[str(root)] = child


def child_running(root: Path) -> bool:
    """Whether this process started the job of `root` and it still runs (ended ones are reaped)."""
    for key, child in list(_children.items()):
        if child.poll() is not None:
            del _children[key]
    return str(root) in _children


def is_job_process(pid: int, worker: str, root: Path) -> bool:
    """Whether `pid` is a live `python -m <worker> <root>` process (not a zombie or another)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return _alive_without_proc(pid)
    if not cmdline:  # a zombie: exited, not yet reaped
        return False
    args = cmdline.decode(errors="replace").split("\0")
    return worker in args and str(root) in args


def pid_exists(pid: int) -> bool:
    """Whether a process with this pid exists (any process: signal 0, no /proc needed)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _alive_without_proc(pid: int) -> bool:
    if Path("/proc/self").exists():  # /proc exists, so the pid is gone
        return False
    return pid_exists(pid)


def alive(folder: JobFolder, status: dict[str, Any] | None = None) -> bool:
    """Whether the folder's job process lives (or was launched a moment ago, its pid unknown)."""
    if child_running(folder.root):
        return True
    status = folder.read_status() if status is None else status
    pid = folder.pid(status)
    if pid is not None:
        return is_job_process(pid, folder.WORKER, folder.root)
    launched = parse_time(status.get("launched_at"))
    return launched is not None and time.time() - launched < LAUNCH_GRACE_S


def recover(folders: Iterable[JobFolder]) -> list[str]:
    """Mark the jobs that say they are active but whose process is gone as failed (with the
    folder's `died_status`) and clear their stop flag; the ids of the jobs marked."""
    found = []
    for folder in folders:
        status = folder.read_status()
        if status.get("state") not in folder.ACTIVE_STATES or alive(folder, status):
            continue
        folder.write_status(state="failed", finished_at=now_iso(), **folder.died_status())
        folder.stop_flag.unlink(missing_ok=True)
        found.append(folder.job_id)
        log.warning("%s: %s", folder.job_id, folder.DIED)
    return found
