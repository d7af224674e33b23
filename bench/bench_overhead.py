"""Our run wrapper vs a bare TRL script with identical settings (target: ratio ≤ 1.05).

Both train the built-in tiny model with GRPO (no warm-up) for the same steps, from the same
frozen snapshot, with the same GRPOConfig values and reward functions, in a fresh process each,
alternating, `--repeat` times; the best wall time of each side is compared.
- wrapper: `python -m engine.training.worker RUN_DIR` (status file, events, sample recording, stop flag,
  device queue, checkpoint policy, final save, validation before and after GRPO on
  `eval_max_funds` funds);
- bare: `bench/bare_grpo.py` (TRL's GRPOTrainer and `save_model`, nothing else).
The wrapper's validation is a feature the bare script does not have, so the ratio is reported
both with it and without it (its seconds are in the run's `eval` events).

    .venv/bin/python bench/bench_overhead.py [--funds 40] [--steps 8] [--repeat 2] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from engine.llm.models import resolve  # noqa: E402
from engine.training import runs  # noqa: E402
from engine.training.config import for_model  # noqa: E402
from engine.training.folder import RunFolder  # noqa: E402

sys.path.insert(0, str(REPO / "bench"))
from bench_train import build_home  # noqa: E402


def _timed_process(args: list[str]) -> tuple[float, float]:
    """Wall and CPU (user + system) seconds of one child process."""
    env = {**os.environ, "OMP_WAIT_POLICY": "PASSIVE", "TOKENIZERS_PARALLELISM": "false"}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(args, cwd=REPO, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{args[1:3]} failed:\n{done.stderr[-3000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return seconds, cpu


def _eval_seconds(folder: RunFolder) -> float:
    events, _ = folder.read_events()
    return sum(e.get("seconds", 0.0) for e in events if e["kind"] == "eval")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--funds", type=int, default=40)
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-overhead-") as tmp:
        home, _ = build_home(Path(tmp) / "home", args.funds, "house")
        model_dir = resolve(home, "builtin-tiny")
        settings = {
            "sft_steps": 0,
            "max_steps": args.steps,
            "eval_max_funds": 1,
            "eval_every": 10**6,
            "save_every": 10**6,
            "device": "cpu",
        }
        wrapper, bare, evals = [], [], []
        for i in range(args.repeat):
            run_id = runs.create_run(home, for_model("builtin-tiny", **settings))
            folder = runs.run_folder(home, run_id)
            wrapper.append(
                _timed_process([sys.executable, "-m", "engine.training.worker", str(folder.root)])
            )
            evals.append(_eval_seconds(folder))
            state = folder.read_status().get("state")
            if state != "finished":
                raise SystemExit(f"wrapper run {run_id} ended {state}")
            out = Path(tmp) / f"bare-{i}"
            bare.append(
                _timed_process(
                    [sys.executable, str(REPO / "bench" / "bare_grpo.py"), str(folder.root),
                     str(model_dir), str(out)]
                )
            )  # fmt: skip
        result = {
            "funds": args.funds,
            "grpo_steps": args.steps,
            "repeat": args.repeat,
            "wrapper_wall_s": [round(w, 2) for w, _ in wrapper],
            "bare_wall_s": [round(w, 2) for w, _ in bare],
            "wrapper_cpu_s": [round(c, 2) for _, c in wrapper],
            "bare_cpu_s": [round(c, 2) for _, c in bare],
            "wrapper_validation_s": [round(s, 2) for s in evals],
        }
        best = min(range(args.repeat), key=lambda i: wrapper[i][0])
        bare_wall, bare_cpu = min(w for w, _ in bare), min(c for _, c in bare)
        result["ratio_wall"] = round(wrapper[best][0] / bare_wall, 3)
        result["ratio_wall_without_validation"] = round(
            (wrapper[best][0] - evals[best]) / bare_wall, 3
        )
        # CPU seconds include the wrapper's validation (its CPU share is not measured apart)
        result["ratio_cpu"] = round(min(c for _, c in wrapper) / bare_cpu, 3)
    if args.json:
        print(json.dumps(result))
        return
    print(
        f"builtin-tiny GRPO, {args.steps} steps, {args.funds} demo funds, best of {args.repeat}\n"
        f"  bare TRL script  wall {result['bare_wall_s']} s, CPU {result['bare_cpu_s']} s\n"
        f"  our run wrapper  wall {result['wrapper_wall_s']} s, CPU {result['wrapper_cpu_s']} s "
        f"(validation {result['wrapper_validation_s']} s)\n"
        f"  ratio wrapper / bare: wall {result['ratio_wall']:.3f} "
        f"({result['ratio_wall_without_validation']:.3f} without validation), "
        f"CPU {result['ratio_cpu']:.3f} (validation included); "
        "target ≤ 1.05"
    )


if __name__ == "__main__":
    main()
