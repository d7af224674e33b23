"""A snapshot's rows: which rated funds get one, and each row's columns with its prompt."""

from __future__ import annotations

import numpy as np
import pandas as pd

from engine.data.metrics import INDICATORS
from engine.llm.prompts import FundInput, compact_messages, criterion_name, render, rules_text
from engine.methodology import effective_weight, iter_criteria
from engine.methodology.scoring import _months
from engine.training.grade_rules import grade_rules
from engine.training.snapshot_format import COLUMNS, dumps
from engine.training.snapshot_inputs import criterion_inputs
from engine.training.splits import hash_key

TOP_CRITERIA = 3


def _score_value(value: float) -> int | float:
    return int(value) if float(value).is_integer() else float(value)


def select_rows(
    ratings: pd.DataFrame, scored: pd.DataFrame, seed: int, max_funds: int | None
) -> tuple[pd.DataFrame, list[dict]]:
    """(fund_id, grade, position in `scored`) of the rows to build, and the dropped ratings."""
    position = pd.Series(np.arange(len(scored)), index=scored["fund_id"].to_numpy())
    rows = ratings.assign(at=position.reindex(ratings["fund_id"]).to_numpy())
    unknown = rows["at"].isna()
    dropped = [
        {"fund_id": f, "kind": "unknown_fund", "reason": "not in the funds table"}
        for f in rows.loc[unknown, "fund_id"]
    ]
    rows = rows[~unknown].astype({"at": "int64"})
    excluded = scored["excluded_by"].to_numpy(object)[rows["at"]]
    eligible = scored["total"].notna().to_numpy()[rows["at"]]
    dropped += [
        {"fund_id": f, "kind": "not_eligible", "reason": f"not eligible: {why}"}
        for f, why in zip(rows["fund_id"][~eligible], excluded[~eligible], strict=True)
    ]
    rows = rows[eligible]
    if max_funds is not None and len(rows) > max_funds:
        keep = rows["fund_id"].map(lambda f: hash_key(f, seed)).rank(method="first") <= max_funds
        dropped += [
            {"fund_id": f, "kind": "max_funds", "reason": f"beyond max_funds={max_funds}"}
            for f in rows.loc[~keep, "fund_id"]
        ]
        rows = rows[keep]
    return rows.reset_index(drop=True), sorted(dropped, key=lambda d: d["fund_id"])


def build_rows(
    doc: dict,
    language: str,
    data: dict,
    scored: pd.DataFrame,
    rows: pd.DataFrame,
    prompt_style: str = "full",
) -> pd.DataFrame:
    """The contract's columns for `rows` (split still empty), prompts rendered one by one."""
    as_of, funds = data["as_of"], data["funds"].drop_duplicates("fund_id").reset_index(drop=True)
    eligible = scored["total"].notna().to_numpy()
    inputs = criterion_inputs(doc, funds, eligible, data, rows["at"].to_numpy())
    months = _months(funds["inception_date"], pd.Timestamp(as_of)).to_numpy(float)
    units = {key: meta.unit for key, meta in INDICATORS.items()}
    rules = rules_text(doc, language, units)
    grade_rule = {c: dumps(r) for c, r in grade_rules(doc, scored).items()}
    ranked = sorted(iter_criteria(doc), key=lambda sc: -effective_weight(*sc))  # ties: doc order
    top = dumps([[c["id"], criterion_name(c, language)] for _, c in ranked[:TOP_CRITERIA]])
    cids = [c["id"] for _, c in iter_criteria(doc)]
    given = data["rating_scores"]
    given = given[given["criterion_id"].isin(cids)]
    expert_scores = {
        fund_id: {c: _score_value(s) for c, s in zip(g["criterion_id"], g["score"], strict=True)}
        for fund_id, g in given.groupby("fund_id")
    }
    reference = scored[[f"score_{cid}" for cid in cids]].to_numpy(float)
    records = []
    for (fund_id, grade, i), criteria in zip(
        rows[["fund_id", "grade", "at"]].itertuples(index=False), inputs, strict=True
    ):
        fund = funds.iloc[i]
        view = FundInput(
            name=str(fund["fund_name"]),
            category=str(fund["category"]),
            company=str(fund["company_name"]) if pd.notna(fund["company_name"]) else "-",
            as_of=as_of.isoformat(),
            inception=None
            if pd.isna(fund["inception_date"])
            else pd.Timestamp(fund["inception_date"]).date().isoformat(),
            months=None if np.isnan(months[i]) else int(months[i]),
            aum=None if pd.isna(fund["aum"]) else float(fund["aum"]),
            currency=None if pd.isna(fund["currency"]) else str(fund["currency"]),
            criteria=criteria,
        )
        messages, facts = render(doc, language, view, units, rules)
        if prompt_style == "compact":
            messages = compact_messages(doc, language, facts)
        reference_grade = scored["grade"].iloc[i]
        records.append(
            {
                "fund_id": fund_id,
                "fund_name": view.name,
                "category": view.category,
                "as_of": view.as_of,
                "split": "",
                "language": language,
                "prompt": messages,
                "expert_grade": int(grade),
                "expert_scores": dumps(expert_scores.get(fund_id, {})),
                "reference_grade": None if pd.isna(reference_grade) else int(reference_grade),
                "reference_scores": dumps(
                    dict(zip(cids, map(_score_value, reference[i]), strict=True))
                ),
                "facts": dumps(facts),
                "grade_rule": grade_rule[view.category],
                "top_criteria": top,
                "methodology_id": doc["id"],
                "methodology_version": int(doc["version"]),
                "sample_weight": 1.0,
            }
        )
    return pd.DataFrame.from_records(records, columns=COLUMNS)
