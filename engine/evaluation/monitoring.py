"""Monitoring: how a model's grading holds up over time, and whether its inputs moved.

- `agreement_over_time(home, evaluator)`: one row per finished evaluation of that evaluator spec
  (e.g. `run:run-0003`), oldest as_of first, with `engine.evaluation.agreement.compare` against the
  experts' grades at its as_of (no bootstrap) and the share of invalid outputs among all its
  greedy answers (including funds without an expert grade), and `training_funds`: how many of
  its funds the run it comes from (or was compared with) trained on, as counted when it started
  (None when not recorded): figures with training funds in them are in-sample.
- `agreement_by_category(home, evaluator)`: the same figures per (as_of, category).
- `indicator_drift(home, date_a, date_b)`: per indicator and window, the population stability
  index (PSI) of its values at `date_b` against `date_a`, plus scipy's two-sample
  Kolmogorov-Smirnov statistic and p-value. PSI bins are the deciles of the reference values
  (`date_a`, all funds pooled; open-ended first and last bins); PSI = sum over bins of
  (q - p) * ln(q / p) with shares p (reference) and q (current) floored at PSI_FLOOR. Rule of
  thumb: < 0.1 stable, 0.1-0.25 moderate shift, > 0.25 large shift (PSI_BANDS).
"""

from __future__ import annotations

import json
import logging
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from engine.data.metrics import INDICATORS, indicators
from engine.evaluation.agreement import compare
from engine.evaluation.backtest import rating_dates
from engine.evaluation.fund_sets import stored_training_funds
from engine.evaluation.jobs import list_evaluations, results
from store.home import Home

log = logging.getLogger(__name__)

PSI_BINS = 10
PSI_FLOOR = 1e-4
PSI_BANDS = ((0.1, "stable"), (0.25, "moderate"), (float("inf"), "large"))
FIGURES = ("n", "exact", "within_one", "mae", "qwk", "spearman", "invalid_share")


# ---------------------------------------------------------------- agreement over time


def evaluations_of(home: Home, evaluator: str | None = None) -> pd.DataFrame:
    """Finished evaluations (of one evaluator spec, when given), oldest as_of first."""
    frame = list_evaluations(home)
    frame = frame[frame["state"] == "finished"]
    if evaluator:
        frame = frame[frame["evaluator"] == evaluator]
    return frame.sort_values(["as_of", "evaluation_id"]).reset_index(drop=True)


def _paired(home: Home, evaluation_id: str) -> tuple[pd.DataFrame, float | None]:
    rows = results(home, evaluation_id)
    invalid = float((rows["parse_status"] != "ok").mean()) if len(rows) else None
    return rows[rows["expert_grade"].notna()], invalid


def _settings(meta: dict) -> dict:
    text = meta.get("settings")
    return json.loads(text) if isinstance(text, str) and text else {}


def agreement_over_time(home: Home, evaluator: str | None = None) -> pd.DataFrame:
    """One row per finished evaluation: evaluation_id, evaluator, as_of, n_answers,
    invalid_output_share (all greedy answers), the FIGURES against the experts and
    training_funds (its run's training funds among its funds; None when not recorded)."""
    rows = []
    for meta in evaluations_of(home, evaluator).to_dict("records"):
        paired, invalid = _paired(home, meta["evaluation_id"])
        figures = compare(
            paired["expert_grade"].astype(int).tolist(), paired["grade"].tolist(), n_boot=0
        )
        rows.append(
            {
                "evaluation_id": meta["evaluation_id"],
                "evaluator": meta["evaluator"],
                "as_of": pd.Timestamp(meta["as_of"]).date(),
                "n_answers": int(meta["n_funds"]) if pd.notna(meta["n_funds"]) else None,
                "invalid_output_share": invalid,
                **{k: figures[k] for k in FIGURES},
                "training_funds": stored_training_funds({"settings": _settings(meta)}),
            }
        )
    return pd.DataFrame(
        rows,
        columns=["evaluation_id", "evaluator", "as_of", "n_answers", "invalid_output_share"]
        + list(FIGURES)
        + ["training_funds"],
    )


