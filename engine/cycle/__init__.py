"""The rating cycle: every eligible fund graded at a month-end by a model, with the rule scorer
and the tabular baseline beside it; the uncertain ones routed to the analysts, the rest
published as model-rated, an analyst's grade always first (docs/rating-cycle.md).

`run` starts, resumes and refreshes cycles; the rest are its parts, one job each.
"""
