"""Which funds go to the analysts: the routing rule, self-agreement over k samples, and the
coverage-against-agreement table the house chooses its threshold from.

A fund goes to the analyst queue when
- `invalid`: the model's greedy answer has no usable grade;
- `rules_gap`: model and rule-based grades differ by `max_rules_gap` grades or more;
- `self_agreement`: fewer than `min_self_agreement` of its k answers give the greedy grade.
Every other fund is "model". A fund the rule scorer leaves ungraded is never routed for the gap.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

REASONS = ("invalid", "rules_gap", "self_agreement")
ANALYST, MODEL = "analyst", "model"
EPS = 1e-9  # 2/3 computed as a mean of answers equals the threshold 2/3


@dataclass(frozen=True)
class RoutingRule:
    """When a fund goes to the analysts (see the module doc)."""

    max_rules_gap: int = 2
    min_self_agreement: float = 2 / 3

    def __post_init__(self) -> None:
        if not isinstance(self.max_rules_gap, int) or self.max_rules_gap < 1:
            raise ValueError(f"max_rules_gap must be a whole number of at least 1, got "
                             f"{self.max_rules_gap!r}")  # fmt: skip
        if not 0 <= self.min_self_agreement <= 1:
            raise ValueError(
                f"min_self_agreement must be between 0 and 1, got {self.min_self_agreement!r}"
            )

    def to_dict(self) -> dict:
        return asdict(self)


def self_agreement(answers: pd.DataFrame) -> pd.DataFrame:
    """fund_id, model_grade (sample 0's, <NA> when invalid), samples (k) and self_agreement:
    the share of the fund's k answers whose grade is the greedy grade (0 when that is invalid)."""
    if answers.empty:
        return pd.DataFrame(
            {"fund_id": pd.Series(dtype=object), "model_grade": pd.Series(dtype="Int64"),
             "samples": pd.Series(dtype="int64"), "self_agreement": pd.Series(dtype=float)}
        )  # fmt: skip
    grades = answers[["fund_id", "sample", "grade"]].copy()
    grades["grade"] = grades["grade"].astype("Int64")
    greedy = grades[grades["sample"] == 0].set_index("fund_id")["grade"]
    grades["greedy"] = grades["fund_id"].map(greedy)
    grades["same"] = (grades["grade"] == grades["greedy"]).fillna(False).astype(float)
    per_fund = grades.groupby("fund_id").agg(samples=("sample", "count"), agree=("same", "mean"))
    per_fund["model_grade"] = greedy.reindex(per_fund.index).astype("Int64")
    per_fund = per_fund.reset_index().rename(columns={"agree": "self_agreement"})
    return per_fund[["fund_id", "model_grade", "samples", "self_agreement"]]


def route(frame: pd.DataFrame, rule: RoutingRule) -> pd.DataFrame:
    """`frame` (model_grade, rules_grade, self_agreement) with `invalid`, `route_reasons` (a list
    per fund, in REASONS order) and `route` (analyst | model)."""
    out = frame.copy()
    model = out["model_grade"].astype("Int64")
    rules = out["rules_grade"].astype("Int64")
    invalid = model.isna().to_numpy()
    gap = ((model - rules).abs() >= rule.max_rules_gap).fillna(False).to_numpy(bool)
    doubtful = (out["self_agreement"].astype(float) < rule.min_self_agreement - EPS).to_numpy()
    flags = np.column_stack([invalid, gap & ~invalid, doubtful & ~invalid])
    out["invalid"] = invalid
    out["route_reasons"] = [[r for r, on in zip(REASONS, row, strict=True) if on] for row in flags]
    out["route"] = np.where(flags.any(axis=1), ANALYST, MODEL)
    return out


def thresholds_for(samples: int) -> list[float]:
    """The self-agreement thresholds that differ for k samples: 0, 1/k, …, 1."""
    k = max(1, int(samples))
    return [j / k for j in range(k + 1)]


def coverage_table(
    frame: pd.DataFrame,
    rule: RoutingRule,
    thresholds: list[float] | None = None,
    training: set[str] | None = None,
) -> list[dict]:
    """Per self-agreement threshold (the other rules as in `rule`): the share of funds the model
    rates (coverage) and, on the model-rated funds with an expert grade that the model did not
    train on (`training`: its run's training funds), how often the model gives the expert's
    grade (exact) or one off (within_one); `training_left_out` counts those set aside. `frame`
    as for `route`, with fund_id and expert_grade."""
    trained = (
        frame["fund_id"].astype(str).isin(training)
        if training
        else pd.Series(False, index=frame.index)
    )
    if thresholds is None:
        k = int(frame["samples"].max()) if len(frame) else 1
        thresholds = thresholds_for(k)
    rows = []
    for threshold in thresholds:
        routed = route(frame, RoutingRule(rule.max_rules_gap, float(threshold)))
        rated = routed[routed["route"] == MODEL]
        graded = rated["expert_grade"].notna()
        paired = rated[graded & ~trained[rated.index]]
        gap = (paired["model_grade"].astype(float) - paired["expert_grade"].astype(float)).abs()
        rows.append(
            {
                "threshold": float(threshold),
                "chosen": bool(np.isclose(threshold, rule.min_self_agreement, atol=1e-4)),
                "coverage": len(rated) / len(routed) if len(routed) else None,
                "model_rated": len(rated),
                "to_analyst": len(routed) - len(rated),
                "n_expert": len(paired),
                "training_left_out": int((graded & trained[rated.index]).sum()),
                "exact": float((gap == 0).mean()) if len(paired) else None,
                "within_one": float((gap <= 1).mean()) if len(paired) else None,
            }
        )
    return rows
