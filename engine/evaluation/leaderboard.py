"""Agreement of stored evaluations: one against the experts or another evaluation, and the
leaderboard of several.

`evaluation_agreement(home, id, against)` and `leaderboard(home, ids, against)` apply
`engine.evaluation.agreement.compare` to stored evaluations, against the experts' grades at the
evaluation's date or against another evaluation's greedy grades. A leaderboard ranks
evaluations of one fund set only (FundSetError otherwise) and says on each row how many of the
funds its run trained on (`engine.evaluation.fund_sets`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from engine.evaluation import fund_sets
from engine.evaluation.agreement import CI_FIGURES, DEFAULT_BOOT, FIGURES, compare
from engine.evaluation.jobs import get_evaluation, results
from store.db import held


def _paired(home, evaluation_id: str, against: str):
    """(rows of `evaluation_id` with `expected` and `category`, how many funds were left out)."""
    mine = results(home, evaluation_id)
    if against == "expert":
        paired = mine.assign(expected=mine["expert_grade"])
    else:
        other = results(home, against)[["fund_id", "grade"]].rename(columns={"grade": "expected"})
        paired = mine.merge(other, on="fund_id", how="inner")
    usable = paired[paired["expected"].notna()]
    return usable, len(mine) - len(usable)


def _agreement_of(
    meta: dict, rows: pd.DataFrame, left_out: int, against: str, n_boot: int, seed: int
) -> dict[str, Any]:
    figures = compare(
        rows["expected"].astype(int).tolist(),
        rows["grade"].tolist(),
        rows["category"].fillna("-").tolist(),
        n_boot=n_boot,
        seed=seed,
    )
    consistency = rows["self_consistency"].dropna()
    return {
        "evaluation_id": meta["evaluation_id"],
        "evaluator": meta["evaluator"],
        "against": against,
        "left_out": int(left_out),
        "self_consistency": float(consistency.mean()) if len(consistency) else None,
        **figures,
    }


@held()  # its short reads share one open of the database
def evaluation_agreement(
    home, evaluation_id: str, against: str = "expert", *, n_boot: int = DEFAULT_BOOT, seed: int = 0
) -> dict[str, Any]:
    """`compare` of a stored evaluation's greedy grades with the experts' grades at its as_of
    (`against="expert"`) or with another evaluation's greedy grades (`against=EVAL_ID`; funds
    that one did not grade, or did not evaluate, are left out and counted in `left_out`)."""
    meta = get_evaluation(home, evaluation_id)
    if against != "expert":
        get_evaluation(home, against)  # refuses an unknown id
    rows, left_out = _paired(home, evaluation_id, against)
    return _agreement_of(meta, rows, left_out, against, n_boot, seed)


class FundSetError(ValueError):
    """Evaluations run on different fund sets were asked to be ranked together: one line."""


def _refuse_mixed(entries: list[dict]) -> None:
    """FundSetError naming each fund set and its evaluations when there is more than one."""
    groups: dict[str, list[dict]] = {}
    for entry in entries:
        groups.setdefault(entry["fund_set"], []).append(entry)
    if len(groups) < 2:
        return
    parts = []
    for members in groups.values():
        ids = ", ".join(m["meta"]["evaluation_id"] for m in members)
        selections = ", ".join(dict.fromkeys(str(m["meta"]["selection"]) for m in members))
        as_of = str(members[0]["meta"]["as_of"])[:10]
        parts.append(f"{ids}: {len(members[0]['funds'])} funds ({selections}, as of {as_of})")
    raise FundSetError(
        "these evaluations were run on different fund sets, so they cannot be ranked together: "
        + "; ".join(parts)
        + ". Rank evaluations of the same funds (evaluate each on one run's held-out split, "
        "--funds test:<run_id>), or compare them on the funds they share with `report`"
    )


@held()  # its many short reads share one open of the database
def leaderboard(
    home,
    evaluation_ids: Sequence[str],
    against: str = "expert",
    *,
    n_boot: int = DEFAULT_BOOT,
    seed: int = 0,
):
    """One row per evaluation, best QWK first: evaluator, kind, run, selection, fund_set, n,
    exact, within_one, mae, qwk, spearman, invalid_share, the 95 % intervals
    (`<figure>_low/_high`), self_consistency (several samples only), the mean latency per
    answer (ms), and the training funds in the set: training_run (the row's run), training_funds
    (how many of the funds that run trained on; None when its split cannot be read) and note
    ('includes 43 training funds of run-0001', or which other runs' training funds the set holds).

    Only evaluations of one fund set (the same funds compared, at the same rating date) are
    ranked: FundSetError otherwise, naming each set and its evaluations.
    """
    if against != "expert":
        get_evaluation(home, against)  # refuses an unknown id
    entries = []
    for evaluation_id in dict.fromkeys(evaluation_ids):
        meta = get_evaluation(home, evaluation_id)
        rows, left_out = _paired(home, evaluation_id, against)
        funds = set(rows["fund_id"].astype(str))
        entries.append(
            {
                "meta": meta,
                "rows": rows,
                "left_out": left_out,
                "funds": funds,
                "fund_set": fund_sets.fund_set_id(meta["as_of"], funds),
            }
        )
    _refuse_mixed(entries)
    training: dict[str, int | None] = {}
    for entry in entries:
        run = fund_sets.training_run_of(entry["meta"])
        if run and run not in training:
            training[run] = fund_sets.training_funds(home, run, entry["funds"])
    out = []
    for entry in entries:
        meta = entry["meta"]
        figures = _agreement_of(meta, entry["rows"], entry["left_out"], against, n_boot, seed)
        latency = results(home, meta["evaluation_id"])["latency_ms"].dropna()
        run = fund_sets.training_run_of(meta)
        seen = training.get(run) if run else 0
        note = fund_sets.training_note(seen, run)
        if not seen:
            others = {r: n for r, n in training.items() if r != run and n}
            note = "; ".join(n for n in (note, fund_sets.shared_note(others)) if n)
        row = {
            "evaluation_id": meta["evaluation_id"],
            "evaluator": meta["evaluator"],
            "evaluator_kind": meta["evaluator_kind"],
            "run_id": meta["run_id"],
            "selection": meta["selection"],
            "as_of": str(meta["as_of"]),
            "state": meta["state"],
            "against": against,
            "fund_set": entry["fund_set"],
            **{k: figures[k] for k in FIGURES},
            "left_out": figures["left_out"],
            "self_consistency": figures["self_consistency"],
            "latency_ms": float(latency.mean()) if len(latency) else None,
            "training_run": run,
            "training_funds": seen,
            "note": note,
        }
        for key in CI_FIGURES:
            row[f"{key}_low"], row[f"{key}_high"] = figures["ci"][key]
        out.append(row)
    frame = pd.DataFrame(out)
    if frame.empty:
        return frame
    frame = frame.sort_values("qwk", ascending=False, na_position="last", kind="stable")
    return frame.reset_index(drop=True)
