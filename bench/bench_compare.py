"""GRPO vs RLOO vs SFT-only vs untrained vs rules vs the tabular baseline, on the demo.

Builds the synthetic demo (N funds, house methodology), trains two runs of the built-in tiny
model with identical settings but the RL algorithm (the same frozen snapshot, warm-up, rewards
and step budget), evaluates every evaluator on the first run's held-out test funds and writes
the comparison report (`engine.evaluation.report`) next to a JSON summary: the demo leaderboard.

    .venv/bin/python bench/bench_compare.py [--funds 200] [--sft-steps N] [--steps N]
        [--warmup-share 1.0] [--out bench/out/compare] [--lang en]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from bench_train import build_home  # noqa: E402

from engine.evaluation import jobs as evaluation  # noqa: E402
from engine.evaluation.report import build_report, report_data  # noqa: E402
from engine.llm.models import resolve  # noqa: E402
from engine.training import runs  # noqa: E402
from engine.training.config import for_model  # noqa: E402

FIGURES = ("n", "qwk", "exact", "within_one", "invalid_share")


def train(home, config) -> tuple[str, float]:
    """Create, start and wait for one run; (run id, wall seconds)."""
    run_id = runs.create_run(home, config, created_by="bench")
    started = time.monotonic()
    runs.start(home, run_id)
    status = runs.wait(home, run_id)
    if status["state"] != "finished":
        raise SystemExit(f"{run_id} ended {status['state']}: {status.get('message')}")
    return run_id, time.monotonic() - started


def evaluate(home, spec: str, run_id: str) -> str:
    """Evaluate `spec` on `run_id`'s test funds and wait for it; the evaluation id."""
    evaluation_id = evaluation.start_evaluation(
        home, spec, selection=f"test:{run_id}", run_id=run_id, created_by="bench"
    )
    status = evaluation.wait(home, evaluation_id)
    if status["state"] != "finished":
        raise SystemExit(f"{evaluation_id} ({spec}) ended {status['state']}")
    return evaluation_id


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--funds", type=int, default=200)
    parser.add_argument("--sft-steps", type=int)
    parser.add_argument("--steps", type=int)
    parser.add_argument("--warmup-share", type=float, default=1.0)
    parser.add_argument("--out", default=str(REPO / "bench" / "out" / "compare"))
    parser.add_argument("--lang", default="en", choices=("en", "ko"))
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    with tempfile.TemporaryDirectory(prefix="bench-compare-") as tmp:
        home, methodology_id = build_home(Path(tmp) / "home", args.funds, "house")
        resolve(home, "builtin-tiny")
        changes = {"methodology_id": methodology_id, "warmup_share": args.warmup_share}
        if args.sft_steps is not None:
            changes["sft_steps"] = args.sft_steps
        if args.steps is not None:
            changes["max_steps"] = args.steps
        grpo, grpo_s = train(home, for_model("builtin-tiny", **changes))
        rloo, rloo_s = train(home, for_model("builtin-tiny", algorithm="rloo", **changes))
        specs = ["rules", f"tabular:{grpo}", "base:builtin-tiny", f"sft:{grpo}",
                 f"run:{grpo}", f"run:{rloo}"]  # fmt: skip
        ids = [evaluate(home, spec, grpo) for spec in specs]
        report = out / f"report-{args.lang}.html"
        build_report(home, ids, report, lang=args.lang)
        data = report_data(home, ids)
    summary = {
        "funds": args.funds,
        "runs": {"grpo": [grpo, round(grpo_s, 1)], "rloo": [rloo, round(rloo_s, 1)]},
        "evaluations": dict(zip(specs, ids, strict=True)),
        "report": str(report),
        "verdict": data["verdict"],
        "evaluators": {
            e["label"]: {
                **{k: e["figures"].get(k) for k in FIGURES},
                **{k: e.get(k) for k in ("consistency", "grade_counts")},
                "cost": (e.get("run") or {}).get("cost"),
            }
            for e in data["evaluators"]
        },
    }
    (out / "summary.json").write_text(json.dumps(summary, indent=1, default=str))
    print(json.dumps(summary, indent=1, default=str)[:6000])


if __name__ == "__main__":
    main()
