"""Training: the run settings, warm-up targets, agreement figures, and one real run end to end.

The real run is the built-in tiny model trained through the CLI (`train --wait`): a supervised
warm-up of 60 steps, then 8 GRPO steps with the four rewards, on the demo store with the
one-criterion methodology (see tests/training_support.py). Its tests read the run folder.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from engine.llm.output import parse_output
from engine.llm.rewards import DEFAULT_REWARD_WEIGHTS, REWARD_FUNCTIONS
from engine.llm.validation import agreement, grade_of
from engine.llm.warmup import sft_example, sft_target
from engine.training.config import RunConfig, TrainingError, for_model, help_texts, parse_weights
from engine.training.folder import RunFolder
from store.home import Home
from tests.cli_support import run_cli
from tests.test_cli import REPO
from tests.training_support import DEADLINE_S, end_processes, train_template  # noqa: F401

# ---------------------------------------------------------------- RunConfig


def test_run_config_round_trips_through_json() -> None:
    config = for_model("builtin-tiny", run_id="run-0007", feedback_ids=["fb-1"], lora=True)
    again = RunConfig.from_json(config.to_json())
    assert again == config
    assert again.reward_weights == DEFAULT_REWARD_WEIGHTS
    assert list(again.reward_weights) == list(REWARD_FUNCTIONS)


def test_every_setting_has_a_default_and_a_one_line_help() -> None:
    texts = help_texts()
    assert set(texts) >= {"model", "num_generations", "reward_weights", "beta", "sft_steps"}
    assert all(text and "\n" not in text for text in texts.values())
    assert RunConfig().check().model == "smollm2-135m"


def test_model_defaults_fit_the_model() -> None:
    tiny, smol = for_model("builtin-tiny"), for_model("smollm2-135m")
    assert tiny.sft_steps > 0 and smol.sft_steps > 0  # the warm-up is on for every preset
    assert tiny.gradient_checkpointing == smol.gradient_checkpointing == "auto"
    assert smol.micro_batch_size == 1 and smol.max_completion_length == 512
    assert for_model("builtin-tiny", sft_steps=5).sft_steps == 5


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"num_generations": 3}, "generation batch (8) must be divisible by num_generations (3)"),
        ({"num_generations": 1}, "num_generations must be at least 2"),
        ({"generation_batch_size": 12}, "must be divisible by the training batch (8)"),
        ({"learning_rate": 2.0}, "learning_rate must be between 0 and 1"),
        ({"loss_type": "ppo"}, "loss_type must be one of dapo"),
        ({"reward_weights": {"json_format": 1.0}}, "reward_weights lacks evaluation_accuracy"),
        ({"reward_weights": {**DEFAULT_REWARD_WEIGHTS, "style": 0.2}}, "unknown rewards"),
        ({"reward_weights": dict.fromkeys(DEFAULT_REWARD_WEIGHTS, 0.0)}, "at least one reward"),
        ({"splits": [0.5, 0.2, 0.2]}, "splits must add up to 1"),
        ({"sft_steps": -1}, "sft_steps must be 0 or more"),
        ({"micro_batch_size": 3}, "sft_batch_size (8) must be divisible by micro_batch_size (3)"),
    ],
)
def test_invalid_settings_are_refused_with_a_plain_reason(changes: dict, message: str) -> None:
    config = RunConfig(model="builtin-tiny", **changes)
    assert any(message in p for p in config.problems()), config.problems()
    with pytest.raises(TrainingError, match="invalid run settings"):
        config.check()


def test_unknown_keys_in_a_saved_config_are_ignored_and_named() -> None:
    config = RunConfig.from_json('{"model": "builtin-tiny", "colour": "red"}')
    assert config.model == "builtin-tiny" and config.ignored_keys == ["colour"]


def test_reward_weights_parse_in_reward_order_or_by_name() -> None:
    assert parse_weights("0.2,0.4,0.3,0.1") == dict(
        zip(REWARD_FUNCTIONS, [0.2, 0.4, 0.3, 0.1], strict=True)
    )
    assert parse_weights("json_format=1,consistency=0")["consistency"] == 0.0
    with pytest.raises(TrainingError, match="give 4 reward weights"):
        parse_weights("0.5,0.5")


# ---------------------------------------------------------------- agreement


def test_agreement_counts_unparseable_answers_as_misses() -> None:
    figures = agreement([5, 4, 3, 2], [5, 3, None, 2])
    assert figures["exact"] == 0.5 and figures["within_one"] == 0.75
    assert figures["invalid_share"] == 0.25 and figures["valid"] == 3
    assert figures["grade_counts"] == {"1": 0, "2": 1, "3": 1, "4": 0, "5": 1, "invalid": 1}


def test_agreement_qwk_is_one_when_perfect_and_zero_for_a_constant_grade() -> None:
    assert agreement([1, 2, 3, 4, 5], [1, 2, 3, 4, 5])["qwk"] == pytest.approx(1.0)
    assert agreement([1, 2, 3, 4, 5], [3, 3, 3, 3, 3])["qwk"] == 0.0
    assert agreement([], [])["exact"] == 0.0


def test_grade_of_reads_the_answer_after_thinking() -> None:
    assert grade_of('<think>생각</think>{"scores": {}, "grade": 4, "reasoning": "x"}') == 4
    assert grade_of('{"grade": 7}') is None
    assert grade_of("등급은 4입니다") is None


# ---------------------------------------------------------------- warm-up targets


@pytest.fixture(scope="module")
def snapshot_rows(train_template: Home, tmp_path_factory: pytest.TempPathFactory) -> list[dict]:  # noqa: F811
    """Training rows of a snapshot under the demo house's full methodology (13 criteria)."""
    from engine.demo.house import house_methodology
    from engine.methodology import save_version
    from engine.training.snapshot import build_snapshot, to_hf_datasets
    from store.db import connect

    home = Home(tmp_path_factory.mktemp("house") / "home")
    shutil.copytree(train_template.root, home.root)
    with connect(home) as con:
        save_version(con, house_methodology("ko"), created_by="test")
    rows = to_hf_datasets(build_snapshot(home, "house"))["train"]
    return [dict(r) for r in rows]


