"""Agreement of an evaluator's grades with the experts' (or with another evaluator's).

The figures a run logs while it trains (`grade_of`, `agreement`, `evaluate_model`) are in
`engine.llm.validation`.

For evaluations (docs/review-format.md section 2): `compare(expected, predicted, categories)`
gives n, exact, within_one, mae, qwk, spearman, invalid_share, the confusion matrix (expected
1-5 x predicted 1-5 + invalid), per-category figures and seeded bootstrap 95 % intervals, all
from scikit-learn / scipy. Invalid answers count as disagreements (INVALID_RULE): misses for
exact and within-one; for MAE, QWK and Spearman they are replaced by the grade farthest from
the expected one (1 if it is 3 or more, else 5). `evaluation_agreement(home, id, against)` and
`leaderboard(home, ids, against)` apply it to stored evaluations, against the experts' grades
at the evaluation's date or against another evaluation's greedy grades. A leaderboard ranks
evaluations of one fund set only (FundSetError otherwise) and says on each row how many of the
funds its run trained on (`engine.evaluation.fund_sets`).
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

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


# ---------------------------------------------------------------- stored evaluations


def _paired(home, evaluation_id: str, against: str):
    """(rows of `evaluation_id` with `expected` and `category`, how many funds were left out)."""
    from engine.evaluation.jobs import results  # not at the top: jobs -> evaluators -> here

    mine = results(home, evaluation_id)
    if against == "expert":
        paired = mine.assign(expected=mine["expert_grade"])
    else:
        other = results(home, against)[["fund_id", "grade"]].rename(columns={"grade": "expected"})
        paired = mine.merge(other, on="fund_id", how="inner")
    usable = paired[paired["expected"].notna()]
    return usable, len(mine) - len(usable)


def _agreement_of(
    meta: dict, rows: pd.DataFrame, left_out: int, against: str, n_boot: int, seed: int
) -> dict[str, Any]:
    figures = compare(
        rows["expected"].astype(int).tolist(),
        rows["grade"].tolist(),
        rows["category"].fillna("-").tolist(),
        n_boot=n_boot,
        seed=seed,
    )
    consistency = rows["self_consistency"].dropna()
    return {
        "evaluation_id": meta["evaluation_id"],
        "evaluator": meta["evaluator"],
        "against": against,
        "left_out": int(left_out),
        "self_consistency": float(consistency.mean()) if len(consistency) else None,
        **figures,
    }


def evaluation_agreement(
    home, evaluation_id: str, against: str = "expert", *, n_boot: int = DEFAULT_BOOT, seed: int = 0
) -> dict[str, Any]:
    """`compare` of a stored evaluation's greedy grades with the experts' grades at its as_of
    (`against="expert"`) or with another evaluation's greedy grades (`against=EVAL_ID`; funds
    that one did not grade, or did not evaluate, are left out and counted in `left_out`)."""
    from engine.evaluation.jobs import get_evaluation  # not at the top: jobs -> evaluators -> here

    meta = get_evaluation(home, evaluation_id)
    if against != "expert":
        get_evaluation(home, against)  # refuses an unknown id
    rows, left_out = _paired(home, evaluation_id, against)
    return _agreement_of(meta, rows, left_out, against, n_boot, seed)


class FundSetError(ValueError):
    """Evaluations run on different fund sets were asked to be ranked together: one line."""


def _refuse_mixed(entries: list[dict]) -> None:
    """FundSetError naming each fund set and its evaluations when there is more than one."""
    groups: dict[str, list[dict]] = {}
    for entry in entries:
        groups.setdefault(entry["fund_set"], []).append(entry)
    if len(groups) < 2:
        return
    parts = []
    for members in groups.values():
        ids = ", ".join(m["meta"]["evaluation_id"] for m in members)
        selections = ", ".join(dict.fromkeys(str(m["meta"]["selection"]) for m in members))
        as_of = str(members[0]["meta"]["as_of"])[:10]
        parts.append(f"{ids}: {len(members[0]['funds'])} funds ({selections}, as of {as_of})")
    raise FundSetError(
        "these evaluations were run on different fund sets, so they cannot be ranked together: "
        + "; ".join(parts)
        + ". Rank evaluations of the same funds (evaluate each on one run's held-out split, "
        "--funds test:<run_id>), or compare them on the funds they share with `report`"
    )


def leaderboard(
    home,
    evaluation_ids: Sequence[str],
    against: str = "expert",
    *,
    n_boot: int = DEFAULT_BOOT,
    seed: int = 0,
):
    """One row per evaluation, best QWK first: evaluator, kind, run, selection, fund_set, n,
    exact, within_one, mae, qwk, spearman, invalid_share, the 95 % intervals
    (`<figure>_low/_high`), self_consistency (several samples only), the mean latency per
    answer (ms), and the training funds in the set: training_run (the row's run), training_funds
    (how many of the funds that run trained on; None when its split cannot be read) and note
    ('includes 43 training funds of run-0001', or which other runs' training funds the set holds).

    Only evaluations of one fund set (the same funds compared, at the same rating date) are
    ranked: FundSetError otherwise, naming each set and its evaluations.
    """
    from engine.evaluation import fund_sets  # a cycle, as above
    from engine.evaluation.jobs import get_evaluation, results

    if against != "expert":
        get_evaluation(home, against)  # refuses an unknown id
    entries = []
    for evaluation_id in dict.fromkeys(evaluation_ids):
        meta = get_evaluation(home, evaluation_id)
        rows, left_out = _paired(home, evaluation_id, against)
        funds = set(rows["fund_id"].astype(str))
        entries.append(
            {
                "meta": meta,
                "rows": rows,
                "left_out": left_out,
                "funds": funds,
                "fund_set": fund_sets.fund_set_id(meta["as_of"], funds),
            }
        )
    _refuse_mixed(entries)
    training: dict[str, int | None] = {}
    for entry in entries:
        run = fund_sets.training_run_of(entry["meta"])
        if run and run not in training:
            training[run] = fund_sets.training_funds(home, run, entry["funds"])
    out = []
    for entry in entries:
        meta = entry["meta"]
        figures = _agreement_of(meta, entry["rows"], entry["left_out"], against, n_boot, seed)
        latency = results(home, meta["evaluation_id"])["latency_ms"].dropna()
        run = fund_sets.training_run_of(meta)
        seen = training.get(run) if run else 0
        note = fund_sets.training_note(seen, run)
        if not seen:
            others = {r: n for r, n in training.items() if r != run and n}
            note = "; ".join(n for n in (note, fund_sets.shared_note(others)) if n)
        row = {
            "evaluation_id": meta["evaluation_id"],
            "evaluator": meta["evaluator"],
            "evaluator_kind": meta["evaluator_kind"],
            "run_id": meta["run_id"],
            "selection": meta["selection"],
            "as_of": str(meta["as_of"]),
            "state": meta["state"],
            "against": against,
            "fund_set": entry["fund_set"],
            **{k: figures[k] for k in FIGURES},
            "left_out": figures["left_out"],
            "self_consistency": figures["self_consistency"],
            "latency_ms": float(latency.mean()) if len(latency) else None,
            "training_run": run,
            "training_funds": seen,
            "note": note,
        }
        for key in CI_FIGURES:
            row[f"{key}_low"], row[f"{key}_high"] = figures["ci"][key]
        out.append(row)
    frame = pd.DataFrame(out)
    if frame.empty:
        return frame
    frame = frame.sort_values("qwk", ascending=False, na_position="last", kind="stable")
    return frame.reset_index(drop=True)
