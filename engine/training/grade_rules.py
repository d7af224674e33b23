"""Each category's `grade_rule` in a snapshot: effective weights and grade cutoffs (see
`engine.training.snapshot`'s module doc for the edge cases)."""

from __future__ import annotations

import pandas as pd

from engine.methodology import effective_weight, iter_criteria
from engine.methodology.scoring import DECIMALS

UNREACHABLE_TOTAL = 6.0  # a cutoff above the 1-5 scale: no total reaches it
WEIGHT_DECIMALS = 12


def category_cutoffs(grades: pd.Series, totals: pd.Series) -> list[list]:
    """Percentile-scale cutoffs of one category from its graded funds (see module doc)."""
    present = sorted({int(g) for g in grades})
    out = []
    for g in (5, 4, 3, 2, 1):
        if not present or g > present[-1]:
            out.append([g, UNREACHABLE_TOTAL])
        elif g <= present[0]:
            out.append([g, None])
        else:
            out.append([g, round(float(totals[grades >= g].min()), DECIMALS)])
    return out


def grade_rules(doc: dict, scored: pd.DataFrame) -> dict[str, dict]:
    """Per category of `scored` (the reference scorer's output): its grade_rule."""
    weights = {
        c["id"]: round(effective_weight(s, c) / 100.0, WEIGHT_DECIMALS)
        for s, c in iter_criteria(doc)
    }
    scale = doc["grade_scale"]
    categories = sorted(scored["category"].dropna().unique())
    if scale["method"] == "thresholds":
        cutoffs = [[b["grade"], float(b["min_score"])] for b in scale["bands"]]
        cutoffs[-1][1] = None
        return {
            c: {"weights": weights, "method": "thresholds", "cutoffs": cutoffs} for c in categories
        }
    graded = scored[scored["grade"].notna()]
    rules = {}
    for category in categories:
        peers = graded[graded["category"] == category]
        cutoffs = category_cutoffs(peers["grade"].astype(int), peers["total"])
        rules[category] = {"weights": weights, "method": "thresholds", "cutoffs": cutoffs}
    return rules
