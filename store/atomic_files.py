"""Files that readers in other processes see change whole, and see every change of.

A file is replaced by writing a temporary file beside it and renaming it over the old one, so a
reader gets the old bytes or the new ones, never a mix. Writers hold an advisory lock file
(`flock`) for the whole change; the lock file also keeps the newest mtime given, and every new
version gets a later mtime than any before it (even one removed since). So `stat_key`, compared
with the one seen last, tells a reader whether to read the file again: an unchanged key is an
unchanged file, whatever the clock's granularity.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import secrets
import time
from collections.abc import Iterator
from pathlib import Path

FILE_MODE = 0o600
DIR_MODE = 0o700
_FLOOR_BYTES = 32  # the lock file holds the newest mtime given, in decimal nanoseconds


class LockTimeout(TimeoutError):
    """Another writer held the lock for longer than we were willing to wait."""


StatKey = tuple[int, int, int, int]


def stat_key(path: Path) -> StatKey | None:
    """(inode, size, mtime_ns, ctime_ns) of `path`, or None when it is missing."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return None
    return (info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns)


def sha256_bytes(data: bytes) -> str:
    """Hex SHA-256 of `data`."""
    return hashlib.sha256(data).hexdigest()


def write_new(path: Path, data: bytes, mode: int = FILE_MODE) -> str:
    """Write `data` to a file that must not exist yet, synced to disk; its sha256."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    finally:
        os.close(fd)
    return sha256_bytes(data)


@contextlib.contextmanager
def locked(lock_path: Path, timeout_s: float = 30.0) -> Iterator[int]:
    """Hold the advisory lock `lock_path` (created if missing); yields its descriptor for
    `replace`. LockTimeout after `timeout_s`."""
    lock_path.parent.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, FILE_MODE)
    try:
        deadline = time.monotonic() + timeout_s
        delay = 0.002
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise LockTimeout(f"{lock_path} is held by another writer") from None
                time.sleep(delay)
                delay = min(delay * 2, 0.05)
        try:
            yield fd
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _floor(lock_fd: int) -> int:
    try:
        return int(os.pread(lock_fd, _FLOOR_BYTES, 0).decode("ascii").strip() or 0)
    except ValueError:
        return 0


def replace(path: Path, data: bytes, lock_fd: int, mode: int = FILE_MODE) -> StatKey:
    """Replace `path` with `data` at once (the caller holds `locked`); the new stat_key, whose
    mtime is later than that of every version written under the same lock."""
    old = stat_key(path)
    newest = max(time.time_ns(), _floor(lock_fd) + 1, (old[2] + 1) if old else 0)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        write_new(tmp, data, mode)
        os.utime(tmp, ns=(newest, newest))
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    os.pwrite(lock_fd, str(newest).encode("ascii").ljust(_FLOOR_BYTES), 0)
    return stat_key(path)


def remove(path: Path, lock_fd: int) -> None:
    """Remove `path` if it is there (the caller holds `locked`), keeping its mtime as the floor
    for the next version."""
    old = stat_key(path)
    if old is None:
        return
    if old[2] > _floor(lock_fd):
        os.pwrite(lock_fd, str(old[2]).encode("ascii").ljust(_FLOOR_BYTES), 0)
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)
