"""An evaluation job's folder (`evaluations/<evaluation_id>/`): a job folder
(`engine.jobs.folder`) run by `python -m engine.evaluation.worker FOLDER`, with the job's
config, prompts and results. No DuckDB, no torch.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from engine.jobs.folder import JobFolder
from engine.jobs.ids import id_pattern
from store.home import Home

CONFIG, PROMPTS, RESULTS = "config.json", "prompts.parquet", "results.parquet"
ACTIVE_STATES = ("queued", "running")
END_STATES = ("finished", "stopped", "failed")
EVAL_ID_RE = id_pattern("eval")


@dataclass(frozen=True)
class EvaluationFolder(JobFolder):
    """The files of one evaluation job."""

    WORKER: ClassVar[str] = "engine.evaluation.worker"
    ACTIVE_STATES: ClassVar[tuple[str, ...]] = ACTIVE_STATES
    END_STATES: ClassVar[tuple[str, ...]] = END_STATES
    DIED: ClassVar[str] = "the evaluation process died (app or machine restart, or killed)"

    @property
    def evaluation_id(self) -> str:
        return self.root.name

    @property
    def config(self) -> Path:
        return self.root / CONFIG

    @property
    def prompts(self) -> Path:
        return self.root / PROMPTS

    @property
    def results(self) -> Path:
        return self.root / RESULTS

    def died_status(self) -> dict[str, Any]:
        """A job found dead says so with the last line its process logged."""
        last = self.last_log_line()
        return {"message": self.DIED + (f"; last log line: {last[:200]}" if last else "")}


def evaluations_dir(home: Home) -> Path:
    """Where background evaluations keep their folders."""
    return home.root / "evaluations"
