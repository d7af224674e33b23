"""The comparison report: several evaluations side by side on identical funds, as one HTML file.

`report_data(home, evaluation_ids)` gathers, for the funds every evaluation graded and the
experts rated (the same data for all), each evaluator's agreement with the experts
(`engine.evaluation.agreement.compare`: exact, within one, MAE, QWK with its bootstrap interval, Spearman,
confusion matrix; invalid answers count as disagreements), its consistency (the share of its
answers whose grade is the grade the methodology gives its own sub-scores, `rewards.rule_grade`
with each fund's `grade_rule`), invalid-output rate, self-consistency (k samples only) and
predicted-grade distribution; for evaluators that come from a training run, that run's settings
and cost (wall time, seconds per RL step, peak memory, steps; from the run folder) and its data
snapshot hash. Each evaluator says how many of the compared funds its run (or the run it was
evaluated for comparison with) trained on (`training_funds`; None when that run's split cannot
be read), and `training_funds` of the data lists every such run with training funds among the
compared ones: figures on them are in-sample, and the report says so. On the synthetic demo,
`ceiling` is one more row with the same figures for the demo's ceiling grade (the written method
plus the analysts' hidden habits, without their leniency and noise, which the demo build writes
to `Home.demo_ceiling`): labelled demo only, never in the verdict, and left out with one line
(`ceiling_note`) when a compared fund has no ceiling grade at its date. `build_report(..., out,
lang)` renders it (`engine.evaluation.report_html`) to a self-contained HTML file (plotly.js
inlined once, so it opens offline) and returns its path.

PPO is not in the comparison: TRL 1.16 no longer ships a PPO trainer, and PPO needs a learned
value model (a second network trained beside the policy); RLOO, like GRPO, takes its baseline
from the other answers to the same prompt, so the two compare on identical rewards and budget.
"""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path
from typing import Any

import pandas as pd

from engine.evaluation.agreement import INVALID_RULE, compare
from engine.evaluation.evaluators import EvaluationError
from engine.evaluation.fund_sets import stored_training_funds, training_funds, training_run_of
from engine.evaluation.jobs import get_evaluation, results
from engine.evaluation.report_html import render
from engine.llm.rewards import rule_grade
from engine.methodology.core import GRADES_ASCENDING
from engine.training.config import RunConfig
from engine.training.runs import recover
from engine.training.snapshot import grade_rules_at
from store.db import connect, held
from store.home import Home
from store.queries import summary

log = logging.getLogger(__name__)

LANGS = ("ko", "en")
# Run settings shown side by side (the rest are in each run's config.json).
SETTINGS = (
    "model", "algorithm", "sft_steps", "max_steps", "learning_rate", "num_generations",
    "per_device_train_batch_size", "max_completion_length", "temperature", "beta", "loss_type",
    "scale_rewards", "reward_weights", "lora", "seed", "methodology_id", "methodology_version",
    "as_of",
)  # fmt: skip
# A verdict calls two evaluators different only when their QWK intervals do not overlap.
VERDICT_FIGURE = "qwk"
CEILING_LABEL = "ceiling (demo only)"
CEILING_COLUMNS = ["fund_id", "as_of", "grade", "expert_grade"]


class ReportError(ValueError):
    """A report cannot be built (unknown or unfinished evaluation, no common funds): one line."""


# ---------------------------------------------------------------- inputs


def _evaluations(home: Home, evaluation_ids: list[str]) -> list[dict]:
    ids = list(dict.fromkeys(i.strip() for i in evaluation_ids if i and i.strip()))
    if not ids:
        raise ReportError("name at least one evaluation (eval-0001, …)")
    metas = []
    for evaluation_id in ids:
        try:
            meta = get_evaluation(home, evaluation_id)
        except EvaluationError as exc:
            raise ReportError(str(exc)) from None
        if meta["state"] != "finished":
            raise ReportError(f"{evaluation_id} is {meta['state']}, not finished")
        metas.append(meta)
    return metas


def _common_funds(frames: dict[str, pd.DataFrame]) -> list[str]:
    """Funds that every evaluation graded (validly or not) and the experts rated."""
    common: set[str] | None = None
    for frame in frames.values():
        rated = set(frame.loc[frame["expert_grade"].notna(), "fund_id"])
        common = rated if common is None else common & rated
    return sorted(common or [])


