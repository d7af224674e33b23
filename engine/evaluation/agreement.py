"""Agreement of an evaluator's grades with the experts' (or with another evaluator's).

The figures a run logs while it trains (`grade_of`, `agreement`, `evaluate_model`) are in
`engine.llm.validation`.

For evaluations (docs/review-format.md section 2): `compare(expected, predicted, categories)`
gives n, exact, within_one, mae, qwk, spearman, invalid_share, the confusion matrix (expected
1-5 x predicted 1-5 + invalid), per-category figures and seeded bootstrap 95 % intervals, all
from scikit-learn / scipy. Invalid answers count as disagreements (INVALID_RULE): misses for
exact and within-one; for MAE, QWK and Spearman they are replaced by the grade farthest from
the expected one (1 if it is 3 or more, else 5). `engine.evaluation.leaderboard` applies it to
stored evaluations.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from engine.llm.validation import GRADES

log = logging.getLogger(__name__)


# ---------------------------------------------------------------- evaluations (review contract)

INVALID_RULE = (
    "Invalid answers count as disagreements: misses for exact and within-one agreement; for "
    "MAE, QWK and Spearman they are replaced by the grade farthest from the expected one "
    "(1 if it is 3 or more, else 5)."
)
CI_LEVEL = 0.95
DEFAULT_BOOT = 1000
FIGURES = ("n", "valid", "exact", "within_one", "mae", "qwk", "spearman", "invalid_share")
CI_FIGURES = ("exact", "within_one", "qwk")
INVALID_COLUMN = "invalid"


def _grades(values: Sequence, *, allow_invalid: bool):
    """Grades as floats (NaN = invalid: None, NaN, or anything but an integer 1-5)."""
    out = np.full(len(values), np.nan)
    for i, value in enumerate(values):
        try:
            number = float(value)
        except (TypeError, ValueError):
            number = float("nan")
        if number == number and number in GRADES:
            out[i] = number
        elif not allow_invalid:
            raise ValueError(f"expected grade {value!r} at position {i} is not an integer 1-5")
    return out


def _or_none(value: float) -> float | None:
    return None if value != value else float(value)


def _filled(expected, predicted):
    """Predicted grades with each invalid one replaced by the grade farthest from the expected."""
    farthest = np.where(expected >= 3, 1.0, 5.0)
    return np.where(np.isnan(predicted), farthest, predicted).astype(int)


def _figures(expected, predicted) -> dict[str, Any]:
    """The point figures of `compare` (no intervals, no confusion matrix)."""
    from scipy.stats import spearmanr  # scipy and sklearn are slow to load: only when needed
    from sklearn.metrics import cohen_kappa_score, mean_absolute_error

    n = len(expected)
    valid = ~np.isnan(predicted)
    if n == 0:
        return {"n": 0, "valid": 0, **dict.fromkeys(FIGURES[2:])}
    filled = _filled(expected, predicted)
    truth = expected.astype(int)
    with np.errstate(divide="ignore", invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # undefined kappa (one grade on both sides): None below
        qwk = cohen_kappa_score(truth, filled, weights="quadratic", labels=list(GRADES))
    if len(set(truth)) > 1 and len(set(filled)) > 1:
        rho = spearmanr(truth, filled).statistic
    else:
        rho = float("nan")  # undefined for a constant side (scipy warns and gives NaN)
    return {
        "n": int(n),
        "valid": int(valid.sum()),
        "exact": float(np.mean(valid & (predicted == expected))),
        "within_one": float(np.mean(valid & (np.abs(predicted - expected) <= 1))),
        "mae": float(mean_absolute_error(truth, filled)),
        "qwk": _or_none(float(qwk)),
        "spearman": _or_none(float(rho)),
        "invalid_share": float(np.mean(~valid)),
    }


def qwk_of_counts(counts):
    """Quadratic-weighted kappa of confusion matrices `counts` (..., 5, 5), vectorised: the
    formula of `sklearn.metrics.cohen_kappa_score(weights="quadratic")`; NaN where undefined."""
    grades = np.asarray(GRADES, dtype=float)
    weights = (grades[:, None] - grades[None, :]) ** 2 / (grades[-1] - grades[0]) ** 2
    counts = np.asarray(counts, dtype=float)
    total = counts.sum(axis=(-2, -1))
    rows, cols = counts.sum(axis=-1), counts.sum(axis=-2)
    with np.errstate(divide="ignore", invalid="ignore"):
        chance = rows[..., :, None] * cols[..., None, :] / total[..., None, None]
        observed = (weights * counts).sum(axis=(-2, -1))
        expected = (weights * chance).sum(axis=(-2, -1))
        return 1.0 - observed / expected


def _bootstrap(expected, predicted, n_boot: int, seed: int) -> dict[str, list[float | None]]:
    """Percentile bootstrap intervals (CI_LEVEL) of exact, within_one and qwk: `n_boot`
    resamples of the funds with replacement, drawn by numpy's default generator from `seed`."""
    n = len(expected)
    if n == 0 or n_boot < 1:
        return {k: [None, None] for k in CI_FIGURES}
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, n, size=(n_boot, n))
    valid = ~np.isnan(predicted)
    hit = (valid & (predicted == expected)).astype(float)
    near = (valid & (np.abs(predicted - expected) <= 1)).astype(float)
    codes = (expected.astype(int) - 1) * 5 + (_filled(expected, predicted) - 1)
    flat = (np.arange(n_boot)[:, None] * 25 + codes[picks]).ravel()
    counts = np.bincount(flat, minlength=n_boot * 25).reshape(n_boot, 5, 5)
    samples = {
        "exact": hit[picks].mean(axis=1),
        "within_one": near[picks].mean(axis=1),
        "qwk": qwk_of_counts(counts),
    }
    tail = (1 - CI_LEVEL) / 2 * 100
    out = {}
    for key, values in samples.items():
        values = values[~np.isnan(values)]
        if len(values) == 0:
            out[key] = [None, None]
            continue
        low, high = np.percentile(values, [tail, 100 - tail])
        out[key] = [float(low), float(high)]
    return out


