"""The grades beside each other: the rule scorer's (the features' reference grade), the tabular
baseline's and the model's, one row per eligible fund.

The tabular baseline of a run's cycle is fitted on the run's training split (as the `tabular:`
evaluator); of a rules cycle, on the experts' latest rating date on or before the cycle's date
(the funds' features at that date, read from the same inputs).
"""

from __future__ import annotations

import json
import logging
from datetime import date

import pandas as pd

from engine.cycle.routing import self_agreement
from engine.evaluation import tabular
from engine.evaluation.evaluators import tabular_results
from engine.training.features import FeatureInputs, features_from, inputs_until
from store.home import Home

log = logging.getLogger(__name__)


def rules_columns(features: pd.DataFrame) -> pd.DataFrame:
    """fund_id, fund_name, category, rules_grade and rules_scores (JSON) per eligible fund."""
    return pd.DataFrame(
        {
            "fund_id": features["fund_id"].astype(str).to_numpy(),
            "fund_name": features["fund_name"].to_numpy(),
            "category": features["category"].to_numpy(),
            "rules_grade": features["reference_grade"].astype("Int64").to_numpy(),
            "rules_scores": features["reference_scores"].to_numpy(),
        }
    )


def tabular_grades(
    home: Home,
    run_id: str | None,
    inputs: FeatureInputs,
    features: pd.DataFrame,
    ratings: pd.DataFrame,
    *,
    language: str,
    prompt_style: str,
) -> tuple[pd.Series, str]:
    """(the baseline's grade by fund id, what it was fitted on). `ratings`: fund_id, as_of,
    grade of the latest rating date on or before the cycle (a rules cycle's training data)."""
    if features.empty:
        return pd.Series(dtype="Int64"), "no funds"
    if run_id is not None:
        frame, _ = tabular_results(home, run_id, features)
        return frame.set_index("fund_id")["grade"].astype("Int64"), f"{run_id}'s training split"
    if ratings.empty:
        return pd.Series(dtype="Int64"), "no expert rating on or before the date: not fitted"
    when: date = pd.Timestamp(ratings["as_of"].max()).date()
    past = (
        features
        if when == inputs.as_of
        else features_from(inputs_until(inputs, when), language=language, prompt_style=prompt_style)
    )
    train = past.merge(
        ratings.rename(columns={"grade": "expert_grade"})[["fund_id", "expert_grade"]],
        on="fund_id",
    )
    if train.empty:
        return pd.Series(dtype="Int64"), f"no rated fund is eligible on {when}: not fitted"
    model = tabular.fit(train)
    predicted = tabular.predict(model, features)
    grades = predicted.set_index("fund_id")["grade"].astype("Int64")
    return grades, f"the experts' ratings of {when} ({len(train)} funds)"


def model_columns(answers: pd.DataFrame) -> pd.DataFrame:
    """fund_id, model_grade, samples, self_agreement, model_scores, model_reasoning from the
    model's answers (all samples)."""
    agreement = self_agreement(answers)
    greedy = answers[answers["sample"] == 0][["fund_id", "scores", "reasoning"]]
    greedy = greedy.rename(columns={"scores": "model_scores", "reasoning": "model_reasoning"})
    return agreement.merge(greedy, on="fund_id", how="left")


def rules_as_model(rules: pd.DataFrame) -> pd.DataFrame:
    """The model columns of a rules cycle: the rule grade, one deterministic answer."""
    return pd.DataFrame(
        {
            "fund_id": rules["fund_id"],
            "model_grade": rules["rules_grade"].astype("Int64"),
            "samples": 1,
            "self_agreement": 1.0,
            "model_scores": rules["rules_scores"],
            "model_reasoning": "the rule-based reference scorer of the methodology",
        }
    )


def side_by_side(
    rules: pd.DataFrame, model: pd.DataFrame, tabular_grade: pd.Series
) -> pd.DataFrame:
    """One row per eligible fund: the rules', the model's and the tabular baseline's grades."""
    frame = rules.merge(model, on="fund_id", how="left")
    frame["tabular_grade"] = frame["fund_id"].map(tabular_grade).astype("Int64")
    frame["model_grade"] = frame["model_grade"].astype("Int64")
    frame["samples"] = frame["samples"].fillna(0).astype(int)
    frame["self_agreement"] = frame["self_agreement"].astype(float)
    for column in ("model_scores", "rules_scores"):
        frame[column] = [v if isinstance(v, str) else (json.dumps(v) if v else None)
                         for v in frame[column]]  # fmt: skip
    return frame
