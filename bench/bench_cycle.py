"""A rating cycle over a demo universe with the built-in tiny model: funds/s, generation's share
of the time, peak memory.

Builds the synthetic demo (`--funds`, default 2,000), gives it a finished-looking run whose
model is the built-in tiny model (untrained: every answer runs the full `--max-new-tokens`, the
worst case for generation), approves it for one client holding every fund, then runs
`engine.cycle.run.start` for the last month-end, as `python -m workbench cycle run --wait` does:
features of every eligible fund, the model's answers (a background evaluation process), the rule
scorer and the tabular baseline, routing, publishing. Reports

- wall time of the cycle and eligible funds per second;
- generation: the evaluation process's time from its first answer to its end, as a share of the
  cycle's wall time (the rest: features, rules, baseline, routing, writing, publishing);
- peak memory: this process's and the evaluation process's peak resident set (VmHWM).

The evaluation process is launched as the cycle starts and loads the model while the features
are computed; the tabular baseline is fitted while the model answers. `--batch-size` left out,
the cycle's default for the model applies (128 prompts for the tiny model).

    .venv/bin/python bench/bench_cycle.py [--funds 2000] [--samples 3] [--batch-size N]
        [--max-new-tokens 64] [--json]
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine.clients import clients, registry  # noqa: E402
from engine.cycle import run as cycles  # noqa: E402
from engine.cycle.folder import CycleFolder, cycles_dir  # noqa: E402
from engine.demo.build import DemoConfig, build_demo  # noqa: E402
from engine.evaluation.folder import EvaluationFolder, evaluations_dir  # noqa: E402
from engine.jobs.jsonfiles import parse_time  # noqa: E402
from engine.llm.models import resolve  # noqa: E402
from engine.training.config import for_model  # noqa: E402
from engine.training.snapshot import build_snapshot, write_snapshot  # noqa: E402
from store.db import connect  # noqa: E402
from store.home import Home  # noqa: E402
from store.runs import insert_run  # noqa: E402

RUN_ID = "run-0001"
POLL_S = 0.5


def tiny_run(home: Home, max_new_tokens: int) -> None:
    """A finished run over house v1 whose model is the built-in tiny model, approved for all."""
    folder = home.runs / RUN_ID
    folder.mkdir(parents=True)
    snapshot = build_snapshot(home, "house", 1, prompt_style="compact")
    write_snapshot(snapshot, folder / "snapshot")
    config = for_model(
        "builtin-tiny", run_id=RUN_ID, methodology_id="house", methodology_version=1,
        as_of=snapshot.manifest["as_of"], max_completion_length=max_new_tokens,
    )  # fmt: skip
    (folder / "config.json").write_text(config.to_json(), encoding="utf-8")
    (folder / "status.json").write_text(json.dumps({"state": "finished"}), encoding="utf-8")
    shutil.copytree(resolve(home, "builtin-tiny"), folder / "model")
    with connect(home) as con:
        insert_run(
            con, run_id=RUN_ID, model="builtin-tiny", methodology_id="house",
            methodology_version=1, as_of=snapshot.manifest["as_of"], language="ko",
            snapshot_sha256=snapshot.sha256, parent_run_id=None, config=config.to_json(),
            state="finished",
        )  # fmt: skip
        funds = [r[0] for r in con.execute("SELECT fund_id FROM funds ORDER BY 1").fetchall()]
        client = clients.create_client(con, "Bench", fund_ids=funds, by="bench")
        registry.approve(con, RUN_ID, client_id=client["client_id"], by="bench", reason="bench")


def peak_rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def watch_jobs(home: Home, peaks: dict, stop: threading.Event) -> None:
    """Record the evaluation processes' peak memory while the cycle runs."""
    while not stop.is_set():
        root = evaluations_dir(home)
        for path in root.glob("eval-*") if root.is_dir() else []:
            pid = EvaluationFolder(path).pid()
            if pid:
                peaks[path.name] = max(peaks.get(path.name, 0.0), peak_rss_mb(pid))
        time.sleep(POLL_S)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--funds", type=int, default=2000)
    parser.add_argument("--samples", type=int, default=cycles.DEFAULT_SAMPLES)
    parser.add_argument("--batch-size", type=int, help="default: the cycle's, by model")
    parser.add_argument("--max-new-tokens", type=int, default=64)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        home = Home(Path(tmp) / "home").ensure()
        began = time.monotonic()
        build_demo(home, DemoConfig(n_funds=args.funds, years=5))
        tiny_run(home, args.max_new_tokens)
        setup_s = time.monotonic() - began
        peaks: dict[str, float] = {}
        stop = threading.Event()
        watcher = threading.Thread(target=watch_jobs, args=(home, peaks, stop), daemon=True)
        watcher.start()
        began = time.monotonic()
        sizes = {"batch_size": args.batch_size} if args.batch_size else {}
        result = cycles.start(
            home, samples=args.samples, background=False, max_new_tokens=args.max_new_tokens,
            **sizes,
        )  # fmt: skip
        wall = time.monotonic() - began
        stop.set()
        watcher.join()
        (cycle,) = result["cycles"]
        folder = CycleFolder(cycles_dir(home) / cycle["cycle_id"])
        generation, batch_size = 0.0, None
        for evaluation_id in folder.evaluations():
            where = EvaluationFolder(evaluations_dir(home) / evaluation_id)
            batch_size = json.loads(where.config.read_text(encoding="utf-8"))["batch_size"]
            status = where.read_status()
            started = parse_time(status.get("generation_started_at"))
            ended = parse_time(status.get("finished_at"))
            if started is not None and ended is not None:
                generation += ended - started
        report = {
            "funds_in_demo": args.funds,
            "eligible_funds": cycle.get("n_funds"),
            "routed_to_analysts": cycle.get("n_routed"),
            "state": cycle.get("state"),
            "samples": args.samples,
            "batch_size": batch_size,
            "max_new_tokens": args.max_new_tokens,
            "setup_s": round(setup_s, 1),
            "cycle_wall_s": round(wall, 1),
            "funds_per_s": round((cycle.get("n_funds") or 0) / wall, 2),
            "generation_s": round(generation, 1),
            "generation_share": round(generation / wall, 3) if wall else None,
            "peak_rss_mb_cycle_process": round(
                resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1
            ),
            "peak_rss_mb_evaluation_process": round(max(peaks.values(), default=0.0), 1),
        }
    if args.json:
        print(json.dumps(report))
    else:
        for key, value in report.items():
            print(f"{key:32} {value}")
    return 0 if report["state"] == "finished" else 1


if __name__ == "__main__":
    sys.exit(main())
