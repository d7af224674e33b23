"""GPU turns: an evaluation job waits for the lock a training run holds on the same device."""

from __future__ import annotations

import fcntl
import json
import os
import threading
import time
from pathlib import Path

from engine.evaluation.worker import _Job
from engine.jobs.device_lock import device_turn, holder, lock_path


def _hold(path: Path, owner: str) -> int:
    """Take the lock as a training run does (another open file description) and sign it."""
    fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o644)
    fcntl.flock(fd, fcntl.LOCK_EX)
    os.ftruncate(fd, 0)
    os.write(fd, f"{owner} 12345\n".encode())
    return fd


def test_a_free_lock_is_taken_at_once_and_signed(tmp_path):
    path = lock_path(tmp_path / "runs", "cuda")
    with device_turn(path, "eval-0001", lambda: False) as acquired:
        assert acquired
        assert holder(path) == "eval-0001"
    # released: a second taker gets it at once
    with device_turn(path, "eval-0002", lambda: False, poll=0.01) as acquired:
        assert acquired


def test_a_held_lock_makes_the_job_wait_until_released_and_says_for_whom(tmp_path):
    path = lock_path(tmp_path / "runs", "cuda")
    path.parent.mkdir(parents=True)
    fd = _hold(path, "run-0007")
    seen: list[str | None] = []
    got: list[float] = []

    def evaluate() -> None:
        with device_turn(path, "eval-0001", lambda: False, seen.append, poll=0.02) as acquired:
            assert acquired
            got.append(time.monotonic())

    worker = threading.Thread(target=evaluate)
    worker.start()
    time.sleep(0.3)
    assert not got, "the job must not start while the run holds the GPU"
    released = time.monotonic()
    os.close(fd)
    worker.join(timeout=5)
    assert got and got[0] >= released
    assert seen == ["run-0007"]  # told once, naming the holder


def test_a_stop_while_waiting_gives_up_without_the_lock(tmp_path):
    path = lock_path(tmp_path / "runs", "cuda")
    path.parent.mkdir(parents=True)
    fd = _hold(path, "run-0001")
    calls = iter([False, False, True])
    try:
        with device_turn(path, "eval-0001", lambda: next(calls), poll=0.01) as acquired:
            assert acquired is False
    finally:
        os.close(fd)
    assert holder(path) == "run-0001"


def test_a_free_lock_waits_while_another_job_is_ahead(tmp_path):
    path = lock_path(tmp_path / "runs", "cuda")
    asked: list[float] = []

    def ahead() -> bool:
        asked.append(time.monotonic())
        return len(asked) < 3  # queued earlier for two polls, then gone

    with device_turn(path, "run-0002", lambda: False, poll=0.01, ahead=ahead) as acquired:
        assert acquired and len(asked) == 3
        assert holder(path) == "run-0002"


def _job(home: Path) -> _Job:
    folder = home / "evaluations" / "eval-0001"
    folder.mkdir(parents=True)
    (folder / "config.json").write_text(json.dumps({"samples": 1}), encoding="utf-8")
    return _Job(folder)


def test_an_evaluation_on_the_cpu_does_not_queue(tmp_path):
    job = _job(tmp_path)
    with job.device_turn("cpu") as acquired:
        assert acquired
    assert not (tmp_path / "runs").exists()


def test_an_evaluation_on_the_gpu_waits_for_the_training_run_and_can_be_stopped(tmp_path):
    job = _job(tmp_path)
    path = lock_path(tmp_path / "runs", "cuda")
    path.parent.mkdir(parents=True)
    fd = _hold(path, "run-0003")
    stopper = threading.Timer(0.5, job.folder.stop_flag.touch)
    stopper.start()
    try:
        with job.device_turn("cuda") as acquired:
            assert acquired is False
    finally:
        stopper.join()
        os.close(fd)
    status = json.loads(job.folder.status_file.read_text(encoding="utf-8"))
    assert status["message"] == "waiting for the GPU: run-0003 is using it"
