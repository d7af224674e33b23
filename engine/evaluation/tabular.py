"""The learned tabular baseline: a gradient-boosted classifier on the numbers the prompt shows.

The strongest classical peer of the language model (in published credit-rating studies such
models beat LLMs on numeric data), so the leaderboard shows honestly where the model stands.
scikit-learn's `HistGradientBoostingClassifier` is fitted on a run's TRAIN split and predicts a
grade 1-5 for any snapshot rows built with the same methodology.

Features: one column per numeric fact of the snapshot's `facts` column (docs/training-format.md
section 1), i.e. exactly the numbers the model reads in its prompt:
- each indicator criterion's value as shown (`sharpe_3y`, `max_drawdown_3y`, …) and its
  category percentile (`<criterion>_pct`, 100 = best);
- each qualitative criterion's analyst score 1-5 (fund and management company, ESG);
- the track record in months (`track_record_months`) and the fund's size (`aum`);
- the written method's grade (`rule_grade`, the snapshot's `reference_grade`), and with an
  anchored prompt its total and the context facts (`rule_total`, `ret_1y_pct`, manager changes).
Numbers quoted from the analysts' free-text notes (`<criterion>_note_<n>`) are left out: their
meaning changes from note to note. A fact a fund lacks is NaN, which the classifier handles
natively (it learns which side of each split missing values go). The feature list is the
training split's, so rows from another date are read with the same columns.

The classifier runs on one OpenMP thread: on data this small, threads only add waiting (on a
busy 2-core machine a 50-fund prediction took 4 s with two threads, 0.03 s with one).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

NOTE_FACT = re.compile(r"_note_\d+$")
MAX_ITER = 200
LEARNING_RATE = 0.1
MIN_LEAF_SHARE = 10  # leaves of at least n_train / 10 funds, between 3 and scikit-learn's 20
MIN_LEAF, MAX_LEAF = 3, 20
THREADS = 1


class TabularError(ValueError):
    """The baseline cannot be fitted (no training rows)."""


@dataclass
class TabularModel:
    """A fitted baseline: the classifier (None when the training split has one grade only)."""

    features: list[str]
    classifier: Any
    constant_grade: int | None
    params: dict = field(default_factory=dict)
    n_train: int = 0

    def describe(self) -> dict:
        """What the settings column records."""
        return {
            "model": "sklearn.ensemble.HistGradientBoostingClassifier",
            "params": self.params,
            "n_train": self.n_train,
            "features": self.features,
            "constant_grade": self.constant_grade,
        }


def features(rows: pd.DataFrame, columns: list[str] | None = None) -> pd.DataFrame:
    """One row per snapshot row, one float column per numeric fact (notes left out); `columns`
    fixes the columns (missing ones NaN, others dropped)."""
    records = []
    for text in rows["facts"]:
        facts = json.loads(text) if isinstance(text, str) else dict(text or {})
        record = {}
        for key, fact in facts.items():
            value = fact.get("value") if isinstance(fact, dict) else None
            if NOTE_FACT.search(key) or isinstance(value, bool):
                continue
            if isinstance(value, int | float):
                record[key] = float(value)
        records.append(record)
    frame = pd.DataFrame.from_records(records, index=rows.index)
    if "reference_grade" in rows:  # the written method's grade: the baseline sees it too
        frame["rule_grade"] = pd.to_numeric(rows["reference_grade"], errors="coerce")
    if columns is None:
        columns = sorted(frame.columns)
    return frame.reindex(columns=columns).astype(float)


def classifier_params(n_train: int, seed: int = 0) -> dict:
    """The baseline classifier's settings for a training split of `n_train` rows."""
    return {
        "max_iter": MAX_ITER,
        "learning_rate": LEARNING_RATE,
        "min_samples_leaf": int(np.clip(n_train // MIN_LEAF_SHARE, MIN_LEAF, MAX_LEAF)),
        "early_stopping": False,
        "random_state": seed,
    }


def fit(train: pd.DataFrame, *, seed: int = 0) -> TabularModel:
    """Fit the baseline on snapshot rows (`facts`, `expert_grade`, optional `sample_weight`)."""
    from sklearn.ensemble import HistGradientBoostingClassifier  # slow to load: only to fit

    if train.empty:
        raise TabularError("the run's training split is empty: nothing to fit the baseline on")
    x = features(train)
    y = train["expert_grade"].astype(int).to_numpy()
    grades = np.unique(y)
    if len(grades) == 1:
        return TabularModel(list(x.columns), None, int(grades[0]), {}, len(train))
    params = classifier_params(len(train), seed)
    classifier = HistGradientBoostingClassifier(**params)
    weights = train["sample_weight"].to_numpy(float) if "sample_weight" in train else None
    with threadpool_limits(limits=THREADS, user_api="openmp"):
        classifier.fit(x.to_numpy(), y, sample_weight=weights)
    return TabularModel(list(x.columns), classifier, None, params, len(train))


def predict(model: TabularModel, rows: pd.DataFrame) -> pd.DataFrame:
    """fund_id, grade and the grade's probability for each row, plus `probabilities`
    {"1".."5": p} as JSON text."""
    if model.classifier is None:
        grade = np.full(len(rows), model.constant_grade, dtype=int)
        probability = np.ones(len(rows))
        shares = [{str(model.constant_grade): 1.0}] * len(rows)
    else:
        x = features(rows, model.features).to_numpy()
        with threadpool_limits(limits=THREADS, user_api="openmp"):
            proba = model.classifier.predict_proba(x) if len(rows) else np.zeros((0, 1))
        classes = model.classifier.classes_.astype(int)
        best = proba.argmax(axis=1) if len(rows) else np.zeros(0, dtype=int)
        grade = classes[best]
        probability = proba[np.arange(len(rows)), best]
        shares = [
            {str(c): round(float(p), 4) for c, p in zip(classes, row, strict=True)} for row in proba
        ]
    return pd.DataFrame(
        {
            "fund_id": rows["fund_id"].to_numpy(),
            "grade": grade.astype(int),
            "probability": probability.astype(float),
            "probabilities": [json.dumps(s) for s in shares],
        }
    )