def test_warmup_targets_are_valid_answers_that_earn_full_format_and_accuracy(
    snapshot_rows: list[dict],
) -> None:
    targets = [sft_target(r) for r in snapshot_rows]
    columns = {k: [r[k] for r in snapshot_rows] for k in snapshot_rows[0] if k != "prompt"}
    assert all(parse_output(t).data for t in targets)
    assert set(REWARD_FUNCTIONS["json_format"](targets, **columns)) == {1.0}
    assert min(REWARD_FUNCTIONS["evaluation_accuracy"](targets, **columns)) == 1.0
    assert min(REWARD_FUNCTIONS["reasoning_quality"](targets, **columns)) > 0.8


def test_warmup_target_cites_the_funds_numbers_in_the_prompts_language(
    snapshot_rows: list[dict],
) -> None:
    row = snapshot_rows[0]
    data = parse_output(sft_target(row)).data
    facts = json.loads(row["facts"])
    top = json.loads(row["top_criteria"])
    assert data["grade"] == row["expert_grade"]
    assert facts[top[0][0]]["text"] in data["reasoning"]
    assert "등급" in data["reasoning"]
    system = row["prompt"][0]["content"]
    order = list(data["scores"])
    assert order == sorted(order, key=lambda c: system.index(f'"{c}"'))  # the template's order
    assert order != sorted(order)


def test_warmup_thinking_target_starts_with_a_think_block(snapshot_rows: list[dict]) -> None:
    example = sft_example(snapshot_rows[0], thinking=True)
    text = example["completion"][0]["content"]
    assert text.startswith("<think>") and parse_output(text).thinking
    assert example["chat_template_kwargs"] == {"enable_thinking": True}


# ---------------------------------------------------------------- a real run through the CLI


@pytest.fixture(scope="module")
def cli_run(train_template: Home, tmp_path_factory: pytest.TempPathFactory):  # noqa: F811
    """(home, run_id, CLI result, seconds): one real tiny run, started and awaited by the CLI."""
    home = Home(tmp_path_factory.mktemp("cli-run") / "home")
    shutil.copytree(train_template.root, home.root)
    started = time.monotonic()
    command = [
        sys.executable, "-m", "workbench", "train", "--model", "builtin-tiny",
        "--sft-steps", "60", "--steps", "8", "--num-generations", "4",
        "--max-completion-length", "96", "--set", "eval_every=4", "--set", "samples_every=4",
        "--set", "eval_max_funds=12", "--set", "grade_loss_weight=1", "--wait", "--json",
    ]  # fmt: skip
    # grade_loss_weight 1: 60 warm-up steps with the tiny default's 30 left 38 % of the answers
    # (12 funds) invalid, the format learned later behind the grade; its 400 steps leave none
    env = {**os.environ, "WORKBENCH_HOME": str(home.root), "PYTHONPATH": str(REPO)}
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, env=env, cwd=REPO, timeout=DEADLINE_S
        )
    except subprocess.TimeoutExpired:
        end_processes(home)
        raise
    seconds = time.monotonic() - started
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout)
    return home, result["run_id"], result, seconds


def test_cli_train_wait_prints_the_final_figures(cli_run) -> None:
    _, run_id, result, seconds = cli_run
    assert result["ok"] and result["state"] == "finished", result
    assert run_id == "run-0001"
    final = result["final"]
    assert set(final["rewards"]) == set(REWARD_FUNCTIONS)
    assert {"qwk", "exact", "invalid_share", "grade_counts"} <= set(final["agreement_final"])
    assert final["grpo_steps"] == 8
    print(f"tiny CLI run: {seconds:.0f} s")


