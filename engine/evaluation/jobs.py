"""Evaluations: grade a set of funds with one evaluator and store the answers side by side.

docs/review-format.md section 1 is the contract; `engine.evaluation.evaluators` says who grades which funds
(specs, selections, prompts, the rules and tabular evaluators). Rules and tabular evaluators run
inline and are recorded in one transaction. Language-model evaluators run as a background job
(`engine.evaluation.worker`) in `evaluations/<evaluation_id>/` (config.json, prompts.parquet,
status.json, results.parquet, log.txt, stop; `engine.evaluation.folder`); the job never opens
DuckDB, and `sync(home)` imports what ended (idempotent). The summary stored with a finished
evaluation is `engine.evaluation.agreement.compare` against the experts' grades at its as_of.
"""

from __future__ import annotations

import json
import logging
import shutil
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from engine.evaluation.evaluators import (
    EvaluationError,
    Evaluator,
    default_selection,
    parse_evaluator,
    parse_selection,
    rules_results,
    run_config,
    run_dir,
    summary_of,
    tabular_results,
    target_rows,
)
from engine.evaluation.folder import (
    ACTIVE_STATES,
    END_STATES,
    EVAL_ID_RE,
    EvaluationFolder,
    evaluations_dir,
)
from engine.evaluation.fund_sets import split_run, training_ids
from engine.jobs import ids, liveness
from engine.jobs.jsonfiles import parse_time
from engine.jobs.launch import launch
from engine.jobs.wait import wait_until
from engine.llm import models
from engine.llm.generate import default_batch_size
from engine.training.config import MODEL_DEFAULTS
from engine.training.folder import is_complete
from store import evaluations as stored
from store.db import connect
from store.home import Home

__all__ = [
    "ACTIVE_STATES",
    "END_STATES",
    "EvaluationError",
    "Evaluator",
    "evaluations_dir",
    "get_evaluation",
    "list_evaluations",
    "parse_evaluator",
    "parse_selection",
    "recover",
    "results",
    "start_evaluation",
    "status",
    "stop",
    "sync",
    "wait",
]

log = logging.getLogger(__name__)

DEFAULT_MAX_NEW_TOKENS = 512
DEFAULT_TEMPERATURE = 0.7
POLL_S = 0.5
MAX_ID_TRIES = 50


# ---------------------------------------------------------------- recording


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _record(home: Home, row: dict, results=None, files=None) -> str:
    """Give `row` the next free id and record it; `files(folder, id)` fills a job folder first
    (inline evaluations keep no folder). A taken id (another writer) moves to the next one."""
    for _ in range(MAX_ID_TRIES):
        with connect(home) as con:
            recorded = stored.max_evaluation_number(con)
        evaluation_id, folder = ids.reserve(evaluations_dir(home), "eval", recorded)
        try:
            if files is not None:
                files(EvaluationFolder(folder), evaluation_id)
            with connect(home) as con:
                stored.insert_evaluation(con, {**row, "evaluation_id": evaluation_id}, results)
        except duckdb.ConstraintException:
            shutil.rmtree(folder, ignore_errors=True)
            continue
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        if files is None:
            folder.rmdir()
        return evaluation_id
    raise EvaluationError("could not find a free evaluation id; try again")


# ---------------------------------------------------------------- start


def _model_for(home: Home, evaluator: Evaluator) -> tuple[Path, bool | None, int]:
    """(model folder, thinking setting, default answer length) of a language-model evaluator."""
    if evaluator.kind == "base":
        length = MODEL_DEFAULTS.get(evaluator.model, {}).get(
            "max_completion_length", DEFAULT_MAX_NEW_TOKENS
        )
        thinking = True if getattr(models.PRESETS.get(evaluator.model), "thinking", False) else None
        return models.resolve(home, evaluator.model), thinking, int(length)
    config = run_config(home, evaluator.run_id)
    name = "sft_model" if evaluator.kind == "sft" else "model"
    folder = home.runs / evaluator.run_id / name
    if not is_complete(folder):
        what = "warm-up (SFT) model" if evaluator.kind == "sft" else "final model"
        why = _run_state(home, evaluator.run_id)
        if evaluator.kind == "sft" and config.get("sft_steps") == 0:
            why = "it was set up without a warm-up"
        raise EvaluationError(f"{evaluator.run_id} has no {what} ({why})")
    length = config.get("max_completion_length") or DEFAULT_MAX_NEW_TOKENS
    return folder, bool(config.get("thinking", False)), int(length)


