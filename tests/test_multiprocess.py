"""The multi-process training path, run here: two CPU ranks under `accelerate launch` (gloo).

This is the code path several GPUs take (one rank per GPU, NCCL); on CI it runs on two CPU
processes, so a change that breaks the ranks' agreement (stop flags, saving on rank 0 only,
events from rank 0 only, the weighted losses' reductions) fails here and not first on a GPU.
"""

from __future__ import annotations

import pytest

from engine.training import runs
from engine.training.folder import RunFolder
from engine.training.worker import rank_count
from tests.training_support import (  # noqa: F401
    DEADLINE_S,
    end_processes,
    tiny_config,
    train_home,
    train_template,
)

pytestmark = pytest.mark.slow


def test_rank_count_is_one_per_gpu_on_cuda_and_the_setting_on_a_cpu() -> None:
    assert rank_count(tiny_config(processes=2), "cpu") == 2
    assert rank_count(tiny_config(), "cpu") == 1
    assert tiny_config(processes=0).problems() == [
        "processes must be a whole number of at least 1, got 0"
    ]


def test_a_run_trains_in_two_cpu_processes_and_rank_0_alone_writes(train_home) -> None:  # noqa: F811
    config = tiny_config(
        processes=2,
        device="cpu",
        sft_steps=2,
        sft_batch_size=2,
        max_steps=2,
        num_generations=2,
        per_device_train_batch_size=2,
        max_completion_length=12,
        eval_every=2,
        eval_max_funds=2,
        samples_every=1,
    )
    run_id = runs.create_run(train_home, config)
    runs.start(train_home, run_id)
    status = runs.wait(train_home, run_id, timeout=DEADLINE_S)
    folder = RunFolder(train_home.runs / run_id)
    log = folder.log.read_text(encoding="utf-8", errors="replace")
    assert status["state"] == "finished", f"{status.get('message')}\n{log[-3000:]}"
    assert status["processes"] == 2 and status["final"]["processes"] == 2
    assert "launching 2 ranks on cpu" in log
    assert (folder.model / "config.json").is_file()
    events, _ = folder.read_events()
    steps = [(e["phase"], e["step"]) for e in events if e["kind"] == "train"]
    # one event per step: the second rank writes nothing
    assert steps == [("sft", 1), ("sft", 2), ("grpo", 1), ("grpo", 2)], steps
    assert any(e["kind"] == "eval" and e.get("stage") == "final" for e in events)
