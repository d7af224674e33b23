"""A snapshot's rows: the rated funds' prompt rows (`engine.training.features`) joined with the
experts' grades and sub-scores, one per (fund, rating date), and the split of each."""

from __future__ import annotations

from datetime import date

import pandas as pd

from engine.methodology import iter_criteria
from engine.training.features import score_value
from engine.training.snapshot_format import COLUMNS, dumps
from engine.training.splits import assign_splits, hash_key


def rated_rows(
    doc: dict, features: pd.DataFrame, ratings: pd.DataFrame, rating_scores: pd.DataFrame
) -> pd.DataFrame:
    """The contract's columns (split empty, weight 1) for every rating that has a features row:
    `features` (one row per fund and as_of) with the rating's grade and the expert's scores."""
    cids = [c["id"] for _, c in iter_criteria(doc)]
    given = rating_scores[rating_scores["criterion_id"].isin(cids)]
    given = given.assign(as_of=_iso(given["as_of"]))
    expert_scores = {
        key: dumps({c: score_value(s) for c, s in zip(g["criterion_id"], g["score"], strict=True)})
        for key, g in given.groupby(["fund_id", "as_of"])
    }
    grades = ratings.assign(as_of=_iso(ratings["as_of"]))[["fund_id", "as_of", "grade"]]
    table = features.merge(grades, on=["fund_id", "as_of"], how="inner", validate="one_to_one")
    keys = zip(table["fund_id"], table["as_of"], strict=True)
    table = table.assign(
        split="",
        expert_grade=table["grade"].astype("int64"),
        expert_scores=[expert_scores.get(k, "{}") for k in keys],
        sample_weight=1.0,
    )
    return table[COLUMNS].sort_values(["fund_id", "as_of"]).reset_index(drop=True)


def keep_funds(
    table: pd.DataFrame, seed: int, max_funds: int | None
) -> tuple[pd.DataFrame, list[dict]]:
    """(the rows of the first `max_funds` funds in the seed's hash order, the others dropped)."""
    funds = pd.Series(table["fund_id"].unique())
    if max_funds is None or len(funds) <= max_funds:
        return table, []
    kept = set(funds[funds.map(lambda f: hash_key(f, seed)).rank(method="first") <= max_funds])
    keep = table["fund_id"].isin(kept)
    dropped = [
        {"fund_id": f, "as_of": d, "kind": "max_funds", "reason": f"beyond max_funds={max_funds}"}
        for f, d in zip(table.loc[~keep, "fund_id"], table.loc[~keep, "as_of"], strict=True)
    ]
    return table[keep].reset_index(drop=True), dropped


def deal_splits(
    table: pd.DataFrame, latest: date, seed: int, fractions: tuple[float, float, float]
) -> tuple[pd.DataFrame, list[dict]]:
    """(`table` with each row's split, the earlier ratings of held-out funds, dropped).

    The funds rated on `latest` are dealt as `assign_splits` says (stratified by that grade), so
    a run on one date and a run on several have the same validation and test funds; a fund
    rated only earlier trains. Every rating of a fund sits in its fund's split, except that
    validation and test hold the latest date only (evaluations grade each fund once, as of one
    date): a held-out fund's earlier ratings are left out, never moved to training.
    """
    last = table[table["as_of"] == latest.isoformat()]
    dealt = assign_splits(last["fund_id"], last["expert_grade"], seed, fractions)
    split = dict(zip(last["fund_id"], dealt, strict=True))
    table = table.assign(split=table["fund_id"].map(split).fillna("train").astype("str"))
    earlier = (table["split"] != "train") & (table["as_of"] != latest.isoformat())
    dropped = [
        {"fund_id": f, "as_of": d, "kind": "held_out_earlier",
         "reason": f"earlier rating of a {s} fund: held-out splits hold {latest} only"}
        for f, d, s in table.loc[earlier, ["fund_id", "as_of", "split"]].itertuples(index=False)
    ]  # fmt: skip
    return table[~earlier].reset_index(drop=True), dropped


def _iso(dates: pd.Series) -> pd.Series:
    return pd.to_datetime(dates).dt.strftime("%Y-%m-%d")
