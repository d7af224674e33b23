"""Live evaluation: the client's approved model grades one fund now (docs/clients-format.md
section 5).

The fund's prompt is the one an evaluation or a rating cycle would give it
(`engine.training.features.fund_features`: any eligible fund, rated by an expert or not, at the
latest NAV date unless `as_of` is given, under the run's methodology version, language and
prompt style); a fund the methodology does not rate is refused with the rule it fails. Generation and parsing are
`engine.llm.generate.generate` and `engine.evaluation.answers.read_answer`, as in a background
evaluation. Loaded models are cached per process (one per run) and generation is serialised by
a lock, so the API and the dashboard can call this from several threads. Nothing is written to the database: a live answer
is shown beside the published one and never replaces it.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from datetime import UTC, datetime
from typing import Any

from engine.evaluation.answers import read_answer
from engine.evaluation.evaluators import EvaluationError, parse_evaluator, run_config
from engine.evaluation.jobs import _model_for
from engine.llm import generate as generator
from engine.llm.device import resolve_device, resolve_dtype
from engine.llm.models import load
from engine.methodology import MethodologyError
from engine.methodology import get as get_methodology
from engine.training.features import fund_features
from engine.training.snapshot_format import SnapshotError
from store.clients import client_funds
from store.db import connect
from store.home import Home
from store.prices import latest_nav_date
from store.registry import current_model
from store.runs import get_run

log = logging.getLogger(__name__)

MAX_NEW_TOKENS = 512  # ceiling of a live answer's length, whatever the run or the caller asks
PROMPT_CACHE_S = 60.0  # how long a built set of prompts is reused (indicators change rarely)
# CPU threads for live generation (torch's intra-op pool, process-wide); unset: torch's default.
# On a small machine shared with other work, 1 thread can be many times faster than 2.
THREADS_ENV = "WORKBENCH_LIVE_THREADS"
_LOCK = threading.Lock()
_MODELS: dict[tuple[str, str], tuple[Any, Any, bool | None, int]] = {}
_PROMPTS: dict[tuple, tuple[float, Any]] = {}


class LiveError(ValueError):
    """A live evaluation cannot run; `code` is not_found, no_model, no_data or failed."""

    def __init__(self, message: str, code: str = "failed") -> None:
        super().__init__(message)
        self.code = code


def clear_cache() -> None:
    """Drop the models and prompts cached in this process."""
    with _LOCK:
        _MODELS.clear()
        _PROMPTS.clear()


def _context(home: Home, client_id: str, fund_id: str) -> dict:
    with connect(home) as con:
        if fund_id not in client_funds(con, client_id):
            raise LiveError(f"fund {fund_id} not found", "not_found")
        model = current_model(con, client_id)
        if model is None:
            raise LiveError(f"no model is approved for client {client_id}", "no_model")
        run = get_run(con, model["run_id"])
        newest = latest_nav_date(con)
    if run is None:
        raise LiveError(f"the approved run {model['run_id']} is not in the store", "no_model")

    try:
        style = run_config(home, model["run_id"]).get("prompt_style", "full")
    except (OSError, ValueError) as exc:
        raise LiveError(
            f"the approved run {model['run_id']} cannot be read: {exc}", "no_model"
        ) from exc
    return {"run_id": model["run_id"], "methodology_id": run["methodology_id"],
            "prompt_style": style, "methodology_version": int(run["methodology_version"]),
            "language": run["language"],
            "newest": str(newest) if newest else None}  # fmt: skip


def _features(home: Home, ctx: dict, as_of: str) -> Any:
    """Every eligible fund's prompt row at `as_of` (built at most once a minute per setting)."""
    key = (str(home.root), ctx["methodology_id"], ctx["methodology_version"], ctx["language"],
           ctx["prompt_style"], as_of)  # fmt: skip
    with _LOCK:
        cached = _PROMPTS.get(key)
    if cached is None or time.monotonic() - cached[0] > PROMPT_CACHE_S:
        try:
            with connect(home) as con:
                doc = get_methodology(con, ctx["methodology_id"], ctx["methodology_version"])
                rows = fund_features(
                    con, doc, as_of, language=ctx["language"], prompt_style=ctx["prompt_style"]
                )
        except (SnapshotError, MethodologyError, ValueError) as exc:
            raise LiveError(f"cannot build the fund's prompt: {exc}", "no_data") from exc
        cached = (time.monotonic(), rows.set_index("fund_id", drop=False))
        with _LOCK:
            _PROMPTS[key] = cached
    return cached[1]


