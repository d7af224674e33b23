"""Job ids ("run-0001", "eval-0042") and their folders: the next free id is reserved by
creating its folder (mkdir is atomic, so two processes never get the same one)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path


def id_pattern(prefix: str) -> re.Pattern[str]:
    """The ids `<prefix>-NNNN` (four digits or more), the number as group 1."""
    return re.compile(rf"^{re.escape(prefix)}-(\d{{4,}})$")


def numbers(root: Path, pattern: re.Pattern[str]) -> list[int]:
    """The numbers of the folders in `root` whose names are ids of `pattern`."""
    if not root.is_dir():
        return []
    return [int(m.group(1)) for p in root.iterdir() if (m := pattern.match(p.name))]


def reserve(root: Path, prefix: str, recorded: int = 0) -> tuple[str, Path]:
    """A new id above `recorded` (the highest the store knows) and every folder in `root`, and
    its folder, just created; a number another process took meanwhile moves to the next."""
    root.mkdir(parents=True, exist_ok=True)
    n = max([recorded, *numbers(root, id_pattern(prefix))], default=0) + 1
    while True:
        job_id = f"{prefix}-{n:04d}"
        try:
            (root / job_id).mkdir()
            return job_id, root / job_id
        except FileExistsError:
            n += 1


def job_dirs(root: Path, pattern: re.Pattern[str]) -> Iterator[Path]:
    """The folders in `root` named by `pattern` that have a status.json, in name order."""
    if not root.is_dir():
        return
    for path in sorted(root.iterdir()):
        if pattern.match(path.name) and (path / "status.json").is_file():
            yield path
