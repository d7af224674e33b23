"""Grade histograms of a run's validation passes: what the model answered at each pass, and what
the experts said of the same funds.

Each `eval` event holds the predicted-grade counts of one pass (`grade_counts`: "1".."5" and
"invalid", `engine.llm.validation.agreement`). The experts' counts of the same sample are
written once per run, when it chooses its validation funds, as the `validation_sample` event
({"n", "expert_counts", "funds"}, phase "prepare", step 0, so a resume keeps it). Read back,
they show whether the model's grades spread like the experts' or pile up on one grade.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from engine.methodology.core import GRADES_ASCENDING as GRADES
from engine.training.folder import RunFolder

INVALID = "invalid"
BINS = (*(str(g) for g in GRADES), INVALID)  # "1".."5", then answers without a valid grade
SAMPLE_KIND = "validation_sample"


@dataclass(frozen=True)
class GradePass:
    """The predicted-grade counts of one validation pass."""

    step: int
    stage: str
    counts: dict[str, int]

    @property
    def n(self) -> int:
        return sum(self.counts.values())

    @property
    def valid(self) -> int:
        return self.n - self.counts.get(INVALID, 0)


def histogram(grades: Iterable[Any]) -> dict[str, int]:
    """Counts per bin of `grades` (1-5 as numbers or text; anything else counts as invalid)."""
    counts = dict.fromkeys(BINS, 0)
    for grade in grades:
        counts[_bin(grade)] += 1
    return counts


def expert_histogram(rows: Sequence[dict[str, Any]]) -> dict[str, int]:
    """The experts' grades of snapshot `rows` (`expert_grade`) per bin."""
    return histogram(row.get("expert_grade") for row in rows)


def record_sample(folder: RunFolder, rows: Sequence[dict[str, Any]]) -> dict[str, Any] | None:
    """Write the `validation_sample` event of the chosen validation `rows`, unless the run has
    one already (a resume chooses the same rows) or has no folder; the event written, or None."""
    if not folder.root.is_dir():
        return None
    events, _ = folder.read_events()
    if any(e.get("kind") == SAMPLE_KIND for e in events) or not rows:
        return None
    return folder.append_event(
        SAMPLE_KIND, "prepare", 0, n=len(rows), expert_counts=expert_histogram(rows),
        funds=[row.get("fund_id") for row in rows],
    )  # fmt: skip


def passes(events: Sequence[dict[str, Any]]) -> list[GradePass]:
    """The validation passes with predicted-grade counts, in step order (the last record of a
    step wins: a resume may repeat one)."""
    by_step: dict[int, GradePass] = {}
    for event in events:
        counts = event.get("grade_counts")
        if event.get("kind") != "eval" or not isinstance(counts, dict):
            continue
        step = int(event.get("step") or 0)
        full = {b: int(counts.get(b) or 0) for b in BINS}
        by_step[step] = GradePass(step, str(event.get("stage") or ""), full)
    return [by_step[s] for s in sorted(by_step)]


def expert_counts(events: Sequence[dict[str, Any]]) -> dict[str, int] | None:
    """The experts' grade counts of the validation sample (None for a run without the record)."""
    for event in events:
        if event.get("kind") == SAMPLE_KIND and isinstance(event.get("expert_counts"), dict):
            return {b: int(event["expert_counts"].get(b) or 0) for b in BINS}
    return None


def _bin(grade: Any) -> str:
    if isinstance(grade, bool) or grade is None:
        return INVALID
    try:
        number = float(grade)
    except (TypeError, ValueError):
        return INVALID
    if number != number or number != int(number) or int(number) not in GRADES:
        return INVALID
    return str(int(number))
