"""Background runs: stop and resume, the device queue, recovery after a crash, the run history.

Real training processes of the tiny model (tests/training_support.py), polled with deadlines.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import pytest

from engine.training import runs
from engine.training.config import TrainingError
from engine.training.folder import RunFolder
from store.home import Home
from tests.training_support import (  # noqa: F401
    DEADLINE_S,
    events_of,
    poll,
    tiny_config,
    train_home,
    train_template,
)


def _state(home: Home, run_id: str) -> str:
    return runs.status(home, run_id)["state"]


def _at(home: Home, run_id: str, phase: str, step: int):
    """The status once the run is in `phase` at `step` or later (None before)."""
    s = runs.status(home, run_id)
    return s if s.get("phase") == phase and s.get("step", 0) >= step else None


def _train_steps(home: Home, run_id: str, phase: str) -> list[int]:
    return [
        e["step"] for e in events_of(home, run_id) if e["kind"] == "train" and e["phase"] == phase
    ]


# ---------------------------------------------------------------- stop and resume


def test_stop_and_resume_continue_each_phase_from_its_checkpoint(train_home: Home) -> None:  # noqa: F811
    home = train_home
    settings = {"eval_every": 100, "eval_max_funds": 4, "max_completion_length": 64}
    run_id = runs.create_run(home, tiny_config(sft_steps=24, max_steps=8, **settings))
    assert _state(home, run_id) == "created"
    runs.start(home, run_id)

    # stop during the warm-up: a checkpoint, state stopped, resumable
    poll(lambda: _at(home, run_id, "sft", 3), "warm-up step 3")
    runs.stop(home, run_id)
    stopped = runs.wait(home, run_id, timeout=DEADLINE_S)
    assert stopped["state"] == "stopped" and stopped["resumable"], stopped
    first_stop = stopped["step"]
    assert stopped["checkpoint"].endswith(f"sft/checkpoint-{first_stop}")
    assert not RunFolder(home.runs / run_id).stop_flag.exists()

    # resume: the warm-up continues, then stop again during GRPO
    runs.resume(home, run_id)
    poll(lambda: _at(home, run_id, "grpo", 2), "GRPO step 2")
    runs.stop(home, run_id)
    stopped = runs.wait(home, run_id, timeout=DEADLINE_S)
    assert stopped["state"] == "stopped" and stopped["phase"] == "grpo", stopped
    second_stop = stopped["step"]
    assert stopped["checkpoint"].endswith(f"grpo/checkpoint-{second_stop}")

    # resume again: GRPO continues from its checkpoint and the run finishes
    runs.resume(home, run_id)
    done = runs.wait(home, run_id, timeout=DEADLINE_S)
    assert done["state"] == "finished", done
    assert _train_steps(home, run_id, "sft") == list(range(1, 25))  # each step once, in order
    assert _train_steps(home, run_id, "grpo") == list(range(1, 9))
    log = (home.runs / run_id / "log.txt").read_text()
    assert f"resuming sft from checkpoint-{first_stop}" in log
    assert f"resuming grpo from checkpoint-{second_stop}" in log
    assert done["resumes"] == 2


def test_resume_refuses_a_run_that_is_not_stopped(train_home: Home) -> None:  # noqa: F811
    run_id = runs.create_run(train_home, tiny_config())
    with pytest.raises(TrainingError, match="only a stopped or failed run can be resumed"):
        runs.resume(train_home, run_id)
    stopped = runs.stop(train_home, run_id)
    assert stopped["state"] == "stopped" and stopped["message"] == "cancelled before it started"


# ---------------------------------------------------------------- queue and recovery


def test_second_run_queues_and_a_killed_run_is_recovered_as_failed(train_home: Home) -> None:  # noqa: F811
    home = train_home
    settings = {"sft_steps": 0, "eval_max_funds": 4, "max_completion_length": 64}
    first = runs.create_run(home, tiny_config(max_steps=200, save_every=2, **settings))
    second = runs.create_run(home, tiny_config(max_steps=2, **settings))
    runs.start(home, first)
    poll(lambda: _at(home, first, "grpo", 1), "the first run trains")
    runs.start(home, second)

    # the second run waits for the device while the first holds it
    poll(lambda: runs.status(home, second).get("pid"), "the second process has started")
    queued = runs.status(home, second)
    assert queued["state"] == "queued" and queued["alive"], queued
    assert (home.runs / ".queue-cpu.lock").read_text().startswith(first)

    # a queued run is cancelled by stop, without training
    cancelled = runs.stop(home, second)
    assert cancelled["state"] == "stopped", cancelled
    assert cancelled["message"] == "cancelled before it started"
    assert not any(e["kind"] == "train" for e in events_of(home, second))

    # the first run dies without a word (kill -9): recover marks it failed, resumable
    poll(lambda: RunFolder(home.runs / first).last_checkpoint("grpo"), "a GRPO checkpoint")
    pid = runs.status(home, first)["pid"]
    os.kill(pid, signal.SIGKILL)
    poll(lambda: not runs.status(home, first)["alive"], "the process is gone")
    assert runs.recover(home) == [first], runs.status(home, first)
    failed = runs.status(home, first)
    assert failed["state"] == "failed" and failed["resumable"], failed
    assert failed["message"] == runs.DIED
    assert runs.recover(home) == []  # once only


def test_recover_leaves_live_and_ended_runs_alone(train_home: Home) -> None:  # noqa: F811
    home = train_home
    dead = runs.create_run(home, tiny_config())
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()  # a pid that existed and has exited
    RunFolder(home.runs / dead).write_status(state="running", pid=gone.pid, phase="sft", step=3)
    ended = runs.create_run(home, tiny_config())
    RunFolder(home.runs / ended).write_status(state="finished")
    assert runs.recover(home) == [dead]
    assert _state(home, dead) == "failed" and not runs.status(home, dead)["resumable"]
    assert _state(home, ended) == "finished"


# ---------------------------------------------------------------- history and events


def test_runs_get_sequential_ids_and_are_recorded_in_the_store(train_home: Home) -> None:  # noqa: F811
    from store import runs as stored
    from store.db import connect

    home = train_home
    ids = [runs.create_run(home, tiny_config(seed=s)) for s in (1, 2)]
    assert ids == ["run-0001", "run-0002"]
    RunFolder(home.runs / ids[0]).write_status(state="stopped", message="stopped by request")
    assert runs.sync(home) == 1
    with connect(home) as con:
        rows = {r["run_id"]: r for r in stored.list_runs(con).to_dict("records")}
    assert rows["run-0001"]["state"] == "stopped" and rows["run-0002"]["state"] == "created"
    config = json.loads(rows["run-0002"]["config"])
    assert config["run_id"] == "run-0002" and config["methodology_id"] == "new-methodology"
    assert config["as_of"] and config["methodology_version"] == 1
    listed = runs.list_runs(home)
    assert [r["run_id"] for r in listed] == ["run-0002", "run-0001"]
    assert listed[0]["steps_total"] == 68


def test_read_events_is_incremental_and_skips_a_half_written_line(train_home: Home) -> None:  # noqa: F811
    home = train_home
    run_id = runs.create_run(home, tiny_config())
    folder = RunFolder(home.runs / run_id)
    folder.append_event("train", "grpo", 1, loss=0.5, reward=float("nan"))
    folder.append_event("train", "grpo", 2, loss=0.4)
    with folder.events.open("a") as handle:
        handle.write('{"kind": "tr')  # the writer is in the middle of a line
    events, line = runs.read_events(home, run_id)
    assert [e["step"] for e in events] == [1, 2] and line == 2
    assert events[0]["reward"] is None  # NaN is written as null (strict JSON)
    with folder.events.open("a") as handle:
        handle.write('ain", "phase": "grpo", "step": 3}\n')
    more, line = runs.read_events(home, run_id, since_line=line)
    assert [e["step"] for e in more] == [3] and line == 3


def test_unknown_run_ids_are_refused(train_home: Home) -> None:  # noqa: F811
    with pytest.raises(TrainingError, match="there is no run run-0099"):
        runs.status(train_home, "run-0099")
    with pytest.raises(TrainingError, match="not a run id"):
        runs.stop(train_home, "../etc")


# ---------------------------------------------------------------- settings read back


def _run_folder_with(home: Home, run_id: str, config_text: str) -> None:
    folder = home.runs / run_id
    folder.mkdir(parents=True)
    (folder / "config.json").write_text(config_text, encoding="utf-8")
    (folder / "status.json").write_text(json.dumps({"state": "finished"}), encoding="utf-8")


def test_a_saved_config_with_unknown_keys_loads_and_names_them() -> None:
    from engine.training.config import RunConfig, for_model

    saved = json.loads(for_model("builtin-tiny", run_id="run-0003").to_json())
    config = RunConfig.from_json(json.dumps({**saved, "colour": "red", "warmup_ratio": 0.1}))
    assert config.ignored_keys == ["colour", "warmup_ratio"]
    assert config == for_model("builtin-tiny", run_id="run-0003")
    assert RunConfig.from_json(json.dumps(saved)).ignored_keys == []
    with pytest.raises(TrainingError, match="not valid JSON"):
        RunConfig.from_json("{broken")


def test_one_unreadable_config_shows_as_its_run_with_a_note_and_the_list_goes_on(
    home: Home,
) -> None:
    from engine.training.config import for_model

    good = for_model("builtin-tiny", run_id="run-0001", algorithm="rloo")
    _run_folder_with(home, "run-0001", good.to_json())
    _run_folder_with(home, "run-0002", '{"model": "builtin-tiny", "colour": "red"}')
    _run_folder_with(home, "run-0003", "{not json")
    listed = {r["run_id"]: r for r in runs.list_runs(home)}
    assert list(listed) == ["run-0003", "run-0002", "run-0001"]
    assert listed["run-0001"]["algorithm"] == "rloo" and "note" not in listed["run-0001"]
    assert listed["run-0002"]["note"] == "unknown settings ignored: colour"
    assert listed["run-0002"]["model"] == "builtin-tiny"
    assert listed["run-0003"]["note"].startswith("its config.json cannot be read: ")
    assert listed["run-0003"]["state"] == "finished"


@pytest.mark.parametrize(
    ("weights", "message"),
    [
        ((0.5, 0.5, 0.3, 0.1), "must add up to 1 (100 points), they add up to 1.4"),
        ((0.1, 0.5, 0.3, 0.0999), "they add up to 0.9999"),
        ((0.6, 0.5, 0.0, -0.1), "reward weights must be numbers of 0 or more"),
    ],
)
def test_reward_weights_must_be_non_negative_and_add_up_to_one(weights, message) -> None:
    from engine.llm.rewards import REWARD_FUNCTIONS
    from engine.training.config import RunConfig

    config = RunConfig(reward_weights=dict(zip(REWARD_FUNCTIONS, weights, strict=True)))
    assert any(message in p for p in config.problems()), config.problems()
    with pytest.raises(TrainingError, match="invalid run settings"):
        config.check()
    almost = dict(zip(REWARD_FUNCTIONS, (0.1, 0.5, 0.3, 0.1 + 5e-7), strict=True))
    assert RunConfig(reward_weights=almost).problems() == []  # within 1e-6 of 1
