"""The README tour's training screenshot and its notes, from a finished run that really learned.

    .venv/bin/python scripts/tour_training.py HOME RUN_ID [--out docs/tour]

HOME is a WORKBENCH_HOME holding the finished run RUN_ID (e.g. one trained by
bench/bench_leaderboard.py). The app is served on a copy of what the Training page reads (the
database and the run folder, without its model weights), so the source home, which a benchmark
may still be using, is never locked or written. Headless Chromium opens the Training page's
run-status tab on RUN_ID, waits for the charts and the sample answers, and writes the whole page
to OUT/3-training.png; OUT/3-training.md states the run's settings, its wall time per phase and
its validation agreement after the warm-up and after GRPO, read from the run's own files.

A run that is not finished, or whose validation never had a valid answer, is refused (exit 2).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import duckdb  # noqa: E402
import pytest  # noqa: E402

from engine.jobs.jsonfiles import parse_time, read_json  # noqa: E402
from engine.training import runs  # noqa: E402
from engine.training.config import RunConfig, TrainingError  # noqa: E402
from engine.training.figures import evals_by_stage  # noqa: E402
from store.db import StoreBusyError, connect  # noqa: E402
from store.home import Home  # noqa: E402
from tests.browser.browser_support import (  # noqa: E402
    EXCEPTION,
    chart_points,
    choose,
    chromium,
    go,
    ko,
    new_tab,
    poll,
    screenshot,
    served,
    settled,
)

REFUSED = 2
NAME = "3-training"
# The run's own files the Training page reads; its models and checkpoints stay behind.
RUN_FILES = ("config.json", "status.json", "events.jsonl", "log.txt", "bench.json")
RUN_FOLDERS = ("snapshot",)
COPY_TRIES = 5
CHARTS = ("train_chart_reward", "train_chart_agreement", "train_chart_loss")
CHART_TIMEOUT_S = 120
SAMPLE = '[data-testid="stCode"]'  # a sample answer of the latest recorded step
SETTINGS = (
    "model", "methodology_id", "methodology_version", "as_of", "rating_dates", "language",
    "prompt_style", "seed", "splits", "sft_steps", "sft_batch_size", "sft_learning_rate",
    "grade_loss_weight",
    "warmup_share", "algorithm", "max_steps", "learning_rate", "num_generations",
    "per_device_train_batch_size", "max_completion_length", "temperature", "beta", "loss_type",
    "scale_rewards", "epsilon_high", "advantage_floor", "reward_weights", "lora", "eval_every",
    "eval_max_funds",
)  # fmt: skip
STAGES = {
    "untrained": "before training (untrained model)",
    "sft": "after the warm-up (GRPO step 0)",
    "final": "after GRPO (final model)",
}


class TourError(RuntimeError):
    """Why the tour cannot be made from this run, in one line."""


@dataclass(frozen=True)
class RunRecord:
    """What the notes are written from: a run's config, status and events (and bench.json)."""

    run_id: str
    config: RunConfig
    status: dict[str, Any]
    events: list[dict[str, Any]]
    bench: dict[str, Any] | None = None


# ---------------------------------------------------------------- reading the run


def read_run(home: Path, run_id: str) -> RunRecord:
    """The run's files, read without writing anything in `home`; TourError if it has none."""
    try:
        folder = runs.run_folder(Home(home), run_id)
        config = runs.load_config(Home(home), run_id)
    except (TrainingError, OSError, ValueError) as exc:
        raise TourError(f"{home}: {exc}") from exc
    events, _ = folder.read_events()
    bench = read_json(folder.root / "bench.json")
    return RunRecord(run_id, config, folder.read_status(), events, bench)


def eval_passes(events: list[dict]) -> list[dict]:
    """The run's validation passes (`eval` events), in the order they were measured."""
    return [e for e in events if e.get("kind") == "eval"]