def compare(
    expected: Sequence[int],
    predicted: Sequence[int | None],
    categories: Sequence[str] | None = None,
    *,
    n_boot: int = DEFAULT_BOOT,
    seed: int = 0,
) -> dict[str, Any]:
    """Agreement of `predicted` grades (None / NaN = invalid answer) with `expected` ones (1-5).

    Keys: n, valid, exact, within_one, mae, qwk (None when undefined: both sides one grade),
    spearman (None with a constant side), invalid_share; confusion {"expected": [1..5],
    "predicted": ["1".."5", "invalid"], "matrix": counts, rows expected}; per_category
    {category: the point figures}; ci {exact|within_one|qwk: [low, high]} (seeded percentile
    bootstrap, `n_boot` resamples; [None, None] without funds); invalid_rule (INVALID_RULE).
    """
    from sklearn.metrics import confusion_matrix

    truth = _grades(expected, allow_invalid=False)
    guess = _grades(predicted, allow_invalid=True)
    if len(truth) != len(guess):
        raise ValueError(f"{len(truth)} expected grades but {len(guess)} predicted ones")
    out = _figures(truth, guess)
    coded = np.where(np.isnan(guess), 0, guess).astype(int)
    labels = [*GRADES, 0]  # 0 stands for an invalid answer: the last column
    matrix = (
        confusion_matrix(truth.astype(int), coded, labels=labels)[: len(GRADES)]
        if len(truth)
        else np.zeros((len(GRADES), len(labels)), dtype=int)
    )
    out["confusion"] = {
        "expected": list(GRADES),
        "predicted": [str(g) for g in GRADES] + [INVALID_COLUMN],
        "matrix": matrix.astype(int).tolist(),
    }
    out["per_category"] = {}
    if categories is not None:
        groups = np.asarray([str(c) for c in categories], dtype=object)
        if len(groups) != len(truth):
            raise ValueError(f"{len(truth)} expected grades but {len(groups)} categories")
        for name in sorted(set(groups)):
            mask = groups == name
            out["per_category"][name] = _figures(truth[mask], guess[mask])
    out["ci"] = _bootstrap(truth, guess, n_boot, seed)
    out["invalid_rule"] = INVALID_RULE
    return out
