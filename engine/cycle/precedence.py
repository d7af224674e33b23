"""Which grade a fund is published with: an analyst's first, then the model's, then the rules'.

- `analyst-reviewed`: an analyst graded the fund at the cycle's date (a decision in the Review
  queue, or the expert rating of that date): that grade, whatever the model said;
- `model-rated`: the model's grade of a fund it was not routed away from (not reviewed);
- `rules`: the rule-based reference grade, for a rules cycle, and meanwhile for a fund waiting
  in the analyst queue (NULL when the scorer cannot grade it either).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

ANALYST_REVIEWED, MODEL_RATED, RULES = "analyst-reviewed", "model-rated", "rules"
SOURCES = (ANALYST_REVIEWED, MODEL_RATED, RULES)


def overlay(frame: pd.DataFrame, analyst: pd.DataFrame, *, rules_model: bool) -> pd.DataFrame:
    """`frame` (fund_id, route, model_grade, rules_grade) with analyst_grade, analyst_by (from
    `analyst`: fund_id, analyst_grade, analyst_by), final_grade and source. `rules_model`: the
    cycle's model is the rule scorer, so no grade is model-rated."""
    out = frame.drop(columns=["analyst_grade", "analyst_by"], errors="ignore").merge(
        analyst[["fund_id", "analyst_grade", "analyst_by"]], on="fund_id", how="left"
    )
    reviewed = out["analyst_grade"].notna().to_numpy()
    modelled = (out["route"] == "model").to_numpy() & ~reviewed & (not rules_model)
    out["source"] = np.select([reviewed, modelled], [ANALYST_REVIEWED, MODEL_RATED], RULES)
    final = out["rules_grade"].astype("Int64").copy()
    final[modelled] = out["model_grade"].astype("Int64")[modelled]
    final[reviewed] = out["analyst_grade"].astype("Int64")[reviewed]
    out["final_grade"] = final.astype("Int64")
    out["analyst_grade"] = out["analyst_grade"].astype("Int64")
    return out
