"""A full demo training run on this machine: wall time, s per step, peak memory, agreement.

Builds the synthetic demo (N funds) with the demo house's methodology active, creates a run
through `engine.training.runs` (the same path as the app and CLI: a background `engine.training.worker` process
with warm-up then GRPO) and reports
- wall time of the whole run, of the warm-up and of GRPO; seconds per warm-up and GRPO step;
- the training process's peak resident memory (VmHWM, polled from /proc);
- validation agreement with the experts (QWK, exact, within one grade, invalid share and the
  distribution of predicted grades) untrained, after the warm-up and after GRPO, next to the
  rule-based scorer's agreement on the same validation funds.

    .venv/bin/python bench/bench_train.py [--model builtin-tiny] [--funds 120] [--sft-steps N]
        [--steps N] [--methodology house|blank] [--eval-funds 24] [--set KEY=VALUE ...] [--json]

`--model smollm2-135m` runs the real pretrained model (slow on a CPU: minutes per few steps).
`--write-pace` records the run's pace (s per warm-up example, s per RL answer token) in
engine/training/reference_pace.json, which the Training page uses to say how long a run of this
model will take before any run of it has finished on the machine (engine.training.duration).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine.jobs.jsonfiles import parse_time  # noqa: E402
from engine.llm.validation import agreement, evaluate_model  # noqa: E402
from engine.training import runs  # noqa: E402
from engine.training.config import for_model  # noqa: E402
from engine.training.duration import REFERENCE_PACE, run_pace  # noqa: E402
from engine.training.figures import evals_by_stage  # noqa: E402
from engine.training.folder import RunFolder  # noqa: E402
from engine.training.stratified import stratified_sample  # noqa: E402
from store.home import Home  # noqa: E402

FIGURES = ("qwk", "exact", "within_one", "invalid_share")
POLL_S = 0.5
VERDICT_TOLERANCE = 0.005  # QWK differences below this read as unchanged


def build_home(root: Path, funds: int, methodology: str) -> tuple[Home, str]:
    """A demo store with `methodology` (house: 13 criteria; blank: one) active."""
    from engine.demo.build import DemoConfig, build_demo
    from engine.demo.house import house_methodology
    from engine.methodology import blank, save_version, set_active
    from store.db import connect

    home = Home(root).ensure()
    build_demo(home, DemoConfig(n_funds=funds, years=4))
    doc = house_methodology("ko") if methodology == "house" else blank("ko")
    with connect(home) as con:
        version = save_version(con, doc, created_by="bench")
        set_active(con, doc["id"], version, set_by="bench")
    return home, doc["id"]


def peak_rss_mb(pid: int) -> float | None:
    """The process's peak resident set (VmHWM) in MiB, None once it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except (FileNotFoundError, ProcessLookupError):
        return None
    return None


def baselines(home: Home, run_id: str, model_dir: Path, config) -> dict:
    """Untrained model and rule-based scorer on the run's own validation funds."""
    from engine.llm.models import load
    from engine.training.snapshot import load_snapshot, to_hf_datasets

    data = to_hf_datasets(load_snapshot(RunFolder(home.runs / run_id).snapshot))
    rows = stratified_sample(
        [dict(r) for r in data["validation"]], config.eval_max_funds, config.seed
    )
    expected = [int(r["expert_grade"]) for r in rows]
    rules = agreement(expected, [r["reference_grade"] for r in rows])
    model, tokenizer = load(model_dir)
    started = time.monotonic()
    untrained, _ = evaluate_model(
        model, tokenizer, rows, max_new_tokens=config.max_completion_length, thinking=False
    )
    untrained["seconds"] = round(time.monotonic() - started, 1)
    return {"rules": rules, "untrained": untrained}


def train(home: Home, run_id: str) -> dict:
    """Start the run, wait for it, sampling the process's peak memory; timings."""
    started = time.monotonic()
    runs.start(home, run_id)
    folder = RunFolder(home.runs / run_id)
    peak = 0.0
    while True:
        status = folder.read_status()
        pid = status.get("pid")
        if pid:
            rss = peak_rss_mb(int(pid))
            peak = max(peak, rss or 0.0)
        if status.get("state") in ("finished", "failed", "stopped"):
            break
        if not runs.status(home, run_id)["alive"] and status.get("pid"):
            runs.recover(home)
            break
        time.sleep(POLL_S)
    wall = time.monotonic() - started
    status = runs.status(home, run_id)
    events, _ = folder.read_events()
    return {"status": status, "events": events, "wall_s": wall, "peak_rss_mb": peak}


