"""A cycle's job folder (`cycles/<cycle_id>/`), run by `python -m engine.cycle.worker FOLDER`:
config.json (what the cycle grades with), status.json (state, step, the evaluations that hold
the model's answers), log.txt, stop. The model's answers themselves stay in those evaluations'
folders (`evaluations/<evaluation_id>/results.parquet`), so a resumed cycle reuses them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from engine.jobs.folder import JobFolder
from engine.jobs.ids import id_pattern
from store.home import Home

CYCLE_ID_RE = id_pattern("cycle")
ACTIVE_STATES = ("queued", "running")
END_STATES = ("finished", "failed", "stopped")


@dataclass(frozen=True)
class CycleFolder(JobFolder):
    """The files of one rating cycle."""

    WORKER: ClassVar[str] = "engine.cycle.worker"
    ACTIVE_STATES: ClassVar[tuple[str, ...]] = ACTIVE_STATES
    END_STATES: ClassVar[tuple[str, ...]] = END_STATES
    DIED: ClassVar[str] = "the cycle process died (app or machine restart, or killed)"

    @property
    def cycle_id(self) -> str:
        return self.root.name

    @property
    def config(self) -> Path:
        return self.root / "config.json"

    def read_config(self) -> dict[str, Any]:
        return json.loads(self.config.read_text(encoding="utf-8"))

    def write_config(self, config: dict[str, Any]) -> None:
        self.config.write_text(json.dumps(config, ensure_ascii=False, indent=1), "utf-8")

    def evaluations(self) -> list[str]:
        """The evaluations that hold this cycle's model answers, oldest first."""
        return list(self.read_status().get("evaluations") or [])


def cycles_dir(home: Home) -> Path:
    """Where cycles keep their folders."""
    return home.root / "cycles"
