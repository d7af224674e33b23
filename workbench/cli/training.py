"""`python -m workbench train …` and `python -m workbench runs list|show|stop|resume …`.

Thin layers over `engine.training.runs`: `train` creates a run (the active methodology and the latest
rating date unless told otherwise), prepares the model, starts the background process and,
with `--wait`, blocks until it ends and prints the final figures.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict, fields

from engine.llm.models import resolve
from engine.training import runs
from engine.training.config import RunConfig, TrainingError, for_model, parse_weights
from store.home import Home

FINAL_KEYS = ("exact", "within_one", "qwk", "invalid_share")


class TrainingCliError(ValueError):
    """A bad training request, or a run that failed: one line, exit status 2."""


def _translate(func):
    """Run a command, turning engine errors into one-line CLI errors."""

    def command(args: argparse.Namespace, home: Home) -> dict:
        try:
            return func(args, home)
        except TrainingError as exc:
            raise TrainingCliError(str(exc)) from exc

    command.__doc__ = func.__doc__
    return command


def _progress(fraction: float, message: str) -> None:
    print(f"[{fraction:4.0%}] {message}", file=sys.stderr, flush=True)


def _parse_set(items: list[str]) -> dict:
    """--set key=value pairs as RunConfig changes (values read as JSON when they parse)."""
    known = {f.name for f in fields(RunConfig)}
    changes = {}
    for item in items or []:
        key, sep, raw = item.partition("=")
        key = key.strip().replace("-", "_")
        if not sep or key not in known:
            raise TrainingCliError(f"--set needs KEY=VALUE with a run setting as KEY, got '{item}'")
        try:
            changes[key] = json.loads(raw)
        except json.JSONDecodeError:
            changes[key] = raw
    return changes


def config_from_args(args: argparse.Namespace):
    """The RunConfig a `train` command asks for (the model's defaults, then the options)."""
    changes = {
        "methodology_id": args.methodology or "",
        "methodology_version": args.version,
        "as_of": args.as_of.isoformat() if args.as_of else None,
        "language": args.lang,
        "seed": args.seed,
        "algorithm": args.algorithm,
        "max_steps": args.steps,
        "sft_steps": args.sft_steps,
        "learning_rate": args.lr,
        "num_generations": args.num_generations,
        "max_completion_length": args.max_completion_length,
        "beta": args.beta,
        "device": args.device,
        "lora": args.lora or None,
        "thinking": args.thinking or None,
        "reward_weights": parse_weights(args.reward_weights) if args.reward_weights else None,
    }
    changes = {k: v for k, v in changes.items() if v is not None}
    changes.update(_parse_set(args.set))
    if args.num_generations and "per_device_train_batch_size" not in changes:
        changes["per_device_train_batch_size"] = _batch_for(args.num_generations)
    return for_model(args.model, **changes).check()


def _batch_for(num_generations: int) -> int:
    """A training batch of whole groups, about 8 answers."""
    return num_generations * max(1, 8 // num_generations)


def _final_line(status: dict) -> str:
    final = status.get("final") or {}
    agreement = final.get("agreement_final") or {}
    before = final.get("agreement_before_grpo") or {}
    parts = [f"{status['run_id']}: {status.get('state')}"]
    if status.get("message") and status.get("state") != "finished":
        parts.append(str(status["message"]))
    if final.get("reward") is not None:
        parts.append(f"reward {final['reward']:.3f}")
    if agreement:
        parts.append(
            "validation "
            + ", ".join(f"{k} {agreement[k]:.2f}" for k in FINAL_KEYS if k in agreement)
        )
    if before:
        parts.append(
            f"(before GRPO: qwk {before.get('qwk', 0):.2f}, exact {before.get('exact', 0):.2f})"
        )
    return "  ".join(parts)


def _finish(home: Home, run_id: str, wait: bool) -> dict:
    if not wait:
        status = runs.status(home, run_id)
        return {
            **status,
            "summary": f"{run_id}: {status['state']} (follow with: runs show {run_id})",
        }
    status = runs.wait(home, run_id)
    runs.sync(home)
    if status["state"] == "failed":
        raise TrainingCliError(f"{run_id} failed: {status.get('message')}")
    return {**status, "summary": _final_line(status)}


@_translate
def cmd_train(args: argparse.Namespace, home: Home) -> dict:
    """Create a training run (warm-up then GRPO or RLOO) and start it in the background."""
    config = config_from_args(args)
    resolve(home, config.model, _progress if not args.json else lambda *_: None)
    run_id = runs.create_run(home, config)
    runs.start(home, run_id)
    return _finish(home, run_id, args.wait)


@_translate
def cmd_runs_list(args: argparse.Namespace, home: Home) -> dict:
    """Every run with its state and final figures, newest first."""
    listed = runs.list_runs(home)
    lines = []
    for r in listed:
        agreement = ((r.get("final") or {}).get("agreement_final")) or {}
        figures = f"qwk {agreement['qwk']:.2f} exact {agreement['exact']:.2f}" if agreement else ""
        steps = f"{r.get('steps_done', '-')}/{r.get('steps_total', '-')}"
        lines.append(
            f"{r['run_id']}  {r.get('state', '?'):9} {r.get('model', '')}  "
            f"{r.get('algorithm', '')}  "
            f"{r.get('methodology_id', '')} v{r.get('methodology_version', '')}  {steps}  {figures}"
            + (f"  ({r['note']})" if r.get("note") else "")
        )
    return {"runs": listed, "summary": "\n".join(lines) or "no runs yet"}


@_translate
def cmd_runs_show(args: argparse.Namespace, home: Home) -> dict:
    """One run: status, settings, final figures and the latest validation agreement."""
    runs.recover(home)
    status = runs.status(home, args.run_id)
    config = runs.load_config(home, args.run_id)
    events, _ = runs.read_events(home, args.run_id)
    evals = [e for e in events if e["kind"] == "eval"]
    train = [e for e in events if e["kind"] == "train"]
    lines = [
        f"{args.run_id}: {status['state']} ({status.get('phase') or '-'} step "
        f"{status.get('step', 0)}/{status.get('max_steps', '-')}) {status.get('message') or ''}",
        f"model {config.model}, {config.methodology_id} v{config.methodology_version} as of "
        f"{config.as_of}, {config.language}; warm-up {config.sft_steps} steps, "
        f"{config.algorithm.upper()} {config.max_steps} steps, {config.num_generations} answers "
        "per fund",
    ]
    if train:
        last = train[-1]
        shown = {k: last[k] for k in ("loss", "reward") if isinstance(last.get(k), int | float)}
        lines.append(
            f"last {last['phase']} step {last['step']}: "
            + ", ".join(f"{k} {v:.4g}" for k, v in shown.items())
        )
    for e in evals[-3:]:
        lines.append(
            f"validation at {e['phase']} step {e['step']} ({e.get('stage')}): "
            + ", ".join(f"{k} {e[k]:.2f}" for k in FINAL_KEYS if k in e)
        )
    if status.get("eta_s") is not None:
        lines.append(f"about {status['eta_s']:.0f} s left")
    return {**status, "config": asdict(config), "evals": evals, "summary": "\n".join(lines)}


@_translate
def cmd_runs_stop(args: argparse.Namespace, home: Home) -> dict:
    """Stop a run at its next step, with a checkpoint (a queued run is cancelled)."""
    status = runs.stop(home, args.run_id)
    if args.wait:
        status = runs.wait(home, args.run_id)
    runs.sync(home)
    return {**status, "summary": f"{args.run_id}: {status['state']}"}


@_translate
def cmd_runs_resume(args: argparse.Namespace, home: Home) -> dict:
    """Resume a stopped or failed run from its last checkpoint."""
    runs.resume(home, args.run_id)
    return _finish(home, args.run_id, args.wait)
