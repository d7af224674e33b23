"""The model's answers for a cycle: an ordinary background evaluation (`engine.evaluation.worker`,
batched generation, k samples) over the cycle's prompts, recorded in the store with the selection
`cycle:<cycle_id>` so that the Review page can show it.

The answers stay in the evaluation's folder. A resumed cycle first collects what its earlier
evaluations answered and asks the model only about the funds still lacking their k answers.

A new cycle launches its evaluation process first (`prestart`), before it computes the funds'
features: the process loads the model meanwhile and waits for its prompts, which
`start_answers` then writes (recording the evaluation in the store); unused, it is cancelled
and leaves nothing behind. While the model answers, the cycle does its other work (`meanwhile`).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import duckdb
import pandas as pd

from engine.cycle.folder import CycleFolder
from engine.cycle.plan import CycleError, CyclePlan
from engine.evaluation import jobs as evaluation_jobs
from engine.evaluation.evaluators import Evaluator, parse_evaluator
from engine.evaluation.folder import EvaluationFolder, evaluations_dir
from engine.evaluation.jobs import _model_for
from engine.jobs import ids
from engine.jobs.launch import launch
from engine.llm.generate import default_batch_size
from store import evaluations as stored
from store.db import connect
from store.evaluations import RESULT_COLUMNS
from store.home import Home

log = logging.getLogger(__name__)

MAX_ID_TRIES = 50
MAX_ATTEMPTS = 3  # evaluations started for one cycle run before it gives up
TEMPERATURE = 0.7
WAIT_POLL_S = 0.1  # how often the cycle looks at its evaluation (a status file read)


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


@dataclass
class Warm:
    """An evaluation process launched ahead of its prompts (`prestart`), not yet in the store."""

    evaluation_id: str
    folder: EvaluationFolder
    spec: Evaluator
    settings: dict
    used: bool = False


def _settings(home: Home, cycle_id: str, plan: CyclePlan, params: dict) -> tuple[Evaluator, dict]:
    """(the evaluator, the evaluation settings) of the plan's model answering for the cycle."""
    spec = parse_evaluator(plan.model)
    model_folder, thinking, length = _model_for(home, spec)
    samples = int(params["samples"])
    return spec, {
        "model_folder": str(model_folder),
        "batch_size": int(params.get("batch_size") or default_batch_size(model_folder)),
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


def _write_config(where: EvaluationFolder, evaluation_id: str, spec: Evaluator, settings: dict):
    config = {"evaluation_id": evaluation_id, "evaluator": spec.spec, **settings}
    where.config.write_text(json.dumps(config, ensure_ascii=False, indent=1), "utf-8")


def _write_prompts(where: EvaluationFolder, rows: pd.DataFrame) -> None:
    """prompts.parquet, whole at once (a waiting process reads it as soon as it exists)."""
    tmp = where.prompts.with_name(f".{where.prompts.name}.tmp")
    _prompts(rows).to_parquet(tmp, index=False)
    os.replace(tmp, where.prompts)


def _row(
    spec: Evaluator, plan: CyclePlan, as_of: str, cycle_id: str, settings: dict, params: dict,
    n_funds: int,
) -> dict:  # fmt: skip
    return {
        "evaluator": spec.spec,
        "evaluator_kind": spec.kind,
        "run_id": spec.run_id,
        "methodology_id": plan.methodology_id,
        "methodology_version": plan.methodology_version,
        "as_of": as_of,
        "selection": f"cycle:{cycle_id}",
        "samples": settings["samples"],
        "created_by": params.get("created_by", "cycle"),
        "n_funds": n_funds,
        "state": "queued",
        "settings": json.dumps(settings, ensure_ascii=False),
    }


def prestart(home: Home, cycle_id: str, plan: CyclePlan, params: dict) -> Warm:
    """Launch the evaluation process of the plan's model before the prompts exist: it loads
    the model and waits for them (`start_answers` writes them, `cancel` calls it off)."""
    spec, settings = _settings(home, cycle_id, plan, params)
    with connect(home) as con:
        recorded = stored.max_evaluation_number(con)
    evaluation_id, path = ids.reserve(evaluations_dir(home), "eval", recorded)
    where = EvaluationFolder(path)
    try:
        _write_config(where, evaluation_id, spec, settings)
        where.write_status(state="queued", done=0, message="loading the model")
        launch(where, note="start ahead of the prompts")
    except BaseException:
        shutil.rmtree(path, ignore_errors=True)
        raise
    log.info("%s: %s loads the model ahead of the prompts", cycle_id, evaluation_id)
    return Warm(evaluation_id, where, spec, settings)


def cancel(warm: Warm | None) -> None:
    """Call off an unused `prestart`: its process ends and removes its folder."""
    if warm is not None and not warm.used:
        warm.used = True
        if warm.folder.root.is_dir():
            warm.folder.stop_flag.touch()


def _start_warm(
    home: Home, warm: Warm, cycle_id: str, plan: CyclePlan, as_of: str, rows: pd.DataFrame,
    params: dict,
) -> str | None:  # fmt: skip
    """Hand `rows` to a prestarted process and record its evaluation; None when it is gone."""
    warm.used = True
    if not warm.folder.config.is_file():
        return None
    row = _row(warm.spec, plan, as_of, cycle_id, warm.settings, params, len(rows))
    try:
        _write_prompts(warm.folder, rows)
        with connect(home) as con:
            stored.insert_evaluation(con, {**row, "evaluation_id": warm.evaluation_id})
    except duckdb.ConstraintException:
        warm.folder.stop_flag.touch()
        return None
    except BaseException:
        warm.folder.stop_flag.touch()
        raise
    log.info("%s: the model answers in %s", cycle_id, warm.evaluation_id)
    return warm.evaluation_id


def start_answers(
    home: Home,
    cycle_id: str,
    plan: CyclePlan,
    as_of: str,
    rows: pd.DataFrame,
    params: dict,
    warm: Warm | None = None,
) -> str:
    """Start the background evaluation of `rows` by the plan's model; its evaluation id. An
    unused `warm` process (`prestart`) answers them when it is still there."""
    if warm is not None and not warm.used:
        started = _start_warm(home, warm, cycle_id, plan, as_of, rows, params)
        if started is not None:
            return started
    spec, settings = _settings(home, cycle_id, plan, params)
    row = _row(spec, plan, as_of, cycle_id, settings, params, len(rows))
    samples = settings["samples"]
    for _ in range(MAX_ID_TRIES):
        with connect(home) as con:
            recorded = stored.max_evaluation_number(con)
        evaluation_id, path = ids.reserve(evaluations_dir(home), "eval", recorded)
        where = EvaluationFolder(path)
        try:
            _write_prompts(where, rows)
            _write_config(where, evaluation_id, spec, settings)
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
    *,
    warm: Warm | None = None,
    meanwhile: Callable[[], None] | None = None,
) -> pd.DataFrame:
    """Every fund's `samples` answers, reusing those the cycle's earlier evaluations made and
    generating the rest (by `warm` when given, else cancelled); CycleError when the model keeps
    failing, Stopped on request. `meanwhile()` runs once, while the model answers (or at once
    when nothing is left to answer)."""
    samples = int(params["samples"])
    pending = [meanwhile] if meanwhile is not None else []

    def run_meanwhile() -> None:
        while pending:
            pending.pop()()

    reported: list[tuple] = []

    def follow(status: dict[str, Any]) -> None:
        if folder.stop_requested():
            evaluation_jobs.stop(home, status["evaluation_id"])
        progress = tuple(status.get(k) for k in ("evaluation_id", "done", "total", "message"))
        if report is not None and progress not in reported[-1:]:
            reported.append(progress)
            report(status)

    for _ in range(MAX_ATTEMPTS + 1):
        known = folder.evaluations()
        for evaluation_id in known:
            if evaluation_jobs.status(home, evaluation_id)["state"] in ("queued", "running"):
                run_meanwhile()
                evaluation_jobs.wait(home, evaluation_id, poll=WAIT_POLL_S, on_progress=follow)
        answers = collect(home, known)
        missing = lacking(answers, rows["fund_id"], samples)
        if not missing.any():
            cancel(warm)
            run_meanwhile()
            return answers[answers["fund_id"].isin(set(rows["fund_id"]))].reset_index(drop=True)
        if folder.stop_requested():
            raise Stopped("stopped on request")
        if len(known) >= MAX_ATTEMPTS:
            break
        evaluation_id = start_answers(
            home, folder.cycle_id, plan, as_of, rows[missing], params, warm
        )
        folder.write_status(evaluations=[*known, evaluation_id], evaluation_id=evaluation_id)
        run_meanwhile()
        ended = evaluation_jobs.wait(home, evaluation_id, poll=WAIT_POLL_S, on_progress=follow)
        if ended["state"] == "failed":
            raise CycleError(
                f"the model's answers failed ({evaluation_id}): {ended.get('message')}"
            )
    raise CycleError(
        f"{int(missing.sum())} funds still lack answers after {len(folder.evaluations())} "
        "evaluations; see their logs"
    )
