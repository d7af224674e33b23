"""Validation agreement of a model while it trains (and in the training benchmark).

`evaluate_model(model, tokenizer, rows)` answers snapshot rows greedily (`engine.llm.generate`)
and compares each answer's grade (`grade_of`) with the row's `expert_grade` by `agreement`:
exact and within-one-grade shares over all funds (an unparseable answer counts as a miss),
quadratic-weighted kappa (QWK) over the funds with a valid grade, the invalid share, and the
predicted-grade counts (a model that always says one grade has learned the format, not the
judgement). Stored evaluations are compared by `engine.evaluation.agreement.compare`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from engine.llm.generate import generate
from engine.llm.output import parse_output
from engine.methodology.core import GRADES_ASCENDING as GRADES  # low to high, as tables read


def grade_of(text: str) -> int | None:
    """The 1-5 grade of an answer, or None when it has none (unparseable, missing, out of range)."""
    data = parse_output(text).data
    grade = data.get("grade") if isinstance(data, dict) else None
    if isinstance(grade, bool) or not isinstance(grade, int | float) or grade != int(grade):
        return None
    return int(grade) if int(grade) in GRADES else None


def agreement(expected: Sequence[int], predicted: Sequence[int | None]) -> dict[str, Any]:
    """exact, within_one, qwk, invalid_share, n, valid, grade_counts ("1".."5", "invalid")."""
    from sklearn.metrics import cohen_kappa_score  # slow to load: only when scoring

    pairs = list(zip(expected, predicted, strict=True))
    n = len(pairs)
    valid = [(int(e), int(p)) for e, p in pairs if p is not None]
    counts = {str(g): sum(1 for _, p in valid if p == g) for g in GRADES}
    counts["invalid"] = n - len(valid)
    qwk = 0.0
    if len(valid) >= 2:
        truth, guess = zip(*valid, strict=True)
        if len(set(truth) | set(guess)) > 1:
            value = cohen_kappa_score(truth, guess, weights="quadratic", labels=list(GRADES))
            qwk = 0.0 if value != value else float(value)  # NaN when one side is constant
    return {
        "n": n,
        "valid": len(valid),
        "exact": sum(1 for e, p in valid if e == p) / n if n else 0.0,
        "within_one": sum(1 for e, p in valid if abs(e - p) <= 1) / n if n else 0.0,
        "qwk": qwk,
        "invalid_share": (n - len(valid)) / n if n else 0.0,
        "grade_counts": counts,
    }


def evaluate_model(
    model,
    tokenizer,
    rows: Sequence[dict],
    *,
    max_new_tokens: int,
    thinking: bool | None = None,
    batch_size: int = 16,
) -> tuple[dict[str, Any], list[str]]:
    """(agreement with `expert_grade`, the greedy answers) of `model` on snapshot rows."""
    answers = [
        answer[0] if answer is not None else ""
        for answer in generate(
            model,
            tokenizer,
            [r["prompt"] for r in rows],
            max_new_tokens=max_new_tokens,
            thinking=thinking,
            batch_size=batch_size,
        )
    ]
    figures = agreement([int(r["expert_grade"]) for r in rows], [grade_of(a) for a in answers])
    return figures, answers