def refusal(record: RunRecord) -> str | None:
    """Why this run cannot show what training learned (one line), or None when it can."""
    state = record.status.get("state")
    if state != "finished":
        shown = state or "not started"
        return f"{record.run_id} is {shown}, not finished: the tour shows a finished run"
    passes = eval_passes(record.events)
    if not passes:
        return f"{record.run_id} has no validation pass: nothing learned to show"
    if not any((e.get("valid") or 0) > 0 for e in passes):
        return (
            f"{record.run_id}: validation never had a valid answer in {len(passes)} passes: "
            "nothing learned to show"
        )
    return None


def phase_seconds(events: list[dict], phase: str) -> float | None:
    """The trainer's own wall time of `phase` (its `summary` event's train_runtime)."""
    found = [e for e in events if e.get("kind") == "summary" and e.get("phase") == phase]
    runtime = found[-1].get("train_runtime") if found else None
    return float(runtime) if isinstance(runtime, int | float) else None


def run_seconds(status: dict) -> float | None:
    """Start to finish of the run's process (status.json)."""
    started, ended = parse_time(status.get("started_at")), parse_time(status.get("finished_at"))
    return ended - started if started is not None and ended is not None else None


# ---------------------------------------------------------------- the notes


def _num(value: Any, digits: int = 3) -> str:
    return f"{value:.{digits}f}" if isinstance(value, int | float) else "–"


def _pct(value: Any) -> str:
    return f"{100 * value:.1f} %" if isinstance(value, int | float) else "–"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}es" if noun.endswith("s") else f"{n} {noun}s"


def _minutes(seconds: float | None) -> str:
    if seconds is None:
        return "not recorded"
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.1f} min ({seconds:.0f} s)"


def verdict(events: list[dict], algorithm: str = "grpo") -> str:
    """One plain sentence: did RL (GRPO or RLOO) improve the validation QWK on its start?"""
    stages = evals_by_stage(events)
    start_stage = "sft" if "sft" in stages else "untrained"
    start, final = stages.get(start_stage), stages.get("final")
    start_name = "the warm-up" if start_stage == "sft" else "the untrained model"
    name = algorithm.upper()
    if start is None or final is None:
        return f"The run has no validation pass before and after {name} to compare."
    before, after = start.get("qwk"), final.get("qwk")
    change = (
        f"QWK {_num(before)} -> {_num(after)}, exact {_pct(start.get('exact'))} -> "
        f"{_pct(final.get('exact'))}, invalid {_pct(start.get('invalid_share'))} -> "
        f"{_pct(final.get('invalid_share'))}"
    )
    if isinstance(before, int | float) and isinstance(after, int | float) and after > before:
        return f"{name} improved on {start_name}: {change}."
    return f"{name} did not improve on {start_name} here: {change}."


def best_pass_note(events: list[dict]) -> str | None:
    """A sentence when a pass during GRPO beat the final model's QWK (the final one is kept)."""
    stages = evals_by_stage(events)
    final = stages.get("final")
    during = [e for e in eval_passes(events) if e.get("stage") == "training"]
    scored = [e for e in during if isinstance(e.get("qwk"), int | float)]
    if final is None or not scored or not isinstance(final.get("qwk"), int | float):
        return None
    best = max(scored, key=lambda e: e["qwk"])
    if best["qwk"] <= final["qwk"]:
        return None
    return (
        f"The best pass was during GRPO, at step {best['step']} (QWK {_num(best['qwk'])}, exact "
        f"{_pct(best.get('exact'))}); the run keeps the model of its last step."
    )


