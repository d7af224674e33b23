"""A run's expected duration, from the paces of finished runs or the benchmark's reference table."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from engine.training.config import for_model
from engine.training.duration import (
    REFERENCE_PACE,
    estimate,
    measured_pace,
    reference_pace,
    rl_tokens_per_step,
)
from engine.training.folder import RunFolder

START = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def _finished_run(
    runs_dir: Path, run_id: str, config, *, sft_step_s: float, rl_step_s: float, device="cpu"
) -> RunFolder:
    """A finished run folder whose events show steps `sft_step_s` and `rl_step_s` apart."""
    folder = RunFolder(runs_dir / run_id)
    folder.root.mkdir(parents=True)
    folder.config.write_text(config.to_json(), encoding="utf-8")
    folder.write_status(state="finished", device=device)
    lines, clock = [], START
    for phase, count, gap in (("sft", 5, sft_step_s), ("grpo", 4, rl_step_s)):
        for step in range(1, count + 1):
            clock += timedelta(seconds=gap)
            lines.append({"time": clock.isoformat(), "phase": phase, "step": step, "kind": "train"})
    folder.events.write_text("".join(json.dumps(e) + "\n" for e in lines), encoding="utf-8")
    return folder


def test_a_finished_run_gives_the_pace_and_the_estimate_scales_with_the_work(tmp_path) -> None:
    measured = for_model(
        "builtin-tiny", sft_batch_size=4, num_generations=2, max_completion_length=50
    )
    _finished_run(tmp_path, "run-0001", measured, sft_step_s=2.0, rl_step_s=10.0)
    pace = measured_pace(tmp_path, "builtin-tiny", "cpu")
    assert pace.sft_s_per_example == pytest.approx(0.5)
    assert pace.rl_s_per_token == pytest.approx(10.0 / rl_tokens_per_step(measured))
    assert "1 finished run of builtin-tiny on cpu" in pace.basis

    # twice the answers per step and twice their length: four times the RL step
    planned = for_model(
        "builtin-tiny",
        sft_steps=100,
        sft_batch_size=8,
        max_steps=30,
        num_generations=4,
        per_device_train_batch_size=measured.per_device_train_batch_size * 2,
        max_completion_length=100,
    )
    found = estimate(planned, "cpu", tmp_path)
    assert found.sft_seconds == pytest.approx(100 * 8 * 0.5)
    per_token = 10.0 / rl_tokens_per_step(measured)
    assert found.rl_seconds == pytest.approx(30 * rl_tokens_per_step(planned) * per_token, rel=1e-3)
    assert found.seconds == pytest.approx(found.sft_seconds + found.rl_seconds, abs=0.1)


def test_only_finished_runs_of_the_same_model_and_device_count(tmp_path) -> None:
    tiny = for_model("builtin-tiny")
    _finished_run(tmp_path, "run-0001", tiny, sft_step_s=1.0, rl_step_s=4.0)
    _finished_run(tmp_path, "run-0002", tiny, sft_step_s=3.0, rl_step_s=8.0)
    _finished_run(tmp_path, "run-0003", tiny, sft_step_s=99.0, rl_step_s=99.0, device="cuda")
    failed = _finished_run(tmp_path, "run-0004", tiny, sft_step_s=50.0, rl_step_s=50.0)
    failed.write_status(state="failed")
    _finished_run(tmp_path, "run-0005", for_model("smollm2-135m"), sft_step_s=60, rl_step_s=60)
    pace = measured_pace(tmp_path, "builtin-tiny", "cpu")
    assert pace.sft_s_per_example == pytest.approx(2.0 / tiny.sft_batch_size)  # median of 1 and 3
    assert "2 finished runs" in pace.basis
    assert measured_pace(tmp_path, "qwen3-0.6b", "cpu") is None


def test_without_runs_the_reference_table_answers_and_says_so(tmp_path) -> None:
    table = tmp_path / "pace.json"
    table.write_text(
        json.dumps({"machine": "2-core x86_64 Linux", "paces": {"smollm2-135m": {"cpu": {
            "sft_s_per_example": 1.5, "rl_s_per_token": 0.02, "measured": "2026-12-02"}}}}),
        encoding="utf-8",
    )  # fmt: skip
    pace = reference_pace("smollm2-135m", "cpu", table)
    assert pace.rl_s_per_token == 0.02 and "2-core x86_64 Linux" in pace.basis
    assert reference_pace("smollm2-135m", "cuda", table) is None
    assert reference_pace("smollm2-135m", "cpu", tmp_path / "missing.json") is None


def test_the_shipped_reference_table_gives_every_model_it_holds_an_estimate(tmp_path) -> None:
    table = json.loads(REFERENCE_PACE.read_text(encoding="utf-8"))
    assert "builtin-tiny" in table["paces"]  # the newcomer's model on a CPU is always covered
    for model, devices in table["paces"].items():
        for device in devices:
            found = estimate(for_model(model), device, tmp_path / "no-runs")
            assert found is not None and found.seconds > 0, (model, device)
            assert found.basis.startswith("reference:")
    # the newcomer's default on a CPU finishes in well under an hour
    assert estimate(for_model("builtin-tiny"), "cpu", tmp_path).minutes < 60
