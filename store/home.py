"""Where the workbench keeps its state: one folder, WORKBENCH_HOME (default `var/` in the repo).

The folder holds fund data, uploads and models, so it is private to the user: `ensure()` makes
its folders 0700 and the database 0600, and the uploads of an older home 0600 the first time a
process meets it; the entry points call `private_umask()` so that new files start private. `tmp/` holds an ingest's
temporary copies; `ensure()` removes those left behind by a crash (`clean_tmp`).
"""

from __future__ import annotations

import logging
import os
import shutil
import stat
import time
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_HOME = REPO_ROOT / "var"
PRIVATE_UMASK = 0o077
DIR_MODE = 0o700
GROUP_OTHER = 0o077
# A younger temporary may belong to an ingest running now in another process or thread.
TMP_MAX_AGE_S = 3600.0

log = logging.getLogger(__name__)
_UPLOADS_CHECKED: set[Path] = set()  # homes whose older uploads this process made private


@dataclass(frozen=True)
class Home:
    """The state folder and the fixed places inside it."""

    root: Path

    @property
    def db_path(self) -> Path:
        return self.root / "workbench.duckdb"

    @property
    def uploads(self) -> Path:
        return self.root / "uploads"

    @property
    def runs(self) -> Path:
        return self.root / "runs"

    @property
    def models(self) -> Path:
        return self.root / "models"

    @property
    def demo_ceiling(self) -> Path:
        """The synthetic demo's ceiling grade of each rating, written when the demo is built."""
        return self.uploads / "demo" / "ceiling.parquet"

    @property
    def tmp(self) -> Path:
        return self.root / "tmp"

    def ensure(self) -> Home:
        """Create the folder layout if missing, make it private, drop stale temporaries;
        return self."""
        for path in (self.root, self.uploads, self.runs, self.models, self.tmp):
            path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
            make_private(path)
        for path in (self.db_path, self.db_path.with_name(self.db_path.name + ".wal")):
            make_private(path)
        if self.root not in _UPLOADS_CHECKED:  # once per process: new files follow the umask
            for folder, dirs, files in os.walk(self.uploads):
                for name in dirs + files:
                    make_private(Path(folder) / name)
            _UPLOADS_CHECKED.add(self.root)
        clean_tmp(self)
        return self


def make_private(path: Path) -> None:
    """Take group and other permissions off `path` (a folder also gets owner rwx); a missing
    path, a symbolic link or a shared sticky folder (like /tmp) is left alone."""
    try:
        info = os.lstat(path)
        if stat.S_ISLNK(info.st_mode) or info.st_mode & stat.S_ISVTX:
            return
        mode = stat.S_IMODE(info.st_mode)
        wanted = DIR_MODE if stat.S_ISDIR(info.st_mode) else mode & ~GROUP_OTHER
        if mode != wanted:
            os.chmod(path, wanted)
    except FileNotFoundError:
        return
    except OSError as exc:  # e.g. a home owned by someone else: usable, just not ours to change
        log.debug("cannot restrict %s: %s", path, exc)


def clean_tmp(home: Home, max_age_s: float = TMP_MAX_AGE_S) -> int:
    """Remove what in `home.tmp` is older than `max_age_s` seconds; how many entries went."""
    cutoff = time.time() - max_age_s
    try:
        entries = list(os.scandir(home.tmp))
    except FileNotFoundError:
        return 0
    removed = 0
    for entry in entries:
        try:
            if entry.stat(follow_symlinks=False).st_mtime > cutoff:
                continue
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path)
            else:
                os.unlink(entry.path)
            removed += 1
        except OSError as exc:  # gone meanwhile or not ours: the next start tries again
            log.debug("cannot remove %s: %s", entry.path, exc)
    return removed


def private_umask() -> int:
    """Make files and folders this process creates private to the user; the old umask."""
    return os.umask(PRIVATE_UMASK)


def current_home(root: str | os.PathLike[str] | None = None) -> Home:
    """The Home named by `root`, else by $WORKBENCH_HOME, else `var/` in the repo."""
    chosen = root or os.environ.get("WORKBENCH_HOME") or DEFAULT_HOME
    return Home(Path(chosen).expanduser().resolve())
