"""One real, very small training run of the built-in tiny model, shared by the Training page and
sweep tests: started once per test session in the background (so it trains while the fast tests
run) on a copy of the 30-fund demo, and waited for only by the tests that need it finished.
"""

from __future__ import annotations

import os
import shutil
import signal

import pytest

from engine.training import runs
from engine.training.config import RunConfig, for_model
from engine.training.folder import ACTIVE_STATES, RunFolder
from store.home import Home

# Two warm-up steps, three GRPO steps of two answers of at most 16 tokens; validation on two
# funds before GRPO, at step 2 and at the end; sample answers at every step.
TINY = {
    "sft_steps": 2,
    "sft_batch_size": 2,
    "max_steps": 3,
    "num_generations": 2,
    "per_device_train_batch_size": 2,
    "max_completion_length": 16,
    "eval_every": 2,
    "eval_max_funds": 2,
    "samples_every": 1,
    "save_every": 50,
}
FINISH_TIMEOUT_S = 240.0

_shared: dict = {}


def tiny_config(**changes) -> RunConfig:
    return for_model("builtin-tiny", **{**TINY, **changes})


def tiny_run(demo_template: Home, tmp_path_factory: pytest.TempPathFactory) -> tuple[Home, str]:
    """(home, run id) of the shared tiny run, started on first call (not waited for)."""
    if not _shared:
        from engine.llm.models import resolve

        root = tmp_path_factory.mktemp("tiny-run") / "home"
        shutil.copytree(demo_template.root, root)
        home = Home(root)
        resolve(home, "builtin-tiny")
        run_id = runs.create_run(home, tiny_config())
        runs.start(home, run_id)
        _shared.update(home=home, run_id=run_id)
    return _shared["home"], _shared["run_id"]


def finished(home: Home, run_id: str) -> dict:
    """The run's status once it has finished (fails the test if it ended otherwise)."""
    status = runs.wait(home, run_id, timeout=FINISH_TIMEOUT_S)
    assert status["state"] == "finished", status
    return status


def end_runs(home: Home, keep: tuple[str, ...] = ()) -> None:
    """End the training processes of `home` but `keep` (by pid, checked by its command line)."""
    for path in home.runs.glob("run-*"):
        folder = RunFolder(path)
        if path.name in keep:
            continue
        if folder.process_alive():
            os.kill(folder.pid(), signal.SIGKILL)
        if folder.read_status().get("state") in ACTIVE_STATES:
            runs.recover(home)
