"""The hyper-parameter sweep (engine/training/sweep.py) and `python -m workbench sweep`: the grid, the
configs of its runs, launching them on one frozen snapshot, refusals that create nothing, the
queue, and the results table from the runs' final figures."""

from __future__ import annotations

import json
import math
import shutil

import pytest

from engine.training import runs, sweep
from engine.training.config import TrainingError, for_model
from engine.training.folder import ACTIVE_STATES
from store import runs as stored
from store.db import connect
from tests.tiny_run_support import end_runs, finished, tiny_config, tiny_run
from workbench.cli.core import main
from workbench.web.views_training import sweep_pivot

FOUNDERS = {
    "json_format": 0.1,
    "evaluation_accuracy": 0.5,
    "reasoning_quality": 0.3,
    "consistency": 0.1,
}
EQUAL = dict.fromkeys(FOUNDERS, 0.25)


def _cli(capsys, *args: str) -> tuple[int, dict]:
    """Exit status and the JSON answer of `python -m workbench ARGS --json`."""
    code = main([*args, "--json"])
    return code, json.loads(capsys.readouterr().out.strip().splitlines()[-1])


# ---------------------------------------------------------------- the grid


def test_grid_is_every_combination_generations_outer_without_repeats():
    points = sweep.grid([4, 8, 4], [FOUNDERS, EQUAL])

    assert [(p.num_generations, p.reward_weights) for p in points] == [
        (4, FOUNDERS),
        (4, EQUAL),
        (8, FOUNDERS),
        (8, EQUAL),
    ]
    assert points[1].label == "G=4 · 25/25/25/25"


def test_weight_sets_are_read_from_numbers_named_weights_and_presets():
    text = "0.1,0.5,0.3,0.1; equal ; json_format=0.1,evaluation_accuracy=0.7,reasoning_quality=0.1,consistency=0.1"

    sets = sweep.parse_weight_sets(text)

    assert sets == [FOUNDERS, EQUAL, sweep.WEIGHT_PRESETS["accuracy"]]
    assert sweep.parse_weight_sets("founders;0.1,0.5,0.3,0.1") == [FOUNDERS]  # one, not two
    with pytest.raises(TrainingError, match="give 4 reward weights"):
        sweep.parse_weight_sets("0.5,0.5")
    with pytest.raises(TrainingError, match="at least one set"):
        sweep.parse_weight_sets(" ; ")


def test_generations_are_whole_numbers_of_at_least_two():
    assert sweep.parse_generations("4, 8,4") == [4, 8]
    with pytest.raises(TrainingError, match="at least 2"):
        sweep.parse_generations("1,4")
    with pytest.raises(TrainingError, match="whole numbers, got 'eight'"):
        sweep.parse_generations("4,eight")


def test_each_config_gets_its_group_size_weights_and_a_batch_of_whole_groups():
    base = for_model("builtin-tiny", max_steps=5)

    configs = sweep.sweep_configs(base, sweep.grid([3, 8], [FOUNDERS, EQUAL]))

    assert [(c.num_generations, c.per_device_train_batch_size) for c in configs] == [
        (3, 6),
        (3, 6),
        (8, 8),
        (8, 8),
    ]
    assert [c.reward_weights for c in configs] == [FOUNDERS, EQUAL, FOUNDERS, EQUAL]
    assert {c.max_steps for c in configs} == {5} and {c.model for c in configs} == {"builtin-tiny"}


def test_a_fixed_generation_batch_is_kept_and_a_point_it_does_not_fit_is_refused():
    base = for_model("builtin-tiny", generation_batch_size=8, per_device_train_batch_size=8)

    with pytest.raises(TrainingError) as refused:
        sweep.sweep_configs(base, sweep.grid([4, 3], [FOUNDERS]))

    assert "G=3 · 10/50/30/10: the generation batch (8) must be divisible by" in str(refused.value)
    assert "G=4" not in str(refused.value)


def test_weights_that_do_not_add_up_to_one_are_refused_naming_the_point():
    heavy = {**FOUNDERS, "consistency": 0.2}

    with pytest.raises(TrainingError, match=r"G=4 · 10/50/30/20: the reward weights must add up"):
        sweep.sweep_configs(for_model("builtin-tiny"), sweep.grid([4], [FOUNDERS, heavy]))


# ---------------------------------------------------------------- launching


