"""The leaderboard over several demo seeds: every evaluator on the same held-out funds.

For each data seed, a fresh synthetic demo (`--funds`, default the full 300) is built; the
built-in tiny model is trained with each `--algorithms` (warm-up then GRPO / RLOO, the run
settings of `engine.training.config.for_model` plus `--set`); then, on the held-out test funds
of the first run (every run of a seed has the same split: same data, same run seed):

- rules (the written methodology), the tabular baseline (given the same facts, the rule grade
  among them), the untrained model, SFT-only (the first run's warm-up) and each trained run;
- the ceiling: the demo's noise-free, habit-aware grade of the same funds (the written method
  plus the analysts' hidden habits, without their leniency and noise). Only the synthetic demo
  has this figure.

Figures per evaluator: QWK, exact, within one and invalid share, as mean ± sd over the seeds
and pooled over every seed's test funds with 95 % bootstrap intervals; each run's wall time.
The targets of the model-quality issue are checked and printed (pooled): GRPO at least rules +
0.03 QWK, GRPO at least SFT-only, invalid share under 2 %, each run at most 20 minutes. Where
GRPO adds nothing over SFT-only, the report says so.

    nice -n 5 .venv/bin/python bench/bench_leaderboard.py [--seeds 20260930,1,2] [--funds 300]
        [--prompt-style compact_anchored] [--rating-dates all] [--algorithms grpo,rloo]
        [--sft-steps N] [--steps N] [--set KEY=VALUE ...] [--work DIR] [--json FILE]

Homes are kept under --work (default a temporary folder) so a second call reuses finished runs.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine.demo.build import DemoConfig, build_demo, generate_demo, write_ceiling  # noqa: E402
from engine.evaluation import jobs  # noqa: E402
from engine.evaluation.agreement import compare  # noqa: E402
from engine.training import runs  # noqa: E402
from engine.training.config import RunConfig, for_model  # noqa: E402
from store.home import Home  # noqa: E402

MODEL = "builtin-tiny"
FIGURES = ("qwk", "exact", "within_one", "invalid_share")
RUN_LIMIT_MIN = 20.0
QWK_MARGIN = 0.03
INVALID_LIMIT = 0.02
CEILING = "ceiling (demo only)"


def _value(text: str):
    """A --set value as JSON when it parses, else the text."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def run_settings(args: argparse.Namespace, algorithm: str) -> dict:
    """The bench's changes to the tiny model's run settings for one algorithm."""
    changes = {"algorithm": algorithm, "prompt_style": args.prompt_style,
               "rating_dates": args.rating_dates}  # fmt: skip
    if args.sft_steps is not None:
        changes["sft_steps"] = args.sft_steps
    if args.steps is not None:
        changes["max_steps"] = args.steps
    for item in args.set:
        key, _, value = item.partition("=")
        changes[key.strip()] = _value(value.strip())
    return changes


def run_config(changes: dict) -> RunConfig:
    """The tiny model's run settings with `changes`; `model` (a model folder, say a larger
    built-in model) replaces the model but keeps the tiny model's adjusted settings."""
    config = for_model(MODEL, **{k: v for k, v in changes.items() if k != "model"})
    return replace(config, model=changes["model"]) if "model" in changes else config


def train(home: Home, changes: dict) -> tuple[str, float]:
    """(run id, minutes): a finished run of the tiny model with `changes`, reused when this
    bench already trained one with the same changes in `home`."""
    for path in sorted(home.runs.glob("run-*/bench.json")):
        done = json.loads(path.read_text())
        if (
            done["changes"] == changes
            and runs.status(home, path.parent.name)["state"] == "finished"
        ):
            return path.parent.name, done["minutes"]
    run_id = runs.create_run(home, run_config(changes).check(), created_by="bench")
    started = time.perf_counter()
    runs.start(home, run_id)
    status = runs.wait(home, run_id)
    minutes = (time.perf_counter() - started) / 60
    if status["state"] != "finished":
        raise SystemExit(f"{run_id} ended {status['state']}: {status.get('error')}")
    record = {"changes": changes, "minutes": minutes}
    (home.runs / run_id / "bench.json").write_text(json.dumps(record))
    return run_id, minutes