def test_events_hold_every_trl_metric_with_phase_and_step(cli_run) -> None:
    home, run_id, _, _ = cli_run
    events = RunFolder(home.runs / run_id).read_events()[0]
    sft = [e for e in events if e["kind"] == "train" and e["phase"] == "sft"]
    grpo = [e for e in events if e["kind"] == "train" and e["phase"] == "grpo"]
    assert [e["step"] for e in sft] == list(range(1, 61))
    assert [e["step"] for e in grpo] == list(range(1, 9))
    assert sft[-1]["loss"] < sft[0]["loss"]
    for name in REWARD_FUNCTIONS:
        assert all(f"rewards/{name}/mean" in e for e in grpo), name
    assert {"loss", "reward", "reward_std", "completions/mean_length", "step_time"} <= set(grpo[0])
    assert all("time" in e for e in events)


def test_validation_agreement_is_logged_after_warmup_during_grpo_and_at_the_end(cli_run) -> None:
    home, run_id, _, _ = cli_run
    evals = [e for e in RunFolder(home.runs / run_id).read_events()[0] if e["kind"] == "eval"]
    assert [(e["stage"], e["step"]) for e in evals] == [("sft", 0), ("training", 4), ("final", 8)]
    manifest = json.loads((home.runs / run_id / "snapshot" / "manifest.json").read_text())
    for e in evals:
        assert e["n"] == min(12, manifest["counts"]["validation"]) and {
            "exact",
            "within_one",
            "qwk",
            "invalid_share",
        } <= set(e)


def test_warmup_alone_makes_the_tiny_model_answer_in_parseable_json(cli_run) -> None:
    home, run_id, _, _ = cli_run
    evals = [e for e in RunFolder(home.runs / run_id).read_events()[0] if e["kind"] == "eval"]
    after_warmup = evals[0]
    assert after_warmup["stage"] == "sft"
    assert after_warmup["invalid_share"] <= 0.25, after_warmup


def test_sample_completions_carry_each_rewards_score(cli_run) -> None:
    home, run_id, _, _ = cli_run
    samples = [e for e in RunFolder(home.runs / run_id).read_events()[0] if e["kind"] == "samples"]
    assert [e["step"] for e in samples] == [1, 4, 8]
    for sample in samples[0]["samples"]:
        assert set(sample["rewards"]) == set(REWARD_FUNCTIONS)
        assert sample["prompt_fund"] and isinstance(sample["completion"], str)


def test_finished_run_leaves_loadable_models_and_no_checkpoints(cli_run) -> None:
    from engine.llm.models import load

    home, run_id, _, _ = cli_run
    folder = RunFolder(home.runs / run_id)
    status = folder.read_status()
    assert status["state"] == "finished" and status["final"]["wall_s"] > 0
    for path in (folder.model, folder.sft_model):
        model, tokenizer = load(path)
        assert model.num_parameters() > 0 and tokenizer.pad_token
    assert not folder.checkpoints.exists() or not any(folder.checkpoints.rglob("checkpoint-*"))
    assert not folder.stop_flag.exists()


def test_the_store_records_the_run_with_its_final_figures(cli_run) -> None:
    from store import runs as stored
    from store.db import connect

    home, run_id, _, _ = cli_run
    with connect(home) as con:
        row = stored.get_run(con, run_id)
    assert row["state"] == "finished" and row["model"] == "builtin-tiny"
    assert row["methodology_id"] == "new-methodology" and row["methodology_version"] == 1
    assert json.loads(row["final"])["grpo_steps"] == 8
    assert json.loads(row["config"])["sft_steps"] == 60
    manifest = json.loads((home.runs / run_id / "snapshot" / "manifest.json").read_text())
    assert row["snapshot_sha256"] == manifest["sha256"]


def test_runs_list_and_show_describe_the_run(cli_run) -> None:
    home, run_id, _, _ = cli_run
    listed = run_cli("runs", "list", home=home.root)
    assert listed.returncode == 0 and run_id in listed.stdout and "finished" in listed.stdout
    shown = run_cli("runs", "show", run_id, "--json", home=home.root)
    data = json.loads(shown.stdout)
    assert data["state"] == "finished" and data["config"]["model"] == "builtin-tiny"
    assert data["steps_done"] == data["steps_total"] == 68


# ---------------------------------------------------------------- CLI refusals


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["train", "--reward-weights", "0.5,0.5"], "give 4 reward weights"),
        (["train", "--model", "builtin-tiny", "--num-generations", "1"], "at least 2"),
        (["train", "--model", "no-such-model"], "unknown model 'no-such-model'"),
        (["train", "--set", "colour=red"], "--set needs KEY=VALUE"),
        (["runs", "show", "run-0042"], "there is no run run-0042"),
        (["runs", "stop", "bogus"], "'bogus' is not a run id"),
    ],
)
def test_bad_training_requests_fail_in_one_line_with_status_2(
    args: list[str], message: str, tmp_path: Path
) -> None:
    done = run_cli(*args, home=tmp_path / "home")
    assert done.returncode == 2, done.stderr
    assert message in done.stderr and len(done.stderr.strip().splitlines()) == 1
