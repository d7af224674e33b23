"""Waiting for a job to end, polling its status."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

Status = dict[str, Any]


def wait_until(
    read: Callable[[], Status],
    ended: Callable[[Status], bool],
    timeout: float | None = None,
    poll: float = 0.5,
    on_progress: Callable[[Status], None] | None = None,
) -> Status:
    """Poll `read()` every `poll` seconds until `ended` says so or `timeout` seconds pass; the
    last status read. `on_progress` sees each status before the job ended."""
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        current = read()
        if ended(current):
            return current
        if on_progress is not None:
            on_progress(current)
        if deadline is not None and time.monotonic() >= deadline:
            return current
        time.sleep(poll)