def test_launch_creates_one_run_per_point_on_one_frozen_snapshot(demo_home):
    base = tiny_config()

    record = sweep.launch(demo_home, base, [2, 4], [FOUNDERS, EQUAL], start=False)

    ids = [item["run_id"] for item in record["runs"]]
    assert ids == ["run-0001", "run-0002", "run-0003", "run-0004"]
    expected = [(2, FOUNDERS, 8), (2, EQUAL, 8), (4, FOUNDERS, 8), (4, EQUAL, 8)]
    configs = [runs.load_config(demo_home, run_id) for run_id in ids]
    assert [
        (c.num_generations, c.reward_weights, c.per_device_train_batch_size) for c in configs
    ] == expected
    assert {(c.sft_steps, c.max_steps, c.max_completion_length) for c in configs} == {(2, 3, 16)}
    assert {c.methodology_id for c in configs} == {"house"}
    assert {runs.status(demo_home, run_id)["state"] for run_id in ids} == {"created"}
    with connect(demo_home) as con:
        hashes = set(stored.list_runs(con)["snapshot_sha256"])
    assert hashes == {record["snapshot_sha256"]}  # every run learns from the same data
    saved = json.loads((demo_home.root / "sweeps" / "sweep-0001.json").read_text())
    assert saved == record and sweep.list_sweeps(demo_home) == [record]
    assert sweep.sweep_of_runs(demo_home) == dict.fromkeys(ids, "sweep-0001")
    again = sweep.launch(demo_home, base, [2], [FOUNDERS], start=False)
    assert again["sweep_id"] == "sweep-0002" and again["runs"][0]["run_id"] == "run-0005"


def test_an_invalid_sweep_creates_nothing(demo_home, capsys):
    with pytest.raises(TrainingError, match="must add up to 1"):
        sweep.launch(demo_home, tiny_config(), [2, 4], [dict.fromkeys(FOUNDERS, 0.5)])

    assert list(demo_home.runs.glob("run-*")) == []
    assert sweep.list_sweeps(demo_home) == []
    code, answer = _cli(capsys, "sweep", "--num-generations", "1,4", "--reward-weights", "founders")
    assert code == 2 and "num_generations must be at least 2" in answer["error"]
    assert list(demo_home.runs.glob("run-*")) == []


@pytest.mark.process
def test_cli_sweep_queues_one_run_per_point(demo_home, demo_template, tmp_path_factory, capsys):
    shared_home, _ = tiny_run(demo_template, tmp_path_factory)
    shutil.copytree(shared_home.models / "builtin-tiny", demo_home.models / "builtin-tiny")
    try:
        code, answer = _cli(
            capsys, "sweep", "--num-generations", "2", "--reward-weights",
            "0.1,0.5,0.3,0.1;0.25,0.25,0.25,0.25", "--model", "builtin-tiny",
            "--steps", "1", "--sft-steps", "1",
        )  # fmt: skip

        assert code == 0, answer
        ids = [item["run_id"] for item in answer["runs"]]
        assert ids == ["run-0001", "run-0002"]
        assert [r["reward_weights"] for r in answer["results"]] == ["10/50/30/10", "25/25/25/25"]
        for run_id, weights in zip(ids, (FOUNDERS, EQUAL), strict=True):
            status = runs.status(demo_home, run_id)
            assert status["state"] in ACTIVE_STATES, status  # queued for the device, or training
            config = runs.load_config(demo_home, run_id)
            assert (config.num_generations, config.reward_weights) == (2, weights)
            assert (config.max_steps, config.sft_steps) == (1, 1)
    finally:
        end_runs(demo_home)


# ---------------------------------------------------------------- results


@pytest.mark.slow  # waits for the shared tiny training run to finish
def test_results_collect_each_runs_final_figures(
    demo_home, demo_template, tmp_path_factory, capsys
):
    shared_home, shared = tiny_run(demo_template, tmp_path_factory)
    final = finished(shared_home, shared)["final"]
    record = sweep.launch(demo_home, tiny_config(), [2], [FOUNDERS, EQUAL], start=False)
    done = record["runs"][0]["run_id"]
    for name in ("status.json", "events.jsonl"):  # the first point: a real finished run
        shutil.copy(shared_home.runs / shared / name, demo_home.runs / done / name)

    table = sweep.results(demo_home, record)

    first, second = table.to_dict("records")
    assert first["run_id"] == done and first["state"] == "finished" and first["progress"] == 1.0
    assert first["reward"] == final["reward"]
    assert first["qwk"] == final["agreement_final"]["qwk"]
    assert first["invalid_share"] == final["agreement_final"]["invalid_share"]
    assert first["qwk_before_grpo"] == final["agreement_before_grpo"]["qwk"]
    assert first["reward/evaluation_accuracy"] == final["rewards"]["evaluation_accuracy"]
    assert first["sec_per_grpo_step"] == final["sec_per_grpo_step"]
    assert second["state"] == "created" and math.isnan(second["reward"])
    assert (first["num_generations"], first["reward_weights"]) == (2, "10/50/30/10")
    pivot = sweep_pivot(table, "qwk")  # the Runs page's G × weights view: finished runs only
    assert list(pivot.index) == ["G = 2"] and list(pivot.columns) == ["10/50/30/10"]
    assert pivot.iloc[0, 0] == f"{final['agreement_final']['qwk']:.2f}"

    code, answer = _cli(capsys, "sweep", "--results")
    assert code == 0 and answer["sweep_id"] == record["sweep_id"]
    assert answer["results"][0]["qwk"] == final["agreement_final"]["qwk"]
    assert answer["results"][1]["reward"] is None
    assert f"{done}  2  10/50/30/10  finished" in answer["summary"]
