"""Validation agreement during a run, written as `eval` events.

The funds measured are a grade-stratified sample of the validation split
(`engine.training.stratified`), chosen once per run from its seed: not the first funds by id.
The experts' grade counts of that sample are written once (`validation_sample`,
`engine.training.grade_histograms`); each pass's `eval` event holds the model's grade counts,
and a pass that finds the run collapsed (`engine.training.collapse`) says so in the log.
"""

from __future__ import annotations

import logging
import time

from engine.llm.output import cut_end_tokens
from engine.llm.validation import evaluate_model
from engine.training.collapse import mostly_invalid, one_grade
from engine.training.config import RunConfig
from engine.training.folder import RunFolder
from engine.training.grade_histograms import GradePass, expert_histogram, record_sample
from engine.training.ranks import is_main_process
from engine.training.stratified import grade_counts, stratified_sample

log = logging.getLogger("engine.training.worker")  # the training process's log

EVAL_BATCH = 16


class Validation:
    """Measures a model on the run's validation rows; `figures` keeps the latest per stage."""

    def __init__(self, folder: RunFolder, config: RunConfig) -> None:
        self.folder, self.config = folder, config
        self.rows: list[dict] = []
        self.figures: dict[str, dict] = {}
        self.passes: list[GradePass] = []

    def choose(self, rows: list[dict]) -> list[dict]:
        """Measure on a grade-stratified sample of `rows` (the validation split): at most
        `eval_max_funds`, drawn from the run's seed; the rows chosen. The experts' grade counts
        of the sample are recorded once per run (main process)."""
        self.rows = stratified_sample(rows, self.config.eval_max_funds, self.config.seed)
        if self.rows and is_main_process():
            record_sample(self.folder, self.rows)
        if self.rows:
            log.info(
                "validation on %d of %d funds, grades %s (validation split: %s)",
                len(self.rows), len(rows), grade_counts(self.rows), grade_counts(rows),
            )  # fmt: skip
        return self.rows

    def measure(self, model, tokenizer, phase: str, step: int, stage: str) -> dict | None:
        """Validation agreement of `model` now, as an `eval` event (main process only)."""
        if not is_main_process() or not self.rows:
            return None
        started = time.monotonic()
        base = getattr(model, "module", model)
        figures, answers = evaluate_model(
            base,
            tokenizer,
            self.rows,
            max_new_tokens=self.config.max_completion_length,
            thinking=self.config.thinking,
            batch_size=EVAL_BATCH,
        )
        figures["seconds"] = round(time.monotonic() - started, 2)
        examples = [cut_end_tokens(a) for a in answers[:2]]
        self.folder.append_event("eval", phase, step, stage=stage, **figures, examples=examples)
        self.figures[stage] = figures
        log.info("%s step %d (%s): validation agreement %s", phase, step, stage, figures)
        self._warn(GradePass(step, stage, figures["grade_counts"]))
        return figures

    def _warn(self, latest: GradePass) -> None:
        """Log a collapse to one grade, or mostly invalid answers, at this pass."""
        expert = expert_histogram(self.rows)
        for finding in (one_grade(latest, expert, self.passes), mostly_invalid(latest)):
            if finding is not None:
                log.warning("validation: %s", finding.text)
        self.passes.append(latest)