def phase_timing(events: list[dict], phase: str) -> dict:
    """Wall seconds of a phase's training steps and seconds per step."""
    steps = [e for e in events if e["kind"] == "train" and e["phase"] == phase]
    summary = [e for e in events if e["kind"] == "summary" and e["phase"] == phase]
    if not steps:
        return {"steps": 0, "seconds": 0.0, "s_per_step": None}
    seconds = sum(s.get("train_runtime", 0.0) for s in summary)
    if not seconds:
        seconds = parse_time(steps[-1]["time"]) - parse_time(steps[0]["time"])
    out = {"steps": len(steps), "seconds": round(seconds, 1), "s_per_step": seconds / len(steps)}
    times = [e["step_time"] for e in steps if isinstance(e.get("step_time"), int | float)]
    if times:
        out["trl_step_time"] = sum(times) / len(times)
    rewards = [e["reward"] for e in steps if isinstance(e.get("reward"), int | float)]
    if rewards:
        k = max(1, len(rewards) // 5)
        out["reward_first"] = sum(rewards[:k]) / k
        out["reward_last"] = sum(rewards[-k:]) / k
    return out


def _row(name: str, figures: dict | None) -> str:
    if not figures:
        return f"{name:22} -"
    counts = figures.get("grade_counts", {})
    shown = " ".join(f"{g}:{counts.get(g, 0)}" for g in ("1", "2", "3", "4", "5", "invalid"))
    values = "  ".join(f"{k} {figures[k]:.3f}" for k in FIGURES)
    return f"{name:22} {values}  grades {shown}"


def verdict(stages: dict) -> str:
    """'GRPO vs SFT-only: QWK a → b (…)': did GRPO raise validation agreement over the warm-up?"""

    def qwk(name: str) -> float | None:
        value = (stages.get(name) or {}).get("qwk")
        return value if isinstance(value, int | float) else None

    before, after = qwk("after_warmup"), qwk("after_grpo")
    if before is None or after is None:
        return "GRPO vs SFT-only: QWK not measured"
    if abs(after - before) < VERDICT_TOLERANCE:
        word = "unchanged"
    else:
        word = "raised" if after > before else "lowered"
    return f"GRPO vs SFT-only: QWK {before:.3f} → {after:.3f} ({word})"


def write_pace(model: str, device: str, pace: dict) -> None:
    """Record `model`'s pace on `device` in the reference table (other entries kept)."""
    try:
        table = json.loads(REFERENCE_PACE.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        table = {"paces": {}}
    table["machine"] = f"{os.cpu_count()}-core {platform.machine()} {platform.system()}"
    entry = {k: v for k, v in pace.items() if v is not None}
    table["paces"].setdefault(model, {})[device] = {**entry, "measured": date.today().isoformat()}
    REFERENCE_PACE.write_text(json.dumps(table, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def setting_value(text: str):
    """A --set value as JSON when it parses (true, 3e-5, 8), else the text."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="builtin-tiny")
    parser.add_argument("--funds", type=int, default=120)
    parser.add_argument("--methodology", choices=["house", "blank"], default="house")
    parser.add_argument("--sft-steps", type=int)
    parser.add_argument("--steps", type=int)
    parser.add_argument("--eval-funds", type=int, default=24)
    parser.add_argument("--num-generations", type=int)
    parser.add_argument("--sft-batch-size", type=int)
    parser.add_argument("--max-completion-length", type=int)
    parser.add_argument("--warmup-share", type=float)
    parser.add_argument("--home", help="keep the demo store here (default: a temporary folder)")
    parser.add_argument(
        "--set", action="append", default=[], metavar="KEY=VALUE",
        help="any other run setting, e.g. --set lora=true --set prompt_style=compact_anchored",
    )  # fmt: skip
    parser.add_argument("--json", action="store_true")
    parser.add_argument(
        "--write-pace", action="store_true", help=f"record the pace in {REFERENCE_PACE.name}"
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(args.home) if args.home else Path(tmp) / "home"
        t0 = time.monotonic()
        home, methodology_id = build_home(root, args.funds, args.methodology)
        from engine.llm.models import resolve

        t1 = time.monotonic()
        model_dir = resolve(home, args.model)
        prepare_s = time.monotonic() - t1
        changes = {
            "methodology_id": methodology_id,
            "eval_max_funds": args.eval_funds,
            "eval_every": 10**6,  # only after the warm-up and at the end
            "save_every": 10**6,
        }
        for key, value in (
            ("sft_steps", args.sft_steps),
            ("max_steps", args.steps),
            ("num_generations", args.num_generations),
            ("sft_batch_size", args.sft_batch_size),
            ("max_completion_length", args.max_completion_length),
            ("warmup_share", args.warmup_share),
        ):
            if value is not None:
                changes[key] = value
        for item in args.set:
            key, _, value = item.partition("=")
            changes[key.strip()] = setting_value(value.strip())
        if args.num_generations:
            changes["per_device_train_batch_size"] = args.num_generations * max(
                1, 8 // args.num_generations
            )
        config = for_model(args.model, **changes)
        run_id = runs.create_run(home, config)
        data_s = time.monotonic() - t0 - prepare_s
        base = baselines(home, run_id, model_dir, config)
        result = train(home, run_id)
        events = result["events"]
        stages = evals_by_stage(events)
        manifest = json.loads((home.runs / run_id / "snapshot" / "manifest.json").read_text())
        report = {
            "model": args.model,
            "methodology": methodology_id,
            "funds": args.funds,
            "split_counts": manifest["counts"],
            "config": {
                k: getattr(config, k)
                for k in (
                    "sft_steps",
                    "max_steps",
                    "num_generations",
                    "per_device_train_batch_size",
                    "max_completion_length",
                    "learning_rate",
                    "sft_learning_rate",
                    "eval_max_funds",
                    "warmup_share",
                    "prompt_style",
                    "lora",
                    "micro_batch_size",
                    *(c.partition("=")[0].strip() for c in args.set),
                )
            },  # fmt: skip
            "state": result["status"]["state"],
            "message": result["status"].get("message"),
            "demo_and_snapshot_s": round(data_s, 1),
            "model_prepare_s": round(prepare_s, 1),
            "run_wall_s": round(result["wall_s"], 1),
            "peak_rss_mb": round(result["peak_rss_mb"], 1),
            "sft": phase_timing(events, "sft"),
            "grpo": phase_timing(events, "grpo"),
            "agreement": {
                "rules": base["rules"],
                "untrained": base["untrained"],
                "after_warmup": stages.get("sft") or stages.get("untrained"),
                "after_grpo": stages.get("final"),
            },
        }
        report["verdict"] = verdict(report["agreement"])
        sft_pace, rl_pace = run_pace(RunFolder(home.runs / run_id), config)
        report["pace"] = {"sft_s_per_example": sft_pace, "rl_s_per_token": rl_pace}
        if args.write_pace and report["state"] == "finished":
            write_pace(args.model, result["status"].get("device", "cpu"), report["pace"])
    if args.json:
        print(json.dumps(report, ensure_ascii=False, default=str))
        return 0
    print(
        f"{args.model} on {args.funds} demo funds ({methodology_id}; splits {manifest['counts']}): "
        f"{report['state']} {report['message'] or ''}"
    )
    print(
        f"run wall {report['run_wall_s']} s (demo+snapshot {report['demo_and_snapshot_s']} s, "
        f"model prepare {report['model_prepare_s']} s), peak RSS {report['peak_rss_mb']} MiB"
    )
    for phase in ("sft", "grpo"):
        t = report[phase]
        if t["steps"]:
            extra = (
                f", reward {t['reward_first']:.3f} -> {t['reward_last']:.3f}"
                if "reward_first" in t
                else ""
            )
            print(
                f"{phase}: {t['steps']} steps in {t['seconds']} s = {t['s_per_step']:.2f} s/step{extra}"
            )
    shown = (report["agreement"]["rules"] or {}).get("n", config.eval_max_funds)
    print(f"validation agreement on {shown} funds (experts' grades):")
    for name, figures in report["agreement"].items():
        print("  " + _row(name, figures))
    print(verdict(report["agreement"]))
    print(f"pace: {report['pace']}")
    return 0 if report["state"] == "finished" else 1


if __name__ == "__main__":
    sys.exit(main())
