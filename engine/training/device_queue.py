"""The device queue: one training run per device at a time, the oldest queued run first."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from engine.jobs.device_lock import device_turn, lock_path
from engine.training.folder import RunFolder

QUEUE_POLL_S = 0.5


def _queued_before_me(folder: RunFolder, device: str) -> bool:
    """Whether another live run on this device has been waiting longer (FIFO queue)."""
    mine = folder.read_status()
    key = (mine.get("queued_at") or "", folder.run_id)
    for other in folder.root.parent.iterdir():
        if other == folder.root or not (other / "status.json").is_file():
            continue
        peer = RunFolder(other)
        try:
            status = peer.read_status()
        except (OSError, ValueError):
            continue
        if status.get("state") != "queued" or status.get("device") != device:
            continue
        if (status.get("queued_at") or "", peer.run_id) < key and peer.process_alive():
            return True
    return False


@contextlib.contextmanager
def device_queue(folder: RunFolder, device: str) -> Iterator[bool]:
    """Hold the device's lock for the block (True), or False if stopped while waiting; runs
    queued earlier on the device go first."""
    with device_turn(
        lock_path(folder.root.parent, device),
        folder.run_id,
        folder.stop_flag.exists,
        poll=QUEUE_POLL_S,
        ahead=lambda: _queued_before_me(folder, device),
    ) as acquired:
        yield acquired
