"""RLOO as the second RL method: the `algorithm` setting, and one real short run of the built-in
tiny model with TRL's RLOOTrainer (a few warm-up steps, a few RLOO steps) on the training store
of tests/training_support.py, with the same rewards, events and final figures as GRPO.
"""

from __future__ import annotations

import pytest

from engine.training import runs
from engine.training.config import ALGORITHMS, RunConfig, TrainingError, for_model
from engine.training.folder import RunFolder
from store.home import Home
from tests.training_support import (  # noqa: F401
    DEADLINE_S,
    tiny_config,
    train_home,
    train_template,
)


def test_algorithm_is_grpo_by_default_and_rloo_on_request() -> None:
    assert ALGORITHMS == ("grpo", "rloo")
    assert RunConfig().algorithm == "grpo"
    assert for_model("builtin-tiny", algorithm="rloo").check().algorithm == "rloo"


def test_an_unknown_algorithm_is_refused_by_name() -> None:
    config = RunConfig(model="builtin-tiny", algorithm="ppo")
    assert "algorithm must be one of grpo, rloo, got 'ppo'" in config.problems()
    with pytest.raises(TrainingError, match="algorithm must be one of grpo, rloo"):
        config.check()


@pytest.mark.slow
def test_a_short_rloo_run_trains_logs_rl_steps_and_finishes(train_home: Home) -> None:  # noqa: F811
    config = tiny_config(
        algorithm="rloo", sft_steps=4, sft_batch_size=4, max_steps=3, num_generations=2,
        per_device_train_batch_size=4, max_completion_length=24, eval_every=2,
        eval_max_funds=2, samples_every=1,
    )  # fmt: skip
    run_id = runs.create_run(train_home, config)
    runs.start(train_home, run_id)
    status = runs.wait(train_home, run_id, timeout=DEADLINE_S)
    assert status["state"] == "finished", status

    events, _ = RunFolder(train_home.runs / run_id).read_events()
    rl = [e for e in events if e["kind"] == "train" and e["phase"] == "grpo"]
    assert [e["step"] for e in rl] == [1, 2, 3]
    for event in rl:  # TRL's RLOOTrainer logged the four weighted rewards of each step
        assert isinstance(event["reward"], float)
        for name in ("json_format", "evaluation_accuracy", "reasoning_quality", "consistency"):
            assert f"rewards/{name}/mean" in event, name
    sft = [e for e in events if e["kind"] == "train" and e["phase"] == "sft"]
    assert [e["step"] for e in sft] == [1, 2, 3, 4]
    stages = [e["stage"] for e in events if e["kind"] == "eval"]
    assert stages[0] == "sft" and stages[-1] == "final"
    assert any(e["kind"] == "samples" for e in events)

    final = status["final"]
    assert final["algorithm"] == "rloo" and final["grpo_steps"] == 3
    assert final["peak_memory_mb"] > 0 and final["wall_s"] > 0
    assert (train_home.runs / run_id / "model" / "config.json").is_file()
    assert runs.load_config(train_home, run_id).algorithm == "rloo"


def test_cli_train_takes_the_algorithm_and_refuses_others_in_one_line(tmp_path, capsys) -> None:
    from workbench.cli.core import build_parser, main
    from workbench.cli.training import config_from_args

    args = build_parser().parse_args(["train", "--model", "builtin-tiny", "--algorithm", "rloo"])
    assert config_from_args(args).algorithm == "rloo"
    args = build_parser().parse_args(["train", "--model", "builtin-tiny"])
    assert config_from_args(args).algorithm == "grpo"
    code = main(["train", "--home", str(tmp_path), "--algorithm", "ppo"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and "invalid choice: 'ppo'" in err and "\n" not in err


def test_the_step_pace_is_wall_clock_between_steps_and_skips_a_stop() -> None:
    from engine.training.figures import step_pace

    def at(step: int, second: int) -> dict:
        return {"step": step, "time": f"2026-11-25T10:{second // 60:02d}:{second % 60:02d}+00:00"}

    steady = [at(1, 0), at(2, 4), at(3, 8), at(4, 12)]
    assert step_pace(steady) == 4.0
    # stopped after step 4 and resumed ten minutes later: the pause is not a step's cost
    resumed = [*steady, at(5, 12 + 600), at(6, 616), at(7, 620)]
    assert step_pace(resumed) == 4.0
    assert step_pace([at(1, 0)]) is None
