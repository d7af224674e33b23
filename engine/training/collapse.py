"""Warnings that a run has stopped learning, said in words from its events.

- `one_grade`: at the latest validation pass at least `ONE_GRADE_SHARE` of the valid answers
  give one grade while the experts' grades of the same funds spread over several grades (and
  give that grade far less often): the model has learned a safe answer, not the judgement.
- `mostly_invalid`: at least `INVALID_SHARE` of the latest pass's answers have no valid grade.
- `no_spread`: over the last `SPREAD_WINDOW` GRPO steps TRL's `frac_reward_zero_std` (the share
  of groups whose answers all earned the same reward) averages at least `NO_SPREAD_SHARE`: a
  group-relative advantage is zero in such a group, so GRPO has nothing to learn from.

A pass needs `MIN_FUNDS` funds and the spread `MIN_STEPS` steps before anything is said. Each
`Finding` has a code and its figures; `text` says it in English (the pages translate the code).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from engine.training.grade_histograms import BINS, INVALID, GradePass, expert_counts, passes

ONE_GRADE_SHARE = 0.9
INVALID_SHARE = 0.9
NO_SPREAD_SHARE = 0.9
SPREAD_WINDOW = 10
MIN_FUNDS = 5
MIN_STEPS = 3
GRADE_BINS = BINS[:-1]

TEXTS = {
    "one_grade": (
        "The run has collapsed to one grade: at step {step} the model gave grade {grade} to "
        "{share:.0%} of the validation funds it graded ({count} of {valid}), since step {since}, "
        "while the experts gave grades {expert_grades} to the same funds ({expert_share:.0%} "
        "grade {grade})."
    ),
    "mostly_invalid": (
        "At step {step}, {share:.0%} of the validation answers ({count} of {n}) had no valid "
        "grade: the model does not answer in the expected format."
    ),
    "no_spread": (
        "In the last {steps} GRPO steps (to step {step}), {share:.0%} of the groups had answers "
        "that all earned the same reward: GRPO has nothing to learn from."
    ),
}


@dataclass(frozen=True)
class Finding:
    """One warning: its code (a key of TEXTS) and the figures it names."""

    code: str
    values: dict[str, Any] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return TEXTS[self.code].format(**self.values)


def one_grade(
    latest: GradePass, expert: dict[str, int] | None, history: Sequence[GradePass] = ()
) -> Finding | None:
    """`one_grade` when `latest` piles up on one grade that the experts' sample (`expert`)
    does not; None when it does not, or without the experts' counts. `history` (the passes
    before, oldest first) dates the collapse: the first pass of its unbroken streak."""
    top, count, valid = _top(latest)
    if expert is None or latest.n < MIN_FUNDS or not valid or count / valid < ONE_GRADE_SHARE:
        return None
    expert_valid = sum(expert.get(g, 0) for g in GRADE_BINS)
    seen = [g for g in GRADE_BINS if expert.get(g, 0)]
    expert_share = expert.get(top, 0) / expert_valid if expert_valid else 0.0
    if len(seen) < 2 or expert_share >= ONE_GRADE_SHARE:
        return None
    since = latest.step
    for earlier in reversed(history):
        g, c, v = _top(earlier)
        if g != top or not v or c / v < ONE_GRADE_SHARE:
            break
        since = earlier.step
    return Finding(
        "one_grade",
        {
            "step": latest.step, "grade": top, "share": count / valid, "count": count,
            "valid": valid, "since": since, "expert_grades": ", ".join(seen),
            "expert_share": expert_share,
        },
    )  # fmt: skip


def mostly_invalid(latest: GradePass) -> Finding | None:
    """`mostly_invalid` when at least INVALID_SHARE of `latest`'s answers have no valid grade."""
    invalid = latest.counts.get(INVALID, 0)
    if latest.n < MIN_FUNDS or invalid / latest.n < INVALID_SHARE:
        return None
    return Finding(
        "mostly_invalid",
        {"step": latest.step, "share": invalid / latest.n, "count": invalid, "n": latest.n},
    )


def no_spread(train_events: Sequence[dict[str, Any]]) -> Finding | None:
    """`no_spread` when `frac_reward_zero_std` of the last SPREAD_WINDOW GRPO steps averages
    at least NO_SPREAD_SHARE (at least MIN_STEPS steps logged)."""
    logged = {
        int(e["step"]): float(e["frac_reward_zero_std"])
        for e in train_events
        if e.get("kind") == "train"
        and e.get("phase") == "grpo"
        and isinstance(e.get("frac_reward_zero_std"), int | float)
    }
    steps = sorted(logged)[-SPREAD_WINDOW:]
    if len(steps) < MIN_STEPS:
        return None
    share = sum(logged[s] for s in steps) / len(steps)
    if share < NO_SPREAD_SHARE:
        return None
    return Finding("no_spread", {"steps": len(steps), "step": steps[-1], "share": share})


def findings(events: Sequence[dict[str, Any]]) -> list[Finding]:
    """Every warning a run's events give now: its latest validation pass, then its GRPO steps."""
    found: list[Finding | None] = []
    graded = passes(events)
    if graded:
        latest, history = graded[-1], graded[:-1]
        found += [one_grade(latest, expert_counts(events), history), mostly_invalid(latest)]
    found.append(no_spread(events))
    return [f for f in found if f is not None]


def _top(grade_pass: GradePass) -> tuple[str, int, int]:
    """(most given valid grade, its count, valid answers); the lower grade wins a tie."""
    counts = {g: grade_pass.counts.get(g, 0) for g in GRADE_BINS}
    top = max(GRADE_BINS, key=lambda g: (counts[g], -int(g)))
    return top, counts[top], sum(counts.values())
