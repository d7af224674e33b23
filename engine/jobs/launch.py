"""Starting a job's process: `python -m <worker> FOLDER [args]`, detached, its output in log.txt.

The process gets its own session (it outlives the app, and Ctrl-C in a terminal does not reach
it), the repository on PYTHONPATH and OMP_WAIT_POLICY=PASSIVE unless the environment sets it.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from engine.jobs.folder import LAUNCH_MARK, JobFolder
from engine.jobs.jsonfiles import now_iso, write_text_atomic
from engine.jobs.liveness import remember_child

log = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parents[2]
# CPU threads that wait passively: a job often shares the cores with another job or the app,
# and busy-waiting OpenMP threads then slow it down many times (measured on 2 busy cores: 0.3
# instead of 8 funds/s of generation); passive waiting costs little on an idle machine.
OMP_WAIT_POLICY = "PASSIVE"


def job_environment(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of a job process: `base` (this one's) with the repository on PYTHONPATH
    and OMP_WAIT_POLICY set unless it is."""
    env = dict(os.environ if base is None else base)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    env.setdefault("OMP_WAIT_POLICY", OMP_WAIT_POLICY)
    return env


def launch(
    folder: JobFolder, args: tuple[str, ...] = (), *, note: str = "start", **changes: Any
) -> subprocess.Popen:
    """Start the folder's worker process; status.json gets `launched_at` and `changes` first,
    log.txt a line "=== <time> <note>: <command>", the `pid` file the process id."""
    command = [sys.executable, "-m", folder.WORKER, str(folder.root), *args]
    folder.pid_file.unlink(missing_ok=True)
    folder.write_status(launched_at=now_iso(), **changes)
    with folder.log.open("a", encoding="utf-8") as out:
        out.write(f"\n{LAUNCH_MARK}{now_iso()} {note}: {' '.join(command)}\n")
        out.flush()
        child = subprocess.Popen(
            command,
            cwd=REPO_ROOT,
            env=job_environment(),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    remember_child(folder.root, child)
    write_text_atomic(folder.pid_file, str(child.pid))
    log.info("started %s (pid %d)", folder.job_id, child.pid)
    return child