def _run_state(home: Home, run_id: str) -> str:
    try:
        status = json.loads((home.runs / run_id / "status.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return "its state is unknown"
    return f"it is {status.get('state', 'in an unknown state')}"


def _check_numbers(
    samples: int, batch_size: int | None, temperature: float, tokens: int | None
) -> None:
    problems = []
    for name, value in (("samples", samples), ("batch_size", batch_size)):
        if name == "batch_size" and value is None:
            continue
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            problems.append(f"{name} must be a whole number of at least 1, got {value!r}")
    if tokens is not None and (not isinstance(tokens, int) or tokens < 1):
        problems.append(f"max_new_tokens must be a whole number of at least 1, got {tokens!r}")
    if not 0 < temperature <= 5:
        problems.append(f"temperature must be above 0 and at most 5, got {temperature!r}")
    if problems:
        raise EvaluationError("; ".join(problems))


def start_evaluation(
    home: Home,
    evaluator: str,
    *,
    selection: str | None = None,
    as_of: Any = None,
    methodology: tuple[str, int | None] | None = None,
    samples: int = 1,
    batch_size: int | None = None,
    created_by: str = "cli",
    run_id: str | None = None,
    language: str | None = None,
    max_new_tokens: int | None = None,
    temperature: float = DEFAULT_TEMPERATURE,
    device: str = "auto",
    seed: int = 0,
) -> str:
    """Evaluate a fund selection with an evaluator spec; returns the new evaluation id.

    Rules and tabular evaluators finish before this returns; language models start a
    background job (follow it with `status` / `wait`, end it early with `stop`). `run_id` fills
    a bare `test` selection or run-based spec (a bare `base`: the model the run started from);
    without a `selection`, the held-out test funds of the evaluator's run, or of `run_id` (the
    run a rules, tabular or untrained evaluation is compared with), else all rated funds
    (`default_selection`); the training funds of that run in the selection are counted in the
    settings (`training_funds_in_selection`, `split_run`). `samples` > 1 adds sampled answers at
    `temperature` for self-consistency (language models only); `max_new_tokens` defaults to the
    run's (or the preset's) answer length; `batch_size` to the model's (`default_batch_size`:
    128 for a small model such as builtin-tiny, else 8), as the rating cycle's.
    """
    if (evaluator or "").strip() == "base" and run_id:  # the model the run started from
        evaluator = f"base:{run_config(home, run_id)['model']}"
    spec = parse_evaluator(evaluator, run_id)
    _check_numbers(samples, batch_size, temperature, max_new_tokens)
    if samples > 1 and not spec.is_model:
        raise EvaluationError(f"{spec.spec} is deterministic: several samples need a model")
    if device not in ("auto", "cpu", "cuda"):
        raise EvaluationError(f"device must be auto, cpu or cuda, got '{device}'")
    for run in dict.fromkeys(r for r in (spec.run_id, run_id) if r):
        run_dir(home, run)
    if not (selection or "").strip():
        selection = default_selection(home, spec, run_id)
    selection = parse_selection(selection, run_id or spec.run_id)
    rows = target_rows(
        home, spec, selection, as_of=as_of, methodology=methodology, language=language, seed=seed
    )
    meta = rows.attrs
    row = {
        "evaluator": spec.spec,
        "evaluator_kind": spec.kind,
        "run_id": spec.run_id,
        "methodology_id": meta["methodology_id"],
        "methodology_version": int(meta["methodology_version"]),
        "as_of": meta["as_of"],
        "selection": selection,
        "samples": samples,
        "created_by": created_by,
        "n_funds": len(rows),
    }
    split = split_run(spec, selection, run_id)
    seen = {"split_run": split, "training_funds_in_selection": _seen_in_training(home, split, rows)}
    if not spec.is_model:
        return _run_inline(home, spec, rows, row, seed, seen)
    folder, thinking, length = _model_for(home, spec)
    settings = {
        **seen,
        "model_folder": str(folder),
        "batch_size": batch_size or default_batch_size(folder),
        "samples": samples,
        "max_new_tokens": max_new_tokens or length,
        "temperature": temperature,
        "decoding": "greedy" + (f" + {samples - 1} sampled" if samples > 1 else ""),
        "thinking": thinking,
        "device": device,
        "dtype": "auto",
        "seed": seed,
        "language": str(rows["language"].iloc[0]),
    }

    def files(where: EvaluationFolder, evaluation_id: str) -> None:
        prompts = pd.DataFrame(
            {
                "fund_id": rows["fund_id"].to_numpy(),
                "prompt": [json.dumps(list(p), ensure_ascii=False) for p in rows["prompt"]],
                "criterion_ids": [
                    json.dumps(list(json.loads(r)["weights"])) if isinstance(r, str) else None
                    for r in rows["grade_rule"]
                ],
            }
        )
        prompts.to_parquet(where.prompts, index=False)
        config = {"evaluation_id": evaluation_id, "evaluator": spec.spec, **settings}
        where.config.write_text(json.dumps(config, ensure_ascii=False, indent=1), "utf-8")
        where.write_status(state="queued", total=len(rows) * samples, done=0, message="starting")

    row.update(state="queued", settings=json.dumps(settings, ensure_ascii=False))
    evaluation_id = _record(home, row, files=files)
    launch(_folder(home, evaluation_id))
    return evaluation_id


def _seen_in_training(home: Home, run_id: str | None, rows: pd.DataFrame) -> int:
    """How many of the funds `run_id` trained on (0 without a run): figures on them are
    in-sample for that run's models and its tabular baseline."""
    if not run_id:
        return 0
    train = training_ids(home, run_id)
    if train is None:
        raise EvaluationError(f"{run_id}'s training split cannot be read (its snapshot)")
    return int(rows["fund_id"].astype(str).isin(train).sum())


def _run_inline(
    home: Home, spec: Evaluator, rows: pd.DataFrame, row: dict, seed: int, seen: dict
) -> str:
    began = time.perf_counter()
    if spec.kind == "rules":
        frame = rules_results(rows)
        settings = {
            "scorer": "engine.methodology.scoring (reference grade of the snapshot)",
            **seen,
        }
    else:
        frame, settings = tabular_results(home, spec.run_id, rows, seed)
        settings = {**seen, **settings}
    frame["latency_ms"] = (time.perf_counter() - began) * 1000.0 / max(1, len(frame))
    with connect(home) as con:
        summary = summary_of(con, row["as_of"], frame)
    invalid = int(frame["grade"].isna().sum())
    row.update(
        state="finished",
        finished_at=_now(),
        settings=json.dumps(settings, ensure_ascii=False),
        summary=json.dumps(summary, ensure_ascii=False) if summary else None,
        message=f"{len(frame)} funds graded" + (f", {invalid} without a grade" if invalid else ""),
    )
    return _record(home, row, results=frame)


# ---------------------------------------------------------------- reading, stopping, waiting


def _folder(home: Home, evaluation_id: str) -> EvaluationFolder:
    if not EVAL_ID_RE.match(evaluation_id or ""):
        raise EvaluationError(f"'{evaluation_id}' is not an evaluation id (eval-0001, …)")
    return EvaluationFolder(evaluations_dir(home) / evaluation_id)


def recover(home: Home) -> list[str]:
    """Mark jobs that say queued/running but whose process is gone as failed; their ids."""
    root = evaluations_dir(home)
    return liveness.recover(EvaluationFolder(path) for path in ids.job_dirs(root, EVAL_ID_RE))


def status(home: Home, evaluation_id: str) -> dict[str, Any]:
    """state, done / total answers, progress (0-1), eta_s, elapsed_s, message, … of an
    evaluation: from its job folder (no database) or, for an inline one, from the store."""
    folder = _folder(home, evaluation_id)
    current = folder.read_status()
    if not current:
        row = get_evaluation(home, evaluation_id)
        done = int(row["n_funds"] or 0) * int(row["samples"])
        return {
            "evaluation_id": evaluation_id,
            "state": row["state"],
            "done": done,
            "total": done,
            "progress": 1.0 if row["state"] == "finished" else 0.0,
            "eta_s": None,
            "elapsed_s": None,
            "message": row["message"],
            "alive": False,
        }
    if current.get("state") in ACTIVE_STATES and not liveness.alive(folder, current):
        recover(home)
        current = folder.read_status()
    total, done = int(current.get("total") or 0), int(current.get("done") or 0)
    started = parse_time(current.get("started_at"))
    ended = parse_time(current.get("finished_at"))
    return {
        **current,
        "evaluation_id": evaluation_id,
        "alive": current.get("state") in ACTIVE_STATES,
        "stop_requested": folder.stop_requested(),
        "progress": done / total if total else 0.0,
        "elapsed_s": round((ended or time.time()) - started, 1) if started else None,
    }


def stop(home: Home, evaluation_id: str) -> dict[str, Any]:
    """Ask a running evaluation to stop after its current batch (answers so far are kept)."""
    folder = _folder(home, evaluation_id)
    current = status(home, evaluation_id)
    if current["state"] in ACTIVE_STATES and folder.root.is_dir():
        folder.stop_flag.touch()
    return status(home, evaluation_id)


def wait(
    home: Home,
    evaluation_id: str,
    timeout: float | None = None,
    *,
    poll: float = POLL_S,
    on_progress=None,
) -> dict[str, Any]:
    """Block until the evaluation ends (or `timeout` seconds pass); then `sync` and return its
    status, with `agreement` (the stored summary) once it has ended."""
    current = wait_until(
        lambda: status(home, evaluation_id),
        lambda s: s["state"] in END_STATES,
        timeout,
        poll,
        on_progress,
    )
    if current["state"] not in END_STATES:
        return current
    sync(home)
    return {**current, "agreement": get_evaluation(home, evaluation_id)["summary"]}


def _ended_at(text: str | None) -> datetime | None:
    if not text:
        return None
    return datetime.fromisoformat(text).astimezone(UTC).replace(tzinfo=None)


def sync(home: Home) -> int:
    """Import every ended job's results (with its agreement summary) and copy running jobs'
    states into the store; a job already imported is left alone. How many evaluations changed."""
    recover(home)
    root = evaluations_dir(home)
    folders = [EvaluationFolder(path) for path in ids.job_dirs(root, EVAL_ID_RE)]
    if not folders:
        return 0
    changed = 0
    with connect(home) as con:
        for folder in folders:
            row = stored.get_evaluation(con, folder.evaluation_id)
            current = folder.read_status()
            state = current.get("state")
            if row is None or state not in (*ACTIVE_STATES, *END_STATES):
                continue
            if state in ACTIVE_STATES:
                changed += stored.update_state(
                    con, folder.evaluation_id, state=state, message=current.get("message")
                )
                continue
            if row["state"] == state and row["finished_at"] is not None:
                continue  # imported before
            path = folder.results
            frame = pd.read_parquet(path) if path.is_file() else None
            summary = summary_of(con, str(row["as_of"]), frame) if frame is not None else None
            settings = {
                **json.loads(row["settings"] or "{}"),
                **{k: current[k] for k in ("device", "dtype") if current.get(k)},
            }
            stored.import_results(
                con,
                folder.evaluation_id,
                path if frame is not None else None,
                state=state,
                message=current.get("message"),
                finished_at=_ended_at(current.get("finished_at")) or _now(),
                n_funds=int(frame["fund_id"].nunique()) if frame is not None else None,
                summary=json.dumps(summary, ensure_ascii=False) if summary else None,
                settings=json.dumps(settings, ensure_ascii=False),
            )
            changed += 1
    return changed


def get_evaluation(home: Home, evaluation_id: str) -> dict[str, Any]:
    """An evaluation's stored row, settings and summary as dicts; EvaluationError if unknown."""
    _folder(home, evaluation_id)
    with connect(home) as con:
        row = stored.get_evaluation(con, evaluation_id)
    if row is None:
        raise EvaluationError(f"there is no evaluation {evaluation_id}")
    for key in ("settings", "summary"):
        row[key] = json.loads(row[key]) if row[key] else None
    return row


def results(home: Home, evaluation_id: str, *, all_samples: bool = False) -> pd.DataFrame:
    """An evaluation's answers (see `store.evaluations.results`): one row per fund with the
    expert's grade, fund name, category and company; every sample with `all_samples`."""
    get_evaluation(home, evaluation_id)
    with connect(home) as con:
        return stored.results(con, evaluation_id, all_samples)


def list_evaluations(home: Home) -> pd.DataFrame:
    """Every evaluation, newest first, after importing what ended (`sync`)."""
    sync(home)
    with connect(home) as con:
        return stored.list_evaluations(con)
