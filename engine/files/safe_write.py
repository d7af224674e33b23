"""Writing a file or folder the user named (`--out`) without harming what is already there.

- Never through a symbolic link: a link at the target is refused, even with force.
- Never over an existing file unless `force`; without it the file is created with O_EXCL, so a
  file appearing meanwhile is not overwritten either. With `force` the bytes go to a temporary
  file in the same folder that then replaces the target in one step (`os.replace` swaps the
  directory entry and does not follow a link put there meanwhile).
- A folder as target, or a missing parent folder, is a one-line `OutputError` (a ValueError,
  so the CLI exits 2), as is any OSError while writing.
Written files are private to the user (mode 0600).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

FILE_MODE = 0o600
_CREATE_FLAGS = (
    os.O_WRONLY
    | os.O_CREAT
    | os.O_EXCL
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_CLOEXEC", 0)
)


class OutputError(ValueError):
    """An output path that cannot or may not be written; one-line text."""


def check_target(path: str | os.PathLike[str], force: bool = False) -> Path:
    """`path` as a Path once it may be written: not a link or folder, its folder exists, and
    it does not exist yet unless `force`."""
    path = Path(path)
    if path.is_symlink():
        raise OutputError(f"{path} is a symbolic link; refusing to write through it")
    if path.is_dir():
        raise OutputError(f"{path} is a folder; give a file name")
    if not path.parent.is_dir():
        raise OutputError(f"folder {path.parent} does not exist")
    if path.exists() and not force:
        raise OutputError(f"{path} already exists; add --force to overwrite it")
    return path


def check_folder(path: str | os.PathLike[str], force: bool = False) -> Path:
    """`path` as a Path once it may receive files: a new folder, or an existing folder without
    links in it that is empty unless `force`."""
    path = Path(path)
    if path.is_symlink():
        raise OutputError(f"{path} is a symbolic link; refusing to write through it")
    if path.exists() and not path.is_dir():
        raise OutputError(f"{path} is a file; give a folder")
    entries = list(path.iterdir()) if path.is_dir() else []
    linked = [e.name for e in entries if e.is_symlink()]
    if linked:
        raise OutputError(f"{path} holds a symbolic link ({linked[0]}); refusing to write there")
    if entries and not force:
        raise OutputError(f"{path} is not empty; choose an empty or new folder")
    return path


def write_bytes(path: str | os.PathLike[str], data: bytes, force: bool = False) -> Path:
    """Write `data` to `path` under the rules above; the path written."""
    path = check_target(path, force)
    try:
        if force:
            _replace(path, data)
        else:
            _create(path, data)
    except FileExistsError:
        raise OutputError(f"{path} already exists; add --force to overwrite it") from None
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from None
    return path


def write_files(files: Mapping[Path, bytes], force: bool = False) -> list[Path]:
    """Write several files, checking every target before writing the first."""
    for path in files:
        check_target(path, force)
    return [write_bytes(path, data, force) for path, data in files.items()]


def _create(path: Path, data: bytes) -> None:
    fd = os.open(path, _CREATE_FLAGS, FILE_MODE)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
    except BaseException:
        path.unlink(missing_ok=True)
        raise


def _replace(path: Path, data: bytes) -> None:
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(name, path)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
