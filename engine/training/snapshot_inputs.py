"""What a fund's prompt shows for each criterion: the values and percentiles the reference
scorer reads, and the analysts' latest scores with their notes (`engine.training.features`)."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from engine.llm.prompts import CriterionInput
from engine.methodology import iter_criteria, measure_windows, windows_needed
from engine.methodology.scoring import (
    PERCENTILE_SCALE,
    category_codes,
    group_pct,
    indicator_lookups,
    latest_reviews,
    raw_inputs,
)


def criterion_inputs(
    doc: dict,
    funds: pd.DataFrame,
    eligible: np.ndarray,
    indicators: pd.DataFrame,
    qualitative: pd.DataFrame,
    as_of: date,
    at: np.ndarray,
) -> list[dict[str, CriterionInput]]:
    """Per row (position `at` in `funds`), what the prompt shows for each criterion.

    Values and percentiles are computed for the whole universe, criterion by criterion, from the
    scorer's own lookups (`indicator_lookups`, `raw_inputs`): percentiles among eligible funds of
    the category, the fallback window ranked among its own peers, reversed when lower is better;
    then picked for the rows.
    """
    groups = np.where(eligible, category_codes(funds["category"]), -1)
    tables = indicator_lookups(indicators, windows_needed(doc), funds["fund_id"])
    reviews = latest_reviews(qualitative, pd.Timestamp(as_of)).set_index(
        ["subject_kind", "subject_id", "criterion_id"]
    )[["score", "note"]]
    out: list[dict[str, CriterionInput]] = [{} for _ in at]
    for section, criterion in iter_criteria(doc):
        cid, measure = criterion["id"], criterion["measure"]
        if measure["type"] == "qualitative":
            kind = "company" if section["kind"] == "company" else "fund"
            subject = funds["company_id"] if kind == "company" else funds["fund_id"]
            keys = pd.MultiIndex.from_arrays(
                [
                    np.full(len(at), kind),
                    subject.to_numpy(object)[at],
                    np.full(len(at), measure["criterion"]),
                ]
            )
            found = reviews.reindex(keys)
            for row, (got, note) in enumerate(zip(found["score"], found["note"], strict=True)):
                out[row][cid] = CriterionInput(
                    score=None if pd.isna(got) else int(got),
                    note=note.strip() if isinstance(note, str) and note.strip() else None,
                )
            continue
        value, pct = np.full(len(funds), np.nan), np.full(len(funds), np.nan)
        window = np.full(len(funds), None, dtype=object)
        raws = raw_inputs(section, criterion, len(funds), tables, {})
        for name, raw in zip(measure_windows(measure), raws, strict=True):
            raw = np.where(eligible, raw, np.nan)
            take = np.isnan(value) & ~np.isnan(raw)
            value = np.where(take, raw, value)
            pct = np.where(take, group_pct(raw, groups), pct)
            window[take] = name
        if criterion.get("direction") == "lower_is_better":
            pct = PERCENTILE_SCALE - pct
        for row, i in enumerate(at):
            if np.isnan(value[i]):
                out[row][cid] = CriterionInput()
                continue
            out[row][cid] = CriterionInput(
                value=float(value[i]),
                window=window[i],
                fallback=window[i] != measure["window"],
                pct=None if np.isnan(pct[i]) else float(pct[i]),
            )
    return out
