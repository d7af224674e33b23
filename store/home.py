"""Where the workbench keeps its state: one folder, WORKBENCH_HOME (default `var/` in the repo)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_HOME = REPO_ROOT / "var"


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

    def ensure(self) -> Home:
        """Create the folder layout if missing and return self."""
        for path in (self.root, self.uploads, self.runs, self.models):
            path.mkdir(parents=True, exist_ok=True)
        return self


def current_home(root: str | os.PathLike[str] | None = None) -> Home:
    """The Home named by `root`, else by $WORKBENCH_HOME, else `var/` in the repo."""
    chosen = root or os.environ.get("WORKBENCH_HOME") or DEFAULT_HOME
    return Home(Path(chosen).expanduser().resolve())