def _prompt_row(home: Home, ctx: dict, fund_id: str, as_of: str | None) -> dict:
    """The fund's prompt row; LiveError naming why when the methodology does not rate it."""
    when = as_of or ctx["newest"]
    if when is None:
        raise LiveError("there are no NAVs in the store yet", "no_data")
    rows = _features(home, ctx, str(when))
    if fund_id not in rows.index:
        reasons = [e["reason"] for e in rows.attrs.get("excluded", []) if e["fund_id"] == fund_id]
        why = reasons[0] if reasons else "no prompt could be built for it"
        raise LiveError(f"fund {fund_id} cannot be graded on {when}: {why}", "no_data")
    return rows.loc[fund_id].to_dict()


def _model(home: Home, run_id: str, device: str):
    device = resolve_device(device)
    threads = os.environ.get(THREADS_ENV, "")
    if device == "cpu" and threads.isdigit() and int(threads) > 0:
        import torch

        torch.set_num_threads(int(threads))
    key = (str(home.root / "runs" / run_id), device)
    if key not in _MODELS:
        try:
            folder, thinking, length = _model_for(home, parse_evaluator(f"run:{run_id}"))
        except EvaluationError as exc:
            raise LiveError(str(exc), "no_model") from exc
        model, tokenizer = load(folder, dtype=resolve_dtype("auto", device), device=device)
        _MODELS[key] = (model, tokenizer, thinking, length)
    return _MODELS[key]


def live_evaluation(
    home: Home,
    client_id: str,
    fund_id: str,
    *,
    as_of: str | None = None,
    device: str = "auto",
    max_new_tokens: int | None = None,
    token_cap: int = MAX_NEW_TOKENS,
) -> dict:
    """Grade one of the client's funds with its approved model now; see the module doc. The
    answer is `max_new_tokens` long (default: the run's length), at most `token_cap`."""
    ctx = _context(home, client_id, fund_id)
    row = _prompt_row(home, ctx, fund_id, as_of)
    criteria = list(json.loads(row["grade_rule"])["weights"]) if row.get("grade_rule") else None
    began = time.perf_counter()
    with _LOCK:
        model, tokenizer, thinking, length = _model(home, ctx["run_id"], device)
        tokens = max(1, min(int(max_new_tokens or length), int(token_cap)))
        answers = generator.generate(
            model,
            tokenizer,
            [list(row["prompt"])],
            max_new_tokens=tokens,
            batch_size=1,
            thinking=thinking,
        )
    latency = (time.perf_counter() - began) * 1000.0
    text = answers[0][0] if answers and answers[0] else ""
    answer = read_answer(text, criteria)
    return {
        "fund_id": fund_id,
        "client_id": client_id,
        "run_id": ctx["run_id"],
        "as_of": str(row["as_of"]),
        "methodology_id": ctx["methodology_id"],
        "methodology_version": ctx["methodology_version"],
        "grade": answer["grade"],
        "scores": json.loads(answer["scores"]) if answer["scores"] else None,
        "reasoning": answer["reasoning"],
        "thinking": answer["thinking"],
        "parse_status": answer["parse_status"],
        "parse_error": answer["parse_error"],
        "latency_ms": round(latency, 1),
        "max_new_tokens": tokens,
        "evaluated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "live": True,
    }