def agreement_by_category(home: Home, evaluator: str | None = None) -> pd.DataFrame:
    """One row per (finished evaluation, category) with the FIGURES against the experts."""
    rows = []
    for meta in evaluations_of(home, evaluator).to_dict("records"):
        paired, _ = _paired(home, meta["evaluation_id"])
        figures = compare(
            paired["expert_grade"].astype(int).tolist(),
            paired["grade"].tolist(),
            paired["category"].fillna("-").tolist(),
            n_boot=0,
        )
        for category, part in figures["per_category"].items():
            rows.append(
                {
                    "evaluation_id": meta["evaluation_id"],
                    "as_of": pd.Timestamp(meta["as_of"]).date(),
                    "category": category,
                    **{k: part.get(k) for k in FIGURES},
                }
            )
    return pd.DataFrame(rows, columns=["evaluation_id", "as_of", "category", *FIGURES])


# ---------------------------------------------------------------- drift


def psi(reference: np.ndarray, current: np.ndarray, bins: int = PSI_BINS) -> float | None:
    """Population stability index of `current` against `reference` over the reference deciles
    (NaN dropped; None when either side is empty). 0 for identical distributions."""
    ref = np.asarray(reference, dtype=float)
    cur = np.asarray(current, dtype=float)
    ref, cur = ref[~np.isnan(ref)], cur[~np.isnan(cur)]
    if not len(ref) or not len(cur):
        return None
    inner = np.unique(np.quantile(ref, np.linspace(0, 1, bins + 1)[1:-1]))
    p = np.bincount(np.searchsorted(inner, ref, side="right"), minlength=len(inner) + 1)
    q = np.bincount(np.searchsorted(inner, cur, side="right"), minlength=len(inner) + 1)
    p = np.maximum(p / p.sum(), PSI_FLOOR)
    q = np.maximum(q / q.sum(), PSI_FLOOR)
    return float(np.sum((q - p) * np.log(q / p)))


def psi_band(value: float | None) -> str | None:
    if value is None:
        return None
    return next(name for limit, name in PSI_BANDS if value < limit)


def drift_table(reference: pd.DataFrame, current: pd.DataFrame) -> pd.DataFrame:
    """PSI and KS per (window, indicator) between two `engine.data.metrics` indicator tables."""
    from scipy.stats import ks_2samp  # slow to load: only when drift is computed

    rows = []
    windows = sorted(set(reference["window"]) & set(current["window"]))
    for window in windows:
        ref_w = reference[reference["window"] == window]
        cur_w = current[current["window"] == window]
        for key in INDICATORS:
            a = pd.to_numeric(ref_w[key], errors="coerce").dropna().to_numpy(float)
            b = pd.to_numeric(cur_w[key], errors="coerce").dropna().to_numpy(float)
            value = psi(a, b)
            ks = ks_2samp(a, b) if len(a) and len(b) else None
            rows.append(
                {
                    "window": window,
                    "indicator": key,
                    "n_reference": len(a),
                    "n_current": len(b),
                    "mean_reference": float(a.mean()) if len(a) else None,
                    "mean_current": float(b.mean()) if len(b) else None,
                    "psi": value,
                    "psi_band": psi_band(value),
                    "ks": float(ks.statistic) if ks is not None else None,
                    "ks_pvalue": float(ks.pvalue) if ks is not None else None,
                }
            )
    return pd.DataFrame(rows)


def indicator_drift(
    home: Home, date_a: date, date_b: date, windows: tuple[str, ...] = ("1y",)
) -> pd.DataFrame:
    """`drift_table` of the store's indicators at `date_b` against those at `date_a`."""
    reference = indicators(home, date_a, windows)
    current = reference if date_a == date_b else indicators(home, date_b, windows)
    table = drift_table(reference, current)
    log.info("indicator drift %s -> %s: %d rows", date_a, date_b, len(table))
    return table


def summary(home: Home, evaluator: str | None = None) -> dict[str, Any]:
    """Evaluator specs with finished evaluations and the rating dates (for pickers)."""
    frame = evaluations_of(home)
    return {
        "evaluators": sorted(set(frame["evaluator"])),
        "rating_dates": rating_dates(home),
    }