def evaluate(home: Home, spec: str, run_id: str) -> pd.DataFrame:
    """fund_id, expected (the expert's grade) and grade (None: invalid) of `spec` on the test
    funds of `run_id`."""
    evaluation_id = jobs.start_evaluation(
        home, spec, selection="test", run_id=run_id, batch_size=16, created_by="bench"
    )
    status = jobs.wait(home, evaluation_id)
    if status["state"] != "finished":
        raise SystemExit(f"{spec}: evaluation {evaluation_id} ended {status['state']}")
    rows = jobs.results(home, evaluation_id)
    rows = rows[rows["expert_grade"].notna()]
    return pd.DataFrame(
        {"fund_id": rows["fund_id"].astype(str), "expected": rows["expert_grade"].astype(int),
         "grade": rows["grade"].astype(float)}
    )  # fmt: skip


def ceiling(home: Home, config: DemoConfig, as_of: str, fund_ids: pd.Series) -> pd.DataFrame:
    """The demo's habit-aware, noise-free grade of `fund_ids` at `as_of` beside the expert's, as
    the demo build wrote it (`Home.demo_ceiling`; written now for a home built before that)."""
    if not home.demo_ceiling.is_file():
        write_ceiling(generate_demo(config), home.demo_ceiling)
    stored = pd.read_parquet(home.demo_ceiling)
    day = stored[pd.to_datetime(stored["as_of"]) == pd.Timestamp(as_of)]
    found = day.assign(fund_id=day["fund_id"].astype(str)).set_index("fund_id")
    found = found.reindex(fund_ids.to_numpy())
    return pd.DataFrame(
        {"fund_id": fund_ids.to_numpy(), "expected": found["expert_grade"].to_numpy(int),
         "grade": found["grade"].to_numpy(float)}
    )  # fmt: skip


def one_seed(args: argparse.Namespace, work: Path, seed: int) -> dict:
    """Every evaluator's answers on one seed's test funds, and each run's minutes."""
    home = Home(work / f"seed-{seed}")
    demo = DemoConfig(n_funds=args.funds, seed=seed)
    if not (home.root / "workbench.duckdb").exists():
        home.ensure()
        build_demo(home, demo)
    trained = {a: train(home, run_settings(args, a)) for a in args.algorithms}
    first = trained[args.algorithms[0]][0]
    as_of = runs.load_config(home, first).as_of
    model = run_config(run_settings(args, args.algorithms[0])).model
    specs = {"rules": "rules", "tabular": f"tabular:{first}", "untrained": f"base:{model}",
             "sft-only": f"sft:{first}"}  # fmt: skip
    specs |= {a: f"run:{run_id}" for a, (run_id, _) in trained.items()}
    answers = {name: evaluate(home, spec, first) for name, spec in specs.items()}
    funds = answers["rules"]["fund_id"]
    for name, frame in answers.items():
        if set(frame["fund_id"]) != set(funds):
            raise SystemExit(f"seed {seed}: {name} was run on other funds than the rules")
    answers[CEILING] = ceiling(home, demo, as_of, funds)
    return {"answers": answers, "minutes": {a: m for a, (_, m) in trained.items()},
            "test_funds": len(funds), "as_of": as_of}  # fmt: skip


def summarise(by_seed: dict[int, dict]) -> pd.DataFrame:
    """Per evaluator: mean and sd over seeds of each figure, and the pooled figures with CIs."""
    names = list(next(iter(by_seed.values()))["answers"])
    rows = []
    for name in names:
        per_seed = [
            compare(s["answers"][name]["expected"].tolist(),
                    s["answers"][name]["grade"].tolist(), n_boot=0)
            for s in by_seed.values()
        ]  # fmt: skip
        pooled_rows = pd.concat([s["answers"][name] for s in by_seed.values()])
        pooled = compare(pooled_rows["expected"].tolist(), pooled_rows["grade"].tolist())
        row = {"evaluator": name, "funds": int(pooled["n"])}
        for figure in FIGURES:
            values = [p[figure] for p in per_seed if p[figure] is not None]
            row[f"{figure}_mean"] = statistics.fmean(values) if values else None
            row[f"{figure}_sd"] = statistics.stdev(values) if len(values) > 1 else None
            row[f"{figure}_pooled"] = pooled[figure]
        for figure in ("qwk", "exact", "within_one"):
            row[f"{figure}_ci"] = pooled["ci"][figure]
        rows.append(row)
    return pd.DataFrame(rows)


