"""What a snapshot reads: the store in one connection, and per row what the prompt shows for
each criterion (the values and percentiles the reference scorer reads)."""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from engine.data.metrics import compute_indicators, load_inputs
from engine.llm.prompts import CriterionInput
from engine.methodology import get, iter_criteria, windows_needed
from engine.methodology.scoring import PERCENTILE_SCALE, category_pct
from engine.training.snapshot_format import SnapshotError, as_date
from store.db import connect
from store.home import Home


def read_store(home: Home, methodology_id: str, version: int | None, as_of: Any) -> dict:
    """Everything the snapshot needs, read in one connection (results fetched before closing)."""
    with connect(home) as con:
        doc = get(con, methodology_id, version)
        dates = [
            r[0] for r in con.execute("SELECT DISTINCT as_of FROM ratings ORDER BY 1").fetchall()
        ]
        if not dates:
            raise SnapshotError("the store holds no expert ratings: upload a ratings file first")
        as_of = as_date(as_of) if as_of is not None else dates[-1]
        if as_of not in dates:
            shown = ", ".join(str(d) for d in dates[-5:])
            raise SnapshotError(
                f"no expert ratings on {as_of}; rating dates in the store: {shown}"
                + (f" (and {len(dates) - 5} earlier)" if len(dates) > 5 else "")
            )
        data = {
            "doc": doc,
            "as_of": as_of,
            "funds": con.execute(
                "SELECT f.fund_id, f.fund_name, f.category, f.company_id,"
                " coalesce(c.name, f.company_id) AS company_name, f.inception_date, f.aum,"
                " f.currency FROM funds f LEFT JOIN companies c USING (company_id)"
                " ORDER BY f.fund_id"
            ).df(),
            "ratings": con.execute(
                "SELECT fund_id, grade FROM ratings WHERE as_of = ? ORDER BY fund_id", [as_of]
            ).df(),
            "rating_scores": con.execute(
                "SELECT fund_id, criterion_id, score FROM rating_scores WHERE as_of = ?", [as_of]
            ).df(),
            "qualitative": con.execute(
                "SELECT subject_id, subject_kind, as_of, criterion_id, score, note FROM qualitative"
                " WHERE as_of <= ?",
                [as_of],
            ).df(),
            "inputs": load_inputs(con, as_of) if windows_needed(doc) else None,
        }
    if data["inputs"] is not None:
        data["indicators"] = compute_indicators(data["inputs"], as_of, windows_needed(doc))
    else:
        data["indicators"] = pd.DataFrame(
            {"fund_id": pd.Series(dtype=object), "window": pd.Series(dtype=object)}
        )
    return data


# ---------------------------------------------------------------- per-criterion inputs


def latest_reviews(qualitative: pd.DataFrame, as_of: date) -> pd.DataFrame:
    """The latest (score, note) per (subject_kind, subject_id, criterion_id); the scorer's rule."""
    dated = pd.to_datetime(qualitative["as_of"])
    seen = qualitative.assign(as_of=dated)[dated <= pd.Timestamp(as_of)]
    seen = seen.sort_values("as_of", kind="stable")
    latest = seen.drop_duplicates(["subject_kind", "subject_id", "criterion_id"], keep="last")
    return latest.set_index(["subject_kind", "subject_id", "criterion_id"])[["score", "note"]]


def criterion_inputs(
    doc: dict, funds: pd.DataFrame, eligible: np.ndarray, data: dict, at: np.ndarray
) -> list[dict[str, CriterionInput]]:
    """Per row (position `at` in `funds`), what the prompt shows for each criterion.

    Values and percentiles are computed for the whole universe, criterion by criterion, as the
    scorer does (percentiles among eligible funds of the category, the fallback window ranked
    among its own peers, reversed when lower is better); then picked for the rows.
    """
    category = funds["category"].where(eligible)
    tables = {
        w: rows.drop_duplicates("fund_id").set_index("fund_id")
        for w, rows in data["indicators"].groupby("window")
    }
    reviews = latest_reviews(data["qualitative"], data["as_of"])
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
        for name in (measure["window"], measure.get("fallback_window")):
            table = tables.get(name)
            if table is None or measure["indicator"] not in table.columns:
                continue
            found = table[measure["indicator"]].reindex(funds["fund_id"]).to_numpy(float)
            raw = pd.Series(found, index=funds.index).where(eligible)
            take = np.isnan(value) & raw.notna().to_numpy()
            value = np.where(take, raw.to_numpy(), value)
            pct = np.where(take, category_pct(raw, category).to_numpy(float), pct)
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
