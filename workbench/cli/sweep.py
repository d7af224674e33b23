"""`python -m workbench sweep …`: the hyper-parameter sweep (num_generations × reward weights).

A thin layer over `engine.training.sweep`: prepares the model, queues one run per grid point (they train
one after another), and prints the sweep's results table; `--results [ID]` prints the table of
an existing sweep instead, `--wait` blocks until every run has ended.
"""

from __future__ import annotations

import argparse
import math
import sys

from engine.llm.models import resolve
from engine.training import runs, sweep
from engine.training.config import TrainingError, for_model
from engine.training.sweep import results
from store.home import Home
from workbench.cli.training import TrainingCliError

TABLE_COLUMNS = (
    ("run_id", "run", "{}"),
    ("num_generations", "G", "{}"),
    ("reward_weights", "weights", "{}"),
    ("state", "state", "{}"),
    ("reward", "reward", "{:.3f}"),
    ("qwk", "qwk", "{:.2f}"),
    ("exact", "exact", "{:.2f}"),
    ("invalid_share", "invalid", "{:.2f}"),
    ("qwk_before_grpo", "qwk_before", "{:.2f}"),
)


def _progress(fraction: float, message: str) -> None:
    print(f"[{fraction:4.0%}] {message}", file=sys.stderr, flush=True)


def _cell(value, pattern: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return pattern.format(value)


def results_text(record: dict, table) -> str:
    """The sweep's results as aligned text lines."""
    header = [label for _, label, _ in TABLE_COLUMNS]
    rows = [
        [_cell(row[key], pattern) for key, _, pattern in TABLE_COLUMNS]
        for row in table.to_dict("records")
    ]
    widths = [max(len(str(c)) for c in column) for column in zip(header, *rows, strict=True)]
    lines = [f"{record['sweep_id']}: {len(rows)} runs (created {record['created_at']})"]
    for cells in [header, *rows]:
        lines.append(
            "  ".join(str(c).ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()
        )
    return "\n".join(lines)


def _base_config(args: argparse.Namespace):
    changes = {
        "max_steps": args.steps,
        "sft_steps": args.sft_steps,
        "methodology_id": args.methodology or "",
        "methodology_version": args.version,
        "as_of": args.as_of.isoformat() if args.as_of else None,
        "language": args.lang,
    }
    return for_model(args.model, **{k: v for k, v in changes.items() if v is not None})


def _answer(home: Home, record: dict) -> dict:
    table = results(home, record)
    rows = table.astype(object).where(table.notna(), None).to_dict("records")
    return {**record, "results": rows, "summary": results_text(record, table)}


def cmd_sweep(args: argparse.Namespace, home: Home) -> dict:
    """Queue one training run per num_generations × reward-weights combination."""
    try:
        if args.results is not None:
            record = sweep.get_sweep(home, args.results or None)
        else:
            if not args.num_generations or not args.reward_weights:
                raise TrainingCliError(
                    "sweep needs --num-generations and --reward-weights (or --results [ID])"
                )
            generations = sweep.parse_generations(args.num_generations)
            weight_sets = sweep.parse_weight_sets(args.reward_weights)
            base = _base_config(args)
            sweep.sweep_configs(base, sweep.grid(generations, weight_sets))  # refuse before work
            resolve(home, base.model, _progress if not args.json else lambda *_: None)
            record = sweep.launch(home, base, generations, weight_sets)
        if args.wait:
            for item in record["runs"]:
                runs.wait(home, item["run_id"])
            runs.sync(home)
    except TrainingError as exc:
        raise TrainingCliError(str(exc)) from exc
    return _answer(home, record)
