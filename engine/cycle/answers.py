"""The model's answers for a cycle: an ordinary background evaluation (`engine.evaluation.worker`,
batched generation, k samples) over the cycle's prompts, recorded in the store with the selection
`cycle:<cycle_id>` so that the Review page can show it.

The answers stay in the evaluation's folder. A resumed cycle first collects what its earlier
evaluations answered and asks the model only about the funds still lacking their k answers.
"""

from __future__ import annotations

import json
import logging
import shutil
from collections.abc import Callable
from typing import Any

import duckdb
import pandas as pd

from engine.cycle.folder import CycleFolder
from engine.cycle.plan import CycleError, CyclePlan
from engine.evaluation import jobs as evaluation_jobs
from engine.evaluation.evaluators import parse_evaluator
from engine.evaluation.folder import EvaluationFolder, evaluations_dir
from engine.evaluation.jobs import _model_for
from engine.jobs import ids
from engine.jobs.launch import launch
from store import evaluations as stored
from store.db import connect
from store.evaluations import RESULT_COLUMNS
from store.home import Home

log = logging.getLogger(__name__)

MAX_ID_TRIES = 50
MAX_ATTEMPTS = 3  # evaluations started for one cycle run before it gives up
TEMPERATURE = 0.7


class Stopped(RuntimeError):
    """The cycle was asked to stop while the model was answering."""


def _prompts(rows: pd.DataFrame) -> pd.DataFrame:
    """The prompts file of an evaluation job (as `engine.evaluation.jobs.start_evaluation`)."""
    return pd.DataFrame(
        {
            "fund_id": rows["fund_id"].to_numpy(),
            "prompt": [json.dumps(list(p), ensure_ascii=False) for p in rows["prompt"]],
            "criterion_ids": [
                json.dumps(list(json.loads(r)["weights"])) if isinstance(r, str) else None
                for r in rows["grade_rule"]
            ],
        }
    )


def start_answers(
    home: Home, cycle_id: str, plan: CyclePlan, as_of: str, rows: pd.DataFrame, params: dict
) -> str:
    """Start the background evaluation of `rows` by the plan's model; its evaluation id."""
    spec = parse_evaluator(plan.model)
    model_folder, thinking, length = _model_for(home, spec)
    samples = int(params["samples"])
    settings = {
        "model_folder": str(model_folder),
        "batch_size": int(params.get("batch_size", 8)),
        "samples": samples,
        "max_new_tokens": int(params.get("max_new_tokens") or length),
        "temperature": float(params.get("temperature", TEMPERATURE)),
        "decoding": "greedy" + (f" + {samples - 1} sampled" if samples > 1 else ""),
        "thinking": thinking,
        "device": params.get("device", "auto"),
        "dtype": "auto",
        "seed": int(params.get("seed", 0)),
        "language": plan.language,
        "cycle_id": cycle_id,
    }
    row = {
        "evaluator": spec.spec,
        "evaluator_kind": spec.kind,
        "run_id": spec.run_id,
        "methodology_id": plan.methodology_id,
        "methodology_version": plan.methodology_version,
        "as_of": as_of,
        "selection": f"cycle:{cycle_id}",
        "samples": samples,
        "created_by": params.get("created_by", "cycle"),
        "n_funds": len(rows),
        "state": "queued",
        "settings": json.dumps(settings, ensure_ascii=False),
    }
    for _ in range(MAX_ID_TRIES):
        with connect(home) as con:
            recorded = stored.max_evaluation_number(con)
        evaluation_id, path = ids.reserve(evaluations_dir(home), "eval", recorded)
        where = EvaluationFolder(path)
        try:
            _prompts(rows).to_parquet(where.prompts, index=False)
            config = {"evaluation_id": evaluation_id, "evaluator": spec.spec, **settings}
            where.config.write_text(json.dumps(config, ensure_ascii=False, indent=1), "utf-8")
            where.write_status(state="queued", total=len(rows) * samples, done=0,
                               message="starting")  # fmt: skip
            with connect(home) as con:
                stored.insert_evaluation(con, {**row, "evaluation_id": evaluation_id})
        except duckdb.ConstraintException:
            shutil.rmtree(path, ignore_errors=True)
            continue
        except BaseException:
            shutil.rmtree(path, ignore_errors=True)
            raise
        launch(where)
        log.info("%s: the model answers in %s", cycle_id, evaluation_id)
        return evaluation_id
    raise CycleError("could not find a free evaluation id; try again")


def collect(home: Home, evaluation_ids: list[str]) -> pd.DataFrame:
    """The answers (RESULT_COLUMNS) kept in the folders of `evaluation_ids`; for a (fund,
    sample) answered twice, the earlier evaluation's."""
    frames = []
    for evaluation_id in evaluation_ids:
        path = EvaluationFolder(evaluations_dir(home) / evaluation_id).results
        if path.is_file():
            frames.append(pd.read_parquet(path))
    if not frames:
        frame = pd.DataFrame(columns=list(RESULT_COLUMNS))
        return frame.astype({"grade": "Int64", "sample": "int64", "latency_ms": "float64"})
    answers = pd.concat(frames, ignore_index=True)
    return answers.drop_duplicates(["fund_id", "sample"]).reset_index(drop=True)


def lacking(answers: pd.DataFrame, fund_ids: pd.Series, samples: int) -> pd.Series:
    """Which of `fund_ids` lack some of their `samples` answers (a mask over `fund_ids`)."""
    have = answers[answers["sample"] < samples].groupby("fund_id")["sample"].nunique()
    return fund_ids.map(have).fillna(0).to_numpy() < samples


def model_answers(
    home: Home,
    folder: CycleFolder,
    plan: CyclePlan,
    as_of: str,
    rows: pd.DataFrame,
    params: dict,
    report: Callable[[dict[str, Any]], None] | None = None,
) -> pd.DataFrame:
    """Every fund's `samples` answers, reusing those the cycle's earlier evaluations made and
    generating the rest; CycleError when the model keeps failing, Stopped on request."""
    samples = int(params["samples"])

    def follow(status: dict[str, Any]) -> None:
        if folder.stop_requested():
            evaluation_jobs.stop(home, status["evaluation_id"])
        if report is not None:
            report(status)

    for _ in range(MAX_ATTEMPTS + 1):
        known = folder.evaluations()
        for evaluation_id in known:
            if evaluation_jobs.status(home, evaluation_id)["state"] in ("queued", "running"):
                evaluation_jobs.wait(home, evaluation_id, on_progress=follow)
        answers = collect(home, known)
        missing = lacking(answers, rows["fund_id"], samples)
        if not missing.any():
            return answers[answers["fund_id"].isin(set(rows["fund_id"]))].reset_index(drop=True)
        if folder.stop_requested():
            raise Stopped("stopped on request")
        if len(known) >= MAX_ATTEMPTS:
            break
        evaluation_id = start_answers(home, folder.cycle_id, plan, as_of, rows[missing], params)
        folder.write_status(evaluations=[*known, evaluation_id], evaluation_id=evaluation_id)
        ended = evaluation_jobs.wait(home, evaluation_id, on_progress=follow)
        if ended["state"] == "failed":
            raise CycleError(
                f"the model's answers failed ({evaluation_id}): {ended.get('message')}"
            )
    raise CycleError(
        f"{int(missing.sum())} funds still lack answers after {len(folder.evaluations())} "
        "evaluations; see their logs"
    )