def data_hash(rows: pd.DataFrame) -> str:
    """sha256 of the compared data: sorted 'fund_id,as_of,expert grade' lines."""
    lines = sorted(
        f"{r.fund_id},{r.as_of},{int(r.expert_grade)}" for r in rows.itertuples(index=False)
    )
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def _synthetic(home: Home) -> bool:
    with connect(home) as con:
        return bool(summary(con).get("synthetic"))


# ---------------------------------------------------------------- figures


def _grade_rules(home: Home, metas: list[dict]) -> dict[tuple, dict[str, dict]]:
    """(methodology id, version, as_of) -> fund_id -> grade_rule, as a snapshot of the store
    at that date has it (`engine.training.snapshot.grade_rules_at`)."""
    out: dict[tuple, dict[str, dict]] = {}
    for meta in metas:
        key = (meta["methodology_id"], int(meta["methodology_version"]), str(meta["as_of"]))
        if key in out:
            continue
        try:
            out[key] = grade_rules_at(home, *key)
        except Exception as exc:  # noqa: BLE001 — consistency is then shown as unavailable
            log.warning("no grade rules for %s: %s", key, exc)
            out[key] = {}
    return out


def consistency(frame: pd.DataFrame, rules: dict[str, dict]) -> dict[str, Any]:
    """Share of the funds' answers whose grade equals the grade the methodology's rule gives the
    answer's own sub-scores (an invalid answer, or one without every sub-score, is not
    consistent); `share` is None when the evaluator gives grades but never sub-scores (the
    tabular baseline)."""
    consistent = graded = with_scores = 0
    for row in frame.itertuples(index=False):
        scores = json.loads(row.scores) if isinstance(row.scores, str) and row.scores else {}
        if pd.isna(row.grade):
            continue
        graded += 1
        with_scores += bool(scores)
        rule = rules.get(str(row.fund_id)) or {}
        if not scores or not rule.get("weights"):
            continue
        try:
            _, expected = rule_grade({k: float(v) for k, v in scores.items()}, rule)
        except (KeyError, TypeError, ValueError, ZeroDivisionError):
            continue
        consistent += int(expected == int(row.grade))
    n = len(frame)
    no_scores = graded > 0 and with_scores == 0
    return {
        "share": None if no_scores or not n else consistent / n,
        "consistent": consistent,
        "n": n,
    }


def grade_counts(grades: pd.Series) -> dict[str, int]:
    """Predicted grades '1'..'5' and 'invalid' (no grade) counted."""
    counts = {str(g): int((grades == g).sum()) for g in GRADES_ASCENDING}
    counts["invalid"] = int(grades.isna().sum())
    return counts