def agreement_table(events: list[dict]) -> list[str]:
    """Every validation pass as a markdown table, 'before training' first."""
    rows = [
        "| validation pass | funds | valid | exact | within one | QWK | invalid |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    passes = eval_passes(events)
    if not any(e.get("stage") == "untrained" for e in passes):
        rows.append(
            f"| {STAGES['untrained']} | not measured: a run with a warm-up measures first after "
            "it | | | | | |"
        )
    for e in passes:
        stage = e.get("stage")
        label = STAGES.get(stage, f"during GRPO, step {e.get('step')}")
        rows.append(
            f"| {label} | {e.get('n', '–')} | {e.get('valid', '–')} | {_pct(e.get('exact'))} | "
            f"{_pct(e.get('within_one'))} | {_num(e.get('qwk'))} | {_pct(e.get('invalid_share'))} |"
        )
    return rows


def settings_table(config: RunConfig) -> list[str]:
    """The run's settings that shape what it learns, as a markdown table."""
    values = asdict(config)
    rows = ["| setting | value |", "|---|---|"]
    for key in SETTINGS:
        if key in values:
            value = values[key]
            shown = (
                ", ".join(f"{k} {v}" for k, v in value.items())
                if isinstance(value, dict)
                else value
            )
            rows.append(f"| `{key}` | {shown} |")
    return rows


def time_lines(record: RunRecord) -> list[str]:
    """Wall time per phase, from the trainer's summaries and status.json."""
    config, status, events = record.config, record.status, record.events
    final = status.get("final") or {}
    processes = _count(status.get("processes") or 1, "process")
    resumed = _count(status.get("resumes") or 0, "time")
    per_step = final.get("sec_per_grpo_step")
    pace = f" ({per_step:.2f} s per step)" if isinstance(per_step, int | float) else ""
    lines = [
        f"- whole run (process start to finish): {_minutes(run_seconds(status))} on "
        f"{status.get('device', '?')}, {processes}, peak memory "
        f"{_num(final.get('peak_memory_mb'), 0)} MB, resumed {resumed}",
        f"- warm-up: {_minutes(phase_seconds(events, 'sft'))} for {config.sft_steps} steps",
        f"- {config.algorithm.upper()}: {_minutes(phase_seconds(events, 'grpo'))} for "
        f"{config.max_steps} steps{pace}",
    ]
    passes = eval_passes(events)
    spent = sum(e.get("seconds") or 0 for e in passes)
    lines.append(f"- validation: {len(passes)} passes, {_minutes(spent)} in all")
    return lines


def reward_line(status: dict) -> str | None:
    """The rewards at the end (means of the last 10 steps, on training funds)."""
    final = status.get("final") or {}
    if not isinstance(final.get("reward"), int | float):
        return None
    parts = ", ".join(f"{k} {_num(v)}" for k, v in (final.get("rewards") or {}).items())
    return (
        f"Rewards at the end (mean of the last 10 steps, training funds): total "
        f"{_num(final['reward'])}; {parts}; groups without reward spread "
        f"{_pct(final.get('frac_reward_zero_std'))}."
    )


def tour_markdown(record: RunRecord, home_label: str = "HOME") -> str:
    """The notes beside the screenshot: what it shows, the result, the settings, the time."""
    config, status = record.config, record.status
    origin = ""
    if record.bench:
        changes = ", ".join(f"{k}={v}" for k, v in (record.bench.get("changes") or {}).items())
        origin = (
            f" It was trained by `bench/bench_leaderboard.py` (the defaults of "
            f"`for_model('{config.model}')` with {changes or 'no changes'})."
        )
    passes = eval_passes(record.events)
    n = passes[-1].get("n") if passes else None
    one_fund = f"{100 / n:.1f} points" if n else "–"
    lines = [
        f"# Tour 3 — Training: {record.run_id}, a finished run",
        "",
        f"![The Training page on {record.run_id}]({NAME}.png)",
        "",
        f"The Training page's run-status tab on {record.run_id}, a finished "
        f"{config.algorithm.upper()} run of `{config.model}` on the `{config.methodology_id}` "
        f"methodology v{config.methodology_version}, rating date {config.as_of}.{origin} "
        "Written by",
        "",
        f"    .venv/bin/python scripts/tour_training.py {home_label} {record.run_id} "
        "--out docs/tour",
        "",
        "on a copy of the home; every figure below is read from the run's config.json, "
        "status.json and events.jsonl.",
        "",
        "## What it learned",
        "",
        verdict(record.events, config.algorithm),
    ]
    note = best_pass_note(record.events)
    if note:
        lines += ["", note]
    lines += [
        "",
        f"Validation: greedy answers on {n or '–'} funds, a grade-stratified sample of the "
        f"held-out validation split (`eval` events); one fund moves exact by {one_fund}.",
        "",
        *agreement_table(record.events),
    ]
    rewards = reward_line(status)
    if rewards:
        lines += ["", rewards]
    warnings = (status.get("final") or {}).get("warnings") or []
    lines += ["", f"Warnings at the end: {'; '.join(warnings) if warnings else 'none'}."]
    lines += ["", "## Settings", "", *settings_table(config)]
    lines += ["", "## Time", "", *time_lines(record), ""]
    return "\n".join(lines)


# ---------------------------------------------------------------- the copy and the screenshot


def copy_home(source: Path, run_id: str, target: Path) -> Path:
    """A home at `target` with the database and the run's files of `source` (read only there);
    the database is copied again when the copy does not open (a write was under way)."""
    target.mkdir(parents=True)
    run = target / "runs" / run_id
    run.mkdir(parents=True)
    for name in RUN_FILES:
        if (source / "runs" / run_id / name).is_file():
            shutil.copy2(source / "runs" / run_id / name, run / name)
    for name in RUN_FOLDERS:
        if (source / "runs" / run_id / name).is_dir():
            shutil.copytree(source / "runs" / run_id / name, run / name)
    database = Home(source).db_path
    last = None
    for _ in range(COPY_TRIES):
        for path in (database, database.with_name(database.name + ".wal")):
            if path.is_file():
                shutil.copy2(path, target / path.name)
        try:
            with connect(Home(target)):
                return target
        except (duckdb.Error, StoreBusyError) as exc:
            last = exc
            for path in target.glob("workbench.duckdb*"):
                path.unlink()
            time.sleep(2)
    raise TourError(f"the database of {source} could not be copied in a usable state: {last}")


def take_screenshot(home: Path, run_id: str, png: Path) -> list[str]:
    """Serve `home`, open the Training page's run-status tab on `run_id`, wait for the charts
    and the sample answers, write the whole page to `png`; the browser's console errors."""
    with served(home) as app, chromium() as browser:
        page = new_tab(browser)
        try:
            page.goto(app["url"])
            settled(page)
            go(page, app["url"], "nav_training")
            page.get_by_role("tab", name=ko("train_tab_watch")).click()
            settled(page)
            choose(page, ko("train_pick_run"), run_id)
            for key in CHARTS:
                poll(lambda key=key: chart_points(page, key) > 0, CHART_TIMEOUT_S, f"chart {key}")
            page.get_by_text(ko("live_finished")).wait_for(timeout=CHART_TIMEOUT_S * 1000)
            page.locator(SAMPLE).first.wait_for(timeout=CHART_TIMEOUT_S * 1000)
            settled(page)
            exceptions = page.locator(EXCEPTION)
            if exceptions.count():
                raise TourError(
                    f"the Training page shows an error: {exceptions.first.inner_text()}"
                )
            screenshot(page, png)
            return list(page.console_errors)
        finally:
            page.context.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("home", type=Path, help="WORKBENCH_HOME holding the run")
    parser.add_argument("run_id", help="a finished run, e.g. run-0001")
    parser.add_argument("--out", type=Path, default=Path("docs/tour"), help="default: docs/tour")
    args = parser.parse_args(argv)
    try:
        record = read_run(args.home, args.run_id)
    except TourError as exc:
        print(exc, file=sys.stderr)
        return REFUSED
    refused = refusal(record)
    if refused:
        print(refused, file=sys.stderr)
        return REFUSED
    args.out.mkdir(parents=True, exist_ok=True)
    png, notes = args.out / f"{NAME}.png", args.out / f"{NAME}.md"
    with tempfile.TemporaryDirectory(prefix="tour-training-") as tmp:
        try:
            home = copy_home(args.home.resolve(), args.run_id, Path(tmp) / "home")
            errors = take_screenshot(home, args.run_id, png)
        except (TourError, pytest.fail.Exception, pytest.skip.Exception) as exc:
            print(" ".join(str(exc).split()), file=sys.stderr)
            return 1
    notes.write_text(tour_markdown(record, str(args.home)), encoding="utf-8")
    for error in errors:
        print(f"browser console: {error}", file=sys.stderr)
    print(f"wrote {png} and {notes}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
