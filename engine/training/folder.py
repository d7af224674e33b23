"""A run folder (`runs/<run_id>/`, docs/training-format.md section 4): a job folder
(`engine.jobs.folder`) with the run's config, frozen snapshot, checkpoints and models.

The training process writes status.json and events.jsonl while it lives; the app and CLI read
them. Light on purpose: no torch, no DuckDB.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from engine.jobs.folder import JobFolder

__all__ = [
    "ACTIVE_STATES",
    "END_STATES",
    "PHASES",
    "STATES",
    "RunFolder",
    "is_complete",
]

STATES = ("created", "queued", "running", "stopping", "stopped", "finished", "failed")
ACTIVE_STATES = ("queued", "running", "stopping")
END_STATES = ("stopped", "finished", "failed")
PHASES = ("prepare", "sft", "grpo", "eval")
CHECKPOINT_RE = re.compile(r"^checkpoint-(\d+)$")


@dataclass(frozen=True)
class RunFolder(JobFolder):
    """The files of one run."""

    WORKER: ClassVar[str] = "engine.training.worker"
    ACTIVE_STATES: ClassVar[tuple[str, ...]] = ACTIVE_STATES
    END_STATES: ClassVar[tuple[str, ...]] = END_STATES
    MISSING_STATUS: ClassVar[dict[str, Any]] = {"state": "created"}
    DIED: ClassVar[str] = "the process died (app or machine restart)"

    @property
    def run_id(self) -> str:
        return self.root.name

    @property
    def config(self) -> Path:
        return self.root / "config.json"

    @property
    def snapshot(self) -> Path:
        return self.root / "snapshot"

    @property
    def checkpoints(self) -> Path:
        return self.root / "checkpoints"

    @property
    def sft_model(self) -> Path:
        return self.root / "sft_model"

    @property
    def model(self) -> Path:
        return self.root / "model"

    def phase_checkpoints(self, phase: str) -> Path:
        return self.checkpoints / phase

    def last_checkpoint(self, phase: str) -> Path | None:
        """The newest complete TRL checkpoint of `phase` (one with trainer_state.json)."""
        folder = self.phase_checkpoints(phase)
        if not folder.is_dir():
            return None
        found = []
        for child in folder.iterdir():
            match = CHECKPOINT_RE.match(child.name)
            if match and (child / "trainer_state.json").is_file():
                found.append((int(match.group(1)), child))
        return max(found)[1] if found else None

    def resumable(self) -> bool:
        """Whether a resume would not start from scratch (a checkpoint or the warm-up model)."""
        return bool(
            self.last_checkpoint("sft")
            or self.last_checkpoint("grpo")
            or is_complete(self.sft_model)
        )

    def died_status(self) -> dict[str, Any]:
        """A run found dead says so and whether it can resume."""
        return {"message": self.DIED, "resumable": self.resumable()}


def is_complete(model_folder: Path) -> bool:
    """A saved model folder (written elsewhere and renamed into place when complete)."""
    return (model_folder / "config.json").is_file()