def _run_part(home: Home, run_id: str | None) -> dict[str, Any] | None:
    """A run's settings, cost and snapshot hash from its folder (None without a run)."""
    if not run_id:
        return None

    recover(home)  # a run whose process died reads as failed, not running
    folder = home.runs / run_id
    part: dict[str, Any] = {"run_id": run_id, "settings": {}, "cost": {}, "snapshot_sha256": None}
    try:
        config = RunConfig.from_json((folder / "config.json").read_text(encoding="utf-8"))
        part["settings"] = {k: getattr(config, k) for k in SETTINGS}
    except (OSError, ValueError) as exc:
        part["note"] = f"config.json cannot be read: {exc}"
    try:
        status = json.loads((folder / "status.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        status = {}
    final = status.get("final") or {}
    sft = part["settings"].get("sft_steps")
    part["cost"] = {
        "state": status.get("state"),
        "device": status.get("device"),
        "wall_s": final.get("wall_s"),
        "sec_per_rl_step": final.get("sec_per_grpo_step"),
        "rl_steps": final.get("grpo_steps"),
        "sft_steps": sft,
        "peak_memory_mb": final.get("peak_memory_mb"),
    }
    try:
        manifest = json.loads((folder / "snapshot" / "manifest.json").read_text(encoding="utf-8"))
        part["snapshot_sha256"] = manifest.get("sha256")
    except (OSError, ValueError):
        pass
    return part


def ceiling(
    home: Home, metas: list[dict], frame: pd.DataFrame, *, n_boot: int, seed: int
) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """The demo's ceiling row on the compared rows `frame` (fund, date, expert grade, category),
    else why there is none: (row, None) or (None, note with its text key and values)."""
    path = home.demo_ceiling
    if not path.is_file():
        return None, {"key": "ceiling_no_file"}
    if len({str(m["as_of"]) for m in metas}) > 1:
        return None, {"key": "ceiling_dates"}
    keys = pd.DataFrame(
        {"fund_id": frame["fund_id"].astype(str), "as_of": pd.to_datetime(frame["as_of"]).dt.date}
    )
    try:
        stored = pd.read_parquet(path, columns=CEILING_COLUMNS)
        stored = stored.assign(
            fund_id=stored["fund_id"].astype(str), as_of=pd.to_datetime(stored["as_of"]).dt.date
        )
        found = keys.merge(stored, on=["fund_id", "as_of"], how="left", validate="many_to_one")
    except (OSError, KeyError, ValueError) as exc:  # pyarrow's errors are OSError / ValueError
        log.warning("demo ceiling %s cannot be read: %s", path, exc)
        return None, {"key": "ceiling_unreadable"}
    as_of = str(keys["as_of"].iloc[0])
    missing = int(found["grade"].isna().sum())
    if missing:
        return None, {"key": "ceiling_missing", "n": missing, "total": len(found), "as_of": as_of}
    expert = frame["expert_grade"].astype(int).to_numpy()
    stale = int((found["expert_grade"].astype(int).to_numpy() != expert).sum())
    if stale:
        return None, {"key": "ceiling_stale", "n": stale, "total": len(found), "as_of": as_of}
    grades = found["grade"].astype(int)
    figures = compare(
        expert.tolist(),
        grades.tolist(),
        frame["category"].fillna("-").tolist(),
        n_boot=n_boot,
        seed=seed,
    )
    row = {
        "label": CEILING_LABEL,
        "as_of": as_of,
        "figures": figures,
        "grade_counts": grade_counts(grades),
    }
    return row, None


def _label(meta: dict, run: dict | None) -> str:
    algorithm = (run or {}).get("settings", {}).get("algorithm")
    kind = meta["evaluator_kind"]
    if kind == "model" and algorithm:
        return f"{meta['evaluator']} ({algorithm.upper()})"
    return meta["evaluator"]


@held()  # its many short reads share one open of the database
def report_data(
    home: Home, evaluation_ids: list[str], *, n_boot: int = 1000, seed: int = 0
) -> dict[str, Any]:
    """Every figure of the report (see the module docstring); ReportError on bad input."""
    metas = _evaluations(home, evaluation_ids)
    frames = {m["evaluation_id"]: results(home, m["evaluation_id"]) for m in metas}
    funds = _common_funds(frames)
    if not funds:
        raise ReportError(
            "the evaluations have no fund in common that the experts rated: compare "
            "evaluations of the same funds"
        )
    rules = _grade_rules(home, metas)
    notes = []
    if len({str(m["as_of"]) for m in metas}) > 1:
        notes.append("as_of_differs")
    if len({(m["methodology_id"], m["methodology_version"]) for m in metas}) > 1:
        notes.append("methodology_differs")
    evaluators = []
    first = None
    for meta in metas:
        frame = frames[meta["evaluation_id"]]
        frame = frame[frame["fund_id"].isin(funds)].sort_values("fund_id").reset_index(drop=True)
        first = frame if first is None else first
        grades = [None if pd.isna(g) else int(g) for g in frame["grade"]]
        figures = compare(
            frame["expert_grade"].astype(int).tolist(),
            grades,
            frame["category"].fillna("-").tolist(),
            n_boot=n_boot,
            seed=seed,
        )
        key = (meta["methodology_id"], int(meta["methodology_version"]), str(meta["as_of"]))
        run = (
            _run_part(home, meta["run_id"]) if meta["evaluator_kind"] in ("model", "sft") else None
        )
        sc = frame["self_consistency"].dropna()
        latency = frame["latency_ms"].dropna()
        training_run = training_run_of(meta)
        evaluators.append(
            {
                "evaluation_id": meta["evaluation_id"],
                "evaluator": meta["evaluator"],
                "kind": meta["evaluator_kind"],
                "label": _label(meta, run),
                "run_id": meta["run_id"],
                "as_of": str(meta["as_of"]),
                "methodology": f"{meta['methodology_id']} v{meta['methodology_version']}",
                "selection": meta["selection"],
                "samples": int(meta["samples"]),
                "figures": figures,
                "consistency": consistency(frame, rules.get(key, {})),
                "self_consistency": float(sc.mean()) if len(sc) else None,
                "grade_counts": grade_counts(frame["grade"]),
                "latency_ms": float(latency.mean()) if len(latency) else None,
                "run": run,
                "training_run": training_run,
                "training_funds": _training_funds(home, meta, training_run, funds),
            }
        )
    seen: dict[str, int | None] = {}
    for e in evaluators:
        if e["training_run"] and e["training_run"] not in seen:
            seen[e["training_run"]] = e["training_funds"]
    expert = first.assign(as_of=first["as_of"].astype(str))
    synthetic = _synthetic(home)
    top, top_note = (
        ceiling(home, metas, first, n_boot=n_boot, seed=seed) if synthetic else (None, None)
    )
    return {
        "evaluation_ids": [m["evaluation_id"] for m in metas],
        "n_funds": len(funds),
        "data_sha256": data_hash(expert),
        "expert_counts": grade_counts(expert["expert_grade"].astype("Int64")),
        "synthetic": synthetic,
        "notes": notes,
        "training_funds": [
            {"run_id": run, "n": n} for run, n in seen.items() if n is None or n > 0
        ],
        "invalid_rule": INVALID_RULE,
        "evaluators": evaluators,
        "verdict": verdict(evaluators),
        "ceiling": top,
        "ceiling_note": top_note,
        "n_boot": n_boot,
        "seed": seed,
    }


def _training_funds(home: Home, meta: dict, run_id: str | None, funds: list[str]) -> int | None:
    """How many of the compared `funds` `run_id` trained on: from its split, else the count
    stored with the evaluation when it covers exactly these funds; None when unknown."""
    counted = training_funds(home, run_id, funds)
    if counted is None and int(meta.get("n_funds") or 0) == len(funds):
        return stored_training_funds(meta)
    return counted


def verdict(evaluators: list[dict]) -> dict[str, Any]:
    """The best evaluator by QWK, and which others its 95 % interval clearly beats."""
    ranked = [e for e in evaluators if e["figures"].get(VERDICT_FIGURE) is not None]
    if not ranked:
        return {"best": None, "beats": [], "ties": [], "untrained_invalid": []}
    ranked.sort(key=lambda e: e["figures"][VERDICT_FIGURE], reverse=True)
    best = ranked[0]
    low = best["figures"]["ci"][VERDICT_FIGURE][0]
    beats, ties = [], []
    for other in ranked[1:]:
        high = other["figures"]["ci"][VERDICT_FIGURE][1]
        (beats if low is not None and high is not None and low > high else ties).append(
            other["label"]
        )
    beats += [e["label"] for e in evaluators if e["figures"].get(VERDICT_FIGURE) is None]
    return {
        "best": best["label"],
        "best_qwk": best["figures"]["qwk"],
        "best_exact": best["figures"]["exact"],
        "beats": beats,
        "ties": ties,
        "mostly_invalid": [e["label"] for e in evaluators if e["figures"]["invalid_share"] > 0.5],
        "best_training_funds": best.get("training_funds"),
    }


# ---------------------------------------------------------------- the file


def check_output(out: Path, lang: str) -> Path:
    """`out` as a Path once it names an .html file in an existing folder and `lang` is known."""
    if lang not in LANGS:
        raise ReportError(f"language must be ko or en, got '{lang}'")
    out = Path(out)
    if out.suffix.lower() not in (".html", ".htm"):
        raise ReportError(f"the report is an HTML file: give a name ending in .html, got '{out}'")
    if not out.parent.is_dir():
        raise ReportError(f"folder {out.parent} does not exist")
    return out


def write_report(data: dict[str, Any], out: Path, lang: str) -> Path:
    """Render `report_data`'s result in `lang` to `out`; its path."""
    out = check_output(out, lang)
    out.write_text(render(data, lang), encoding="utf-8")
    return out


def build_report(
    home: Home,
    evaluation_ids: list[str],
    out: Path,
    *,
    lang: str = "en",
    n_boot: int = 1000,
    seed: int = 0,
) -> Path:
    """Write the comparison report of `evaluation_ids` as one HTML file at `out`; its path."""
    check_output(out, lang)
    data = report_data(home, evaluation_ids, n_boot=n_boot, seed=seed)
    return write_report(data, out, lang)