def verdicts(table: pd.DataFrame, by_seed: dict[int, dict]) -> list[str]:
    """The issue's targets, checked on the pooled figures, in words."""
    pooled = table.set_index("evaluator")
    out = []
    if "grpo" in pooled.index:
        grpo, rules = pooled.at["grpo", "qwk_pooled"], pooled.at["rules", "qwk_pooled"]
        sft = pooled.at["sft-only", "qwk_pooled"]
        invalid = pooled.at["grpo", "invalid_share_pooled"]
        out.append(f"GRPO QWK {grpo:.3f} vs rules {rules:.3f} + {QWK_MARGIN}: "
                   + ("met" if grpo >= rules + QWK_MARGIN else "NOT met"))  # fmt: skip
        if grpo > sft:
            out.append(
                f"GRPO QWK {grpo:.3f} vs SFT-only {sft:.3f}: met, GRPO adds {grpo - sft:+.3f}"
            )
        else:
            tie = "a tie" if grpo == sft else "NOT met"
            out.append(f"GRPO QWK {grpo:.3f} vs SFT-only {sft:.3f}: {tie}: "
                       "GRPO adds nothing over the warm-up")  # fmt: skip
        out.append(f"GRPO invalid share {invalid:.1%} < {INVALID_LIMIT:.0%}: "
                   + ("met" if invalid < INVALID_LIMIT else "NOT met"))  # fmt: skip
    longest = max(m for s in by_seed.values() for m in s["minutes"].values())
    out.append(f"longest run {longest:.1f} min <= {RUN_LIMIT_MIN:.0f}: "
               + ("met" if longest <= RUN_LIMIT_MIN else "NOT met"))  # fmt: skip
    return out


def _fmt(value, sd=None) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "-"
    return f"{value:.3f}" + (f" ± {sd:.3f}" if sd is not None else "")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="20260930,1,2")
    parser.add_argument("--funds", type=int, default=300)
    parser.add_argument("--prompt-style", default="compact_anchored")
    parser.add_argument("--rating-dates", default="all")
    parser.add_argument("--algorithms", default="grpo,rloo")
    parser.add_argument("--sft-steps", type=int)
    parser.add_argument("--steps", type=int)
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--work", type=Path)
    parser.add_argument("--json", type=Path, help="write the figures to this file")
    args = parser.parse_args()
    args.algorithms = [a.strip() for a in args.algorithms.split(",") if a.strip()]
    seeds = [int(s) for s in args.seeds.split(",")]
    work = args.work or Path(tempfile.mkdtemp(prefix="bench-leaderboard-"))
    work.mkdir(parents=True, exist_ok=True)
    by_seed = {}
    for seed in seeds:
        started = time.perf_counter()
        by_seed[seed] = one_seed(args, work, seed)
        print(f"seed {seed}: {by_seed[seed]['test_funds']} test funds at {by_seed[seed]['as_of']}, "
              f"runs {by_seed[seed]['minutes']} min, {time.perf_counter() - started:.0f} s",
              flush=True)  # fmt: skip
    table = summarise(by_seed)
    print(f"\n{len(seeds)} seeds, {MODEL}, prompt {args.prompt_style}, rating dates "
          f"{args.rating_dates}; held-out test funds only; sd over seeds, pooled 95% CI")  # fmt: skip
    print(f"{'evaluator':22} {'QWK mean±sd':>16} {'QWK pooled [CI]':>24} {'exact':>7} "
          f"{'within1':>8} {'invalid':>8}")  # fmt: skip
    for row in table.sort_values("qwk_pooled", ascending=False).itertuples():
        ci = row.qwk_ci
        print(f"{row.evaluator:22} {_fmt(row.qwk_mean, row.qwk_sd):>16} "
              f"{_fmt(row.qwk_pooled):>7} [{_fmt(ci[0])}, {_fmt(ci[1])}] "
              f"{_fmt(row.exact_pooled):>7} {_fmt(row.within_one_pooled):>8} "
              f"{row.invalid_share_pooled:>8.1%}")  # fmt: skip
    print(f"({CEILING}: the synthetic demo's noise-free, habit-aware grade; no real data has it)")
    for line in verdicts(table, by_seed):
        print("-", line)
    if args.json:
        args.json.write_text(json.dumps(
            {"seeds": seeds, "settings": vars(args) | {"work": str(work), "json": str(args.json)},
             "minutes": {s: v["minutes"] for s, v in by_seed.items()},
             "table": table.to_dict("records"), "verdicts": verdicts(table, by_seed)},
            indent=1, default=str))  # fmt: skip
    print(f"homes kept in {work}")


if __name__ == "__main__":
    main()
