"""Taking turns on a GPU: training runs and evaluation jobs on one device share a lock file.

A training run holds `runs/.queue-<device>.lock` (an advisory `flock`) for its whole life
(`engine.training.device_queue`, whose `ahead` keeps runs in first-come order); an
evaluation job on a GPU waits for the same lock before it loads its model, so the two never
share the GPU's memory.
The holder writes "<owner> <pid>" into the file, which is how a waiting job can say whom it
waits for. The OS releases the lock when the holding process dies.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

POLL_S = 1.0


def lock_path(runs_dir: Path, device: str) -> Path:
    """The lock file of `device` ('cuda', 'cpu') for the runs kept in `runs_dir`."""
    return runs_dir / f".queue-{device}.lock"


def holder(path: Path) -> str | None:
    """Who wrote the lock file last ('run-0003'), None when it is empty or missing."""
    try:
        text = path.read_text(encoding="utf-8").strip()
    except OSError:
        return None
    return text.split()[0] if text else None


@contextlib.contextmanager
def device_turn(
    path: Path,
    owner: str,
    stopped: Callable[[], bool],
    waiting: Callable[[str | None], None] | None = None,
    poll: float = POLL_S,
    ahead: Callable[[], bool] | None = None,
) -> Iterator[bool]:
    """Hold the lock at `path` for the block (True), or False if `stopped()` while waiting.

    `waiting(holder)` is called once each time the lock is found taken (to show a status);
    while `ahead()` says another job must go first, the lock is not even tried.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o644)
    try:
        told = None
        while True:
            if stopped():
                yield False
                return
            if ahead is None or not ahead():
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    current = holder(path)
                    if waiting is not None and current != told:
                        waiting(current)
                        told = current
            time.sleep(poll)
        os.ftruncate(fd, 0)
        os.write(fd, f"{owner} {os.getpid()}\n".encode())
        yield True
    finally:
        os.close(fd)
